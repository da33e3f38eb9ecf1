/* Shared helpers of the SGP fuzz targets (contract in fuzz_common.h). */
#include "fuzz_common.h"

#include <sodium.h>
#include <string.h>

uint8_t fz_pk[FZ_KEYS][SGP_SIGN_PK_BYTES];
uint8_t fz_sk[FZ_KEYS][64];

void fz_keypair(uint32_t i, uint8_t pk[SGP_SIGN_PK_BYTES], uint8_t sk[64]) {
  uint8_t seed[crypto_sign_SEEDBYTES] = {0};
  memcpy(seed, "sgp-fuzz", 8);
  seed[8] = (uint8_t)(i >> 24);
  seed[9] = (uint8_t)(i >> 16);
  seed[10] = (uint8_t)(i >> 8);
  seed[11] = (uint8_t)i;
  if (crypto_sign_seed_keypair(pk, sk, seed) != 0) abort();
}

void fz_init(void) {
  static int done;
  if (done) return;
  if (sodium_init() < 0) abort();
  for (uint32_t i = 0; i < FZ_KEYS; i++) fz_keypair(i, fz_pk[i], fz_sk[i]);
  done = 1;
}

uint8_t fz_u8(struct fz_in *in) {
  if (in->n == 0) return 0;
  in->n--;
  return *in->p++;
}

uint16_t fz_u16(struct fz_in *in) {
  uint16_t hi = fz_u8(in);
  return (uint16_t)(hi << 8 | fz_u8(in));
}

uint32_t fz_u32(struct fz_in *in) {
  uint32_t hi = fz_u16(in);
  return hi << 16 | fz_u16(in);
}

const uint8_t *fz_take(struct fz_in *in, size_t want, size_t *got) {
  const uint8_t *p = in->p;
  *got = want < in->n ? want : in->n;
  in->p += *got;
  in->n -= *got;
  return p;
}

void fz_rng_fill(void *ctx, uint8_t *dst, size_t len) {
  uint64_t *c = ctx;
  while (len) {
    uint64_t z = (*c += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    z ^= z >> 31;
    size_t k = len < 8 ? len : 8;
    memcpy(dst, &z, k);
    dst += k;
    len -= k;
  }
}

void fz_check_named(sgp_err e, const char *what) {
  FZ_CHECK(strcmp(sgp_err_name(e), "SGP_ERR_UNKNOWN") != 0, "%s returned unnamed code %d", what,
           (int)e);
}

void fz_packet_copy(sgp_packet *dst, const sgp_packet *src) {
  dst->version = src->version;
  dst->sender = src->sender;
  dst->kind = src->kind;
  dst->digest_count = src->digest_count;
  dst->reports_count = src->reports_count;
  if (src->digest_count <= SGP_MAX_DIGEST && src->digest_count > 0)
    memcpy(dst->digest, src->digest, src->digest_count * sizeof src->digest[0]);
  if (src->reports_count <= SGP_MAX_REPORTS && src->reports_count > 0)
    memcpy(dst->reports, src->reports, src->reports_count * sizeof src->reports[0]);
}

void fz_state_copy(struct sgp_state *dst, void *dst_mem, const struct sgp_state *src) {
  /* Copy the caller block whole and keep each array at its offset in it,
   * whatever layout sgp_state_init chose. */
  const uint8_t *base = src->mem;
  size_t off_e = (size_t)((const uint8_t *)src->e - base);
  size_t off_scratch = (size_t)((const uint8_t *)src->scratch - base);
  size_t off_silent = (size_t)((const uint8_t *)src->silent - base);
  memcpy(dst_mem, base, sgp_state_mem_size(&src->p));
  *dst = *src;
  dst->mem = dst_mem;
  dst->e = (struct sgp_entry *)((uint8_t *)dst_mem + off_e);
  dst->scratch = (uint64_t *)((uint8_t *)dst_mem + off_scratch);
  dst->silent = (uint16_t *)((uint8_t *)dst_mem + off_silent);
}

/* ASan defaults of every fuzz binary (ASAN_OPTIONS still overrides them).  The library never
 * allocates, so the quarantine only recycles libFuzzer's per-input copies; the default 256 MiB
 * quarantine turned those into fresh pages and page faults (~7% of fuzz_packet_decode). */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
  return "quarantine_size_mb=16";
}
