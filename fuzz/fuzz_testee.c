/* Target Functions: tt_handle (conformance/testee/handle.c): the reference
 * testee's request parser and every operation it dispatches to (decode,
 * encode, merge/tick/consensus sequences, datagram open and seal,
 * handshakes, cookie replies, reassembly, carriers).
 *
 * Input: one request frame as the runner sends it, without the u32 length
 * prefix (spec §13).  Seeds: every request the conformance runner sends for
 * the committed vectors (gen_testee_corpus.py).
 * Invariants (each a finding if it breaks):
 *   - the reply status is OK, BAD_REQUEST or UNSUPPORTED, and BAD_REQUEST
 *     replies carry id 0 only when the frame did not parse;
 *   - every reply encodes (pb_encode succeeds) within the frame bound, so
 *     the testee can always answer (SGP-CONF-3);
 *   - the same frame gives the same reply bytes (the testee is
 *     deterministic: vectors depend on it).
 */
#include <pb_encode.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "testee.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tt_request *rq;
static tt_reply *rp;
static uint8_t *out1, *out2;
enum { OUT_CAP = 4 * 1024 * 1024 };

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_init();
  rq = malloc(sizeof *rq);
  rp = malloc(sizeof *rp);
  out1 = malloc(OUT_CAP);
  out2 = malloc(OUT_CAP);
  if (!rq || !rp || !out1 || !out2) abort();
  return 0;
}

static size_t answer(const uint8_t *data, size_t size, uint8_t *out) {
  tt_handle(data, size, rq, rp);
  FZ_CHECK(rp->status == sgp_testee_v1_Status_STATUS_OK ||
               rp->status == sgp_testee_v1_Status_STATUS_BAD_REQUEST ||
               rp->status == sgp_testee_v1_Status_STATUS_UNSUPPORTED,
           "status %d", (int)rp->status);
  pb_ostream_t os = pb_ostream_from_buffer(out, OUT_CAP);
  FZ_CHECK(pb_encode(&os, sgp_testee_v1_Reply_fields, rp), "reply does not encode: %s",
           PB_GET_ERROR(&os));
  FZ_CHECK(os.bytes_written <= TT_MAX_FRAME, "reply of %zu bytes", os.bytes_written);
  return os.bytes_written;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t n1 = answer(data, size, out1);
  size_t n2 = answer(data, size, out2);
  FZ_CHECK(n1 == n2 && memcmp(out1, out2, n1) == 0, "same frame, different replies");
  return 0;
}
