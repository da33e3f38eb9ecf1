/* Carriers (spec §9): wrap one sealed datagram D into one carrier frame (the
 * UDP payload) and get it back.
 *
 * CONCEALMENT ONLY.  The LSB carriers hide that SGP traffic is SGP traffic
 * from a casual observer; they add no confidentiality and no integrity (the
 * session AEAD already provides both, and the carrier never touches keys).
 * Plain LSB embedding is detectable by standard steganalysis: the chi-square
 * attack of Westfeld and Pfitzmann and RS analysis (tools/stegcheck shows
 * it).  Off by default: the default carrier is raw (SGP-CARRIER-9).
 *
 * Carriers, identified by the first bytes of a frame (SGP-CARRIER-3):
 *   raw      0x01..0x04 (a transport type byte): the frame is D itself.
 *   lsb-pgm  "P5": canonical binary PGM, "P5\n<w> <h>\n255\n" + w*h bytes,
 *            w and h in 1..4096 without leading zeros (SGP-CARRIER-10).
 *   lsb-wav  "RIFF": canonical 44-byte header + mono 16-bit LE PCM, sample
 *            rate 8000..48000 (SGP-CARRIER-11).
 * The embedded stream is E = u16be(|D|) || D; bit t of E (byte by byte, MSB
 * first) replaces the LSB of cover sample t (PGM: raster byte t; WAV: the
 * low byte of sample t).  Every other bit of the cover is left unchanged
 * (SGP-CARRIER-4).  Capacity of S samples: floor(S/8) - 2 bytes (0 when
 * S < 24), so every payload byte costs at least 8 cover samples.
 *
 * Contract:
 *  - Pure: no I/O, no allocation, no clock.  Randomness for generated
 *    covers comes only from the caller's sgp_carrier_rng callback.
 *  - Every frame and every supplied cover is untrusted input, parsed
 *    through the bounded cursor; every read is bounds-checked; buffers are
 *    the caller's; no size depends on header values (SGP-CARRIER-6).
 *  - On any error the output buffer and out-parameters are untouched.
 *  - Deterministic check order, so each malformed frame has one error name:
 *      empty frame or unknown first bytes      SGP_ERR_CARRIER_UNKNOWN
 *      LSB frame longer than 65507 bytes       SGP_ERR_TOO_LARGE
 *      then the header fields in file order:
 *        input ends inside the header          SGP_ERR_TRUNCATED
 *        wrong byte, leading zero (also "0"),
 *        comment, other whitespace, WAV field
 *        != table, riff size, odd data_len     SGP_ERR_CARRIER_HEADER
 *        PGM w/h > 4096 (or a 5th digit),
 *        WAV sample rate out of range          SGP_ERR_CARRIER_DIM
 *        PGM maxval != 255 (or a 4th digit)    SGP_ERR_CARRIER_MAXVAL
 *      samples shorter / longer than declared  SGP_ERR_TRUNCATED / _TRAILING
 *      then the embedded length L (extraction only, SGP-CARRIER-5):
 *        fewer than 16 samples                 SGP_ERR_CARRIER_CAPACITY
 *        L == 0                                SGP_ERR_CARRIER_EMPTY
 *        L > 1200                              SGP_ERR_TOO_LARGE
 *        L > capacity                          SGP_ERR_CARRIER_CAPACITY
 *  - The raw carrier checks only its first byte: the size and type checks
 *    of a sealed datagram belong to the transport (SGP-XPORT-13, drop_size),
 *    so a raw frame is never counted twice.
 *  - The Dey-Abraham-Sanyal prime / natural-number decomposition is not
 *    part of SGP v1 (spec §9.5) and is not implemented.
 */
#ifndef SGP_CARRIER_H
#define SGP_CARRIER_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/result.h"

enum sgp_carrier_kind {
  SGP_CARRIER_RAW = 0,
  SGP_CARRIER_LSB_PGM = 1,
  SGP_CARRIER_LSB_WAV = 2,
};

/* Bits of the accept mask of sgp_carrier_unwrap. */
#define SGP_CARRIER_ACCEPT(kind) (1u << (unsigned)(kind))
#define SGP_CARRIER_ACCEPT_ALL                                                     \
  (SGP_CARRIER_ACCEPT(SGP_CARRIER_RAW) | SGP_CARRIER_ACCEPT(SGP_CARRIER_LSB_PGM) | \
   SGP_CARRIER_ACCEPT(SGP_CARRIER_LSB_WAV))

enum {
  SGP_CARRIER_MAX_PAYLOAD = 1200,   /* MAX_DATAGRAM: largest embedded D */
  SGP_CARRIER_LEN_BYTES = 2,        /* the u16 length in front of D */
  SGP_CARRIER_SAMPLES_PER_BYTE = 8, /* one bit per cover sample */
  SGP_CARRIER_MAX_FRAME = 65507,    /* largest UDP payload (IPv4) */
  SGP_CARRIER_PGM_MAX_DIM = 4096,
  SGP_CARRIER_PGM_MAXVAL = 255,
  SGP_CARRIER_PGM_MAX_HEADER = 15, /* "P5\n4096 4096\n255\n" */
  SGP_CARRIER_PGM_GEN_WIDTH = 128, /* width of generated covers (§9.4 example) */
  SGP_CARRIER_WAV_HEADER = 44,
  SGP_CARRIER_WAV_MIN_RATE = 8000,
  SGP_CARRIER_WAV_MAX_RATE = 48000,
  SGP_CARRIER_WAV_GEN_RATE = 8000,
  SGP_CARRIER_UDP_HEADER = 8,
  SGP_CARRIER_IPV4_HEADER = 20,
};

/* At least 8 cover samples per payload byte (DESIGN D6): samples for L. */
#define SGP_CARRIER_SAMPLES_FOR(L) \
  ((size_t)SGP_CARRIER_SAMPLES_PER_BYTE * ((size_t)(L) + SGP_CARRIER_LEN_BYTES))

/* Caller-injected randomness: fill out[0..len) (e.g. randombytes_buf). */
typedef void (*sgp_carrier_rng)(void *ctx, uint8_t *out, size_t len);

/* A validated LSB cover (or frame): header fields and where samples are. */
struct sgp_cover {
  enum sgp_carrier_kind kind; /* SGP_CARRIER_LSB_PGM or SGP_CARRIER_LSB_WAV */
  uint32_t width, height;     /* PGM; 0 for WAV */
  uint32_t sample_rate;       /* WAV; 0 for PGM */
  size_t header_len;          /* offset of sample 0 in the frame */
  size_t stride;              /* bytes per sample: 1 (PGM) or 2 (WAV) */
  size_t samples;             /* S */
  const uint8_t *data;        /* sample 0; borrowed from the parsed frame */
};

/* What sgp_carrier_unwrap found: D is data[0..len). */
struct sgp_carrier_payload {
  enum sgp_carrier_kind kind;
  const uint8_t *data; /* raw: points into the frame; LSB: into buf */
  size_t len;
};

/* Carrier of a frame by its first bytes (SGP-CARRIER-3). */
SGP_MUST_CHECK sgp_err sgp_carrier_identify(const uint8_t *frame, size_t len,
                                            enum sgp_carrier_kind *kind);

/* Strict parse of an LSB frame or supplied cover: header and exact sample
 * length (SGP-CARRIER-10, -11); the sample LSBs are not interpreted. */
SGP_MUST_CHECK sgp_err sgp_carrier_parse_cover(const uint8_t *frame, size_t len,
                                               struct sgp_cover *cover);

/* floor(samples/8) - 2, or 0 when that is negative. */
size_t sgp_carrier_capacity(size_t samples);

/* Cover bytes (PGM raster or WAV data, header excluded) needed to carry a
 * payload of payload_len bytes: raw payload_len, PGM 8(L+2), WAV 16(L+2).
 * 0 for an unknown kind. */
size_t sgp_carrier_cover_size_for(enum sgp_carrier_kind kind, size_t payload_len);

/* UDP payload of the smallest generated frame for payload_len bytes (raw:
 * payload_len; PGM: 128-pixel-wide cover, WAV: exactly 8(L+2) samples), as
 * sgp_carrier_wrap_generated builds it.  0 for an unknown kind. */
size_t sgp_carrier_frame_len_for(enum sgp_carrier_kind kind, size_t payload_len);

/* Number of IPv4 packets one UDP payload of udp_len bytes becomes at the
 * given link MTU (fragments carry (mtu - 20) rounded down to 8).  0 if the
 * MTU cannot carry a fragment (mtu < 28). */
size_t sgp_carrier_ipv4_fragments(size_t udp_len, size_t mtu);

/* Canonical headers, for building covers from caller-supplied samples. */
SGP_MUST_CHECK sgp_err sgp_carrier_pgm_header(uint32_t width, uint32_t height, uint8_t *out,
                                              size_t cap, size_t *out_len);
SGP_MUST_CHECK sgp_err sgp_carrier_wav_header(uint32_t sample_rate, size_t samples, uint8_t *out,
                                              size_t cap, size_t *out_len);

/* Generated covers (tests and demos; SGP-CARRIER-7 prefers natural ones).
 * PGM: smooth value noise (two octaves, bilinear) with +-1 dither.  WAV:
 * low-pass (AR(1)) noise.  The cover is a deterministic function of the 16
 * bytes drawn from rng. */
SGP_MUST_CHECK sgp_err sgp_carrier_generate_pgm(uint32_t width, uint32_t height,
                                                sgp_carrier_rng rng, void *rng_ctx, uint8_t *out,
                                                size_t cap, size_t *out_len);
SGP_MUST_CHECK sgp_err sgp_carrier_generate_wav(uint32_t sample_rate, size_t samples,
                                                sgp_carrier_rng rng, void *rng_ctx, uint8_t *out,
                                                size_t cap, size_t *out_len);

/* Sender side.  raw: out = d (d[0] must be 1..4, else SGP_ERR_INVALID_ARG;
 * cover ignored).  LSB: out = the supplied cover (which must parse as a
 * cover of that kind) with E embedded; out may equal cover (in place).
 * Errors: SGP_ERR_CARRIER_EMPTY (d_len 0), SGP_ERR_TOO_LARGE (d_len > 1200),
 * cover parse errors, SGP_ERR_INVALID_ARG (cover of another kind),
 * SGP_ERR_CARRIER_CAPACITY (d_len > capacity), SGP_ERR_NO_SPACE.
 * d must not overlap out (except raw, which moves d as a block). */
SGP_MUST_CHECK sgp_err sgp_carrier_wrap(enum sgp_carrier_kind kind, const uint8_t *cover,
                                        size_t cover_len, const uint8_t *d, size_t d_len,
                                        uint8_t *out, size_t cap, size_t *out_len);

/* Sender side with a generated cover of sgp_carrier_frame_len_for size. */
SGP_MUST_CHECK sgp_err sgp_carrier_wrap_generated(enum sgp_carrier_kind kind, const uint8_t *d,
                                                  size_t d_len, sgp_carrier_rng rng, void *rng_ctx,
                                                  uint8_t *out, size_t cap, size_t *out_len);

/* Receiver side: identify, check the carrier is in accept (a mask of
 * SGP_CARRIER_ACCEPT bits, else SGP_ERR_CARRIER_UNKNOWN), parse and extract.
 * buf (at least SGP_CARRIER_MAX_PAYLOAD bytes, else SGP_ERR_INVALID_ARG)
 * receives D for LSB frames; raw frames are returned in place. */
SGP_MUST_CHECK sgp_err sgp_carrier_unwrap(const uint8_t *frame, size_t len, unsigned accept,
                                          uint8_t *buf, size_t buf_cap,
                                          struct sgp_carrier_payload *out);

#endif
