/* Target Functions: sgp_state_make_syn, sgp_state_make_ack, sgp_state_make_delta,
 *                   sgp_state_merge, sgp_state_tick, sgp_state_set_local,
 *                   sgp_state_init, sgp_consensus_run, sgp_packet_encode/decode
 *
 * A whole honest 5-node cluster (max_silent 3, t_cleanup 4, heartbeat 2,
 * default thresholds; test keys of fuzz_common.h) driven by an injected
 * clock: time advances only when the script ticks a node.  Packets of the
 * EXCHANGE operation go through sgp_packet_encode and sgp_packet_decode
 * (n = 5) between nodes, as on the wire; SYNC hands the structs over.  fuzz_merge covers a single
 * receiver under attack; this target covers exchange, dissemination and consensus among honest
 * nodes, including restarts that lose the generation (own-origin rule).
 *
 * The input is a script: the low 3 bits of each op byte choose the
 * operation, the other 5 bits are its flags (reads past the end give 0):
 *   0 EXCHANGE  u8 initiator, u8 responder offset; flag BUDGET: u16 budget
 *               % 2048 (else unlimited); flags DROP_ACK / DROP_DELTA lose
 *               that message.
 *   1 TICK      u8 node: one node's clock runs ahead.
 *   2 LOCAL     u8 node, u8 suspicion selector, five u16 sub-scores % 1001.
 *   3 PAUSE     u8 node: pause (stops ticking and talking) or resume.
 *   4 RESTART   u8 node: re-initialise with its generation + 1, or with
 *               flag LOST the same generation (state and generation update
 *               lost).
 *   5 ROUND     1 + (flags & 3) rounds: every running node ticks, then SYNC.
 *   6 CONSENSUS every running node's verdicts against the reference model.
 *   7 SYNC      exchanges between all running pairs until nothing changes.
 * At most OPS_MAX operations and ROUNDS_MAX rounds per input.
 *
 * Invariants (each a finding if it breaks):
 *   - every packet a node makes encodes (the library never emits what it
 *     would reject) and decodes at the peer; every merge of an honest
 *     packet returns SGP_OK (SGP-WIRE-29, SGP-MERGE-2);
 *   - a SYN digest lists exactly the held origins with version and
 *     signature tag (SGP-XCHG-1, SGP-XCHG-8); the reports of an ACK or
 *     DELTA fit its
 *     budget (SGP-XCHG-4); with the default budget and nothing lost, both
 *     peers hold identical reports after the exchange, an empty DELTA
 *     being not sent (SGP-XCHG-2, SGP-XCHG-3, SGP-XCHG-5);
 *   - SYNC converges: after it, all running nodes hold identical reports
 *     (same version and signature per origin), within SYNC_PASSES passes,
 *     also after equivocation caused by a lost generation (SGP-MERGE-6,
 *     SGP-MERGE-9);
 *   - consensus equals the reference verdicts (SGP-CONS-1..6);
 *   - steady state (no single tick, pause, resume or restart for
 *     t_cleanup + 3 rounds): running nodes agree on every verdict, never
 *     call a running node SILENT, and call every paused node SILENT (or
 *     COMPROMISED) unless max_silent lower-id paused nodes fill the rows
 *     (SGP-CONS-8, SGP-TICK-3);
 *   - every held report verifies under its origin's key (SGP-CONS-7);
 *   - every verdict has its own name (sgp_verdict_name), and an out-of-range value reads
 *     "UNKNOWN";
 *   - (once, at start) the error table of result.h: every number 0..255 either has a name
 *     that sgp_err_from_name maps back to it and a text, or is SGP_ERR_UNKNOWN / "unknown
 *     error"; names are unique; an unknown name is not found.
 */
#include <string.h>

#include "fuzz_common.h"
#include "sgp/consensus.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { N = 5, MAX_SILENT = 3, T_CLEANUP = 4, HEARTBEAT = 2 };
enum { OPS_MAX = 48, ROUNDS_MAX = 16, SYNC_PASSES = 8, STEADY = T_CLEANUP + 3 };
enum { F_BUDGET = 1, F_DROP_ACK = 2, F_DROP_DELTA = 4 }; /* EXCHANGE */
enum { F_LOST = 1 };                                     /* RESTART */

static struct sgp_params P;
static struct sgp_state node[N];
static void *mem[N];
static int paused[N];
static unsigned rounds, calm; /* calm: rounds since the last disturbance */
static sgp_packet out, in;
static uint8_t wire[SGP_MAX_PACKET];

static void node_init(uint32_t i, uint32_t g) {
  sgp_err e = sgp_state_init(&node[i], mem[i], sgp_state_mem_size(&P), &P, i, g,
                             (const uint8_t(*)[SGP_SIGN_PK_BYTES])fz_pk, fz_sk[i], NULL);
  FZ_CHECK(e == SGP_OK, "init node %u gen %u: %s", i, g, sgp_err_name(e));
}

/* The error-name table: every code a target sees must have a name (fz_check_named relies on
 * it), and the names must map back (conformance vectors name their expected errors). */
static void check_error_table(void) {
  int named = 0;
  for (int v = 0; v < 256; v++) {
    sgp_err e = (sgp_err)v;
    const char *name = sgp_err_name(e), *text = sgp_err_str(e);
    int found = -1;
    FZ_CHECK(name != NULL && text != NULL, "code %d: NULL name or text", v);
    if (strcmp(name, "SGP_ERR_UNKNOWN") == 0) {
      FZ_CHECK(strcmp(text, "unknown error") == 0, "unnamed code %d has text \"%s\"", v, text);
      continue;
    }
    named++;
    FZ_CHECK(sgp_err_from_name(name, &found) == e && found == 1, "%s does not map back to %d", name,
             v);
    FZ_CHECK(strcmp(text, "unknown error") != 0 && text[0] != '\0', "%s has no text", name);
  }
  int found = -1;
  FZ_CHECK(sgp_err_from_name("SGP_ERR_NO_SUCH_CODE", &found) == SGP_ERR_INVALID_ARG && found == 0,
           "an unknown name was found");
  FZ_CHECK(named > 40, "only %d named codes", named);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_init();
  check_error_table();
  sgp_params_default(&P, N);
  P.max_silent = MAX_SILENT;
  P.t_cleanup = T_CLEANUP;
  P.heartbeat = HEARTBEAT;
  FZ_CHECK(sgp_params_validate(&P) == SGP_OK, "params");
  for (uint32_t i = 0; i < N; i++) {
    mem[i] = calloc(1, sgp_state_mem_size(&P));
    if (!mem[i]) abort();
  }
  return 0;
}

/* ---- wire -------------------------------------------------------------- */

static size_t encoded_size(const sgp_packet *p) {
  size_t len = 0;
  sgp_err e = sgp_packet_encode(p, N, wire, sizeof wire, &len);
  FZ_CHECK(e == SGP_OK, "node %u made a packet (kind %d) it cannot encode: %s", p->sender,
           (int)p->kind, sgp_err_name(e));
  return len;
}

/* out -> wire -> in, as the receiver sees it. */
static void transmit(uint32_t to) {
  size_t len = encoded_size(&out);
  sgp_err e = sgp_packet_decode(&in, N, wire, len);
  FZ_CHECK(e == SGP_OK, "node %u rejects node %u's packet: %s", to, out.sender, sgp_err_name(e));
}

/* The selected reports fit the budget and the whole packet fits
 * SGP_MAX_PACKET (SGP-XCHG-4; state.h: the budget caps the report bytes). */
static void check_budget(size_t budget) {
  if (out.kind == sgp_v1_Kind_KIND_DELTA && out.reports_count == 0) return; /* not sent */
  size_t full = encoded_size(&out), reports = 0;
  for (pb_size_t k = 0; k < out.reports_count; k++)
    reports += sgp_report_msg_wire_size(&out.reports[k]);
  FZ_CHECK(reports <= budget && full <= SGP_MAX_PACKET,
           "%u reports of %zu bytes exceed budget %zu (packet %zu bytes)",
           (unsigned)out.reports_count, reports, budget, full);
}

static void merge_ok(uint32_t to) {
  sgp_err e = sgp_state_merge(&node[to], &in, NULL);
  fz_check_named(e, "sgp_state_merge");
  FZ_CHECK(e == SGP_OK, "node %u rejects an honest packet from %u: %s", to, in.sender,
           sgp_err_name(e));
}

static int same_report(uint32_t a, uint32_t b, uint32_t o) {
  const struct sgp_entry *x = &node[a].e[o], *y = &node[b].e[o];
  return x->gen == y->gen && x->seq == y->seq && memcmp(x->sig, y->sig, SGP_SIG_BYTES) == 0;
}

static void check_syn(uint32_t i) {
  pb_size_t k = 0;
  for (uint32_t o = 0; o < N; o++) {
    const struct sgp_entry *e = &node[i].e[o];
    if (e->gen == 0) continue;
    FZ_CHECK(k < out.digest_count && out.digest[k].origin == o &&
                 out.digest[k].generation == e->gen && out.digest[k].seq == e->seq &&
                 out.digest[k].tag == sgp_sig_tag(e->sig),
             "SYN of node %u misstates origin %u", i, o);
    k++;
  }
  FZ_CHECK(k == out.digest_count, "SYN of node %u lists origins it does not hold", i);
}

/* out -> in, through the codec when over_wire (the EXCHANGE operation),
 * else as a struct copy (SYNC: the codec under sanitizer coverage costs
 * ~0.1 ms per packet, and sgp_state_merge validates the packet itself). */
static void deliver(uint32_t to, int over_wire) {
  if (over_wire)
    transmit(to);
  else
    fz_packet_copy(&in, &out);
}

/* One SYN / ACK / DELTA exchange, initiator i, responder j. */
static void exchange(uint32_t i, uint32_t j, size_t budget, int drop_ack, int drop_delta,
                     int over_wire) {
  uint32_t own_gen_j = node[j].e[j].gen;
  FZ_CHECK(sgp_state_make_syn(&node[i], &out) == SGP_OK, "make_syn");
  check_syn(i);
  deliver(j, over_wire);
  FZ_CHECK(sgp_state_make_ack(&node[j], &in, &out, budget) == SGP_OK, "make_ack");
  if (budget) check_budget(budget);
  if (drop_ack) return;
  deliver(i, over_wire);
  merge_ok(i);
  /* `in` is the ACK as i received it: make the DELTA from it. */
  FZ_CHECK(sgp_state_make_delta(&node[i], &in, &out, budget) == SGP_OK, "make_delta");
  if (budget) check_budget(budget);
  if (drop_delta) return;
  if (out.reports_count > 0) { /* an empty DELTA is not sent (SGP-XCHG-5) */
    deliver(j, over_wire);
    merge_ok(j);
  }
  if (budget != 0) return;
  for (uint32_t o = 0; o < N; o++) {
    if (o == j && node[j].e[j].gen != own_gen_j) continue; /* j just out-versioned itself */
    FZ_CHECK(same_report(i, j, o),
             "after a complete exchange %u<->%u they differ on origin %u: (%u,%u) vs (%u,%u)", i, j,
             o, node[i].e[o].gen, node[i].e[o].seq, node[j].e[o].gen, node[j].e[o].seq);
  }
}

static void state_hashes(uint8_t h[N][32]) {
  for (uint32_t i = 0; i < N; i++) sgp_state_hash(&node[i], h[i]);
}

static void sync_all(void) {
  uint8_t before[N][32], after[N][32];
  int pass = 0, changed = 1;
  for (; changed && pass < SYNC_PASSES; pass++) {
    state_hashes(before);
    for (uint32_t i = 0; i < N; i++)
      for (uint32_t j = i + 1; j < N; j++)
        if (!paused[i] && !paused[j]) exchange(i, j, 0, 0, 0, 0);
    state_hashes(after);
    changed = memcmp(before, after, sizeof before) != 0;
  }
  FZ_CHECK(!changed, "SYNC does not converge within %d passes", SYNC_PASSES);
  for (uint32_t a = 0; a < N; a++)
    for (uint32_t b = a + 1; b < N; b++)
      if (!paused[a] && !paused[b])
        for (uint32_t o = 0; o < N; o++)
          FZ_CHECK(same_report(a, b, o), "after SYNC nodes %u and %u differ on origin %u", a, b, o);
}

/* ---- consensus ----------------------------------------------------------- */

static void ref_verdicts(const struct sgp_state *s, sgp_verdict *v) {
  int live[N];
  uint32_t votes[N] = {0}, nlive = 0;
  for (uint32_t k = 0; k < N; k++) {
    live[k] = k == s->self || (s->e[k].gen != 0 && s->e[k].age <= s->p.t_cleanup);
    nlive += (uint32_t)live[k];
  }
  for (uint32_t k = 0; k < N; k++)
    for (uint32_t r = 0; live[k] && r < s->e[k].silent_count; r++)
      votes[sgp_state_silent_row(s, k)[r]]++;
  for (uint32_t j = 0; j < N; j++) {
    const struct sgp_entry *e = &s->e[j];
    uint32_t voters = nlive - (uint32_t)live[j];
    if (e->gen != 0 && e->suspicion >= s->p.theta_compromised)
      v[j] = SGP_VERDICT_COMPROMISED;
    else if (voters > 0 && votes[j] >= voters / 2 + 1)
      v[j] = SGP_VERDICT_SILENT;
    else if (e->gen != 0 && e->suspicion >= s->p.theta_suspect)
      v[j] = SGP_VERDICT_SUSPECT;
    else
      v[j] = e->gen != 0 ? SGP_VERDICT_CLEAN : SGP_VERDICT_UNKNOWN;
  }
}

static void consensus_all(sgp_verdict v[N][N]) {
  for (uint32_t i = 0; i < N; i++) {
    sgp_verdict want[N];
    uint8_t h0[32], h1[32];
    sgp_state_hash(&node[i], h0);
    sgp_consensus_run(&node[i], v[i]);
    sgp_state_hash(&node[i], h1);
    FZ_CHECK(memcmp(h0, h1, 32) == 0, "consensus changed node %u's state", i);
    ref_verdicts(&node[i], want);
    static const char *const names[] = {"UNKNOWN", "CLEAN", "SUSPECT", "COMPROMISED", "SILENT"};
    for (uint32_t j = 0; j < N; j++)
      FZ_CHECK((unsigned)v[i][j] < 5 && strcmp(sgp_verdict_name(v[i][j]), names[v[i][j]]) == 0,
               "verdict %d is named %s", (int)v[i][j], sgp_verdict_name(v[i][j]));
    for (uint32_t j = 0; j < N; j++)
      FZ_CHECK(v[i][j] == want[j], "node %u: verdict of %u is %s, the rules give %s", i, j,
               sgp_verdict_name(v[i][j]), sgp_verdict_name(want[j]));
  }
}

static void check_steady(void) {
  sgp_verdict v[N][N];
  consensus_all(v);
  if (calm < STEADY) return;
  uint32_t lower_paused = 0;
  for (uint32_t j = 0; j < N; j++) {
    for (uint32_t i = 0; i < N; i++) {
      if (paused[i]) continue;
      for (uint32_t k = i + 1; k < N; k++)
        FZ_CHECK(paused[k] || v[k][j] == v[i][j],
                 "steady state: nodes %u and %u disagree on %u (%s vs %s)", i, k, j,
                 sgp_verdict_name(v[i][j]), sgp_verdict_name(v[k][j]));
      if (!paused[j])
        FZ_CHECK(v[i][j] != SGP_VERDICT_SILENT,
                 "steady state: node %u calls running node %u SILENT", i, j);
      else if (lower_paused < MAX_SILENT)
        FZ_CHECK(v[i][j] == SGP_VERDICT_SILENT || v[i][j] == SGP_VERDICT_COMPROMISED,
                 "steady state: node %u calls node %u, paused for %u+ rounds, %s", i, j, calm,
                 sgp_verdict_name(v[i][j]));
    }
    lower_paused += (uint32_t)paused[j];
  }
}

/* ---- operations ---------------------------------------------------------- */

static void tick_ok(uint32_t i) {
  sgp_err e = sgp_state_tick(&node[i]);
  FZ_CHECK(e == SGP_OK, "tick node %u: %s", i, sgp_err_name(e));
}

static void op_local(struct fz_in *s) {
  static const uint32_t edges[8] = {0, 1, 2499, 2500, 3999, 4000, 4999, 5000};
  uint32_t i = fz_u8(s) % N, susp = edges[fz_u8(s) & 7u];
  uint16_t sub[SGP_SUBSCORES];
  for (size_t k = 0; k < SGP_SUBSCORES; k++) sub[k] = fz_u16(s) % (SGP_SUBSCORE_MAX + 1);
  FZ_CHECK(sgp_state_set_local(&node[i], susp, sub) == SGP_OK, "set_local");
}

static void op_round(uint8_t flags) {
  for (unsigned r = 0; r <= (flags & 3u) && rounds < ROUNDS_MAX; r++, rounds++) {
    for (uint32_t i = 0; i < N; i++)
      if (!paused[i]) tick_ok(i);
    sync_all();
    calm++;
    check_steady();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_in s = {data, size};
  for (uint32_t i = 0; i < N; i++) {
    node_init(i, 1);
    paused[i] = 0;
  }
  rounds = 0;
  calm = 0;
  for (int ops = 0; ops < OPS_MAX && s.n > 0; ops++) {
    uint8_t op = fz_u8(&s), flags = op >> 3;
    switch (op & 7u) {
      case 0: {
        uint32_t i = fz_u8(&s) % N, j = (i + 1u + fz_u8(&s) % (N - 1u)) % N;
        size_t budget = (flags & F_BUDGET) ? fz_u16(&s) % 2048u + 1u : 0;
        if (!paused[i] && !paused[j])
          exchange(i, j, budget, flags & F_DROP_ACK, flags & F_DROP_DELTA, 1);
        break;
      }
      case 1: {
        uint32_t i = fz_u8(&s) % N;
        if (!paused[i]) tick_ok(i);
        calm = 0;
        break;
      }
      case 2:
        op_local(&s);
        break;
      case 3: {
        uint32_t i = fz_u8(&s) % N;
        paused[i] = !paused[i];
        calm = 0;
        break;
      }
      case 4: {
        uint32_t i = fz_u8(&s) % N;
        /* The generation in use, raised by the own-origin rule included, is
         * what the node persisted (SGP-STATE-3, SGP-STATE-5); LOST restarts
         * with it unchanged, as if the write had been lost. */
        uint32_t g = node[i].e[i].gen;
        node_init(i, (flags & F_LOST) ? g : g + 1);
        paused[i] = 0;
        calm = 0;
        break;
      }
      case 5:
        op_round(flags);
        break;
      case 6: {
        sgp_verdict v[N][N];
        consensus_all(v);
        break;
      }
      default:
        sync_all();
        break;
    }
  }
  FZ_CHECK(strcmp(sgp_verdict_name((sgp_verdict)(5 + (size & 0xff))), "UNKNOWN") == 0,
           "an out-of-range verdict has a name");
  for (uint32_t i = 0; i < N; i++)
    for (uint32_t o = 0; o < N; o++) {
      sgp_report_msg m;
      if (sgp_state_get_report(&node[i], o, &m) != SGP_OK) continue;
      FZ_CHECK(sgp_report_verify(&m, fz_pk[o], NULL) == SGP_OK,
               "node %u holds a report of %u that does not verify", i, o);
    }
  return 0;
}
