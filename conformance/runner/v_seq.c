/* merge.json and consensus.json: SequenceTest against OP_SEQUENCE. */
#include <string.h>

#include "runner.h"

static const char *const VERDICTS[] = {"UNKNOWN", "CLEAN", "SUSPECT", "COMPROMISED", "SILENT"};

static const char *verdict_name(sgp_testee_v1_Verdict v) {
  return (unsigned)v < 5 ? VERDICTS[v] : "?";
}

/* NULL if the reply's verdicts equal the vector's list, else a message. */
static const char *verdicts_diff(const json_t *want, const sgp_testee_v1_Verdict *got,
                                 pb_size_t count, char *buf, size_t cap) {
  if (!json_is_array(want)) return "bad vector: verdicts";
  if (json_array_size(want) != count) return "verdict count differs";
  for (pb_size_t i = 0; i < count; i++) {
    const char *w = json_string_value(json_array_get(want, i));
    if (!w || strcmp(w, verdict_name(got[i])) != 0) {
      (void)snprintf(buf, cap, "verdict of node %u: got %s want %s", (unsigned)i,
                     verdict_name(got[i]), w ? w : "?");
      return buf;
    }
  }
  return NULL;
}

static int fill_params(const json_t *p, sgp_testee_v1_Params *o) {
  return jx_u32(p, "n", &o->n) || jx_u32(p, "max_silent", &o->max_silent) ||
         jx_u32(p, "t_cleanup", &o->t_cleanup) || jx_u32(p, "heartbeat", &o->heartbeat) ||
         jx_u32(p, "theta_suspect", &o->theta_suspect) ||
         jx_u32(p, "theta_compromised", &o->theta_compromised);
}

static int fill_start(const json_t *g, const json_t *s, uint32_t n, sgp_testee_v1_StartState *o) {
  const json_t *roster = json_object_get(g, "roster"), *v;
  size_t i, len;
  if (!json_is_array(roster) || json_array_size(roster) < n || n > 64) return -1;
  if (jx_u32(s, "self", &o->self) || jx_u64(s, "round", &o->round) || o->self >= n) return -1;
  for (uint32_t k = 0; k < n; k++) {
    if (JX_BYTES(json_array_get(roster, k), "sign_pk", o->sign_pk[k]) != 0) return -1;
  }
  o->sign_pk_count = (pb_size_t)n;
  if (JX_BYTES(json_array_get(roster, o->self), "sign_seed", o->self_seed) != 0) return -1;
  const json_t *rs = json_object_get(s, "reports"), *ages = json_object_get(s, "ages");
  if (!json_is_array(rs) || json_array_size(rs) > 64 || !json_is_array(ages) ||
      json_array_size(ages) != n)
    return -1;
  json_array_foreach(rs, i, v) {
    if (jx_hexs(v, o->reports[i].bytes, sizeof o->reports[i].bytes, &len) != 0) return -1;
    o->reports[i].size = (pb_size_t)len;
  }
  o->reports_count = (pb_size_t)json_array_size(rs);
  json_array_foreach(ages, i, v) {
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535)
      return -1;
    o->ages[i] = (uint32_t)json_integer_value(v);
  }
  o->ages_count = (pb_size_t)n;
  return 0;
}

static int fill_event(const json_t *e, sgp_testee_v1_Event *o) {
  const char *op = jx_str(e, "op");
  if (!op) return -1;
  if (strcmp(op, "packet") == 0) {
    o->op = sgp_testee_v1_EventOp_EVENT_PACKET;
    return JX_BYTES(e, "packet", o->packet);
  }
  if (strcmp(op, "tick") == 0) {
    o->op = sgp_testee_v1_EventOp_EVENT_TICK;
    return 0;
  }
  if (strcmp(op, "syn") == 0) {
    o->op = sgp_testee_v1_EventOp_EVENT_SYN;
    return 0;
  }
  if (strcmp(op, "answer") == 0) {
    o->op = sgp_testee_v1_EventOp_EVENT_ANSWER;
    if (json_object_get(e, "budget") && jx_u32(e, "budget", &o->budget) != 0) return -1;
    return JX_BYTES(e, "packet", o->packet);
  }
  if (strcmp(op, "set_local") != 0) return -1;
  o->op = sgp_testee_v1_EventOp_EVENT_SET_LOCAL;
  const json_t *sub = json_object_get(e, "sub"), *v;
  size_t i;
  if (jx_u32(e, "suspicion", &o->suspicion) || !json_is_array(sub) || json_array_size(sub) != 5)
    return -1;
  json_array_foreach(sub, i, v) {
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX)
      return -1;
    o->sub[i] = (uint32_t)json_integer_value(v);
  }
  o->sub_count = 5;
  return 0;
}

void rn_sequence(struct rn_ctx *cx, const json_t *g, const json_t *t, struct rn_result *res) {
  sgp_testee_v1_SequenceRequest *q = &cx->rq->sequence;
  char buf[160];
  cx->rq->op = sgp_testee_v1_Op_OP_SEQUENCE;
  cx->rq->has_sequence = true;
  q->has_params = q->has_start = true;
  NEED(fill_params(json_object_get(t, "params"), &q->params) == 0, "bad vector: params");
  NEED(fill_start(g, json_object_get(t, "start"), q->params.n, &q->start) == 0,
       "bad vector: start");
  const json_t *evs = json_object_get(t, "events"), *e;
  size_t i;
  NEED(json_is_array(evs) && json_array_size(evs) <= 64, "bad vector: events");
  json_array_foreach(evs, i, e) {
    NEED(fill_event(e, &q->events[i]) == 0, "bad vector: event %zu", i);
  }
  q->events_count = (pb_size_t)json_array_size(evs);
  if (rn_exchange(cx, res) != 0) return;
  const rn_rep *rp = cx->rp;
  NEED(rp->has_sequence, "sequence: no result (%s)", rp->error);
  const sgp_testee_v1_SequenceReply *sr = &rp->sequence;
  NEED(sr->events_count == q->events_count, "sequence: %u event results for %u events",
       (unsigned)sr->events_count, (unsigned)q->events_count);
  json_array_foreach(evs, i, e) {
    const sgp_testee_v1_EventResult *er = &sr->events[i];
    const char *want = jx_str(e, "error");
    NEED(want, "bad vector: event error");
    NEED(strcmp(er->error, want) == 0, "event %zu (%s): got %s want %s", i, jx_str(e, "op"),
         er->error, want);
    uint32_t adopted;
    if (jx_u32(e, "adopted", &adopted) == 0)
      NEED(er->adopted == adopted, "event %zu: adopted %u, want %u", i, (unsigned)er->adopted,
           (unsigned)adopted);
    const char *d = verdicts_diff(json_object_get(e, "verdicts"), er->verdicts, er->verdicts_count,
                                  buf, sizeof buf);
    NEED(!d, "event %zu: %s", i, d);
    if (json_object_get(e, "output")) {
      static uint8_t out_want[8192];
      size_t len;
      NEED(jx_hex(e, "output", out_want, sizeof out_want, &len) == 0, "bad vector: output");
      NEED(er->output.size == len && memcmp(er->output.bytes, out_want, len) == 0,
           "event %zu (%s): output packet differs (%u bytes, want %zu)", i, jx_str(e, "op"),
           (unsigned)er->output.size, len);
    }
  }
  const json_t *st = json_object_get(t, "state");
  NEED(sr->has_state, "sequence: no final state");
  uint64_t round;
  NEED(jx_u64(st, "round", &round) == 0, "bad vector: state.round");
  NEED(sr->state.round == round, "state: round %llu, want %llu",
       (unsigned long long)sr->state.round, (unsigned long long)round);
  const json_t *ages = json_object_get(st, "ages"), *rs = json_object_get(st, "reports"), *v;
  NEED(json_is_array(ages) && json_array_size(ages) == sr->state.ages_count,
       "state: age count differs");
  json_array_foreach(ages, i, v) {
    NEED(json_is_integer(v) && (uint64_t)json_integer_value(v) == sr->state.ages[i],
         "state: age of node %zu is %u, want %lld", i, (unsigned)sr->state.ages[i],
         (long long)json_integer_value(v));
  }
  NEED(json_is_array(rs) && json_array_size(rs) == sr->state.reports_count,
       "state: %u held reports, want %zu", (unsigned)sr->state.reports_count, json_array_size(rs));
  json_array_foreach(rs, i, v) {
    sgp_v1_Report want;
    NEED(jx_report(v, &want) == 0, "bad vector: state report");
    const char *d = rn_report_diff(&sr->state.reports[i], &want);
    NEED(!d, "state: held report of origin %u: %s differs", (unsigned)want.origin, d);
  }
  const char *d = verdicts_diff(json_object_get(st, "verdicts"), sr->state.verdicts,
                                sr->state.verdicts_count, buf, sizeof buf);
  NEED(!d, "state: %s", d);
}
