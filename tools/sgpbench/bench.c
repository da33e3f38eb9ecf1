/* sgpbench's shared session pair and helpers (contract in bench.h). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include "bench.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint8_t DH_SK[BENCH_PEERS][32], DH_PK[BENCH_PEERS][32];

void bench_die(const char *what, sgp_err e) {
  fprintf(stderr, "sgpbench: %s: %s\n", what, sgp_err_name(e));
  exit(1);
}

void bench_rng(void *ctx, uint8_t *out, size_t len) {
  (void)ctx;
  randombytes_buf(out, len);
}

double bench_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void bench_keys(void) {
  for (int i = 0; i < BENCH_PEERS; i++) {
    randombytes_buf(DH_SK[i], 32);
    if (crypto_scalarmult_base(DH_PK[i], DH_SK[i]) != 0) bench_die("dh key", SGP_ERR_STATE);
  }
}

void bench_end_init(struct bench_end *x, uint32_t id, uint64_t now) {
  struct sgp_session_config c;
  memset(&c, 0, sizeof c);
  c.self = id;
  c.n = BENCH_PEERS;
  c.dh_sk = DH_SK[id];
  c.dh_pk = (const uint8_t(*)[32])DH_PK;
  c.generation = 1;
  c.rng = bench_rng;
  c.peers = x->peers;
  c.peers_cap = BENCH_PEERS;
  c.index = x->index;
  c.index_cap = BENCH_ICAP;
  sgp_err e = sgp_session_init(&x->s, &c, now);
  if (e != SGP_OK) bench_die("session init", e);
}

void bench_handshake(struct bench_end *a, struct bench_end *b, uint64_t now) {
  uint8_t m[SGP_DGRAM_MAX];
  size_t len;
  struct sgp_rx rx;
  sgp_err e;
  if ((e = sgp_session_initiate(&a->s, 1, NULL, 0, now, m, sizeof m, &len)) != SGP_OK ||
      (e = sgp_session_recv(&b->s, now, m, len, NULL, 0, b->buf, sizeof b->buf, &rx)) != SGP_OK ||
      (e = sgp_session_respond(&b->s, 0, NULL, 0, now, m, sizeof m, &len)) != SGP_OK ||
      (e = sgp_session_recv(&a->s, now, m, len, NULL, 0, a->buf, sizeof a->buf, &rx)) != SGP_OK ||
      (e = sgp_session_keepalive(&a->s, 1, now, m, sizeof m, &len)) != SGP_OK ||
      (e = sgp_session_recv(&b->s, now, m, len, NULL, 0, b->buf, sizeof b->buf, &rx)) != SGP_OK)
    bench_die("handshake", e);
}

void bench_put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

uint32_t bench_get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
