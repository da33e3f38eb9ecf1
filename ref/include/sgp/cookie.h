/* Handshake MACs and cookies (spec §7.4 "MACs", §7.10), after WireGuard's
 * cookie.c with the primitives of spec §7.2: keyed BLAKE2b with 16-byte
 * output instead of BLAKE2s, XChaCha20-Poly1305 for the cookie reply.
 *
 *   mac1 = MAC(H32("SGP/1 mac1" || dh-pk[receiver]), m[0 .. |m|-32), 16)
 *   mac2 = MAC(cookie, m[0 .. |m|-16), 16)          or 16 zero bytes
 *   cookie(A) = MAC(R, addr(A), 16), addr(A) = IPv4 (4) or IPv6 (16) || port u16
 *   reply = 03 000000 | receiver_index u32 | nonce (24) |
 *           XAEAD(H32("SGP/1 cookie" || dh-pk[replier]), nonce, ad = mac1, cookie(A))
 *
 * Contract:
 *  - Pure: no I/O, no allocation, no clock; randomness (the secret R and
 *    reply nonces) comes from the caller's RNG callback.
 *  - Every MAC and tag comparison is constant time (crypto_verify_16,
 *    SGP-SEC-4).  mac1 is checked before anything else of a handshake and
 *    costs one BLAKE2b: it filters datagrams from senders that do not know
 *    the receiver's public key before any DH (SGP-XPORT-19).
 *  - Cookies are recomputed from (R, address), never stored per source
 *    (SGP-SEC-2, §12.3).  R and its predecessor are wiped on rotation and by
 *    sgp_cookie_checker_wipe (SGP-SEC-5, SGP-XPORT-46).
 *  - Rejections change nothing: checks are pure reads, and the reply opener
 *    writes the cookie only after the tag verified.
 */
#ifndef SGP_COOKIE_H
#define SGP_COOKIE_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/result.h"
#include "sgp/roster.h"

enum {
  SGP_MAC_BYTES = 16,           /* mac1, mac2, cookie */
  SGP_MACS_BYTES = 32,          /* mac1 || mac2 at the end of a handshake message */
  SGP_MAC_KEY_BYTES = 32,       /* H32 outputs used as MAC / XAEAD keys */
  SGP_COOKIE_SECRET_BYTES = 32, /* R */
  SGP_COOKIE_NONCE_BYTES = 24,
  SGP_COOKIE_REPLY_BYTES = 64,
  SGP_COOKIE_ADDR_MAX = 18, /* IPv6 (16) + port (2) */
  SGP_MSG_COOKIE_REPLY = 3, /* datagram type */
};

/* Times (spec §7.8). */
#define SGP_COOKIE_SECRET_TIME_MS 120000u
#define SGP_COOKIE_USE_TIME_MS 110000u

typedef void (*sgp_cookie_rng)(void *ctx, uint8_t *out, size_t len);

/* H32("SGP/1 mac1" || dh_pk): the key of mac1 for messages to dh_pk. */
void sgp_cookie_mac1_key(uint8_t key[SGP_MAC_KEY_BYTES], const uint8_t dh_pk[32]);
/* H32("SGP/1 cookie" || dh_pk): the key of cookie replies sent by dh_pk. */
void sgp_cookie_reply_key(uint8_t key[SGP_MAC_KEY_BYTES], const uint8_t dh_pk[32]);

/* addr(A): 4- or 16-byte address in network order, then the port (u16).
 * SGP_ERR_INVALID_ARG for an unknown family. */
SGP_MUST_CHECK sgp_err sgp_cookie_addr(const struct sgp_addr *a, uint8_t out[SGP_COOKIE_ADDR_MAX],
                                       size_t *out_len);

/* MAC(key, x, 16) = crypto_generichash with a 16..64-byte key. */
SGP_MUST_CHECK sgp_err sgp_cookie_mac(uint8_t out[SGP_MAC_BYTES], const uint8_t *key,
                                      size_t key_len, const uint8_t *x, size_t x_len);

/* Fills the last 32 bytes of msg (len >= 32) with mac1 and mac2; cookie
 * NULL gives a zero mac2 (SGP-XPORT-17, SGP-XPORT-18). */
SGP_MUST_CHECK sgp_err sgp_cookie_add_macs(uint8_t *msg, size_t len,
                                           const uint8_t mac1_key[SGP_MAC_KEY_BYTES],
                                           const uint8_t *cookie);

/* SGP_ERR_MAC1 unless the mac1 field of msg verifies (SGP-XPORT-19);
 * SGP_ERR_TRUNCATED if len < 32. */
SGP_MUST_CHECK sgp_err sgp_cookie_check_mac1(const uint8_t *msg, size_t len,
                                             const uint8_t mac1_key[SGP_MAC_KEY_BYTES]);

/* The cookie secret of a responder (current R and the previous one). */
struct sgp_cookie_checker {
  uint8_t secret[SGP_COOKIE_SECRET_BYTES];
  uint8_t prev[SGP_COOKIE_SECRET_BYTES];
  uint64_t born_ms; /* when `secret` was drawn */
  uint8_t has_prev;
  uint8_t pad_[7];
};

/* Draws R = RANDOM(32); no previous secret yet. */
void sgp_cookie_checker_init(struct sgp_cookie_checker *c, sgp_cookie_rng rng, void *rng_ctx,
                             uint64_t now_ms);
/* Replaces R once it is COOKIE_SECRET_TIME old (the old R becomes the
 * previous one, the one before is wiped).  Returns 1 if it rotated. */
int sgp_cookie_checker_rotate(struct sgp_cookie_checker *c, sgp_cookie_rng rng, void *rng_ctx,
                              uint64_t now_ms);
/* cookie(A) under the current secret. */
void sgp_cookie_checker_cookie(const struct sgp_cookie_checker *c, const uint8_t *addr,
                               size_t addr_len, uint8_t cookie[SGP_MAC_BYTES]);
/* SGP_OK if the mac2 field of msg is MAC(cookie(A), m[0..|m|-16)) under
 * the current or the previous secret, else SGP_ERR_COOKIE (SGP-XPORT-44). */
SGP_MUST_CHECK sgp_err sgp_cookie_checker_mac2(const struct sgp_cookie_checker *c,
                                               const uint8_t *msg, size_t len, const uint8_t *addr,
                                               size_t addr_len);
void sgp_cookie_checker_wipe(struct sgp_cookie_checker *c);

/* Writes the 64-byte cookie reply (SGP-XPORT-47). */
SGP_MUST_CHECK sgp_err sgp_cookie_reply_write(uint8_t out[SGP_COOKIE_REPLY_BYTES],
                                              uint32_t receiver_index,
                                              const uint8_t nonce[SGP_COOKIE_NONCE_BYTES],
                                              const uint8_t reply_key[SGP_MAC_KEY_BYTES],
                                              const uint8_t mac1[SGP_MAC_BYTES],
                                              const uint8_t cookie[SGP_MAC_BYTES]);

/* Reads a cookie reply's receiver_index after the layout checks: length
 * exactly 64 (SGP_ERR_TRUNCATED / SGP_ERR_TRAILING), type 3
 * (SGP_ERR_DGRAM_TYPE), reserved bytes zero (SGP_ERR_RESERVED). */
SGP_MUST_CHECK sgp_err sgp_cookie_reply_index(const uint8_t *msg, size_t len,
                                              uint32_t *receiver_index);

/* Decrypts the cookie of a reply (layout as above) with ad = the mac1 the
 * initiator sent (SGP-XPORT-48): SGP_ERR_AUTH on a tag mismatch, cookie
 * untouched. */
SGP_MUST_CHECK sgp_err sgp_cookie_reply_open(const uint8_t *msg, size_t len,
                                             const uint8_t reply_key[SGP_MAC_KEY_BYTES],
                                             const uint8_t mac1[SGP_MAC_BYTES],
                                             uint8_t cookie[SGP_MAC_BYTES]);

#endif
