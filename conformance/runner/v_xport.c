/* transport.json: HandshakeTest and SessionTest (OP_HANDSHAKE),
 * HandshakeRejectTest (OP_OPEN_DATAGRAM), DataTest (OP_DATA_SEAL) and
 * CookieTest (OP_COOKIE_OPEN). */
#include <string.h>

#include "runner.h"

/* Fills list[0..n) with the group's roster X25519 keys (a macro because
 * the two requests' element types differ while their layout is the same). */
#define ROSTER_PK(g, list, count)                                                      \
  ({                                                                                   \
    const json_t *r_ = json_object_get((g), "roster");                                 \
    size_t n_ = json_is_array(r_) ? json_array_size(r_) : 0;                           \
    int bad_ = n_ == 0 || n_ > sizeof(list) / sizeof((list)[0]);                       \
    for (size_t i_ = 0; !bad_ && i_ < n_; i_++)                                        \
      bad_ = roster_pk_at(json_array_get(r_, i_), (list)[i_].bytes, &(list)[i_].size); \
    (count) = bad_ ? 0 : (pb_size_t)n_;                                                \
    bad_ ? -1 : 0;                                                                     \
  })

static int roster_pk_at(const json_t *e, uint8_t *out, pb_size_t *size) {
  size_t len;
  if (jx_hex(e, "dh_pk", out, 32, &len) != 0 || len != 32) return -1;
  *size = 32;
  return 0;
}

static int roster_sk(const json_t *g, uint32_t node, uint8_t *out, pb_size_t *size) {
  size_t len;
  const json_t *e = json_array_get(json_object_get(g, "roster"), node);
  if (!e || jx_hex(e, "dh_sk", out, 32, &len) != 0 || len != 32) return -1;
  *size = 32;
  return 0;
}

static int same(const pb_bytes_array_t *got, const json_t *t, const char *k) {
  uint8_t want[1500];
  size_t len;
  if (jx_hex(t, k, want, sizeof want, &len) != 0) return 0;
  return got->size == len && memcmp(got->bytes, want, len) == 0;
}
#define SAME(field, t, k) same((const pb_bytes_array_t *)&(field), (t), (k))

static int fill_handshake(const json_t *g, const json_t *t, sgp_testee_v1_HandshakeRequest *h) {
  uint64_t v;
  if (ROSTER_PK(g, h->dh_pk, h->dh_pk_count) != 0) return -1;
  if (jx_u32(t, "init_node", &h->init_node) || jx_u32(t, "resp_node", &h->resp_node) ||
      jx_u32(g, "generation", &h->generation) || jx_be(t, "stamp", 8, &h->stamp) ||
      jx_u64(t, "now_ms", &h->now_ms))
    return -1;
  if (roster_sk(g, h->init_node, h->init_dh_sk.bytes, &h->init_dh_sk.size) ||
      roster_sk(g, h->resp_node, h->resp_dh_sk.bytes, &h->resp_dh_sk.size))
    return -1;
  if (jx_be(t, "init_index", 4, &v)) return -1;
  h->init_index = (uint32_t)v;
  if (jx_be(t, "resp_index", 4, &v)) return -1;
  h->resp_index = (uint32_t)v;
  return JX_BYTES(t, "init_ephemeral", h->init_ephemeral) ||
         JX_BYTES(t, "resp_ephemeral", h->resp_ephemeral) || JX_BYTES(t, "syn", h->syn) ||
         JX_BYTES(t, "ack", h->ack) || JX_BYTES(t, "cookie", h->cookie);
}

void rn_xport_handshake(struct rn_ctx *cx, const json_t *g, const json_t *t,
                        struct rn_result *res) {
  sgp_testee_v1_HandshakeRequest *h = &cx->rq->handshake;
  cx->rq->op = sgp_testee_v1_Op_OP_HANDSHAKE;
  cx->rq->has_handshake = true;
  NEED(fill_handshake(g, t, h) == 0, "bad vector: handshake fields");
  const json_t *steps = json_object_get(t, "steps"), *s;
  size_t i;
  NEED(steps == NULL || (json_is_array(steps) && json_array_size(steps) <= 32),
       "bad vector: steps");
  json_array_foreach(steps, i, s) {
    sgp_testee_v1_Step *o = &h->steps[i];
    const char *to = jx_str(s, "to");
    NEED(to && jx_u64(s, "now_ms", &o->now_ms) == 0 && JX_BYTES(s, "datagram", o->datagram) == 0,
         "bad vector: step %zu", i);
    o->to_responder = strcmp(to, "responder") == 0;
  }
  h->steps_count = steps ? (pb_size_t)json_array_size(steps) : 0;
  if (rn_exchange(cx, res) != 0) return;
  const sgp_testee_v1_HandshakeReply *o = &cx->rp->handshake;
  NEED(cx->rp->has_handshake, "handshake: no result (%s)", cx->rp->error);
  if (!rn_expect_err(res, o->error, "SGP_OK", "handshake")) return;
  NEED(SAME(o->initiation, t, "initiation"), "handshake: initiation bytes differ");
  NEED(SAME(o->response, t, "response"), "handshake: response bytes differ");
  NEED(SAME(o->k1, t, "k1"), "handshake: k1 differs");
  NEED(SAME(o->k2, t, "k2"), "handshake: k2 differs");
  NEED(SAME(o->syn_received, t, "syn"), "handshake: responder's payload differs from syn");
  NEED(SAME(o->ack_received, t, "ack"), "handshake: initiator's payload differs from ack");
  NEED(o->steps_count == h->steps_count, "handshake: %u step results for %u steps",
       (unsigned)o->steps_count, (unsigned)h->steps_count);
  json_array_foreach(steps, i, s) {
    const sgp_testee_v1_StepResult *r = &o->steps[i];
    int valid = rn_expect_outcome(res, s, "step", i, r->error, r->counter);
    if (valid < 0) return;
    if (valid) {
      const char *kind = jx_str(s, "kind");
      NEED(kind && strcmp(kind, r->kind) == 0, "step %zu: kind %s", i, r->kind);
      NEED(SAME(r->plaintext, s, "plaintext"), "step %zu: plaintext differs", i);
    }
  }
}

void rn_xport_reject(struct rn_ctx *cx, const json_t *g, const json_t *t, struct rn_result *res) {
  sgp_testee_v1_OpenDatagramRequest *o = &cx->rq->open_datagram;
  cx->rq->op = sgp_testee_v1_Op_OP_OPEN_DATAGRAM;
  cx->rq->has_open_datagram = true;
  NEED(ROSTER_PK(g, o->dh_pk, o->dh_pk_count) == 0, "bad vector: roster");
  NEED(jx_u32(t, "resp_node", &o->self) == 0 && jx_u32(g, "generation", &o->generation) == 0 &&
           jx_u64(t, "now_ms", &o->now_ms) == 0,
       "bad vector: node");
  NEED(roster_sk(g, o->self, o->dh_sk.bytes, &o->dh_sk.size) == 0, "bad vector: dh_sk");
  const json_t *prior = json_object_get(t, "prior"), *p;
  size_t i, len;
  NEED(json_is_array(prior) && json_array_size(prior) <= 8, "bad vector: prior");
  json_array_foreach(prior, i, p) {
    NEED(jx_hexs(p, o->prior[i].bytes, sizeof o->prior[i].bytes, &len) == 0, "bad vector: prior");
    o->prior[i].size = (pb_size_t)len;
  }
  o->prior_count = (pb_size_t)json_array_size(prior);
  NEED(JX_BYTES(t, "datagram", o->datagram) == 0, "bad vector: datagram");
  const char *e = jx_str(t, "error"), *c = jx_str(t, "counter");
  NEED(e && c, "bad vector: error/counter");
  if (rn_exchange(cx, res) != 0) return;
  if (!rn_expect_err(res, cx->rp->error, e, "open datagram")) return;
  NEED(strcmp(cx->rp->counter, c) == 0, "open datagram: counter %s, want %s", cx->rp->counter, c);
}

void rn_xport_data(struct rn_ctx *cx, const json_t *g, const json_t *t, struct rn_result *res) {
  (void)g;
  sgp_testee_v1_DataSealRequest *d = &cx->rq->data_seal;
  uint64_t v;
  cx->rq->op = sgp_testee_v1_Op_OP_DATA_SEAL;
  cx->rq->has_data_seal = true;
  NEED(JX_BYTES(t, "key", d->key) == 0 && JX_BYTES(t, "frag_hdr", d->frag_hdr) == 0 &&
           JX_BYTES(t, "plaintext", d->plaintext) == 0 &&
           jx_be(t, "counter", 8, &d->counter) == 0 && jx_be(t, "receiver_index", 4, &v) == 0 &&
           jx_u32(t, "flags", &d->flags) == 0,
       "bad vector: data fields");
  d->receiver_index = (uint32_t)v;
  const char *result = jx_str(t, "result");
  NEED(result, "bad vector: result");
  if (rn_exchange(cx, res) != 0) return;
  if (strcmp(result, "valid") == 0) {
    if (!rn_expect_err(res, cx->rp->error, "SGP_OK", "seal")) return;
    NEED(SAME(cx->rp->bytes, t, "datagram"), "seal: datagram bytes differ");
  } else {
    const char *e = jx_str(t, "error");
    NEED(e, "bad vector: error");
    rn_expect_err(res, cx->rp->error, e, "seal");
  }
}

void rn_xport_cookie(struct rn_ctx *cx, const json_t *g, const json_t *t, struct rn_result *res) {
  sgp_testee_v1_CookieOpenRequest *c = &cx->rq->cookie_open;
  uint32_t replier;
  cx->rq->op = sgp_testee_v1_Op_OP_COOKIE_OPEN;
  cx->rq->has_cookie_open = true;
  NEED(jx_u32(t, "replier_node", &replier) == 0, "bad vector: replier_node");
  const json_t *e = json_array_get(json_object_get(g, "roster"), replier);
  NEED(e && JX_BYTES(e, "dh_pk", c->replier_dh_pk) == 0, "bad vector: roster");
  NEED(JX_BYTES(t, "mac1", c->mac1) == 0 && JX_BYTES(t, "reply", c->reply) == 0,
       "bad vector: mac1/reply");
  const char *result = jx_str(t, "result");
  NEED(result, "bad vector: result");
  if (rn_exchange(cx, res) != 0) return;
  if (strcmp(result, "valid") == 0) {
    if (!rn_expect_err(res, cx->rp->error, "SGP_OK", "cookie reply")) return;
    NEED(SAME(cx->rp->bytes, t, "cookie"), "cookie reply: cookie differs");
  } else {
    const char *w = jx_str(t, "error");
    NEED(w, "bad vector: error");
    rn_expect_err(res, cx->rp->error, w, "cookie reply");
  }
}
