/* Roster: the public keys and addresses of every authorised node
 * (spec "Keys and roster", SGP-ROSTER-1..9).
 *
 * Pure: parses caller text into caller arrays; no I/O, no malloc.  Format:
 *
 *   sgp-roster v1
 *   node <id> <sign-pk 64 hex> <dh-pk 64 hex> <addr>
 *   ...
 *
 * addr is "a.b.c.d:port" or "[v6]:port", the address in canonical text
 * (dotted decimal; RFC 5952 for IPv6), port canonical decimal 1..65535.
 * Tokens are separated by exactly one space; full-line '#' comments and
 * empty lines are allowed after line 1 (same lexical rules as the key
 * file).  Ids are exactly 0..n-1, each once, in any order, 1 <= n <=
 * SGP_MAX_NODES; no two nodes share a signing key, DH key or address.
 *
 * Parse contract (SGP-ROSTER-9): atomic.  Every rule is checked before
 * anything is written, so on error r->n and the arrays are unchanged and
 * *line is the 1-based line at fault.  Errors are reported in this order:
 *   1. the first line (in file order) that breaks a per-line rule or
 *      repeats an id; an input without magic or with more node lines than
 *      the capacity also stops here (SGP_ERR_NO_SPACE);
 *   2. no node line: SGP_ERR_MISSING at the line after the last;
 *   3. a gap in the ids: SGP_ERR_MISSING at the first line whose id >= n;
 *   4. the first line repeating the signing key, DH key or address of an
 *      earlier line: SGP_ERR_DUP_ENTRY.
 * Within a line: lexical/token errors, then id, sign-pk hex, dh-pk hex,
 * address, then key validity, then repeated id.
 *
 * Cost: O(L + n log n) for L input bytes (duplicates are found by sorting
 * a caller-provided index array, no quadratic scan), plus one Ed25519
 * point validation per node.
 */
#ifndef SGP_ROSTER_H
#define SGP_ROSTER_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/keys.h"
#include "sgp/result.h"

enum {
  SGP_ADDR_V4 = 4,
  SGP_ADDR_V6 = 6,
  /* "[" 39 "]:" 5 digits, NUL included. */
  SGP_ADDR_TEXT_MAX = 48,
  /* "node " 5 " " 64 " " 64 " " addr "\n" NUL. */
  SGP_ROSTER_LINE_TEXT_MAX = 5 + 5 + 1 + 64 + 1 + 64 + 1 + SGP_ADDR_TEXT_MAX + 1,
};

/* Compare with sgp_addr_eq, not memcmp (the struct has padding). */
struct sgp_addr {
  uint8_t family; /* SGP_ADDR_V4 or SGP_ADDR_V6 */
  uint8_t ip[16]; /* network order; IPv4 uses ip[0..3], rest zero */
  uint16_t port;  /* host order */
};

struct sgp_roster {
  uint32_t n, cap;
  uint8_t (*sign_pk)[32]; /* [cap], entry i = node i */
  uint8_t (*dh_pk)[32];   /* [cap] */
  struct sgp_addr *addr;  /* [cap] */
};

/* Parses a whole roster.  scratch is caller memory of scratch_cap
 * entries; at least as many as there are node lines (n <= cap, so
 * scratch_cap >= r->cap always suffices).  More node lines than r->cap or
 * scratch_cap: SGP_ERR_NO_SPACE at the first line that does not fit. */
SGP_MUST_CHECK sgp_err sgp_roster_parse(struct sgp_roster *r, const uint8_t *text, size_t len,
                                        uint32_t *scratch, size_t scratch_cap, unsigned *line);

/* Parses one address token (SGP-ROSTER-4): SGP_ERR_SYNTAX for a malformed
 * or non-canonical form, SGP_ERR_RANGE for a bad port or an address that
 * cannot name a peer (0.0.0.0, ::, IPv4-mapped ::ffff:0:0/96 and the
 * deprecated IPv4-compatible ::/96 other than ::1). */
SGP_MUST_CHECK sgp_err sgp_addr_parse(struct sgp_addr *a, const char *s, size_t len);

/* 1 if a and b name the same family, address and port. */
int sgp_addr_eq(const struct sgp_addr *a, const struct sgp_addr *b);

/* Canonical text of a (the inverse of sgp_addr_parse) plus NUL. */
SGP_MUST_CHECK sgp_err sgp_addr_format(const struct sgp_addr *a, char *out, size_t cap,
                                       size_t *out_len);

/* The roster line of one node, ending in '\n', plus NUL (*out_len excludes
 * the NUL).  addr may be NULL: the address token is then omitted and the
 * line is incomplete until the operator appends one (sgp-keygen uses this
 * when no address is given). */
SGP_MUST_CHECK sgp_err sgp_roster_line_format(uint32_t node, const uint8_t sign_pk[32],
                                              const uint8_t dh_pk[32], const struct sgp_addr *addr,
                                              char *out, size_t cap, size_t *out_len);

/* Linear lookups (O(n)); SGP_ERR_UNKNOWN_ORIGIN if absent. */
SGP_MUST_CHECK sgp_err sgp_roster_find_sign_pk(const struct sgp_roster *r, const uint8_t pk[32],
                                               uint32_t *id);
SGP_MUST_CHECK sgp_err sgp_roster_find_dh_pk(const struct sgp_roster *r, const uint8_t pk[32],
                                             uint32_t *id);

/* A node's secret key belongs to roster entry k->node: SGP_ERR_NODE_ID if
 * that id is not in the roster, SGP_ERR_KEY_MISMATCH if either public key
 * differs from the roster's. */
SGP_MUST_CHECK sgp_err sgp_roster_check_key(const struct sgp_roster *r,
                                            const struct sgp_secret_key *k);

#endif
