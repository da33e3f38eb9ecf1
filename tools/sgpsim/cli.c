/* sgpsim command line (contract in cli.h). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/fragment.h"
#include "sgp/limits.h"
#include "summary.h"

/* model.c: the exchange variant of --merge model (PROPOSAL options). */
void model_set_xchg(int mode, uint32_t max_chunks, uint32_t push_rounds, uint32_t push_dgrams);

/* --xchg and its knobs (kept here: struct opts belongs to cli.h). */
static struct {
  int mode;
  uint32_t chunks, push_rounds, push_dgrams;
} xopt = {0, 227, 2, 2};

static const char USAGE[] =
    "usage: sgpsim [options]\n"
    "Runs N SGP nodes in one process on a seeded schedule with the real library\n"
    "(sgp_state, Ed25519 signatures, canonical protobuf codec, merge, tick, consensus);\n"
    "only the transport is left out. Same seed => byte-identical CSV and summary.\n"
    "\n"
    "%s"
    "\n"
    "scenario:\n"
    "  --n N                 nodes (2..16384, default 32)\n"
    "  --seed S              seed for keys, peers and faults (default 1)\n"
    "  --rounds R            rounds to run (default: enough for the scenario, printed)\n"
    "  --merge sgp|age|model sgp = real library merge (default); age = the paper's/GEMS\n"
    "                        age rule, a model inside the tool (ablation); model = the\n"
    "                        reduced-state model of SGP's exchange for large n (model.c:\n"
    "                        versions, ages and encoded sizes only; no verdicts, so no\n"
    "                        --crash/--restart/--compromise/--insider)\n"
    "  --heartbeat H         re-sign own report every H rounds (default 10)\n"
    "  --t-cleanup T         rounds without news before a node counts as silent (default 40)\n"
    "  --max-silent M        opinion-row cap, 1..64 (default 64; smaller saves memory)\n"
    "  --budget B            delta budget in bytes for ACK/DELTA (default 65536)\n"
    "  --heartbeat-phase random|aligned  node start offsets (default random: n/H\n"
    "                        heartbeats per round; aligned: all n every H rounds)\n"
    "  --xchg v1|chunked|chunked-push  exchange of --merge model (default v1 = SGP v1).\n"
    "                        chunked and chunked-push are a PROPOSAL, NOT SGP v1\n"
    "                        (spec/proposals/chunked-exchange.md): every message fits one\n"
    "                        datagram, digests in self-contained origin-range chunks\n"
    "                        answered independently; -push adds the fresh reports\n"
    "  --xchg-chunks C       proposal: digest chunks per SYN (default 227)\n"
    "  --xchg-push-rounds R  proposal: reports adopted/signed in the last R rounds are\n"
    "                        pushed (default 2)\n"
    "  --xchg-push-dgrams K  proposal: push messages per round (default 2)\n"
    "faults (all seeded; several --crash/--restart/--compromise allowed):\n"
    "  --loss P              drop each message with probability P\n"
    "  --loss-unit message|datagram  what --loss drops (default message); datagram: each\n"
    "                        sealed datagram of the message's fragments (spec §8), the\n"
    "                        message is lost unless all arrive (all but one with parity)\n"
    "  --jigsaw off|aont|aont-parity  fragment layout of every message (default off;\n"
    "                        aont adds 32 bytes, aont-parity one parity fragment)\n"
    "  --dup P               deliver a message twice with probability P\n"
    "  --delay P             delay a message by 1-3 rounds with probability P (reorders)\n"
    "  --partition R1-R2[:A|B]  rounds R1..R2: messages between sides A and B dropped;\n"
    "                        A, B = id lists like 0-15,20 (default: lower/upper half)\n"
    "  --crash ID@R          node ID stops at round R (sends and answers nothing)\n"
    "  --restart ID@R        crashed node ID comes back: fresh state, generation+1\n"
    "  --compromise ID@R     node ID's agent reports suspicion 4600 from round R on\n"
    "  --insider ID          node ID's key is stolen; the attacker forges each round\n"
    "  --frame ID            the clean host the insider frames (default: first uninvolved)\n"
    "measurement:\n"
    "  --trials K            dissemination trials (default 8): K distinct uninvolved nodes\n"
    "                        change their suspicion (staying CLEAN), one every\n"
    "  --trial-stride S      S rounds (default 2) from --trial-start R (default 2*log2(n)+5)\n"
    "  --dissemination       table: rounds to full dissemination for each n in --n-list,\n"
    "                        without and with --loss (default 0.2), next to the ideal\n"
    "                        synchronous push-pull model simulated with the same loss\n"
    "  --n-list L            default 16,64,256,1000\n"
    "  --ideal-trials K      trials of the ideal model per n (default 1000)\n"
    "  --ablation            insider effect with merge=sgp and merge=age (needs\n"
    "                        --compromise; --insider defaults to 3)\n"
    "  --no-memo             verify every signature with libsodium (no cache)\n"
    "output and checks:\n"
    "  --csv FILE            per-round CSV\n"
    "  --plot FILE.png       PNG of the per-round curves (needs gnuplot)\n"
    "  --quiet               no per-round lines\n"
    "  --table               final verdict table for every id even when n > 64\n"
    "  --expect-verdicts     exit 1 unless every live node ends with COMPROMISED for the\n"
    "                        compromised ids, SILENT for crashed ids, CLEAN for the rest\n"
    "  --expect-insider-harmless  exit 1 if the insider changed a verdict about another node\n"
    "  --expect-insider-harmful   exit 1 if it did not (with --ablation: checks sgp\n"
    "                        harmless and age harmful)\n";

int cli_die_usage(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "sgpsim: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, " (see --help)\n");
  va_end(ap);
  return EXIT_USAGE;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out) {
  if (!s || !*s || *s == '-' || *s == '+') return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v > max) return -1;
  *out = v;
  return 0;
}

int cli_parse_u32(const char *s, uint32_t *out) {
  uint64_t v = 0;
  if (parse_u64(s, UINT32_MAX, &v) != 0) return -1;
  *out = (uint32_t)v;
  return 0;
}

static int parse_prob(const char *s, double *out) {
  if (!s || !*s) return -1;
  errno = 0;
  char *end;
  double v = strtod(s, &end);
  if (errno || *end || !(v >= 0.0 && v <= 1.0)) return -1;
  *out = v;
  return 0;
}

static int parse_event(const char *s, struct sim_event *ev, uint32_t *count) {
  if (*count >= SIM_MAX_EVENTS) return -1;
  const char *at = strchr(s, '@');
  if (!at || at == s) return -1;
  char id[32];
  size_t l = (size_t)(at - s);
  if (l >= sizeof id) return -1;
  memcpy(id, s, l);
  id[l] = 0;
  if (cli_parse_u32(id, &ev[*count].id) != 0 || cli_parse_u32(at + 1, &ev[*count].round) != 0)
    return -1;
  (*count)++;
  return 0;
}

/* "a-b" or "a" into [lo, hi]. */
static int parse_range(const char *s, uint32_t *lo, uint32_t *hi) {
  char buf[64];
  if (strlen(s) >= sizeof buf) return -1;
  strcpy(buf, s);
  char *dash = strchr(buf, '-');
  if (dash) *dash = 0;
  if (cli_parse_u32(buf, lo) != 0) return -1;
  if (!dash) {
    *hi = *lo;
    return 0;
  }
  return cli_parse_u32(dash + 1, hi) != 0 || *hi < *lo ? -1 : 0;
}

/* Marks the ids of list "0-3,7" with value v; -1 on syntax or range error. */
static int mark_ids(char *list, uint8_t *side, uint32_t n, uint8_t v) {
  char *save = NULL;
  for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    uint32_t lo, hi;
    if (parse_range(tok, &lo, &hi) != 0 || hi >= n) return -1;
    for (uint32_t i = lo; i <= hi; i++) {
      if (side[i] != 2) return -1; /* listed twice */
      side[i] = v;
    }
  }
  return 0;
}

int cli_partition(const char *spec, struct sim_config *c, uint8_t *side) {
  char buf[4096];
  if (strlen(spec) >= sizeof buf) return -1;
  strcpy(buf, spec);
  char *colon = strchr(buf, ':');
  if (colon) *colon = 0;
  if (parse_range(buf, &c->part_r1, &c->part_r2) != 0) return -1;
  memset(side, 2, c->n);
  if (!colon) {
    for (uint32_t i = 0; i < c->n; i++) side[i] = i >= c->n / 2;
  } else {
    char *bar = strchr(colon + 1, '|');
    if (!bar) return -1;
    *bar = 0;
    if (mark_ids(colon + 1, side, c->n, 0) != 0 || mark_ids(bar + 1, side, c->n, 1) != 0) return -1;
    for (uint32_t i = 0; i < c->n; i++)
      if (side[i] == 2) return -1; /* every node on exactly one side */
  }
  c->partition = 1;
  c->part_side = side;
  return 0;
}

static int is_involved(const struct sim_config *c, uint32_t id) {
  for (uint32_t k = 0; k < c->n_crash; k++)
    if (c->crash[k].id == id) return 1;
  for (uint32_t k = 0; k < c->n_restart; k++)
    if (c->restart[k].id == id) return 1;
  for (uint32_t k = 0; k < c->n_compromise; k++)
    if (c->compromise[k].id == id) return 1;
  return id == c->insider_id;
}

/* Checks ids against n and fills defaults that depend on n. */
int cli_finish(struct opts *o) {
  struct sim_config *c = &o->c;
  if (c->n < 2 || c->n > SGP_MAX_NODES) return cli_die_usage("--n must be 2..%s", "16384");
  sgp_params_default(&c->params, c->n);
  if (o->heartbeat_set) c->params.heartbeat = o->heartbeat;
  if (o->t_cleanup_set) c->params.t_cleanup = o->t_cleanup;
  if (o->max_silent_set) c->params.max_silent = o->max_silent;
  if (sgp_params_validate(&c->params) != SGP_OK)
    return cli_die_usage("invalid parameters: %s",
                         "need 1 <= heartbeat <= t_cleanup < 65535, "
                         "1 <= max-silent <= 64");
  if (c->budget == 0 || c->budget > SGP_MAX_PACKET)
    return cli_die_usage("--budget must be 1..%s", "262144");
  const struct sim_event *lists[] = {c->crash, c->restart, c->compromise};
  const uint32_t counts[] = {c->n_crash, c->n_restart, c->n_compromise};
  for (int l = 0; l < 3; l++)
    for (uint32_t k = 0; k < counts[l]; k++)
      if (lists[l][k].id >= c->n) return cli_die_usage("event node id out of range: %s", "ID >= n");
  if (c->insider) {
    if (c->insider_id >= c->n) return cli_die_usage("--insider %s", "ID >= n");
    if (c->frame_id == UINT32_MAX)
      for (uint32_t i = 0; i < c->n && c->frame_id == UINT32_MAX; i++)
        if (!is_involved(c, i)) c->frame_id = i;
    if (c->frame_id >= c->n || c->frame_id == c->insider_id)
      return cli_die_usage("--frame %s", "must be another node id < n");
  }
  if (c->trial_stride == 0) return cli_die_usage("--trial-stride %s", "must be >= 1");
  if (xopt.mode != 0 && c->merge != SIM_MERGE_MODEL)
    return cli_die_usage("--xchg %s", "chunked and chunked-push need --merge model");
  if (xopt.chunks == 0 || xopt.push_dgrams == 0 || xopt.push_rounds == 0)
    return cli_die_usage("--xchg-chunks, --xchg-push-rounds, --xchg-push-dgrams %s",
                         "must be >= 1");
  model_set_xchg(xopt.mode, xopt.chunks, xopt.push_rounds, xopt.push_dgrams);
  if (c->merge == SIM_MERGE_MODEL &&
      (c->n_crash || c->n_restart || c->n_compromise || c->insider || o->ablation))
    return cli_die_usage("--merge model %s",
                         "has no verdicts: no --crash/--restart/--compromise/--insider/--ablation");
  return 0;
}

enum {
  O_N = 256,
  O_SEED,
  O_ROUNDS,
  O_MERGE,
  O_LOSS,
  O_DUP,
  O_DELAY,
  O_PARTITION,
  O_CRASH,
  O_RESTART,
  O_COMPROMISE,
  O_INSIDER,
  O_FRAME,
  O_TCLEAN,
  O_HB,
  O_BUDGET,
  O_MAXSIL,
  O_TRIALS,
  O_TSTART,
  O_TSTRIDE,
  O_PHASE,
  O_NOMEMO,
  O_CSV,
  O_PLOT,
  O_QUIET,
  O_TABLE,
  O_DISS,
  O_NLIST,
  O_ITRIALS,
  O_ABL,
  O_EXP_V,
  O_EXP_HL,
  O_EXP_HF,
  O_LOSS_UNIT,
  O_JIGSAW,
  O_XCHG,
  O_XCHUNKS,
  O_XPUSHR,
  O_XPUSHD,
  O_HELP
};

static const struct option LONGOPTS[] = {{"n", 1, 0, O_N},
                                         {"seed", 1, 0, O_SEED},
                                         {"rounds", 1, 0, O_ROUNDS},
                                         {"merge", 1, 0, O_MERGE},
                                         {"loss", 1, 0, O_LOSS},
                                         {"dup", 1, 0, O_DUP},
                                         {"delay", 1, 0, O_DELAY},
                                         {"partition", 1, 0, O_PARTITION},
                                         {"crash", 1, 0, O_CRASH},
                                         {"restart", 1, 0, O_RESTART},
                                         {"compromise", 1, 0, O_COMPROMISE},
                                         {"insider", 1, 0, O_INSIDER},
                                         {"frame", 1, 0, O_FRAME},
                                         {"t-cleanup", 1, 0, O_TCLEAN},
                                         {"heartbeat", 1, 0, O_HB},
                                         {"budget", 1, 0, O_BUDGET},
                                         {"max-silent", 1, 0, O_MAXSIL},
                                         {"trials", 1, 0, O_TRIALS},
                                         {"trial-start", 1, 0, O_TSTART},
                                         {"trial-stride", 1, 0, O_TSTRIDE},
                                         {"heartbeat-phase", 1, 0, O_PHASE},
                                         {"no-memo", 0, 0, O_NOMEMO},
                                         {"csv", 1, 0, O_CSV},
                                         {"plot", 1, 0, O_PLOT},
                                         {"quiet", 0, 0, O_QUIET},
                                         {"table", 0, 0, O_TABLE},
                                         {"dissemination", 0, 0, O_DISS},
                                         {"n-list", 1, 0, O_NLIST},
                                         {"ideal-trials", 1, 0, O_ITRIALS},
                                         {"ablation", 0, 0, O_ABL},
                                         {"expect-verdicts", 0, 0, O_EXP_V},
                                         {"expect-insider-harmless", 0, 0, O_EXP_HL},
                                         {"expect-insider-harmful", 0, 0, O_EXP_HF},
                                         {"loss-unit", 1, 0, O_LOSS_UNIT},
                                         {"jigsaw", 1, 0, O_JIGSAW},
                                         {"xchg", 1, 0, O_XCHG},
                                         {"xchg-chunks", 1, 0, O_XCHUNKS},
                                         {"xchg-push-rounds", 1, 0, O_XPUSHR},
                                         {"xchg-push-dgrams", 1, 0, O_XPUSHD},
                                         {"help", 0, 0, O_HELP},
                                         {0, 0, 0, 0}};

static int parse_args(int argc, char **argv, struct opts *o) {
  uint64_t v = 0;
  int ch;
  while ((ch = getopt_long(argc, argv, "", LONGOPTS, NULL)) != -1) {
    const char *a = optarg;
    int bad = 0;
    switch (ch) {
      case O_N:
        bad = cli_parse_u32(a, &o->c.n);
        break;
      case O_SEED:
        bad = parse_u64(a, UINT64_MAX, &o->c.seed);
        break;
      case O_ROUNDS:
        bad = cli_parse_u32(a, &o->c.rounds) || o->c.rounds > 1000000;
        break;
      case O_MERGE:
        if (strcmp(a, "sgp") == 0)
          o->c.merge = SIM_MERGE_SGP;
        else if (strcmp(a, "age") == 0)
          o->c.merge = SIM_MERGE_AGE;
        else if (strcmp(a, "model") == 0)
          o->c.merge = SIM_MERGE_MODEL;
        else
          bad = 1;
        break;
      case O_LOSS_UNIT:
        if (strcmp(a, "message") == 0)
          o->c.loss_unit = SIM_LOSS_MESSAGE;
        else if (strcmp(a, "datagram") == 0)
          o->c.loss_unit = SIM_LOSS_DATAGRAM;
        else
          bad = 1;
        break;
      case O_JIGSAW:
        if (strcmp(a, "off") == 0)
          o->c.frag_flags = 0;
        else if (strcmp(a, "aont") == 0)
          o->c.frag_flags = SGP_FRAG_FLAG_AONT;
        else if (strcmp(a, "aont-parity") == 0)
          o->c.frag_flags = SGP_FRAG_FLAG_AONT | SGP_FRAG_FLAG_PARITY;
        else
          bad = 1;
        break;
      case O_XCHG:
        if (strcmp(a, "v1") == 0)
          xopt.mode = 0;
        else if (strcmp(a, "chunked") == 0)
          xopt.mode = 1;
        else if (strcmp(a, "chunked-push") == 0)
          xopt.mode = 2;
        else
          bad = 1;
        break;
      case O_XCHUNKS:
        bad = cli_parse_u32(a, &xopt.chunks) || xopt.chunks > 16384;
        break;
      case O_XPUSHR:
        bad = cli_parse_u32(a, &xopt.push_rounds) || xopt.push_rounds > 1000;
        break;
      case O_XPUSHD:
        bad = cli_parse_u32(a, &xopt.push_dgrams) || xopt.push_dgrams > 1000;
        break;
      case O_LOSS:
        bad = parse_prob(a, &o->c.loss);
        o->loss_set = 1;
        break;
      case O_DUP:
        bad = parse_prob(a, &o->c.dup);
        break;
      case O_DELAY:
        bad = parse_prob(a, &o->c.delay);
        break;
      case O_PARTITION:
        o->partition = a;
        break;
      case O_CRASH:
        bad = parse_event(a, o->c.crash, &o->c.n_crash);
        break;
      case O_RESTART:
        bad = parse_event(a, o->c.restart, &o->c.n_restart);
        break;
      case O_COMPROMISE:
        bad = parse_event(a, o->c.compromise, &o->c.n_compromise);
        break;
      case O_INSIDER:
        bad = cli_parse_u32(a, &o->c.insider_id);
        o->c.insider = 1;
        break;
      case O_FRAME:
        bad = cli_parse_u32(a, &o->c.frame_id);
        break;
      case O_TCLEAN:
        bad = cli_parse_u32(a, &o->t_cleanup);
        o->t_cleanup_set = 1;
        break;
      case O_HB:
        bad = cli_parse_u32(a, &o->heartbeat);
        o->heartbeat_set = 1;
        break;
      case O_BUDGET:
        bad = parse_u64(a, SGP_MAX_PACKET, &v);
        o->c.budget = (size_t)v;
        break;
      case O_MAXSIL:
        bad = cli_parse_u32(a, &o->max_silent);
        o->max_silent_set = 1;
        break;
      case O_TRIALS:
        bad = cli_parse_u32(a, &o->c.trials) || o->c.trials > SIM_MAX_TRIALS;
        break;
      case O_TSTART:
        bad = cli_parse_u32(a, &o->c.trial_start);
        break;
      case O_TSTRIDE:
        bad = cli_parse_u32(a, &o->c.trial_stride);
        break;
      case O_PHASE:
        if (strcmp(a, "random") == 0)
          o->c.phase_random = 1;
        else if (strcmp(a, "aligned") == 0)
          o->c.phase_random = 0;
        else
          bad = 1;
        break;
      case O_NOMEMO:
        o->c.memo = 0;
        break;
      case O_CSV:
        o->csv = a;
        break;
      case O_PLOT:
        o->plot = a;
        break;
      case O_QUIET:
        o->quiet = 1;
        break;
      case O_TABLE:
        o->table = 1;
        break;
      case O_DISS:
        o->dissemination = 1;
        break;
      case O_NLIST:
        o->n_list = a;
        break;
      case O_ITRIALS:
        bad = cli_parse_u32(a, &o->ideal_trials) || o->ideal_trials > 1000000;
        break;
      case O_ABL:
        o->ablation = 1;
        break;
      case O_EXP_V:
        o->expect_verdicts = 1;
        break;
      case O_EXP_HL:
        o->expect_harmless = 1;
        break;
      case O_EXP_HF:
        o->expect_harmful = 1;
        break;
      case O_HELP:
        printf(USAGE, SIM_MODEL_TEXT);
        exit(0);
      default:
        return EXIT_USAGE;
    }
    if (bad) {
      const struct option *lo = LONGOPTS;
      while (lo->name && lo->val != ch) lo++;
      fprintf(stderr, "sgpsim: bad value for --%s: '%s' (see --help)\n", lo->name, a ? a : "");
      return EXIT_USAGE;
    }
  }
  if (optind < argc) return cli_die_usage("unexpected argument '%s'", argv[optind]);
  return 0;
}

int cli_parse(int argc, char **argv, struct opts *o) {
  memset(o, 0, sizeof *o);
  sim_config_default(&o->c, 32);
  o->c.insider_id = UINT32_MAX;
  o->ideal_trials = 1000;
  return parse_args(argc, argv, o);
}
