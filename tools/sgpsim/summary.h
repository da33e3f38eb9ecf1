/* Human-readable results: the run summary, the final verdict table, the
 * checks behind the --expect-* flags and the insider comparison.  All of
 * it is a pure function of the config and the result, so the same seed
 * prints the same bytes (wall-clock time goes to stderr only). */
#ifndef SGPSIM_SUMMARY_H
#define SGPSIM_SUMMARY_H

#include <stdint.h>
#include <stdio.h>

#include "sim.h"

extern const char SIM_MODEL_TEXT[];

/* "sgp", "age" or "model". */
const char *sim_merge_name(enum sim_merge m);

void summary_print(FILE *out, const struct sim_config *c, const struct sim_result *r);
/* full = one line per node id; else a digest (for large n). */
void verdict_table(FILE *out, const struct sim_config *c, const struct sim_result *r, int full);
/* 1 if every live node shows COMPROMISED for the compromised ids, SILENT
 * for the crashed (still dead) ids and CLEAN for every other id. */
int expect_verdicts(FILE *out, const struct sim_config *c, const struct sim_result *r);
/* Number of (honest live viewer, target != insider) verdicts that differ
 * between a run without and with the insider (same seed). */
uint64_t insider_compare(FILE *out, const struct sim_config *c, const struct sim_result *base,
                         const struct sim_result *att);
/* Mean and max rounds over the completed trials; returns how many completed. */
uint32_t trial_stats(const struct sim_result *r, double *mean, uint32_t *max);

#endif
