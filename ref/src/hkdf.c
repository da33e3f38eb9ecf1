/* HKDF-SHA256 (RFC 5869) and the Noise HKDF built on it; see sgp/hkdf.h. */
#include "sgp/hkdf.h"

#include <sodium.h>
#include <string.h>

/* HMAC keys of length 0 are legal; libsodium only needs a valid pointer. */
static const uint8_t empty[1] = {0};

void sgp_hkdf_extract(uint8_t prk[SGP_HKDF_HASH_LEN], const uint8_t *salt, size_t salt_len,
                      const uint8_t *ikm, size_t ikm_len) {
  crypto_auth_hmacsha256_state st;
  uint8_t out[SGP_HKDF_HASH_LEN];

  crypto_auth_hmacsha256_init(&st, salt_len ? salt : empty, salt_len);
  crypto_auth_hmacsha256_update(&st, ikm_len ? ikm : empty, ikm_len);
  crypto_auth_hmacsha256_final(&st, out);
  memcpy(prk, out, sizeof out);

  sodium_memzero(&st, sizeof st);
  sodium_memzero(out, sizeof out);
}

/* Expand with the length already checked against SGP_HKDF_MAX_OKM. */
static void expand(uint8_t *okm, size_t okm_len, const uint8_t prk[SGP_HKDF_HASH_LEN],
                   const uint8_t *info, size_t info_len) {
  crypto_auth_hmacsha256_state st;
  uint8_t key[SGP_HKDF_HASH_LEN];
  uint8_t t[SGP_HKDF_HASH_LEN];
  size_t done = 0;

  /* PRK may alias okm: keep our own copy before the first write to okm. */
  memcpy(key, prk, sizeof key);
  for (uint8_t i = 1; done < okm_len; i++) {
    crypto_auth_hmacsha256_init(&st, key, sizeof key);
    if (i > 1) crypto_auth_hmacsha256_update(&st, t, sizeof t);
    crypto_auth_hmacsha256_update(&st, info_len ? info : empty, info_len);
    crypto_auth_hmacsha256_update(&st, &i, 1);
    crypto_auth_hmacsha256_final(&st, t);
    size_t n = okm_len - done < sizeof t ? okm_len - done : sizeof t;
    memcpy(okm + done, t, n);
    done += n;
  }

  sodium_memzero(&st, sizeof st);
  sodium_memzero(key, sizeof key);
  sodium_memzero(t, sizeof t);
}

sgp_err sgp_hkdf_expand(uint8_t *okm, size_t okm_len, const uint8_t prk[SGP_HKDF_HASH_LEN],
                        const uint8_t *info, size_t info_len) {
  SGP_ENSURE(okm_len <= SGP_HKDF_MAX_OKM, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(okm != NULL || okm_len == 0, SGP_ERR_INVALID_ARG);
  expand(okm, okm_len, prk, info, info_len);
  return SGP_OK;
}

void sgp_hkdf_noise(const uint8_t ck[SGP_HKDF_HASH_LEN], const uint8_t *ikm, size_t ikm_len,
                    uint8_t out1[SGP_HKDF_HASH_LEN], uint8_t out2[SGP_HKDF_HASH_LEN],
                    uint8_t *out3) {
  uint8_t temp_key[SGP_HKDF_HASH_LEN];
  uint8_t okm[3 * SGP_HKDF_HASH_LEN];
  size_t n = out3 ? 3 : 2;

  /* Noise: temp_key = HMAC(ck, ikm); out_i = HMAC(temp_key, out_{i-1} || i),
   * which is exactly Extract(ck, ikm) then Expand(info = "", 32*n). */
  sgp_hkdf_extract(temp_key, ck, SGP_HKDF_HASH_LEN, ikm, ikm_len);
  expand(okm, n * SGP_HKDF_HASH_LEN, temp_key, NULL, 0);

  memcpy(out1, okm, SGP_HKDF_HASH_LEN);
  memcpy(out2, okm + SGP_HKDF_HASH_LEN, SGP_HKDF_HASH_LEN);
  if (out3) memcpy(out3, okm + (size_t)2 * SGP_HKDF_HASH_LEN, SGP_HKDF_HASH_LEN);

  sodium_memzero(temp_key, sizeof temp_key);
  sodium_memzero(okm, sizeof okm);
}
