/* Testee operations DECODE and ENCODE (spec §4). */
#include <string.h>

#include "sgp/codec.h"
#include "testee.h"

tt_status tt_decode(const tt_request *rq, tt_reply *rp) {
  const sgp_testee_v1_DecodeRequest *d = &rq->decode;
  if (d->n > SGP_MAX_NODES) return sgp_testee_v1_Status_STATUS_BAD_REQUEST;
  sgp_err rc = sgp_packet_decode(&rp->packet, d->n, d->packet.bytes, d->packet.size);
  rp->has_packet = rc == SGP_OK;
  if (rc != SGP_OK) memset(&rp->packet, 0, sizeof rp->packet);
  TT_ERR(rp->error, rc);
  return sgp_testee_v1_Status_STATUS_OK;
}

tt_status tt_encode(const tt_request *rq, tt_reply *rp) {
  const sgp_testee_v1_EncodeRequest *e = &rq->encode;
  if (e->n > SGP_MAX_NODES || !e->has_packet) return sgp_testee_v1_Status_STATUS_BAD_REQUEST;
  size_t len = 0;
  sgp_err rc = sgp_packet_encode(&e->packet, e->n, rp->bytes.bytes, sizeof rp->bytes.bytes, &len);
  rp->bytes.size = rc == SGP_OK ? (pb_size_t)len : 0;
  TT_ERR(rp->error, rc);
  return sgp_testee_v1_Status_STATUS_OK;
}
