/* Requirement tests for parameters, values and state sizing (spec §1.4,
 * §3.1, §3.3, §10.1): SGP-PARAM-1, -5, -6, SGP-DATA-1, -3, -5, -6,
 * SGP-AGENT-1, SGP-STATE-9.
 *
 * The library's parameters are struct sgp_params (n, max_silent, t_cleanup,
 * heartbeat, the two thresholds) and the exchange budget B.  T_gossip,
 * jigsaw, carrier, reassembly memory and agent weights are read by sgpd
 * (issue 4), which will validate them at start.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/codec.h"
#include "sgp/report.h"
#include "sgp/state.h"
#include "testutil.h"

static sgp_packet *pa, *pb;
static void setup(void) {
  pa = calloc(1, sizeof *pa);
  pb = calloc(1, sizeof *pb);
}
static void teardown(void) {
  free(pa);
  free(pb);
}
TestSuite(req_params, .init = setup, .fini = teardown);

static void hash_eq(const uint8_t a[32], const uint8_t b[32], const char *what) {
  cr_assert_eq(memcmp(a, b, 32), 0, "state changed: %s", what);
}

/* ---- SGP-PARAM-* -------------------------------------------------------- */

/* SGP-PARAM-1: every library parameter is checked against its §1.4 range,
 * both ends, with SGP_ERR_RANGE; an invalid set makes init (the start of
 * the state) fail with SGP_ERR_RANGE and needs no memory. */
Test(req_params, param1_ranges_are_enforced_at_both_ends) {
  struct sgp_params p, q;
  sgp_params_default(&p, 10);
  cr_assert_eq(sgp_params_validate(&p), SGP_OK);
#define CHECK(field, value, want)                                                        \
  do {                                                                                   \
    q = p;                                                                               \
    q.field = (value);                                                                   \
    cr_assert_eq(sgp_params_validate(&q), (want), "%s = %u", #field, (unsigned)(value)); \
  } while (0)
  CHECK(n, 0, SGP_ERR_RANGE);
  CHECK(n, 1, SGP_OK);
  CHECK(n, 16384, SGP_OK);
  CHECK(n, 16385, SGP_ERR_RANGE);
  CHECK(max_silent, 0, SGP_ERR_RANGE);
  CHECK(max_silent, 1, SGP_OK);
  CHECK(max_silent, 64, SGP_OK);
  CHECK(max_silent, 65, SGP_ERR_RANGE);
  CHECK(t_cleanup, 0, SGP_ERR_RANGE);
  CHECK(t_cleanup, 65534, SGP_OK);
  CHECK(t_cleanup, 65535, SGP_ERR_RANGE);
  CHECK(t_cleanup, UINT32_MAX, SGP_ERR_RANGE);
  CHECK(t_cleanup, 9, SGP_ERR_RANGE); /* below H = 10: H's range is 1..T_cleanup */
  CHECK(heartbeat, 0, SGP_ERR_RANGE);
  CHECK(heartbeat, 1, SGP_OK);
  CHECK(heartbeat, 40, SGP_OK); /* = T_cleanup */
  CHECK(heartbeat, 41, SGP_ERR_RANGE);
  CHECK(theta_suspect, 0, SGP_OK);
  CHECK(theta_suspect, 4000, SGP_OK); /* = theta_compromised */
  CHECK(theta_suspect, 4001, SGP_ERR_RANGE);
  CHECK(theta_compromised, 2500, SGP_OK); /* = theta_suspect */
  CHECK(theta_compromised, 2499, SGP_ERR_RANGE);
  CHECK(theta_compromised, 5000, SGP_OK);
  CHECK(theta_compromised, 5001, SGP_ERR_RANGE);
#undef CHECK

  struct tu_cluster c;
  tu_cluster_init(&c, 2);
  q = p;
  q.n = 2;
  q.heartbeat = 0;
  cr_assert_eq(sgp_state_mem_size(&q), 0);
  struct sgp_state st;
  uint64_t mem[64];
  cr_assert_eq(
      sgp_state_init(&st, mem, sizeof mem, &q, 0, 1, (const uint8_t(*)[32])c.pk, c.sk[0], NULL),
      SGP_ERR_RANGE);
  tu_cluster_free(&c);
}

/* SGP-PARAM-5: the library's defaults are those of §1.4 (max_silent 64,
 * T_cleanup 40, H 10, theta 2500 / 4000, T_gossip 1000 ms, B 65536), and a
 * budget left unset (0) is B = 65536. */
Test(req_params, param5_defaults_are_the_spec_defaults) {
  struct sgp_params p;
  memset(&p, 0xff, sizeof p);
  sgp_params_default(&p, 7);
  cr_assert_eq(p.n, 7);
  cr_assert_eq(p.max_silent, 64);
  cr_assert_eq(p.t_cleanup, 40);
  cr_assert_eq(p.heartbeat, 10);
  cr_assert_eq(p.theta_suspect, 2500);
  cr_assert_eq(p.theta_compromised, 4000);
  cr_assert_eq(SGP_DEFAULT_T_GOSSIP_MS, 1000);
  cr_assert_eq(SGP_DEFAULT_BUDGET, 65536);

  /* B: 1100 origins of ~95-byte reports are ~104 KB, more than B, so the
   * unset budget must cut exactly where B = 65536 cuts. */
  enum { N = 1100 };
  struct tu_cluster c;
  tu_cluster_init(&c, N);
  sgp_params_default(&p, N);
  struct sgp_state *s = tu_state_new(&c, &p, 0, 1);
  for (uint32_t base = 1; base < N; base += 1000) {
    memset(pa, 0, sizeof *pa);
    pa->version = 1;
    pa->sender = 1;
    pa->kind = sgp_v1_Kind_KIND_DELTA;
    for (uint32_t o = base; o < N && o < base + 1000; o++) {
      sgp_report_msg *r = &pa->reports[pa->reports_count++];
      r->origin = o;
      r->generation = 1;
      r->seq = 1;
      r->suspicion = 1234;
      r->sub_count = 5;
      cr_assert_eq(sgp_report_sign(r, c.sk[o]), SGP_OK);
    }
    cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  }
  struct sgp_state *t = tu_state_new(&c, &p, 1, 1);
  sgp_packet *syn = calloc(1, sizeof *syn);
  cr_assert_eq(sgp_state_make_syn(t, syn), SGP_OK);
  cr_assert_eq(sgp_state_make_ack(s, syn, pa, 0), SGP_OK);
  cr_assert_eq(sgp_state_make_ack(s, syn, pb, SGP_DEFAULT_BUDGET), SGP_OK);
  cr_assert_lt(pa->reports_count, N - 1, "the default budget must cut this delta");
  cr_assert_eq(pa->reports_count, pb->reports_count);
  size_t bytes = 0;
  for (size_t i = 0; i < pa->reports_count; i++) {
    cr_assert_eq(pa->reports[i].origin, pb->reports[i].origin);
    bytes += sgp_report_msg_wire_size(&pa->reports[i]);
  }
  cr_assert_leq(bytes, 65536);
  free(syn);
  tu_state_free(s);
  tu_state_free(t);
  tu_cluster_free(&c);
}

/* SGP-PARAM-6: the constants are hard limits.  Input beyond one is an
 * error with a specific code, never accommodated. */
Test(req_params, param6_constants_are_hard_limits) {
  struct sgp_params p;
  sgp_params_default(&p, SGP_MAX_NODES + 1);
  cr_assert_eq(sgp_params_validate(&p), SGP_ERR_RANGE);
  cr_assert_eq(sgp_state_mem_size(&p), 0);

  /* Packet limits: digest entries, reports, silent ids, encoded size. */
  memset(pa, 0, sizeof *pa);
  pa->version = 1;
  pa->kind = sgp_v1_Kind_KIND_SYN;
  pa->digest_count = SGP_MAX_DIGEST + 1;
  cr_assert_eq(sgp_packet_validate(pa, 0), SGP_ERR_TOO_MANY);
  memset(pa, 0, sizeof *pa);
  pa->version = 1;
  pa->kind = sgp_v1_Kind_KIND_DELTA;
  pa->reports_count = SGP_MAX_REPORTS + 1;
  cr_assert_eq(sgp_packet_validate(pa, 0), SGP_ERR_TOO_MANY);
  sgp_report_msg r;
  memset(&r, 0, sizeof r);
  r.generation = r.seq = 1;
  r.sub_count = 5;
  r.sig.size = 64;
  r.silent_count = SGP_MAX_SILENT + 1;
  cr_assert_eq(sgp_report_msg_validate(&r, 0), SGP_ERR_TOO_MANY);
  static uint8_t big[SGP_MAX_PACKET + 1];
  cr_assert_eq(sgp_packet_decode(pb, 0, big, sizeof big), SGP_ERR_TOO_LARGE);

  /* Value scales. */
  r.silent_count = 0;
  r.suspicion = SGP_SUSPICION_MAX + 1;
  cr_assert_eq(sgp_report_msg_validate(&r, 0), SGP_ERR_RANGE);
  r.suspicion = 0;
  r.sub[4] = SGP_SUBSCORE_MAX + 1;
  cr_assert_eq(sgp_report_msg_validate(&r, 0), SGP_ERR_RANGE);
  r.sub[4] = 0;
  r.origin = SGP_MAX_NODES; /* n = 0 still bounds ids by SGP_MAX_NODES */
  cr_assert_eq(sgp_report_msg_validate(&r, 0), SGP_ERR_NODE_ID);
  r.origin = 0;
  r.sig.size = SGP_SIG_BYTES - 1;
  cr_assert_eq(sgp_report_msg_validate(&r, 0), SGP_ERR_SIG_LEN);

  /* The TBS buffer is bounded by SGP_REPORT_TBS_MAX (307 B); a smaller one
   * is refused, not overrun. */
  cr_assert_eq((int)SGP_REPORT_TBS_MAX, 307);
  r.sig.size = 64;
  r.silent_count = SGP_MAX_SILENT;
  for (uint32_t i = 0; i < SGP_MAX_SILENT; i++) r.silent[i] = i + 1;
  uint8_t tbs[SGP_REPORT_TBS_MAX];
  size_t len;
  cr_assert_eq(sgp_report_tbs(&r, tbs, sizeof tbs, &len), SGP_OK);
  cr_assert_eq(len, 307);
  cr_assert_eq(sgp_report_tbs(&r, tbs, sizeof tbs - 1, &len), SGP_ERR_NO_SPACE);
}

/* ---- SGP-DATA-* ---------------------------------------------------------- */

/* SGP-DATA-1: suspicion is an integer 0..5000 (paper 3.1 = 3100): both
 * ends accepted from the agent and on the wire, 5001 refused. */
Test(req_params, data1_suspicion_scale) {
  struct tu_cluster c;
  tu_cluster_init(&c, 2);
  struct sgp_params p;
  sgp_params_default(&p, 2);
  struct sgp_state *s = tu_state_new(&c, &p, 0, 1);
  uint16_t sub[5] = {620, 620, 620, 620, 620};
  cr_assert_eq(sgp_state_set_local(s, 3100, sub), SGP_OK);
  cr_assert_eq(sgp_state_tick(s), SGP_OK);
  cr_assert_eq(s->e[0].suspicion, 3100);
  cr_assert_eq(sgp_state_set_local(s, 0, sub), SGP_OK);
  cr_assert_eq(sgp_state_set_local(s, 5000, sub), SGP_OK);
  cr_assert_eq(sgp_state_set_local(s, 5001, sub), SGP_ERR_RANGE);
  sgp_report_msg r;
  cr_assert_eq(sgp_state_get_report(s, 0, &r), SGP_OK);
  r.suspicion = 5000;
  cr_assert_eq(sgp_report_msg_validate(&r, 2), SGP_OK);
  r.suspicion = 5001;
  cr_assert_eq(sgp_report_msg_validate(&r, 2), SGP_ERR_RANGE);
  tu_state_free(s);
  tu_cluster_free(&c);
}

/* SGP-DATA-3: exactly five sub-scores 0..1000, in the table's order: the
 * agent's sub[k] is the report's sub[k] and TBS word k at offset 29 + 4k. */
Test(req_params, data3_five_subscores_in_order) {
  struct tu_cluster c;
  tu_cluster_init(&c, 2);
  struct sgp_params p;
  sgp_params_default(&p, 2);
  struct sgp_state *s = tu_state_new(&c, &p, 1, 1);
  uint16_t sub[5] = {1, 20, 300, 999, 1000};
  cr_assert_eq(sgp_state_set_local(s, 2320, sub), SGP_OK);
  cr_assert_eq(sgp_state_tick(s), SGP_OK);
  sgp_report_msg r;
  cr_assert_eq(sgp_state_get_report(s, 1, &r), SGP_OK);
  cr_assert_eq(r.sub_count, 5);
  uint8_t tbs[SGP_REPORT_TBS_MAX];
  size_t len;
  cr_assert_eq(sgp_report_tbs(&r, tbs, sizeof tbs, &len), SGP_OK);
  for (int k = 0; k < 5; k++) {
    cr_assert_eq(r.sub[k], sub[k]);
    const uint8_t *w = tbs + 29 + 4 * k;
    cr_assert_eq((uint32_t)w[0] << 24 | (uint32_t)w[1] << 16 | (uint32_t)w[2] << 8 | w[3], sub[k]);
  }
  /* Not five: SGP_ERR_SUB_COUNT; above 1000: SGP_ERR_RANGE. */
  r.sub_count = 4;
  cr_assert_eq(sgp_report_msg_validate(&r, 2), SGP_ERR_SUB_COUNT);
  r.sub_count = 0;
  cr_assert_eq(sgp_report_msg_validate(&r, 2), SGP_ERR_SUB_COUNT);
  r.sub_count = 5;
  r.sub[0] = 1001;
  cr_assert_eq(sgp_report_msg_validate(&r, 2), SGP_ERR_RANGE);
  sub[2] = 1001;
  cr_assert_eq(sgp_state_set_local(s, 0, sub), SGP_ERR_RANGE);
  tu_state_free(s);
  tu_cluster_free(&c);
}

/* SGP-DATA-5: versions compare lexicographically as unsigned integers. */
Test(req_params, data5_version_order_is_unsigned_lexicographic) {
  cr_assert_eq(sgp_version_cmp(2, 1, 1, UINT32_MAX), 1);
  cr_assert_eq(sgp_version_cmp(1, UINT32_MAX, 2, 1), -1);
  cr_assert_eq(sgp_version_cmp(0x80000000u, 1, 0x7fffffffu, 5), 1, "no signed compare");
  cr_assert_eq(sgp_version_cmp(3, 0x80000000u, 3, 0x7fffffffu), 1);
  cr_assert_eq(sgp_version_cmp(3, 4, 3, 4), 0);
  cr_assert_eq(sgp_version_cmp(3, 4, 3, 5), -1);

  /* Merge uses the same order: (0x80000000, 1) replaces (1, 0xffffffff). */
  struct tu_cluster c;
  tu_cluster_init(&c, 3);
  struct sgp_params p;
  sgp_params_default(&p, 3);
  struct sgp_state *s = tu_state_new(&c, &p, 0, 1);
  const uint32_t vers[][2] = {{1, UINT32_MAX}, {0x80000000u, 1}, {0x7fffffffu, UINT32_MAX}};
  for (int i = 0; i < 3; i++) {
    memset(pa, 0, sizeof *pa);
    pa->version = 1;
    pa->sender = 2;
    pa->kind = sgp_v1_Kind_KIND_DELTA;
    pa->reports_count = 1;
    sgp_report_msg *r = &pa->reports[0];
    r->origin = 2;
    r->generation = vers[i][0];
    r->seq = vers[i][1];
    r->sub_count = 5;
    cr_assert_eq(sgp_report_sign(r, c.sk[2]), SGP_OK);
    cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
  }
  cr_assert_eq(s->e[2].gen, 0x80000000u);
  cr_assert_eq(s->e[2].seq, 1);
  tu_state_free(s);
  tu_cluster_free(&c);
}

/* SGP-DATA-6: an age is a u16 that saturates at 65535 (here: a node never
 * heard of, ticked 65540 times). */
Test(req_params, data6_age_saturates_at_65535) {
  struct tu_cluster c;
  tu_cluster_init(&c, 2);
  struct sgp_params p;
  sgp_params_default(&p, 2);
  p.t_cleanup = 65534;
  p.heartbeat = 65534;
  struct sgp_state *s = tu_state_new(&c, &p, 0, 1);
  cr_assert_eq(sizeof s->e[1].age, 2);
  for (uint32_t i = 0; i < 65534; i++) cr_assert_eq(sgp_state_tick(s), SGP_OK);
  cr_assert_eq(s->e[1].age, 65534);
  cr_assert_eq(s->e[0].silent_count, 0, "65534 is not above T_cleanup");
  cr_assert_eq(sgp_state_tick(s), SGP_OK);
  cr_assert_eq(s->e[1].age, 65535);
  cr_assert_eq(s->e[0].silent_count, 1);
  for (int i = 0; i < 5; i++) cr_assert_eq(sgp_state_tick(s), SGP_OK);
  cr_assert_eq(s->e[1].age, 65535, "saturates, never wraps to 0");
  cr_assert_eq(s->e[0].age, 0);
  cr_assert_eq(s->round, 65540);
  tu_state_free(s);
  tu_cluster_free(&c);
}

/* ---- SGP-AGENT-1 --------------------------------------------------------- */

/* SGP-AGENT-1: an out-of-range agent tuple is refused with SGP_ERR_RANGE
 * and the previous values stay in effect (state hash unchanged; the next
 * tick signs the previous values). */
Test(req_params, agent1_out_of_range_tuple_keeps_previous_values) {
  struct tu_cluster c;
  tu_cluster_init(&c, 2);
  struct sgp_params p;
  sgp_params_default(&p, 2);
  struct sgp_state *s = tu_state_new(&c, &p, 0, 1);
  uint16_t good[5] = {100, 200, 300, 400, 500};
  cr_assert_eq(sgp_state_set_local(s, 1500, good), SGP_OK);
  uint8_t h1[32], h2[32];
  sgp_state_hash(s, h1);
  uint16_t bad[5] = {1000, 1000, 1000, 1000, 1001};
  cr_assert_eq(sgp_state_set_local(s, 4000, bad), SGP_ERR_RANGE);
  sgp_state_hash(s, h2);
  hash_eq(h1, h2, "sub-score 1001");
  cr_assert_eq(sgp_state_set_local(s, 5001, good), SGP_ERR_RANGE);
  sgp_state_hash(s, h2);
  hash_eq(h1, h2, "suspicion 5001");
  cr_assert_eq(sgp_state_tick(s), SGP_OK);
  cr_assert_eq(s->e[0].suspicion, 1500);
  for (int k = 0; k < 5; k++) cr_assert_eq(s->e[0].sub[k], good[k]);
  tu_state_free(s);
  tu_cluster_free(&c);
}

/* ---- SGP-STATE-9 ---------------------------------------------------------- */

/* SGP-STATE-9: state memory is sized at init from n and max_silent only
 * (other parameters do not change it), the caller provides it, and init
 * refuses a block one byte short.  (That processing never allocates is
 * checked on the sources in test_req_static.c.) */
Test(req_params, state9_memory_sized_from_n_and_max_silent) {
  struct sgp_params p, q;
  sgp_params_default(&p, 50);
  size_t base = sgp_state_mem_size(&p);
  cr_assert_gt(base, 0);
  q = p;
  q.t_cleanup = 1000;
  q.heartbeat = 7;
  q.theta_suspect = 0;
  q.theta_compromised = 5000;
  cr_assert_eq(sgp_state_mem_size(&q), base, "only n and max_silent size the state");
  q = p;
  q.max_silent = 1;
  size_t small = sgp_state_mem_size(&q);
  cr_assert_lt(small, base);
  cr_assert_eq(base - small, 50u * 63u * sizeof(uint16_t), "one u16 per row slot");
  q = p;
  q.n = 100;
  cr_assert_eq(sgp_state_mem_size(&q), 2 * base, "linear in n");

  struct tu_cluster c;
  tu_cluster_init(&c, 50);
  struct sgp_state st;
  uint64_t *mem = calloc(1, base);
  cr_assert_eq(
      sgp_state_init(&st, mem, base - 1, &p, 3, 1, (const uint8_t(*)[32])c.pk, c.sk[3], NULL),
      SGP_ERR_NO_SPACE);
  cr_assert_eq(sgp_state_init(&st, mem, base, &p, 3, 1, (const uint8_t(*)[32])c.pk, c.sk[3], NULL),
               SGP_OK);
  cr_assert_eq(st.mem, mem, "the state lives in the caller's block");
  free(mem);
  tu_cluster_free(&c);
}
