/* State, merge, tick and exchange (spec §5). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/consensus.h"
#include "sgp/state.h"
#include "testutil.h"

enum { N = 6 };
static struct tu_cluster C;
static struct sgp_params P;
static sgp_packet *pa, *pb;

static void setup(void) {
  tu_cluster_init(&C, N);
  sgp_params_default(&P, N);
  pa = calloc(1, sizeof *pa);
  pb = calloc(1, sizeof *pb);
}
static void teardown(void) {
  tu_cluster_free(&C);
  free(pa);
  free(pb);
}
TestSuite(state, .init = setup, .fini = teardown);

static void hash(const struct sgp_state *st, uint8_t h[32]) {
  sgp_state_hash(st, h);
}

/* A signed report of origin o with the given version and suspicion. */
static void report(sgp_report_msg *r, uint32_t o, uint32_t gen, uint32_t seq, uint32_t susp) {
  tu_report(r, C.sk[o], o, gen, seq, susp, NULL, 0);
}

static void delta_of(sgp_packet *p, uint32_t sender, const sgp_report_msg *rs, size_t k) {
  tu_delta(p, sender, rs, k);
}

/* Full SYN/ACK/DELTA between a (initiator) and b. */
static void exchange(struct sgp_state *a, struct sgp_state *b) {
  cr_assert_eq(sgp_state_make_syn(a, pa), SGP_OK);
  cr_assert_eq(sgp_state_make_ack(b, pa, pb, 0), SGP_OK);
  cr_assert_eq(sgp_state_merge(a, pb, NULL), SGP_OK);
  cr_assert_eq(sgp_state_make_delta(a, pb, pa, 0), SGP_OK);
  cr_assert_eq(sgp_state_merge(b, pa, NULL), SGP_OK);
}

/* SGP-STATE-1, SGP-REPORT-1: the own report exists at init and verifies. */
Test(state, init_signs_own_report) {
  struct sgp_state *s = tu_state_new(&C, &P, 2, 7);
  sgp_report_msg r;
  cr_assert_eq(sgp_state_get_report(s, 2, &r), SGP_OK);
  cr_assert_eq(r.generation, 7);
  cr_assert_eq(r.seq, 1);
  cr_assert_eq(sgp_report_verify(&r, C.pk[2], NULL), SGP_OK);
  cr_assert_eq(sgp_state_get_report(s, 3, &r), SGP_ERR_STATE);
  tu_state_free(s);
}

Test(state, init_rejects_bad_args) {
  struct sgp_state st;
  size_t len = sgp_state_mem_size(&P);
  void *mem = malloc(len);
  cr_assert_eq(sgp_state_init(&st, mem, len, &P, 1, 1, (const uint8_t(*)[32])C.pk, C.sk[2], NULL),
               SGP_ERR_KEY_MISMATCH);
  cr_assert_eq(sgp_state_init(&st, mem, len, &P, 1, 0, (const uint8_t(*)[32])C.pk, C.sk[1], NULL),
               SGP_ERR_RANGE);
  cr_assert_eq(
      sgp_state_init(&st, mem, len - 1, &P, 1, 1, (const uint8_t(*)[32])C.pk, C.sk[1], NULL),
      SGP_ERR_NO_SPACE);
  cr_assert_eq(sgp_state_init(&st, mem, len, &P, N, 1, (const uint8_t(*)[32])C.pk, C.sk[1], NULL),
               SGP_ERR_NODE_ID);
  struct sgp_params bad = P;
  bad.max_silent = SGP_MAX_SILENT + 1;
  cr_assert_eq(sgp_params_validate(&bad), SGP_ERR_RANGE);
  free(mem);
}

/* SGP-XCHG-1..3: one exchange gives both sides each other's reports. */
Test(state, exchange_spreads_both_ways) {
  struct sgp_state *a = tu_state_new(&C, &P, 0, 1), *b = tu_state_new(&C, &P, 1, 1);
  exchange(a, b);
  sgp_report_msg r;
  cr_assert_eq(sgp_state_get_report(a, 1, &r), SGP_OK);
  cr_assert_eq(sgp_state_get_report(b, 0, &r), SGP_OK);
  /* A second exchange carries nothing new. */
  cr_assert_eq(sgp_state_make_syn(a, pa), SGP_OK);
  cr_assert_eq(sgp_state_make_ack(b, pa, pb, 0), SGP_OK);
  cr_assert_eq(pb->reports_count, 0);
  tu_state_free(a);
  tu_state_free(b);
}

/* SGP-MERGE-1: stale and duplicate reports change nothing. */
Test(state, stale_is_ignored) {
  struct sgp_state *s = tu_state_new(&C, &P, 0, 1);
  sgp_report_msg r[1];
  report(&r[0], 3, 2, 5, 100);
  delta_of(pa, 3, r, 1);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  uint8_t h1[32], h2[32];
  hash(s, h1);
  struct sgp_merge_result res;
  cr_assert_eq(sgp_state_merge(s, pa, &res), SGP_OK); /* duplicate */
  cr_assert_eq(res.adopted, 0);
  report(&r[0], 3, 2, 4, 4900); /* older seq */
  delta_of(pa, 3, r, 1);
  cr_assert_eq(sgp_state_merge(s, pa, &res), SGP_OK);
  cr_assert_eq(res.stale, 1);
  report(&r[0], 3, 1, 99, 4900); /* older generation, higher seq */
  delta_of(pa, 3, r, 1);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  hash(s, h2);
  cr_assert_eq(memcmp(h1, h2, 32), 0);
  tu_state_free(s);
}

/* SGP-MERGE-2, SGP-MERGE-7: one forged report rejects the whole packet. */
Test(state, forged_report_rejects_packet_atomically) {
  struct sgp_state *s = tu_state_new(&C, &P, 0, 1);
  sgp_report_msg r[2];
  report(&r[0], 2, 1, 1, 100);
  report(&r[1], 3, 1, 1, 100);
  r[1].suspicion = 4999; /* tampered after signing */
  delta_of(pa, 2, r, 2);
  uint8_t h1[32], h2[32];
  hash(s, h1);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_ERR_BAD_SIGNATURE);
  hash(s, h2);
  cr_assert_eq(memcmp(h1, h2, 32), 0);
  cr_assert_eq(s->stats.packets_rejected, 1);
  tu_state_free(s);
}

/* SGP-MERGE-2, SGP-SEC: an insider signs a report about another origin with
 * its own key; it must not verify against the origin's roster key. */
Test(state, insider_cannot_forge_other_origin) {
  struct sgp_state *s = tu_state_new(&C, &P, 0, 1);
  sgp_report_msg r[1];
  memset(&r[0], 0, sizeof r[0]);
  r[0].origin = 4;
  r[0].generation = 9;
  r[0].seq = 9;
  r[0].suspicion = 5000;
  r[0].sub_count = 5;
  cr_assert_eq(sgp_report_sign(&r[0], C.sk[5]), SGP_OK);
  delta_of(pa, 5, r, 1);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_ERR_BAD_SIGNATURE);
  tu_state_free(s);
}

/* SGP-MERGE-8 */
Test(state, sender_self_rejected) {
  struct sgp_state *s = tu_state_new(&C, &P, 0, 1);
  sgp_report_msg r[1];
  report(&r[0], 2, 1, 1, 100);
  delta_of(pa, 0, r, 1);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_ERR_SENDER);
  tu_state_free(s);
}

/* SGP-MERGE-6: equal versions with different content: the greater bytes win
 * whatever the arrival order. */
Test(state, tie_break_commutes) {
  struct sgp_state *s1 = tu_state_new(&C, &P, 0, 1), *s2 = tu_state_new(&C, &P, 0, 1);
  sgp_report_msg x[1], y[1];
  report(&x[0], 3, 4, 4, 1000);
  report(&y[0], 3, 4, 4, 2000);
  delta_of(pa, 3, x, 1);
  delta_of(pb, 3, y, 1);
  cr_assert_eq(sgp_state_merge(s1, pa, NULL), SGP_OK);
  cr_assert_eq(sgp_state_merge(s1, pb, NULL), SGP_OK);
  cr_assert_eq(sgp_state_merge(s2, pb, NULL), SGP_OK);
  cr_assert_eq(sgp_state_merge(s2, pa, NULL), SGP_OK);
  uint8_t h1[32], h2[32];
  hash(s1, h1);
  hash(s2, h2);
  cr_assert_eq(memcmp(h1, h2, 32), 0);
  tu_state_free(s1);
  tu_state_free(s2);
}

/* SGP-STATE-3, SGP-MERGE-3: a restart (generation + 1, seq 1) beats any seq
 * of the old generation. */
Test(state, restart_generation_wins) {
  struct sgp_state *s = tu_state_new(&C, &P, 0, 1);
  sgp_report_msg r[1];
  report(&r[0], 2, 5, 1000, 4500);
  delta_of(pa, 2, r, 1);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  report(&r[0], 2, 6, 1, 0);
  delta_of(pa, 2, r, 1);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  cr_assert_eq(s->e[2].gen, 6);
  cr_assert_eq(s->e[2].suspicion, 0);
  tu_state_free(s);
}

/* SGP-MERGE-9: a valid report of our own origin that is newer than ours
 * makes us jump to a higher generation. */
Test(state, own_origin_newer_forces_generation_jump) {
  struct sgp_state *s = tu_state_new(&C, &P, 1, 3);
  sgp_report_msg r[1];
  report(&r[0], 1, 8, 2, 0);
  delta_of(pa, 2, r, 1);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  cr_assert_eq(s->e[1].gen, 9);
  cr_assert_eq(s->e[1].seq, 1);
  sgp_report_msg own;
  cr_assert_eq(sgp_state_get_report(s, 1, &own), SGP_OK);
  cr_assert_eq(sgp_report_verify(&own, C.pk[1], NULL), SGP_OK);
  tu_state_free(s);
}

/* SGP-MERGE-4, SGP-TICK-1, SGP-TICK-3: ages count rounds since the version
 * advanced; past t_cleanup the node enters our opinion row. */
Test(state, ages_and_opinion_row) {
  struct sgp_params p = P;
  p.t_cleanup = 3;
  p.heartbeat = 1;
  struct sgp_state *s = tu_state_new(&C, &p, 0, 1);
  sgp_report_msg r[1];
  report(&r[0], 2, 1, 1, 0);
  delta_of(pa, 2, r, 1);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  cr_assert_eq(s->e[2].age, 0);
  for (int i = 0; i < 3; i++) cr_assert_eq(sgp_state_tick(s), SGP_OK);
  cr_assert_eq(s->e[2].age, 3);
  cr_assert_eq(s->e[0].silent_count, 0);
  cr_assert_eq(sgp_state_tick(s), SGP_OK);
  /* every other node (never heard of, or 2) is now past t_cleanup */
  cr_assert_eq(s->e[0].silent_count, N - 1);
  cr_assert_eq(sgp_state_silent_row(s, 0)[1], 2);
  cr_assert_eq(s->e[0].age, 0);
  tu_state_free(s);
}

/* SGP-TICK-4: heartbeat re-signs every H rounds; SGP-TICK-2: a local change
 * re-signs at the next tick. */
Test(state, heartbeat_and_local_change) {
  struct sgp_params p = P;
  p.heartbeat = 3;
  struct sgp_state *s = tu_state_new(&C, &p, 0, 1);
  cr_assert_eq(sgp_state_tick(s), SGP_OK);
  cr_assert_eq(s->e[0].seq, 1);
  cr_assert_eq(sgp_state_tick(s), SGP_OK);
  cr_assert_eq(sgp_state_tick(s), SGP_OK);
  cr_assert_eq(s->e[0].seq, 2);
  uint16_t sub[5] = {1000, 1000, 1000, 1000, 1000};
  cr_assert_eq(sgp_state_set_local(s, 5000, sub), SGP_OK);
  cr_assert_eq(s->e[0].seq, 2);
  cr_assert_eq(sgp_state_tick(s), SGP_OK);
  cr_assert_eq(s->e[0].seq, 3);
  cr_assert_eq(s->e[0].suspicion, 5000);
  sub[0] = 1001;
  cr_assert_eq(sgp_state_set_local(s, 10, sub), SGP_ERR_RANGE);
  cr_assert_eq(sgp_state_set_local(s, 5001, sub), SGP_ERR_RANGE);
  tu_state_free(s);
}

/* SGP-TICK-5: the sequence space never wraps. */
Test(state, seq_exhaustion) {
  struct sgp_state *s = tu_state_new(&C, &P, 0, 1);
  s->e[0].seq = UINT32_MAX;
  s->p.heartbeat = 1;
  uint8_t h1[32], h2[32];
  hash(s, h1);
  cr_assert_eq(sgp_state_tick(s), SGP_ERR_EXHAUSTED);
  hash(s, h2);
  cr_assert_eq(memcmp(h1, h2, 32), 0);
  tu_state_free(s);
}

/* SGP-XCHG-4: the budget caps the report bytes and the own report goes first. */
Test(state, budget_priority) {
  struct sgp_state *s = tu_state_new(&C, &P, 0, 1);
  sgp_report_msg r[5];
  for (uint32_t i = 1; i < N; i++) report(&r[i - 1], i, 1, 1, 0);
  delta_of(pa, 1, r, 5);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  struct sgp_state *t = tu_state_new(&C, &P, 5, 1);
  cr_assert_eq(sgp_state_make_syn(t, pa), SGP_OK);
  cr_assert_eq(sgp_state_make_ack(s, pa, pb, 300), SGP_OK);
  size_t bytes = 0;
  for (size_t i = 0; i < pb->reports_count; i++) bytes += sgp_report_msg_wire_size(&pb->reports[i]);
  cr_assert_leq(bytes, 300);
  cr_assert_geq(pb->reports_count, 1);
  cr_assert_lt(pb->reports_count, 5, "budget must have cut the delta");
  cr_assert_eq(pb->reports[0].origin, 0, "own report first");
  /* Without a budget limit all five newer reports go. */
  cr_assert_eq(sgp_state_make_ack(s, pa, pb, 0), SGP_OK);
  cr_assert_eq(pb->reports_count, 5);
  tu_state_free(s);
  tu_state_free(t);
}

/* SGP-XCHG-8: the digest lists every held origin in ascending order. */
Test(state, digest_complete_and_ordered) {
  struct sgp_state *s = tu_state_new(&C, &P, 3, 1);
  sgp_report_msg r[2];
  report(&r[0], 1, 1, 1, 0);
  report(&r[1], 4, 1, 1, 0);
  delta_of(pa, 1, r, 2);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  cr_assert_eq(sgp_state_make_syn(s, pb), SGP_OK);
  cr_assert_eq(pb->digest_count, 3);
  cr_assert_eq(pb->digest[0].origin, 1);
  cr_assert_eq(pb->digest[1].origin, 3);
  cr_assert_eq(pb->digest[2].origin, 4);
  cr_assert_eq(pb->digest[1].tag, sgp_sig_tag(s->e[3].sig));
  tu_state_free(s);
}

/* ---- seeded property tests: merge is a semilattice join (SGP-MERGE-5) ---- */

enum { POOL = 40 };
static sgp_report_msg pool[POOL];

static void make_pool(uint64_t *seed) {
  for (int i = 0; i < POOL; i++) {
    uint32_t o = 1 + (uint32_t)(tu_rand(seed) % (N - 1));
    report(&pool[i], o, 1 + (uint32_t)(tu_rand(seed) % 3), 1 + (uint32_t)(tu_rand(seed) % 4),
           (uint32_t)(tu_rand(seed) % 5001));
  }
}

/* A random packet: at most one report per origin, ascending. */
static void random_packet(sgp_packet *p, uint64_t *seed) {
  sgp_report_msg chosen[N];
  int have[N] = {0};
  size_t k = 0;
  int m = 1 + (int)(tu_rand(seed) % 6);
  for (int i = 0; i < m; i++) {
    const sgp_report_msg *r = &pool[tu_rand(seed) % POOL];
    if (!have[r->origin]) {
      have[r->origin] = 1;
      chosen[r->origin] = *r;
    }
  }
  sgp_report_msg out[N];
  for (uint32_t o = 0; o < N; o++)
    if (have[o]) out[k++] = chosen[o];
  delta_of(p, 1 + (uint32_t)(tu_rand(seed) % (N - 1)), out, k);
}

static void versions(const struct sgp_state *s, uint64_t v[N]) {
  for (int i = 0; i < N; i++) v[i] = (uint64_t)s->e[i].gen << 32 | s->e[i].seq;
}

Test(state, property_idempotent_commutative_associative_monotone) {
  uint64_t seed = 0x5eed;
  make_pool(&seed);
  for (int iter = 0; iter < 300; iter++) {
    sgp_packet *p = pa, *q = pb;
    random_packet(p, &seed);
    random_packet(q, &seed);
    struct sgp_state *x = tu_state_new(&C, &P, 0, 1), *y = tu_state_new(&C, &P, 0, 1);
    uint8_t hx[32], hy[32];
    uint64_t before[N], after[N];
    /* idempotent */
    cr_assert_eq(sgp_state_merge(x, p, NULL), SGP_OK);
    hash(x, hx);
    cr_assert_eq(sgp_state_merge(x, p, NULL), SGP_OK);
    hash(x, hy);
    cr_assert_eq(memcmp(hx, hy, 32), 0, "idempotence, iter %d", iter);
    /* commutative (and monotone along the way) */
    versions(x, before);
    cr_assert_eq(sgp_state_merge(x, q, NULL), SGP_OK);
    versions(x, after);
    for (int i = 0; i < N; i++) cr_assert_geq(after[i], before[i], "monotone");
    cr_assert_eq(sgp_state_merge(y, q, NULL), SGP_OK);
    cr_assert_eq(sgp_state_merge(y, p, NULL), SGP_OK);
    hash(x, hx);
    hash(y, hy);
    cr_assert_eq(memcmp(hx, hy, 32), 0, "commutativity, iter %d", iter);
    /* associative: (x merge p) then state-of-(q merged into fresh z) relayed
     * equals merging p and q directly; relaying z's state is a packet too. */
    struct sgp_state *z = tu_state_new(&C, &P, 0, 1);
    cr_assert_eq(sgp_state_merge(z, q, NULL), SGP_OK);
    struct sgp_state *w = tu_state_new(&C, &P, 0, 1);
    cr_assert_eq(sgp_state_merge(w, p, NULL), SGP_OK);
    sgp_packet *syn = calloc(1, sizeof *syn), *ack = calloc(1, sizeof *ack);
    cr_assert_eq(sgp_state_make_syn(w, syn), SGP_OK);
    cr_assert_eq(sgp_state_make_ack(z, syn, ack, 0), SGP_OK);
    /* drop z's own origin-0 report so only q's content is relayed */
    size_t k = 0;
    for (size_t i = 0; i < ack->reports_count; i++)
      if (ack->reports[i].origin != 0) ack->reports[k++] = ack->reports[i];
    ack->reports_count = (pb_size_t)k;
    ack->sender = 1;
    cr_assert_eq(sgp_state_merge(w, ack, NULL), SGP_OK);
    hash(w, hy);
    cr_assert_eq(memcmp(hx, hy, 32), 0, "associativity via relay, iter %d", iter);
    free(syn);
    free(ack);
    tu_state_free(x);
    tu_state_free(y);
    tu_state_free(z);
    tu_state_free(w);
  }
}

/* SGP-MERGE-13: merge validates by itself; an unvalidated struct with an
 * out-of-roster origin or a repeated origin is rejected, state unchanged. */
Test(state, merge_validates_itself) {
  struct sgp_state *s = tu_state_new(&C, &P, 0, 1);
  sgp_report_msg r[2];
  report(&r[0], 2, 1, 1, 0);
  report(&r[1], 2, 1, 2, 0);
  delta_of(pa, 2, r, 2);
  uint8_t h1[32], h2[32];
  hash(s, h1);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_ERR_ORDER);
  pa->reports_count = 1;
  pa->reports[0].origin = N;
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_ERR_NODE_ID);
  hash(s, h2);
  cr_assert_eq(memcmp(h1, h2, 32), 0);
  tu_state_free(s);
}

/* SGP-TICK-2: agent values that change and change back before the tick do
 * not produce a new version (only a difference from the signed report). */
Test(state, local_change_and_back_is_no_change) {
  struct sgp_params p = P;
  p.heartbeat = 5;
  struct sgp_state *s = tu_state_new(&C, &p, 0, 1);
  uint16_t hi[5] = {900, 900, 900, 900, 900}, lo[5] = {0};
  cr_assert_eq(sgp_state_set_local(s, 4500, hi), SGP_OK);
  cr_assert_eq(sgp_state_set_local(s, 0, lo), SGP_OK);
  cr_assert_eq(sgp_state_tick(s), SGP_OK);
  cr_assert_eq(s->e[0].seq, 1);
  tu_state_free(s);
}
