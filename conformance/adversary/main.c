/* sgp-adversary: runs every case of cases.c against one live sgpd and
 * prints `PASS|FAIL name [REQS] detail` per case, then `N passed, N failed`
 * (SGP-CONF-4, SGP-CONF-6, SGP-CONF-7).  Exit 0 iff every case passed.
 *
 *   sgp-adversary --roster R --key K --key K --target ID --honest ID
 *                 --ctl SOCKET [--sgpctl PATH] [--reasm-cap BYTES]
 *                 [--filter TEXT] [--junit FILE] [--verbose]
 *
 * The target's view is read from its control socket (§11): with --sgpctl
 * every query runs that sgpctl binary (`status --json`, `peers --json`,
 * `metrics`); without it the adversary speaks the socket's one-line
 * protocol itself (the same bytes, ~100x faster, which keeps the run short
 * under ASan).  run_adversary.py cross-checks both at the start.
 *
 * Per case (main loop): snapshot, run, settle, snapshot, then
 *  (a) every verdict, the target's generation and the adversary rows are
 *      unchanged unless the case allows it; the honest row's suspicion and
 *      generation too (its seq rises with its heartbeat);
 *  (b) one of the expected counters rose (SGP-XPORT-51);
 *  (c) liveness: the target adopts a fresh genuine report of the case's
 *      identity (re-handshaking if the case broke the session) and the
 *      honest sgpd's report keeps advancing at the target;
 *  (d) sgp_reasm_bytes <= reasm cap (§12.3, SGP-SEC-3).
 */
#define _POSIX_C_SOURCE 200809L

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adv.h"

static struct adv A;
static struct adv_snap pre, post, tmp;

static int send_fresh_report(struct adv *a, struct adv_ident *me) {
  static uint8_t buf[1024];
  sgp_packet *p = a->pkt;
  size_t n = 0;
  memset(p, 0, sizeof *p);
  p->version = 1;
  p->sender = me->id;
  p->kind = sgp_v1_Kind_KIND_DELTA;
  p->reports_count = 1;
  adv_own_report(me, &p->reports[0], me->susp, 1);
  if (adv_encode(a, p, buf, sizeof buf, &n) != 0) return -1;
  adv_pace(me, 0);
  return adv_send_msg(a, me, buf, n, 0);
}

/* Polls the target until row id shows seq (or suspicion when by_susp). */
static int wait_row(struct adv *a, uint32_t id, uint32_t val, int by_susp, unsigned ms) {
  uint64_t end = adv_now() + ms;
  do {
    adv_pump(a, 15);
    if (adv_snapshot2(a, &tmp, 0) == 0) {
      const struct adv_node_view *v = &tmp.nodes[id];
      if (by_susp ? v->suspicion == val : (v->gen == a->id[0].gen && v->seq >= val)) return 0;
      if (!by_susp && (v->gen > a->id[0].gen)) return 0;
    }
  } while (adv_now() < end);
  return -1;
}

static int liveness(struct adv *a, struct adv_ident *me, char *why, size_t cap) {
  if (!(sgp_session_status(&me->ss, a->target, adv_now()) & SGP_PEER_CAN_SEND) ||
      me->ss.peers[a->target].slot[me->ss.peers[a->target].cur].send_ctr > (UINT64_C(1) << 40)) {
    if (adv_handshake(a, me) != 0) {
      snprintf(why, cap, "liveness: no handshake with the target");
      return -1;
    }
  }
  if (send_fresh_report(a, me) != 0 || wait_row(a, me->id, me->seq, 0, 1500) != 0) {
    /* one retry over a fresh session (the case may have left it unusable) */
    if (adv_handshake(a, me) != 0 || send_fresh_report(a, me) != 0 ||
        wait_row(a, me->id, me->seq, 0, 1500) != 0) {
      snprintf(why, cap, "liveness: fresh report seq %u of node %u not adopted", me->seq, me->id);
      return -1;
    }
  }
  return 0;
}

static int honest_advances(struct adv *a, uint32_t seq0, uint32_t gen0) {
  uint64_t end = adv_now() + 3000;
  do {
    if (adv_snapshot2(a, &tmp, 0) == 0) {
      const struct adv_node_view *v = &tmp.nodes[a->honest];
      if (v->gen > gen0 || (v->gen == gen0 && v->seq > seq0)) return 0;
    }
    adv_pump(a, 25);
  } while (adv_now() < end);
  return -1;
}

/* (a): state the case must not change. */
static int state_unchanged(struct adv *a, const struct adv_expect *e, char *why, size_t cap) {
  if (post.generation != pre.generation) {
    snprintf(why, cap, "target generation %u -> %u", pre.generation, post.generation);
    return -1;
  }
  for (uint32_t j = 0; j < a->n; j++) {
    const struct adv_node_view *x = &pre.nodes[j], *y = &post.nodes[j];
    if (e->allow_change & (1 << j)) continue;
    if (strcmp(x->verdict, y->verdict) != 0) {
      snprintf(why, cap, "verdict of node %u %s -> %s", j, x->verdict, y->verdict);
      return -1;
    }
    if (x->suspicion != y->suspicion || x->gen != y->gen) {
      snprintf(why, cap, "row %u changed: gen %u->%u suspicion %u->%u", j, x->gen, y->gen,
               x->suspicion, y->suspicion);
      return -1;
    }
    if (j != a->honest && j != a->target && x->seq != y->seq) {
      snprintf(why, cap, "row %u seq %u -> %u", j, x->seq, y->seq);
      return -1;
    }
  }
  return 0;
}

static void xml_esc(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '<')
      fputs("&lt;", f);
    else if (*s == '&')
      fputs("&amp;", f);
    else if (*s == '"')
      fputs("&quot;", f);
    else
      fputc(*s, f);
  }
}

/* One result line (and JUnit testcase) per case. */
static void report(FILE *jx, int ok, const char *name, const char *reqs, const char *why,
                   uint64_t ms) {
  printf("%s %s [%s]%s%s (%llu ms)\n", ok ? "PASS" : "FAIL", name, reqs, ok ? "" : ": ",
         ok ? "" : why, (unsigned long long)ms);
  fflush(stdout);
  if (!jx) return;
  fprintf(jx,
          "  <testcase name=\"%s\" classname=\"adversary\" time=\"%.3f\"><properties>"
          "<property name=\"requirements\" value=\"%s\"/></properties>",
          name, (double)ms / 1000.0, reqs);
  if (!ok) {
    fprintf(jx, "<failure message=\"");
    xml_esc(jx, why);
    fprintf(jx, "\"/>");
  }
  fprintf(jx, "</testcase>\n");
}

int main(int argc, char **argv) {
  const char *roster = NULL, *keys[ADV_IDS] = {NULL, NULL}, *filter = NULL, *junit = NULL;
  int nkeys = 0;
  A.target = 0;
  A.honest = 1;
  A.reasm_cap = 1048576;
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(argv[i], "--verbose")) {
      A.verbose = 1;
      continue;
    }
    if (!v) goto usage;
    if (!strcmp(argv[i], "--roster"))
      roster = v;
    else if (!strcmp(argv[i], "--key") && nkeys < ADV_IDS)
      keys[nkeys++] = v;
    else if (!strcmp(argv[i], "--target"))
      A.target = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(argv[i], "--honest"))
      A.honest = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(argv[i], "--ctl"))
      A.ctl_sock = v;
    else if (!strcmp(argv[i], "--sgpctl"))
      A.sgpctl = v;
    else if (!strcmp(argv[i], "--reasm-cap"))
      A.reasm_cap = strtoull(v, NULL, 10);
    else if (!strcmp(argv[i], "--filter"))
      filter = v;
    else if (!strcmp(argv[i], "--junit"))
      junit = v;
    else
      goto usage;
    i++;
  }
  if (!roster || nkeys != ADV_IDS || !A.ctl_sock) goto usage;
  if (sodium_init() < 0) return 2;
  A.pkt = calloc(1, sizeof *A.pkt);
  if (!A.pkt || adv_setup(&A, roster, keys[0], keys[1]) != 0) {
    fprintf(stderr, "sgp-adversary: setup failed (roster, keys, or binding the roster ports)\n");
    return 2;
  }
  uint64_t t0 = adv_now();
  size_t pass = 0, fail = 0;
  FILE *jx = junit ? fopen(junit, "w") : NULL;
  if (jx) fprintf(jx, "<?xml version=\"1.0\"?>\n<testsuite name=\"sgp-adversary\">\n");
  /* SGP-XPORT-40, run before we answer anything: the target has been trying
   * to reach our node since it started; while its initiation is
   * outstanding, ours (from the higher id) must be dropped as crossing. */
  if (!filter || strstr("crossing_initiation_from_higher_id SGP-XPORT-40", filter)) {
    int ok = 0, out = 0;
    char why[160] = "target never had an initiation to us outstanding";
    for (int i = 0; i < 40 && (out = adv_target_initiating(&A, A.id[0].id)) == 0; i++) {
      struct timespec ts = {0, 50000000L};
      nanosleep(&ts, NULL);
    }
    if (out == 1 && adv_snapshot(&A, &pre) == 0) {
      uint8_t d[SGP_DGRAM_MAX];
      size_t len = 0;
      if (adv_make_initiation(&A, &A.id[0], NULL, 0, d, &len) == 0) {
        adv_send_raw(&A, A.id[0].fd, d, len);
        struct timespec ts = {0, 30000000L};
        nanosleep(&ts, NULL);
        if (adv_snapshot(&A, &post) == 0) {
          const char *k = "sgp_drops_total{reason=\"crossing\"}";
          ok = adv_metric(&post, k) > adv_metric(&pre, k);
          snprintf(why, sizeof why, "drop_crossing did not rise");
        }
      }
    }
    report(jx, ok, "crossing_initiation_from_higher_id", "SGP-XPORT-40", why, adv_now() - t0);
    ok ? pass++ : fail++;
  }
  for (int i = 0; i < ADV_IDS; i++) {
    char why[128];
    A.id[i].susp = 100 * (uint32_t)(i + 1);
    if (adv_handshake(&A, &A.id[i]) != 0 || liveness(&A, &A.id[i], why, sizeof why) != 0) {
      fprintf(stderr, "sgp-adversary: cannot reach the target as node %u\n", A.id[i].id);
      return 2;
    }
  }
  uint64_t missing_at = 0;
  double frag_msg_before = 0;
  for (size_t k = 0; k < adv_ncases; k++) {
    const struct adv_case *c = &adv_cases[k];
    if (filter && !strstr(c->name, filter) && !strstr(c->reqs, filter)) continue;
    struct adv_ident *me = &A.id[c->ident];
    struct adv_expect e;
    char why[512] = "";
    memset(&e, 0, sizeof e);
    e.min_rise = 1;
    uint64_t tc = adv_now();
    int ok = 1;
    if (adv_snapshot(&A, &pre) != 0) {
      snprintf(why, sizeof why, "no status/metrics from the target");
      ok = 0;
    }
    int rc = ok ? c->run(&A, me, &e, c) : -1;
    if (ok && rc != 0) {
      snprintf(why, sizeof why, "%s", e.note[0] ? e.note : "case could not run");
      ok = 0;
    }
    if (ok) adv_pump(&A, 60);
    if (ok && e.want_adopt) {
      if (wait_row(&A, e.adopt_id, e.adopt_seq, e.want_adopt == 2, 1500) != 0) {
        snprintf(why, sizeof why, "node %u report not adopted (want %s %u)", e.adopt_id,
                 e.want_adopt == 2 ? "suspicion" : "seq", e.adopt_seq);
        ok = 0;
      }
    }
    if (ok && adv_snapshot(&A, &post) != 0) {
      snprintf(why, sizeof why, "no status/metrics after the case");
      ok = 0;
    }
    /* (b) the expected counter */
    if (ok && !e.no_ctr) {
      int rose = 0;
      char seen[160] = "";
      for (int i = 0; i < ADV_CTR_MAX && e.ctr[i]; i++) {
        double d = adv_metric(&post, e.ctr[i]) - adv_metric(&pre, e.ctr[i]);
        if (d >= e.min_rise) rose = 1;
        if (i == 0) snprintf(seen, sizeof seen, "%s rose by %.0f", e.ctr[i], d);
      }
      if (!rose) {
        /* name the counters that did move, for the report */
        char moved[100] = "";
        for (size_t i = 0; i < post.nmetrics; i++)
          if ((strstr(post.m[i].key, "drops_total") || strstr(post.m[i].key, "reports_total")) &&
              post.m[i].v != adv_metric(&pre, post.m[i].key)) {
            snprintf(moved, sizeof moved, "%s", post.m[i].key);
            break;
          }
        snprintf(why, sizeof why, "%s (want >= %.0f); moved: %s", seen, e.min_rise,
                 moved[0] ? moved : "none");
        ok = 0;
      }
    }
    /* (a) state */
    if (ok && state_unchanged(&A, &e, why, sizeof why) != 0) ok = 0;
    /* (d) reassembly memory */
    if (ok) {
      double rb = adv_metric(&post, "sgp_reasm_bytes"),
             hw = adv_metric(&post, "sgp_reasm_bytes_high_water");
      if (e.reasm_max > 0 && rb > e.reasm_max) {
        snprintf(why, sizeof why, "reassembly %.0f B above the case's bound %.0f", rb, e.reasm_max);
        ok = 0;
      } else if (rb > (double)A.reasm_cap || hw > (double)A.reasm_cap) {
        snprintf(why, sizeof why, "reassembly %.0f B (high water %.0f) above cap %llu", rb, hw,
                 (unsigned long long)A.reasm_cap);
        ok = 0;
      }
    }
    /* (c) liveness */
    if (ok && liveness(&A, me, why, sizeof why) != 0) ok = 0;
    if (ok && honest_advances(&A, post.nodes[A.honest].seq, post.nodes[A.honest].gen) != 0) {
      snprintf(why, sizeof why, "honest node %u's report stopped advancing at the target",
               A.honest);
      ok = 0;
    }
    if (!strcmp(c->name, "missing_fragment_reserves_memory")) {
      missing_at = tc;
      frag_msg_before = adv_metric(&post, "sgp_drops_total{reason=\"frag_message\"}");
    }
    report(jx, ok, c->name, c->reqs, why, adv_now() - tc);
    ok ? pass++ : fail++;
  }
  /* SGP-FRAG-11: the incomplete message of missing_fragment_reserves_memory
   * times out (REASM_TIMEOUT 5 s) and every reservation is released. */
  if (missing_at) {
    char why[160] = "";
    int ok = 1;
    uint64_t due = missing_at + 5600;
    while (adv_now() < due) adv_pump(&A, (unsigned)(due - adv_now()));
    adv_pump(&A, 300);
    if (adv_snapshot(&A, &post) != 0) {
      ok = 0;
      snprintf(why, sizeof why, "no metrics");
    } else if (adv_metric(&post, "sgp_reasm_bytes") != 0) {
      ok = 0;
      snprintf(why, sizeof why, "sgp_reasm_bytes %.0f after REASM_TIMEOUT",
               adv_metric(&post, "sgp_reasm_bytes"));
    } else if (adv_metric(&post, "sgp_drops_total{reason=\"frag_message\"}") <= frag_msg_before) {
      ok = 0;
      snprintf(why, sizeof why, "drop_frag_message did not rise for the timed-out message");
    }
    /* SGP-FRAG-11 */
    report(jx, ok, "missing_fragment_times_out", "SGP-FRAG-11,SGP-SEC-3", why, 0);
    ok ? pass++ : fail++;
  }
  if (jx) {
    fprintf(jx, "</testsuite>\n");
    fclose(jx);
  }
  printf("adversary run time %.1f s\n", (double)(adv_now() - t0) / 1000.0);
  printf("%zu passed, %zu failed\n", pass, fail);
  for (int i = 0; i < ADV_IDS; i++) {
    sgp_session_destroy(&A.id[i].ss);
    sgp_secret_key_wipe(&A.id[i].key);
  }
  sgp_secret_key_wipe(&A.unknown);
  free(A.pkt);
  return fail ? 1 : 0;
usage:
  fprintf(stderr,
          "usage: sgp-adversary --roster R --key K --key K --ctl SOCKET [--sgpctl PATH]\n"
          "       [--target ID] [--honest ID] [--reasm-cap BYTES] [--filter TEXT] [--junit F]\n");
  return 2;
}
