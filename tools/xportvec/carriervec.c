/* Carrier vectors (spec §9) -> carrier.json.
 *
 * Schema "sgp_carrier_vectors_v1" (Wycheproof style): testGroups of type
 *   CarrierWrapTest        a sealed datagram D wrapped into a frame (raw, or
 *                          embedded into a listed cover) and unwrapped again
 *   CarrierUnwrapTest      frames a receiver accepts that no v1 sender makes
 *                          (the transport, not the carrier, drops them)
 *   CarrierRejectTest      frames a receiver drops, with the error
 *   CarrierWrapRejectTest  payloads a sender cannot wrap, with the error
 * LSB covers are the smallest that carry their payload (8 (|D| + 2)
 * samples) unless a case says otherwise; they come from the library's cover
 * generator with a 16-byte seed drawn from the seeded stream, and are listed
 * in full, so no implementation needs that generator.  Every case is run on
 * the library here and must give exactly the listed result.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/carrier.h"
#include "vecjson.h"

#define FRAME_MAX (SGP_CARRIER_MAX_FRAME + 16)
#define ALL SGP_CARRIER_ACCEPT_ALL
#define A_RAW SGP_CARRIER_ACCEPT(SGP_CARRIER_RAW)
#define A_PGM SGP_CARRIER_ACCEPT(SGP_CARRIER_LSB_PGM)
#define A_WAV SGP_CARRIER_ACCEPT(SGP_CARRIER_LSB_WAV)

static const char *const KIND_NAME[] = {"raw", "lsb-pgm", "lsb-wav"};

static json_t *accept_json(unsigned accept) {
  json_t *a = json_array();
  for (unsigned k = 0; k < 3; k++)
    if (accept & SGP_CARRIER_ACCEPT(k)) append(a, json_string(KIND_NAME[k]));
  return a;
}

/* ---- covers ---------------------------------------------------------------- */

static void seed_rng(void *ctx, uint8_t *out, size_t len) {
  if (len != 16) die("cover generator drew an unexpected length");
  memcpy(out, ctx, len);
}

/* A generated cover from a fresh 16-byte seed: PGM w x h, or WAV with
 * `samples` samples at rate w (h = 0). */
struct cover {
  enum sgp_carrier_kind kind;
  uint8_t seed[16];
  uint32_t w, h;
  uint8_t b[FRAME_MAX];
  size_t len;
};

static void gen_cover(struct cover *c, enum sgp_carrier_kind kind, uint32_t a, uint32_t b) {
  c->kind = kind;
  c->w = a;
  c->h = b;
  draw(c->seed, sizeof c->seed);
  sgp_err rc = kind == SGP_CARRIER_LSB_PGM
                   ? sgp_carrier_generate_pgm(a, b, seed_rng, c->seed, c->b, sizeof c->b, &c->len)
                   : sgp_carrier_generate_wav(a, b, seed_rng, c->seed, c->b, sizeof c->b, &c->len);
  if (rc != SGP_OK) die("generate cover");
}

static size_t header_len(const uint8_t *frame, size_t len) {
  struct sgp_cover cv;
  if (sgp_carrier_parse_cover(frame, len, &cv) != SGP_OK) die("parse cover");
  return cv.header_len;
}

/* Sets the embedded length field (the LSBs of samples 0..15) to L. */
static void set_len(uint8_t *frame, size_t hl, size_t stride, uint32_t L) {
  for (size_t t = 0; t < 16; t++) {
    uint8_t *s = frame + hl + t * stride;
    *s = (uint8_t)((*s & 0xfeu) | ((L >> (15 - t)) & 1u));
  }
}

/* ---- CarrierWrapTest --------------------------------------------------------- */

static void payload(uint8_t *d, size_t len, uint8_t type) {
  draw(d, len);
  d[0] = type;
}

static void add_wrap(json_t *tests, const char *comment, const char *const *reqs,
                     const struct cover *c, enum sgp_carrier_kind kind, const uint8_t *d,
                     size_t len) {
  static uint8_t frame[FRAME_MAX], buf[SGP_CARRIER_MAX_PAYLOAD];
  size_t flen;
  if (sgp_carrier_wrap(kind, c ? c->b : NULL, c ? c->len : 0, d, len, frame, sizeof frame, &flen) !=
      SGP_OK)
    die("wrap");
  struct sgp_carrier_payload p;
  if (sgp_carrier_unwrap(frame, flen, ALL, buf, sizeof buf, &p) != SGP_OK || p.kind != kind ||
      p.len != len || memcmp(p.data, d, len) != 0)
    die("unwrap");
  json_t *t = new_test(comment, "valid", reqs);
  put(t, "carrier", json_string(KIND_NAME[kind]));
  put_hex(t, "cover_seed", c ? c->seed : NULL, c ? 16 : 0);
  if (kind == SGP_CARRIER_LSB_PGM) {
    put(t, "width", json_integer(c->w));
    put(t, "height", json_integer(c->h));
  } else if (kind == SGP_CARRIER_LSB_WAV) {
    put(t, "sample_rate", json_integer(c->w));
    put(t, "samples", json_integer(c->h));
  }
  put_hex(t, "cover", c ? c->b : NULL, c ? c->len : 0);
  put_hex(t, "payload", d, len);
  put_hex(t, "frame", frame, flen);
  append(tests, t);
}

static json_t *new_group(const char *type) {
  json_t *g = json_object();
  put(g, "type", json_string(type));
  put(g, "tests", json_array());
  return g;
}

static json_t *group_wrap(void) {
  json_t *g = new_group("CarrierWrapTest");
  json_t *tests = json_object_get(g, "tests");
  static uint8_t d[SGP_CARRIER_MAX_PAYLOAD];
  static struct cover c;

  static const char *const rraw[] = {"SGP-CARRIER-1", "SGP-CARRIER-3", NULL};
  payload(d, 42, 0x04);
  add_wrap(tests, "raw: 42-byte data message (a keepalive's size)", rraw, NULL, SGP_CARRIER_RAW, d,
           42);
  payload(d, 1, 0x01);
  add_wrap(tests, "raw: 1 byte, type 0x01 (the carrier checks only the first byte)", rraw, NULL,
           SGP_CARRIER_RAW, d, 1);
  payload(d, 64, 0x03);
  add_wrap(tests, "raw: 64-byte cookie reply", rraw, NULL, SGP_CARRIER_RAW, d, 64);
  payload(d, SGP_CARRIER_MAX_PAYLOAD, 0x04);
  add_wrap(tests, "raw: 1200-byte data message", rraw, NULL, SGP_CARRIER_RAW, d,
           SGP_CARRIER_MAX_PAYLOAD);

  static const char *const rpgm[] = {"SGP-CARRIER-3", "SGP-CARRIER-4", "SGP-CARRIER-5",
                                     "SGP-CARRIER-10", NULL};
  struct {
    const char *comment;
    enum sgp_carrier_kind kind;
    uint32_t a, b; /* PGM: width, height; WAV: rate, samples */
    size_t len;
  } cases[] = {
      {"lsb-pgm: 1 byte in 6 x 4 (24 samples, capacity 1)", SGP_CARRIER_LSB_PGM, 6, 4, 1},
      {"lsb-pgm: 42 bytes in 22 x 16 (352 samples)", SGP_CARRIER_LSB_PGM, 22, 16, 42},
      {"lsb-pgm: 1200 bytes in 601 x 16 (9616 samples)", SGP_CARRIER_LSB_PGM, 601, 16, 1200},
      {"lsb-pgm: 1 byte in 8 x 8: samples after E keep their value", SGP_CARRIER_LSB_PGM, 8, 8, 1},
      {"lsb-pgm: 42 bytes in the widest cover, 4096 x 1", SGP_CARRIER_LSB_PGM, 4096, 1, 42},
      {"lsb-wav: 1 byte in 24 samples at 8000 Hz", SGP_CARRIER_LSB_WAV, 8000, 24, 1},
      {"lsb-wav: 42 bytes in 352 samples at 44100 Hz", SGP_CARRIER_LSB_WAV, 44100, 352, 42},
      {"lsb-wav: 1200 bytes in 9616 samples at 48000 Hz", SGP_CARRIER_LSB_WAV, 48000, 9616, 1200},
      {"lsb-wav: 1 byte in 40 samples: samples after E keep their value", SGP_CARRIER_LSB_WAV, 8000,
       40, 1},
  };
  static const char *const rwav[] = {"SGP-CARRIER-3", "SGP-CARRIER-4", "SGP-CARRIER-5",
                                     "SGP-CARRIER-11", NULL};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gen_cover(&c, cases[i].kind, cases[i].a, cases[i].b);
    payload(d, cases[i].len, 0x04);
    add_wrap(tests, cases[i].comment, cases[i].kind == SGP_CARRIER_LSB_PGM ? rpgm : rwav, &c,
             cases[i].kind, d, cases[i].len);
  }
  return g;
}

/* ---- CarrierUnwrapTest -------------------------------------------------------- */

static json_t *group_unwrap(void) {
  json_t *g = new_group("CarrierUnwrapTest");
  json_t *tests = json_object_get(g, "tests");
  static uint8_t frame[FRAME_MAX], buf[SGP_CARRIER_MAX_PAYLOAD], d[SGP_CARRIER_MAX_PAYLOAD + 1];
  static struct cover c;
  struct {
    const char *comment;
    enum sgp_carrier_kind kind;
    size_t len;
    uint8_t type;
  } cases[] = {
      {"raw frame of 1201 bytes: the carrier passes it; the transport drops it (drop_size)",
       SGP_CARRIER_RAW, SGP_CARRIER_MAX_PAYLOAD + 1, 0x04},
      {"lsb-pgm frame carrying D of type 0x00: extracted; the transport drops it (drop_type)",
       SGP_CARRIER_LSB_PGM, 42, 0x00},
      {"lsb-wav frame carrying D of type 0x50: extracted; the transport drops it (drop_type)",
       SGP_CARRIER_LSB_WAV, 42, 0x50},
  };
  static const char *const reqs[] = {"SGP-CARRIER-3", "SGP-CARRIER-13", NULL};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t flen;
    payload(d, cases[i].len, cases[i].type);
    if (cases[i].kind == SGP_CARRIER_RAW) {
      memcpy(frame, d, cases[i].len);
      flen = cases[i].len;
    } else {
      size_t s = SGP_CARRIER_SAMPLES_FOR(cases[i].len);
      if (cases[i].kind == SGP_CARRIER_LSB_PGM)
        gen_cover(&c, cases[i].kind, (uint32_t)s / 16u, 16);
      else
        gen_cover(&c, cases[i].kind, 8000, (uint32_t)s);
      /* sgp_carrier_wrap checks the first byte of D only for raw */
      if (sgp_carrier_wrap(c.kind, c.b, c.len, d, cases[i].len, frame, sizeof frame, &flen) !=
          SGP_OK)
        die("wrap");
    }
    struct sgp_carrier_payload p;
    if (sgp_carrier_unwrap(frame, flen, ALL, buf, sizeof buf, &p) != SGP_OK ||
        p.kind != cases[i].kind || p.len != cases[i].len || memcmp(p.data, d, p.len) != 0)
      die("unwrap");
    json_t *t = new_test(cases[i].comment, "valid", reqs);
    put(t, "carrier", json_string(KIND_NAME[cases[i].kind]));
    put(t, "accept", accept_json(ALL));
    put_hex(t, "frame", frame, flen);
    put_hex(t, "payload", d, cases[i].len);
    append(tests, t);
  }
  return g;
}

/* ---- CarrierRejectTest --------------------------------------------------------- */

static void add_reject(json_t *tests, const char *comment, const char *const *reqs,
                       const uint8_t *frame, size_t len, unsigned accept, sgp_err want) {
  static uint8_t buf[SGP_CARRIER_MAX_PAYLOAD];
  struct sgp_carrier_payload p;
  sgp_err got = sgp_carrier_unwrap(frame, len, accept, buf, sizeof buf, &p);
  if (got != want) {
    fprintf(stderr, "xportvec: %s: got %s want %s\n", comment, sgp_err_name(got),
            sgp_err_name(want));
    die("carrier reject vector does not reproduce");
  }
  json_t *t = new_test(comment, "invalid", reqs);
  put(t, "accept", accept_json(accept));
  put_hex(t, "frame", frame, len);
  put(t, "error", json_string(sgp_err_name(want)));
  put(t, "counter", json_string("drop_carrier"));
  append(tests, t);
}

/* frame = text header || n bytes of raster (from r) */
static size_t pgm(uint8_t *out, const char *hdr, const uint8_t *r, size_t n) {
  size_t hl = strlen(hdr);
  memcpy(out, hdr, hl);
  memcpy(out + hl, r, n);
  return hl + n;
}

static void le(uint8_t *p, uint32_t v, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static json_t *group_reject(void) {
  json_t *g = new_group("CarrierRejectTest");
  json_t *tests = json_object_get(g, "tests");
  static uint8_t f[FRAME_MAX], d[SGP_CARRIER_MAX_PAYLOAD];
  static struct cover pc, wc, big;
  size_t n;

  /* A valid 8 x 4 PGM frame and a valid 32-sample WAV frame, each with one byte. */
  static uint8_t P[64], W[128];
  size_t pl, wl;
  gen_cover(&pc, SGP_CARRIER_LSB_PGM, 8, 4);
  gen_cover(&wc, SGP_CARRIER_LSB_WAV, 8000, 32);
  payload(d, 1, 0x04);
  if (sgp_carrier_wrap(SGP_CARRIER_LSB_PGM, pc.b, pc.len, d, 1, P, sizeof P, &pl) != SGP_OK ||
      sgp_carrier_wrap(SGP_CARRIER_LSB_WAV, wc.b, wc.len, d, 1, W, sizeof W, &wl) != SGP_OK)
    die("wrap");
  const uint8_t *raster = P + header_len(P, pl);
  uint8_t raw[42];
  payload(raw, sizeof raw, 0x04);

  /* identification (SGP-CARRIER-3, SGP-CARRIER-13 step 1) */
  static const char *const r3[] = {"SGP-CARRIER-3", "SGP-CARRIER-13", NULL};
  add_reject(tests, "empty frame", r3, f, 0, ALL, SGP_ERR_CARRIER_UNKNOWN);
  memcpy(f, raw, sizeof raw);
  f[0] = 0x00;
  add_reject(tests, "first byte 0x00", r3, f, sizeof raw, ALL, SGP_ERR_CARRIER_UNKNOWN);
  f[0] = 0x05;
  add_reject(tests, "first byte 0x05", r3, f, sizeof raw, ALL, SGP_ERR_CARRIER_UNKNOWN);
  memcpy(f, P, pl);
  f[1] = '6';
  add_reject(tests, "\"P6\" (binary PPM), otherwise the valid PGM frame", r3, f, pl, ALL,
             SGP_ERR_CARRIER_UNKNOWN);
  add_reject(tests, "\"P\" alone", r3, P, 1, ALL, SGP_ERR_CARRIER_UNKNOWN);
  memcpy(f, W, wl);
  f[3] = 'X';
  add_reject(tests, "\"RIFX\" (big-endian RIFF), otherwise the valid WAV frame", r3, f, wl, ALL,
             SGP_ERR_CARRIER_UNKNOWN);
  add_reject(tests, "RIF (3 bytes)", r3, W, 3, ALL, SGP_ERR_CARRIER_UNKNOWN);
  add_reject(tests, "valid lsb-pgm frame, receiver accepts raw only", r3, P, pl, A_RAW,
             SGP_ERR_CARRIER_UNKNOWN);
  add_reject(tests, "valid lsb-wav frame, receiver accepts raw and lsb-pgm", r3, W, wl,
             A_RAW | A_PGM, SGP_ERR_CARRIER_UNKNOWN);
  add_reject(tests, "raw frame, receiver accepts the LSB carriers only", r3, raw, sizeof raw,
             A_PGM | A_WAV, SGP_ERR_CARRIER_UNKNOWN);

  /* frame size (SGP-CARRIER-12) */
  static const char *const r12[] = {"SGP-CARRIER-12", "SGP-CARRIER-13", NULL};
  /* The largest WAV frame a builder makes has 32731 samples (65506 bytes);
   * one more sample, with riff size and data_len to match, is one too many. */
  size_t samples = (SGP_CARRIER_MAX_FRAME - SGP_CARRIER_WAV_HEADER) / 2;
  gen_cover(&big, SGP_CARRIER_LSB_WAV, 8000, (uint32_t)samples);
  draw(big.b + big.len, 2);
  big.len += 2;
  if (big.len != SGP_CARRIER_MAX_FRAME + 1) die("big cover");
  le(big.b + 4, (uint32_t)(big.len - 8), 4);
  le(big.b + 40, (uint32_t)(big.len - SGP_CARRIER_WAV_HEADER), 4);
  set_len(big.b, SGP_CARRIER_WAV_HEADER, 2, 1); /* one embedded byte, as a sender would */
  add_reject(tests, "lsb-wav frame of 65508 bytes (32732 samples), otherwise valid", r12, big.b,
             big.len, ALL, SGP_ERR_TOO_LARGE);

  /* PGM header (SGP-CARRIER-10, SGP-CARRIER-13 step 3) */
  static const char *const r10[] = {"SGP-CARRIER-10", "SGP-CARRIER-13", NULL};
  struct {
    const char *comment, *hdr;
    size_t raster; /* raster bytes appended */
    sgp_err want;
  } ph[] = {
      {"\"P5\": ends before the newline", "P5", 0, SGP_ERR_TRUNCATED},
      {"ends inside the width", "P5\n8", 0, SGP_ERR_TRUNCATED},
      {"ends inside the maxval", "P5\n8 4\n25", 0, SGP_ERR_TRUNCATED},
      {"space instead of newline after P5", "P5 8 4\n255\n", 32, SGP_ERR_CARRIER_HEADER},
      {"comment line", "P5\n# sgp\n8 4\n255\n", 32, SGP_ERR_CARRIER_HEADER},
      {"tab between width and height", "P5\n8\t4\n255\n", 32, SGP_ERR_CARRIER_HEADER},
      {"two spaces between width and height", "P5\n8  4\n255\n", 32, SGP_ERR_CARRIER_HEADER},
      {"CRLF after the height", "P5\n8 4\r\n255\n", 32, SGP_ERR_CARRIER_HEADER},
      {"width 0", "P5\n0 4\n255\n", 0, SGP_ERR_CARRIER_HEADER},
      {"width with a leading zero (08)", "P5\n08 4\n255\n", 32, SGP_ERR_CARRIER_HEADER},
      {"height with a leading zero (04)", "P5\n8 04\n255\n", 32, SGP_ERR_CARRIER_HEADER},
      {"width 4097 (dimension check precedes the raster)", "P5\n4097 1\n255\n", 32,
       SGP_ERR_CARRIER_DIM},
      {"height 10000: a 5th digit", "P5\n1 10000\n255\n", 32, SGP_ERR_CARRIER_DIM},
      {"maxval 254", "P5\n8 4\n254\n", 32, SGP_ERR_CARRIER_MAXVAL},
      {"maxval 256", "P5\n8 4\n256\n", 32, SGP_ERR_CARRIER_MAXVAL},
      {"maxval 65535: a 4th digit", "P5\n8 4\n65535\n", 32, SGP_ERR_CARRIER_MAXVAL},
      {"maxval with a leading zero (0255)", "P5\n8 4\n0255\n", 32, SGP_ERR_CARRIER_HEADER},
      {"maxval ended by a space", "P5\n8 4\n255 ", 32, SGP_ERR_CARRIER_HEADER},
      {"raster one byte short (31 of 32)", "P5\n8 4\n255\n", 31, SGP_ERR_TRUNCATED},
      {"one trailing byte after the raster (33 of 32)", "P5\n8 4\n255\n", 33, SGP_ERR_TRAILING},
  };
  static uint8_t raster33[33];
  memcpy(raster33, raster, 32);
  raster33[32] = raster[31];
  for (size_t i = 0; i < sizeof ph / sizeof ph[0]; i++) {
    n = pgm(f, ph[i].hdr, raster33, ph[i].raster);
    add_reject(tests, ph[i].comment, r10, f, n, ALL, ph[i].want);
  }

  /* WAV header (SGP-CARRIER-11, SGP-CARRIER-13 step 3) */
  static const char *const r11[] = {"SGP-CARRIER-11", "SGP-CARRIER-13", NULL};
  struct {
    const char *comment;
    size_t off, width;
    uint32_t value;
    sgp_err want;
  } wh[] = {
      {"format tag WAVX", 8, 4, 0x58564157u /* "WAVX" */, SGP_ERR_CARRIER_HEADER},
      {"fmt chunk id \"fmt_\"", 12, 4, 0x5f746d66u, SGP_ERR_CARRIER_HEADER},
      {"fmt chunk size 18", 16, 4, 18, SGP_ERR_CARRIER_HEADER},
      {"format 3 (IEEE float)", 20, 2, 3, SGP_ERR_CARRIER_HEADER},
      {"2 channels", 22, 2, 2, SGP_ERR_CARRIER_HEADER},
      {"byte rate 8000 (not rate x 2)", 28, 4, 8000, SGP_ERR_CARRIER_HEADER},
      {"block align 4", 32, 2, 4, SGP_ERR_CARRIER_HEADER},
      {"8 bits per sample", 34, 2, 8, SGP_ERR_CARRIER_HEADER},
      {"data chunk id \"DATA\"", 36, 4, 0x41544144u, SGP_ERR_CARRIER_HEADER},
      {"riff size 36 + data_len + 2", 4, 4, 36 + 64 + 2, SGP_ERR_CARRIER_HEADER},
  };
  for (size_t i = 0; i < sizeof wh / sizeof wh[0]; i++) {
    memcpy(f, W, wl);
    le(f + wh[i].off, wh[i].value, wh[i].width);
    add_reject(tests, wh[i].comment, r11, f, wl, ALL, wh[i].want);
  }
  struct {
    const char *comment;
    uint32_t rate;
  } wr[] = {{"sample rate 7999", 7999}, {"sample rate 48001", 48001}};
  for (size_t i = 0; i < 2; i++) {
    memcpy(f, W, wl);
    le(f + 24, wr[i].rate, 4);
    le(f + 28, 2 * wr[i].rate, 4);
    add_reject(tests, wr[i].comment, r11, f, wl, ALL, SGP_ERR_CARRIER_DIM);
  }
  add_reject(tests, "43 bytes: ends inside data_len", r11, W, 43, ALL, SGP_ERR_TRUNCATED);
  add_reject(tests, "data one byte short of data_len", r11, W, wl - 1, ALL, SGP_ERR_TRUNCATED);
  memcpy(f, W, wl);
  f[wl] = 0;
  f[wl + 1] = 0;
  add_reject(tests, "one trailing sample after data_len", r11, f, wl + 2, ALL, SGP_ERR_TRAILING);
  memcpy(f, W, wl);
  le(f + 4, 36 + 63, 4);
  le(f + 40, 63, 4);
  add_reject(tests, "odd data_len 63 (riff size and frame length agree with it)", r11, f, wl - 1,
             ALL, SGP_ERR_CARRIER_HEADER);

  /* embedded length (SGP-CARRIER-5, SGP-CARRIER-13 step 5) */
  static const char *const r5[] = {"SGP-CARRIER-5", "SGP-CARRIER-13", NULL};
  n = pgm(f, "P5\n5 3\n255\n", raster, 15);
  add_reject(tests, "lsb-pgm with 15 samples: no room for the length", r5, f, n, ALL,
             SGP_ERR_CARRIER_CAPACITY);
  static struct cover w15;
  gen_cover(&w15, SGP_CARRIER_LSB_WAV, 8000, 15);
  add_reject(tests, "lsb-wav with 15 samples: no room for the length", r5, w15.b, w15.len, ALL,
             SGP_ERR_CARRIER_CAPACITY);
  struct {
    const char *comment;
    int wav;
    uint32_t len; /* embedded length */
    size_t samples;
    sgp_err want;
  } el[] = {
      {"lsb-pgm: embedded length 0 (16 samples)", 0, 0, 16, SGP_ERR_CARRIER_EMPTY},
      {"lsb-pgm: embedded length 0 (32 samples)", 0, 0, 32, SGP_ERR_CARRIER_EMPTY},
      {"lsb-wav: embedded length 0", 1, 0, 32, SGP_ERR_CARRIER_EMPTY},
      {"lsb-pgm: embedded length 1201", 0, 1201, 32, SGP_ERR_TOO_LARGE},
      {"lsb-pgm: embedded length 65535", 0, 65535, 32, SGP_ERR_TOO_LARGE},
      {"lsb-wav: embedded length 1201", 1, 1201, 32, SGP_ERR_TOO_LARGE},
      {"lsb-pgm: length 1 over capacity 0 (16 samples)", 0, 1, 16, SGP_ERR_CARRIER_CAPACITY},
      {"lsb-pgm: length 3 over capacity 2 (32 samples)", 0, 3, 32, SGP_ERR_CARRIER_CAPACITY},
      {"lsb-wav: length 3 over capacity 2 (32 samples)", 1, 3, 32, SGP_ERR_CARRIER_CAPACITY},
  };
  for (size_t i = 0; i < sizeof el / sizeof el[0]; i++) {
    if (el[i].wav) {
      memcpy(f, W, wl);
      n = wl;
      set_len(f, SGP_CARRIER_WAV_HEADER, 2, el[i].len);
    } else {
      n = pgm(f, el[i].samples == 16 ? "P5\n8 2\n255\n" : "P5\n8 4\n255\n", raster, el[i].samples);
      set_len(f, header_len(f, n), 1, el[i].len);
    }
    add_reject(tests, el[i].comment, r5, f, n, ALL, el[i].want);
  }
  return g;
}

/* ---- CarrierWrapRejectTest ------------------------------------------------------ */

static json_t *group_wrap_reject(void) {
  json_t *g = new_group("CarrierWrapRejectTest");
  json_t *tests = json_object_get(g, "tests");
  static uint8_t d[SGP_CARRIER_MAX_PAYLOAD + 1], out[FRAME_MAX];
  static struct cover pc, wc;
  gen_cover(&pc, SGP_CARRIER_LSB_PGM, 6, 4);
  gen_cover(&wc, SGP_CARRIER_LSB_WAV, 8000, 24);
  payload(d, sizeof d, 0x04);
  /* A sender never makes a frame that SGP-CARRIER-5 makes its receiver drop. */
  static const char *const reqs[] = {"SGP-CARRIER-4", "SGP-CARRIER-5", NULL};
  struct {
    const char *comment;
    enum sgp_carrier_kind kind;
    const struct cover *c;
    size_t len;
    sgp_err want;
  } cases[] = {
      {"raw: empty datagram", SGP_CARRIER_RAW, NULL, 0, SGP_ERR_CARRIER_EMPTY},
      {"raw: 1201 bytes", SGP_CARRIER_RAW, NULL, SGP_CARRIER_MAX_PAYLOAD + 1, SGP_ERR_TOO_LARGE},
      {"lsb-pgm: empty datagram", SGP_CARRIER_LSB_PGM, &pc, 0, SGP_ERR_CARRIER_EMPTY},
      {"lsb-pgm: 1201 bytes", SGP_CARRIER_LSB_PGM, &pc, SGP_CARRIER_MAX_PAYLOAD + 1,
       SGP_ERR_TOO_LARGE},
      {"lsb-pgm: 2 bytes into 24 samples (capacity 1)", SGP_CARRIER_LSB_PGM, &pc, 2,
       SGP_ERR_CARRIER_CAPACITY},
      {"lsb-wav: empty datagram", SGP_CARRIER_LSB_WAV, &wc, 0, SGP_ERR_CARRIER_EMPTY},
      {"lsb-wav: 2 bytes into 24 samples (capacity 1)", SGP_CARRIER_LSB_WAV, &wc, 2,
       SGP_ERR_CARRIER_CAPACITY},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct cover *c = cases[i].c;
    size_t n;
    sgp_err got = sgp_carrier_wrap(cases[i].kind, c ? c->b : NULL, c ? c->len : 0, d, cases[i].len,
                                   out, sizeof out, &n);
    if (got != cases[i].want) die("wrap reject vector does not reproduce");
    json_t *t = new_test(cases[i].comment, "invalid", reqs);
    put(t, "carrier", json_string(KIND_NAME[cases[i].kind]));
    put_hex(t, "cover", c ? c->b : NULL, c ? c->len : 0);
    put_hex(t, "payload", d, cases[i].len);
    put(t, "error", json_string(sgp_err_name(cases[i].want)));
    append(tests, t);
  }
  return g;
}

void gen_carrier(const char *path) {
  vec_begin("SGP carrier vectors, seed v1.....");
  json_t *groups = json_array();
  append(groups, group_wrap());
  append(groups, group_unwrap());
  append(groups, group_reject());
  append(groups, group_wrap_reject());

  static const char *const header[] = {
      "Carrier vectors for SGP v1 (spec section 9), generated by tools/xportvec from a fixed RNG",
      "seed. Hex strings. Wrap cases embed the payload into the listed cover; reject cases name",
      "the sgp_err (spec 4.6) of the first failing check in the order of SGP-CARRIER-13. The",
      "LSB carriers give concealment only (SGP-CARRIER-9).", NULL};
  json_t *root = vec_root("SGP carriers v1", "sgp_carrier_vectors_v1", header);
  json_t *notes = json_object();
  put(notes, "payload", json_string("the sealed datagram D carried by the frame"));
  put(notes, "cover",
      json_string("the whole cover file (header and samples) before embedding; empty for raw"));
  put(notes, "cover_seed",
      json_string("the 16 bytes this library's cover generator drew for the cover (width x "
                  "height PGM or sample_rate/samples WAV); the generator is not part of the "
                  "spec, so other implementations use 'cover'"));
  put(notes, "accept", json_string("the carriers the receiver accepts (SGP-CARRIER-3)"));
  put(notes, "counter", json_string("the drop counter of spec 7.12"));
  put(root, "notes", notes);
  put(root, "testGroups", groups);
  vec_write(root, path);
  json_decref(root);
}
