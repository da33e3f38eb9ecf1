/* Anti-replay window for transport counters (RFC 6479 bitmap, as in
 * WireGuard's receive path).
 *
 * Contract:
 *  - The window is consulted only for a datagram whose AEAD decryption
 *    already succeeded under the counter as nonce: sgp_replay_update (the
 *    only function that changes state) MUST NOT be called before that, or a
 *    forged datagram could advance the window and make genuine ones "old".
 *    sgp_replay_check is a pure read and may also be used before decryption
 *    as a cheap early drop.
 *  - Accepted: any counter above the highest accepted one ("top"), or an
 *    unseen counter c with top - c < SGP_REPLAY_WINDOW.  So the window holds
 *    exactly SGP_REPLAY_WINDOW counters, top included.
 *  - Counters >= SGP_REPLAY_REJECT_AFTER (2^64 - 2^13, WireGuard's
 *    REJECT_AFTER_MESSAGES) are refused: the session must re-key before.
 *  - Errors: SGP_ERR_REPLAY (seen inside the window), SGP_ERR_TOO_OLD
 *    (behind the window), SGP_ERR_EXHAUSTED (>= the reject limit).  A
 *    rejected counter changes no state.
 *  - A zero-filled struct is a valid empty window (so is sgp_replay_init).
 *    Not thread-safe: one window per receive session, under its lock.
 *
 * The bitmap is a ring of 64-bit words holding SGP_REPLAY_WINDOW + 64 bits:
 * RFC 6479's one redundant word lets the window advance by clearing whole
 * words while still covering SGP_REPLAY_WINDOW counters behind top.
 */
#ifndef SGP_REPLAY_H
#define SGP_REPLAY_H

#include <stdint.h>

#include "sgp/result.h"

/* Compile-time configurable; spec minimum 2048 (decisions, Transport). */
#ifndef SGP_REPLAY_WINDOW
#define SGP_REPLAY_WINDOW 2048u
#endif

_Static_assert(SGP_REPLAY_WINDOW % 64 == 0, "SGP_REPLAY_WINDOW must be a multiple of 64");
_Static_assert(SGP_REPLAY_WINDOW >= 2048, "SGP_REPLAY_WINDOW must be at least 2048");

#define SGP_REPLAY_WORDS (SGP_REPLAY_WINDOW / 64u + 1u)
#define SGP_REPLAY_REJECT_AFTER (UINT64_MAX - (UINT64_C(1) << 13) + 1u) /* 2^64 - 2^13 */

struct sgp_replay {
  uint64_t top;                    /* highest accepted counter, valid when any != 0 */
  uint8_t any;                     /* 0 until the first counter is accepted */
  uint64_t bits[SGP_REPLAY_WORDS]; /* bit c%64 of word (c/64) % SGP_REPLAY_WORDS */
};

void sgp_replay_init(struct sgp_replay *w);

/* Would ctr be accepted now?  No state change. */
SGP_MUST_CHECK sgp_err sgp_replay_check(const struct sgp_replay *w, uint64_t ctr);

/* Check and, if accepted, record ctr (advancing the window if ctr > top).
 * Call only after the datagram carrying ctr was authenticated. */
SGP_MUST_CHECK sgp_err sgp_replay_update(struct sgp_replay *w, uint64_t ctr);

#endif
