/* Target Functions: sgp_packet_decode, sgp_packet_encode, sgp_packet_validate
 *
 * Input: s2n style, byte 0 is a mode byte m and data[1..] is one encoded
 * Packet, decoded with n = 0 (no roster bound).  When (m & 0x30) == 0 it
 * is decoded again against a roster of n = 1 + (m & 15) nodes and the two
 * results are compared.  The comparison runs for a quarter of the mutated
 * inputs (and for every generated seed, whose mode bytes are < 16) rather
 * than for all: each decode walks the whole input, so decoding every input
 * three times (the former layout: whole input, then data[1..] with and
 * without the bound) kept the target at ~2,800 exec/s.
 *
 * Output structs: the decode with n = 0 writes into `fresh`, which is garbage
 * (0xa5) everywhere before every input: whatever a decode wrote into it is
 * re-garbaged afterwards, accepted or not.  The decode with a roster bound
 * writes into `used`, which holds whatever the previous bounded decode left
 * (a real packet, or a partial one).  So every accepted input is decoded from
 * a garbage-filled struct, and a quarter of them from a struct full of valid
 * data too.  (The former layout decoded each accepted input a second time, from
 * its own re-encoding, into a garbage struct and re-encoded that: since the
 * re-encoding must equal the input byte for byte, that was the same decode
 * again, and it and its two extra encodes were a third of the target's time.)
 *
 * Invariants (each a finding if it breaks):
 *   - every return is a named error code; SGP_ERR_NONCANONICAL is never
 *     returned: the structural walk must reject every non-canonical form
 *     with a specific code before the re-encode comparison runs (SGP-WIRE-12);
 *   - decode OK  =>  sgp_packet_validate OK and sgp_packet_encode (SGP-WIRE-29)
 *     gives exactly the input bytes; for the decode into the garbage-filled
 *     struct this is the decode -> encode -> decode -> encode oracle of nanopb's
 *     fuzztest, because the input is then its own canonical re-encoding
 *     (SGP-WIRE-12: the decoder must not depend on what the struct held);
 *   - the roster bound only adds node-id errors: decode(n) == OK implies
 *     decode(0) == OK, and decode(n) is decode(0)'s result or
 *     SGP_ERR_NODE_ID (SGP-WIRE-17);
 *   - input longer than SGP_MAX_PACKET is SGP_ERR_TOO_LARGE (SGP-WIRE-1).
 */
#include <stddef.h>
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sgp_packet fresh, used;
static uint8_t enc[SGP_MAX_PACKET];

enum { GARBAGE = 0xa5 };
#define GARBAGE_COUNT 0xa5a5a5a5u

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_init();
  memset(&fresh, GARBAGE, sizeof fresh);
  return 0;
}

/* Elements [0, count) of an array a decode may have written: pb_decode sets the count to 0
 * before it writes anything and counts an element before filling it, so a count still
 * GARBAGE_COUNT means the decode stopped before nanopb ran (the structural walk reads the
 * wire bytes only). */
static size_t written(pb_size_t count, size_t max) {
  if (count == GARBAGE_COUNT) return 0;
  return count < max ? count : max;
}

/* Header fields and the written prefix of both arrays back to GARBAGE (a full memset of
 * the ~750 KiB struct per input cost more than the decode). */
static void regarbage(void) {
  size_t nd = written(fresh.digest_count, SGP_MAX_DIGEST);
  size_t nr = written(fresh.reports_count, SGP_MAX_REPORTS);
  memset(&fresh, GARBAGE, offsetof(sgp_packet, digest));
  memset(fresh.digest, GARBAGE, nd * sizeof fresh.digest[0]);
  memset(fresh.reports, GARBAGE, nr * sizeof fresh.reports[0]);
  fresh.digest_count = GARBAGE_COUNT;
  fresh.reports_count = GARBAGE_COUNT;
}

static sgp_err decode_checked(sgp_packet *pkt, const uint8_t *data, size_t size, uint32_t n) {
  sgp_err rc = sgp_packet_decode(pkt, n, data, size);
  fz_check_named(rc, "sgp_packet_decode");
  FZ_CHECK(rc != SGP_ERR_NONCANONICAL,
           "decode(n=%u, %zu bytes) reached the re-encode comparison: the structural walk "
           "accepted a non-canonical form",
           n, size);
  if (size > SGP_MAX_PACKET)
    FZ_CHECK(rc == SGP_ERR_TOO_LARGE, "oversize gave %s", sgp_err_name(rc));
  if (rc != SGP_OK) return rc;

  FZ_CHECK(sgp_packet_validate(pkt, n) == SGP_OK, "decoded packet fails validation");
  size_t len = 0;
  sgp_err e = sgp_packet_encode(pkt, n, enc, sizeof enc, &len);
  FZ_CHECK(e == SGP_OK, "re-encode of a decoded packet failed: %s", sgp_err_name(e));
  FZ_CHECK(len == size && memcmp(enc, data, size) == 0,
           "re-encoding differs from the accepted input (%zu vs %zu bytes, decoded into a %s "
           "struct)",
           len, size, pkt == &fresh ? "garbage-filled" : "previously used");
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) {
    sgp_err rc = decode_checked(&fresh, data, 0, 0);
    regarbage();
    FZ_CHECK(rc != SGP_OK, "the empty packet was accepted");
    return 0;
  }
  const uint8_t m = data[0];
  sgp_err without = decode_checked(&fresh, data + 1, size - 1, 0);
  regarbage();
  if ((m & 0x30u) != 0) return 0;

  uint32_t n = 1u + (m & 15u);
  sgp_err with_n = decode_checked(&used, data + 1, size - 1, n);
  FZ_CHECK(with_n == without || with_n == SGP_ERR_NODE_ID,
           "roster bound n=%u changed %s into %s (only SGP_ERR_NODE_ID may appear)", n,
           sgp_err_name(without), sgp_err_name(with_n));
  return 0;
}
