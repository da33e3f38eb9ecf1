/* Token bucket (spec §7.10): rate r tokens per second, burst b; holds at
 * most b tokens, starts full, refills continuously; a take succeeds and
 * removes one token if at least one token is present.
 *
 * Contract:
 *  - Pure: time is the caller's monotonic clock in milliseconds; no I/O,
 *    no allocation.  A bucket is 16 bytes so a node can keep one per roster
 *    id (SGP-SEC-2: keyed by roster id, never by source address).
 *  - Exact integer arithmetic: tokens are counted in thousandths, so r
 *    tokens/s add exactly r thousandths per millisecond (no drift, no
 *    floating point).
 *  - A failed take changes nothing (the bucket bytes stay identical), so a
 *    rejected datagram leaves no trace here.  A clock that goes backwards
 *    refills nothing and never underflows.
 *  - The rate and burst are passed to every call rather than stored, so
 *    per-peer buckets share one parameter block (WireGuard's ratelimiter
 *    keeps them global for the same reason).
 */
#ifndef SGP_RATELIMIT_H
#define SGP_RATELIMIT_H

#include <stdint.h>

#include "sgp/result.h"

/* Thousandths of a token per token. */
#define SGP_BUCKET_UNIT 1000u

struct sgp_bucket_rate {
  uint32_t per_s; /* r: tokens gained per second, >= 1 */
  uint32_t burst; /* b: capacity in tokens, >= 1 */
};

struct sgp_bucket {
  uint64_t milli;   /* tokens x 1000, <= burst x 1000 */
  uint64_t last_ms; /* time of the last refill */
};

/* A full bucket at now_ms. */
void sgp_bucket_init(struct sgp_bucket *b, const struct sgp_bucket_rate *r, uint64_t now_ms);

/* Tokens (x 1000) the bucket would hold at now_ms; no state change. */
uint64_t sgp_bucket_level(const struct sgp_bucket *b, const struct sgp_bucket_rate *r,
                          uint64_t now_ms);

/* Takes one token: SGP_OK, or SGP_ERR_RATE_LIMITED (nothing changed) when
 * less than one token is present at now_ms.  SGP_ERR_INVALID_ARG for NULL
 * arguments or a zero rate or burst. */
SGP_MUST_CHECK sgp_err sgp_bucket_take(struct sgp_bucket *b, const struct sgp_bucket_rate *r,
                                       uint64_t now_ms);

#endif
