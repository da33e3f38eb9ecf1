/* Secret key file (spec "Keys and roster", SGP-KEY-1..8) and the lexical
 * rules shared by the SGP text formats (key file, roster).
 *
 * Pure: parses and formats caller buffers; no I/O, no malloc, no
 * randomness.  The file format is exact:
 *
 *   sgp-secret-key v1
 *   node <id>
 *   sign-seed <64 lowercase hex>
 *   dh-secret <64 lowercase hex>
 *
 * After line 1, the three entries may come in any order, each exactly once,
 * with full-line '#' comments and empty lines anywhere between them.
 *
 * Contract of the parser: on SGP_OK *k is complete (Ed25519 pair derived
 * with crypto_sign_seed_keypair, X25519 public key with
 * crypto_scalarmult_base) and *line is 0.  On any error *k is wiped to
 * zeros and *line is the 1-based number of the offending line; an error
 * about something absent (a missing entry, an empty input) is reported at
 * the line after the last one ("end of input").
 *
 * The caller owns the secrets: wipe the text buffer and call
 * sgp_secret_key_wipe when done.  libsodium must be initialised
 * (sodium_init) before any function here is called.
 */
#ifndef SGP_KEYS_H
#define SGP_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/cursor.h"
#include "sgp/result.h"

enum {
  /* Longest accepted line of any SGP text file, without its '\n'
   * (SGP-KEY-2, SGP-ROSTER-2); longer lines are SGP_ERR_TOO_LARGE. */
  SGP_TEXT_MAX_LINE = 256,
  /* Output bound of sgp_secret_key_format, NUL included. */
  SGP_SECRET_KEY_TEXT_MAX = 256,
};

struct sgp_secret_key {
  uint32_t node;
  uint8_t sign_pk[32];
  uint8_t sign_sk[64]; /* libsodium layout: seed || pk */
  uint8_t dh_sk[32];   /* X25519 secret (unclamped, as in the file) */
  uint8_t dh_pk[32];
};

/* Builds a key from its two 32-byte secrets (what the file stores).
 * SGP_ERR_RANGE if node >= SGP_MAX_NODES or either secret is all zero
 * (SGP-KEY-5, SGP-KEY-6).  On error *k is wiped. */
SGP_MUST_CHECK sgp_err sgp_secret_key_from_seeds(struct sgp_secret_key *k, uint32_t node,
                                                 const uint8_t sign_seed[32],
                                                 const uint8_t dh_secret[32]);

/* Parses a whole key file (text, len); see the contract above. */
SGP_MUST_CHECK sgp_err sgp_secret_key_parse(struct sgp_secret_key *k, const uint8_t *text,
                                            size_t len, unsigned *line);

/* Writes the canonical file text (entries in the order node, sign-seed,
 * dh-secret, each line ending in '\n') plus a NUL into out[0..cap).
 * *out_len excludes the NUL.  SGP_ERR_NO_SPACE if cap is too small, in
 * which case out is wiped.  sgp_secret_key_parse(format(k)) == k. */
SGP_MUST_CHECK sgp_err sgp_secret_key_format(const struct sgp_secret_key *k, char *out, size_t cap,
                                             size_t *out_len);

void sgp_secret_key_wipe(struct sgp_secret_key *k);

/* SGP-KEY-8: a secret key file whose mode grants any permission to group
 * or others (mode & 077) is refused with SGP_ERR_PERMISSIONS.  mode is
 * st_mode from fstat of the opened file; the caller does the I/O. */
SGP_MUST_CHECK sgp_err sgp_keyfile_mode_check(unsigned mode);

/* ---- lexical helpers shared by the text parsers (keys, roster) -------- */

struct sgp_token {
  const char *p;
  size_t len;
};

/* Next line via sgp_cursor_read_line with SGP_TEXT_MAX_LINE.  *lineno is
 * the number of the returned line; on an error (SGP_ERR_TRUNCATED at end
 * of input, SGP_ERR_SYNTAX for a NUL, SGP_ERR_TOO_LARGE) it is the number
 * of the line that could not be read. */
SGP_MUST_CHECK sgp_err sgp_text_next_line(struct sgp_cursor *c, const char **line, size_t *len,
                                          unsigned *lineno);

/* 1 for a line the grammars skip: empty, or starting with '#' (whose
 * bytes must still be printable ASCII: see sgp_text_tokens). */
int sgp_text_is_comment_or_blank(const char *line, size_t len);

/* Splits a line into tokens separated by exactly one space.  SGP_ERR_SYNTAX
 * for any byte outside 0x20..0x7e (tab, CR, DEL, non-ASCII), a leading or
 * trailing space, two adjacent spaces, or more than max tokens. */
SGP_MUST_CHECK sgp_err sgp_text_tokens(const char *line, size_t len, struct sgp_token *tok,
                                       size_t max, size_t *count);

/* SGP_ERR_SYNTAX unless every byte is in 0x20..0x7e (used for comments). */
SGP_MUST_CHECK sgp_err sgp_text_printable(const char *line, size_t len);

/* Exactly 64 lowercase hex digits -> 32 bytes, else SGP_ERR_HEX (out is
 * then unspecified).  Runs in time independent of the digit values. */
SGP_MUST_CHECK sgp_err sgp_text_hex32(const struct sgp_token *t, uint8_t out[32]);

/* Canonical decimal ("0" or [1-9][0-9]*, no sign, no leading zero) with
 * min <= value <= max, else SGP_ERR_RANGE. */
SGP_MUST_CHECK sgp_err sgp_text_decimal(const struct sgp_token *t, uint32_t min, uint32_t max,
                                        uint32_t *v);

int sgp_text_token_is(const struct sgp_token *t, const char *word);

/* Writers for the formatters: canonical decimal; 64 lowercase hex digits
 * (constant time; the temporary is wiped, so secrets may pass through). */
SGP_MUST_CHECK sgp_err sgp_text_write_decimal(struct sgp_cursor *w, uint32_t v);
SGP_MUST_CHECK sgp_err sgp_text_write_hex32(struct sgp_cursor *w, const uint8_t bin[32]);

#endif
