/* Reference testee of the SGP conformance suite (spec §13): answers the
 * runner's length-prefixed sgp.testee.v1.Request frames on stdin with Reply
 * frames on stdout, using the reference library in ref/.
 *
 * Each handler reads its sub-request, which nanopb has already bounded by
 * proto/sgp_testee.options, checks the remaining shape rules (sizes of keys,
 * counts that must equal n), and fills the reply.  It returns the reply
 * status: STATUS_OK when the operation ran (its outcome, success or a named
 * SGP_ERR_, is in the reply), STATUS_BAD_REQUEST when the request itself
 * is malformed.
 */
#ifndef SGP_TESTEE_H
#define SGP_TESTEE_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/result.h"
#include "sgp_testee.pb.h"

typedef sgp_testee_v1_Request tt_request;
typedef sgp_testee_v1_Reply tt_reply;
typedef sgp_testee_v1_Status tt_status;

enum { TT_MAX_FRAME = 16 * 1024 * 1024 }; /* largest request or reply frame */

/* Parses one request frame (the bytes after the length prefix) and fills
 * the reply: STATUS_BAD_REQUEST (id 0) if the frame is not exactly one
 * Request, else the operation's status and outcome.  Both structs are
 * caller memory (they are large); both are cleared first. */
void tt_handle(const uint8_t *frame, size_t len, tt_request *rq, tt_reply *rp);

void tt_set_err(char *dst, size_t cap, sgp_err e);
#define TT_ERR(field, e) tt_set_err((field), sizeof(field), (e))

tt_status tt_decode(const tt_request *rq, tt_reply *rp);
tt_status tt_encode(const tt_request *rq, tt_reply *rp);
tt_status tt_sequence(const tt_request *rq, tt_reply *rp);
tt_status tt_data_seal(const tt_request *rq, tt_reply *rp);
tt_status tt_open_datagram(const tt_request *rq, tt_reply *rp);
tt_status tt_handshake(const tt_request *rq, tt_reply *rp);
tt_status tt_cookie_open(const tt_request *rq, tt_reply *rp);
tt_status tt_reassemble(const tt_request *rq, tt_reply *rp);
tt_status tt_carrier_unwrap(const tt_request *rq, tt_reply *rp);
tt_status tt_carrier_wrap(const tt_request *rq, tt_reply *rp);

#endif
