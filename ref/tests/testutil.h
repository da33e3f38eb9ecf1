/* Shared test helpers: deterministic keys and a small roster. */
#ifndef SGP_TESTUTIL_H
#define SGP_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sgp/state.h"

/* Deterministic Ed25519 key pair for node i (seed = "sgp-test" || i). */
void tu_keypair(uint32_t i, uint8_t pk[32], uint8_t sk[64]);

struct tu_cluster {
  uint32_t n;
  uint8_t (*pk)[32];
  uint8_t (*sk)[64];
};
void tu_cluster_init(struct tu_cluster *c, uint32_t n);
void tu_cluster_free(struct tu_cluster *c);

/* Allocates and initialises node i's state (generation gen). */
struct sgp_state *tu_state_new(const struct tu_cluster *c, const struct sgp_params *p, uint32_t i,
                               uint32_t gen);
void tu_state_free(struct sgp_state *st);

/* A report of origin o with five zero sub-scores and the given opinion row,
 * signed with key sk (normally o's own). */
void tu_report(sgp_report_msg *r, const uint8_t sk[64], uint32_t o, uint32_t gen, uint32_t seq,
               uint32_t susp, const uint32_t *row, size_t k);
/* A DELTA packet from sender carrying reports rs[0..k). */
void tu_delta(sgp_packet *p, uint32_t sender, const sgp_report_msg *rs, size_t k);

/* Reads a whole file (NUL-terminated); NULL if missing. */
char *tu_read_file(const char *path, size_t *len);

/* Source scanners (the requirement tests that read the code): blanks
 * comments and string / character literals in place (spaces, offsets kept),
 * so that only code tokens remain. */
void tu_strip_code(char *s);
/* A character of a C identifier or number token. */
int tu_is_ident(char c);

/* Vector files (the JSON under conformance/vectors): every accessor fails the
 * running Criterion test when the field is missing or malformed. */
json_t *tu_json_load(const char *path);
const char *tu_json_str(const json_t *o, const char *k);
long long tu_json_num(const json_t *o, const char *k);
/* Hex field into out (capacity cap); returns its length. */
size_t tu_json_unhex(const json_t *o, const char *k, uint8_t *out, size_t cap);
/* The sgp_err named by a vector's "SGP_ERR_..." string. */
sgp_err tu_err_named(const char *name);

/* Deterministic xorshift64* for property tests. */
uint64_t tu_rand(uint64_t *s);

#endif
