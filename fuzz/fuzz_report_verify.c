/* Target Functions: sgp_report_verify, sgp_report_sign, sgp_report_tbs
 *
 * Input: data[0] picks which TBS-relevant byte to corrupt, data[1] is the
 * XOR mask (0 counts as 0x01), data[2..] is an encoded Packet decoded with
 * n = 0.  The first REPORTS_MAX reports are checked against the test keys
 * (fuzz_common.h: key of origin o is test key o % FZ_KEYS; the generated
 * corpus is signed with the same keys, so its reports start out valid).
 *
 * Invariants, per report:
 *   - sgp_report_verify never crashes and returns SGP_OK or
 *     SGP_ERR_BAD_SIGNATURE for a decoded report;
 *   - the TBS bytes are exactly the layout of SGP-REPORT-2: the 13-byte
 *     domain "SGP/1 report\0", origin, generation, seq, suspicion, five
 *     sub-scores (u32 BE), silent_count (u16 BE), silent ids (u32 BE);
 *   - a report the fuzzer got to verify carries the signature the
 *     origin's key produces (Ed25519 signing is deterministic): any other
 *     verifying signature would be a forgery or an accepted malleable
 *     variant, which would also let a relay win the equal-version
 *     tie-break with the origin's own content (SGP-MERGE-6);
 *   - re-signed with the right key it verifies (SGP-REPORT-1), under any
 *     other key it does not (SGP-REPORT-3);
 *   - changing any single byte of origin, generation, seq, suspicion,
 *     sub-scores, silent ids or signature, or dropping / appending one
 *     silent id, makes it fail with SGP_ERR_BAD_SIGNATURE (SGP-REPORT-1,
 *     SGP-REPORT-2: the signature covers every field but itself).
 */
#include <string.h>

#include "fuzz_common.h"
#include "sgp/report.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { REPORTS_MAX = 32 };

static sgp_packet pkt;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_init();
  return 0;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void check_tbs(const sgp_report_msg *r) {
  uint8_t tbs[SGP_REPORT_TBS_MAX];
  size_t len = 0;
  sgp_err e = sgp_report_tbs(r, tbs, sizeof tbs, &len);
  FZ_CHECK(e == SGP_OK, "tbs of a decoded report failed: %s", sgp_err_name(e));
  FZ_CHECK(len == SGP_REPORT_DOMAIN_LEN + 4 * 4 + 4 * SGP_SUBSCORES + 2 + 4 * r->silent_count,
           "tbs length %zu for %u silent ids", len, (unsigned)r->silent_count);
  FZ_CHECK(memcmp(tbs, SGP_REPORT_DOMAIN, SGP_REPORT_DOMAIN_LEN) == 0, "tbs domain");
  const uint8_t *p = tbs + SGP_REPORT_DOMAIN_LEN;
  FZ_CHECK(be32(p) == r->origin && be32(p + 4) == r->generation && be32(p + 8) == r->seq &&
               be32(p + 12) == r->suspicion,
           "tbs header fields");
  p += 16;
  for (size_t k = 0; k < SGP_SUBSCORES; k++, p += 4)
    FZ_CHECK(be32(p) == r->sub[k], "tbs sub[%zu]", k);
  FZ_CHECK(((size_t)p[0] << 8 | p[1]) == r->silent_count, "tbs silent_count");
  p += 2;
  for (size_t k = 0; k < r->silent_count; k++, p += 4)
    FZ_CHECK(be32(p) == r->silent[k], "tbs silent[%zu]", k);
}

/* Applies mutation number pos (modulo the number available) to m. */
static void mutate(sgp_report_msg *m, size_t pos, uint8_t x) {
  uint32_t *fields[4 + SGP_SUBSCORES + SGP_MAX_SILENT];
  size_t nf = 0;
  fields[nf++] = &m->origin;
  fields[nf++] = &m->generation;
  fields[nf++] = &m->seq;
  fields[nf++] = &m->suspicion;
  for (size_t k = 0; k < SGP_SUBSCORES; k++) fields[nf++] = &m->sub[k];
  for (size_t k = 0; k < m->silent_count; k++) fields[nf++] = &m->silent[k];
  size_t total = 4 * nf + SGP_SIG_BYTES + 1;
  pos %= total;
  if (pos < 4 * nf) {
    *fields[pos / 4] ^= (uint32_t)x << (8 * (pos % 4));
  } else if (pos < 4 * nf + SGP_SIG_BYTES) {
    m->sig.bytes[pos - 4 * nf] ^= x;
  } else if (m->silent_count > 0) {
    m->silent_count--; /* drop the last silent id */
  } else {
    m->silent[m->silent_count++] = x; /* append one */
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  uint8_t sel = data[0], x = data[1] ? data[1] : 1;
  sgp_err rc = sgp_packet_decode(&pkt, 0, data + 2, size - 2);
  fz_check_named(rc, "sgp_packet_decode");
  if (rc != SGP_OK) return 0;

  for (size_t i = 0; i < pkt.reports_count && i < REPORTS_MAX; i++) {
    const sgp_report_msg *r = &pkt.reports[i];
    uint32_t k = r->origin % FZ_KEYS;
    check_tbs(r);

    sgp_err v = sgp_report_verify(r, fz_pk[k], NULL);
    FZ_CHECK(v == SGP_OK || v == SGP_ERR_BAD_SIGNATURE, "verify gave %s", sgp_err_name(v));
    FZ_CHECK(sgp_report_verify(r, fz_pk[k], &sgp_verifier_default) == v,
             "explicit default verifier disagrees with NULL");

    sgp_report_msg m = *r;
    sgp_err e = sgp_report_sign(&m, fz_sk[k]);
    FZ_CHECK(e == SGP_OK && m.sig.size == SGP_SIG_BYTES, "sign failed: %s", sgp_err_name(e));
    if (v == SGP_OK)
      FZ_CHECK(memcmp(m.sig.bytes, r->sig.bytes, SGP_SIG_BYTES) == 0,
               "report %zu (origin %u) verifies with a signature the key never produces: "
               "forgery or accepted malleable signature",
               i, r->origin);
    e = sgp_report_verify(&m, fz_pk[k], NULL);
    FZ_CHECK(e == SGP_OK, "re-signed report does not verify: %s", sgp_err_name(e));
    e = sgp_report_verify(&m, fz_pk[(k + 1) % FZ_KEYS], NULL);
    FZ_CHECK(e == SGP_ERR_BAD_SIGNATURE, "verifies under another node's key: %s", sgp_err_name(e));

    sgp_report_msg bad = m;
    mutate(&bad, (size_t)sel + 31u * i, x);
    e = sgp_report_verify(&bad, fz_pk[k], NULL);
    FZ_CHECK(e == SGP_ERR_BAD_SIGNATURE,
             "report %zu still verifies after mutation %u^%02x (origin %u): %s", i, (unsigned)sel,
             x, r->origin, sgp_err_name(e));
  }
  return 0;
}
