/* HKDF-SHA256: RFC 5869 Appendix A test cases 1-3 (the SHA-256 ones; the
 * hex below is typed from the RFC's public test vectors), length limits,
 * and the Noise HKDF as Extract + Expand. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "sgp/hkdf.h"

static size_t unhex(uint8_t *out, size_t cap, const char *hex) {
  size_t len = 0;
  if (sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &len, NULL) != 0) cr_assert_fail("bad hex");
  return len;
}

static void fill_range(uint8_t *out, uint8_t first, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = (uint8_t)(first + i);
}

static void check_case(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
                       const uint8_t *info, size_t info_len, const char *prk_hex,
                       const char *okm_hex) {
  uint8_t want_prk[32], want_okm[128], prk[32], okm[128];
  cr_assert_eq(unhex(want_prk, sizeof want_prk, prk_hex), 32);
  size_t L = unhex(want_okm, sizeof want_okm, okm_hex);

  sgp_hkdf_extract(prk, salt, salt_len, ikm, ikm_len);
  cr_assert_arr_eq(prk, want_prk, 32, "PRK");
  cr_assert_eq(sgp_hkdf_expand(okm, L, prk, info, info_len), SGP_OK);
  cr_assert_arr_eq(okm, want_okm, L, "OKM");
}

/* SGP-XPORT-6: HKDF is RFC 5869 HKDF-SHA256 (test case 1, basic). */
Test(hkdf, rfc5869_case1_basic) {
  uint8_t ikm[22], salt[13], info[10];
  memset(ikm, 0x0b, sizeof ikm);
  fill_range(salt, 0x00, sizeof salt);
  fill_range(info, 0xf0, sizeof info);
  check_case(
      ikm, sizeof ikm, salt, sizeof salt, info, sizeof info,
      "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

/* SGP-XPORT-6: test case 2, longer inputs/outputs (multi-block expand). */
Test(hkdf, rfc5869_case2_long) {
  uint8_t ikm[80], salt[80], info[80];
  fill_range(ikm, 0x00, sizeof ikm);
  fill_range(salt, 0x60, sizeof salt);
  fill_range(info, 0xb0, sizeof info);
  check_case(ikm, sizeof ikm, salt, sizeof salt, info, sizeof info,
             "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
             "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
             "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
             "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

/* SGP-XPORT-6: test case 3, zero-length salt and info. */
Test(hkdf, rfc5869_case3_empty_salt_info) {
  uint8_t ikm[22];
  memset(ikm, 0x0b, sizeof ikm);
  check_case(ikm, sizeof ikm, NULL, 0, NULL, 0,
             "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
             "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
             "9d201395faa4b61a96c8");
}

/* RFC 5869 §2.2: absent salt == HashLen zero bytes. */
Test(hkdf, empty_salt_equals_zero_salt) {
  uint8_t zeros[32] = {0}, ikm[5] = {1, 2, 3, 4, 5}, a[32], b[32];
  sgp_hkdf_extract(a, NULL, 0, ikm, sizeof ikm);
  sgp_hkdf_extract(b, zeros, sizeof zeros, ikm, sizeof ikm);
  cr_assert_arr_eq(a, b, 32);
}

/* RFC 5869 §2.3: L <= 255*HashLen. */
Test(hkdf, expand_length_limit) {
  static uint8_t okm[SGP_HKDF_MAX_OKM + 1];
  uint8_t prk[32] = {7};
  cr_assert_eq(sgp_hkdf_expand(okm, SGP_HKDF_MAX_OKM, prk, NULL, 0), SGP_OK);
  memset(okm, 0xaa, sizeof okm);
  cr_assert_eq(sgp_hkdf_expand(okm, SGP_HKDF_MAX_OKM + 1, prk, NULL, 0), SGP_ERR_INVALID_ARG);
  cr_assert_eq(okm[0], 0xaa, "rejected call must not write");
  cr_assert_eq(sgp_hkdf_expand(NULL, 1, prk, NULL, 0), SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_hkdf_expand(NULL, 0, prk, NULL, 0), SGP_OK);
}

/* A shorter expand is a prefix of a longer one (T(i) chaining). */
Test(hkdf, expand_prefix) {
  uint8_t prk[32] = {9}, a[100], b[33];
  cr_assert_eq(sgp_hkdf_expand(a, sizeof a, prk, (const uint8_t *)"x", 1), SGP_OK);
  cr_assert_eq(sgp_hkdf_expand(b, sizeof b, prk, (const uint8_t *)"x", 1), SGP_OK);
  cr_assert_arr_eq(a, b, sizeof b);
}

/* SGP-XPORT-6: Noise HKDF(ck, ikm, n) == Extract(ck, ikm) then Expand("", 32n),
 * and outputs may alias the chaining key (ck, k = HKDF(ck, ...)). */
Test(hkdf, noise_form_matches_rfc_and_allows_alias) {
  uint8_t ck[32], ikm[40], prk[32], okm[96], o1[32], o2[32], o3[32];
  for (size_t i = 0; i < sizeof ck; i++) ck[i] = (uint8_t)(3 * i + 1);
  for (size_t i = 0; i < sizeof ikm; i++) ikm[i] = (uint8_t)(200 - i);
  sgp_hkdf_extract(prk, ck, sizeof ck, ikm, sizeof ikm);
  cr_assert_eq(sgp_hkdf_expand(okm, sizeof okm, prk, NULL, 0), SGP_OK);

  sgp_hkdf_noise(ck, ikm, sizeof ikm, o1, o2, o3);
  cr_assert_arr_eq(o1, okm, 32);
  cr_assert_arr_eq(o2, okm + 32, 32);
  cr_assert_arr_eq(o3, okm + 64, 32);

  uint8_t ck2[32];
  memcpy(ck2, ck, sizeof ck);
  sgp_hkdf_noise(ck2, ikm, sizeof ikm, ck2, o2, NULL);
  cr_assert_arr_eq(ck2, okm, 32, "out1 aliasing ck");
  cr_assert_arr_eq(o2, okm + 32, 32);

  /* Zero-length ikm (Split). */
  sgp_hkdf_extract(prk, ck, sizeof ck, NULL, 0);
  cr_assert_eq(sgp_hkdf_expand(okm, 64, prk, NULL, 0), SGP_OK);
  sgp_hkdf_noise(ck, NULL, 0, o1, o2, NULL);
  cr_assert_arr_eq(o1, okm, 32);
  cr_assert_arr_eq(o2, okm + 32, 32);
}
