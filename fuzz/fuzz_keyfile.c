/* Target Functions: sgp_secret_key_parse, sgp_secret_key_format, sgp_keyfile_mode_check,
 *                   sgp_text_decimal, sgp_text_hex32, sgp_text_tokens,
 *                   sgp_text_write_decimal, sgp_text_write_hex32
 *
 * Input: s2n-style mode byte data[0], text data[1..]:
 *   mode % 4 == 0  the text is a whole secret key file;
 *              1  the text is one token for sgp_text_decimal (0..16383 when
 *                 mode bit 2 is clear, else 0..UINT32_MAX);
 *              2  the text is one token for sgp_text_hex32;
 *              3  the text is one line for sgp_text_tokens (at most 5).
 *
 * Invariants (each a finding if it breaks; IDs are spec/sgp-v1.md §2):
 *   - every return is a named code;
 *   - key file, on error: the key struct is wiped to zeros whatever it held
 *     before, and *line is within 1 .. lines + 1 (SGP-KEY-7; §2.2: errors
 *     about something absent are reported at the line after the last);
 *   - key file, on success: *line == 0, node < 16384 (SGP-KEY-5), the
 *     public keys are the ones derived from the secrets (SGP-KEY-6),
 *     format -> parse gives the same struct, format is a fixed point, and
 *     the formatted text (entries in the order of SGP-KEY-12) equals the
 *     input's entry lines in that order: each entry once in any order
 *     (SGP-KEY-3), one spelling per value (SGP-KEY-4, SGP-KEY-5);
 *   - no accepted line is longer than 256 bytes (SGP-KEY-2);
 *   - lexical helpers accept only their canonical forms: write(parse(t)) == t
 *     for decimals (SGP-KEY-5) and hex (SGP-KEY-4); tokens are printable,
 *     and rejoined with one space they give the line (SGP-KEY-2);
 *   - sgp_keyfile_mode_check refuses exactly the modes with a group/other
 *     bit (SGP-KEY-8).
 */
#include <sodium.h>
#include <string.h>

#include "fuzz_common.h"
#include "sgp/keys.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char MAGIC[] = "sgp-secret-key v1";

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_init();
  return 0;
}

static unsigned count_lines(const uint8_t *t, size_t len) {
  unsigned n = 0;
  for (size_t i = 0; i < len; i++) n += t[i] == '\n';
  return n + (len > 0 && t[len - 1] != '\n');
}

static int all_zero(const void *p, size_t n) {
  return sodium_is_zero(p, n);
}

/* The input's entry lines in the formatter's order (node, sign-seed,
 * dh-secret), after the magic line, each with '\n'. */
static size_t canonical_of_input(const uint8_t *t, size_t len, char *out, size_t cap) {
  static const char *const words[3] = {"node ", "sign-seed ", "dh-secret "};
  size_t o = 0;
  memcpy(out, MAGIC, sizeof MAGIC - 1);
  o = sizeof MAGIC - 1;
  out[o++] = '\n';
  for (size_t w = 0; w < 3; w++) {
    size_t pos = 0;
    int first = 1;
    while (pos < len) {
      const uint8_t *nl = memchr(t + pos, '\n', len - pos);
      size_t ll = nl ? (size_t)(nl - (t + pos)) : len - pos;
      size_t wl = strlen(words[w]);
      if (!first && ll >= wl && memcmp(t + pos, words[w], wl) == 0 && o + ll + 1 <= cap) {
        memcpy(out + o, t + pos, ll);
        o += ll;
        out[o++] = '\n';
      }
      first = 0;
      pos += ll + 1;
    }
  }
  return o;
}

static void check_keyfile(const uint8_t *t, size_t len, uint8_t mode_byte) {
  struct sgp_secret_key k, k2;
  unsigned line = 12345;
  memset(&k, 0x5a, sizeof k);
  sgp_err rc = sgp_secret_key_parse(&k, t, len, &line);
  fz_check_named(rc, "sgp_secret_key_parse");
  if (rc != SGP_OK) {
    FZ_CHECK(all_zero(&k, sizeof k), "rejected key file (%s) left key bytes behind",
             sgp_err_name(rc));
    FZ_CHECK(line >= 1 && line <= count_lines(t, len) + 1, "%s at line %u of a %u-line file",
             sgp_err_name(rc), line, count_lines(t, len));
    return;
  }
  FZ_CHECK(line == 0, "success with line %u", line);
  FZ_CHECK(k.node < SGP_MAX_NODES, "node %u", k.node);
  uint8_t pk[32], dh[32];
  FZ_CHECK(crypto_sign_ed25519_sk_to_pk(pk, k.sign_sk) == 0 && memcmp(pk, k.sign_pk, 32) == 0,
           "sign_pk is not derived from the seed");
  FZ_CHECK(crypto_scalarmult_base(dh, k.dh_sk) == 0 && memcmp(dh, k.dh_pk, 32) == 0,
           "dh_pk is not derived from dh_sk");
  for (size_t i = 0, start = 0; i <= len; i++) {
    if (i < len && t[i] != '\n') continue;
    FZ_CHECK(i - start <= SGP_TEXT_MAX_LINE, "accepted a %zu-byte line", i - start);
    start = i + 1;
  }

  char text[SGP_SECRET_KEY_TEXT_MAX], text2[SGP_SECRET_KEY_TEXT_MAX];
  size_t tl = 0, tl2 = 0;
  sgp_err e = sgp_secret_key_format(&k, text, sizeof text, &tl);
  FZ_CHECK(e == SGP_OK && tl < sizeof text && text[tl] == 0, "format: %s", sgp_err_name(e));
  memset(&k2, 0xc3, sizeof k2);
  e = sgp_secret_key_parse(&k2, (const uint8_t *)text, tl, &line);
  FZ_CHECK(e == SGP_OK && memcmp(&k, &k2, sizeof k) == 0, "parse(format(k)) != k: %s",
           sgp_err_name(e));
  e = sgp_secret_key_format(&k2, text2, sizeof text2, &tl2);
  FZ_CHECK(e == SGP_OK && tl2 == tl && memcmp(text, text2, tl) == 0, "format not a fixed point");

  char canon[4 * (SGP_TEXT_MAX_LINE + 1)];
  size_t cl = canonical_of_input(t, len, canon, sizeof canon);
  FZ_CHECK(cl == tl && memcmp(canon, text, tl) == 0,
           "accepted key file is not the canonical spelling of its values");

  unsigned mode = (unsigned)mode_byte << 1 | (mode_byte & 1u);
  e = sgp_keyfile_mode_check(mode);
  FZ_CHECK(e == ((mode & 077u) ? SGP_ERR_PERMISSIONS : SGP_OK), "mode %o: %s", mode,
           sgp_err_name(e));
  sgp_secret_key_wipe(&k);
  sgp_secret_key_wipe(&k2);
  sodium_memzero(text, sizeof text);
  sodium_memzero(text2, sizeof text2);
}

static void check_decimal(const uint8_t *t, size_t len, int wide) {
  struct sgp_token tok = {(const char *)t, len};
  uint32_t v = 0, max = wide ? UINT32_MAX : SGP_MAX_NODES - 1;
  sgp_err rc = sgp_text_decimal(&tok, 0, max, &v);
  fz_check_named(rc, "sgp_text_decimal");
  if (rc != SGP_OK) {
    FZ_CHECK(rc == SGP_ERR_RANGE, "decimal error %s", sgp_err_name(rc));
    return;
  }
  FZ_CHECK(v <= max, "decimal %u above %u", v, max);
  uint8_t buf[16];
  struct sgp_cursor w = sgp_cursor_writer(buf, sizeof buf);
  FZ_CHECK(sgp_text_write_decimal(&w, v) == SGP_OK, "write_decimal");
  FZ_CHECK(w.pos == len && memcmp(buf, t, len) == 0,
           "decimal %u accepted in a non-canonical spelling", v);
}

static void check_hex(const uint8_t *t, size_t len) {
  struct sgp_token tok = {(const char *)t, len};
  uint8_t bin[32];
  sgp_err rc = sgp_text_hex32(&tok, bin);
  fz_check_named(rc, "sgp_text_hex32");
  if (rc != SGP_OK) {
    FZ_CHECK(rc == SGP_ERR_HEX, "hex error %s", sgp_err_name(rc));
    return;
  }
  uint8_t buf[64];
  struct sgp_cursor w = sgp_cursor_writer(buf, sizeof buf);
  FZ_CHECK(sgp_text_write_hex32(&w, bin) == SGP_OK, "write_hex32");
  FZ_CHECK(len == 64 && memcmp(buf, t, 64) == 0, "hex accepted in a non-canonical spelling");
}

static void check_tokens(const uint8_t *t, size_t len) {
  struct sgp_token tok[5];
  size_t n = 0;
  sgp_err rc = sgp_text_tokens((const char *)t, len, tok, 5, &n);
  fz_check_named(rc, "sgp_text_tokens");
  if (rc != SGP_OK) {
    FZ_CHECK(rc == SGP_ERR_SYNTAX, "tokens error %s", sgp_err_name(rc));
    return;
  }
  FZ_CHECK(n >= 1 && n <= 5, "%zu tokens", n);
  size_t pos = 0;
  for (size_t i = 0; i < n; i++) {
    FZ_CHECK(tok[i].len > 0 && tok[i].p == (const char *)t + pos, "token %zu misplaced", i);
    for (size_t j = 0; j < tok[i].len; j++)
      FZ_CHECK(tok[i].p[j] > 0x20 && tok[i].p[j] <= 0x7e, "token byte 0x%02x",
               (unsigned)(uint8_t)tok[i].p[j]);
    pos += tok[i].len;
    if (i + 1 < n) FZ_CHECK(t[pos++] == ' ', "tokens not separated by one space");
  }
  FZ_CHECK(pos == len, "tokens do not cover the line");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const uint8_t *t = data + 1;
  size_t len = size - 1;
  switch (data[0] & 3u) {
    case 0:
      check_keyfile(t, len, data[0]);
      break;
    case 1:
      check_decimal(t, len, data[0] & 4u);
      break;
    case 2:
      check_hex(t, len);
      break;
    default:
      check_tokens(t, len);
      break;
  }
  return 0;
}
