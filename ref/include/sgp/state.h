/* Node state and merge (spec §5, SGP-STATE-*, SGP-MERGE-*, SGP-TICK-*).
 *
 * One sgp_state holds, for a roster of n nodes:
 *   - the suspicion vector and matrix: for every origin the newest verified
 *     report (suspicion, sub-scores, opinion row = ids it deems silent);
 *   - the gossip list: ages[i] = T_gossip rounds since origin i's version
 *     last advanced here (the paper's meaning, DESIGN D1).
 * Capacity is fixed at init from the params; the caller provides the memory
 * (sgp_state_mem_size) and the roster's public keys, which must outlive the
 * state.  Nothing here allocates, does I/O or reads a clock: time advances
 * only through sgp_state_tick.
 *
 * Merge is the join of a semilattice: an origin's report is replaced only
 * by a verified report with a higher version, or an equal version whose
 * signature (then TBS) bytes compare greater (the tie-break, SGP-MERGE-6;
 * digests carry an 8-byte signature tag so the exchange propagates it).  A packet
 * is applied atomically: every report that would be adopted is verified
 * first, and one failure rejects the whole packet with no state change.
 */
#ifndef SGP_STATE_H
#define SGP_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/codec.h"
#include "sgp/report.h"

struct sgp_params {
  uint32_t n;                 /* roster size, 1..SGP_MAX_NODES */
  uint32_t max_silent;        /* cluster-wide opinion-row cap, 1..SGP_MAX_SILENT */
  uint32_t t_cleanup;         /* rounds without a new version before "silent" */
  uint32_t heartbeat;         /* re-sign own report every this many rounds */
  uint32_t theta_suspect;     /* suspicion >= this: SUSPECT */
  uint32_t theta_compromised; /* suspicion >= this: COMPROMISED */
};
void sgp_params_default(struct sgp_params *p, uint32_t n);
SGP_MUST_CHECK sgp_err sgp_params_validate(const struct sgp_params *p);

/* One origin's slot.  gen == 0 means no report held. */
struct sgp_entry {
  uint32_t gen, seq;
  uint32_t suspicion;
  uint16_t sub[SGP_SUBSCORES];
  uint16_t age;
  uint16_t silent_count;
  uint8_t sig[SGP_SIG_BYTES];
};

struct sgp_stats {
  uint64_t packets_merged, packets_rejected;
  uint64_t reports_adopted, reports_stale, reports_tie_replaced;
};

struct sgp_state {
  struct sgp_params p;
  uint32_t self;
  uint64_t round;
  const uint8_t (*keys)[SGP_SIGN_PK_BYTES]; /* n roster signing keys */
  const uint8_t *sk;                        /* own 64-byte Ed25519 secret key */
  struct sgp_verifier verifier;
  void *mem;           /* the caller's block (8-byte aligned) */
  struct sgp_entry *e; /* n entries */
  uint16_t *silent;    /* n * max_silent ids (row i at i*max_silent) */
  uint64_t *scratch;   /* n words: consensus votes, delta selection (not logical state) */
  uint32_t local_suspicion;
  uint16_t local_sub[SGP_SUBSCORES];
  struct sgp_stats stats;
};

/* Bytes of caller memory the state needs (0 if p is invalid); the block
 * must be 8-byte aligned (malloc's is). */
size_t sgp_state_mem_size(const struct sgp_params *p);

/* Starts a node with a fresh generation (>= 1, persisted by the caller so it
 * rises on every start: SGP-STATE-3).  Signs the first own report (seq 1,
 * suspicion 0).  keys[self] must be the public half of sk. */
SGP_MUST_CHECK sgp_err sgp_state_init(struct sgp_state *st, void *mem, size_t mem_len,
                                      const struct sgp_params *p, uint32_t self,
                                      uint32_t generation, const uint8_t (*keys)[SGP_SIGN_PK_BYTES],
                                      const uint8_t sk[64], const struct sgp_verifier *v);

/* Agent input: takes effect (new seq, re-signed) at the next tick. */
SGP_MUST_CHECK sgp_err sgp_state_set_local(struct sgp_state *st, uint32_t suspicion,
                                           const uint16_t sub[SGP_SUBSCORES]);

/* One T_gossip round: ages advance (saturating), the own opinion row is
 * recomputed, and the own report is re-signed with seq+1 when the heartbeat
 * is due or anything in it changed (SGP-TICK-*). */
SGP_MUST_CHECK sgp_err sgp_state_tick(struct sgp_state *st);

/* The exchange (spec §5.4): SYN carries a digest; ACK answers with the
 * reports newer than that digest plus its own digest; DELTA answers the
 * ACK.  budget caps the bytes of the selected reports (SGP_DEFAULT_BUDGET
 * if 0); the whole packet stays within SGP_MAX_PACKET.  A DELTA with no
 * report must not be sent (SGP-XCHG-5): check reports_count. */
SGP_MUST_CHECK sgp_err sgp_state_make_syn(const struct sgp_state *st, sgp_packet *out);
SGP_MUST_CHECK sgp_err sgp_state_make_ack(const struct sgp_state *st, const sgp_packet *syn,
                                          sgp_packet *out, size_t budget);
SGP_MUST_CHECK sgp_err sgp_state_make_delta(const struct sgp_state *st, const sgp_packet *ack,
                                            sgp_packet *out, size_t budget);

/* The budget rule of SGP-XCHG-4, the one copy the library and the
 * simulator's reduced-state model share.  cand[0..nc) holds candidates as
 * sgp_select_key() values in ascending origin order; wire(ctx, origin)
 * gives a report's encoded size.
 * If all candidates fit within budget bytes and SGP_MAX_REPORTS, all are
 * taken; otherwise they are taken in priority order (own report, then
 * ascending age, then ascending origin) until the next one does not fit.
 * On return cand[0..taken) holds the taken origin ids in ascending order
 * (SGP-XCHG-6) and *bytes their report bytes.  Sorts in place, no
 * allocation. */
uint64_t sgp_select_key(uint32_t origin, uint32_t self, uint16_t age);
size_t sgp_select_reports(uint64_t *cand, size_t nc, size_t budget,
                          size_t (*wire)(const void *ctx, uint32_t origin), const void *ctx,
                          size_t *bytes);

struct sgp_merge_result {
  uint32_t adopted, stale, tie_replaced;
};
/* Applies a decoded packet (validated again here).  Errors: any of
 * sgp_packet_validate's, SGP_ERR_SENDER (sent by ourselves),
 * SGP_ERR_TOO_MANY (a row longer than max_silent), SGP_ERR_BAD_SIGNATURE,
 * SGP_ERR_EXHAUSTED (own generation cannot jump); on error nothing changed. */
SGP_MUST_CHECK sgp_err sgp_state_merge(struct sgp_state *st, const sgp_packet *pkt,
                                       struct sgp_merge_result *res);

/* Copies origin i's held report out as a wire message (for relaying,
 * vectors and tools).  SGP_ERR_STATE if none is held. */
SGP_MUST_CHECK sgp_err sgp_state_get_report(const struct sgp_state *st, uint32_t i,
                                            sgp_report_msg *out);
const uint16_t *sgp_state_silent_row(const struct sgp_state *st, uint32_t i);

/* SHA-256 over the whole logical state (not the stats), for tests, fuzz
 * invariants and vectors: equal hashes mean equal state. */
void sgp_state_hash(const struct sgp_state *st, uint8_t out[32]);

#endif
