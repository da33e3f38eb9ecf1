/* sgpsim engine: N nodes in one process, one seeded synchronous schedule.
 *
 * Round model (honest synchronous push-pull): in round r every live node
 * sends a SYN to a uniformly random other node; messages are delivered
 * FIFO within the round (SYN -> ACK -> DELTA); every message is built from
 * the node's round-start state because the merges of received packets are
 * deferred to the end of the round; then every live node ticks and runs
 * consensus.  A message delayed by the fault model is delivered in a later
 * round's FIFO phase, and its reply is built then.  Events given "@R" take
 * effect at the start of round R.
 *
 * merge=sgp runs the real library (see proto_sgp.c); merge=age runs the
 * paper's/GEMS age rule as a model inside the tool (see proto_age.c).
 */
#ifndef SGPSIM_SIM_H
#define SGPSIM_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sgp/state.h"

enum { SIM_MAX_EVENTS = 16, SIM_MAX_TRIALS = 256 };

/* SIM_MERGE_MODEL: the reduced-state model of SGP's exchange (model.c). */
enum sim_merge { SIM_MERGE_SGP = 0, SIM_MERGE_AGE = 1, SIM_MERGE_MODEL = 2 };

/* What --loss drops: a whole message, or each sealed datagram of the
 * message's fragments (§8; a message is lost unless enough arrive). */
enum sim_loss_unit { SIM_LOSS_MESSAGE = 0, SIM_LOSS_DATAGRAM = 1 };

struct sim_event {
  uint32_t id, round;
};

struct sim_config {
  uint32_t n;
  uint64_t seed;
  uint32_t rounds; /* 0: automatic (sim_auto_rounds) */
  enum sim_merge merge;
  struct sgp_params params; /* params.n == n */
  size_t budget;            /* delta budget passed to make_ack/make_delta */
  double loss, dup, delay;
  enum sim_loss_unit loss_unit;
  uint8_t frag_flags; /* jigsaw flags of every message (0, AONT, AONT|PARITY) */
  int partition;      /* rounds part_r1..part_r2, sides in part_side[n] (0/1) */
  uint32_t part_r1, part_r2;
  const uint8_t *part_side;
  struct sim_event crash[SIM_MAX_EVENTS], restart[SIM_MAX_EVENTS], compromise[SIM_MAX_EVENTS];
  uint32_t n_crash, n_restart, n_compromise;
  int insider; /* insider_id's key is stolen */
  uint32_t insider_id, frame_id;
  uint32_t trials, trial_start, trial_stride;
  int phase_random; /* random heartbeat phase per node (else all in phase) */
  int memo;         /* memoizing verifier */
  int stop_when_trials_done;
  int print_rounds; /* compact line per round to out */
  FILE *out, *csv;
};

/* Breakdown of a round's traffic (merge=model only): encoded bytes of
 * packet headers, digest entries and reports sent, and reports merged that
 * were newer than the held one (adopted) or not (redundant copies). */
enum { SIM_HDR_BYTES, SIM_DIGEST_BYTES, SIM_REPORT_BYTES, SIM_ADOPTED, SIM_REDUNDANT, SIM_PARTS };

struct sim_round {
  uint32_t round, live, holding, comp, silent, rejected;
  uint64_t bytes;
  uint64_t part[SIM_PARTS];
};

struct sim_result {
  uint32_t rounds;  /* rounds run */
  uint32_t tracked; /* origin of the "holding newest" column */
  uint32_t trials;
  uint32_t trial_origin[SIM_MAX_TRIALS], trial_round[SIM_MAX_TRIALS];
  int32_t trial_rounds[SIM_MAX_TRIALS]; /* -1: not every live node got it */
  int has_comp, has_crash;
  uint32_t comp_id, comp_round, crash_id, crash_round;
  int32_t t_comp, t_silent; /* -1: not reached */
  struct sim_round *rows;   /* rounds entries */
  uint64_t bytes, sent, lost, duplicated, delayed, dropped_dead, dropped_partition;
  uint64_t rejected, forged_sent;
  uint64_t reports_in_ack, reports_in_delta, empty_ack; /* merge=sgp: reports carried */
  uint64_t verify_calls, verify_hits;
  /* per message kind (index MSG_SYN..MSG_DELTA): sent, lost, fragments, sealed datagram bytes */
  uint64_t kind_sent[4], kind_lost[4], kind_frags[4], kind_dgram_bytes[4];
  uint32_t model_rows_max; /* merge=model: most nodes with a non-empty own row after a tick */
  size_t mem_per_node;
  uint8_t *alive; /* n: alive at the end */
  uint8_t *final; /* n*n: final verdicts (sgp_verdict) row = viewer; dead rows 0 */
};

void sim_config_default(struct sim_config *c, uint32_t n);
uint32_t sim_auto_rounds(const struct sim_config *c);
uint32_t sim_auto_trial_start(uint32_t n);
/* 0 on success; on failure prints the reason to stderr. */
int sim_run(const struct sim_config *c, struct sim_result *r);
void sim_result_free(struct sim_result *r);

#endif
