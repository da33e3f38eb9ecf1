/* merge=model: a reduced-state model of SGP's exchange, for large n.
 *
 * State, O(n) per node: for every origin j the seq of the newest report of
 * j the node holds (0 = none; the generation is always 1 because the model
 * has no restarts) and its gossip-list age (SGP-TICK-1, SGP-MERGE-4); plus
 * the node's round, agent values, own report values and own opinion row
 * (SGP-TICK-3).  Per origin, a log indexed by seq holds the encoded sizes of
 * its report and of its digest entry, written when the origin signs.
 * That is everything the exchange decides on: eligibility is a version
 * comparison (SGP-XCHG-3; honest runs have no equivocation, so equal
 * versions are equal reports and tags never decide), the budgeted choice
 * (SGP-XCHG-4) needs sizes and ages, the digest cut (SGP-XCHG-8) entry
 * sizes, and the tick (heartbeat, row and agent changes) ages and values.
 * Signatures, report contents beyond their sizes and consensus are not
 * modelled: verdicts read UNKNOWN, so cli.c refuses crashes, restarts,
 * compromises and the insider with this model.
 *
 * Sizes come from the library's codec: a report's from
 * sgp_report_msg_wire_size on a report with that version's field values and
 * a 64-byte signature; a digest entry's and a packet header's from nanopb's
 * pb_get_encoded_size over the library's generated sgp_v1_Packet descriptor
 * (a packet holding the one entry minus the same packet without it).  A
 * packet is header + entries + reports, which is how protobuf lays out
 * repeated fields; the sim_model_matches_sgp test checks the bytes against
 * merge=sgp.  Tags are taken nonzero (a real tag is 0 with probability
 * 2^-64 and would then be 9 bytes shorter).
 *
 * The engine runs the same schedule, randomness, network and exchange flow
 * (sim_receive_exchange) as for merge=sgp, so the same seed takes the same
 * decisions.  Payloads are snapshots (a digest as n seqs with 0 = absent,
 * reports as (origin, seq) pairs), so a delayed message carries its
 * send-time state.  Reports are not sorted by origin in a payload
 * (SGP-XCHG-6): the order changes neither sizes nor the merge result.
 * Time per exchange and per tick is O(n); memory 6 n^2 bytes in all.
 */
#include <malloc.h>
#include <pb_encode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "rng.h"
#include "sgp/consensus.h"
#include "sgp/fragment.h"
#include "sgp/limits.h"
#include "sgp/state.h"

/* Sizes of origin j's versions, indexed by seq ([0] unused). */
struct vlog {
  uint16_t *rsize; /* report: tag + length + body */
  uint8_t *esize;  /* digest entry: tag + length + body */
  uint32_t cap;
};

struct mnode {
  uint32_t round; /* own round counter, heartbeat phase included */
  uint32_t seq;   /* own seq */
  uint32_t local_susp, own_susp;
  uint16_t local_sub[SGP_SUBSCORES], own_sub[SGP_SUBSCORES];
  uint16_t row_len;
  uint16_t row[SGP_MAX_SILENT];
  uint64_t dig_bytes; /* digest entry bytes of every held origin */
};

struct rmodel {
  uint32_t *held; /* n*n, row = holder */
  uint16_t *age;  /* n*n */
  struct mnode *node;
  struct vlog *log;
  uint32_t *hdr;   /* n*4: header bytes of a packet by sender and kind */
  uint64_t *cand;  /* n: selection scratch */
  sgp_packet *pkt; /* sizing scratch */
  size_t empty_pkt;
  uint32_t rows_now;
  /* --xchg chunked|chunked-push only (PROPOSAL, not SGP v1; see below). */
  uint32_t *signed_at; /* n: own round counter when the own report was last signed */
  uint32_t *bnd;       /* n + 1: chunk boundaries scratch */
  uint32_t *rep;       /* n: selected origins scratch */
  uint32_t *first;     /* 2 n + 2: first report index of each message scratch */
  struct xside *xs;    /* n: per-exchange budgets */
  uint64_t xstat[8];
};

enum { P_HAS_DIGEST = 0, P_NREP = 1, P_HEAD = 2 }; /* payload: u32 words */

static struct rmodel *R(const struct sim *s) {
  return s->model;
}

/* ---- exchange variant (PROPOSAL, not SGP v1) ------------------------------
 * --xchg v1 (default) is SGP v1 exactly.  chunked / chunked-push are a
 * proposed wire change (spec/proposals/chunked-exchange.md), modelled only here. */
enum { XCHG_V1 = 0, XCHG_CHUNKED = 1, XCHG_CHUNKED_PUSH = 2 };
static struct {
  int mode;
  uint32_t max_chunks;  /* C: digest chunks per SYN, and ACK digest chunks per peer and round */
  uint32_t push_rounds; /* R: a report is fresh for R rounds after adoption or signing */
  uint32_t push_dgrams; /* push messages (one datagram each) per round */
} X = {XCHG_V1, SGP_FRAG_MAX_DATA_FRAGS, 2, 2};

void model_set_xchg(int mode, uint32_t max_chunks, uint32_t push_rounds, uint32_t push_dgrams);
void model_set_xchg(int mode, uint32_t max_chunks, uint32_t push_rounds, uint32_t push_dgrams) {
  X.mode = mode;
  X.max_chunks = max_chunks;
  X.push_rounds = push_rounds;
  X.push_dgrams = push_dgrams;
}

/* Chunked payload words: has_digest, nrep, lo, hi, (hi - lo) seqs, pairs. */
enum { X_LO = 2, X_HI = 3, X_HEAD = 4 };

/* Budget state of the exchanges a node takes part in this round. */
struct xside {
  uint32_t rpeer, rround, rchunks, rcount; /* as responder to rpeer */
  uint32_t iround, icount;                 /* as initiator */
  size_t rused, iused;                     /* report bytes */
};

static size_t pkt_size(const sgp_packet *p) {
  size_t sz = 0;
  return pb_get_encoded_size(&sz, sgp_v1_Packet_fields, p) ? sz : SIZE_MAX;
}

static void set_header(sgp_packet *p, uint32_t sender, uint8_t kind) {
  p->version = SGP_PROTOCOL_VERSION;
  p->sender = sender;
  p->kind = (sgp_v1_Kind)kind;
  p->digest_count = 0;
  p->reports_count = 0;
}

static size_t entry_size(struct rmodel *m, uint32_t origin, uint32_t seq) {
  sgp_packet *p = m->pkt;
  set_header(p, 0, MSG_SYN);
  p->digest_count = 1;
  p->digest[0].origin = origin;
  p->digest[0].generation = 1;
  p->digest[0].seq = seq;
  p->digest[0].tag = UINT64_MAX; /* any nonzero tag: fixed64 */
  return pkt_size(p) - m->empty_pkt;
}

/* Records the sizes of origin id's new own version (nd's values). */
static int log_version(struct sim *s, uint32_t id) {
  struct rmodel *m = R(s);
  const struct mnode *nd = &m->node[id];
  struct vlog *l = &m->log[id];
  if (nd->seq >= l->cap) {
    uint32_t cap = l->cap ? 2 * l->cap : 64;
    while (cap <= nd->seq) cap *= 2;
    uint16_t *r = realloc(l->rsize, cap * sizeof *r);
    if (!r) return -1;
    l->rsize = r;
    uint8_t *e = realloc(l->esize, cap);
    if (!e) return -1;
    l->esize = e;
    l->cap = cap;
  }
  sgp_report_msg r;
  memset(&r, 0, sizeof r);
  r.origin = id;
  r.generation = 1;
  r.seq = nd->seq;
  r.suspicion = nd->own_susp;
  r.sub_count = SGP_SUBSCORES;
  for (size_t k = 0; k < SGP_SUBSCORES; k++) r.sub[k] = nd->own_sub[k];
  r.silent_count = nd->row_len;
  for (size_t k = 0; k < nd->row_len; k++) r.silent[k] = nd->row[k];
  r.sig.size = SGP_SIG_BYTES;
  size_t rs = sgp_report_msg_wire_size(&r), es = entry_size(m, id, nd->seq);
  if (rs > UINT16_MAX || es > UINT8_MAX) return -1;
  l->rsize[nd->seq] = (uint16_t)rs;
  l->esize[nd->seq] = (uint8_t)es;
  return 0;
}

static uint32_t *held_of(const struct sim *s, uint32_t i) {
  return R(s)->held + (size_t)i * s->n;
}
static uint16_t *age_of(const struct sim *s, uint32_t i) {
  return R(s)->age + (size_t)i * s->n;
}

/* Node i now holds origin o at seq q (q above what it held). */
static void hold(struct sim *s, uint32_t i, uint32_t o, uint32_t q) {
  struct rmodel *m = R(s);
  uint32_t *h = held_of(s, i);
  struct mnode *nd = &m->node[i];
  if (h[o]) nd->dig_bytes -= m->log[o].esize[h[o]];
  nd->dig_bytes += m->log[o].esize[q];
  h[o] = q;
}

/* Signs the own report with the current local values and row (seq + 1
 * unless it is the first). */
static int sign_own(struct sim *s, uint32_t id, const uint16_t *row, uint16_t len) {
  struct mnode *nd = &R(s)->node[id];
  nd->seq++;
  nd->own_susp = nd->local_susp;
  memcpy(nd->own_sub, nd->local_sub, sizeof nd->own_sub);
  nd->row_len = len;
  if (len) memcpy(nd->row, row, len * sizeof row[0]);
  if (log_version(s, id) != 0) return -1;
  hold(s, id, id, nd->seq);
  if (R(s)->signed_at) R(s)->signed_at[id] = nd->round;
  return 0;
}

/* The tick of spec §5.5 (SGP-TICK-1..4): ages, row, re-sign. */
static int tick(struct sim *s, uint32_t id) {
  struct rmodel *m = R(s);
  struct mnode *nd = &m->node[id];
  const struct sgp_params *p = &s->c->params;
  uint16_t *age = age_of(s, id), row[SGP_MAX_SILENT], len = 0;
  for (uint32_t j = 0; j < s->n; j++) {
    if (j == id) continue;
    if (age[j] < SGP_AGE_MAX) age[j]++;
    if (age[j] > p->t_cleanup && len < p->max_silent) row[len++] = (uint16_t)j;
  }
  int had_row = nd->row_len > 0;
  int row_changed = len != nd->row_len || memcmp(row, nd->row, len * sizeof row[0]) != 0;
  int due = (nd->round + 1) % p->heartbeat == 0;
  int local_changed =
      nd->local_susp != nd->own_susp || memcmp(nd->local_sub, nd->own_sub, sizeof nd->own_sub) != 0;
  if ((due || row_changed || local_changed) && sign_own(s, id, row, len) != 0) return -1;
  nd->round++;
  if (!had_row && len > 0) m->rows_now++;
  if (had_row && len == 0) m->rows_now--;
  if (m->rows_now > s->r->model_rows_max) s->r->model_rows_max = m->rows_now;
  return 0;
}

static void fini(struct sim *s) {
  struct rmodel *m = R(s);
  if (!m) return;
  if (m->log)
    for (uint32_t i = 0; i < s->n; i++) {
      free(m->log[i].rsize);
      free(m->log[i].esize);
    }
  free(m->log);
  free(m->held);
  free(m->age);
  free(m->node);
  free(m->hdr);
  free(m->cand);
  free(m->pkt);
  if (X.mode != XCHG_V1)
    fprintf(stderr,
            "sgpsim: xchg=%s (PROPOSAL, not SGP v1): SYN chunks %llu, ACK chunks %llu, "
            "report-only messages %llu (of which push %llu), push reports %llu\n",
            X.mode == XCHG_CHUNKED ? "chunked" : "chunked-push", (unsigned long long)m->xstat[0],
            (unsigned long long)m->xstat[1], (unsigned long long)m->xstat[2],
            (unsigned long long)m->xstat[3], (unsigned long long)m->xstat[4]);
  free(m->signed_at);
  free(m->bnd);
  free(m->rep);
  free(m->first);
  free(m->xs);
  free(m);
  s->model = NULL;
}

static int init(struct sim *s) {
  /* Payloads are n-word snapshots freed and allocated all round long: keep
   * the heap instead of returning it to the kernel after every round. */
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_MMAP_THRESHOLD, 1 << 26);
  struct rmodel *m = calloc(1, sizeof *m);
  if (!m) return -1;
  s->model = m;
  size_t nn = (size_t)s->n * s->n;
  m->held = calloc(nn, sizeof *m->held);
  m->age = calloc(nn, sizeof *m->age);
  m->node = calloc(s->n, sizeof *m->node);
  m->log = calloc(s->n, sizeof *m->log);
  m->hdr = calloc((size_t)s->n * 4, sizeof *m->hdr);
  m->cand = calloc(s->n, sizeof *m->cand);
  m->pkt = calloc(1, sizeof *m->pkt);
  if (!m->held || !m->age || !m->node || !m->log || !m->hdr || !m->cand || !m->pkt) {
    fprintf(stderr, "sgpsim: out of memory (model, n=%u)\n", s->n);
    return -1;
  }
  if (X.mode != XCHG_V1) {
    m->signed_at = calloc(s->n, sizeof *m->signed_at);
    m->bnd = calloc((size_t)s->n + 1, sizeof *m->bnd);
    m->rep = calloc(s->n, sizeof *m->rep);
    m->first = calloc(2 * (size_t)s->n + 2, sizeof *m->first);
    m->xs = calloc(s->n, sizeof *m->xs);
    if (!m->signed_at || !m->bnd || !m->rep || !m->first || !m->xs) {
      fprintf(stderr, "sgpsim: out of memory (model, n=%u)\n", s->n);
      return -1;
    }
    for (uint32_t i = 0; i < s->n; i++) m->xs[i].rround = m->xs[i].iround = UINT32_MAX;
  }
  s->r->mem_per_node = (size_t)s->n * (sizeof *m->held + sizeof *m->age) + sizeof *m->node;
  set_header(m->pkt, 0, MSG_SYN);
  m->empty_pkt = pkt_size(m->pkt);
  for (uint32_t i = 0; i < s->n; i++)
    for (uint8_t k = MSG_SYN; k <= MSG_DELTA; k++) {
      set_header(m->pkt, i, k);
      m->hdr[(size_t)i * 4 + k] = (uint32_t)pkt_size(m->pkt);
    }
  for (uint32_t i = 0; i < s->n; i++) {
    if (sign_own(s, i, NULL, 0) != 0) return -1; /* seq 1, suspicion 0: sgp_state_init */
    for (uint32_t k = sim_phase(s, i); k > 0; k--)
      if (tick(s, i) != 0) return -1;
  }
  return 0;
}

static int restart(struct sim *s, uint32_t id) {
  (void)s;
  fprintf(stderr, "sgpsim: merge=model has no restarts (node %u)\n", id);
  return -1;
}

static int set_local(struct sim *s, uint32_t id, uint32_t suspicion, const uint16_t sub[5]) {
  struct mnode *nd = &R(s)->node[id];
  nd->local_susp = suspicion;
  memcpy(nd->local_sub, sub, sizeof nd->local_sub);
  return 0;
}

/* SGP-XCHG-8: the first origin left out of i's digest with reserve r (n if
 * none) and the digest's bytes. */
static uint32_t digest_cut(const struct sim *s, uint32_t i, size_t r, size_t *bytes) {
  const struct rmodel *m = R(s);
  const uint32_t *h = held_of(s, i);
  size_t limit = SGP_MAX_PACKET - 16 - r, used = 0;
  if (m->node[i].dig_bytes <= limit) {
    *bytes = m->node[i].dig_bytes;
    return s->n;
  }
  uint32_t j = 0;
  for (; j < s->n; j++) {
    if (!h[j]) continue;
    size_t e = m->log[j].esize[h[j]];
    if (used + e > limit) break;
    used += e;
  }
  *bytes = used;
  return j;
}

/* Uninitialised except the header words (every word is written by the caller). */
static uint32_t *new_payload(size_t words, struct payload *out) {
  uint32_t *w = malloc(words * sizeof *w);
  out->data = (uint8_t *)w;
  out->len = words * sizeof *w;
  if (w) w[P_HAS_DIGEST] = w[P_NREP] = 0;
  return w;
}

static void copy_digest(const struct sim *s, uint32_t i, uint32_t cut, uint32_t *dst) {
  memcpy(dst, held_of(s, i), (size_t)cut * sizeof *dst);
  memset(dst + cut, 0, (size_t)(s->n - cut) * sizeof *dst); /* 0 = absent */
}

static int syn_v1(struct sim *s, uint32_t from, struct payload *out) {
  size_t bytes;
  uint32_t cut = digest_cut(s, from, 0, &bytes); /* SGP-XCHG-1 */
  uint32_t *w = new_payload(P_HEAD + (size_t)s->n, out);
  if (!w) return -1;
  w[P_HAS_DIGEST] = 1;
  copy_digest(s, from, cut, w + P_HEAD);
  uint32_t hdr = R(s)->hdr[(size_t)from * 4 + MSG_SYN];
  out->wire = (uint32_t)(hdr + bytes);
  s->round_part[SIM_HDR_BYTES] += hdr;
  s->round_part[SIM_DIGEST_BYTES] += bytes;
  return 0;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

struct wire_ctx {
  const struct rmodel *m;
  const uint32_t *held;
};

/* A held report's encoded size, from the size log (sgp_select_reports). */
static size_t held_wire(const void *ctx, uint32_t o) {
  const struct wire_ctx *w = ctx;
  return w->m->log[o].rsize[w->held[o]];
}

/* select(self, D) of SGP-XCHG-3/4 into m->cand (origins), by the library's
 * rule (sgp_select_reports); returns the count taken and sets *bytes to
 * their report bytes.  base = packet bytes before the reports. */
static size_t select_reports(struct sim *s, uint32_t self, const uint32_t *d, size_t base,
                             size_t *bytes) {
  struct rmodel *m = R(s);
  const uint32_t *h = held_of(s, self);
  const uint16_t *age = age_of(s, self);
  size_t budget = s->c->budget ? s->c->budget : SGP_DEFAULT_BUDGET, nc = 0;
  if (budget > SGP_MAX_PACKET) budget = SGP_MAX_PACKET;
  if (budget > SGP_MAX_PACKET - base) budget = SGP_MAX_PACKET - base;
  for (uint32_t o = 0; o < s->n; o++)
    if (h[o] > d[o]) m->cand[nc++] = sgp_select_key(o, self, age[o]);
  struct wire_ctx w = {m, h};
  return sgp_select_reports(m->cand, nc, budget, held_wire, &w, bytes);
}

static int answer(struct sim *s, const struct msg *msg, struct payload *out, uint32_t *reports,
                  int *carries) {
  struct rmodel *m = R(s);
  const uint32_t *in = (const uint32_t *)msg->p.data;
  uint32_t to = msg->to, n = s->n;
  int ack = msg->kind == MSG_SYN; /* else the answer is a DELTA */
  size_t hdr = m->hdr[(size_t)to * 4 + (ack ? MSG_ACK : MSG_DELTA)], dbytes = 0, rbytes = 0;
  uint32_t cut = ack ? digest_cut(s, to, SGP_ACK_RESERVE, &dbytes) : 0;
  *carries = in[P_NREP] > 0;
  size_t take = select_reports(s, to, in + P_HEAD, hdr + dbytes, &rbytes);
  *reports = (uint32_t)take;
  if (!ack && take == 0) return 0; /* SGP-XCHG-5: nothing sent */
  s->round_part[SIM_HDR_BYTES] += hdr;
  s->round_part[SIM_DIGEST_BYTES] += dbytes;
  s->round_part[SIM_REPORT_BYTES] += rbytes;
  size_t dwords = ack ? n : 0;
  uint32_t *w = new_payload(P_HEAD + dwords + 2 * take, out);
  if (!w) return -1;
  w[P_HAS_DIGEST] = ack;
  w[P_NREP] = (uint32_t)take;
  if (ack) copy_digest(s, to, cut, w + P_HEAD);
  const uint32_t *h = held_of(s, to);
  for (size_t k = 0; k < take; k++) {
    uint32_t o = (uint32_t)m->cand[k];
    w[P_HEAD + dwords + 2 * k] = o;
    w[P_HEAD + dwords + 2 * k + 1] = h[o];
  }
  out->wire = (uint32_t)(hdr + dbytes + rbytes);
  return 0;
}

/* SGP-MERGE-1/4: adopt what is newer; the own origin is never adopted
 * (honest copies of it are never newer than the own report). */
static int merge(struct sim *s, uint32_t to, const struct payload *p) {
  const uint32_t *in = (const uint32_t *)p->data;
  const uint32_t *r = X.mode == XCHG_V1
                          ? in + P_HEAD + (in[P_HAS_DIGEST] ? s->n : 0)
                          : in + X_HEAD + (in[P_HAS_DIGEST] ? in[X_HI] - in[X_LO] : 0);
  uint32_t *h = held_of(s, to);
  uint16_t *age = age_of(s, to);
  for (uint32_t k = 0; k < in[P_NREP]; k++) {
    uint32_t o = r[2 * k], q = r[2 * k + 1];
    if (o == to || q <= h[o]) {
      s->round_part[SIM_REDUNDANT]++;
      continue;
    }
    s->round_part[SIM_ADOPTED]++;
    hold(s, to, o, q);
    age[o] = 0;
  }
  return 0;
}

static void verdicts(struct sim *s, uint32_t id, uint8_t *out) {
  (void)id;
  memset(out, SGP_VERDICT_UNKNOWN, s->n); /* consensus is not modelled */
}

static void version(const struct sim *s, uint32_t viewer, uint32_t origin, uint32_t *gen,
                    uint32_t *seq) {
  *seq = held_of(s, viewer)[origin];
  *gen = *seq ? 1 : 0;
}

static int insider_round(struct sim *s) {
  (void)s;
  fprintf(stderr, "sgpsim: merge=model has no insider\n");
  return -1;
}

/* ---- chunked exchange (PROPOSAL, not SGP v1) -------------------------------
 * Every message fits one sealed datagram: header + range fields + entries +
 * reports <= 1158 bytes (1126 with AONT).  A SYN chunk covers the origins
 * [lo, hi) (two new uint32 header fields, range_lo = 6 and range_end = 7,
 * omitted when 0) with the initiator's entries there; the responder answers
 * it alone: ACK chunk(s) with its own entries over [lo, hi) (split again if
 * they do not fit one datagram) and the eligible reports of origins in
 * [lo, hi), packed into the ACK chunks' room and then into report-only
 * messages (kind DELTA shape).  The initiator answers each ACK chunk [a, b)
 * with report-only DELTAs for [a, b).  Reports per exchange and side stay
 * within B bytes and 1024 reports (priority of SGP-XCHG-4 within a chunk;
 * chunks are sent from a random start so no range is favoured); digest
 * chunks per SYN and ACK digest chunks per peer and round stay within C.
 * chunked-push: the initiator also sends, before its SYN chunks, up to
 * push_dgrams report-only messages with its fresh reports (own signed or
 * others adopted within the last R rounds; own first, then younger, ties
 * in a per-round random order).
 * Payload words: has_digest, nrep, lo, hi, (hi - lo) seqs, nrep pairs. */
enum { XG_TAG = 0x58470001u, XG_START = 0x58470002u, XG_TIE = 0x58470003u };

static uint32_t varint_len(uint32_t v) {
  uint32_t l = 1;
  while (v >= 128) {
    v >>= 7;
    l++;
  }
  return l;
}

static uint32_t range_bytes(uint32_t lo, uint32_t hi) {
  return (lo ? 1 + varint_len(lo) : 0) + (hi ? 1 + varint_len(hi) : 0);
}

static size_t xcap(const struct sim *s) {
  return SGP_FRAG_DATA - ((s->c->frag_flags & SGP_FRAG_FLAG_AONT) ? 32u : 0u);
}

/* Splits [lo, hi) into chunks of node i's entries that fit one datagram
 * with a `kind` header: b[0..count] (b[0] = lo, b[count] = hi). */
static uint32_t split_digest(const struct sim *s, uint32_t i, uint8_t kind, uint32_t lo,
                             uint32_t hi, uint32_t *b) {
  const struct rmodel *m = R(s);
  const uint32_t *h = held_of(s, i);
  size_t room = xcap(s) - m->hdr[(size_t)i * 4 + kind] - 8, used = 0; /* 8: range fields */
  uint32_t cnt = 0;
  b[cnt++] = lo;
  for (uint32_t o = lo; o < hi; o++) {
    if (!h[o]) continue;
    size_t e = m->log[o].esize[h[o]];
    if (used + e > room && used > 0) {
      b[cnt++] = o;
      used = 0;
    }
    used += e;
  }
  b[cnt] = hi;
  return cnt;
}

static size_t digest_bytes(const struct sim *s, uint32_t i, uint32_t lo, uint32_t hi) {
  const struct rmodel *m = R(s);
  const uint32_t *h = held_of(s, i);
  size_t sum = 0;
  for (uint32_t o = lo; o < hi; o++)
    if (h[o]) sum += m->log[o].esize[h[o]];
  return sum;
}

/* Eligible reports of self against digest d over [lo, hi) in priority
 * order (own, age, origin) into m->rep, within the exchange's remaining
 * budget (*used bytes, *count reports; updated).  Returns the count. */
static size_t xselect(struct sim *s, uint32_t self, const uint32_t *d, uint32_t lo, uint32_t hi,
                      size_t *used, uint32_t *count) {
  struct rmodel *m = R(s);
  const uint32_t *h = held_of(s, self);
  const uint16_t *age = age_of(s, self);
  size_t budget = s->c->budget ? s->c->budget : SGP_DEFAULT_BUDGET, nc = 0, take = 0;
  for (uint32_t o = lo; o < hi; o++)
    if (h[o] > d[o - lo]) m->cand[nc++] = sgp_select_key(o, self, age[o]);
  if (nc > 1) qsort(m->cand, nc, sizeof *m->cand, cmp_u64);
  for (; take < nc && *count < SGP_MAX_REPORTS; take++) {
    uint32_t o = (uint32_t)(m->cand[take] & 0xffffffffu);
    size_t w = m->log[o].rsize[h[o]];
    if (*used + w > budget) break;
    *used += w;
    (*count)++;
    m->rep[take] = o;
  }
  return take;
}

/* Builds and sends node self's messages to `to`: digest chunks b[0..nd]
 * of kind `kind` (none if nd == 0), then the reports m->rep[0..nr) packed
 * in order into the chunks' room and into report-only messages (kind
 * DELTA; at most max_extra).  With last != NULL the final digest chunk is
 * returned there instead of sent (the engine sends it).  *sent_reports:
 * reports that found room. */
static int emit(struct sim *s, uint32_t self, uint32_t to, uint8_t kind, uint64_t tag,
                const uint32_t *b, uint32_t nd, size_t nr, uint32_t max_extra, struct payload *last,
                size_t *sent_reports) {
  struct rmodel *m = R(s);
  const uint32_t *h = held_of(s, self);
  size_t cap = xcap(s), dhdr = m->hdr[(size_t)self * 4 + MSG_DELTA];
  uint32_t *first = m->first, j = 0;
  size_t room = nd ? cap - m->hdr[(size_t)self * 4 + kind] - range_bytes(b[0], b[1]) -
                         digest_bytes(s, self, b[0], b[1])
                   : cap - dhdr;
  size_t k = 0;
  first[0] = 0;
  for (; k < nr; k++) {
    size_t w = m->log[m->rep[k]].rsize[h[m->rep[k]]];
    while (w > room) {
      j++;
      first[j] = (uint32_t)k;
      if (j >= nd && j - nd >= max_extra) break;
      room = j < nd ? cap - m->hdr[(size_t)self * 4 + kind] - range_bytes(b[j], b[j + 1]) -
                          digest_bytes(s, self, b[j], b[j + 1])
                    : cap - dhdr;
    }
    if (j >= nd && j - nd >= max_extra) break;
    room -= w;
  }
  *sent_reports = k;
  uint32_t msgs = j + 1; /* messages 0..j hold reports [first[j'], first[j'+1]) */
  if (msgs < nd) msgs = nd;
  for (uint32_t q = j + 1; q <= msgs; q++) first[q] = (uint32_t)k;
  if (nd == 0 && k == 0) return 0;
  if (j >= nd && j - nd >= max_extra) msgs = j; /* the overflowing message is not sent */
  for (uint32_t q = 0; q < msgs; q++) {
    uint32_t r0 = first[q], r1 = q + 1 <= j ? first[q + 1] : (uint32_t)k;
    if (q >= nd && r1 == r0) continue;
    int dig = q < nd;
    uint32_t lo = dig ? b[q] : 0, hi = dig ? b[q + 1] : 0, dw = hi - lo;
    size_t hb = dig ? m->hdr[(size_t)self * 4 + kind] + range_bytes(lo, hi) : dhdr;
    size_t db = dig ? digest_bytes(s, self, lo, hi) : 0, rb = 0;
    struct payload p;
    uint32_t *w = new_payload(X_HEAD + dw + 2 * (size_t)(r1 - r0), &p);
    if (!w) return -1;
    w[P_HAS_DIGEST] = (uint32_t)dig;
    w[P_NREP] = r1 - r0;
    w[X_LO] = lo;
    w[X_HI] = hi;
    if (dig) memcpy(w + X_HEAD, h + lo, (size_t)dw * sizeof *w);
    for (uint32_t r = r0; r < r1; r++) {
      uint32_t o = m->rep[r];
      w[X_HEAD + dw + 2 * (r - r0)] = o;
      w[X_HEAD + dw + 2 * (r - r0) + 1] = h[o];
      rb += m->log[o].rsize[h[o]];
    }
    p.wire = (uint32_t)(hb + db + rb);
    if (p.wire > cap) {
      free(p.data);
      fprintf(stderr, "sgpsim: xchg: a %u-byte message exceeds one datagram\n", p.wire);
      return -1;
    }
    s->round_part[SIM_HDR_BYTES] += hb;
    s->round_part[SIM_DIGEST_BYTES] += db;
    s->round_part[SIM_REPORT_BYTES] += rb;
    uint8_t k2 = dig ? kind : (uint8_t)MSG_DELTA;
    m->xstat[kind == MSG_SYN ? 0 : 1] += (uint64_t)dig;
    m->xstat[2] += (uint64_t)!dig;
    if (last && q + 1 == msgs) {
      *last = p;
      return 0;
    }
    if (sim_send(s, self, to, k2, rng_hash(tag, XG_TAG, q, kind), p) != 0) return -1;
  }
  return 0;
}

/* chunked-push: the fresh reports of `from`, before its SYN chunks. */
static int push_fresh(struct sim *s, uint32_t from, uint32_t to, uint64_t tag) {
  struct rmodel *m = R(s);
  const uint32_t *h = held_of(s, from);
  const uint16_t *age = age_of(s, from);
  size_t nc = 0;
  for (uint32_t o = 0; o < s->n; o++) {
    if (!h[o]) continue;
    int own = o == from;
    if (own ? m->node[from].round - m->signed_at[from] > X.push_rounds
            : age[o] < 1 || age[o] > X.push_rounds)
      continue;
    uint64_t tie = rng_hash(s->c->seed, XG_TIE, ((uint64_t)s->round << 32) | from, o) & 0x7fffffffu;
    m->cand[nc++] =
        (uint64_t)(own ? 0 : 1) << 63 | (uint64_t)(own ? 0 : age[o]) << 47 | tie << 16 | o;
  }
  if (!nc) return 0;
  qsort(m->cand, nc, sizeof *m->cand, cmp_u64);
  for (size_t k = 0; k < nc; k++) m->rep[k] = (uint32_t)(m->cand[k] & 0xffffu);
  size_t sent = 0;
  uint64_t before = m->xstat[2];
  if (emit(s, from, to, MSG_DELTA, rng_hash(tag, XG_TAG, 0xffff, 4), NULL, 0, nc, X.push_dgrams,
           NULL, &sent) != 0)
    return -1;
  m->xstat[3] += m->xstat[2] - before;
  m->xstat[4] += sent;
  return 0;
}

static int syn_chunked(struct sim *s, uint32_t from, struct payload *out) {
  struct rmodel *m = R(s);
  const struct sim_config *c = s->c;
  uint32_t to = sim_other(s, from, rng_hash(c->seed, RNG_PEER, s->round, from)); /* as sim.c */
  uint64_t tag = rng_hash(c->seed, RNG_SYN_TAG, s->round, from);
  if (X.mode == XCHG_CHUNKED_PUSH && push_fresh(s, from, to, tag) != 0) return -1;
  uint32_t *b = m->bnd, k = split_digest(s, from, MSG_SYN, 0, s->n, b);
  uint32_t send = k < X.max_chunks ? k : X.max_chunks;
  uint32_t start = rng_below(rng_hash(c->seed, XG_START, s->round, from), k);
  /* Chunks start, start + 1, ... (mod k): no range is always answered first
   * (the responder's budget is shared by the chunks in arrival order). */
  for (uint32_t q = 0; q < send; q++) {
    uint32_t ci = (start + q) % k, bb[2] = {b[ci], b[ci + 1]};
    size_t sent = 0;
    if (emit(s, from, to, MSG_SYN, rng_hash(tag, XG_TAG, q, 9), bb, 1, 0, 0,
             q + 1 == send ? out : NULL, &sent) != 0)
      return -1;
  }
  return 0;
}

static int syn(struct sim *s, uint32_t from, struct payload *out) {
  return X.mode == XCHG_V1 ? syn_v1(s, from, out) : syn_chunked(s, from, out);
}

/* Responder: one SYN chunk [lo, hi). */
static int answer_syn_chunk(struct sim *s, const struct msg *msg) {
  struct rmodel *m = R(s);
  const uint32_t *in = (const uint32_t *)msg->p.data;
  uint32_t to = msg->to, lo = in[X_LO], hi = in[X_HI];
  struct xside *x = &m->xs[to];
  if (x->rpeer != msg->from || x->rround != s->round) {
    x->rpeer = msg->from;
    x->rround = s->round;
    x->rchunks = x->rcount = 0;
    x->rused = 0;
  }
  if (x->rchunks >= X.max_chunks) return 0; /* the peer's C chunks are answered */
  uint32_t *b = m->bnd, nd = split_digest(s, to, MSG_ACK, lo, hi, b);
  if (nd > X.max_chunks - x->rchunks) nd = X.max_chunks - x->rchunks;
  x->rchunks += nd;
  size_t nr = xselect(s, to, in + X_HEAD, lo, hi, &x->rused, &x->rcount), sent = 0;
  s->r->reports_in_ack += nr;
  s->r->empty_ack += nr == 0;
  return emit(s, to, msg->from, MSG_ACK, sim_reply_tag(msg), b, nd, nr, UINT32_MAX, NULL, &sent);
}

/* Initiator: one ACK chunk [lo, hi) -> report-only DELTAs for [lo, hi). */
static int answer_ack_chunk(struct sim *s, const struct msg *msg) {
  struct rmodel *m = R(s);
  const uint32_t *in = (const uint32_t *)msg->p.data;
  uint32_t self = msg->to;
  struct xside *x = &m->xs[self];
  if (x->iround != s->round) {
    x->iround = s->round;
    x->icount = 0;
    x->iused = 0;
  }
  size_t nr = xselect(s, self, in + X_HEAD, in[X_LO], in[X_HI], &x->iused, &x->icount), sent = 0;
  if (!nr) return 0;
  s->r->reports_in_delta += nr;
  return emit(s, self, msg->from, MSG_DELTA, sim_reply_tag(msg), NULL, 0, nr, UINT32_MAX, NULL,
              &sent);
}

static int receive(struct sim *s, struct msg *msg) {
  if (X.mode == XCHG_V1) return sim_receive_exchange(s, msg);
  const uint32_t *in = (const uint32_t *)msg->p.data;
  if (msg->kind == MSG_SYN) return answer_syn_chunk(s, msg);
  if (msg->kind == MSG_ACK && in[P_HAS_DIGEST] && answer_ack_chunk(s, msg) != 0) return -1;
  return in[P_NREP] ? sim_defer_merge(s, msg) : 0;
}

const struct proto proto_model = {init,   fini,  restart, set_local, syn,     receive,
                                  answer, merge, tick,    verdicts,  version, insider_round};
