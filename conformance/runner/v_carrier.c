/* carrier.json: wrap (CarrierWrapTest, CarrierWrapRejectTest) and unwrap
 * (CarrierUnwrapTest, CarrierRejectTest) against OP_CARRIER_WRAP/UNWRAP. */
#include <stdlib.h>
#include <string.h>

#include "runner.h"

static int same(const pb_bytes_array_t *got, const json_t *t, const char *k) {
  static uint8_t *want;
  size_t len;
  if (!want) want = malloc(70000);
  if (!want || jx_hex(t, k, want, 70000, &len) != 0) return 0;
  return got->size == len && memcmp(got->bytes, want, len) == 0;
}

static void check(struct rn_ctx *cx, const json_t *t, const char *out_key, struct rn_result *res) {
  const char *result = jx_str(t, "result");
  NEED(result, "bad vector: result");
  if (rn_exchange(cx, res) != 0) return;
  if (strcmp(result, "valid") == 0) {
    if (!rn_expect_err(res, cx->rp->error, "SGP_OK", "carrier")) return;
    NEED(same((const pb_bytes_array_t *)&cx->rp->bytes, t, out_key), "carrier: %s differs",
         out_key);
  } else {
    const char *e = jx_str(t, "error");
    NEED(e, "bad vector: error");
    rn_expect_err(res, cx->rp->error, e, "carrier");
  }
}

void rn_carrier_wrap(struct rn_ctx *cx, const json_t *g, const json_t *t, struct rn_result *res) {
  (void)g;
  sgp_testee_v1_CarrierWrapRequest *w = &cx->rq->carrier_wrap;
  const char *c = jx_str(t, "carrier");
  cx->rq->op = sgp_testee_v1_Op_OP_CARRIER_WRAP;
  cx->rq->has_carrier_wrap = true;
  NEED(c && strlen(c) < sizeof w->carrier, "bad vector: carrier");
  memcpy(w->carrier, c, strlen(c) + 1);
  NEED(JX_BYTES(t, "cover", w->cover) == 0 && JX_BYTES(t, "payload", w->payload) == 0,
       "bad vector: cover/payload");
  check(cx, t, "frame", res);
}

void rn_carrier_unwrap(struct rn_ctx *cx, const json_t *g, const json_t *t, struct rn_result *res) {
  (void)g;
  sgp_testee_v1_CarrierUnwrapRequest *u = &cx->rq->carrier_unwrap;
  const json_t *acc = json_object_get(t, "accept"), *v;
  size_t i;
  cx->rq->op = sgp_testee_v1_Op_OP_CARRIER_UNWRAP;
  cx->rq->has_carrier_unwrap = true;
  NEED(json_is_array(acc) && json_array_size(acc) <= 4, "bad vector: accept");
  json_array_foreach(acc, i, v) {
    const char *s = json_string_value(v);
    NEED(s && strlen(s) < sizeof u->accept[0], "bad vector: accept");
    memcpy(u->accept[i], s, strlen(s) + 1);
  }
  u->accept_count = (pb_size_t)json_array_size(acc);
  NEED(JX_BYTES(t, "frame", u->frame) == 0, "bad vector: frame");
  check(cx, t, "payload", res);
}

rn_case_fn rn_handler(const char *type) {
  static const struct {
    const char *type;
    rn_case_fn fn;
  } map[] = {
      {"DecodeTest", rn_codec_decode},
      {"EncodeTest", rn_codec_encode},
      {"SequenceTest", rn_sequence},
      {"HandshakeTest", rn_xport_handshake},
      {"SessionTest", rn_xport_handshake},
      {"HandshakeRejectTest", rn_xport_reject},
      {"DataTest", rn_xport_data},
      {"CookieTest", rn_xport_cookie},
      {"FragmentTest", rn_frag},
      {"FragmentSetTest", rn_frag},
      {"CarrierWrapTest", rn_carrier_wrap},
      {"CarrierWrapRejectTest", rn_carrier_wrap},
      {"CarrierUnwrapTest", rn_carrier_unwrap},
      {"CarrierRejectTest", rn_carrier_unwrap},
  };
  for (size_t i = 0; type && i < sizeof map / sizeof map[0]; i++)
    if (strcmp(map[i].type, type) == 0) return map[i].fn;
  return NULL;
}
