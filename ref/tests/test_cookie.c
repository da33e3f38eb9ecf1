/* Handshake MACs and cookies (sgp/cookie.h), spec §7.4 "MACs" and §7.10.
 * The end-to-end cookie path under load is in test_session.c. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "sgp/cookie.h"

static void setup(void) {
  cr_assert(sodium_init() >= 0);
}
TestSuite(cookie, .init = setup);

/* A counter-mode RNG: reproducible secrets and nonces. */
static void counting_rng(void *ctx, uint8_t *out, size_t len) {
  uint8_t *c = ctx;
  for (size_t i = 0; i < len; i++) out[i] = (uint8_t)(*c + i);
  (*c)++;
}

static void pk_of(uint8_t pk[32], uint8_t fill) {
  uint8_t sk[32];
  memset(sk, fill, sizeof sk);
  cr_assert_eq(crypto_scalarmult_base(pk, sk), 0);
}

/* SGP-XPORT-10: the key derivations are H32 (unkeyed BLAKE2b-256) of the
 * 10-byte label "SGP/1 mac1" (12-byte "SGP/1 cookie") and the key, and MAC
 * is keyed BLAKE2b with a 16-byte output, exactly as in the table of §7.2. */
Test(cookie, primitives_as_in_spec_table) {
  uint8_t pk[32], in[44], want[32], got[32], mac[16], mac_want[16];
  pk_of(pk, 7);
  memcpy(in, "SGP/1 mac1", 10);
  memcpy(in + 10, pk, 32);
  crypto_generichash(want, 32, in, 42, NULL, 0);
  sgp_cookie_mac1_key(got, pk);
  cr_assert_eq(memcmp(want, got, 32), 0);

  memcpy(in, "SGP/1 cookie", 12);
  memcpy(in + 12, pk, 32);
  crypto_generichash(want, 32, in, 44, NULL, 0);
  sgp_cookie_reply_key(got, pk);
  cr_assert_eq(memcmp(want, got, 32), 0);

  crypto_generichash(mac_want, 16, in, sizeof in, got, 32);
  cr_assert_eq(sgp_cookie_mac(mac, got, 32, in, sizeof in), SGP_OK);
  cr_assert_eq(memcmp(mac, mac_want, 16), 0);
  cr_assert_eq(sgp_cookie_mac(mac, got, 15, in, sizeof in), SGP_ERR_INVALID_ARG);
}

/* SGP-XPORT-17, SGP-XPORT-19: mac1 covers m[0 .. |m|-32) under the
 * receiver's key; changing any covered byte or mac1 itself, or using
 * another receiver's key, fails with SGP_ERR_MAC1.  mac2 is outside mac1. */
Test(cookie, mac1_covers_every_byte_before_it) {
  uint8_t pk[32], other[32], key[32], okey[32], m[100];
  pk_of(pk, 1);
  pk_of(other, 2);
  sgp_cookie_mac1_key(key, pk);
  sgp_cookie_mac1_key(okey, other);
  for (size_t i = 0; i < sizeof m; i++) m[i] = (uint8_t)(i * 13);
  cr_assert_eq(sgp_cookie_add_macs(m, sizeof m, key, NULL), SGP_OK);
  cr_assert_eq(sgp_cookie_check_mac1(m, sizeof m, key), SGP_OK);
  cr_assert_eq(sgp_cookie_check_mac1(m, sizeof m, okey), SGP_ERR_MAC1);
  for (size_t i = 0; i < sizeof m - 16; i++) {
    m[i] ^= 0x01;
    cr_assert_eq(sgp_cookie_check_mac1(m, sizeof m, key), SGP_ERR_MAC1, "byte %zu", i);
    m[i] ^= 0x01;
  }
  m[sizeof m - 1] ^= 0x80; /* mac2 is not covered by mac1 */
  cr_assert_eq(sgp_cookie_check_mac1(m, sizeof m, key), SGP_OK);
  cr_assert_eq(sgp_cookie_check_mac1(m, 31, key), SGP_ERR_TRUNCATED);
}

/* SGP-XPORT-18: without a cookie mac2 is 16 zero bytes; with one it is
 * MAC(cookie, m[0 .. |m|-16)). */
Test(cookie, mac2_zero_without_cookie_else_keyed_by_cookie) {
  uint8_t pk[32], key[32], m[120], cookie[16], want[16];
  static const uint8_t zero[16] = {0};
  pk_of(pk, 3);
  sgp_cookie_mac1_key(key, pk);
  memset(m, 0x5a, sizeof m);
  cr_assert_eq(sgp_cookie_add_macs(m, sizeof m, key, NULL), SGP_OK);
  cr_assert_eq(memcmp(m + sizeof m - 16, zero, 16), 0);
  memset(cookie, 0x11, sizeof cookie);
  cr_assert_eq(sgp_cookie_add_macs(m, sizeof m, key, cookie), SGP_OK);
  crypto_generichash(want, 16, m, sizeof m - 16, cookie, 16);
  cr_assert_eq(memcmp(m + sizeof m - 16, want, 16), 0);
}

/* addr(A): 4 or 16 address bytes, then the port as u16 (§7.10). */
Test(cookie, source_address_encoding) {
  struct sgp_addr a;
  uint8_t out[SGP_COOKIE_ADDR_MAX];
  size_t len;
  memset(&a, 0, sizeof a);
  a.family = SGP_ADDR_V4;
  a.ip[0] = 192, a.ip[1] = 0, a.ip[2] = 2, a.ip[3] = 7;
  a.port = 51820;
  cr_assert_eq(sgp_cookie_addr(&a, out, &len), SGP_OK);
  cr_assert_eq(len, 6);
  static const uint8_t v4[6] = {192, 0, 2, 7, 0xca, 0x6c};
  cr_assert_eq(memcmp(out, v4, 6), 0);
  a.family = SGP_ADDR_V6;
  memset(a.ip, 0x20, 16);
  cr_assert_eq(sgp_cookie_addr(&a, out, &len), SGP_OK);
  cr_assert_eq(len, 18);
  cr_assert_eq(out[16], 0xca);
  a.family = 5;
  cr_assert_eq(sgp_cookie_addr(&a, out, &len), SGP_ERR_INVALID_ARG);
}

/* SGP-XPORT-44, SGP-XPORT-46: mac2 verifies under the cookie of the source
 * address for the current or the previous secret; the secret is RANDOM(32),
 * rotated every COOKIE_SECRET_TIME; a cookie for another address or port,
 * or from two rotations ago, fails with SGP_ERR_COOKIE. */
Test(cookie, checker_current_and_previous_secret) {
  uint8_t ctr = 0, pk[32], key[32], m[100], cookie[16];
  const uint8_t a1[6] = {10, 0, 0, 1, 0x1f, 0x90}, a2[6] = {10, 0, 0, 1, 0x1f, 0x91};
  struct sgp_cookie_checker c;
  pk_of(pk, 4);
  sgp_cookie_mac1_key(key, pk);
  memset(m, 0x33, sizeof m);
  sgp_cookie_checker_init(&c, counting_rng, &ctr, 1000);
  cr_assert_eq(ctr, 1);

  sgp_cookie_checker_cookie(&c, a1, sizeof a1, cookie);
  cr_assert_eq(sgp_cookie_add_macs(m, sizeof m, key, cookie), SGP_OK);
  cr_assert_eq(sgp_cookie_checker_mac2(&c, m, sizeof m, a1, sizeof a1), SGP_OK);
  cr_assert_eq(sgp_cookie_checker_mac2(&c, m, sizeof m, a2, sizeof a2), SGP_ERR_COOKIE);
  cr_assert_eq(sgp_cookie_add_macs(m, sizeof m, key, NULL), SGP_OK);
  cr_assert_eq(sgp_cookie_checker_mac2(&c, m, sizeof m, a1, sizeof a1), SGP_ERR_COOKIE);
  cr_assert_eq(sgp_cookie_add_macs(m, sizeof m, key, cookie), SGP_OK);

  cr_assert_eq(sgp_cookie_checker_rotate(&c, counting_rng, &ctr, 1000 + 119999), 0);
  cr_assert_eq(sgp_cookie_checker_rotate(&c, counting_rng, &ctr, 1000 + 120000), 1);
  cr_assert_eq(ctr, 2);
  cr_assert_eq(sgp_cookie_checker_mac2(&c, m, sizeof m, a1, sizeof a1), SGP_OK, "previous");
  cr_assert_eq(sgp_cookie_checker_rotate(&c, counting_rng, &ctr, 1000 + 240000), 1);
  cr_assert_eq(sgp_cookie_checker_mac2(&c, m, sizeof m, a1, sizeof a1), SGP_ERR_COOKIE);

  sgp_cookie_checker_wipe(&c);
  static const struct sgp_cookie_checker zero;
  cr_assert_eq(memcmp(&c, &zero, sizeof c), 0);
}

/* SGP-XPORT-47, SGP-XPORT-48: the 64-byte reply layout; it opens only
 * with the replier's key and ad = the mac1 the initiator sent; any other
 * length, type or reserved byte is refused by the layout check. */
Test(cookie, reply_layout_and_opening) {
  uint8_t pk[32], other[32], key[32], okey[32], mac1[16], nonce[24], cookie[16], got[16];
  uint8_t r[SGP_COOKIE_REPLY_BYTES + 1];
  uint32_t idx = 0;
  pk_of(pk, 5);
  pk_of(other, 6);
  sgp_cookie_reply_key(key, pk);
  sgp_cookie_reply_key(okey, other);
  memset(mac1, 0x42, sizeof mac1);
  memset(nonce, 0x24, sizeof nonce);
  memset(cookie, 0x99, sizeof cookie);
  cr_assert_eq(sgp_cookie_reply_write(r, 0xdeadbeef, nonce, key, mac1, cookie), SGP_OK);
  cr_assert_eq(r[0], 3);
  cr_assert_eq(r[1] | r[2] | r[3], 0);
  cr_assert_eq(memcmp(r + 8, nonce, 24), 0);
  cr_assert_eq(sgp_cookie_reply_index(r, 64, &idx), SGP_OK);
  cr_assert_eq(idx, 0xdeadbeef);

  memset(got, 0, sizeof got);
  cr_assert_eq(sgp_cookie_reply_open(r, 64, key, mac1, got), SGP_OK);
  cr_assert_eq(memcmp(got, cookie, 16), 0);

  memset(got, 0, sizeof got);
  cr_assert_eq(sgp_cookie_reply_open(r, 64, okey, mac1, got), SGP_ERR_AUTH);
  mac1[0] ^= 1;
  cr_assert_eq(sgp_cookie_reply_open(r, 64, key, mac1, got), SGP_ERR_AUTH);
  mac1[0] ^= 1;
  static const uint8_t zero[16] = {0};
  cr_assert_eq(memcmp(got, zero, 16), 0, "cookie untouched on failure");
  r[40] ^= 1;
  cr_assert_eq(sgp_cookie_reply_open(r, 64, key, mac1, got), SGP_ERR_AUTH);
  r[40] ^= 1;

  cr_assert_eq(sgp_cookie_reply_open(r, 63, key, mac1, got), SGP_ERR_TRUNCATED);
  r[64] = 0;
  cr_assert_eq(sgp_cookie_reply_open(r, 65, key, mac1, got), SGP_ERR_TRAILING);
  r[2] = 1;
  cr_assert_eq(sgp_cookie_reply_open(r, 64, key, mac1, got), SGP_ERR_RESERVED);
  r[2] = 0;
  r[0] = 4;
  cr_assert_eq(sgp_cookie_reply_open(r, 64, key, mac1, got), SGP_ERR_DGRAM_TYPE);
}
