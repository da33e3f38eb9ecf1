/* Target Functions: sgp_flowlog_init, sgp_flowlog_line, sgp_flowlog_reject (the Zeek conn.log
 * and CTU-13 binetflow line parsers of the agent), and the agent's scoring of what they
 * accept: sgp_agent_init, sgp_agent_add, sgp_agent_score (agent.c)
 *
 * Input: byte 0 selects the format (bit 0: 0 Zeek, 1 binetflow); the rest is a log, split into
 * lines at '\n' and handed over one line at a time as the file reader does: a line longer
 * than SGP_FLOWLOG_LINE_MAX goes to sgp_flowlog_reject(SGP_ERR_TOO_LARGE), a last line without
 * '\n' to sgp_flowlog_reject(SGP_ERR_TRUNCATED).
 * Invariants (each a finding if it breaks):
 *   - every return is a named code;
 *   - a rejected line changes nothing but the line counter and the error counters (lineno,
 *     skipped, last_err, last_err_line, first_err, first_err_line), and gives *have = 0;
 *     skipped counts it, and last_err is the code returned;
 *   - an accepted data line counts one flow, with proto one of the known numbers or 0; header
 *     and comment lines count no flow;
 *   - flows + skipped never exceeds the lines handed over;
 *   - agent (bound to the originator of the first accepted flow): a flow of another host is
 *     refused with SGP_ERR_FLOW_HOST and changes nothing (SGP-AGENT-6); after every accepted
 *     flow the score at that flow's time has every sub-score in 0..1000 and a suspicion equal
 *     to sgp_agent_combine of them (SGP-AGENT-4), so within 0..5000.
 */
#include <string.h>

#include "fuzz_common.h"
#include "sgp/agent.h"
#include "sgp/flowlog.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sgp_flowlog p, before;
static struct sgp_agent agent, agent_before;
static int bound;

/* Feeds one accepted flow to the agent and checks the score bounds. */
static void score(const struct sgp_flow *f) {
  if (!bound) {
    FZ_CHECK(sgp_agent_init(&agent, NULL, &f->src) == SGP_OK, "agent init");
    bound = 1;
  }
  memcpy(&agent_before, &agent, sizeof agent);
  sgp_err e = sgp_agent_add(&agent, f);
  fz_check_named(e, "sgp_agent_add");
  if (e != SGP_OK) {
    FZ_CHECK(memcmp(&agent_before, &agent, sizeof agent) == 0,
             "refused flow (%s) changed the agent", sgp_err_name(e));
    return;
  }
  uint16_t sub[SGP_SUBSCORES];
  uint32_t susp = 0, want = 0;
  e = sgp_agent_score(&agent, f->ts_us / 1000u, sub, &susp);
  fz_check_named(e, "sgp_agent_score");
  if (e != SGP_OK) return;
  for (int i = 0; i < SGP_SUBSCORES; i++) FZ_CHECK(sub[i] <= 1000, "sub[%d] = %u", i, sub[i]);
  FZ_CHECK(
      sgp_agent_combine(agent.cfg.weights, sub, &want) == SGP_OK && want == susp && susp <= 5000,
      "suspicion %u, combine gives %u", susp, want);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_init();
  return 0;
}

/* The parser state without the counters a rejection may move. */
static void strip(struct sgp_flowlog *x) {
  x->lineno = 0;
  x->skipped = 0;
  x->last_err = SGP_OK;
  x->last_err_line = 0;
  x->first_err = SGP_OK;
  x->first_err_line = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  sgp_flowlog_init(&p, (data[0] & 1) ? SGP_FLOWLOG_BINETFLOW : SGP_FLOWLOG_ZEEK);
  bound = 0;
  const char *s = (const char *)data + 1;
  size_t n = size - 1, lines = 0;
  while (n > 0) {
    const char *nl = memchr(s, '\n', n);
    size_t len = nl ? (size_t)(nl - s) : n;
    lines++;
    if (!nl || len > SGP_FLOWLOG_LINE_MAX) {
      uint64_t sk = p.skipped;
      sgp_err why = nl ? SGP_ERR_TOO_LARGE : SGP_ERR_TRUNCATED;
      sgp_err e = sgp_flowlog_reject(&p, why);
      fz_check_named(e, "sgp_flowlog_reject");
      FZ_CHECK(p.skipped == sk + 1 && p.last_err == why, "reject did not count the line");
    } else {
      memcpy(&before, &p, sizeof p);
      struct sgp_flow f;
      int have = -1;
      sgp_err e = sgp_flowlog_line(&p, s, len, &f, &have);
      fz_check_named(e, "sgp_flowlog_line");
      if (e != SGP_OK) {
        FZ_CHECK(have == 0, "rejected line (%s) with have = %d", sgp_err_name(e), have);
        FZ_CHECK(p.skipped == before.skipped + 1 && p.last_err == e,
                 "rejected line (%s) not counted", sgp_err_name(e));
        FZ_CHECK(p.flows == before.flows, "rejected line counted a flow");
        struct sgp_flowlog a, b;
        memcpy(&a, &p, sizeof a); /* memcpy, not assignment: padding bytes too */
        memcpy(&b, &before, sizeof b);
        strip(&a);
        strip(&b);
        FZ_CHECK(memcmp(&a, &b, sizeof a) == 0, "rejected line (%s) changed the parser state",
                 sgp_err_name(e));
      } else {
        FZ_CHECK(have == 0 || have == 1, "have = %d", have);
        FZ_CHECK(p.flows == before.flows + (uint64_t)have, "flows did not move by have");
        if (have) /* agent.h lists 6, 17, 1, 58 and 0; flowlog.c also maps igmp to 2. */
          FZ_CHECK(f.proto == 0 || f.proto == 1 || f.proto == 2 || f.proto == 6 || f.proto == 17 ||
                       f.proto == 58,
                   "proto %u", f.proto);
        if (have) score(&f);
      }
    }
    FZ_CHECK(p.flows + p.skipped <= lines, "%llu flows + %llu skipped > %zu lines",
             (unsigned long long)p.flows, (unsigned long long)p.skipped, lines);
    if (!nl) break;
    s = nl + 1;
    n -= len + 1;
  }
  return 0;
}
