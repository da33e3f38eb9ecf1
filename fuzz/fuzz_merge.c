/* Target Functions: sgp_state_merge, sgp_state_tick, sgp_state_set_local,
 *                   sgp_consensus_run, sgp_state_hash, sgp_packet_decode
 *
 * One receiver (node 0) of an 8-node cluster (max_silent 4, t_cleanup 5,
 * heartbeat 2, default thresholds) starts from a seeded state built once in
 * LLVMFuzzerInitialize: own generation 1, reports of nodes 1..7 at
 * generations 1..2, some suspicious, some with opinion rows, three ticks.
 * Test keys: fuzz_common.h ("sgp-fuzz" || i).
 *
 * The input is a script (s2n style: the low 2 bits of each op byte choose
 * the operation, the other 6 bits are its flags; reads past the end give
 * 0; at most OPS_MAX operations):
 *   0 BUILD  a DELTA the harness builds and SIGNS with each origin's key:
 *            u8 origin mask (bit o = origin o; 0 means {1}), u8 sender % 8,
 *            then per origin: u8 v (generation 1 + (v&3)%3, seq
 *            1 + ((v>>2)&7)%5, suspicion by v>>5: 0, 2499, 2500, 3999, 4000,
 *            5000, or u16 % 5001), u8 s (bit0: five u16 % 1001 sub-scores,
 *            else zeros), u8 silent mask (ids != origin, capped at max_silent
 *            unless flag OVERCAP).  Flags: FORGE (u8 report, u8 key offset:
 *            re-signed with another node's key = insider forgery), CORRUPT
 *            (u8 report, u8 position, u8 xor: one byte changed after
 *            signing), OVERCAP, ACK (sent as an ACK with a one-entry digest).
 *   1 RAW    u16 length, that many bytes through sgp_packet_decode(n = 8);
 *            flag RESIGN re-signs every decoded report with its origin's key,
 *            so structure-fuzzed content reaches the merge logic.
 *   2 TICK   flag LOCAL: sgp_state_set_local first, with u8 selector (the
 *            suspicion choice of BUILD) and five u16 % 1001 sub-scores, or
 *            with flag LOCAL_RAW a raw u16 suspicion and five raw u16
 *            sub-scores (out-of-range values must be refused with no
 *            change); then 1 + ((flags >> 2) & 7) ticks.
 *   3 CONSENSUS  sgp_consensus_run against a reference model.
 * SGP_FUZZ_VERBOSE=1 in the environment traces every operation (triage).
 *
 * Invariants (each a finding if it breaks):
 *   - merge returns exactly what a reference model of the rules predicts:
 *     the validation error, SGP_ERR_SENDER, SGP_ERR_TOO_MANY for a row over
 *     max_silent, SGP_ERR_BAD_SIGNATURE for the first wrongly signed report
 *     that is not stale (held version newer, or equal version whose
 *     signature-then-TBS bytes are not greater), else SGP_OK
 *     (SGP-MERGE-1, -2, -3, -6, -8, -10, -11, -13);
 *   - a rejected merge leaves sgp_state_hash unchanged (SGP-MERGE-7,
 *     SGP-STATE-8);
 *   - an accepted merge holds exactly each non-stale report (age 0), leaves
 *     stale origins and origins not in the packet untouched, never adopts an
 *     own-origin report but out-versions it, and its merge_result counts
 *     match (SGP-MERGE-4, SGP-MERGE-9, SGP-STATE-6, SGP-STATE-7);
 *   - merging the same packet twice equals merging it once; merging the
 *     previous and the current accepted packet in either order into two
 *     copies of the state the previous one was merged into gives equal
 *     entries and state hashes, when all four merges succeed (SGP-MERGE-5);
 *   - versions never decrease across any operation; every entry stays in
 *     bounds: suspicion <= 5000, sub <= 1000, silent_count <= max_silent,
 *     rows strictly ascending, < n, without their origin (SGP-WIRE-17,
 *     SGP-WIRE-19..21, SGP-WIRE-23);
 *   - tick: round + 1, every other age + 1 (saturating), own age 0, the own
 *     row is the ids whose age exceeds t_cleanup, lowest first, capped; a due
 *     heartbeat or changed agent values or row re-sign with seq + 1
 *     (SGP-TICK-1..4, SGP-REPORT-7); out-of-range agent values are refused
 *     with no change (SGP-STATE-8);
 *   - consensus equals the reference verdicts and changes no logical state
 *     (SGP-CONS-1..6);
 *   - after the script every held report verifies under its origin's roster
 *     key (SGP-CONS-7, SGP-REPORT-3).
 */
#include <sodium.h>
#include <string.h>

#include "fuzz_common.h"
#include "sgp/consensus.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { N = 8, SELF = 0, MAX_SILENT = 4, T_CLEANUP = 5, HEARTBEAT = 2, OPS_MAX = 32 };
enum { OP_BUILD = 0, OP_RAW = 1, OP_TICK = 2, OP_CONSENSUS = 3 };
enum { F_FORGE = 1, F_CORRUPT = 2, F_OVERCAP = 4, F_ACK = 8 }; /* BUILD flags */
enum { F_RESIGN = 1 };                                         /* RAW flags */
enum { F_LOCAL = 1, F_LOCAL_RAW = 2 };                         /* TICK flags */

static struct sgp_params P;
static struct sgp_state base, st, s0, sp, sx, sy; /* sp: the state prev was merged into */
static void *base_mem, *st_mem, *s0_mem, *sp_mem, *sx_mem, *sy_mem;
static sgp_packet cur, prev;
static int have_prev;
static uint8_t known_bad[SGP_MAX_REPORTS]; /* BUILD: reports the harness broke */
static int verbose;                        /* SGP_FUZZ_VERBOSE=1: trace ops (triage) */

/* ---- reference model -------------------------------------------------- */

static int tbs_cmp(const sgp_report_msg *a, const sgp_report_msg *b) {
  uint8_t ta[SGP_REPORT_TBS_MAX], tb[SGP_REPORT_TBS_MAX];
  size_t la = 0, lb = 0;
  FZ_CHECK(sgp_report_tbs(a, ta, sizeof ta, &la) == SGP_OK &&
               sgp_report_tbs(b, tb, sizeof tb, &lb) == SGP_OK,
           "tbs of a validated report failed");
  int c = memcmp(ta, tb, la < lb ? la : lb);
  if (c == 0 && la != lb) c = la < lb ? -1 : 1;
  return c;
}

/* 1 if merge must ignore r against state s without verifying it:
 * stale (held version greater) or equal version whose signature-then-TBS
 * bytes are not greater (duplicate or losing tie; SGP-MERGE-1, -6).  An
 * equal-version own-origin report that differs is never ignored. */
static int ref_skip(const struct sgp_state *s, const sgp_report_msg *r) {
  const struct sgp_entry *e = &s->e[r->origin];
  if (e->gen == 0) return 0;
  int c = sgp_version_cmp(r->generation, r->seq, e->gen, e->seq);
  if (c != 0) return c < 0;
  sgp_report_msg held;
  FZ_CHECK(sgp_state_get_report(s, r->origin, &held) == SGP_OK, "get_report of a held slot");
  int b = memcmp(r->sig.bytes, held.sig.bytes, SGP_SIG_BYTES);
  if (b == 0) b = tbs_cmp(r, &held);
  if (b == 0) return 1;
  if (r->origin == s->self) return 0;
  return b < 0;
}

static sgp_err ref_merge_result(const struct sgp_state *s, const sgp_packet *p, int built) {
  sgp_err v = sgp_packet_validate(p, s->p.n);
  if (v != SGP_OK) return v;
  if (p->sender == s->self) return SGP_ERR_SENDER;
  for (size_t i = 0; i < p->reports_count; i++) {
    const sgp_report_msg *r = &p->reports[i];
    if (r->silent_count > s->p.max_silent) return SGP_ERR_TOO_MANY;
    if (ref_skip(s, r)) continue;
    int bad = built ? known_bad[i] : sgp_report_verify(r, fz_pk[r->origin], NULL) != SGP_OK;
    if (bad) return SGP_ERR_BAD_SIGNATURE;
    if (r->origin == s->self && r->generation == UINT32_MAX) return SGP_ERR_EXHAUSTED;
  }
  return SGP_OK;
}

static void ref_verdicts(const struct sgp_state *s, sgp_verdict *out) {
  int live[N];
  uint32_t votes[N] = {0}, nlive = 0;
  for (uint32_t k = 0; k < N; k++) {
    live[k] = k == s->self || (s->e[k].gen != 0 && s->e[k].age <= s->p.t_cleanup);
    nlive += (uint32_t)live[k];
  }
  for (uint32_t k = 0; k < N; k++) {
    if (!live[k]) continue;
    const uint16_t *row = sgp_state_silent_row(s, k);
    for (uint32_t i = 0; i < s->e[k].silent_count; i++)
      if (row[i] != k) votes[row[i]]++;
  }
  for (uint32_t j = 0; j < N; j++) {
    const struct sgp_entry *e = &s->e[j];
    uint32_t voters = nlive - (uint32_t)live[j];
    if (e->gen != 0 && e->suspicion >= s->p.theta_compromised)
      out[j] = SGP_VERDICT_COMPROMISED;
    else if (voters > 0 && votes[j] >= voters / 2 + 1)
      out[j] = SGP_VERDICT_SILENT;
    else if (e->gen != 0 && e->suspicion >= s->p.theta_suspect)
      out[j] = SGP_VERDICT_SUSPECT;
    else if (e->gen != 0)
      out[j] = SGP_VERDICT_CLEAN;
    else
      out[j] = SGP_VERDICT_UNKNOWN;
  }
}

/* ---- state checks ------------------------------------------------------ */

static void check_bounds(const struct sgp_state *s) {
  FZ_CHECK(s->e[s->self].gen >= 1 && s->e[s->self].seq >= 1 && s->e[s->self].age == 0,
           "own slot: gen %u seq %u age %u", s->e[s->self].gen, s->e[s->self].seq,
           s->e[s->self].age);
  for (uint32_t i = 0; i < s->p.n; i++) {
    const struct sgp_entry *e = &s->e[i];
    const uint16_t *row = sgp_state_silent_row(s, i);
    if (e->gen == 0) {
      FZ_CHECK(e->seq == 0 && e->suspicion == 0 && e->silent_count == 0, "empty slot %u holds data",
               i);
      continue;
    }
    FZ_CHECK(e->seq >= 1, "slot %u seq 0", i);
    FZ_CHECK(e->suspicion <= SGP_SUSPICION_MAX, "slot %u suspicion %u", i, e->suspicion);
    for (size_t k = 0; k < SGP_SUBSCORES; k++)
      FZ_CHECK(e->sub[k] <= SGP_SUBSCORE_MAX, "slot %u sub[%zu] = %u", i, k, e->sub[k]);
    FZ_CHECK(e->silent_count <= s->p.max_silent, "slot %u silent_count %u > max_silent", i,
             e->silent_count);
    for (size_t k = 0; k < e->silent_count; k++) {
      FZ_CHECK(row[k] < s->p.n && row[k] != i, "slot %u row[%zu] = %u", i, k, row[k]);
      FZ_CHECK(k == 0 || row[k] > row[k - 1], "slot %u row not strictly ascending", i);
    }
  }
}

/* Versions of s are >= those of before, origin by origin (SGP-MERGE-5). */
static void check_monotone(const struct sgp_state *before, const struct sgp_state *s,
                           const char *op) {
  for (uint32_t i = 0; i < s->p.n; i++) {
    const struct sgp_entry *a = &before->e[i], *b = &s->e[i];
    FZ_CHECK(sgp_version_cmp(b->gen, b->seq, a->gen, a->seq) >= 0,
             "%s: origin %u went back from (%u,%u) to (%u,%u)", op, i, a->gen, a->seq, b->gen,
             b->seq);
  }
}

static int entry_eq(const struct sgp_state *a, const struct sgp_state *b, uint32_t i) {
  const struct sgp_entry *x = &a->e[i], *y = &b->e[i];
  return x->gen == y->gen && x->seq == y->seq && x->suspicion == y->suspicion &&
         memcmp(x->sub, y->sub, sizeof x->sub) == 0 && x->age == y->age &&
         x->silent_count == y->silent_count && memcmp(x->sig, y->sig, SGP_SIG_BYTES) == 0 &&
         memcmp(sgp_state_silent_row(a, i), sgp_state_silent_row(b, i),
                x->silent_count * sizeof(uint16_t)) == 0;
}

static int holds_exactly(const struct sgp_state *s, const sgp_report_msg *r) {
  sgp_report_msg h;
  if (sgp_state_get_report(s, r->origin, &h) != SGP_OK) return 0;
  return h.generation == r->generation && h.seq == r->seq && h.suspicion == r->suspicion &&
         memcmp(h.sub, r->sub, sizeof h.sub) == 0 && h.silent_count == r->silent_count &&
         memcmp(h.silent, r->silent, r->silent_count * sizeof r->silent[0]) == 0 &&
         memcmp(h.sig.bytes, r->sig.bytes, SGP_SIG_BYTES) == 0;
}

static void hash_of(const struct sgp_state *s, uint8_t h[32]) {
  sgp_state_hash(s, h);
}

/* ---- operations -------------------------------------------------------- */

static void apply(const sgp_packet *p, int built) {
  uint8_t h0[32], h1[32], h2[32];
  fz_state_copy(&s0, s0_mem, &st);
  hash_of(&st, h0);
  sgp_err want = ref_merge_result(&st, p, built);
  struct sgp_merge_result res = {0, 0, 0};
  sgp_err rc = sgp_state_merge(&st, p, &res);
  fz_check_named(rc, "sgp_state_merge");
  if (verbose)
    fprintf(stderr,
            "merge %s: sender %u, %u reports -> %s (adopted %u, stale %u, tie %u), own (%u,%u)\n",
            built ? "BUILD" : "RAW", p->sender, (unsigned)p->reports_count, sgp_err_name(rc),
            res.adopted, res.stale, res.tie_replaced, st.e[SELF].gen, st.e[SELF].seq);
  FZ_CHECK(rc == want, "merge returned %s, the rules give %s", sgp_err_name(rc),
           sgp_err_name(want));
  hash_of(&st, h1);
  if (rc != SGP_OK) {
    FZ_CHECK(memcmp(h0, h1, 32) == 0, "rejected merge (%s) changed the state", sgp_err_name(rc));
    return;
  }

  check_monotone(&s0, &st, "merge");
  check_bounds(&st);
  uint32_t adopted = 0, stale = 0, ties = 0, in_pkt = 0;
  for (size_t i = 0; i < p->reports_count; i++) {
    const sgp_report_msg *r = &p->reports[i];
    in_pkt |= 1u << r->origin;
    const struct sgp_entry *was = &s0.e[r->origin];
    if (ref_skip(&s0, r)) {
      stale++;
      if (r->origin != SELF)
        FZ_CHECK(entry_eq(&s0, &st, r->origin), "ignored report changed origin %u", r->origin);
    } else if (r->origin == SELF) {
      FZ_CHECK(st.e[SELF].gen > r->generation,
               "own-origin report (%u,%u) not out-versioned: own is (%u,%u)", r->generation, r->seq,
               st.e[SELF].gen, st.e[SELF].seq);
    } else {
      FZ_CHECK(holds_exactly(&st, r) && st.e[r->origin].age == 0,
               "accepted report of origin %u not held verbatim with age 0", r->origin);
      adopted++;
      ties += was->gen == r->generation && was->seq == r->seq;
    }
  }
  for (uint32_t i = 1; i < N; i++)
    if (!(in_pkt >> i & 1u))
      FZ_CHECK(entry_eq(&s0, &st, i), "origin %u changed without a report in the packet", i);
  FZ_CHECK(res.adopted == adopted && res.stale == stale && res.tie_replaced == ties,
           "merge_result (%u,%u,%u), expected (%u,%u,%u)", res.adopted, res.stale, res.tie_replaced,
           adopted, stale, ties);

  /* Idempotent. */
  rc = sgp_state_merge(&st, p, &res);
  hash_of(&st, h2);
  FZ_CHECK(rc == SGP_OK && memcmp(h1, h2, 32) == 0 && res.adopted == 0,
           "second merge of the same packet: %s, adopted %u, state %s", sgp_err_name(rc),
           res.adopted, memcmp(h1, h2, 32) ? "changed" : "same");

  /* Commutative with the previous packet, from the state the previous
   * packet was merged into (any state would do; the current one already
   * holds prev, which would make the check nearly vacuous). */
  if (have_prev) {
    uint8_t hx[32], hy[32];
    fz_state_copy(&sx, sx_mem, &sp);
    fz_state_copy(&sy, sy_mem, &sp);
    sgp_err a1 = sgp_state_merge(&sx, &prev, NULL), a2 = sgp_state_merge(&sx, p, NULL);
    sgp_err b1 = sgp_state_merge(&sy, p, NULL), b2 = sgp_state_merge(&sy, &prev, NULL);
    if (verbose)
      fprintf(stderr, "  commutativity: prev,cur %s,%s own (%u,%u); cur,prev %s,%s own (%u,%u)\n",
              sgp_err_name(a1), sgp_err_name(a2), sx.e[SELF].gen, sx.e[SELF].seq, sgp_err_name(b1),
              sgp_err_name(b2), sy.e[SELF].gen, sy.e[SELF].seq);
    if (a1 == SGP_OK && a2 == SGP_OK && b1 == SGP_OK && b2 == SGP_OK) {
      hash_of(&sx, hx);
      hash_of(&sy, hy);
      /* The own slot is outside commutativity (SGP-MERGE-5): whether an
       * own-origin report is "foreign" depends on whether we signed the
       * same bytes first.  It must only reach every own-origin version seen. */
      uint64_t seen = 0;
      const sgp_packet *both[2] = {&prev, p};
      for (int k = 0; k < 2; k++)
        for (pb_size_t j = 0; j < both[k]->reports_count; j++)
          if (both[k]->reports[j].origin == SELF) {
            uint64_t v = (uint64_t)both[k]->reports[j].generation << 32 | both[k]->reports[j].seq;
            if (v > seen) seen = v;
          }
      FZ_CHECK(((uint64_t)sx.e[SELF].gen << 32 | sx.e[SELF].seq) >= seen &&
                   ((uint64_t)sy.e[SELF].gen << 32 | sy.e[SELF].seq) >= seen,
               "own slot below an own-origin report it merged");
      for (uint32_t i = 0; i < N; i++)
        FZ_CHECK(i == SELF || entry_eq(&sx, &sy, i),
                 "merge order matters for origin %u: prev,cur -> (%u,%u) age %u; cur,prev -> "
                 "(%u,%u) age %u",
                 i, sx.e[i].gen, sx.e[i].seq, sx.e[i].age, sy.e[i].gen, sy.e[i].seq, sy.e[i].age);
      FZ_CHECK(!entry_eq(&sx, &sy, SELF) || memcmp(hx, hy, 32) == 0,
               "merge order changes the state hash");
    }
  }
  fz_packet_copy(&prev, p);
  fz_state_copy(&sp, sp_mem, &s0);
  have_prev = 1;
}

static uint32_t pick_suspicion(uint8_t sel, struct fz_in *in) {
  static const uint32_t edges[6] = {0, 2499, 2500, 3999, 4000, 5000};
  return sel < 6 ? edges[sel] : fz_u16(in) % (SGP_SUSPICION_MAX + 1);
}

static void op_build(uint8_t flags, struct fz_in *in) {
  uint8_t mask = fz_u8(in);
  if (mask == 0) mask = 0x02;
  cur.version = SGP_PROTOCOL_VERSION;
  cur.sender = fz_u8(in) % N;
  cur.kind = sgp_v1_Kind_KIND_DELTA;
  cur.digest_count = 0;
  if (flags & F_ACK) {
    cur.kind = sgp_v1_Kind_KIND_ACK;
    cur.digest_count = 1;
    cur.digest[0] = (sgp_version_msg){.origin = cur.sender, .generation = 1, .seq = 1, .tag = 1};
  }
  pb_size_t k = 0;
  for (uint32_t o = 0; o < N; o++) {
    if (!(mask >> o & 1u)) continue;
    sgp_report_msg *r = &cur.reports[k];
    memset(r, 0, sizeof *r);
    uint8_t v = fz_u8(in), s = fz_u8(in);
    r->origin = o;
    r->generation = 1u + (v & 3u) % 3u;
    r->seq = 1u + ((v >> 2) & 7u) % 5u;
    r->suspicion = pick_suspicion((uint8_t)(v >> 5), in);
    r->sub_count = SGP_SUBSCORES;
    for (size_t j = 0; j < SGP_SUBSCORES; j++)
      r->sub[j] = (s & 1u) ? fz_u16(in) % (SGP_SUBSCORE_MAX + 1) : 0;
    uint8_t sm = fz_u8(in);
    uint32_t cap = (flags & F_OVERCAP) ? N : MAX_SILENT;
    for (uint32_t j = 0; j < N && r->silent_count < cap; j++)
      if ((sm >> j & 1u) && j != o) r->silent[r->silent_count++] = j;
    FZ_CHECK(sgp_report_sign(r, fz_sk[o]) == SGP_OK, "sign");
    known_bad[k] = 0;
    k++;
  }
  cur.reports_count = k;
  if (flags & F_FORGE) {
    pb_size_t w = (pb_size_t)(fz_u8(in) % k);
    sgp_report_msg *r = &cur.reports[w];
    uint32_t other = (r->origin + 1u + fz_u8(in) % (N - 1u)) % N; /* never the origin */
    FZ_CHECK(sgp_report_sign(r, fz_sk[other]) == SGP_OK, "sign");
    known_bad[w] = 1;
  }
  if (flags & F_CORRUPT) {
    pb_size_t w = (pb_size_t)(fz_u8(in) % k);
    sgp_report_msg *r = &cur.reports[w];
    uint8_t pos = fz_u8(in), x = (uint8_t)(fz_u8(in) | 1u);
    size_t nf = 4 + SGP_SUBSCORES + r->silent_count, at = pos % (4 * nf + SGP_SIG_BYTES);
    if (at >= 4 * nf) {
      r->sig.bytes[at - 4 * nf] ^= x;
    } else {
      uint32_t *head[4] = {&r->origin, &r->generation, &r->seq, &r->suspicion};
      uint32_t *f = at < 16   ? head[at / 4]
                    : at < 36 ? &r->sub[(at - 16) / 4]
                              : &r->silent[(at - 36) / 4];
      *f ^= (uint32_t)x << (8 * (at % 4));
    }
    known_bad[w] = 1;
  }
  apply(&cur, 1);
}

static void op_raw(uint8_t flags, struct fz_in *in) {
  size_t want = fz_u16(in), got;
  const uint8_t *bytes = fz_take(in, want, &got);
  sgp_err rc = sgp_packet_decode(&cur, N, bytes, got);
  fz_check_named(rc, "sgp_packet_decode");
  if (verbose) fprintf(stderr, "RAW %zu bytes: %s\n", got, sgp_err_name(rc));
  FZ_CHECK(rc != SGP_ERR_NONCANONICAL, "decode reached the canonical comparison");
  if (rc != SGP_OK) return;
  if (flags & F_RESIGN)
    for (size_t i = 0; i < cur.reports_count; i++)
      FZ_CHECK(sgp_report_sign(&cur.reports[i], fz_sk[cur.reports[i].origin]) == SGP_OK, "sign");
  apply(&cur, 0);
}

static void op_tick(uint8_t flags, struct fz_in *in) {
  if (flags & F_LOCAL) {
    uint16_t sub[SGP_SUBSCORES];
    uint32_t susp = (flags & F_LOCAL_RAW) ? fz_u16(in) : pick_suspicion(fz_u8(in) & 7u, in);
    int ok = susp <= SGP_SUSPICION_MAX;
    for (size_t j = 0; j < SGP_SUBSCORES; j++) {
      sub[j] = (flags & F_LOCAL_RAW) ? fz_u16(in) : fz_u16(in) % (SGP_SUBSCORE_MAX + 1);
      ok &= sub[j] <= SGP_SUBSCORE_MAX;
    }
    uint8_t h0[32], h1[32];
    hash_of(&st, h0);
    sgp_err rc = sgp_state_set_local(&st, susp, sub);
    fz_check_named(rc, "sgp_state_set_local");
    FZ_CHECK(rc == (ok ? SGP_OK : SGP_ERR_RANGE), "set_local(%u) gave %s", susp, sgp_err_name(rc));
    hash_of(&st, h1);
    if (rc != SGP_OK) FZ_CHECK(memcmp(h0, h1, 32) == 0, "refused set_local changed the state");
  }
  for (unsigned t = 0; t <= ((flags >> 2) & 7u); t++) {
    fz_state_copy(&s0, s0_mem, &st);
    sgp_err rc = sgp_state_tick(&st);
    fz_check_named(rc, "sgp_state_tick");
    if (verbose)
      fprintf(stderr, "tick: round %llu, own (%u,%u) row %u\n", (unsigned long long)st.round,
              st.e[SELF].gen, st.e[SELF].seq, st.e[SELF].silent_count);
    FZ_CHECK(rc == SGP_OK, "tick failed: %s", sgp_err_name(rc));
    check_monotone(&s0, &st, "tick");
    check_bounds(&st);
    FZ_CHECK(st.round == s0.round + 1, "round");
    for (uint32_t j = 0; j < N; j++) {
      if (j == SELF) continue;
      uint32_t age = s0.e[j].age;
      FZ_CHECK(st.e[j].age == (age < SGP_AGE_MAX ? age + 1 : age), "age of %u", j);
      FZ_CHECK(st.e[j].gen == s0.e[j].gen && st.e[j].seq == s0.e[j].seq &&
                   memcmp(st.e[j].sig, s0.e[j].sig, SGP_SIG_BYTES) == 0,
               "tick changed the report of %u", j);
    }
    uint16_t row[SGP_MAX_SILENT];
    uint32_t len = 0;
    for (uint32_t j = 0; j < N && len < MAX_SILENT; j++)
      if (j != SELF && st.e[j].age > T_CLEANUP) row[len++] = (uint16_t)j;
    const struct sgp_entry *own = &st.e[SELF], *was = &s0.e[SELF];
    FZ_CHECK(own->silent_count == len &&
                 memcmp(row, sgp_state_silent_row(&st, SELF), len * sizeof row[0]) == 0,
             "own row after tick does not list exactly the ids older than t_cleanup");
    int resigned = own->seq != was->seq;
    FZ_CHECK(own->gen == was->gen && own->seq == was->seq + (resigned ? 1u : 0u),
             "own version (%u,%u) -> (%u,%u)", was->gen, was->seq, own->gen, own->seq);
    int changed = s0.local_suspicion != was->suspicion ||
                  memcmp(s0.local_sub, was->sub, sizeof was->sub) != 0 ||
                  was->silent_count != len ||
                  memcmp(row, sgp_state_silent_row(&s0, SELF), len * sizeof row[0]) != 0;
    int due = st.round % HEARTBEAT == 0;
    FZ_CHECK(resigned == (due || changed), "re-signed %d, due %d, changed %d", resigned, due,
             changed);
    if (resigned) {
      sgp_report_msg m;
      FZ_CHECK(sgp_state_get_report(&st, SELF, &m) == SGP_OK, "own report");
      FZ_CHECK(sgp_report_verify(&m, fz_pk[SELF], NULL) == SGP_OK, "own re-signed report");
      FZ_CHECK(m.suspicion == st.local_suspicion, "own report lost the local suspicion");
    }
  }
}

static void op_consensus(void) {
  sgp_verdict got[N], want[N];
  uint8_t h0[32], h1[32];
  hash_of(&st, h0);
  sgp_consensus_run(&st, got);
  hash_of(&st, h1);
  FZ_CHECK(memcmp(h0, h1, 32) == 0, "consensus changed the logical state");
  ref_verdicts(&st, want);
  for (uint32_t j = 0; j < N; j++) {
    FZ_CHECK(got[j] == want[j], "verdict of %u: %s, the rules give %s", j, sgp_verdict_name(got[j]),
             sgp_verdict_name(want[j]));
    FZ_CHECK(sgp_consensus_is_live(&st, j) ==
                 (j == SELF || (st.e[j].gen != 0 && st.e[j].age <= T_CLEANUP)),
             "is_live(%u)", j);
  }
}

/* ---- set-up -------------------------------------------------------------- */

static void *alloc_state_mem(void) {
  void *m = calloc(1, sgp_state_mem_size(&P));
  if (!m) abort();
  return m;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_init();
  verbose = getenv("SGP_FUZZ_VERBOSE") != NULL;
  sgp_params_default(&P, N);
  P.max_silent = MAX_SILENT;
  P.t_cleanup = T_CLEANUP;
  P.heartbeat = HEARTBEAT;
  FZ_CHECK(sgp_params_validate(&P) == SGP_OK, "params");
  base_mem = alloc_state_mem();
  st_mem = alloc_state_mem();
  s0_mem = alloc_state_mem();
  sp_mem = alloc_state_mem();
  sx_mem = alloc_state_mem();
  sy_mem = alloc_state_mem();
  FZ_CHECK(sgp_state_init(&base, base_mem, sgp_state_mem_size(&P), &P, SELF, 1,
                          (const uint8_t(*)[SGP_SIGN_PK_BYTES])fz_pk, fz_sk[SELF], NULL) == SGP_OK,
           "init");
  /* Seed: nodes 1..7 at generation 1 or 2, suspicion from clean to
   * compromised, a few opinion rows. */
  cur.version = SGP_PROTOCOL_VERSION;
  cur.sender = 1;
  cur.kind = sgp_v1_Kind_KIND_DELTA;
  cur.digest_count = 0;
  cur.reports_count = N - 1;
  for (uint32_t o = 1; o < N; o++) {
    sgp_report_msg *r = &cur.reports[o - 1];
    memset(r, 0, sizeof *r);
    r->origin = o;
    r->generation = 1 + o % 2;
    r->seq = o;
    r->suspicion = 700 * o;
    r->sub_count = SGP_SUBSCORES;
    for (size_t j = 0; j < SGP_SUBSCORES; j++) r->sub[j] = (uint32_t)(100 * o + j);
    if (o == 3) r->silent[r->silent_count++] = 5;
    if (o == 4) {
      r->silent[r->silent_count++] = 2;
      r->silent[r->silent_count++] = 5;
    }
    if (o == 6) r->silent[r->silent_count++] = 5;
    FZ_CHECK(sgp_report_sign(r, fz_sk[o]) == SGP_OK, "sign");
  }
  FZ_CHECK(sgp_state_merge(&base, &cur, NULL) == SGP_OK, "seed merge");
  for (int t = 0; t < 3; t++) FZ_CHECK(sgp_state_tick(&base) == SGP_OK, "seed tick");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_in in = {data, size};
  fz_state_copy(&st, st_mem, &base);
  have_prev = 0;
  for (int ops = 0; ops < OPS_MAX && in.n > 0; ops++) {
    uint8_t op = fz_u8(&in);
    uint8_t flags = op >> 2;
    switch (op & 3u) {
      case OP_BUILD:
        op_build(flags, &in);
        break;
      case OP_RAW:
        op_raw(flags, &in);
        break;
      case OP_TICK:
        op_tick(flags, &in);
        break;
      default:
        op_consensus();
        break;
    }
  }
  /* Only verified reports are ever held (SGP-CONS-7). */
  for (uint32_t i = 0; i < N; i++) {
    sgp_report_msg m;
    if (sgp_state_get_report(&st, i, &m) != SGP_OK) continue;
    FZ_CHECK(sgp_report_verify(&m, fz_pk[i], NULL) == SGP_OK, "held report of %u fails", i);
  }
  return 0;
}
