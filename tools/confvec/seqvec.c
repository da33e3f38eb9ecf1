/* merge.json and consensus.json: sequences on one node's state (spec §5,
 * §6).  Each case gives the parameters, a start state (own id, round, the
 * held reports as encoded Report messages, the age of every origin, and
 * optionally agent values) and events applied in order:
 *   packet     decode with n, then merge  -> error name, reports adopted
 *   tick       one round (the injected clock of the state)  -> error name
 *   set_local  new agent values (take effect at the next tick)
 * After every event the verdicts of all n nodes are listed; after the last
 * event the whole state (round, ages, held reports with signatures).  The
 * reference library runs every sequence while the file is written.
 */
#include <pb_encode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confstate.h"
#include "confvec.h"

#define NOFLAGS NULL

static json_t *tests;
static sgp_packet *pkt;
static uint8_t *buf;
enum { BUF_CAP = 65536 };

struct scen {
  json_t *t, *events;
  struct conf_node node;
  int rejected;
};

static json_t *params_json(const struct sgp_params *p) {
  json_t *o = json_object();
  put(o, "n", json_integer(p->n));
  put(o, "max_silent", json_integer(p->max_silent));
  put(o, "t_cleanup", json_integer(p->t_cleanup));
  put(o, "heartbeat", json_integer(p->heartbeat));
  put(o, "theta_suspect", json_integer(p->theta_suspect));
  put(o, "theta_compromised", json_integer(p->theta_compromised));
  return o;
}

static json_t *verdicts_json(struct conf_node *c) {
  sgp_verdict v[CONF_MAX_NODES];
  conf_node_verdicts(c, v);
  json_t *a = json_array();
  for (uint32_t i = 0; i < c->st.p.n; i++) append(a, json_string(sgp_verdict_name(v[i])));
  return a;
}

static size_t report_bytes(const sgp_report_msg *r, uint8_t *out, size_t cap) {
  pb_ostream_t os = pb_ostream_from_buffer(out, cap);
  if (!pb_encode(&os, sgp_v1_Report_fields, r)) die("pb_encode report");
  return os.bytes_written;
}

static void params(struct sgp_params *p, uint32_t n, uint32_t t_cleanup, uint32_t heartbeat) {
  sgp_params_default(p, n);
  p->t_cleanup = t_cleanup;
  p->heartbeat = heartbeat;
}

/* Starts node `self` with the test keys; ages: n values or NULL (all 0).
 * Dies with `what` if the library rejects the start state. */
static void start_node(struct conf_node *c, const struct sgp_params *p, uint32_t self,
                       uint64_t round, const sgp_report_msg *rs, size_t k, const uint32_t *ages,
                       const char *what) {
  struct conf_start s;
  memset(&s, 0, sizeof s);
  s.p = *p;
  s.self = self;
  s.round = round;
  s.pk = cv_pks();
  memcpy(s.seed, cv_seed(self), 32);
  s.reports = rs;
  s.nreports = k;
  s.ages = ages;
  if (conf_node_start(c, &s) != SGP_OK) die(what);
}

/* ages: n values or NULL (all 0). */
static void begin(struct scen *sc, const char *comment, const char *const *reqs,
                  const char *const *flags, const struct sgp_params *p, uint32_t self,
                  uint64_t round, const sgp_report_msg *rs, size_t k, const uint32_t *ages) {
  start_node(&sc->node, p, self, round, rs, k, ages, "start state rejected");
  sc->rejected = 0;
  sc->t = new_test_flags(comment, "valid", reqs, flags);
  put(sc->t, "params", params_json(p));
  json_t *st = json_object(), *ra = json_array();
  put(st, "self", json_integer(self));
  put(st, "round", json_integer((json_int_t)round));
  for (size_t i = 0; i < k; i++) {
    uint8_t b[512];
    append(ra, hex(b, report_bytes(&rs[i], b, sizeof b)));
  }
  put(st, "reports", ra);
  json_t *aa = json_array();
  for (uint32_t i = 0; i < p->n; i++) append(aa, json_integer(ages ? ages[i] : 0));
  put(st, "ages", aa);
  put(sc->t, "start", st);
  sc->events = json_array();
}

static void event_done(struct scen *sc, json_t *e, sgp_err rc) {
  put(e, "error", json_string(sgp_err_name(rc)));
  put(e, "verdicts", verdicts_json(&sc->node));
  if (rc != SGP_OK) sc->rejected = 1;
  append(sc->events, e);
}

static void ev_bytes(struct scen *sc, const uint8_t *b, size_t len) {
  json_t *e = json_object();
  uint32_t adopted = 0;
  put(e, "op", json_string("packet"));
  put_hex(e, "packet", b, len);
  sgp_err rc = conf_node_packet(&sc->node, b, len, &adopted);
  put(e, "adopted", json_integer(adopted));
  event_done(sc, e, rc);
}

/* The current pkt, encoded without validation (merge must catch it). */
static void ev_packet(struct scen *sc) {
  size_t len = cv_raw_encode(pkt, buf, BUF_CAP);
  ev_bytes(sc, buf, len);
}

static void ev_syn(struct scen *sc) {
  json_t *e = json_object();
  size_t len = 0;
  put(e, "op", json_string("syn"));
  sgp_err rc = conf_node_syn(&sc->node, buf, BUF_CAP, &len);
  put_hex(e, "output", buf, rc == SGP_OK ? len : 0);
  event_done(sc, e, rc);
}

/* The node's answer to the current pkt (a SYN or an ACK), budget 0 = default. */
static void ev_answer(struct scen *sc, uint32_t budget) {
  static uint8_t in[BUF_CAP];
  json_t *e = json_object();
  size_t len = 0, in_len = cv_raw_encode(pkt, in, sizeof in);
  put(e, "op", json_string("answer"));
  put_hex(e, "packet", in, in_len);
  if (budget) put(e, "budget", json_integer(budget));
  sgp_err rc = conf_node_answer(&sc->node, in, in_len, budget, buf, BUF_CAP, &len);
  put_hex(e, "output", buf, rc == SGP_OK ? len : 0);
  event_done(sc, e, rc);
}

static void ev_tick(struct scen *sc) {
  json_t *e = json_object();
  put(e, "op", json_string("tick"));
  event_done(sc, e, conf_node_tick(&sc->node));
}

static void ev_ticks(struct scen *sc, int k) {
  for (int i = 0; i < k; i++) ev_tick(sc);
}

static void ev_local(struct scen *sc, uint32_t susp) {
  json_t *e = json_object();
  uint32_t sub[SGP_SUBSCORES];
  for (size_t k = 0; k < SGP_SUBSCORES; k++) sub[k] = susp / 5;
  put(e, "op", json_string("set_local"));
  put(e, "suspicion", json_integer(susp));
  put(e, "sub", cv_u32s(sub, SGP_SUBSCORES));
  event_done(sc, e, conf_node_set_local(&sc->node, susp, sub));
}

static void end(struct scen *sc) {
  const struct sgp_state *st = &sc->node.st;
  json_t *o = json_object(), *ages = json_array(), *rs = json_array();
  put(o, "round", json_integer((json_int_t)st->round));
  for (uint32_t i = 0; i < st->p.n; i++) {
    append(ages, json_integer(st->e[i].age));
    sgp_report_msg m;
    if (sgp_state_get_report(st, i, &m) == SGP_OK) append(rs, cv_report_json(&m));
  }
  put(o, "ages", ages);
  put(o, "reports", rs);
  put(o, "verdicts", verdicts_json(&sc->node));
  put(sc->t, "events", sc->events);
  put(sc->t, "state", o);
  if (sc->rejected) put(sc->t, "result", json_string("invalid"));
  append(tests, sc->t);
  conf_node_free(&sc->node);
}

/* Resets pkt to an empty version-1 packet of `kind` from `sender`. */
static void pkt_new(uint32_t sender, sgp_v1_Kind kind) {
  memset(pkt, 0, sizeof *pkt);
  pkt->version = 1;
  pkt->sender = sender;
  pkt->kind = kind;
}

static void delta(uint32_t sender, const sgp_report_msg *rs, size_t k) {
  pkt_new(sender, sgp_v1_Kind_KIND_DELTA);
  for (size_t i = 0; i < k; i++) pkt->reports[i] = rs[i];
  pkt->reports_count = (pb_size_t)k;
}

/* A DELTA from `sender` carrying rs[0..k), fed to the node. */
static void ev_delta(struct scen *sc, uint32_t sender, const sgp_report_msg *rs, size_t k) {
  delta(sender, rs, k);
  ev_packet(sc);
}

/* ---- the paper's example (spec Appendix B) ----------------------------------- */

struct row4 {
  uint32_t seq[4], susp[4], age[4];
};
static const struct row4 APP_A = {{100, 90, 87, 90}, {3100, 2000, 2300, 2800}, {0, 10, 13, 10}};
static const struct row4 APP_B = {{88, 100, 85, 98}, {3100, 2100, 2400, 4600}, {12, 0, 15, 2}};
static const struct row4 APP_C = {{80, 98, 100, 94}, {3100, 2000, 2300, 3700}, {20, 2, 0, 6}};

static void app_reports(const struct row4 *r, sgp_report_msg *out) {
  for (uint32_t o = 0; o < 4; o++) cv_report(&out[o], o, o, 1, r->seq[o], r->susp[o], NULL, 0);
}

/* Starts holder `self` with the table row and returns its node. */
static void app_node(struct conf_node *c, const struct row4 *r, uint32_t self) {
  struct sgp_params p;
  params(&p, 4, 40, 1);
  sgp_report_msg rs[4];
  app_reports(r, rs);
  start_node(c, &p, self, 0, rs, 4, r->age, "appendix B node");
}

/* The ACK `responder` sends for A's current SYN. */
static void app_ack(struct scen *sc, struct conf_node *responder) {
  sgp_packet *syn = calloc(1, sizeof *syn);
  if (!syn) die("oom");
  if (sgp_state_make_syn(&sc->node.st, syn) != SGP_OK) die("syn");
  if (sgp_state_make_ack(&responder->st, syn, pkt, 0) != SGP_OK) die("ack");
  free(syn);
}

static void appendix_b(int insider) {
  struct scen sc;
  struct sgp_params p;
  params(&p, 4, 40, 1);
  sgp_report_msg rs[4];
  app_reports(&APP_A, rs);
  begin(&sc,
        insider ? "Appendix B: C forges D's report in exchange 1; B's ACK still arrives"
                : "Appendix B: A exchanges with C, then with B (the paper's example)",
        insider ? REQS("SGP-MERGE-2", "SGP-MERGE-7", "SGP-REPORT-3", "SGP-CONS-1", "SGP-CONS-7",
                       "SGP-XCHG-10", "SGP-XCHG-1", "SGP-XCHG-5")
                : REQS("SGP-MERGE-1", "SGP-MERGE-3", "SGP-MERGE-4", "SGP-XCHG-1", "SGP-XCHG-2",
                       "SGP-XCHG-3", "SGP-XCHG-5", "SGP-XCHG-6", "SGP-XCHG-8", "SGP-XCHG-10",
                       "SGP-CONS-1", "SGP-CONS-5"),
        insider ? FLAGS("AppendixB", "ForgedSignature", "Insider") : FLAGS("AppendixB"), &p, 0, 0,
        rs, 4, APP_A.age);
  struct conf_node c, b;
  app_node(&c, &APP_C, 2);
  app_node(&b, &APP_B, 1);
  ev_syn(&sc);
  app_ack(&sc, &c);
  if (insider) {
    /* C replaces D's report by its own forgery: seq 99, suspicion 500. */
    for (size_t i = 0; i < pkt->reports_count; i++)
      if (pkt->reports[i].origin == 3) cv_report(&pkt->reports[i], 2, 3, 1, 99, 500, NULL, 0);
  }
  ev_packet(&sc);
  if (!insider) ev_answer(&sc, 0); /* DELTA(A -> C): [0: 100/3100] */
  ev_syn(&sc);
  app_ack(&sc, &b);
  ev_packet(&sc);
  ev_answer(&sc, 0); /* DELTA(A -> B) */
  conf_node_free(&c);
  conf_node_free(&b);
  end(&sc);
}

/* ---- merge cases ---------------------------------------------------------------- */

/* Node 0 of n = 4 holding own (1,1) and reports of 1..3 at (1,10). */
static void std_start(struct scen *sc, const char *comment, const char *const *reqs,
                      const char *const *flags) {
  struct sgp_params p;
  params(&p, 4, 40, 10);
  sgp_report_msg rs[4];
  cv_report(&rs[0], 0, 0, 1, 1, 0, NULL, 0);
  for (uint32_t o = 1; o < 4; o++) cv_report(&rs[o], o, o, 1, 10, 1000 * o, NULL, 0);
  const uint32_t ages[4] = {0, 3, 5, 7};
  begin(sc, comment, reqs, flags, &p, 0, 20, rs, 4, ages);
}

static void merge_cases(void) {
  struct scen sc;
  sgp_report_msg r[4];

  std_start(&sc, "newer seq adopted, age reset", REQS("SGP-MERGE-3", "SGP-MERGE-4"), NOFLAGS);
  cv_report(&r[0], 1, 1, 1, 11, 1500, NULL, 0);
  ev_delta(&sc, 1, r, 1);
  end(&sc);

  std_start(&sc, "stale seq with a broken signature is ignored unverified", REQS("SGP-MERGE-1"),
            FLAGS("Stale", "ForgedSignature"));
  cv_report(&r[0], 1, 1, 1, 9, 4000, NULL, 0);
  r[0].sig.bytes[5] ^= 0x40;
  ev_delta(&sc, 1, r, 1);
  end(&sc);

  std_start(&sc, "duplicate of the held report changes nothing (idempotent)",
            REQS("SGP-MERGE-1", "SGP-MERGE-5"), FLAGS("Duplicate"));
  cv_report(&r[0], 2, 2, 1, 10, 2000, NULL, 0);
  ev_delta(&sc, 3, r, 1);
  ev_packet(&sc);
  end(&sc);

  std_start(&sc, "relayed report verified with the origin's key, not the sender's",
            REQS("SGP-MERGE-2", "SGP-REPORT-3", "SGP-REPORT-6", "SGP-ID-2"), FLAGS("Relay"));
  cv_report(&r[0], 2, 2, 1, 12, 2500, NULL, 0);
  ev_delta(&sc, 1, r, 1);
  end(&sc);

  std_start(&sc, "report of node 2 signed by the sender (node 1): whole packet rejected",
            REQS("SGP-MERGE-2", "SGP-MERGE-7", "SGP-STATE-8", "SGP-CONS-7"),
            FLAGS("ForgedSignature"));
  cv_report(&r[0], 1, 1, 1, 11, 1500, NULL, 0);
  cv_report(&r[1], 1, 2, 1, 11, 4500, NULL, 0);
  ev_delta(&sc, 1, r, 2);
  end(&sc);

  std_start(&sc, "bit flip in a newer report's signature: packet rejected",
            REQS("SGP-MERGE-2", "SGP-REPORT-3"), FLAGS("ForgedSignature"));
  cv_report(&r[0], 3, 3, 1, 11, 4900, NULL, 0);
  r[0].sig.bytes[63] ^= 1;
  ev_delta(&sc, 1, r, 1);
  end(&sc);

  std_start(&sc, "suspicion altered after signing: packet rejected",
            REQS("SGP-MERGE-2", "SGP-REPORT-2"), FLAGS("ForgedSignature"));
  cv_report(&r[0], 3, 3, 1, 11, 100, NULL, 0);
  r[0].suspicion = 4900;
  ev_delta(&sc, 1, r, 1);
  end(&sc);

  std_start(&sc, "forged report after a valid one: atomic reject, the valid one not adopted",
            REQS("SGP-MERGE-7", "SGP-STATE-8"), FLAGS("ForgedSignature", "Atomic"));
  cv_report(&r[0], 1, 1, 1, 11, 1500, NULL, 0);
  cv_report(&r[1], 2, 2, 1, 11, 1500, NULL, 0);
  cv_report(&r[2], 1, 3, 1, 11, 100, NULL, 0);
  ev_delta(&sc, 1, r, 3);
  end(&sc);

  std_start(&sc, "restart: generation 2 seq 1 replaces generation 1 seq 10",
            REQS("SGP-MERGE-3", "SGP-STATE-3"), FLAGS("Restart"));
  cv_report(&r[0], 2, 2, 2, 1, 0, NULL, 0);
  ev_delta(&sc, 1, r, 1);
  end(&sc);

  std_start(&sc, "stale generation after a restart is ignored", REQS("SGP-MERGE-1", "SGP-MERGE-5"),
            FLAGS("Restart", "StaleGeneration"));
  cv_report(&r[0], 2, 2, 2, 1, 0, NULL, 0);
  ev_delta(&sc, 1, r, 1);
  cv_report(&r[0], 2, 2, 1, 900, 4900, NULL, 0);
  ev_delta(&sc, 3, r, 1);
  end(&sc);

  std_start(&sc, "future generation 4294967295 of another origin is adopted",
            REQS("SGP-MERGE-3", "SGP-WIRE-18"), FLAGS("FutureGeneration"));
  cv_report(&r[0], 3, 3, UINT32_MAX, 1, 0, NULL, 0);
  ev_delta(&sc, 1, r, 1);
  cv_report(&r[0], 3, 3, 2, 1000, 4500, NULL, 0);
  ev_delta(&sc, 1, r, 1);
  end(&sc);

  /* Equivocation: two signed variants of one version. */
  {
    sgp_report_msg a, b;
    cv_report(&a, 2, 2, 1, 11, 1000, NULL, 0);
    cv_report(&b, 2, 2, 1, 11, 3000, NULL, 0);
    int a_wins = memcmp(a.sig.bytes, b.sig.bytes, 64) > 0;
    const sgp_report_msg *lo = a_wins ? &b : &a, *hi = a_wins ? &a : &b;
    std_start(&sc, "tie: equal version, greater signature replaces the held one",
              REQS("SGP-MERGE-6", "SGP-MERGE-3", "SGP-MERGE-15"), FLAGS("Tie"));
    ev_delta(&sc, 1, lo, 1);
    ev_delta(&sc, 1, hi, 1);
    end(&sc);
    std_start(&sc, "tie: equal version, smaller signature is ignored (order-independent result)",
              REQS("SGP-MERGE-6", "SGP-MERGE-5"), FLAGS("Tie"));
    ev_delta(&sc, 1, hi, 1);
    ev_delta(&sc, 1, lo, 1);
    end(&sc);
    std_start(&sc, "tie: the smaller variant with a broken signature is ignored unverified",
              REQS("SGP-MERGE-6", "SGP-MERGE-1"), FLAGS("Tie", "ForgedSignature"));
    ev_delta(&sc, 1, hi, 1);
    r[0] = *lo;
    r[0].sig.bytes[40] ^= 0x80;
    ev_delta(&sc, 1, r, 1);
    end(&sc);
    std_start(&sc, "tie: the greater variant with a broken signature is rejected",
              REQS("SGP-MERGE-6", "SGP-MERGE-2"), FLAGS("Tie", "ForgedSignature"));
    ev_delta(&sc, 1, lo, 1);
    r[0] = *lo;
    memset(r[0].sig.bytes, 0xff, 8); /* sorts above every real variant; does not verify */
    ev_delta(&sc, 1, r, 1);
    end(&sc);
  }

  std_start(&sc, "own-origin report with a higher seq: generation jumps to its generation + 1",
            REQS("SGP-MERGE-9", "SGP-MERGE-5"), FLAGS("OwnOriginJump"));
  cv_report(&r[0], 0, 0, 1, 50, 0, NULL, 0);
  ev_delta(&sc, 2, r, 1);
  end(&sc);

  std_start(&sc, "own-origin report of a later generation: jump above it", REQS("SGP-MERGE-9"),
            FLAGS("OwnOriginJump", "FutureGeneration"));
  cv_report(&r[0], 0, 0, 7, 3, 4000, NULL, 0);
  ev_delta(&sc, 2, r, 1);
  end(&sc);

  std_start(&sc, "own-origin report, same version, different bytes: jump", REQS("SGP-MERGE-9"),
            FLAGS("OwnOriginJump", "Tie"));
  cv_report(&r[0], 0, 0, 1, 1, 2500, NULL, 0);
  ev_delta(&sc, 2, r, 1);
  end(&sc);

  std_start(&sc, "own-origin copy of the own report: no jump", REQS("SGP-MERGE-1", "SGP-MERGE-9"),
            FLAGS("OwnOriginJump", "Duplicate"));
  cv_report(&r[0], 0, 0, 1, 1, 0, NULL, 0);
  ev_delta(&sc, 2, r, 1);
  end(&sc);

  std_start(&sc, "own-origin report with a forged signature: rejected, no jump",
            REQS("SGP-MERGE-2", "SGP-MERGE-9"), FLAGS("OwnOriginJump", "ForgedSignature"));
  cv_report(&r[0], 1, 0, 1, 50, 0, NULL, 0);
  ev_delta(&sc, 2, r, 1);
  end(&sc);

  std_start(&sc, "own-origin report with generation 4294967295: SGP_ERR_EXHAUSTED",
            REQS("SGP-MERGE-10", "SGP-MERGE-7"), FLAGS("OwnOriginJump"));
  cv_report(&r[0], 0, 0, UINT32_MAX, 1, 0, NULL, 0);
  cv_report(&r[1], 1, 1, 1, 11, 0, NULL, 0);
  ev_delta(&sc, 2, r, 2);
  end(&sc);

  std_start(&sc, "packet from the receiving node itself: SGP_ERR_SENDER", REQS("SGP-MERGE-8"),
            NOFLAGS);
  cv_report(&r[0], 1, 1, 1, 11, 0, NULL, 0);
  ev_delta(&sc, 0, r, 1);
  end(&sc);

  std_start(&sc, "packet sender outside the roster: SGP_ERR_NODE_ID",
            REQS("SGP-WIRE-17", "SGP-MERGE-12"), NOFLAGS);
  cv_report(&r[0], 1, 1, 1, 11, 0, NULL, 0);
  ev_delta(&sc, 4, r, 1);
  end(&sc);

  {
    struct sgp_params p;
    params(&p, 4, 40, 10);
    p.max_silent = 2;
    sgp_report_msg rs[2];
    cv_report(&rs[0], 0, 0, 1, 1, 0, NULL, 0);
    cv_report(&rs[1], 1, 1, 1, 10, 0, NULL, 0);
    begin(&sc, "stale report with a row longer than max_silent: SGP_ERR_TOO_MANY",
          REQS("SGP-MERGE-11"), NOFLAGS, &p, 0, 0, rs, 2, NULL);
    const uint32_t row[] = {0, 2, 3};
    cv_report(&r[0], 1, 1, 1, 5, 0, row, 3);
    ev_delta(&sc, 2, r, 1);
    cv_report(&r[0], 1, 1, 1, 11, 0, row, 2);
    ev_delta(&sc, 2, r, 1);
    end(&sc);
  }

  std_start(&sc, "SYN digest claiming newer versions changes nothing",
            REQS("SGP-XCHG-9", "SGP-CONS-7"), FLAGS("Digest"));
  pkt_new(1, sgp_v1_Kind_KIND_SYN);
  pkt->digest_count = 4;
  for (uint32_t o = 0; o < 4; o++)
    pkt->digest[o] = (sgp_version_msg){o, 9, 999, 0xffffffffffffffffull};
  ev_packet(&sc);
  end(&sc);

  std_start(&sc, "ACK: its reports are merged, its digest is not",
            REQS("SGP-XCHG-10", "SGP-XCHG-9"), FLAGS("Digest"));
  cv_report(&r[0], 1, 1, 1, 12, 2600, NULL, 0);
  delta(1, r, 1);
  pkt->kind = sgp_v1_Kind_KIND_ACK;
  pkt->digest_count = 1;
  pkt->digest[0] = (sgp_version_msg){3, 5, 5, 1};
  ev_packet(&sc);
  end(&sc);

  std_start(&sc, "mixed packet: one stale, one new, one duplicate",
            REQS("SGP-MERGE-1", "SGP-MERGE-3", "SGP-MERGE-4"), NOFLAGS);
  cv_report(&r[0], 1, 1, 1, 9, 1000, NULL, 0);
  cv_report(&r[1], 2, 2, 1, 11, 2000, NULL, 0);
  cv_report(&r[2], 3, 3, 1, 10, 3000, NULL, 0);
  ev_delta(&sc, 1, r, 3);
  end(&sc);

  std_start(&sc, "adoption resets the age; ticks age it again", REQS("SGP-MERGE-4", "SGP-TICK-1"),
            NOFLAGS);
  ev_tick(&sc);
  cv_report(&r[0], 2, 2, 1, 11, 2000, NULL, 0);
  ev_delta(&sc, 1, r, 1);
  ev_ticks(&sc, 2);
  end(&sc);

  std_start(&sc, "reports commute: new ones in two packets in either order", REQS("SGP-MERGE-5"),
            NOFLAGS);
  cv_report(&r[0], 1, 1, 2, 1, 100, NULL, 0);
  ev_delta(&sc, 2, r, 1);
  cv_report(&r[0], 1, 1, 1, 30, 200, NULL, 0);
  ev_delta(&sc, 3, r, 1);
  end(&sc);

  {
    struct sgp_params p;
    params(&p, 4, 40, 10);
    sgp_report_msg rs[1];
    cv_report(&rs[0], 0, 0, 1, 1, 0, NULL, 0);
    begin(&sc, "first reports of origins never held are adopted",
          REQS("SGP-MERGE-3", "SGP-MERGE-4"), NOFLAGS, &p, 0, 0, rs, 1, NULL);
    cv_report(&r[0], 1, 1, 1, 1, 0, NULL, 0);
    cv_report(&r[1], 3, 3, 5, 2, 2600, NULL, 0);
    ev_syn(&sc); /* the digest lists held origins only (SGP-XCHG-8) */
    ev_delta(&sc, 1, r, 2);
    ev_syn(&sc);
    end(&sc);
  }

  /* Exchange outputs: what the node selects for a peer's digest. */
  std_start(&sc, "answer to a SYN: own digest and every report newer than the peer's digest",
            REQS("SGP-XCHG-2", "SGP-XCHG-3", "SGP-XCHG-6", "SGP-XCHG-8", "SGP-XCHG-9"),
            FLAGS("Exchange"));
  pkt_new(2, sgp_v1_Kind_KIND_SYN);
  pkt->digest_count = 3;
  pkt->digest[0] =
      (sgp_version_msg){0, 1, 1, sgp_sig_tag(sc.node.st.e[0].sig)}; /* same: not sent */
  pkt->digest[1] = (sgp_version_msg){1, 1, 9, 0};                   /* older: sent */
  pkt->digest[2] = (sgp_version_msg){3, 1, 11, 0};                  /* newer: not sent */
  ev_answer(&sc, 0);
  pkt->digest[0].tag = sgp_sig_tag(sc.node.st.e[0].sig) - 1; /* same version, smaller tag: sent */
  ev_answer(&sc, 0);
  end(&sc);

  std_start(&sc, "answer to an ACK: a DELTA, or nothing when no report is newer",
            REQS("SGP-XCHG-5", "SGP-XCHG-3"), FLAGS("Exchange"));
  ev_syn(&sc);
  pkt_new(1, sgp_v1_Kind_KIND_ACK);
  pkt->digest_count = 4;
  for (uint32_t o = 0; o < 4; o++) pkt->digest[o] = (sgp_version_msg){o, 1, 10, 0};
  pkt->digest[0].seq = 1;
  pkt->digest[0].tag = sgp_sig_tag(sc.node.st.e[0].sig);
  ev_answer(&sc, 0);
  pkt->digest[2].seq = 9;
  ev_answer(&sc, 0);
  end(&sc);

  {
    enum { N = 40 };
    struct sgp_params p;
    params(&p, N, 40, 10);
    static sgp_report_msg rs[N];
    uint32_t ages[N];
    for (uint32_t o = 0; o < N; o++) {
      cv_report(&rs[o], o, o, 1, 3, 1000 + 10 * o, NULL, 0);
      ages[o] = o == 0 ? 0 : (o * 7) % 13; /* ties in age: lower origin first */
    }
    begin(&sc, "budget: own report first, then ascending age, ties by origin; sorted by origin",
          REQS("SGP-XCHG-4", "SGP-XCHG-6"), FLAGS("Exchange", "Budget"), &p, 0, 0, rs, N, ages);
    pkt_new(1, sgp_v1_Kind_KIND_SYN);
    pkt->digest_count = 1;
    pkt->digest[0] = (sgp_version_msg){1, 1, 1, 0};
    ev_answer(&sc, 1024);
    ev_answer(&sc, 2048);
    ev_answer(&sc, 0);
    /* A budget that the first 12 reports in priority order fill exactly. */
    uint32_t order[N], exact = 0;
    for (uint32_t k = 0; k < N; k++) order[k] = k;
    for (uint32_t a = 1; a < N; a++) /* own report (0) stays first */
      for (uint32_t b = a + 1; b < N; b++)
        if (ages[order[b]] < ages[order[a]] ||
            (ages[order[b]] == ages[order[a]] && order[b] < order[a])) {
          uint32_t t = order[a];
          order[a] = order[b];
          order[b] = t;
        }
    for (uint32_t k = 0; k < 12; k++) exact += (uint32_t)sgp_report_msg_wire_size(&rs[order[k]]);
    ev_answer(&sc, exact);
    ev_answer(&sc, exact - 1);
    end(&sc);
  }

  std_start(&sc, "undecodable packet bytes change nothing", REQS("SGP-MERGE-12", "SGP-WIRE-31"),
            NOFLAGS);
  {
    static const uint8_t junk[] = {0x08, 0x01, 0x10, 0x01, 0x18, 0x03, 0x2a, 0x05, 0x10};
    ev_bytes(&sc, junk, sizeof junk);
  }
  end(&sc);
}

/* Writes one sgp_sequence_vectors_v1 file: a single SequenceTest group
 * holding the cases that `cases` appends, the stream seeded with `seed`. */
static void gen_sequences(const char *path, const char *seed, const char *algorithm,
                          const char *const *header, void (*cases)(void)) {
  vec_begin(seed);
  pkt = calloc(1, sizeof *pkt);
  buf = malloc(BUF_CAP);
  if (!pkt || !buf) die("oom");
  tests = json_array();
  cases();
  json_t *root = vec_root(algorithm, "sgp_sequence_vectors_v1", header);
  json_t *groups = json_array(), *g = json_object();
  put(g, "type", json_string("SequenceTest"));
  put(g, "roster", cv_roster_json());
  put(g, "tests", tests);
  append(groups, g);
  put(root, "testGroups", groups);
  vec_write(root, path);
  json_decref(root);
  free(pkt);
  free(buf);
}

static void all_merge_cases(void) {
  appendix_b(0);
  appendix_b(1);
  merge_cases();
}

void gen_merge(const char *path) {
  gen_sequences(
      path, "sgp conformance merge vectors v1.", "SGP merge v1",
      (const char *const[]){
          "Merge sequences for SGP v1 (spec section 5 and Appendix B), generated by",
          "tools/confvec. A start state (own id, round, held reports as encoded Report",
          "messages, the age of every origin) and events: packet (decode with n, merge),",
          "tick, set_local. Each event lists the error name, reports adopted (packets) and",
          "the verdicts of all n nodes after it; 'state' is the whole state after the last",
          "event. Keys: the roster of the group (Ed25519 seed of node i: 'sgp-conf' || u32 i).",
          "result: invalid when some event is rejected (the case checks that rejection).", NULL},
      all_merge_cases);
}

/* ---- consensus and timers --------------------------------------------------------- */

static void consensus_cases(void) {
  struct scen sc;
  struct sgp_params p;
  sgp_report_msg rs[8], r[2];

  params(&p, 7, 40, 10);
  {
    const uint32_t susp[7] = {0, 2499, 2500, 3999, 4000, 5000, 1};
    for (uint32_t o = 0; o < 6; o++) cv_report(&rs[o], o, o, 1, 1, susp[o], NULL, 0);
  }
  begin(&sc, "thresholds at their boundaries; no report held: UNKNOWN",
        REQS("SGP-CONS-1", "SGP-CONS-2", "SGP-CONS-5", "SGP-DATA-2"), FLAGS("Threshold"), &p, 0, 0,
        rs, 6, NULL);
  ev_tick(&sc);
  end(&sc);

  params(&p, 4, 40, 10);
  p.theta_suspect = 1000;
  p.theta_compromised = 1000;
  for (uint32_t o = 0; o < 4; o++) cv_report(&rs[o], o, o, 1, 1, 999 + o, NULL, 0);
  begin(&sc, "theta_suspect = theta_compromised = 1000", REQS("SGP-CONS-1", "SGP-CONS-5"),
        FLAGS("Threshold"), &p, 0, 0, rs, 4, NULL);
  ev_tick(&sc);
  end(&sc);

  params(&p, 4, 3, 3);
  for (uint32_t o = 0; o < 4; o++) cv_report(&rs[o], o, o, 1, 5, 0, NULL, 0);
  begin(&sc, "T_cleanup = 3: every peer goes SILENT at the 4th tick without news",
        REQS("SGP-TICK-1", "SGP-TICK-3", "SGP-CONS-3", "SGP-CONS-4", "SGP-REPORT-7"),
        FLAGS("Cleanup", "SilentMajority"), &p, 0, 0, rs, 4, NULL);
  ev_ticks(&sc, 5);
  end(&sc);

  params(&p, 4, 3, 3);
  cv_report(&rs[0], 0, 0, 1, 5, 0, NULL, 0);
  begin(&sc, "never-heard nodes: UNKNOWN, then SILENT after T_cleanup ticks",
        REQS("SGP-TICK-3", "SGP-CONS-2", "SGP-CONS-3"), FLAGS("Cleanup"), &p, 0, 0, rs, 1, NULL);
  ev_ticks(&sc, 4);
  end(&sc);

  params(&p, 4, 3, 3);
  for (uint32_t o = 0; o < 4; o++) cv_report(&rs[o], o, o, 1, 5, 0, NULL, 0);
  {
    const uint32_t ages[4] = {0, 3, 0, 0};
    begin(&sc, "recovery: a fresh report of a SILENT node removes it from the row",
          REQS("SGP-TICK-2", "SGP-TICK-3", "SGP-MERGE-4", "SGP-CONS-3"), FLAGS("Cleanup"), &p, 0, 0,
          rs, 4, ages);
  }
  ev_tick(&sc);
  cv_report(&r[0], 1, 1, 1, 6, 0, NULL, 0);
  ev_delta(&sc, 2, r, 1);
  ev_tick(&sc);
  end(&sc);

  /* n = 5, node 4 live and clean; rows of 1 and 2 list it: 2 of 4 votes. */
  params(&p, 5, 40, 10);
  {
    const uint32_t row4[] = {4};
    cv_report(&rs[0], 0, 0, 1, 1, 0, NULL, 0);
    cv_report(&rs[1], 1, 1, 1, 1, 0, row4, 1);
    cv_report(&rs[2], 2, 2, 1, 1, 0, row4, 1);
    cv_report(&rs[3], 3, 3, 1, 1, 0, NULL, 0);
    cv_report(&rs[4], 4, 4, 1, 1, 2600, NULL, 0);
    begin(&sc, "SILENT needs a strict majority: 2 of 4 rows no, 3 of 4 yes (over SUSPECT)",
          REQS("SGP-CONS-2", "SGP-CONS-3", "SGP-CONS-6"), FLAGS("SilentMajority"), &p, 0, 0, rs, 5,
          NULL);
    cv_report(&r[0], 3, 3, 1, 2, 0, row4, 1);
    ev_delta(&sc, 3, r, 1);
    end(&sc);

    cv_report(&rs[4], 4, 4, 1, 1, 4000, NULL, 0);
    begin(&sc, "COMPROMISED takes priority over a SILENT majority",
          REQS("SGP-CONS-1", "SGP-CONS-2"), FLAGS("SilentMajority", "Threshold"), &p, 0, 0, rs, 5,
          NULL);
    ev_packet(&sc);
    end(&sc);

    /* Rows of 1 and of 3 list 4, but 3 is not live (age 41 > T_cleanup). */
    cv_report(&rs[2], 2, 2, 1, 1, 0, NULL, 0);
    cv_report(&rs[3], 3, 3, 1, 1, 0, row4, 1);
    cv_report(&rs[4], 4, 4, 1, 1, 0, NULL, 0);
    const uint32_t ages[5] = {0, 0, 0, 41, 0};
    begin(&sc, "a row of a node that is not live does not vote", REQS("SGP-CONS-3", "SGP-CONS-4"),
          FLAGS("SilentMajority"), &p, 0, 0, rs, 5, ages);
    ev_tick(&sc);
    end(&sc);

    cv_report(&rs[3], 3, 3, 1, 1, 0, NULL, 0);
    begin(&sc, "one insider row alone cannot make a node SILENT", REQS("SGP-CONS-3"),
          FLAGS("SilentMajority", "Insider"), &p, 0, 0, rs, 5, NULL);
    ev_tick(&sc);
    end(&sc);
  }

  params(&p, 4, 40, 10);
  {
    const uint32_t row3[] = {3};
    cv_report(&rs[0], 0, 0, 1, 1, 0, NULL, 0);
    cv_report(&rs[1], 1, 1, 1, 1, 0, row3, 1);
    cv_report(&rs[2], 2, 2, 1, 1, 0, row3, 1);
    cv_report(&rs[3], 3, 3, 1, 1, 0, NULL, 0);
    const uint32_t ages[4] = {0, 0, 40, 0};
    begin(&sc, "a row whose age equals T_cleanup still votes; one tick later it does not",
          REQS("SGP-CONS-3", "SGP-CONS-4"), FLAGS("Cleanup", "SilentMajority"), &p, 0, 0, rs, 4,
          ages);
    ev_local(&sc, 0);
    ev_tick(&sc);
    end(&sc);
  }

  params(&p, 4, 40, 3);
  cv_report(&rs[0], 0, 0, 1, 1, 0, NULL, 0);
  begin(&sc, "heartbeat H = 3: own seq advances every 3 rounds even without change",
        REQS("SGP-TICK-4", "SGP-TICK-1"), FLAGS("Heartbeat"), &p, 0, 0, rs, 1, NULL);
  ev_ticks(&sc, 7);
  end(&sc);

  params(&p, 4, 40, 10);
  cv_report(&rs[0], 0, 0, 1, 1, 0, NULL, 0);
  begin(&sc, "agent values take effect at the next tick, the latest winning",
        REQS("SGP-TICK-2", "SGP-TICK-8", "SGP-REPORT-7", "SGP-CONS-1"), FLAGS("Agent"), &p, 0, 0,
        rs, 1, NULL);
  ev_local(&sc, 3000);
  ev_local(&sc, 4500);
  ev_tick(&sc);
  ev_tick(&sc);
  ev_local(&sc, 100);
  ev_tick(&sc);
  end(&sc);

  params(&p, 4, 40, 10);
  cv_report(&rs[0], 0, 0, 1, UINT32_MAX, 0, NULL, 0);
  begin(&sc, "seq 4294967295 and a due heartbeat: tick fails with SGP_ERR_EXHAUSTED",
        REQS("SGP-TICK-5"), FLAGS("Heartbeat"), &p, 0, 9, rs, 1, NULL);
  ev_tick(&sc);
  end(&sc);

  params(&p, 4, 40, 10);
  for (uint32_t o = 0; o < 2; o++) cv_report(&rs[o], o, o, 1, 1, 0, NULL, 0);
  {
    const uint32_t ages[4] = {0, 65534, 0, 0};
    begin(&sc, "ages saturate at 65535", REQS("SGP-TICK-1"), FLAGS("Cleanup"), &p, 0, 0, rs, 2,
          ages);
  }
  ev_ticks(&sc, 2);
  end(&sc);

  params(&p, 6, 1, 1);
  p.max_silent = 2;
  cv_report(&rs[0], 0, 0, 1, 1, 0, NULL, 0);
  begin(&sc, "own row keeps the lowest max_silent ids", REQS("SGP-TICK-3", "SGP-CONS-3"),
        FLAGS("Cleanup"), &p, 0, 0, rs, 1, NULL);
  ev_ticks(&sc, 3);
  end(&sc);

  params(&p, 3, 40, 10);
  for (uint32_t o = 0; o < 3; o++) cv_report(&rs[o], o, o, 1, 1, 500 * o, NULL, 0);
  begin(&sc, "verdicts of node 2's own view (self is always live)",
        REQS("SGP-CONS-2", "SGP-CONS-4", "SGP-CONS-8"), NOFLAGS, &p, 2, 5, rs, 3, NULL);
  ev_tick(&sc);
  end(&sc);
}

void gen_consensus(const char *path) {
  gen_sequences(
      path, "sgp conformance consensus vector", "SGP consensus v1",
      (const char *const[]){
          "Consensus and timer sequences for SGP v1 (spec sections 5.5 and 6), generated by",
          "tools/confvec. Same format as merge.json: the state's clock is the tick (one",
          "T_gossip round); verdicts are listed after every event.", NULL},
      consensus_cases);
}
