/* Report signing and verification (contract in sgp/report.h). */
#include "sgp/report.h"

#include <sodium.h>

#include "sgp/cursor.h"

static int verify_ed25519(void *ctx, const uint8_t sig[SGP_SIG_BYTES], const uint8_t *m,
                          size_t mlen, const uint8_t pk[SGP_SIGN_PK_BYTES]) {
  (void)ctx;
  return crypto_sign_verify_detached(sig, m, mlen, pk);
}

const struct sgp_verifier sgp_verifier_default = {verify_ed25519, NULL};

uint64_t sgp_sig_tag(const uint8_t sig[SGP_SIG_BYTES]) {
  uint64_t t = 0;
  for (size_t i = 0; i < 8; i++) t = t << 8 | sig[i];
  return t;
}

int sgp_version_cmp(uint32_t gen_a, uint32_t seq_a, uint32_t gen_b, uint32_t seq_b) {
  if (gen_a != gen_b) return gen_a < gen_b ? -1 : 1;
  if (seq_a != seq_b) return seq_a < seq_b ? -1 : 1;
  return 0;
}

sgp_err sgp_report_tbs(const sgp_report_msg *r, uint8_t *out, size_t cap, size_t *len) {
  SGP_ENSURE(r->sub_count == SGP_SUBSCORES && r->silent_count <= SGP_MAX_SILENT,
             SGP_ERR_INVALID_ARG);
  struct sgp_cursor c = sgp_cursor_writer(out, cap);
  SGP_GUARD(sgp_cursor_write(&c, SGP_REPORT_DOMAIN, SGP_REPORT_DOMAIN_LEN)); /* SGP-REPORT-2 */
  SGP_GUARD(sgp_cursor_write_u32(&c, r->origin));
  SGP_GUARD(sgp_cursor_write_u32(&c, r->generation));
  SGP_GUARD(sgp_cursor_write_u32(&c, r->seq));
  SGP_GUARD(sgp_cursor_write_u32(&c, r->suspicion));
  for (size_t i = 0; i < SGP_SUBSCORES; i++) SGP_GUARD(sgp_cursor_write_u32(&c, r->sub[i]));
  SGP_GUARD(sgp_cursor_write_u16(&c, (uint16_t)r->silent_count));
  for (size_t i = 0; i < r->silent_count; i++) SGP_GUARD(sgp_cursor_write_u32(&c, r->silent[i]));
  *len = c.pos;
  return SGP_OK;
}

sgp_err sgp_report_sign(sgp_report_msg *r, const uint8_t sk[64]) {
  uint8_t tbs[SGP_REPORT_TBS_MAX];
  size_t len;
  SGP_GUARD(sgp_report_tbs(r, tbs, sizeof tbs, &len));
  SGP_ENSURE(crypto_sign_detached(r->sig.bytes, NULL, tbs, len, sk) == 0, SGP_ERR_CRYPTO);
  r->sig.size = SGP_SIG_BYTES;
  return SGP_OK;
}

sgp_err sgp_report_verify(const sgp_report_msg *r, const uint8_t pk[SGP_SIGN_PK_BYTES],
                          const struct sgp_verifier *v) {
  uint8_t tbs[SGP_REPORT_TBS_MAX];
  size_t len;
  SGP_ENSURE(r->sig.size == SGP_SIG_BYTES, SGP_ERR_SIG_LEN);
  SGP_GUARD(sgp_report_tbs(r, tbs, sizeof tbs, &len));
  if (!v) v = &sgp_verifier_default;
  SGP_ENSURE(v->verify(v->ctx, r->sig.bytes, tbs, len, pk) == 0, SGP_ERR_BAD_SIGNATURE);
  return SGP_OK;
}
