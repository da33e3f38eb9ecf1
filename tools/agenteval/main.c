/* agenteval: run the reference agent (spec §10.3) over a labelled flow log
 * and print, per host, suspicion over time, the first window at or above
 * theta_compromised and the label mix of its flows; optionally a PNG plot
 * (gnuplot) and a flows/s benchmark.
 *
 *   agenteval [--binetflow] [--host IP] [--min-flows N] [--interval S]
 *             [--step S] [--window S] [--plot OUT.png] [--bench N [--rate R]] LOG
 *   agenteval --live-bench S
 *
 * Without --host every address that originated at least --min-flows (10)
 * flows is evaluated, so the benign log's many one-off Internet scanners are
 * not listed.  Labels are read for the table only; the agent never sees them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

static void usage(void) {
  fprintf(stderr,
          "usage: agenteval [--binetflow] [--host IP] [--min-flows N] [--interval S]\n"
          "                 [--step S] [--window S] [--plot OUT.png] [--bench N [--rate R]] LOG\n"
          "       agenteval --live-bench SECONDS\n");
  exit(2);
}

static uint32_t arg_u32(const char *s, uint32_t lo, uint32_t hi) {
  char *end;
  unsigned long v = strtoul(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < lo || v > hi) usage();
  return (uint32_t)v;
}

struct hostcount {
  struct sgp_ip ip;
  uint64_t n;
};

static int cmp_count(const void *a, const void *b) {
  const struct hostcount *x = a, *y = b;
  if (x->n != y->n) return x->n > y->n ? -1 : 1;
  return memcmp(x->ip.b, y->ip.b, sizeof x->ip.b);
}

/* Originators with their flow counts (quadratic merge is fine for logs
 * with a few hundred distinct sources; this is a tool, not the agent). */
static size_t originators(const struct ev_log *log, struct hostcount **out) {
  struct hostcount *h = NULL;
  size_t n = 0, cap = 0;
  for (size_t i = 0; i < log->n; i++) {
    size_t k = 0;
    while (k < n && !sgp_ip_equal(&h[k].ip, &log->flows[i].src)) k++;
    if (k == n) {
      if (n == cap) {
        cap = cap ? cap * 2 : 64;
        struct hostcount *nh = realloc(h, cap * sizeof *nh);
        if (nh == NULL) exit(1);
        h = nh;
      }
      h[n].ip = log->flows[i].src;
      h[n++].n = 0;
    }
    h[k].n++;
  }
  qsort(h, n, sizeof *h, cmp_count);
  *out = h;
  return n;
}

int main(int argc, char **argv) {
  struct ev_opts o;
  memset(&o, 0, sizeof o);
  sgp_agent_config_default(&o.cfg);
  o.min_flows = 10;
  o.interval_ms = 1000;
  o.bench_rate = 1000;
  o.step_ms = 60000;
  o.theta_suspect = 2500; /* spec Appendix C defaults */
  o.theta_compromised = 4000;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int more = i + 1 < argc;
    if (strcmp(a, "--binetflow") == 0) {
      o.binetflow = 1;
    } else if (strcmp(a, "--host") == 0 && more) {
      o.host = argv[++i];
    } else if (strcmp(a, "--min-flows") == 0 && more) {
      o.min_flows = arg_u32(argv[++i], 1, 1000000);
    } else if (strcmp(a, "--interval") == 0 && more) {
      o.interval_ms = arg_u32(argv[++i], 1, 3600) * 1000u;
    } else if (strcmp(a, "--step") == 0 && more) {
      o.step_ms = arg_u32(argv[++i], 1, 86400) * 1000u;
    } else if (strcmp(a, "--window") == 0 && more) {
      o.cfg.window_ms = arg_u32(argv[++i], 1, 3600) * 1000u;
    } else if (strcmp(a, "--plot") == 0 && more) {
      o.plot = argv[++i];
    } else if (strcmp(a, "--bench") == 0 && more) {
      o.bench_flows = arg_u32(argv[++i], 1, 1000000000);
    } else if (strcmp(a, "--rate") == 0 && more) {
      o.bench_rate = arg_u32(argv[++i], 1, 1000000);
    } else if (strcmp(a, "--live-bench") == 0 && more) {
      return ev_live_bench(arg_u32(argv[++i], 0, 3600)) == 0 ? 0 : 1;
    } else if (a[0] == '-' || o.path != NULL) {
      usage();
    } else {
      o.path = a;
    }
  }
  if (o.path == NULL) usage();

  struct ev_log log;
  if (ev_load(&o, &log) != 0) return 1;
  static struct sgp_agent agent; /* ~0.5 MiB: not on the stack */
  if (o.bench_flows > 0) return ev_bench(&o, &log, &agent) == 0 ? 0 : 1;

  struct hostcount *hc = NULL;
  size_t nh = 0;
  if (o.host != NULL) {
    hc = calloc(1, sizeof *hc);
    if (hc == NULL || sgp_ip_parse(&hc->ip, o.host, strlen(o.host)) != SGP_OK) {
      fprintf(stderr, "agenteval: bad --host %s\n", o.host);
      return 2;
    }
    nh = 1;
  } else {
    nh = originators(&log, &hc);
    while (nh > 0 && hc[nh - 1].n < o.min_flows) nh--;
  }
  printf("# %s: %zu flows, log time %.1f s; window %u s, interval %u s, theta %u/%u\n", o.path,
         log.n, (double)(log.t1_us - log.t0_us) / 1e6, o.cfg.window_ms / 1000u,
         o.interval_ms / 1000u, o.theta_suspect, o.theta_compromised);
  struct ev_host *hosts = calloc(nh ? nh : 1, sizeof *hosts);
  if (hosts == NULL) return 1;
  for (size_t i = 0; i < nh; i++) {
    hosts[i].ip = hc[i].ip;
    if (ev_run_host(&o, &log, &agent, &hosts[i]) != 0) return 1;
    ev_print_host(&o, &log, &hosts[i]);
  }
  if (o.plot != NULL && ev_plot(&o, &log, hosts, nh) != 0) {
    fprintf(stderr, "agenteval: gnuplot failed\n");
    return 1;
  }
  for (size_t i = 0; i < nh; i++) free(hosts[i].pts);
  free(hosts);
  free(hc);
  free(log.flows);
  return 0;
}
