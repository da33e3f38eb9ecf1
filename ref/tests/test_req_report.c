/* Requirement tests for report signing and the own report (spec §4.7, §5.2,
 * §5.5): SGP-REPORT-2..7, SGP-TICK-6, SGP-TICK-8.
 *
 * The worked example of §4.7 is used byte for byte: origin 0, generation 1,
 * seq 100, suspicion 3100, sub = 620 x 5, no silent ids, signed with the
 * Ed25519 seed 00..1f.
 */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/codec.h"
#include "sgp/report.h"
#include "sgp/state.h"
#include "testutil.h"

static sgp_packet *pa, *pb;
static void setup(void) {
  cr_assert(sodium_init() >= 0);
  pa = calloc(1, sizeof *pa);
  pb = calloc(1, sizeof *pb);
}
static void teardown(void) {
  free(pa);
  free(pb);
}
TestSuite(req_report, .init = setup, .fini = teardown);

static const char EX_TBS[] =
    "5347502f31207265706f727400"
    "00000000000000010000006400000c1c"
    "0000026c0000026c0000026c0000026c0000026c0000";
static const char EX_SIG[] =
    "60c7404d166da14b7fe12ba5233e7a527b6679461cc79edc866990efb5b2c2d7"
    "62c82b77a4c13d95059a877a6f43f7d1c1a7938604aa2b3346e3dbec157b240d";
static const char EX_PK[] = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";

static size_t unhex(const char *hex, uint8_t *out, size_t cap) {
  size_t got = 0;
  cr_assert_eq(sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &got, NULL), 0);
  return got;
}

static void example_keys(uint8_t pk[32], uint8_t sk[64]) {
  uint8_t seed[32];
  for (int i = 0; i < 32; i++) seed[i] = (uint8_t)i;
  cr_assert_eq(crypto_sign_seed_keypair(pk, sk, seed), 0);
}

static void example_report(sgp_report_msg *r) {
  memset(r, 0, sizeof *r);
  r->origin = 0;
  r->generation = 1;
  r->seq = 100;
  r->suspicion = 3100;
  r->sub_count = 5;
  for (int k = 0; k < 5; k++) r->sub[k] = 620;
}

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static void delta_of(sgp_packet *p, uint32_t sender, const sgp_report_msg *r) {
  tu_delta(p, sender, r, 1);
}

/* ---- SGP-REPORT-2 ------------------------------------------------------- */

/* SGP-REPORT-2: the TBS of the §4.7 example is exactly the 51 bytes the
 * spec prints. */
Test(req_report, report2_tbs_of_the_spec_example) {
  sgp_report_msg r;
  example_report(&r);
  uint8_t want[64], got[SGP_REPORT_TBS_MAX];
  size_t wlen = unhex(EX_TBS, want, sizeof want), glen = 0;
  cr_assert_eq(wlen, 51);
  cr_assert_eq(sgp_report_tbs(&r, got, sizeof got, &glen), SGP_OK);
  cr_assert_eq(glen, 51);
  cr_assert_eq(memcmp(got, want, 51), 0);
}

/* SGP-REPORT-2: the layout field by field, built by hand: domain, origin,
 * generation, seq, suspicion, sub[0..4] as u32 BE, the u16 count, then the
 * silent ids as u32 BE in wire order; 51 + 4k bytes; the signature is not
 * part of it.  A too small buffer is SGP_ERR_NO_SPACE. */
Test(req_report, report2_tbs_layout_by_hand) {
  sgp_report_msg r;
  memset(&r, 0, sizeof r);
  r.origin = 16383;
  r.generation = 0xdeadbeefu;
  r.seq = 0x01020304u;
  r.suspicion = 4999;
  r.sub_count = 5;
  const uint32_t sub[5] = {1000, 0, 1, 256, 999};
  for (int k = 0; k < 5; k++) r.sub[k] = sub[k];
  r.silent_count = 3;
  r.silent[0] = 0;
  r.silent[1] = 300;
  r.silent[2] = 16382;
  memset(r.sig.bytes, 0xee, 64);
  r.sig.size = 64;

  uint8_t want[63];
  memcpy(want, "SGP/1 report", 12);
  want[12] = 0x00;
  put_u32(want + 13, 16383);
  put_u32(want + 17, 0xdeadbeefu);
  put_u32(want + 21, 0x01020304u);
  put_u32(want + 25, 4999);
  for (int k = 0; k < 5; k++) put_u32(want + 29 + 4 * k, sub[k]);
  want[49] = 0x00;
  want[50] = 0x03;
  put_u32(want + 51, 0);
  put_u32(want + 55, 300);
  put_u32(want + 59, 16382);

  uint8_t got[SGP_REPORT_TBS_MAX];
  size_t len = 0;
  cr_assert_eq(sgp_report_tbs(&r, got, sizeof got, &len), SGP_OK);
  cr_assert_eq(len, 63);
  cr_assert_eq(memcmp(got, want, 63), 0);
  /* The signature bytes do not enter the TBS. */
  memset(r.sig.bytes, 0x11, 64);
  cr_assert_eq(sgp_report_tbs(&r, got, sizeof got, &len), SGP_OK);
  cr_assert_eq(memcmp(got, want, 63), 0);
  cr_assert_eq(sgp_report_tbs(&r, got, 62, &len), SGP_ERR_NO_SPACE);
}

/* ---- SGP-REPORT-3 ------------------------------------------------------- */

/* SGP-REPORT-3 (and SGP-REPORT-1): the spec's example signature is pure
 * Ed25519 over the TBS and verifies under the origin's key, also after an
 * encode/decode round trip (TBS rebuilt from decoded fields). */
Test(req_report, report3_spec_example_signature_verifies) {
  uint8_t pk[32], sk[64], want_pk[32], want_sig[64], tbs[64];
  example_keys(pk, sk);
  unhex(EX_PK, want_pk, 32);
  cr_assert_eq(memcmp(pk, want_pk, 32), 0);
  unhex(EX_SIG, want_sig, 64);
  size_t tlen = unhex(EX_TBS, tbs, sizeof tbs);
  cr_assert_eq(crypto_sign_verify_detached(want_sig, tbs, tlen, pk), 0);

  sgp_report_msg r;
  example_report(&r);
  cr_assert_eq(sgp_report_sign(&r, sk), SGP_OK);
  cr_assert_eq(r.sig.size, 64);
  cr_assert_eq(memcmp(r.sig.bytes, want_sig, 64), 0, "Ed25519 is deterministic: same bytes");
  cr_assert_eq(sgp_report_verify(&r, pk, NULL), SGP_OK);

  delta_of(pa, 1, &r);
  static uint8_t buf[512];
  size_t len;
  cr_assert_eq(sgp_packet_encode(pa, 2, buf, sizeof buf, &len), SGP_OK);
  cr_assert_eq(sgp_packet_decode(pb, 2, buf, len), SGP_OK);
  cr_assert_eq(sgp_report_verify(&pb->reports[0], pk, NULL), SGP_OK);
}

/* SGP-REPORT-3: any change of any signed field, or another origin's key,
 * fails with SGP_ERR_BAD_SIGNATURE; a signature that is not 64 bytes is
 * SGP_ERR_SIG_LEN. */
Test(req_report, report3_every_field_is_covered) {
  uint8_t pk[32], sk[64];
  example_keys(pk, sk);
  sgp_report_msg good, r;
  example_report(&good);
  cr_assert_eq(sgp_report_sign(&good, sk), SGP_OK);
  for (int f = 0; f < 10; f++) {
    r = good;
    switch (f) {
      case 0:
        r.origin = 1;
        break;
      case 1:
        r.generation = 2;
        break;
      case 2:
        r.seq = 101;
        break;
      case 3:
        r.suspicion = 3101;
        break;
      case 4:
      case 5:
      case 6:
      case 7:
      case 8:
        r.sub[f - 4] = 621;
        break;
      case 9:
        r.silent_count = 1;
        r.silent[0] = 3;
        break;
    }
    cr_assert_eq(sgp_report_verify(&r, pk, NULL), SGP_ERR_BAD_SIGNATURE, "field %d", f);
  }
  r = good;
  r.sig.bytes[63] ^= 0x01;
  cr_assert_eq(sgp_report_verify(&r, pk, NULL), SGP_ERR_BAD_SIGNATURE);
  uint8_t other_pk[32], other_sk[64];
  tu_keypair(9, other_pk, other_sk);
  cr_assert_eq(sgp_report_verify(&good, other_pk, NULL), SGP_ERR_BAD_SIGNATURE);
  r = good;
  r.sig.size = 63;
  cr_assert_eq(sgp_report_verify(&r, pk, NULL), SGP_ERR_SIG_LEN);
}

/* SGP-REPORT-3, SGP-REPORT-2: domain separation.  A signature by the same
 * key over the same fields without the "SGP/1 report\0" prefix, or under
 * another prefix, does not verify as a report. */
Test(req_report, report3_domain_separator_is_required) {
  uint8_t pk[32], sk[64];
  example_keys(pk, sk);
  sgp_report_msg r;
  example_report(&r);
  uint8_t tbs[SGP_REPORT_TBS_MAX];
  size_t len;
  cr_assert_eq(sgp_report_tbs(&r, tbs, sizeof tbs, &len), SGP_OK);

  /* Fields only. */
  cr_assert_eq(crypto_sign_detached(r.sig.bytes, NULL, tbs + 13, len - 13, sk), 0);
  r.sig.size = 64;
  cr_assert_eq(sgp_report_verify(&r, pk, NULL), SGP_ERR_BAD_SIGNATURE);
  /* Another version's domain, and the domain without its NUL. */
  uint8_t other[SGP_REPORT_TBS_MAX];
  memcpy(other, tbs, len);
  other[4] = '2';
  cr_assert_eq(crypto_sign_detached(r.sig.bytes, NULL, other, len, sk), 0);
  cr_assert_eq(sgp_report_verify(&r, pk, NULL), SGP_ERR_BAD_SIGNATURE);
  memcpy(other, tbs, 12);
  memcpy(other + 12, tbs + 13, len - 13);
  cr_assert_eq(crypto_sign_detached(r.sig.bytes, NULL, other, len - 1, sk), 0);
  cr_assert_eq(sgp_report_verify(&r, pk, NULL), SGP_ERR_BAD_SIGNATURE);
  /* The full TBS does. */
  cr_assert_eq(crypto_sign_detached(r.sig.bytes, NULL, tbs, len, sk), 0);
  cr_assert_eq(sgp_report_verify(&r, pk, NULL), SGP_OK);
}

/* ---- own reports: SGP-REPORT-4, -5, -7, SGP-TICK-6, -8 ------------------- */

enum { N = 5 };

struct own_log {
  uint32_t gen[256], seq[256];
  uint8_t sig[256][64];
  size_t n;
};

/* Records the own report if it changed; asserts it is self-signed, of our
 * own origin, and newer than every earlier own report (SGP-REPORT-4, -5). */
static void log_own(struct own_log *l, const struct sgp_state *s, const struct tu_cluster *c) {
  sgp_report_msg r;
  cr_assert_eq(sgp_state_get_report(s, s->self, &r), SGP_OK);
  cr_assert_eq(r.origin, s->self, "own slot holds a report of another origin");
  cr_assert_eq(sgp_report_verify(&r, c->pk[s->self], NULL), SGP_OK);
  if (l->n > 0 && memcmp(l->sig[l->n - 1], r.sig.bytes, 64) == 0) {
    cr_assert_eq(l->gen[l->n - 1], r.generation);
    cr_assert_eq(l->seq[l->n - 1], r.seq);
    return;
  }
  for (size_t i = 0; i < l->n; i++)
    cr_assert_eq(sgp_version_cmp(r.generation, r.seq, l->gen[i], l->seq[i]), 1,
                 "own report %zu re-uses or lowers a version", l->n);
  cr_assert_lt(l->n, 256);
  l->gen[l->n] = r.generation;
  l->seq[l->n] = r.seq;
  memcpy(l->sig[l->n], r.sig.bytes, 64);
  l->n++;
}

/* SGP-REPORT-4, SGP-REPORT-5: whatever happens (agent changes, heartbeats,
 * row changes, a generation jump), every report the state signs is of its
 * own origin, verifies under its own roster key, and carries a version
 * above all earlier ones, so no two different reports share a version. */
Test(req_report, report4_report5_own_reports_only_and_never_a_version_twice) {
  struct tu_cluster c;
  tu_cluster_init(&c, N);
  struct sgp_params p;
  sgp_params_default(&p, N);
  p.t_cleanup = 4;
  p.heartbeat = 3;
  struct sgp_state *s = tu_state_new(&c, &p, 2, 5);
  struct own_log l = {.n = 0};
  log_own(&l, s, &c);
  uint64_t seed = 7;
  for (int round = 0; round < 40; round++) {
    if (tu_rand(&seed) % 3 == 0) {
      uint16_t sub[5];
      for (int k = 0; k < 5; k++) sub[k] = (uint16_t)(tu_rand(&seed) % 1001);
      cr_assert_eq(sgp_state_set_local(s, (uint32_t)(tu_rand(&seed) % 5001), sub), SGP_OK);
    }
    if (round % 7 == 3) { /* a report of 1 makes the row change later */
      sgp_report_msg r;
      memset(&r, 0, sizeof r);
      r.origin = 1;
      r.generation = 1;
      r.seq = (uint32_t)round + 1;
      r.sub_count = 5;
      cr_assert_eq(sgp_report_sign(&r, c.sk[1]), SGP_OK);
      delta_of(pa, 1, &r);
      cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
    }
    if (round == 20) { /* our own origin seen at a higher version: jump */
      sgp_report_msg r;
      memset(&r, 0, sizeof r);
      r.origin = 2;
      r.generation = 9;
      r.seq = 3;
      r.sub_count = 5;
      cr_assert_eq(sgp_report_sign(&r, c.sk[2]), SGP_OK);
      delta_of(pa, 3, &r);
      cr_assert_eq(sgp_state_merge(s, pa, NULL), SGP_OK);
      log_own(&l, s, &c);
      cr_assert_eq(l.gen[l.n - 1], 10);
      cr_assert_eq(l.seq[l.n - 1], 1);
    }
    cr_assert_eq(sgp_state_tick(s), SGP_OK);
    log_own(&l, s, &c);
  }
  cr_assert_gt(l.n, 15, "the run re-signed only %zu times", l.n);
  /* Foreign slots hold what was received, never something we signed. */
  sgp_report_msg r;
  cr_assert_eq(sgp_state_get_report(s, 1, &r), SGP_OK);
  cr_assert_eq(sgp_report_verify(&r, c.pk[1], NULL), SGP_OK);
  cr_assert_eq(sgp_report_verify(&r, c.pk[2], NULL), SGP_ERR_BAD_SIGNATURE);
  /* The state cannot be started with another node's signing key. */
  struct sgp_state st;
  size_t len = sgp_state_mem_size(&p);
  void *mem = calloc(1, len);
  cr_assert_eq(sgp_state_init(&st, mem, len, &p, 2, 1, (const uint8_t(*)[32])c.pk, c.sk[3], NULL),
               SGP_ERR_KEY_MISMATCH);
  free(mem);
  tu_state_free(s);
  tu_cluster_free(&c);
}

/* SGP-REPORT-5: an exhausted seq makes the tick fail instead of re-using
 * a version: the own report is unchanged (SGP-TICK-5 is the tick's half). */
Test(req_report, report5_exhausted_seq_never_resigns) {
  struct tu_cluster c;
  tu_cluster_init(&c, 2);
  struct sgp_params p;
  sgp_params_default(&p, 2);
  p.heartbeat = 1;
  struct sgp_state *s = tu_state_new(&c, &p, 0, 3);
  s->e[0].seq = UINT32_MAX - 1; /* as if re-signed 2^32 - 2 times */
  cr_assert_eq(sgp_state_tick(s), SGP_OK);
  cr_assert_eq(s->e[0].seq, UINT32_MAX);
  uint8_t sig[64];
  memcpy(sig, s->e[0].sig, 64);
  cr_assert_eq(sgp_state_tick(s), SGP_ERR_EXHAUSTED);
  cr_assert_eq(s->e[0].seq, UINT32_MAX);
  cr_assert_eq(memcmp(sig, s->e[0].sig, 64), 0);
  tu_state_free(s);
  tu_cluster_free(&c);
}

/* SGP-REPORT-6: a relay forwards the origin's report with all seven field
 * values unchanged: what C signed reaches A through B byte for byte. */
Test(req_report, report6_relay_forwards_verbatim) {
  struct tu_cluster c;
  tu_cluster_init(&c, N);
  struct sgp_params p;
  sgp_params_default(&p, N);
  p.t_cleanup = 1;
  p.heartbeat = 1;
  struct sgp_state *a = tu_state_new(&c, &p, 0, 1), *b = tu_state_new(&c, &p, 1, 1),
                   *cc = tu_state_new(&c, &p, 2, 4);
  uint16_t sub[5] = {5, 50, 500, 1000, 0};
  cr_assert_eq(sgp_state_set_local(cc, 1555, sub), SGP_OK);
  cr_assert_eq(sgp_state_tick(cc), SGP_OK);
  cr_assert_eq(sgp_state_tick(cc), SGP_OK); /* everyone else now silent in C's row */
  sgp_report_msg orig, relayed;
  cr_assert_eq(sgp_state_get_report(cc, 2, &orig), SGP_OK);
  cr_assert_eq(orig.silent_count, N - 1);

  delta_of(pa, 2, &orig);
  cr_assert_eq(sgp_state_merge(b, pa, NULL), SGP_OK);
  cr_assert_eq(sgp_state_make_syn(a, pa), SGP_OK);
  cr_assert_eq(sgp_state_make_ack(b, pa, pb, 0), SGP_OK);
  size_t k = 0;
  while (k < pb->reports_count && pb->reports[k].origin != 2) k++;
  cr_assert_lt(k, pb->reports_count, "B must relay C's report");
  relayed = pb->reports[k];
  cr_assert_eq(sgp_state_merge(a, pb, NULL), SGP_OK);

  cr_assert_eq(relayed.origin, orig.origin);
  cr_assert_eq(relayed.generation, orig.generation);
  cr_assert_eq(relayed.seq, orig.seq);
  cr_assert_eq(relayed.suspicion, orig.suspicion);
  cr_assert_eq(relayed.sub_count, 5);
  cr_assert_eq(memcmp(relayed.sub, orig.sub, sizeof orig.sub), 0);
  cr_assert_eq(relayed.silent_count, orig.silent_count);
  cr_assert_eq(memcmp(relayed.silent, orig.silent, orig.silent_count * sizeof orig.silent[0]), 0);
  cr_assert_eq(relayed.sig.size, 64);
  cr_assert_eq(memcmp(relayed.sig.bytes, orig.sig.bytes, 64), 0);
  /* Same wire bytes, and A now holds exactly that report. */
  static uint8_t b1[1024], b2[1024];
  size_t l1, l2;
  delta_of(pa, 3, &orig);
  cr_assert_eq(sgp_packet_encode(pa, N, b1, sizeof b1, &l1), SGP_OK);
  cr_assert_eq(sgp_state_get_report(a, 2, &relayed), SGP_OK);
  delta_of(pa, 3, &relayed);
  cr_assert_eq(sgp_packet_encode(pa, N, b2, sizeof b2, &l2), SGP_OK);
  cr_assert_eq(l1, l2);
  cr_assert_eq(memcmp(b1, b2, l1), 0);
  tu_state_free(a);
  tu_state_free(b);
  tu_state_free(cc);
  tu_cluster_free(&c);
}

/* SGP-REPORT-7, SGP-TICK-8: agent values delivered between ticks change
 * nothing until the next tick (own report, digest and state hash other than
 * the pending values), the latest delivery wins, and the report that tick
 * signs carries those values and the row computed at that tick. */
Test(req_report, report7_tick8_agent_values_take_effect_at_next_tick) {
  struct tu_cluster c;
  tu_cluster_init(&c, N);
  struct sgp_params p;
  sgp_params_default(&p, N);
  p.t_cleanup = 2;
  p.heartbeat = 2;
  struct sgp_state *s = tu_state_new(&c, &p, 3, 1);
  sgp_report_msg before, after;
  memset(&before, 0, sizeof before);
  memset(&after, 0, sizeof after);
  cr_assert_eq(sgp_state_get_report(s, 3, &before), SGP_OK);
  cr_assert_eq(sgp_state_make_syn(s, pa), SGP_OK);

  uint16_t first[5] = {1, 2, 3, 4, 5}, latest[5] = {900, 800, 700, 600, 500};
  cr_assert_eq(sgp_state_set_local(s, 15, first), SGP_OK);
  cr_assert_eq(sgp_state_set_local(s, 3500, latest), SGP_OK);
  cr_assert_eq(sgp_state_get_report(s, 3, &after), SGP_OK);
  cr_assert_eq(memcmp(&before, &after, sizeof before), 0, "own report changed before the tick");
  cr_assert_eq(sgp_state_make_syn(s, pb), SGP_OK);
  cr_assert_eq(pb->digest[0].seq, pa->digest[0].seq);
  cr_assert_eq(pb->digest[0].tag, pa->digest[0].tag);

  cr_assert_eq(sgp_state_tick(s), SGP_OK); /* round 1: ages 1, no row yet */
  cr_assert_eq(sgp_state_get_report(s, 3, &after), SGP_OK);
  cr_assert_eq(after.seq, 2);
  cr_assert_eq(after.suspicion, 3500);
  for (int k = 0; k < 5; k++) cr_assert_eq(after.sub[k], latest[k]);
  cr_assert_eq(after.silent_count, 0);

  cr_assert_eq(sgp_state_tick(s), SGP_OK); /* round 2: ages 2, heartbeat */
  cr_assert_eq(sgp_state_tick(s), SGP_OK); /* round 3: ages 3 > 2: row 0,1,2,4 */
  cr_assert_eq(sgp_state_get_report(s, 3, &after), SGP_OK);
  cr_assert_eq(after.silent_count, 4);
  const uint32_t row[4] = {0, 1, 2, 4};
  for (int k = 0; k < 4; k++) cr_assert_eq(after.silent[k], row[k]);
  cr_assert_eq(after.suspicion, 3500, "agent values persist across re-signs");
  cr_assert_eq(sgp_report_verify(&after, c.pk[3], NULL), SGP_OK);
  tu_state_free(s);
  tu_cluster_free(&c);
}

/* SGP-TICK-6: after SGP_ERR_EXHAUSTED the node restarts with a raised
 * generation and seq 1; peers holding the exhausted report (g, 2^32 - 1)
 * adopt the restarted one (g + 1, 1).  (The restart itself is sgpd's,
 * issue 4, which also exits on it; this is the library half.) */
Test(req_report, tick6_restart_after_exhaustion_supersedes) {
  struct tu_cluster c;
  tu_cluster_init(&c, 2);
  struct sgp_params p;
  sgp_params_default(&p, 2);
  p.heartbeat = 1;
  struct sgp_state *s = tu_state_new(&c, &p, 0, 6), *peer = tu_state_new(&c, &p, 1, 1);
  s->e[0].seq = UINT32_MAX - 1;
  cr_assert_eq(sgp_state_tick(s), SGP_OK);
  cr_assert_eq(sgp_state_tick(s), SGP_ERR_EXHAUSTED);
  sgp_report_msg last;
  cr_assert_eq(sgp_state_get_report(s, 0, &last), SGP_OK);
  cr_assert_eq(last.seq, UINT32_MAX);
  delta_of(pa, 0, &last);
  cr_assert_eq(sgp_state_merge(peer, pa, NULL), SGP_OK);
  tu_state_free(s);

  s = tu_state_new(&c, &p, 0, 7); /* restart: generation 6 + 1 */
  sgp_report_msg fresh;
  cr_assert_eq(sgp_state_get_report(s, 0, &fresh), SGP_OK);
  cr_assert_eq(fresh.generation, 7);
  cr_assert_eq(fresh.seq, 1);
  delta_of(pa, 0, &fresh);
  struct sgp_merge_result res;
  cr_assert_eq(sgp_state_merge(peer, pa, &res), SGP_OK);
  cr_assert_eq(res.adopted, 1);
  cr_assert_eq(peer->e[0].gen, 7);
  cr_assert_eq(peer->e[0].seq, 1);
  tu_state_free(s);
  tu_state_free(peer);
  tu_cluster_free(&c);
}
