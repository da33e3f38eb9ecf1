/* Round engine: schedule, network faults, deferred merges, metrics
 * (contract in sim.h and engine.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "rng.h"
#include "sgp/consensus.h"
#include "sgp/fragment.h"

/* The bot's agent output from its compromise round on: suspicion 4.6 with
 * sub-scores that sum to it (response time, IPs, traffic, ports, out/in). */
static const uint16_t BOT_SUB[5] = {920, 900, 960, 880, 940};
enum { BOT_SUSPICION = 4600, TRIAL_SUSPICION = 1000 };

void sim_config_default(struct sim_config *c, uint32_t n) {
  memset(c, 0, sizeof *c);
  c->n = n;
  c->seed = 1;
  sgp_params_default(&c->params, n);
  c->budget = SGP_DEFAULT_BUDGET;
  c->trials = 8;
  c->trial_stride = 2;
  c->phase_random = 1;
  c->memo = 1;
  c->frame_id = UINT32_MAX;
}

static uint32_t log2ceil(uint32_t n) {
  uint32_t l = 0;
  while (l < 31 && (1u << l) < n) l++;
  return l ? l : 1;
}

static uint32_t max_u32(uint32_t a, uint32_t b) {
  return a > b ? a : b;
}

uint32_t sim_auto_trial_start(uint32_t n) {
  return 2 * log2ceil(n) + 5;
}

uint32_t sim_auto_rounds(const struct sim_config *c) {
  uint32_t l = log2ceil(c->n), slack = (c->loss > 0 || c->delay > 0) ? 4 * l : 0, r = 20;
  if (c->trials) {
    uint32_t ts = c->trial_start ? c->trial_start : sim_auto_trial_start(c->n);
    r = max_u32(r, ts + c->trials * c->trial_stride + 4 * l + 10 + slack);
  }
  for (uint32_t k = 0; k < c->n_compromise; k++)
    r = max_u32(r, c->compromise[k].round + 4 * l + 10 + slack);
  for (uint32_t k = 0; k < c->n_crash; k++)
    r = max_u32(r,
                c->crash[k].round + c->params.t_cleanup + c->params.heartbeat + 4 * l + 10 + slack);
  for (uint32_t k = 0; k < c->n_restart; k++)
    r = max_u32(r, c->restart[k].round + 4 * l + 10 + slack);
  if (c->partition) r = max_u32(r, c->part_r2 + 4 * l + 10 + slack);
  return r;
}

/* ---- network ------------------------------------------------------------- */

static int vec_push(struct msgvec *v, const struct msg *m) {
  if (v->len == v->cap) {
    size_t cap = v->cap ? 2 * v->cap : 256;
    struct msg *nv = realloc(v->v, cap * sizeof *nv);
    if (!nv) return -1;
    v->v = nv;
    v->cap = cap;
  }
  v->v[v->len++] = *m;
  return 0;
}

static void vec_free(struct msgvec *v) {
  for (size_t i = 0; i < v->len; i++) free(v->v[i].p.data);
  free(v->v);
  memset(v, 0, sizeof *v);
}

static int chance(uint64_t tag, uint64_t purpose, double p) {
  return p > 0 && rng_unit(rng_hash(tag, purpose, 0, 0)) < p;
}

/* Whether the network drops message p (and its sealed-datagram bytes):
 * per message, or per fragment after the library's layout (§8.1), where a
 * message survives when all data fragments arrive, or all but one with a
 * parity fragment (SGP-FRAG-13).  -1 if p cannot be fragmented. */
static int lost_in_network(struct sim *s, uint8_t kind, uint64_t tag, const struct payload *p) {
  const struct sim_config *c = s->c;
  uint32_t t = p->wire + ((c->frag_flags & SGP_FRAG_FLAG_AONT) ? 32u : 0u);
  struct sgp_frag_layout l;
  if (sgp_frag_layout(t, c->frag_flags, &l) != SGP_OK) {
    fprintf(stderr, "sgpsim: a %u-byte message cannot be fragmented\n", (unsigned)t);
    return -1;
  }
  uint32_t dropped = 0;
  for (uint32_t f = 0; f < l.count; f++) {
    s->r->kind_dgram_bytes[kind] += SGP_FRAG_AD_BYTES + sgp_frag_len(&l, f) + SGP_FRAG_TAG_BYTES;
    if (c->loss_unit == SIM_LOSS_DATAGRAM && c->loss > 0 &&
        rng_unit(rng_hash(tag, RNG_FRAG_LOSS, f, 0)) < c->loss)
      dropped++;
  }
  s->r->kind_frags[kind] += l.count;
  if (c->loss_unit == SIM_LOSS_DATAGRAM)
    return dropped > ((c->frag_flags & SGP_FRAG_FLAG_PARITY) ? 1u : 0u);
  return chance(tag, RNG_LOSS, c->loss);
}

int sim_send(struct sim *s, uint32_t from, uint32_t to, uint8_t kind, uint64_t tag,
             struct payload p) {
  const struct sim_config *c = s->c;
  s->round_bytes += p.wire;
  s->r->bytes += p.wire;
  s->r->sent++;
  s->r->kind_sent[kind]++;
  int lost = lost_in_network(s, kind, tag, &p);
  if (lost != 0) {
    free(p.data);
    if (lost < 0) return -1;
    s->r->lost++;
    s->r->kind_lost[kind]++;
    return 0;
  }
  uint32_t due = s->round;
  if (chance(tag, RNG_DELAY, c->delay)) {
    due += 1 + rng_below(rng_hash(tag, RNG_DELAY_LEN, 0, 0), 3);
    s->r->delayed++;
  }
  int copies = chance(tag, RNG_DUP, c->dup) ? 2 : 1;
  if (copies == 2) s->r->duplicated++;
  for (int k = 0; k < copies; k++) {
    struct msg m = {from, to, due, kind, rng_hash(tag, RNG_COPY, (uint64_t)k, 0), p};
    if (k == 1) {
      m.p.data = malloc(p.len ? p.len : 1);
      if (!m.p.data) return -1;
      memcpy(m.p.data, p.data, p.len);
    }
    if (vec_push(due == s->round ? &s->queue : &s->pending, &m) != 0) {
      if (k == 0)
        free(p.data); /* copy 1 would be a second owner otherwise */
      else
        free(m.p.data);
      return -1;
    }
  }
  return 0;
}

int sim_defer_merge(struct sim *s, struct msg *m) {
  if (vec_push(&s->merges, m) != 0) return -1;
  m->p.data = NULL;
  return 0;
}

int sim_receive_exchange(struct sim *s, struct msg *m) {
  if (m->kind == MSG_DELTA) return sim_defer_merge(s, m);
  struct payload out = {NULL, 0, 0};
  uint32_t reports = 0;
  int carries = 0;
  int rc = s->proto->answer(s, m, &out, &reports, &carries);
  if (rc != 0) {
    free(out.data);
    if (rc < 0) return -1;
    s->round_rejected++; /* honest senders never produce this */
    return 0;
  }
  if (m->kind == MSG_SYN) {
    s->r->reports_in_ack += reports;
    s->r->empty_ack += reports == 0;
    return sim_send(s, m->to, m->from, MSG_ACK, sim_reply_tag(m), out);
  }
  s->r->reports_in_delta += reports;
  if (reports > 0) {
    if (sim_send(s, m->to, m->from, MSG_DELTA, sim_reply_tag(m), out) != 0) return -1;
  } else {
    free(out.data);
  }
  return carries ? sim_defer_merge(s, m) : 0;
}

uint32_t sim_phase(const struct sim *s, uint32_t id) {
  const struct sim_config *c = s->c;
  return c->phase_random ? rng_below(rng_hash(c->seed, RNG_PHASE, id, 0), c->params.heartbeat) : 0;
}

uint64_t sim_reply_tag(const struct msg *m) {
  return rng_hash(m->tag, RNG_REPLY, m->kind, 0);
}

uint32_t sim_other(const struct sim *s, uint32_t self, uint64_t h) {
  uint32_t p = rng_below(h, s->n - 1);
  return p >= self ? p + 1 : p;
}

static int partitioned(const struct sim *s, uint32_t a, uint32_t b) {
  const struct sim_config *c = s->c;
  return c->partition && s->round >= c->part_r1 && s->round <= c->part_r2 &&
         c->part_side[a] != c->part_side[b];
}

/* The FIFO phase and the deferred merges of one round. */
static int run_exchanges(struct sim *s) {
  const struct sim_config *c = s->c;
  size_t keep = 0;
  for (size_t i = 0; i < s->pending.len; i++) {
    struct msg *m = &s->pending.v[i];
    if (m->due == s->round) {
      if (vec_push(&s->queue, m) != 0) return -1;
      m->p.data = NULL; /* now owned by the queue */
    } else {
      s->pending.v[keep++] = *m;
    }
  }
  s->pending.len = keep;
  for (uint32_t i = 0; i < s->n; i++) {
    if (!s->alive[i]) continue;
    uint32_t to = sim_other(s, i, rng_hash(c->seed, RNG_PEER, s->round, i));
    struct payload p = {NULL, 0, 0};
    if (s->proto->syn(s, i, &p) != 0) return -1;
    if (sim_send(s, i, to, MSG_SYN, rng_hash(c->seed, RNG_SYN_TAG, s->round, i), p) != 0) return -1;
  }
  if (c->insider && s->proto->insider_round(s) != 0) return -1;
  for (s->head = 0; s->head < s->queue.len;) {
    struct msg m = s->queue.v[s->head];
    s->queue.v[s->head++].p.data = NULL; /* owned by m now */
    int rc = 0;
    if (!s->alive[m.to]) {
      s->r->dropped_dead++;
    } else if (partitioned(s, m.from, m.to)) {
      s->r->dropped_partition++;
    } else {
      rc = s->proto->receive(s, &m);
    }
    free(m.p.data);
    if (rc != 0) return -1;
  }
  s->queue.len = 0;
  for (size_t i = 0; i < s->merges.len; i++) {
    struct msg *m = &s->merges.v[i];
    int rc = s->alive[m->to] ? s->proto->merge(s, m->to, &m->p) : 0;
    free(m->p.data);
    m->p.data = NULL;
    if (rc < 0) return -1;
    if (rc == 1) s->round_rejected++;
  }
  s->r->rejected += s->round_rejected;
  s->merges.len = 0;
  return 0;
}

/* ---- schedule and metrics ------------------------------------------------ */

static int involved(const struct sim_config *c, uint32_t id) {
  for (uint32_t k = 0; k < c->n_crash; k++)
    if (c->crash[k].id == id) return 1;
  for (uint32_t k = 0; k < c->n_restart; k++)
    if (c->restart[k].id == id) return 1;
  for (uint32_t k = 0; k < c->n_compromise; k++)
    if (c->compromise[k].id == id) return 1;
  return c->insider && (c->insider_id == id || c->frame_id == id);
}

/* Distinct trial origins among the nodes no fault touches. */
static void pick_trials(const struct sim_config *c, struct sim_result *r) {
  uint32_t eligible = 0;
  for (uint32_t i = 0; i < c->n; i++) eligible += !involved(c, i);
  uint32_t k = c->trials < SIM_MAX_TRIALS ? c->trials : SIM_MAX_TRIALS;
  if (k > eligible) k = eligible;
  uint32_t ts = c->trial_start ? c->trial_start : sim_auto_trial_start(c->n);
  for (uint32_t t = 0; t < k; t++) {
    for (uint64_t attempt = 0;; attempt++) {
      uint32_t o = rng_below(rng_hash(c->seed, RNG_TRIAL, t, attempt), c->n);
      int dup = involved(c, o);
      for (uint32_t u = 0; u < t && !dup; u++) dup = r->trial_origin[u] == o;
      if (!dup) {
        r->trial_origin[t] = o;
        break;
      }
    }
    r->trial_round[t] = ts + t * c->trial_stride;
    r->trial_rounds[t] = -1;
  }
  r->trials = k;
  r->tracked = 0;
  if (k)
    r->tracked = r->trial_origin[0];
  else
    while (r->tracked + 1 < c->n && involved(c, r->tracked)) r->tracked++;
}

static int apply_events(struct sim *s) {
  const struct sim_config *c = s->c;
  const uint16_t zero[5] = {0, 0, 0, 0, 0};
  for (uint32_t k = 0; k < c->n_crash; k++)
    if (c->crash[k].round == s->round) s->alive[c->crash[k].id] = 0;
  for (uint32_t k = 0; k < c->n_restart; k++) {
    uint32_t id = c->restart[k].id;
    if (c->restart[k].round != s->round || s->alive[id]) continue;
    s->alive[id] = 1;
    if (s->proto->restart(s, id) != 0) return -1;
    for (uint32_t b = 0; b < c->n_compromise; b++) /* the bot's agent still sees the infection */
      if (c->compromise[b].id == id && c->compromise[b].round <= s->round &&
          s->proto->set_local(s, id, BOT_SUSPICION, BOT_SUB) != 0)
        return -1;
  }
  for (uint32_t k = 0; k < c->n_compromise; k++)
    if (c->compromise[k].round == s->round &&
        s->proto->set_local(s, c->compromise[k].id, BOT_SUSPICION, BOT_SUB) != 0)
      return -1;
  for (uint32_t t = 0; t < s->r->trials; t++)
    if (s->r->trial_round[t] == s->round &&
        s->proto->set_local(s, s->r->trial_origin[t], TRIAL_SUSPICION + t % 1000, zero) != 0)
      return -1;
  return 0;
}

static int holds_at_least(const struct sim *s, uint32_t viewer, uint32_t origin, uint32_t gen,
                          uint32_t seq) {
  uint32_t g, q;
  s->proto->version(s, viewer, origin, &g, &q);
  return g != 0 && sgp_version_cmp(g, q, gen, seq) >= 0;
}

static void print_row(const struct sim *s, const struct sim_round *row) {
  const struct sim_config *c = s->c;
  const struct sim_result *r = s->r;
  fprintf(c->out, "round %3" PRIu32 "  live %4" PRIu32, row->round, row->live);
  if (r->has_comp) fprintf(c->out, "  COMPROMISED(%" PRIu32 ") %4" PRIu32, r->comp_id, row->comp);
  if (r->has_crash) fprintf(c->out, "  SILENT(%" PRIu32 ") %4" PRIu32, r->crash_id, row->silent);
  fprintf(c->out, "  newest(%" PRIu32 ") %4" PRIu32 "  bytes %9" PRIu64, r->tracked, row->holding,
          row->bytes);
  if (row->rejected) fprintf(c->out, "  rejected %" PRIu32, row->rejected);
  fputc('\n', c->out);
  fflush(c->out); /* progress is visible through pipes too */
}

static int measure_round(struct sim *s, uint8_t *vbuf, uint32_t trial_gen[], uint32_t trial_seq[]) {
  const struct sim_config *c = s->c;
  struct sim_result *r = s->r;
  struct sim_round row = {s->round, 0, 0, 0, 0, s->round_rejected, s->round_bytes, {0}};
  memcpy(row.part, s->round_part, sizeof row.part);
  uint32_t tg, ts;
  s->proto->version(s, r->tracked, r->tracked, &tg, &ts);
  for (uint32_t i = 0; i < s->n; i++) {
    if (!s->alive[i]) continue;
    row.live++;
    s->proto->verdicts(s, i, vbuf);
    if (r->has_comp && vbuf[r->comp_id] == SGP_VERDICT_COMPROMISED) row.comp++;
    if (r->has_crash && vbuf[r->crash_id] == SGP_VERDICT_SILENT) row.silent++;
    uint32_t g, q;
    s->proto->version(s, i, r->tracked, &g, &q);
    if (g == tg && q == ts) row.holding++;
  }
  for (uint32_t t = 0; t < r->trials; t++) {
    if (r->trial_rounds[t] >= 0 || s->round <= r->trial_round[t]) continue;
    uint32_t have = 0;
    for (uint32_t i = 0; i < s->n; i++)
      if (s->alive[i])
        have += (uint32_t)holds_at_least(s, i, r->trial_origin[t], trial_gen[t], trial_seq[t]);
    if (have == row.live) r->trial_rounds[t] = (int32_t)(s->round - r->trial_round[t]);
  }
  if (r->has_comp && r->t_comp < 0 && s->round >= r->comp_round && row.comp == row.live)
    r->t_comp = (int32_t)(s->round - r->comp_round);
  if (r->has_crash && r->t_silent < 0 && !s->alive[r->crash_id] && s->round >= r->crash_round &&
      row.silent == row.live)
    r->t_silent = (int32_t)(s->round - r->crash_round + 1);
  r->rows[s->round] = row;
  if (c->csv)
    fprintf(c->csv,
            "%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu64 ",%.1f,%" PRIu32
            "\n",
            row.round, row.live, row.holding, row.comp, row.silent, row.bytes,
            row.live ? (double)row.bytes / row.live : 0.0, row.rejected);
  if (c->print_rounds) print_row(s, &row);
  return 0;
}

static int all_trials_done(const struct sim_result *r) {
  for (uint32_t t = 0; t < r->trials; t++)
    if (r->trial_rounds[t] < 0) return 0;
  return 1;
}

int sim_run(const struct sim_config *c, struct sim_result *r) {
  memset(r, 0, sizeof *r);
  struct sim s;
  memset(&s, 0, sizeof s);
  s.c = c;
  s.r = r;
  s.n = c->n;
  s.proto = c->merge == SIM_MERGE_AGE     ? &proto_age
            : c->merge == SIM_MERGE_MODEL ? &proto_model
                                          : &proto_sgp;
  uint32_t rounds = c->rounds ? c->rounds : sim_auto_rounds(c);
  uint32_t *trial_gen = calloc(SIM_MAX_TRIALS, sizeof *trial_gen);
  uint32_t *trial_seq = calloc(SIM_MAX_TRIALS, sizeof *trial_seq);
  uint8_t *vbuf = malloc(c->n);
  r->rows = calloc(rounds, sizeof *r->rows);
  r->alive = malloc(c->n);
  r->final = calloc((size_t)c->n * c->n, 1);
  s.alive = r->alive;
  int rc = -1;
  if (!trial_gen || !trial_seq || !vbuf || !r->rows || !r->alive || !r->final) {
    fprintf(stderr, "sgpsim: out of memory\n");
    goto out;
  }
  memset(s.alive, 1, c->n);
  r->t_comp = r->t_silent = -1;
  r->has_comp = c->n_compromise > 0;
  if (r->has_comp) {
    r->comp_id = c->compromise[0].id;
    r->comp_round = c->compromise[0].round;
  }
  r->has_crash = c->n_crash > 0;
  for (uint32_t k = 0; k < c->n_crash; k++) { /* track the first crash not restarted later */
    int restarted = 0;
    for (uint32_t q = 0; q < c->n_restart; q++)
      restarted |= c->restart[q].id == c->crash[k].id && c->restart[q].round > c->crash[k].round;
    if (k == 0 || !restarted) {
      r->crash_id = c->crash[k].id;
      r->crash_round = c->crash[k].round;
    }
    if (!restarted) break;
  }
  pick_trials(c, r);
  if (c->csv)
    fprintf(c->csv,
            "round,live,holding_newest,compromised_views,silent_views,bytes,bytes_per_node,"
            "rejected\n");
  if (s.proto->init(&s) != 0) goto out;
  for (s.round = 0; s.round < rounds; s.round++) {
    s.round_bytes = 0;
    s.round_rejected = 0;
    memset(s.round_part, 0, sizeof s.round_part);
    if (apply_events(&s) != 0 || run_exchanges(&s) != 0) goto out;
    for (uint32_t i = 0; i < s.n; i++)
      if (s.alive[i] && s.proto->tick(&s, i) != 0) goto out;
    for (uint32_t t = 0; t < r->trials; t++)
      if (r->trial_round[t] == s.round)
        s.proto->version(&s, r->trial_origin[t], r->trial_origin[t], &trial_gen[t], &trial_seq[t]);
    if (measure_round(&s, vbuf, trial_gen, trial_seq) != 0) goto out;
    r->rounds = s.round + 1;
    if (c->stop_when_trials_done && r->trials && all_trials_done(r)) break;
  }
  for (uint32_t i = 0; i < s.n; i++)
    if (s.alive[i]) s.proto->verdicts(&s, i, r->final + (size_t)i * c->n);
  rc = 0;
out:
  if (s.model) {
    s.proto->fini(&s);
  }
  vec_free(&s.queue);
  vec_free(&s.pending);
  vec_free(&s.merges);
  free(trial_gen);
  free(trial_seq);
  free(vbuf);
  return rc;
}

void sim_result_free(struct sim_result *r) {
  free(r->rows);
  free(r->alive);
  free(r->final);
  memset(r, 0, sizeof *r);
}
