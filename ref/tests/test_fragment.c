/* Fragmenter and reassembler (sgp/fragment.h), spec §8.1-8.3.
 *
 * Requirement IDs used here:
 *  SGP-FRAG-1   a message is sent as frag_count fragments sharing msg_id,
 *               flags, frag_count, total_len, with the §8.1 plaintexts.
 *  SGP-FRAG-2   msg_ids 1, 2, 3, ...; 0 only for keepalives.
 *  SGP-FRAG-5   stateless header checks (msg_id 0, total_len limits,
 *               frag_count, frag_index, length), each with its own code.
 *  SGP-FRAG-6   different flags/count/total or different bytes in a slot
 *               discard the whole message and record it as done.
 *  SGP-FRAG-7   identical duplicates are ignored.
 *  SGP-FRAG-8   T (+P) reserved at the first fragment; fixed slots.
 *  SGP-FRAG-9   4 messages / 524352 bytes per peer; oldest evicted.
 *  SGP-FRAG-10  global byte cap: the new message is dropped, no other peer
 *               touched.
 *  SGP-FRAG-11  REASM_TIMEOUT from the first fragment.
 *  SGP-FRAG-12  done-id window of 64 per receiving session.
 *  SGP-FRAG-13  delivered exactly once, as soon as complete.
 *  SGP-FRAG-14  a discarded session frees its reassembly state.
 *  SGP-JIG-1    flags other than 0x00, 0x01, 0x03 are dropped.
 *  SGP-XPORT-49 reassembly state changes only for authenticated fragments:
 *               sgp_reasm_add is the post-AEAD entry point and every
 *               stateless rejection leaves the memory block byte-identical.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sgp/fragment.h"
#include "sgp/jigsaw.h"
#include "testutil.h"

#define D SGP_FRAG_DATA
#define AONT SGP_FRAG_FLAG_AONT
#define AP (SGP_FRAG_FLAG_AONT | SGP_FRAG_FLAG_PARITY)

static uint8_t out[SGP_FRAG_MAX_MESSAGE];
static uint8_t msgbuf[SGP_FRAG_MAX_MESSAGE];
static uint8_t frag[SGP_FRAG_DATA];

/* ---- helpers ------------------------------------------------------------ */

struct rig {
  struct sgp_reasm r;
  struct sgp_reasm_params p;
  void *mem;
  size_t len;
};

static void rig_init_p(struct rig *g, const struct sgp_reasm_params *p) {
  g->p = *p;
  g->len = sgp_reasm_mem_size(p);
  cr_assert_gt(g->len, 0);
  g->mem = malloc(g->len);
  cr_assert(g->mem);
  memset(g->mem, 0xa5, g->len); /* init must not rely on zeroed memory */
  cr_assert_eq(sgp_reasm_init(&g->r, g->mem, g->len, p), SGP_OK);
}

/* Spec defaults except a 4 MiB global cap (every unit test fits in it;
 * smaller blocks keep the ASan run fast).  The floods use the defaults. */
static void rig_init(struct rig *g, uint32_t n) {
  struct sgp_reasm_params p;
  sgp_reasm_params_default(&p, n);
  p.global_bytes = 4u << 20;
  rig_init_p(g, &p);
}

static void rig_free(struct rig *g) {
  free(g->mem);
  g->mem = NULL;
}

static sgp_reasm_sid open_sess(struct rig *g, uint32_t peer) {
  sgp_reasm_sid sid = 0;
  cr_assert_eq(sgp_reasm_session_open(&g->r, peer, &sid), SGP_OK);
  return sid;
}

static void fill(uint8_t *b, size_t n, uint32_t seed) {
  uint64_t s = 0x9e3779b97f4a7c15ull ^ seed;
  for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(tu_rand(&s) >> 40);
}

/* Fragment index i of msg; asserts success. */
static size_t mk(const uint8_t *msg, size_t len, uint8_t flags, uint32_t id, uint32_t i,
                 struct sgp_frag_hdr *h, uint8_t *buf) {
  size_t n = 0;
  cr_assert_eq(sgp_frag_make(msg, len, flags, id, i, h, buf, SGP_FRAG_DATA, &n), SGP_OK,
               "make T=%zu flags=%u i=%u", len, flags, i);
  return n;
}

static sgp_err add(struct rig *g, sgp_reasm_sid sid, const struct sgp_frag_hdr *h, const uint8_t *b,
                   size_t n, uint64_t now, size_t *got) {
  return sgp_reasm_add(&g->r, sid, h, b, n, now, out, sizeof out, got);
}

/* Feeds fragment i of msg; returns the add result. */
static sgp_err feed(struct rig *g, sgp_reasm_sid sid, const uint8_t *msg, size_t len, uint8_t flags,
                    uint32_t id, uint32_t i, uint64_t now, size_t *got) {
  struct sgp_frag_hdr h;
  size_t n = mk(msg, len, flags, id, i, &h, frag);
  return add(g, sid, &h, frag, n, now, got);
}

static uint32_t count_of(size_t len, uint8_t flags) {
  struct sgp_frag_layout l;
  cr_assert_eq(sgp_frag_layout((uint32_t)len, flags, &l), SGP_OK);
  return l.count;
}

/* Feeds the fragments listed in order[0..n) and asserts that exactly the
 * last one delivers the message, byte-exact. */
static void feed_order(struct rig *g, sgp_reasm_sid sid, const uint8_t *msg, size_t len,
                       uint8_t flags, uint32_t id, const uint32_t *order, uint32_t n,
                       uint64_t now) {
  for (uint32_t j = 0; j < n; j++) {
    size_t got = 99;
    cr_assert_eq(feed(g, sid, msg, len, flags, id, order[j], now, &got), SGP_OK,
                 "T=%zu flags=%u frag %u (step %u)", len, flags, order[j], j);
    if (j + 1 < n) {
      cr_assert_eq(got, 0, "T=%zu delivered early at step %u", len, j);
    } else {
      cr_assert_eq(got, len, "T=%zu not delivered", len);
      cr_assert_eq(memcmp(out, msg, len), 0, "T=%zu content", len);
    }
  }
}

/* Everything but the stats, and the caller's memory block. */
struct snap {
  struct sgp_reasm r;
  uint8_t *mem;
  size_t len;
};

static void snap_take(const struct rig *g, struct snap *s) {
  s->r = g->r;
  s->len = g->len;
  s->mem = malloc(g->len);
  cr_assert(s->mem);
  memcpy(s->mem, g->mem, g->len);
}

static void stats_eq(const struct sgp_reasm_stats *a, const struct sgp_reasm_stats *b) {
#define F(x) cr_assert_eq(a->x, b->x, "stats." #x)
  F(msgs_in_progress);
  F(msgs_high_water);
  F(pages_in_use);
  F(pages_high_water);
  F(bytes_in_use);
  F(bytes_high_water);
  F(sessions_open);
  F(fragments_stored);
  F(messages_delivered);
  F(drop_flags);
  F(drop_header);
  F(drop_length);
  F(drop_done);
  F(drop_duplicate);
  F(msg_inconsistent);
  F(msg_overlap);
  F(msg_cap);
  F(msg_evicted);
  F(msg_timeout);
  F(msg_closed);
#undef F
}

/* Asserts nothing changed except that the stats counter at byte offset
 * `field` (offsetof in struct sgp_reasm_stats) rose by one. */
static void snap_same(const struct rig *g, struct snap *s, size_t field) {
  struct sgp_reasm_stats want = s->r.stats;
  (*(uint64_t *)(void *)((uint8_t *)&want + field))++;
  stats_eq(&g->r.stats, &want);
  cr_assert_eq(g->r.now_ms, s->r.now_ms);
  cr_assert_eq(g->r.sess_gen, s->r.sess_gen);
  cr_assert_eq(g->r.free_slot, s->r.free_slot);
  cr_assert_eq(g->r.age_head, s->r.age_head);
  cr_assert_eq(g->r.age_tail, s->r.age_tail);
  cr_assert_eq(g->r.free_pages_n, s->r.free_pages_n);
  cr_assert_eq(memcmp(g->mem, s->mem, g->len), 0, "memory block changed");
  free(s->mem);
  s->mem = NULL;
}

#define ST(x) offsetof(struct sgp_reasm_stats, x)

/* ---- layout, header bytes, sender ---------------------------------------- */

/* SGP-FRAG-5 (limits of §8.1) */
Test(fragment, layout_limits_and_counts) {
  struct {
    uint32_t t;
    uint8_t flags, k, count;
    uint32_t p;
  } ok[] = {
      {1, 0, 1, 1, 0},
      {1157, 0, 1, 1, 0},
      {1158, 0, 1, 1, 0},
      {1159, 0, 2, 2, 0},
      {262144, 0, 227, 227, 0},
      {33, AONT, 1, 1, 0},
      {33, AP, 1, 2, 33},
      {1158, AP, 1, 2, 1158},
      {1159, AP, 2, 3, 1158},
      {262176, AONT, 227, 227, 0},
      {262176, AP, 227, 228, 1158},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    struct sgp_frag_layout l;
    cr_assert_eq(sgp_frag_layout(ok[i].t, ok[i].flags, &l), SGP_OK);
    cr_assert_eq(l.k, ok[i].k, "T=%u", ok[i].t);
    cr_assert_eq(l.count, ok[i].count, "T=%u", ok[i].t);
    cr_assert_eq(l.parity_len, ok[i].p, "T=%u", ok[i].t);
  }
  struct sgp_frag_layout l;
  cr_assert_eq(sgp_frag_layout(262176, AP, &l), SGP_OK);
  cr_assert_eq(sgp_frag_len(&l, 0), D);
  cr_assert_eq(sgp_frag_len(&l, 226), 262176 - 226 * D);
  cr_assert_eq(sgp_frag_len(&l, 227), D);
  cr_assert_eq(sgp_frag_len(&l, 228), 0);

  struct {
    uint32_t t;
    uint8_t flags;
  } bad[] = {{0, 0}, {262145, 0}, {0, AONT}, {32, AONT}, {32, AP}, {262177, AONT}, {262177, AP}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(sgp_frag_layout(bad[i].t, bad[i].flags, &l), SGP_ERR_FRAG_HEADER, "T=%u f=%u",
                 bad[i].t, bad[i].flags);
  /* SGP-JIG-1 */
  const uint8_t badflags[] = {0x02, 0x04, 0x05, 0x07, 0x80, 0xff};
  for (size_t i = 0; i < sizeof badflags; i++)
    cr_assert_eq(sgp_frag_layout(100, badflags[i], &l), SGP_ERR_RESERVED);
}

/* SGP-FRAG-1 (header fields in the associated data, §7.6 layout) */
Test(fragment, ad_bytes_golden_and_parse) {
  struct sgp_frag_hdr h = {
      .msg_id = 0xa1b2c3d4u, .total_len = 0x2710u, .flags = AP, .index = 5, .count = 10};
  uint8_t ad[SGP_FRAG_AD_BYTES];
  cr_assert_eq(sgp_frag_ad(ad, &h, 0x01020304u, 0x1122334455667788ull), SGP_OK);
  const uint8_t want[SGP_FRAG_AD_BYTES] = {0x04, 0x03, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x11,
                                           0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0xa1, 0xb2,
                                           0xc3, 0xd4, 0x05, 0x0a, 0x00, 0x00, 0x27, 0x10};
  cr_assert_eq(memcmp(ad, want, sizeof want), 0);

  struct sgp_frag_hdr g;
  uint32_t ri;
  uint64_t ctr;
  cr_assert_eq(sgp_frag_ad_parse(ad, sizeof ad, &g, &ri, &ctr), SGP_OK);
  cr_assert(g.msg_id == h.msg_id && g.total_len == h.total_len && g.flags == h.flags &&
            g.index == h.index && g.count == h.count);
  cr_assert_eq(ri, 0x01020304u);
  cr_assert_eq(ctr, 0x1122334455667788ull);

  /* Rejections leave the outputs alone. */
  struct sgp_frag_hdr keep = {.msg_id = 7};
  uint32_t ri0 = 9;
  uint64_t c0 = 9;
  cr_assert_eq(sgp_frag_ad_parse(ad, 25, &keep, &ri0, &c0), SGP_ERR_TRUNCATED);
  uint8_t bad[SGP_FRAG_AD_BYTES];
  memcpy(bad, ad, sizeof bad);
  bad[0] = 0x03;
  cr_assert_eq(sgp_frag_ad_parse(bad, sizeof bad, &keep, &ri0, &c0), SGP_ERR_DGRAM_TYPE);
  for (int pos = 2; pos <= 3; pos++) {
    memcpy(bad, ad, sizeof bad);
    bad[pos] = 0x01;
    cr_assert_eq(sgp_frag_ad_parse(bad, sizeof bad, &keep, &ri0, &c0), SGP_ERR_RESERVED);
  }
  /* SGP-JIG-1: every undefined flags value */
  for (unsigned f = 0; f < 256; f++) {
    memcpy(bad, ad, sizeof bad);
    bad[1] = (uint8_t)f;
    sgp_err want_rc = (f == 0 || f == 1 || f == 3) ? SGP_OK : SGP_ERR_RESERVED;
    struct sgp_frag_hdr t;
    cr_assert_eq(sgp_frag_ad_parse(bad, sizeof bad, &t, &ri, &ctr), want_rc, "flags %u", f);
    h.flags = (uint8_t)f;
    cr_assert_eq(sgp_frag_ad(bad, &h, 0, 0), want_rc, "flags %u", f);
  }
  cr_assert_eq(keep.msg_id, 7);
  cr_assert_eq(ri0, 9);
  cr_assert_eq(c0, 9);
}

Test(fragment, keepalive_shape) {
  struct sgp_frag_hdr k = {0};
  cr_assert(sgp_frag_is_keepalive(&k, 0));
  cr_assert(!sgp_frag_is_keepalive(&k, 1));
  k.msg_id = 1;
  cr_assert(!sgp_frag_is_keepalive(&k, 0));
  /* msg_id 0 is never a fragment (SGP-FRAG-5) */
  cr_assert_eq(sgp_frag_check(&(struct sgp_frag_hdr){0}, 0), SGP_ERR_FRAG_HEADER);
}

/* SGP-FRAG-2 */
Test(fragment, message_ids_count_from_one) {
  uint32_t ctr = 0, id = 0;
  for (uint32_t want = 1; want <= 3; want++) {
    cr_assert_eq(sgp_frag_next_id(&ctr, &id), SGP_OK);
    cr_assert_eq(id, want);
  }
  ctr = UINT32_MAX - 1;
  cr_assert_eq(sgp_frag_next_id(&ctr, &id), SGP_OK);
  cr_assert_eq(id, UINT32_MAX);
  cr_assert_eq(sgp_frag_next_id(&ctr, &id), SGP_ERR_EXHAUSTED);
  cr_assert_eq(id, UINT32_MAX);
  struct sgp_frag_hdr h;
  size_t n;
  cr_assert_eq(sgp_frag_make(msgbuf, 10, 0, 0, 0, &h, frag, sizeof frag, &n), SGP_ERR_INVALID_ARG);
}

/* SGP-FRAG-1 */
Test(fragment, sender_fragments_share_header_and_rebuild_message) {
  const uint32_t sizes[] = {1, 33, 1157, 1158, 1159, 2316, 2317, 262144, 262176};
  const uint8_t flagset[] = {0, AONT, AP};
  static uint8_t cat[SGP_FRAG_MAX_MESSAGE];
  for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
    for (size_t fi = 0; fi < sizeof flagset; fi++) {
      struct sgp_frag_layout l;
      if (sgp_frag_layout(sizes[si], flagset[fi], &l) != SGP_OK) continue;
      fill(msgbuf, sizes[si], sizes[si]);
      uint8_t parity[D] = {0};
      size_t at = 0;
      for (uint32_t i = 0; i < l.count; i++) {
        struct sgp_frag_hdr h;
        size_t n = mk(msgbuf, sizes[si], flagset[fi], 42, i, &h, frag);
        cr_assert(h.msg_id == 42 && h.flags == flagset[fi] && h.count == l.count &&
                  h.total_len == sizes[si] && h.index == i);
        cr_assert_eq(n, sgp_frag_len(&l, i));
        cr_assert_eq(sgp_frag_check(&h, n), SGP_OK);
        if (i < l.k) {
          memcpy(cat + at, frag, n);
          at += n;
          for (size_t b = 0; b < n; b++) parity[b] ^= frag[b];
        } else {
          cr_assert_eq(n, l.parity_len);
          cr_assert_eq(memcmp(frag, parity, n), 0, "parity T=%u", sizes[si]);
        }
      }
      cr_assert_eq(at, sizes[si]);
      cr_assert_eq(memcmp(cat, msgbuf, at), 0);
    }
  }
  struct sgp_frag_hdr h;
  size_t n;
  cr_assert_eq(sgp_frag_make(msgbuf, 262145, 0, 1, 0, &h, frag, sizeof frag, &n),
               SGP_ERR_TOO_LARGE);
  cr_assert_eq(sgp_frag_make(msgbuf, 262177, AONT, 1, 0, &h, frag, sizeof frag, &n),
               SGP_ERR_TOO_LARGE);
  cr_assert_eq(sgp_frag_make(msgbuf, 0, 0, 1, 0, &h, frag, sizeof frag, &n), SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_frag_make(msgbuf, 32, AONT, 1, 0, &h, frag, sizeof frag, &n),
               SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_frag_make(msgbuf, 1159, 0, 1, 2, &h, frag, sizeof frag, &n),
               SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_frag_make(msgbuf, 1159, 0x02, 1, 0, &h, frag, sizeof frag, &n),
               SGP_ERR_RESERVED);
  cr_assert_eq(sgp_frag_make(msgbuf, 1159, 0, 1, 0, &h, frag, 1157, &n), SGP_ERR_NO_SPACE);
  cr_assert_eq(sgp_frag_make(msgbuf, 1159, 0, 1, 1, &h, frag, 1, &n), SGP_OK);
}

/* ---- round trips ---------------------------------------------------------- */

static void shuffle(uint32_t *a, uint32_t n, uint64_t *s) {
  for (uint32_t i = n; i > 1; i--) {
    uint32_t j = (uint32_t)(tu_rand(s) % i);
    uint32_t t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
  }
}

/* SGP-FRAG-8, SGP-FRAG-13: sizes 1, 1157, 1158, 1159 and the maxima, in
 * order, reversed and shuffled, all three flags values. */
Test(fragment, round_trip_sizes_in_any_order) {
  struct rig g;
  rig_init(&g, 4);
  sgp_reasm_sid sid = open_sess(&g, 1);
  const uint32_t sizes[] = {1, 33, 1157, 1158, 1159, 5000, 262144, 262176};
  const uint8_t flagset[] = {0, AONT, AP};
  uint32_t id = 0, order[SGP_FRAG_MAX_FRAGMENTS];
  uint64_t s = 7;
  for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
    for (size_t fi = 0; fi < sizeof flagset; fi++) {
      struct sgp_frag_layout l;
      if (sgp_frag_layout(sizes[si], flagset[fi], &l) != SGP_OK) continue;
      fill(msgbuf, sizes[si], sizes[si] * 3u + (uint32_t)fi);
      for (int mode = 0; mode < 3; mode++) {
        /* Only the data fragments: with PARITY the last one is not needed. */
        uint32_t n = l.k;
        for (uint32_t i = 0; i < n; i++) order[i] = mode == 1 ? n - 1 - i : i;
        if (mode == 2) shuffle(order, n, &s);
        feed_order(&g, sid, msgbuf, sizes[si], flagset[fi], ++id, order, n, 0);
        cr_assert_eq(g.r.stats.bytes_in_use, 0);
        cr_assert_eq(g.r.stats.pages_in_use, 0);
        cr_assert_eq(g.r.stats.msgs_in_progress, 0);
      }
    }
  }
  cr_assert_eq(g.r.stats.messages_delivered, id);
  rig_free(&g);
}

/* SGP-FRAG-8: the reservation is T, plus P with PARITY, from the first fragment. */
Test(fragment, reservation_is_total_plus_parity) {
  struct rig g;
  rig_init(&g, 2);
  sgp_reasm_sid sid = open_sess(&g, 0);
  size_t got;
  fill(msgbuf, 262176, 1);
  cr_assert_eq(feed(&g, sid, msgbuf, 5000, 0, 1, 2, 0, &got), SGP_OK);
  cr_assert_eq(g.r.stats.bytes_in_use, 5000);
  cr_assert_eq(feed(&g, sid, msgbuf, 262176, AP, 2, 100, 0, &got), SGP_OK);
  cr_assert_eq(g.r.stats.bytes_in_use, 5000 + 262176 + D);
  cr_assert_eq(sgp_reasm_peer_bytes(&g.r, 0), 5000 + 262176 + D);
  cr_assert_eq(sgp_reasm_peer_msgs(&g.r, 0), 2);
  cr_assert_eq(g.r.stats.pages_in_use, 2);
  cr_assert_eq(g.r.stats.msgs_in_progress, 2);
  rig_free(&g);
}

/* ---- rejections ------------------------------------------------------------ */

/* SGP-FRAG-5, SGP-JIG-1, SGP-XPORT-49: each stateless rejection has its code,
 * counts once and leaves every byte of state as it was, also when its msg_id
 * is a message in reassembly (that message is kept). */
Test(fragment, stateless_rejections_change_nothing) {
  struct rig g;
  rig_init(&g, 2);
  sgp_reasm_sid sid = open_sess(&g, 0);
  const uint32_t T = 3000; /* k = 3: lengths 1158, 1158, 684; P = 1158 */
  fill(msgbuf, T, 5);
  size_t got;
  cr_assert_eq(feed(&g, sid, msgbuf, T, AP, 9, 0, 10, &got), SGP_OK);

  struct {
    struct sgp_frag_hdr h;
    size_t len;
    sgp_err want;
    size_t field;
  } cases[] = {
      {{0, T, AP, 1, 4}, D, SGP_ERR_FRAG_HEADER, ST(drop_header)},        /* msg_id 0 */
      {{9, 0, 0, 0, 1}, 0, SGP_ERR_FRAG_HEADER, ST(drop_header)},         /* T = 0 */
      {{9, 262145, 0, 0, 227}, D, SGP_ERR_FRAG_HEADER, ST(drop_header)},  /* T > max */
      {{9, 262177, AP, 0, 228}, D, SGP_ERR_FRAG_HEADER, ST(drop_header)}, /* T > max, AONT */
      {{9, 32, AONT, 0, 1}, 32, SGP_ERR_FRAG_HEADER, ST(drop_header)},    /* T < 33, AONT */
      {{9, T, AP, 1, 3}, D, SGP_ERR_FRAG_HEADER, ST(drop_header)},        /* count != k + 1 */
      {{9, T, AP, 1, 5}, D, SGP_ERR_FRAG_HEADER, ST(drop_header)},        /* count != k + 1 */
      {{9, T, 0, 1, 4}, D, SGP_ERR_FRAG_HEADER, ST(drop_header)},         /* count != k */
      {{9, T, AP, 4, 4}, D, SGP_ERR_FRAG_HEADER, ST(drop_header)},        /* index == count */
      {{9, T, AP, 255, 4}, D, SGP_ERR_FRAG_HEADER, ST(drop_header)},      /* index > count */
      {{9, T, AP, 1, 4}, D - 1, SGP_ERR_FRAG_LENGTH, ST(drop_length)},    /* short */
      {{9, T, AP, 1, 4}, D + 1, SGP_ERR_FRAG_LENGTH, ST(drop_length)},    /* long */
      {{9, T, AP, 2, 4}, 683, SGP_ERR_FRAG_LENGTH, ST(drop_length)},      /* last, short */
      {{9, T, AP, 2, 4}, 685, SGP_ERR_FRAG_LENGTH, ST(drop_length)},      /* last, long */
      {{9, T, AP, 3, 4}, 684, SGP_ERR_FRAG_LENGTH, ST(drop_length)},      /* parity != P */
      {{9, T, AP, 1, 4}, 0, SGP_ERR_FRAG_LENGTH, ST(drop_length)},        /* empty */
      {{9, T, 0x02, 1, 4}, D, SGP_ERR_RESERVED, ST(drop_flags)},          /* PARITY alone */
      {{9, T, 0x07, 1, 4}, D, SGP_ERR_RESERVED, ST(drop_flags)},          /* undefined bit */
      {{9, T, 0x80, 1, 3}, D, SGP_ERR_RESERVED, ST(drop_flags)},          /* undefined bit */
  };
  static uint8_t junk[D + 1];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct snap s;
    snap_take(&g, &s);
    cr_assert_eq(add(&g, sid, &cases[i].h, junk, cases[i].len, 20, &got), cases[i].want, "case %zu",
                 i);
    cr_assert_eq(got, 0);
    snap_same(&g, &s, cases[i].field);
  }
  /* The message is intact and completes. */
  uint32_t order[] = {2, 1};
  feed_order(&g, sid, msgbuf, T, AP, 9, order, 2, 30);
  rig_free(&g);
}

/* SGP-FRAG-7: exact duplicates are ignored, in any position. */
Test(fragment, duplicate_ignored_without_state_change) {
  struct rig g;
  rig_init(&g, 2);
  sgp_reasm_sid sid = open_sess(&g, 1);
  const uint32_t T = 5000; /* k = 5 */
  fill(msgbuf, T, 6);
  size_t got;
  cr_assert_eq(feed(&g, sid, msgbuf, T, AP, 3, 4, 0, &got), SGP_OK);
  cr_assert_eq(feed(&g, sid, msgbuf, T, AP, 3, 5, 0, &got), SGP_OK); /* parity */
  cr_assert_eq(feed(&g, sid, msgbuf, T, AP, 3, 0, 0, &got), SGP_OK);
  for (uint32_t i = 0; i < 6; i++) {
    if (i != 4 && i != 5 && i != 0) continue;
    for (int rep = 0; rep < 2; rep++) {
      struct snap s;
      snap_take(&g, &s);
      cr_assert_eq(feed(&g, sid, msgbuf, T, AP, 3, i, 0, &got), SGP_ERR_FRAG_DUPLICATE);
      snap_same(&g, &s, ST(drop_duplicate));
    }
  }
  cr_assert_eq(feed(&g, sid, msgbuf, T, AP, 3, 1, 0, &got), SGP_OK);
  cr_assert_eq(got, 0);
  cr_assert_eq(feed(&g, sid, msgbuf, T, AP, 3, 2, 0, &got), SGP_OK); /* 4 data + parity */
  cr_assert_eq(got, T);
  cr_assert_eq(memcmp(out, msgbuf, T), 0);
  rig_free(&g);
}

/* Expects the message (peer, id) to be gone and recorded as done. */
static void assert_discarded(struct rig *g, sgp_reasm_sid sid, uint32_t peer, uint32_t id,
                             const uint8_t *msg, size_t len, uint8_t flags) {
  cr_assert_eq(sgp_reasm_peer_msgs(&g->r, peer), 0);
  cr_assert_eq(sgp_reasm_peer_bytes(&g->r, peer), 0);
  cr_assert_eq(g->r.stats.bytes_in_use, 0);
  cr_assert_eq(g->r.stats.pages_in_use, 0);
  cr_assert(sgp_reasm_is_done(&g->r, sid, id));
  size_t got;
  struct snap s;
  snap_take(g, &s);
  cr_assert_eq(feed(g, sid, msg, len, flags, id, 0, 0, &got), SGP_ERR_FRAG_DONE);
  snap_same(g, &s, ST(drop_done));
}

/* SGP-FRAG-6: a slot with different bytes discards the whole message
 * (RFC 5722): first byte, last byte, the short last fragment, the parity. */
Test(fragment, overlap_discards_whole_message) {
  const uint32_t T = 3000;
  const uint32_t idx[] = {0, 0, 2, 3};
  const size_t pos[] = {0, D - 1, 683, 17};
  for (size_t c = 0; c < 4; c++) {
    struct rig g;
    rig_init(&g, 2);
    sgp_reasm_sid sid = open_sess(&g, 0);
    fill(msgbuf, T, 8);
    size_t got;
    struct sgp_frag_hdr h;
    cr_assert_eq(feed(&g, sid, msgbuf, T, AP, 5, idx[c], 0, &got), SGP_OK);
    cr_assert_eq(g.r.stats.msgs_in_progress, 1);
    size_t n = mk(msgbuf, T, AP, 5, idx[c], &h, frag);
    frag[pos[c]] ^= 0x01;
    cr_assert_eq(add(&g, sid, &h, frag, n, 0, &got), SGP_ERR_FRAG_OVERLAP, "case %zu", c);
    cr_assert_eq(g.r.stats.msg_overlap, 1);
    cr_assert_eq(g.r.stats.msgs_in_progress, 0);
    assert_discarded(&g, sid, 0, 5, msgbuf, T, AP);
    rig_free(&g);
  }
}

/* SGP-FRAG-6: flags, frag_count or total_len differing from the first
 * fragment of the same msg_id (each variant header-valid on its own). */
Test(fragment, inconsistent_header_discards_whole_message) {
  struct {
    uint32_t t1;
    uint8_t f1;
    uint32_t t2;
    uint8_t f2;
  } cases[] = {
      {3000, 0, 3001, 0},     /* total differs, same count */
      {3000, 0, 4000, 0},     /* total and count differ */
      {3000, 0, 3000, AONT},  /* flags differ, same count */
      {3000, AONT, 3000, AP}, /* flags and count differ */
      {3000, AP, 2500, AP},   /* total differs, same count */
  };
  static uint8_t other[8000];
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    struct rig g;
    rig_init(&g, 2);
    sgp_reasm_sid sid = open_sess(&g, 1);
    fill(msgbuf, cases[c].t1, 9);
    memcpy(other, msgbuf, cases[c].t2 < cases[c].t1 ? cases[c].t2 : cases[c].t1);
    size_t got;
    cr_assert_eq(feed(&g, sid, msgbuf, cases[c].t1, cases[c].f1, 77, 0, 0, &got), SGP_OK);
    cr_assert_eq(feed(&g, sid, other, cases[c].t2, cases[c].f2, 77, 1, 0, &got),
                 SGP_ERR_FRAG_INCONSISTENT, "case %zu", c);
    cr_assert_eq(g.r.stats.msg_inconsistent, 1);
    assert_discarded(&g, sid, 1, 77, msgbuf, cases[c].t1, cases[c].f1);
    rig_free(&g);
  }
}

/* SGP-FRAG-13, SGP-FRAG-7: out of order with duplicates in between; the
 * fragment after delivery is a done message's. */
Test(fragment, out_of_order_with_duplicates_delivers_once) {
  struct rig g;
  rig_init(&g, 2);
  sgp_reasm_sid sid = open_sess(&g, 0);
  const uint32_t T = 10 * D + 1; /* k = 11 */
  fill(msgbuf, T, 10);
  const uint32_t order[] = {10, 3, 3, 0, 7, 10, 1, 2, 9, 8, 0, 4, 6, 5};
  size_t got, delivered = 0;
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
    sgp_err rc = feed(&g, sid, msgbuf, T, 0, 1, order[i], 0, &got);
    if (i == 2 || i == 5 || i == 10) {
      cr_assert_eq(rc, SGP_ERR_FRAG_DUPLICATE, "step %zu", i);
      continue;
    }
    cr_assert_eq(rc, SGP_OK, "step %zu", i);
    if (got) {
      delivered++;
      cr_assert_eq(i, 13);
      cr_assert_eq(memcmp(out, msgbuf, T), 0);
    }
  }
  cr_assert_eq(delivered, 1);
  cr_assert_eq(feed(&g, sid, msgbuf, T, 0, 1, 4, 0, &got), SGP_ERR_FRAG_DONE);
  rig_free(&g);
}

/* SGP-FRAG-13: with PARITY, delivery at any k of the k + 1 fragments; the
 * remaining one is then a done message's.  For k = 1 either fragment alone. */
Test(fragment, parity_delivers_at_k_of_k_plus_1) {
  struct rig g;
  rig_init(&g, 2);
  sgp_reasm_sid sid = open_sess(&g, 0);
  size_t got;
  uint32_t id = 0;
  fill(msgbuf, 100, 11);
  for (uint32_t i = 0; i < 2; i++) {
    cr_assert_eq(feed(&g, sid, msgbuf, 100, AP, ++id, i, 0, &got), SGP_OK);
    cr_assert_eq(got, 100);
    cr_assert_eq(memcmp(out, msgbuf, 100), 0);
    cr_assert_eq(feed(&g, sid, msgbuf, 100, AP, id, 1 - i, 0, &got), SGP_ERR_FRAG_DONE);
  }
  /* k = 3: drop each index in turn. */
  const uint32_t T = 3000;
  fill(msgbuf, T, 12);
  for (uint32_t lost = 0; lost < 4; lost++) {
    uint32_t order[3], n = 0;
    for (uint32_t i = 0; i < 4; i++)
      if (i != lost) order[n++] = i;
    feed_order(&g, sid, msgbuf, T, AP, ++id, order, 3, 0);
    cr_assert_eq(feed(&g, sid, msgbuf, T, AP, id, lost, 0, &got), SGP_ERR_FRAG_DONE);
  }
  cr_assert_eq(g.r.stats.bytes_in_use, 0);
  rig_free(&g);
}

/* ---- caps -------------------------------------------------------------------- */

/* SGP-FRAG-9: a peer's fifth message evicts its oldest (recorded as done);
 * other peers are untouched. */
Test(fragment, per_peer_message_cap_evicts_oldest) {
  struct rig g;
  rig_init(&g, 4);
  sgp_reasm_sid a = open_sess(&g, 0), b = open_sess(&g, 1);
  const uint32_t T = 3000;
  fill(msgbuf, T, 13);
  size_t got;
  cr_assert_eq(feed(&g, b, msgbuf, T, 0, 1, 0, 0, &got), SGP_OK);
  for (uint32_t id = 1; id <= 4; id++)
    cr_assert_eq(feed(&g, a, msgbuf, T, 0, id, 0, id, &got), SGP_OK);
  cr_assert_eq(sgp_reasm_peer_msgs(&g.r, 0), 4);
  cr_assert_eq(feed(&g, a, msgbuf, T, 0, 5, 0, 5, &got), SGP_OK);
  cr_assert_eq(g.r.stats.msg_evicted, 1);
  cr_assert_eq(sgp_reasm_peer_msgs(&g.r, 0), 4);
  cr_assert_eq(sgp_reasm_peer_bytes(&g.r, 0), 4 * T);
  cr_assert(sgp_reasm_is_done(&g.r, a, 1));
  cr_assert(!sgp_reasm_is_done(&g.r, a, 2));
  cr_assert_eq(feed(&g, a, msgbuf, T, 0, 1, 1, 6, &got), SGP_ERR_FRAG_DONE);
  /* Peer 1 still completes; peer 0's messages 2..5 too. */
  uint32_t rest[] = {1, 2};
  feed_order(&g, b, msgbuf, T, 0, 1, rest, 2, 7);
  for (uint32_t id = 2; id <= 5; id++) feed_order(&g, a, msgbuf, T, 0, id, rest, 2, 8);
  cr_assert_eq(g.r.stats.bytes_in_use, 0);
  rig_free(&g);
}

/* SGP-FRAG-9: 524352 bytes per peer: two largest plain messages fit, a third
 * evicts the oldest; two largest AONT+parity messages (2 x 263334) do not. */
Test(fragment, per_peer_byte_cap_evicts_oldest) {
  struct rig g;
  rig_init(&g, 2);
  sgp_reasm_sid a = open_sess(&g, 0);
  size_t got;
  fill(msgbuf, 262176, 14);
  cr_assert_eq(feed(&g, a, msgbuf, 262144, 0, 1, 0, 0, &got), SGP_OK);
  cr_assert_eq(feed(&g, a, msgbuf, 262144, 0, 2, 0, 0, &got), SGP_OK);
  cr_assert_eq(sgp_reasm_peer_bytes(&g.r, 0), 524288);
  cr_assert_eq(g.r.stats.msg_evicted, 0);
  cr_assert_eq(feed(&g, a, msgbuf, 100 * D, 0, 3, 0, 0, &got), SGP_OK);
  cr_assert_eq(g.r.stats.msg_evicted, 1);
  cr_assert(sgp_reasm_is_done(&g.r, a, 1));
  cr_assert_eq(sgp_reasm_peer_bytes(&g.r, 0), 262144 + 100 * D);

  sgp_reasm_sid b = open_sess(&g, 1);
  cr_assert_eq(feed(&g, b, msgbuf, 262176, AP, 1, 0, 0, &got), SGP_OK);
  cr_assert_eq(feed(&g, b, msgbuf, 262176, AP, 2, 0, 0, &got), SGP_OK);
  cr_assert_eq(g.r.stats.msg_evicted, 2);
  cr_assert_eq(sgp_reasm_peer_msgs(&g.r, 1), 1);
  cr_assert_eq(sgp_reasm_peer_bytes(&g.r, 1), 262176 + D);
  rig_free(&g);
}

/* SGP-FRAG-10: over the global cap the NEW message is dropped and recorded
 * as done; nobody is evicted; messages complete on arrival still pass. */
Test(fragment, global_cap_refuses_new_message) {
  struct sgp_reasm_params p;
  sgp_reasm_params_default(&p, 8);
  p.global_bytes = SGP_REASM_GLOBAL_MIN; /* 1048576 = 4 x 262144 */
  struct rig g;
  rig_init_p(&g, &p);
  sgp_reasm_sid s[4];
  for (uint32_t i = 0; i < 4; i++) s[i] = open_sess(&g, i);
  size_t got;
  fill(msgbuf, 262176, 15);
  cr_assert_eq(feed(&g, s[0], msgbuf, 262144, 0, 1, 0, 0, &got), SGP_OK);
  cr_assert_eq(feed(&g, s[0], msgbuf, 262144, 0, 2, 0, 0, &got), SGP_OK);
  cr_assert_eq(feed(&g, s[1], msgbuf, 262144, 0, 1, 0, 0, &got), SGP_OK);
  cr_assert_eq(feed(&g, s[2], msgbuf, 262144, 0, 1, 0, 0, &got), SGP_OK);
  cr_assert_eq(g.r.stats.bytes_in_use, 1048576);

  uint64_t before[4];
  for (uint32_t i = 0; i < 4; i++) before[i] = sgp_reasm_peer_bytes(&g.r, i);
  cr_assert_eq(feed(&g, s[3], msgbuf, 1159, 0, 1, 1, 0, &got), SGP_ERR_FRAG_CAP);
  cr_assert_eq(g.r.stats.msg_cap, 1);
  cr_assert_eq(g.r.stats.msg_evicted, 0);
  for (uint32_t i = 0; i < 4; i++) cr_assert_eq(sgp_reasm_peer_bytes(&g.r, i), before[i]);
  cr_assert_eq(g.r.stats.bytes_in_use, 1048576);
  cr_assert(sgp_reasm_is_done(&g.r, s[3], 1));
  cr_assert_eq(feed(&g, s[3], msgbuf, 1159, 0, 1, 0, 0, &got), SGP_ERR_FRAG_DONE);

  /* A one-fragment message holds no memory and is delivered even now. */
  cr_assert_eq(feed(&g, s[3], msgbuf, 1158, 0, 2, 0, 0, &got), SGP_OK);
  cr_assert_eq(got, 1158);
  cr_assert_eq(memcmp(out, msgbuf, 1158), 0);
  /* A peer at its own cap may still replace its oldest (per-peer eviction
   * keeps the total unchanged). */
  cr_assert_eq(feed(&g, s[0], msgbuf, 262144, 0, 3, 0, 0, &got), SGP_OK);
  cr_assert_eq(g.r.stats.msg_evicted, 1);
  cr_assert_eq(g.r.stats.bytes_in_use, 1048576);
  /* ... but not grow past the global cap by evicting less than it needs. */
  cr_assert_eq(feed(&g, s[1], msgbuf, 262144, 0, 2, 0, 0, &got), SGP_ERR_FRAG_CAP);
  cr_assert_eq(g.r.stats.msg_evicted, 1);
  cr_assert_eq(sgp_reasm_peer_msgs(&g.r, 1), 1);
  rig_free(&g);
}

/* SGP-FRAG-10 with the fixed slot table as the limit. */
Test(fragment, slot_table_full_refuses_new_message) {
  struct sgp_reasm_params p;
  sgp_reasm_params_default(&p, 2);
  p.max_msgs = 4;
  struct rig g;
  rig_init_p(&g, &p);
  sgp_reasm_sid a = open_sess(&g, 0), b = open_sess(&g, 1);
  size_t got;
  fill(msgbuf, 3000, 16);
  for (uint32_t id = 1; id <= 4; id++)
    cr_assert_eq(feed(&g, a, msgbuf, 3000, 0, id, 0, 0, &got), SGP_OK);
  cr_assert_eq(feed(&g, b, msgbuf, 3000, 0, 1, 0, 0, &got), SGP_ERR_FRAG_CAP);
  cr_assert_eq(g.r.stats.msg_cap, 1);
  cr_assert_eq(sgp_reasm_peer_msgs(&g.r, 0), 4);
  /* Peer 0 itself evicts its oldest to reuse a slot. */
  cr_assert_eq(feed(&g, a, msgbuf, 3000, 0, 5, 0, 0, &got), SGP_OK);
  cr_assert_eq(g.r.stats.msg_evicted, 1);
  rig_free(&g);
}

/* ---- time, done window, sessions --------------------------------------------- */

/* SGP-FRAG-11: complete at 4999 ms after the first fragment, expired at 5000. */
Test(fragment, timeout_from_first_fragment) {
  struct rig g;
  rig_init(&g, 2);
  sgp_reasm_sid a = open_sess(&g, 0);
  size_t got;
  fill(msgbuf, 3000, 17);
  cr_assert_eq(feed(&g, a, msgbuf, 3000, 0, 1, 0, 1000, &got), SGP_OK);
  cr_assert_eq(feed(&g, a, msgbuf, 3000, 0, 1, 1, 3000, &got), SGP_OK);
  cr_assert_eq(feed(&g, a, msgbuf, 3000, 0, 1, 2, 5999, &got), SGP_OK);
  cr_assert_eq(got, 3000);

  cr_assert_eq(feed(&g, a, msgbuf, 3000, 0, 2, 0, 6000, &got), SGP_OK);
  cr_assert_eq(feed(&g, a, msgbuf, 3000, 0, 2, 1, 10999, &got), SGP_OK);
  cr_assert_eq(feed(&g, a, msgbuf, 3000, 0, 2, 2, 11000, &got), SGP_ERR_FRAG_DONE);
  cr_assert_eq(g.r.stats.msg_timeout, 1);
  cr_assert_eq(g.r.stats.bytes_in_use, 0);
  cr_assert(sgp_reasm_is_done(&g.r, a, 2));

  /* The sweep, and a clock that goes back, which counts as no time passing. */
  cr_assert_eq(feed(&g, a, msgbuf, 3000, 0, 3, 0, 20000, &got), SGP_OK);
  cr_assert_eq(feed(&g, a, msgbuf, 3000, 0, 4, 0, 21000, &got), SGP_OK);
  cr_assert_eq(sgp_reasm_expire(&g.r, 24999), 0);
  cr_assert_eq(sgp_reasm_expire(&g.r, 25000), 1);
  cr_assert_eq(sgp_reasm_expire(&g.r, 100), 0);
  cr_assert_eq(g.r.stats.msgs_in_progress, 1);
  cr_assert_eq(sgp_reasm_expire(&g.r, 26000), 1);
  cr_assert_eq(g.r.stats.msg_timeout, 3);
  cr_assert_eq(g.r.stats.msgs_in_progress, 0);
  cr_assert_eq(feed(&g, a, msgbuf, 3000, 0, 5, 0, 100, &got), SGP_OK);
  cr_assert_eq(sgp_reasm_expire(&g.r, 30999), 0); /* first_ms was taken as 26000 */
  cr_assert_eq(sgp_reasm_expire(&g.r, 31000), 1);
  rig_free(&g);
}

/* SGP-FRAG-12: a completed id replayed is ignored without a state change;
 * ids 64 or more below the highest done id are done; the window is per
 * session. */
Test(fragment, done_window_rejects_replayed_ids) {
  struct rig g;
  rig_init(&g, 2);
  sgp_reasm_sid a = open_sess(&g, 0), b = open_sess(&g, 0);
  size_t got;
  fill(msgbuf, 2000, 18);
  uint32_t both[] = {0, 1};
  feed_order(&g, a, msgbuf, 2000, 0, 1, both, 2, 0);
  for (uint32_t i = 0; i < 2; i++) {
    struct snap s;
    snap_take(&g, &s);
    cr_assert_eq(feed(&g, a, msgbuf, 2000, 0, 1, i, 0, &got), SGP_ERR_FRAG_DONE);
    snap_same(&g, &s, ST(drop_done));
  }
  /* Same id on another session of the same peer is a different message. */
  feed_order(&g, b, msgbuf, 2000, 0, 1, both, 2, 0);

  feed_order(&g, a, msgbuf, 2000, 0, 100, both, 2, 0);
  cr_assert(sgp_reasm_is_done(&g.r, a, 36));  /* 100 - 64 */
  cr_assert(!sgp_reasm_is_done(&g.r, a, 37)); /* 100 - 63, never seen */
  cr_assert(!sgp_reasm_is_done(&g.r, a, 101));
  cr_assert_eq(feed(&g, a, msgbuf, 2000, 0, 36, 0, 0, &got), SGP_ERR_FRAG_DONE);
  feed_order(&g, a, msgbuf, 2000, 0, 37, both, 2, 0);
  feed_order(&g, a, msgbuf, 2000, 0, 99, both, 2, 0);
  cr_assert(sgp_reasm_is_done(&g.r, a, 99) && sgp_reasm_is_done(&g.r, a, 37));
  /* A jump of 64 or more forgets the bits but not the floor. */
  feed_order(&g, a, msgbuf, 2000, 0, 1000, both, 2, 0);
  cr_assert(sgp_reasm_is_done(&g.r, a, 936));
  cr_assert(!sgp_reasm_is_done(&g.r, a, 937));
  cr_assert(sgp_reasm_is_done(&g.r, a, 100));
  /* Done ids discarded for a cause are in the same window. */
  cr_assert_eq(feed(&g, a, msgbuf, 2000, 0, 990, 0, 0, &got), SGP_OK);
  cr_assert_eq(feed(&g, a, msgbuf, 2000, 0x01, 990, 1, 0, &got), SGP_ERR_FRAG_INCONSISTENT);
  cr_assert(sgp_reasm_is_done(&g.r, a, 990));
  cr_assert_eq(feed(&g, a, msgbuf, 2000, 0, 990, 1, 0, &got), SGP_ERR_FRAG_DONE);
  rig_free(&g);
}

/* SGP-FRAG-14: closing a session frees its messages; its handle goes stale. */
Test(fragment, session_close_frees_state) {
  struct rig g;
  rig_init(&g, 2);
  sgp_reasm_sid a = open_sess(&g, 0), b = open_sess(&g, 0);
  size_t got;
  fill(msgbuf, 3000, 19);
  cr_assert_eq(feed(&g, a, msgbuf, 3000, 0, 1, 0, 0, &got), SGP_OK);
  cr_assert_eq(feed(&g, a, msgbuf, 3000, AP, 2, 3, 0, &got), SGP_OK);
  cr_assert_eq(feed(&g, b, msgbuf, 3000, 0, 1, 0, 0, &got), SGP_OK);
  cr_assert_eq(g.r.stats.sessions_open, 2);
  cr_assert_eq(sgp_reasm_session_close(&g.r, a), SGP_OK);
  cr_assert_eq(g.r.stats.msg_closed, 2);
  cr_assert_eq(g.r.stats.sessions_open, 1);
  cr_assert_eq(sgp_reasm_peer_msgs(&g.r, 0), 1);
  cr_assert_eq(g.r.stats.bytes_in_use, 3000);
  cr_assert_eq(g.r.stats.pages_in_use, 1);
  cr_assert_eq(sgp_reasm_session_close(&g.r, a), SGP_ERR_STATE);
  cr_assert_eq(feed(&g, a, msgbuf, 3000, 0, 1, 1, 0, &got), SGP_ERR_STATE);
  cr_assert(!sgp_reasm_is_done(&g.r, a, 1));
  /* The table entry is reused under a new handle with an empty window. */
  sgp_reasm_sid c = open_sess(&g, 1);
  cr_assert_neq(c, a);
  cr_assert_eq((uint32_t)c, (uint32_t)a);
  uint32_t rest[] = {1, 2};
  feed_order(&g, b, msgbuf, 3000, 0, 1, rest, 2, 0);
  cr_assert_eq(g.r.stats.bytes_in_use, 0);
  cr_assert_eq(sgp_reasm_session_open(&g.r, 2, &c), SGP_ERR_NODE_ID);
  rig_free(&g);
}

Test(fragment, params_memory_and_misuse) {
  struct sgp_reasm_params p;
  sgp_reasm_params_default(&p, 1000);
  cr_assert_eq(sgp_reasm_params_validate(&p), SGP_OK);
  cr_assert_eq(p.max_sessions, 3000);
  cr_assert_eq(p.max_msgs, 1024);
  cr_assert_eq(p.peer_msgs, 4);
  cr_assert_eq(p.peer_bytes, 524352);
  cr_assert_eq(p.global_bytes, 8388608);
  cr_assert_eq(p.timeout_ms, 5000);
  size_t sz = sgp_reasm_mem_size(&p);
  /* Message buffers are at most the global cap; the rest is fixed overhead. */
  size_t pages = (size_t)(8388608 / D) * D;
  cr_log_info("reassembly memory for n=1000: %zu bytes (%zu of pages, %zu fixed)", sz, pages,
              sz - pages);
  cr_assert_leq(pages, 8388608);
  cr_assert_lt(sz - pages, 4u << 20);

  struct sgp_reasm_params q = p;
  q.global_bytes = SGP_REASM_GLOBAL_MIN - 1;
  cr_assert_eq(sgp_reasm_params_validate(&q), SGP_ERR_RANGE);
  cr_assert_eq(sgp_reasm_mem_size(&q), 0);
  q = p;
  q.peer_bytes = SGP_FRAG_MAX_MESSAGE + D - 1;
  cr_assert_eq(sgp_reasm_params_validate(&q), SGP_ERR_RANGE);
  q = p;
  q.max_peers = 0;
  cr_assert_eq(sgp_reasm_params_validate(&q), SGP_ERR_RANGE);
  q = p;
  q.peer_msgs = q.max_msgs + 1;
  cr_assert_eq(sgp_reasm_params_validate(&q), SGP_ERR_RANGE);

  sgp_reasm_params_default(&p, 2);
  struct sgp_reasm r;
  sz = sgp_reasm_mem_size(&p);
  uint64_t *mem = malloc(sz + 8);
  cr_assert(mem);
  cr_assert_eq(sgp_reasm_init(&r, mem, sz - 1, &p), SGP_ERR_NO_SPACE);
  cr_assert_eq(sgp_reasm_init(&r, (uint8_t *)mem + 4, sz, &p), SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_reasm_init(&r, mem, sz, &p), SGP_OK);
  sgp_reasm_sid sids[6];
  for (int i = 0; i < 6; i++) cr_assert_eq(sgp_reasm_session_open(&r, 1, &sids[i]), SGP_OK);
  cr_assert_eq(sgp_reasm_session_open(&r, 1, &sids[0]), SGP_ERR_NO_SPACE);
  size_t got;
  struct sgp_frag_hdr h = {1, 10, 0, 0, 1};
  cr_assert_eq(sgp_reasm_add(&r, 0, &h, frag, 10, 0, out, sizeof out, &got), SGP_ERR_STATE);
  cr_assert_eq(sgp_reasm_add(&r, sids[0], &h, frag, 10, 0, out, 9, &got), SGP_ERR_NO_SPACE);
  cr_assert_eq(sgp_reasm_add(&r, sids[0], &h, NULL, 10, 0, out, 10, &got), SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_reasm_add(&r, sids[0], &h, frag, 10, 0, out, 10, &got), SGP_OK);
  cr_assert_eq(got, 10);
  free(mem);
}

/* ---- the flood ------------------------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define SGP_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SGP_TEST_ASAN 1
#endif
#endif
/* 10^6 hostile fragments in every build: about 1 s CPU without and 2.5 s
 * with ASan+UBSan.  The second flood (within caps) is shortened under ASan. */
#define FLOOD_FRAGMENTS 1000000u
#ifdef SGP_TEST_ASAN
#define FLOOD_FRAGMENTS_2 250000u
#else
#define FLOOD_FRAGMENTS_2 1000000u
#endif

#define FLOOD_PEERS 64u
#define HONEST 4u
#define POOL (SGP_FRAG_MAX_MESSAGE + 2 * D)

struct honest {
  sgp_reasm_sid sid;
  uint32_t peer, id, T, count, pos, n;
  uint8_t flags;
  int refused;
  size_t plen;
  uint32_t order[SGP_FRAG_MAX_FRAGMENTS];
  uint8_t *packet, *msg;
};

struct flood_result {
  uint64_t honest_sent, honest_delivered, honest_refused, hostile;
  uint64_t bytes_hw, pages_hw;
  uint32_t msgs_hw;
};

static void det_rng(void *ctx, uint8_t *o, size_t len) {
  uint64_t *s = ctx;
  for (size_t i = 0; i < len; i++) o[i] = (uint8_t)(tu_rand(s) >> 32);
}

static uint32_t rnd(uint64_t *s, uint32_t n) {
  return (uint32_t)(tu_rand(s) % n);
}

static void honest_next(struct honest *h, uint64_t *s) {
  static const enum sgp_jig_mode modes[] = {SGP_JIG_OFF, SGP_JIG_AONT, SGP_JIG_AONT_PARITY};
  h->plen = 1 + (rnd(s, 4) == 0 ? rnd(s, SGP_FRAG_MAX_PLAIN) : rnd(s, 20000));
  fill(h->packet, h->plen, (uint32_t)tu_rand(s));
  size_t mlen;
  cr_assert_eq(sgp_jig_encode(modes[rnd(s, 3)], h->packet, h->plen, det_rng, s, h->msg, POOL, &mlen,
                              &h->flags),
               SGP_OK);
  h->T = (uint32_t)mlen;
  h->count = count_of(mlen, h->flags);
  h->id++;
  h->n = h->count;
  for (uint32_t i = 0; i < h->count; i++) h->order[i] = i;
  shuffle(h->order, h->count, s);
  if (h->flags & SGP_FRAG_FLAG_PARITY) h->n--; /* one fragment lost: parity rebuilds it */
  h->pos = 0;
  h->refused = 0;
}

/* One honest fragment; checks every outcome against what an honest peer
 * may see: success, its deliberate duplicate, a refusal for the global cap
 * at the first fragment (only when the cap really is reached), and done
 * for the rest of a refused message. */
static void honest_step(struct rig *g, struct honest *h, uint64_t now, uint64_t *s,
                        struct flood_result *res) {
  uint32_t i = h->order[h->pos];
  struct sgp_frag_hdr hdr;
  size_t n = mk(h->msg, h->T, h->flags, h->id, i, &hdr, frag), got;
  uint64_t before = g->r.stats.bytes_in_use;
  int slot_free = g->r.free_slot != UINT32_MAX;
  sgp_err rc = add(g, h->sid, &hdr, frag, n, now, &got);
  if (h->refused) {
    cr_assert_eq(rc, SGP_ERR_FRAG_DONE, "honest peer %u msg %u: %s", h->peer, h->id,
                 sgp_err_name(rc));
  } else if (rc == SGP_ERR_FRAG_CAP) {
    struct sgp_frag_layout l;
    cr_assert_eq(sgp_frag_layout(h->T, h->flags, &l), SGP_OK);
    cr_assert_eq(h->pos, 0, "refused after admission");
    cr_assert(before + h->T + l.parity_len > g->p.global_bytes || !slot_free,
              "refused below the cap: %llu in use", (unsigned long long)before);
    h->refused = 1;
    res->honest_refused++;
  } else {
    cr_assert_eq(rc, SGP_OK, "honest peer %u msg %u frag %u: %s", h->peer, h->id, i,
                 sgp_err_name(rc));
    if (!got && rnd(s, 8) == 0) {
      /* An honest retransmission of the fragment just stored. */
      size_t again;
      cr_assert_eq(add(g, h->sid, &hdr, frag, n, now, &again), SGP_ERR_FRAG_DUPLICATE);
    }
    if (got) {
      cr_assert_eq(h->pos + 1, h->n, "delivered early");
      size_t plen;
      cr_assert_eq(sgp_jig_decode(h->flags, out, got, out, sizeof out, &plen), SGP_OK);
      cr_assert_eq(plen, h->plen);
      cr_assert_eq(memcmp(out, h->packet, plen), 0, "honest content");
      res->honest_delivered++;
    } else {
      cr_assert_lt(h->pos + 1, h->n, "not delivered at the end");
    }
  }
  if (++h->pos == h->n) {
    res->honest_sent++;
    honest_next(h, s);
  }
}

/* A hostile insider's message in progress on one of its sessions. */
struct hostile {
  uint32_t id, T;
  uint8_t flags;
};

static void hostile_new(uint64_t *s, struct hostile *m) {
  static const uint8_t flagset[] = {0, AONT, AP};
  m->flags = flagset[rnd(s, 3)];
  uint32_t lo = m->flags ? 33u : 1u, hi = m->flags ? SGP_FRAG_MAX_MESSAGE : SGP_FRAG_MAX_PLAIN;
  m->T = lo + (rnd(s, 2) ? rnd(s, hi - lo + 1) : rnd(s, 6000));
  m->id = 1 + rnd(s, 96);
}

/* A hostile fragment: fragments of its own message in progress (sometimes
 * repeated with the same bytes or with other bytes), fresh header-valid
 * fragments with colliding ids, some off by one field, some random.
 * *off selects its bytes in the pool. */
static void hostile_frag(uint64_t *s, struct hostile *cur, struct sgp_frag_hdr *h, size_t *len,
                         size_t *off) {
  uint32_t mode = rnd(s, 100);
  struct hostile fresh, *m = cur;
  if (mode >= 40 || rnd(s, 20) == 0) {
    hostile_new(s, &fresh);
    m = mode >= 40 ? &fresh : cur;
    if (mode < 40) *cur = fresh;
  }
  h->flags = m->flags;
  h->total_len = m->T;
  h->msg_id = m->id;
  struct sgp_frag_layout l;
  cr_assert_eq(sgp_frag_layout(h->total_len, h->flags, &l), SGP_OK);
  h->count = l.count;
  h->index = (uint8_t)rnd(s, l.count);
  *len = sgp_frag_len(&l, h->index);
  /* Same index, same bytes half of the time: duplicates; else overlaps. */
  *off = rnd(s, 2) ? (size_t)h->index * 7u : rnd(s, SGP_FRAG_DATA * 6);
  if (mode < 60) return;
  if (mode < 85) {
    uint32_t hi = h->flags ? SGP_FRAG_MAX_MESSAGE : SGP_FRAG_MAX_PLAIN;
    switch (rnd(s, 7)) {
      case 0:
        h->msg_id = 0;
        break;
      case 1:
        h->count = (uint8_t)(h->count + 1);
        break;
      case 2:
        h->index = h->count;
        break;
      case 3:
        *len = *len + 1;
        break;
      case 4:
        *len = *len - 1;
        break;
      case 5:
        h->total_len = rnd(s, 2) ? 0 : hi + 1;
        break;
      default:
        h->flags = (uint8_t)(2u + 2u * rnd(s, 100));
        break;
    }
    return;
  }
  h->msg_id = (uint32_t)tu_rand(s);
  h->total_len = (uint32_t)tu_rand(s) >> rnd(s, 32);
  h->flags = (uint8_t)tu_rand(s);
  h->index = (uint8_t)tu_rand(s);
  h->count = (uint8_t)tu_rand(s);
  *len = rnd(s, SGP_FRAG_DATA + 2);
}

static void flood(uint32_t hostile, uint32_t fragments, struct flood_result *res) {
  struct rig g;
  struct sgp_reasm_params prm;
  sgp_reasm_params_default(&prm, FLOOD_PEERS);
  rig_init_p(&g, &prm);
  memset(res, 0, sizeof *res);
  static uint8_t pool[SGP_FRAG_DATA * 8];
  fill(pool, sizeof pool, 99);
  uint64_t s = 0x5eed0000u + hostile;
  sgp_reasm_sid hs[FLOOD_PEERS][2];
  struct hostile cur[FLOOD_PEERS][2];
  for (uint32_t p = 0; p < hostile; p++) {
    for (uint32_t w = 0; w < 2; w++) {
      hs[p][w] = open_sess(&g, p);
      hostile_new(&s, &cur[p][w]);
    }
  }
  struct honest hon[HONEST];
  for (uint32_t i = 0; i < HONEST; i++) {
    memset(&hon[i], 0, sizeof hon[i]);
    hon[i].peer = FLOOD_PEERS - 1 - i;
    hon[i].sid = open_sess(&g, hon[i].peer);
    hon[i].packet = malloc(POOL);
    hon[i].msg = malloc(POOL);
    cr_assert(hon[i].packet && hon[i].msg);
    honest_next(&hon[i], &s);
  }
  const uint64_t cap = g.p.global_bytes;
  uint64_t now = 0;
  for (uint32_t f = 0; f < fragments; f++) {
    if (f % 20 == 0) now++; /* 50 ms of traffic per 1000 fragments */
    if (f % 10 == 0) {
      honest_step(&g, &hon[rnd(&s, HONEST)], now, &s, res);
    } else {
      uint32_t p = rnd(&s, hostile), which = rnd(&s, 2);
      if (rnd(&s, 1000) == 0) { /* session churn (SGP-FRAG-14) */
        cr_assert_eq(sgp_reasm_session_close(&g.r, hs[p][which]), SGP_OK);
        hs[p][which] = open_sess(&g, p);
      }
      struct sgp_frag_hdr h;
      size_t len, got, off;
      hostile_frag(&s, &cur[p][which], &h, &len, &off);
      const uint8_t *bytes = pool + off;
      sgp_err rc = sgp_reasm_add(&g.r, hs[p][which], &h, bytes, len, now, out, sizeof out, &got);
      cr_assert(rc == SGP_OK || (rc >= SGP_ERR_FRAG_HEADER && rc <= SGP_ERR_FRAG_CAP) ||
                    rc == SGP_ERR_RESERVED,
                "hostile: %s", sgp_err_name(rc));
      cr_assert_leq(sgp_reasm_peer_bytes(&g.r, p), g.p.peer_bytes);
      cr_assert_leq(sgp_reasm_peer_msgs(&g.r, p), g.p.peer_msgs);
      res->hostile++;
    }
    /* The bound the issue asks for, after every fragment. */
    cr_assert_leq(g.r.stats.bytes_in_use, cap, "fragment %u", f);
    cr_assert_leq((uint64_t)g.r.stats.pages_in_use * D, g.r.stats.bytes_in_use);
    cr_assert_leq(g.r.stats.pages_in_use, g.r.npages);
    cr_assert_leq(g.r.stats.msgs_in_progress, g.p.max_msgs);
    if (f % 4096 == 0) {
      uint64_t sum = 0;
      for (uint32_t p = 0; p < FLOOD_PEERS; p++) sum += sgp_reasm_peer_bytes(&g.r, p);
      cr_assert_eq(sum, g.r.stats.bytes_in_use);
      cr_assert_eq(g.r.free_pages_n + g.r.stats.pages_in_use, g.r.npages);
    }
  }
  res->bytes_hw = g.r.stats.bytes_high_water;
  res->pages_hw = g.r.stats.pages_high_water;
  res->msgs_hw = g.r.stats.msgs_high_water;
  const struct sgp_reasm_stats *st = &g.r.stats;
  char line[512];
  snprintf(line, sizeof line,
           "flood %u fragments, %u hostile + %u honest peers, global cap %llu B: high-water "
           "%llu B reserved (%.1f%% of cap), %llu pages = %llu B, %u messages; honest %llu "
           "delivered, %llu refused (cap); drops: flags %llu header %llu length %llu done %llu "
           "dup %llu; messages: inconsistent %llu overlap %llu cap %llu evicted %llu timeout "
           "%llu closed %llu",
           fragments, hostile, HONEST, (unsigned long long)cap, (unsigned long long)res->bytes_hw,
           100.0 * (double)res->bytes_hw / (double)cap, (unsigned long long)res->pages_hw,
           (unsigned long long)(res->pages_hw * D), res->msgs_hw,
           (unsigned long long)res->honest_delivered, (unsigned long long)res->honest_refused,
           (unsigned long long)st->drop_flags, (unsigned long long)st->drop_header,
           (unsigned long long)st->drop_length, (unsigned long long)st->drop_done,
           (unsigned long long)st->drop_duplicate, (unsigned long long)st->msg_inconsistent,
           (unsigned long long)st->msg_overlap, (unsigned long long)st->msg_cap,
           (unsigned long long)st->msg_evicted, (unsigned long long)st->msg_timeout,
           (unsigned long long)st->msg_closed);
  cr_log_info("%s", line);
  fprintf(stderr, "%s\n", line);
  for (uint32_t i = 0; i < HONEST; i++) {
    free(hon[i].packet);
    free(hon[i].msg);
  }
  rig_free(&g);
}

/* SGP-FRAG-9, SGP-FRAG-10, SGP-FRAG-5..7, SGP-FRAG-11, SGP-FRAG-14: 60
 * hostile insiders (more than the global cap can hold: 60 x 524352 B) flood
 * 9 of every 10 fragments.  Reserved bytes never exceed the cap; honest
 * messages are refused only at their first fragment while the cap is
 * really reached, and otherwise arrive byte-exact. */
Test(fragment, flood_over_global_cap, .timeout = 60) {
  struct flood_result res;
  clock_t t0 = clock();
  flood(60, FLOOD_FRAGMENTS, &res);
  fprintf(stderr, "flood_over_global_cap: %.2f s CPU\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
  cr_assert_gt(res.honest_delivered, 0);
  cr_assert_gt(res.bytes_hw, (uint64_t)SGP_REASM_GLOBAL_DEFAULT / 2);
}

/* SGP-FRAG-9, SGP-FRAG-10: 12 hostile insiders can hold at most
 * 12 x 524352 B, which leaves room in the default 8 MiB for the honest
 * peers' messages, so every honest message must complete. */
Test(fragment, flood_within_caps_delivers_every_honest_message, .timeout = 60) {
  struct flood_result res;
  flood(12, FLOOD_FRAGMENTS_2, &res);
  cr_assert_eq(res.honest_refused, 0);
  cr_assert_gt(res.honest_delivered, 100);
  cr_assert_leq(res.bytes_hw, 12ull * SGP_REASM_PEER_BYTES + HONEST * (SGP_FRAG_MAX_MESSAGE + D));
}
