/* Testee operation REASSEMBLE (spec §8.3, §8.4): fragments, already
 * opened, go to a reassembler with the spec defaults for n; each step
 * reports its outcome, the drop counter it moved, the messages discarded
 * whole, and a delivered message by length and SHA-256. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/fragment.h"
#include "sgp/jigsaw.h"
#include "testee.h"

#define BAD sgp_testee_v1_Status_STATUS_BAD_REQUEST

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The fragment header by its §7.6 offsets in the 26-byte ad. */
static void ad_header(const uint8_t *ad, struct sgp_frag_hdr *h) {
  h->flags = ad[1];
  h->msg_id = be32(ad + 16);
  h->index = ad[20];
  h->count = ad[21];
  h->total_len = be32(ad + 22);
}

static uint64_t frag_drops(const struct sgp_reasm_stats *s) {
  return s->drop_header + s->drop_length + s->drop_done + s->drop_duplicate;
}

static uint64_t msg_drops(const struct sgp_reasm_stats *s) {
  return s->msg_inconsistent + s->msg_overlap + s->msg_cap + s->msg_evicted + s->msg_timeout;
}

static void step(struct sgp_reasm *r, const sgp_reasm_sid *sid, const sgp_testee_v1_Fragment *f,
                 int unjig, uint8_t *out, uint8_t *dec, sgp_testee_v1_FragmentResult *res) {
  struct sgp_frag_hdr h;
  ad_header(f->ad.bytes, &h);
  struct sgp_reasm_stats before = r->stats;
  size_t msg_len = 0;
  sgp_err rc = sgp_reasm_add(r, sid[f->session], &h, f->payload.bytes, f->payload.size, f->now_ms,
                             out, SGP_FRAG_MAX_MESSAGE, &msg_len);
  TT_ERR(res->error, rc);
  const struct sgp_reasm_stats *st = &r->stats;
  uint64_t dmsg = msg_drops(st) - msg_drops(&before);
  const char *c = "";
  if (frag_drops(st) != frag_drops(&before))
    c = "drop_frag";
  else if (st->drop_flags != before.drop_flags)
    c = "drop_reserved";
  else if (rc != SGP_OK && dmsg > 0)
    c = "drop_frag_message";
  (void)snprintf(res->counter, sizeof res->counter, "%s", c);
  res->discarded = (uint32_t)dmsg;
  res->reserved_bytes = (uint32_t)st->bytes_in_use;
  res->in_reassembly = st->msgs_in_progress;
  if (rc == SGP_OK && msg_len > 0) {
    res->delivered = true;
    res->message_len = (uint32_t)msg_len;
    res->message_sha256.size = 32;
    crypto_hash_sha256(res->message_sha256.bytes, out, msg_len);
    size_t plen = 0;
    if (unjig &&
        sgp_jig_decode(h.flags, out, msg_len, dec, SGP_FRAG_MAX_MESSAGE, &plen) == SGP_OK) {
      res->packet_len = (uint32_t)plen;
      res->packet_sha256.size = 32;
      crypto_hash_sha256(res->packet_sha256.bytes, dec, plen);
    }
  }
}

tt_status tt_reassemble(const tt_request *rq, tt_reply *rp) {
  const sgp_testee_v1_ReassembleRequest *q = &rq->reassemble;
  if (q->n == 0 || q->n > 16384 || q->sessions_count == 0) return BAD;
  for (pb_size_t i = 0; i < q->fragments_count; i++)
    if (q->fragments[i].session >= q->sessions_count || q->fragments[i].ad.size != 26) return BAD;
  struct sgp_reasm_params p;
  sgp_reasm_params_default(&p, q->n);
  p.global_bytes = q->reasm_global_bytes;
  size_t len = sgp_reasm_mem_size(&p);
  if (len == 0) {
    TT_ERR(rp->error, SGP_ERR_RANGE);
    return BAD;
  }
  struct sgp_reasm r;
  void *mem = malloc(len);
  uint8_t *out = malloc(SGP_FRAG_MAX_MESSAGE), *dec = malloc(SGP_FRAG_MAX_MESSAGE);
  sgp_err rc = mem && out && dec ? sgp_reasm_init(&r, mem, len, &p) : SGP_ERR_NO_SPACE;
  sgp_reasm_sid sid[8];
  for (pb_size_t i = 0; rc == SGP_OK && i < q->sessions_count; i++)
    rc = sgp_reasm_session_open(&r, q->sessions[i], &sid[i]);
  if (rc == SGP_OK) {
    for (pb_size_t i = 0; i < q->fragments_count; i++)
      step(&r, sid, &q->fragments[i], q->jigsaw_decode, out, dec, &rp->reassemble.results[i]);
    rp->reassemble.results_count = q->fragments_count;
    rp->has_reassemble = true;
  }
  free(mem);
  free(out);
  free(dec);
  TT_ERR(rp->error, rc);
  return rc == SGP_OK ? sgp_testee_v1_Status_STATUS_OK : BAD;
}
