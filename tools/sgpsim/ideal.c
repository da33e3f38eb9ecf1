/* Ideal push-pull reference (contract in ideal.h). */
#include "ideal.h"

#include <stdlib.h>
#include <string.h>

#include "rng.h"

uint32_t ideal_push_pull(uint32_t n, double loss, uint64_t seed, uint32_t trial) {
  if (n < 2) return 0;
  uint8_t *known = calloc(n, 1), *next = calloc(n, 1);
  if (!known || !next) {
    free(known);
    free(next);
    return 0;
  }
  uint64_t base = rng_hash(seed, RNG_IDEAL, trial, 0);
  known[rng_below(rng_hash(base, 0, 0, 0), n)] = 1;
  uint32_t informed = 1, round = 0;
  while (informed < n && round < 100000) {
    round++;
    memcpy(next, known, n);
    for (uint32_t i = 0; i < n; i++) {
      uint64_t h = rng_hash(base, round, i, 1);
      uint32_t j = rng_below(h, n - 1);
      if (j >= i) j++;
      int syn = rng_unit(rng_hash(h, 2, 0, 0)) >= loss;
      int ack = syn && rng_unit(rng_hash(h, 3, 0, 0)) >= loss;
      int delta = ack && rng_unit(rng_hash(h, 4, 0, 0)) >= loss;
      if (ack && known[j]) next[i] = 1;
      if (delta && known[i]) next[j] = 1;
    }
    informed = 0;
    for (uint32_t i = 0; i < n; i++) informed += next[i];
    memcpy(known, next, n);
  }
  free(known);
  free(next);
  return round;
}
