/* Token bucket; see sgp/ratelimit.h for the contract.  Shape after
 * WireGuard's ratelimiter.c (tokens = min(max, tokens + elapsed), allow if
 * tokens >= cost), without its hash table: SGP keys buckets by roster id,
 * so the caller indexes an array. */
#include "sgp/ratelimit.h"

#include <stddef.h>

static uint64_t capacity(const struct sgp_bucket_rate *r) {
  return (uint64_t)r->burst * SGP_BUCKET_UNIT;
}

uint64_t sgp_bucket_level(const struct sgp_bucket *b, const struct sgp_bucket_rate *r,
                          uint64_t now_ms) {
  uint64_t cap = capacity(r);
  if (now_ms <= b->last_ms || r->per_s == 0) return b->milli < cap ? b->milli : cap;
  uint64_t elapsed = now_ms - b->last_ms;
  /* r tokens/s = r thousandths per ms.  Saturate before multiplying: the
   * bucket is full once elapsed reaches cap / r. */
  if (elapsed >= cap / r->per_s + 1) return cap;
  uint64_t level = b->milli + elapsed * r->per_s;
  return level < cap ? level : cap;
}

void sgp_bucket_init(struct sgp_bucket *b, const struct sgp_bucket_rate *r, uint64_t now_ms) {
  b->milli = capacity(r);
  b->last_ms = now_ms;
}

sgp_err sgp_bucket_take(struct sgp_bucket *b, const struct sgp_bucket_rate *r, uint64_t now_ms) {
  SGP_ENSURE(b && r && r->per_s && r->burst, SGP_ERR_INVALID_ARG);
  uint64_t level = sgp_bucket_level(b, r, now_ms);
  SGP_ENSURE(level >= SGP_BUCKET_UNIT, SGP_ERR_RATE_LIMITED);
  b->milli = level - SGP_BUCKET_UNIT;
  if (now_ms > b->last_ms) b->last_ms = now_ms;
  return SGP_OK;
}
