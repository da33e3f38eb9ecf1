/* Conformance state driver: builds a node state from a vector's start state
 * and applies the events of a merge or consensus sequence.
 *
 * Shared by the vector generator (tools/confvec) and the reference testee
 * (conformance/testee) so both interpret a start state the same way:
 *   - the roster's Ed25519 public keys and the node's own 32-byte seed;
 *   - the held reports, installed verbatim (each must validate against n
 *     and max_silent and verify under its origin's key);
 *   - the age of every origin, the round counter and the agent values in
 *     effect (the own report's values unless given).
 * Events are: a gossip packet (decode with n, then merge), a tick, new
 * agent values, and the exchange's outputs (own SYN, answer to a SYN or ACK).  This is adapter
 * code: it allocates and writes the state's public entries directly, which the library itself never
 * needs.
 */
#ifndef SGP_CONFSTATE_H
#define SGP_CONFSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/consensus.h"
#include "sgp/state.h"

enum { CONF_MAX_NODES = 64 };

struct conf_start {
  struct sgp_params p;
  uint32_t self;
  uint64_t round;
  const uint8_t (*pk)[32]; /* p.n roster sign keys */
  uint8_t seed[32];        /* own Ed25519 seed */
  const sgp_report_msg *reports;
  size_t nreports;
  const uint32_t *ages; /* p.n ages, or NULL for all 0 */
  int has_local;
  uint32_t local_suspicion;
  uint32_t local_sub[SGP_SUBSCORES];
};

struct conf_node {
  struct sgp_state st;
  void *mem;
  uint8_t pk[CONF_MAX_NODES][32];
  uint8_t sk[64];
  sgp_packet *pkt; /* decode scratch (large) */
  sgp_packet *out; /* answer scratch (large) */
};

SGP_MUST_CHECK sgp_err conf_node_start(struct conf_node *c, const struct conf_start *s);
void conf_node_free(struct conf_node *c);

/* Decode (with the roster's n) and merge; *adopted = reports adopted. */
SGP_MUST_CHECK sgp_err conf_node_packet(struct conf_node *c, const uint8_t *buf, size_t len,
                                        uint32_t *adopted);
SGP_MUST_CHECK sgp_err conf_node_tick(struct conf_node *c);
SGP_MUST_CHECK sgp_err conf_node_set_local(struct conf_node *c, uint32_t suspicion,
                                           const uint32_t sub[SGP_SUBSCORES]);
void conf_node_verdicts(struct conf_node *c, sgp_verdict *out);
/* The exchange (spec §5.4), without merging: the node's SYN, or its answer
 * to a SYN (an ACK) or to an ACK (a DELTA; *len = 0 when the DELTA would
 * carry no report, SGP-XCHG-5).  budget 0 = default. */
SGP_MUST_CHECK sgp_err conf_node_syn(struct conf_node *c, uint8_t *out, size_t cap, size_t *len);
SGP_MUST_CHECK sgp_err conf_node_answer(struct conf_node *c, const uint8_t *in, size_t in_len,
                                        size_t budget, uint8_t *out, size_t cap, size_t *len);

#endif
