/* Helpers shared by sgpbench's two benchmarks (main.c, scale.c): a session
 * pair over fresh X25519 keys (end 0 seals, end 1 opens), the CSPRNG and
 * monotonic clock they use, and the big-endian fields of the data fragment
 * header.  Library failures print "sgpbench: <what>: <error name>" and exit 1. */
#ifndef SGPBENCH_BENCH_H
#define SGPBENCH_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/session.h"

enum { BENCH_PEERS = 2, BENCH_ICAP = 16 };

struct bench_end {
  struct sgp_sessions s;
  struct sgp_session_peer peers[BENCH_PEERS];
  struct sgp_session_index index[BENCH_ICAP];
  uint8_t buf[SGP_DGRAM_MAX];
};

/* One sealed datagram. */
struct dgram {
  uint8_t b[SGP_DGRAM_MAX];
  size_t len;
};

void bench_die(const char *what, sgp_err e);
/* The library's rng callback: randombytes_buf (sodium_init already run). */
void bench_rng(void *ctx, uint8_t *out, size_t len);
double bench_now_s(void);

/* Fresh X25519 key pairs for both ends (after sodium_init). */
void bench_keys(void);
/* End id's session table at now, over the keys of bench_keys. */
void bench_end_init(struct bench_end *x, uint32_t id, uint64_t now);
/* a -> b handshake at now, confirmed by a keepalive. */
void bench_handshake(struct bench_end *a, struct bench_end *b, uint64_t now);

void bench_put32(uint8_t *p, uint32_t v);
uint32_t bench_get32(const uint8_t *p);

#endif
