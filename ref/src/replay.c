/* RFC 6479 replay window; see sgp/replay.h for the contract. */
#include "sgp/replay.h"

#include <string.h>

/* Ring slot of the word holding counters 64*word .. 64*word+63. */
static size_t slot(uint64_t word) {
  return (size_t)(word % SGP_REPLAY_WORDS);
}
static size_t word_of(uint64_t ctr) {
  return slot(ctr / 64u);
}
static uint64_t bit_of(uint64_t ctr) {
  return UINT64_C(1) << (ctr % 64u);
}

void sgp_replay_init(struct sgp_replay *w) {
  memset(w, 0, sizeof *w);
}

sgp_err sgp_replay_check(const struct sgp_replay *w, uint64_t ctr) {
  SGP_ENSURE(w, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(ctr < SGP_REPLAY_REJECT_AFTER, SGP_ERR_EXHAUSTED);
  if (!w->any || ctr > w->top) return SGP_OK;
  SGP_ENSURE(w->top - ctr < SGP_REPLAY_WINDOW, SGP_ERR_TOO_OLD);
  SGP_ENSURE(!(w->bits[word_of(ctr)] & bit_of(ctr)), SGP_ERR_REPLAY);
  return SGP_OK;
}

sgp_err sgp_replay_update(struct sgp_replay *w, uint64_t ctr) {
  SGP_GUARD(sgp_replay_check(w, ctr));

  if (!w->any) {
    /* Empty window: every word is already clear (init or zero-fill). */
    w->any = 1;
    w->top = ctr;
  } else if (ctr > w->top) {
    /* Clear the words strictly after top's word up to ctr's word; a jump
     * of a full ring or more clears the whole ring once. */
    uint64_t from = w->top / 64u, to = ctr / 64u;
    uint64_t n = to - from < SGP_REPLAY_WORDS ? to - from : SGP_REPLAY_WORDS;
    for (uint64_t i = 1; i <= n; i++) w->bits[slot(from + i)] = 0;
    w->top = ctr;
  }
  w->bits[word_of(ctr)] |= bit_of(ctr);
  return SGP_OK;
}
