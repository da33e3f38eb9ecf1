/* One request frame in, one reply struct out: the request parser of the
 * reference testee (spec §13), shared by sgp-testee (main.c, which does the
 * framing I/O) and the fuzz target fuzz/fuzz_testee.c.  No I/O here.
 */
#include <pb_decode.h>
#include <stdio.h>
#include <string.h>

#include "testee.h"

void tt_set_err(char *dst, size_t cap, sgp_err e) {
  (void)snprintf(dst, cap, "%s", sgp_err_name(e));
}

static tt_status hello(tt_reply *rp) {
  static const sgp_testee_v1_Op ops[] = {
      sgp_testee_v1_Op_OP_DECODE,         sgp_testee_v1_Op_OP_ENCODE,
      sgp_testee_v1_Op_OP_SEQUENCE,       sgp_testee_v1_Op_OP_DATA_SEAL,
      sgp_testee_v1_Op_OP_OPEN_DATAGRAM,  sgp_testee_v1_Op_OP_HANDSHAKE,
      sgp_testee_v1_Op_OP_COOKIE_OPEN,    sgp_testee_v1_Op_OP_REASSEMBLE,
      sgp_testee_v1_Op_OP_CARRIER_UNWRAP, sgp_testee_v1_Op_OP_CARRIER_WRAP};
  (void)snprintf(rp->name, sizeof rp->name, "sgp reference testee (ref/)");
  rp->supported_count = sizeof ops / sizeof ops[0];
  memcpy(rp->supported, ops, sizeof ops);
  return sgp_testee_v1_Status_STATUS_OK;
}

static tt_status dispatch(const tt_request *rq, tt_reply *rp) {
  switch (rq->op) {
    case sgp_testee_v1_Op_OP_HELLO:
      return hello(rp);
    case sgp_testee_v1_Op_OP_DECODE:
      return rq->has_decode ? tt_decode(rq, rp) : sgp_testee_v1_Status_STATUS_BAD_REQUEST;
    case sgp_testee_v1_Op_OP_ENCODE:
      return rq->has_encode ? tt_encode(rq, rp) : sgp_testee_v1_Status_STATUS_BAD_REQUEST;
    case sgp_testee_v1_Op_OP_SEQUENCE:
      return rq->has_sequence ? tt_sequence(rq, rp) : sgp_testee_v1_Status_STATUS_BAD_REQUEST;
    case sgp_testee_v1_Op_OP_DATA_SEAL:
      return rq->has_data_seal ? tt_data_seal(rq, rp) : sgp_testee_v1_Status_STATUS_BAD_REQUEST;
    case sgp_testee_v1_Op_OP_OPEN_DATAGRAM:
      return rq->has_open_datagram ? tt_open_datagram(rq, rp)
                                   : sgp_testee_v1_Status_STATUS_BAD_REQUEST;
    case sgp_testee_v1_Op_OP_HANDSHAKE:
      return rq->has_handshake ? tt_handshake(rq, rp) : sgp_testee_v1_Status_STATUS_BAD_REQUEST;
    case sgp_testee_v1_Op_OP_COOKIE_OPEN:
      return rq->has_cookie_open ? tt_cookie_open(rq, rp) : sgp_testee_v1_Status_STATUS_BAD_REQUEST;
    case sgp_testee_v1_Op_OP_REASSEMBLE:
      return rq->has_reassemble ? tt_reassemble(rq, rp) : sgp_testee_v1_Status_STATUS_BAD_REQUEST;
    case sgp_testee_v1_Op_OP_CARRIER_UNWRAP:
      return rq->has_carrier_unwrap ? tt_carrier_unwrap(rq, rp)
                                    : sgp_testee_v1_Status_STATUS_BAD_REQUEST;
    case sgp_testee_v1_Op_OP_CARRIER_WRAP:
      return rq->has_carrier_wrap ? tt_carrier_wrap(rq, rp)
                                  : sgp_testee_v1_Status_STATUS_BAD_REQUEST;
    default:
      return sgp_testee_v1_Status_STATUS_UNSUPPORTED;
  }
}

void tt_handle(const uint8_t *frame, size_t len, tt_request *rq, tt_reply *rp) {
  memset(rq, 0, sizeof *rq);
  memset(rp, 0, sizeof *rp);
  pb_istream_t is = pb_istream_from_buffer(frame, len);
  if (!pb_decode(&is, sgp_testee_v1_Request_fields, rq) || is.bytes_left != 0) {
    rp->status = sgp_testee_v1_Status_STATUS_BAD_REQUEST;
    return;
  }
  rp->id = rq->id;
  rp->status = dispatch(rq, rp);
}
