/* Key log reader for `sgp inspect` (contract in keylog.h). */
#include "keylog.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/cursor.h"
#include "sgp/keys.h"

enum { KL_FIELDS = 9 };

const char *sgpi_kl_err_name(enum sgpi_kl_err e) {
  static const char *const names[] = {
#define SGPI_KL_NAME_(code, name) name,
      SGPI_KL_ERRS(SGPI_KL_NAME_)
#undef SGPI_KL_NAME_
  };
  return (unsigned)e < SGPI_KL_ERR_COUNT ? names[e] : "?";
}

static sgp_err fail(enum sgpi_kl_err *why, enum sgpi_kl_err reason, sgp_err e) {
  *why = reason;
  return e;
}

/* Exactly 8 lowercase hex digits. */
static sgp_err hex8(const struct sgp_token *t, uint32_t *v) {
  SGP_ENSURE(t->len == 8, SGP_ERR_HEX);
  uint32_t x = 0;
  for (size_t i = 0; i < 8; i++) {
    char ch = t->p[i];
    uint32_t d = 0;
    if (ch >= '0' && ch <= '9') {
      d = (uint32_t)(ch - '0');
    } else if (ch >= 'a' && ch <= 'f') {
      d = (uint32_t)(ch - 'a' + 10);
    } else {
      return SGP_ERR_HEX;
    }
    x = x << 4 | d;
  }
  *v = x;
  return SGP_OK;
}

/* <seconds>.<3 digits> (the node's monotonic clock): only the shape matters here. */
static sgp_err created_time(const struct sgp_token *t) {
  SGP_ENSURE(t->len >= 5 && t->len <= 24 && t->p[t->len - 4] == '.', SGP_ERR_SYNTAX);
  for (size_t i = 0; i < t->len; i++) {
    SGP_ENSURE(i == t->len - 4 || (t->p[i] >= '0' && t->p[i] <= '9'), SGP_ERR_SYNTAX);
  }
  return SGP_OK;
}

/* Adds one directional key unless the same (index, direction, key) is
 * there; the same index and direction with another key conflicts. */
static sgp_err lookup(const struct sgpi_keylog *kl, const struct sgpi_key *k, int *present) {
  *present = 0;
  for (size_t i = 0; i < kl->count; i++) {
    const struct sgpi_key *o = &kl->keys[i];
    if (o->index != k->index || o->sender != k->sender || o->receiver != k->receiver) continue;
    if (sodium_memcmp(o->key, k->key, sizeof k->key) != 0) return SGP_ERR_DUP_ENTRY;
    *present = 1;
  }
  return SGP_OK;
}

sgp_err sgpi_keylog_line(struct sgpi_keylog *kl, const char *line, size_t len, unsigned lineno,
                         enum sgpi_kl_err *why) {
  SGP_ENSURE(kl && why && (line || !len), SGP_ERR_INVALID_ARG);
  *why = SGPI_KL_OK;
  if (sgp_text_is_comment_or_blank(line, len)) {
    return sgp_text_printable(line, len) == SGP_OK ? SGP_OK
                                                   : fail(why, SGPI_KL_LINE, SGP_ERR_SYNTAX);
  }
  struct sgp_token t[KL_FIELDS + 1];
  size_t n = 0;
  if (sgp_text_tokens(line, len, t, KL_FIELDS + 1, &n) != SGP_OK) {
    return fail(why, SGPI_KL_LINE, SGP_ERR_SYNTAX);
  }
  if (!sgp_text_token_is(&t[0], "SGP_SESSION") || n < 2 || !sgp_text_token_is(&t[1], "v1")) {
    return fail(why, SGPI_KL_UNKNOWN_RECORD, SGP_ERR_VERSION);
  }
  if (n != KL_FIELDS) return fail(why, SGPI_KL_FIELDS, SGP_ERR_SYNTAX);
  uint32_t self = 0, peer = 0, li = 0, ri = 0;
  if (sgp_text_decimal(&t[2], 0, SGPI_KL_MAX_NODE, &self) != SGP_OK ||
      sgp_text_decimal(&t[3], 0, SGPI_KL_MAX_NODE, &peer) != SGP_OK || self == peer) {
    return fail(why, SGPI_KL_NODE, SGP_ERR_NODE_ID);
  }
  struct sgpi_key k[2];
  memset(k, 0, sizeof k);
  sgp_err e = SGP_OK;
  if (hex8(&t[4], &li) != SGP_OK || hex8(&t[5], &ri) != SGP_OK ||
      sgp_text_hex32(&t[6], k[1].key) != SGP_OK || sgp_text_hex32(&t[7], k[0].key) != SGP_OK) {
    e = fail(why, SGPI_KL_HEX, SGP_ERR_HEX);
  } else if (created_time(&t[8]) != SGP_OK) {
    e = fail(why, SGPI_KL_TIME, SGP_ERR_SYNTAX);
  }
  /* k[0]: peer -> self under local_index (recv_key); k[1]: self -> peer under remote_index. */
  k[0].index = li;
  k[0].sender = peer;
  k[0].receiver = self;
  k[1].index = ri;
  k[1].sender = self;
  k[1].receiver = peer;
  k[0].line = k[1].line = lineno;
  int present[2] = {0, 0};
  if (e == SGP_OK &&
      (lookup(kl, &k[0], &present[0]) != SGP_OK || lookup(kl, &k[1], &present[1]) != SGP_OK)) {
    e = fail(why, SGPI_KL_CONFLICT, SGP_ERR_DUP_ENTRY);
  }
  size_t need = (size_t)!present[0] + (size_t)!present[1];
  if (e == SGP_OK && need > kl->cap - kl->count) e = fail(why, SGPI_KL_TOO_MANY, SGP_ERR_NO_SPACE);
  if (e == SGP_OK) {
    for (size_t i = 0; i < 2; i++) {
      if (!present[i]) kl->keys[kl->count++] = k[i];
    }
    kl->sessions++;
    if (self > kl->max_node) kl->max_node = self;
    if (peer > kl->max_node) kl->max_node = peer;
  }
  sodium_memzero(k, sizeof k);
  return e;
}

static int key_cmp(const void *a, const void *b) {
  const struct sgpi_key *x = a, *y = b;
  if (x->index != y->index) return x->index < y->index ? -1 : 1;
  return x->line < y->line ? -1 : x->line > y->line ? 1 : 0;
}

sgp_err sgpi_keylog_parse(struct sgpi_keylog *kl, struct sgpi_key *keys, size_t cap,
                          const uint8_t *text, size_t len) {
  SGP_ENSURE(kl && (keys || !cap) && (text || !len), SGP_ERR_INVALID_ARG);
  memset(kl, 0, sizeof *kl);
  kl->keys = keys;
  kl->cap = cap;
  struct sgp_cursor c = sgp_cursor_reader(text, len);
  unsigned lineno = 0;
  while (sgp_cursor_left(&c) > 0) {
    const char *line = NULL;
    size_t llen = 0;
    unsigned before = lineno;
    sgp_err e = sgp_cursor_read_line(&c, &line, &llen, SGPI_KL_MAX_LINE, &lineno);
    kl->lines++;
    if (e != SGP_OK) {
      /* A NUL or an overlong line: skip past its '\n' (the cursor did not move). */
      kl->errors[SGPI_KL_LINE]++;
      const uint8_t *rest = c.cdata + c.pos;
      const uint8_t *nl = memchr(rest, '\n', sgp_cursor_left(&c));
      size_t skip = nl != NULL ? (size_t)(nl - rest) + 1u : sgp_cursor_left(&c);
      if (sgp_cursor_skip(&c, skip) != SGP_OK) break;
      lineno = before + 1;
      continue;
    }
    enum sgpi_kl_err why = SGPI_KL_OK;
    if (sgpi_keylog_line(kl, line, llen, lineno, &why) != SGP_OK) kl->errors[why]++;
  }
  if (kl->count > 1) qsort(kl->keys, kl->count, sizeof kl->keys[0], key_cmp);
  return SGP_OK;
}

size_t sgpi_keylog_find(const struct sgpi_keylog *kl, uint32_t index, size_t *first) {
  size_t lo = 0, hi = kl->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (kl->keys[mid].index < index) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  size_t end = lo;
  while (end < kl->count && kl->keys[end].index == index) end++;
  *first = lo;
  return end - lo;
}

void sgpi_keylog_wipe(struct sgpi_keylog *kl) {
  if (kl->keys != NULL && kl->cap > 0) sodium_memzero(kl->keys, kl->cap * sizeof kl->keys[0]);
  kl->count = 0;
}
