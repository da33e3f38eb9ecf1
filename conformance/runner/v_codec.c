/* codec.json: DecodeTest and EncodeTest against OP_DECODE / OP_ENCODE. */
#include <stdlib.h>
#include <string.h>

#include "runner.h"

static sgp_v1_Packet *expected(void) {
  static sgp_v1_Packet *p;
  if (!p) p = malloc(sizeof *p);
  return p;
}

void rn_codec_decode(struct rn_ctx *cx, const json_t *g, const json_t *t, struct rn_result *res) {
  (void)g;
  rn_req *rq = cx->rq;
  const char *result = jx_str(t, "result");
  NEED(result, "bad vector: result");
  rq->op = sgp_testee_v1_Op_OP_DECODE;
  rq->has_decode = true;
  NEED(jx_u32(t, "n", &rq->decode.n) == 0, "bad vector: n");
  NEED(JX_BYTES(t, "packet", rq->decode.packet) == 0, "bad vector: packet");
  if (rn_exchange(cx, res) != 0) return;
  const rn_rep *rp = cx->rp;
  if (strcmp(result, "valid") == 0) {
    if (!rn_expect_err(res, rp->error, "SGP_OK", "decode")) return;
    NEED(rp->has_packet, "decode: no packet in the reply");
    sgp_v1_Packet *want = expected();
    NEED(want && jx_packet(json_object_get(t, "decoded"), want) == 0, "bad vector: decoded");
    const char *d = rn_packet_diff(&rp->packet, want);
    NEED(!d, "decode: decoded packet differs in %s", d);
  } else if (strcmp(result, "acceptable") == 0) {
    const json_t *errs = json_object_get(t, "errors"), *e;
    size_t i;
    NEED(json_is_array(errs), "bad vector: errors");
    json_array_foreach(errs, i, e) {
      if (json_is_string(e) && strcmp(json_string_value(e), rp->error) == 0) return;
    }
    rn_fail(res, "decode: got %s, want one of the listed errors", rp->error);
  } else {
    const char *want = jx_str(t, "error");
    NEED(want, "bad vector: error");
    rn_expect_err(res, rp->error, want, "decode");
  }
}

void rn_codec_encode(struct rn_ctx *cx, const json_t *g, const json_t *t, struct rn_result *res) {
  (void)g;
  static uint8_t want[300000];
  rn_req *rq = cx->rq;
  const char *result = jx_str(t, "result");
  NEED(result, "bad vector: result");
  rq->op = sgp_testee_v1_Op_OP_ENCODE;
  rq->has_encode = true;
  rq->encode.has_packet = true;
  NEED(jx_u32(t, "n", &rq->encode.n) == 0, "bad vector: n");
  NEED(jx_packet(json_object_get(t, "fields"), &rq->encode.packet) == 0, "bad vector: fields");
  if (rn_exchange(cx, res) != 0) return;
  const rn_rep *rp = cx->rp;
  if (strcmp(result, "valid") == 0) {
    size_t len = 0;
    NEED(jx_hex(t, "encoded", want, sizeof want, &len) == 0, "bad vector: encoded");
    if (!rn_expect_err(res, rp->error, "SGP_OK", "encode")) return;
    NEED(rp->bytes.size == len && memcmp(rp->bytes.bytes, want, len) == 0,
         "encode: bytes differ from the canonical encoding");
  } else {
    const char *w = jx_str(t, "error");
    NEED(w, "bad vector: error");
    rn_expect_err(res, rp->error, w, "encode");
  }
}
