/* agenteval internals: a labelled log held in memory and the per-host run. */
#ifndef AGENTEVAL_EVAL_H
#define AGENTEVAL_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/agent.h"

struct ev_log {
  struct sgp_flow *flows; /* sorted by ts */
  size_t n;
  uint64_t t0_us, t1_us;
  uint64_t lines, skipped;
};

/* One scoring point of one host. */
struct ev_point {
  uint64_t t_ms; /* log time */
  uint32_t suspicion;
  uint16_t sub[SGP_SUBSCORES];
};

struct ev_host {
  struct sgp_ip ip;
  uint64_t flows_out, flows_in;
  uint64_t label[SGP_LABEL_COUNT];
  uint64_t first_mal_ms; /* UINT64_MAX if none */
  struct ev_point *pts;
  size_t npts;
  uint32_t max_susp;
  uint64_t first_comp_ms; /* first point >= theta_compromised, UINT64_MAX if none */
};

struct ev_opts {
  const char *path;
  int binetflow;
  const char *host; /* NULL: every originator with >= min_flows flows */
  uint32_t min_flows;
  uint32_t interval_ms, step_ms;
  uint32_t theta_suspect, theta_compromised;
  const char *plot;
  uint64_t bench_flows; /* 0: no benchmark */
  uint32_t bench_rate;  /* flows per second of log time in the benchmark */
  struct sgp_agent_config cfg;
};

int ev_load(const struct ev_opts *o, struct ev_log *log);
int ev_run_host(const struct ev_opts *o, const struct ev_log *log, struct sgp_agent *a,
                struct ev_host *h);
void ev_print_host(const struct ev_opts *o, const struct ev_log *log, const struct ev_host *h);
int ev_plot(const struct ev_opts *o, const struct ev_log *log, const struct ev_host *hosts,
            size_t nhosts);
int ev_bench(const struct ev_opts *o, const struct ev_log *log, struct sgp_agent *a);
int ev_live_bench(unsigned seconds);

#endif
