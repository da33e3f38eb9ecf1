/* Token buckets (sgp/ratelimit.h) with the parameters of spec §7.10.
 *
 * Requirement IDs: SGP-XPORT-43 (peer handshake bucket: rate 1/s, burst 5)
 * and the load and cookie-reply buckets of §7.10 (rate 100/s, burst 100),
 * whose use is tested end to end in test_session.c (SGP-XPORT-44, -45).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "sgp/ratelimit.h"
#include "sgp/session.h"

static const struct sgp_bucket_rate PEER = {SGP_PEER_BUCKET_RATE, SGP_PEER_BUCKET_BURST};
static const struct sgp_bucket_rate LOAD = {SGP_LOAD_BUCKET_RATE, SGP_LOAD_BUCKET_BURST};

#define T0 UINT64_C(1000000)

/* SGP-XPORT-43: a bucket starts full: b takes succeed at once, the next
 * one is refused. */
Test(ratelimit, starts_full_burst_then_refused) {
  struct sgp_bucket b;
  sgp_bucket_init(&b, &PEER, T0);
  for (int i = 0; i < 5; i++) cr_assert_eq(sgp_bucket_take(&b, &PEER, T0), SGP_OK, "take %d", i);
  cr_assert_eq(sgp_bucket_take(&b, &PEER, T0), SGP_ERR_RATE_LIMITED);
}

/* SGP-XPORT-43: r tokens per second, continuously: one token after exactly
 * 1000 ms at 1/s, not one millisecond earlier; at 100/s one per 10 ms. */
Test(ratelimit, refills_continuously_at_rate) {
  struct sgp_bucket b;
  sgp_bucket_init(&b, &PEER, T0);
  for (int i = 0; i < 5; i++) cr_assert_eq(sgp_bucket_take(&b, &PEER, T0), SGP_OK);
  cr_assert_eq(sgp_bucket_take(&b, &PEER, T0 + 999), SGP_ERR_RATE_LIMITED);
  cr_assert_eq(sgp_bucket_take(&b, &PEER, T0 + 1000), SGP_OK);
  cr_assert_eq(sgp_bucket_take(&b, &PEER, T0 + 1000), SGP_ERR_RATE_LIMITED);
  /* half a token + half a token */
  cr_assert_eq(sgp_bucket_take(&b, &PEER, T0 + 1500), SGP_ERR_RATE_LIMITED);
  cr_assert_eq(sgp_bucket_take(&b, &PEER, T0 + 2000), SGP_OK);

  sgp_bucket_init(&b, &LOAD, T0);
  for (int i = 0; i < 100; i++) cr_assert_eq(sgp_bucket_take(&b, &LOAD, T0), SGP_OK);
  cr_assert_eq(sgp_bucket_take(&b, &LOAD, T0 + 9), SGP_ERR_RATE_LIMITED);
  cr_assert_eq(sgp_bucket_take(&b, &LOAD, T0 + 10), SGP_OK);
  cr_assert_eq(sgp_bucket_level(&b, &LOAD, T0 + 10), 0);
  cr_assert_eq(sgp_bucket_level(&b, &LOAD, T0 + 1010), 100 * SGP_BUCKET_UNIT);
}

/* A refused take leaves the bucket bytes identical (a dropped datagram
 * leaves no trace), and sgp_bucket_level never writes. */
Test(ratelimit, refused_take_changes_nothing) {
  struct sgp_bucket b, before;
  sgp_bucket_init(&b, &PEER, T0);
  for (int i = 0; i < 5; i++) cr_assert_eq(sgp_bucket_take(&b, &PEER, T0), SGP_OK);
  memcpy(&before, &b, sizeof b);
  cr_assert_eq(sgp_bucket_take(&b, &PEER, T0 + 400), SGP_ERR_RATE_LIMITED);
  cr_assert_eq(memcmp(&before, &b, sizeof b), 0);
  /* the partial refill is not lost by the refusal */
  cr_assert_eq(sgp_bucket_take(&b, &PEER, T0 + 1000), SGP_OK);
}

/* The bucket holds at most b tokens however long it was idle, and a huge
 * elapsed time does not overflow. */
Test(ratelimit, capped_at_burst_and_no_overflow) {
  struct sgp_bucket b;
  sgp_bucket_init(&b, &LOAD, 0);
  for (int i = 0; i < 100; i++) cr_assert_eq(sgp_bucket_take(&b, &LOAD, 0), SGP_OK);
  cr_assert_eq(sgp_bucket_level(&b, &LOAD, UINT64_MAX), 100 * SGP_BUCKET_UNIT);
  for (int i = 0; i < 100; i++) cr_assert_eq(sgp_bucket_take(&b, &LOAD, UINT64_MAX), SGP_OK);
  cr_assert_eq(sgp_bucket_take(&b, &LOAD, UINT64_MAX), SGP_ERR_RATE_LIMITED);
}

/* A clock that goes backwards refills nothing and moves nothing back. */
Test(ratelimit, clock_backwards_refills_nothing) {
  struct sgp_bucket b;
  sgp_bucket_init(&b, &PEER, T0);
  for (int i = 0; i < 5; i++) cr_assert_eq(sgp_bucket_take(&b, &PEER, T0), SGP_OK);
  cr_assert_eq(sgp_bucket_take(&b, &PEER, T0 - 5000), SGP_ERR_RATE_LIMITED);
  cr_assert_eq(sgp_bucket_level(&b, &PEER, 0), 0);
  cr_assert_eq(b.last_ms, T0);
  cr_assert_eq(sgp_bucket_take(&b, &PEER, T0 + 1000), SGP_OK);
}

Test(ratelimit, invalid_arguments) {
  struct sgp_bucket b;
  struct sgp_bucket_rate zero = {0, 5}, empty = {1, 0};
  sgp_bucket_init(&b, &PEER, T0);
  cr_assert_eq(sgp_bucket_take(NULL, &PEER, T0), SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_bucket_take(&b, NULL, T0), SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_bucket_take(&b, &zero, T0), SGP_ERR_INVALID_ARG);
  cr_assert_eq(sgp_bucket_take(&b, &empty, T0), SGP_ERR_INVALID_ARG);
}
