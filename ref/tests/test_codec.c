/* Codec: canonical round trip and one rejection per error code (spec §4). */
#include <criterion/criterion.h>
#include <pb_encode.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/codec.h"
#include "sgp/state.h"
#include "testutil.h"

static sgp_packet *pkt, *pkt2;
static uint8_t buf[SGP_MAX_PACKET + 16];

static void setup(void) {
  pkt = calloc(1, sizeof *pkt);
  pkt2 = calloc(1, sizeof *pkt2);
}
static void teardown(void) {
  free(pkt);
  free(pkt2);
}
TestSuite(codec, .init = setup, .fini = teardown);

/* Encodes without validation, to build semantically invalid packets. */
static size_t raw_encode(const sgp_packet *p) {
  pb_ostream_t os = pb_ostream_from_buffer(buf, sizeof buf);
  cr_assert(pb_encode(&os, sgp_v1_Packet_fields, p));
  return os.bytes_written;
}

static void make_ack(sgp_packet *out) {
  struct tu_cluster c;
  tu_cluster_init(&c, 4);
  struct sgp_params p;
  sgp_params_default(&p, 4);
  struct sgp_state *a = tu_state_new(&c, &p, 0, 3), *b = tu_state_new(&c, &p, 1, 1);
  uint16_t sub[5] = {100, 200, 300, 400, 1000};
  cr_assert_eq(sgp_state_set_local(b, 4321, sub), SGP_OK);
  cr_assert_eq(sgp_state_tick(b), SGP_OK);
  struct sgp_state *cc = tu_state_new(&c, &p, 2, 1);
  sgp_packet *syn = calloc(1, sizeof *syn);
  /* a <-> b exchange first, so b then holds reports of origins 0 and 1 */
  cr_assert_eq(sgp_state_make_syn(a, syn), SGP_OK);
  cr_assert_eq(sgp_state_make_ack(b, syn, out, 0), SGP_OK);
  cr_assert_eq(sgp_state_merge(a, out, NULL), SGP_OK);
  cr_assert_eq(sgp_state_make_delta(a, out, syn, 0), SGP_OK);
  cr_assert_eq(sgp_state_merge(b, syn, NULL), SGP_OK);
  cr_assert_eq(sgp_state_make_syn(cc, syn), SGP_OK);
  cr_assert_eq(sgp_state_make_ack(b, syn, out, 0), SGP_OK);
  free(syn);
  tu_state_free(a);
  tu_state_free(b);
  tu_state_free(cc);
  tu_cluster_free(&c);
}

/* SGP-WIRE-12: whatever decodes re-encodes to the same bytes. */
Test(codec, roundtrip_canonical) {
  make_ack(pkt);
  size_t len;
  cr_assert_eq(sgp_packet_encode(pkt, 4, buf, sizeof buf, &len), SGP_OK);
  cr_assert_eq(sgp_packet_decode(pkt2, 4, buf, len), SGP_OK);
  cr_assert_eq(pkt2->reports_count, 2);
  cr_assert_eq(pkt2->digest_count, 2);
  cr_assert_eq(pkt2->reports[0].generation, 3);
  cr_assert_eq(pkt2->reports[1].suspicion, 4321);
  uint8_t *again = malloc(len);
  size_t len2;
  cr_assert_eq(sgp_packet_encode(pkt2, 4, again, len, &len2), SGP_OK);
  cr_assert_eq(len2, len);
  cr_assert_eq(memcmp(again, buf, len), 0);
  free(again);
}

Test(codec, encode_no_space) {
  make_ack(pkt);
  size_t len;
  cr_assert_eq(sgp_packet_encode(pkt, 4, buf, 10, &len), SGP_ERR_NO_SPACE);
}

#define EXPECT_BYTES(err, ...)                                                \
  do {                                                                        \
    const uint8_t in_[] = {__VA_ARGS__};                                      \
    cr_assert_eq(sgp_packet_decode(pkt, 0, in_, sizeof in_), (err), "got %s", \
                 sgp_err_name(sgp_packet_decode(pkt, 0, in_, sizeof in_)));   \
  } while (0)

/* A minimal valid SYN: version 1, sender 2, kind SYN, one digest entry {0,1,1}. */
Test(codec, minimal_syn_valid) {
  EXPECT_BYTES(SGP_OK, 0x08, 0x01, 0x10, 0x02, 0x18, 0x01, 0x22, 0x04, 0x10, 0x01, 0x18, 0x01);
}
/* SGP-WIRE-1 */
Test(codec, reject_too_large) {
  cr_assert_eq(sgp_packet_decode(pkt, 0, buf, SGP_MAX_PACKET + 1), SGP_ERR_TOO_LARGE);
}
/* SGP-WIRE-2 */
Test(codec, reject_truncated) {
  EXPECT_BYTES(SGP_ERR_TRUNCATED, 0x08, 0x01, 0x10);
  EXPECT_BYTES(SGP_ERR_TRUNCATED, 0x08, 0x01, 0x22, 0x05, 0x10, 0x01);
  EXPECT_BYTES(SGP_ERR_TRUNCATED, 0x08, 0x81);
}
/* SGP-WIRE-2: non-minimal and overlong varints */
Test(codec, reject_varint) {
  EXPECT_BYTES(SGP_ERR_VARINT, 0x08, 0x81, 0x00);
  EXPECT_BYTES(SGP_ERR_VARINT, 0x88, 0x00, 0x01);
  EXPECT_BYTES(SGP_ERR_VARINT, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f);
}
/* SGP-WIRE-8: uint32 fields must fit 32 bits */
Test(codec, reject_u32_overflow) {
  EXPECT_BYTES(SGP_ERR_RANGE, 0x08, 0x80, 0x80, 0x80, 0x80, 0x10);
}
/* SGP-WIRE-3 */
Test(codec, reject_wire_type) {
  EXPECT_BYTES(SGP_ERR_WIRE_TYPE, 0x0a, 0x01, 0x01);       /* version as LEN */
  EXPECT_BYTES(SGP_ERR_WIRE_TYPE, 0x08, 0x01, 0x20, 0x01); /* digest as VARINT */
  EXPECT_BYTES(SGP_ERR_WIRE_TYPE, 0x08, 0x01, 0x0b);       /* group start */
}
/* SGP-WIRE-4 */
Test(codec, reject_unknown_field) {
  EXPECT_BYTES(SGP_ERR_UNKNOWN_FIELD, 0x08, 0x01, 0x48, 0x01); /* field 9 */
  EXPECT_BYTES(SGP_ERR_UNKNOWN_FIELD, 0x00, 0x01);             /* field 0 */
  /* unknown field inside a Version */
  EXPECT_BYTES(SGP_ERR_UNKNOWN_FIELD, 0x08, 0x01, 0x22, 0x02, 0x28, 0x01);
}
/* SGP-WIRE-5 */
Test(codec, reject_field_order) {
  EXPECT_BYTES(SGP_ERR_FIELD_ORDER, 0x10, 0x02, 0x08, 0x01);
}
/* SGP-WIRE-6 */
Test(codec, reject_duplicate_field) {
  EXPECT_BYTES(SGP_ERR_DUPLICATE_FIELD, 0x08, 0x01, 0x08, 0x01);
}
/* SGP-WIRE-7: defaults are omitted, packed runs are never empty */
Test(codec, reject_default_present) {
  EXPECT_BYTES(SGP_ERR_DEFAULT_PRESENT, 0x08, 0x00);
  EXPECT_BYTES(SGP_ERR_DEFAULT_PRESENT, 0x08, 0x01, 0x2a, 0x02, 0x2a, 0x00); /* empty sub */
  EXPECT_BYTES(SGP_ERR_DEFAULT_PRESENT, 0x08, 0x01, 0x2a, 0x02, 0x3a, 0x00); /* empty sig */
}
/* SGP-WIRE-10: count and size bounds */
Test(codec, reject_too_many) {
  EXPECT_BYTES(SGP_ERR_TOO_MANY, 0x2a, 0x08, 0x2a, 0x06, 1, 2, 3, 4, 5, 6); /* 6 subs */
  uint8_t big[80] = {0x2a, 0x44, 0x3a, 0x42};                               /* sig 66 B */
  cr_assert_eq(sgp_packet_decode(pkt, 0, big, 4 + 0x42), SGP_ERR_TOO_LARGE);
}
/* SGP-WIRE-13 */
Test(codec, reject_version) {
  EXPECT_BYTES(SGP_ERR_VERSION, 0x08, 0x02, 0x18, 0x01);
  EXPECT_BYTES(SGP_ERR_VERSION, 0x18, 0x01);
}
/* SGP-WIRE-14 */
Test(codec, reject_kind) {
  EXPECT_BYTES(SGP_ERR_KIND, 0x08, 0x01);             /* unspecified */
  EXPECT_BYTES(SGP_ERR_KIND, 0x08, 0x01, 0x18, 0x07); /* unknown kind */
  EXPECT_BYTES(SGP_ERR_KIND, 0x08, 0x01, 0x18, 0x02); /* ACK without digest */
  EXPECT_BYTES(SGP_ERR_KIND, 0x08, 0x01, 0x18, 0x01); /* SYN without digest */
  EXPECT_BYTES(SGP_ERR_KIND, 0x08, 0x01, 0x18, 0x03); /* empty DELTA */
  make_ack(pkt2);
  pkt2->kind = sgp_v1_Kind_KIND_SYN; /* SYN with reports */
  size_t len = raw_encode(pkt2);
  cr_assert_eq(sgp_packet_decode(pkt, 0, buf, len), SGP_ERR_KIND);
}

/* Semantic rules on a real ACK, mutated one field at a time. */
static sgp_err mutate_and_decode(void (*mut)(sgp_packet *), uint32_t n) {
  make_ack(pkt2);
  mut(pkt2);
  size_t len = raw_encode(pkt2);
  return sgp_packet_decode(pkt, n, buf, len);
}
static void m_susp(sgp_packet *p) {
  p->reports[0].suspicion = 5001;
}
static void m_sub(sgp_packet *p) {
  p->reports[0].sub[2] = 1001;
}
static void m_subcount(sgp_packet *p) {
  p->reports[0].sub_count = 4;
}
static void m_gen0(sgp_packet *p) {
  p->reports[0].generation = 0;
}
static void m_dgen0(sgp_packet *p) {
  p->digest[1].seq = 0;
}
static void m_siglen(sgp_packet *p) {
  p->reports[0].sig.size = 63;
}
static void m_order(sgp_packet *p) {
  p->digest[1].origin = 0;
}
static void m_rorder(sgp_packet *p) {
  p->reports[1].origin = 0;
}
static void m_silent_order(sgp_packet *p) {
  p->reports[0].silent_count = 2;
  p->reports[0].silent[0] = 3;
  p->reports[0].silent[1] = 2;
}
static void m_self_silent(sgp_packet *p) {
  p->reports[0].silent_count = 1;
  p->reports[0].silent[0] = p->reports[0].origin;
}
static void m_sender(sgp_packet *p) {
  p->sender = 9;
}
static void m_origin(sgp_packet *p) {
  p->reports[1].origin = 9;
}

/* SGP-WIRE-19, SGP-WIRE-20 */
Test(codec, reject_semantic_ranges) {
  cr_assert_eq(mutate_and_decode(m_susp, 4), SGP_ERR_RANGE);
  cr_assert_eq(mutate_and_decode(m_sub, 4), SGP_ERR_RANGE);
  cr_assert_eq(mutate_and_decode(m_subcount, 4), SGP_ERR_SUB_COUNT);
}
/* SGP-WIRE-18 */
Test(codec, reject_zero_versions) {
  cr_assert_eq(mutate_and_decode(m_gen0, 4), SGP_ERR_RANGE);
  cr_assert_eq(mutate_and_decode(m_dgen0, 4), SGP_ERR_RANGE);
}
/* SGP-WIRE-22 */
Test(codec, reject_sig_len) {
  cr_assert_eq(mutate_and_decode(m_siglen, 4), SGP_ERR_SIG_LEN);
}
/* SGP-WIRE-15, SGP-WIRE-16, SGP-WIRE-21 */
Test(codec, reject_order) {
  cr_assert_eq(mutate_and_decode(m_order, 4), SGP_ERR_ORDER);
  cr_assert_eq(mutate_and_decode(m_rorder, 4), SGP_ERR_ORDER);
  cr_assert_eq(mutate_and_decode(m_silent_order, 4), SGP_ERR_ORDER);
  cr_assert_eq(mutate_and_decode(m_self_silent, 4), SGP_ERR_SELF_SILENT);
}
/* SGP-WIRE-17 */
Test(codec, reject_node_ids) {
  cr_assert_eq(mutate_and_decode(m_sender, 4), SGP_ERR_NODE_ID);
  cr_assert_eq(mutate_and_decode(m_origin, 4), SGP_ERR_NODE_ID);
  cr_assert_eq(mutate_and_decode(m_origin, 0), SGP_OK); /* roster-free tools */
}

/* SGP-WIRE-1..12: every prefix of a valid packet is either valid or rejected
 * with a named error; no crash (run under ASan in the asan preset). */
Test(codec, truncations_and_bitflips_named) {
  make_ack(pkt2);
  size_t len;
  cr_assert_eq(sgp_packet_encode(pkt2, 4, buf, sizeof buf, &len), SGP_OK);
  uint8_t *copy = malloc(len);
  memcpy(copy, buf, len);
  for (size_t cut = 0; cut < len; cut++) {
    sgp_err e = sgp_packet_decode(pkt, 4, copy, cut);
    cr_assert(strcmp(sgp_err_name(e), "SGP_ERR_UNKNOWN") != 0);
  }
  uint64_t s = 42;
  for (int k = 0; k < 20000; k++) {
    memcpy(copy, buf, len);
    size_t at = tu_rand(&s) % len;
    copy[at] ^= (uint8_t)(1u << (tu_rand(&s) % 8));
    sgp_err e = sgp_packet_decode(pkt, 4, copy, len);
    cr_assert(strcmp(sgp_err_name(e), "SGP_ERR_UNKNOWN") != 0);
    cr_assert_neq(e, SGP_ERR_NONCANONICAL, "structural walk missed a non-canonical form");
  }
  free(copy);
}

Test(codec, error_names_roundtrip) {
  int found;
  cr_assert_eq(sgp_err_from_name("SGP_ERR_VARINT", &found), SGP_ERR_VARINT);
  cr_assert(found);
  cr_assert_str_eq(sgp_err_name(SGP_ERR_TRUNCATED), "SGP_ERR_TRUNCATED");
  (void)sgp_err_from_name("nope", &found);
  cr_assert(!found);
}
