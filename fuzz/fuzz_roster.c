/* Target Functions: sgp_roster_parse, sgp_roster_line_format, sgp_addr_parse,
 *                   sgp_addr_format
 *
 * Input: s2n-style mode byte data[0], text data[1..]:
 *   mode bit 0 clear  the text is a whole roster, parsed into CAP entries
 *                     with a scratch array of CAP (mode bit 1: CAP / 2, to
 *                     reach the capacity error);
 *   mode bit 0 set    the text is one address token for sgp_addr_parse.
 *
 * Invariants (each a finding if it breaks; IDs are spec/sgp-v1.md §2.4):
 *   - every return is a named code;
 *   - roster, on error: r->n and all three arrays are byte-for-byte what
 *     they were (atomic parse, SGP-ROSTER-9) and *line is in 1 .. lines + 1;
 *   - roster, on success: *line == 0, 1 <= n <= capacity (SGP-ROSTER-7),
 *     every signing key a valid Ed25519 point and every DH key non-zero
 *     (SGP-ROSTER-8), every address a peer address (SGP-ROSTER-4), no two
 *     nodes share a key or an address (SGP-ROSTER-6);
 *   - roster, on success: every node line of the input is byte-identical
 *     to sgp_roster_line_format of the values parsed from it (one spelling
 *     per value: SGP-KEY-4, SGP-KEY-5, SGP-ROSTER-4; so rosters describing
 *     the same tuples have the same node lines, SGP-ROSTER-10), and
 *     re-parsing the formatted roster gives the same arrays;
 *   - address: accepted text is exactly sgp_addr_format of the parsed value
 *     (canonical form only, SGP-ROSTER-4), which parses back to the same
 *     value; a rejected address leaves the output untouched (result.h).
 */
#include <sodium.h>
#include <string.h>

#include "fuzz_common.h"
#include "sgp/roster.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { CAP = 64, SENTINEL_N = 0x5a5a5a5a };

static uint8_t sign_pk[CAP][32], dh_pk[CAP][32], sign2[CAP][32], dh2[CAP][32];
static struct sgp_addr addr[CAP], addr2[CAP];
static uint32_t scratch[CAP];
static uint8_t fill[sizeof sign_pk + sizeof dh_pk + sizeof addr];
static char text[14 + CAP * SGP_ROSTER_LINE_TEXT_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_init();
  for (size_t i = 0; i < sizeof fill; i++) fill[i] = (uint8_t)(0xa5 ^ i);
  return 0;
}

static void prefill(void) {
  memcpy(sign_pk, fill, sizeof sign_pk);
  memcpy(dh_pk, fill + sizeof sign_pk, sizeof dh_pk);
  memcpy(addr, fill + sizeof sign_pk + sizeof dh_pk, sizeof addr);
}

static int unchanged(void) {
  return memcmp(sign_pk, fill, sizeof sign_pk) == 0 &&
         memcmp(dh_pk, fill + sizeof sign_pk, sizeof dh_pk) == 0 &&
         memcmp(addr, fill + sizeof sign_pk + sizeof dh_pk, sizeof addr) == 0;
}

static unsigned count_lines(const uint8_t *t, size_t len) {
  unsigned n = 0;
  for (size_t i = 0; i < len; i++) n += t[i] == '\n';
  return n + (len > 0 && t[len - 1] != '\n');
}

static int addr_eq(const struct sgp_addr *a, const struct sgp_addr *b) {
  return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, 16) == 0;
}

static void check_roster(const uint8_t *t, size_t len, uint32_t cap) {
  struct sgp_roster r = {SENTINEL_N, cap, sign_pk, dh_pk, addr};
  unsigned line = 12345;
  prefill();
  sgp_err rc = sgp_roster_parse(&r, t, len, scratch, cap, &line);
  fz_check_named(rc, "sgp_roster_parse");
  if (rc != SGP_OK) {
    FZ_CHECK(r.n == SENTINEL_N && unchanged(), "rejected roster (%s) changed the output",
             sgp_err_name(rc));
    FZ_CHECK(line >= 1 && line <= count_lines(t, len) + 1, "%s at line %u of a %u-line roster",
             sgp_err_name(rc), line, count_lines(t, len));
    return;
  }
  FZ_CHECK(line == 0 && r.n >= 1 && r.n <= cap, "success: line %u, n %u", line, r.n);
  for (uint32_t i = 0; i < r.n; i++) {
    FZ_CHECK(crypto_core_ed25519_is_valid_point(sign_pk[i]) == 1, "node %u sign_pk invalid", i);
    FZ_CHECK(!sodium_is_zero(dh_pk[i], 32), "node %u dh_pk zero", i);
    FZ_CHECK(addr[i].family == SGP_ADDR_V4 || addr[i].family == SGP_ADDR_V6, "node %u family", i);
    for (uint32_t j = 0; j < i; j++) {
      FZ_CHECK(memcmp(sign_pk[i], sign_pk[j], 32) != 0, "nodes %u and %u share sign_pk", j, i);
      FZ_CHECK(memcmp(dh_pk[i], dh_pk[j], 32) != 0, "nodes %u and %u share dh_pk", j, i);
      FZ_CHECK(!addr_eq(&addr[i], &addr[j]), "nodes %u and %u share an address", j, i);
    }
  }

  /* Every node line is the formatter's spelling of its values. */
  size_t pos = 0;
  unsigned nodes = 0;
  for (unsigned ln = 1; pos < len; ln++) {
    const uint8_t *nl = memchr(t + pos, '\n', len - pos);
    size_t ll = nl ? (size_t)(nl - (t + pos)) : len - pos;
    if (ln > 1 && ll > 0 && t[pos] != '#') {
      uint32_t id = 0;
      size_t k = 5;
      while (k < ll && t[pos + k] >= '0' && t[pos + k] <= '9' && id < SGP_MAX_NODES)
        id = id * 10 + (uint32_t)(t[pos + k++] - '0');
      FZ_CHECK(id < r.n, "line %u: id %u not in the parsed roster", ln, id);
      char want[SGP_ROSTER_LINE_TEXT_MAX];
      size_t wl = 0;
      FZ_CHECK(sgp_roster_line_format(id, sign_pk[id], dh_pk[id], &addr[id], want, sizeof want,
                                      &wl) == SGP_OK,
               "line_format");
      FZ_CHECK(wl == ll + 1 && memcmp(want, t + pos, ll) == 0,
               "line %u is not the canonical spelling of node %u", ln, id);
      nodes++;
    }
    pos += ll + 1;
  }
  FZ_CHECK(nodes == r.n, "%u node lines for n = %u", nodes, r.n);

  /* Formatted roster re-parses to the same arrays. */
  size_t tl = 0;
  memcpy(text, "sgp-roster v1\n", 14);
  tl = 14;
  for (uint32_t i = 0; i < r.n; i++) {
    size_t wl = 0;
    FZ_CHECK(sgp_roster_line_format(i, sign_pk[i], dh_pk[i], &addr[i], text + tl, sizeof text - tl,
                                    &wl) == SGP_OK,
             "line_format");
    tl += wl;
  }
  struct sgp_roster r2 = {0, cap, sign2, dh2, addr2};
  sgp_err e = sgp_roster_parse(&r2, (const uint8_t *)text, tl, scratch, cap, &line);
  FZ_CHECK(e == SGP_OK && r2.n == r.n, "formatted roster: %s", sgp_err_name(e));
  for (uint32_t i = 0; i < r.n; i++)
    FZ_CHECK(memcmp(sign2[i], sign_pk[i], 32) == 0 && memcmp(dh2[i], dh_pk[i], 32) == 0 &&
                 addr_eq(&addr2[i], &addr[i]),
             "node %u differs after format -> parse", i);
}

static void check_addr(const uint8_t *t, size_t len) {
  struct sgp_addr a, b, before;
  memset(&a, 0x77, sizeof a);
  before = a;
  sgp_err rc = sgp_addr_parse(&a, (const char *)t, len);
  fz_check_named(rc, "sgp_addr_parse");
  if (rc != SGP_OK) {
    FZ_CHECK(memcmp(&a, &before, sizeof a) == 0, "rejected address (%s) changed the output",
             sgp_err_name(rc));
    return;
  }
  char out[SGP_ADDR_TEXT_MAX];
  size_t ol = 0;
  sgp_err e = sgp_addr_format(&a, out, sizeof out, &ol);
  FZ_CHECK(e == SGP_OK, "format of a parsed address: %s", sgp_err_name(e));
  FZ_CHECK(ol == len && memcmp(out, t, len) == 0,
           "accepted address text (%zu bytes) is not its canonical form \"%s\"", len, out);
  FZ_CHECK(sgp_addr_parse(&b, out, ol) == SGP_OK && addr_eq(&a, &b), "format -> parse differs");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  if (data[0] & 1u)
    check_addr(data + 1, size - 1);
  else
    check_roster(data + 1, size - 1, (data[0] & 2u) ? CAP / 2 : CAP);
  return 0;
}
