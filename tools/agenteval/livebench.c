/* agenteval --live-bench S: CPU cost of the live source (/proc/net sampling
 * plus scoring).  First 200 back-to-back samples give the cost of one
 * sample; then S seconds at a 1 s interval give the CPU share directly. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "eval.h"
#include "sgp/agentsrc.h"

static double clock_s(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int ev_live_bench(unsigned seconds) {
  static struct sgp_agentsrc src;
  if (sgp_agentsrc_open(&src, "live", NULL, 1000, 0) != SGP_OK) {
    fprintf(stderr, "agenteval: cannot open the live source\n");
    return -1;
  }
  uint32_t s;
  uint16_t sub[SGP_SUBSCORES];
  int have;
  const unsigned n = 200;
  double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
  for (unsigned i = 0; i < n; i++) {
    if (sgp_agentsrc_poll(&src, (uint64_t)i * 1000u, &s, sub, &have) != SGP_OK) return -1;
  }
  double per = (clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0) / n;
  printf("live: %.1f us CPU per sample (%u back-to-back) = %.3f%% of one CPU at a 1 s interval\n",
         per * 1e6, n, per * 100.0);
  if (seconds > 0) {
    double w0 = clock_s(CLOCK_MONOTONIC);
    c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    for (unsigned i = 0; i < seconds; i++) {
      struct timespec one = {1, 0};
      nanosleep(&one, NULL);
      if (sgp_agentsrc_poll(&src, (uint64_t)(n + i) * 1000u, &s, sub, &have) != SGP_OK) return -1;
    }
    double cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0, wall = clock_s(CLOCK_MONOTONIC) - w0;
    printf(
        "live: %u s at 1 s interval: %.4f s CPU in %.1f s wall = %.3f%% of one CPU; "
        "suspicion %u; sockets tracked %u; /proc line errors %llu\n",
        seconds, cpu, wall, 100.0 * cpu / wall, s, src.live.nkeys[src.live.cur],
        (unsigned long long)src.live.errors);
  }
  sgp_agentsrc_close(&src);
  return 0;
}
