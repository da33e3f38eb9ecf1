/* Consensus verdicts (spec §6) and the paper's A/B/C/D example (Appendix B). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/consensus.h"
#include "testutil.h"

enum { N = 5 };
static struct tu_cluster C;
static struct sgp_params P;
static sgp_packet *pk;

static void setup(void) {
  tu_cluster_init(&C, N);
  sgp_params_default(&P, N);
  pk = calloc(1, sizeof *pk);
}
static void teardown(void) {
  tu_cluster_free(&C);
  free(pk);
}
TestSuite(consensus, .init = setup, .fini = teardown);

static void put(struct sgp_state *s, uint32_t o, uint32_t seq, uint32_t susp,
                const uint32_t *silent, size_t ns) {
  memset(pk, 0, sizeof *pk);
  pk->version = 1;
  pk->sender = o == s->self ? (o + 1) % N : o;
  pk->kind = sgp_v1_Kind_KIND_DELTA;
  sgp_report_msg *r = &pk->reports[0];
  r->origin = o;
  r->generation = 1;
  r->seq = seq;
  r->suspicion = susp;
  r->sub_count = 5;
  r->silent_count = (pb_size_t)ns;
  for (size_t i = 0; i < ns; i++) r->silent[i] = silent[i];
  cr_assert_eq(sgp_report_sign(r, C.sk[o]), SGP_OK);
  pk->reports_count = 1;
  cr_assert_eq(sgp_state_merge(s, pk, NULL), SGP_OK);
}

/* SGP-CONS-1, SGP-CONS-5: thresholds on the origin's own signed report. */
Test(consensus, thresholds) {
  struct sgp_state *s = tu_state_new(&C, &P, 0, 1);
  sgp_verdict v[N];
  put(s, 1, 2, 2499, NULL, 0);
  put(s, 2, 2, 2500, NULL, 0);
  put(s, 3, 2, 3999, NULL, 0);
  put(s, 4, 2, 4000, NULL, 0);
  sgp_consensus_run(s, v);
  cr_assert_eq(v[0], SGP_VERDICT_CLEAN);
  cr_assert_eq(v[1], SGP_VERDICT_CLEAN);
  cr_assert_eq(v[2], SGP_VERDICT_SUSPECT);
  cr_assert_eq(v[3], SGP_VERDICT_SUSPECT);
  cr_assert_eq(v[4], SGP_VERDICT_COMPROMISED);
  cr_assert_str_eq(sgp_verdict_name(v[4]), "COMPROMISED");
  tu_state_free(s);
}

Test(consensus, unknown_without_report) {
  struct sgp_state *s = tu_state_new(&C, &P, 0, 1);
  sgp_verdict v[N];
  sgp_consensus_run(s, v);
  cr_assert_eq(v[0], SGP_VERDICT_CLEAN);
  cr_assert_eq(v[3], SGP_VERDICT_UNKNOWN);
  tu_state_free(s);
}

/* SGP-CONS-3: SILENT needs a strict majority of live rows; one insider row
 * (SGP-SEC: insider) is not enough. */
Test(consensus, silent_majority_and_insider_vote) {
  struct sgp_state *s = tu_state_new(&C, &P, 0, 1);
  sgp_verdict v[N];
  const uint32_t four[] = {4};
  for (uint32_t o = 1; o < 4; o++) put(s, o, 2, 0, NULL, 0);
  put(s, 4, 2, 0, NULL, 0);
  put(s, 1, 3, 0, four, 1); /* one row says 4 is silent */
  sgp_consensus_run(s, v);
  cr_assert_eq(v[4], SGP_VERDICT_CLEAN, "a single row is not a quorum");
  put(s, 2, 3, 0, four, 1);
  sgp_consensus_run(s, v);
  /* live = {0,1,2,3,4}; voters for 4 = 4, need 3 */
  cr_assert_eq(v[4], SGP_VERDICT_CLEAN);
  put(s, 3, 3, 0, four, 1);
  sgp_consensus_run(s, v);
  cr_assert_eq(v[4], SGP_VERDICT_SILENT);
  tu_state_free(s);
}

/* SGP-CONS-4: the quorum counts only live rows, so silence of many nodes is
 * still detected by the survivors. */
Test(consensus, quorum_over_live_rows) {
  struct sgp_params p = P;
  p.t_cleanup = 2;
  p.heartbeat = 1;
  struct sgp_state *s = tu_state_new(&C, &p, 0, 1);
  put(s, 1, 2, 0, NULL, 0);
  for (int i = 0; i < 3; i++) cr_assert_eq(sgp_state_tick(s), SGP_OK);
  /* node 1 refreshes and agrees 2,3,4 are silent; 2,3,4 never spoke */
  const uint32_t dead[] = {2, 3, 4};
  put(s, 1, 3, 0, dead, 3);
  cr_assert_eq(sgp_state_tick(s), SGP_OK); /* our own row is recomputed at the tick */
  sgp_verdict v[N];
  sgp_consensus_run(s, v);
  cr_assert_eq(v[2], SGP_VERDICT_SILENT);
  cr_assert_eq(v[4], SGP_VERDICT_SILENT);
  cr_assert_eq(v[1], SGP_VERDICT_CLEAN);
  cr_assert(sgp_consensus_is_live(s, 1));
  cr_assert(!sgp_consensus_is_live(s, 2));
  tu_state_free(s);
}

/* SGP-CONS-1: COMPROMISED outranks SILENT. */
Test(consensus, compromised_outranks_silent) {
  struct sgp_state *s = tu_state_new(&C, &P, 0, 1);
  const uint32_t four[] = {4};
  put(s, 4, 2, 4600, NULL, 0);
  for (uint32_t o = 1; o < 4; o++) put(s, o, 2, 0, four, 1);
  sgp_verdict v[N];
  sgp_consensus_run(s, v);
  cr_assert_eq(v[4], SGP_VERDICT_COMPROMISED);
  tu_state_free(s);
}

/* Appendix B: the paper's example.  Nodes A..D = 0..3.  The paper's ages for
 * D's value become versions of D's report: seq = 100 - age.  A holds D at
 * age 10 (value 2.8), C at age 6 (3.7), B at age 2 (4.6).  A gossips with C,
 * then with B; freshest wins, so A ends with B's 4.6 = 4600: COMPROMISED. */
Test(consensus, paper_abcd_example) {
  struct tu_cluster c4;
  tu_cluster_init(&c4, 4);
  struct sgp_params p;
  sgp_params_default(&p, 4);
  struct sgp_state *a = tu_state_new(&c4, &p, 0, 1), *b = tu_state_new(&c4, &p, 1, 1),
                   *c = tu_state_new(&c4, &p, 2, 1);
  struct {
    struct sgp_state *holder;
    uint32_t seq, value;
  } held[] = {{a, 90, 2800}, {c, 94, 3700}, {b, 98, 4600}};
  for (size_t i = 0; i < 3; i++) {
    memset(pk, 0, sizeof *pk);
    pk->version = 1;
    pk->sender = 3;
    pk->kind = sgp_v1_Kind_KIND_DELTA;
    sgp_report_msg *r = &pk->reports[0];
    r->origin = 3;
    r->generation = 1;
    r->seq = held[i].seq;
    r->suspicion = held[i].value;
    r->sub_count = 5;
    cr_assert_eq(sgp_report_sign(r, c4.sk[3]), SGP_OK);
    pk->reports_count = 1;
    cr_assert_eq(sgp_state_merge(held[i].holder, pk, NULL), SGP_OK);
  }
  sgp_packet *syn = calloc(1, sizeof *syn), *ack = calloc(1, sizeof *ack);
  sgp_verdict v[4];
  /* A gossips with C */
  cr_assert_eq(sgp_state_make_syn(a, syn), SGP_OK);
  cr_assert_eq(sgp_state_make_ack(c, syn, ack, 0), SGP_OK);
  cr_assert_eq(sgp_state_merge(a, ack, NULL), SGP_OK);
  cr_assert_eq(a->e[3].suspicion, 3700);
  sgp_consensus_run(a, v);
  cr_assert_eq(v[3], SGP_VERDICT_SUSPECT);
  /* then with B */
  cr_assert_eq(sgp_state_make_syn(a, syn), SGP_OK);
  cr_assert_eq(sgp_state_make_ack(b, syn, ack, 0), SGP_OK);
  cr_assert_eq(sgp_state_merge(a, ack, NULL), SGP_OK);
  cr_assert_eq(a->e[3].suspicion, 4600);
  cr_assert_eq(a->e[3].seq, 98);
  sgp_consensus_run(a, v);
  cr_assert_eq(v[3], SGP_VERDICT_COMPROMISED);
  /* C as an insider claims a fresher D value of 0: signed with C's key it
   * fails verification under D's roster key, and A keeps 4600. */
  memset(pk, 0, sizeof *pk);
  pk->version = 1;
  pk->sender = 2;
  pk->kind = sgp_v1_Kind_KIND_DELTA;
  sgp_report_msg *r = &pk->reports[0];
  r->origin = 3;
  r->generation = 1;
  r->seq = 100;
  r->suspicion = 0;
  r->sub_count = 5;
  cr_assert_eq(sgp_report_sign(r, c4.sk[2]), SGP_OK);
  pk->reports_count = 1;
  cr_assert_eq(sgp_state_merge(a, pk, NULL), SGP_ERR_BAD_SIGNATURE);
  cr_assert_eq(a->e[3].suspicion, 4600);
  free(syn);
  free(ack);
  tu_state_free(a);
  tu_state_free(b);
  tu_state_free(c);
  tu_cluster_free(&c4);
}
