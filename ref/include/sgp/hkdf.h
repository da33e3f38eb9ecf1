/* HKDF over HMAC-SHA256 (libsodium crypto_auth_hmacsha256_*).
 *
 * Two faces of one construction:
 *  - RFC 5869 HKDF-Extract / HKDF-Expand, for general key derivation;
 *  - the Noise Protocol Framework's HKDF(chaining_key, ikm, n) (Noise rev 34
 *    §4.3), which is Extract(salt = ck, ikm) followed by Expand(info = "",
 *    L = 32 * n) for n = 2 or 3.
 *
 * Contract: every intermediate (PRK, HMAC state, T(i) blocks) is wiped with
 * sodium_memzero before return.  Outputs may alias inputs (the Noise form is
 * called as ck, k = HKDF(ck, ...)): results are built in scratch and copied
 * out last.  No allocation, no I/O.
 */
#ifndef SGP_HKDF_H
#define SGP_HKDF_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/result.h"

enum {
  SGP_HKDF_HASH_LEN = 32,                     /* SHA-256 output */
  SGP_HKDF_MAX_OKM = 255 * SGP_HKDF_HASH_LEN, /* RFC 5869 §2.3: L <= 255*HashLen */
};

/* PRK = HMAC-SHA256(salt, ikm).  An empty salt (salt_len 0, salt may be
 * NULL) means HashLen zero bytes, as RFC 5869 §2.2 specifies (HMAC pads the
 * key with zeros, so both are the same key).  Cannot fail. */
void sgp_hkdf_extract(uint8_t prk[SGP_HKDF_HASH_LEN], const uint8_t *salt, size_t salt_len,
                      const uint8_t *ikm, size_t ikm_len);

/* OKM = T(1) | T(2) | ... truncated to okm_len, with
 * T(i) = HMAC-SHA256(PRK, T(i-1) | info | i).
 * SGP_ERR_INVALID_ARG if okm_len > SGP_HKDF_MAX_OKM or okm is NULL with
 * okm_len > 0 (okm then untouched). */
SGP_MUST_CHECK sgp_err sgp_hkdf_expand(uint8_t *okm, size_t okm_len,
                                       const uint8_t prk[SGP_HKDF_HASH_LEN], const uint8_t *info,
                                       size_t info_len);

/* Noise HKDF: (out1, out2[, out3]) = HKDF(ck, ikm); out3 may be NULL for
 * the two-output form.  Any output may alias ck.  Cannot fail. */
void sgp_hkdf_noise(const uint8_t ck[SGP_HKDF_HASH_LEN], const uint8_t *ikm, size_t ikm_len,
                    uint8_t out1[SGP_HKDF_HASH_LEN], uint8_t out2[SGP_HKDF_HASH_LEN],
                    uint8_t *out3);

#endif
