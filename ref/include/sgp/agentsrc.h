/* Agent source: what sgpd plugs in as its local agent ([agent] source, spec §10, §11).
 *
 * Spec strings (as in the [agent] source setting):
 *   fixed:V             constant suspicion V (0..5000) for tests and demos.
 *                       suspicion = V exactly; sub[] split evenly (the first
 *                       V % 5 sub-scores get one more), so with the default
 *                       weights the SGP-AGENT-4 sum of sub[] is V.  Every poll
 *                       delivers the tuple (have = 1, SGP-AGENT-2).
 *   live                the host's own counters (/proc/net/dev, /proc/net/tcp*,
 *                       /proc/net/udp*), sampled at each poll.
 *   zeek:PATH:IP        replay of a Zeek conn.log bound to host IP (SGP-AGENT-6).
 *   binetflow:PATH:IP   replay of a CTU-13 binetflow CSV bound to host IP.
 *   PATH may contain ':' (the IP is taken after the last ':' for IPv4, or
 *   written in brackets for IPv6: zeek:/x/conn.log:[fd00::1]).
 *
 * Replay is driven by the log's own timestamps: at each poll every flow with
 * ts <= log_t0 + (now_ms - open_ms) * speed is fed to the agent, then the
 * window is scored.  This module does I/O (files, /proc); the scoring it
 * drives (agent.h) is pure.
 *
 * The struct is complete so callers can place it anywhere, but it is large
 * (about 1 MiB: the agent's window and the live socket sets): allocate it
 * statically or on the heap, never on the stack.  Poll is called once per
 * agent interval and delivers a tuple every time (SGP-AGENT-2; after a
 * replay ends the window drains and the scores fall back to 0).  have = 0
 * only when the live source could not sample (the error is returned; the
 * node keeps its previous values, SGP-AGENT-8).
 */
#ifndef SGP_AGENTSRC_H
#define SGP_AGENTSRC_H

#include <stdint.h>

#include "sgp/agent.h"
#include "sgp/agentlive.h"
#include "sgp/flowfile.h"
#include "sgp/result.h"

enum sgp_agentsrc_kind {
  SGP_AGENTSRC_NONE = 0,
  SGP_AGENTSRC_FIXED,
  SGP_AGENTSRC_LIVE,
  SGP_AGENTSRC_ZEEK,
  SGP_AGENTSRC_BINETFLOW,
};

/* Fastest replay: 10^6 x real time. */
#define SGP_AGENTSRC_SPEED_MILLI_MAX 1000000000u

struct sgp_agentsrc {
  enum sgp_agentsrc_kind kind;
  struct sgp_agent_config cfg;
  uint32_t fixed_suspicion;
  uint16_t fixed_sub[SGP_SUBSCORES];
  /* replay */
  uint32_t speed_milli; /* replay speed x 1000 (integer: SGP-DATA-2) */
  uint64_t open_ms, log_t0_ms;
  struct sgp_flowfile file; /* file.log: lines, flows, skipped, first/last error + line */
  struct sgp_flow next;     /* read ahead: the next flow to feed */
  int have_next;
  uint64_t fed;     /* flows handed to the agent */
  uint64_t foreign; /* flows of other hosts (not fed, SGP-AGENT-6) */
  /* live */
  struct sgp_agentlive live;
  struct sgp_agent agent;
};

/* Parse spec, validate cfg (may be NULL: defaults) and speed_milli (replay
 * speed x 1000, 1..SGP_AGENTSRC_SPEED_MILLI_MAX; 1000 = real time).  Errors: SGP_ERR_INVALID_ARG
 * (unknown kind, bad speed), SGP_ERR_SYNTAX (malformed spec or IP), SGP_ERR_RANGE (V > 5000),
 * SGP_ERR_FLOW_IO (file cannot be opened or read), reader errors for a bad
 * log header.  On error *s is left all zero (closed, kind NONE). */
SGP_MUST_CHECK sgp_err sgp_agentsrc_open(struct sgp_agentsrc *s, const char *spec,
                                         const struct sgp_agent_config *cfg, uint32_t speed_milli,
                                         uint64_t now_ms);
/* One tuple per call (SGP-AGENT-2): *have = 1 with suspicion and sub[] set,
 * or *have = 0 when nothing new (outputs untouched).  A reader error on a
 * replay line is counted (sgp_agentsrc_skipped) and does not fail the poll;
 * I/O failure returns an error and the source stays usable. */
SGP_MUST_CHECK sgp_err sgp_agentsrc_poll(struct sgp_agentsrc *s, uint64_t now_ms,
                                         uint32_t *suspicion, uint16_t sub[SGP_SUBSCORES],
                                         int *have);
void sgp_agentsrc_close(struct sgp_agentsrc *s);

#endif
