/* merge=sgp: every node is a real sgp_state, every message a real packet.
 *
 * A SYN/ACK/DELTA is built with sgp_state_make_syn/ack/delta into ONE heap
 * scratch packet, encoded with sgp_packet_encode; the receiver decodes it
 * with sgp_packet_decode into ONE other heap scratch packet (the struct is
 * ~575 KiB) and, at the end of the round, merges it with sgp_state_merge.
 * Reports are signed by the library with real Ed25519 keys derived from
 * the seed; verification goes through the memoizing verifier (memo.h).
 * A SYN carries no reports and an ACK without reports changes nothing when
 * merged, so neither is queued for the deferred merge.
 *
 * Insider (--insider X): X's signing key is stolen.  X itself keeps running
 * the honest library; the attacker additionally sends, each round, from X:
 *   1. a DELTA with reports about the framed host F (suspicion 5000) and the
 *      bot B (suspicion 0), at versions above anything held, signed with X's
 *      key: every receiver must verify them and rejects the packet;
 *   2. a DELTA with a report of X itself, signed with X's key (valid): a
 *      generation above X's current one, suspicion 0 and an opinion row
 *      listing F as silent (one vote).  X's own node sees its origin
 *      out-versioned and jumps its generation (SGP-MERGE-9), so the two
 *      keep alternating; only verdicts about X itself can change.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "memo.h"
#include "rng.h"
#include "sgp/consensus.h"
#include "sgp/report.h"

struct sgp_model {
  uint8_t (*pk)[SGP_SIGN_PK_BYTES];
  uint8_t (*sk)[64];
  struct sgp_state *st;
  uint8_t **mem;
  size_t mem_size;
  sgp_packet *build, *dec; /* the two scratch packets */
  uint8_t *enc;            /* SGP_MAX_PACKET encode buffer */
  struct memo *memo;
  struct sgp_verifier verifier;
  sgp_verdict *vout;
};

static struct sgp_model *M(const struct sim *s) {
  return s->model;
}

static void put_be(uint8_t *p, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; i++) p[n - 1 - i] = (uint8_t)(v >> (8 * i));
}

/* Ed25519 seed = SHA-256("sgpsim key v1" || seed u64be || id u32be). */
static int derive_keys(uint64_t seed, uint32_t id, uint8_t pk[32], uint8_t sk[64]) {
  static const char dom[] = "sgpsim key v1";
  uint8_t in[sizeof dom + 12], ks[32];
  memcpy(in, dom, sizeof dom);
  put_be(in + sizeof dom, seed, 8);
  put_be(in + sizeof dom + 8, id, 4);
  crypto_hash_sha256(ks, in, sizeof in);
  int rc = crypto_sign_seed_keypair(pk, sk, ks);
  sodium_memzero(ks, sizeof ks);
  return rc;
}

static int check(sgp_err e, const char *what) {
  if (e == SGP_OK) return 0;
  fprintf(stderr, "sgpsim: %s: %s\n", what, sgp_err_name(e));
  return -1;
}

static int start_node(struct sim *s, uint32_t id, uint32_t gen) {
  struct sgp_model *m = M(s);
  return check(sgp_state_init(&m->st[id], m->mem[id], m->mem_size, &s->c->params, id, gen,
                              (const uint8_t(*)[SGP_SIGN_PK_BYTES])m->pk, m->sk[id], &m->verifier),
               "sgp_state_init");
}

static void fini(struct sim *s) {
  struct sgp_model *m = M(s);
  if (!m) return;
  if (m->memo) {
    s->r->verify_calls = memo_calls(m->memo);
    s->r->verify_hits = memo_hits(m->memo);
  }
  if (m->mem)
    for (uint32_t i = 0; i < s->n; i++) free(m->mem[i]);
  if (m->sk) sodium_memzero(m->sk, (size_t)s->n * 64);
  free(m->mem);
  free(m->pk);
  free(m->sk);
  free(m->st);
  free(m->build);
  free(m->dec);
  free(m->enc);
  free(m->vout);
  memo_free(m->memo);
  free(m);
  s->model = NULL;
}

static int init(struct sim *s) {
  const struct sim_config *c = s->c;
  struct sgp_model *m = calloc(1, sizeof *m);
  if (!m) return -1;
  s->model = m;
  m->mem_size = sgp_state_mem_size(&c->params);
  s->r->mem_per_node = m->mem_size;
  m->pk = calloc(s->n, sizeof *m->pk);
  m->sk = calloc(s->n, sizeof *m->sk);
  m->st = calloc(s->n, sizeof *m->st);
  m->mem = calloc(s->n, sizeof *m->mem);
  m->build = malloc(sizeof *m->build);
  m->dec = malloc(sizeof *m->dec);
  m->enc = malloc(SGP_MAX_PACKET);
  m->vout = malloc(s->n * sizeof *m->vout);
  m->memo = memo_new(c->memo);
  if (!m->pk || !m->sk || !m->st || !m->mem || !m->build || !m->dec || !m->enc || !m->vout ||
      !m->memo || m->mem_size == 0)
    goto oom;
  m->verifier = memo_verifier(m->memo);
  for (uint32_t i = 0; i < s->n; i++) {
    if (derive_keys(c->seed, i, m->pk[i], m->sk[i]) != 0) return -1;
    m->mem[i] = malloc(m->mem_size);
    if (!m->mem[i]) goto oom;
  }
  for (uint32_t i = 0; i < s->n; i++) {
    if (start_node(s, i, 1) != 0) return -1;
    /* Nodes did not all start in the same T_gossip: a random heartbeat
     * phase keeps n/H heartbeats per round instead of n every H rounds. */
    uint32_t phase = sim_phase(s, i);
    for (uint32_t k = 0; k < phase; k++)
      if (check(sgp_state_tick(&m->st[i]), "sgp_state_tick") != 0) return -1;
  }
  return 0;
oom:
  fprintf(stderr, "sgpsim: out of memory (n=%u, %zu bytes of state per node)\n", s->n, m->mem_size);
  return -1;
}

static int restart(struct sim *s, uint32_t id) {
  uint32_t gen = M(s)->st[id].e[id].gen; /* own generation, as persisted */
  return start_node(s, id, gen + 1);
}

static int set_local(struct sim *s, uint32_t id, uint32_t suspicion, const uint16_t sub[5]) {
  return check(sgp_state_set_local(&M(s)->st[id], suspicion, sub), "sgp_state_set_local");
}

static int encode(struct sim *s, const sgp_packet *pkt, struct payload *out) {
  struct sgp_model *m = M(s);
  size_t len = 0;
  if (check(sgp_packet_encode(pkt, s->n, m->enc, SGP_MAX_PACKET, &len), "sgp_packet_encode") != 0)
    return -1;
  out->data = malloc(len ? len : 1);
  if (!out->data) return -1;
  memcpy(out->data, m->enc, len);
  out->len = len;
  out->wire = (uint32_t)len;
  return 0;
}

static int syn(struct sim *s, uint32_t from, struct payload *out) {
  struct sgp_model *m = M(s);
  if (check(sgp_state_make_syn(&m->st[from], m->build), "sgp_state_make_syn") != 0) return -1;
  return encode(s, m->build, out);
}

static int answer(struct sim *s, const struct msg *msg, struct payload *out, uint32_t *reports,
                  int *carries) {
  struct sgp_model *m = M(s);
  if (sgp_packet_decode(m->dec, s->n, msg->p.data, msg->p.len) != SGP_OK) return 1;
  const struct sgp_state *st = &m->st[msg->to];
  sgp_err e = msg->kind == MSG_SYN ? sgp_state_make_ack(st, m->dec, m->build, s->c->budget)
                                   : sgp_state_make_delta(st, m->dec, m->build, s->c->budget);
  if (check(e, msg->kind == MSG_SYN ? "sgp_state_make_ack" : "sgp_state_make_delta") != 0)
    return -1;
  *reports = m->build->reports_count;
  *carries = m->dec->reports_count > 0;
  /* A DELTA without reports is never sent (SGP-XCHG-5), so it is not encoded. */
  return msg->kind == MSG_SYN || *reports > 0 ? encode(s, m->build, out) : 0;
}

static int merge(struct sim *s, uint32_t to, const struct payload *p) {
  struct sgp_model *m = M(s);
  if (sgp_packet_decode(m->dec, s->n, p->data, p->len) != SGP_OK) return 1;
  return sgp_state_merge(&m->st[to], m->dec, NULL) == SGP_OK ? 0 : 1;
}

static int tick(struct sim *s, uint32_t id) {
  return check(sgp_state_tick(&M(s)->st[id]), "sgp_state_tick");
}

static void verdicts(struct sim *s, uint32_t id, uint8_t *out) {
  struct sgp_model *m = M(s);
  sgp_consensus_run(&m->st[id], m->vout);
  for (uint32_t j = 0; j < s->n; j++) out[j] = (uint8_t)m->vout[j];
}

static void version(const struct sim *s, uint32_t viewer, uint32_t origin, uint32_t *gen,
                    uint32_t *seq) {
  const struct sgp_entry *e = &M(s)->st[viewer].e[origin];
  *gen = e->gen;
  *seq = e->seq;
}

/* A report "by" origin, signed with the insider's (stolen) key. */
static int forge(struct sim *s, sgp_report_msg *r, uint32_t origin, uint32_t gen,
                 uint32_t suspicion, uint32_t sub, const uint32_t *silent, uint32_t silent_len) {
  memset(r, 0, sizeof *r);
  r->origin = origin;
  r->generation = gen;
  r->seq = 1;
  r->suspicion = suspicion;
  r->sub_count = SGP_SUBSCORES;
  for (size_t k = 0; k < SGP_SUBSCORES; k++) r->sub[k] = sub;
  r->silent_count = silent_len;
  for (uint32_t k = 0; k < silent_len; k++) r->silent[k] = silent[k];
  return check(sgp_report_sign(r, M(s)->sk[s->c->insider_id]), "sgp_report_sign");
}

static int send_forged(struct sim *s, uint32_t k) {
  const struct sim_config *c = s->c;
  uint32_t to = sim_other(s, c->insider_id, rng_hash(c->seed, RNG_INSIDER_PEER, s->round, k));
  struct payload out = {NULL, 0, 0};
  if (encode(s, M(s)->build, &out) != 0) return -1;
  s->r->forged_sent++;
  return sim_send(s, c->insider_id, to, MSG_DELTA, rng_hash(c->seed, RNG_INSIDER_TAG, s->round, k),
                  out);
}

static int insider_round(struct sim *s) {
  const struct sim_config *c = s->c;
  struct sgp_model *m = M(s);
  sgp_packet *p = m->build;
  uint32_t x = c->insider_id, f = c->frame_id;
  uint32_t b = s->r->has_comp ? s->r->comp_id : UINT32_MAX;
  p->version = SGP_PROTOCOL_VERSION;
  p->sender = x;
  p->kind = sgp_v1_Kind_KIND_DELTA;
  p->digest_count = 0;
  /* 1. Reports about others under the stolen key: always rejected. */
  uint32_t ids[2], nid = 0;
  if (f != x && f < s->n) ids[nid++] = f;
  if (b != x && b < s->n && b != f) ids[nid++] = b;
  if (nid == 2 && ids[0] > ids[1]) {
    uint32_t t = ids[0];
    ids[0] = ids[1];
    ids[1] = t;
  }
  p->reports_count = 0;
  for (uint32_t k = 0; k < nid; k++) {
    uint32_t id = ids[k];
    uint32_t susp = id == f ? SGP_SUSPICION_MAX : 0;
    if (forge(s, &p->reports[p->reports_count++], id, m->st[id].e[id].gen + 1, susp,
              id == f ? SGP_SUBSCORE_MAX : 0, NULL, 0) != 0)
      return -1;
  }
  if (nid && send_forged(s, 0) != 0) return -1;
  /* 2. X's own report, validly signed: a lie about itself and one vote. */
  uint32_t row[1] = {f};
  p->reports_count = 1;
  if (forge(s, &p->reports[0], x, m->st[x].e[x].gen + 1, 0, 0, row, f != x && f < s->n) != 0)
    return -1;
  return send_forged(s, 1);
}

const struct proto proto_sgp = {init,   fini,  restart, set_local, syn,     sim_receive_exchange,
                                answer, merge, tick,    verdicts,  version, insider_round};
