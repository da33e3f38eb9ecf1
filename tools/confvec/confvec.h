/* confvec: conformance vectors for the packet codec (codec.json), merge
 * sequences (merge.json) and consensus/timer sequences (consensus.json),
 * generated from the reference library with fixed keys, byte for byte.
 * JSON and seeded-stream helpers come from tools/xportvec/vecjson.h. */
#ifndef CONFVEC_H
#define CONFVEC_H

#include <jansson.h>
#include <stdint.h>

#include "sgp/codec.h"
#include "vecjson.h"

enum { CV_NODES = 40 };

/* NULL-terminated requirement-ID and flag lists for new_test_flags. */
#define REQS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define FLAGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Test keys: Ed25519 seed of node i = "sgp-conf" || u32 i (big-endian) || zeros. */
void cv_keys_init(void);
const uint8_t *cv_seed(uint32_t i);
const uint8_t *cv_sk(uint32_t i);
const uint8_t (*cv_pks(void))[32];
json_t *cv_roster_json(void);

/* Report of origin o signed with signer's key; sub = suspicion / 5 each. */
void cv_report(sgp_report_msg *r, uint32_t signer, uint32_t o, uint32_t gen, uint32_t seq,
               uint32_t susp, const uint32_t *row, size_t k);
json_t *cv_report_json(const sgp_report_msg *r);
json_t *cv_packet_json(const sgp_packet *p);
/* Encodes without validation (for packets the encoder must refuse). */
size_t cv_raw_encode(const sgp_packet *p, uint8_t *out, size_t cap);
json_t *cv_u32s(const uint32_t *v, size_t n);

void gen_codec(const char *path);
void gen_merge(const char *path);
void gen_consensus(const char *path);

#endif
