/* Requirement tests for merge and the held state (spec §3.1, §3.3, §5.3):
 * SGP-MERGE-10..12, SGP-STATE-6..8, SGP-DATA-4, SGP-ID-2.
 *
 * Every rejection is checked to leave the whole logical state unchanged
 * (sgp_state_hash) and to move only the rejection counter.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/codec.h"
#include "sgp/report.h"
#include "sgp/state.h"
#include "testutil.h"

enum { N = 6 };
static struct tu_cluster C;
static struct sgp_params P;
static sgp_packet *pa;

static void setup(void) {
  tu_cluster_init(&C, N);
  sgp_params_default(&P, N);
  pa = calloc(1, sizeof *pa);
}
static void teardown(void) {
  tu_cluster_free(&C);
  free(pa);
}
TestSuite(req_merge, .init = setup, .fini = teardown);

/* Report of origin o, signed with signer's key (normally o's). */
static void report_by(sgp_report_msg *r, uint32_t o, uint32_t gen, uint32_t seq, uint32_t susp,
                      uint32_t signer) {
  tu_report(r, C.sk[signer], o, gen, seq, susp, NULL, 0);
}
static void report(sgp_report_msg *r, uint32_t o, uint32_t gen, uint32_t seq, uint32_t susp) {
  report_by(r, o, gen, seq, susp, o);
}

static void delta_of(sgp_packet *p, uint32_t sender, const sgp_report_msg *rs, size_t k) {
  tu_delta(p, sender, rs, k);
}

/* Merge that must be rejected with `want` and change nothing but the
 * rejection counter. */
static void expect_reject(struct sgp_state *s, const sgp_packet *p, sgp_err want,
                          const char *what) {
  uint8_t h1[32], h2[32];
  struct sgp_stats before = s->stats;
  sgp_state_hash(s, h1);
  struct sgp_merge_result res = {7, 7, 7};
  sgp_err got = sgp_state_merge(s, p, &res);
  cr_assert_eq(got, want, "%s: got %s, want %s", what, sgp_err_name(got), sgp_err_name(want));
  sgp_state_hash(s, h2);
  cr_assert_eq(memcmp(h1, h2, 32), 0, "%s: state changed", what);
  cr_assert_eq(s->stats.packets_rejected, before.packets_rejected + 1, "%s", what);
  cr_assert_eq(s->stats.packets_merged, before.packets_merged, "%s", what);
  cr_assert_eq(s->stats.reports_adopted, before.reports_adopted, "%s", what);
  cr_assert_eq(s->stats.reports_stale, before.reports_stale, "%s", what);
  cr_assert_eq(res.adopted, 7, "%s: result written on rejection", what);
}

/* ---- SGP-MERGE-10 -------------------------------------------------------- */

/* SGP-MERGE-10: an own-origin candidate with generation 2^32 - 1 rejects the
 * packet with SGP_ERR_EXHAUSTED, atomically (the other report of the packet
 * is not adopted); another origin at that generation is an ordinary report. */
Test(req_merge, merge10_own_generation_at_max_is_exhausted) {
  struct sgp_state *s = tu_state_new(&C, &P, 1, 5);
  sgp_report_msg r[2];
  report(&r[0], 0, 1, 1, 100);
  report(&r[1], 1, UINT32_MAX, 1, 0);
  delta_of(pa, 2, r, 2);
  expect_reject(s, pa, SGP_ERR_EXHAUSTED, "own origin at generation max");
  cr_assert_eq(s->e[0].gen, 0);

  report(&r[0], 0, UINT32_MAX, 3, 100);
  delta_of(pa, 2, r, 1);
  struct sgp_merge_result res;
  cr_assert_eq(sgp_state_merge(s, pa, &res), SGP_OK);
  cr_assert_eq(res.adopted, 1);
  cr_assert_eq(s->e[0].gen, UINT32_MAX);
  tu_state_free(s);
}

/* ---- SGP-MERGE-11 -------------------------------------------------------- */

/* SGP-MERGE-11: a report whose row is longer than max_silent rejects the
 * packet with SGP_ERR_TOO_MANY even when it is stale, and before its
 * signature is looked at; a row of exactly max_silent is fine. */
Test(req_merge, merge11_row_longer_than_max_silent) {
  struct sgp_params p = P;
  p.max_silent = 2;
  struct sgp_state *s = tu_state_new(&C, &p, 0, 1);
  sgp_report_msg r[2];
  memset(&r[0], 0, sizeof r[0]);
  r[0].origin = 3;
  r[0].generation = 2;
  r[0].seq = 2;
  r[0].sub_count = 5;
  r[0].silent_count = 2;
  r[0].silent[0] = 1;
  r[0].silent[1] = 2;
  cr_assert_eq(sgp_report_sign(&r[0], C.sk[3]), SGP_OK);
  delta_of(pa, 3, r, 1);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  cr_assert_eq(s->e[3].silent_count, 2);

  /* Stale (older than the held (2,2)) and three ids: still rejected. */
  r[1] = r[0];
  r[1].seq = 1;
  r[1].silent_count = 3;
  r[1].silent[2] = 4;
  cr_assert_eq(sgp_report_sign(&r[1], C.sk[3]), SGP_OK);
  delta_of(pa, 4, &r[1], 1);
  expect_reject(s, pa, SGP_ERR_TOO_MANY, "stale report with a long row");

  /* Newer, long row, and a broken signature: the row check decides. */
  r[1].seq = 9;
  r[1].sig.bytes[0] ^= 1;
  delta_of(pa, 4, &r[1], 1);
  expect_reject(s, pa, SGP_ERR_TOO_MANY, "forged report with a long row");

  /* The long-row report after a good one: the whole packet goes. */
  report(&r[0], 1, 1, 1, 0);
  delta_of(pa, 4, r, 2);
  expect_reject(s, pa, SGP_ERR_TOO_MANY, "good report + long row");
  cr_assert_eq(s->e[1].gen, 0);
  tu_state_free(s);
}

/* ---- SGP-MERGE-12 -------------------------------------------------------- */

static void m_version0(sgp_packet *p) {
  p->version = 0;
}
static void m_version2(sgp_packet *p) {
  p->version = 2;
}
static void m_kind0(sgp_packet *p) {
  p->kind = sgp_v1_Kind_KIND_UNSPECIFIED;
}
static void m_kind_syn(sgp_packet *p) {
  p->kind = sgp_v1_Kind_KIND_SYN;
  p->digest_count = 1;
  p->digest[0].generation = p->digest[0].seq = 1;
}
static void m_sender_n(sgp_packet *p) {
  p->sender = N;
}
static void m_origin_n(sgp_packet *p) {
  p->reports[1].origin = N;
}
static void m_silent_n(sgp_packet *p) {
  p->reports[0].silent_count = 1;
  p->reports[0].silent[0] = N;
}
static void m_order(sgp_packet *p) {
  p->reports[1].origin = p->reports[0].origin;
}
static void m_gen0(sgp_packet *p) {
  p->reports[0].generation = 0;
}
static void m_susp(sgp_packet *p) {
  p->reports[1].suspicion = 5001;
}
static void m_subs(sgp_packet *p) {
  p->reports[0].sub_count = 4;
}
static void m_sig(sgp_packet *p) {
  p->reports[1].sig.size = 0;
}
static void m_self_silent(sgp_packet *p) {
  p->reports[0].silent_count = 1;
  p->reports[0].silent[0] = p->reports[0].origin;
}

/* SGP-MERGE-12: merge itself re-runs the semantic step of the pipeline with
 * the node's roster n, so a packet that a roster-free decode (n = 0) would
 * pass but this roster does not, or any other semantically invalid packet,
 * is rejected with the pipeline's code and changes nothing.  (Steps 1, 2 and
 * 5 are on bytes: sgpd (issue 4) must decode before it merges.) */
Test(req_merge, merge12_merge_validates_with_its_roster) {
  struct {
    void (*mut)(sgp_packet *);
    sgp_err want, with_n0;
    const char *what;
  } cases[] = {
      {m_version0, SGP_ERR_VERSION, SGP_ERR_VERSION, "version absent"},
      {m_version2, SGP_ERR_VERSION, SGP_ERR_VERSION, "version 2"},
      {m_kind0, SGP_ERR_KIND, SGP_ERR_KIND, "kind absent"},
      {m_kind_syn, SGP_ERR_KIND, SGP_ERR_KIND, "SYN with reports"},
      {m_sender_n, SGP_ERR_NODE_ID, SGP_OK, "sender = n"},
      {m_origin_n, SGP_ERR_NODE_ID, SGP_OK, "origin = n"},
      {m_silent_n, SGP_ERR_NODE_ID, SGP_OK, "silent id = n"},
      {m_order, SGP_ERR_ORDER, SGP_ERR_ORDER, "equal origins"},
      {m_gen0, SGP_ERR_RANGE, SGP_ERR_RANGE, "generation 0"},
      {m_susp, SGP_ERR_RANGE, SGP_ERR_RANGE, "suspicion 5001"},
      {m_subs, SGP_ERR_SUB_COUNT, SGP_ERR_SUB_COUNT, "four sub-scores"},
      {m_sig, SGP_ERR_SIG_LEN, SGP_ERR_SIG_LEN, "empty signature"},
      {m_self_silent, SGP_ERR_SELF_SILENT, SGP_ERR_SELF_SILENT, "origin in its own row"},
  };
  struct sgp_state *s = tu_state_new(&C, &P, 0, 1);
  sgp_report_msg r[2];
  report(&r[0], 2, 1, 1, 10);
  report(&r[1], 3, 1, 1, 20);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    delta_of(pa, 4, r, 2);
    cases[i].mut(pa);
    cr_assert_eq(sgp_packet_validate(pa, 0), cases[i].with_n0, "%s (n = 0)", cases[i].what);
    expect_reject(s, pa, cases[i].want, cases[i].what);
  }
  delta_of(pa, 4, r, 2);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  tu_state_free(s);
}

/* ---- SGP-STATE-6, -7, -8 --------------------------------------------------- */

/* SGP-STATE-6: one slot per origin, holding the greatest report accepted
 * under the merge order, whatever order and duplication the reports arrive
 * in. */
Test(req_merge, state6_one_report_per_origin_the_greatest) {
  enum { K = 6 };
  sgp_report_msg pool[K];
  report(&pool[0], 3, 1, 5, 100);
  report(&pool[1], 3, 2, 1, 200);
  report(&pool[2], 3, 1, 9, 300);
  report(&pool[3], 3, 2, 1, 400); /* equivocation: same version as pool[1] */
  report(&pool[4], 3, 1, 1, 500);
  report(&pool[5], 3, 2, 1, 600);
  /* Expected: version (2,1), the variant with the greatest signature. */
  size_t best = 1;
  for (size_t i = 3; i < K; i += 2)
    if (memcmp(pool[i].sig.bytes, pool[best].sig.bytes, 64) > 0) best = i;
  uint64_t seed = 99;
  for (int iter = 0; iter < 20; iter++) {
    struct sgp_state *s = tu_state_new(&C, &P, 0, 1);
    for (int step = 0; step < 12; step++) {
      const sgp_report_msg *r = &pool[tu_rand(&seed) % K];
      delta_of(pa, 1 + (uint32_t)(tu_rand(&seed) % (N - 1)), r, 1);
      cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
    }
    for (size_t i = 0; i < K; i++) { /* then everything once, so the max has arrived */
      delta_of(pa, 2, &pool[i], 1);
      cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
    }
    sgp_report_msg held;
    cr_assert_eq(sgp_state_get_report(s, 3, &held), SGP_OK);
    cr_assert_eq(held.generation, 2);
    cr_assert_eq(held.seq, 1);
    cr_assert_eq(held.suspicion, pool[best].suspicion, "iter %d", iter);
    cr_assert_eq(memcmp(held.sig.bytes, pool[best].sig.bytes, 64), 0);
    /* The digest lists origin 3 once, with that report's tag. */
    cr_assert_eq(sgp_state_make_syn(s, pa), SGP_OK);
    size_t seen = 0;
    for (size_t i = 0; i < pa->digest_count; i++)
      if (pa->digest[i].origin == 3) {
        seen++;
        cr_assert_eq(pa->digest[i].tag, sgp_sig_tag(pool[best].sig.bytes));
      }
    cr_assert_eq(seen, 1);
    tu_state_free(s);
  }
}

/* SGP-STATE-7: the own slot only ever holds the node's own current report:
 * a received report of its own origin (newer, or same version with other
 * bytes) is never stored there; the node re-signs its own instead, and a
 * stale one changes nothing. */
Test(req_merge, state7_own_slot_never_stores_a_received_report) {
  struct sgp_state *s = tu_state_new(&C, &P, 2, 4);
  sgp_report_msg r[1], own;
  /* Same version (4,1) as our own report, different content. */
  report(&r[0], 2, 4, 1, 4321);
  delta_of(pa, 1, r, 1);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  cr_assert_eq(sgp_state_get_report(s, 2, &own), SGP_OK);
  cr_assert_eq(own.generation, 5);
  cr_assert_eq(own.seq, 1);
  cr_assert_eq(own.suspicion, 0, "our own values, not the received ones");
  cr_assert_neq(memcmp(own.sig.bytes, r[0].sig.bytes, 64), 0);
  cr_assert_eq(sgp_report_verify(&own, C.pk[2], NULL), SGP_OK);

  /* Newer (9,7): again our own report at 10, not the received one. */
  report(&r[0], 2, 9, 7, 5000);
  delta_of(pa, 1, r, 1);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  cr_assert_eq(sgp_state_get_report(s, 2, &own), SGP_OK);
  cr_assert_eq(own.generation, 10);
  cr_assert_eq(own.seq, 1);
  cr_assert_eq(own.suspicion, 0);
  cr_assert_eq(s->e[2].age, 0);

  /* Stale (9,8) < (10,1): nothing happens. */
  uint8_t h1[32], h2[32];
  sgp_state_hash(s, h1);
  report(&r[0], 2, 9, 8, 5000);
  delta_of(pa, 1, r, 1);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  sgp_state_hash(s, h2);
  cr_assert_eq(memcmp(h1, h2, 32), 0);
  tu_state_free(s);
}

/* SGP-STATE-8: every rejecting operation leaves reports, ages, round, own
 * generation and seq unchanged; only the rejection counter moves.  Covers
 * each merge rejection code and the failing tick and agent input. */
Test(req_merge, state8_rejections_change_nothing) {
  struct sgp_params p = P;
  p.max_silent = 1;
  struct sgp_state *s = tu_state_new(&C, &p, 0, 3);
  sgp_report_msg r[2];
  report(&r[0], 1, 1, 1, 10);
  delta_of(pa, 1, r, 1);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  cr_assert_eq(sgp_state_tick(s), SGP_OK);

  report(&r[0], 2, 1, 1, 10);
  delta_of(pa, 0, r, 1);
  expect_reject(s, pa, SGP_ERR_SENDER, "sender is self");
  report(&r[1], 3, 1, 1, 10);
  r[1].suspicion = 11;
  delta_of(pa, 2, r, 2);
  expect_reject(s, pa, SGP_ERR_BAD_SIGNATURE, "tampered report");
  report(&r[1], 3, 1, 1, 10);
  r[1].silent_count = 2;
  r[1].silent[0] = 1;
  r[1].silent[1] = 2;
  delta_of(pa, 2, r, 2);
  expect_reject(s, pa, SGP_ERR_TOO_MANY, "row over max_silent");
  sgp_report_msg own_max[1];
  report(&own_max[0], 0, UINT32_MAX, 1, 0);
  delta_of(pa, 2, own_max, 1);
  expect_reject(s, pa, SGP_ERR_EXHAUSTED, "own generation max");
  delta_of(pa, 2, r, 1);
  pa->version = 3;
  expect_reject(s, pa, SGP_ERR_VERSION, "version 3");

  /* Agent input out of range and an exhausted tick. */
  uint8_t h1[32], h2[32];
  sgp_state_hash(s, h1);
  uint16_t sub[5] = {0, 0, 0, 0, 2000};
  cr_assert_eq(sgp_state_set_local(s, 1, sub), SGP_ERR_RANGE);
  sgp_state_hash(s, h2);
  cr_assert_eq(memcmp(h1, h2, 32), 0, "set_local");
  s->e[0].seq = UINT32_MAX;
  s->p.heartbeat = 1;
  sgp_state_hash(s, h1);
  uint64_t round = s->round;
  cr_assert_eq(sgp_state_tick(s), SGP_ERR_EXHAUSTED);
  sgp_state_hash(s, h2);
  cr_assert_eq(memcmp(h1, h2, 32), 0, "tick");
  cr_assert_eq(s->round, round);
  cr_assert_eq(s->e[1].age, 1, "ages did not advance");
  tu_state_free(s);
}

/* ---- SGP-DATA-4 ------------------------------------------------------------- */

/* SGP-DATA-4: an opinion row is strictly ascending, holds only ids below n,
 * never its origin, at most max_silent entries.  The rows a tick builds
 * satisfy this, and rows breaking it are refused with their codes. */
Test(req_merge, data4_opinion_row_rules) {
  enum { M = 10 };
  struct tu_cluster c;
  tu_cluster_init(&c, M);
  struct sgp_params p;
  sgp_params_default(&p, M);
  p.max_silent = 3;
  p.t_cleanup = 1;
  p.heartbeat = 1;
  struct sgp_state *s = tu_state_new(&c, &p, 1, 1);
  for (int i = 0; i < 3; i++) cr_assert_eq(sgp_state_tick(s), SGP_OK);
  sgp_report_msg own;
  cr_assert_eq(sgp_state_get_report(s, 1, &own), SGP_OK);
  cr_assert_eq(own.silent_count, 3);
  cr_assert_eq(own.silent[0], 0);
  cr_assert_eq(own.silent[1], 2, "own id skipped");
  cr_assert_eq(own.silent[2], 3, "lowest max_silent ids only");
  cr_assert_eq(sgp_report_msg_validate(&own, M), SGP_OK);

  sgp_report_msg r = own;
  r.silent[1] = 0;
  cr_assert_eq(sgp_report_msg_validate(&r, M), SGP_ERR_ORDER, "repeated id");
  r = own;
  r.silent[0] = 3;
  r.silent[2] = 0;
  cr_assert_eq(sgp_report_msg_validate(&r, M), SGP_ERR_ORDER, "descending");
  r = own;
  r.silent[2] = M;
  cr_assert_eq(sgp_report_msg_validate(&r, M), SGP_ERR_NODE_ID, "id = n");
  r = own;
  r.silent[1] = 1;
  cr_assert_eq(sgp_report_msg_validate(&r, M), SGP_ERR_SELF_SILENT, "origin itself");
  r = own;
  r.silent_count = 65;
  cr_assert_eq(sgp_report_msg_validate(&r, M), SGP_ERR_TOO_MANY, "over 64");
  /* Over max_silent (3) but within 64: merge refuses it. */
  struct sgp_state *t = tu_state_new(&c, &p, 5, 1);
  memset(&r, 0, sizeof r);
  r.origin = 4;
  r.generation = r.seq = 1;
  r.sub_count = 5;
  r.silent_count = 4;
  for (uint32_t i = 0; i < 4; i++) r.silent[i] = i;
  cr_assert_eq(sgp_report_sign(&r, c.sk[4]), SGP_OK);
  cr_assert_eq(sgp_report_msg_validate(&r, M), SGP_OK);
  delta_of(pa, 4, &r, 1);
  cr_assert_eq(sgp_state_merge(t, pa, NULL), SGP_ERR_TOO_MANY);
  tu_state_free(s);
  tu_state_free(t);
  tu_cluster_free(&c);
}

/* ---- SGP-ID-2 ---------------------------------------------------------------- */

/* SGP-ID-2: a report is attributed to its origin only through the origin's
 * roster sign-pk: the sender field neither vouches for nor taints it.  A
 * report of origin 2 signed with sender 1's key is refused; origin 2's own
 * report is adopted as 2's whichever node sends it. */
Test(req_merge, id2_reports_are_attributed_by_the_origin_key) {
  struct sgp_state *s = tu_state_new(&C, &P, 0, 1), *t = tu_state_new(&C, &P, 0, 1);
  sgp_report_msg r[1];
  report_by(&r[0], 2, 1, 1, 4500, 1);
  delta_of(pa, 1, r, 1);
  expect_reject(s, pa, SGP_ERR_BAD_SIGNATURE, "origin 2 signed by sender 1");

  report(&r[0], 2, 1, 1, 4500);
  delta_of(pa, 1, r, 1);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  delta_of(pa, 5, r, 1);
  cr_assert_eq(sgp_state_merge(t, pa, NULL), SGP_OK);
  uint8_t h1[32], h2[32];
  sgp_state_hash(s, h1);
  sgp_state_hash(t, h2);
  cr_assert_eq(memcmp(h1, h2, 32), 0, "the sender changed the outcome");
  cr_assert_eq(s->e[2].suspicion, 4500);
  cr_assert_eq(s->e[1].gen, 0, "nothing is attributed to the sender");
  tu_state_free(s);
  tu_state_free(t);
}
