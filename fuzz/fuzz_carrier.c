/* Target Functions: sgp_carrier_identify, sgp_carrier_parse_cover, sgp_carrier_unwrap,
 * sgp_carrier_wrap, sgp_carrier_wrap_generated, sgp_carrier_pgm_header / _wav_header,
 * sgp_carrier_capacity / _cover_size_for / _frame_len_for / _ipv4_fragments
 *
 * Input: byte 0 is a mode byte m, the rest is r.  m % 4 selects:
 *   0 EXTRACT   r is a received frame: identify, parse_cover, unwrap with accept mask
 *               (m >> 2) & 7 (0 = all).  Invariants: named codes; identify, parse_cover and
 *               unwrap agree on the kind; a parsed cover's header + samples * stride is the
 *               whole frame and its capacity is floor(S/8) - 2; on error unwrap leaves its
 *               buffer and out-parameter untouched (carrier.h); an extracted D is 1..1200 bytes
 *               (raw: the frame itself, in place, any size); and RE-EMBEDDING D into the very frame
 *               (sgp_carrier_wrap with the frame as cover) gives the frame back byte for byte,
 *               so extraction reads exactly the bits embedding writes (SGP-CARRIER-4, -5).
 *   1 GENERATED kind (m >> 2) % 3, r = D (raw: first byte forced to 1..4): wrap_generated with
 *               an RNG seeded from m, then unwrap; D and the kind must come back, and the frame
 *               must be sgp_carrier_frame_len_for bytes (SGP-CARRIER-1, -8).
 *   2 COVER     r = u16 D length || D || cover bytes: wrap into a fuzz-supplied cover; on
 *               success D comes back from unwrap, the header is unchanged and no cover byte
 *               differs from the frame in more than its LSB (WAV: only the low byte of a
 *               sample) (SGP-CARRIER-4).
 *   3 HEADERS   width/height or rate/samples from r: the canonical header writers, parsed back
 *               (with the samples appended) to the same fields; the size helpers on fuzz values.
 */
#include <string.h>

#include "fuzz_common.h"
#include "sgp/carrier.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t buf[SGP_CARRIER_MAX_PAYLOAD + 16], frame[SGP_CARRIER_MAX_FRAME + 64];
static uint8_t frame2[SGP_CARRIER_MAX_FRAME + 64];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_init();
  return 0;
}

/* unwrap with the output-untouched-on-error check; returns the code. */
static sgp_err unwrap_checked(const uint8_t *f, size_t len, unsigned accept,
                              struct sgp_carrier_payload *pl) {
  memset(buf, 0x5a, sizeof buf);
  memset(pl, 0x5a, sizeof *pl);
  struct sgp_carrier_payload marker;
  memset(&marker, 0x5a, sizeof marker);
  sgp_err e = sgp_carrier_unwrap(f, len, accept, buf, sizeof buf, pl);
  fz_check_named(e, "sgp_carrier_unwrap");
  if (e != SGP_OK) {
    FZ_CHECK(memcmp(pl, &marker, sizeof marker) == 0, "unwrap (%s) wrote its out-parameter",
             sgp_err_name(e));
    for (size_t i = 0; i < sizeof buf; i++)
      FZ_CHECK(buf[i] == 0x5a, "unwrap (%s) wrote its buffer at %zu", sgp_err_name(e), i);
    return e;
  }
  /* Raw frames are passed whole: their size check is the transport's (carrier.h). */
  FZ_CHECK(pl->len >= 1 && (pl->kind == SGP_CARRIER_RAW || pl->len <= SGP_CARRIER_MAX_PAYLOAD),
           "extracted %zu bytes", pl->len);
  if (pl->kind == SGP_CARRIER_RAW)
    FZ_CHECK(pl->data == f && pl->len == len, "raw payload is not the frame in place");
  else
    FZ_CHECK(pl->data == buf, "LSB payload not in the caller's buffer");
  return e;
}

static void extract(unsigned accept, const uint8_t *f, size_t len) {
  enum sgp_carrier_kind kind = (enum sgp_carrier_kind)99;
  sgp_err ei = sgp_carrier_identify(f, len, &kind);
  fz_check_named(ei, "sgp_carrier_identify");
  struct sgp_cover cv;
  sgp_err ep = sgp_carrier_parse_cover(f, len, &cv);
  fz_check_named(ep, "sgp_carrier_parse_cover");
  if (ep == SGP_OK) {
    FZ_CHECK(ei == SGP_OK && kind == cv.kind && kind != SGP_CARRIER_RAW,
             "parse_cover kind %d, identify %s kind %d", (int)cv.kind, sgp_err_name(ei), (int)kind);
    FZ_CHECK(cv.header_len + cv.samples * cv.stride == len && cv.data == f + cv.header_len,
             "cover layout %zu + %zu * %zu != %zu", cv.header_len, cv.samples, cv.stride, len);
    size_t cap = cv.samples / 8 >= 2 ? cv.samples / 8 - 2 : 0;
    FZ_CHECK(sgp_carrier_capacity(cv.samples) == cap, "capacity of %zu samples", cv.samples);
  }
  struct sgp_carrier_payload pl;
  sgp_err eu = unwrap_checked(f, len, accept ? accept : SGP_CARRIER_ACCEPT_ALL, &pl);
  if (eu != SGP_OK) return;
  FZ_CHECK(ei == SGP_OK && pl.kind == kind, "unwrap kind %d, identify kind %d", (int)pl.kind,
           (int)kind);
  if (kind == SGP_CARRIER_RAW) return;
  FZ_CHECK(ep == SGP_OK, "unwrap accepted a frame parse_cover rejects (%s)", sgp_err_name(ep));

  /* Re-embedding what was extracted into the frame itself must change nothing. */
  size_t out_len = 0;
  sgp_err ew = sgp_carrier_wrap(kind, f, len, pl.data, pl.len, frame2, sizeof frame2, &out_len);
  FZ_CHECK(ew == SGP_OK, "re-embedding %zu extracted bytes failed: %s", pl.len, sgp_err_name(ew));
  FZ_CHECK(out_len == len && memcmp(frame2, f, len) == 0,
           "re-embedding the extracted payload changed the frame");
}

static void round_trip(enum sgp_carrier_kind kind, const uint8_t *f, size_t len, const uint8_t *d,
                       size_t d_len, const char *what) {
  struct sgp_carrier_payload pl;
  sgp_err e = unwrap_checked(f, len, SGP_CARRIER_ACCEPT(kind), &pl);
  FZ_CHECK(e == SGP_OK, "%s: unwrap of our own frame failed: %s", what, sgp_err_name(e));
  FZ_CHECK(pl.kind == kind && pl.len == d_len && memcmp(pl.data, d, d_len) == 0,
           "%s: unwrap gave kind %d, %zu bytes for kind %d, %zu bytes", what, (int)pl.kind, pl.len,
           (int)kind, d_len);
}

static void generated(uint8_t m, const uint8_t *r, size_t n) {
  enum sgp_carrier_kind kind = (enum sgp_carrier_kind)((m >> 2) % 3);
  uint8_t d[SGP_CARRIER_MAX_PAYLOAD + 8];
  size_t d_len = n < sizeof d ? n : sizeof d;
  memcpy(d, r, d_len);
  if (kind == SGP_CARRIER_RAW && d_len) d[0] = (uint8_t)(1 + d[0] % 4);
  uint64_t seed = m;
  size_t len = 0;
  sgp_err e =
      sgp_carrier_wrap_generated(kind, d, d_len, fz_rng_fill, &seed, frame, sizeof frame, &len);
  fz_check_named(e, "sgp_carrier_wrap_generated");
  if (d_len == 0 || d_len > SGP_CARRIER_MAX_PAYLOAD) {
    FZ_CHECK(e != SGP_OK, "wrap_generated accepted %zu bytes", d_len);
    return;
  }
  FZ_CHECK(e == SGP_OK, "wrap_generated(kind %d, %zu bytes): %s", (int)kind, d_len,
           sgp_err_name(e));
  FZ_CHECK(len == sgp_carrier_frame_len_for(kind, d_len), "frame of %zu bytes, frame_len_for %zu",
           len, sgp_carrier_frame_len_for(kind, d_len));
  round_trip(kind, frame, len, d, d_len, "generated");
}

static void with_cover(uint8_t m, const uint8_t *r, size_t n) {
  struct fz_in in = {r, n};
  enum sgp_carrier_kind kind = (enum sgp_carrier_kind)((m >> 2) % 3);
  size_t d_len = 0;
  const uint8_t *d = fz_take(&in, fz_u16(&in) % (SGP_CARRIER_MAX_PAYLOAD + 4), &d_len);
  const uint8_t *cover = in.p;
  size_t cover_len = in.n;
  size_t len = 0;
  sgp_err e = sgp_carrier_wrap(kind, cover, cover_len, d, d_len, frame, sizeof frame, &len);
  fz_check_named(e, "sgp_carrier_wrap");
  if (e != SGP_OK) return;
  round_trip(kind, frame, len, d, d_len, "supplied cover");
  if (kind == SGP_CARRIER_RAW) return;
  struct sgp_cover cv;
  FZ_CHECK(sgp_carrier_parse_cover(cover, cover_len, &cv) == SGP_OK && len == cover_len,
           "wrap accepted a cover that does not parse, or changed its size");
  FZ_CHECK(memcmp(frame, cover, cv.header_len) == 0, "wrap changed the cover's header");
  for (size_t i = cv.header_len; i < len; i++) {
    uint8_t x = frame[i] ^ cover[i];
    int low = cv.stride == 1 || (i - cv.header_len) % 2 == 0; /* WAV: low byte (LE) */
    FZ_CHECK(x == 0 || (low && x == 1), "wrap changed cover byte %zu by %02x", i, x);
  }
}

static void headers(const uint8_t *r, size_t n) {
  struct fz_in in = {r, n};
  uint32_t a = fz_u16(&in), b = fz_u16(&in);
  size_t len = 0;
  uint8_t sel = fz_u8(&in);
  sgp_err e;
  struct sgp_cover cv;
  if (sel & 1) {
    a %= 4200, b %= 4200;
    e = sgp_carrier_pgm_header(a, b, frame, sizeof frame, &len);
    fz_check_named(e, "sgp_carrier_pgm_header");
    size_t samples = (size_t)a * b;
    if (e == SGP_OK && len + samples <= sizeof frame) {
      memset(frame + len, 0x80, samples);
      e = sgp_carrier_parse_cover(frame, len + samples, &cv);
      FZ_CHECK(e == SGP_OK && cv.width == a && cv.height == b && cv.header_len == len,
               "PGM %ux%u header does not parse back: %s", a, b, sgp_err_name(e));
    }
  } else {
    uint32_t rate = a * 2u;
    e = sgp_carrier_wav_header(rate, b, frame, sizeof frame, &len);
    fz_check_named(e, "sgp_carrier_wav_header");
    if (e == SGP_OK && len + 2 * (size_t)b <= sizeof frame) {
      memset(frame + len, 0, 2 * (size_t)b);
      e = sgp_carrier_parse_cover(frame, len + 2 * (size_t)b, &cv);
      FZ_CHECK(e == SGP_OK && cv.sample_rate == rate && cv.samples == b,
               "WAV %u Hz / %u samples header does not parse back: %s", rate, b, sgp_err_name(e));
    }
  }
  size_t pay = fz_u16(&in), mtu = fz_u16(&in);
  for (int k = 0; k < 3; k++) {
    (void)sgp_carrier_cover_size_for((enum sgp_carrier_kind)k, pay);
    size_t fl = sgp_carrier_frame_len_for((enum sgp_carrier_kind)k, pay);
    size_t frags = sgp_carrier_ipv4_fragments(fl, mtu);
    FZ_CHECK(mtu < 28 ? frags == 0 : (fl == 0 || frags >= 1), "%zu fragments of %zu at MTU %zu",
             frags, fl, mtu);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) {
    extract(0, data, 0);
    return 0;
  }
  uint8_t m = data[0];
  const uint8_t *r = data + 1;
  size_t n = size - 1;
  switch (m % 4) {
    case 0:
      extract((m >> 2) & 7u, r, n);
      break;
    case 1:
      generated(m, r, n);
      break;
    case 2:
      with_cover(m, r, n);
      break;
    default:
      headers(r, n);
      break;
  }
  return 0;
}
