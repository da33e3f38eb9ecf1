/* Node engine (sgp/node.h): an in-memory cluster of real nodes over a
 * simulated network (loss, duplication, reordering by random delay), a
 * deterministic RNG, and raw "adversary" peers that hold a roster member's
 * keys and drive the session layer by hand. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/node.h"
#include "testutil.h"

enum { MAXN = 80, T_MS = 100 };

/* ---- deterministic randomness ---------------------------------------------- */

struct rng {
  uint64_t s;
};

static void rng_fill(void *ctx, uint8_t *out, size_t len) {
  struct rng *r = ctx;
  for (size_t i = 0; i < len; i++) out[i] = (uint8_t)(tu_rand(&r->s) >> 56);
}

static double rng_unit(struct rng *r) {
  return (double)(tu_rand(&r->s) >> 11) / 9007199254740992.0;
}

/* ---- the simulated cluster ------------------------------------------------------ */

struct msg {
  uint64_t at;
  uint32_t from, to;
  size_t len;
  uint8_t *b;
};

struct sim;
struct adv;
struct ctx {
  struct sim *s;
  uint32_t id;
};

struct sim {
  uint32_t n;
  uint64_t now;
  struct sgp_params p;
  struct sgp_secret_key key[MAXN];
  uint8_t sign_pk[MAXN][32], dh_pk[MAXN][32];
  struct sgp_addr addr[MAXN];
  struct sgp_roster roster;
  uint8_t src[MAXN][SGP_COOKIE_ADDR_MAX];
  size_t src_len[MAXN];
  struct sgp_node node[MAXN];
  void *mem[MAXN];
  struct rng rng[MAXN], net;
  struct ctx ctx[MAXN];
  uint8_t engine[MAXN]; /* 1: an sgp_node; 0: an adversary (adv[]) or nothing */
  uint8_t alive[MAXN];
  struct adv *adv[MAXN];
  double loss, dup;
  uint32_t max_delay;
  struct msg *q;
  size_t qn, qcap;
  crypto_hash_sha256_state h; /* every frame sent, for determinism */
  uint64_t frames;
  /* optional taps */
  void (*on_send)(struct sim *s, uint32_t from, uint32_t to, const uint8_t *src, size_t src_len,
                  const uint8_t *f, size_t len);
  void (*on_deliver)(struct sim *s, uint32_t to, const uint8_t *f, size_t len);
  void (*on_event)(struct sim *s, uint32_t id, const struct sgp_node_event *ev);
  void *user;
  int only; /* >= 0: poll only this engine (the others still receive) */
};

static void enqueue(struct sim *s, uint32_t from, uint32_t to, const uint8_t *f, size_t len) {
  if (s->qn == s->qcap) {
    s->qcap = s->qcap ? 2 * s->qcap : 64;
    s->q = realloc(s->q, s->qcap * sizeof *s->q);
    cr_assert(s->q);
  }
  struct msg *m = &s->q[s->qn++];
  m->at = s->now + 1 + (s->max_delay ? tu_rand(&s->net.s) % s->max_delay : 0);
  m->from = from;
  m->to = to;
  m->len = len;
  m->b = malloc(len);
  cr_assert(m->b);
  memcpy(m->b, f, len);
}

static void net_send(void *ctx, uint32_t peer, const uint8_t *src, size_t src_len, const uint8_t *f,
                     size_t len) {
  struct ctx *c = ctx;
  struct sim *s = c->s;
  crypto_hash_sha256_update(&s->h, (const uint8_t *)&c->id, sizeof c->id);
  crypto_hash_sha256_update(&s->h, (const uint8_t *)&peer, sizeof peer);
  crypto_hash_sha256_update(&s->h, f, len);
  s->frames++;
  if (s->on_send) s->on_send(s, c->id, peer, src, src_len, f, len);
  uint32_t to = peer;
  if (peer == SGP_NODE_TO_SRC) { /* route by source address */
    for (to = 0; to < s->n; to++)
      if (s->src_len[to] == src_len && memcmp(s->src[to], src, src_len) == 0) break;
    if (to == s->n) return;
  }
  cr_assert_lt(to, s->n);
  if (s->loss > 0 && rng_unit(&s->net) < s->loss) return;
  enqueue(s, c->id, to, f, len);
  if (s->dup > 0 && rng_unit(&s->net) < s->dup) enqueue(s, c->id, to, f, len);
}

static void net_event(void *ctx, const struct sgp_node_event *ev) {
  struct ctx *c = ctx;
  if (c->s->on_event) c->s->on_event(c->s, c->id, ev);
}

static void make_key(struct sgp_secret_key *k, uint32_t i, uint8_t tweak) {
  uint8_t a[32], b[32];
  memset(a, (int)(0x40 + i), sizeof a);
  memset(b, (int)(0x80 + i), sizeof b);
  a[0] = b[0] = tweak;
  cr_assert_eq(sgp_secret_key_from_seeds(k, i, a, b), SGP_OK);
}

static struct sgp_node_config node_config(struct sim *s, uint32_t i) {
  struct sgp_node_config c = {
      .params = s->p,
      .self = i,
      .generation = 1,
      .roster = &s->roster,
      .key = &s->key[i],
      .t_gossip_ms = T_MS,
      .reasm_global_bytes = SGP_REASM_GLOBAL_MIN,
      .rng = rng_fill,
      .rng_ctx = &s->rng[i],
      .send = net_send,
      .send_ctx = &s->ctx[i],
      .event = net_event,
      .event_ctx = &s->ctx[i],
  };
  return c;
}

static void node_start(struct sim *s, uint32_t i, uint8_t jigsaw, enum sgp_carrier_kind carrier) {
  struct sgp_node_config c = node_config(s, i);
  c.jigsaw = jigsaw;
  c.carrier = carrier;
  size_t len = sgp_node_mem_size(&c);
  cr_assert_gt(len, 0);
  s->mem[i] = aligned_alloc(8, (len + 7) & ~(size_t)7);
  cr_assert(s->mem[i]);
  cr_assert_eq(sgp_node_init(&s->node[i], &c, s->mem[i], len, s->now), SGP_OK);
  s->engine[i] = 1;
  s->alive[i] = 1;
}

/* n roster members; engines for ids < engines (the rest are free for adversaries). */
static struct sim *sim_new(uint32_t n, uint32_t engines, uint64_t seed, uint8_t jigsaw,
                           enum sgp_carrier_kind carrier) {
  cr_assert(sodium_init() >= 0);
  struct sim *s = calloc(1, sizeof *s);
  cr_assert(s);
  s->n = n;
  s->only = -1;
  sgp_params_default(&s->p, n);
  s->p.heartbeat = 3;
  s->p.t_cleanup = 15;
  s->net.s = seed * 0x9e3779b97f4a7c15u + 1;
  crypto_hash_sha256_init(&s->h);
  for (uint32_t i = 0; i < n; i++) {
    make_key(&s->key[i], i, 1);
    memcpy(s->sign_pk[i], s->key[i].sign_pk, 32);
    memcpy(s->dh_pk[i], s->key[i].dh_pk, 32);
    s->addr[i] = (struct sgp_addr){
        .family = SGP_ADDR_V4, .ip = {127, 0, 0, 1}, .port = (uint16_t)(20000 + i)};
    cr_assert_eq(sgp_cookie_addr(&s->addr[i], s->src[i], &s->src_len[i]), SGP_OK);
    s->rng[i].s = seed * 1000003u + i + 7;
    s->ctx[i] = (struct ctx){s, i};
  }
  s->roster = (struct sgp_roster){
      .n = n, .cap = n, .sign_pk = s->sign_pk, .dh_pk = s->dh_pk, .addr = s->addr};
  for (uint32_t i = 0; i < engines; i++) node_start(s, i, jigsaw, carrier);
  return s;
}

static void adv_recv(struct sim *s, uint32_t id, const uint8_t *f, size_t len);

static void deliver(struct sim *s, uint32_t from, uint32_t to, const uint8_t *b, size_t len) {
  if (!s->alive[to] || !s->alive[from]) return;
  if (s->on_deliver) s->on_deliver(s, to, b, len);
  if (s->engine[to]) {
    sgp_err rc = sgp_node_recv(&s->node[to], s->now, s->src[from], s->src_len[from], b, len);
    (void)rc; /* drops are expected under dup/reorder; counted by the node */
  } else if (s->adv[to]) {
    adv_recv(s, to, b, len);
  }
}

static void deliver_due(struct sim *s) {
  for (size_t k = 0; k < s->qn;) {
    if (s->q[k].at > s->now) {
      k++;
      continue;
    }
    struct msg m = s->q[k];
    memmove(&s->q[k], &s->q[k + 1], (s->qn - k - 1) * sizeof *s->q);
    s->qn--;
    deliver(s, m.from, m.to, m.b, m.len);
    free(m.b);
  }
}

/* Drops every datagram in flight. */
static void sim_purge(struct sim *s) {
  for (size_t k = 0; k < s->qn; k++) free(s->q[k].b);
  s->qn = 0;
}

static void sim_step(struct sim *s) {
  s->now++;
  deliver_due(s);
  for (uint32_t i = 0; i < s->n; i++) {
    if (!s->engine[i] || !s->alive[i] || (s->only >= 0 && (uint32_t)s->only != i)) continue;
    if (sgp_node_next_deadline(&s->node[i]) <= s->now)
      cr_assert_eq(sgp_node_poll(&s->node[i], s->now), SGP_OK);
  }
}

static void sim_run_ms(struct sim *s, uint64_t ms) {
  uint64_t end = s->now + ms;
  while (s->now < end) sim_step(s);
}

/* Runs until engine `i` has completed `rounds` more rounds. */
static void sim_run_rounds(struct sim *s, uint32_t i, uint64_t rounds) {
  uint64_t target = sgp_node_round(&s->node[i]) + rounds;
  while (sgp_node_round(&s->node[i]) < target) sim_step(s);
}

static void adv_free(struct adv *a);

static void sim_free(struct sim *s) {
  for (uint32_t i = 0; i < s->n; i++) {
    if (s->engine[i]) sgp_node_destroy(&s->node[i]);
    free(s->mem[i]);
    if (s->adv[i]) adv_free(s->adv[i]);
  }
  for (size_t k = 0; k < s->qn; k++) free(s->q[k].b);
  free(s->q);
  free(s);
}

static void state_hash(const struct sim *s, uint32_t i, uint8_t out[32]) {
  sgp_state_hash(&s->node[i].state, out);
}

/* ---- adversary: roster member `id` driven by hand --------------------------------- */

struct adv {
  uint32_t id;
  struct sgp_sessions ss;
  struct sgp_session_peer *peers;
  struct sgp_session_index *index;
  uint32_t msg_ctr;
  uint32_t cur_index;
  struct rng rng;
  uint8_t last_init[SGP_DGRAM_MAX];
  size_t last_init_len;
  uint32_t data_rx, init_rx, init_rx_empty, keepalive_rx; /* what engines sent it */
};

static struct adv *adv_new(struct sim *s, uint32_t id) {
  struct adv *a = calloc(1, sizeof *a);
  cr_assert(a);
  a->id = id;
  a->rng.s = 0xadu + id;
  a->peers = calloc(s->n, sizeof *a->peers);
  size_t cap = sgp_session_index_cap(s->n);
  a->index = calloc(cap, sizeof *a->index);
  struct sgp_session_config c = {.self = id,
                                 .n = s->n,
                                 .dh_sk = s->key[id].dh_sk,
                                 .dh_pk = (const uint8_t(*)[32])s->dh_pk,
                                 .generation = 1,
                                 .rng = rng_fill,
                                 .rng_ctx = &a->rng,
                                 .peers = a->peers,
                                 .peers_cap = s->n,
                                 .index = a->index,
                                 .index_cap = cap};
  cr_assert_eq(sgp_session_init(&a->ss, &c, s->now), SGP_OK);
  s->adv[id] = a;
  s->alive[id] = 1;
  return a;
}

static void adv_free(struct adv *a) {
  sgp_session_destroy(&a->ss);
  free(a->peers);
  free(a->index);
  free(a);
}

static void adv_emit(struct sim *s, struct adv *a, uint32_t to, const uint8_t *d, size_t len) {
  deliver(s, a->id, to, d, len);
}

/* Answers handshakes so that engines can talk to the adversary. */
static void adv_recv(struct sim *s, uint32_t id, const uint8_t *f, size_t len) {
  struct adv *a = s->adv[id];
  uint8_t pt[SGP_DGRAM_MAX], out[SGP_DGRAM_MAX];
  struct sgp_rx rx;
  size_t olen = 0;
  if (sgp_session_recv(&a->ss, s->now, f, len, NULL, 0, pt, sizeof pt, &rx) != SGP_OK) return;
  a->data_rx += rx.kind == SGP_RX_DATA;
  a->keepalive_rx += rx.kind == SGP_RX_KEEPALIVE;
  a->init_rx += rx.kind == SGP_RX_INITIATION;
  a->init_rx_empty += rx.kind == SGP_RX_INITIATION && rx.payload_len == 0;
  if (rx.kind == SGP_RX_INITIATION &&
      sgp_session_respond(&a->ss, rx.peer, NULL, 0, s->now, out, sizeof out, &olen) == SGP_OK)
    adv_emit(s, a, rx.peer, out, olen);
  if (rx.kind == SGP_RX_RESPONSE &&
      sgp_session_keepalive(&a->ss, rx.peer, s->now, out, sizeof out, &olen) == SGP_OK)
    adv_emit(s, a, rx.peer, out, olen);
}

/* A handshake with engine `to`, completed at once. */
static void adv_connect(struct sim *s, struct adv *a, uint32_t to) {
  uint8_t out[SGP_DGRAM_MAX];
  size_t len = 0;
  cr_assert_eq(sgp_session_initiate(&a->ss, to, NULL, 0, s->now, out, sizeof out, &len), SGP_OK);
  memcpy(a->last_init, out, len);
  a->last_init_len = len;
  adv_emit(s, a, to, out, len);
  sim_run_ms(s, 5); /* response and keepalive cross the network */
  cr_assert(sgp_session_status(&a->ss, to, s->now) & SGP_PEER_CAN_SEND);
}

/* Sends msg to engine `to` as one data message; returns the engine's
 * verdict on the last fragment. */
static sgp_err adv_send_bytes(struct sim *s, struct adv *a, uint32_t to, const uint8_t *msg,
                              size_t len) {
  struct sgp_frag_layout l;
  cr_assert_eq(sgp_frag_layout((uint32_t)len, 0, &l), SGP_OK);
  uint32_t id = 0;
  cr_assert_eq(sgp_frag_next_id(&a->msg_ctr, &id), SGP_OK);
  sgp_err rc = SGP_OK;
  for (uint32_t i = 0; i < l.count; i++) {
    uint8_t pt[SGP_FRAG_DATA], ad[SGP_FRAG_AD_BYTES], d[SGP_DGRAM_MAX];
    struct sgp_frag_hdr h;
    size_t pl = 0, dl = 0;
    cr_assert_eq(sgp_frag_make(msg, len, 0, id, i, &h, pt, sizeof pt, &pl), SGP_OK);
    cr_assert_eq(sgp_frag_ad(ad, &h, 0, 0), SGP_OK);
    cr_assert_eq(sgp_session_seal(&a->ss, to, s->now, 0, ad + 16, pt, pl, d, sizeof d, &dl),
                 SGP_OK);
    rc = sgp_node_recv(&s->node[to], s->now, s->src[a->id], s->src_len[a->id], d, dl);
  }
  return rc;
}

static sgp_err adv_send(struct sim *s, struct adv *a, uint32_t to, const sgp_packet *p) {
  static uint8_t enc[SGP_MAX_PACKET];
  size_t len = 0;
  cr_assert_eq(sgp_packet_encode(p, 0, enc, sizeof enc, &len), SGP_OK);
  return adv_send_bytes(s, a, to, enc, len);
}

static sgp_packet *pkt_new(void) {
  sgp_packet *p = calloc(1, sizeof *p);
  cr_assert(p);
  return p;
}

/* A DELTA from `sender` carrying one report of `origin` signed with its key. */
static void delta_of(struct sim *s, sgp_packet *p, uint32_t sender, uint32_t origin, uint32_t gen,
                     uint32_t seq) {
  sgp_report_msg r;
  tu_report(&r, s->key[origin].sign_sk, origin, gen, seq, 100, NULL, 0);
  tu_delta(p, sender, &r, 1);
}

static void ack_of(sgp_packet *p, uint32_t sender) {
  memset(p, 0, sizeof *p);
  p->version = SGP_PROTOCOL_VERSION;
  p->sender = sender;
  p->kind = sgp_v1_Kind_KIND_ACK;
  p->digest_count = 1;
  p->digest[0] = (sgp_version_msg){.origin = sender, .generation = 1, .seq = 1, .tag = 1};
}

static void syn_of(sgp_packet *p, uint32_t sender) {
  ack_of(p, sender);
  p->kind = sgp_v1_Kind_KIND_SYN;
}

/* Every engine holds every engine's own current version. */
static int converged(const struct sim *s) {
  for (uint32_t i = 0; i < s->n; i++) {
    if (!s->engine[i] || !s->alive[i]) continue;
    for (uint32_t j = 0; j < s->n; j++) {
      if (!s->engine[j] || !s->alive[j]) continue;
      const struct sgp_entry *own = &s->node[j].state.e[j], *seen = &s->node[i].state.e[j];
      if (own->gen != seen->gen || own->seq != seen->seq) return 0;
    }
  }
  return 1;
}

static void set_susp(struct sim *s, uint32_t i, uint32_t susp) {
  const uint16_t sub[5] = {0};
  cr_assert_eq(sgp_node_set_local(&s->node[i], susp, sub), SGP_OK);
}

/* ---- tests ------------------------------------------------------------------------------------
 */

/* SGP-XCHG-7, SGP-XPORT-11, SGP-XPORT-29, SGP-FRAG-15, SGP-WIRE-31: a 16-node
 * cluster under 10% loss, 5% duplication and reordering converges on every
 * version.  Node 15 joins late and starts its first exchange before anyone
 * else's round, so the ACK to its SYN (15 reports) is too large for the
 * response and goes as data once the session is confirmed. */
Test(node, cluster_converges_under_loss_dup_reorder) {
  enum { N = 16 };
  struct sim *s = sim_new(N, 0, 1, 0, SGP_CARRIER_RAW);
  s->p.heartbeat = s->p.t_cleanup = 1000; /* versions change only when told to */
  const uint16_t sub[5] = {900, 800, 700, 600, 500};
  for (uint32_t i = 0; i < N; i++) {
    node_start(s, i, 0, SGP_CARRIER_RAW);
    cr_assert_eq(sgp_node_set_local(&s->node[i], 100 * i, sub), SGP_OK);
  }
  s->alive[N - 1] = 0;
  s->loss = 0.10;
  s->dup = 0.05;
  s->max_delay = 40;
  uint64_t limit = 400;
  while (!converged(s) && limit--) sim_run_rounds(s, 0, 1);
  cr_assert(converged(s), "15 nodes not converged after 400 rounds");
  sim_purge(s); /* nothing old reaches node 15 */
  s->alive[N - 1] = 1;
  s->loss = s->dup = 0;
  s->max_delay = 1;
  s->only = N - 1;
  sim_run_rounds(s, N - 1, 1);
  sim_run_ms(s, 20);
  cr_assert_eq(sgp_node_stats(&s->node[N - 1])->rounds, 1);
  /* Only node 15 ran a round: it learned the others from the owed ACK. */
  for (uint32_t j = 0; j < N; j++) cr_assert_eq(s->node[N - 1].state.e[j].suspicion, 100 * j);
  s->only = -1;
  s->loss = 0.10;
  s->dup = 0.05;
  s->max_delay = 40;
  limit = 400;
  while (!converged(s) && limit--) sim_run_rounds(s, 0, 1);
  cr_assert(converged(s), "16 nodes not converged after 400 more rounds");
  uint64_t owed = 0, data_pkts = 0;
  for (uint32_t i = 0; i < N; i++) {
    const struct sgp_node_stats *st = sgp_node_stats(&s->node[i]);
    owed += st->ack_owed;
    data_pkts += st->delta_sent;
    cr_assert_eq(st->drop[SGP_NODE_DROP_PACKET], 0); /* no packet rejected */
    cr_assert_eq(s->node[i].state.e[i].suspicion, 100 * i);
    cr_assert_eq(st->rounds, sgp_node_round(&s->node[i]));
  }
  cr_assert_gt(owed, 0, "no ACK went as data (SGP-XPORT-29 not exercised)");
  cr_assert_gt(data_pkts, 0);
  sim_free(s);
}

/* SGP-CONS-1 through the node: a node whose agent reports 4500 is
 * COMPROMISED at every node within 15 rounds (analytic 1 + D(5) ~ 3). */
Test(node, compromised_everywhere_within_bound) {
  struct sim *s = sim_new(5, 5, 2, 0, SGP_CARRIER_RAW);
  s->loss = 0.10;
  s->max_delay = 20;
  sim_run_rounds(s, 0, 60); /* sessions up */
  set_susp(s, 2, 4500);
  uint32_t rounds = 0;
  for (;;) {
    int all = 1;
    for (uint32_t i = 0; i < 5; i++)
      all &= sgp_node_verdict(&s->node[i], 2) == SGP_VERDICT_COMPROMISED;
    if (all) break;
    cr_assert_lt(rounds++, 15, "not COMPROMISED everywhere within 15 rounds");
    sim_run_rounds(s, 2, 1);
  }
  sim_free(s);
}

/* A node that stops is SILENT at every live node within
 * T_cleanup + H + 2 D(n) + slack rounds (§6.4). */
Test(node, stopped_node_silent_everywhere) {
  struct sim *s = sim_new(5, 5, 3, 0, SGP_CARRIER_RAW);
  s->loss = 0.05;
  s->max_delay = 20;
  sim_run_rounds(s, 0, 40);
  for (uint32_t i = 0; i < 5; i++)
    cr_assert_eq(sgp_node_verdict(&s->node[i], 4), SGP_VERDICT_CLEAN);
  s->alive[4] = 0;
  uint32_t bound = s->p.t_cleanup + s->p.heartbeat + 2 * 3 + 10, rounds = 0;
  for (;;) {
    int all = 1;
    for (uint32_t i = 0; i < 4; i++) all &= sgp_node_verdict(&s->node[i], 4) == SGP_VERDICT_SILENT;
    if (all) break;
    cr_assert_lt(rounds++, bound, "not SILENT everywhere within %u rounds", bound);
    sim_run_rounds(s, 0, 1);
  }
  for (uint32_t i = 0; i < 4; i++)
    cr_assert_eq(sgp_node_verdict(&s->node[i], 0), SGP_VERDICT_CLEAN);
  sim_free(s);
}

/* SGP-NODE-13, SGP-XPORT-52: datagrams from a key outside the roster, and
 * garbage, change nothing but counters. */
Test(node, unknown_key_changes_nothing) {
  struct sim *s = sim_new(3, 3, 4, 0, SGP_CARRIER_RAW);
  sim_run_rounds(s, 0, 20);
  uint8_t before[32], after[32];
  state_hash(s, 0, before);
  const struct sgp_node_stats *st = sgp_node_stats(&s->node[0]);
  uint64_t accepted = st->rx_accepted;

  /* An outsider claiming to be node 1 with its own static key: mac1 passes
   * (it knows node 0's public key), the Noise read fails. */
  struct sgp_secret_key out_key;
  make_key(&out_key, 1, 99);
  uint8_t fake_dh[MAXN][32];
  memcpy(fake_dh, s->dh_pk, sizeof fake_dh);
  memcpy(fake_dh[1], out_key.dh_pk, 32);
  struct sgp_session_peer peers[3];
  struct sgp_session_index index[32];
  struct rng r = {5};
  struct sgp_session_config c = {.self = 1,
                                 .n = 3,
                                 .dh_sk = out_key.dh_sk,
                                 .dh_pk = (const uint8_t(*)[32])fake_dh,
                                 .generation = 9,
                                 .rng = rng_fill,
                                 .rng_ctx = &r,
                                 .peers = peers,
                                 .peers_cap = 3,
                                 .index = index,
                                 .index_cap = sgp_session_index_cap(3)};
  struct sgp_sessions outsider;
  cr_assert_eq(sgp_session_init(&outsider, &c, s->now), SGP_OK);
  uint8_t d[SGP_DGRAM_MAX];
  size_t len = 0;
  cr_assert_eq(sgp_session_initiate(&outsider, 0, NULL, 0, s->now, d, sizeof d, &len), SGP_OK);
  uint64_t frames = s->frames;
  cr_assert_eq(sgp_node_recv(&s->node[0], s->now, s->src[1], s->src_len[1], d, len),
               SGP_ERR_CRYPTO);
  cr_assert_eq(st->drop[SGP_NODE_DROP_HANDSHAKE], 1);
  cr_assert_eq(s->frames, frames, "answered an outsider");
  sgp_session_destroy(&outsider);

  uint8_t junk[200];
  memset(junk, 0x5a, sizeof junk);
  junk[0] = 4, junk[1] = junk[2] = junk[3] = 0;
  cr_assert_eq(sgp_node_recv(&s->node[0], s->now, s->src[1], s->src_len[1], junk, 100),
               SGP_ERR_UNKNOWN_INDEX);
  junk[0] = 0x77;
  cr_assert_eq(sgp_node_recv(&s->node[0], s->now, s->src[1], s->src_len[1], junk, 100),
               SGP_ERR_CARRIER_UNKNOWN);
  cr_assert_eq(st->drop[SGP_NODE_DROP_CARRIER], 1);
  cr_assert_eq(st->drop[SGP_NODE_DROP_UNKNOWN_INDEX], 1);
  state_hash(s, 0, after);
  cr_assert_eq(memcmp(before, after, 32), 0);
  cr_assert_eq(st->rx_accepted, accepted);
  sgp_secret_key_wipe(&out_key);
  sim_free(s);
}

/* SGP-XCHG-11, SGP-FRAG-15, SGP-XPORT-21: a packet whose sender is not the
 * authenticated peer is rejected with SGP_ERR_SENDER, in a data message
 * and in an initiation payload (the handshake itself still completes). */
Test(node, sender_mismatch_rejected) {
  struct sim *s = sim_new(3, 1, 5, 0, SGP_CARRIER_RAW);
  struct adv *a = adv_new(s, 1);
  adv_connect(s, a, 0);
  uint8_t before[32], after[32];
  state_hash(s, 0, before);
  sgp_packet *p = pkt_new();
  delta_of(s, p, 2, 1, 1, 5); /* authenticated as 1, claims 2 */
  cr_assert_eq(adv_send(s, a, 0, p), SGP_ERR_SENDER);
  const struct sgp_node_stats *st = sgp_node_stats(&s->node[0]);
  cr_assert_eq(st->drop_packet[SGP_ERR_SENDER], 1);
  cr_assert_eq(st->drop[SGP_NODE_DROP_PACKET], 1);
  state_hash(s, 0, after);
  cr_assert_eq(memcmp(before, after, 32), 0);

  /* The same in the SYN of an initiation (from adversary 2). */
  struct adv *b = adv_new(s, 2);
  static uint8_t enc[SGP_MAX_PACKET];
  size_t len = 0, dl = 0;
  syn_of(p, 1);
  cr_assert_eq(sgp_packet_encode(p, 3, enc, sizeof enc, &len), SGP_OK);
  uint8_t d[SGP_DGRAM_MAX];
  cr_assert_eq(sgp_session_initiate(&b->ss, 0, enc, len, s->now, d, sizeof d, &dl), SGP_OK);
  uint64_t tx_resp = s->node[0].sessions.stats.tx_response;
  cr_assert_eq(sgp_node_recv(&s->node[0], s->now, s->src[2], s->src_len[2], d, dl), SGP_ERR_SENDER);
  cr_assert_eq(st->drop_packet[SGP_ERR_SENDER], 2);
  cr_assert_eq(s->node[0].sessions.stats.tx_response, tx_resp + 1);
  state_hash(s, 0, after);
  cr_assert_eq(memcmp(before, after, 32), 0);
  free(p);
  sim_free(s);
}

/* SGP-WIRE-31, SGP-NODE-13: a delivered message that fails decoding never
 * reaches merge or the exchange: dropped, counted by its error code. */
Test(node, undecodable_packet_dropped_by_code) {
  struct sim *s = sim_new(3, 1, 18, 0, SGP_CARRIER_RAW);
  struct adv *a = adv_new(s, 1);
  adv_connect(s, a, 0);
  uint8_t before[32], after[32];
  state_hash(s, 0, before);
  const struct sgp_node_stats *st = sgp_node_stats(&s->node[0]);
  uint64_t merged = st->packets_merged, acks = st->ack_sent;
  const uint8_t version2[] = {0x08, 0x02, 0x10, 0x01, 0x18, 0x01}; /* version 2, SYN */
  const uint8_t junk[] = {0xff, 0xff, 0xff};
  sgp_err rc1 = adv_send_bytes(s, a, 0, version2, sizeof version2);
  cr_assert_eq(rc1, SGP_ERR_VERSION);
  sgp_err rc2 = adv_send_bytes(s, a, 0, junk, sizeof junk);
  cr_assert_neq(rc2, SGP_OK);
  cr_assert_eq(st->drop_packet[SGP_ERR_VERSION], 1);
  cr_assert_eq(st->drop_packet[rc2], 1);
  cr_assert_eq(st->drop[SGP_NODE_DROP_PACKET], 2);
  cr_assert_eq(st->packets_merged, merged);
  cr_assert_eq(st->ack_sent, acks);
  state_hash(s, 0, after);
  cr_assert_eq(memcmp(before, after, 32), 0);
  sim_free(s);
}

/* SGP-XPORT-14, SGP-XPORT-26: a SYN larger than an initiation can carry
 * (80 held origins) goes as data right after the response of a handshake
 * whose initiation carried no payload. */
Test(node, large_syn_follows_handshake_as_data) {
  enum { N = 80 };
  struct sim *s = sim_new(N, 1, 19, 0, SGP_CARRIER_RAW);
  struct adv *a = adv_new(s, 1);
  struct adv *b = adv_new(s, 2);
  adv_connect(s, a, 0);
  sgp_report_msg *rs = calloc(N - 1, sizeof *rs);
  cr_assert(rs);
  for (uint32_t o = 1; o < N; o++)
    tu_report(&rs[o - 1], s->key[o].sign_sk, o, 1, 2, 10 * o, NULL, 0);
  sgp_packet *p = pkt_new();
  tu_delta(p, 1, rs, N - 1);
  cr_assert_eq(adv_send(s, a, 0, p), SGP_OK);
  cr_assert_eq(s->node[0].state.e[N - 1].seq, 2);
  size_t syn_len = 0;
  cr_assert_eq(sgp_state_make_syn(&s->node[0].state, p), SGP_OK);
  static uint8_t enc[SGP_MAX_PACKET];
  cr_assert_eq(sgp_packet_encode(p, N, enc, sizeof enc, &syn_len), SGP_OK);
  cr_assert_gt(syn_len, SGP_SYN_MAX);
  const struct sgp_node_stats *st = sgp_node_stats(&s->node[0]);
  for (int guard = 0; guard < 2000 && b->init_rx == 0; guard++) sim_run_rounds(s, 0, 1);
  cr_assert_gt(b->init_rx, 0, "node 0 never picked node 2");
  cr_assert_eq(b->init_rx_empty, b->init_rx);
  sim_run_ms(s, 5); /* response, then the SYN as data */
  cr_assert_gt(b->data_rx, 0, "no SYN as data after the response");
  cr_assert_eq(st->keepalive_sent, 0); /* the SYN was the data message of SGP-XPORT-26 */
  free(rs);
  free(p);
  sim_free(s);
}

/* SGP-XCHG-13: at most 2 SYNs and 4 ACK/DELTA packets per peer and round;
 * further ones are SGP_ERR_RATE_LIMITED (drop_rate); the next round
 * accepts again. */
Test(node, per_round_packet_limits) {
  struct sim *s = sim_new(3, 1, 6, 0, SGP_CARRIER_RAW);
  struct adv *a = adv_new(s, 1);
  adv_connect(s, a, 0);
  sim_run_rounds(s, 0, 1);
  sgp_packet *p = pkt_new();
  const struct sgp_node_stats *st = sgp_node_stats(&s->node[0]);
  for (uint32_t k = 0; k < 4; k++) {
    delta_of(s, p, 1, 1, 1, 10 + k);
    cr_assert_eq(adv_send(s, a, 0, p), SGP_OK);
  }
  cr_assert_eq(s->node[0].state.e[1].seq, 13);
  delta_of(s, p, 1, 1, 1, 20);
  cr_assert_eq(adv_send(s, a, 0, p), SGP_ERR_RATE_LIMITED);
  cr_assert_eq(s->node[0].state.e[1].seq, 13, "over-limit packet merged");
  cr_assert_eq(st->drop[SGP_NODE_DROP_RATE], 1);
  syn_of(p, 1);
  cr_assert_eq(adv_send(s, a, 0, p), SGP_OK);
  cr_assert_eq(adv_send(s, a, 0, p), SGP_OK);
  cr_assert_eq(adv_send(s, a, 0, p), SGP_ERR_RATE_LIMITED);
  cr_assert_eq(st->drop[SGP_NODE_DROP_RATE], 2);
  cr_assert_eq(st->syn_received, 2);
  sim_run_rounds(s, 0, 1);
  delta_of(s, p, 1, 1, 1, 20);
  cr_assert_eq(adv_send(s, a, 0, p), SGP_OK);
  cr_assert_eq(s->node[0].state.e[1].seq, 20);
  free(p);
  sim_free(s);
}

/* Node 0's ROUND events (simulated time, round number, peer picked), in
 * order; the sim's on_event hook with s->user a struct round_log. */
enum { ROUND_LOG_CAP = 4096 };
struct round_log {
  uint64_t at[ROUND_LOG_CAP];
  uint32_t peer[ROUND_LOG_CAP];
  uint64_t round[ROUND_LOG_CAP];
  size_t n;
};

static void log_round(struct sim *s, uint32_t id, const struct sgp_node_event *ev) {
  struct round_log *lg = s->user;
  if (id != 0 || ev->kind != SGP_NODE_EV_ROUND || lg->n == ROUND_LOG_CAP) return;
  lg->at[lg->n] = s->now;
  lg->round[lg->n] = ev->round;
  lg->peer[lg->n++] = ev->peer;
}

/* SGP-XCHG-12: an ACK is answered with a DELTA only if node 0 sent that
 * peer a SYN in the current or the previous round, once per SYN. */
Test(node, delta_only_for_recent_syn) {
  struct sim *s = sim_new(3, 1, 7, 0, SGP_CARRIER_RAW);
  struct round_log *lg = calloc(1, sizeof *lg);
  s->user = lg;
  s->on_event = log_round;
  struct adv *a = adv_new(s, 1);
  struct adv *b = adv_new(s, 2);
  adv_connect(s, a, 0);
  sgp_packet *p = pkt_new();
  const struct sgp_node_stats *st = sgp_node_stats(&s->node[0]);
  int fresh = 0, prev = 0, stale = 0;
  size_t fresh_k = 0, acked_k = SIZE_MAX; /* iteration of the last ACK sent */
  for (int guard = 0; guard < 400 && !(fresh && prev && stale); guard++) {
    sim_run_rounds(s, 0, 1);
    size_t k = lg->n - 1;
    int now1 = lg->peer[k] == 1;
    int prev1 = k >= 1 && lg->peer[k - 1] == 1;
    int old1 = k >= 2 && lg->peer[k - 2] == 1;
    uint64_t deltas = st->delta_sent, unanswered = st->ack_unanswered;
    if (!fresh && now1) {
      ack_of(p, 1);
      cr_assert_eq(adv_send(s, a, 0, p), SGP_OK);
      cr_assert_eq(st->delta_sent, deltas + 1, "ACK to this round's SYN not answered");
      cr_assert_eq(adv_send(s, a, 0, p), SGP_OK); /* a second ACK to the same SYN */
      cr_assert_eq(st->delta_sent, deltas + 1);
      cr_assert_eq(st->ack_unanswered, unanswered + 1);
      fresh = 1;
      fresh_k = acked_k = k;
    } else if (!prev && fresh && !now1 && prev1 && fresh_k != k - 1) {
      ack_of(p, 1);
      cr_assert_eq(adv_send(s, a, 0, p), SGP_OK);
      cr_assert_eq(st->delta_sent, deltas + 1, "ACK to the previous round's SYN not answered");
      prev = 1;
      acked_k = k;
    } else if (!stale && fresh && !now1 && !prev1 && old1 &&
               (acked_k == SIZE_MAX || acked_k + 2 < k)) {
      ack_of(p, 1);
      cr_assert_eq(adv_send(s, a, 0, p), SGP_OK); /* merged, not answered */
      cr_assert_eq(st->delta_sent, deltas);
      cr_assert_eq(st->ack_unanswered, unanswered + 1);
      stale = 1;
    }
  }
  cr_assert(fresh && prev && stale);
  /* SGP-XPORT-26: node 0's handshakes with adversary 2 got empty responses
   * (no ACK, so no DELTA): each was followed by a keepalive at once. */
  cr_assert_gt(b->init_rx, 0);
  cr_assert_gt(b->keepalive_rx, 0);
  free(p);
  free(lg);
  sim_free(s);
}

static int gen_events;
static uint32_t gen_value;
static void log_gen(struct sim *s, uint32_t id, const struct sgp_node_event *ev) {
  (void)s;
  if (id == 0 && ev->kind == SGP_NODE_EV_GENERATION) {
    gen_events++;
    gen_value = ev->generation;
  }
}

/* SGP-MERGE-9 with SGP-STATE-5 at the node: a raised own generation is
 * announced and no gossip packet leaves until the caller persisted it. */
Test(node, generation_jump_pauses_until_persisted) {
  struct sim *s = sim_new(3, 1, 8, 0, SGP_CARRIER_RAW);
  gen_events = 0;
  s->on_event = log_gen;
  struct adv *a = adv_new(s, 1);
  adv_new(s, 2);
  adv_connect(s, a, 0);
  sim_run_rounds(s, 0, 2);
  sgp_packet *p = pkt_new();
  delta_of(s, p, 1, 0, 5, 1); /* our own origin at generation 5 (a leaked key) */
  cr_assert_eq(adv_send(s, a, 0, p), SGP_OK);
  cr_assert_eq(gen_events, 1);
  cr_assert_eq(gen_value, 6);
  cr_assert_eq(sgp_node_generation(&s->node[0]), 6);
  cr_assert_eq(sgp_node_generation_pending(&s->node[0]), 6);
  const struct sgp_node_stats *st = sgp_node_stats(&s->node[0]);
  uint64_t syn = st->syn_sent, ack = st->ack_sent, delta = st->delta_sent;
  sim_run_rounds(s, 0, 10);
  syn_of(p, 1);
  cr_assert_eq(adv_send(s, a, 0, p), SGP_OK); /* accepted, not answered */
  cr_assert_eq(st->syn_sent, syn);
  cr_assert_eq(st->ack_sent, ack);
  cr_assert_eq(st->delta_sent, delta);
  cr_assert_gt(st->paused_sends, 0);
  cr_assert_eq(sgp_node_generation_persisted(&s->node[0], 5), SGP_ERR_STATE);
  cr_assert_eq(sgp_node_generation_persisted(&s->node[0], 6), SGP_OK);
  cr_assert_eq(sgp_node_generation_persisted(&s->node[0], 6), SGP_ERR_STATE);
  sim_run_rounds(s, 0, 10);
  cr_assert_gt(st->syn_sent, syn);
  free(p);
  sim_free(s);
}

struct to_src_log {
  int cookies, bad;
  uint8_t src[SGP_COOKIE_ADDR_MAX];
  size_t src_len;
};

static void log_to_src(struct sim *s, uint32_t from, uint32_t to, const uint8_t *src,
                       size_t src_len, const uint8_t *f, size_t len) {
  struct to_src_log *lg = s->user;
  (void)from;
  if (to == SGP_NODE_TO_SRC) {
    int ok = len == SGP_COOKIE_REPLY_BYTES && f[0] == SGP_MSG_COOKIE_REPLY &&
             src_len == lg->src_len && memcmp(src, lg->src, src_len) == 0;
    lg->cookies += ok;
    lg->bad += !ok;
  } else if (to >= s->n || (len && f[0] == SGP_MSG_COOKIE_REPLY)) {
    lg->bad++;
  }
}

/* SGP-XPORT-33: datagrams go to roster ids; a cookie reply (under load)
 * goes to the source address of the initiation it answers. */
Test(node, cookie_reply_to_source_address) {
  struct sim *s = sim_new(3, 1, 9, 0, SGP_CARRIER_RAW);
  struct to_src_log *lg = calloc(1, sizeof *lg);
  uint8_t spoof[6] = {10, 9, 8, 7, 0x12, 0x34};
  memcpy(lg->src, spoof, 6);
  lg->src_len = 6;
  s->user = lg;
  s->on_send = log_to_src;
  struct adv *a = adv_new(s, 1);
  uint8_t d[SGP_DGRAM_MAX];
  size_t len = 0;
  cr_assert_eq(sgp_session_initiate(&a->ss, 0, NULL, 0, s->now, d, sizeof d, &len), SGP_OK);
  for (int k = 0; k < 150; k++) {
    sgp_err rc = sgp_node_recv(&s->node[0], s->now, spoof, 6, d, len);
    cr_assert(k == 0 ? rc == SGP_OK : rc != SGP_OK);
  }
  cr_assert_gt(lg->cookies, 0);
  cr_assert_eq(lg->bad, 0);
  cr_assert_gt(sgp_node_stats(&s->node[0])->drop[SGP_NODE_DROP_COOKIE], 0);
  sim_run_rounds(s, 0, 5);
  cr_assert_eq(lg->bad, 0);
  free(lg);
  sim_free(s);
}

static void run_for_hash(uint64_t seed, uint8_t out[32], uint64_t *frames) {
  struct sim *s = sim_new(5, 5, seed, 0x03, SGP_CARRIER_RAW);
  s->loss = 0.1;
  s->dup = 0.05;
  s->max_delay = 30;
  set_susp(s, 1, 3000);
  sim_run_rounds(s, 0, 40);
  crypto_hash_sha256_final(&s->h, out);
  *frames = s->frames;
  sim_free(s);
}

/* Time and randomness are injected and are the node's only inputs besides
 * datagrams: the same seed gives the same datagrams byte for byte; another
 * seed does not. */
Test(node, deterministic_for_a_seed) {
  uint8_t h1[32], h2[32], h3[32];
  uint64_t f1 = 0, f2 = 0, f3 = 0;
  run_for_hash(11, h1, &f1);
  run_for_hash(11, h2, &f2);
  run_for_hash(12, h3, &f3);
  cr_assert_gt(f1, 100);
  cr_assert_eq(f1, f2);
  cr_assert_eq(memcmp(h1, h2, 32), 0);
  cr_assert_neq(memcmp(h1, h3, 32), 0);
}

/* SGP-XCHG-7 (uniform peer among the other n-1, never self), SGP-NODE-3
 * (round length T (0.9 + 0.2u)), SGP-TICK-7 (exactly one tick per round). */
Test(node, rounds_jitter_and_uniform_peer) {
  struct sim *s = sim_new(5, 1, 13, 0, SGP_CARRIER_RAW);
  struct round_log *lg = calloc(1, sizeof *lg);
  s->user = lg;
  s->on_event = log_round;
  s->loss = 1.0; /* node 0 alone */
  sim_run_rounds(s, 0, 2000);
  cr_assert_eq(lg->n, 2000);
  uint32_t count[5] = {0};
  uint64_t sum = 0, lo = UINT64_MAX, hi = 0;
  for (size_t k = 0; k < lg->n; k++) {
    cr_assert_eq(lg->round[k], k + 1); /* one tick per round */
    cr_assert_lt(lg->peer[k], 5);
    count[lg->peer[k]]++;
    if (k == 0) continue;
    uint64_t d = lg->at[k] - lg->at[k - 1];
    sum += d;
    lo = d < lo ? d : lo;
    hi = d > hi ? d : hi;
  }
  cr_assert_eq(count[0], 0, "picked itself");
  for (int j = 1; j < 5; j++)
    cr_assert(count[j] > 400 && count[j] < 600, "peer %d: %u", j, count[j]);
  cr_assert_geq(lo, 90);
  cr_assert_leq(hi, 110);
  double mean = (double)sum / 1999.0;
  cr_assert(mean > 98.0 && mean < 102.0, "mean round %f", mean);
  cr_assert_eq(sgp_node_stats(&s->node[0])->rounds, sgp_node_round(&s->node[0]));
  free(lg);
  sim_free(s);
}

static int order_ok;
static void check_order(struct sim *s, uint32_t id, const struct sgp_node_event *ev) {
  if (id != 0 || ev->kind != SGP_NODE_EV_ROUND) return;
  /* At the round event the tick and the verdicts are already done. */
  order_ok = s->node[0].state.e[0].suspicion == 4500 &&
             sgp_node_verdict(&s->node[0], 0) == SGP_VERDICT_COMPROMISED;
}

/* SGP-NODE-4, SGP-TICK-8: agent values take effect at the next round's
 * tick, before the verdicts and the exchange of that round. */
Test(node, round_order_agent_tick_verdicts_exchange) {
  struct sim *s = sim_new(3, 3, 14, 0, SGP_CARRIER_RAW);
  sim_run_rounds(s, 0, 5);
  set_susp(s, 0, 4500);
  cr_assert_eq(s->node[0].state.e[0].suspicion, 0);
  cr_assert_neq(sgp_node_verdict(&s->node[0], 0), SGP_VERDICT_COMPROMISED);
  order_ok = 0;
  s->on_event = check_order;
  uint64_t syn = sgp_node_stats(&s->node[0])->syn_sent;
  sim_run_rounds(s, 0, 1);
  cr_assert(order_ok);
  cr_assert_eq(
      sgp_node_stats(&s->node[0])->syn_sent + sgp_node_stats(&s->node[0])->exchanges_skipped > syn,
      1);
  const uint16_t sub[5] = {0, 0, 0, 0, 2000};
  cr_assert_eq(sgp_node_set_local(&s->node[0], 4500, sub), SGP_ERR_RANGE);
  sim_free(s);
}

struct capture {
  uint8_t *f[4096];
  size_t len[4096];
  size_t n;
};

static void capture_to0(struct sim *s, uint32_t to, const uint8_t *f, size_t len) {
  struct capture *c = s->user;
  if (to != 0 || c->n == 4096) return;
  c->f[c->n] = malloc(len);
  memcpy(c->f[c->n], f, len);
  c->len[c->n++] = len;
}

/* SGP-NODE-13: every delivered datagram, replayed with one bit flipped,
 * is rejected and leaves the state unchanged. */
Test(node, mutated_replays_change_nothing) {
  struct sim *s = sim_new(4, 4, 15, 0x01, SGP_CARRIER_RAW);
  struct capture *c = calloc(1, sizeof *c);
  s->user = c;
  s->on_deliver = capture_to0;
  sim_run_rounds(s, 0, 30);
  s->on_deliver = NULL;
  uint8_t before[32], after[32];
  state_hash(s, 0, before);
  uint64_t seed = 77;
  for (size_t k = 0; k < c->n; k++) {
    size_t bit = tu_rand(&seed) % (c->len[k] * 8);
    c->f[k][bit / 8] ^= (uint8_t)(1u << (bit % 8));
    cr_assert_neq(sgp_node_recv(&s->node[0], s->now, s->src[1], s->src_len[1], c->f[k], c->len[k]),
                  SGP_OK, "mutated datagram %zu accepted", k);
    c->f[k][bit / 8] ^= (uint8_t)(1u << (bit % 8));
    cr_assert_neq(sgp_node_recv(&s->node[0], s->now, s->src[1], s->src_len[1], c->f[k], c->len[k]),
                  SGP_OK, "replayed datagram %zu accepted", k);
    free(c->f[k]);
  }
  cr_assert_gt(c->n, 20);
  state_hash(s, 0, after);
  cr_assert_eq(memcmp(before, after, 32), 0);
  free(c);
  sim_free(s);
}

struct frag_log {
  int bad_carrier, init_with_payload, multi, split;
  uint32_t last_idx[MAXN][MAXN], last_msg[MAXN][MAXN];
  uint8_t open[MAXN][MAXN];
};

static void check_frames(struct sim *s, uint32_t from, uint32_t to, const uint8_t *src,
                         size_t src_len, const uint8_t *f, size_t len) {
  struct frag_log *lg = s->user;
  (void)src;
  (void)src_len;
  uint8_t buf[SGP_CARRIER_MAX_PAYLOAD];
  struct sgp_carrier_payload cp;
  if (len < 2 || f[0] != 'P' || f[1] != '5' ||
      sgp_carrier_unwrap(f, len, SGP_CARRIER_ACCEPT(SGP_CARRIER_LSB_PGM), buf, sizeof buf, &cp) !=
          SGP_OK) {
    lg->bad_carrier++;
    return;
  }
  cr_assert(cp.data[0] >= SGP_MSG_INITIATION && cp.data[0] <= SGP_MSG_DATA); /* SGP-XPORT-11 */
  if (cp.data[0] == SGP_MSG_INITIATION && cp.len > SGP_INITIATION_MIN) lg->init_with_payload++;
  if (cp.data[0] != SGP_MSG_DATA || cp.len == SGP_DATA_MIN) return;
  struct sgp_frag_hdr h;
  uint32_t idx = 0;
  uint64_t ctr = 0;
  cr_assert_eq(sgp_frag_ad_parse(cp.data, cp.len, &h, &idx, &ctr), SGP_OK);
  cr_assert_eq(h.flags, 0x03); /* SGP-JIG-2 */
  if (h.index > 0) {           /* SGP-FRAG-3/-4: continues the message on the same session */
    lg->multi++;
    if (!lg->open[from][to] || lg->last_msg[from][to] != h.msg_id || lg->last_idx[from][to] != idx)
      lg->split++;
  }
  lg->open[from][to] = 1;
  lg->last_msg[from][to] = h.msg_id;
  lg->last_idx[from][to] = idx;
}

/* SGP-CARRIER-2 (every frame in the configured carrier), SGP-XPORT-11 (every
 * frame carries a transport datagram), SGP-FRAG-3 (all fragments of a
 * message on one session), SGP-JIG-2 and SGP-JIG-6 (jigsaw on data messages
 * only: the SYNs in initiations decode without the AONT inverse): under
 * aont-parity and lsb-pgm the cluster converges. */
Test(node, jigsaw_and_carrier_cluster) {
  struct sim *s = sim_new(5, 5, 16, 0x03, SGP_CARRIER_LSB_PGM);
  struct frag_log *lg = calloc(1, sizeof *lg);
  s->user = lg;
  s->on_send = check_frames;
  s->max_delay = 10;
  for (uint32_t i = 0; i < 5; i++) set_susp(s, i, 10 * i);
  sim_run_rounds(s, 0, 40);
  cr_assert_eq(lg->bad_carrier, 0);
  cr_assert_gt(lg->multi, 0);
  cr_assert_eq(lg->split, 0);
  cr_assert_gt(lg->init_with_payload, 0);
  uint64_t syn_rx = 0;
  for (uint32_t i = 0; i < 5; i++) {
    const struct sgp_node_stats *st = sgp_node_stats(&s->node[i]);
    cr_assert_eq(st->drop[SGP_NODE_DROP_PACKET], 0);
    cr_assert_eq(st->drop[SGP_NODE_DROP_CARRIER], 0);
    syn_rx += st->syn_received;
    for (uint32_t j = 0; j < 5; j++) cr_assert_eq(s->node[i].state.e[j].suspicion, 10 * j);
  }
  cr_assert_gt(syn_rx, 0);
  free(lg);
  sim_free(s);
}

/* Configuration errors name their cause. */
Test(node, config_errors) {
  struct sim *s = sim_new(3, 0, 17, 0, SGP_CARRIER_RAW);
  struct sgp_node_config c = node_config(s, 0);
  static uint64_t mem[1];
  struct sgp_node nd;
  c.t_gossip_ms = 99;
  cr_assert_eq(sgp_node_init(&nd, &c, mem, sizeof mem, 0), SGP_ERR_RANGE);
  cr_assert_eq(sgp_node_mem_size(&c), 0);
  c = node_config(s, 0);
  c.jigsaw = 2;
  cr_assert_eq(sgp_node_init(&nd, &c, mem, sizeof mem, 0), SGP_ERR_INVALID_ARG);
  c = node_config(s, 0);
  c.key = &s->key[1];
  cr_assert_eq(sgp_node_init(&nd, &c, mem, sizeof mem, 0), SGP_ERR_NODE_ID);
  c = node_config(s, 0);
  cr_assert_eq(sgp_node_init(&nd, &c, mem, sizeof mem, 0), SGP_ERR_NO_SPACE);
  cr_assert_str_eq(sgp_node_drop_name(SGP_NODE_DROP_FRAG_MESSAGE), "frag_message");
  cr_assert_str_eq(sgp_node_drop_name(SGP_NODE_DROP_COUNT), "?");
  sim_free(s);
}

struct init_log {
  uint64_t at[64];
  size_t len[64];
  int count;
};

static void log_initiations(struct sim *s, uint32_t from, uint32_t to, const uint8_t *src,
                            size_t src_len, const uint8_t *f, size_t len) {
  struct init_log *lg = s->user;
  (void)src;
  (void)src_len;
  if (from == 0 && to == 1 && len && f[0] == SGP_MSG_INITIATION && lg->count < 64) {
    lg->at[lg->count] = s->now;
    lg->len[lg->count++] = len;
  }
}

/* SGP-XPORT-37, SGP-XPORT-38: a node retransmits an unanswered initiation
 * after HANDSHAKE_RETRY = min(REKEY_TIMEOUT, max(1 s, T_gossip)) plus
 * jitter (here T_gossip 100 ms: 1 s) during the attempt's first
 * REKEY_TIMEOUT, then after REKEY_TIMEOUT plus jitter, never sooner, each
 * time with a fresh SYN; rounds that draw the peer in between are
 * skipped. */
Test(node, handshake_retry_follows_the_round_length) {
  struct sim *s = sim_new(2, 1, 21, 0, SGP_CARRIER_RAW); /* node 1 never answers */
  struct init_log *lg = calloc(1, sizeof *lg);
  s->user = lg;
  s->on_send = log_initiations;
  uint32_t retry = sgp_session_retry_ms(T_MS);
  cr_assert_eq(retry, 1000);
  cr_assert_eq(s->node[0].sessions.retry_ms, retry);
  sim_run_ms(s, 30000);
  cr_assert_gt(lg->count, 8, "%d initiations", lg->count);
  int fast = 0;
  for (int k = 0; k < lg->count; k++) {
    cr_assert_gt(lg->len[k], SGP_INITIATION_MIN, "every initiation carries a SYN");
    if (k == 0) continue;
    uint64_t gap = lg->at[k] - lg->at[k - 1], since_first = lg->at[k - 1] - lg->at[0];
    uint64_t interval = since_first < SGP_REKEY_TIMEOUT_MS ? retry : SGP_REKEY_TIMEOUT_MS;
    fast += interval == retry;
    cr_assert_geq(gap, interval, "SGP-XPORT-38: gap %llu", (unsigned long long)gap);
    /* the tick runs every SGP_NODE_TIMER_MS */
    cr_assert_leq(gap, interval + SGP_REKEY_JITTER_MAX_MS + SGP_NODE_TIMER_MS, "gap %llu",
                  (unsigned long long)gap);
  }
  cr_assert(fast >= 4 && fast <= 5, "%d fast retries", fast);
  const struct sgp_node_stats *st = sgp_node_stats(&s->node[0]);
  cr_assert_eq(st->session->tx_initiation, (uint64_t)lg->count);
  cr_assert_gt(st->exchanges_skipped, 0);
  free(lg);
  sim_free(s);
}

/* Milliseconds until every pair of a 5-node cluster (T_gossip 100 ms, 30%
 * loss) has a current session both ways; 0 if not within 20 s. */
static uint64_t all_sessions_ms(uint64_t seed) {
  enum { N = 5 };
  struct sim *s = sim_new(N, N, seed, 0, SGP_CARRIER_RAW);
  s->loss = 0.30;
  s->max_delay = 5;
  uint64_t t0 = s->now, took = 0;
  while (!took && s->now - t0 < 20000) {
    sim_run_ms(s, 10);
    int all = 1;
    for (uint32_t i = 0; i < N; i++)
      for (uint32_t j = 0; j < N; j++)
        if (i != j && !(sgp_session_status(&s->node[i].sessions, j, s->now) & SGP_PEER_CAN_SEND))
          all = 0;
    if (all) took = s->now - t0;
  }
  sim_free(s);
  return took;
}

/* SGP-XPORT-37, SGP-XPORT-34, SGP-XPORT-40: under 30% loss every pair of a
 * 5-node cluster (T_gossip 100 ms) has a session both ways within 20 s for
 * every seed, after a median of a few HANDSHAKE_RETRY periods (1 s; 3.6 s
 * here for the last of 20 directed pairs, at most 6.2 s).  With a fixed
 * 5 s retry the same seeds took 15.8 s and more than 20 s; without the
 * recent-initiation condition of SGP-XPORT-40 and the HANDSHAKE_RETRY
 * bound of SGP-XPORT-34, seed 2 took 17 s. */
Test(node, sessions_form_quickly_under_loss) {
  enum { SEEDS = 9 };
  uint64_t t[SEEDS];
  for (int k = 0; k < SEEDS; k++) {
    t[k] = all_sessions_ms((uint64_t)(k + 1));
    cr_assert(t[k] > 0 && t[k] < 10000, "seed %d: a pair without a session for %llu ms", k + 1,
              (unsigned long long)t[k]);
  }
  for (int a = 1; a < SEEDS; a++) /* insertion sort for the median */
    for (int b = a; b > 0 && t[b - 1] > t[b]; b--) {
      uint64_t x = t[b];
      t[b] = t[b - 1];
      t[b - 1] = x;
    }
  cr_assert_lt(t[SEEDS / 2], 5000, "median %llu ms", (unsigned long long)t[SEEDS / 2]);
}
