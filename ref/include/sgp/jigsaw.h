/* Jigsaw mode (spec §8.4, SGP-JIG-*): an all-or-nothing transform applied
 * to a gossip packet before fragmentation, and the single XOR parity
 * fragment (k-of-(k+1) dispersal) of §8.1.
 *
 *   AONT(m), |m| = L, 1 <= L <= 262144:
 *     K = RANDOM(32)                      (injected rng, SGP-JIG-3)
 *     c = m XOR ChaCha20-IETF(K, nonce 0^12, block counter 0)
 *     d = SHA-256("SGP/1 jigsaw" || 0x00 || c)
 *     return c || (K XOR d)               (L + 32 bytes)
 *   AONT_inverse(J) recomputes K = J[L..L+32) XOR SHA-256(...c) and
 *   decrypts.  K depends on every byte of c, so without all of J the key,
 *   and hence every byte of m, is unknown: changing any byte of J turns the
 *   whole output into unrelated bytes.  There is no integrity check (the
 *   session AEAD provides it, §8.4): the inverse always "succeeds".
 *
 * Defence in depth only: every fragment is already AEAD-sealed.  Built only
 * from libsodium (crypto_stream_chacha20_ietf_xor, crypto_hash_sha256);
 * sodium_init must have run.  K, d and the hash state are wiped with
 * sodium_memzero before return (SGP-JIG-3, SGP-SEC-5).
 *
 * Parity: P = min(1158, T); the parity fragment is the byte-wise XOR of the
 * k data fragments, each zero-padded to P.  Any one missing data fragment is
 * the XOR of the parity and the other k - 1 (SGP-JIG-5).  General k-of-n
 * dispersal (Rabin IDA, Reed-Solomon) is not part of v1.
 */
#ifndef SGP_JIGSAW_H
#define SGP_JIGSAW_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/fragment.h"
#include "sgp/result.h"

enum { SGP_JIG_KEY_BYTES = 32 };

/* Must fill out with len uniformly random bytes (randombytes_buf in a node,
 * SGP-SEC-6; deterministic in tests and vectors). */
typedef void (*sgp_jig_rng)(void *ctx, uint8_t *out, size_t len);

/* The `jigsaw` configuration key (§1.4). */
enum sgp_jig_mode { SGP_JIG_OFF = 0, SGP_JIG_AONT = 1, SGP_JIG_AONT_PARITY = 2 };

/* AONT(m) into out (L + 32 bytes).  out may equal m (in place, out_cap >=
 * L + 32) but must not overlap it otherwise.  Errors: SGP_ERR_INVALID_ARG
 * (NULL, L = 0, partial overlap), SGP_ERR_TOO_LARGE (L > 262144),
 * SGP_ERR_NO_SPACE. */
SGP_MUST_CHECK sgp_err sgp_jig_aont(const uint8_t *m, size_t len, sgp_jig_rng rng, void *rng_ctx,
                                    uint8_t *out, size_t out_cap, size_t *out_len);

/* AONT_inverse(J) into out (L = |J| - 32 bytes).  out may equal pkg.
 * Errors: SGP_ERR_INVALID_ARG, SGP_ERR_TRUNCATED (|J| < 33),
 * SGP_ERR_TOO_LARGE (|J| > 262176), SGP_ERR_NO_SPACE. */
SGP_MUST_CHECK sgp_err sgp_jig_aont_inverse(const uint8_t *pkg, size_t len, uint8_t *out,
                                            size_t out_cap, size_t *out_len);

/* Sender (SGP-JIG-2): turns a gossip packet into the message to fragment,
 * per mode, and gives the flags for its data messages (0x00, 0x01, 0x03).
 * out must not overlap packet.  Errors as sgp_jig_aont, SGP_ERR_RANGE for
 * an unknown mode. */
SGP_MUST_CHECK sgp_err sgp_jig_encode(enum sgp_jig_mode mode, const uint8_t *packet, size_t len,
                                      sgp_jig_rng rng, void *rng_ctx, uint8_t *out, size_t out_cap,
                                      size_t *out_len, uint8_t *flags);

/* Receiver (SGP-JIG-4): a delivered message back to the gossip packet,
 * whatever the receiver's own mode: inverse AONT when flags has 0x01, a
 * copy otherwise.  out may equal msg.  Errors as sgp_jig_aont_inverse,
 * SGP_ERR_RESERVED for flags other than 0x00, 0x01, 0x03. */
SGP_MUST_CHECK sgp_err sgp_jig_decode(uint8_t flags, const uint8_t *msg, size_t len, uint8_t *out,
                                      size_t out_cap, size_t *out_len);

/* Parity fragment of a whole message of len bytes (1..262176), P bytes. */
SGP_MUST_CHECK sgp_err sgp_jig_parity(const uint8_t *msg, size_t len, uint8_t *out, size_t out_cap,
                                      size_t *parity_len);

/* SGP-JIG-5: rebuilds data fragment `missing` of msg (len bytes laid out
 * contiguously, that fragment's bytes arbitrary) in place from the parity
 * fragment (parity_len must be min(1158, len)) and the other fragments.
 * Errors: SGP_ERR_INVALID_ARG (NULL, len outside 1..262176, missing >= k,
 * wrong parity_len). */
SGP_MUST_CHECK sgp_err sgp_jig_rebuild(uint8_t *msg, size_t len, uint32_t missing,
                                       const uint8_t *parity, size_t parity_len);

#endif
