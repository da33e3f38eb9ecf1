/* Counter-based randomness (contract in rng.h). */
#include "rng.h"

static uint64_t mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t rng_hash(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  uint64_t h = mix(a ^ 0x53475053494d0001ull); /* "SGPSIM" domain */
  h = mix(h ^ b);
  h = mix(h ^ c);
  return mix(h ^ d);
}

double rng_unit(uint64_t h) {
  return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

uint32_t rng_below(uint64_t h, uint32_t m) {
  return (uint32_t)(h % m);
}
