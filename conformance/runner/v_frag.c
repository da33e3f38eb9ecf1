/* fragment.json: FragmentTest and FragmentSetTest against OP_REASSEMBLE.
 * Delivered messages are compared by length and SHA-256. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

enum { MAX_MSG = 262176 };

/* SHA-256 of hex field k; -1 if malformed. */
static int hash_of(const json_t *o, const char *k, uint8_t h[32], size_t *len) {
  static uint8_t *buf;
  if (!buf) buf = malloc(MAX_MSG);
  if (!buf || jx_hex(o, k, buf, MAX_MSG, len) != 0) return -1;
  crypto_hash_sha256(h, buf, *len);
  return 0;
}

void rn_frag(struct rn_ctx *cx, const json_t *g, const json_t *t, struct rn_result *res) {
  sgp_testee_v1_ReassembleRequest *q = &cx->rq->reassemble;
  const json_t *rp = json_object_get(g, "reasm"), *ss = json_object_get(t, "sessions"),
               *fs = json_object_get(t, "fragments"), *v;
  size_t i;
  cx->rq->op = sgp_testee_v1_Op_OP_REASSEMBLE;
  cx->rq->has_reassemble = true;
  NEED(jx_u32(rp, "n", &q->n) == 0 && jx_u32(rp, "reasm_global_bytes", &q->reasm_global_bytes) == 0,
       "bad vector: reasm");
  NEED(json_is_array(ss) && json_array_size(ss) >= 1 && json_array_size(ss) <= 8,
       "bad vector: sessions");
  json_array_foreach(ss, i, v) {
    NEED(json_is_integer(v) && json_integer_value(v) >= 0, "bad vector: session");
    q->sessions[i] = (uint32_t)json_integer_value(v);
  }
  q->sessions_count = (pb_size_t)json_array_size(ss);
  NEED(json_is_array(fs) && json_array_size(fs) <= 256, "bad vector: fragments");
  json_array_foreach(fs, i, v) {
    sgp_testee_v1_Fragment *f = &q->fragments[i];
    NEED(jx_u32(v, "session", &f->session) == 0 && jx_u64(v, "now_ms", &f->now_ms) == 0 &&
             JX_BYTES(v, "ad", f->ad) == 0 && JX_BYTES(v, "payload", f->payload) == 0,
         "bad vector: fragment %zu", i);
  }
  q->fragments_count = (pb_size_t)json_array_size(fs);
  int whole = json_object_get(t, "packet") != NULL; /* FragmentTest: undo the jigsaw too */
  q->jigsaw_decode = whole;
  if (rn_exchange(cx, res) != 0) return;
  NEED(cx->rp->has_reassemble, "reassemble: no result (%s)", cx->rp->error);
  const sgp_testee_v1_ReassembleReply *r = &cx->rp->reassemble;
  NEED(r->results_count == q->fragments_count, "reassemble: %u results for %u fragments",
       (unsigned)r->results_count, (unsigned)q->fragments_count);
  json_array_foreach(fs, i, v) {
    const sgp_testee_v1_FragmentResult *fr = &r->results[i];
    if (rn_expect_outcome(res, v, "fragment", i, fr->error, fr->counter) < 0) return;
    const json_t *disc = json_object_get(v, "discarded");
    size_t nd = json_is_array(disc) ? json_array_size(disc) : 0;
    NEED(fr->discarded == nd, "fragment %zu: %u messages discarded, want %zu", i,
         (unsigned)fr->discarded, nd);
    uint32_t rb, ir;
    NEED(jx_u32(v, "reserved_bytes", &rb) == 0 && jx_u32(v, "in_reassembly", &ir) == 0,
         "bad vector: gauges");
    NEED(fr->reserved_bytes == rb, "fragment %zu: reserved %u bytes, want %u", i,
         (unsigned)fr->reserved_bytes, (unsigned)rb);
    NEED(fr->in_reassembly == ir, "fragment %zu: %u in reassembly, want %u", i,
         (unsigned)fr->in_reassembly, (unsigned)ir);
    if (json_object_get(v, "delivered")) {
      uint8_t h[32];
      size_t len;
      NEED(hash_of(v, "delivered", h, &len) == 0, "bad vector: delivered");
      NEED(fr->delivered && fr->message_len == len && fr->message_sha256.size == 32 &&
               memcmp(fr->message_sha256.bytes, h, 32) == 0,
           "fragment %zu: delivered message differs", i);
      if (whole) {
        NEED(hash_of(t, "packet", h, &len) == 0, "bad vector: packet");
        NEED(fr->packet_len == len && fr->packet_sha256.size == 32 &&
                 memcmp(fr->packet_sha256.bytes, h, 32) == 0,
             "fragment %zu: jigsaw-decoded packet differs", i);
      }
    } else {
      NEED(!fr->delivered, "fragment %zu: delivered a message, none expected", i);
    }
  }
}
