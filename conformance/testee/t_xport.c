/* Testee operations DATA_SEAL, OPEN_DATAGRAM, HANDSHAKE and COOKIE_OPEN
 * (spec §7).  The library draws randomness through a callback; here it is
 * answered from a script the request supplies (indices, ephemerals), so the
 * listed values reach the wire. */
#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rngscript.h"
#include "sgp/cookie.h"
#include "sgp/session.h"
#include "testee.h"

#define BAD sgp_testee_v1_Status_STATUS_BAD_REQUEST
#define OK sgp_testee_v1_Status_STATUS_OK

enum { MAXN = 64, ICAP = 512 };

static const struct {
  const char *name;
  size_t off;
} COUNTERS[] = {
#define C(f) \
  { #f, offsetof(struct sgp_session_stats, f) }
    C(drop_size),          C(drop_type),    C(drop_reserved),  C(drop_mac1),   C(drop_cookie),
    C(drop_unknown_peer),  C(drop_rate),    C(drop_handshake), C(drop_stamp),  C(drop_crossing),
    C(drop_unknown_index), C(drop_expired), C(drop_auth),      C(drop_replay), C(drop_keepalive),
#undef C
};

static uint64_t counter_at(const struct sgp_session_stats *st, size_t i) {
  uint64_t v;
  memcpy(&v, (const uint8_t *)st + COUNTERS[i].off, sizeof v);
  return v;
}

/* Name of the one drop counter that moved between a and b, or "". */
static const char *moved(const struct sgp_session_stats *a, const struct sgp_session_stats *b) {
  for (size_t i = 0; i < sizeof COUNTERS / sizeof COUNTERS[0]; i++)
    if (counter_at(a, i) != counter_at(b, i)) return COUNTERS[i].name;
  return "";
}

/* ---- nodes --------------------------------------------------------------------- */

struct node {
  struct sgp_sessions s;
  struct sgp_session_peer peers[MAXN];
  struct sgp_session_index index[ICAP];
  struct conf_script rng; /* scripted randomness (rngscript.h) */
  uint8_t buf[SGP_DGRAM_MAX];
};

static int keys_of(const pb_bytes_array_t *const *src, pb_size_t count, uint8_t (*pk)[32]) {
  if (count == 0 || count > MAXN) return -1;
  for (pb_size_t i = 0; i < count; i++) {
    if (src[i]->size != 32) return -1;
    memcpy(pk[i], src[i]->bytes, 32);
  }
  return 0;
}

static struct node *node_new(uint32_t n, const uint8_t (*pk)[32], const uint8_t *sk, uint32_t self,
                             uint32_t generation, uint64_t now, sgp_err *rc) {
  struct node *x = calloc(1, sizeof *x);
  if (!x) {
    *rc = SGP_ERR_NO_SPACE;
    return NULL;
  }
  struct sgp_session_config c;
  conf_script_config(&c, &x->rng, self, n, sk, pk, generation);
  c.peers = x->peers;
  c.peers_cap = MAXN;
  c.index = x->index;
  c.index_cap = ICAP;
  *rc = sgp_session_init(&x->s, &c, now);
  if (*rc != SGP_OK) {
    free(x);
    return NULL;
  }
  return x;
}

static void node_free(struct node *x) {
  if (!x) return;
  sgp_session_destroy(&x->s);
  free(x);
}

/* ---- operations ------------------------------------------------------------------ */

tt_status tt_data_seal(const tt_request *rq, tt_reply *rp) {
  const sgp_testee_v1_DataSealRequest *d = &rq->data_seal;
  if (d->key.size != 32 || d->frag_hdr.size != SGP_DATA_FHDR_BYTES || d->flags > 0xff) return BAD;
  size_t len = 0;
  sgp_err rc = sgp_data_seal(d->key.bytes, d->receiver_index, d->counter, (uint8_t)d->flags,
                             d->frag_hdr.bytes, d->plaintext.bytes, d->plaintext.size,
                             rp->bytes.bytes, sizeof rp->bytes.bytes, &len);
  rp->bytes.size = rc == SGP_OK ? (pb_size_t)len : 0;
  TT_ERR(rp->error, rc);
  return OK;
}

tt_status tt_open_datagram(const tt_request *rq, tt_reply *rp) {
  const sgp_testee_v1_OpenDatagramRequest *d = &rq->open_datagram;
  static uint8_t pk[MAXN][32];
  const pb_bytes_array_t *keys[MAXN];
  for (pb_size_t i = 0; i < d->dh_pk_count && i < MAXN; i++)
    keys[i] = (const pb_bytes_array_t *)&d->dh_pk[i];
  if (keys_of(keys, d->dh_pk_count, pk) != 0 || d->dh_sk.size != 32 || d->self >= d->dh_pk_count)
    return BAD;
  sgp_err rc;
  struct node *r = node_new(d->dh_pk_count, (const uint8_t(*)[32])pk, d->dh_sk.bytes, d->self,
                            d->generation, d->now_ms, &rc);
  if (!r) {
    TT_ERR(rp->error, rc);
    return BAD;
  }
  struct sgp_rx rx;
  for (pb_size_t i = 0; i < d->prior_count; i++) {
    rc = sgp_session_recv(&r->s, d->now_ms, d->prior[i].bytes, d->prior[i].size, NULL, 0, r->buf,
                          sizeof r->buf, &rx);
    if (rc != SGP_OK) {
      node_free(r);
      TT_ERR(rp->error, rc);
      return BAD;
    }
  }
  struct sgp_session_stats before = r->s.stats;
  rc = sgp_session_recv(&r->s, d->now_ms, d->datagram.bytes, d->datagram.size, NULL, 0, r->buf,
                        sizeof r->buf, &rx);
  TT_ERR(rp->error, rc);
  (void)snprintf(rp->counter, sizeof rp->counter, "%s", moved(&before, &r->s.stats));
  node_free(r);
  return OK;
}

static void copy_bytes(void *dst_arr, size_t cap, const uint8_t *p, size_t len) {
  pb_bytes_array_t *b = dst_arr;
  size_t k = len < cap ? len : cap;
  memcpy(b->bytes, p, k);
  b->size = (pb_size_t)k;
}
#define COPY(field, p, len) copy_bytes(&(field), sizeof((field).bytes), (p), (len))

/* The handshake of test_xportvec, driven by the request.  Returns SGP_OK or
 * the first failure. */
static sgp_err run_handshake(const sgp_testee_v1_HandshakeRequest *h, const uint8_t (*pk)[32],
                             struct node **I, struct node **R, sgp_testee_v1_HandshakeReply *o) {
  static const uint8_t zero4[4] = {0};
  uint8_t out[SGP_DGRAM_MAX];
  size_t len;
  struct sgp_rx rx;
  sgp_err rc;
  uint32_t n = h->dh_pk_count;
  *I = node_new(n, pk, h->init_dh_sk.bytes, h->init_node, h->generation, h->now_ms, &rc);
  if (!*I) return rc;
  *R = node_new(n, pk, h->resp_dh_sk.bytes, h->resp_node, h->generation, h->now_ms, &rc);
  if (!*R) return rc;
  if ((uint32_t)(h->stamp >> 32) != h->generation || (uint32_t)h->stamp == 0)
    return SGP_ERR_INVALID_ARG;
  (*I)->s.init_counter = (uint32_t)h->stamp - 1;
  if (h->cookie.size == SGP_MAC_BYTES) {
    struct sgp_session_peer *p = &(*I)->peers[h->resp_node];
    memcpy(p->cookie, h->cookie.bytes, SGP_MAC_BYTES);
    p->has_cookie = 1;
    p->cookie_ms = h->now_ms;
  }
  conf_script_push_u32(&(*I)->rng, h->init_index);
  conf_script_push(&(*I)->rng, h->init_ephemeral.bytes, 32);
  conf_script_push(&(*I)->rng, zero4, 4); /* retransmission jitter: not on the wire */
  SGP_GUARD(sgp_session_initiate(&(*I)->s, h->resp_node, h->syn.bytes, h->syn.size, h->now_ms, out,
                                 sizeof out, &len));
  COPY(o->initiation, out, len);
  SGP_GUARD(
      sgp_session_recv(&(*R)->s, h->now_ms, out, len, NULL, 0, (*R)->buf, sizeof(*R)->buf, &rx));
  SGP_ENSURE(rx.kind == SGP_RX_INITIATION && rx.peer == h->init_node, SGP_ERR_STATE);
  COPY(o->syn_received, rx.payload, rx.payload_len);
  conf_script_push_u32(&(*R)->rng, h->resp_index);
  conf_script_push(&(*R)->rng, h->resp_ephemeral.bytes, 32);
  SGP_GUARD(sgp_session_respond(&(*R)->s, h->init_node, h->ack.bytes, h->ack.size, h->now_ms, out,
                                sizeof out, &len));
  COPY(o->response, out, len);
  SGP_GUARD(
      sgp_session_recv(&(*I)->s, h->now_ms, out, len, NULL, 0, (*I)->buf, sizeof(*I)->buf, &rx));
  SGP_ENSURE(rx.kind == SGP_RX_RESPONSE, SGP_ERR_STATE);
  COPY(o->ack_received, rx.payload, rx.payload_len);
  const struct sgp_session_peer *pi = &(*I)->peers[h->resp_node];
  SGP_ENSURE(pi->cur != SGP_SESSION_NO_SLOT, SGP_ERR_STATE);
  COPY(o->k1, pi->slot[pi->cur].send.k, 32);
  COPY(o->k2, pi->slot[pi->cur].recv.k, 32);
  SGP_ENSURE(!(*I)->rng.fail && !(*R)->rng.fail, SGP_ERR_STATE);
  return SGP_OK;
}

tt_status tt_handshake(const tt_request *rq, tt_reply *rp) {
  const sgp_testee_v1_HandshakeRequest *h = &rq->handshake;
  static uint8_t pk[MAXN][32];
  const pb_bytes_array_t *keys[MAXN];
  for (pb_size_t i = 0; i < h->dh_pk_count && i < MAXN; i++)
    keys[i] = (const pb_bytes_array_t *)&h->dh_pk[i];
  if (keys_of(keys, h->dh_pk_count, pk) != 0 || h->init_dh_sk.size != 32 ||
      h->resp_dh_sk.size != 32 || h->init_ephemeral.size != 32 || h->resp_ephemeral.size != 32 ||
      h->init_node >= h->dh_pk_count || h->resp_node >= h->dh_pk_count ||
      h->init_node == h->resp_node || (h->cookie.size != 0 && h->cookie.size != SGP_MAC_BYTES))
    return BAD;
  sgp_testee_v1_HandshakeReply *o = &rp->handshake;
  rp->has_handshake = true;
  struct node *I = NULL, *R = NULL;
  sgp_err rc = run_handshake(h, (const uint8_t(*)[32])pk, &I, &R, o);
  TT_ERR(o->error, rc);
  for (pb_size_t j = 0; rc == SGP_OK && j < h->steps_count; j++) {
    const sgp_testee_v1_Step *s = &h->steps[j];
    sgp_testee_v1_StepResult *sr = &o->steps[j];
    struct node *to = s->to_responder ? R : I;
    struct sgp_session_stats before = to->s.stats;
    struct sgp_rx rx;
    sgp_err e = sgp_session_recv(&to->s, s->now_ms, s->datagram.bytes, s->datagram.size, NULL, 0,
                                 to->buf, sizeof to->buf, &rx);
    TT_ERR(sr->error, e);
    (void)snprintf(sr->counter, sizeof sr->counter, "%s", moved(&before, &to->s.stats));
    if (e == SGP_OK) {
      (void)snprintf(sr->kind, sizeof sr->kind, "%s",
                     rx.kind == SGP_RX_KEEPALIVE ? "keepalive" : "data");
      COPY(sr->plaintext, rx.payload, rx.payload_len);
    }
    o->steps_count = j + 1;
  }
  node_free(I);
  node_free(R);
  TT_ERR(rp->error, rc);
  return OK;
}

tt_status tt_cookie_open(const tt_request *rq, tt_reply *rp) {
  const sgp_testee_v1_CookieOpenRequest *c = &rq->cookie_open;
  if (c->replier_dh_pk.size != 32 || c->mac1.size != SGP_MAC_BYTES) return BAD;
  uint8_t key[SGP_MAC_KEY_BYTES], cookie[SGP_MAC_BYTES];
  sgp_cookie_reply_key(key, c->replier_dh_pk.bytes);
  sgp_err rc = sgp_cookie_reply_open(c->reply.bytes, c->reply.size, key, c->mac1.bytes, cookie);
  if (rc == SGP_OK) COPY(rp->bytes, cookie, SGP_MAC_BYTES);
  TT_ERR(rp->error, rc);
  return OK;
}
