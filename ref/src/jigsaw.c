/* Jigsaw AONT and XOR parity; see sgp/jigsaw.h for the contract. */
#include "sgp/jigsaw.h"

#include <sodium.h>
#include <string.h>

/* "SGP/1 jigsaw" || 0x00: the 13-byte domain separator of §8.4. */
static const uint8_t jig_label[13] = {'S', 'G', 'P', '/', '1', ' ', 'j',
                                      'i', 'g', 's', 'a', 'w', 0x00};
static const uint8_t zero_nonce[crypto_stream_chacha20_ietf_NONCEBYTES];

_Static_assert(crypto_hash_sha256_BYTES == SGP_JIG_KEY_BYTES, "K and d have the same size");
_Static_assert(crypto_stream_chacha20_ietf_KEYBYTES == SGP_JIG_KEY_BYTES, "ChaCha20 key");

/* d = HASH(label || c).  The caller wipes d. */
static void jig_digest(const uint8_t *c, size_t len, uint8_t d[SGP_JIG_KEY_BYTES]) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, jig_label, sizeof jig_label);
  crypto_hash_sha256_update(&st, c, len);
  crypto_hash_sha256_final(&st, d);
  sodium_memzero(&st, sizeof st);
}

/* Nonzero if [a, a+alen) and [b, b+blen) share a byte but a != b. */
static int partial_overlap(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
  uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
  if (x == y) return 0;
  return x < y ? y - x < alen : x - y < blen;
}

sgp_err sgp_jig_aont(const uint8_t *m, size_t len, sgp_jig_rng rng, void *rng_ctx, uint8_t *out,
                     size_t out_cap, size_t *out_len) {
  SGP_ENSURE(m && rng && out && out_len, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(len >= 1, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(len <= SGP_FRAG_MAX_PLAIN, SGP_ERR_TOO_LARGE);
  SGP_ENSURE(out_cap >= len + SGP_JIG_KEY_BYTES, SGP_ERR_NO_SPACE);
  SGP_ENSURE(!partial_overlap(m, len, out, out_cap), SGP_ERR_INVALID_ARG);

  uint8_t k[SGP_JIG_KEY_BYTES], d[SGP_JIG_KEY_BYTES];
  rng(rng_ctx, k, sizeof k); /* fresh K per message (SGP-JIG-3) */
  if (crypto_stream_chacha20_ietf_xor(out, m, len, zero_nonce, k) != 0) {
    sodium_memzero(k, sizeof k);
    return SGP_ERR_CRYPTO;
  }
  jig_digest(out, len, d);
  for (size_t i = 0; i < SGP_JIG_KEY_BYTES; i++) out[len + i] = (uint8_t)(k[i] ^ d[i]);
  sodium_memzero(k, sizeof k);
  sodium_memzero(d, sizeof d);
  *out_len = len + SGP_JIG_KEY_BYTES;
  return SGP_OK;
}

sgp_err sgp_jig_aont_inverse(const uint8_t *pkg, size_t len, uint8_t *out, size_t out_cap,
                             size_t *out_len) {
  SGP_ENSURE(pkg && out && out_len, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(len >= SGP_FRAG_AONT_MIN, SGP_ERR_TRUNCATED);
  SGP_ENSURE(len <= SGP_FRAG_MAX_MESSAGE, SGP_ERR_TOO_LARGE);
  size_t l = len - SGP_JIG_KEY_BYTES;
  SGP_ENSURE(out_cap >= l, SGP_ERR_NO_SPACE);
  SGP_ENSURE(!partial_overlap(pkg, len, out, out_cap), SGP_ERR_INVALID_ARG);

  uint8_t k[SGP_JIG_KEY_BYTES];
  jig_digest(pkg, l, k);
  /* K = key block XOR d, computed before out (possibly pkg) is written. */
  for (size_t i = 0; i < SGP_JIG_KEY_BYTES; i++) k[i] ^= pkg[l + i];
  int rc = crypto_stream_chacha20_ietf_xor(out, pkg, l, zero_nonce, k);
  sodium_memzero(k, sizeof k);
  SGP_ENSURE(rc == 0, SGP_ERR_CRYPTO);
  *out_len = l;
  return SGP_OK;
}

sgp_err sgp_jig_encode(enum sgp_jig_mode mode, const uint8_t *packet, size_t len, sgp_jig_rng rng,
                       void *rng_ctx, uint8_t *out, size_t out_cap, size_t *out_len,
                       uint8_t *flags) {
  SGP_ENSURE(packet && out && out_len && flags, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(packet != out, SGP_ERR_INVALID_ARG);
  switch (mode) {
    case SGP_JIG_OFF:
      SGP_ENSURE(len >= 1, SGP_ERR_INVALID_ARG);
      SGP_ENSURE(len <= SGP_FRAG_MAX_PLAIN, SGP_ERR_TOO_LARGE);
      SGP_ENSURE(out_cap >= len, SGP_ERR_NO_SPACE);
      SGP_ENSURE(!partial_overlap(packet, len, out, out_cap), SGP_ERR_INVALID_ARG);
      memcpy(out, packet, len);
      *out_len = len;
      *flags = 0x00;
      return SGP_OK;
    case SGP_JIG_AONT:
    case SGP_JIG_AONT_PARITY:
      SGP_GUARD(sgp_jig_aont(packet, len, rng, rng_ctx, out, out_cap, out_len));
      *flags =
          mode == SGP_JIG_AONT ? SGP_FRAG_FLAG_AONT : SGP_FRAG_FLAG_AONT | SGP_FRAG_FLAG_PARITY;
      return SGP_OK;
    default:
      return SGP_ERR_RANGE;
  }
}

sgp_err sgp_jig_decode(uint8_t flags, const uint8_t *msg, size_t len, uint8_t *out, size_t out_cap,
                       size_t *out_len) {
  SGP_ENSURE(msg && out && out_len, SGP_ERR_INVALID_ARG);
  if (flags == (SGP_FRAG_FLAG_AONT | SGP_FRAG_FLAG_PARITY) || flags == SGP_FRAG_FLAG_AONT)
    return sgp_jig_aont_inverse(msg, len, out, out_cap, out_len);
  SGP_ENSURE(flags == 0x00, SGP_ERR_RESERVED);
  SGP_ENSURE(len >= 1, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(len <= SGP_FRAG_MAX_PLAIN, SGP_ERR_TOO_LARGE);
  SGP_ENSURE(out_cap >= len, SGP_ERR_NO_SPACE);
  SGP_ENSURE(!partial_overlap(msg, len, out, out_cap), SGP_ERR_INVALID_ARG);
  if (out != msg) memcpy(out, msg, len);
  *out_len = len;
  return SGP_OK;
}

static size_t min_size(size_t a, size_t b) {
  return a < b ? a : b;
}

sgp_err sgp_jig_parity(const uint8_t *msg, size_t len, uint8_t *out, size_t out_cap,
                       size_t *parity_len) {
  SGP_ENSURE(msg && out && parity_len, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(len >= 1 && len <= SGP_FRAG_MAX_MESSAGE, SGP_ERR_INVALID_ARG);
  size_t p = min_size(SGP_FRAG_DATA, len);
  SGP_ENSURE(out_cap >= p, SGP_ERR_NO_SPACE);
  SGP_ENSURE(!partial_overlap(msg, len, out, out_cap), SGP_ERR_INVALID_ARG);
  memset(out, 0, p);
  for (size_t off = 0; off < len; off += SGP_FRAG_DATA) {
    size_t n = min_size(SGP_FRAG_DATA, len - off); /* zero padding adds nothing */
    for (size_t b = 0; b < n; b++) out[b] ^= msg[off + b];
  }
  *parity_len = p;
  return SGP_OK;
}

sgp_err sgp_jig_rebuild(uint8_t *msg, size_t len, uint32_t missing, const uint8_t *parity,
                        size_t parity_len) {
  SGP_ENSURE(msg && parity, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(len >= 1 && len <= SGP_FRAG_MAX_MESSAGE, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(parity_len == min_size(SGP_FRAG_DATA, len), SGP_ERR_INVALID_ARG);
  size_t k = (len + SGP_FRAG_DATA - 1) / SGP_FRAG_DATA;
  SGP_ENSURE(missing < k, SGP_ERR_INVALID_ARG);
  size_t at = (size_t)missing * SGP_FRAG_DATA;
  size_t n = min_size(SGP_FRAG_DATA, len - at);
  SGP_ENSURE(!partial_overlap(msg, len, parity, parity_len) && msg != parity, SGP_ERR_INVALID_ARG);
  uint8_t *dst = msg + at;
  memcpy(dst, parity, n); /* truncated to the fragment's length (SGP-JIG-5) */
  for (size_t off = 0; off < len; off += SGP_FRAG_DATA) {
    if (off == at) continue;
    size_t m = min_size(min_size(SGP_FRAG_DATA, len - off), n);
    for (size_t b = 0; b < m; b++) dst[b] ^= msg[off + b];
  }
  return SGP_OK;
}
