/* Secret key file parser/formatter and the shared text lexer (keys.h). */
#include "sgp/keys.h"

#include <sodium.h>
#include <string.h>

#include "sgp/limits.h"

static const char KEY_MAGIC[] = "sgp-secret-key v1";

/* ---- lexical helpers --------------------------------------------------- */

sgp_err sgp_text_next_line(struct sgp_cursor *c, const char **line, size_t *len, unsigned *lineno) {
  /* The cursor does not count a line it rejects; number it ourselves so
   * the caller always gets the line at fault (or the one after the last). */
  unsigned before = *lineno;
  sgp_err e = sgp_cursor_read_line(c, line, len, SGP_TEXT_MAX_LINE, lineno);
  if (e != SGP_OK) *lineno = before + 1;
  return e;
}

int sgp_text_is_comment_or_blank(const char *line, size_t len) {
  return len == 0 || line[0] == '#';
}

static int printable(char ch) {
  return ch >= 0x20 && ch <= 0x7e;
}

sgp_err sgp_text_printable(const char *line, size_t len) {
  for (size_t i = 0; i < len; i++) SGP_ENSURE(printable(line[i]), SGP_ERR_SYNTAX);
  return SGP_OK;
}

sgp_err sgp_text_tokens(const char *line, size_t len, struct sgp_token *tok, size_t max,
                        size_t *count) {
  size_t n = 0, start = 0;
  SGP_GUARD(sgp_text_printable(line, len));
  /* Every token is non-empty, so a leading, trailing or doubled space
   * shows up as an empty token. */
  for (size_t i = 0; i <= len; i++) {
    if (i < len && line[i] != ' ') continue;
    SGP_ENSURE(i > start, SGP_ERR_SYNTAX);
    SGP_ENSURE(n < max, SGP_ERR_SYNTAX);
    tok[n].p = line + start;
    tok[n].len = i - start;
    n++;
    start = i + 1;
  }
  *count = n;
  return SGP_OK;
}

int sgp_text_token_is(const struct sgp_token *t, const char *word) {
  size_t wl = strlen(word);
  return t->len == wl && memcmp(t->p, word, wl) == 0;
}

/* Value of one lowercase hex digit, or -1; branch-free so secret digits do
 * not steer control flow (the same trick as libsodium's hex2bin). */
static int hex_digit(unsigned char ch) {
  unsigned c = ch;
  unsigned num = c ^ 48u;             /* '0'..'9' -> 0..9, every byte stays in 0..255 */
  unsigned alpha = c - 87u;           /* 'a'..'f' -> 10..15 */
  unsigned num_ok = (num - 10u) >> 8; /* 0xffffff iff num < 10 */
  unsigned alpha_ok = ((alpha - 10u) ^ (alpha - 16u)) >> 8; /* 0xffffff iff 10 <= alpha < 16 */
  unsigned ok = (num_ok | alpha_ok) & 1u;
  unsigned val = (num_ok & num) | (alpha_ok & alpha);
  return (int)(val & 0xfu) | -(int)(1u - ok);
}

sgp_err sgp_text_hex32(const struct sgp_token *t, uint8_t out[32]) {
  SGP_ENSURE(t->len == 64, SGP_ERR_HEX);
  int bad = 0;
  for (size_t i = 0; i < 32; i++) {
    int hi = hex_digit((unsigned char)t->p[2 * i]);
    int lo = hex_digit((unsigned char)t->p[2 * i + 1]);
    bad |= hi | lo; /* negative (sign bit set) iff some digit was invalid */
    out[i] = (uint8_t)(((unsigned)hi << 4 | (unsigned)lo) & 0xffu);
  }
  SGP_ENSURE(bad >= 0, SGP_ERR_HEX);
  return SGP_OK;
}

sgp_err sgp_text_decimal(const struct sgp_token *t, uint32_t min, uint32_t max, uint32_t *v) {
  /* 10 digits hold any uint32; longer is out of range before overflow. */
  SGP_ENSURE(t->len >= 1 && t->len <= 10, SGP_ERR_RANGE);
  SGP_ENSURE(t->len == 1 || t->p[0] != '0', SGP_ERR_RANGE);
  uint64_t x = 0;
  for (size_t i = 0; i < t->len; i++) {
    SGP_ENSURE(t->p[i] >= '0' && t->p[i] <= '9', SGP_ERR_RANGE);
    x = x * 10u + (uint64_t)(t->p[i] - '0');
  }
  SGP_ENSURE(x >= min && x <= max, SGP_ERR_RANGE);
  *v = (uint32_t)x;
  return SGP_OK;
}

/* ---- secret key -------------------------------------------------------- */

void sgp_secret_key_wipe(struct sgp_secret_key *k) {
  if (k) sodium_memzero(k, sizeof *k);
}

sgp_err sgp_keyfile_mode_check(unsigned mode) {
  SGP_ENSURE((mode & 077u) == 0, SGP_ERR_PERMISSIONS);
  return SGP_OK;
}

static sgp_err from_seeds(struct sgp_secret_key *k, uint32_t node, const uint8_t sign_seed[32],
                          const uint8_t dh_secret[32]) {
  SGP_ENSURE(node < SGP_MAX_NODES, SGP_ERR_RANGE);
  /* An all-zero secret is never the output of a random generator: it is a
   * template or a truncated file, and would be a publicly known key. */
  SGP_ENSURE(!sodium_is_zero(sign_seed, 32), SGP_ERR_RANGE);
  SGP_ENSURE(!sodium_is_zero(dh_secret, 32), SGP_ERR_RANGE);
  k->node = node;
  SGP_ENSURE(crypto_sign_seed_keypair(k->sign_pk, k->sign_sk, sign_seed) == 0, SGP_ERR_CRYPTO);
  memcpy(k->dh_sk, dh_secret, 32);
  SGP_ENSURE(crypto_scalarmult_base(k->dh_pk, k->dh_sk) == 0, SGP_ERR_CRYPTO);
  return SGP_OK;
}

sgp_err sgp_secret_key_from_seeds(struct sgp_secret_key *k, uint32_t node,
                                  const uint8_t sign_seed[32], const uint8_t dh_secret[32]) {
  SGP_ENSURE(k && sign_seed && dh_secret, SGP_ERR_INVALID_ARG);
  sgp_err e = from_seeds(k, node, sign_seed, dh_secret);
  if (e != SGP_OK) sgp_secret_key_wipe(k);
  return e;
}

enum { ENTRY_NODE, ENTRY_SIGN, ENTRY_DH, ENTRIES };

/* The secrets stay in `seeds` (wiped by the caller) until every line has
 * been read, so a late error never leaves derived keys behind. */
static sgp_err parse_secret(struct sgp_secret_key *k, const uint8_t *text, size_t len, unsigned *ln,
                            uint8_t seeds[2][32]) {
  static const char *const words[ENTRIES] = {"node", "sign-seed", "dh-secret"};
  struct sgp_cursor c = sgp_cursor_reader(text, len);
  const char *line;
  size_t ll;
  int seen[ENTRIES] = {0, 0, 0};
  uint32_t node = 0;

  /* SGP-KEY-1: line 1 is exactly the magic; an empty input lacks it. */
  sgp_err e = sgp_text_next_line(&c, &line, &ll, ln);
  if (e == SGP_ERR_TRUNCATED) return SGP_ERR_MISSING;
  SGP_GUARD(e);
  SGP_ENSURE(ll == sizeof KEY_MAGIC - 1 && memcmp(line, KEY_MAGIC, ll) == 0, SGP_ERR_SYNTAX);

  for (;;) {
    e = sgp_text_next_line(&c, &line, &ll, ln);
    if (e == SGP_ERR_TRUNCATED) break;
    SGP_GUARD(e);
    /* SGP-KEY-2: comments and empty lines; everything printable ASCII. */
    if (sgp_text_is_comment_or_blank(line, ll)) {
      SGP_GUARD(sgp_text_printable(line, ll));
      continue;
    }
    struct sgp_token t[2];
    size_t nt;
    SGP_GUARD(sgp_text_tokens(line, ll, t, 2, &nt));
    size_t w = 0;
    while (w < ENTRIES && !sgp_text_token_is(&t[0], words[w])) w++;
    SGP_ENSURE(w < ENTRIES && nt == 2, SGP_ERR_SYNTAX);
    /* SGP-KEY-3: each entry exactly once. */
    SGP_ENSURE(!seen[w], SGP_ERR_DUP_ENTRY);
    seen[w] = 1;
    if (w == ENTRY_NODE) {
      SGP_GUARD(sgp_text_decimal(&t[1], 0, SGP_MAX_NODES - 1, &node)); /* SGP-KEY-5 */
    } else {
      SGP_GUARD(sgp_text_hex32(&t[1], seeds[w - ENTRY_SIGN])); /* SGP-KEY-4 */
      /* SGP-KEY-6, reported here so the error names the line. */
      SGP_ENSURE(!sodium_is_zero(seeds[w - ENTRY_SIGN], 32), SGP_ERR_RANGE);
    }
  }
  /* *ln is now the line after the last: where absent entries are reported. */
  for (size_t w = 0; w < ENTRIES; w++) SGP_ENSURE(seen[w], SGP_ERR_MISSING);
  return from_seeds(k, node, seeds[0], seeds[1]); /* SGP-KEY-6 */
}

sgp_err sgp_secret_key_parse(struct sgp_secret_key *k, const uint8_t *text, size_t len,
                             unsigned *line) {
  unsigned ln = 0;
  SGP_ENSURE(k && (text || len == 0), SGP_ERR_INVALID_ARG);
  if (len > SGP_MAX_KEYFILE) { /* SGP-KEY-9 */
    sgp_secret_key_wipe(k);
    if (line) *line = 0;
    return SGP_ERR_TOO_LARGE;
  }
  uint8_t seeds[2][32];
  sgp_err e = parse_secret(k, text, len, &ln, seeds);
  sodium_memzero(seeds, sizeof seeds);
  /* SGP-KEY-7: nothing secret survives a rejected file. */
  if (e != SGP_OK) sgp_secret_key_wipe(k);
  if (line) *line = e == SGP_OK ? 0 : ln;
  return e;
}

static sgp_err write_str(struct sgp_cursor *w, const char *s) {
  return sgp_cursor_write(w, s, strlen(s));
}

sgp_err sgp_text_write_decimal(struct sgp_cursor *w, uint32_t v) {
  char num[10];
  size_t n = 0;
  do {
    num[sizeof num - 1 - n++] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v);
  return sgp_cursor_write(w, num + sizeof num - n, n);
}

sgp_err sgp_text_write_hex32(struct sgp_cursor *w, const uint8_t bin[32]) {
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, bin, 32); /* constant time, lowercase */
  sgp_err e = sgp_cursor_write(w, hex, 64);
  sodium_memzero(hex, sizeof hex);
  return e;
}

static sgp_err write_hex_line(struct sgp_cursor *w, const char *word, const uint8_t bin[32]) {
  SGP_GUARD(write_str(w, word));
  SGP_GUARD(write_str(w, " "));
  SGP_GUARD(sgp_text_write_hex32(w, bin));
  return write_str(w, "\n");
}

static sgp_err format_secret(const struct sgp_secret_key *k, struct sgp_cursor *w) {
  uint8_t seed[32];
  SGP_ENSURE(k->node < SGP_MAX_NODES, SGP_ERR_RANGE);
  SGP_GUARD(write_str(w, KEY_MAGIC));
  SGP_GUARD(write_str(w, "\nnode "));
  SGP_GUARD(sgp_text_write_decimal(w, k->node));
  SGP_GUARD(write_str(w, "\n"));
  crypto_sign_ed25519_sk_to_seed(seed, k->sign_sk);
  sgp_err e = write_hex_line(w, "sign-seed", seed);
  sodium_memzero(seed, sizeof seed);
  SGP_GUARD(e);
  SGP_GUARD(write_hex_line(w, "dh-secret", k->dh_sk));
  return sgp_cursor_write(w, "", 1); /* NUL, not counted */
}

sgp_err sgp_secret_key_format(const struct sgp_secret_key *k, char *out, size_t cap,
                              size_t *out_len) {
  SGP_ENSURE(k && out && out_len, SGP_ERR_INVALID_ARG);
  struct sgp_cursor w = sgp_cursor_writer((uint8_t *)out, cap);
  sgp_err e = format_secret(k, &w);
  if (e != SGP_OK) {
    sodium_memzero(out, cap); /* a partial write may hold secret hex */
    return e;
  }
  *out_len = w.pos - 1;
  return SGP_OK;
}
