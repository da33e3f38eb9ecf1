/* Roster parser (roster.h).  Three passes over the caller's text:
 *   1. validate every line on its own, repeated ids (bitmap), count, and
 *      record each node line's offset in the caller's scratch;
 *   2. whole-file rules: n >= 1, no id gap, no repeated key or address
 *      (heap sort of the offsets by the field's text, then a linear scan);
 *   3. only now write the caller's arrays and n (atomic commit).
 * Pass 2 compares field *text*: hex is lowercase-only and addresses must
 * be canonical, so equal text <=> equal value.
 */
#define _POSIX_C_SOURCE 200809L /* inet_pton / inet_ntop (pure, no I/O) */

#include "sgp/roster.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <string.h>

#include "sgp/cursor.h"
#include "sgp/limits.h"

static const char ROSTER_MAGIC[] = "sgp-roster v1";

/* ---- addresses --------------------------------------------------------- */

static int addr_is_peer(const struct sgp_addr *a) {
  static const uint8_t zero[12] = {0};
  if (a->family == SGP_ADDR_V4) return !sodium_is_zero(a->ip, 4);
  /* ::ffff:0:0/96 would alias an IPv4 peer and dodge the duplicate check;
   * ::/96 holds only the unspecified address, ::1 and the deprecated
   * IPv4-compatible form. */
  if (memcmp(a->ip, zero, 10) == 0 && a->ip[10] == 0xff && a->ip[11] == 0xff) return 0;
  if (memcmp(a->ip, zero, 12) == 0) {
    return a->ip[12] == 0 && a->ip[13] == 0 && a->ip[14] == 0 && a->ip[15] == 1;
  }
  return 1;
}

sgp_err sgp_addr_parse(struct sgp_addr *a, const char *s, size_t len) {
  SGP_ENSURE(a && (s || len == 0), SGP_ERR_INVALID_ARG);
  /* inet_pton and strcmp below stop at a NUL, which would let "[::1\0]:8"
   * pass as "[::1]:8": only printable ASCII is address text (fuzz finding). */
  for (size_t i = 0; i < len; i++) SGP_ENSURE(s[i] > 0x20 && s[i] < 0x7f, SGP_ERR_SYNTAX);
  struct sgp_addr x;
  memset(&x, 0, sizeof x);
  const char *host, *end = s + len;
  struct sgp_token port;
  int af;
  if (len > 0 && s[0] == '[') {
    const char *close = memchr(s, ']', len);
    SGP_ENSURE(close && end - close >= 2 && close[1] == ':', SGP_ERR_SYNTAX);
    host = s + 1;
    port.p = close + 2;
    af = AF_INET6;
    x.family = SGP_ADDR_V6;
  } else {
    const char *colon = memchr(s, ':', len);
    SGP_ENSURE(colon, SGP_ERR_SYNTAX);
    host = s;
    port.p = colon + 1;
    af = AF_INET;
    x.family = SGP_ADDR_V4;
  }
  size_t host_len = (size_t)(port.p - host) - (af == AF_INET6 ? 2u : 1u);
  port.len = (size_t)(end - port.p);

  /* inet_pton wants a C string; canonical text is at most 45 bytes. */
  char buf[INET6_ADDRSTRLEN], canon[INET6_ADDRSTRLEN];
  SGP_ENSURE(host_len >= 1 && host_len < sizeof buf, SGP_ERR_SYNTAX);
  memcpy(buf, host, host_len);
  buf[host_len] = 0;
  SGP_ENSURE(inet_pton(af, buf, x.ip) == 1, SGP_ERR_SYNTAX);
  /* One text per address (RFC 5952 / dotted decimal), so that text
   * equality is address equality and the roster round-trips. */
  SGP_ENSURE(inet_ntop(af, x.ip, canon, sizeof canon) && strcmp(canon, buf) == 0, SGP_ERR_SYNTAX);
  uint32_t p;
  SGP_GUARD(sgp_text_decimal(&port, 1, 65535, &p));
  x.port = (uint16_t)p;
  SGP_ENSURE(addr_is_peer(&x), SGP_ERR_RANGE);
  *a = x;
  return SGP_OK;
}

int sgp_addr_eq(const struct sgp_addr *a, const struct sgp_addr *b) {
  return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, sizeof a->ip) == 0;
}

static sgp_err addr_write(struct sgp_cursor *w, const struct sgp_addr *a) {
  char ip[INET6_ADDRSTRLEN];
  int v6 = a->family == SGP_ADDR_V6;
  SGP_ENSURE(v6 || a->family == SGP_ADDR_V4, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(inet_ntop(v6 ? AF_INET6 : AF_INET, a->ip, ip, sizeof ip), SGP_ERR_INVALID_ARG);
  if (v6) SGP_GUARD(sgp_cursor_write(w, "[", 1));
  SGP_GUARD(sgp_cursor_write(w, ip, strlen(ip)));
  if (v6) SGP_GUARD(sgp_cursor_write(w, "]", 1));
  SGP_GUARD(sgp_cursor_write(w, ":", 1));
  return sgp_text_write_decimal(w, a->port);
}

static sgp_err finish_text(struct sgp_cursor *w, size_t *out_len) {
  SGP_GUARD(sgp_cursor_write(w, "", 1));
  *out_len = w->pos - 1;
  return SGP_OK;
}

sgp_err sgp_addr_format(const struct sgp_addr *a, char *out, size_t cap, size_t *out_len) {
  SGP_ENSURE(a && out && out_len, SGP_ERR_INVALID_ARG);
  struct sgp_cursor w = sgp_cursor_writer((uint8_t *)out, cap);
  SGP_GUARD(addr_write(&w, a));
  return finish_text(&w, out_len);
}

sgp_err sgp_roster_line_format(uint32_t node, const uint8_t sign_pk[32], const uint8_t dh_pk[32],
                               const struct sgp_addr *addr, char *out, size_t cap,
                               size_t *out_len) {
  SGP_ENSURE(sign_pk && dh_pk && out && out_len, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(node < SGP_MAX_NODES, SGP_ERR_RANGE);
  struct sgp_cursor w = sgp_cursor_writer((uint8_t *)out, cap);
  SGP_GUARD(sgp_cursor_write(&w, "node ", 5));
  SGP_GUARD(sgp_text_write_decimal(&w, node));
  SGP_GUARD(sgp_cursor_write(&w, " ", 1));
  SGP_GUARD(sgp_text_write_hex32(&w, sign_pk));
  SGP_GUARD(sgp_cursor_write(&w, " ", 1));
  SGP_GUARD(sgp_text_write_hex32(&w, dh_pk));
  if (addr) {
    SGP_GUARD(sgp_cursor_write(&w, " ", 1));
    SGP_GUARD(addr_write(&w, addr));
  }
  SGP_GUARD(sgp_cursor_write(&w, "\n", 1));
  return finish_text(&w, out_len);
}

/* ---- pass 1: one node line --------------------------------------------- */

struct node_line {
  uint32_t id;
  uint8_t sign_pk[32];
  uint8_t dh_pk[32];
  struct sgp_addr addr;
};

static sgp_err parse_node_line(const char *line, size_t len, struct node_line *nl, int check_keys) {
  struct sgp_token t[5];
  size_t nt;
  SGP_GUARD(sgp_text_tokens(line, len, t, 5, &nt)); /* SGP-ROSTER-2 */
  SGP_ENSURE(nt == 5 && sgp_text_token_is(&t[0], "node"), SGP_ERR_SYNTAX);
  SGP_GUARD(sgp_text_decimal(&t[1], 0, SGP_MAX_NODES - 1, &nl->id)); /* SGP-ROSTER-5 */
  SGP_GUARD(sgp_text_hex32(&t[2], nl->sign_pk));                     /* SGP-ROSTER-3 */
  SGP_GUARD(sgp_text_hex32(&t[3], nl->dh_pk));
  SGP_GUARD(sgp_addr_parse(&nl->addr, t[4].p, t[4].len)); /* SGP-ROSTER-4 */
  if (check_keys) {
    /* SGP-ROSTER-8: canonical, on the curve, prime order subgroup, not
     * small order; an all-zero X25519 key makes every DH output zero. */
    SGP_ENSURE(crypto_core_ed25519_is_valid_point(nl->sign_pk) == 1, SGP_ERR_RANGE);
    SGP_ENSURE(!sodium_is_zero(nl->dh_pk, 32), SGP_ERR_RANGE);
  }
  return SGP_OK;
}

/* The line starting at off (validated in pass 1). */
static void line_at(const uint8_t *text, size_t len, uint32_t off, const char **line, size_t *ll) {
  const uint8_t *nl = memchr(text + off, '\n', len - off);
  *line = (const char *)text + off;
  *ll = nl ? (size_t)(nl - (text + off)) : len - off;
}

static unsigned line_number(const uint8_t *text, uint32_t off) {
  unsigned n = 1;
  for (uint32_t i = 0; i < off; i++) n += text[i] == '\n';
  return n;
}

/* ---- pass 2: duplicates by sorting ------------------------------------- */

enum field { F_SIGN, F_DH, F_ADDR };

struct sort_ctx {
  const uint8_t *text;
  size_t len;
  enum field f;
};

/* Field text of a validated line: "node <id> <64> <64> <addr>". */
static struct sgp_token field_of(const struct sort_ctx *c, uint32_t off) {
  const char *line;
  size_t ll, i = 5;
  line_at(c->text, c->len, off, &line, &ll);
  while (line[i] != ' ') i++;
  i += 1 + 65 * (size_t)c->f;
  struct sgp_token t = {line + i, c->f == F_ADDR ? ll - i : 64};
  return t;
}

static int field_eq(const struct sgp_token *a, const struct sgp_token *b) {
  return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* Total order: field text (length first), then file position, so equal
 * fields end up adjacent and in file order. */
static int cmp(const struct sort_ctx *c, uint32_t a, uint32_t b) {
  struct sgp_token fa = field_of(c, a), fb = field_of(c, b);
  if (fa.len != fb.len) return fa.len < fb.len ? -1 : 1;
  int r = memcmp(fa.p, fb.p, fa.len);
  if (r) return r;
  return (a > b) - (a < b);
}

static void sift_down(uint32_t *a, size_t root, size_t end, const struct sort_ctx *c) {
  for (;;) {
    size_t child = 2 * root + 1;
    if (child >= end) return;
    if (child + 1 < end && cmp(c, a[child], a[child + 1]) < 0) child++;
    if (cmp(c, a[root], a[child]) >= 0) return;
    uint32_t t = a[root];
    a[root] = a[child];
    a[child] = t;
    root = child;
  }
}

/* Heap sort: O(n log n) worst case, in place, no recursion, no malloc
 * (glibc qsort may allocate). */
static void heap_sort(uint32_t *a, size_t n, const struct sort_ctx *c) {
  for (size_t i = n / 2; i-- > 0;) sift_down(a, i, n, c);
  for (size_t end = n; end-- > 1;) {
    uint32_t t = a[0];
    a[0] = a[end];
    a[end] = t;
    sift_down(a, 0, end, c);
  }
}

/* Smallest offset that repeats the field of an earlier line, or UINT32_MAX. */
static uint32_t first_repeat(uint32_t *offs, size_t n, const struct sort_ctx *c) {
  uint32_t first = UINT32_MAX;
  heap_sort(offs, n, c);
  for (size_t i = 1; i < n; i++) {
    struct sgp_token a = field_of(c, offs[i - 1]), b = field_of(c, offs[i]);
    if (field_eq(&a, &b) && offs[i] < first) first = offs[i];
  }
  return first;
}

/* ---- the parser -------------------------------------------------------- */

static sgp_err parse_roster(struct sgp_roster *r, const uint8_t *text, size_t len, uint32_t *offs,
                            size_t offs_cap, unsigned *ln) {
  struct sgp_cursor c = sgp_cursor_reader(text, len);
  const char *line;
  size_t ll;
  uint8_t seen[SGP_MAX_NODES / 8];
  uint32_t n = 0;
  memset(seen, 0, sizeof seen);

  /* SGP-ROSTER-1 */
  sgp_err e = sgp_text_next_line(&c, &line, &ll, ln);
  if (e == SGP_ERR_TRUNCATED) return SGP_ERR_MISSING;
  SGP_GUARD(e);
  SGP_ENSURE(ll == sizeof ROSTER_MAGIC - 1 && memcmp(line, ROSTER_MAGIC, ll) == 0, SGP_ERR_SYNTAX);

  /* Pass 1. */
  for (;;) {
    size_t off = c.pos;
    e = sgp_text_next_line(&c, &line, &ll, ln);
    if (e == SGP_ERR_TRUNCATED) break;
    SGP_GUARD(e);
    if (sgp_text_is_comment_or_blank(line, ll)) {
      SGP_GUARD(sgp_text_printable(line, ll)); /* SGP-ROSTER-2 */
      continue;
    }
    struct node_line nl;
    SGP_GUARD(parse_node_line(line, ll, &nl, 1));
    uint8_t bit = (uint8_t)(1u << (nl.id & 7u));
    SGP_ENSURE(!(seen[nl.id >> 3] & bit), SGP_ERR_DUP_ENTRY); /* SGP-ROSTER-5 */
    seen[nl.id >> 3] |= bit;
    SGP_ENSURE(n < r->cap && n < offs_cap, SGP_ERR_NO_SPACE); /* SGP-ROSTER-7 */
    offs[n++] = (uint32_t)off;
  }

  /* Pass 2.  SGP-ROSTER-7: at least one node (at most SGP_MAX_NODES
   * follows from distinct ids < SGP_MAX_NODES). */
  SGP_ENSURE(n >= 1, SGP_ERR_MISSING);
  /* SGP-ROSTER-5: n distinct ids all < n  <=>  exactly 0..n-1. */
  for (uint32_t i = 0; i < n; i++) {
    struct node_line nl;
    line_at(text, len, offs[i], &line, &ll);
    SGP_GUARD(parse_node_line(line, ll, &nl, 0));
    if (nl.id >= n) {
      *ln = line_number(text, offs[i]);
      return SGP_ERR_MISSING;
    }
  }
  /* SGP-ROSTER-6 */
  uint32_t first = UINT32_MAX;
  for (int f = F_SIGN; f <= F_ADDR; f++) {
    struct sort_ctx sc = {text, len, (enum field)f};
    uint32_t o = first_repeat(offs, n, &sc);
    if (o < first) first = o;
  }
  if (first != UINT32_MAX) {
    *ln = line_number(text, first);
    return SGP_ERR_DUP_ENTRY;
  }

  /* Pass 3: commit.  Cannot fail: every line was accepted above. */
  for (uint32_t i = 0; i < n; i++) {
    struct node_line nl;
    line_at(text, len, offs[i], &line, &ll);
    SGP_GUARD(parse_node_line(line, ll, &nl, 0));
    memcpy(r->sign_pk[nl.id], nl.sign_pk, 32);
    memcpy(r->dh_pk[nl.id], nl.dh_pk, 32);
    r->addr[nl.id] = nl.addr;
  }
  r->n = n;
  return SGP_OK;
}

sgp_err sgp_roster_parse(struct sgp_roster *r, const uint8_t *text, size_t len, uint32_t *scratch,
                         size_t scratch_cap, unsigned *line) {
  unsigned ln = 0;
  sgp_err e;
  if (!r || (!text && len) || (!scratch && scratch_cap) ||
      (r->cap && (!r->sign_pk || !r->dh_pk || !r->addr))) {
    e = SGP_ERR_INVALID_ARG;
  } else if (len > SGP_MAX_ROSTERFILE) {
    e = SGP_ERR_TOO_LARGE; /* SGP-KEY-9, before parsing */
    ln = 0;
  } else {
    e = parse_roster(r, text, len, scratch, scratch_cap, &ln);
  }
  if (line) *line = e == SGP_OK ? 0 : ln;
  return e;
}

/* ---- lookups ------------------------------------------------------------ */

static sgp_err find(uint8_t (*keys)[32], uint32_t n, const uint8_t pk[32], uint32_t *id) {
  SGP_ENSURE(pk && id, SGP_ERR_INVALID_ARG);
  for (uint32_t i = 0; i < n; i++) {
    if (sodium_memcmp(keys[i], pk, 32) == 0) {
      *id = i;
      return SGP_OK;
    }
  }
  return SGP_ERR_UNKNOWN_ORIGIN;
}

sgp_err sgp_roster_find_sign_pk(const struct sgp_roster *r, const uint8_t pk[32], uint32_t *id) {
  SGP_ENSURE(r, SGP_ERR_INVALID_ARG);
  return find(r->sign_pk, r->n, pk, id);
}

sgp_err sgp_roster_find_dh_pk(const struct sgp_roster *r, const uint8_t pk[32], uint32_t *id) {
  SGP_ENSURE(r, SGP_ERR_INVALID_ARG);
  return find(r->dh_pk, r->n, pk, id);
}

sgp_err sgp_roster_check_key(const struct sgp_roster *r, const struct sgp_secret_key *k) {
  SGP_ENSURE(r && k, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(k->node < r->n, SGP_ERR_NODE_ID);
  int bad = sodium_memcmp(r->sign_pk[k->node], k->sign_pk, 32) |
            sodium_memcmp(r->dh_pk[k->node], k->dh_pk, 32);
  SGP_ENSURE(bad == 0, SGP_ERR_KEY_MISMATCH);
  return SGP_OK;
}
