/* Noise layer (sgp/noise.h).
 *
 * The vector test reads shared/vectors/noise-25519-chachapoly-sha256.json at
 * run time (never copied into the repo) and fails if it is missing.
 *
 * Requirement IDs used here:
 *  SGP-XPORT-1  Noise_KK_25519_ChaChaPoly_SHA256 exactly as Noise rev 34:
 *               handshake messages, handshake hash and transport messages
 *               byte-for-byte equal to the public test vectors.
 *  SGP-XPORT-2  handshake steps only in pattern order; anything else is
 *               SGP_ERR_STATE.
 *  SGP-XPORT-3  a rejected handshake message (bad tag, low-order DH, wrong
 *               key, truncated, oversize) is reported with its specific code
 *               and changes no state.
 *  SGP-XPORT-4  transport nonce = 32 zero bits || LE64 counter; the counter
 *               2^64-1 is never used; Noise messages are <= 65535 bytes.
 *  SGP-XPORT-5  secrets are wiped after Split and on destroy.
 *  SGP-XPORT-7  the prologue "SGP/1" is bound into the handshake.
 * (SGP-XPORT-6, HKDF, is in test_hkdf.c.)
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "sgp/noise.h"
#include "testutil.h"

#define VECTORS_PATH SGP_SHARED_DIR "/vectors/noise-25519-chachapoly-sha256.json"
#define BUF 65600

static void init_sodium(void) {
  cr_assert(sodium_init() >= 0);
}

/* ---- helpers ------------------------------------------------------------ */

static void test_rng(void *ctx, uint8_t *out, size_t len) {
  uint64_t *s = ctx;
  for (size_t i = 0; i < len; i++) out[i] = (uint8_t)(tu_rand(s) >> 32);
}

struct keypair {
  uint8_t sk[32], pk[32];
};

static void make_keypair(struct keypair *k, uint8_t seed) {
  memset(k->sk, seed, sizeof k->sk);
  cr_assert_eq(crypto_scalarmult_base(k->pk, k->sk), 0);
}

static const uint8_t prologue[] = {'S', 'G', 'P', '/', '1'};

static struct sgp_noise_config base_config(enum sgp_noise_pattern p, enum sgp_noise_role role,
                                           const struct keypair *self, const uint8_t *rs,
                                           uint64_t *rng_state) {
  struct sgp_noise_config c = {0};
  c.pattern = p;
  c.role = role;
  c.prologue = prologue;
  c.prologue_len = sizeof prologue;
  c.s = self->sk;
  c.rs = rs;
  c.rng = test_rng;
  c.rng_ctx = rng_state;
  return c;
}

/* Two KK handshakes ready to start (initiator a, responder b). */
struct kk {
  struct keypair ka, kb;
  uint64_t ra, rb;
  struct sgp_noise_handshake a, b;
};

static void kk_setup(struct kk *t) {
  init_sodium();
  make_keypair(&t->ka, 0x11);
  make_keypair(&t->kb, 0x22);
  t->ra = 1;
  t->rb = 2;
  struct sgp_noise_config ca =
      base_config(SGP_NOISE_KK, SGP_NOISE_INITIATOR, &t->ka, t->kb.pk, &t->ra);
  struct sgp_noise_config cb =
      base_config(SGP_NOISE_KK, SGP_NOISE_RESPONDER, &t->kb, t->ka.pk, &t->rb);
  cr_assert_eq(sgp_noise_init(&t->a, &ca), SGP_OK);
  cr_assert_eq(sgp_noise_init(&t->b, &cb), SGP_OK);
}

/* Writes one message from w and reads it at r; returns the wire length. */
static size_t pass(struct sgp_noise_handshake *w, struct sgp_noise_handshake *r,
                   const char *payload) {
  static uint8_t msg[BUF], pt[BUF];
  size_t len = 0, pt_len = 0, plen = strlen(payload);
  cr_assert_eq(sgp_noise_write_message(w, (const uint8_t *)payload, plen, msg, sizeof msg, &len),
               SGP_OK);
  cr_assert_eq(sgp_noise_read_message(r, msg, len, pt, sizeof pt, &pt_len), SGP_OK);
  cr_assert_eq(pt_len, plen);
  cr_assert(memcmp(pt, payload, plen) == 0);
  return len;
}

static void transport_roundtrips(struct sgp_noise_cipher *send, struct sgp_noise_cipher *recv,
                                 int count) {
  uint8_t ct[128], pt[128];
  for (int i = 0; i < count; i++) {
    char msg[32];
    size_t ct_len, pt_len, n = (size_t)snprintf(msg, sizeof msg, "transport %d", i);
    cr_assert_eq(sgp_noise_encrypt(send, NULL, 0, (const uint8_t *)msg, n, ct, sizeof ct, &ct_len),
                 SGP_OK);
    cr_assert_eq(ct_len, n + SGP_NOISE_TAGLEN);
    cr_assert_eq(sgp_noise_decrypt(recv, NULL, 0, ct, ct_len, pt, sizeof pt, &pt_len), SGP_OK);
    cr_assert_eq(pt_len, n);
    cr_assert(memcmp(pt, msg, n) == 0);
  }
}

/* ---- test vectors --------------------------------------------------------- */

/* Hex field -> bytes; returns 0 if the key is absent. */
static int hex_field(json_t *v, const char *key, uint8_t *out, size_t cap, size_t *len) {
  json_t *f = json_object_get(v, key);
  if (!f) return 0;
  const char *hex = json_string_value(f);
  cr_assert_not_null(hex, "field %s is not a string", key);
  size_t n = 0;
  cr_assert_eq(sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &n, NULL), 0, "bad hex in %s", key);
  if (len) *len = n;
  return 1;
}

static int hex_key(json_t *v, const char *key, uint8_t out[32]) {
  size_t n = 0;
  if (!hex_field(v, key, out, 32, &n)) return 0;
  cr_assert_eq(n, 32, "%s is not 32 bytes", key);
  return 1;
}

struct vec_side {
  uint8_t s[32], e[32], rs[32], psk[32], prologue[512];
  size_t prologue_len;
  int has_rs, has_psk;
  struct sgp_noise_handshake hs;
  struct sgp_noise_cipher send, recv;
};

/* Loads one side ("init" or "resp"); returns 0 if the vector needs more
 * than one psk (this API carries one). */
static int load_side(json_t *v, const char *who, struct vec_side *s) {
  char key[32];
  memset(s, 0, sizeof *s);
  snprintf(key, sizeof key, "%s_static", who);
  cr_assert(hex_key(v, key, s->s), "%s missing", key);
  snprintf(key, sizeof key, "%s_ephemeral", who);
  cr_assert(hex_key(v, key, s->e), "%s missing", key);
  snprintf(key, sizeof key, "%s_remote_static", who);
  s->has_rs = hex_key(v, key, s->rs);
  snprintf(key, sizeof key, "%s_prologue", who);
  hex_field(v, key, s->prologue, sizeof s->prologue, &s->prologue_len);
  snprintf(key, sizeof key, "%s_psks", who);
  json_t *psks = json_object_get(v, key);
  size_t npsk = psks ? json_array_size(psks) : 0;
  if (npsk > 1) return 0;
  if (npsk == 1) {
    const char *hex = json_string_value(json_array_get(psks, 0));
    size_t n = 0;
    cr_assert_not_null(hex);
    cr_assert_eq(sodium_hex2bin(s->psk, 32, hex, strlen(hex), NULL, &n, NULL), 0);
    cr_assert_eq(n, 32);
    s->has_psk = 1;
  }
  return 1;
}

static void init_side(struct vec_side *s, enum sgp_noise_pattern p, unsigned psk,
                      enum sgp_noise_role role, const char *name, size_t idx) {
  struct sgp_noise_config c = {0};
  c.pattern = p;
  c.psk_modifiers = psk;
  c.role = role;
  c.prologue = s->prologue;
  c.prologue_len = s->prologue_len;
  c.s = s->s;
  c.rs = s->has_rs ? s->rs : NULL;
  c.psk = s->has_psk ? s->psk : NULL;
  c.e = s->e;
  sgp_err rc = sgp_noise_init(&s->hs, &c);
  cr_assert_eq(rc, SGP_OK, "vector %zu %s: init (%s) -> %s", idx, name,
               role == SGP_NOISE_INITIATOR ? "initiator" : "responder", sgp_err_name(rc));
}

/* Runs one vector; aborts the test on any mismatch. */
static void run_vector(json_t *v, size_t idx, const char *name, enum sgp_noise_pattern p,
                       unsigned psk, struct vec_side *ini, struct vec_side *res) {
  static uint8_t want[BUF], got[BUF], payload[BUF], pt[BUF];
  json_t *msgs = json_object_get(v, "messages");
  size_t nmsgs = json_array_size(msgs), i = 0;
  cr_assert_gt(nmsgs, 0, "vector %zu has no messages", idx);

  init_side(ini, p, psk, SGP_NOISE_INITIATOR, name, idx);
  init_side(res, p, psk, SGP_NOISE_RESPONDER, name, idx);

  /* Handshake: the initiator sends the even-numbered messages. */
  for (; sgp_noise_next(&ini->hs) != SGP_NOISE_SPLIT; i++) {
    cr_assert_lt(i, nmsgs, "vector %zu %s: ran out of messages in the handshake", idx, name);
    struct vec_side *snd = i % 2 == 0 ? ini : res, *rcv = i % 2 == 0 ? res : ini;
    json_t *m = json_array_get(msgs, i);
    size_t plen = 0, wlen = 0, glen = 0, ptlen = 0;
    hex_field(m, "payload", payload, sizeof payload, &plen);
    cr_assert(hex_field(m, "ciphertext", want, sizeof want, &wlen));
    cr_assert_eq(sgp_noise_next(&snd->hs), SGP_NOISE_WRITE, "vector %zu msg %zu", idx, i);
    cr_assert_eq(sgp_noise_next(&rcv->hs), SGP_NOISE_READ, "vector %zu msg %zu", idx, i);
    sgp_err rc = sgp_noise_write_message(&snd->hs, payload, plen, got, sizeof got, &glen);
    cr_assert_eq(rc, SGP_OK, "vector %zu %s msg %zu write: %s", idx, name, i, sgp_err_name(rc));
    cr_assert_eq(glen, wlen, "vector %zu %s msg %zu: length %zu, want %zu", idx, name, i, glen,
                 wlen);
    cr_assert(memcmp(got, want, wlen) == 0, "vector %zu %s handshake msg %zu differs", idx, name,
              i);
    rc = sgp_noise_read_message(&rcv->hs, want, wlen, pt, sizeof pt, &ptlen);
    cr_assert_eq(rc, SGP_OK, "vector %zu %s msg %zu read: %s", idx, name, i, sgp_err_name(rc));
    cr_assert_eq(ptlen, plen);
    cr_assert(memcmp(pt, payload, plen) == 0, "vector %zu msg %zu payload differs", idx, i);
  }
  cr_assert_eq(sgp_noise_next(&res->hs), SGP_NOISE_SPLIT, "vector %zu %s", idx, name);

  uint8_t hi[32], hr[32], hv[32];
  cr_assert_eq(sgp_noise_handshake_hash(&ini->hs, hi), SGP_OK);
  cr_assert_eq(sgp_noise_handshake_hash(&res->hs, hr), SGP_OK);
  cr_assert(memcmp(hi, hr, 32) == 0, "vector %zu: sides disagree on h", idx);
  if (hex_key(v, "handshake_hash", hv))
    cr_assert(memcmp(hi, hv, 32) == 0, "vector %zu %s: handshake_hash differs", idx, name);

  cr_assert_eq(sgp_noise_split(&ini->hs, &ini->send, &ini->recv), SGP_OK);
  cr_assert_eq(sgp_noise_split(&res->hs, &res->send, &res->recv), SGP_OK);

  /* Transport.  Convention (checked against the data below, on the first
   * transport message): message i is sent by the initiator iff i is even,
   * i.e. the handshake's alternation simply continues. */
  for (size_t first = i; i < nmsgs; i++) {
    struct vec_side *snd = i % 2 == 0 ? ini : res, *rcv = i % 2 == 0 ? res : ini;
    json_t *m = json_array_get(msgs, i);
    size_t plen = 0, wlen = 0, glen = 0, ptlen = 0;
    hex_field(m, "payload", payload, sizeof payload, &plen);
    cr_assert(hex_field(m, "ciphertext", want, sizeof want, &wlen));
    if (i == first) {
      /* The other direction's key must NOT reproduce the ciphertext, so the
       * data itself pins which side sent this message. */
      struct sgp_noise_cipher other = rcv->send;
      cr_assert_eq(sgp_noise_encrypt(&other, NULL, 0, payload, plen, got, sizeof got, &glen),
                   SGP_OK);
      cr_assert(glen != wlen || memcmp(got, want, wlen) != 0,
                "vector %zu: transport convention is ambiguous", idx);
    }
    sgp_err rc = sgp_noise_encrypt(&snd->send, NULL, 0, payload, plen, got, sizeof got, &glen);
    cr_assert_eq(rc, SGP_OK);
    cr_assert_eq(glen, wlen, "vector %zu %s transport msg %zu length", idx, name, i);
    cr_assert(memcmp(got, want, wlen) == 0, "vector %zu %s transport msg %zu differs", idx, name,
              i);
    rc = sgp_noise_decrypt(&rcv->recv, NULL, 0, want, wlen, pt, sizeof pt, &ptlen);
    cr_assert_eq(rc, SGP_OK, "vector %zu transport msg %zu decrypt: %s", idx, i, sgp_err_name(rc));
    cr_assert_eq(ptlen, plen);
    cr_assert(memcmp(pt, payload, plen) == 0);
  }
  sgp_noise_handshake_destroy(&ini->hs);
  sgp_noise_handshake_destroy(&res->hs);
  sgp_noise_cipher_destroy(&ini->send);
  sgp_noise_cipher_destroy(&ini->recv);
  sgp_noise_cipher_destroy(&res->send);
  sgp_noise_cipher_destroy(&res->recv);
}

/* SGP-XPORT-1 (KK exact), and the generic HandshakeState on IK, XX and
 * the psk0/psk2 variants: every supported vector, both roles. */
/* SGP-CONF-2: the public Noise vectors are part of what a conforming node passes. */
Test(noise, vectors_byte_exact) {
  init_sodium();
  json_error_t jerr;
  json_t *root = json_load_file(VECTORS_PATH, 0, &jerr);
  cr_assert_not_null(root, "cannot load Noise vectors %s: %s (line %d)", VECTORS_PATH, jerr.text,
                     jerr.line);
  json_t *vectors = json_object_get(root, "vectors");
  cr_assert(json_is_array(vectors) && json_array_size(vectors) > 0, "no vectors in %s",
            VECTORS_PATH);

  /* per base pattern: [KK, IK, XX] vectors present / checked */
  const char *base[3] = {"KK", "IK", "XX"};
  size_t present[3] = {0}, checked[3] = {0}, skipped = 0, total = json_array_size(vectors);
  static struct vec_side ini, res;

  for (size_t idx = 0; idx < total; idx++) {
    json_t *v = json_array_get(vectors, idx);
    const char *name = json_string_value(json_object_get(v, "protocol_name"));
    cr_assert_not_null(name, "vector %zu has no protocol_name", idx);
    for (int b = 0; b < 3; b++)
      if (strncmp(name + 6, base[b], 2) == 0 && strncmp(name, "Noise_", 6) == 0) present[b]++;

    enum sgp_noise_pattern p;
    unsigned psk;
    if (sgp_noise_parse_protocol_name(name, &p, &psk) != SGP_OK || !load_side(v, "init", &ini) ||
        !load_side(v, "resp", &res)) {
      fprintf(stderr, "noise vectors: skipping %zu %s (unsupported)\n", idx, name);
      skipped++;
      continue;
    }
    run_vector(v, idx, name, p, psk, &ini, &res);
    checked[p == SGP_NOISE_KK ? 0 : p == SGP_NOISE_IK ? 1 : 2]++;
    fprintf(stderr, "noise vectors: ok %zu %s (%s)\n", idx, name,
            json_string_value(json_object_get(v, "_from")));
  }
  fprintf(stderr, "noise vectors: checked KK %zu/%zu, IK %zu/%zu, XX %zu/%zu; skipped %zu of %zu\n",
          checked[0], present[0], checked[1], present[1], checked[2], present[2], skipped, total);
  for (int b = 0; b < 3; b++) {
    cr_assert_gt(checked[b], 0, "no %s vector was checked", base[b]);
    cr_assert_eq(checked[b], present[b], "not every %s vector was checked", base[b]);
  }
  json_decref(root);
  sodium_memzero(&ini, sizeof ini);
  sodium_memzero(&res, sizeof res);
}

/* ---- handshake behaviour ---------------------------------------------------- */

/* SGP-XPORT-1, SGP-XPORT-7: the SGP profile (KK, prologue "SGP/1") with an
 * RNG callback; both sides agree on h and can talk both ways. */
Test(noise, kk_sgp_profile_roundtrip) {
  struct kk t;
  kk_setup(&t);
  cr_assert_eq(sgp_noise_next(&t.a), SGP_NOISE_WRITE);
  cr_assert_eq(sgp_noise_next(&t.b), SGP_NOISE_READ);
  cr_assert_eq(pass(&t.a, &t.b, "SYN"), 32 + 3 + 16);
  cr_assert_eq(pass(&t.b, &t.a, ""), 32 + 16);
  uint8_t ha[32], hb[32], rs[32];
  cr_assert_eq(sgp_noise_handshake_hash(&t.a, ha), SGP_OK);
  cr_assert_eq(sgp_noise_handshake_hash(&t.b, hb), SGP_OK);
  cr_assert_arr_eq(ha, hb, 32);
  cr_assert_eq(sgp_noise_remote_static(&t.b, rs), SGP_OK);
  cr_assert_arr_eq(rs, t.ka.pk, 32);

  struct sgp_noise_cipher as, ar, bs, br;
  cr_assert_eq(sgp_noise_split(&t.a, &as, &ar), SGP_OK);
  cr_assert_eq(sgp_noise_split(&t.b, &bs, &br), SGP_OK);
  cr_assert_eq(sgp_noise_next(&t.a), SGP_NOISE_NONE);
  transport_roundtrips(&as, &br, 50);
  transport_roundtrips(&bs, &ar, 50);
  cr_assert_eq(as.n, 50);
  cr_assert_eq(br.n, 50);
}

/* SGP-XPORT-7: a different prologue on one side fails the first message. */
Test(noise, prologue_is_bound) {
  struct kk t;
  kk_setup(&t);
  struct sgp_noise_config cb =
      base_config(SGP_NOISE_KK, SGP_NOISE_RESPONDER, &t.kb, t.ka.pk, &t.rb);
  cb.prologue = (const uint8_t *)"SGP/2";
  cr_assert_eq(sgp_noise_init(&t.b, &cb), SGP_OK);
  uint8_t msg[128], pt[128];
  size_t len, ptlen;
  cr_assert_eq(sgp_noise_write_message(&t.a, NULL, 0, msg, sizeof msg, &len), SGP_OK);
  cr_assert_eq(sgp_noise_read_message(&t.b, msg, len, pt, sizeof pt, &ptlen), SGP_ERR_CRYPTO);
}

/* IK and XX learn the peer's static key; both sides agree. */
Test(noise, ik_and_xx_learn_remote_static) {
  init_sodium();
  struct keypair ka, kb;
  make_keypair(&ka, 0x31);
  make_keypair(&kb, 0x42);
  uint64_t ra = 7, rb = 8;
  enum sgp_noise_pattern pats[] = {SGP_NOISE_IK, SGP_NOISE_XX};
  for (size_t k = 0; k < 2; k++) {
    struct sgp_noise_handshake a, b;
    struct sgp_noise_config ca =
        base_config(pats[k], SGP_NOISE_INITIATOR, &ka, pats[k] == SGP_NOISE_IK ? kb.pk : NULL, &ra);
    struct sgp_noise_config cb = base_config(pats[k], SGP_NOISE_RESPONDER, &kb, NULL, &rb);
    cr_assert_eq(sgp_noise_init(&a, &ca), SGP_OK);
    cr_assert_eq(sgp_noise_init(&b, &cb), SGP_OK);
    uint8_t rs[32];
    cr_assert_eq(sgp_noise_remote_static(&b, rs), SGP_ERR_STATE);
    pass(&a, &b, "one");
    pass(&b, &a, "two");
    if (pats[k] == SGP_NOISE_XX) pass(&a, &b, "three");
    cr_assert_eq(sgp_noise_remote_static(&b, rs), SGP_OK);
    cr_assert_arr_eq(rs, ka.pk, 32);
    cr_assert_eq(sgp_noise_remote_static(&a, rs), SGP_OK);
    cr_assert_arr_eq(rs, kb.pk, 32);
    struct sgp_noise_cipher as, ar, bs, br;
    cr_assert_eq(sgp_noise_split(&a, &as, &ar), SGP_OK);
    cr_assert_eq(sgp_noise_split(&b, &bs, &br), SGP_OK);
    transport_roundtrips(&as, &br, 3);
    transport_roundtrips(&bs, &ar, 3);
  }
}

/* SGP-XPORT-2: every call out of turn is SGP_ERR_STATE and changes nothing. */
Test(noise, out_of_order_is_state_error) {
  struct kk t;
  uint8_t msg[256], pt[256], h[32];
  size_t len, ptlen;
  struct sgp_noise_cipher s1, r1;

  struct sgp_noise_handshake zero;
  memset(&zero, 0, sizeof zero);
  cr_assert_eq(sgp_noise_next(&zero), SGP_NOISE_NONE);
  cr_assert_eq(sgp_noise_write_message(&zero, NULL, 0, msg, sizeof msg, &len), SGP_ERR_STATE);
  cr_assert_eq(sgp_noise_read_message(&zero, msg, 48, pt, sizeof pt, &ptlen), SGP_ERR_STATE);
  cr_assert_eq(sgp_noise_split(&zero, &s1, &r1), SGP_ERR_STATE);
  cr_assert_eq(sgp_noise_handshake_hash(&zero, h), SGP_ERR_STATE);

  kk_setup(&t);
  struct sgp_noise_handshake before = t.a;
  cr_assert_eq(sgp_noise_read_message(&t.a, msg, 48, pt, sizeof pt, &ptlen), SGP_ERR_STATE);
  cr_assert_eq(sgp_noise_split(&t.a, &s1, &r1), SGP_ERR_STATE);
  cr_assert_eq(sgp_noise_handshake_hash(&t.a, h), SGP_ERR_STATE);
  cr_assert(memcmp(&before, &t.a, sizeof before) == 0);
  cr_assert_eq(sgp_noise_write_message(&t.b, NULL, 0, msg, sizeof msg, &len), SGP_ERR_STATE);

  cr_assert_eq(sgp_noise_write_message(&t.a, NULL, 0, msg, sizeof msg, &len), SGP_OK);
  cr_assert_eq(sgp_noise_write_message(&t.a, NULL, 0, msg, sizeof msg, &len), SGP_ERR_STATE);
  cr_assert_eq(sgp_noise_read_message(&t.b, msg, len, pt, sizeof pt, &ptlen), SGP_OK);
  cr_assert_eq(sgp_noise_read_message(&t.b, msg, len, pt, sizeof pt, &ptlen), SGP_ERR_STATE);
  cr_assert_eq(sgp_noise_split(&t.b, &s1, &r1), SGP_ERR_STATE);
  pass(&t.b, &t.a, "");
  cr_assert_eq(sgp_noise_write_message(&t.a, NULL, 0, msg, sizeof msg, &len), SGP_ERR_STATE);
  cr_assert_eq(sgp_noise_split(&t.a, &s1, &s1), SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_noise_split(&t.a, &s1, &r1), SGP_OK);
  cr_assert_eq(sgp_noise_split(&t.a, &s1, &r1), SGP_ERR_STATE);
  cr_assert_eq(sgp_noise_write_message(&t.a, NULL, 0, msg, sizeof msg, &len), SGP_ERR_STATE);
  cr_assert_eq(sgp_noise_handshake_hash(&t.a, h), SGP_OK);
}

/* SGP-XPORT-3: flipping any bit position of either handshake message is
 * SGP_ERR_CRYPTO and leaves the receiver able to take the genuine one. */
Test(noise, tampered_message_rejected_without_state_change) {
  struct kk t;
  kk_setup(&t);
  uint8_t msg[256], bad[256], pt[256];
  size_t len, ptlen;
  for (int m = 0; m < 2; m++) {
    struct sgp_noise_handshake *w = m == 0 ? &t.a : &t.b, *r = m == 0 ? &t.b : &t.a;
    cr_assert_eq(sgp_noise_write_message(w, (const uint8_t *)"hello", 5, msg, sizeof msg, &len),
                 SGP_OK);
    struct sgp_noise_handshake before = *r;
    for (size_t i = 0; i < len; i++) {
      for (int bit = 0; bit < 8; bit += 7) {
        memcpy(bad, msg, len);
        bad[i] ^= (uint8_t)(1u << bit);
        cr_assert_eq(sgp_noise_read_message(r, bad, len, pt, sizeof pt, &ptlen), SGP_ERR_CRYPTO,
                     "msg %d byte %zu bit %d", m, i, bit);
        cr_assert(memcmp(&before, r, sizeof before) == 0, "msg %d byte %zu changed state", m, i);
      }
    }
    cr_assert_eq(sgp_noise_read_message(r, msg, len, pt, sizeof pt, &ptlen), SGP_OK);
  }
}

/* SGP-XPORT-3: short messages are SGP_ERR_TRUNCATED, oversize ones
 * SGP_ERR_TOO_LARGE, small buffers SGP_ERR_NO_SPACE; none changes state. */
Test(noise, length_errors) {
  struct kk t;
  kk_setup(&t);
  static uint8_t msg[BUF], pt[BUF], big[BUF];
  size_t len, ptlen;

  /* KK message 1 is e (32) + payload + tag (16). */
  struct sgp_noise_handshake a0 = t.a;
  cr_assert_eq(sgp_noise_write_message(&t.a, NULL, 0, msg, 47, &len), SGP_ERR_NO_SPACE);
  cr_assert(memcmp(&a0, &t.a, sizeof a0) == 0);
  cr_assert_eq(
      sgp_noise_write_message(&t.a, big, SGP_NOISE_MAX_MSG - 48 + 1, msg, sizeof msg, &len),
      SGP_ERR_TOO_LARGE);
  cr_assert_eq(sgp_noise_write_message(&t.a, big, SIZE_MAX, msg, sizeof msg, &len),
               SGP_ERR_TOO_LARGE);
  cr_assert(memcmp(&a0, &t.a, sizeof a0) == 0);

  /* The largest legal message is exactly 65535 bytes and is read back. */
  for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)i;
  cr_assert_eq(sgp_noise_write_message(&t.a, big, SGP_NOISE_MAX_MSG - 48, msg, sizeof msg, &len),
               SGP_OK);
  cr_assert_eq(len, SGP_NOISE_MAX_MSG);

  struct sgp_noise_handshake b0 = t.b;
  for (size_t l = 0; l < 48; l++)
    cr_assert_eq(sgp_noise_read_message(&t.b, msg, l, pt, sizeof pt, &ptlen), SGP_ERR_TRUNCATED,
                 "len %zu", l);
  cr_assert_eq(sgp_noise_read_message(&t.b, msg, SGP_NOISE_MAX_MSG + 1, pt, sizeof pt, &ptlen),
               SGP_ERR_TOO_LARGE);
  cr_assert_eq(sgp_noise_read_message(&t.b, msg, len, pt, SGP_NOISE_MAX_MSG - 49, &ptlen),
               SGP_ERR_NO_SPACE);
  cr_assert(memcmp(&b0, &t.b, sizeof b0) == 0);
  cr_assert_eq(sgp_noise_read_message(&t.b, msg, len, pt, SGP_NOISE_MAX_MSG - 48, &ptlen), SGP_OK);
  cr_assert_eq(ptlen, SGP_NOISE_MAX_MSG - 48);
  cr_assert(memcmp(pt, big, ptlen) == 0);
}

/* SGP-XPORT-3: XX message 2 carries an encrypted static (48 bytes) after e:
 * every length below 32 + 48 + 16 is truncated. */
Test(noise, xx_truncated_static) {
  init_sodium();
  struct keypair ka, kb;
  make_keypair(&ka, 1);
  make_keypair(&kb, 2);
  uint64_t ra = 3, rb = 4;
  struct sgp_noise_handshake a, b;
  struct sgp_noise_config ca = base_config(SGP_NOISE_XX, SGP_NOISE_INITIATOR, &ka, NULL, &ra);
  struct sgp_noise_config cb = base_config(SGP_NOISE_XX, SGP_NOISE_RESPONDER, &kb, NULL, &rb);
  cr_assert_eq(sgp_noise_init(&a, &ca), SGP_OK);
  cr_assert_eq(sgp_noise_init(&b, &cb), SGP_OK);
  pass(&a, &b, "");
  uint8_t msg[256], pt[256];
  size_t len, ptlen;
  cr_assert_eq(sgp_noise_write_message(&b, NULL, 0, msg, sizeof msg, &len), SGP_OK);
  cr_assert_eq(len, 32 + 48 + 16);
  for (size_t l = 0; l < len; l++)
    cr_assert_eq(sgp_noise_read_message(&a, msg, l, pt, sizeof pt, &ptlen), SGP_ERR_TRUNCATED,
                 "len %zu", l);
  cr_assert_eq(sgp_noise_read_message(&a, msg, len, pt, sizeof pt, &ptlen), SGP_OK);
}

/* SGP-XPORT-3: X25519's all-zero output (low-order point) is SGP_ERR_CRYPTO,
 * on the writer (bad configured rs) and on the reader (bad e on the wire). */
Test(noise, low_order_points_rejected) {
  init_sodium();
  struct keypair ka, kb;
  make_keypair(&ka, 5);
  make_keypair(&kb, 6);
  uint64_t ra = 1, rb = 2;
  uint8_t low[2][32] = {{0}, {1}}; /* u = 0 and u = 1 are small-order */
  uint8_t msg[256], pt[256];
  size_t len, ptlen;
  for (int k = 0; k < 2; k++) {
    struct sgp_noise_handshake a;
    struct sgp_noise_config ca = base_config(SGP_NOISE_KK, SGP_NOISE_INITIATOR, &ka, low[k], &ra);
    cr_assert_eq(sgp_noise_init(&a, &ca), SGP_OK);
    struct sgp_noise_handshake a0 = a;
    cr_assert_eq(sgp_noise_write_message(&a, NULL, 0, msg, sizeof msg, &len), SGP_ERR_CRYPTO);
    cr_assert(memcmp(&a0, &a, sizeof a) == 0);
  }
  struct sgp_noise_handshake b;
  struct sgp_noise_config cb = base_config(SGP_NOISE_KK, SGP_NOISE_RESPONDER, &kb, ka.pk, &rb);
  cr_assert_eq(sgp_noise_init(&b, &cb), SGP_OK);
  memset(msg, 0, 48); /* e = 0 */
  cr_assert_eq(sgp_noise_read_message(&b, msg, 48, pt, sizeof pt, &ptlen), SGP_ERR_CRYPTO);
}

/* SGP-XPORT-3: KK authenticates both statics: a responder expecting another
 * initiator, or a psk mismatch, fails with SGP_ERR_CRYPTO. */
Test(noise, wrong_static_or_psk_rejected) {
  struct kk t;
  kk_setup(&t);
  struct keypair other;
  make_keypair(&other, 0x77);
  struct sgp_noise_config cb =
      base_config(SGP_NOISE_KK, SGP_NOISE_RESPONDER, &t.kb, other.pk, &t.rb);
  cr_assert_eq(sgp_noise_init(&t.b, &cb), SGP_OK);
  uint8_t msg[256], pt[256], psk1[32], psk2[32];
  size_t len, ptlen;
  cr_assert_eq(sgp_noise_write_message(&t.a, NULL, 0, msg, sizeof msg, &len), SGP_OK);
  cr_assert_eq(sgp_noise_read_message(&t.b, msg, len, pt, sizeof pt, &ptlen), SGP_ERR_CRYPTO);

  memset(psk1, 1, 32);
  memset(psk2, 2, 32);
  unsigned mods[] = {SGP_NOISE_PSK0, SGP_NOISE_PSK2};
  for (int k = 0; k < 2; k++) {
    kk_setup(&t);
    struct sgp_noise_config ca =
        base_config(SGP_NOISE_KK, SGP_NOISE_INITIATOR, &t.ka, t.kb.pk, &t.ra);
    cb = base_config(SGP_NOISE_KK, SGP_NOISE_RESPONDER, &t.kb, t.ka.pk, &t.rb);
    ca.psk_modifiers = cb.psk_modifiers = mods[k];
    ca.psk = psk1;
    cb.psk = psk2;
    cr_assert_eq(sgp_noise_init(&t.a, &ca), SGP_OK);
    cr_assert_eq(sgp_noise_init(&t.b, &cb), SGP_OK);
    /* psk0 fails on message 1; psk2 mixes the psk at the end of message 2. */
    cr_assert_eq(sgp_noise_write_message(&t.a, NULL, 0, msg, sizeof msg, &len), SGP_OK);
    sgp_err rc = sgp_noise_read_message(&t.b, msg, len, pt, sizeof pt, &ptlen);
    if (k == 0) {
      cr_assert_eq(rc, SGP_ERR_CRYPTO);
      continue;
    }
    cr_assert_eq(rc, SGP_OK);
    cr_assert_eq(sgp_noise_write_message(&t.b, NULL, 0, msg, sizeof msg, &len), SGP_OK);
    cr_assert_eq(sgp_noise_read_message(&t.a, msg, len, pt, sizeof pt, &ptlen), SGP_ERR_CRYPTO);
  }
}

/* Configuration errors are SGP_ERR_INVALID_ARG and leave hs unusable. */
Test(noise, config_validation) {
  init_sodium();
  struct keypair ka, kb;
  make_keypair(&ka, 9);
  make_keypair(&kb, 10);
  uint64_t r = 1;
  uint8_t psk[32] = {0}, e[32] = {3};
  struct sgp_noise_handshake hs;
  struct sgp_noise_config c;

#define EXPECT_BAD(mutation)                                               \
  do {                                                                     \
    c = base_config(SGP_NOISE_KK, SGP_NOISE_INITIATOR, &ka, kb.pk, &r);    \
    mutation;                                                              \
    cr_assert_eq(sgp_noise_init(&hs, &c), SGP_ERR_INVALID_ARG, #mutation); \
    cr_assert_eq(sgp_noise_next(&hs), SGP_NOISE_NONE);                     \
  } while (0)

  EXPECT_BAD(c.rs = NULL);                                              /* KK needs rs */
  EXPECT_BAD((c.pattern = SGP_NOISE_XX));                               /* XX must not get rs */
  EXPECT_BAD((c.pattern = SGP_NOISE_IK, c.role = SGP_NOISE_RESPONDER)); /* IK resp learns rs */
  EXPECT_BAD(c.pattern = (enum sgp_noise_pattern)0);
  EXPECT_BAD(c.role = (enum sgp_noise_role)3);
  EXPECT_BAD(c.s = NULL);
  EXPECT_BAD(c.psk = psk);                      /* psk without modifier */
  EXPECT_BAD(c.psk_modifiers = SGP_NOISE_PSK0); /* modifier without psk */
  EXPECT_BAD((c.psk_modifiers = SGP_NOISE_PSK0 | SGP_NOISE_PSK2, c.psk = psk));
  EXPECT_BAD((c.psk_modifiers = 2u, c.psk = psk)); /* psk1 unsupported */
  EXPECT_BAD(c.e = e);                             /* both e and rng */
  EXPECT_BAD((c.rng = NULL));                      /* neither */
  EXPECT_BAD((c.prologue = NULL));                 /* NULL with length 5 */
#undef EXPECT_BAD
  cr_assert_eq(sgp_noise_init(&hs, NULL), SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_noise_init(NULL, &c), SGP_ERR_INVALID_ARG);
}

/* SGP-XPORT-5: Split leaves no secret in the handshake; destroy wipes all. */
Test(noise, split_and_destroy_wipe_secrets) {
  struct kk t;
  kk_setup(&t);
  pass(&t.a, &t.b, "x");
  pass(&t.b, &t.a, "y");
  struct sgp_noise_cipher s, r;
  cr_assert_eq(sgp_noise_split(&t.a, &s, &r), SGP_OK);
  cr_assert(sodium_is_zero(t.a.ss.ck, 32));
  cr_assert(sodium_is_zero(t.a.ss.cs.k, 32));
  cr_assert(sodium_is_zero(t.a.s_sk, 32));
  cr_assert(sodium_is_zero(t.a.e_sk, 32));
  cr_assert(sodium_is_zero(t.a.psk, 32));
  cr_assert(!sodium_is_zero(t.a.ss.h, 32), "h stays for channel binding");
  cr_assert(s.has_key && r.has_key && memcmp(s.k, r.k, 32) != 0);
  sgp_noise_handshake_destroy(&t.a);
  cr_assert(sodium_is_zero((const unsigned char *)&t.a, sizeof t.a));
  sgp_noise_cipher_destroy(&s);
  cr_assert(sodium_is_zero((const unsigned char *)&s, sizeof s));
}

/* ---- transport --------------------------------------------------------- */

static struct sgp_noise_cipher test_cipher(void) {
  struct sgp_noise_cipher c = {0};
  for (int i = 0; i < 32; i++) c.k[i] = (uint8_t)(0x40 + i);
  c.has_key = 1;
  return c;
}

/* SGP-XPORT-4: the ChaChaPoly nonce is 0x00000000 || LE64(n); the vectors
 * only reach n = 2, so pin the byte order with a large n. */
Test(noise, nonce_layout) {
  init_sodium();
  struct sgp_noise_cipher c = test_cipher();
  const uint64_t n = 0x0102030405060708ULL;
  const uint8_t nonce[12] = {0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1};
  uint8_t want[64], got[64], pt[10] = "0123456789";
  unsigned long long wl;
  size_t gl;
  crypto_aead_chacha20poly1305_ietf_encrypt(want, &wl, pt, sizeof pt, (const uint8_t *)"ad", 2,
                                            NULL, nonce, c.k);
  cr_assert_eq(
      sgp_noise_encrypt_at(&c, n, (const uint8_t *)"ad", 2, pt, sizeof pt, got, sizeof got, &gl),
      SGP_OK);
  cr_assert_eq(gl, wl);
  cr_assert_arr_eq(got, want, gl);
}

/* SGP-XPORT-4: n = 2^64-1 is reserved; n advances only on success. */
Test(noise, transport_counter_rules) {
  struct sgp_noise_cipher c = test_cipher(), d = test_cipher();
  uint8_t ct[64], pt[64] = {0};
  size_t cl, pl;
  c.n = d.n = UINT64_MAX;
  cr_assert_eq(sgp_noise_encrypt(&c, NULL, 0, pt, 4, ct, sizeof ct, &cl), SGP_ERR_EXHAUSTED);
  cr_assert_eq(sgp_noise_decrypt(&d, NULL, 0, ct, 20, pt, sizeof pt, &pl), SGP_ERR_EXHAUSTED);
  cr_assert_eq(c.n, UINT64_MAX);
  c.n = d.n = UINT64_MAX - 1;
  cr_assert_eq(sgp_noise_encrypt(&c, NULL, 0, pt, 4, ct, sizeof ct, &cl), SGP_OK);
  ct[0] ^= 1;
  cr_assert_eq(sgp_noise_decrypt(&d, NULL, 0, ct, cl, pt, sizeof pt, &pl), SGP_ERR_CRYPTO);
  cr_assert_eq(d.n, UINT64_MAX - 1, "failed decrypt must not advance n");
  ct[0] ^= 1;
  cr_assert_eq(sgp_noise_decrypt(&d, NULL, 0, ct, cl, pt, sizeof pt, &pl), SGP_OK);
  cr_assert_eq(d.n, UINT64_MAX);

  /* Explicit nonces: any order, no state change. */
  struct sgp_noise_cipher e = test_cipher();
  uint8_t c5[32], c3[32];
  size_t l5, l3;
  cr_assert_eq(sgp_noise_encrypt_at(&e, 5, NULL, 0, (const uint8_t *)"five", 4, c5, 32, &l5),
               SGP_OK);
  cr_assert_eq(sgp_noise_encrypt_at(&e, 3, NULL, 0, (const uint8_t *)"tri", 3, c3, 32, &l3),
               SGP_OK);
  cr_assert_eq(sgp_noise_decrypt_at(&e, 3, NULL, 0, c3, l3, pt, sizeof pt, &pl), SGP_OK);
  cr_assert_eq(sgp_noise_decrypt_at(&e, 5, NULL, 0, c5, l5, pt, sizeof pt, &pl), SGP_OK);
  cr_assert_eq(sgp_noise_decrypt_at(&e, 4, NULL, 0, c5, l5, pt, sizeof pt, &pl), SGP_ERR_CRYPTO);
  cr_assert_eq(e.n, 0);
  cr_assert_eq(sgp_noise_encrypt_at(&e, UINT64_MAX, NULL, 0, pt, 1, ct, 64, &cl),
               SGP_ERR_EXHAUSTED);
}

/* SGP-XPORT-4: transport length limits and error codes. */
Test(noise, transport_length_and_key_errors) {
  static uint8_t big[BUF], out[BUF];
  struct sgp_noise_cipher c = test_cipher(), none = {0};
  size_t l;
  cr_assert_eq(sgp_noise_encrypt(&none, NULL, 0, big, 1, out, sizeof out, &l), SGP_ERR_STATE);
  cr_assert_eq(sgp_noise_decrypt(&none, NULL, 0, big, 17, out, sizeof out, &l), SGP_ERR_STATE);
  cr_assert_eq(sgp_noise_encrypt(&c, NULL, 0, big, SGP_NOISE_MAX_MSG - 15, out, sizeof out, &l),
               SGP_ERR_TOO_LARGE);
  cr_assert_eq(sgp_noise_encrypt(&c, NULL, 0, big, SGP_NOISE_MAX_MSG - 16, out, sizeof out, &l),
               SGP_OK);
  cr_assert_eq(l, SGP_NOISE_MAX_MSG);
  cr_assert_eq(sgp_noise_encrypt(&c, NULL, 0, big, 10, out, 25, &l), SGP_ERR_NO_SPACE);
  cr_assert_eq(c.n, 1);

  struct sgp_noise_cipher d = test_cipher();
  cr_assert_eq(sgp_noise_decrypt(&d, NULL, 0, out, SGP_NOISE_MAX_MSG + 1, big, sizeof big, &l),
               SGP_ERR_TOO_LARGE);
  cr_assert_eq(sgp_noise_decrypt(&d, NULL, 0, out, 15, big, sizeof big, &l), SGP_ERR_TRUNCATED);
  cr_assert_eq(sgp_noise_decrypt(&d, NULL, 0, out, SGP_NOISE_MAX_MSG, big, 100, &l),
               SGP_ERR_NO_SPACE);
  cr_assert_eq(sgp_noise_decrypt(&d, NULL, 0, out, SGP_NOISE_MAX_MSG, big, sizeof big, &l), SGP_OK);
  cr_assert_eq(l, SGP_NOISE_MAX_MSG - 16);

  /* Associated data is authenticated. */
  struct sgp_noise_cipher e = test_cipher(), f = test_cipher();
  uint8_t ct[64], pt[64];
  size_t cl, pl;
  cr_assert_eq(sgp_noise_encrypt(&e, (const uint8_t *)"hdr1", 4, (const uint8_t *)"x", 1, ct,
                                 sizeof ct, &cl),
               SGP_OK);
  cr_assert_eq(sgp_noise_decrypt(&f, (const uint8_t *)"hdr2", 4, ct, cl, pt, sizeof pt, &pl),
               SGP_ERR_CRYPTO);
  cr_assert_eq(sgp_noise_decrypt(&f, (const uint8_t *)"hdr1", 4, ct, cl, pt, sizeof pt, &pl),
               SGP_OK);

  /* Empty plaintext: the tag alone. */
  cr_assert_eq(sgp_noise_encrypt(&e, NULL, 0, NULL, 0, ct, sizeof ct, &cl), SGP_OK);
  cr_assert_eq(cl, 16);
  cr_assert_eq(sgp_noise_decrypt(&f, NULL, 0, ct, cl, NULL, 0, &pl), SGP_OK);
  cr_assert_eq(pl, 0);
}

/* In-place encryption and decryption (out == in). */
Test(noise, transport_in_place) {
  struct sgp_noise_cipher c = test_cipher(), d = test_cipher();
  uint8_t buf[64];
  const char *msg = "in place please";
  size_t n = strlen(msg), cl, pl;
  memcpy(buf, msg, n);
  cr_assert_eq(sgp_noise_encrypt(&c, NULL, 0, buf, n, buf, sizeof buf, &cl), SGP_OK);
  cr_assert_eq(sgp_noise_decrypt(&d, NULL, 0, buf, cl, buf, sizeof buf, &pl), SGP_OK);
  cr_assert_eq(pl, n);
  cr_assert(memcmp(buf, msg, n) == 0);
}

Test(noise, protocol_names) {
  char name[SGP_NOISE_MAX_NAME];
  enum sgp_noise_pattern p;
  unsigned m;
  cr_assert_eq(sgp_noise_protocol_name(SGP_NOISE_KK, 0, name, sizeof name), SGP_OK);
  cr_assert_str_eq(name, "Noise_KK_25519_ChaChaPoly_SHA256");
  cr_assert_eq(sgp_noise_protocol_name(SGP_NOISE_IK, SGP_NOISE_PSK2, name, sizeof name), SGP_OK);
  cr_assert_str_eq(name, "Noise_IKpsk2_25519_ChaChaPoly_SHA256");
  cr_assert_eq(sgp_noise_protocol_name(SGP_NOISE_KK, 0, name, 32), SGP_ERR_NO_SPACE);
  cr_assert_eq(sgp_noise_parse_protocol_name("Noise_XXpsk0_25519_ChaChaPoly_SHA256", &p, &m),
               SGP_OK);
  cr_assert(p == SGP_NOISE_XX && m == SGP_NOISE_PSK0);
  cr_assert_eq(sgp_noise_parse_protocol_name("Noise_NN_25519_ChaChaPoly_SHA256", &p, &m),
               SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_noise_parse_protocol_name("Noise_KK_448_ChaChaPoly_SHA256", &p, &m),
               SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_noise_parse_protocol_name("Noise_KKpsk0+psk2_25519_ChaChaPoly_SHA256", &p, &m),
               SGP_ERR_INVALID_ARG);
}
