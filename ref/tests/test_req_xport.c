/* Requirement tests for the Noise layer's part of the transport (spec §7.3,
 * §7.5): SGP-XPORT-9, SGP-XPORT-23.
 *
 * Sessions, datagrams, timers and cookies are the transport issue (3) and
 * listed in spec/coverage-exempt.txt; what the library already fixes is the
 * ephemeral key handling of a handshake and the direction of the two
 * transport keys after Split.
 */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "sgp/hkdf.h"
#include "sgp/noise.h"

static void setup(void) {
  cr_assert(sodium_init() >= 0);
}
TestSuite(req_xport, .init = setup);

static const uint8_t PROLOGUE[5] = {'S', 'G', 'P', '/', '1'};

struct rng_log {
  size_t calls, bytes;
};

/* The CSPRNG, counting how it is used. */
static void csprng(void *ctx, uint8_t *out, size_t len) {
  struct rng_log *l = ctx;
  l->calls++;
  l->bytes += len;
  randombytes_buf(out, len);
}

struct peer {
  uint8_t sk[32], pk[32];
};

static void peer_init(struct peer *p) {
  randombytes_buf(p->sk, 32);
  cr_assert_eq(crypto_scalarmult_base(p->pk, p->sk), 0);
}

static void kk_init(struct sgp_noise_handshake *hs, enum sgp_noise_role role,
                    const struct peer *self, const struct peer *other, struct rng_log *log) {
  struct sgp_noise_config c;
  memset(&c, 0, sizeof c);
  c.pattern = SGP_NOISE_KK;
  c.role = role;
  c.prologue = PROLOGUE;
  c.prologue_len = sizeof PROLOGUE;
  c.s = self->sk;
  c.rs = other->pk;
  c.rng = csprng;
  c.rng_ctx = log;
  cr_assert_eq(sgp_noise_init(hs, &c), SGP_OK);
}

/* Runs message 1 (initiator -> responder) and message 2 (back); the wire
 * bytes of both are returned (the ephemeral public key comes first). */
static void handshake(struct sgp_noise_handshake *i, struct sgp_noise_handshake *r, uint8_t m1[128],
                      uint8_t m2[128]) {
  uint8_t pt[64];
  size_t len, plen;
  cr_assert_eq(sgp_noise_write_message(i, NULL, 0, m1, 128, &len), SGP_OK);
  cr_assert_eq(len, 32 + 16);
  cr_assert_eq(sgp_noise_read_message(r, m1, len, pt, sizeof pt, &plen), SGP_OK);
  cr_assert_eq(sgp_noise_write_message(r, NULL, 0, m2, 128, &len), SGP_OK);
  cr_assert_eq(sgp_noise_read_message(i, m2, len, pt, sizeof pt, &plen), SGP_OK);
}

/* SGP-XPORT-9: each handshake draws its own ephemeral key from the
 * injected CSPRNG (one 32-byte draw per side, at the e token), so two
 * handshakes between the same peers never share an ephemeral; the private
 * half is wiped at Split and when a handshake is abandoned, and a finished
 * handshake cannot be used for another message. */
Test(req_xport, xport9_fresh_ephemeral_per_handshake_wiped_after_use) {
  struct peer a, b;
  peer_init(&a);
  peer_init(&b);
  struct rng_log la = {0, 0}, lb = {0, 0};
  struct sgp_noise_handshake i1, r1, i2, r2;
  uint8_t m1a[128], m2a[128], m1b[128], m2b[128];

  kk_init(&i1, SGP_NOISE_INITIATOR, &a, &b, &la);
  kk_init(&r1, SGP_NOISE_RESPONDER, &b, &a, &lb);
  cr_assert_eq(la.calls, 0, "no ephemeral before the e token");
  handshake(&i1, &r1, m1a, m2a);
  cr_assert_eq(la.calls, 1);
  cr_assert_eq(la.bytes, 32);
  cr_assert_eq(lb.calls, 1);
  cr_assert_eq(lb.bytes, 32);

  kk_init(&i2, SGP_NOISE_INITIATOR, &a, &b, &la);
  kk_init(&r2, SGP_NOISE_RESPONDER, &b, &a, &lb);
  handshake(&i2, &r2, m1b, m2b);
  cr_assert_eq(la.calls, 2);
  cr_assert_neq(memcmp(m1a, m1b, 32), 0, "initiator ephemeral re-used");
  cr_assert_neq(memcmp(m2a, m2b, 32), 0, "responder ephemeral re-used");

  struct sgp_noise_cipher s, r;
  cr_assert_eq(sgp_noise_split(&i1, &s, &r), SGP_OK);
  cr_assert(sodium_is_zero(i1.e_sk, 32), "ephemeral secret kept after Split");
  uint8_t out[128];
  size_t len;
  cr_assert_eq(sgp_noise_write_message(&i1, NULL, 0, out, sizeof out, &len), SGP_ERR_STATE);
  cr_assert_eq(la.calls, 2, "a finished handshake drew a new ephemeral");
  sgp_noise_cipher_destroy(&s);
  sgp_noise_cipher_destroy(&r);

  /* Abandoned after message 1: destroy wipes the ephemeral with the rest. */
  struct sgp_noise_handshake i3;
  kk_init(&i3, SGP_NOISE_INITIATOR, &a, &b, &la);
  cr_assert_eq(sgp_noise_write_message(&i3, NULL, 0, out, sizeof out, &len), SGP_OK);
  cr_assert(!sodium_is_zero(i3.e_sk, 32));
  sgp_noise_handshake_destroy(&i3);
  cr_assert(sodium_is_zero((const unsigned char *)&i3, sizeof i3));
  sgp_noise_handshake_destroy(&r1);
  sgp_noise_handshake_destroy(&i2);
  sgp_noise_handshake_destroy(&r2);
}

/* SGP-XPORT-23: with (k1, k2) = HKDF(ck, empty, 2) after the last handshake
 * message, the initiator sends with k1 and receives with k2, the responder
 * the reverse; k1 != k2. */
Test(req_xport, xport23_initiator_sends_k1_responder_sends_k2) {
  struct peer a, b;
  peer_init(&a);
  peer_init(&b);
  struct rng_log la = {0, 0}, lb = {0, 0};
  struct sgp_noise_handshake i, r;
  uint8_t m1[128], m2[128];
  kk_init(&i, SGP_NOISE_INITIATOR, &a, &b, &la);
  kk_init(&r, SGP_NOISE_RESPONDER, &b, &a, &lb);
  handshake(&i, &r, m1, m2);
  cr_assert_eq(memcmp(i.ss.ck, r.ss.ck, 32), 0);
  uint8_t k1[32], k2[32];
  sgp_hkdf_noise(i.ss.ck, NULL, 0, k1, k2, NULL);
  cr_assert_neq(memcmp(k1, k2, 32), 0);

  struct sgp_noise_cipher is, ir, rs, rr;
  cr_assert_eq(sgp_noise_split(&i, &is, &ir), SGP_OK);
  cr_assert_eq(sgp_noise_split(&r, &rs, &rr), SGP_OK);
  cr_assert_eq(memcmp(is.k, k1, 32), 0, "initiator sends with k1");
  cr_assert_eq(memcmp(ir.k, k2, 32), 0, "initiator receives with k2");
  cr_assert_eq(memcmp(rs.k, k2, 32), 0, "responder sends with k2");
  cr_assert_eq(memcmp(rr.k, k1, 32), 0, "responder receives with k1");
  cr_assert_eq(is.n, 0);
  cr_assert_eq(rs.n, 0);

  /* And the keys work that way round: a message from the initiator opens
   * only with the responder's receive key. */
  const uint8_t msg[] = "delta";
  uint8_t ct[64], pt[64];
  size_t clen, plen;
  cr_assert_eq(sgp_noise_encrypt_at(&is, 0, NULL, 0, msg, sizeof msg, ct, sizeof ct, &clen),
               SGP_OK);
  cr_assert_eq(sgp_noise_decrypt_at(&rr, 0, NULL, 0, ct, clen, pt, sizeof pt, &plen), SGP_OK);
  cr_assert_eq(sgp_noise_decrypt_at(&ir, 0, NULL, 0, ct, clen, pt, sizeof pt, &plen),
               SGP_ERR_CRYPTO);
  sodium_memzero(k1, 32);
  sodium_memzero(k2, 32);
  sgp_noise_cipher_destroy(&is);
  sgp_noise_cipher_destroy(&ir);
  sgp_noise_cipher_destroy(&rs);
  sgp_noise_cipher_destroy(&rr);
  sgp_noise_handshake_destroy(&i);
  sgp_noise_handshake_destroy(&r);
}
