/* Requirement tests for the gossip packet encoder and decode pipeline
 * (spec §4.1, §4.3, §4.4, §4.7, §12.4): SGP-WIRE-23..25, -28..30,
 * SGP-SEC-8..10.
 *
 * Expected bytes are built by hand from the field table of §4.1 and the
 * worked example of §4.7.
 */
#include <criterion/criterion.h>
#include <pb_common.h>
#include <pb_decode.h>
#include <pb_encode.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/codec.h"
#include "sgp/report.h"
#include "testutil.h"

static sgp_packet *pa, *pb;
static uint8_t buf[2 * SGP_MAX_PACKET], raw[2 * SGP_MAX_PACKET];

static void setup(void) {
  cr_assert(sodium_init() >= 0);
  pa = calloc(1, sizeof *pa);
  pb = calloc(1, sizeof *pb);
}
static void teardown(void) {
  free(pa);
  free(pb);
}
TestSuite(req_wire, .init = setup, .fini = teardown);

/* nanopb's encoding without our validation: for packets a decoder must
 * reject.  Never used with counts beyond the static arrays. */
static size_t raw_encode(const sgp_packet *p) {
  pb_ostream_t os = pb_ostream_from_buffer(raw, sizeof raw);
  cr_assert(pb_encode(&os, sgp_v1_Packet_fields, p));
  return os.bytes_written;
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap) {
  size_t got = 0;
  cr_assert_eq(sodium_hex2bin(out, cap, hex, strlen(hex), " ", &got, NULL), 0);
  return got;
}

/* The §4.7 report, signed with the seed 00..1f. */
static void example_report(sgp_report_msg *r) {
  uint8_t seed[32], pk[32], sk[64];
  for (int i = 0; i < 32; i++) seed[i] = (uint8_t)i;
  cr_assert_eq(crypto_sign_seed_keypair(pk, sk, seed), 0);
  memset(r, 0, sizeof *r);
  r->generation = 1;
  r->seq = 100;
  r->suspicion = 3100;
  r->sub_count = 5;
  for (int k = 0; k < 5; k++) r->sub[k] = 620;
  cr_assert_eq(sgp_report_sign(r, sk), SGP_OK);
}

static const char EX_SIG[] =
    "60c7404d166da14b7fe12ba5233e7a527b6679461cc79edc866990efb5b2c2d7"
    "62c82b77a4c13d95059a877a6f43f7d1c1a7938604aa2b3346e3dbec157b240d";

/* An ACK from sender 1 (n = 4): digest {0: (1,100)}, {1: (1,1)}; reports:
 * the example report and one of origin 2 with silent ids {1, 3}. */
static void base_ack(sgp_packet *p) {
  memset(p, 0, sizeof *p);
  p->version = 1;
  p->sender = 1;
  p->kind = sgp_v1_Kind_KIND_ACK;
  p->digest_count = 2;
  p->digest[0].generation = 1;
  p->digest[0].seq = 100;
  p->digest[0].tag = 0x60c7404d166da14bull;
  p->digest[1].origin = 1;
  p->digest[1].generation = 1;
  p->digest[1].seq = 1;
  p->digest[1].tag = 42;
  p->reports_count = 2;
  example_report(&p->reports[0]);
  sgp_report_msg *r = &p->reports[1];
  r->origin = 2;
  r->generation = 3;
  r->seq = 4;
  r->suspicion = 5;
  r->sub_count = 5;
  r->silent_count = 2;
  r->silent[0] = 1;
  r->silent[1] = 3;
  r->sig.size = 64;
  memset(r->sig.bytes, 0x77, 64);
}

/* ---- SGP-WIRE-30 ------------------------------------------------------- */

/* SGP-WIRE-30: the encoder writes the §4.7 example report and digest entry
 * exactly as printed: ascending field numbers, defaults (origin 0) omitted,
 * minimal varints, sub as one packed run, tag as 8 little-endian bytes, all
 * digest elements, then all report elements. */
Test(req_wire, wire30_spec_example_bytes) {
  uint8_t sig[64], want[256];
  cr_assert_eq(unhex(EX_SIG, sig, 64), 64);
  memset(pa, 0, sizeof *pa);
  pa->version = 1;
  pa->sender = 1;
  pa->kind = sgp_v1_Kind_KIND_ACK;
  pa->digest_count = 1;
  pa->digest[0].generation = 1;
  pa->digest[0].seq = 100;
  pa->digest[0].tag = 0x60c7404d166da14bull;
  pa->reports_count = 1;
  example_report(&pa->reports[0]);
  cr_assert_eq(memcmp(pa->reports[0].sig.bytes, sig, 64), 0);
  cr_assert_eq(pa->digest[0].tag, sgp_sig_tag(sig));

  size_t w = unhex(
      "08 01 10 01 18 02"                             /* version, sender, kind ACK */
      " 22 0d 10 01 18 64 21 4b a1 6d 16 4d 40 c7 60" /* digest entry, origin omitted */
      " 2a 55 10 01 18 64 20 9c 18"                   /* report: gen, seq, suspicion */
      " 2a 0a ec 04 ec 04 ec 04 ec 04 ec 04"          /* sub: one packed run */
      " 3a 40",                                       /* sig: 64 bytes follow */
      want, sizeof want);
  memcpy(want + w, sig, 64);
  w += 64;
  cr_assert_eq(w, 6 + 15 + 2 + 85);
  size_t len = 0;
  cr_assert_eq(sgp_packet_encode(pa, 4, buf, sizeof buf, &len), SGP_OK);
  cr_assert_eq(len, w);
  cr_assert_eq(memcmp(buf, want, w), 0);
}

/* SGP-WIRE-30: field layout by hand for what the example lacks: a nonzero
 * origin, a packed run of silent ids with a two-byte varint, an omitted
 * suspicion, a zero-valued packed sub run, several contiguous elements
 * (roster-free, n = 0, since the silent id 300 is above this n = 4 ACK). */
Test(req_wire, wire30_layout_by_hand) {
  base_ack(pa);
  pa->reports[1].suspicion = 0;
  pa->reports[1].silent[1] = 300;
  pa->reports_count = 2;
  uint8_t want[512];
  size_t w = unhex(
      "08 01 10 01 18 02"
      " 22 0d 10 01 18 64 21 4b a1 6d 16 4d 40 c7 60"
      " 22 0f 08 01 10 01 18 01 21 2a 00 00 00 00 00 00 00",
      want, sizeof want);
  w += unhex(" 2a 55 10 01 18 64 20 9c 18 2a 0a ec 04 ec 04 ec 04 ec 04 ec 04 3a 40", want + w,
             sizeof want - w);
  w += unhex(EX_SIG, want + w, sizeof want - w);
  w += unhex(" 2a 54 08 02 10 03 18 04 2a 05 00 00 00 00 00 32 03 01 ac 02 3a 40", want + w,
             sizeof want - w);
  memset(want + w, 0x77, 64);
  w += 64;
  size_t len = 0;
  cr_assert_eq(sgp_packet_encode(pa, 0, buf, sizeof buf, &len), SGP_OK);
  cr_assert_eq(len, w);
  cr_assert_eq(memcmp(buf, want, w), 0);
  cr_assert_eq(sgp_packet_decode(pb, 0, buf, len), SGP_OK);
}

/* ---- SGP-WIRE-28 ------------------------------------------------------- */

/* SGP-WIRE-28: absent scalar, enum and fixed64 fields decode as 0, absent
 * repeated and bytes fields as empty, whatever the output held before. */
Test(req_wire, wire28_absent_fields_are_zero_or_empty) {
  /* SYN, sender omitted (0), one digest entry with only generation and seq. */
  const uint8_t syn[] = {0x08, 0x01, 0x18, 0x01, 0x22, 0x04, 0x10, 0x07, 0x18, 0x09};
  memset(pb, 0xa5, sizeof *pb);
  cr_assert_eq(sgp_packet_decode(pb, 4, syn, sizeof syn), SGP_OK);
  cr_assert_eq(pb->sender, 0);
  cr_assert_eq(pb->reports_count, 0);
  cr_assert_eq(pb->digest_count, 1);
  cr_assert_eq(pb->digest[0].origin, 0);
  cr_assert_eq(pb->digest[0].generation, 7);
  cr_assert_eq(pb->digest[0].seq, 9);
  cr_assert_eq(pb->digest[0].tag, 0);

  /* DELTA whose report omits origin, suspicion and silent. */
  base_ack(pa);
  pa->kind = sgp_v1_Kind_KIND_DELTA;
  pa->digest_count = 0;
  pa->reports_count = 1;
  pa->reports[0].suspicion = 0;
  size_t len;
  cr_assert_eq(sgp_packet_encode(pa, 4, buf, sizeof buf, &len), SGP_OK);
  memset(pb, 0xa5, sizeof *pb);
  cr_assert_eq(sgp_packet_decode(pb, 4, buf, len), SGP_OK);
  cr_assert_eq(pb->digest_count, 0);
  cr_assert_eq(pb->reports[0].origin, 0);
  cr_assert_eq(pb->reports[0].suspicion, 0);
  cr_assert_eq(pb->reports[0].silent_count, 0);
}

/* ---- SGP-WIRE-23, -24, -29 ---------------------------------------------- */

/* SGP-WIRE-23: a report listing its own origin as silent is refused with
 * SGP_ERR_SELF_SILENT by the decoder and the encoder. */
Test(req_wire, wire23_self_silent) {
  base_ack(pa);
  pa->reports[1].silent[1] = 2; /* origin 2 lists 1 and itself */
  size_t len = raw_encode(pa);
  cr_assert_eq(sgp_packet_decode(pb, 4, raw, len), SGP_ERR_SELF_SILENT);
  cr_assert_eq(sgp_packet_decode(pb, 0, raw, len), SGP_ERR_SELF_SILENT);
  cr_assert_eq(sgp_packet_encode(pa, 4, buf, sizeof buf, &len), SGP_ERR_SELF_SILENT);
  pa->reports[1].silent[1] = 3;
  cr_assert_eq(sgp_packet_encode(pa, 4, buf, sizeof buf, &len), SGP_OK);
}

/* SGP-WIRE-24: a packet built in memory must respect the count limits
 * before it is encoded: at the limit it encodes, one above is
 * SGP_ERR_TOO_MANY (digest 16384, reports 1024, silent ids 64). */
Test(req_wire, wire24_count_limits_in_memory) {
  size_t len;
  memset(pa, 0, sizeof *pa);
  pa->version = 1;
  pa->sender = 1;
  pa->kind = sgp_v1_Kind_KIND_SYN;
  for (uint32_t i = 0; i < SGP_MAX_DIGEST; i++) {
    pa->digest[i].origin = i;
    pa->digest[i].generation = pa->digest[i].seq = 1;
  }
  pa->digest_count = SGP_MAX_DIGEST;
  cr_assert_eq(sgp_packet_encode(pa, 0, buf, sizeof buf, &len), SGP_OK);
  pa->digest_count = SGP_MAX_DIGEST + 1;
  cr_assert_eq(sgp_packet_encode(pa, 0, buf, sizeof buf, &len), SGP_ERR_TOO_MANY);

  base_ack(pa);
  pa->kind = sgp_v1_Kind_KIND_DELTA;
  pa->digest_count = 0;
  sgp_report_msg tmpl = pa->reports[1];
  tmpl.silent_count = 0;
  for (uint32_t i = 0; i < SGP_MAX_REPORTS; i++) {
    pa->reports[i] = tmpl;
    pa->reports[i].origin = i;
  }
  pa->reports_count = SGP_MAX_REPORTS;
  cr_assert_eq(sgp_packet_encode(pa, 0, buf, sizeof buf, &len), SGP_OK);
  pa->reports_count = SGP_MAX_REPORTS + 1;
  cr_assert_eq(sgp_packet_encode(pa, 0, buf, sizeof buf, &len), SGP_ERR_TOO_MANY);

  base_ack(pa);
  sgp_report_msg *r = &pa->reports[1];
  r->origin = 100;
  for (uint32_t i = 0; i < SGP_MAX_SILENT; i++) r->silent[i] = i;
  r->silent_count = SGP_MAX_SILENT;
  cr_assert_eq(sgp_packet_encode(pa, 0, buf, sizeof buf, &len), SGP_OK);
  r->silent_count = SGP_MAX_SILENT + 1;
  cr_assert_eq(sgp_packet_encode(pa, 0, buf, sizeof buf, &len), SGP_ERR_TOO_MANY);
}

/* Wire bytes of a packet with `count` copies of one element (field tag). */
static size_t repeated_bytes(uint8_t kind, uint8_t tag, const uint8_t *elem, size_t elen,
                             size_t count) {
  size_t w = 0;
  const uint8_t head[] = {0x08, 0x01, 0x10, 0x01, 0x18, kind};
  memcpy(raw, head, sizeof head);
  w = sizeof head;
  for (size_t i = 0; i < count; i++) {
    raw[w++] = tag;
    raw[w++] = (uint8_t)elen;
    memcpy(raw + w, elem, elen);
    w += elen;
  }
  return w;
}

static void m_version0(sgp_packet *p) {
  p->version = 0;
}
static void m_version9(sgp_packet *p) {
  p->version = 9;
}
static void m_kind0(sgp_packet *p) {
  p->kind = sgp_v1_Kind_KIND_UNSPECIFIED;
}
static void m_kind7(sgp_packet *p) {
  p->kind = (sgp_v1_Kind)7;
}
static void m_syn_reports(sgp_packet *p) {
  p->kind = sgp_v1_Kind_KIND_SYN;
}
static void m_delta_digest(sgp_packet *p) {
  p->kind = sgp_v1_Kind_KIND_DELTA;
}
static void m_ack_nodigest(sgp_packet *p) {
  p->digest_count = 0;
}
static void m_dorder(sgp_packet *p) {
  p->digest[1].origin = 0;
}
static void m_rorder(sgp_packet *p) {
  p->reports[1].origin = 0;
}
static void m_sender(sgp_packet *p) {
  p->sender = 4;
}
static void m_dorigin(sgp_packet *p) {
  p->digest[1].origin = 4;
}
static void m_silent_id(sgp_packet *p) {
  p->reports[1].silent[1] = 4;
}
static void m_dgen(sgp_packet *p) {
  p->digest[0].generation = 0;
}
static void m_seq(sgp_packet *p) {
  p->reports[1].seq = 0;
}
static void m_susp(sgp_packet *p) {
  p->reports[0].suspicion = 5001;
}
static void m_sub(sgp_packet *p) {
  p->reports[1].sub[4] = 1001;
}
static void m_subs(sgp_packet *p) {
  p->reports[1].sub_count = 3;
}
static void m_sorder(sgp_packet *p) {
  p->reports[1].silent[0] = 3;
}
static void m_self(sgp_packet *p) {
  p->reports[1].silent[0] = 2;
}
static void m_sig(sgp_packet *p) {
  p->reports[0].sig.size = 32;
}

/* SGP-WIRE-29: the encoder validates first and fails with exactly the code
 * a decoder reports for the same packet; a valid packet that only lacks
 * output room is SGP_ERR_NO_SPACE.  Covers every semantic rule, the count
 * limits (decoder side built as raw bytes) and SGP_MAX_PACKET. */
Test(req_wire, wire29_encoder_fails_like_the_decoder) {
  struct {
    void (*mut)(sgp_packet *);
    sgp_err want;
  } cases[] = {
      {m_version0, SGP_ERR_VERSION},  {m_version9, SGP_ERR_VERSION}, {m_kind0, SGP_ERR_KIND},
      {m_kind7, SGP_ERR_KIND},        {m_syn_reports, SGP_ERR_KIND}, {m_delta_digest, SGP_ERR_KIND},
      {m_ack_nodigest, SGP_ERR_KIND}, {m_dorder, SGP_ERR_ORDER},     {m_rorder, SGP_ERR_ORDER},
      {m_sender, SGP_ERR_NODE_ID},    {m_dorigin, SGP_ERR_NODE_ID},  {m_silent_id, SGP_ERR_NODE_ID},
      {m_dgen, SGP_ERR_RANGE},        {m_seq, SGP_ERR_RANGE},        {m_susp, SGP_ERR_RANGE},
      {m_sub, SGP_ERR_RANGE},         {m_subs, SGP_ERR_SUB_COUNT},   {m_sorder, SGP_ERR_ORDER},
      {m_self, SGP_ERR_SELF_SILENT},  {m_sig, SGP_ERR_SIG_LEN},
  };
  size_t len;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    base_ack(pa);
    cases[i].mut(pa);
    sgp_err enc = sgp_packet_encode(pa, 4, buf, sizeof buf, &len);
    size_t rlen = raw_encode(pa);
    sgp_err dec = sgp_packet_decode(pb, 4, raw, rlen);
    cr_assert_eq(enc, cases[i].want, "case %zu: encoder %s", i, sgp_err_name(enc));
    cr_assert_eq(dec, cases[i].want, "case %zu: decoder %s", i, sgp_err_name(dec));
  }

  /* Counts: 1025 reports, 16385 digest entries, 65 silent ids. */
  const uint8_t rep[] = {0x10, 0x01, 0x18, 0x01};
  size_t rlen = repeated_bytes(0x03, 0x2a, rep, sizeof rep, SGP_MAX_REPORTS + 1);
  cr_assert_eq(sgp_packet_decode(pb, 0, raw, rlen), SGP_ERR_TOO_MANY);
  rlen = repeated_bytes(0x01, 0x22, rep, sizeof rep, SGP_MAX_DIGEST + 1);
  cr_assert_eq(sgp_packet_decode(pb, 0, raw, rlen), SGP_ERR_TOO_MANY);
  uint8_t silent[2 + 2 + 2 + 65];
  silent[0] = 0x08;
  silent[1] = 0x05; /* origin 5 */
  silent[2] = 0x10;
  silent[3] = 0x01;
  silent[4] = 0x32;
  silent[5] = 65;
  for (int i = 0; i < 65; i++) silent[6 + i] = (uint8_t)i;
  rlen = repeated_bytes(0x03, 0x2a, silent, sizeof silent, 1);
  cr_assert_eq(sgp_packet_decode(pb, 0, raw, rlen), SGP_ERR_TOO_MANY);
  /* (The encoder side of the counts is wire24_count_limits_in_memory.) */

  /* Over SGP_MAX_PACKET: 16384 digest entries of 26 bytes. */
  memset(pa, 0, sizeof *pa);
  pa->version = 1;
  pa->sender = 1;
  pa->kind = sgp_v1_Kind_KIND_SYN;
  for (uint32_t i = 0; i < SGP_MAX_DIGEST; i++) {
    pa->digest[i].origin = i;
    pa->digest[i].generation = pa->digest[i].seq = UINT32_MAX;
    pa->digest[i].tag = UINT64_MAX;
  }
  pa->digest_count = SGP_MAX_DIGEST;
  rlen = raw_encode(pa);
  cr_assert_gt(rlen, SGP_MAX_PACKET);
  cr_assert_eq(sgp_packet_decode(pb, 0, raw, rlen), SGP_ERR_TOO_LARGE);
  cr_assert_eq(sgp_packet_encode(pa, 0, buf, sizeof buf, &len), SGP_ERR_TOO_LARGE);
  cr_assert_eq(sgp_packet_encode(pa, 0, buf, 10, &len), SGP_ERR_TOO_LARGE,
               "too large wins over too small a buffer");

  /* Only the buffer is short: SGP_ERR_NO_SPACE; exactly enough: OK. */
  base_ack(pa);
  cr_assert_eq(sgp_packet_encode(pa, 4, buf, sizeof buf, &len), SGP_OK);
  size_t need = len;
  cr_assert_eq(sgp_packet_encode(pa, 4, buf, need - 1, &len), SGP_ERR_NO_SPACE);
  cr_assert_eq(sgp_packet_encode(pa, 4, buf, need, &len), SGP_OK);
  cr_assert_eq(len, need);
}

/* ---- SGP-WIRE-25, SGP-SEC-10 --------------------------------------------- */

static sgp_err decode_bytes(uint32_t n, const uint8_t *in, size_t len) {
  return sgp_packet_decode(pb, n, in, len);
}
#define DECODE(n, ...) \
  decode_bytes((n), (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* SGP-WIRE-25: the first failing step decides the code: size before
 * structure, structure before semantics, semantics (with the roster n)
 * after the structural walk. */
Test(req_wire, wire25_pipeline_order) {
  /* 1 vs 2: oversize garbage is TOO_LARGE, not a structural code. */
  memset(raw, 0xff, SGP_MAX_PACKET + 1);
  cr_assert_eq(sgp_packet_decode(pb, 0, raw, SGP_MAX_PACKET + 1), SGP_ERR_TOO_LARGE);
  /* 2 vs 4: version 2 (semantic) with a later duplicate field (structural). */
  cr_assert_eq(DECODE(0, 0x08, 0x02, 0x10, 0x01, 0x10, 0x01), SGP_ERR_DUPLICATE_FIELD);
  /* kind 0 absent (semantic) with an unknown field 9 at the end. */
  cr_assert_eq(DECODE(0, 0x08, 0x01, 0x10, 0x01, 0x48, 0x01), SGP_ERR_UNKNOWN_FIELD);
  /* a non-minimal varint inside an otherwise semantically bad digest entry. */
  cr_assert_eq(DECODE(0, 0x08, 0x01, 0x18, 0x01, 0x22, 0x03, 0x10, 0x80, 0x00), SGP_ERR_VARINT);
  /* 4 with n: the same bytes pass without a roster and fail with n = 2. */
  cr_assert_eq(DECODE(0, 0x08, 0x01, 0x10, 0x03, 0x18, 0x01, 0x22, 0x04, 0x10, 0x01, 0x18, 0x01),
               SGP_OK);
  cr_assert_eq(DECODE(2, 0x08, 0x01, 0x10, 0x03, 0x18, 0x01, 0x22, 0x04, 0x10, 0x01, 0x18, 0x01),
               SGP_ERR_NODE_ID);
  /* Several semantic violations: some semantic code (SGP-WIRE-27), never a
   * structural one. */
  sgp_err e = DECODE(2, 0x08, 0x02, 0x10, 0x03, 0x18, 0x05);
  cr_assert(e == SGP_ERR_VERSION || e == SGP_ERR_NODE_ID || e == SGP_ERR_KIND, "%s",
            sgp_err_name(e));
}

/* SGP-SEC-10 (and SGP-WIRE-25 step 3 after step 2): the structural walk
 * runs before nanopb reads the input.  nanopb alone accepts an unknown
 * field, fields out of order and a repeated scalar; the decoder refuses
 * each with its structural code, and leaves the output untouched (nanopb,
 * had it run, would have reset the struct to defaults). */
Test(req_wire, sec10_structural_walk_before_nanopb) {
  static const uint8_t unknown[] = {0x08, 0x01, 0x18, 0x01, 0x22, 0x04,
                                    0x10, 0x01, 0x18, 0x01, 0x48, 0x05};
  static const uint8_t order[] = {0x18, 0x01, 0x08, 0x01, 0x22, 0x04, 0x10, 0x01, 0x18, 0x01};
  static const uint8_t dup[] = {0x08, 0x01, 0x18, 0x01, 0x18, 0x01,
                                0x22, 0x04, 0x10, 0x01, 0x18, 0x01};
  struct {
    const uint8_t *in;
    size_t len;
    sgp_err want;
  } cases[] = {
      {unknown, sizeof unknown, SGP_ERR_UNKNOWN_FIELD},
      {order, sizeof order, SGP_ERR_FIELD_ORDER},
      {dup, sizeof dup, SGP_ERR_DUPLICATE_FIELD},
  };
  for (size_t i = 0; i < 3; i++) {
    pb_istream_t is = pb_istream_from_buffer(cases[i].in, cases[i].len);
    memset(pb, 0, sizeof *pb);
    cr_assert(pb_decode(&is, sgp_v1_Packet_fields, pb), "nanopb accepts case %zu", i);
    cr_assert_eq(pb->kind, sgp_v1_Kind_KIND_SYN);
    memset(pb, 0xa5, sizeof *pb);
    cr_assert_eq(sgp_packet_decode(pb, 0, cases[i].in, cases[i].len), cases[i].want, "case %zu", i);
    const uint8_t *bytes = (const uint8_t *)pb;
    for (size_t k = 0; k < sizeof *pb; k++)
      cr_assert_eq(bytes[k], 0xa5, "case %zu: output written at byte %zu", i, k);
  }
}

/* ---- SGP-SEC-8, SGP-SEC-9 ------------------------------------------------ */

/* SGP-SEC-8: nanopb is used without PB_ENABLE_MALLOC. */
Test(req_wire, sec8_no_pb_enable_malloc) {
#ifdef PB_ENABLE_MALLOC
  cr_fail("PB_ENABLE_MALLOC is defined for code that includes pb.h");
#endif
  /* Without it nanopb has no pointer fields at all: every field of the
   * schema must be static (checked field by field in sec9). */
  cr_assert(1);
}

static void check_fields(const pb_msgdesc_t *desc, const void *msg, int depth, size_t *nfields) {
  pb_field_iter_t it;
  cr_assert(pb_field_iter_begin_const(&it, desc, msg));
  do {
    (*nfields)++;
    pb_type_t t = it.type;
    cr_assert_eq(PB_ATYPE(t), PB_ATYPE_STATIC, "field %u not static (no pointer/callback)",
                 (unsigned)it.tag);
    cr_assert_neq(PB_HTYPE(t), PB_HTYPE_ONEOF, "field %u is in a oneof", (unsigned)it.tag);
    cr_assert_neq(PB_LTYPE(t), PB_LTYPE_EXTENSION, "field %u is an extension", (unsigned)it.tag);
    if (PB_HTYPE(t) == PB_HTYPE_REPEATED)
      cr_assert(it.array_size > 0 && it.array_size <= SGP_MAX_DIGEST, "field %u unbounded",
                (unsigned)it.tag);
    if (PB_LTYPE(t) == PB_LTYPE_BYTES)
      cr_assert(it.data_size > 0 && it.data_size <= 64 + sizeof(pb_size_t), "bytes %u unbounded",
                (unsigned)it.tag);
    if (PB_LTYPE_IS_SUBMSG(t)) {
      cr_assert_eq(depth, 0, "submessage nesting deeper than Packet -> Version/Report");
      cr_assert_neq(it.submsg_desc, desc, "recursive message");
      check_fields(it.submsg_desc, it.pData, depth + 1, nfields);
    }
  } while (pb_field_iter_next(&it));
}

/* SGP-SEC-9: the generated schema has no oneof, no callback or pointer
 * field, no recursion (depth 1 below Packet) and a static bound on every
 * repeated and bytes field, equal to the spec limits; the options file
 * declares FT_STATIC for everything and the proto has no oneof. */
Test(req_wire, sec9_schema_is_static_and_bounded) {
  memset(pa, 0, sizeof *pa);
  size_t nfields = 0;
  check_fields(sgp_v1_Packet_fields, pa, 0, &nfields);
  cr_assert_eq(nfields, 5 + 4 + 7, "Packet 5 + Version 4 + Report 7 fields");

  pb_field_iter_t it;
  cr_assert(pb_field_iter_begin_const(&it, sgp_v1_Packet_fields, pa));
  cr_assert(pb_field_iter_find(&it, 4));
  cr_assert_eq(it.array_size, SGP_MAX_DIGEST);
  cr_assert(pb_field_iter_find(&it, 5));
  cr_assert_eq(it.array_size, SGP_MAX_REPORTS);
  sgp_report_msg r;
  cr_assert(pb_field_iter_begin_const(&it, sgp_v1_Report_fields, &r));
  cr_assert(pb_field_iter_find(&it, 5));
  cr_assert_eq(it.array_size, SGP_SUBSCORES);
  cr_assert(pb_field_iter_find(&it, 6));
  cr_assert_eq(it.array_size, SGP_MAX_SILENT);
  cr_assert(pb_field_iter_find(&it, 7));
  cr_assert_eq(it.data_size, sizeof r.sig);

  size_t len;
  char *opts = tu_read_file(SGP_SOURCE_DIR "/proto/sgp.options", &len);
  cr_assert_not_null(opts);
  cr_assert_not_null(strstr(opts, "\n* type:FT_STATIC\n"));
  cr_assert_null(strstr(opts, "FT_POINTER"));
  cr_assert_null(strstr(opts, "FT_CALLBACK"));
  free(opts);
  char *proto = tu_read_file(SGP_SOURCE_DIR "/proto/sgp.proto", &len);
  cr_assert_not_null(proto);
  cr_assert_null(strstr(proto, "oneof "));
  free(proto);
}
