/* Shared test helpers: deterministic keys and a small roster. */
#ifndef SGP_TESTUTIL_H
#define SGP_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/state.h"

/* Deterministic Ed25519 key pair for node i (seed = "sgp-test" || i). */
void tu_keypair(uint32_t i, uint8_t pk[32], uint8_t sk[64]);

struct tu_cluster {
  uint32_t n;
  uint8_t (*pk)[32];
  uint8_t (*sk)[64];
};
void tu_cluster_init(struct tu_cluster *c, uint32_t n);
void tu_cluster_free(struct tu_cluster *c);

/* Allocates and initialises node i's state (generation gen). */
struct sgp_state *tu_state_new(const struct tu_cluster *c, const struct sgp_params *p, uint32_t i,
                               uint32_t gen);
void tu_state_free(struct sgp_state *st);

/* Reads a whole file (NUL-terminated); NULL if missing. */
char *tu_read_file(const char *path, size_t *len);

/* Deterministic xorshift64* for property tests. */
uint64_t tu_rand(uint64_t *s);

#endif
