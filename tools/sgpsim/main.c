/* sgpsim: the SGP simulator; modes (single run, --dissemination,
 * --ablation) and their output.  Options are in cli.c; the engine in sim.c.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "engine.h"
#include "ideal.h"
#include "plot.h"
#include "sim.h"
#include "summary.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* --dissemination: table over --n-list. */
static int run_dissemination(struct opts *o) {
  double loss = o->loss_set ? o->c.loss : 0.2;
  char *list = strdup(o->n_list ? o->n_list : "16,64,256,1000");
  if (!list) return EXIT_RUN;
  printf("dissemination: rounds until every live node holds a new report (mean/max over %" PRIu32
         " trials per run, merge=%s, heartbeat=%" PRIu32 ", budget=%zu)\n",
         o->c.trials, sim_merge_name(o->c.merge), o->heartbeat_set ? o->heartbeat : 10u,
         o->c.budget);
  printf(
      "ideal: the synchronous push-pull model simulated in the tool with the same per-message "
      "loss (SYN, ACK, DELTA), %" PRIu32 " trials\n%s",
      o->ideal_trials, SIM_MODEL_TEXT);
  if (o->c.loss_unit == SIM_LOSS_DATAGRAM)
    printf(
        "loss: per sealed datagram (jigsaw flags 0x%02x); the ideal model keeps per-message "
        "loss at the same rate\n",
        (unsigned)o->c.frag_flags);
  printf("%6s %5s | %8s %4s | %8s %4s | %s\n", "n", "loss", "sim mean", "max", "ideal", "max",
         "log3(n)+ln(ln(n))");
  int rc = 0;
  char *save = NULL;
  for (char *tok = strtok_r(list, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
    uint32_t n;
    if (cli_parse_u32(tok, &n) != 0) {
      rc = cli_die_usage("bad --n-list entry %s", tok);
      break;
    }
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
      struct opts w = *o;
      w.c.n = n;
      if ((rc = cli_finish(&w)) != 0) break;
      w.c.loss = pass ? loss : 0.0;
      w.c.stop_when_trials_done = 1;
      w.c.print_rounds = 0;
      w.c.csv = NULL;
      struct sim_result r;
      double t0 = now_s();
      if (sim_run(&w.c, &r) != 0) {
        sim_result_free(&r);
        rc = EXIT_RUN;
        break;
      }
      double mean, imean = 0;
      uint32_t mx, imax = 0, done = trial_stats(&r, &mean, &mx);
      for (uint32_t t = 0; t < o->ideal_trials; t++) {
        uint32_t k = ideal_push_pull(n, w.c.loss, w.c.seed, t);
        imean += k;
        if (k > imax) imax = k;
      }
      imean /= o->ideal_trials ? o->ideal_trials : 1;
      printf("%6" PRIu32 " %5.2f | %8.2f %4" PRIu32 " | %8.2f %4" PRIu32 " | %.2f", n, w.c.loss,
             mean, mx, imean, imax, log((double)n) / log(3.0) + log(log((double)n)));
      if (done < r.trials) printf("  (%" PRIu32 " trials incomplete)", r.trials - done);
      if (w.c.loss > 0) {
        printf("  delivered");
        for (int k = MSG_SYN; k <= MSG_DELTA; k++)
          printf(" %s %.1f %%",
                 k == MSG_SYN   ? "SYN"
                 : k == MSG_ACK ? "ACK"
                                : "DELTA",
                 r.kind_sent[k]
                     ? 100.0 * (double)(r.kind_sent[k] - r.kind_lost[k]) / (double)r.kind_sent[k]
                     : 0.0);
      }
      printf("\n");
      fflush(stdout);
      fprintf(stderr, "sgpsim: n=%" PRIu32 " loss=%.2f: %" PRIu32 " rounds in %.1f s\n", n,
              w.c.loss, r.rounds, now_s() - t0);
      sim_result_free(&r);
    }
  }
  free(list);
  return rc;
}

/* The same seed without the insider (baseline; insider_id and frame_id stay
 * reserved so the trial origins are the same) and with it. */
static int run_pair(const struct sim_config *c, struct sim_result *base, struct sim_result *att) {
  struct sim_config b = *c;
  b.insider = 0;
  b.print_rounds = 0;
  b.csv = NULL;
  memset(att, 0, sizeof *att);
  if (sim_run(&b, base) != 0) return -1;
  return sim_run(c, att);
}

static int run_ablation(struct opts *o) {
  if (!o->c.n_compromise) return cli_die_usage("--ablation needs %s", "--compromise ID@R");
  uint64_t effect[2];
  for (int mode = 0; mode < 2; mode++) {
    struct sim_config c = o->c;
    c.merge = mode ? SIM_MERGE_AGE : SIM_MERGE_SGP;
    c.print_rounds = 0;
    c.csv = NULL;
    struct sim_result b, r;
    int rc = run_pair(&c, &b, &r);
    if (rc == 0) effect[mode] = insider_compare(stdout, &c, &b, &r);
    sim_result_free(&b);
    sim_result_free(&r);
    if (rc != 0) return EXIT_RUN;
  }
  int fail = (o->expect_harmless && effect[0] != 0) || (o->expect_harmful && effect[1] == 0);
  printf("ablation: insider changed verdicts about other nodes: merge=sgp %s (%" PRIu64
         "), merge=age %s (%" PRIu64 ")\n",
         effect[0] ? "YES" : "NO", effect[0], effect[1] ? "YES" : "NO", effect[1]);
  if (o->expect_harmless || o->expect_harmful)
    printf("expect-insider: %s\n", fail ? "FAILED" : "ok");
  return fail ? EXIT_EXPECT : 0;
}

int main(int argc, char **argv) {
  static struct opts o;
  int rc = cli_parse(argc, argv, &o);
  if (rc) return rc;
  if (sodium_init() < 0) {
    fprintf(stderr, "sgpsim: sodium_init failed\n");
    return EXIT_RUN;
  }
  if (o.dissemination) return run_dissemination(&o);
  if (o.ablation && !o.c.insider) {
    o.c.insider = 1;
    o.c.insider_id = 3;
  }
  if ((rc = cli_finish(&o)) != 0) return rc;
  uint8_t *side = NULL;
  if (o.partition) {
    side = malloc(o.c.n);
    if (!side) return EXIT_RUN;
    if (cli_partition(o.partition, &o.c, side) != 0) {
      free(side);
      return cli_die_usage("bad --partition '%s'", o.partition);
    }
  }
  if (o.ablation) {
    rc = run_ablation(&o);
    free(side);
    return rc;
  }
  o.c.out = stdout;
  o.c.print_rounds = !o.quiet;
  if (o.csv && !(o.c.csv = fopen(o.csv, "w"))) {
    fprintf(stderr, "sgpsim: cannot write %s: %s\n", o.csv, strerror(errno));
    free(side);
    return EXIT_RUN;
  }
  double t0 = now_s();
  struct sim_result r, base;
  memset(&base, 0, sizeof base);
  rc = o.c.insider ? run_pair(&o.c, &base, &r) : sim_run(&o.c, &r);
  if (o.c.csv && fclose(o.c.csv) != 0) rc = -1;
  if (rc != 0) {
    sim_result_free(&r);
    sim_result_free(&base);
    free(side);
    return EXIT_RUN;
  }
  summary_print(stdout, &o.c, &r);
  if (o.c.merge == SIM_MERGE_MODEL)
    puts("final verdicts: not modelled (merge=model)");
  else
    verdict_table(stdout, &o.c, &r, o.table || o.c.n <= 64);
  int fail = 0;
  if (o.c.insider) {
    uint64_t effect = insider_compare(stdout, &o.c, &base, &r);
    if (o.expect_harmless && effect != 0) fail = 1;
    if (o.expect_harmful && effect == 0) fail = 1;
    if (o.expect_harmless || o.expect_harmful)
      printf("expect-insider-%s: %s\n", o.expect_harmless ? "harmless" : "harmful",
             fail ? "FAILED" : "ok");
  } else if (o.expect_harmless || o.expect_harmful) {
    fprintf(stderr, "sgpsim: --expect-insider-* needs --insider\n");
    fail = 1;
  }
  if (o.expect_verdicts && !expect_verdicts(stdout, &o.c, &r)) fail = 1;
  if (o.plot) {
    char title[160];
    snprintf(title, sizeof title, "sgpsim n=%" PRIu32 " seed=%" PRIu64 " merge=%s", o.c.n, o.c.seed,
             sim_merge_name(o.c.merge));
    if (plot_png(o.plot, &r, title) != 0) rc = EXIT_RUN;
  }
  fprintf(stderr, "sgpsim: %.2f s wall time\n", now_s() - t0);
  sim_result_free(&r);
  sim_result_free(&base);
  free(side);
  if (rc) return EXIT_RUN;
  return fail ? EXIT_EXPECT : 0;
}
