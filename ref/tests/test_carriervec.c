/* The carrier vectors conformance/vectors/carrier.json (written by
 * tools/xportvec) against the library.
 *
 * CarrierWrapTest: the listed cover is regenerated from its seed (the cover
 * generator is this library's, not the spec's), the payload is wrapped into
 * it byte for byte, every bit of the frame outside the LSBs of the first
 * 8 (|D| + 2) samples equals the cover's and those LSBs are the bits of
 * u16(|D|) || D, computed here independently; unwrapping gives D back.
 * CarrierUnwrapTest: accepted frames give the listed payload.
 * CarrierRejectTest: every frame is rejected with the named sgp_err, and a
 * rejection writes nothing (buffer and result untouched).
 * CarrierWrapRejectTest: the sender refuses with the named sgp_err.
 *
 * SGP-CONF-1: the implementation produces the expected output or error for
 * every vector.  The vectors cite, per test, the requirements they exercise
 * (SGP-CARRIER-1, -3..5, -10..13).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/carrier.h"
#include "testutil.h"

#define VEC SGP_SOURCE_DIR "/conformance/vectors/carrier.json"
#define FRAME_MAX (SGP_CARRIER_MAX_FRAME + 64)

static json_t *root;

static void load(void) {
  root = tu_json_load(VEC);
}
static void unload(void) {
  json_decref(root);
}
TestSuite(carriervec, .init = load, .fini = unload);

/* ---- JSON access ------------------------------------------------------------ */

static enum sgp_carrier_kind kind_named(const char *s) {
  if (strcmp(s, "raw") == 0) return SGP_CARRIER_RAW;
  if (strcmp(s, "lsb-pgm") == 0) return SGP_CARRIER_LSB_PGM;
  cr_assert_str_eq(s, "lsb-wav");
  return SGP_CARRIER_LSB_WAV;
}

static unsigned accept_of(const json_t *t) {
  unsigned m = 0;
  size_t i;
  const json_t *a;
  json_array_foreach(json_object_get(t, "accept"), i, a) {
    m |= SGP_CARRIER_ACCEPT(kind_named(json_string_value(a)));
  }
  return m;
}

static int tests_seen;

static void check_common(const json_t *t, const char *result) {
  cr_assert_str_eq(tu_json_str(t, "result"), result);
  const json_t *reqs = json_object_get(t, "reqs");
  cr_assert(json_is_array(reqs) && json_array_size(reqs) > 0, "every vector cites requirements");
  tests_seen++;
}

static uint8_t cover[FRAME_MAX], frame[FRAME_MAX], out[FRAME_MAX];
static uint8_t d[SGP_CARRIER_MAX_PAYLOAD + 8], buf[SGP_CARRIER_MAX_PAYLOAD];

/* ---- groups ------------------------------------------------------------------- */

static void seed_rng(void *ctx, uint8_t *o, size_t len) {
  cr_assert_eq(len, 16);
  memcpy(o, ctx, len);
}

/* SGP-CARRIER-4, checked on the bytes: the frame is the cover with bit t of
 * E = u16be(|D|) || D in the LSB of sample t, t < 8 |E|, and nothing else
 * changed. */
static void check_embedding(enum sgp_carrier_kind kind, const uint8_t *c, const uint8_t *f,
                            size_t len, const uint8_t *p, size_t plen, long long tc) {
  struct sgp_cover cv;
  cr_assert_eq(sgp_carrier_parse_cover(c, len, &cv), SGP_OK);
  cr_assert_eq(cv.kind, kind);
  size_t stride = kind == SGP_CARRIER_LSB_PGM ? 1 : 2, bits = 8 * (plen + 2);
  cr_assert_leq(bits, cv.samples);
  for (size_t i = 0; i < len; i++) {
    size_t off = i - cv.header_len, t = off / stride;
    int lsb = i >= cv.header_len && off % stride == 0 && t < bits;
    if (!lsb) {
      cr_assert_eq(f[i], c[i], "tcId %lld: byte %zu must equal the cover's", tc, i);
      continue;
    }
    size_t byte = t / 8;
    uint8_t e = byte == 0 ? (uint8_t)(plen >> 8) : byte == 1 ? (uint8_t)plen : p[byte - 2];
    cr_assert_eq(f[i] & 0xfe, c[i] & 0xfe, "tcId %lld: byte %zu: high bits", tc, i);
    cr_assert_eq(f[i] & 1, (e >> (7 - t % 8)) & 1, "tcId %lld: sample %zu: bit of E", tc, t);
  }
}

static void run_wrap_group(const json_t *g) {
  size_t i;
  const json_t *t;
  json_array_foreach(json_object_get(g, "tests"), i, t) {
    check_common(t, "valid");
    long long tc = tu_json_num(t, "tcId");
    enum sgp_carrier_kind kind = kind_named(tu_json_str(t, "carrier"));
    uint8_t seed[16];
    size_t clen = tu_json_unhex(t, "cover", cover, sizeof cover);
    size_t slen = tu_json_unhex(t, "cover_seed", seed, sizeof seed);
    size_t plen = tu_json_unhex(t, "payload", d, sizeof d);
    size_t flen = tu_json_unhex(t, "frame", frame, sizeof frame), len;
    if (kind == SGP_CARRIER_RAW) {
      cr_assert(clen == 0 && slen == 0);
    } else {
      cr_assert_eq(slen, 16);
      sgp_err rc = kind == SGP_CARRIER_LSB_PGM
                       ? sgp_carrier_generate_pgm((uint32_t)tu_json_num(t, "width"),
                                                  (uint32_t)tu_json_num(t, "height"), seed_rng,
                                                  seed, out, sizeof out, &len)
                       : sgp_carrier_generate_wav((uint32_t)tu_json_num(t, "sample_rate"),
                                                  (size_t)tu_json_num(t, "samples"), seed_rng, seed,
                                                  out, sizeof out, &len);
      cr_assert_eq(rc, SGP_OK);
      cr_assert_eq(len, clen);
      cr_assert_eq(memcmp(out, cover, clen), 0, "tcId %lld: generated cover", tc);
      check_embedding(kind, cover, frame, flen, d, plen, tc);
      cr_assert_eq(flen, clen);
    }
    cr_assert_eq(sgp_carrier_wrap(kind, cover, clen, d, plen, out, sizeof out, &len), SGP_OK);
    cr_assert_eq(len, flen);
    cr_assert_eq(memcmp(out, frame, flen), 0, "tcId %lld: frame bytes", tc);

    unsigned masks[] = {SGP_CARRIER_ACCEPT_ALL, SGP_CARRIER_ACCEPT(kind)};
    for (size_t m = 0; m < 2; m++) {
      struct sgp_carrier_payload p;
      cr_assert_eq(sgp_carrier_unwrap(frame, flen, masks[m], buf, sizeof buf, &p), SGP_OK);
      cr_assert_eq(p.kind, kind);
      cr_assert_eq(p.len, plen);
      cr_assert_eq(memcmp(p.data, d, plen), 0, "tcId %lld: unwrapped payload", tc);
      if (kind == SGP_CARRIER_RAW) cr_assert_eq(p.data, frame, "raw: D is the frame itself");
    }
  }
}

static void run_unwrap_group(const json_t *g) {
  size_t i;
  const json_t *t;
  json_array_foreach(json_object_get(g, "tests"), i, t) {
    check_common(t, "valid");
    size_t flen = tu_json_unhex(t, "frame", frame, sizeof frame);
    size_t plen = tu_json_unhex(t, "payload", d, sizeof d);
    struct sgp_carrier_payload p;
    cr_assert_eq(sgp_carrier_unwrap(frame, flen, accept_of(t), buf, sizeof buf, &p), SGP_OK);
    cr_assert_eq(p.kind, kind_named(tu_json_str(t, "carrier")));
    cr_assert_eq(p.len, plen);
    cr_assert_eq(memcmp(p.data, d, plen), 0, "tcId %lld", tu_json_num(t, "tcId"));
  }
}

/* SGP-CARRIER-6: a rejection leaves the output buffer and result as they were. */
static void run_reject_group(const json_t *g) {
  size_t i;
  const json_t *t;
  json_array_foreach(json_object_get(g, "tests"), i, t) {
    check_common(t, "invalid");
    long long tc = tu_json_num(t, "tcId");
    cr_assert_str_eq(tu_json_str(t, "counter"), "drop_carrier");
    size_t flen = tu_json_unhex(t, "frame", frame, sizeof frame);
    sgp_err want = tu_err_named(tu_json_str(t, "error"));
    struct sgp_carrier_payload p, p0;
    memset(&p, 0x5a, sizeof p);
    p0 = p;
    memset(buf, 0xa5, sizeof buf);
    /* an exact-length copy, so a read past the frame is caught by ASan */
    uint8_t *exact = malloc(flen ? flen : 1);
    cr_assert_not_null(exact);
    memcpy(exact, frame, flen);
    sgp_err got = sgp_carrier_unwrap(exact, flen, accept_of(t), buf, sizeof buf, &p);
    free(exact);
    cr_assert_eq(got, want, "tcId %lld: got %s want %s", tc, sgp_err_name(got), sgp_err_name(want));
    cr_assert_eq(memcmp(&p, &p0, sizeof p), 0, "tcId %lld: result untouched", tc);
    for (size_t k = 0; k < sizeof buf; k++) cr_assert_eq(buf[k], 0xa5, "tcId %lld: buffer", tc);
  }
}

static void run_wrap_reject_group(const json_t *g) {
  size_t i;
  const json_t *t;
  json_array_foreach(json_object_get(g, "tests"), i, t) {
    check_common(t, "invalid");
    enum sgp_carrier_kind kind = kind_named(tu_json_str(t, "carrier"));
    size_t clen = tu_json_unhex(t, "cover", cover, sizeof cover);
    size_t plen = tu_json_unhex(t, "payload", d, sizeof d), len = 7;
    memset(out, 0xa5, 256);
    sgp_err want = tu_err_named(tu_json_str(t, "error"));
    sgp_err got = sgp_carrier_wrap(kind, cover, clen, d, plen, out, sizeof out, &len);
    cr_assert_eq(got, want, "tcId %lld: got %s want %s", tu_json_num(t, "tcId"), sgp_err_name(got),
                 sgp_err_name(want));
    cr_assert_eq(len, 7);
    for (size_t k = 0; k < 256; k++) cr_assert_eq(out[k], 0xa5);
  }
}

/* SGP-CONF-1 */
Test(carriervec, every_vector_reproduces) {
  cr_assert_str_eq(tu_json_str(root, "algorithm"), "SGP carriers v1");
  cr_assert_str_eq(tu_json_str(root, "schema"), "sgp_carrier_vectors_v1");
  size_t i;
  const json_t *g;
  int kinds = 0;
  json_array_foreach(json_object_get(root, "testGroups"), i, g) {
    const char *type = tu_json_str(g, "type");
    if (strcmp(type, "CarrierWrapTest") == 0)
      run_wrap_group(g), kinds |= 1;
    else if (strcmp(type, "CarrierUnwrapTest") == 0)
      run_unwrap_group(g), kinds |= 2;
    else if (strcmp(type, "CarrierRejectTest") == 0)
      run_reject_group(g), kinds |= 4;
    else if (strcmp(type, "CarrierWrapRejectTest") == 0)
      run_wrap_reject_group(g), kinds |= 8;
    else
      cr_assert_fail("unknown group type %s", type);
  }
  cr_assert_eq(kinds, 15, "all four group types present");
  cr_assert_eq(tests_seen, tu_json_num(root, "numberOfTests"));
}
