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
 * Invariants (each a finding if it breaks):
 *   - every return is a named error code; SGP_ERR_NONCANONICAL is never
 *     returned: the structural walk must reject every non-canonical form
 *     with a specific code before the re-encode comparison runs (SGP-WIRE-12);
 *   - decode OK  =>  sgp_packet_validate OK, sgp_packet_encode (SGP-WIRE-29)
 *     gives exactly the input bytes, and decoding those bytes into a
 *     garbage-filled struct re-encodes to the same bytes again (SGP-WIRE-12;
 *     nanopb fuzztest's decode -> encode -> decode -> encode oracle);
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

static sgp_packet pkt, again;
static uint8_t enc[SGP_MAX_PACKET], enc2[SGP_MAX_PACKET];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_init();
  memset(&again, 0xa5, sizeof again);
  return 0;
}

/* Header fields and the used prefix of both arrays back to 0xa5. */
static void regarbage(void) {
  size_t nd = again.digest_count < SGP_MAX_DIGEST ? again.digest_count : SGP_MAX_DIGEST;
  size_t nr = again.reports_count < SGP_MAX_REPORTS ? again.reports_count : SGP_MAX_REPORTS;
  memset(&again, 0xa5, offsetof(sgp_packet, digest));
  memset(again.digest, 0xa5, nd * sizeof again.digest[0]);
  memset(again.reports, 0xa5, nr * sizeof again.reports[0]);
  again.digest_count = 0xa5a5a5a5u;
  again.reports_count = 0xa5a5a5a5u;
}

static sgp_err decode_checked(const uint8_t *data, size_t size, uint32_t n) {
  sgp_err rc = sgp_packet_decode(&pkt, n, data, size);
  fz_check_named(rc, "sgp_packet_decode");
  FZ_CHECK(rc != SGP_ERR_NONCANONICAL,
           "decode(n=%u, %zu bytes) reached the re-encode comparison: the structural walk "
           "accepted a non-canonical form",
           n, size);
  if (size > SGP_MAX_PACKET)
    FZ_CHECK(rc == SGP_ERR_TOO_LARGE, "oversize gave %s", sgp_err_name(rc));
  if (rc != SGP_OK) return rc;

  FZ_CHECK(sgp_packet_validate(&pkt, n) == SGP_OK, "decoded packet fails validation");
  size_t len = 0;
  sgp_err e = sgp_packet_encode(&pkt, n, enc, sizeof enc, &len);
  FZ_CHECK(e == SGP_OK, "re-encode of a decoded packet failed: %s", sgp_err_name(e));
  FZ_CHECK(len == size && memcmp(enc, data, size) == 0,
           "re-encoding differs from the accepted input (%zu vs %zu bytes)", len, size);

  /* The decoder must not depend on what the output struct held before:
   * `again` is garbage (0xa5) everywhere but where the previous decode
   * wrote, which is re-garbaged after use (a full memset of the ~750 KiB
   * struct per input cost more than the decode). */
  e = sgp_packet_decode(&again, n, enc, len);
  FZ_CHECK(e == SGP_OK, "re-decode of our own encoding failed: %s", sgp_err_name(e));
  size_t len2 = 0;
  e = sgp_packet_encode(&again, n, enc2, sizeof enc2, &len2);
  FZ_CHECK(e == SGP_OK && len2 == len && memcmp(enc, enc2, len) == 0,
           "decode -> encode is not stable (%s, %zu vs %zu bytes)", sgp_err_name(e), len2, len);
  regarbage();
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) {
    FZ_CHECK(decode_checked(data, 0, 0) != SGP_OK, "the empty packet was accepted");
    return 0;
  }
  const uint8_t m = data[0];
  sgp_err without = decode_checked(data + 1, size - 1, 0);
  if ((m & 0x30u) != 0) return 0;

  uint32_t n = 1u + (m & 15u);
  sgp_err with_n = decode_checked(data + 1, size - 1, n);
  FZ_CHECK(with_n == without || with_n == SGP_ERR_NODE_ID,
           "roster bound n=%u changed %s into %s (only SGP_ERR_NODE_ID may appear)", n,
           sgp_err_name(without), sgp_err_name(with_n));
  return 0;
}
