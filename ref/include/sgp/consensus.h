/* Consensus (spec §6, SGP-CONS-*): verdicts from the held reports.
 *
 *   COMPROMISED  the origin's own newest report has suspicion >= theta_c
 *                (signed evidence, no vote needed)
 *   SILENT       a strict majority of the live rows list the node as silent;
 *                live = self, plus nodes with a held report whose age here
 *                is <= t_cleanup
 *   SUSPECT      suspicion >= theta_s
 *   CLEAN        otherwise
 *   UNKNOWN      no report held and no silent quorum yet
 * Priority is top to bottom.  Only verified reports exist in the state, so
 * no verdict can rest on an unverified report (SGP-CONS-7).
 */
#ifndef SGP_CONSENSUS_H
#define SGP_CONSENSUS_H

#include "sgp/state.h"

typedef enum {
  SGP_VERDICT_UNKNOWN = 0,
  SGP_VERDICT_CLEAN = 1,
  SGP_VERDICT_SUSPECT = 2,
  SGP_VERDICT_COMPROMISED = 3,
  SGP_VERDICT_SILENT = 4,
} sgp_verdict;

const char *sgp_verdict_name(sgp_verdict v);

/* Writes n verdicts; uses st->scratch (hence non-const). O(n * max_silent). */
void sgp_consensus_run(struct sgp_state *st, sgp_verdict *out);
/* 1 if node j is live from this node's view (age <= t_cleanup or self). */
int sgp_consensus_is_live(const struct sgp_state *st, uint32_t j);

#endif
