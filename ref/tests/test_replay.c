/* Replay window (sgp/replay.h).  Shape after WireGuard's selftest/counter.c
 * (a numbered table of edge cases, then fill loops), written for our API,
 * plus a model check against a naive set of seen counters.
 *
 * Requirement IDs:
 *  SGP-REPLAY-1  window of >= 2048 counters (RFC 6479 bitmap), consulted only
 *                after AEAD decryption succeeded: check is pure, update is the
 *                only mutator, and a rejected counter changes no state.
 *  SGP-REPLAY-2  counters >= 2^64 - 2^13 (REJECT_AFTER_MESSAGES) rejected.
 *  SGP-REPLAY-3  duplicates inside the window rejected (SGP_ERR_REPLAY), any
 *                unseen counter inside it accepted in any order, counters behind
 *                it rejected (SGP_ERR_TOO_OLD).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/replay.h"
#include "testutil.h"

#define W ((uint64_t)SGP_REPLAY_WINDOW)
#define RING ((uint64_t)SGP_REPLAY_WORDS * 64u)
#define R SGP_REPLAY_REJECT_AFTER

struct step {
  uint64_t ctr;
  sgp_err want;
  const char *why;
};

/* Applied in order to one window with sgp_replay_update. */
static const struct step table[] = {
    /*  0 */ {0, SGP_OK, "first counter"},
    /*  1 */ {1, SGP_OK, "in order"},
    /*  2 */ {1, SGP_ERR_REPLAY, "duplicate"},
    /*  3 */ {9, SGP_OK, "skip ahead"},
    /*  4 */ {8, SGP_OK, "out of order inside window"},
    /*  5 */ {7, SGP_OK, "out of order inside window"},
    /*  6 */ {7, SGP_ERR_REPLAY, "out-of-order duplicate"},
    /*  7 */ {W, SGP_OK, "top = W, oldest accepted = 1"},
    /*  8 */ {0, SGP_ERR_TOO_OLD, "edge - 1"},
    /*  9 */ {1, SGP_ERR_REPLAY, "exactly at the edge, seen"},
    /* 10 */ {2, SGP_OK, "exactly at the edge, unseen"},
    /* 11 */ {W + 1, SGP_OK, "advance by one: oldest = 2"},
    /* 12 */ {1, SGP_ERR_TOO_OLD, "edge - 1"},
    /* 13 */ {2, SGP_ERR_REPLAY, "edge, seen"},
    /* 14 */ {3, SGP_OK, "edge + 1, unseen"},
    /* 15 */ {W + 1, SGP_ERR_REPLAY, "duplicate of top"},
    /* 16 */ {W - 1, SGP_OK, "just behind top"},
    /* 17 */ {W, SGP_ERR_REPLAY, "duplicate"},
    /* 18 */ {3 * W + 17, SGP_OK, "far ahead: skipped words cleared"},
    /* 19 */ {2 * W + 17, SGP_ERR_TOO_OLD, "edge - 1 after the jump"},
    /* 20 */ {2 * W + 18, SGP_OK, "edge after the jump, unseen"},
    /* 21 */ {2 * W + 18, SGP_ERR_REPLAY, "duplicate at the edge"},
    /* 22 */ {3 * W + 16, SGP_OK, "just behind top"},
    /* 23 */ {3 * W + 17, SGP_ERR_REPLAY, "duplicate of top"},
    /* 24 */ {3 * W + 17 + RING, SGP_OK, "exactly one ring ahead: same slot and bit, cleared"},
    /* 25 */ {3 * W + 17 + RING, SGP_ERR_REPLAY, "duplicate"},
    /* 26 */ {3 * W + 17, SGP_ERR_TOO_OLD, "old occupant of that slot"},
    /* top is now 4W+81, in word 4W/64+1 (counters 4W+64 .. 4W+127) */
    /* 27 */ {4 * W + 127, SGP_OK, "last bit of top's word"},
    /* 28 */ {5 * W + 64, SGP_OK, "ring wraps: newest word lands just behind the oldest"},
    /* 29 */ {4 * W + 127, SGP_ERR_REPLAY, "oldest word kept (distance W-63)"},
    /* 30 */ {4 * W + 65, SGP_OK, "exactly at the edge after the wrap, unseen"},
    /* 31 */ {4 * W + 81, SGP_ERR_REPLAY, "seen before the wrap, still inside"},
    /* 32 */ {4 * W + 64, SGP_ERR_TOO_OLD, "edge - 1 after the wrap"},
    /* 33 */ {5 * W + 128, SGP_OK, "next word: recycles the oldest slot"},
    /* 34 */ {4 * W + 127, SGP_ERR_TOO_OLD, "recycled slot's old counter"},
    /* 35 */ {5 * W + 64, SGP_ERR_REPLAY, "still inside"},
    /* 36 */ {R - 1, SGP_OK, "last usable counter (limit - 1)"},
    /* 37 */ {R, SGP_ERR_EXHAUSTED, "limit"},
    /* 38 */ {R + 1, SGP_ERR_EXHAUSTED, "limit + 1"},
    /* 39 */ {UINT64_MAX, SGP_ERR_EXHAUSTED, "2^64 - 1"},
    /* 40 */ {R - 1, SGP_ERR_REPLAY, "duplicate of limit - 1"},
    /* 41 */ {R - 2, SGP_OK, "limit - 2"},
    /* 42 */ {R - W, SGP_OK, "edge below the limit"},
    /* 43 */ {R - W - 1, SGP_ERR_TOO_OLD, "edge - 1 below the limit"},
    /* 44 */ {0, SGP_ERR_TOO_OLD, "zero long gone"},
};

/* SGP-REPLAY-1, SGP-REPLAY-2, SGP-REPLAY-3: the numbered edge-case table. */
Test(replay, edge_case_table) {
  struct sgp_replay w;
  sgp_replay_init(&w);
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    const struct step *s = &table[i];
    sgp_err pre = sgp_replay_check(&w, s->ctr);
    cr_assert_eq(pre, s->want, "T%zu check(%llu) = %s, want %s (%s)", i, (unsigned long long)s->ctr,
                 sgp_err_name(pre), sgp_err_name(s->want), s->why);
    struct sgp_replay before = w;
    sgp_err got = sgp_replay_update(&w, s->ctr);
    cr_assert_eq(got, s->want, "T%zu update(%llu) = %s, want %s (%s)", i,
                 (unsigned long long)s->ctr, sgp_err_name(got), sgp_err_name(s->want), s->why);
    if (got != SGP_OK)
      cr_assert(memcmp(&before, &w, sizeof w) == 0, "T%zu: rejected counter changed state", i);
  }
}

/* SGP-REPLAY-1: the configured window is at least the spec's 2048. */
Test(replay, window_at_least_2048) {
  cr_assert_geq(SGP_REPLAY_WINDOW, 2048);
  cr_assert_eq(SGP_REPLAY_WINDOW % 64, 0);
  cr_assert_eq(SGP_REPLAY_REJECT_AFTER, UINT64_MAX - 8191u); /* 2^64 - 2^13 */
}

/* SGP-REPLAY-1: check never changes state, whatever it answers. */
Test(replay, check_is_pure) {
  struct sgp_replay w;
  sgp_replay_init(&w);
  const uint64_t probes[] = {0, 1, 5, W, W + 5, 3 * W, R - 1, R, UINT64_MAX};
  for (uint64_t c = 100; c < 100 + W; c += 3) cr_assert_eq(sgp_replay_update(&w, c), SGP_OK);
  struct sgp_replay before = w;
  for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
    (void)!sgp_replay_check(&w, probes[i]);
    cr_assert(memcmp(&before, &w, sizeof w) == 0);
  }
}

/* A zero-filled struct is an empty window; the first counter may be any
 * value below the limit, including the last usable one. */
Test(replay, zero_filled_is_empty) {
  struct sgp_replay w;
  memset(&w, 0, sizeof w);
  cr_assert_eq(sgp_replay_check(&w, 0), SGP_OK);
  cr_assert_eq(sgp_replay_update(&w, 5000), SGP_OK);
  cr_assert_eq(sgp_replay_update(&w, 5000 - W + 1), SGP_OK);
  cr_assert_eq(sgp_replay_update(&w, 5000 - W), SGP_ERR_TOO_OLD);

  /* SGP-REPLAY-2 */
  sgp_replay_init(&w);
  cr_assert_eq(sgp_replay_update(&w, R), SGP_ERR_EXHAUSTED);
  cr_assert_eq(w.any, 0, "a rejected first counter must not start the window");
  cr_assert_eq(sgp_replay_update(&w, R - 1), SGP_OK);
  cr_assert_eq(sgp_replay_update(&w, R - 1), SGP_ERR_REPLAY);
}

static void fill_forwards(uint64_t base) {
  struct sgp_replay w;
  sgp_replay_init(&w);
  for (uint64_t i = 1; i <= W; i++)
    cr_assert_eq(sgp_replay_update(&w, base + i), SGP_OK, "base %llu fwd %llu",
                 (unsigned long long)base, (unsigned long long)i);
  cr_assert_eq(sgp_replay_update(&w, base), SGP_ERR_TOO_OLD);
  for (uint64_t i = 1; i <= W; i++)
    cr_assert_eq(sgp_replay_update(&w, base + i), SGP_ERR_REPLAY, "base %llu dup %llu",
                 (unsigned long long)base, (unsigned long long)i);
  cr_assert_eq(sgp_replay_update(&w, base + W + 1), SGP_OK);
  cr_assert_eq(sgp_replay_update(&w, base + 1), SGP_ERR_TOO_OLD);
  cr_assert_eq(sgp_replay_update(&w, base + 2), SGP_ERR_REPLAY);
}

static void fill_backwards(uint64_t base) {
  struct sgp_replay w;
  sgp_replay_init(&w);
  for (uint64_t i = W; i >= 1; i--)
    cr_assert_eq(sgp_replay_update(&w, base + i), SGP_OK, "base %llu back %llu",
                 (unsigned long long)base, (unsigned long long)i);
  cr_assert_eq(sgp_replay_update(&w, base), SGP_ERR_TOO_OLD);
  for (uint64_t i = W; i >= 1; i--) cr_assert_eq(sgp_replay_update(&w, base + i), SGP_ERR_REPLAY);
}

/* SGP-REPLAY-3: fill the whole window forwards and backwards, at offsets
 * that put the window on and off word and ring boundaries. */
Test(replay, fill_window_forwards_and_backwards) {
  const uint64_t bases[] = {
      0, 1, 63, 64, 65, RING - 1, RING, 5 * RING + 33, (UINT64_C(1) << 40) + 7, R - 1 - W - 1};
  for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
    fill_forwards(bases[i]);
    fill_backwards(bases[i]);
  }
}

/* SGP-REPLAY-1, SGP-REPLAY-3: random walk against a naive model that
 * remembers every counter ever accepted. */
Test(replay, matches_naive_model) {
  enum { SPAN = 1 << 24 };
  uint8_t *seen = calloc(SPAN, 1);
  cr_assert_not_null(seen);
  struct sgp_replay w;
  sgp_replay_init(&w);
  uint64_t top = 0, rng = 0x5eed5eed12345678ULL;
  int any = 0;
  size_t accepted = 0;
  for (int step = 0; step < 400000; step++) {
    uint64_t r = tu_rand(&rng);
    uint64_t c;
    uint64_t k = r % 32, x = r >> 8;
    if (k == 0) /* jumps, some past the whole ring */
      c = top + x % (3 * RING);
    else if (k <= 8) /* in order, small gaps */
      c = top + 1 + x % 3;
    else if (k <= 11) /* just behind the edge */
      c = top > W + 70 ? top - W - x % 70 : 0;
    else /* inside the window, around its edge and a little behind it */
      c = top - x % (W + 70 < top ? W + 70 : top + 1);
    if (c >= SPAN) break;
    sgp_err want = SGP_OK;
    if (any && c <= top) {
      if (top - c >= W)
        want = SGP_ERR_TOO_OLD;
      else if (seen[c])
        want = SGP_ERR_REPLAY;
    }
    sgp_err got = sgp_replay_update(&w, c);
    cr_assert_eq(got, want, "step %d ctr %llu top %llu: got %s want %s", step,
                 (unsigned long long)c, (unsigned long long)top, sgp_err_name(got),
                 sgp_err_name(want));
    if (want == SGP_OK) {
      seen[c] = 1;
      if (!any || c > top) top = c;
      any = 1;
      accepted++;
    }
  }
  cr_log_info("model check: %zu counters accepted, top %llu", accepted, (unsigned long long)top);
  cr_assert_gt(accepted, 10000);
  free(seen);
}
