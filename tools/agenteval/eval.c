/* agenteval: load a labelled log and run the agent for one host. */
#include "eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/flowfile.h"

static int cmp_flow(const void *a, const void *b) {
  const struct sgp_flow *x = a, *y = b;
  return x->ts_us < y->ts_us ? -1 : x->ts_us > y->ts_us;
}

int ev_load(const struct ev_opts *o, struct ev_log *log) {
  static struct sgp_flowfile ff;
  memset(log, 0, sizeof *log);
  if (sgp_flowfile_open(&ff, o->path, o->binetflow ? SGP_FLOWLOG_BINETFLOW : SGP_FLOWLOG_ZEEK) !=
      SGP_OK) {
    fprintf(stderr, "agenteval: cannot open %s\n", o->path);
    return -1;
  }
  size_t cap = 0;
  for (;;) {
    struct sgp_flow f;
    int have = 0;
    sgp_err rc = sgp_flowfile_next(&ff, &f, &have);
    if (rc != SGP_OK) {
      fprintf(stderr, "agenteval: %s: %s\n", o->path, sgp_err_name(rc));
      sgp_flowfile_close(&ff);
      return -1;
    }
    if (!have) break;
    if (log->n == cap) {
      cap = cap ? cap * 2 : 4096;
      struct sgp_flow *nf = realloc(log->flows, cap * sizeof *nf);
      if (nf == NULL) {
        sgp_flowfile_close(&ff);
        return -1;
      }
      log->flows = nf;
    }
    log->flows[log->n++] = f;
  }
  log->lines = ff.log.lineno;
  log->skipped = ff.log.skipped;
  if (ff.log.skipped > 0) {
    printf("# %s: %llu lines, %llu skipped (first %s at line %u)\n", o->path,
           (unsigned long long)ff.log.lineno, (unsigned long long)ff.log.skipped,
           sgp_err_name(ff.log.first_err), ff.log.first_err_line);
  }
  sgp_flowfile_close(&ff);
  if (log->n == 0) {
    fprintf(stderr, "agenteval: %s: no flows (%s at line %u)\n", o->path,
            sgp_err_name(ff.log.first_err), ff.log.first_err_line);
    return -1;
  }
  /* The agent tolerates the small disorder of Zeek logs; the evaluation
   * sorts so its time axis is exact. */
  qsort(log->flows, log->n, sizeof *log->flows, cmp_flow);
  log->t0_us = log->flows[0].ts_us;
  log->t1_us = log->flows[log->n - 1].ts_us;
  return 0;
}

int ev_run_host(const struct ev_opts *o, const struct ev_log *log, struct sgp_agent *a,
                struct ev_host *h) {
  if (sgp_agent_init(a, &o->cfg, &h->ip) != SGP_OK) return -1;
  h->first_mal_ms = h->first_comp_ms = UINT64_MAX;
  uint64_t t0 = log->t0_us / 1000u, t1 = log->t1_us / 1000u;
  size_t npts = (size_t)((t1 - t0) / o->interval_ms) + 2;
  h->pts = calloc(npts, sizeof *h->pts);
  if (h->pts == NULL) return -1;
  size_t i = 0;
  for (uint64_t t = t0 + o->interval_ms; h->npts < npts; t += o->interval_ms) {
    for (; i < log->n && log->flows[i].ts_us / 1000u <= t; i++) {
      const struct sgp_flow *f = &log->flows[i];
      if (sgp_agent_add(a, f) != SGP_OK) continue; /* another host's flow */
      int out = sgp_ip_equal(&f->src, &h->ip);
      if (out)
        h->flows_out++;
      else
        h->flows_in++;
      h->label[f->label < SGP_LABEL_COUNT ? f->label : 0]++;
      if (out && f->label == SGP_LABEL_MALICIOUS && h->first_mal_ms == UINT64_MAX) {
        h->first_mal_ms = f->ts_us / 1000u;
      }
    }
    struct ev_point *p = &h->pts[h->npts++];
    p->t_ms = t;
    if (sgp_agent_score(a, t, p->sub, &p->suspicion) != SGP_OK) return -1;
    if (p->suspicion > h->max_susp) h->max_susp = p->suspicion;
    if (p->suspicion >= o->theta_compromised && h->first_comp_ms == UINT64_MAX) {
      h->first_comp_ms = t;
    }
    if (t > t1) break;
  }
  return 0;
}

static const char *verdict(const struct ev_opts *o, uint32_t s) {
  return s >= o->theta_compromised ? "COMPROMISED" : s >= o->theta_suspect ? "SUSPECT" : "CLEAN";
}

void ev_print_host(const struct ev_opts *o, const struct ev_log *log, const struct ev_host *h) {
  char ip[64];
  sgp_ip_format(&h->ip, ip, sizeof ip);
  uint64_t t0 = log->t0_us / 1000u;
  printf(
      "\nhost %s: %llu flows out, %llu in; labels benign=%llu malicious=%llu "
      "background=%llu none=%llu\n",
      ip, (unsigned long long)h->flows_out, (unsigned long long)h->flows_in,
      (unsigned long long)h->label[SGP_LABEL_BENIGN],
      (unsigned long long)h->label[SGP_LABEL_MALICIOUS],
      (unsigned long long)h->label[SGP_LABEL_BACKGROUND],
      (unsigned long long)h->label[SGP_LABEL_NONE]);
  printf("  %9s %6s %-11s %5s %5s %5s %5s %5s  %5s %s\n", "t(s)", "max", "verdict", "resp", "addr",
         "patt", "port", "ratio", "flows", "labels(B/M/Bg)");
  size_t k = 0, fi = 0;
  /* Flows of this host per step, for the label mix column. */
  for (uint64_t s = t0; k < h->npts; s += o->step_ms) {
    const struct ev_point *best = NULL;
    for (; k < h->npts && h->pts[k].t_ms <= s + o->step_ms; k++) {
      if (best == NULL || h->pts[k].suspicion > best->suspicion) best = &h->pts[k];
    }
    uint64_t lab[SGP_LABEL_COUNT] = {0}, nfl = 0;
    for (; fi < log->n && log->flows[fi].ts_us / 1000u <= s + o->step_ms; fi++) {
      const struct sgp_flow *f = &log->flows[fi];
      if (!sgp_ip_equal(&f->src, &h->ip) && !sgp_ip_equal(&f->dst, &h->ip)) continue;
      nfl++;
      lab[f->label < SGP_LABEL_COUNT ? f->label : 0]++;
    }
    if (best == NULL) continue;
    if (nfl == 0 && best->suspicion == 0) continue; /* quiet step: not printed */
    printf("  %9.0f %6u %-11s %5u %5u %5u %5u %5u  %5llu %llu/%llu/%llu\n",
           (double)(s + o->step_ms - t0) / 1000.0, best->suspicion, verdict(o, best->suspicion),
           best->sub[0], best->sub[1], best->sub[2], best->sub[3], best->sub[4],
           (unsigned long long)nfl, (unsigned long long)lab[SGP_LABEL_BENIGN],
           (unsigned long long)lab[SGP_LABEL_MALICIOUS],
           (unsigned long long)lab[SGP_LABEL_BACKGROUND]);
  }
  printf("  max suspicion %u (%s)", h->max_susp, verdict(o, h->max_susp));
  if (h->first_mal_ms != UINT64_MAX) {
    printf("; first malicious flow at t=%.1f s", (double)(h->first_mal_ms - t0) / 1000.0);
  }
  if (h->first_comp_ms != UINT64_MAX) {
    printf("; first COMPROMISED window at t=%.1f s", (double)(h->first_comp_ms - t0) / 1000.0);
    if (h->first_mal_ms != UINT64_MAX && h->first_comp_ms >= h->first_mal_ms) {
      printf(" (%.1f s after the first malicious flow)",
             (double)(h->first_comp_ms - h->first_mal_ms) / 1000.0);
    }
  } else {
    printf("; never COMPROMISED");
  }
  printf("\n");
}
