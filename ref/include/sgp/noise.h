/* Noise Protocol Framework (rev 34) for Noise_{KK,IK,XX}[psk0|psk2]_25519_ChaChaPoly_SHA256.
 *
 * SGP's transport uses Noise_KK_25519_ChaChaPoly_SHA256 with prologue "SGP/1"
 * (decisions, Transport); IK, XX and the psk0/psk2 modifiers exist so the
 * generic HandshakeState can be checked against the public test vectors.
 *
 * Primitives, all from libsodium: X25519 (crypto_scalarmult; its -1 for an
 * all-zero / low-order result is SGP_ERR_CRYPTO), ChaCha20-Poly1305 IETF with
 * the Noise nonce 0x00000000 || LE64(n), SHA-256, HKDF over HMAC-SHA256.
 *
 * Contract:
 *  - Caller-provided structs, no allocation, no I/O, no clock.  Randomness is
 *    injected: either a fixed ephemeral secret (tests, vectors) or an RNG
 *    callback that must fill `out` with `len` uniformly random bytes.
 *  - Every handshake step works on a scratch copy and commits it only on
 *    success: a rejected message (bad AEAD tag, bad DH, short input) or a
 *    failed write changes no state, so a forged datagram cannot kill a
 *    handshake in progress.  Output buffers are unspecified on error.
 *  - Secrets (chaining key, cipher keys, static and ephemeral secrets, DH
 *    outputs, HKDF temporaries, psk) are wiped with sodium_memzero at the end
 *    of every step, by sgp_noise_split and by the destroy functions.
 *  - Order is enforced: writing out of turn, reading out of turn, splitting
 *    before the last message or twice is SGP_ERR_STATE.
 *  - Messages are at most SGP_NOISE_MAX_MSG bytes (SGP_ERR_TOO_LARGE above);
 *    a message shorter than its tokens need is SGP_ERR_TRUNCATED; an output
 *    buffer too small is SGP_ERR_NO_SPACE.
 */
#ifndef SGP_NOISE_H
#define SGP_NOISE_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/result.h"

enum {
  SGP_NOISE_DHLEN = 32,
  SGP_NOISE_HASHLEN = 32,
  SGP_NOISE_KEYLEN = 32,
  SGP_NOISE_PSKLEN = 32,
  SGP_NOISE_TAGLEN = 16,
  SGP_NOISE_MAX_MSG = 65535,
  /* Room for the longest protocol name we build, with its NUL
   * ("Noise_XXpsk0_25519_ChaChaPoly_SHA256" is 37 bytes). */
  SGP_NOISE_MAX_NAME = 48,
};

enum sgp_noise_pattern {
  SGP_NOISE_KK = 1, /* -> s, <- s ; -> e, es, ss ; <- e, ee, se */
  SGP_NOISE_IK = 2, /* <- s ; -> e, es, s, ss ; <- e, ee, se */
  SGP_NOISE_XX = 3, /* -> e ; <- e, ee, s, es ; -> s, se */
};

/* psk modifier: 0 (none) or exactly one of these. */
enum {
  SGP_NOISE_PSK0 = 1u << 0, /* psk at the start of message 1 */
  SGP_NOISE_PSK2 = 1u << 2, /* psk at the end of message 2 */
};

enum sgp_noise_role { SGP_NOISE_INITIATOR = 1, SGP_NOISE_RESPONDER = 2 };

/* What the handshake expects next (sgp_noise_next). */
enum sgp_noise_action {
  SGP_NOISE_NONE = 0,  /* not initialised, or already split */
  SGP_NOISE_WRITE = 1, /* call sgp_noise_write_message */
  SGP_NOISE_READ = 2,  /* call sgp_noise_read_message */
  SGP_NOISE_SPLIT = 3, /* all messages done: call sgp_noise_split */
};

typedef void (*sgp_noise_rng)(void *ctx, uint8_t *out, size_t len);

/* CipherState.  A transport CipherState also supports explicit nonces
 * (sgp_noise_encrypt_at / _decrypt_at) for a WireGuard-style counter header
 * checked against a replay window (sgp/replay.h). */
struct sgp_noise_cipher {
  uint8_t k[SGP_NOISE_KEYLEN];
  uint64_t n;
  uint8_t has_key;
};

/* SymmetricState. */
struct sgp_noise_symmetric {
  struct sgp_noise_cipher cs;
  uint8_t ck[SGP_NOISE_HASHLEN];
  uint8_t h[SGP_NOISE_HASHLEN];
};

struct sgp_noise_config {
  enum sgp_noise_pattern pattern;
  unsigned psk_modifiers; /* 0, SGP_NOISE_PSK0 or SGP_NOISE_PSK2 */
  enum sgp_noise_role role;
  const uint8_t *prologue; /* may be NULL when prologue_len == 0 */
  size_t prologue_len;
  const uint8_t *s;   /* local static X25519 secret (every supported pattern has one) */
  const uint8_t *rs;  /* remote static public key: required for KK, and for the IK
                         initiator; must be NULL otherwise (it is learned) */
  const uint8_t *psk; /* 32 bytes iff psk_modifiers != 0, else NULL */
  const uint8_t *e;   /* fixed ephemeral secret (tests only), or NULL ... */
  sgp_noise_rng rng;  /* ... and then this draws it at the e token */
  void *rng_ctx;
};

/* HandshakeState: treat as opaque; fields are public only so callers can
 * place it on the stack or in a peer struct. */
struct sgp_noise_handshake {
  struct sgp_noise_symmetric ss;
  uint8_t s_sk[SGP_NOISE_DHLEN], s_pk[SGP_NOISE_DHLEN];
  uint8_t e_sk[SGP_NOISE_DHLEN], e_pk[SGP_NOISE_DHLEN];
  uint8_t rs[SGP_NOISE_DHLEN], re[SGP_NOISE_DHLEN];
  uint8_t psk[SGP_NOISE_PSKLEN];
  uint8_t has_e, has_rs, has_re, fixed_e;
  uint8_t pattern, role, msg_index, state;
  unsigned psk_modifiers;
  sgp_noise_rng rng;
  void *rng_ctx;
};

/* The Noise protocol name for a (pattern, psk_modifiers) pair, e.g.
 * "Noise_KKpsk0_25519_ChaChaPoly_SHA256".  SGP_ERR_INVALID_ARG for an
 * unsupported combination, SGP_ERR_NO_SPACE if cap is too small. */
SGP_MUST_CHECK sgp_err sgp_noise_protocol_name(enum sgp_noise_pattern pattern,
                                               unsigned psk_modifiers, char *out, size_t cap);
/* Inverse: SGP_ERR_INVALID_ARG if `name` is not one we implement. */
SGP_MUST_CHECK sgp_err sgp_noise_parse_protocol_name(const char *name,
                                                     enum sgp_noise_pattern *pattern,
                                                     unsigned *psk_modifiers);

/* Initialize(): validates cfg (SGP_ERR_INVALID_ARG), copies the keys it
 * needs, hashes protocol name, prologue and pre-message keys.  On error hs
 * is left wiped (sgp_noise_next == SGP_NOISE_NONE). */
SGP_MUST_CHECK sgp_err sgp_noise_init(struct sgp_noise_handshake *hs,
                                      const struct sgp_noise_config *cfg);

enum sgp_noise_action sgp_noise_next(const struct sgp_noise_handshake *hs);

/* WriteMessage(payload): writes the next handshake message into out
 * (capacity cap), *out_len its length.  payload may be NULL if payload_len
 * is 0; payload and out must not overlap. */
SGP_MUST_CHECK sgp_err sgp_noise_write_message(struct sgp_noise_handshake *hs,
                                               const uint8_t *payload, size_t payload_len,
                                               uint8_t *out, size_t cap, size_t *out_len);

/* ReadMessage(msg): processes the next handshake message and writes its
 * decrypted payload into payload (capacity cap), *payload_len its length.
 * msg and payload must not overlap. */
SGP_MUST_CHECK sgp_err sgp_noise_read_message(struct sgp_noise_handshake *hs, const uint8_t *msg,
                                              size_t msg_len, uint8_t *payload, size_t cap,
                                              size_t *payload_len);

/* Split(): derives the two transport CipherStates, already oriented for
 * this side (initiator: send = c1, recv = c2; responder: the reverse), then
 * wipes every secret in hs.  The handshake hash and the remote static key
 * stay readable. */
SGP_MUST_CHECK sgp_err sgp_noise_split(struct sgp_noise_handshake *hs,
                                       struct sgp_noise_cipher *send,
                                       struct sgp_noise_cipher *recv);

/* Channel binding value h; SGP_ERR_STATE before the last message. */
SGP_MUST_CHECK sgp_err sgp_noise_handshake_hash(const struct sgp_noise_handshake *hs,
                                                uint8_t out[SGP_NOISE_HASHLEN]);
/* The peer's static public key (given or learned); SGP_ERR_STATE if not
 * yet known. */
SGP_MUST_CHECK sgp_err sgp_noise_remote_static(const struct sgp_noise_handshake *hs,
                                               uint8_t out[SGP_NOISE_DHLEN]);

void sgp_noise_handshake_destroy(struct sgp_noise_handshake *hs);

/* Transport: EncryptWithAd / DecryptWithAd with the implicit counter n,
 * which advances only on success.  n == 2^64-1 is reserved by Noise:
 * SGP_ERR_EXHAUSTED.  SGP_ERR_STATE if the cipher has no key.
 * Output length is pt_len + 16 (encrypt) or ct_len - 16 (decrypt);
 * in-place operation (out == in) is allowed, partial overlap is not. */
SGP_MUST_CHECK sgp_err sgp_noise_encrypt(struct sgp_noise_cipher *c, const uint8_t *ad,
                                         size_t ad_len, const uint8_t *pt, size_t pt_len,
                                         uint8_t *out, size_t cap, size_t *out_len);
SGP_MUST_CHECK sgp_err sgp_noise_decrypt(struct sgp_noise_cipher *c, const uint8_t *ad,
                                         size_t ad_len, const uint8_t *ct, size_t ct_len,
                                         uint8_t *out, size_t cap, size_t *out_len);

/* The same with an explicit nonce and no state change, for a transport that
 * sends the counter in clear and checks it with a replay window after
 * decryption succeeded.  Nonce 2^64-1 is SGP_ERR_EXHAUSTED. */
SGP_MUST_CHECK sgp_err sgp_noise_encrypt_at(const struct sgp_noise_cipher *c, uint64_t n,
                                            const uint8_t *ad, size_t ad_len, const uint8_t *pt,
                                            size_t pt_len, uint8_t *out, size_t cap,
                                            size_t *out_len);
SGP_MUST_CHECK sgp_err sgp_noise_decrypt_at(const struct sgp_noise_cipher *c, uint64_t n,
                                            const uint8_t *ad, size_t ad_len, const uint8_t *ct,
                                            size_t ct_len, uint8_t *out, size_t cap,
                                            size_t *out_len);

void sgp_noise_cipher_destroy(struct sgp_noise_cipher *c);

#endif
