/* sgp-conformance: the conformance runner (spec §13).
 *
 * It loads the vector files, turns every test into one request of the
 * testee protocol (proto/sgp_testee.proto), sends it to the testee program
 * over a pipe and checks the reply against the vector.  Everything the
 * runner reads from outside (vector JSON, testee replies, the failure list
 * and the config) is untrusted: a malformed input is a failure of the test
 * it belongs to, never a crash; every read from the testee has a deadline.
 */
#ifndef SGP_RUNNER_H
#define SGP_RUNNER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "sgp_testee.pb.h"

typedef sgp_testee_v1_Request rn_req;
typedef sgp_testee_v1_Reply rn_rep;

enum rn_status { RN_PASS = 0, RN_FAIL, RN_SKIP };

struct rn_result {
  enum rn_status status;
  char msg[512];
};

/* ---- the testee process (testee_io.c) -------------------------------------- */

struct rn_testee;
/* Starts `cmd` under /bin/sh -c with pipes on stdin/stdout. */
struct rn_testee *rn_testee_start(const char *cmd, int timeout_ms);
void rn_testee_stop(struct rn_testee *t);
/* One request/reply exchange.  0: *rp holds the reply (id checked).  -1:
 * protocol failure (timeout, EOF, bad length, undecodable reply, wrong id)
 * described in msg; the testee is then restarted before the next call. */
int rn_call(struct rn_testee *t, rn_req *rq, rn_rep *rp, char *msg, size_t cap);
/* Total restarts so far (protocol failures). */
unsigned rn_testee_restarts(const struct rn_testee *t);

/* ---- per-test context -------------------------------------------------------- */

struct rn_ctx {
  struct rn_testee *t;
  rn_req *rq;
  rn_rep *rp;
};

void rn_fail(struct rn_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sends cx->rq (after memset by the caller).  0 if the reply is usable;
 * otherwise the result is already FAIL (protocol) or SKIP (unsupported). */
int rn_exchange(struct rn_ctx *cx, struct rn_result *res);
/* Checks reply.error against the expected name. */
int rn_expect_err(struct rn_result *res, const char *got, const char *want, const char *what);
/* One item `i` of a list whose vector entry v has "result": "valid" (then
 * the item's error must be SGP_OK) or an "error" name and a "counter" (then
 * both must match).  `what` names the items in messages ("step").  1: a
 * valid item that matched; 0: a rejected item that matched; -1: failure
 * (res already FAIL). */
int rn_expect_outcome(struct rn_result *res, const json_t *v, const char *what, size_t i,
                      const char *got_err, const char *got_counter);

/* In a check function with a `struct rn_result *res`: fail the test with the
 * message and return unless cond holds. */
#define NEED(cond, ...)          \
  do {                           \
    if (!(cond)) {               \
      rn_fail(res, __VA_ARGS__); \
      return;                    \
    }                            \
  } while (0)

/* ---- JSON accessors (jx.c): 0 on success, -1 if missing or malformed ----------- */

int jx_u64(const json_t *o, const char *k, uint64_t *v);
int jx_u32(const json_t *o, const char *k, uint32_t *v);
const char *jx_str(const json_t *o, const char *k);
/* Hex string o[k] into out (capacity cap). */
int jx_hex(const json_t *o, const char *k, uint8_t *out, size_t cap, size_t *len);
int jx_hexs(const json_t *s, uint8_t *out, size_t cap, size_t *len); /* a string node */
/* Hex of exactly nbytes big-endian bytes as an integer. */
int jx_be(const json_t *o, const char *k, size_t nbytes, uint64_t *v);
/* Fills a nanopb bytes field from hex (size set). */
#define JX_BYTES(o, k, field) \
  jx_bytes((o), (k), (field).bytes, sizeof((field).bytes), &(field).size)
int jx_bytes(const json_t *o, const char *k, uint8_t *out, size_t cap, pb_size_t *size);
int jx_packet(const json_t *o, sgp_v1_Packet *p); /* the vectors' packet object */
int jx_report(const json_t *o, sgp_v1_Report *r); /* the vectors' report object */
/* First difference between two packets / reports, or NULL if equal. */
const char *rn_packet_diff(const sgp_v1_Packet *a, const sgp_v1_Packet *b);
const char *rn_report_diff(const sgp_v1_Report *a, const sgp_v1_Report *b);

/* ---- vector groups (v_*.c) ------------------------------------------------------ */

typedef void (*rn_case_fn)(struct rn_ctx *cx, const json_t *group, const json_t *test,
                           struct rn_result *res);
/* The handler for a group type, or NULL. */
rn_case_fn rn_handler(const char *group_type);

void rn_codec_decode(struct rn_ctx *, const json_t *, const json_t *, struct rn_result *);
void rn_codec_encode(struct rn_ctx *, const json_t *, const json_t *, struct rn_result *);
void rn_sequence(struct rn_ctx *, const json_t *, const json_t *, struct rn_result *);
void rn_xport_handshake(struct rn_ctx *, const json_t *, const json_t *, struct rn_result *);
void rn_xport_reject(struct rn_ctx *, const json_t *, const json_t *, struct rn_result *);
void rn_xport_data(struct rn_ctx *, const json_t *, const json_t *, struct rn_result *);
void rn_xport_cookie(struct rn_ctx *, const json_t *, const json_t *, struct rn_result *);
void rn_frag(struct rn_ctx *, const json_t *, const json_t *, struct rn_result *);
void rn_carrier_wrap(struct rn_ctx *, const json_t *, const json_t *, struct rn_result *);
void rn_carrier_unwrap(struct rn_ctx *, const json_t *, const json_t *, struct rn_result *);

#endif
