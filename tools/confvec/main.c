/* confvec: see confvec.h.  Usage: confvec codec|merge|consensus OUT.json */
#include <pb_encode.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "confvec.h"
#include "sgp/report.h"

static uint8_t seeds[CV_NODES][32], sks[CV_NODES][64], pks[CV_NODES][32];

void cv_keys_init(void) {
  if (sodium_init() < 0) die("sodium_init");
  for (uint32_t i = 0; i < CV_NODES; i++) {
    memset(seeds[i], 0, 32);
    memcpy(seeds[i], "sgp-conf", 8);
    seeds[i][11] = (uint8_t)i;
    if (crypto_sign_seed_keypair(pks[i], sks[i], seeds[i]) != 0) die("keypair");
  }
}

const uint8_t *cv_seed(uint32_t i) {
  return seeds[i];
}
const uint8_t *cv_sk(uint32_t i) {
  return sks[i];
}
const uint8_t (*cv_pks(void))[32] {
  return (const uint8_t(*)[32])pks;
}

json_t *cv_roster_json(void) {
  return vec_roster(CV_NODES, "sign_seed", (const uint8_t(*)[32])seeds, "sign_pk",
                    (const uint8_t(*)[32])pks);
}

void cv_report(sgp_report_msg *r, uint32_t signer, uint32_t o, uint32_t gen, uint32_t seq,
               uint32_t susp, const uint32_t *row, size_t k) {
  memset(r, 0, sizeof *r);
  r->origin = o;
  r->generation = gen;
  r->seq = seq;
  r->suspicion = susp;
  r->sub_count = SGP_SUBSCORES;
  for (size_t i = 0; i < SGP_SUBSCORES; i++) r->sub[i] = susp / 5;
  r->silent_count = (pb_size_t)k;
  for (size_t i = 0; i < k; i++) r->silent[i] = row[i];
  if (sgp_report_sign(r, sks[signer]) != SGP_OK) die("sign");
}

json_t *cv_u32s(const uint32_t *v, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++) append(a, json_integer(v[i]));
  return a;
}

json_t *cv_report_json(const sgp_report_msg *r) {
  json_t *o = json_object();
  put(o, "origin", json_integer(r->origin));
  put(o, "generation", json_integer(r->generation));
  put(o, "seq", json_integer(r->seq));
  put(o, "suspicion", json_integer(r->suspicion));
  put(o, "sub", cv_u32s(r->sub, r->sub_count));
  put(o, "silent", cv_u32s(r->silent, r->silent_count));
  put_hex(o, "sig", r->sig.bytes, r->sig.size);
  return o;
}

json_t *cv_packet_json(const sgp_packet *p) {
  json_t *o = json_object(), *d = json_array(), *rs = json_array();
  put(o, "version", json_integer(p->version));
  put(o, "sender", json_integer(p->sender));
  put(o, "kind", json_integer(p->kind));
  for (size_t i = 0; i < p->digest_count; i++) {
    json_t *e = json_object();
    put(e, "origin", json_integer(p->digest[i].origin));
    put(e, "generation", json_integer(p->digest[i].generation));
    put(e, "seq", json_integer(p->digest[i].seq));
    put_u64(e, "tag", p->digest[i].tag);
    append(d, e);
  }
  for (size_t i = 0; i < p->reports_count; i++) append(rs, cv_report_json(&p->reports[i]));
  put(o, "digest", d);
  put(o, "reports", rs);
  return o;
}

size_t cv_raw_encode(const sgp_packet *p, uint8_t *out, size_t cap) {
  pb_ostream_t os = pb_ostream_from_buffer(out, cap);
  if (!pb_encode(&os, sgp_v1_Packet_fields, p)) die("pb_encode");
  return os.bytes_written;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    (void)fprintf(stderr, "usage: confvec codec|merge|consensus OUT.json\n");
    return 2;
  }
  cv_keys_init();
  if (strcmp(argv[1], "codec") == 0)
    gen_codec(argv[2]);
  else if (strcmp(argv[1], "merge") == 0)
    gen_merge(argv[2]);
  else if (strcmp(argv[1], "consensus") == 0)
    gen_consensus(argv[2]);
  else
    die("unknown vector kind");
  return 0;
}
