/* codec.json: decode and encode vectors for the gossip packet (spec §4).
 *
 * DecodeTest: packet bytes and the roster size n; a valid case lists the
 * decoded packet, an invalid case the one error name (one violation each,
 * SGP-WIRE-27), an acceptable case several violations inside one pipeline
 * step and every error name a decoder may report for it.  EncodeTest: a
 * packet as fields; the canonical bytes or the encoder's error
 * (SGP-WIRE-29).  Every expectation is checked against the reference
 * decoder/encoder while the file is written, so a generator bug cannot
 * produce a vector the library itself fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confvec.h"
#include "sgp/report.h"

static sgp_packet *pkt, *base;
static uint8_t *buf;
enum { BUF_CAP = SGP_MAX_PACKET + 64 };
static json_t *dec_tests, *enc_tests;

static size_t from_hex(const char *h, uint8_t *out) {
  size_t n = 0;
  int hi = -1;
  for (; *h; h++) {
    if (*h == ' ') continue;
    int v = (*h >= '0' && *h <= '9') ? *h - '0' : (*h >= 'a' && *h <= 'f') ? *h - 'a' + 10 : -1;
    if (v < 0) die("bad hex in codecvec");
    if (hi < 0) {
      hi = v;
    } else {
      out[n++] = (uint8_t)(hi << 4 | v);
      hi = -1;
    }
  }
  if (hi >= 0) die("odd hex in codecvec");
  return n;
}

static void dec_case(const char *comment, const char *const *reqs, const char *const *flags,
                     uint32_t n, const uint8_t *b, size_t len, const char *want, const char *alt) {
  sgp_err rc = sgp_packet_decode(pkt, n, b, len);
  const char *result = want == NULL ? "valid" : alt ? "acceptable" : "invalid";
  json_t *t = new_test_flags(comment, result, reqs, flags);
  put(t, "n", json_integer(n));
  put_hex(t, "packet", b, len);
  if (want == NULL) {
    if (rc != SGP_OK) {
      (void)fprintf(stderr, "%s: %s\n", comment, sgp_err_name(rc));
      die("valid decode case fails");
    }
    put(t, "decoded", cv_packet_json(pkt));
  } else {
    if (strcmp(sgp_err_name(rc), want) != 0 && (!alt || strcmp(sgp_err_name(rc), alt) != 0)) {
      (void)fprintf(stderr, "%s: got %s want %s\n", comment, sgp_err_name(rc), want);
      die("decode case disagrees with the reference");
    }
    if (alt) {
      json_t *e = json_array();
      append(e, json_string(want));
      append(e, json_string(alt));
      put(t, "errors", e);
    } else {
      put(t, "error", json_string(want));
    }
  }
  append(dec_tests, t);
}

static void hex_case(const char *comment, const char *const *reqs, const char *const *flags,
                     const char *h, const char *want) {
  size_t len = from_hex(h, buf);
  dec_case(comment, reqs, flags, 4, buf, len, want, NULL);
}

/* Encodes pkt without validation and checks the decoder's verdict. */
static void pkt_case(const char *comment, const char *const *reqs, const char *const *flags,
                     uint32_t n, const char *want) {
  size_t len = cv_raw_encode(pkt, buf, BUF_CAP);
  sgp_packet *copy = malloc(sizeof *copy);
  if (!copy) die("oom");
  memcpy(copy, pkt, sizeof *copy);
  dec_case(comment, reqs, flags, n, buf, len, want, NULL);
  memcpy(pkt, copy, sizeof *copy);
  free(copy);
}

static void enc_case(const char *comment, const char *const *reqs, uint32_t n, const char *want) {
  size_t len = 0;
  sgp_err rc = sgp_packet_encode(pkt, n, buf, BUF_CAP, &len);
  json_t *t = new_test(comment, want ? "invalid" : "valid", reqs);
  put(t, "n", json_integer(n));
  put(t, "fields", cv_packet_json(pkt));
  if (want == NULL) {
    if (rc != SGP_OK) die("valid encode case fails");
    put_hex(t, "encoded", buf, len);
  } else {
    if (strcmp(sgp_err_name(rc), want) != 0) {
      (void)fprintf(stderr, "%s: got %s want %s\n", comment, sgp_err_name(rc), want);
      die("encode case disagrees with the reference");
    }
    put(t, "error", json_string(want));
  }
  append(enc_tests, t);
}

static void fill_base(void) {
  static const uint32_t row2[] = {2};
  memset(base, 0, sizeof *base);
  base->version = 1;
  base->sender = 1;
  base->kind = sgp_v1_Kind_KIND_DELTA;
  cv_report(&base->reports[0], 0, 0, 1, 5, 1200, row2, 1);
  cv_report(&base->reports[1], 2, 2, 2, 1, 0, NULL, 0);
  base->reports_count = 2;
}

static void use_base(void) {
  memcpy(pkt, base, sizeof *pkt);
}

static void to_syn(void) {
  pkt->kind = sgp_v1_Kind_KIND_SYN;
  pkt->reports_count = 0;
  pkt->digest_count = 2;
  pkt->digest[0] = (sgp_version_msg){0, 1, 5, sgp_sig_tag(base->reports[0].sig.bytes)};
  pkt->digest[1] = (sgp_version_msg){2, 2, 1, sgp_sig_tag(base->reports[1].sig.bytes)};
}

/* ---- structural rules (SGP-WIRE-1..11) -------------------------------------- */

static void structural(void) {
  /* SYN from 1 with one digest entry {origin 0, gen 1, seq 1}. */
  hex_case("minimal SYN", REQS("SGP-WIRE-14", "SGP-WIRE-28", "SGP-WIRE-30"), NULL,
           "0801 1001 1801 2204 10011801", NULL);
  hex_case("sender 0 is omitted", REQS("SGP-WIRE-7", "SGP-WIRE-28"), NULL,
           "0801 1801 2204 10011801", NULL);
  hex_case("digest entry with a tag (fixed64, little-endian)", REQS("SGP-WIRE-3", "SGP-WIRE-30"),
           NULL, "0801 1001 1801 220d 10011801 210102030405060708", NULL);
  hex_case("tag byte without its value", REQS("SGP-WIRE-2"), NULL, "08", "SGP_ERR_TRUNCATED");
  hex_case("varint ends inside the packet", REQS("SGP-WIRE-2"), NULL, "0801 1081",
           "SGP_ERR_TRUNCATED");
  hex_case("length prefix beyond the packet", REQS("SGP-WIRE-11"), NULL,
           "0801 1001 1801 2205 10011801", "SGP_ERR_TRUNCATED");
  hex_case("fixed64 tag cut short inside its entry", REQS("SGP-WIRE-2"), NULL,
           "0801 1001 1801 2207 10011801 210102", "SGP_ERR_TRUNCATED");
  hex_case("packed run ends inside a varint", REQS("SGP-WIRE-9"), NULL,
           "0801 1001 1803 2a08 10011801 2a02e887", "SGP_ERR_TRUNCATED");
  hex_case("non-minimal varint (trailing zero group)", REQS("SGP-WIRE-2"), FLAGS("NonCanonical"),
           "088100 1001 1801 2204 10011801", "SGP_ERR_VARINT");
  hex_case("non-minimal length prefix", REQS("SGP-WIRE-2"), FLAGS("NonCanonical"),
           "0801 1001 1801 228400 10011801", "SGP_ERR_VARINT");
  hex_case("varint longer than 10 bytes / above 2^64", REQS("SGP-WIRE-2"), NULL,
           "08ffffffffffffffffff7f", "SGP_ERR_VARINT");
  hex_case("field key of 2^32", REQS("SGP-WIRE-8"), NULL, "8080808010 01", "SGP_ERR_VARINT");
  hex_case("uint32 field value 2^32", REQS("SGP-WIRE-8"), NULL,
           "088080808010 1001 1801 2204 10011801", "SGP_ERR_RANGE");
  hex_case("negative enum (10-byte varint)", REQS("SGP-WIRE-8"), NULL,
           "0801 1001 18ffffffffffffffffff01 2204 10011801", "SGP_ERR_RANGE");
  hex_case("version with wire type 2", REQS("SGP-WIRE-3"), NULL, "0a0101 1001 1801 2204 10011801",
           "SGP_ERR_WIRE_TYPE");
  hex_case("unpacked sub element", REQS("SGP-WIRE-3"), FLAGS("NonCanonical"),
           "0801 1001 1803 2a06 10011801 2805", "SGP_ERR_WIRE_TYPE");
  hex_case("digest tag as varint", REQS("SGP-WIRE-3"), NULL, "0801 1001 1801 2206 10011801 2001",
           "SGP_ERR_WIRE_TYPE");
  hex_case("unknown packet field 6", REQS("SGP-WIRE-4"), NULL, "0801 1001 1801 2204 10011801 3001",
           "SGP_ERR_UNKNOWN_FIELD");
  hex_case("field number 0", REQS("SGP-WIRE-4"), NULL, "0001 0801 1001 1801 2204 10011801",
           "SGP_ERR_UNKNOWN_FIELD");
  hex_case("unknown report field 8", REQS("SGP-WIRE-4"), NULL, "0801 1001 1803 2a06 10011801 4001",
           "SGP_ERR_UNKNOWN_FIELD");
  hex_case("sender before version", REQS("SGP-WIRE-5"), FLAGS("NonCanonical"),
           "1001 0801 1801 2204 10011801", "SGP_ERR_FIELD_ORDER");
  hex_case("digest after reports", REQS("SGP-WIRE-5"), FLAGS("NonCanonical"),
           "0801 1001 1802 2a04 10011801 2204 10011801", "SGP_ERR_FIELD_ORDER");
  hex_case("version twice", REQS("SGP-WIRE-6"), FLAGS("NonCanonical"),
           "0801 0801 1001 1801 2204 10011801", "SGP_ERR_DUPLICATE_FIELD");
  hex_case("two packed runs of sub", REQS("SGP-WIRE-6"), FLAGS("NonCanonical"),
           "0801 1001 1803 2a0b 10011801 2a020102 2a0103", "SGP_ERR_DUPLICATE_FIELD");
  hex_case("version 0 encoded", REQS("SGP-WIRE-7"), FLAGS("NonCanonical"),
           "0800 1001 1801 2204 10011801", "SGP_ERR_DEFAULT_PRESENT");
  hex_case("sender 0 encoded", REQS("SGP-WIRE-7"), FLAGS("NonCanonical"),
           "0801 1000 1801 2204 10011801", "SGP_ERR_DEFAULT_PRESENT");
  hex_case("zero tag encoded", REQS("SGP-WIRE-7"), FLAGS("NonCanonical"),
           "0801 1001 1801 220d 10011801 210000000000000000", "SGP_ERR_DEFAULT_PRESENT");
  hex_case("empty packed run", REQS("SGP-WIRE-7"), FLAGS("NonCanonical"),
           "0801 1001 1803 2a06 10011801 2a00", "SGP_ERR_DEFAULT_PRESENT");
  hex_case("empty sig encoded", REQS("SGP-WIRE-7"), FLAGS("NonCanonical"),
           "0801 1001 1803 2a06 10011801 3a00", "SGP_ERR_DEFAULT_PRESENT");
  hex_case("six sub values", REQS("SGP-WIRE-10"), NULL,
           "0801 1001 1803 2a0c 10011801 2a06010203040506", "SGP_ERR_TOO_MANY");

  /* Large structural cases. */
  size_t len = from_hex("0801 1001 1803 2a06 10011801 3241", buf);
  for (uint8_t i = 1; i <= 65; i++) buf[len++] = i;
  buf[7] = (uint8_t)(4 + 2 + 65); /* report length */
  dec_case("65 silent ids", REQS("SGP-WIRE-10"), NULL, 100, buf, len, "SGP_ERR_TOO_MANY", NULL);
  len = from_hex("0801 1001 1803 2a47 10011801 3a41", buf);
  memset(buf + len, 0xab, 65);
  len += 65;
  dec_case("sig of 65 bytes", REQS("SGP-WIRE-10"), NULL, 4, buf, len, "SGP_ERR_TOO_LARGE", NULL);
  len = from_hex("0801 1001 1803", buf);
  for (int i = 0; i < 1025; i++) len += from_hex("2a00", buf + len);
  dec_case("1025 report elements", REQS("SGP-WIRE-10"), NULL, 4, buf, len, "SGP_ERR_TOO_MANY",
           NULL);
  len = from_hex("0801 1001 1801", buf);
  for (int i = 0; i < 16385; i++) len += from_hex("2200", buf + len);
  dec_case("16385 digest elements", REQS("SGP-WIRE-10"), NULL, 4, buf, len, "SGP_ERR_TOO_MANY",
           NULL);
  memset(buf, 0, SGP_MAX_PACKET + 1);
  dec_case("262145 bytes", REQS("SGP-WIRE-1", "SGP-WIRE-25"), NULL, 4, buf, SGP_MAX_PACKET + 1,
           "SGP_ERR_TOO_LARGE", NULL);
}

/* ---- semantic rules (SGP-WIRE-13..23) ------------------------------------------ */

static void semantic(void) {
  static const uint32_t row13[] = {1, 3}, row31[] = {3, 1};
  use_base();
  pkt_case("DELTA with two signed reports", REQS("SGP-WIRE-16", "SGP-WIRE-30"), NULL, 4, NULL);
  use_base();
  to_syn();
  pkt_case("SYN with tags", REQS("SGP-WIRE-14", "SGP-WIRE-15"), NULL, 4, NULL);
  pkt->kind = sgp_v1_Kind_KIND_ACK;
  pkt->reports[0] = base->reports[0];
  pkt->reports_count = 1;
  pkt_case("ACK with digest and a report", REQS("SGP-WIRE-14"), NULL, 4, NULL);
  pkt->reports_count = 0;
  pkt_case("ACK without reports", REQS("SGP-WIRE-14"), NULL, 4, NULL);
  use_base();
  cv_report(&pkt->reports[0], 0, 0, UINT32_MAX, UINT32_MAX, 5000, row13, 2);
  for (int k = 0; k < 5; k++) pkt->reports[0].sub[k] = 1000;
  pkt_case("largest values: generation, seq, suspicion 5000, sub 1000",
           REQS("SGP-WIRE-18", "SGP-WIRE-19"), NULL, 4, NULL);
  use_base();
  pkt->sender = 16383;
  pkt_case("roster-free decode (n = 0): sender 16383", REQS("SGP-WIRE-17"), NULL, 0, NULL);
  pkt->sender = 16384;
  pkt_case("roster-free decode (n = 0): sender 16384", REQS("SGP-WIRE-17"), NULL, 0,
           "SGP_ERR_NODE_ID");
  use_base();
  {
    uint32_t row[64];
    for (uint32_t i = 0; i < 64; i++) row[i] = i + 1;
    cv_report(&pkt->reports[0], 0, 0, 1, 5, 0, row, 64);
    pkt_case("64 silent ids (n = 100)", REQS("SGP-WIRE-10", "SGP-WIRE-21"), NULL, 100, NULL);
  }

  use_base();
  pkt->version = 2;
  pkt_case("version 2", REQS("SGP-WIRE-13"), NULL, 4, "SGP_ERR_VERSION");
  pkt->version = 0;
  pkt_case("version absent", REQS("SGP-WIRE-13", "SGP-WIRE-28"), NULL, 4, "SGP_ERR_VERSION");
  use_base();
  pkt->kind = 0;
  pkt_case("kind absent", REQS("SGP-WIRE-14"), NULL, 4, "SGP_ERR_KIND");
  pkt->kind = 4;
  pkt_case("kind 4", REQS("SGP-WIRE-14"), NULL, 4, "SGP_ERR_KIND");
  use_base();
  to_syn();
  pkt->reports[0] = base->reports[0];
  pkt->reports_count = 1;
  pkt_case("SYN carrying a report", REQS("SGP-WIRE-14"), NULL, 4, "SGP_ERR_KIND");
  use_base();
  to_syn();
  pkt->digest_count = 0;
  pkt_case("SYN without digest", REQS("SGP-WIRE-14"), NULL, 4, "SGP_ERR_KIND");
  pkt->kind = sgp_v1_Kind_KIND_ACK;
  pkt_case("ACK without digest", REQS("SGP-WIRE-14"), NULL, 4, "SGP_ERR_KIND");
  use_base();
  pkt->digest_count = 1;
  pkt->digest[0] = (sgp_version_msg){0, 1, 5, 0};
  pkt_case("DELTA with a digest", REQS("SGP-WIRE-14"), NULL, 4, "SGP_ERR_KIND");
  use_base();
  to_syn();
  pkt->digest[1].origin = 0;
  pkt_case("digest origin repeated", REQS("SGP-WIRE-15"), NULL, 4, "SGP_ERR_ORDER");
  pkt->digest[0].origin = 3;
  pkt->digest[1].origin = 2;
  pkt_case("digest origins descending", REQS("SGP-WIRE-15"), NULL, 4, "SGP_ERR_ORDER");
  use_base();
  pkt->reports[1] = base->reports[0];
  pkt->reports[0] = base->reports[1];
  pkt_case("reports descending", REQS("SGP-WIRE-16"), NULL, 4, "SGP_ERR_ORDER");
  pkt->reports[0] = base->reports[0];
  pkt_case("two reports of one origin", REQS("SGP-WIRE-16", "SGP-MERGE-13"), NULL, 4,
           "SGP_ERR_ORDER");
  use_base();
  cv_report(&pkt->reports[0], 0, 0, 1, 5, 0, row31, 2);
  pkt_case("silent ids descending", REQS("SGP-WIRE-21"), NULL, 4, "SGP_ERR_ORDER");
  use_base();
  pkt->sender = 4;
  pkt_case("sender = n", REQS("SGP-WIRE-17"), NULL, 4, "SGP_ERR_NODE_ID");
  use_base();
  to_syn();
  pkt->digest[1].origin = 4;
  pkt_case("digest origin = n", REQS("SGP-WIRE-17"), NULL, 4, "SGP_ERR_NODE_ID");
  use_base();
  cv_report(&pkt->reports[1], 4, 4, 1, 1, 0, NULL, 0);
  pkt_case("report origin = n", REQS("SGP-WIRE-17", "SGP-MERGE-13"), NULL, 4, "SGP_ERR_NODE_ID");
  use_base();
  {
    const uint32_t row4[] = {4};
    cv_report(&pkt->reports[0], 0, 0, 1, 5, 0, row4, 1);
  }
  pkt_case("silent id = n", REQS("SGP-WIRE-17"), NULL, 4, "SGP_ERR_NODE_ID");
  use_base();
  to_syn();
  pkt->digest[0].generation = 0;
  pkt_case("digest generation 0", REQS("SGP-WIRE-18"), NULL, 4, "SGP_ERR_RANGE");
  use_base();
  to_syn();
  pkt->digest[1].seq = 0;
  pkt_case("digest seq 0", REQS("SGP-WIRE-18"), NULL, 4, "SGP_ERR_RANGE");
  use_base();
  cv_report(&pkt->reports[0], 0, 0, 0, 5, 0, NULL, 0);
  pkt_case("report generation 0", REQS("SGP-WIRE-18"), NULL, 4, "SGP_ERR_RANGE");
  use_base();
  cv_report(&pkt->reports[0], 0, 0, 1, 0, 0, NULL, 0);
  pkt_case("report seq 0", REQS("SGP-WIRE-18"), NULL, 4, "SGP_ERR_RANGE");
  use_base();
  cv_report(&pkt->reports[0], 0, 0, 1, 5, 5001, NULL, 0);
  pkt->reports[0].sub[0] = 0;
  pkt_case("suspicion 5001", REQS("SGP-WIRE-19"), NULL, 4, "SGP_ERR_RANGE");
  use_base();
  pkt->reports[1].sub[4] = 1001;
  pkt_case("sub-score 1001", REQS("SGP-WIRE-19"), NULL, 4, "SGP_ERR_RANGE");
  use_base();
  pkt->reports[1].sub_count = 4;
  pkt_case("four sub-scores", REQS("SGP-WIRE-20"), NULL, 4, "SGP_ERR_SUB_COUNT");
  pkt->reports[1].sub_count = 0;
  pkt_case("no sub-scores", REQS("SGP-WIRE-20", "SGP-WIRE-28"), NULL, 4, "SGP_ERR_SUB_COUNT");
  use_base();
  pkt->reports[1].sig.size = 63;
  pkt_case("63-byte sig", REQS("SGP-WIRE-22"), NULL, 4, "SGP_ERR_SIG_LEN");
  pkt->reports[1].sig.size = 0;
  pkt_case("sig absent", REQS("SGP-WIRE-22", "SGP-WIRE-28"), NULL, 4, "SGP_ERR_SIG_LEN");
  use_base();
  {
    const uint32_t row2[] = {2};
    cv_report(&pkt->reports[1], 2, 2, 2, 1, 0, row2, 1);
  }
  pkt_case("report lists its own origin as silent", REQS("SGP-WIRE-23"), NULL, 4,
           "SGP_ERR_SELF_SILENT");

  /* The count limits themselves are valid (SGP-WIRE-10): 1024 reports. */
  memset(pkt, 0, sizeof *pkt);
  pkt->version = 1;
  pkt->sender = 1;
  pkt->kind = sgp_v1_Kind_KIND_DELTA;
  for (uint32_t i = 0; i < SGP_MAX_REPORTS; i++) {
    sgp_report_msg *r = &pkt->reports[i];
    *r = base->reports[1]; /* signatures are not checked by decode */
    r->origin = i;
  }
  pkt->reports_count = SGP_MAX_REPORTS;
  pkt_case("1024 reports (the limit)", REQS("SGP-WIRE-10", "SGP-WIRE-24"), NULL, 1024, NULL);

  /* Several violations within the semantic step (SGP-WIRE-27). */
  use_base();
  pkt->version = 2;
  pkt->kind = 0;
  size_t len = cv_raw_encode(pkt, buf, BUF_CAP);
  dec_case("version 2 and kind absent", REQS("SGP-WIRE-13", "SGP-WIRE-14", "SGP-WIRE-27"), NULL, 4,
           buf, len, "SGP_ERR_VERSION", "SGP_ERR_KIND");
  use_base();
  pkt->sender = 7;
  pkt->reports[1].sub_count = 3;
  len = cv_raw_encode(pkt, buf, BUF_CAP);
  dec_case("sender 7 (n = 4) and three sub-scores",
           REQS("SGP-WIRE-17", "SGP-WIRE-20", "SGP-WIRE-27"), NULL, 4, buf, len, "SGP_ERR_NODE_ID",
           "SGP_ERR_SUB_COUNT");
  len = from_hex("088100 1001 1801 2204 10011801 3001", buf);
  dec_case("non-minimal varint and an unknown field",
           REQS("SGP-WIRE-2", "SGP-WIRE-4", "SGP-WIRE-27"), FLAGS("NonCanonical"), 4, buf, len,
           "SGP_ERR_VARINT", "SGP_ERR_UNKNOWN_FIELD");
  /* Pipeline order: a step-2 error wins over a later step's (SGP-WIRE-25). */
  len = from_hex("0802 1009 1801 2204 10011801 3001", buf);
  dec_case("unknown field in a packet with version 2 and sender 9", REQS("SGP-WIRE-25"), NULL, 4,
           buf, len, "SGP_ERR_UNKNOWN_FIELD", NULL);
}

static void encoder(void) {
  use_base();
  enc_case("DELTA", REQS("SGP-WIRE-29", "SGP-WIRE-30"), 4, NULL);
  use_base();
  to_syn();
  enc_case("SYN with tags", REQS("SGP-WIRE-30"), 4, NULL);
  pkt->reports[0] = base->reports[0];
  pkt->reports_count = 1;
  pkt->kind = sgp_v1_Kind_KIND_ACK;
  enc_case("ACK", REQS("SGP-WIRE-30"), 4, NULL);
  use_base();
  pkt->sender = 0;
  pkt->reports[0].origin = 0;
  enc_case("DELTA from node 0 (default fields omitted)", REQS("SGP-WIRE-30"), 4, NULL);
  use_base();
  pkt->version = 0;
  enc_case("version absent", REQS("SGP-WIRE-29", "SGP-WIRE-13"), 4, "SGP_ERR_VERSION");
  use_base();
  to_syn();
  pkt->reports[0] = base->reports[0];
  pkt->reports_count = 1;
  enc_case("SYN with a report", REQS("SGP-WIRE-29", "SGP-WIRE-14"), 4, "SGP_ERR_KIND");
  use_base();
  pkt->reports[1].origin = 0;
  enc_case("reports of one origin twice", REQS("SGP-WIRE-29", "SGP-WIRE-16"), 4, "SGP_ERR_ORDER");
  use_base();
  pkt->sender = 4;
  enc_case("sender = n", REQS("SGP-WIRE-29", "SGP-WIRE-17"), 4, "SGP_ERR_NODE_ID");
  use_base();
  pkt->reports[0].suspicion = 5001;
  enc_case("suspicion 5001", REQS("SGP-WIRE-29", "SGP-WIRE-19"), 4, "SGP_ERR_RANGE");
  use_base();
  pkt->reports[0].sub_count = 4;
  enc_case("four sub-scores", REQS("SGP-WIRE-29", "SGP-WIRE-20"), 4, "SGP_ERR_SUB_COUNT");
  use_base();
  pkt->reports[0].sig.size = 0;
  enc_case("sig absent", REQS("SGP-WIRE-29", "SGP-WIRE-22"), 4, "SGP_ERR_SIG_LEN");
  use_base();
  pkt->reports[1].silent_count = 1;
  pkt->reports[1].silent[0] = 2;
  enc_case("own origin silent", REQS("SGP-WIRE-29", "SGP-WIRE-23"), 4, "SGP_ERR_SELF_SILENT");
}

void gen_codec(const char *path) {
  vec_begin("sgp conformance codec vectors v1");
  pkt = calloc(1, sizeof *pkt);
  base = calloc(1, sizeof *base);
  buf = malloc(BUF_CAP);
  if (!pkt || !base || !buf) die("oom");
  dec_tests = json_array();
  enc_tests = json_array();
  fill_base();
  structural();
  semantic();
  encoder();

  json_t *groups = json_array(), *g;
  json_t *root = vec_root(
      "SGP packet codec v1", "sgp_codec_vectors_v1",
      (const char *const[]){
          "Gossip packet codec vectors for SGP v1 (spec section 4), generated by tools/confvec",
          "from fixed keys (seed of node i: 'sgp-conf' || u32 i || zeros). DecodeTest: decode",
          "'packet' with roster size n (0 = roster-free); valid: the decoded fields; invalid:",
          "the one error name; acceptable: several violations within one pipeline step, any",
          "listed error is conforming (SGP-WIRE-27). EncodeTest: encode 'fields' with n; valid:",
          "the canonical bytes; invalid: the encoder's error (SGP-WIRE-29). tag: u64 as 8",
          "big-endian hex bytes. Flag NonCanonical: a non-canonical encoding of a valid packet.",
          "SGP_ERR_NONCANONICAL, SGP_ERR_DECODE and SGP_ERR_TRAILING cannot be reached by",
          "decode input: the structural walk rejects every non-canonical form first.", NULL});
  g = json_object();
  put(g, "type", json_string("DecodeTest"));
  put(g, "tests", dec_tests);
  append(groups, g);
  g = json_object();
  put(g, "type", json_string("EncodeTest"));
  put(g, "tests", enc_tests);
  append(groups, g);
  put(root, "testGroups", groups);
  vec_write(root, path);
  json_decref(root);
  free(pkt);
  free(base);
  free(buf);
}
