/* Testee operation SEQUENCE: merge, tick and consensus (spec §5, §6), on
 * the state driver shared with the vector generator (confstate.h). */
#include <pb_decode.h>
#include <string.h>

#include "confstate.h"
#include "testee.h"

#define BAD sgp_testee_v1_Status_STATUS_BAD_REQUEST

static void verdicts(struct conf_node *c, sgp_testee_v1_Verdict *out, pb_size_t *count) {
  sgp_verdict v[CONF_MAX_NODES];
  conf_node_verdicts(c, v);
  for (uint32_t i = 0; i < c->st.p.n; i++) out[i] = (sgp_testee_v1_Verdict)v[i];
  *count = (pb_size_t)c->st.p.n;
}

static sgp_err apply(struct conf_node *c, const sgp_testee_v1_Event *ev, uint32_t *adopted,
                     sgp_testee_v1_EventResult *er) {
  size_t len = 0;
  sgp_err rc;
  *adopted = 0;
  switch (ev->op) {
    case sgp_testee_v1_EventOp_EVENT_SYN:
      rc = conf_node_syn(c, er->output.bytes, sizeof er->output.bytes, &len);
      er->output.size = rc == SGP_OK ? (pb_size_t)len : 0;
      return rc;
    case sgp_testee_v1_EventOp_EVENT_ANSWER:
      rc = conf_node_answer(c, ev->packet.bytes, ev->packet.size, ev->budget, er->output.bytes,
                            sizeof er->output.bytes, &len);
      er->output.size = rc == SGP_OK ? (pb_size_t)len : 0;
      return rc;
    case sgp_testee_v1_EventOp_EVENT_PACKET:
      return conf_node_packet(c, ev->packet.bytes, ev->packet.size, adopted);
    case sgp_testee_v1_EventOp_EVENT_TICK:
      return conf_node_tick(c);
    case sgp_testee_v1_EventOp_EVENT_SET_LOCAL:
      if (ev->sub_count != SGP_SUBSCORES) return SGP_ERR_SUB_COUNT;
      return conf_node_set_local(c, ev->suspicion, ev->sub);
    default:
      return SGP_ERR_INVALID_ARG;
  }
}

tt_status tt_sequence(const tt_request *rq, tt_reply *rp) {
  static sgp_report_msg reports[CONF_MAX_NODES];
  const sgp_testee_v1_SequenceRequest *q = &rq->sequence;
  const sgp_testee_v1_StartState *s = &q->start;
  if (!q->has_params || !q->has_start) return BAD;
  uint32_t n = q->params.n;
  if (n == 0 || n > CONF_MAX_NODES || s->sign_pk_count != n || s->self_seed.size != 32 ||
      (s->ages_count != 0 && s->ages_count != n))
    return BAD;
  uint8_t pk[CONF_MAX_NODES][32];
  for (uint32_t i = 0; i < n; i++) {
    if (s->sign_pk[i].size != 32) return BAD;
    memcpy(pk[i], s->sign_pk[i].bytes, 32);
  }
  for (pb_size_t i = 0; i < s->reports_count; i++) {
    memset(&reports[i], 0, sizeof reports[i]);
    pb_istream_t is = pb_istream_from_buffer(s->reports[i].bytes, s->reports[i].size);
    if (!pb_decode(&is, sgp_v1_Report_fields, &reports[i])) return BAD;
  }
  struct conf_start st;
  memset(&st, 0, sizeof st);
  st.p = (struct sgp_params){n,
                             q->params.max_silent,
                             q->params.t_cleanup,
                             q->params.heartbeat,
                             q->params.theta_suspect,
                             q->params.theta_compromised};
  st.self = s->self;
  st.round = s->round;
  st.pk = (const uint8_t(*)[32])pk;
  memcpy(st.seed, s->self_seed.bytes, 32);
  st.reports = reports;
  st.nreports = s->reports_count;
  st.ages = s->ages_count ? s->ages : NULL;
  struct conf_node c;
  sgp_err rc = conf_node_start(&c, &st);
  if (rc != SGP_OK) {
    TT_ERR(rp->error, rc);
    return BAD;
  }
  sgp_testee_v1_SequenceReply *out = &rp->sequence;
  rp->has_sequence = true;
  for (pb_size_t i = 0; i < q->events_count; i++) {
    sgp_testee_v1_EventResult *er = &out->events[i];
    uint32_t adopted;
    rc = apply(&c, &q->events[i], &adopted, er);
    TT_ERR(er->error, rc);
    er->adopted = adopted;
    verdicts(&c, er->verdicts, &er->verdicts_count);
  }
  out->events_count = q->events_count;
  out->has_state = true;
  sgp_testee_v1_StateDump *d = &out->state;
  d->round = c.st.round;
  d->ages_count = (pb_size_t)n;
  for (uint32_t i = 0; i < n; i++) {
    d->ages[i] = c.st.e[i].age;
    if (sgp_state_get_report(&c.st, i, &d->reports[d->reports_count]) == SGP_OK) d->reports_count++;
  }
  verdicts(&c, d->verdicts, &d->verdicts_count);
  conf_node_free(&c);
  TT_ERR(rp->error, SGP_OK);
  return sgp_testee_v1_Status_STATUS_OK;
}
