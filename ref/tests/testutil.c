#include "testutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tu_keypair(uint32_t i, uint8_t pk[32], uint8_t sk[64]) {
  uint8_t seed[32] = {0};
  memcpy(seed, "sgp-test", 8);
  seed[8] = (uint8_t)(i >> 24);
  seed[9] = (uint8_t)(i >> 16);
  seed[10] = (uint8_t)(i >> 8);
  seed[11] = (uint8_t)i;
  crypto_sign_seed_keypair(pk, sk, seed);
}

void tu_cluster_init(struct tu_cluster *c, uint32_t n) {
  if (sodium_init() < 0) abort();
  c->n = n;
  c->pk = calloc(n, sizeof *c->pk);
  c->sk = calloc(n, sizeof *c->sk);
  if (!c->pk || !c->sk) abort();
  for (uint32_t i = 0; i < n; i++) tu_keypair(i, c->pk[i], c->sk[i]);
}

void tu_cluster_free(struct tu_cluster *c) {
  free(c->pk);
  sodium_memzero(c->sk, (size_t)c->n * sizeof *c->sk);
  free(c->sk);
}

struct sgp_state *tu_state_new(const struct tu_cluster *c, const struct sgp_params *p, uint32_t i,
                               uint32_t gen) {
  struct sgp_state *st = calloc(1, sizeof *st);
  size_t len = sgp_state_mem_size(p);
  void *mem = calloc(1, len);
  if (!st || !mem) abort();
  if (sgp_state_init(st, mem, len, p, i, gen, (const uint8_t(*)[32])c->pk, c->sk[i], NULL) !=
      SGP_OK)
    abort();
  return st;
}

void tu_state_free(struct sgp_state *st) {
  if (!st) return;
  free(st->mem);
  free(st);
}

char *tu_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long sz = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)sz + 1);
  if (!buf || fread(buf, 1, (size_t)sz, f) != (size_t)sz) abort();
  buf[sz] = 0;
  fclose(f);
  if (len) *len = (size_t)sz;
  return buf;
}

uint64_t tu_rand(uint64_t *s) {
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1DULL;
}
