/* agenteval --bench N: scoring cost per flow for a busy host.  The log's
 * flows (destinations, ports, outcomes, bytes) are replayed as one host at
 * --rate flows per second of log time (default 1000), scoring once per
 * interval as a node would; N flows in all.  Sparse logs are not used at
 * their own pace: idle intervals would measure the cost of scoring nothing. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "eval.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int ev_bench(const struct ev_opts *o, const struct ev_log *log, struct sgp_agent *a) {
  struct sgp_ip host;
  sgp_ip_from_v4(&host, 0x0a000001u);
  if (sgp_agent_init(a, &o->cfg, &host) != SGP_OK) return -1;
  uint64_t fed = 0, scores = 0, next = o->interval_ms;
  uint32_t susp = 0;
  uint16_t sub[SGP_SUBSCORES];
  double score_time = 0, t = now_s();
  for (size_t i = 0; fed < o->bench_flows; i = (i + 1) % log->n) {
    struct sgp_flow f = log->flows[i];
    f.src = host;
    f.ts_us = fed * 1000000u / o->bench_rate;
    while (f.ts_us / 1000u >= next) {
      double s0 = now_s();
      if (sgp_agent_score(a, next, sub, &susp) != SGP_OK) return -1;
      score_time += now_s() - s0;
      scores++;
      next += o->interval_ms;
    }
    if (sgp_agent_add(a, &f) != SGP_OK) return -1;
    fed++;
  }
  double dt = now_s() - t;
  printf(
      "bench: %llu flows at %u flows/s of log time, %llu scorings (interval %u ms, window "
      "held %u flows): %.3f s -> %.0f flows/s, %.3f us per flow (add + amortised scoring); "
      "one scoring %.1f us = %.3f us per flow in the window\n",
      (unsigned long long)fed, o->bench_rate, (unsigned long long)scores, o->interval_ms, a->count,
      dt, (double)fed / dt, dt * 1e6 / (double)fed,
      score_time * 1e6 / (double)(scores ? scores : 1),
      score_time * 1e6 / (double)(scores ? scores : 1) / (a->count ? a->count : 1));
  return 0;
}
