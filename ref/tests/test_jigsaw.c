/* Jigsaw mode (sgp/jigsaw.h), spec §8.4.
 *
 * Requirement IDs used here:
 *  SGP-JIG-1  flags other than 0x00, 0x01, 0x03 are rejected (decode,
 *             reassembly).
 *  SGP-JIG-2  aont / aont-parity senders transform every packet and set
 *             0x01 / 0x03 (sgp_jig_encode).
 *  SGP-JIG-3  AONT exactly as §8.4 (known-answer vectors computed outside
 *             libsodium: RFC 8439 A.1 keystream, Python `cryptography`
 *             ChaCha20 + hashlib SHA-256), fresh K from the RNG per message.
 *  SGP-JIG-4  a receiver accepts and inverts all three flags values.
 *  SGP-JIG-5  with the parity fragment any one missing data fragment is
 *             rebuilt, whatever its position and length.
 *  SGP-JIG-7  with jigsaw on, every reassembly check still applies.
 */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/fragment.h"
#include "sgp/jigsaw.h"
#include "testutil.h"

#define D SGP_FRAG_DATA
#define AP (SGP_FRAG_FLAG_AONT | SGP_FRAG_FLAG_PARITY)

static uint8_t pkt[SGP_FRAG_MAX_MESSAGE];
static uint8_t pkg[SGP_FRAG_MAX_MESSAGE];
static uint8_t back[SGP_FRAG_MAX_MESSAGE];
static uint8_t out[SGP_FRAG_MAX_MESSAGE];

static void init_sodium(void) {
  cr_assert(sodium_init() >= 0);
}

TestSuite(jigsaw, .init = init_sodium);

/* An RNG that hands out a fixed key, counting its calls. */
struct fixed_rng {
  uint8_t key[32];
  int calls;
  size_t last_len;
};

static void fixed(void *ctx, uint8_t *o, size_t len) {
  struct fixed_rng *f = ctx;
  f->calls++;
  f->last_len = len;
  for (size_t i = 0; i < len; i++) o[i] = f->key[i % 32];
}

static void det_rng(void *ctx, uint8_t *o, size_t len) {
  uint64_t *s = ctx;
  for (size_t i = 0; i < len; i++) o[i] = (uint8_t)(tu_rand(s) >> 32);
}

static size_t unhex(const char *h, uint8_t *o) {
  size_t n = strlen(h) / 2;
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    cr_assert_eq(sscanf(h + 2 * i, "%2x", &v), 1);
    o[i] = (uint8_t)v;
  }
  return n;
}

static void fill(uint8_t *b, size_t n, uint32_t seed) {
  uint64_t s = 0x1234567u ^ ((uint64_t)seed << 20);
  for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(tu_rand(&s) >> 40);
}

/* Fraction of positions where a and b differ. */
static double differ(const uint8_t *a, const uint8_t *b, size_t n) {
  size_t d = 0;
  for (size_t i = 0; i < n; i++) d += a[i] != b[i];
  return (double)d / (double)n;
}

/* SGP-JIG-3: K = 0, m = 64 zero bytes: c is the RFC 8439 A.1 block-0
 * keystream and the key block is SHA-256("SGP/1 jigsaw" 00 || c). */
Test(jigsaw, known_answer_zero_key) {
  static const char *want =
      "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
      "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"
      "6358b0288b2a7615adbaaa69e00311c2762e932172a357b3cb4e47fc07933754";
  struct fixed_rng f = {{0}, 0, 0};
  uint8_t m[64] = {0}, exp[96];
  cr_assert_eq(unhex(want, exp), 96);
  size_t n;
  cr_assert_eq(sgp_jig_aont(m, sizeof m, fixed, &f, pkg, sizeof pkg, &n), SGP_OK);
  cr_assert_eq(n, 96);
  cr_assert_eq(memcmp(pkg, exp, 96), 0);
  cr_assert_eq(f.calls, 1);
  cr_assert_eq(f.last_len, 32);
  cr_assert_eq(sgp_jig_aont_inverse(exp, 96, back, sizeof back, &n), SGP_OK);
  cr_assert_eq(n, 64);
  cr_assert_eq(memcmp(back, m, 64), 0);
}

/* SGP-JIG-3: K = 00 01 .. 1f over a 148-byte text (three ChaCha20 blocks)
 * and over one byte. */
Test(jigsaw, known_answer_counting_key) {
  static const char *text =
      "SGP/1 jigsaw vector: all or nothing, no fragment alone reveals the packet.";
  static const char *want148 =
      "6aba7b52e8e57303eace620098aa2f2afe5aaa559cbf06a092a30f6cb68550fa424dabcb820e4c8b597c8e0e57ad"
      "111005e35985df92835fa75107c12428617870dd6241cc85cdb4674f0f26ff6c7f0792d8948680da7b2a899b887d"
      "580f553d1e642802a3ce5232e9e9314a03222052f480902cbf3a34ab635e6a1e5dfa34a8628048aac22bfea64cd3"
      "e28a09fe13580b460b181d08c91d6ec2bd6c62db6cadebfddfcaede8235f7607c817f790d770ca675267";
  static const char *want1 = "13d8e8427d39cde6dddcc74a05e16ad1ad671f0e707b9894e9f41a0289e4f78859";
  struct fixed_rng f;
  for (int i = 0; i < 32; i++) f.key[i] = (uint8_t)i;
  uint8_t m[148], exp[180];
  memcpy(m, text, 74);
  memcpy(m + 74, text, 74);
  size_t n;
  cr_assert_eq(unhex(want148, exp), 180);
  cr_assert_eq(sgp_jig_aont(m, sizeof m, fixed, &f, pkg, sizeof pkg, &n), SGP_OK);
  cr_assert_eq(n, 180);
  cr_assert_eq(memcmp(pkg, exp, 180), 0);
  cr_assert_eq(sgp_jig_aont_inverse(exp, 180, back, sizeof back, &n), SGP_OK);
  cr_assert_eq(memcmp(back, m, 148), 0);

  cr_assert_eq(unhex(want1, exp), 33);
  uint8_t one = 0x2a;
  cr_assert_eq(sgp_jig_aont(&one, 1, fixed, &f, pkg, sizeof pkg, &n), SGP_OK);
  cr_assert_eq(n, 33);
  cr_assert_eq(memcmp(pkg, exp, 33), 0);

  /* In place, both directions. */
  memcpy(pkg, m, sizeof m);
  cr_assert_eq(sgp_jig_aont(pkg, sizeof m, fixed, &f, pkg, sizeof pkg, &n), SGP_OK);
  cr_assert_eq(unhex(want148, exp), 180);
  cr_assert_eq(memcmp(pkg, exp, 180), 0);
  cr_assert_eq(sgp_jig_aont_inverse(pkg, 180, pkg, sizeof pkg, &n), SGP_OK);
  cr_assert_eq(memcmp(pkg, m, 148), 0);
}

/* SGP-JIG-3: a fresh K for every message. */
Test(jigsaw, fresh_key_per_message) {
  uint64_t s = 1;
  fill(pkt, 500, 1);
  size_t n1, n2;
  cr_assert_eq(sgp_jig_aont(pkt, 500, det_rng, &s, pkg, sizeof pkg, &n1), SGP_OK);
  cr_assert_eq(sgp_jig_aont(pkt, 500, det_rng, &s, back, sizeof back, &n2), SGP_OK);
  cr_assert_eq(n1, n2);
  cr_assert_gt(differ(pkg, back, n1), 0.9);
}

Test(jigsaw, argument_limits) {
  struct fixed_rng f = {{0}, 0, 0};
  size_t n;
  cr_assert_eq(sgp_jig_aont(pkt, 0, fixed, &f, pkg, sizeof pkg, &n), SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_jig_aont(pkt, SGP_FRAG_MAX_PLAIN + 1, fixed, &f, pkg, sizeof pkg, &n),
               SGP_ERR_TOO_LARGE);
  cr_assert_eq(sgp_jig_aont(pkt, 100, fixed, &f, pkg, 131, &n), SGP_ERR_NO_SPACE);
  cr_assert_eq(sgp_jig_aont(pkt, 100, NULL, &f, pkg, 132, &n), SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_jig_aont(pkt, 100, fixed, &f, pkt + 1, 132, &n), SGP_ERR_INVALID_ARG);
  cr_assert_eq(f.calls, 0); /* no key drawn for a refused call */
  cr_assert_eq(sgp_jig_aont(pkt, SGP_FRAG_MAX_PLAIN, fixed, &f, pkg, sizeof pkg, &n), SGP_OK);
  cr_assert_eq(n, SGP_FRAG_MAX_MESSAGE);
  cr_assert_eq(sgp_jig_aont_inverse(pkg, 32, back, sizeof back, &n), SGP_ERR_TRUNCATED);
  cr_assert_eq(sgp_jig_aont_inverse(pkg, SGP_FRAG_MAX_MESSAGE + 1, back, sizeof back, &n),
               SGP_ERR_TOO_LARGE);
  cr_assert_eq(sgp_jig_aont_inverse(pkg, 100, back, 67, &n), SGP_ERR_NO_SPACE);
  cr_assert_eq(sgp_jig_aont_inverse(pkg, 100, pkg + 3, 100, &n), SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_jig_aont_inverse(pkg, SGP_FRAG_MAX_MESSAGE, back, sizeof back, &n), SGP_OK);
  cr_assert_eq(n, SGP_FRAG_MAX_PLAIN);
}

/* SGP-JIG-2, SGP-JIG-4, SGP-JIG-1: the three modes and their flags; the
 * receiver's decode takes every defined flags value and no other. */
Test(jigsaw, encode_decode_modes_and_flags) {
  uint64_t s = 2;
  fill(pkt, 3000, 2);
  const enum sgp_jig_mode modes[] = {SGP_JIG_OFF, SGP_JIG_AONT, SGP_JIG_AONT_PARITY};
  const uint8_t want_flags[] = {0x00, 0x01, 0x03};
  const size_t want_len[] = {3000, 3032, 3032};
  for (int i = 0; i < 3; i++) {
    size_t n, m;
    uint8_t flags = 0xee;
    cr_assert_eq(sgp_jig_encode(modes[i], pkt, 3000, det_rng, &s, pkg, sizeof pkg, &n, &flags),
                 SGP_OK);
    cr_assert_eq(flags, want_flags[i]);
    cr_assert_eq(n, want_len[i]);
    if (i > 0) cr_assert_gt(differ(pkg, pkt, 3000), 0.9);
    cr_assert_eq(sgp_jig_decode(flags, pkg, n, back, sizeof back, &m), SGP_OK);
    cr_assert_eq(m, 3000);
    cr_assert_eq(memcmp(back, pkt, 3000), 0);
  }
  size_t n, m;
  uint8_t flags;
  cr_assert_eq(
      sgp_jig_encode((enum sgp_jig_mode)3, pkt, 10, det_rng, &s, pkg, sizeof pkg, &n, &flags),
      SGP_ERR_RANGE);
  for (unsigned f = 0; f < 256; f++) {
    if (f == 0 || f == 1 || f == 3) continue;
    cr_assert_eq(sgp_jig_decode((uint8_t)f, pkg, 100, back, sizeof back, &m), SGP_ERR_RESERVED);
  }
}

/* ---- through the fragmenter and reassembler ------------------------------------- */

struct rig {
  struct sgp_reasm r;
  void *mem;
  sgp_reasm_sid sid;
  uint32_t id;
};

static void rig_init(struct rig *g) {
  struct sgp_reasm_params p;
  sgp_reasm_params_default(&p, 2);
  size_t len = sgp_reasm_mem_size(&p);
  g->mem = calloc(1, len);
  cr_assert(g->mem);
  cr_assert_eq(sgp_reasm_init(&g->r, g->mem, len, &p), SGP_OK);
  cr_assert_eq(sgp_reasm_session_open(&g->r, 1, &g->sid), SGP_OK);
  g->id = 0;
}

static sgp_err put(struct rig *g, const uint8_t *msg, size_t len, uint8_t flags, uint32_t id,
                   uint32_t i, size_t *got) {
  struct sgp_frag_hdr h;
  uint8_t frag[D];
  size_t n;
  cr_assert_eq(sgp_frag_make(msg, len, flags, id, i, &h, frag, sizeof frag, &n), SGP_OK);
  return sgp_reasm_add(&g->r, g->sid, &h, frag, n, 0, out, sizeof out, got);
}

/* Sends the packet through encode -> fragments (all but `lost`, NIL for
 * none) -> reassembly -> decode; returns whether it arrived intact. */
static int send_packet(struct rig *g, enum sgp_jig_mode mode, const uint8_t *p, size_t plen,
                       uint32_t lost, uint64_t *s) {
  size_t mlen, got = 0, back_len;
  uint8_t flags;
  cr_assert_eq(sgp_jig_encode(mode, p, plen, det_rng, s, pkg, sizeof pkg, &mlen, &flags), SGP_OK);
  struct sgp_frag_layout l;
  cr_assert_eq(sgp_frag_layout((uint32_t)mlen, flags, &l), SGP_OK);
  g->id++;
  for (uint32_t i = 0; i < l.count && got == 0; i++) {
    if (i == lost) continue;
    cr_assert_eq(put(g, pkg, mlen, flags, g->id, i, &got), SGP_OK, "plen %zu frag %u", plen, i);
  }
  if (got == 0) return 0;
  cr_assert_eq(got, mlen);
  cr_assert_eq(sgp_jig_decode(flags, out, got, back, sizeof back, &back_len), SGP_OK);
  return back_len == plen && memcmp(back, p, plen) == 0;
}

/* SGP-JIG-2, SGP-JIG-4: every packet size from 1 to three fragments' worth
 * round-trips, in all three modes, through the real fragment path. */
Test(jigsaw, round_trip_every_size_up_to_three_fragments) {
  struct rig g;
  rig_init(&g);
  uint64_t s = 3;
  fill(pkt, 3 * D, 3);
  const enum sgp_jig_mode modes[] = {SGP_JIG_OFF, SGP_JIG_AONT, SGP_JIG_AONT_PARITY};
  for (size_t len = 1; len <= 3 * D; len++)
    for (int mi = 0; mi < 3; mi++)
      cr_assert(send_packet(&g, modes[mi], pkt, len, UINT32_MAX, &s), "len %zu mode %d", len, mi);
  cr_assert_eq(g.r.stats.bytes_in_use, 0);
  free(g.mem);
}

/* SGP-JIG-5: with aont-parity every single lost fragment (data or parity)
 * is recovered, for short, exact and long last fragments; two lost are not. */
Test(jigsaw, parity_recovers_any_single_lost_fragment) {
  struct rig g;
  rig_init(&g);
  uint64_t s = 4;
  const size_t sizes[] = {1,
                          100,
                          D - 32,
                          D - 31,
                          D,
                          2 * D - 33,
                          2 * D - 32,
                          2 * D - 31,
                          3 * D - 32 - 500,
                          5 * D,
                          17 * D + 3,
                          60000,
                          SGP_FRAG_MAX_PLAIN};
  fill(pkt, SGP_FRAG_MAX_PLAIN, 4);
  for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
    struct sgp_frag_layout l;
    cr_assert_eq(sgp_frag_layout((uint32_t)sizes[si] + 32, AP, &l), SGP_OK);
    for (uint32_t lost = 0; lost < l.count; lost++) {
      if (l.count > 20 && lost > 2 && lost + 3 < l.count && lost % 37 != 0) continue;
      cr_assert(send_packet(&g, SGP_JIG_AONT_PARITY, pkt, sizes[si], lost, &s), "len %zu lost %u",
                sizes[si], lost);
    }
  }
  /* Two lost data fragments: not delivered (it would time out). */
  size_t mlen, got = 0;
  uint8_t flags;
  cr_assert_eq(
      sgp_jig_encode(SGP_JIG_AONT_PARITY, pkt, 5000, det_rng, &s, pkg, sizeof pkg, &mlen, &flags),
      SGP_OK);
  g.id++;
  for (uint32_t i = 2; i < 6; i++) {
    cr_assert_eq(put(&g, pkg, mlen, flags, g.id, i, &got), SGP_OK);
    cr_assert_eq(got, 0);
  }
  free(g.mem);
}

/* SGP-JIG-5 on the contiguous helpers: parity = XOR of zero-padded
 * fragments; rebuild restores each fragment from garbage. */
Test(jigsaw, parity_and_rebuild_helpers) {
  const size_t sizes[] = {1, 700, D, D + 1, 3 * D - 1, 3 * D, 7 * D + 5};
  for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
    size_t len = sizes[si], k = (len + D - 1) / D, plen;
    fill(pkt, len, (uint32_t)len);
    uint8_t par[D], want[D] = {0};
    cr_assert_eq(sgp_jig_parity(pkt, len, par, sizeof par, &plen), SGP_OK);
    cr_assert_eq(plen, len < D ? len : D);
    for (size_t off = 0; off < len; off++) want[off % D] ^= pkt[off];
    cr_assert_eq(memcmp(par, want, plen), 0);
    for (uint32_t miss = 0; miss < k; miss++) {
      memcpy(back, pkt, len);
      size_t at = (size_t)miss * D, n = len - at < D ? len - at : D;
      memset(back + at, 0xcc, n);
      cr_assert_eq(sgp_jig_rebuild(back, len, miss, par, plen), SGP_OK);
      cr_assert_eq(memcmp(back, pkt, len), 0, "len %zu missing %u", len, miss);
    }
    cr_assert_eq(sgp_jig_rebuild(back, len, (uint32_t)k, par, plen), SGP_ERR_INVALID_ARG);
    if (len > 1) cr_assert_eq(sgp_jig_rebuild(back, len, 0, par, plen - 1), SGP_ERR_INVALID_ARG);
  }
  size_t plen;
  uint8_t par[D];
  cr_assert_eq(sgp_jig_parity(pkt, 0, par, sizeof par, &plen), SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_jig_parity(pkt, 2000, par, D - 1, &plen), SGP_ERR_NO_SPACE);
}

/* All-or-nothing: changing any single byte of the package (ciphertext or
 * key block) turns the whole inverse into unrelated bytes. */
Test(jigsaw, any_changed_byte_garbles_everything) {
  const size_t sizes[] = {1, 100, 3 * D - 32};
  uint64_t s = 5;
  for (size_t si = 0; si < 3; si++) {
    size_t len = sizes[si], n, m;
    fill(pkt, len, (uint32_t)si + 50);
    cr_assert_eq(sgp_jig_aont(pkt, len, det_rng, &s, pkg, sizeof pkg, &n), SGP_OK);
    size_t same = 0; /* len 1: chance 1/256 per position that the byte survives */
    for (size_t pos = 0; pos < n; pos++) {
      if (len > 100 && pos % 97 != 0 && pos + 40 < n && pos % D > 1) continue;
      pkg[pos] ^= 0x01;
      cr_assert_eq(sgp_jig_aont_inverse(pkg, n, back, sizeof back, &m), SGP_OK);
      pkg[pos] ^= 0x01;
      if (len == 1)
        same += back[0] == pkt[0];
      else
        cr_assert_gt(differ(back, pkt, len), 0.9, "len %zu pos %zu", len, pos);
    }
    cr_assert_leq(same, 2);
  }
}

/* All-or-nothing across fragments: a holder of any proper subset of the
 * three fragments of a package, guessing the rest as zeros (or as random
 * bytes), learns nothing of the plaintext, not even of the fragments held. */
Test(jigsaw, proper_subset_of_fragments_reveals_nothing) {
  const size_t len = 3 * D - 32, n = 3 * D;
  uint64_t s = 6;
  size_t pn, m;
  fill(pkt, len, 60);
  cr_assert_eq(sgp_jig_aont(pkt, len, det_rng, &s, pkg, sizeof pkg, &pn), SGP_OK);
  cr_assert_eq(pn, n);
  static uint8_t guess[3 * D];
  for (unsigned held = 0; held < 7; held++) { /* bit i: fragment i held; 7 = all */
    for (int fillmode = 0; fillmode < 2; fillmode++) {
      for (uint32_t i = 0; i < 3; i++) {
        if (held & (1u << i))
          memcpy(guess + i * D, pkg + i * D, D);
        else if (fillmode == 0)
          memset(guess + i * D, 0, D);
        else
          fill(guess + i * D, D, 600 + i);
      }
      cr_assert_eq(sgp_jig_aont_inverse(guess, n, back, sizeof back, &m), SGP_OK);
      for (uint32_t i = 0; i < 3; i++) {
        size_t at = (size_t)i * D, fl = i < 2 ? D : D - 32;
        cr_assert_gt(differ(back + at, pkt + at, fl), 0.9, "held %u frag %u", held, i);
      }
    }
  }
  cr_assert_eq(sgp_jig_aont_inverse(pkg, n, back, sizeof back, &m), SGP_OK);
  cr_assert_eq(memcmp(back, pkt, len), 0);
}

/* SGP-JIG-7, SGP-JIG-1: jigsaw messages go through the same checks: bad
 * flags, overlap, inconsistency, done. */
Test(jigsaw, reassembly_checks_apply_with_jigsaw) {
  struct rig g;
  rig_init(&g);
  uint64_t s = 7;
  size_t mlen, got;
  uint8_t flags;
  fill(pkt, 4000, 7);
  cr_assert_eq(
      sgp_jig_encode(SGP_JIG_AONT_PARITY, pkt, 4000, det_rng, &s, pkg, sizeof pkg, &mlen, &flags),
      SGP_OK);
  struct sgp_frag_hdr h;
  uint8_t frag[D];
  size_t n;
  cr_assert_eq(sgp_frag_make(pkg, mlen, flags, 1, 4, &h, frag, sizeof frag, &n), SGP_OK);
  cr_assert_eq(sgp_reasm_add(&g.r, g.sid, &h, frag, n, 0, out, sizeof out, &got), SGP_OK);
  frag[0] ^= 1;
  cr_assert_eq(sgp_reasm_add(&g.r, g.sid, &h, frag, n, 0, out, sizeof out, &got),
               SGP_ERR_FRAG_OVERLAP);
  cr_assert_eq(sgp_reasm_add(&g.r, g.sid, &h, frag, n, 0, out, sizeof out, &got),
               SGP_ERR_FRAG_DONE);
  cr_assert_eq(sgp_frag_make(pkg, mlen, flags, 2, 0, &h, frag, sizeof frag, &n), SGP_OK);
  cr_assert_eq(sgp_reasm_add(&g.r, g.sid, &h, frag, n, 0, out, sizeof out, &got), SGP_OK);
  h.flags = SGP_FRAG_FLAG_AONT;
  h.count = 4;
  h.index = 1;
  cr_assert_eq(sgp_reasm_add(&g.r, g.sid, &h, frag, n, 0, out, sizeof out, &got),
               SGP_ERR_FRAG_INCONSISTENT);
  h.flags = SGP_FRAG_FLAG_PARITY;
  cr_assert_eq(sgp_reasm_add(&g.r, g.sid, &h, frag, n, 0, out, sizeof out, &got), SGP_ERR_RESERVED);
  cr_assert_eq(g.r.stats.drop_flags, 1);
  free(g.mem);
}
