/* Requirement tests for the exchange and the verdicts (spec §5.4, §6.1):
 * SGP-XCHG-2, -5, -6, -9, -10, SGP-CONS-2, SGP-CONS-6.
 *
 * The per-round rules of the exchange (peer choice, pairing an ACK with the
 * SYN sent, rate limits, the session's peer id) belong to sgpd and the
 * transport and are listed in spec/coverage-exempt.txt.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/codec.h"
#include "sgp/consensus.h"
#include "sgp/report.h"
#include "sgp/state.h"
#include "testutil.h"

enum { N = 9 };
static struct tu_cluster C;
static struct sgp_params P;
static sgp_packet *pa, *pb, *pc;

static void setup(void) {
  tu_cluster_init(&C, N);
  sgp_params_default(&P, N);
  pa = calloc(1, sizeof *pa);
  pb = calloc(1, sizeof *pb);
  pc = calloc(1, sizeof *pc);
}
static void teardown(void) {
  tu_cluster_free(&C);
  free(pa);
  free(pb);
  free(pc);
}
TestSuite(req_xchg, .init = setup, .fini = teardown);

static void report_row(sgp_report_msg *r, uint32_t o, uint32_t gen, uint32_t seq, uint32_t susp,
                       const uint32_t *row, size_t k) {
  tu_report(r, C.sk[o], o, gen, seq, susp, row, k);
}
static void report(sgp_report_msg *r, uint32_t o, uint32_t gen, uint32_t seq, uint32_t susp) {
  report_row(r, o, gen, seq, susp, NULL, 0);
}

static void delta_of(sgp_packet *p, uint32_t sender, const sgp_report_msg *rs, size_t k) {
  tu_delta(p, sender, rs, k);
}

static void merge_one(struct sgp_state *s, const sgp_report_msg *r, uint32_t sender) {
  delta_of(pc, sender, r, 1);
  cr_assert_eq(sgp_state_merge(s, pc, NULL), SGP_OK);
}

/* ---- SGP-XCHG-* ----------------------------------------------------------- */

/* SGP-XCHG-2: an ACK answers a SYN only, and a DELTA answers an ACK only:
 * building either for another kind is SGP_ERR_KIND. */
Test(req_xchg, xchg2_ack_answers_only_a_syn) {
  struct sgp_state *a = tu_state_new(&C, &P, 0, 1), *b = tu_state_new(&C, &P, 1, 1);
  cr_assert_eq(sgp_state_make_syn(a, pa), SGP_OK);
  cr_assert_eq(sgp_state_make_ack(b, pa, pb, 0), SGP_OK);
  cr_assert_eq(pb->kind, sgp_v1_Kind_KIND_ACK);
  cr_assert_eq(sgp_state_make_ack(a, pb, pc, 0), SGP_ERR_KIND, "ACK answering an ACK");
  cr_assert_eq(sgp_state_make_delta(b, pa, pc, 0), SGP_ERR_KIND, "DELTA answering a SYN");
  cr_assert_eq(sgp_state_make_delta(a, pb, pc, 0), SGP_OK);
  cr_assert_eq(sgp_state_make_ack(b, pc, pa, 0), SGP_ERR_KIND, "ACK answering a DELTA");
  cr_assert_eq(sgp_state_make_delta(b, pc, pa, 0), SGP_ERR_KIND, "DELTA answering a DELTA");
  tu_state_free(a);
  tu_state_free(b);
}

/* SGP-XCHG-5: the initiator merges the ACK first, then selects against the
 * ACK's digest: here the ACK carries the initiator's own origin at a higher
 * generation, so only after merging does the DELTA carry the re-signed own
 * report.  When the selection is empty the DELTA has no report and cannot
 * be encoded (SGP_ERR_KIND), so nothing is sent. */
Test(req_xchg, xchg5_merge_ack_first_and_send_nothing_when_empty) {
  struct sgp_state *a = tu_state_new(&C, &P, 0, 1), *b = tu_state_new(&C, &P, 1, 1);
  sgp_report_msg old_self[1];
  report(&old_self[0], 0, 3, 8, 0); /* a's origin from an earlier life */
  merge_one(b, old_self, 2);

  cr_assert_eq(sgp_state_make_syn(a, pa), SGP_OK);
  cr_assert_eq(sgp_state_make_ack(b, pa, pb, 0), SGP_OK);
  cr_assert_eq(pb->reports_count, 2); /* origin 0 (3,8) and b's own */
  /* Selecting before merging would miss the own report. */
  cr_assert_eq(sgp_state_make_delta(a, pb, pc, 0), SGP_OK);
  cr_assert_eq(pc->reports_count, 0);
  cr_assert_eq(sgp_state_merge(a, pb, NULL), SGP_OK);
  cr_assert_eq(a->e[0].gen, 4);
  cr_assert_eq(sgp_state_make_delta(a, pb, pc, 0), SGP_OK);
  cr_assert_eq(pc->reports_count, 1);
  cr_assert_eq(pc->reports[0].origin, 0);
  cr_assert_eq(pc->reports[0].generation, 4);
  cr_assert_eq(sgp_state_merge(b, pc, NULL), SGP_OK);

  /* Now in sync: the next exchange's DELTA selection is empty. */
  cr_assert_eq(sgp_state_make_syn(a, pa), SGP_OK);
  cr_assert_eq(sgp_state_make_ack(b, pa, pb, 0), SGP_OK);
  cr_assert_eq(pb->reports_count, 0);
  cr_assert_eq(sgp_state_merge(a, pb, NULL), SGP_OK);
  cr_assert_eq(sgp_state_make_delta(a, pb, pc, 0), SGP_OK);
  cr_assert_eq(pc->reports_count, 0);
  static uint8_t buf[4096];
  size_t len = 0;
  cr_assert_eq(sgp_packet_encode(pc, N, buf, sizeof buf, &len), SGP_ERR_KIND);
  tu_state_free(a);
  tu_state_free(b);
}

/* SGP-XCHG-6: whatever the priority order that chose them (own first, then
 * ascending age), the selected reports go out in ascending origin. */
Test(req_xchg, xchg6_selection_sorted_by_origin) {
  struct sgp_state *s = tu_state_new(&C, &P, 0, 1), *peer = tu_state_new(&C, &P, 8, 1);
  /* Adopt 1..7 one round apart: age(1) = 6 ... age(7) = 0, so priority is
   * 0, 7, 6, 5, 4, 3, 2, 1 - the reverse of origin order after the own. */
  sgp_report_msg r[1];
  for (uint32_t o = 1; o <= 7; o++) {
    report(&r[0], o, 1, 1, 100 * o);
    merge_one(s, r, o);
    if (o < 7) cr_assert_eq(sgp_state_tick(s), SGP_OK);
  }
  cr_assert_eq(sgp_state_make_syn(peer, pa), SGP_OK);
  /* Budget for exactly 0, 7, 6, 5. */
  sgp_report_msg m;
  size_t budget = 0, smallest_rest = SIZE_MAX;
  const uint32_t want[4] = {0, 5, 6, 7};
  for (uint32_t o = 0; o <= 7; o++) {
    cr_assert_eq(sgp_state_get_report(s, o, &m), SGP_OK);
    size_t w = sgp_report_msg_wire_size(&m);
    if (o == 0 || o >= 5)
      budget += w;
    else if (w < smallest_rest)
      smallest_rest = w;
  }
  budget += smallest_rest - 1;
  cr_assert_eq(sgp_state_make_ack(s, pa, pb, budget), SGP_OK);
  cr_assert_eq(pb->reports_count, 4);
  for (size_t i = 0; i < 4; i++) cr_assert_eq(pb->reports[i].origin, want[i], "position %zu", i);
  /* Encodable as is: strictly ascending (SGP-WIRE-16). */
  static uint8_t buf[8192];
  size_t len;
  cr_assert_eq(sgp_packet_encode(pb, N, buf, sizeof buf, &len), SGP_OK);
  /* Unbounded: all eight, ascending. */
  cr_assert_eq(sgp_state_make_ack(s, pa, pb, 0), SGP_OK);
  cr_assert_eq(pb->reports_count, 8);
  for (size_t i = 0; i < 8; i++) cr_assert_eq(pb->reports[i].origin, i);
  tu_state_free(s);
  tu_state_free(peer);
}

/* SGP-XCHG-9: digest entries never change the receiver's reports, ages or
 * verdicts, however they lie (newer versions of everyone, the receiver's
 * own origin included); they only decide what the receiver would send. */
Test(req_xchg, xchg9_digests_change_no_state) {
  struct sgp_state *s = tu_state_new(&C, &P, 0, 1);
  sgp_report_msg r[1];
  report(&r[0], 3, 1, 4, 4500);
  merge_one(s, r, 3);
  report(&r[0], 5, 1, 1, 100);
  merge_one(s, r, 5);
  cr_assert_eq(sgp_state_tick(s), SGP_OK);
  uint8_t h1[32], h2[32];
  sgp_verdict v1[N], v2[N];
  sgp_state_hash(s, h1);
  sgp_consensus_run(s, v1);

  memset(pa, 0, sizeof *pa);
  pa->version = 1;
  pa->sender = 4;
  pa->kind = sgp_v1_Kind_KIND_SYN;
  for (uint32_t o = 0; o < N; o++) {
    sgp_version_msg *d = &pa->digest[pa->digest_count++];
    d->origin = o;
    d->generation = UINT32_MAX;
    d->seq = UINT32_MAX;
    d->tag = UINT64_MAX;
  }
  struct sgp_merge_result res;
  cr_assert_eq(sgp_state_merge(s, pa, &res), SGP_OK);
  cr_assert_eq(res.adopted, 0);
  pa->kind = sgp_v1_Kind_KIND_ACK; /* an ACK with only a digest */
  cr_assert_eq(sgp_state_merge(s, pa, &res), SGP_OK);
  sgp_state_hash(s, h2);
  sgp_consensus_run(s, v2);
  cr_assert_eq(memcmp(h1, h2, 32), 0);
  cr_assert_eq(memcmp(v1, v2, sizeof v1), 0);
  /* It only steers selection: nothing is newer than that digest. */
  pa->kind = sgp_v1_Kind_KIND_SYN;
  cr_assert_eq(sgp_state_make_ack(s, pa, pb, 0), SGP_OK);
  cr_assert_eq(pb->reports_count, 0);
  tu_state_free(s);
}

/* SGP-XCHG-10: the reports of an ACK or DELTA are merged whether or not
 * the receiver asked for them (merge keeps no exchange context). */
Test(req_xchg, xchg10_unsolicited_ack_and_delta_are_merged) {
  struct sgp_state *a = tu_state_new(&C, &P, 0, 1), *b = tu_state_new(&C, &P, 1, 1),
                   *c = tu_state_new(&C, &P, 2, 1);
  /* b answers c's SYN; a, who sent nothing, receives that ACK. */
  cr_assert_eq(sgp_state_make_syn(c, pa), SGP_OK);
  cr_assert_eq(sgp_state_make_ack(b, pa, pb, 0), SGP_OK);
  struct sgp_merge_result res;
  cr_assert_eq(sgp_state_merge(a, pb, &res), SGP_OK);
  cr_assert_eq(res.adopted, 1);
  cr_assert_eq(a->e[1].gen, 1);
  /* A DELTA out of nowhere. */
  sgp_report_msg r[1];
  report(&r[0], 4, 2, 2, 0);
  delta_of(pa, 3, r, 1);
  cr_assert_eq(sgp_state_merge(a, pa, &res), SGP_OK);
  cr_assert_eq(res.adopted, 1);
  cr_assert_eq(a->e[4].gen, 2);
  tu_state_free(a);
  tu_state_free(b);
  tu_state_free(c);
}

/* ---- SGP-CONS-2, -6 -------------------------------------------------------- */

/* Node 0's view used by both consensus tests: own suspicion 2600; 1: 4500
 * and voted silent; 2: no report, voted silent; 3: 3000 and voted silent;
 * 4: 3000; 5, 7, 8: low; 6: nothing.  Rows of 4, 5, 7, 8 list {1, 2, 3}. */
static struct sgp_state *view(void) {
  struct sgp_state *s = tu_state_new(&C, &P, 0, 1);
  uint16_t sub[5] = {520, 520, 520, 520, 520};
  cr_assert_eq(sgp_state_set_local(s, 2600, sub), SGP_OK);
  cr_assert_eq(sgp_state_tick(s), SGP_OK);
  const uint32_t row[3] = {1, 2, 3};
  sgp_report_msg r[8];
  report(&r[0], 1, 1, 1, 4500);
  report(&r[1], 3, 1, 1, 3000);
  report_row(&r[2], 4, 1, 1, 3000, row, 3);
  report_row(&r[3], 5, 1, 1, 10, row, 3);
  report_row(&r[4], 7, 1, 1, 0, row, 3);
  report_row(&r[5], 8, 1, 1, 2499, row, 3);
  delta_of(pa, 4, r, 6);
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  return s;
}

/* SGP-CONS-2: every id 0..n-1, the node's own included, gets exactly one
 * verdict, the first whose condition holds: COMPROMISED before SILENT
 * (node 1), SILENT before UNKNOWN (2) and before SUSPECT (3), SUSPECT (4,
 * and self), CLEAN (5, 7, 8), UNKNOWN (6). */
Test(req_xchg, cons2_one_verdict_per_node_in_priority_order) {
  struct sgp_state *s = view();
  /* L = {0,1,3,4,5,7,8}: |L \ {j}| is 6 for j in L (threshold 4) and 7 for
   * j = 2 (threshold 4); 4, 5, 7, 8 give 1, 2, 3 four votes each. */
  sgp_verdict v[N + 1];
  for (size_t i = 0; i < N + 1; i++) v[i] = (sgp_verdict)0x5a;
  sgp_consensus_run(s, v);
  const sgp_verdict want[N] = {
      SGP_VERDICT_SUSPECT, SGP_VERDICT_COMPROMISED, SGP_VERDICT_SILENT,
      SGP_VERDICT_SILENT,  SGP_VERDICT_SUSPECT,     SGP_VERDICT_CLEAN,
      SGP_VERDICT_UNKNOWN, SGP_VERDICT_CLEAN,       SGP_VERDICT_CLEAN,
  };
  for (uint32_t j = 0; j < N; j++)
    cr_assert_eq(v[j], want[j], "node %u: %s, want %s", j, sgp_verdict_name(v[j]),
                 sgp_verdict_name(want[j]));
  cr_assert_eq(v[N], (sgp_verdict)0x5a, "wrote past n verdicts");

  /* One vote fewer (8's row no longer lists them): 1 is still COMPROMISED,
   * 2 drops to UNKNOWN, 3 to SUSPECT. */
  sgp_report_msg r[1];
  report(&r[0], 8, 1, 2, 2499);
  merge_one(s, r, 8);
  sgp_consensus_run(s, v);
  cr_assert_eq(v[1], SGP_VERDICT_COMPROMISED);
  cr_assert_eq(v[2], SGP_VERDICT_UNKNOWN);
  cr_assert_eq(v[3], SGP_VERDICT_SUSPECT);
  tu_state_free(s);
}

/* SGP-CONS-6: verdicts come from the node's own state only.  Digests and
 * rejected packets leave them unchanged; the same state (copied) gives the
 * same verdicts; a peer's differing view does not matter. */
Test(req_xchg, cons6_verdicts_from_own_state_only) {
  struct sgp_state *s = view();
  sgp_verdict v1[N], v2[N];
  sgp_consensus_run(s, v1);

  /* A forged ACK claiming node 5 at suspicion 5000, with a digest. */
  sgp_report_msg r[1];
  report(&r[0], 5, 1, 9, 10);
  r[0].suspicion = 5000;
  memset(pa, 0, sizeof *pa);
  pa->version = 1;
  pa->sender = 7;
  pa->kind = sgp_v1_Kind_KIND_ACK;
  pa->digest_count = 1;
  pa->digest[0].origin = 6;
  pa->digest[0].generation = pa->digest[0].seq = 100;
  pa->reports[0] = r[0];
  pa->reports_count = 1;
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_ERR_BAD_SIGNATURE);
  pa->reports_count = 0;
  cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  sgp_consensus_run(s, v2);
  cr_assert_eq(memcmp(v1, v2, sizeof v1), 0);

  /* Another node holding other reports reaches other verdicts; ours stay. */
  struct sgp_state *other = tu_state_new(&C, &P, 4, 1);
  sgp_verdict vo[N];
  sgp_consensus_run(other, vo);
  cr_assert_eq(vo[1], SGP_VERDICT_UNKNOWN);
  sgp_consensus_run(s, v2);
  cr_assert_eq(memcmp(v1, v2, sizeof v1), 0);

  /* A byte copy of the state is the same view. */
  struct sgp_state copy = *s;
  size_t len = sgp_state_mem_size(&P);
  uint64_t *mem = malloc(len);
  memcpy(mem, s->mem, len);
  copy.mem = mem;
  copy.scratch = mem;
  copy.e = (struct sgp_entry *)((char *)mem + ((char *)s->e - (char *)s->mem));
  copy.silent = (uint16_t *)((char *)mem + ((char *)s->silent - (char *)s->mem));
  sgp_consensus_run(&copy, v2);
  cr_assert_eq(memcmp(v1, v2, sizeof v1), 0);

  /* Only its own ages move it: after T_cleanup rounds without news every
   * other node has left L and node 0's own row, now listing all of them,
   * is the one vote that counts (COMPROMISED still comes first). */
  for (uint32_t i = 0; i <= P.t_cleanup; i++) cr_assert_eq(sgp_state_tick(s), SGP_OK);
  sgp_consensus_run(s, v2);
  cr_assert_eq(v2[1], SGP_VERDICT_COMPROMISED);
  cr_assert_eq(v2[3], SGP_VERDICT_SILENT, "own row now lists every silent node");
  free(mem);
  tu_state_free(other);
  tu_state_free(s);
}
