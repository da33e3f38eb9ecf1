/* Signed reports (spec §5.2, SGP-REPORT-*).
 *
 * A report is a node's own record: suspicion, five sub-scores and its
 * opinion row (ids it deems silent), under a version (generation, seq).
 * The origin signs the to-be-signed (TBS) bytes with Ed25519:
 *
 *   "SGP/1 report" 0x00                 13-byte domain separator
 *   origin u32 | generation u32 | seq u32 | suspicion u32
 *   sub[0..4] u32 each
 *   silent_count u16 | silent[i] u32 each
 *   (all integers big-endian)
 *
 * Relays forward the report verbatim; nobody but the origin can produce a
 * report that verifies under the origin's roster key.
 */
#ifndef SGP_REPORT_H
#define SGP_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/codec.h"
#include "sgp/result.h"

#define SGP_REPORT_DOMAIN "SGP/1 report"
enum {
  SGP_REPORT_DOMAIN_LEN = 13, /* including the NUL */
  SGP_REPORT_TBS_MAX = SGP_REPORT_DOMAIN_LEN + 4 * 4 + 4 * SGP_SUBSCORES + 2 + 4 * SGP_MAX_SILENT
};

/* Verifier hook: returns 0 if sig is valid for (m, pk).  Injected so the
 * simulator can memoize (DESIGN §3b); the default is libsodium's
 * crypto_sign_verify_detached. */
struct sgp_verifier {
  int (*verify)(void *ctx, const uint8_t sig[SGP_SIG_BYTES], const uint8_t *m, size_t mlen,
                const uint8_t pk[SGP_SIGN_PK_BYTES]);
  void *ctx;
};
extern const struct sgp_verifier sgp_verifier_default;

/* Tie tag: the first 8 bytes of a signature, big-endian (digest entries). */
uint64_t sgp_sig_tag(const uint8_t sig[SGP_SIG_BYTES]);

/* Version order: (generation, seq) lexicographic.  -1, 0, +1. */
int sgp_version_cmp(uint32_t gen_a, uint32_t seq_a, uint32_t gen_b, uint32_t seq_b);

SGP_MUST_CHECK sgp_err sgp_report_tbs(const sgp_report_msg *r, uint8_t *out, size_t cap,
                                      size_t *len);
/* Fills r->sig.  sk is libsodium's 64-byte Ed25519 secret key. */
SGP_MUST_CHECK sgp_err sgp_report_sign(sgp_report_msg *r, const uint8_t sk[64]);
SGP_MUST_CHECK sgp_err sgp_report_verify(const sgp_report_msg *r,
                                         const uint8_t pk[SGP_SIGN_PK_BYTES],
                                         const struct sgp_verifier *v);

#endif
