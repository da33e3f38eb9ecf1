/* Carriers (spec §9); see sgp/carrier.h for the contract and check order.
 * Concealment only: nothing here adds confidentiality or integrity. */
#include "sgp/carrier.h"

#include <string.h>

#include "sgp/cursor.h"

/* DESIGN D6: at least 8 cover samples (bytes, for PGM) per payload byte, and
 * a full datagram must fit in one frame of either LSB carrier. */
_Static_assert(SGP_CARRIER_SAMPLES_PER_BYTE >= 8, "LSB needs 8 cover samples per payload byte");
_Static_assert(SGP_CARRIER_WAV_HEADER + 2 * SGP_CARRIER_SAMPLES_FOR(SGP_CARRIER_MAX_PAYLOAD) <=
                   SGP_CARRIER_MAX_FRAME,
               "a full datagram must fit a WAV frame");
_Static_assert(SGP_CARRIER_PGM_MAX_HEADER + SGP_CARRIER_SAMPLES_FOR(SGP_CARRIER_MAX_PAYLOAD) +
                       SGP_CARRIER_PGM_GEN_WIDTH <=
                   SGP_CARRIER_MAX_FRAME,
               "a full datagram must fit a generated PGM frame");

/* ---- identification ------------------------------------------------------ */

sgp_err sgp_carrier_identify(const uint8_t *frame, size_t len, enum sgp_carrier_kind *kind) {
  SGP_ENSURE(kind && (frame || len == 0), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(len > 0, SGP_ERR_CARRIER_UNKNOWN);
  if (frame[0] >= 0x01 && frame[0] <= 0x04) {
    *kind = SGP_CARRIER_RAW;
  } else if (len >= 2 && memcmp(frame, "P5", 2) == 0) {
    *kind = SGP_CARRIER_LSB_PGM;
  } else if (len >= 4 && memcmp(frame, "RIFF", 4) == 0) {
    *kind = SGP_CARRIER_LSB_WAV;
  } else {
    return SGP_ERR_CARRIER_UNKNOWN;
  }
  return SGP_OK;
}

/* ---- parsing -------------------------------------------------------------- */

static sgp_err expect(struct sgp_cursor *c, const char *lit, size_t n) {
  const uint8_t *p;
  SGP_GUARD(sgp_cursor_take(c, &p, n));
  SGP_ENSURE(memcmp(p, lit, n) == 0, SGP_ERR_CARRIER_HEADER);
  return SGP_OK;
}

static int is_digit(uint8_t b) {
  return b >= '0' && b <= '9';
}

/* Decimal without leading zero, at most max_digits digits (one more digit
 * fails with too_long), terminated by the single byte term. */
static sgp_err read_dec(struct sgp_cursor *c, unsigned max_digits, uint8_t term, sgp_err too_long,
                        uint32_t *v) {
  uint8_t b;
  SGP_GUARD(sgp_cursor_read_u8(c, &b));
  SGP_ENSURE(b >= '1' && b <= '9', SGP_ERR_CARRIER_HEADER);
  uint32_t x = (uint32_t)(b - '0');
  for (unsigned n = 1;; n++) {
    SGP_GUARD(sgp_cursor_read_u8(c, &b));
    if (b == term) break;
    SGP_ENSURE(is_digit(b), SGP_ERR_CARRIER_HEADER);
    SGP_ENSURE(n < max_digits, too_long);
    x = x * 10u + (uint32_t)(b - '0');
  }
  *v = x;
  return SGP_OK;
}

static sgp_err read_le(struct sgp_cursor *c, size_t n, uint32_t *v) {
  const uint8_t *p;
  SGP_GUARD(sgp_cursor_take(c, &p, n));
  uint32_t x = 0;
  for (size_t i = n; i-- > 0;) x = (x << 8) | p[i];
  *v = x;
  return SGP_OK;
}

static sgp_err expect_le(struct sgp_cursor *c, size_t n, uint32_t want) {
  uint32_t v;
  SGP_GUARD(read_le(c, n, &v));
  SGP_ENSURE(v == want, SGP_ERR_CARRIER_HEADER);
  return SGP_OK;
}

/* The samples: exactly n bytes must be left. */
static sgp_err take_samples(struct sgp_cursor *c, size_t n, const uint8_t **p) {
  size_t left = sgp_cursor_left(c);
  SGP_ENSURE(left >= n, SGP_ERR_TRUNCATED);
  SGP_ENSURE(left == n, SGP_ERR_TRAILING);
  return sgp_cursor_take(c, p, n);
}

/* pgm-frame = "P5" LF dim SP dim LF "255" LF raster (SGP-CARRIER-10). */
static sgp_err parse_pgm(struct sgp_cursor *c, struct sgp_cover *cv) {
  uint32_t w, h, maxval;
  SGP_GUARD(expect(c, "P5\n", 3));
  SGP_GUARD(read_dec(c, 4, ' ', SGP_ERR_CARRIER_DIM, &w));
  SGP_ENSURE(w <= SGP_CARRIER_PGM_MAX_DIM, SGP_ERR_CARRIER_DIM);
  SGP_GUARD(read_dec(c, 4, '\n', SGP_ERR_CARRIER_DIM, &h));
  SGP_ENSURE(h <= SGP_CARRIER_PGM_MAX_DIM, SGP_ERR_CARRIER_DIM);
  SGP_GUARD(read_dec(c, 3, '\n', SGP_ERR_CARRIER_MAXVAL, &maxval));
  SGP_ENSURE(maxval == SGP_CARRIER_PGM_MAXVAL, SGP_ERR_CARRIER_MAXVAL);
  size_t header_len = c->pos, n = (size_t)w * h;
  const uint8_t *p;
  SGP_GUARD(take_samples(c, n, &p));
  *cv = (struct sgp_cover){.kind = SGP_CARRIER_LSB_PGM,
                           .width = w,
                           .height = h,
                           .header_len = header_len,
                           .stride = 1,
                           .samples = n,
                           .data = p};
  return SGP_OK;
}

/* The 44-byte canonical header of §9.3, in file order (SGP-CARRIER-11). */
static sgp_err parse_wav(struct sgp_cursor *c, struct sgp_cover *cv) {
  uint32_t riff_size, rate, data_len;
  SGP_GUARD(expect(c, "RIFF", 4));
  SGP_GUARD(read_le(c, 4, &riff_size));
  SGP_GUARD(expect(c, "WAVEfmt ", 8));
  SGP_GUARD(expect_le(c, 4, 16)); /* fmt chunk size */
  SGP_GUARD(expect_le(c, 2, 1));  /* PCM */
  SGP_GUARD(expect_le(c, 2, 1));  /* mono */
  SGP_GUARD(read_le(c, 4, &rate));
  SGP_ENSURE(rate >= SGP_CARRIER_WAV_MIN_RATE && rate <= SGP_CARRIER_WAV_MAX_RATE,
             SGP_ERR_CARRIER_DIM);
  SGP_GUARD(expect_le(c, 4, rate * 2u)); /* byte rate */
  SGP_GUARD(expect_le(c, 2, 2));         /* block align */
  SGP_GUARD(expect_le(c, 2, 16));        /* bits per sample */
  SGP_GUARD(expect(c, "data", 4));
  SGP_GUARD(read_le(c, 4, &data_len));
  SGP_ENSURE((uint64_t)riff_size == (uint64_t)data_len + 36u, SGP_ERR_CARRIER_HEADER);
  SGP_ENSURE(data_len % 2u == 0, SGP_ERR_CARRIER_HEADER);
  const uint8_t *p;
  SGP_GUARD(take_samples(c, data_len, &p));
  *cv = (struct sgp_cover){.kind = SGP_CARRIER_LSB_WAV,
                           .sample_rate = rate,
                           .header_len = SGP_CARRIER_WAV_HEADER,
                           .stride = 2,
                           .samples = data_len / 2u,
                           .data = p};
  return SGP_OK;
}

sgp_err sgp_carrier_parse_cover(const uint8_t *frame, size_t len, struct sgp_cover *cover) {
  SGP_ENSURE(cover, SGP_ERR_INVALID_ARG);
  enum sgp_carrier_kind kind;
  SGP_GUARD(sgp_carrier_identify(frame, len, &kind));
  SGP_ENSURE(kind != SGP_CARRIER_RAW, SGP_ERR_CARRIER_UNKNOWN);
  SGP_ENSURE(len <= SGP_CARRIER_MAX_FRAME, SGP_ERR_TOO_LARGE);
  struct sgp_cursor c = sgp_cursor_reader(frame, len);
  struct sgp_cover cv;
  SGP_GUARD(kind == SGP_CARRIER_LSB_PGM ? parse_pgm(&c, &cv) : parse_wav(&c, &cv));
  *cover = cv;
  return SGP_OK;
}

/* ---- accounting (§9.4) ---------------------------------------------------- */

size_t sgp_carrier_capacity(size_t samples) {
  size_t bytes = samples / SGP_CARRIER_SAMPLES_PER_BYTE;
  return bytes > SGP_CARRIER_LEN_BYTES ? bytes - SGP_CARRIER_LEN_BYTES : 0;
}

size_t sgp_carrier_cover_size_for(enum sgp_carrier_kind kind, size_t payload_len) {
  switch (kind) {
    case SGP_CARRIER_RAW:
      return payload_len;
    case SGP_CARRIER_LSB_PGM:
      return SGP_CARRIER_SAMPLES_FOR(payload_len);
    case SGP_CARRIER_LSB_WAV:
      return 2u * SGP_CARRIER_SAMPLES_FOR(payload_len);
  }
  return 0;
}

static size_t digits(uint32_t v) {
  size_t n = 1;
  while (v >= 10u) {
    v /= 10u;
    n++;
  }
  return n;
}

static size_t pgm_header_len(uint32_t w, uint32_t h) {
  return 3u + digits(w) + 1u + digits(h) + 1u + 4u; /* "P5\n" w SP h LF "255\n" */
}

static uint32_t gen_height(size_t payload_len) {
  size_t s = SGP_CARRIER_SAMPLES_FOR(payload_len);
  return (uint32_t)((s + SGP_CARRIER_PGM_GEN_WIDTH - 1u) / SGP_CARRIER_PGM_GEN_WIDTH);
}

size_t sgp_carrier_frame_len_for(enum sgp_carrier_kind kind, size_t payload_len) {
  switch (kind) {
    case SGP_CARRIER_RAW:
      return payload_len;
    case SGP_CARRIER_LSB_PGM: {
      uint32_t h = gen_height(payload_len);
      return pgm_header_len(SGP_CARRIER_PGM_GEN_WIDTH, h) + (size_t)SGP_CARRIER_PGM_GEN_WIDTH * h;
    }
    case SGP_CARRIER_LSB_WAV:
      return SGP_CARRIER_WAV_HEADER + 2u * SGP_CARRIER_SAMPLES_FOR(payload_len);
  }
  return 0;
}

size_t sgp_carrier_ipv4_fragments(size_t udp_len, size_t mtu) {
  if (mtu < SGP_CARRIER_IPV4_HEADER + 8u) return 0;
  size_t per = (mtu - SGP_CARRIER_IPV4_HEADER) / 8u * 8u;
  return (udp_len + SGP_CARRIER_UDP_HEADER + per - 1u) / per;
}

/* ---- headers -------------------------------------------------------------- */

static sgp_err write_dec(struct sgp_cursor *c, uint32_t v) {
  uint8_t tmp[10];
  size_t n = digits(v);
  for (size_t i = n; i-- > 0; v /= 10u) tmp[i] = (uint8_t)('0' + v % 10u);
  return sgp_cursor_write(c, tmp, n);
}

static void put_le(uint8_t *p, uint32_t v, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8u * i));
}

static sgp_err write_le(struct sgp_cursor *c, uint32_t v, size_t n) {
  uint8_t tmp[4];
  put_le(tmp, v, n);
  return sgp_cursor_write(c, tmp, n);
}

/* Headers are built in a local buffer, so a failure writes nothing. */
sgp_err sgp_carrier_pgm_header(uint32_t width, uint32_t height, uint8_t *out, size_t cap,
                               size_t *out_len) {
  SGP_ENSURE(out_len && (out || cap == 0), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(width >= 1 && width <= SGP_CARRIER_PGM_MAX_DIM, SGP_ERR_CARRIER_DIM);
  SGP_ENSURE(height >= 1 && height <= SGP_CARRIER_PGM_MAX_DIM, SGP_ERR_CARRIER_DIM);
  size_t n = pgm_header_len(width, height);
  SGP_ENSURE(n + (size_t)width * height <= SGP_CARRIER_MAX_FRAME, SGP_ERR_TOO_LARGE);
  SGP_ENSURE(cap >= n, SGP_ERR_NO_SPACE);
  uint8_t h[SGP_CARRIER_PGM_MAX_HEADER];
  struct sgp_cursor c = sgp_cursor_writer(h, sizeof h);
  SGP_GUARD(sgp_cursor_write(&c, "P5\n", 3));
  SGP_GUARD(write_dec(&c, width));
  SGP_GUARD(sgp_cursor_write_u8(&c, ' '));
  SGP_GUARD(write_dec(&c, height));
  SGP_GUARD(sgp_cursor_write(&c, "\n255\n", 5));
  memcpy(out, h, c.pos);
  *out_len = c.pos;
  return SGP_OK;
}

sgp_err sgp_carrier_wav_header(uint32_t sample_rate, size_t samples, uint8_t *out, size_t cap,
                               size_t *out_len) {
  SGP_ENSURE(out_len && (out || cap == 0), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(sample_rate >= SGP_CARRIER_WAV_MIN_RATE && sample_rate <= SGP_CARRIER_WAV_MAX_RATE,
             SGP_ERR_CARRIER_DIM);
  SGP_ENSURE(samples <= (SGP_CARRIER_MAX_FRAME - SGP_CARRIER_WAV_HEADER) / 2u, SGP_ERR_TOO_LARGE);
  SGP_ENSURE(cap >= SGP_CARRIER_WAV_HEADER, SGP_ERR_NO_SPACE);
  uint32_t data_len = (uint32_t)(2u * samples);
  uint8_t h[SGP_CARRIER_WAV_HEADER];
  struct sgp_cursor c = sgp_cursor_writer(h, sizeof h);
  SGP_GUARD(sgp_cursor_write(&c, "RIFF", 4));
  SGP_GUARD(write_le(&c, 36u + data_len, 4));
  SGP_GUARD(sgp_cursor_write(&c, "WAVEfmt ", 8));
  SGP_GUARD(write_le(&c, 16, 4));               /* fmt chunk size */
  SGP_GUARD(write_le(&c, 1, 2));                /* PCM */
  SGP_GUARD(write_le(&c, 1, 2));                /* mono */
  SGP_GUARD(write_le(&c, sample_rate, 4));      /* sample rate */
  SGP_GUARD(write_le(&c, sample_rate * 2u, 4)); /* byte rate */
  SGP_GUARD(write_le(&c, 2, 2));                /* block align */
  SGP_GUARD(write_le(&c, 16, 2));               /* bits per sample */
  SGP_GUARD(sgp_cursor_write(&c, "data", 4));
  SGP_GUARD(write_le(&c, data_len, 4));
  SGP_GUARD(sgp_cursor_end(&c));
  memcpy(out, h, sizeof h);
  *out_len = sizeof h;
  return SGP_OK;
}

/* ---- generated covers ----------------------------------------------------- */

/* 64-bit mixer (the SplitMix64 finaliser); cover texture only, no secret. */
static uint64_t mix64(uint64_t z) {
  z += UINT64_C(0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

struct gen_key {
  uint64_t k0, k1;
};

static struct gen_key draw_key(sgp_carrier_rng rng, void *ctx) {
  uint8_t seed[16] = {0};
  rng(ctx, seed, sizeof seed);
  struct gen_key k = {0, 0};
  for (size_t i = 0; i < 8; i++) {
    k.k0 = (k.k0 << 8) | seed[i];
    k.k1 = (k.k1 << 8) | seed[8 + i];
  }
  return k;
}

static uint64_t noise(const struct gen_key *k, uint64_t a, uint64_t b, uint64_t c) {
  return mix64(k->k0 ^ mix64(k->k1 + ((c << 48) ^ (a << 24) ^ b)));
}

/* The four lattice values around cell (gx, gy) of one octave, in the order
 * (gx, gy), (gx+1, gy), (gx, gy+1), (gx+1, gy+1). */
static void corners(const struct gen_key *k, uint32_t octave, uint32_t gx, uint32_t gy,
                    uint32_t v[4]) {
  v[0] = (uint32_t)(noise(k, gx, gy, octave) & 0xffu);
  v[1] = (uint32_t)(noise(k, gx + 1u, gy, octave) & 0xffu);
  v[2] = (uint32_t)(noise(k, gx, gy + 1u, octave) & 0xffu);
  v[3] = (uint32_t)(noise(k, gx + 1u, gy + 1u, octave) & 0xffu);
}

/* Bilinear value noise inside a cell of the given size, scaled by
 * cell*cell: result in 0 .. 255*cell*cell. */
static uint32_t bilinear(const uint32_t v[4], uint32_t cell, uint32_t fx, uint32_t fy) {
  uint32_t top = v[0] * (cell - fx) + v[1] * fx, bot = v[2] * (cell - fx) + v[3] * fx;
  return top * (cell - fy) + bot * fy;
}

sgp_err sgp_carrier_generate_pgm(uint32_t width, uint32_t height, sgp_carrier_rng rng,
                                 void *rng_ctx, uint8_t *out, size_t cap, size_t *out_len) {
  SGP_ENSURE(rng && out_len && (out || cap == 0), SGP_ERR_INVALID_ARG);
  uint8_t hdr[SGP_CARRIER_PGM_MAX_HEADER];
  size_t hl, n = (size_t)width * height;
  SGP_GUARD(sgp_carrier_pgm_header(width, height, hdr, sizeof hdr, &hl));
  SGP_ENSURE(cap >= hl + n, SGP_ERR_NO_SPACE);
  memcpy(out, hdr, hl);
  struct gen_key k = draw_key(rng, rng_ctx);
  uint8_t *px = out + hl;
  for (uint32_t y = 0; y < height; y++) {
    /* Lattice values change once per cell, not per pixel: recomputed only
     * when x enters a new cell (the pixels are the same either way). */
    uint32_t c32[4], c8[4], gx32 = UINT32_MAX, gx8 = UINT32_MAX;
    for (uint32_t x = 0; x < width; x++) {
      if (x / 32u != gx32) {
        gx32 = x / 32u;
        corners(&k, 0, gx32, y / 32u, c32);
      }
      if (x / 8u != gx8) {
        gx8 = x / 8u;
        corners(&k, 1, gx8, y / 8u, c8);
      }
      /* Two octaves in units of 1/1024: cell 32 (weight 3/4), cell 8 (1/4). */
      uint32_t v =
          (3u * bilinear(c32, 32, x % 32u, y % 32u) + 16u * bilinear(c8, 8, x % 8u, y % 8u)) / 4u;
      int32_t p = (int32_t)((v + 512u) / 1024u);
      p += (int32_t)(noise(&k, x, y, 2) % 3u) - 1; /* dither -1, 0, +1 */
      p = p < 0 ? 0 : p > 255 ? 255 : p;
      px[(size_t)y * width + x] = (uint8_t)p;
    }
  }
  *out_len = hl + n;
  return SGP_OK;
}

sgp_err sgp_carrier_generate_wav(uint32_t sample_rate, size_t samples, sgp_carrier_rng rng,
                                 void *rng_ctx, uint8_t *out, size_t cap, size_t *out_len) {
  SGP_ENSURE(rng && out_len && (out || cap == 0), SGP_ERR_INVALID_ARG);
  uint8_t hdr[SGP_CARRIER_WAV_HEADER];
  size_t hl;
  SGP_GUARD(sgp_carrier_wav_header(sample_rate, samples, hdr, sizeof hdr, &hl));
  SGP_ENSURE(cap >= hl + 2u * samples, SGP_ERR_NO_SPACE);
  memcpy(out, hdr, hl);
  struct gen_key k = draw_key(rng, rng_ctx);
  int32_t y = 0;
  for (size_t t = 0; t < samples; t++) {
    /* AR(1) low-pass noise, y += r - y/16 with r in -1024..1023. */
    int32_t r = (int32_t)(noise(&k, t, 0, 3) & 0x7ffu) - 1024;
    y = y - y / 16 + r;
    int32_t s = y < -32768 ? -32768 : y > 32767 ? 32767 : y;
    put_le(out + hl + 2u * t, (uint32_t)s & 0xffffu, 2);
  }
  *out_len = hl + 2u * samples;
  return SGP_OK;
}

/* ---- embedding and extraction --------------------------------------------- */

/* Byte i of E = u16be(len) || d. */
static uint8_t stream_byte(const uint8_t *d, size_t len, size_t i) {
  if (i == 0) return (uint8_t)(len >> 8);
  if (i == 1) return (uint8_t)len;
  return d[i - 2];
}

/* Caller guarantees 8 * (len + 2) <= cv->samples. */
static void embed(uint8_t *samples, const struct sgp_cover *cv, const uint8_t *d, size_t len) {
  size_t bits = SGP_CARRIER_SAMPLES_FOR(len);
  for (size_t t = 0; t < bits; t++) {
    uint8_t bit = (uint8_t)((stream_byte(d, len, t / 8u) >> (7u - t % 8u)) & 1u);
    uint8_t *s = samples + t * cv->stride;
    *s = (uint8_t)((*s & 0xfeu) | bit);
  }
}

/* Bits [first, first + 8n) of the stream, MSB first, into n bytes. */
static void read_bits(const struct sgp_cover *cv, size_t first, uint8_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint8_t b = 0;
    for (size_t j = 0; j < 8u; j++)
      b = (uint8_t)((b << 1) | (cv->data[(first + 8u * i + j) * cv->stride] & 1u));
    out[i] = b;
  }
}

/* SGP-CARRIER-5: length checks before any byte of D is written. */
static sgp_err extract(const struct sgp_cover *cv, uint8_t *buf, size_t *len) {
  SGP_ENSURE(cv->samples >= SGP_CARRIER_SAMPLES_FOR(0), SGP_ERR_CARRIER_CAPACITY);
  uint8_t hdr[SGP_CARRIER_LEN_BYTES];
  read_bits(cv, 0, hdr, sizeof hdr);
  size_t n = ((size_t)hdr[0] << 8) | hdr[1];
  SGP_ENSURE(n > 0, SGP_ERR_CARRIER_EMPTY);
  SGP_ENSURE(n <= SGP_CARRIER_MAX_PAYLOAD, SGP_ERR_TOO_LARGE);
  SGP_ENSURE(n <= sgp_carrier_capacity(cv->samples), SGP_ERR_CARRIER_CAPACITY);
  read_bits(cv, SGP_CARRIER_SAMPLES_FOR(0), buf, n);
  *len = n;
  return SGP_OK;
}

sgp_err sgp_carrier_wrap(enum sgp_carrier_kind kind, const uint8_t *cover, size_t cover_len,
                         const uint8_t *d, size_t d_len, uint8_t *out, size_t cap,
                         size_t *out_len) {
  SGP_ENSURE(out_len && (out || cap == 0) && (d || d_len == 0), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(kind == SGP_CARRIER_RAW || kind == SGP_CARRIER_LSB_PGM || kind == SGP_CARRIER_LSB_WAV,
             SGP_ERR_INVALID_ARG);
  SGP_ENSURE(d_len > 0, SGP_ERR_CARRIER_EMPTY);
  SGP_ENSURE(d_len <= SGP_CARRIER_MAX_PAYLOAD, SGP_ERR_TOO_LARGE);
  if (kind == SGP_CARRIER_RAW) {
    /* Any other first byte would be read as another carrier, or none. */
    SGP_ENSURE(d[0] >= 0x01 && d[0] <= 0x04, SGP_ERR_INVALID_ARG);
    SGP_ENSURE(cap >= d_len, SGP_ERR_NO_SPACE);
    memmove(out, d, d_len);
    *out_len = d_len;
    return SGP_OK;
  }
  struct sgp_cover cv;
  SGP_GUARD(sgp_carrier_parse_cover(cover, cover_len, &cv));
  SGP_ENSURE(cv.kind == kind, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(d_len <= sgp_carrier_capacity(cv.samples), SGP_ERR_CARRIER_CAPACITY);
  SGP_ENSURE(cap >= cover_len, SGP_ERR_NO_SPACE);
  if (out != cover) memmove(out, cover, cover_len);
  embed(out + cv.header_len, &cv, d, d_len);
  *out_len = cover_len;
  return SGP_OK;
}

sgp_err sgp_carrier_wrap_generated(enum sgp_carrier_kind kind, const uint8_t *d, size_t d_len,
                                   sgp_carrier_rng rng, void *rng_ctx, uint8_t *out, size_t cap,
                                   size_t *out_len) {
  SGP_ENSURE(out_len && (out || cap == 0) && (d || d_len == 0), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(kind == SGP_CARRIER_RAW || kind == SGP_CARRIER_LSB_PGM || kind == SGP_CARRIER_LSB_WAV,
             SGP_ERR_INVALID_ARG);
  if (kind == SGP_CARRIER_RAW) return sgp_carrier_wrap(kind, NULL, 0, d, d_len, out, cap, out_len);
  SGP_ENSURE(rng, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(d_len > 0, SGP_ERR_CARRIER_EMPTY);
  SGP_ENSURE(d_len <= SGP_CARRIER_MAX_PAYLOAD, SGP_ERR_TOO_LARGE);
  SGP_ENSURE(cap >= sgp_carrier_frame_len_for(kind, d_len), SGP_ERR_NO_SPACE);
  size_t n;
  if (kind == SGP_CARRIER_LSB_PGM) {
    SGP_GUARD(sgp_carrier_generate_pgm(SGP_CARRIER_PGM_GEN_WIDTH, gen_height(d_len), rng, rng_ctx,
                                       out, cap, &n));
  } else {
    SGP_GUARD(sgp_carrier_generate_wav(SGP_CARRIER_WAV_GEN_RATE, SGP_CARRIER_SAMPLES_FOR(d_len),
                                       rng, rng_ctx, out, cap, &n));
  }
  return sgp_carrier_wrap(kind, out, n, d, d_len, out, cap, out_len);
}

sgp_err sgp_carrier_unwrap(const uint8_t *frame, size_t len, unsigned accept, uint8_t *buf,
                           size_t buf_cap, struct sgp_carrier_payload *out) {
  SGP_ENSURE(out && buf && buf_cap >= SGP_CARRIER_MAX_PAYLOAD, SGP_ERR_INVALID_ARG);
  enum sgp_carrier_kind kind;
  SGP_GUARD(sgp_carrier_identify(frame, len, &kind));
  SGP_ENSURE(accept & SGP_CARRIER_ACCEPT(kind), SGP_ERR_CARRIER_UNKNOWN);
  if (kind == SGP_CARRIER_RAW) {
    *out = (struct sgp_carrier_payload){.kind = kind, .data = frame, .len = len};
    return SGP_OK;
  }
  struct sgp_cover cv;
  SGP_GUARD(sgp_carrier_parse_cover(frame, len, &cv));
  size_t n;
  SGP_GUARD(extract(&cv, buf, &n));
  *out = (struct sgp_carrier_payload){.kind = kind, .data = buf, .len = n};
  return SGP_OK;
}
