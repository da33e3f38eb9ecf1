/* Testee operations CARRIER_UNWRAP and CARRIER_WRAP (spec §9). */
#include <string.h>

#include "sgp/carrier.h"
#include "testee.h"

#define BAD sgp_testee_v1_Status_STATUS_BAD_REQUEST

static int kind_named(const char *s, enum sgp_carrier_kind *k) {
  if (strcmp(s, "raw") == 0)
    *k = SGP_CARRIER_RAW;
  else if (strcmp(s, "lsb-pgm") == 0)
    *k = SGP_CARRIER_LSB_PGM;
  else if (strcmp(s, "lsb-wav") == 0)
    *k = SGP_CARRIER_LSB_WAV;
  else
    return -1;
  return 0;
}

tt_status tt_carrier_unwrap(const tt_request *rq, tt_reply *rp) {
  const sgp_testee_v1_CarrierUnwrapRequest *q = &rq->carrier_unwrap;
  unsigned accept = 0;
  for (pb_size_t i = 0; i < q->accept_count; i++) {
    enum sgp_carrier_kind k;
    if (kind_named(q->accept[i], &k) != 0) return BAD;
    accept |= SGP_CARRIER_ACCEPT(k);
  }
  uint8_t buf[SGP_CARRIER_MAX_PAYLOAD];
  struct sgp_carrier_payload p;
  sgp_err rc = sgp_carrier_unwrap(q->frame.bytes, q->frame.size, accept, buf, sizeof buf, &p);
  if (rc == SGP_OK) {
    memcpy(rp->bytes.bytes, p.data, p.len);
    rp->bytes.size = (pb_size_t)p.len;
  }
  TT_ERR(rp->error, rc);
  return sgp_testee_v1_Status_STATUS_OK;
}

tt_status tt_carrier_wrap(const tt_request *rq, tt_reply *rp) {
  const sgp_testee_v1_CarrierWrapRequest *q = &rq->carrier_wrap;
  enum sgp_carrier_kind k;
  if (kind_named(q->carrier, &k) != 0) return BAD;
  size_t len = 0;
  sgp_err rc = sgp_carrier_wrap(k, q->cover.bytes, q->cover.size, q->payload.bytes, q->payload.size,
                                rp->bytes.bytes, sizeof rp->bytes.bytes, &len);
  rp->bytes.size = rc == SGP_OK ? (pb_size_t)len : 0;
  TT_ERR(rp->error, rc);
  return sgp_testee_v1_Status_STATUS_OK;
}
