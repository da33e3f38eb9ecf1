/* Roster: SGP-ROSTER-1..9 (roster.h). */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/limits.h"
#include "sgp/roster.h"

static void setup(void) {
  cr_assert(sodium_init() >= 0);
}

TestSuite(roster, .init = setup);

/* ---- fixtures ----------------------------------------------------------- */

/* Deterministic, distinct keys for node i. */
static void node_keys(uint32_t i, uint8_t spk[32], uint8_t dpk[32]) {
  uint8_t seed[32] = {0x5a, (uint8_t)(i >> 8), (uint8_t)i}, sk[64], dsk[32] = {0xa5};
  dsk[1] = (uint8_t)(i >> 8);
  dsk[2] = (uint8_t)i;
  crypto_sign_seed_keypair(spk, sk, seed);
  cr_assert(crypto_scalarmult_base(dpk, dsk) == 0);
}

static struct sgp_addr node_addr(uint32_t i) {
  struct sgp_addr a;
  memset(&a, 0, sizeof a);
  a.port = (uint16_t)(7000 + i % 3);
  if (i % 2) {
    a.family = SGP_ADDR_V6;
    a.ip[0] = 0x20;
    a.ip[1] = 0x01;
    a.ip[2] = 0x0d;
    a.ip[3] = 0xb8;
    a.ip[14] = (uint8_t)(i >> 8);
    a.ip[15] = (uint8_t)i;
  } else {
    a.family = SGP_ADDR_V4;
    a.ip[0] = 10;
    a.ip[2] = (uint8_t)(i >> 8);
    a.ip[3] = (uint8_t)i;
  }
  return a;
}

struct store {
  struct sgp_roster r;
  uint32_t *scratch;
  size_t scratch_cap;
};

static void store_init(struct store *s, uint32_t cap) {
  s->r.n = 0;
  s->r.cap = cap;
  s->r.sign_pk = calloc(cap ? cap : 1, 32);
  s->r.dh_pk = calloc(cap ? cap : 1, 32);
  s->r.addr = calloc(cap ? cap : 1, sizeof *s->r.addr);
  s->scratch = calloc(cap ? cap : 1, sizeof *s->scratch);
  s->scratch_cap = cap;
  cr_assert(s->r.sign_pk && s->r.dh_pk && s->r.addr && s->scratch);
}

static void store_free(struct store *s) {
  free(s->r.sign_pk);
  free(s->r.dh_pk);
  free(s->r.addr);
  free(s->scratch);
}

static sgp_err store_parse(struct store *s, const char *text, size_t len, unsigned *line) {
  return sgp_roster_parse(&s->r, (const uint8_t *)text, len, s->scratch, s->scratch_cap, line);
}

/* Snapshot of everything a failed parse must leave alone. */
struct snap {
  uint32_t n;
  uint8_t *bytes;
  size_t len;
};

static struct snap snapshot(const struct store *s) {
  struct snap p;
  size_t c = s->r.cap;
  p.n = s->r.n;
  p.len = c * (64 + sizeof *s->r.addr);
  p.bytes = malloc(p.len ? p.len : 1);
  cr_assert(p.bytes);
  memcpy(p.bytes, s->r.sign_pk, c * 32);
  memcpy(p.bytes + c * 32, s->r.dh_pk, c * 32);
  memcpy(p.bytes + c * 64, s->r.addr, c * sizeof *s->r.addr);
  return p;
}

static int unchanged(const struct store *s, const struct snap *p) {
  struct snap q = snapshot(s);
  int same = q.n == p->n && memcmp(q.bytes, p->bytes, p->len) == 0;
  free(q.bytes);
  return same;
}

/* Expands $S<i> / $D<i> (one digit) into node i's key hex. */
static char *expand(const char *t, size_t *len) {
  size_t cap = strlen(t) * 40 + 1, n = 0;
  char *out = malloc(cap);
  cr_assert(out);
  for (size_t i = 0; t[i];) {
    if (t[i] == '$' && (t[i + 1] == 'S' || t[i + 1] == 'D')) {
      uint8_t spk[32], dpk[32];
      node_keys((uint32_t)(t[i + 2] - '0'), spk, dpk);
      sodium_bin2hex(out + n, cap - n, t[i + 1] == 'S' ? spk : dpk, 32);
      n += 64;
      i += 3;
    } else {
      out[n++] = t[i++];
    }
  }
  out[n] = 0;
  *len = n;
  return out;
}

#define HDR "sgp-roster v1\n"
#define L0 "node 0 $S0 $D0 10.0.0.1:7000\n"
#define L1 "node 1 $S1 $D1 10.0.0.2:7000\n"
#define L2 "node 2 $S2 $D2 [2001:db8::2]:7000\n"
#define GOOD HDR L0 L1 L2
#define HEX_62 "02020202020202020202020202020202020202020202020202020202020202"
#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"
/* 256-byte comment: the longest accepted line. */
#define LONG_COMMENT                                                                      \
  "#123456789012345678901234567890123456789012345678901234567890123456789012345678901234" \
  "5678901234567890123456789012345678901234567890123456789012345678901234567890123456789" \
  "01234567890123456789012345678901234567890123456789012345678901234567890123456789012345"

/* ---- acceptance --------------------------------------------------------- */

Test(roster, parses_comments_any_order_and_both_address_families) {
  struct store s;
  store_init(&s, 8);
  size_t len;
  unsigned line = 99;
  cr_assert_eq(strlen(LONG_COMMENT), SGP_TEXT_MAX_LINE);
  char *text = expand(HDR "# three nodes\n\n" L2 "#\n" L0 "\n" LONG_COMMENT "\n" L1, &len);
  cr_assert_eq(store_parse(&s, text, len, &line), SGP_OK);
  cr_assert_eq(line, 0);
  cr_assert_eq(s.r.n, 3);
  for (uint32_t i = 0; i < 3; i++) {
    uint8_t spk[32], dpk[32];
    node_keys(i, spk, dpk);
    cr_assert(memcmp(s.r.sign_pk[i], spk, 32) == 0);
    cr_assert(memcmp(s.r.dh_pk[i], dpk, 32) == 0);
    cr_assert_eq(s.r.addr[i].port, 7000);
  }
  cr_assert_eq(s.r.addr[0].family, SGP_ADDR_V4);
  cr_assert(memcmp(s.r.addr[1].ip, "\x0a\x00\x00\x02", 4) == 0);
  cr_assert_eq(s.r.addr[2].family, SGP_ADDR_V6);
  cr_assert_eq(s.r.addr[2].ip[15], 2);
  free(text);
  store_free(&s);
}

/* Builds an n-node roster with sgp_roster_line_format, ids in order. */
static char *build(uint32_t n, size_t *len) {
  size_t cap = 16 + (size_t)n * SGP_ROSTER_LINE_TEXT_MAX, pos = 0;
  char *text = malloc(cap);
  cr_assert(text);
  memcpy(text, HDR, sizeof HDR - 1);
  pos = sizeof HDR - 1;
  for (uint32_t i = 0; i < n; i++) {
    uint8_t spk[32], dpk[32];
    struct sgp_addr a = node_addr(i);
    size_t l;
    node_keys(i, spk, dpk);
    cr_assert_eq(sgp_roster_line_format(i, spk, dpk, &a, text + pos, cap - pos, &l), SGP_OK);
    pos += l;
  }
  *len = pos;
  return text;
}

/* Valid rosters round-trip: format -> parse -> format gives the same bytes. */
Test(roster, format_parse_round_trip) {
  size_t len;
  char *text = build(300, &len);
  struct store s;
  unsigned line;
  store_init(&s, 300);
  cr_assert_eq(store_parse(&s, text, len, &line), SGP_OK);
  cr_assert_eq(s.r.n, 300);
  char *again = malloc(len + 1);
  size_t pos = sizeof HDR - 1;
  memcpy(again, HDR, pos);
  for (uint32_t i = 0; i < s.r.n; i++) {
    size_t l;
    struct sgp_addr want = node_addr(i);
    cr_assert(sgp_addr_eq(&s.r.addr[i], &want), "addr %u", i);
    cr_assert_eq(sgp_roster_line_format(i, s.r.sign_pk[i], s.r.dh_pk[i], &s.r.addr[i], again + pos,
                                        len + 1 - pos, &l),
                 SGP_OK);
    pos += l;
  }
  cr_assert_eq(pos, len);
  cr_assert(memcmp(text, again, len) == 0);
  free(again);
  free(text);
  store_free(&s);
}

/* SGP-ROSTER-7: the largest roster parses; SGP-ROSTER-6 at that size
 * (sorting, not a quadratic scan). */
Test(roster, max_nodes_and_duplicate_at_the_end) {
  size_t len;
  char *text = build(SGP_MAX_NODES, &len);
  struct store s;
  unsigned line;
  store_init(&s, SGP_MAX_NODES);
  cr_assert_eq(store_parse(&s, text, len, &line), SGP_OK);
  cr_assert_eq(s.r.n, SGP_MAX_NODES);
  uint8_t spk[32], dpk[32];
  node_keys(SGP_MAX_NODES - 1, spk, dpk);
  cr_assert(memcmp(s.r.sign_pk[SGP_MAX_NODES - 1], spk, 32) == 0);
  /* Give the last node node 0's address. */
  char *last = text + len - 1;
  while (last[-1] != '\n') last--;
  char tail[SGP_ROSTER_LINE_TEXT_MAX];
  struct sgp_addr a0 = node_addr(0);
  size_t l;
  cr_assert_eq(sgp_roster_line_format(SGP_MAX_NODES - 1, spk, dpk, &a0, tail, sizeof tail, &l),
               SGP_OK);
  memcpy(last, tail, l);
  len = (size_t)(last - text) + l;
  struct snap before = snapshot(&s);
  cr_assert_eq(store_parse(&s, text, len, &line), SGP_ERR_DUP_ENTRY);
  cr_assert_eq(line, SGP_MAX_NODES + 1);
  cr_assert(unchanged(&s, &before));
  free(before.bytes);
  free(text);
  store_free(&s);
}

/* ---- one rejection per rule: exact code and line, roster unchanged ----- */

struct bad {
  const char *name;
  const char *text; /* template for expand() */
  sgp_err err;
  unsigned line;
};

static const struct bad BAD[] = {
    /* SGP-ROSTER-1 */
    {"empty input", "", SGP_ERR_MISSING, 1},
    {"wrong version", "sgp-roster v2\n" L0, SGP_ERR_SYNTAX, 1},
    {"key file magic", "sgp-secret-key v1\n" L0, SGP_ERR_SYNTAX, 1},
    {"comment before magic", "# c\n" HDR L0, SGP_ERR_SYNTAX, 1},
    {"magic CRLF", "sgp-roster v1\r\n" L0, SGP_ERR_SYNTAX, 1},
    /* SGP-ROSTER-2 */
    {"double space", HDR L0 "node 1  $S1 $D1 10.0.0.2:7000\n", SGP_ERR_SYNTAX, 3},
    {"trailing space", HDR L0 "node 1 $S1 $D1 10.0.0.2:7000 \n", SGP_ERR_SYNTAX, 3},
    {"leading space", HDR " " L0, SGP_ERR_SYNTAX, 2},
    {"tab", HDR "node 0\t$S0 $D0 10.0.0.1:7000\n", SGP_ERR_SYNTAX, 2},
    {"CR", HDR "node 0 $S0 $D0 10.0.0.1:7000\r\n", SGP_ERR_SYNTAX, 2},
    {"no address", HDR L0 "node 1 $S1 $D1\n", SGP_ERR_SYNTAX, 3},
    {"six tokens", HDR L0 "node 1 $S1 $D1 10.0.0.2:7000 x\n", SGP_ERR_SYNTAX, 3},
    {"wrong keyword", HDR "nodes 0 $S0 $D0 10.0.0.1:7000\n", SGP_ERR_SYNTAX, 2},
    {"indented comment", HDR L0 " # c\n", SGP_ERR_SYNTAX, 3},
    {"non-ascii comment", HDR L0 "# \xff\n", SGP_ERR_SYNTAX, 3},
    {"line of 257 bytes", HDR L0 LONG_COMMENT "x\n" L1, SGP_ERR_TOO_LARGE, 3},
    /* SGP-ROSTER-3 */
    {"uppercase sign-pk", HDR "node 0 0A" HEX_62 " $D0 10.0.0.1:7000\n", SGP_ERR_HEX, 2},
    {"short dh-pk", HDR "node 0 $S0 " HEX_62 " 10.0.0.1:7000\n", SGP_ERR_HEX, 2},
    {"non-hex dh-pk", HDR "node 0 $S0 zz" HEX_62 " 10.0.0.1:7000\n", SGP_ERR_HEX, 2},
    /* SGP-ROSTER-4 */
    {"no port", HDR "node 0 $S0 $D0 10.0.0.1\n", SGP_ERR_SYNTAX, 2},
    {"hostname", HDR "node 0 $S0 $D0 localhost:7000\n", SGP_ERR_SYNTAX, 2},
    {"v4 leading zero", HDR "node 0 $S0 $D0 10.0.0.01:7000\n", SGP_ERR_SYNTAX, 2},
    {"v4 three parts", HDR "node 0 $S0 $D0 10.0.1:7000\n", SGP_ERR_SYNTAX, 2},
    {"v6 unbracketed", HDR "node 0 $S0 $D0 2001:db8::1:7000\n", SGP_ERR_SYNTAX, 2},
    {"v6 no port", HDR "node 0 $S0 $D0 [2001:db8::1]\n", SGP_ERR_SYNTAX, 2},
    {"v6 unclosed", HDR "node 0 $S0 $D0 [2001:db8::1:7000\n", SGP_ERR_SYNTAX, 2},
    {"v6 uppercase", HDR "node 0 $S0 $D0 [2001:DB8::1]:7000\n", SGP_ERR_SYNTAX, 2},
    {"v6 not compressed", HDR "node 0 $S0 $D0 [2001:db8:0:0:0:0:0:1]:7000\n", SGP_ERR_SYNTAX, 2},
    {"v6 zone id", HDR "node 0 $S0 $D0 [fe80::1%eth0]:7000\n", SGP_ERR_SYNTAX, 2},
    {"v6 empty", HDR "node 0 $S0 $D0 []:7000\n", SGP_ERR_SYNTAX, 2},
    {"port 0", HDR "node 0 $S0 $D0 10.0.0.1:0\n", SGP_ERR_RANGE, 2},
    {"port 65536", HDR "node 0 $S0 $D0 10.0.0.1:65536\n", SGP_ERR_RANGE, 2},
    {"port leading zero", HDR "node 0 $S0 $D0 10.0.0.1:07000\n", SGP_ERR_RANGE, 2},
    {"port empty", HDR "node 0 $S0 $D0 [::1]:\n", SGP_ERR_RANGE, 2},
    {"v4 unspecified", HDR "node 0 $S0 $D0 0.0.0.0:7000\n", SGP_ERR_RANGE, 2},
    {"v6 unspecified", HDR "node 0 $S0 $D0 [::]:7000\n", SGP_ERR_RANGE, 2},
    {"v4-mapped v6", HDR "node 0 $S0 $D0 [::ffff:10.0.0.1]:7000\n", SGP_ERR_RANGE, 2},
    {"v4-compatible v6", HDR "node 0 $S0 $D0 [::10.0.0.1]:7000\n", SGP_ERR_RANGE, 2},
    /* SGP-ROSTER-5 */
    {"id leading zero", HDR "node 00 $S0 $D0 10.0.0.1:7000\n", SGP_ERR_RANGE, 2},
    {"id 16384", HDR "node 16384 $S0 $D0 10.0.0.1:7000\n", SGP_ERR_RANGE, 2},
    {"id negative", HDR "node -1 $S0 $D0 10.0.0.1:7000\n", SGP_ERR_RANGE, 2},
    {"repeated id", HDR L0 L1 "node 1 $S2 $D2 [2001:db8::2]:7000\n", SGP_ERR_DUP_ENTRY, 4},
    {"gap (no node 1)", HDR L0 "#\n" L2, SGP_ERR_MISSING, 4},
    {"gap (no node 0)", HDR L2 L1, SGP_ERR_MISSING, 2},
    {"gap is checked before repeated keys", HDR L0 "node 7 $S1 $D1 10.0.0.2:7000\n" L1,
     SGP_ERR_MISSING, 3},
    {"gap after all good", HDR L0 "node 5 $S1 $D1 10.0.0.2:7000\n", SGP_ERR_MISSING, 3},
    /* SGP-ROSTER-6 */
    {"repeated sign-pk", HDR L0 L1 "node 2 $S0 $D2 [2001:db8::2]:7000\n", SGP_ERR_DUP_ENTRY, 4},
    {"repeated dh-pk", HDR L0 "node 1 $S1 $D0 10.0.0.2:7000\n" L2, SGP_ERR_DUP_ENTRY, 3},
    {"repeated address", HDR L0 L1 "node 2 $S2 $D2 10.0.0.2:7000\n", SGP_ERR_DUP_ENTRY, 4},
    {"same ip other port is fine, repeated v6 is not",
     HDR L0 "node 1 $S1 $D1 10.0.0.1:7001\n" L2 "node 3 $S3 $D3 [2001:db8::2]:7000\n",
     SGP_ERR_DUP_ENTRY, 5},
    {"earliest conflicting line wins across fields",
     HDR L0 L1 L2 "node 3 $S3 $D3 10.0.0.1:7000\nnode 4 $S4 $D1 10.0.0.5:1\n"
                  "node 5 $S2 $D5 10.0.0.6:1\n",
     SGP_ERR_DUP_ENTRY, 5},
    {"earliest conflicting line wins (dh before sign)",
     HDR "node 3 $S3 $D3 10.0.0.4:1\n" L0 "node 4 $S4 $D3 10.0.0.5:1\n"
         "node 1 $S0 $D1 10.0.0.2:1\n" L2,
     SGP_ERR_DUP_ENTRY, 4},
    {"address three times", HDR L0 "node 1 $S1 $D1 10.0.0.1:7000\nnode 2 $S2 $D2 10.0.0.1:7000\n",
     SGP_ERR_DUP_ENTRY, 3},
    /* SGP-ROSTER-7 */
    {"no nodes", HDR, SGP_ERR_MISSING, 2},
    {"only comments", HDR "# none\n\n", SGP_ERR_MISSING, 4},
    /* SGP-ROSTER-8 */
    {"sign-pk all zero", HDR "node 0 " ZERO64 " $D0 10.0.0.1:7000\n", SGP_ERR_RANGE, 2},
    {"sign-pk identity (small order)",
     HDR "node 0 0100000000000000000000000000000000000000000000000000000000000000 $D0 "
         "10.0.0.1:7000\n",
     SGP_ERR_RANGE, 2},
    {"sign-pk y = p (non-canonical)",
     HDR "node 0 edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f $D0 "
         "10.0.0.1:7000\n",
     SGP_ERR_RANGE, 2},
    {"sign-pk y = 2 (not a valid point)",
     HDR "node 0 0200000000000000000000000000000000000000000000000000000000000000 $D0 "
         "10.0.0.1:7000\n",
     SGP_ERR_RANGE, 2},
    {"dh-pk all zero", HDR L0 "node 1 $S1 " ZERO64 " 10.0.0.2:7000\n", SGP_ERR_RANGE, 3},
    /* SGP-ROSTER-9: per-line errors before whole-file ones. */
    {"per-line error after a duplicate", HDR L0 L1 "node 2 $S0 $D2 [2001:db8::2]:7000\nbad\n",
     SGP_ERR_SYNTAX, 5},
};

/* SGP-ROSTER-9: exact code and line; a failed parse leaves the roster as
 * it was (here: holding the 3-node GOOD roster). */
Test(roster, rejections_have_exact_code_line_and_change_nothing) {
  struct store s;
  size_t glen;
  unsigned line;
  char *good = expand(GOOD, &glen);
  store_init(&s, 8);
  for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
    const struct bad *b = &BAD[i];
    cr_assert_eq(store_parse(&s, good, glen, &line), SGP_OK);
    struct snap before = snapshot(&s);
    size_t len;
    char *text = expand(b->text, &len);
    line = 777;
    sgp_err e = store_parse(&s, text, len, &line);
    cr_expect_eq(e, b->err, "%s: got %s, want %s", b->name, sgp_err_name(e), sgp_err_name(b->err));
    cr_expect_eq(line, b->line, "%s: line %u, want %u", b->name, line, b->line);
    cr_expect(unchanged(&s, &before), "%s: roster changed", b->name);
    free(before.bytes);
    free(text);
  }
  free(good);
  store_free(&s);
}

Test(roster, nul_byte_is_syntax_error) {
  struct store s;
  size_t len;
  unsigned line;
  char *text = expand(HDR L0 "#x\n" L1, &len);
  store_init(&s, 8);
  strstr(text, "#x")[1] = 0;
  cr_assert_eq(store_parse(&s, text, len, &line), SGP_ERR_SYNTAX);
  cr_assert_eq(line, 3);
  free(text);
  store_free(&s);
}

/* SGP-ROSTER-7: more node lines than the caller can hold. */
Test(roster, capacity_and_scratch_limits) {
  struct store s;
  size_t len;
  unsigned line;
  char *text = expand(GOOD, &len);
  store_init(&s, 2);
  cr_assert_eq(store_parse(&s, text, len, &line), SGP_ERR_NO_SPACE);
  cr_assert_eq(line, 4);
  cr_assert_eq(s.r.n, 0);
  store_free(&s);
  store_init(&s, 3);
  s.scratch_cap = 1;
  cr_assert_eq(store_parse(&s, text, len, &line), SGP_ERR_NO_SPACE);
  cr_assert_eq(line, 3);
  s.scratch_cap = 3;
  cr_assert_eq(store_parse(&s, text, len, &line), SGP_OK);
  cr_assert_eq(s.r.n, 3);
  store_free(&s);
  free(text);
}

Test(roster, null_arguments) {
  struct store s;
  unsigned line;
  store_init(&s, 2);
  cr_assert_eq(sgp_roster_parse(NULL, (const uint8_t *)"x", 1, s.scratch, 2, &line),
               SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_roster_parse(&s.r, NULL, 1, s.scratch, 2, &line), SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_roster_parse(&s.r, (const uint8_t *)"x", 1, NULL, 2, &line),
               SGP_ERR_INVALID_ARG);
  uint8_t(*keep)[32] = s.r.dh_pk;
  s.r.dh_pk = NULL;
  cr_assert_eq(store_parse(&s, "x", 1, &line), SGP_ERR_INVALID_ARG);
  s.r.dh_pk = keep;
  store_free(&s);
}

/* ---- addresses, line format, lookups ------------------------------------ */

Test(roster, addr_parse_format_round_trip) {
  static const char *ok[] = {
      "1.2.3.4:1",   "255.255.255.255:65535",    "[::1]:7000", "[2001:db8::1]:53", "[1:0:0:2::3]:9",
      "[fe80::1]:1", "[2001:db8:0:1:1:1:1:1]:80"};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    struct sgp_addr a;
    char out[SGP_ADDR_TEXT_MAX];
    size_t l;
    cr_assert_eq(sgp_addr_parse(&a, ok[i], strlen(ok[i])), SGP_OK, "%s", ok[i]);
    cr_assert_eq(sgp_addr_format(&a, out, sizeof out, &l), SGP_OK);
    cr_assert_str_eq(out, ok[i]);
    cr_assert_eq(l, strlen(ok[i]));
  }
  struct sgp_addr a;
  const char *longest = "[1111:2222:3333:4444:5555:6666:7777:8888]:65535";
  char out[SGP_ADDR_TEXT_MAX];
  size_t l;
  cr_assert_eq(strlen(longest) + 1, SGP_ADDR_TEXT_MAX);
  cr_assert_eq(sgp_addr_parse(&a, longest, strlen(longest)), SGP_OK);
  cr_assert_eq(sgp_addr_format(&a, out, sizeof out, &l), SGP_OK);
  cr_assert_eq(sgp_addr_format(&a, out, sizeof out - 1, &l), SGP_ERR_NO_SPACE);
  cr_assert_eq(sgp_addr_parse(&a, "[1:0:0:2:0:0:0:3]:9", 19), SGP_ERR_SYNTAX); /* not RFC 5952 */
  cr_assert_eq(sgp_addr_parse(&a, "", 0), SGP_ERR_SYNTAX);
  struct sgp_addr b, c;
  cr_assert_eq(sgp_addr_parse(&b, "1.2.3.4:1", 9), SGP_OK);
  cr_assert_eq(sgp_addr_parse(&c, "1.2.3.4:2", 9), SGP_OK);
  cr_assert(sgp_addr_eq(&b, &b) && !sgp_addr_eq(&b, &c));
  cr_assert_eq(sgp_addr_parse(&c, "[::1]:1", 7), SGP_OK);
  cr_assert(!sgp_addr_eq(&b, &c));
}

Test(roster, line_format_without_address_is_incomplete) {
  uint8_t spk[32], dpk[32];
  char out[SGP_ROSTER_LINE_TEXT_MAX];
  size_t l;
  node_keys(3, spk, dpk);
  cr_assert_eq(sgp_roster_line_format(3, spk, dpk, NULL, out, sizeof out, &l), SGP_OK);
  cr_assert_eq(l, 5 + 1 + 1 + 64 + 1 + 64 + 1);
  cr_assert_eq(out[l - 1], '\n');
  cr_assert_eq(sgp_roster_line_format(SGP_MAX_NODES, spk, dpk, NULL, out, sizeof out, &l),
               SGP_ERR_RANGE);
}

Test(roster, lookups_and_key_check) {
  struct store s;
  size_t len;
  unsigned line;
  char *text = expand(GOOD, &len);
  store_init(&s, 3);
  cr_assert_eq(store_parse(&s, text, len, &line), SGP_OK);
  uint8_t spk[32], dpk[32];
  uint32_t id = 99;
  node_keys(2, spk, dpk);
  cr_assert_eq(sgp_roster_find_sign_pk(&s.r, spk, &id), SGP_OK);
  cr_assert_eq(id, 2);
  cr_assert_eq(sgp_roster_find_dh_pk(&s.r, dpk, &id), SGP_OK);
  cr_assert_eq(id, 2);
  node_keys(5, spk, dpk);
  cr_assert_eq(sgp_roster_find_sign_pk(&s.r, spk, &id), SGP_ERR_UNKNOWN_ORIGIN);
  cr_assert_eq(sgp_roster_find_dh_pk(&s.r, dpk, &id), SGP_ERR_UNKNOWN_ORIGIN);

  /* A secret key matches its own roster entry only. */
  struct sgp_secret_key k;
  uint8_t seed[32] = {0x5a, 0, 1}, dsk[32] = {0xa5, 0, 1};
  cr_assert_eq(sgp_secret_key_from_seeds(&k, 1, seed, dsk), SGP_OK);
  cr_assert_eq(sgp_roster_check_key(&s.r, &k), SGP_OK);
  k.node = 0;
  cr_assert_eq(sgp_roster_check_key(&s.r, &k), SGP_ERR_KEY_MISMATCH);
  k.node = 3;
  cr_assert_eq(sgp_roster_check_key(&s.r, &k), SGP_ERR_NODE_ID);
  k.node = 1;
  k.dh_pk[0] ^= 1;
  cr_assert_eq(sgp_roster_check_key(&s.r, &k), SGP_ERR_KEY_MISMATCH);
  sgp_secret_key_wipe(&k);
  free(text);
  store_free(&s);
}

/* ---- mutation loop ------------------------------------------------------ */

static uint64_t rng(uint64_t *s) { /* splitmix64: fixed seed, reproducible */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static int named_error(sgp_err e) {
  return e == SGP_ERR_SYNTAX || e == SGP_ERR_HEX || e == SGP_ERR_RANGE || e == SGP_ERR_DUP_ENTRY ||
         e == SGP_ERR_MISSING || e == SGP_ERR_TOO_LARGE || e == SGP_ERR_NO_SPACE;
}

/* SGP-ROSTER-1..9 under random damage: OK or a named error with a
 * plausible line, never a crash, and an unchanged roster on error. */
Test(roster, mutated_rosters_never_crash) {
  size_t glen;
  char *good = expand(HDR "# c\n" L1 L0 "\n" L2 "node 3 $S3 $D3 10.0.0.4:7003\n", &glen);
  uint8_t *buf = malloc(glen + 64);
  struct store s;
  unsigned line;
  uint64_t seed = 77;
  unsigned ok = 0;
  store_init(&s, 8);
  cr_assert_eq(store_parse(&s, good, glen, &line), SGP_OK);
  for (int iter = 0; iter < 10000; iter++) {
    size_t len = glen;
    memcpy(buf, good, len);
    int muts = 1 + (int)(rng(&seed) % 3);
    for (int m = 0; m < muts; m++) {
      uint64_t r = rng(&seed);
      size_t pos = len ? (size_t)(r >> 8) % len : 0;
      switch (r % 4) {
        case 0:
          if (len) buf[pos] ^= (uint8_t)(1u << ((r >> 4) % 8));
          break;
        case 1:
          if (len < glen + 64) {
            static const uint8_t pick[] = {' ', '\n', '#', '0', ':', '[', ']', '.', '\r', 0};
            memmove(buf + pos + 1, buf + pos, len - pos);
            buf[pos] = (r >> 40) & 1 ? pick[(r >> 41) % sizeof pick] : (uint8_t)(r >> 48);
            len++;
          }
          break;
        case 2:
          if (len) {
            memmove(buf + pos, buf + pos + 1, len - pos - 1);
            len--;
          }
          break;
        default: /* a digit keeps many lines well-formed: hits the semantic checks */
          if (len) buf[pos] = (uint8_t) "0123456789"[(r >> 40) % 10];
          break;
      }
    }
    unsigned nl = 1;
    for (size_t i = 0; i < len; i++) nl += buf[i] == '\n';
    struct snap before = snapshot(&s);
    line = 0;
    sgp_err e = sgp_roster_parse(&s.r, buf, len, s.scratch, s.scratch_cap, &line);
    if (e == SGP_OK) {
      ok++;
      cr_assert_eq(line, 0);
      cr_assert(s.r.n >= 1 && s.r.n <= s.r.cap);
    } else {
      cr_assert(named_error(e), "iter %d: %s", iter, sgp_err_name(e));
      cr_assert(line >= 1 && line <= nl + 1, "iter %d: line %u of %u", iter, line, nl);
      cr_assert(unchanged(&s, &before), "iter %d: roster changed", iter);
    }
    free(before.bytes);
  }
  cr_assert(ok > 50 && ok < 9900, "ok=%u", ok);
  free(buf);
  free(good);
  store_free(&s);
}

/* SGP-KEY-9: a roster file over 8 MiB is refused before parsing. */
Test(roster, file_size_limit) {
  struct store s;
  store_init(&s, 4);
  size_t len = (size_t)SGP_MAX_ROSTERFILE + 1;
  char *big = malloc(len);
  cr_assert(big);
  memset(big, '#', len);
  struct snap before = snapshot(&s);
  unsigned line = 99;
  cr_assert_eq(store_parse(&s, big, len, &line), SGP_ERR_TOO_LARGE);
  cr_assert(unchanged(&s, &before));
  free(before.bytes);
  free(big);
  store_free(&s);
}

/* SGP-ROSTER-4: only canonical printable text is an address; an embedded
 * NUL must not truncate it (fuzz finding fuzz_roster/finding-001). */
Test(roster, addr_embedded_nul_rejected) {
  struct sgp_addr a;
  cr_assert_eq(sgp_addr_parse(&a, "[::1\0]:8", 8), SGP_ERR_SYNTAX);
  cr_assert_eq(sgp_addr_parse(&a, "1.2.3.4\0junk:80", 15), SGP_ERR_SYNTAX);
  cr_assert_eq(sgp_addr_parse(&a, "1.2.3.4:80", 10), SGP_OK);
}
