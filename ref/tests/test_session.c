/* Session layer (sgp/session.h): handshakes, sessions, data messages,
 * timers, crossing, rate limits, cookies and the receive order of spec §7,
 * driven through the public API by several in-process nodes with seeded
 * RNGs and an injected clock.
 *
 * Every rejection test asserts the exact sgp_err, the one drop counter of
 * §7.12 that moves, and that nothing else changed: the node's whole state
 * (layer struct, peer array, index table) is snapshotted before and
 * compared after, with only the statistics (and, for initiations, the
 * token buckets that §7.11 lets checks consume) excluded.
 */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/session.h"

#define N 4
#define ICAP 32 /* sgp_session_index_cap(4) */
#define T0 UINT64_C(10000000)

static uint8_t SK[N + 1][32], PK[N + 1][32]; /* [N] is a key outside the roster */

struct drng {
  uint8_t seed[32];
  uint64_t ctr;
};

/* Deterministic RNG: ChaCha20 keystream of the seed, one nonce per call. */
static void drng_fill(void *ctx, uint8_t *out, size_t len) {
  struct drng *d = ctx;
  uint8_t nonce[12] = {0};
  for (int i = 0; i < 8; i++) nonce[4 + i] = (uint8_t)(d->ctr >> (8 * i));
  crypto_stream_chacha20_ietf(out, len, nonce, d->seed);
  d->ctr++;
}

struct state {
  struct sgp_sessions s;
  struct sgp_session_peer peers[N];
  struct sgp_session_index index[ICAP];
};

struct node {
  struct state st;
  struct drng rng;
  uint32_t id;
  uint32_t discarded; /* on_discard calls */
  uint8_t (*roster)[32];
  uint8_t buf[SGP_DGRAM_MAX];
};

static void on_discard(void *ctx, uint32_t peer, uint32_t local_index) {
  struct node *x = ctx;
  (void)peer;
  (void)local_index;
  x->discarded++;
}

static void setup(void) {
  cr_assert(sodium_init() >= 0);
  for (int i = 0; i <= N; i++) {
    memset(SK[i], 0x10 + i, 32);
    cr_assert_eq(crypto_scalarmult_base(PK[i], SK[i]), 0);
  }
}
TestSuite(session, .init = setup);

static struct node *node_make(uint32_t id, uint64_t seed, uint64_t now, const uint8_t *sk,
                              uint8_t (*roster)[32], uint32_t retry_ms) {
  struct node *x = calloc(1, sizeof *x);
  cr_assert_not_null(x);
  x->id = id;
  x->roster = roster;
  for (int i = 0; i < 8; i++) x->rng.seed[i] = (uint8_t)(seed >> (8 * i));
  x->rng.seed[31] = (uint8_t)id;
  struct sgp_session_config c;
  memset(&c, 0, sizeof c);
  c.self = id;
  c.n = N;
  c.dh_sk = sk;
  c.dh_pk = (const uint8_t(*)[32])roster;
  c.generation = 7;
  c.rng = drng_fill;
  c.rng_ctx = &x->rng;
  c.peers = x->st.peers;
  c.peers_cap = N;
  c.index = x->st.index;
  c.index_cap = ICAP;
  c.on_discard = on_discard;
  c.discard_ctx = x;
  c.retry_ms = retry_ms;
  cr_assert_eq(sgp_session_index_cap(N), ICAP);
  cr_assert_eq(sgp_session_init(&x->st.s, &c, now), SGP_OK);
  return x;
}

static struct node *node_new_with(uint32_t id, uint64_t seed, uint64_t now, const uint8_t *sk,
                                  uint8_t (*roster)[32]) {
  return node_make(id, seed, now, sk, roster, 0); /* HANDSHAKE_RETRY = REKEY_TIMEOUT */
}

static struct node *node_new(uint32_t id, uint64_t seed, uint64_t now) {
  return node_new_with(id, seed, now, SK[id], PK);
}

static void node_free(struct node *x) {
  sgp_session_destroy(&x->st.s);
  free(x);
}

static const uint8_t SRC[6] = {192, 0, 2, 1, 0x1f, 0x90};

struct dgram {
  uint8_t b[SGP_DGRAM_MAX + 8];
  size_t len;
};

static void initiate(struct node *a, uint32_t to, const uint8_t *syn, size_t syn_len, uint64_t now,
                     struct dgram *d) {
  cr_assert_eq(sgp_session_initiate(&a->st.s, to, syn, syn_len, now, d->b, sizeof d->b, &d->len),
               SGP_OK);
  cr_assert_eq(d->len, SGP_INITIATION_MIN + syn_len);
}

static sgp_err deliver(struct node *b, uint64_t now, const struct dgram *d, struct sgp_rx *rx) {
  return sgp_session_recv(&b->st.s, now, d->b, d->len, SRC, sizeof SRC, b->buf, sizeof b->buf, rx);
}

static void respond(struct node *b, uint32_t to, const uint8_t *ack, size_t ack_len, uint64_t now,
                    struct dgram *d) {
  cr_assert_eq(sgp_session_respond(&b->st.s, to, ack, ack_len, now, d->b, sizeof d->b, &d->len),
               SGP_OK);
  cr_assert_eq(d->len, SGP_RESPONSE_MIN + ack_len);
}

static void fhdr_one(uint8_t f[SGP_DATA_FHDR_BYTES], uint32_t msg_id, uint32_t total) {
  f[0] = (uint8_t)(msg_id >> 24), f[1] = (uint8_t)(msg_id >> 16), f[2] = (uint8_t)(msg_id >> 8);
  f[3] = (uint8_t)msg_id;
  f[4] = 0; /* index */
  f[5] = 1; /* count */
  f[6] = (uint8_t)(total >> 24), f[7] = (uint8_t)(total >> 16), f[8] = (uint8_t)(total >> 8);
  f[9] = (uint8_t)total;
}

static void seal(struct node *a, uint32_t to, uint64_t now, const char *msg, struct dgram *d) {
  uint8_t f[SGP_DATA_FHDR_BYTES];
  size_t len = strlen(msg);
  fhdr_one(f, 1, (uint32_t)len);
  cr_assert_eq(sgp_session_seal(&a->st.s, to, now, 0, f, (const uint8_t *)msg, len, d->b,
                                sizeof d->b, &d->len),
               SGP_OK);
  cr_assert_eq(d->len, SGP_DATA_MIN + len);
}

static void expect_data(struct node *b, uint64_t now, const struct dgram *d, uint32_t from,
                        const char *msg) {
  struct sgp_rx rx;
  cr_assert_eq(deliver(b, now, d, &rx), SGP_OK);
  cr_assert_eq(rx.kind, SGP_RX_DATA);
  cr_assert_eq(rx.peer, from);
  cr_assert_eq(rx.payload_len, strlen(msg));
  cr_assert_eq(memcmp(rx.payload, msg, rx.payload_len), 0);
}

/* Full handshake a -> b at now, confirmed by a keepalive from a. */
static void handshake(struct node *a, struct node *b, uint64_t now) {
  struct dgram i, r, k;
  struct sgp_rx rx;
  initiate(a, b->id, NULL, 0, now, &i);
  cr_assert_eq(deliver(b, now, &i, &rx), SGP_OK);
  cr_assert_eq(rx.kind, SGP_RX_INITIATION);
  respond(b, a->id, NULL, 0, now, &r);
  cr_assert_eq(deliver(a, now, &r, &rx), SGP_OK);
  cr_assert_eq(rx.kind, SGP_RX_RESPONSE);
  cr_assert_eq(sgp_session_keepalive(&a->st.s, b->id, now, k.b, sizeof k.b, &k.len), SGP_OK);
  cr_assert_eq(deliver(b, now, &k, &rx), SGP_OK);
  cr_assert_eq(rx.kind, SGP_RX_KEEPALIVE);
  cr_assert_eq(rx.confirmed, 1);
}

static const struct sgp_session *cur_of(const struct node *x, uint32_t peer) {
  const struct sgp_session_peer *p = &x->st.peers[peer];
  cr_assert_neq(p->cur, SGP_SESSION_NO_SLOT);
  return &p->slot[p->cur];
}

/* The keys of a's current session with b mirror b's current with a. */
static void assert_paired(const struct node *a, const struct node *b) {
  const struct sgp_session *x = cur_of(a, b->id), *y = cur_of(b, a->id);
  cr_assert_eq(memcmp(x->send.k, y->recv.k, 32), 0);
  cr_assert_eq(memcmp(x->recv.k, y->send.k, 32), 0);
  cr_assert_eq(x->local_index, y->remote_index);
  cr_assert_eq(x->remote_index, y->local_index);
}

/* ---- snapshots ------------------------------------------------------------ */

enum { EXACT = 0, TOKENS = 1 };

static struct state *snap(const struct node *x) {
  struct state *s = malloc(sizeof *s);
  cr_assert_not_null(s);
  memcpy(s, &x->st, sizeof *s);
  return s;
}

/* Nothing changed since `before` but the statistics (and with TOKENS the
 * buckets, which §7.11 lets failed initiation checks consume). */
static void assert_unchanged(const struct state *before, const struct node *x, int allow) {
  struct state *now = snap(x);
  now->s.stats = before->s.stats;
  if (allow == TOKENS) {
    now->s.load = before->s.load;
    now->s.cookie_bucket = before->s.cookie_bucket;
    for (int i = 0; i < N; i++) now->peers[i].bucket = before->peers[i].bucket;
  }
  cr_assert_eq(memcmp(now, before, sizeof *now), 0, "state changed by a rejected datagram");
  free(now);
}

/* Sum of the drop counters of §7.12. */
static uint64_t drops(const struct node *x) {
  const struct sgp_session_stats *s = &x->st.s.stats;
  return s->drop_size + s->drop_type + s->drop_reserved + s->drop_mac1 + s->drop_cookie +
         s->drop_unknown_peer + s->drop_rate + s->drop_handshake + s->drop_stamp +
         s->drop_crossing + s->drop_unknown_index + s->drop_expired + s->drop_auth +
         s->drop_replay + s->drop_keepalive;
}

/* Delivers d, expects rc, exactly one more drop in *counter, no reply
 * unless a cookie, and no other state change. */
static void expect_drop(struct node *b, uint64_t now, const struct dgram *d, sgp_err rc,
                        const uint64_t *counter, int allow) {
  struct state *before = snap(b);
  uint64_t c0 = *counter, d0 = drops(b);
  struct sgp_rx rx;
  sgp_err got = deliver(b, now, d, &rx);
  cr_assert_eq(got, rc, "got %s want %s", sgp_err_name(got), sgp_err_name(rc));
  cr_assert_eq(*counter, c0 + 1, "counter");
  cr_assert_eq(drops(b), d0 + 1, "exactly one counter (SGP-XPORT-51)");
  cr_assert_eq(rx.kind, SGP_RX_NONE);
  if (rc != SGP_ERR_COOKIE) cr_assert_eq(rx.reply_len, 0, "no reply (SGP-XPORT-50)");
  assert_unchanged(before, b, allow);
  free(before);
}

/* ---- handshakes and data -------------------------------------------------- */

/* SGP-XPORT-1, SGP-XPORT-7, SGP-XPORT-8, SGP-XPORT-14, SGP-XPORT-15,
 * SGP-XPORT-16, SGP-XPORT-17, SGP-XPORT-21, SGP-XPORT-23, SGP-XPORT-25,
 * SGP-XPORT-26, SGP-XPORT-27, SGP-XPORT-30, SGP-XPORT-31: two peers run the
 * KK handshake with the §7.4 layouts (SYN and ACK as payloads), the
 * responder cannot send on its pending session until the initiator's first
 * data message confirms it, then data flows both ways with counters 0, 1,
 * ... and the 26-byte header as associated data. */
Test(session, handshake_then_data_both_ways) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  struct dgram i, r, d;
  struct sgp_rx rx;
  const uint8_t syn[] = "SYN-bytes", ack[] = "ACK-bytes-longer";

  initiate(a, 1, syn, sizeof syn, T0, &i);
  cr_assert_eq(i.b[0], SGP_MSG_INITIATION);
  cr_assert_eq(i.b[1] | i.b[2] | i.b[3], 0);
  cr_assert_eq(i.b[4] << 24 | i.b[5] << 16 | i.b[6] << 8 | i.b[7], 0, "sender_node");
  uint32_t a_index =
      (uint32_t)i.b[8] << 24 | (uint32_t)i.b[9] << 16 | (uint32_t)i.b[10] << 8 | i.b[11];
  cr_assert_eq(sgp_session_status(&a->st.s, 1, T0) & SGP_PEER_OUTSTANDING, SGP_PEER_OUTSTANDING);

  cr_assert_eq(deliver(b, T0, &i, &rx), SGP_OK);
  cr_assert_eq(rx.kind, SGP_RX_INITIATION);
  cr_assert_eq(rx.peer, 0);
  cr_assert_eq(rx.payload_len, sizeof syn);
  cr_assert_eq(memcmp(rx.payload, syn, sizeof syn), 0);

  respond(b, 0, ack, sizeof ack, T0, &r);
  cr_assert_eq(r.b[0], SGP_MSG_RESPONSE);
  uint32_t recv_idx =
      (uint32_t)r.b[8] << 24 | (uint32_t)r.b[9] << 16 | (uint32_t)r.b[10] << 8 | r.b[11];
  cr_assert_eq(recv_idx, a_index, "receiver_index = initiation's sender_index");
  /* SGP-XPORT-25: pending session, no sending */
  cr_assert_eq(sgp_session_seal(&b->st.s, 0, T0, 0, (const uint8_t[10]){0}, NULL, 0, d.b,
                                sizeof d.b, &d.len),
               SGP_ERR_STATE);
  cr_assert_eq(sgp_session_status(&b->st.s, 0, T0) & SGP_PEER_CAN_SEND, 0);

  cr_assert_eq(deliver(a, T0 + 3, &r, &rx), SGP_OK);
  cr_assert_eq(rx.kind, SGP_RX_RESPONSE);
  cr_assert_eq(rx.payload_len, sizeof ack);
  cr_assert_eq(memcmp(rx.payload, ack, sizeof ack), 0);
  cr_assert_eq(rx.session, a_index);
  cr_assert_eq(a->st.peers[1].init.active, 0, "handshake state wiped (SGP-XPORT-5)");
  cr_assert_eq(sgp_session_status(&a->st.s, 1, T0 + 3) & SGP_PEER_CAN_SEND, SGP_PEER_CAN_SEND);

  /* SGP-XPORT-26: the initiator's first data message confirms */
  seal(a, 1, T0 + 4, "delta", &d);
  cr_assert_eq(d.b[0], SGP_MSG_DATA);
  cr_assert_eq(d.b[8] | d.b[9] | d.b[10] | d.b[11] | d.b[12] | d.b[13] | d.b[14] | d.b[15], 0,
               "counter 0");
  struct sgp_rx rx2;
  cr_assert_eq(deliver(b, T0 + 5, &d, &rx2), SGP_OK);
  cr_assert_eq(rx2.kind, SGP_RX_DATA);
  cr_assert_eq(rx2.confirmed, 1);
  cr_assert_eq(rx2.counter, 0);
  cr_assert_eq(rx2.frag_hdr[5], 1);
  cr_assert_eq(memcmp(rx2.payload, "delta", 5), 0);
  assert_paired(a, b);

  for (int n = 0; n < 3; n++) {
    seal(b, 0, T0 + 6, "from-b", &d);
    cr_assert_eq(d.b[15], n, "counter %d", n);
    expect_data(a, T0 + 6, &d, 1, "from-b");
    seal(a, 1, T0 + 6, "from-a", &d);
    cr_assert_eq(d.b[15], n + 1);
    expect_data(b, T0 + 6, &d, 0, "from-a");
  }
  /* the AD is the whole 26-byte header */
  uint8_t ad_check[SGP_DATA_PT_MAX];
  unsigned long long pl = 0;
  uint8_t nonce[12] = {0};
  nonce[4] = d.b[15];
  cr_assert_eq(crypto_aead_chacha20poly1305_ietf_decrypt(ad_check, &pl, NULL, d.b + 26, d.len - 26,
                                                         d.b, 26, nonce, cur_of(b, 0)->recv.k),
               0);
  cr_assert_eq(a->st.s.stats.rx_data, 3);
  cr_assert_eq(b->st.s.stats.rx_data, 4);
  node_free(a);
  node_free(b);
}

/* SGP-XPORT-12, SGP-XPORT-14, SGP-XPORT-16: the largest SYN (1100 B) and
 * ACK (1108 B) fill a 1200-byte datagram; one byte more is refused. */
Test(session, handshake_payload_limits) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  static uint8_t big[SGP_DGRAM_MAX];
  struct dgram i, r;
  struct sgp_rx rx;
  memset(big, 0xab, sizeof big);
  cr_assert_eq(sgp_session_initiate(&a->st.s, 1, big, SGP_SYN_MAX + 1, T0, i.b, sizeof i.b, &i.len),
               SGP_ERR_TOO_LARGE);
  initiate(a, 1, big, SGP_SYN_MAX, T0, &i);
  cr_assert_eq(i.len, SGP_DGRAM_MAX);
  cr_assert_eq(deliver(b, T0, &i, &rx), SGP_OK);
  cr_assert_eq(rx.payload_len, SGP_SYN_MAX);
  cr_assert_eq(sgp_session_respond(&b->st.s, 0, big, SGP_ACK_MAX + 1, T0, r.b, sizeof r.b, &r.len),
               SGP_ERR_TOO_LARGE);
  respond(b, 0, big, SGP_ACK_MAX, T0, &r);
  cr_assert_eq(r.len, SGP_DGRAM_MAX);
  cr_assert_eq(deliver(a, T0, &r, &rx), SGP_OK);
  cr_assert_eq(rx.payload_len, SGP_ACK_MAX);
  /* respond only once per accepted initiation */
  cr_assert_eq(sgp_session_respond(&b->st.s, 0, NULL, 0, T0, r.b, sizeof r.b, &r.len),
               SGP_ERR_STATE);
  node_free(a);
  node_free(b);
}

/* SGP-XPORT-12: the sealer never emits more than 1200 bytes; undefined
 * flags and a frag_count of 0 that is not a keepalive are refused. */
Test(session, sealer_enforces_datagram_limit) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  static uint8_t pt[SGP_DATA_PT_MAX + 1];
  uint8_t f[SGP_DATA_FHDR_BYTES];
  struct dgram d;
  handshake(a, b, T0);
  fhdr_one(f, 1, SGP_DATA_PT_MAX);
  cr_assert_eq(
      sgp_session_seal(&a->st.s, 1, T0, 0, f, pt, SGP_DATA_PT_MAX + 1, d.b, sizeof d.b, &d.len),
      SGP_ERR_TOO_LARGE);
  cr_assert_eq(
      sgp_session_seal(&a->st.s, 1, T0, 0, f, pt, SGP_DATA_PT_MAX, d.b, sizeof d.b, &d.len),
      SGP_OK);
  cr_assert_eq(d.len, SGP_DGRAM_MAX);
  struct sgp_rx rx;
  cr_assert_eq(deliver(b, T0, &d, &rx), SGP_OK);
  cr_assert_eq(rx.payload_len, SGP_DATA_PT_MAX);
  cr_assert_eq(sgp_session_seal(&a->st.s, 1, T0, 0x02, f, pt, 10, d.b, sizeof d.b, &d.len),
               SGP_ERR_INVALID_ARG);
  f[5] = 0; /* frag_count 0 with msg_id 1: not a keepalive */
  cr_assert_eq(sgp_session_seal(&a->st.s, 1, T0, 0, f, pt, 10, d.b, sizeof d.b, &d.len),
               SGP_ERR_INVALID_ARG);
  fhdr_one(f, 1, 10);
  cr_assert_eq(sgp_session_seal(&a->st.s, 1, T0, 0, f, pt, 10, d.b, 51, &d.len), SGP_ERR_NO_SPACE);
  cr_assert_eq(sgp_session_seal(&a->st.s, 0, T0, 0, f, pt, 10, d.b, sizeof d.b, &d.len),
               SGP_ERR_INVALID_ARG, "to self");
  cr_assert_eq(sgp_session_seal(&a->st.s, 2, T0, 0, f, pt, 10, d.b, sizeof d.b, &d.len),
               SGP_ERR_STATE, "no session");
  node_free(a);
  node_free(b);
}

/* SGP-XPORT-40, SGP-XPORT-41: both nodes initiate at the same time; the
 * lower id's initiation wins whatever the delivery order: node 0 drops
 * node 1's (SGP_ERR_CROSSING, drop_crossing), node 1 abandons its own and
 * answers; exactly one session results, and node 1's abandoned index is
 * gone (a late response to it is an unknown index). */
Test(session, crossing_handshakes_converge) {
  for (int order = 0; order < 2; order++) {
    struct node *a = node_new(0, 11, T0), *b = node_new(1, 12, T0);
    struct dgram ia, ib, r, k;
    struct sgp_rx rx;
    initiate(a, 1, NULL, 0, T0, &ia);
    initiate(b, 0, NULL, 0, T0, &ib);
    if (order == 0) {
      expect_drop(a, T0 + 1, &ib, SGP_ERR_CROSSING, &a->st.s.stats.drop_crossing, TOKENS);
      cr_assert_eq(deliver(b, T0 + 1, &ia, &rx), SGP_OK);
    } else {
      cr_assert_eq(deliver(b, T0 + 1, &ia, &rx), SGP_OK);
      expect_drop(a, T0 + 1, &ib, SGP_ERR_CROSSING, &a->st.s.stats.drop_crossing, TOKENS);
    }
    cr_assert_eq(rx.kind, SGP_RX_INITIATION);
    cr_assert_eq(rx.abandoned, 1, "SGP-XPORT-42 hint");
    cr_assert_eq(b->st.peers[0].init.active, 0);
    cr_assert_eq(b->st.s.stats.handshake_abandoned, 1);
    respond(b, 0, NULL, 0, T0 + 1, &r);
    cr_assert_eq(deliver(a, T0 + 2, &r, &rx), SGP_OK);
    cr_assert_eq(sgp_session_keepalive(&a->st.s, 1, T0 + 2, k.b, sizeof k.b, &k.len), SGP_OK);
    cr_assert_eq(deliver(b, T0 + 2, &k, &rx), SGP_OK);
    cr_assert_eq(rx.confirmed, 1);
    assert_paired(a, b);
    /* one session on each side, nothing pending or outstanding */
    for (int side = 0; side < 2; side++) {
      const struct sgp_session_peer *p = side ? &b->st.peers[0] : &a->st.peers[1];
      cr_assert_eq(p->prev, SGP_SESSION_NO_SLOT);
      cr_assert_eq(p->pend, SGP_SESSION_NO_SLOT);
      cr_assert_eq(p->init.active, 0);
    }
    /* node 1's abandoned index is gone from its table: a response to it
     * would be an unknown index */
    uint32_t abandoned =
        (uint32_t)ib.b[8] << 24 | (uint32_t)ib.b[9] << 16 | (uint32_t)ib.b[10] << 8 | ib.b[11];
    for (int e = 0; e < ICAP; e++)
      cr_assert(b->st.index[e].ref == 0 || b->st.index[e].index != abandoned);
    node_free(a);
    node_free(b);
  }
}

/* SGP-XPORT-40, SGP-XPORT-41: the lower id's initiation wins a crossing
 * only while it may still be answered, i.e. for HANDSHAKE_RETRY after it was
 * sent (1 s here); an older one (lost, say) is abandoned for the peer's,
 * which is answered, so the pair is not blocked until the next
 * retransmission. */
Test(session, crossing_won_only_by_a_recent_initiation) {
  struct node *a = node_make(0, 31, T0, SK[0], PK, SGP_HANDSHAKE_RETRY_MIN_MS);
  struct node *b = node_make(1, 32, T0, SK[1], PK, SGP_HANDSHAKE_RETRY_MIN_MS);
  struct dgram ia, ib1, ib2, r, k;
  struct sgp_rx rx;
  initiate(a, 1, NULL, 0, T0, &ia); /* lost */
  initiate(b, 0, NULL, 0, T0 + SGP_HANDSHAKE_RETRY_MIN_MS - 400, &ib1);
  expect_drop(a, T0 + SGP_HANDSHAKE_RETRY_MIN_MS - 1, &ib1, SGP_ERR_CROSSING,
              &a->st.s.stats.drop_crossing, TOKENS);
  initiate(b, 0, NULL, 0, T0 + 2 * SGP_HANDSHAKE_RETRY_MIN_MS, &ib2);
  /* node 0's retransmission is due but not yet sent: its initiation is
   * older than HANDSHAKE_RETRY and loses */
  cr_assert_eq(deliver(a, T0 + 2 * SGP_HANDSHAKE_RETRY_MIN_MS, &ib2, &rx), SGP_OK);
  cr_assert_eq(rx.kind, SGP_RX_INITIATION);
  cr_assert_eq(rx.abandoned, 1);
  cr_assert_eq(a->st.peers[1].init.active, 0);
  cr_assert_eq(a->st.s.stats.handshake_abandoned, 1);
  respond(a, 1, NULL, 0, T0 + 2 * SGP_HANDSHAKE_RETRY_MIN_MS, &r);
  cr_assert_eq(deliver(b, T0 + 2 * SGP_HANDSHAKE_RETRY_MIN_MS + 1, &r, &rx), SGP_OK);
  cr_assert_eq(rx.kind, SGP_RX_RESPONSE);
  cr_assert_eq(sgp_session_keepalive(&b->st.s, 0, T0 + 2 * SGP_HANDSHAKE_RETRY_MIN_MS + 1, k.b,
                                     sizeof k.b, &k.len),
               SGP_OK);
  cr_assert_eq(deliver(a, T0 + 2 * SGP_HANDSHAKE_RETRY_MIN_MS + 2, &k, &rx), SGP_OK);
  cr_assert_eq(rx.confirmed, 1);
  assert_paired(a, b);
  /* the late original initiation of node 0 answers nothing now */
  cr_assert_eq(a->st.peers[1].init.active, 0);
  node_free(a);
  node_free(b);
}

/* SGP-XPORT-34, SGP-XPORT-28: a responder's pending session blocks its own
 * handshake to that peer only for HANDSHAKE_RETRY; unconfirmed after that
 * (the response or the first data message was lost) the responder may
 * start a handshake itself, while the pending session still lives until
 * REKEY_TIMEOUT and is confirmed by a late data message. */
Test(session, pending_session_blocks_own_handshake_for_handshake_retry) {
  struct node *a = node_make(0, 41, T0, SK[0], PK, SGP_HANDSHAKE_RETRY_MIN_MS);
  struct node *b = node_make(1, 42, T0, SK[1], PK, SGP_HANDSHAKE_RETRY_MIN_MS);
  struct dgram ia, r, k, ib;
  struct sgp_rx rx;
  initiate(a, 1, NULL, 0, T0, &ia);
  cr_assert_eq(deliver(b, T0, &ia, &rx), SGP_OK);
  respond(b, 0, NULL, 0, T0, &r);
  unsigned st = sgp_session_status(&b->st.s, 0, T0 + SGP_HANDSHAKE_RETRY_MIN_MS - 1);
  cr_assert_eq(st & (SGP_PEER_CAN_SEND | SGP_PEER_NEEDS_HANDSHAKE), 0);
  st = sgp_session_status(&b->st.s, 0, T0 + SGP_HANDSHAKE_RETRY_MIN_MS);
  cr_assert_eq(st & SGP_PEER_CAN_SEND, 0);
  cr_assert_neq(st & SGP_PEER_NEEDS_HANDSHAKE, 0);
  cr_assert_neq(st & SGP_PEER_MAY_INITIATE, 0);
  /* the initiator got the response; its first data message came late */
  cr_assert_eq(deliver(a, T0 + 1, &r, &rx), SGP_OK);
  cr_assert_eq(sgp_session_keepalive(&a->st.s, 1, T0 + 1, k.b, sizeof k.b, &k.len), SGP_OK);
  initiate(b, 0, NULL, 0, T0 + SGP_HANDSHAKE_RETRY_MIN_MS, &ib);
  cr_assert_eq(deliver(b, SGP_REKEY_TIMEOUT_MS + T0 - 1, &k, &rx), SGP_OK);
  cr_assert_eq(rx.confirmed, 1, "pending still lives until REKEY_TIMEOUT");
  node_free(a);
  node_free(b);
}

/* SGP-XPORT-34, SGP-XPORT-24: after REKEY_AFTER_TIME the current session is
 * still used but a handshake is due; the new session becomes current, the
 * old one previous and still accepted; at most one of each kind. */
Test(session, rekey_after_timer) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  struct dgram d, old;
  handshake(a, b, T0);
  uint32_t first = cur_of(a, 1)->local_index;
  unsigned st = sgp_session_status(&a->st.s, 1, T0 + SGP_REKEY_AFTER_TIME_MS - 1);
  cr_assert_eq(st & (SGP_PEER_CAN_SEND | SGP_PEER_NEEDS_HANDSHAKE), SGP_PEER_CAN_SEND);
  st = sgp_session_status(&a->st.s, 1, T0 + SGP_REKEY_AFTER_TIME_MS);
  cr_assert_eq(st & (SGP_PEER_CAN_SEND | SGP_PEER_NEEDS_HANDSHAKE | SGP_PEER_MAY_INITIATE),
               SGP_PEER_CAN_SEND | SGP_PEER_NEEDS_HANDSHAKE | SGP_PEER_MAY_INITIATE);
  seal(b, 0, T0 + SGP_REKEY_AFTER_TIME_MS, "old-session", &old);

  uint64_t t = T0 + SGP_REKEY_AFTER_TIME_MS + 10;
  handshake(a, b, t);
  assert_paired(a, b);
  cr_assert_neq(cur_of(a, 1)->local_index, first);
  const struct sgp_session_peer *pa = &a->st.peers[1];
  cr_assert_neq(pa->prev, SGP_SESSION_NO_SLOT);
  cr_assert_eq(pa->slot[pa->prev].local_index, first);
  st = sgp_session_status(&a->st.s, 1, t);
  cr_assert_eq(st & SGP_PEER_NEEDS_HANDSHAKE, 0);
  /* the previous session still receives (until REJECT_AFTER_TIME) */
  expect_data(a, t, &old, 1, "old-session");
  seal(a, 1, t, "new-session", &d);
  expect_data(b, t, &d, 0, "new-session");
  node_free(a);
  node_free(b);
}

/* SGP-XPORT-35, SGP-XPORT-36, SGP-SEC-5: at REJECT_AFTER_TIME a session
 * neither sends (SGP_ERR_STATE) nor accepts (SGP_ERR_EXPIRED,
 * drop_expired); the tick wipes its keys at once and forgets it by
 * SESSION_WIPE_TIME, after which it is an unknown index. */
Test(session, expiry_after_reject_time) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  struct dgram d;
  uint32_t due[4];
  size_t nd;
  static const uint8_t zero[32] = {0};
  handshake(a, b, T0);
  seal(a, 1, T0 + SGP_REJECT_AFTER_TIME_MS - 1, "late", &d);
  uint64_t t = T0 + SGP_REJECT_AFTER_TIME_MS;
  struct dgram d2;
  cr_assert_eq(sgp_session_keepalive(&a->st.s, 1, t, d2.b, sizeof d2.b, &d2.len), SGP_ERR_STATE);
  cr_assert_eq(sgp_session_status(&a->st.s, 1, t) & SGP_PEER_CAN_SEND, 0);
  expect_drop(b, t, &d, SGP_ERR_EXPIRED, &b->st.s.stats.drop_expired, EXACT);

  uint32_t before = b->discarded;
  cr_assert_eq(sgp_session_tick(&b->st.s, t, due, 4, &nd), SGP_OK);
  cr_assert_eq(b->discarded, before + 1, "reassembly told (SGP-FRAG-14)");
  const struct sgp_session *x = cur_of(b, 0);
  cr_assert_eq(memcmp(x->recv.k, zero, 32), 0, "keys wiped");
  cr_assert_eq(memcmp(x->send.k, zero, 32), 0, "keys wiped");
  expect_drop(b, t + 1, &d, SGP_ERR_EXPIRED, &b->st.s.stats.drop_expired, EXACT);
  cr_assert_eq(sgp_session_tick(&b->st.s, T0 + SGP_SESSION_WIPE_TIME_MS, due, 4, &nd), SGP_OK);
  cr_assert_eq(b->st.peers[0].cur, SGP_SESSION_NO_SLOT);
  expect_drop(b, T0 + SGP_SESSION_WIPE_TIME_MS, &d, SGP_ERR_UNKNOWN_INDEX,
              &b->st.s.stats.drop_unknown_index, EXACT);
  node_free(a);
  node_free(b);
}

/* SGP-XPORT-37, SGP-XPORT-38, SGP-XPORT-9, SGP-REPLAY-6: without a response
 * the initiator retransmits after HANDSHAKE_RETRY + jitter (uniform 0..333
 * ms) while its first attempt is younger than REKEY_TIMEOUT, then after
 * REKEY_TIMEOUT + jitter, each time with a new ephemeral, stamp and index; the schedule is a
 * function of the seeded RNG alone; no second initiation within
 * HANDSHAKE_RETRY; it gives up after REKEY_ATTEMPT_TIME.  Returns the
 * number of attempts. */
static int retry_schedule(uint32_t cfg_retry, uint64_t retry) {
  uint64_t sched[2][100];
  int count[2] = {0, 0};
  for (int run = 0; run < 2; run++) {
    struct node *a = node_make(0, 99, T0, SK[0], PK, cfg_retry);
    struct dgram d, prev;
    uint32_t due[4];
    size_t nd;
    uint64_t t = T0;
    initiate(a, 2, NULL, 0, t, &d);
    for (;;) {
      const struct sgp_session_handshake *h = &a->st.peers[2].init;
      uint64_t interval = h->sent_ms - T0 < SGP_REKEY_TIMEOUT_MS ? retry : SGP_REKEY_TIMEOUT_MS;
      uint64_t jitter = h->retry_ms - h->sent_ms - interval;
      cr_assert(jitter <= SGP_REKEY_JITTER_MAX_MS, "jitter %llu", (unsigned long long)jitter);
      cr_assert_lt(count[run], 100);
      sched[run][count[run]++] = h->retry_ms;
      if (h->retry_ms - 1 - T0 < SGP_REKEY_ATTEMPT_TIME_MS) {
        cr_assert_eq(sgp_session_initiate(&a->st.s, 2, NULL, 0, h->retry_ms - 1, prev.b,
                                          sizeof prev.b, &prev.len),
                     SGP_ERR_RATE_LIMITED, "SGP-XPORT-38");
        cr_assert_eq(sgp_session_status(&a->st.s, 2, h->retry_ms - 1) & SGP_PEER_MAY_INITIATE, 0);
        cr_assert_neq(sgp_session_status(&a->st.s, 2, h->retry_ms) & SGP_PEER_MAY_INITIATE, 0);
      }
      cr_assert_eq(sgp_session_tick(&a->st.s, h->retry_ms - 1, due, 4, &nd), SGP_OK);
      cr_assert_eq(nd, 0);
      t = h->retry_ms;
      cr_assert_eq(sgp_session_tick(&a->st.s, t, due, 4, &nd), SGP_OK);
      if (t - T0 >= SGP_REKEY_ATTEMPT_TIME_MS) {
        cr_assert_eq(nd, 0, "gave up");
        cr_assert_eq(a->st.s.stats.handshake_gave_up, 1);
        cr_assert_eq(sgp_session_status(&a->st.s, 2, t) & SGP_PEER_OUTSTANDING, 0);
        break;
      }
      cr_assert_eq(nd, 1);
      cr_assert_eq(due[0], 2);
      prev = d;
      uint32_t old_index = h->local_index;
      initiate(a, 2, NULL, 0, t, &d);
      cr_assert_neq(h->local_index, old_index, "new sender_index");
      cr_assert_neq(memcmp(prev.b + 12, d.b + 12, 32), 0, "new ephemeral");
      cr_assert_eq(h->first_ms, T0, "attempt time counts from the first");
    }
    cr_assert_eq(a->st.s.init_counter, (uint32_t)count[run], "one stamp per initiation");
    node_free(a);
  }
  cr_assert_eq(count[0], count[1]);
  cr_assert_eq(memcmp(sched[0], sched[1], sizeof(uint64_t) * (size_t)count[0]), 0,
               "same seed, same schedule");
  return count[0];
}

/* SGP-XPORT-37, SGP-XPORT-38: retry_ms 0 (a transport without rounds) is
 * REKEY_TIMEOUT: about 90 / 5.17 attempts. */
Test(session, retry_with_jitter_is_deterministic) {
  int n = retry_schedule(0, SGP_REKEY_TIMEOUT_MS);
  cr_assert(n >= 17 && n <= 19, "attempts %d", n);
}

/* SGP-XPORT-37, SGP-XPORT-38: a node's HANDSHAKE_RETRY of 1 s (T_gossip <=
 * 1 s): 5 or 6 attempts 1 s + jitter apart within the first REKEY_TIMEOUT,
 * then about (90 - 5.8) / 5.17 more; never two within 1 s, so the
 * responder's peer bucket (1/s, SGP-XPORT-43) always has a token. */
Test(session, retry_after_handshake_retry_of_one_second) {
  int n = retry_schedule(SGP_HANDSHAKE_RETRY_MIN_MS, SGP_HANDSHAKE_RETRY_MIN_MS);
  cr_assert(n >= 20 && n <= 24, "attempts %d", n);
}

/* SGP-XPORT-37: HANDSHAKE_RETRY = min(REKEY_TIMEOUT, max(1 s, T_gossip));
 * the layer refuses a retry interval outside [1 s, REKEY_TIMEOUT]. */
Test(session, handshake_retry_follows_t_gossip_within_bounds) {
  cr_assert_eq(sgp_session_retry_ms(100), 1000);
  cr_assert_eq(sgp_session_retry_ms(200), 1000);
  cr_assert_eq(sgp_session_retry_ms(1000), 1000);
  cr_assert_eq(sgp_session_retry_ms(2500), 2500);
  cr_assert_eq(sgp_session_retry_ms(5000), 5000);
  cr_assert_eq(sgp_session_retry_ms(60000), 5000);
  static const uint32_t bad[] = {1, 999, SGP_REKEY_TIMEOUT_MS + 1, UINT32_MAX};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    struct state st;
    struct drng rng = {{1}, 0};
    struct sgp_session_config c;
    memset(&c, 0, sizeof c);
    c.self = 0;
    c.n = N;
    c.dh_sk = SK[0];
    c.dh_pk = (const uint8_t(*)[32])PK;
    c.generation = 1;
    c.rng = drng_fill;
    c.rng_ctx = &rng;
    c.peers = st.peers;
    c.peers_cap = N;
    c.index = st.index;
    c.index_cap = ICAP;
    c.retry_ms = bad[k];
    cr_assert_eq(sgp_session_init(&st.s, &c, T0), SGP_ERR_INVALID_ARG, "retry_ms %u", bad[k]);
  }
  struct node *a = node_make(0, 5, T0, SK[0], PK, 2500);
  struct dgram d;
  initiate(a, 1, NULL, 0, T0, &d);
  cr_assert_geq(a->st.peers[1].init.retry_ms, T0 + 2500);
  cr_assert_leq(a->st.peers[1].init.retry_ms, T0 + 2500 + SGP_REKEY_JITTER_MAX_MS);
  node_free(a);
}

/* SGP-XPORT-28: a pending session not confirmed within REKEY_TIMEOUT is
 * discarded: a later data message for it is an unknown index. */
Test(session, pending_discarded_after_rekey_timeout) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  struct dgram i, r, k;
  struct sgp_rx rx;
  uint32_t due[4];
  size_t nd;
  initiate(a, 1, NULL, 0, T0, &i);
  cr_assert_eq(deliver(b, T0, &i, &rx), SGP_OK);
  respond(b, 0, NULL, 0, T0, &r);
  cr_assert_eq(deliver(a, T0, &r, &rx), SGP_OK);
  cr_assert_eq(sgp_session_keepalive(&a->st.s, 1, T0, k.b, sizeof k.b, &k.len), SGP_OK);
  /* even before any tick the pending session is past its lifetime */
  expect_drop(b, T0 + SGP_REKEY_TIMEOUT_MS, &k, SGP_ERR_UNKNOWN_INDEX,
              &b->st.s.stats.drop_unknown_index, EXACT);
  cr_assert_eq(sgp_session_tick(&b->st.s, T0 + SGP_REKEY_TIMEOUT_MS, due, 4, &nd), SGP_OK);
  cr_assert_eq(b->st.peers[0].pend, SGP_SESSION_NO_SLOT);
  expect_drop(b, T0 + SGP_REKEY_TIMEOUT_MS, &k, SGP_ERR_UNKNOWN_INDEX,
              &b->st.s.stats.drop_unknown_index, EXACT);
  node_free(a);
  node_free(b);
}

/* ---- rejections ------------------------------------------------------------ */

/* SGP-REPLAY-1, SGP-XPORT-49, SGP-XPORT-52: a tampered tag, ciphertext or
 * header byte (all authenticated) fails with SGP_ERR_AUTH, counts drop_auth
 * and changes nothing; in particular the window does not move, so the
 * genuine datagram with the same counter is still accepted. */
Test(session, tampered_datagram_rejected_without_state_change) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  struct dgram d, bad;
  handshake(a, b, T0);
  seal(a, 1, T0, "payload", &d);
  const size_t spots[] = {d.len - 1, 30, 16, 20, 21, 25};
  for (size_t s = 0; s < sizeof spots / sizeof spots[0]; s++) {
    bad = d;
    bad.b[spots[s]] ^= 0x04;
    expect_drop(b, T0, &bad, SGP_ERR_AUTH, &b->st.s.stats.drop_auth, EXACT);
  }
  expect_data(b, T0, &d, 0, "payload");
  node_free(a);
  node_free(b);
}

/* SGP-XPORT-30, SGP-XPORT-23: a datagram sealed with any key other than the
 * session's receiving key (a random key, or the receiver's own sending key,
 * i.e. a reflected datagram) fails with SGP_ERR_AUTH. */
Test(session, wrong_key_rejected) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  struct dgram d;
  uint8_t key[32], f[SGP_DATA_FHDR_BYTES];
  handshake(a, b, T0);
  const struct sgp_session *x = cur_of(b, 0);
  fhdr_one(f, 1, 4);
  memset(key, 0x77, sizeof key);
  cr_assert_eq(sgp_data_seal(key, x->local_index, 5, 0, f, (const uint8_t *)"abcd", 4, d.b,
                             sizeof d.b, &d.len),
               SGP_OK);
  expect_drop(b, T0, &d, SGP_ERR_AUTH, &b->st.s.stats.drop_auth, EXACT);
  cr_assert_eq(sgp_data_seal(x->send.k, x->local_index, 5, 0, f, (const uint8_t *)"abcd", 4, d.b,
                             sizeof d.b, &d.len),
               SGP_OK);
  expect_drop(b, T0, &d, SGP_ERR_AUTH, &b->st.s.stats.drop_auth, EXACT);
  node_free(a);
  node_free(b);
}

/* SGP-REPLAY-3: a datagram delivered twice: the copy fails with
 * SGP_ERR_REPLAY (drop_replay) and changes nothing. */
Test(session, replayed_counter_rejected) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  struct dgram d;
  handshake(a, b, T0);
  seal(a, 1, T0, "once", &d);
  expect_data(b, T0, &d, 0, "once");
  expect_drop(b, T0, &d, SGP_ERR_REPLAY, &b->st.s.stats.drop_replay, EXACT);
  node_free(a);
  node_free(b);
}

/* SGP-REPLAY-1, SGP-REPLAY-3, SGP-REPLAY-4: the window of 2048 through a
 * real session: in order, out of order, far ahead, then behind the window
 * (SGP_ERR_TOO_OLD), exactly at its edge, and duplicates (SGP_ERR_REPLAY). */
Test(session, replay_window_through_a_session) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  enum { M = 3000 };
  struct dgram *d = calloc(M, sizeof *d);
  cr_assert_not_null(d);
  handshake(a, b, T0); /* counter 0 = the keepalive */
  for (int i = 1; i < M; i++) seal(a, 1, T0, "w", &d[i]);
  for (int i = 1; i <= 10; i++) expect_data(b, T0, &d[i], 0, "w"); /* in order */
  for (int i = 40; i > 10; i--) expect_data(b, T0, &d[i], 0, "w"); /* out of order */
  expect_drop(b, T0, &d[25], SGP_ERR_REPLAY, &b->st.s.stats.drop_replay, EXACT);
  expect_data(b, T0, &d[M - 1], 0, "w"); /* far ahead: top = 2999 */
  /* window: top - c < 2048, i.e. c >= 952 */
  expect_drop(b, T0, &d[951], SGP_ERR_TOO_OLD, &b->st.s.stats.drop_replay, EXACT);
  expect_drop(b, T0, &d[40], SGP_ERR_TOO_OLD, &b->st.s.stats.drop_replay, EXACT);
  expect_data(b, T0, &d[952], 0, "w");
  expect_drop(b, T0, &d[952], SGP_ERR_REPLAY, &b->st.s.stats.drop_replay, EXACT);
  for (int i = M - 2; i > M - 100; i--) expect_data(b, T0, &d[i], 0, "w");
  expect_drop(b, T0, &d[M - 1], SGP_ERR_REPLAY, &b->st.s.stats.drop_replay, EXACT);
  free(d);
  node_free(a);
  node_free(b);
}

/* SGP-XPORT-24, SGP-XPORT-36: after two rekeys the first session is
 * discarded (its keys wiped): its datagrams are an unknown index; the
 * previous session's datagrams are accepted until it is REJECT_AFTER_TIME
 * old, then SGP_ERR_EXPIRED. */
Test(session, old_session_after_rekey) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  struct dgram s1, s2;
  handshake(a, b, T0);
  seal(a, 1, T0, "s1", &s1);
  uint64_t t1 = T0 + SGP_REKEY_AFTER_TIME_MS;
  handshake(a, b, t1);
  seal(a, 1, t1, "s2", &s2);
  /* rebuild an s2-session datagram under the old (previous) session */
  const struct sgp_session_peer *pa = &a->st.peers[1];
  struct dgram old_prev;
  uint8_t f[SGP_DATA_FHDR_BYTES];
  fhdr_one(f, 1, 2);
  cr_assert_eq(
      sgp_data_seal(pa->slot[pa->prev].send.k, pa->slot[pa->prev].remote_index, 100, 0, f,
                    (const uint8_t *)"pv", 2, old_prev.b, sizeof old_prev.b, &old_prev.len),
      SGP_OK);
  expect_data(b, t1, &s1, 0, "s1"); /* previous session: still fine */
  uint64_t t2 = T0 + SGP_REJECT_AFTER_TIME_MS;
  expect_drop(b, t2, &old_prev, SGP_ERR_EXPIRED, &b->st.s.stats.drop_expired, EXACT);
  handshake(a, b, t2);
  uint32_t before = b->discarded;
  (void)before;
  static const uint8_t zero[sizeof(struct sgp_session)] = {0};
  int wiped = 0;
  for (int k = 0; k < SGP_SESSION_SLOTS; k++)
    wiped += memcmp(&b->st.peers[0].slot[k], zero, sizeof zero) == 0;
  cr_assert_eq(wiped, 1, "the first session's slot is all zero (the 3rd slot is free)");
  expect_drop(b, t2, &old_prev, SGP_ERR_UNKNOWN_INDEX, &b->st.s.stats.drop_unknown_index, EXACT);
  expect_data(b, t2, &s2, 0, "s2"); /* now the previous session */
  node_free(a);
  node_free(b);
}

/* SGP-XPORT-20, SGP-XPORT-8, SGP-XPORT-3, SGP-XPORT-52, SGP-SEC-2: an
 * initiation naming a sender_node outside the roster (SGP_ERR_NODE_ID) or
 * the receiver itself (SGP_ERR_SENDER) counts drop_unknown_peer; one from a
 * static key outside the roster (claiming roster id 2) fails the Noise read
 * (SGP_ERR_CRYPTO, drop_handshake).  None is answered, none creates state
 * beyond the tokens it consumed. */
Test(session, initiation_from_outside_the_roster) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  static uint8_t rogue_roster[N][32];
  memcpy(rogue_roster, PK, sizeof rogue_roster);
  memcpy(rogue_roster[2], PK[N], 32);
  struct node *rogue = node_new_with(2, 3, T0, SK[N], rogue_roster);
  struct dgram i;
  uint8_t key[32];
  sgp_cookie_mac1_key(key, PK[1]);

  initiate(rogue, 1, NULL, 0, T0, &i);
  expect_drop(b, T0, &i, SGP_ERR_CRYPTO, &b->st.s.stats.drop_handshake, TOKENS);

  initiate(a, 1, NULL, 0, T0, &i);
  i.b[7] = N; /* sender_node = n, mac1 recomputed: only roster knowledge */
  cr_assert_eq(sgp_cookie_add_macs(i.b, i.len, key, NULL), SGP_OK);
  expect_drop(b, T0, &i, SGP_ERR_NODE_ID, &b->st.s.stats.drop_unknown_peer, TOKENS);
  i.b[4] = 0x80;
  cr_assert_eq(sgp_cookie_add_macs(i.b, i.len, key, NULL), SGP_OK);
  expect_drop(b, T0, &i, SGP_ERR_NODE_ID, &b->st.s.stats.drop_unknown_peer, TOKENS);
  i.b[4] = 0, i.b[7] = 1;
  cr_assert_eq(sgp_cookie_add_macs(i.b, i.len, key, NULL), SGP_OK);
  expect_drop(b, T0, &i, SGP_ERR_SENDER, &b->st.s.stats.drop_unknown_peer, TOKENS);
  i.b[7] = 3; /* a roster id whose key did not sign it */
  cr_assert_eq(sgp_cookie_add_macs(i.b, i.len, key, NULL), SGP_OK);
  expect_drop(b, T0, &i, SGP_ERR_CRYPTO, &b->st.s.stats.drop_handshake, TOKENS);
  node_free(a);
  node_free(b);
  node_free(rogue);
}

/* SGP-XPORT-13, SGP-XPORT-47: oversized, empty, truncated (each type one
 * byte below its minimum), unknown types, nonzero reserved bytes,
 * undefined data flags, and a cookie reply of the wrong length: each is
 * dropped before any crypto with its own code and counter. */
Test(session, malformed_datagrams_dropped_by_layout) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  struct dgram i, d, x;
  struct sgp_session_stats *st = &b->st.s.stats;
  handshake(a, b, T0);
  initiate(a, 1, NULL, 0, T0 + SGP_REKEY_TIMEOUT_MS, &i);
  seal(a, 1, T0, "data", &d);

  x = d;
  x.len = SGP_DGRAM_MAX + 1;
  expect_drop(b, T0, &x, SGP_ERR_TOO_LARGE, &st->drop_size, EXACT);
  x.len = 0;
  expect_drop(b, T0, &x, SGP_ERR_TRUNCATED, &st->drop_size, EXACT);
  const uint8_t types[] = {1, 2, 3, 4};
  const size_t mins[] = {SGP_INITIATION_MIN, SGP_RESPONSE_MIN, SGP_COOKIE_REPLY_BYTES,
                         SGP_DATA_MIN};
  for (int t = 0; t < 4; t++) {
    memset(&x, 0, sizeof x);
    x.b[0] = types[t];
    x.len = mins[t] - 1;
    expect_drop(b, T0, &x, SGP_ERR_TRUNCATED, &st->drop_size, EXACT);
  }
  memset(&x, 0, sizeof x);
  x.b[0] = 3;
  x.len = 65;
  expect_drop(b, T0, &x, SGP_ERR_TRAILING, &st->drop_size, EXACT);
  const uint8_t bad_types[] = {0, 5, 0x41, 0xff};
  for (int t = 0; t < 4; t++) {
    x = d;
    x.b[0] = bad_types[t];
    expect_drop(b, T0, &x, SGP_ERR_DGRAM_TYPE, &st->drop_type, EXACT);
  }
  for (int k = 1; k <= 3; k++) {
    x = i;
    x.b[k] = 1;
    expect_drop(b, T0, &x, SGP_ERR_RESERVED, &st->drop_reserved, EXACT);
  }
  x = d;
  x.b[2] = 0x80;
  expect_drop(b, T0, &x, SGP_ERR_RESERVED, &st->drop_reserved, EXACT);
  const uint8_t bad_flags[] = {0x02, 0x04, 0x80, 0x07};
  for (int f = 0; f < 4; f++) {
    x = d;
    x.b[1] = bad_flags[f];
    expect_drop(b, T0, &x, SGP_ERR_RESERVED, &st->drop_reserved, EXACT);
  }
  expect_data(b, T0, &d, 0, "data");
  node_free(a);
  node_free(b);
}

/* SGP-XPORT-19, SGP-XPORT-52: an initiation or response whose mac1 fails is
 * dropped before anything else: no token consumed, no DH, no reply.  The
 * same message with mac1 recomputed over a modified body reaches the Noise
 * read and fails there (SGP_ERR_CRYPTO). */
Test(session, mac1_checked_first) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  struct dgram i, r, x;
  struct sgp_rx rx;
  uint8_t key_b[32], key_a[32];
  sgp_cookie_mac1_key(key_b, PK[1]);
  sgp_cookie_mac1_key(key_a, PK[0]);
  initiate(a, 1, (const uint8_t *)"syn", 3, T0, &i);
  x = i;
  x.b[x.len - 20] ^= 1;
  expect_drop(b, T0, &x, SGP_ERR_MAC1, &b->st.s.stats.drop_mac1, EXACT);
  x = i;
  x.b[50] ^= 1;
  expect_drop(b, T0, &x, SGP_ERR_MAC1, &b->st.s.stats.drop_mac1, EXACT);
  cr_assert_eq(sgp_cookie_add_macs(x.b, x.len, key_b, NULL), SGP_OK);
  expect_drop(b, T0, &x, SGP_ERR_CRYPTO, &b->st.s.stats.drop_handshake, TOKENS);

  cr_assert_eq(deliver(b, T0, &i, &rx), SGP_OK);
  respond(b, 0, NULL, 0, T0, &r);
  x = r;
  x.b[x.len - 17] ^= 1;
  expect_drop(a, T0, &x, SGP_ERR_MAC1, &a->st.s.stats.drop_mac1, EXACT);
  x = r;
  x.b[40] ^= 1;
  cr_assert_eq(sgp_cookie_add_macs(x.b, x.len, key_a, NULL), SGP_OK);
  expect_drop(a, T0, &x, SGP_ERR_CRYPTO, &a->st.s.stats.drop_handshake, EXACT);
  cr_assert_eq(deliver(a, T0, &r, &rx), SGP_OK, "the genuine response still completes");
  node_free(a);
  node_free(b);
}

/* SGP-REPLAY-5, SGP-REPLAY-6, SGP-REPLAY-7: stamps are generation ||
 * counter and grow with every initiation; a replayed initiation, or an
 * older one after a newer was accepted, is dropped (SGP_ERR_REPLAY,
 * drop_stamp) after the Noise read and before any state change. */
Test(session, initiation_replay_dropped_by_stamp) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  struct dgram i1, i2;
  struct sgp_rx rx;
  initiate(a, 1, NULL, 0, T0, &i1);
  initiate(a, 1, NULL, 0, T0 + SGP_REKEY_TIMEOUT_MS + 400, &i2);
  cr_assert_eq(a->st.s.init_counter, 2);
  cr_assert_eq(deliver(b, T0, &i2, &rx), SGP_OK);
  cr_assert_eq(b->st.peers[0].stamp_max, (UINT64_C(7) << 32) | 2, "generation 7, counter 2");
  expect_drop(b, T0 + 1, &i2, SGP_ERR_REPLAY, &b->st.s.stats.drop_stamp, TOKENS);
  expect_drop(b, T0 + 2, &i1, SGP_ERR_REPLAY, &b->st.s.stats.drop_stamp, TOKENS);
  cr_assert_eq(b->st.s.stats.drop_replay, 0, "stamp drops are not data replays");
  node_free(a);
  node_free(b);
}

/* SGP-REPLAY-8: a response is accepted only for the outstanding initiation
 * with its index, once; a second copy is an unknown index. */
Test(session, response_accepted_once) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  struct dgram i, r;
  struct sgp_rx rx;
  initiate(a, 1, NULL, 0, T0, &i);
  cr_assert_eq(deliver(b, T0, &i, &rx), SGP_OK);
  respond(b, 0, NULL, 0, T0, &r);
  cr_assert_eq(deliver(a, T0, &r, &rx), SGP_OK);
  expect_drop(a, T0, &r, SGP_ERR_UNKNOWN_INDEX, &a->st.s.stats.drop_unknown_index, EXACT);
  node_free(a);
  node_free(b);
}

/* SGP-XPORT-32: an authenticated data message with frag_count 0 that is not
 * exactly a keepalive is dropped (SGP_ERR_KEEPALIVE, drop_keepalive) without
 * moving the window (decision: the check runs before the commit). */
Test(session, malformed_keepalive_dropped) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  struct dgram d, ok;
  uint8_t f[SGP_DATA_FHDR_BYTES] = {0};
  handshake(a, b, T0);
  const struct sgp_session *x = cur_of(a, 1);
  f[3] = 5; /* msg_id 5, frag_count 0 */
  cr_assert_eq(sgp_data_seal(x->send.k, x->remote_index, 9, 0, f, NULL, 0, d.b, sizeof d.b, &d.len),
               SGP_OK);
  expect_drop(b, T0, &d, SGP_ERR_KEEPALIVE, &b->st.s.stats.drop_keepalive, EXACT);
  memset(f, 0, sizeof f);
  cr_assert_eq(sgp_data_seal(x->send.k, x->remote_index, 9, 0, f, (const uint8_t *)"x", 1, d.b,
                             sizeof d.b, &d.len),
               SGP_OK);
  expect_drop(b, T0, &d, SGP_ERR_KEEPALIVE, &b->st.s.stats.drop_keepalive, EXACT);
  cr_assert_eq(
      sgp_data_seal(x->send.k, x->remote_index, 9, 0x01, f, NULL, 0, d.b, sizeof d.b, &d.len),
      SGP_OK);
  expect_drop(b, T0, &d, SGP_ERR_KEEPALIVE, &b->st.s.stats.drop_keepalive, EXACT);
  cr_assert_eq(
      sgp_data_seal(x->send.k, x->remote_index, 9, 0, f, NULL, 0, ok.b, sizeof ok.b, &ok.len),
      SGP_OK);
  struct sgp_rx rx;
  cr_assert_eq(deliver(b, T0, &ok, &rx), SGP_OK, "counter 9 still unused");
  cr_assert_eq(rx.kind, SGP_RX_KEEPALIVE);
  node_free(a);
  node_free(b);
}

/* SGP-REPLAY-2, SGP-XPORT-35, SGP-XPORT-4: counters at or above
 * REJECT_AFTER_MESSAGES are neither sent (SGP_ERR_EXHAUSTED) nor accepted
 * (SGP_ERR_EXHAUSTED, drop_expired); REKEY_AFTER_MESSAGES asks for a
 * handshake. */
Test(session, counter_limits) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  struct dgram d;
  handshake(a, b, T0);
  struct sgp_session *x = &a->st.peers[1].slot[a->st.peers[1].cur];
  x->send_ctr = SGP_REKEY_AFTER_MESSAGES;
  cr_assert_eq(sgp_session_status(&a->st.s, 1, T0) & SGP_PEER_NEEDS_HANDSHAKE,
               SGP_PEER_NEEDS_HANDSHAKE);
  x->send_ctr = SGP_REJECT_AFTER_MESSAGES - 1;
  seal(a, 1, T0, "last", &d);
  expect_data(b, T0, &d, 0, "last");
  cr_assert_eq(sgp_session_keepalive(&a->st.s, 1, T0, d.b, sizeof d.b, &d.len), SGP_ERR_EXHAUSTED);
  cr_assert_eq(sgp_session_status(&a->st.s, 1, T0) & SGP_PEER_CAN_SEND, 0);
  /* a genuine sender cannot produce one; seal it by hand */
  uint8_t nonce[12] = {0};
  uint64_t c = SGP_REJECT_AFTER_MESSAGES;
  for (int k = 0; k < 8; k++) nonce[4 + k] = (uint8_t)(c >> (8 * k));
  memset(d.b, 0, 26);
  d.b[0] = 4;
  memcpy(d.b + 4,
         (uint8_t[4]){(uint8_t)(x->remote_index >> 24), (uint8_t)(x->remote_index >> 16),
                      (uint8_t)(x->remote_index >> 8), (uint8_t)x->remote_index},
         4);
  for (int k = 0; k < 8; k++) d.b[8 + k] = (uint8_t)(c >> (56 - 8 * k));
  crypto_aead_chacha20poly1305_ietf_encrypt(d.b + 26, NULL, NULL, 0, d.b, 26, NULL, nonce,
                                            x->send.k);
  d.len = 42;
  expect_drop(b, T0, &d, SGP_ERR_EXHAUSTED, &b->st.s.stats.drop_expired, EXACT);
  node_free(a);
  node_free(b);
}

/* SGP-XPORT-52: data for an index that no session uses is dropped silently
 * and counted (drop_unknown_index); so is a cookie reply for no
 * outstanding initiation. */
Test(session, unknown_receiver_index_dropped_silently) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  struct dgram d;
  handshake(a, b, T0);
  seal(a, 1, T0, "data", &d);
  d.b[4] ^= 0x5a;
  expect_drop(b, T0, &d, SGP_ERR_UNKNOWN_INDEX, &b->st.s.stats.drop_unknown_index, EXACT);
  uint8_t key[32], mac1[16] = {0}, nonce[24] = {0}, cookie[16] = {0};
  sgp_cookie_reply_key(key, PK[0]);
  d.len = SGP_COOKIE_REPLY_BYTES;
  cr_assert_eq(sgp_cookie_reply_write(d.b, 0x01020304, nonce, key, mac1, cookie), SGP_OK);
  expect_drop(b, T0, &d, SGP_ERR_UNKNOWN_INDEX, &b->st.s.stats.drop_unknown_index, EXACT);
  node_free(a);
  node_free(b);
}

/* SGP-XPORT-43: the peer handshake bucket (1/s, burst 5): five initiations
 * from one peer in a burst pass, the sixth is dropped (SGP_ERR_RATE_LIMITED,
 * drop_rate) before any DH; one second later one more passes. */
Test(session, peer_handshake_rate_limit) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  struct dgram i[7];
  struct sgp_rx rx;
  for (int k = 0; k < 7; k++) initiate(a, 1, NULL, 0, T0 + (uint64_t)k * 6000, &i[k]);
  uint64_t t = T0 + 60000;
  for (int k = 0; k < 5; k++) cr_assert_eq(deliver(b, t, &i[k], &rx), SGP_OK, "initiation %d", k);
  expect_drop(b, t, &i[5], SGP_ERR_RATE_LIMITED, &b->st.s.stats.drop_rate, TOKENS);
  cr_assert_eq(deliver(b, t + 999, &i[5], &rx), SGP_ERR_RATE_LIMITED);
  cr_assert_eq(deliver(b, t + 1000, &i[5], &rx), SGP_OK);
  cr_assert_eq(deliver(b, t + 1000, &i[6], &rx), SGP_ERR_RATE_LIMITED);
  /* other peers have their own bucket */
  struct node *c = node_new(2, 3, T0);
  struct dgram ic;
  initiate(c, 1, NULL, 0, t, &ic);
  cr_assert_eq(deliver(b, t + 1000, &ic, &rx), SGP_OK);
  node_free(a);
  node_free(b);
  node_free(c);
}

/* SGP-XPORT-44, SGP-XPORT-45, SGP-XPORT-48, SGP-XPORT-18: once 100
 * initiations have emptied the load bucket the node is under load: an
 * initiation without a valid mac2 is dropped (SGP_ERR_COOKIE, drop_cookie)
 * and answered with a 64-byte cookie reply (while the cookie-reply bucket
 * lasts); the initiator stores the cookie and its next scheduled
 * retransmission carries mac2, which passes under load. */
Test(session, cookie_path_under_load) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0), *c = node_new(2, 3, T0);
  struct dgram flood, ia, reply, ia2, r;
  struct sgp_rx rx;
  initiate(c, 1, NULL, 0, T0, &flood);
  for (int k = 0; k < 100; k++) (void)deliver(b, T0, &flood, &rx);
  cr_assert_eq(
      sgp_bucket_level(&b->st.s.load,
                       &(struct sgp_bucket_rate){SGP_LOAD_BUCKET_RATE, SGP_LOAD_BUCKET_BURST}, T0),
      0);

  initiate(a, 1, (const uint8_t *)"syn", 3, T0, &ia);
  expect_drop(b, T0, &ia, SGP_ERR_COOKIE, &b->st.s.stats.drop_cookie, TOKENS);
  cr_assert_eq(deliver(b, T0, &ia, &rx), SGP_ERR_COOKIE);
  cr_assert_eq(rx.reply_len, SGP_COOKIE_REPLY_BYTES);
  memcpy(reply.b, rx.reply, SGP_COOKIE_REPLY_BYTES);
  reply.len = SGP_COOKIE_REPLY_BYTES;
  cr_assert_eq(reply.b[0], 3);
  cr_assert(memcmp(reply.b + 4, ia.b + 8, 4) == 0, "receiver_index = initiation's sender_index");
  cr_assert_eq(b->st.s.stats.tx_cookie, 2);

  /* a reply whose ad is not the mac1 we sent does not open */
  struct dgram bad = reply;
  bad.b[63] ^= 1;
  expect_drop(a, T0, &bad, SGP_ERR_AUTH, &a->st.s.stats.drop_auth, EXACT);
  cr_assert_eq(deliver(a, T0 + 1, &reply, &rx), SGP_OK);
  cr_assert_eq(rx.kind, SGP_RX_COOKIE);
  cr_assert_eq(a->st.peers[1].has_cookie, 1);

  /* next scheduled retransmission, while the responder is still flooded
   * (replayed copies of the first flood initiation: each passes mac1 and
   * takes a load token before its stamp is found old) */
  uint64_t t = a->st.peers[1].init.retry_ms;
  for (int k = 0; k < 100; k++) (void)deliver(b, t, &flood, &rx);
  initiate(a, 1, (const uint8_t *)"syn", 3, t, &ia2);
  static const uint8_t zero[16] = {0};
  cr_assert_neq(memcmp(ia2.b + ia2.len - 16, zero, 16), 0, "mac2 set");
  cr_assert_eq(deliver(b, t, &ia2, &rx), SGP_OK, "valid mac2 passes under load");
  cr_assert_eq(rx.kind, SGP_RX_INITIATION);
  respond(b, 0, NULL, 0, t, &r);
  cr_assert_eq(deliver(a, t, &r, &rx), SGP_OK);

  /* from another source address the cookie is not valid */
  for (int k = 0; k < 100; k++) (void)deliver(b, t + 6000, &flood, &rx);
  const uint8_t other[6] = {192, 0, 2, 99, 0x1f, 0x90};
  struct dgram ia3;
  initiate(a, 1, NULL, 0, t + 6000, &ia3);
  cr_assert_eq(sgp_session_recv(&b->st.s, t + 6000, ia3.b, ia3.len, other, sizeof other, b->buf,
                                sizeof b->buf, &rx),
               SGP_ERR_COOKIE);

  /* the cookie-reply bucket (100/s, burst 100) runs dry: no more replies */
  int replies = 0;
  for (int k = 0; k < 200; k++) {
    cr_assert_eq(sgp_session_recv(&b->st.s, t + 6000, ia3.b, ia3.len, other, sizeof other, b->buf,
                                  sizeof b->buf, &rx),
                 SGP_ERR_COOKIE);
    replies += rx.reply_len == SGP_COOKIE_REPLY_BYTES;
  }
  cr_assert_eq(replies, 99, "one of the 100 tokens went to the first reply above");
  cr_assert_eq(rx.reply_len, 0);
  node_free(a);
  node_free(b);
  node_free(c);
}

/* SGP-XPORT-22, SGP-XPORT-24: indices are drawn at random and never
 * collide with one in use; at most one outstanding, pending, current and
 * previous per peer. */
Test(session, indices_unique_per_node) {
  struct node *a = node_new(0, 5, T0), *b = node_new(1, 6, T0), *c = node_new(2, 7, T0);
  uint64_t t = T0;
  for (int round = 0; round < 4; round++) {
    handshake(a, b, t);
    handshake(a, c, t);
    t += SGP_REKEY_TIMEOUT_MS;
  }
  uint32_t seen[16];
  int n = 0;
  for (uint32_t p = 1; p <= 2; p++) {
    const struct sgp_session_peer *pp = &a->st.peers[p];
    int used = 0;
    for (int k = 0; k < SGP_SESSION_SLOTS; k++) {
      if (pp->slot[k].state == 0) continue;
      used++;
      for (int j = 0; j < n; j++) cr_assert_neq(seen[j], pp->slot[k].local_index);
      seen[n++] = pp->slot[k].local_index;
    }
    cr_assert_eq(used, 2, "current and previous only");
  }
  node_free(a);
  node_free(b);
  node_free(c);
}

/* SGP-XPORT-51: every rejected datagram moves exactly one counter; a mix of
 * 64 random datagrams and bit flips of valid ones never crashes and never
 * changes state. */
Test(session, random_garbage_counted_once) {
  struct node *a = node_new(0, 1, T0), *b = node_new(1, 2, T0);
  struct dgram d, x;
  struct sgp_rx rx;
  handshake(a, b, T0);
  seal(a, 1, T0, "valid", &d);
  struct state *before = snap(b);
  uint64_t d0 = drops(b);
  uint64_t s = 12345;
  for (int k = 0; k < 64; k++) {
    s = s * 6364136223846793005u + 1442695040888963407u;
    x = d;
    if (k % 2) {
      x.b[(s >> 33) % d.len] ^= (uint8_t)(1u << ((s >> 20) % 8));
    } else {
      x.len = (size_t)((s >> 40) % (SGP_DGRAM_MAX + 1));
      randombytes_buf(x.b, x.len);
      if (x.len) x.b[0] = (uint8_t)(1 + (s >> 10) % 4);
    }
    cr_assert_neq(deliver(b, T0, &x, &rx), SGP_OK);
  }
  cr_assert_eq(drops(b), d0 + 64);
  assert_unchanged(before, b, TOKENS);
  free(before);
  node_free(a);
  node_free(b);
}

/* API misuse is not a drop. */
Test(session, caller_errors) {
  struct node *a = node_new(0, 1, T0);
  struct dgram d;
  struct sgp_rx rx;
  uint8_t small[8];
  initiate(a, 1, NULL, 0, T0, &d);
  cr_assert_eq(sgp_session_initiate(&a->st.s, 0, NULL, 0, T0, d.b, sizeof d.b, &d.len),
               SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_session_initiate(&a->st.s, N, NULL, 0, T0, d.b, sizeof d.b, &d.len),
               SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_session_initiate(&a->st.s, 2, NULL, 0, T0, d.b, 99, &d.len), SGP_ERR_NO_SPACE);
  d.b[0] = 4;
  d.len = 60;
  cr_assert_eq(sgp_session_recv(&a->st.s, T0, d.b, d.len, NULL, 0, small, sizeof small, &rx),
               SGP_ERR_NO_SPACE);
  cr_assert_eq(drops(a), 0);
  struct sgp_session_config c;
  memset(&c, 0, sizeof c);
  struct sgp_sessions s;
  cr_assert_eq(sgp_session_init(&s, &c, T0), SGP_ERR_INVALID_ARG);
  node_free(a);
}
