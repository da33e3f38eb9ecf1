/* Noise HandshakeState / SymmetricState / CipherState over libsodium; see
 * sgp/noise.h for the contract.
 *
 * Shape (after WireGuard's noise.c): each handshake step runs on a scratch
 * copy of the HandshakeState, every failure jumps to the one `out:` that
 * wipes the scratch, and the copy is committed to the caller's struct only
 * when the whole message succeeded.  Unlike WireGuard the patterns are
 * table-driven (Noise rev 34 §7), so one writer and one reader serve KK, IK
 * and XX; each token's case is labelled with its token.
 */
#include "sgp/noise.h"

#include <sodium.h>
#include <string.h>

#include "sgp/cursor.h"
#include "sgp/hkdf.h"

enum hs_state { ST_NONE = 0, ST_ACTIVE = 1, ST_DONE = 2, ST_SPLIT = 3 };

enum token { T_E, T_S, T_EE, T_ES, T_SE, T_SS, T_PSK };

enum {
  MAX_TOKENS = 5, /* 4 (IK message 1, XX message 2) + one psk */
  NONCE_LEN = crypto_aead_chacha20poly1305_IETF_NPUBBYTES,
  MAX_MESSAGES = 3,
};

struct tokens {
  uint8_t n;
  uint8_t t[MAX_TOKENS];
};

struct pattern_def {
  enum sgp_noise_pattern id;
  const char *name;
  uint8_t messages;
  struct tokens msg[MAX_MESSAGES];
};

/* Noise rev 34 §7.4 / §7.5.  Pre-messages are handled in sgp_noise_init. */
static const struct pattern_def patterns[] = {
    {SGP_NOISE_KK, "KK", 2, {{3, {T_E, T_ES, T_SS}}, {3, {T_E, T_EE, T_SE}}}},
    {SGP_NOISE_IK, "IK", 2, {{4, {T_E, T_ES, T_S, T_SS}}, {3, {T_E, T_EE, T_SE}}}},
    {SGP_NOISE_XX, "XX", 3, {{1, {T_E}}, {4, {T_E, T_EE, T_S, T_ES}}, {2, {T_S, T_SE}}}},
};

static const struct pattern_def *find_pattern(unsigned id) {
  for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++)
    if ((unsigned)patterns[i].id == id) return &patterns[i];
  return NULL;
}

/* Tokens of message `idx`, with psk modifiers applied (rev 34 §9.2: pskN
 * puts "psk" at the start of message 1 for N = 0, else at the end of
 * message N). */
static void tokens_for(const struct sgp_noise_handshake *hs, struct tokens *out) {
  const struct pattern_def *p = find_pattern(hs->pattern);
  const struct tokens *base = &p->msg[hs->msg_index];
  out->n = 0;
  if (hs->msg_index == 0 && (hs->psk_modifiers & SGP_NOISE_PSK0)) out->t[out->n++] = T_PSK;
  for (uint8_t i = 0; i < base->n; i++) out->t[out->n++] = base->t[i];
  if (hs->msg_index == 1 && (hs->psk_modifiers & SGP_NOISE_PSK2)) out->t[out->n++] = T_PSK;
}

/* ---- CipherState ------------------------------------------------------- */

/* ChaChaPoly nonce: 32 bits of zeros, then the 64-bit counter little-endian
 * (rev 34 §12.3). */
static void noise_nonce(uint8_t out[NONCE_LEN], uint64_t n) {
  memset(out, 0, 4);
  for (size_t i = 0; i < 8; i++) out[4 + i] = (uint8_t)(n >> (8 * i));
}

static void aead_seal(const uint8_t k[SGP_NOISE_KEYLEN], uint64_t n, const uint8_t *ad,
                      size_t ad_len, const uint8_t *pt, size_t pt_len, uint8_t *out) {
  uint8_t nonce[NONCE_LEN];
  noise_nonce(nonce, n);
  crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, pt, pt_len, ad, ad_len, NULL, nonce, k);
}

/* 0 on success; libsodium verifies the tag before decrypting and zeroes
 * `out` on failure, so nothing unauthenticated escapes. */
static int aead_open(const uint8_t k[SGP_NOISE_KEYLEN], uint64_t n, const uint8_t *ad,
                     size_t ad_len, const uint8_t *ct, size_t ct_len, uint8_t *out) {
  uint8_t nonce[NONCE_LEN];
  noise_nonce(nonce, n);
  return crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, ct, ct_len, ad, ad_len, nonce,
                                                   k);
}

sgp_err sgp_noise_encrypt_at(const struct sgp_noise_cipher *c, uint64_t n, const uint8_t *ad,
                             size_t ad_len, const uint8_t *pt, size_t pt_len, uint8_t *out,
                             size_t cap, size_t *out_len) {
  SGP_ENSURE(c && out_len, SGP_ERR_INVALID_ARG);
  SGP_ENSURE((ad || !ad_len) && (pt || !pt_len) && out, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(c->has_key, SGP_ERR_STATE);
  SGP_ENSURE(n != UINT64_MAX, SGP_ERR_EXHAUSTED);
  SGP_ENSURE(pt_len <= SGP_NOISE_MAX_MSG - SGP_NOISE_TAGLEN, SGP_ERR_TOO_LARGE);
  SGP_ENSURE(cap >= pt_len + SGP_NOISE_TAGLEN, SGP_ERR_NO_SPACE);
  aead_seal(c->k, n, ad, ad_len, pt, pt_len, out);
  *out_len = pt_len + SGP_NOISE_TAGLEN;
  return SGP_OK;
}

sgp_err sgp_noise_decrypt_at(const struct sgp_noise_cipher *c, uint64_t n, const uint8_t *ad,
                             size_t ad_len, const uint8_t *ct, size_t ct_len, uint8_t *out,
                             size_t cap, size_t *out_len) {
  SGP_ENSURE(c && out_len, SGP_ERR_INVALID_ARG);
  SGP_ENSURE((ad || !ad_len) && (ct || !ct_len), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(c->has_key, SGP_ERR_STATE);
  SGP_ENSURE(n != UINT64_MAX, SGP_ERR_EXHAUSTED);
  SGP_ENSURE(ct_len <= SGP_NOISE_MAX_MSG, SGP_ERR_TOO_LARGE);
  SGP_ENSURE(ct_len >= SGP_NOISE_TAGLEN, SGP_ERR_TRUNCATED);
  SGP_ENSURE(cap >= ct_len - SGP_NOISE_TAGLEN, SGP_ERR_NO_SPACE);
  SGP_ENSURE(out || ct_len == SGP_NOISE_TAGLEN, SGP_ERR_INVALID_ARG);
  /* libsodium wants a valid pointer even for an empty plaintext. */
  uint8_t empty[1] = {0};
  SGP_ENSURE(aead_open(c->k, n, ad, ad_len, ct, ct_len, out ? out : empty) == 0, SGP_ERR_CRYPTO);
  *out_len = ct_len - SGP_NOISE_TAGLEN;
  return SGP_OK;
}

sgp_err sgp_noise_encrypt(struct sgp_noise_cipher *c, const uint8_t *ad, size_t ad_len,
                          const uint8_t *pt, size_t pt_len, uint8_t *out, size_t cap,
                          size_t *out_len) {
  SGP_ENSURE(c, SGP_ERR_INVALID_ARG);
  SGP_GUARD(sgp_noise_encrypt_at(c, c->n, ad, ad_len, pt, pt_len, out, cap, out_len));
  c->n++;
  return SGP_OK;
}

sgp_err sgp_noise_decrypt(struct sgp_noise_cipher *c, const uint8_t *ad, size_t ad_len,
                          const uint8_t *ct, size_t ct_len, uint8_t *out, size_t cap,
                          size_t *out_len) {
  SGP_ENSURE(c, SGP_ERR_INVALID_ARG);
  SGP_GUARD(sgp_noise_decrypt_at(c, c->n, ad, ad_len, ct, ct_len, out, cap, out_len));
  c->n++;
  return SGP_OK;
}

void sgp_noise_cipher_destroy(struct sgp_noise_cipher *c) {
  if (c) sodium_memzero(c, sizeof *c);
}

/* InitializeKey(k) */
static void init_key(struct sgp_noise_cipher *c, const uint8_t k[SGP_NOISE_KEYLEN]) {
  memcpy(c->k, k, SGP_NOISE_KEYLEN);
  c->n = 0;
  c->has_key = 1;
}

/* ---- SymmetricState ---------------------------------------------------- */

static void mix_hash(struct sgp_noise_symmetric *ss, const uint8_t *data, size_t len) {
  static const uint8_t none[1] = {0};
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, ss->h, sizeof ss->h);
  crypto_hash_sha256_update(&st, len ? data : none, len);
  crypto_hash_sha256_final(&st, ss->h);
  /* The state may hold plaintext (payloads hashed before a key exists). */
  sodium_memzero(&st, sizeof st);
}

static void mix_key(struct sgp_noise_symmetric *ss, const uint8_t *ikm, size_t len) {
  uint8_t temp_k[SGP_NOISE_HASHLEN];
  sgp_hkdf_noise(ss->ck, ikm, len, ss->ck, temp_k, NULL);
  init_key(&ss->cs, temp_k);
  sodium_memzero(temp_k, sizeof temp_k);
}

static void mix_key_and_hash(struct sgp_noise_symmetric *ss, const uint8_t *ikm, size_t len) {
  uint8_t temp_h[SGP_NOISE_HASHLEN], temp_k[SGP_NOISE_HASHLEN];
  sgp_hkdf_noise(ss->ck, ikm, len, ss->ck, temp_h, temp_k);
  mix_hash(ss, temp_h, sizeof temp_h);
  init_key(&ss->cs, temp_k);
  sodium_memzero(temp_h, sizeof temp_h);
  sodium_memzero(temp_k, sizeof temp_k);
}

/* MixKey(DH(sk, pk)); fails on X25519's all-zero (low-order) output. */
static SGP_MUST_CHECK sgp_err mix_dh(struct sgp_noise_symmetric *ss,
                                     const uint8_t sk[SGP_NOISE_DHLEN],
                                     const uint8_t pk[SGP_NOISE_DHLEN]) {
  uint8_t dh[crypto_scalarmult_BYTES];
  sgp_err rc = SGP_ERR_CRYPTO;
  if (crypto_scalarmult(dh, sk, pk) != 0) goto out;
  mix_key(ss, dh, sizeof dh);
  rc = SGP_OK;
out:
  sodium_memzero(dh, sizeof dh);
  return rc;
}

/* Reserve n bytes of a writer for an in-place producer (the AEAD). */
static SGP_MUST_CHECK sgp_err reserve(struct sgp_cursor *w, size_t n, uint8_t **p) {
  SGP_ENSURE(sgp_cursor_left(w) >= n, SGP_ERR_NO_SPACE);
  *p = w->data + w->pos;
  w->pos += n;
  return SGP_OK;
}

static SGP_MUST_CHECK sgp_err encrypt_and_hash(struct sgp_noise_symmetric *ss, const uint8_t *pt,
                                               size_t len, struct sgp_cursor *w) {
  uint8_t *ct;
  if (!ss->cs.has_key) {
    SGP_GUARD(sgp_cursor_write(w, pt, len));
    mix_hash(ss, pt, len);
    return SGP_OK;
  }
  SGP_GUARD(reserve(w, len + SGP_NOISE_TAGLEN, &ct));
  aead_seal(ss->cs.k, ss->cs.n, ss->h, sizeof ss->h, pt, len, ct);
  ss->cs.n++; /* at most a handful per handshake: cannot reach 2^64-1 */
  mix_hash(ss, ct, len + SGP_NOISE_TAGLEN);
  return SGP_OK;
}

/* Reads `pt_len` plaintext bytes' worth of (cipher)text from r into pt. */
static SGP_MUST_CHECK sgp_err decrypt_and_hash(struct sgp_noise_symmetric *ss, struct sgp_cursor *r,
                                               size_t pt_len, uint8_t *pt) {
  const uint8_t *ct;
  uint8_t empty[1] = {0};
  if (!ss->cs.has_key) {
    SGP_GUARD(sgp_cursor_take(r, &ct, pt_len));
    if (pt_len) memcpy(pt, ct, pt_len);
    mix_hash(ss, ct, pt_len);
    return SGP_OK;
  }
  SGP_GUARD(sgp_cursor_take(r, &ct, pt_len + SGP_NOISE_TAGLEN));
  SGP_ENSURE(aead_open(ss->cs.k, ss->cs.n, ss->h, sizeof ss->h, ct, pt_len + SGP_NOISE_TAGLEN,
                       pt_len ? pt : empty) == 0,
             SGP_ERR_CRYPTO);
  ss->cs.n++;
  mix_hash(ss, ct, pt_len + SGP_NOISE_TAGLEN);
  return SGP_OK;
}

/* ---- HandshakeState ---------------------------------------------------- */

static const char suffix[] = "_25519_ChaChaPoly_SHA256";

sgp_err sgp_noise_protocol_name(enum sgp_noise_pattern pattern, unsigned psk_modifiers, char *out,
                                size_t cap) {
  const struct pattern_def *p = find_pattern((unsigned)pattern);
  SGP_ENSURE(p && out, SGP_ERR_INVALID_ARG);
  /* One modifier at most: with two, Noise consumes one psk per token and
   * this API carries a single psk. */
  SGP_ENSURE(
      psk_modifiers == 0 || psk_modifiers == SGP_NOISE_PSK0 || psk_modifiers == SGP_NOISE_PSK2,
      SGP_ERR_INVALID_ARG);

  struct sgp_cursor w = sgp_cursor_writer((uint8_t *)out, cap);
  SGP_GUARD(sgp_cursor_write(&w, "Noise_", 6));
  SGP_GUARD(sgp_cursor_write(&w, p->name, strlen(p->name)));
  if (psk_modifiers & SGP_NOISE_PSK0) SGP_GUARD(sgp_cursor_write(&w, "psk0", 4));
  if (psk_modifiers & SGP_NOISE_PSK2) SGP_GUARD(sgp_cursor_write(&w, "psk2", 4));
  SGP_GUARD(sgp_cursor_write(&w, suffix, sizeof suffix)); /* with its NUL */
  return SGP_OK;
}

sgp_err sgp_noise_parse_protocol_name(const char *name, enum sgp_noise_pattern *pattern,
                                      unsigned *psk_modifiers) {
  static const unsigned mods[] = {0, SGP_NOISE_PSK0, SGP_NOISE_PSK2};
  char buf[SGP_NOISE_MAX_NAME];
  SGP_ENSURE(name && pattern && psk_modifiers, SGP_ERR_INVALID_ARG);
  for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
    for (size_t j = 0; j < sizeof mods / sizeof mods[0]; j++) {
      SGP_GUARD(sgp_noise_protocol_name(patterns[i].id, mods[j], buf, sizeof buf));
      if (strcmp(buf, name) == 0) {
        *pattern = patterns[i].id;
        *psk_modifiers = mods[j];
        return SGP_OK;
      }
    }
  }
  return SGP_ERR_INVALID_ARG;
}

static int is_initiator(const struct sgp_noise_handshake *hs) {
  return hs->role == SGP_NOISE_INITIATOR;
}

sgp_err sgp_noise_init(struct sgp_noise_handshake *hs, const struct sgp_noise_config *cfg) {
  char name[SGP_NOISE_MAX_NAME];
  size_t name_len;
  int initiator, rs_known;
  sgp_err rc = SGP_ERR_INVALID_ARG;

  SGP_ENSURE(hs, SGP_ERR_INVALID_ARG);
  sodium_memzero(hs, sizeof *hs);
  if (!cfg) goto out;
  if (cfg->role != SGP_NOISE_INITIATOR && cfg->role != SGP_NOISE_RESPONDER) goto out;
  if (sgp_noise_protocol_name(cfg->pattern, cfg->psk_modifiers, name, sizeof name) != SGP_OK)
    goto out;
  initiator = cfg->role == SGP_NOISE_INITIATOR;
  rs_known = cfg->pattern == SGP_NOISE_KK || (cfg->pattern == SGP_NOISE_IK && initiator);
  if (!cfg->s || (cfg->rs != NULL) != rs_known) goto out;
  if ((cfg->psk != NULL) != (cfg->psk_modifiers != 0)) goto out;
  if ((cfg->e != NULL) == (cfg->rng != NULL)) goto out; /* exactly one source */
  if (!cfg->prologue && cfg->prologue_len) goto out;

  hs->pattern = (uint8_t)cfg->pattern;
  hs->role = (uint8_t)cfg->role;
  hs->psk_modifiers = cfg->psk_modifiers;
  memcpy(hs->s_sk, cfg->s, SGP_NOISE_DHLEN);
  rc = SGP_ERR_CRYPTO;
  if (crypto_scalarmult_base(hs->s_pk, hs->s_sk) != 0) goto out;
  if (rs_known) {
    memcpy(hs->rs, cfg->rs, SGP_NOISE_DHLEN);
    hs->has_rs = 1;
  }
  if (cfg->psk) memcpy(hs->psk, cfg->psk, SGP_NOISE_PSKLEN);
  if (cfg->e) {
    memcpy(hs->e_sk, cfg->e, SGP_NOISE_DHLEN);
    hs->fixed_e = 1;
  }
  hs->rng = cfg->rng;
  hs->rng_ctx = cfg->rng_ctx;

  /* InitializeSymmetric(protocol_name): h = name padded to HASHLEN, or
   * HASH(name) if longer; ck = h. */
  name_len = strlen(name);
  if (name_len <= SGP_NOISE_HASHLEN)
    memcpy(hs->ss.h, name, name_len); /* the rest is already zero */
  else
    crypto_hash_sha256(hs->ss.h, (const uint8_t *)name, name_len);
  memcpy(hs->ss.ck, hs->ss.h, SGP_NOISE_HASHLEN);
  mix_hash(&hs->ss, cfg->prologue, cfg->prologue_len);

  /* Pre-messages, initiator's first: KK "-> s, <- s"; IK "<- s". */
  if (cfg->pattern == SGP_NOISE_KK)
    mix_hash(&hs->ss, initiator ? hs->s_pk : hs->rs, SGP_NOISE_DHLEN);
  if (cfg->pattern == SGP_NOISE_KK || cfg->pattern == SGP_NOISE_IK)
    mix_hash(&hs->ss, initiator ? hs->rs : hs->s_pk, SGP_NOISE_DHLEN);

  hs->state = ST_ACTIVE;
  rc = SGP_OK;
out:
  if (rc != SGP_OK) sodium_memzero(hs, sizeof *hs);
  return rc;
}

enum sgp_noise_action sgp_noise_next(const struct sgp_noise_handshake *hs) {
  if (!hs) return SGP_NOISE_NONE;
  switch (hs->state) {
    case ST_ACTIVE:
      /* The initiator sends the even-numbered messages (0-based). */
      return ((hs->msg_index % 2 == 0) == is_initiator(hs)) ? SGP_NOISE_WRITE : SGP_NOISE_READ;
    case ST_DONE:
      return SGP_NOISE_SPLIT;
    default:
      return SGP_NOISE_NONE;
  }
}

/* The key pair a DH token uses on this side (rev 34 §7.1: "es" is DH(e, rs)
 * for the initiator and DH(s, re) for the responder, and so on).
 * SGP_ERR_STATE if a key is missing, which the tables rule out. */
static SGP_MUST_CHECK sgp_err dh_keys(const struct sgp_noise_handshake *t, enum token tok,
                                      const uint8_t **sk, const uint8_t **pk) {
  int init = is_initiator(t);
  int local_e = tok == T_EE || (tok == T_ES && init) || (tok == T_SE && !init);
  int remote_e = tok == T_EE || (tok == T_ES && !init) || (tok == T_SE && init);
  SGP_ENSURE(!local_e || t->has_e, SGP_ERR_STATE);
  SGP_ENSURE(remote_e ? t->has_re : t->has_rs, SGP_ERR_STATE);
  *sk = local_e ? t->e_sk : t->s_sk;
  *pk = remote_e ? t->re : t->rs;
  return SGP_OK;
}

/* Tokens both sides process identically: the DH tokens and psk.
 * SGP_ERR_STATE for any other token, which the tables rule out. */
static SGP_MUST_CHECK sgp_err mix_common_token(struct sgp_noise_handshake *t, enum token tok) {
  const uint8_t *sk, *pk;
  switch (tok) {
    case T_EE: /* ee */
    case T_ES: /* es */
    case T_SE: /* se */
    case T_SS: /* ss */
      SGP_GUARD(dh_keys(t, tok, &sk, &pk));
      return mix_dh(&t->ss, sk, pk);
    case T_PSK: /* psk */
      mix_key_and_hash(&t->ss, t->psk, sizeof t->psk);
      return SGP_OK;
    default:
      return SGP_ERR_STATE;
  }
}

/* Length of the next message this side writes, simulating has_key. */
static size_t write_len(const struct sgp_noise_handshake *hs, const struct tokens *toks,
                        size_t payload_len) {
  int has_key = hs->ss.cs.has_key;
  size_t len = 0;
  for (uint8_t i = 0; i < toks->n; i++) {
    switch (toks->t[i]) {
      case T_E:
        len += SGP_NOISE_DHLEN;
        if (hs->psk_modifiers) has_key = 1;
        break;
      case T_S:
        len += SGP_NOISE_DHLEN + (has_key ? SGP_NOISE_TAGLEN : 0);
        break;
      default: /* DH tokens and psk all end in MixKey */
        has_key = 1;
        break;
    }
  }
  return len + payload_len + (has_key ? SGP_NOISE_TAGLEN : 0);
}

static void advance(struct sgp_noise_handshake *t) {
  t->msg_index++;
  if (t->msg_index == find_pattern(t->pattern)->messages) t->state = ST_DONE;
}

sgp_err sgp_noise_write_message(struct sgp_noise_handshake *hs, const uint8_t *payload,
                                size_t payload_len, uint8_t *out, size_t cap, size_t *out_len) {
  SGP_ENSURE(hs && out_len && (payload || !payload_len), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(sgp_noise_next(hs) == SGP_NOISE_WRITE, SGP_ERR_STATE);
  SGP_ENSURE(payload_len <= SGP_NOISE_MAX_MSG, SGP_ERR_TOO_LARGE);

  struct tokens toks;
  tokens_for(hs, &toks);
  size_t need = write_len(hs, &toks, payload_len);
  SGP_ENSURE(need <= SGP_NOISE_MAX_MSG, SGP_ERR_TOO_LARGE);
  SGP_ENSURE(out, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(need <= cap, SGP_ERR_NO_SPACE);

  struct sgp_noise_handshake t;
  struct sgp_cursor w = sgp_cursor_writer(out, cap);
  sgp_err rc = SGP_OK;

  memcpy(&t, hs, sizeof t);
  for (uint8_t i = 0; i < toks.n; i++) {
    switch (toks.t[i]) {
      case T_E: /* e */
        if (!t.fixed_e) t.rng(t.rng_ctx, t.e_sk, sizeof t.e_sk);
        if (crypto_scalarmult_base(t.e_pk, t.e_sk) != 0) {
          rc = SGP_ERR_CRYPTO;
          goto out;
        }
        t.has_e = 1;
        if ((rc = sgp_cursor_write(&w, t.e_pk, sizeof t.e_pk)) != SGP_OK) goto out;
        mix_hash(&t.ss, t.e_pk, sizeof t.e_pk);
        if (t.psk_modifiers) mix_key(&t.ss, t.e_pk, sizeof t.e_pk); /* rev 34 §9.2 */
        break;
      case T_S: /* s */
        if ((rc = encrypt_and_hash(&t.ss, t.s_pk, sizeof t.s_pk, &w)) != SGP_OK) goto out;
        break;
      default: /* ee, es, se, ss, psk: the same on both sides */
        if ((rc = mix_common_token(&t, (enum token)toks.t[i])) != SGP_OK) goto out;
        break;
    }
  }
  /* payload */
  if ((rc = encrypt_and_hash(&t.ss, payload, payload_len, &w)) != SGP_OK) goto out;

  advance(&t);
  *out_len = w.pos;
  memcpy(hs, &t, sizeof t);
out:
  sodium_memzero(&t, sizeof t);
  return rc;
}

sgp_err sgp_noise_read_message(struct sgp_noise_handshake *hs, const uint8_t *msg, size_t msg_len,
                               uint8_t *payload, size_t cap, size_t *payload_len) {
  SGP_ENSURE(hs && payload_len && (msg || !msg_len), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(sgp_noise_next(hs) == SGP_NOISE_READ, SGP_ERR_STATE);
  SGP_ENSURE(msg_len <= SGP_NOISE_MAX_MSG, SGP_ERR_TOO_LARGE);

  struct tokens toks;
  struct sgp_noise_handshake t;
  struct sgp_cursor r = sgp_cursor_reader(msg, msg_len);
  size_t pt_len;
  sgp_err rc = SGP_OK;

  tokens_for(hs, &toks);
  memcpy(&t, hs, sizeof t);
  for (uint8_t i = 0; i < toks.n; i++) {
    switch (toks.t[i]) {
      case T_E: /* e */
        if ((rc = sgp_cursor_read(&r, t.re, sizeof t.re)) != SGP_OK) goto out;
        t.has_re = 1;
        mix_hash(&t.ss, t.re, sizeof t.re);
        if (t.psk_modifiers) mix_key(&t.ss, t.re, sizeof t.re); /* rev 34 §9.2 */
        break;
      case T_S: /* s */
        if ((rc = decrypt_and_hash(&t.ss, &r, sizeof t.rs, t.rs)) != SGP_OK) goto out;
        t.has_rs = 1;
        break;
      default: /* ee, es, se, ss, psk: the same on both sides */
        if ((rc = mix_common_token(&t, (enum token)toks.t[i])) != SGP_OK) goto out;
        break;
    }
  }
  /* payload: the rest of the message */
  pt_len = sgp_cursor_left(&r);
  if (t.ss.cs.has_key) {
    if (pt_len < SGP_NOISE_TAGLEN) {
      rc = SGP_ERR_TRUNCATED;
      goto out;
    }
    pt_len -= SGP_NOISE_TAGLEN;
  }
  if (pt_len > cap || (pt_len && !payload)) {
    rc = SGP_ERR_NO_SPACE;
    goto out;
  }
  if ((rc = decrypt_and_hash(&t.ss, &r, pt_len, payload)) != SGP_OK) goto out;

  advance(&t);
  *payload_len = pt_len;
  memcpy(hs, &t, sizeof t);
out:
  sodium_memzero(&t, sizeof t);
  return rc;
}

sgp_err sgp_noise_split(struct sgp_noise_handshake *hs, struct sgp_noise_cipher *send,
                        struct sgp_noise_cipher *recv) {
  SGP_ENSURE(hs && send && recv && send != recv, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(hs->state == ST_DONE, SGP_ERR_STATE);

  uint8_t k1[SGP_NOISE_HASHLEN], k2[SGP_NOISE_HASHLEN];
  /* temp_k1, temp_k2 = HKDF(ck, zerolen); c1 carries initiator -> responder. */
  sgp_hkdf_noise(hs->ss.ck, NULL, 0, k1, k2, NULL);
  sodium_memzero(send, sizeof *send);
  sodium_memzero(recv, sizeof *recv);
  init_key(send, is_initiator(hs) ? k1 : k2);
  init_key(recv, is_initiator(hs) ? k2 : k1);

  sodium_memzero(k1, sizeof k1);
  sodium_memzero(k2, sizeof k2);
  /* Keep h (channel binding) and the public keys; drop every secret. */
  sodium_memzero(&hs->ss.cs, sizeof hs->ss.cs);
  sodium_memzero(hs->ss.ck, sizeof hs->ss.ck);
  sodium_memzero(hs->s_sk, sizeof hs->s_sk);
  sodium_memzero(hs->e_sk, sizeof hs->e_sk);
  sodium_memzero(hs->psk, sizeof hs->psk);
  hs->state = ST_SPLIT;
  return SGP_OK;
}

sgp_err sgp_noise_handshake_hash(const struct sgp_noise_handshake *hs,
                                 uint8_t out[SGP_NOISE_HASHLEN]) {
  SGP_ENSURE(hs && out, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(hs->state == ST_DONE || hs->state == ST_SPLIT, SGP_ERR_STATE);
  memcpy(out, hs->ss.h, SGP_NOISE_HASHLEN);
  return SGP_OK;
}

sgp_err sgp_noise_remote_static(const struct sgp_noise_handshake *hs,
                                uint8_t out[SGP_NOISE_DHLEN]) {
  SGP_ENSURE(hs && out, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(hs->state != ST_NONE && hs->has_rs, SGP_ERR_STATE);
  memcpy(out, hs->rs, SGP_NOISE_DHLEN);
  return SGP_OK;
}

void sgp_noise_handshake_destroy(struct sgp_noise_handshake *hs) {
  if (hs) sodium_memzero(hs, sizeof *hs);
}
