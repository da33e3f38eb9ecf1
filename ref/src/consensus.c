/* Verdicts from held reports (contract in sgp/consensus.h). */
#include "sgp/consensus.h"

const char *sgp_verdict_name(sgp_verdict v) {
  switch (v) {
    case SGP_VERDICT_CLEAN:
      return "CLEAN";
    case SGP_VERDICT_SUSPECT:
      return "SUSPECT";
    case SGP_VERDICT_COMPROMISED:
      return "COMPROMISED";
    case SGP_VERDICT_SILENT:
      return "SILENT";
    default:
      return "UNKNOWN";
  }
}

int sgp_consensus_is_live(const struct sgp_state *st, uint32_t j) {
  if (j == st->self) return 1;
  return st->e[j].gen != 0 && st->e[j].age <= st->p.t_cleanup; /* SGP-CONS-4 */
}

void sgp_consensus_run(struct sgp_state *st, sgp_verdict *out) {
  uint32_t n = st->p.n, live = 0;
  uint64_t *votes = st->scratch;
  for (uint32_t j = 0; j < n; j++) votes[j] = 0;
  /* Only rows of live nodes vote, and each row once (SGP-CONS-3). */
  for (uint32_t k = 0; k < n; k++) {
    if (!sgp_consensus_is_live(st, k)) continue;
    live++;
    const uint16_t *row = sgp_state_silent_row(st, k);
    for (uint32_t i = 0; i < st->e[k].silent_count; i++) votes[row[i]]++;
  }
  for (uint32_t j = 0; j < n; j++) {
    const struct sgp_entry *e = &st->e[j];
    uint32_t voters = live - (sgp_consensus_is_live(st, j) ? 1u : 0u);
    int silent = voters > 0 && votes[j] >= voters / 2 + 1; /* strict majority */
    if (e->gen != 0 && e->suspicion >= st->p.theta_compromised)
      out[j] = SGP_VERDICT_COMPROMISED; /* SGP-CONS-1 */
    else if (silent)
      out[j] = SGP_VERDICT_SILENT; /* SGP-CONS-3 */
    else if (e->gen != 0 && e->suspicion >= st->p.theta_suspect)
      out[j] = SGP_VERDICT_SUSPECT; /* SGP-CONS-5 */
    else if (e->gen != 0)
      out[j] = SGP_VERDICT_CLEAN;
    else
      out[j] = SGP_VERDICT_UNKNOWN;
  }
}
