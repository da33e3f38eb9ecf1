/* Shared helpers of the SGP libFuzzer targets and the corpus generator.
 *
 *   - deterministic test keys: node i's Ed25519 pair comes from
 *     crypto_sign_seed_keypair(seed = "sgp-fuzz" || i as u32 big-endian ||
 *     zeros), so gen_corpus.c signs reports the targets can verify;
 *   - a byte-script reader (s2n style: the input is a script of small
 *     integers; reads past the end return 0, so every input is a script);
 *   - fz_rng_fill: a deterministic RNG callback (splitmix64 of a counter);
 *   - FZ_CHECK: an invariant that must hold; a violation prints where and
 *     why and aborts, which libFuzzer reports as a crash (a finding).
 *
 * Nothing here allocates per input: the targets keep their large structs
 * (packets are ~800 KiB) in static storage set up once.
 */
#ifndef SGP_FUZZ_COMMON_H
#define SGP_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sgp/codec.h"
#include "sgp/result.h"
#include "sgp/state.h"

enum { FZ_KEYS = 16 };

extern uint8_t fz_pk[FZ_KEYS][SGP_SIGN_PK_BYTES];
extern uint8_t fz_sk[FZ_KEYS][64];

/* sodium_init and the FZ_KEYS test key pairs; idempotent. */
void fz_init(void);
void fz_keypair(uint32_t i, uint8_t pk[SGP_SIGN_PK_BYTES], uint8_t sk[64]);

struct fz_in {
  const uint8_t *p;
  size_t n;
};
uint8_t fz_u8(struct fz_in *in);
uint16_t fz_u16(struct fz_in *in);
uint32_t fz_u32(struct fz_in *in);
/* Takes up to want bytes in place; *got is how many were available. */
const uint8_t *fz_take(struct fz_in *in, size_t want, size_t *got);

#define FZ_CHECK(cond, ...)                                                                 \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      fprintf(stderr, "\nSGP FUZZ INVARIANT VIOLATED at %s:%d: %s\n  ", __FILE__, __LINE__, \
              #cond);                                                                       \
      fprintf(stderr, __VA_ARGS__);                                                         \
      fputc('\n', stderr);                                                                  \
      abort();                                                                              \
    }                                                                                       \
  } while (0)

/* Deterministic RNG callback of the library (sgp rng signature): splitmix64
 * of the uint64_t counter ctx points to, so a target's randomness is part of
 * its (snapshotted) state and every run of an input is the same. */
void fz_rng_fill(void *ctx, uint8_t *dst, size_t len);

/* Every return value of the library must be one of the named codes. */
void fz_check_named(sgp_err e, const char *what);

/* Copies the logical content of a packet (header and the used prefix of
 * the digest and report arrays; the rest of *dst is left as it was). */
void fz_packet_copy(sgp_packet *dst, const sgp_packet *src);

/* Copies a state into dst_mem (at least sgp_state_mem_size bytes, 8-byte
 * aligned) and re-points the copy's mem, entry, scratch and silent arrays
 * into it; keys, secret key and verifier are shared with src. */
void fz_state_copy(struct sgp_state *dst, void *dst_mem, const struct sgp_state *src);

#endif
