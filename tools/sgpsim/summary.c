/* Summary output (contract in summary.h). */
#include "summary.h"

#include <inttypes.h>
#include <string.h>

#include "sgp/consensus.h"

const char SIM_MODEL_TEXT[] =
    "round model: honest synchronous push-pull. In round r every live node sends a SYN to a\n"
    "  uniformly random other node; SYN -> ACK -> DELTA are delivered FIFO within the round;\n"
    "  merges are deferred to the end of the round, so every message of round r is built from\n"
    "  round-start state (the ideal synchronous push-pull model); then every live node runs\n"
    "  sgp_state_tick and sgp_consensus_run. A delayed message is delivered (and answered) in a\n"
    "  later round. merge=sgp: the real library (Ed25519, canonical codec, merge, tick,\n"
    "  consensus) for every node; only the transport is left out. merge=age: the paper's/GEMS\n"
    "  age rule as a model inside the tool (no signatures). merge=model: the reduced-state model\n"
    "  of the SGP exchange (versions, ages and the codec's sizes; same decisions as merge=sgp).\n";

const char *sim_merge_name(enum sim_merge m) {
  return m == SIM_MERGE_AGE ? "age" : m == SIM_MERGE_MODEL ? "model" : "sgp";
}

static void events(FILE *out, const char *name, const struct sim_event *ev, uint32_t k) {
  fprintf(out, " %s=", name);
  if (!k) fputc('-', out);
  for (uint32_t i = 0; i < k; i++)
    fprintf(out, "%s%" PRIu32 "@%" PRIu32, i ? "," : "", ev[i].id, ev[i].round);
}

uint32_t trial_stats(const struct sim_result *r, double *mean, uint32_t *max) {
  uint32_t done = 0, mx = 0;
  uint64_t sum = 0;
  for (uint32_t t = 0; t < r->trials; t++) {
    if (r->trial_rounds[t] < 0) continue;
    done++;
    sum += (uint32_t)r->trial_rounds[t];
    if ((uint32_t)r->trial_rounds[t] > mx) mx = (uint32_t)r->trial_rounds[t];
  }
  *mean = done ? (double)sum / done : 0.0;
  *max = mx;
  return done;
}

void summary_print(FILE *out, const struct sim_config *c, const struct sim_result *r) {
  const struct sgp_params *p = &c->params;
  fprintf(out, "sgpsim: n=%" PRIu32 " seed=%" PRIu64 " rounds=%" PRIu32 " merge=%s\n", c->n,
          c->seed, r->rounds,
          c->merge == SIM_MERGE_AGE     ? "age (model)"
          : c->merge == SIM_MERGE_MODEL ? "model (reduced-state model of the SGP exchange)"
                                        : "sgp (real library)");
  fputs(SIM_MODEL_TEXT, out);
  fprintf(out,
          "params: heartbeat=%" PRIu32 " t_cleanup=%" PRIu32 " max_silent=%" PRIu32
          " budget=%zu theta_suspect=%" PRIu32 " theta_compromised=%" PRIu32
          " heartbeat_phase=%s state/node=%zu B\n",
          p->heartbeat, p->t_cleanup, p->max_silent, c->budget, p->theta_suspect,
          p->theta_compromised, c->phase_random ? "random" : "aligned", r->mem_per_node);
  fprintf(out, "faults: loss=%g dup=%g delay=%g partition=", c->loss, c->dup, c->delay);
  if (c->partition) {
    uint32_t a = 0;
    for (uint32_t i = 0; i < c->n; i++) a += c->part_side[i] == 0;
    fprintf(out, "%" PRIu32 "-%" PRIu32 "(%" PRIu32 "|%" PRIu32 ")", c->part_r1, c->part_r2, a,
            c->n - a);
  } else {
    fputc('-', out);
  }
  events(out, "crash", c->crash, c->n_crash);
  events(out, "restart", c->restart, c->n_restart);
  events(out, "compromise", c->compromise, c->n_compromise);
  if (c->insider)
    fprintf(out, " insider=%" PRIu32 " (frames %" PRIu32 ")", c->insider_id, c->frame_id);
  else
    fputs(" insider=-", out);
  fputc('\n', out);

  double mean;
  uint32_t mx, done = trial_stats(r, &mean, &mx);
  if (r->trials) {
    fprintf(out,
            "dissemination: %" PRIu32 " trials (a node changes its suspicion at round %" PRIu32
            "+%" PRIu32
            "k; counted from the round its new report exists until every live node "
            "holds it or newer): ",
            r->trials, r->trial_round[0], c->trial_stride);
    if (done) fprintf(out, "mean %.2f max %" PRIu32 " rounds", mean, mx);
    if (done < r->trials)
      fprintf(out, "%s%" PRIu32 " not complete by the last round", done ? "; " : "",
              r->trials - done);
    fputs("\n  per trial (origin:rounds):", out);
    for (uint32_t t = 0; t < r->trials; t++)
      fprintf(out, " %" PRIu32 ":%" PRId32, r->trial_origin[t], r->trial_rounds[t]);
    fputc('\n', out);
  }
  if (r->has_comp) {
    fprintf(out, "T_consensus COMPROMISED(%" PRIu32 "): ", r->comp_id);
    if (r->t_comp >= 0)
      fprintf(out,
              "%" PRId32 " rounds after its first high report (signed at the end of round %" PRIu32
              ")\n",
              r->t_comp, r->comp_round);
    else
      fputs("not reached by every live node\n", out);
  }
  if (r->has_crash) {
    fprintf(out, "T_consensus SILENT(%" PRIu32 "): ", r->crash_id);
    if (r->t_silent >= 0)
      fprintf(out,
              "%" PRId32 " rounds after the crash (from the start of round %" PRIu32
              ") = T_cleanup %" PRIu32 " %+" PRId32 "\n",
              r->t_silent, r->crash_round, p->t_cleanup, r->t_silent - (int32_t)p->t_cleanup);
    else
      fputs("not reached by every live node\n", out);
  }
  double steady = 0, all = 0;
  uint32_t from = r->rounds / 2;
  for (uint32_t i = 0; i < r->rounds; i++) {
    const struct sim_round *w = &r->rows[i];
    double b = w->live ? (double)w->bytes / w->live : 0.0;
    all += b;
    if (i >= from) steady += b;
  }
  if (r->rounds)
    fprintf(out,
            "bytes per node per round: %.1f mean in steady state (rounds %" PRIu32 "..%" PRIu32
            ", second half), %.1f mean over all rounds\n",
            steady / (r->rounds - from), from, r->rounds - 1, all / r->rounds);
  if (c->merge == SIM_MERGE_MODEL && r->rounds) {
    double part[SIM_PARTS] = {0};
    for (uint32_t i = from; i < r->rounds; i++)
      for (int k = 0; k < SIM_PARTS; k++)
        part[k] += r->rows[i].live ? (double)r->rows[i].part[k] / r->rows[i].live : 0.0;
    for (int k = 0; k < SIM_PARTS; k++) part[k] /= r->rounds - from;
    fprintf(out,
            "  steady state per node per round: headers %.1f B, digest entries %.1f B, reports "
            "%.1f B; reports merged %.2f newer + %.2f redundant copies\n",
            part[SIM_HDR_BYTES], part[SIM_DIGEST_BYTES], part[SIM_REPORT_BYTES], part[SIM_ADOPTED],
            part[SIM_REDUNDANT]);
  }
  fprintf(out,
          "messages: sent %" PRIu64 " (%" PRIu64 " bytes), lost %" PRIu64 ", duplicated %" PRIu64
          ", delayed %" PRIu64 ", to dead nodes %" PRIu64 ", cut by partition %" PRIu64
          "; packets rejected %" PRIu64 "\n",
          r->sent, r->bytes, r->lost, r->duplicated, r->delayed, r->dropped_dead,
          r->dropped_partition, r->rejected);
  static const char *const kinds[4] = {"", "SYN", "ACK", "DELTA"};
  fprintf(out,
          "network: loss per %s, jigsaw flags 0x%02x; per kind sent/lost (delivered %%), "
          "fragments, sealed-datagram bytes:",
          c->loss_unit == SIM_LOSS_DATAGRAM ? "datagram" : "message", (unsigned)c->frag_flags);
  for (int k = 1; k < 4; k++)
    fprintf(out, " %s %" PRIu64 "/%" PRIu64 " (%.1f %%), %" PRIu64 ", %" PRIu64 ";", kinds[k],
            r->kind_sent[k], r->kind_lost[k],
            r->kind_sent[k]
                ? 100.0 * (double)(r->kind_sent[k] - r->kind_lost[k]) / (double)r->kind_sent[k]
                : 0.0,
            r->kind_frags[k], r->kind_dgram_bytes[k]);
  fputc('\n', out);
  if (c->merge == SIM_MERGE_MODEL)
    fprintf(out,
            "model: versions, ages and encoded sizes only (no signatures, no consensus: verdicts "
            "UNKNOWN); most nodes with a non-empty own opinion row at once: %" PRIu32 "\n",
            r->model_rows_max);
  if (c->merge != SIM_MERGE_AGE) {
    fprintf(out,
            "reports carried: %" PRIu64 " in ACKs (%" PRIu64 " ACKs had none), %" PRIu64
            " in DELTAs\n",
            r->reports_in_ack, r->empty_ack, r->reports_in_delta);
    if (c->merge == SIM_MERGE_MODEL)
      fputs("verify: none (model)\n", out);
    else if (c->memo)
      fprintf(out, "verify: memoized (%" PRIu64 " calls, %" PRIu64 " cache hits)\n",
              r->verify_calls, r->verify_hits);
    else
      fprintf(out, "verify: not memoized (%" PRIu64 " calls, each a libsodium verification)\n",
              r->verify_calls);
  } else {
    fputs("verify: none (age model has no signatures)\n", out);
  }
}

static uint32_t live_count(const struct sim_config *c, const struct sim_result *r) {
  uint32_t live = 0;
  for (uint32_t i = 0; i < c->n; i++) live += r->alive[i];
  return live;
}

static void counts_for(const struct sim_config *c, const struct sim_result *r, uint32_t j,
                       uint32_t cnt[5]) {
  memset(cnt, 0, 5 * sizeof cnt[0]);
  for (uint32_t i = 0; i < c->n; i++)
    if (r->alive[i]) cnt[r->final[(size_t)i * c->n + j] % 5]++;
}

static int majority_of(const uint32_t cnt[5], uint32_t live) {
  for (int v = 0; v < 5; v++)
    if (2 * cnt[v] > live) return v;
  return -1;
}

void verdict_table(FILE *out, const struct sim_config *c, const struct sim_result *r, int full) {
  uint32_t live = live_count(c, r), cnt[5], unanimous = 0, per_class[6] = {0};
  fprintf(out, "final verdicts after round %" PRIu32 " (%" PRIu32 " live nodes):\n",
          r->rounds ? r->rounds - 1 : 0, live);
  if (full) fputs("    id  majority verdict  all live nodes agree\n", out);
  for (uint32_t j = 0; j < c->n; j++) {
    counts_for(c, r, j, cnt);
    int m = majority_of(cnt, live);
    int all = m >= 0 && cnt[m] == live;
    unanimous += (uint32_t)all;
    per_class[m >= 0 ? m : 5]++;
    if (full) {
      fprintf(out, "  %4" PRIu32 "  %-16s  %s", j,
              m >= 0 ? sgp_verdict_name((sgp_verdict)m) : "(none)", all ? "yes" : "no");
      if (!all) {
        fputs(" (", out);
        for (int v = 0, first = 1; v < 5; v++)
          if (cnt[v]) {
            fprintf(out, "%s%s %" PRIu32, first ? "" : ", ", sgp_verdict_name((sgp_verdict)v),
                    cnt[v]);
            first = 0;
          }
        fputc(')', out);
      }
      if (!r->alive[j]) fputs("  [node down]", out);
      fputc('\n', out);
    }
  }
  fprintf(out, "  %" PRIu32 " of %" PRIu32 " ids unanimous; majority verdicts:", unanimous, c->n);
  for (int v = 0; v < 6; v++)
    if (per_class[v])
      fprintf(out, " %s %" PRIu32, v < 5 ? sgp_verdict_name((sgp_verdict)v) : "no-majority",
              per_class[v]);
  fputc('\n', out);
  if (!full && unanimous < c->n) {
    fputs("  not unanimous (first 20):", out);
    for (uint32_t j = 0, k = 0; j < c->n && k < 20; j++) {
      counts_for(c, r, j, cnt);
      int m = majority_of(cnt, live);
      if (m >= 0 && cnt[m] == live) continue;
      fprintf(out, " %" PRIu32, j);
      k++;
    }
    fputc('\n', out);
  }
}

static sgp_verdict expected(const struct sim_config *c, const struct sim_result *r, uint32_t j) {
  for (uint32_t k = 0; k < c->n_compromise; k++)
    if (c->compromise[k].id == j && c->compromise[k].round < r->rounds)
      return SGP_VERDICT_COMPROMISED;
  for (uint32_t k = 0; k < c->n_crash; k++)
    if (c->crash[k].id == j && !r->alive[j]) return SGP_VERDICT_SILENT;
  return SGP_VERDICT_CLEAN;
}

int expect_verdicts(FILE *out, const struct sim_config *c, const struct sim_result *r) {
  uint64_t bad = 0;
  for (uint32_t j = 0; j < c->n; j++) {
    sgp_verdict want = expected(c, r, j);
    for (uint32_t i = 0; i < c->n; i++) {
      if (!r->alive[i]) continue;
      uint8_t got = r->final[(size_t)i * c->n + j];
      if (got == want) continue;
      if (bad < 10)
        fprintf(out, "  node %" PRIu32 " sees %" PRIu32 " as %s, expected %s\n", i, j,
                sgp_verdict_name((sgp_verdict)got), sgp_verdict_name(want));
      bad++;
    }
  }
  fprintf(out, "expect-verdicts: %s (%" PRIu64 " wrong views)\n", bad ? "FAILED" : "ok", bad);
  return bad == 0;
}

uint64_t insider_compare(FILE *out, const struct sim_config *c, const struct sim_result *base,
                         const struct sim_result *att) {
  uint64_t changed = 0;
  uint32_t targets = 0, viewers = 0, x = c->insider_id;
  for (uint32_t i = 0; i < c->n; i++) viewers += i != x && base->alive[i] && att->alive[i];
  fprintf(out,
          "insider ablation (merge=%s): node %" PRIu32 "'s key stolen; it frames %" PRIu32
          " (clean) and hides the bot; %" PRIu64 " forged packets sent, %" PRIu64
          " packets rejected (%" PRIu64 " without insider)\n",
          sim_merge_name(c->merge), x, c->frame_id, att->forged_sent, att->rejected,
          base->rejected);
  for (uint32_t j = 0; j < c->n; j++) {
    if (j == x) continue;
    uint32_t trans[5][5];
    memset(trans, 0, sizeof trans);
    uint32_t here = 0;
    for (uint32_t i = 0; i < c->n; i++) {
      if (i == x || !base->alive[i] || !att->alive[i]) continue;
      uint8_t a = base->final[(size_t)i * c->n + j] % 5, b = att->final[(size_t)i * c->n + j] % 5;
      if (a != b) {
        trans[a][b]++;
        here++;
      }
    }
    if (!here) continue;
    changed += here;
    if (targets++ < 10) {
      fprintf(out,
              "  verdicts about node %" PRIu32 " changed at %" PRIu32 "/%" PRIu32 " viewers:", j,
              here, viewers);
      for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++)
          if (trans[a][b])
            fprintf(out, " %s->%s %" PRIu32, sgp_verdict_name((sgp_verdict)a),
                    sgp_verdict_name((sgp_verdict)b), trans[a][b]);
      fputc('\n', out);
    }
  }
  fprintf(out,
          "INSIDER CHANGED VERDICTS ABOUT OTHER NODES: %s (%" PRIu64 " of %" PRIu64
          " (viewer, target) verdicts differ from the same run without insider, %" PRIu32
          " targets)\n",
          changed ? "YES" : "NO", changed, (uint64_t)viewers * (c->n - 1), targets);
  return changed;
}
