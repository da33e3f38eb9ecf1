/* Handshake MACs and cookies; see sgp/cookie.h for the contract. */
#include "sgp/cookie.h"

#include <sodium.h>
#include <string.h>

#include "sgp/cursor.h"

static const char LABEL_MAC1[] = "SGP/1 mac1";     /* 10 bytes, no NUL */
static const char LABEL_COOKIE[] = "SGP/1 cookie"; /* 12 bytes, no NUL */

enum {
  HDR_BYTES = 8, /* type, 3 reserved, receiver_index */
  SEALED_BYTES = SGP_MAC_BYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES,
};

_Static_assert(HDR_BYTES + SGP_COOKIE_NONCE_BYTES + SEALED_BYTES == SGP_COOKIE_REPLY_BYTES,
               "cookie reply layout");
_Static_assert(SGP_COOKIE_NONCE_BYTES == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "nonce");

/* H32(label || pk), unkeyed BLAKE2b-256. */
static void h32_label(uint8_t out[SGP_MAC_KEY_BYTES], const char *label, size_t label_len,
                      const uint8_t pk[32]) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, SGP_MAC_KEY_BYTES);
  crypto_generichash_update(&st, (const uint8_t *)label, label_len);
  crypto_generichash_update(&st, pk, 32);
  crypto_generichash_final(&st, out, SGP_MAC_KEY_BYTES);
  sodium_memzero(&st, sizeof st);
}

void sgp_cookie_mac1_key(uint8_t key[SGP_MAC_KEY_BYTES], const uint8_t dh_pk[32]) {
  h32_label(key, LABEL_MAC1, sizeof LABEL_MAC1 - 1, dh_pk);
}

void sgp_cookie_reply_key(uint8_t key[SGP_MAC_KEY_BYTES], const uint8_t dh_pk[32]) {
  h32_label(key, LABEL_COOKIE, sizeof LABEL_COOKIE - 1, dh_pk);
}

sgp_err sgp_cookie_addr(const struct sgp_addr *a, uint8_t out[SGP_COOKIE_ADDR_MAX],
                        size_t *out_len) {
  SGP_ENSURE(a && out && out_len, SGP_ERR_INVALID_ARG);
  size_t ip_len;
  if (a->family == SGP_ADDR_V4)
    ip_len = 4;
  else if (a->family == SGP_ADDR_V6)
    ip_len = 16;
  else
    return SGP_ERR_INVALID_ARG;
  struct sgp_cursor w = sgp_cursor_writer(out, SGP_COOKIE_ADDR_MAX);
  SGP_GUARD(sgp_cursor_write(&w, a->ip, ip_len));
  SGP_GUARD(sgp_cursor_write_u16(&w, a->port));
  *out_len = w.pos;
  return SGP_OK;
}

sgp_err sgp_cookie_mac(uint8_t out[SGP_MAC_BYTES], const uint8_t *key, size_t key_len,
                       const uint8_t *x, size_t x_len) {
  SGP_ENSURE(out && key && (x || !x_len), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(
      key_len >= crypto_generichash_KEYBYTES_MIN && key_len <= crypto_generichash_KEYBYTES_MAX,
      SGP_ERR_INVALID_ARG);
  SGP_ENSURE(crypto_generichash(out, SGP_MAC_BYTES, x, x_len, key, key_len) == 0, SGP_ERR_CRYPTO);
  return SGP_OK;
}

sgp_err sgp_cookie_add_macs(uint8_t *msg, size_t len, const uint8_t mac1_key[SGP_MAC_KEY_BYTES],
                            const uint8_t *cookie) {
  SGP_ENSURE(msg && mac1_key, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(len >= SGP_MACS_BYTES, SGP_ERR_TRUNCATED);
  uint8_t *mac1 = msg + len - SGP_MACS_BYTES, *mac2 = msg + len - SGP_MAC_BYTES;
  SGP_GUARD(sgp_cookie_mac(mac1, mac1_key, SGP_MAC_KEY_BYTES, msg, len - SGP_MACS_BYTES));
  if (cookie)
    SGP_GUARD(sgp_cookie_mac(mac2, cookie, SGP_MAC_BYTES, msg, len - SGP_MAC_BYTES));
  else
    memset(mac2, 0, SGP_MAC_BYTES);
  return SGP_OK;
}

sgp_err sgp_cookie_check_mac1(const uint8_t *msg, size_t len,
                              const uint8_t mac1_key[SGP_MAC_KEY_BYTES]) {
  SGP_ENSURE(msg && mac1_key, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(len >= SGP_MACS_BYTES, SGP_ERR_TRUNCATED);
  uint8_t want[SGP_MAC_BYTES];
  SGP_GUARD(sgp_cookie_mac(want, mac1_key, SGP_MAC_KEY_BYTES, msg, len - SGP_MACS_BYTES));
  int bad = crypto_verify_16(want, msg + len - SGP_MACS_BYTES);
  sodium_memzero(want, sizeof want);
  return bad ? SGP_ERR_MAC1 : SGP_OK;
}

/* ---- responder: cookie secret ------------------------------------------ */

void sgp_cookie_checker_init(struct sgp_cookie_checker *c, sgp_cookie_rng rng, void *rng_ctx,
                             uint64_t now_ms) {
  sodium_memzero(c, sizeof *c);
  rng(rng_ctx, c->secret, sizeof c->secret);
  c->born_ms = now_ms;
}

int sgp_cookie_checker_rotate(struct sgp_cookie_checker *c, sgp_cookie_rng rng, void *rng_ctx,
                              uint64_t now_ms) {
  if (now_ms < c->born_ms || now_ms - c->born_ms < SGP_COOKIE_SECRET_TIME_MS) return 0;
  memcpy(c->prev, c->secret, sizeof c->prev);
  c->has_prev = 1;
  rng(rng_ctx, c->secret, sizeof c->secret);
  c->born_ms = now_ms;
  return 1;
}

/* MAC(R, addr): the secret is 32 bytes, a valid BLAKE2b key length. */
static void make_cookie(const uint8_t secret[SGP_COOKIE_SECRET_BYTES], const uint8_t *addr,
                        size_t addr_len, uint8_t cookie[SGP_MAC_BYTES]) {
  static const uint8_t none[1] = {0};
  crypto_generichash(cookie, SGP_MAC_BYTES, addr_len ? addr : none, addr_len, secret,
                     SGP_COOKIE_SECRET_BYTES);
}

void sgp_cookie_checker_cookie(const struct sgp_cookie_checker *c, const uint8_t *addr,
                               size_t addr_len, uint8_t cookie[SGP_MAC_BYTES]) {
  make_cookie(c->secret, addr, addr_len, cookie);
}

/* 1 if mac2 of msg verifies under the cookie of secret for addr. */
static int mac2_ok(const uint8_t secret[SGP_COOKIE_SECRET_BYTES], const uint8_t *msg, size_t len,
                   const uint8_t *addr, size_t addr_len) {
  uint8_t cookie[SGP_MAC_BYTES], want[SGP_MAC_BYTES];
  make_cookie(secret, addr, addr_len, cookie);
  crypto_generichash(want, SGP_MAC_BYTES, msg, len - SGP_MAC_BYTES, cookie, SGP_MAC_BYTES);
  int ok = crypto_verify_16(want, msg + len - SGP_MAC_BYTES) == 0;
  sodium_memzero(cookie, sizeof cookie);
  sodium_memzero(want, sizeof want);
  return ok;
}

sgp_err sgp_cookie_checker_mac2(const struct sgp_cookie_checker *c, const uint8_t *msg, size_t len,
                                const uint8_t *addr, size_t addr_len) {
  SGP_ENSURE(c && msg && (addr || !addr_len), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(len >= SGP_MACS_BYTES, SGP_ERR_TRUNCATED);
  /* Both candidates are always computed: the time taken does not reveal
   * which secret matched. */
  int cur = mac2_ok(c->secret, msg, len, addr, addr_len);
  int old = mac2_ok(c->prev, msg, len, addr, addr_len) && c->has_prev;
  return (cur | old) ? SGP_OK : SGP_ERR_COOKIE;
}

void sgp_cookie_checker_wipe(struct sgp_cookie_checker *c) {
  if (c) sodium_memzero(c, sizeof *c);
}

/* ---- cookie reply ------------------------------------------------------- */

sgp_err sgp_cookie_reply_write(uint8_t out[SGP_COOKIE_REPLY_BYTES], uint32_t receiver_index,
                               const uint8_t nonce[SGP_COOKIE_NONCE_BYTES],
                               const uint8_t reply_key[SGP_MAC_KEY_BYTES],
                               const uint8_t mac1[SGP_MAC_BYTES],
                               const uint8_t cookie[SGP_MAC_BYTES]) {
  SGP_ENSURE(out && nonce && reply_key && mac1 && cookie, SGP_ERR_INVALID_ARG);
  struct sgp_cursor w = sgp_cursor_writer(out, SGP_COOKIE_REPLY_BYTES);
  SGP_GUARD(sgp_cursor_write_u8(&w, SGP_MSG_COOKIE_REPLY));
  SGP_GUARD(sgp_cursor_write_u8(&w, 0));
  SGP_GUARD(sgp_cursor_write_u16(&w, 0));
  SGP_GUARD(sgp_cursor_write_u32(&w, receiver_index));
  SGP_GUARD(sgp_cursor_write(&w, nonce, SGP_COOKIE_NONCE_BYTES));
  SGP_ENSURE(sgp_cursor_left(&w) == SEALED_BYTES, SGP_ERR_NO_SPACE);
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + w.pos, NULL, cookie, SGP_MAC_BYTES, mac1,
                                             SGP_MAC_BYTES, NULL, nonce, reply_key);
  return SGP_OK;
}

sgp_err sgp_cookie_reply_index(const uint8_t *msg, size_t len, uint32_t *receiver_index) {
  SGP_ENSURE(msg && receiver_index, SGP_ERR_INVALID_ARG);
  struct sgp_cursor r = sgp_cursor_reader(msg, len);
  uint8_t type, res0;
  uint16_t res1;
  uint32_t idx;
  SGP_ENSURE(len >= SGP_COOKIE_REPLY_BYTES, SGP_ERR_TRUNCATED);
  SGP_ENSURE(len == SGP_COOKIE_REPLY_BYTES, SGP_ERR_TRAILING);
  SGP_GUARD(sgp_cursor_read_u8(&r, &type));
  SGP_ENSURE(type == SGP_MSG_COOKIE_REPLY, SGP_ERR_DGRAM_TYPE);
  SGP_GUARD(sgp_cursor_read_u8(&r, &res0));
  SGP_GUARD(sgp_cursor_read_u16(&r, &res1));
  SGP_ENSURE(res0 == 0 && res1 == 0, SGP_ERR_RESERVED);
  SGP_GUARD(sgp_cursor_read_u32(&r, &idx));
  *receiver_index = idx;
  return SGP_OK;
}

sgp_err sgp_cookie_reply_open(const uint8_t *msg, size_t len,
                              const uint8_t reply_key[SGP_MAC_KEY_BYTES],
                              const uint8_t mac1[SGP_MAC_BYTES], uint8_t cookie[SGP_MAC_BYTES]) {
  uint32_t idx;
  SGP_ENSURE(reply_key && mac1 && cookie, SGP_ERR_INVALID_ARG);
  SGP_GUARD(sgp_cookie_reply_index(msg, len, &idx));
  struct sgp_cursor r = sgp_cursor_reader(msg, len);
  const uint8_t *nonce, *sealed;
  SGP_GUARD(sgp_cursor_skip(&r, HDR_BYTES));
  SGP_GUARD(sgp_cursor_take(&r, &nonce, SGP_COOKIE_NONCE_BYTES));
  SGP_GUARD(sgp_cursor_take(&r, &sealed, SEALED_BYTES));
  SGP_GUARD(sgp_cursor_end(&r));
  uint8_t tmp[SGP_MAC_BYTES];
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(tmp, NULL, NULL, sealed, SEALED_BYTES, mac1,
                                                 SGP_MAC_BYTES, nonce, reply_key) != 0) {
    sodium_memzero(tmp, sizeof tmp);
    return SGP_ERR_AUTH;
  }
  memcpy(cookie, tmp, SGP_MAC_BYTES);
  sodium_memzero(tmp, sizeof tmp);
  return SGP_OK;
}
