/* See confstate.h. */
#include "confstate.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static sgp_err install(struct sgp_state *st, const sgp_report_msg *r) {
  struct sgp_entry *e = &st->e[r->origin];
  uint16_t *row = st->silent + (size_t)r->origin * st->p.max_silent;
  e->gen = r->generation;
  e->seq = r->seq;
  e->suspicion = r->suspicion;
  for (size_t k = 0; k < SGP_SUBSCORES; k++) e->sub[k] = (uint16_t)r->sub[k];
  e->silent_count = (uint16_t)r->silent_count;
  for (size_t k = 0; k < r->silent_count; k++) row[k] = (uint16_t)r->silent[k];
  memcpy(e->sig, r->sig.bytes, SGP_SIG_BYTES);
  return SGP_OK;
}

static sgp_err check_reports(const struct conf_start *s) {
  uint8_t seen[CONF_MAX_NODES] = {0};
  for (size_t i = 0; i < s->nreports; i++) {
    const sgp_report_msg *r = &s->reports[i];
    SGP_GUARD(sgp_report_msg_validate(r, s->p.n));
    SGP_ENSURE(r->silent_count <= s->p.max_silent, SGP_ERR_TOO_MANY);
    SGP_ENSURE(!seen[r->origin], SGP_ERR_DUP_ENTRY);
    seen[r->origin] = 1;
    SGP_GUARD(sgp_report_verify(r, s->pk[r->origin], NULL));
  }
  return SGP_OK;
}

sgp_err conf_node_start(struct conf_node *c, const struct conf_start *s) {
  memset(c, 0, sizeof *c);
  SGP_ENSURE(s->p.n >= 1 && s->p.n <= CONF_MAX_NODES, SGP_ERR_RANGE);
  SGP_ENSURE(s->self < s->p.n, SGP_ERR_NODE_ID);
  SGP_ENSURE(sodium_init() >= 0, SGP_ERR_CRYPTO);
  SGP_GUARD(sgp_params_validate(&s->p));
  SGP_GUARD(check_reports(s));
  for (uint32_t i = 0; i < s->p.n; i++) {
    memcpy(c->pk[i], s->pk[i], 32);
    SGP_ENSURE(s->ages == NULL || s->ages[i] <= SGP_AGE_MAX, SGP_ERR_RANGE);
  }
  SGP_ENSURE(s->ages == NULL || s->ages[s->self] == 0, SGP_ERR_RANGE);
  uint8_t pk[32];
  SGP_ENSURE(crypto_sign_seed_keypair(pk, c->sk, s->seed) == 0, SGP_ERR_CRYPTO);
  uint32_t gen = 1;
  for (size_t i = 0; i < s->nreports; i++)
    if (s->reports[i].origin == s->self) gen = s->reports[i].generation;
  size_t len = sgp_state_mem_size(&s->p);
  c->mem = calloc(1, len);
  c->pkt = calloc(1, sizeof *c->pkt);
  c->out = calloc(1, sizeof *c->out);
  if (!c->mem || !c->pkt || !c->out) {
    conf_node_free(c);
    return SGP_ERR_NO_SPACE;
  }
  sgp_err rc = sgp_state_init(&c->st, c->mem, len, &s->p, s->self, gen, (const uint8_t(*)[32])c->pk,
                              c->sk, NULL);
  if (rc != SGP_OK) {
    conf_node_free(c);
    return rc;
  }
  for (size_t i = 0; i < s->nreports; i++) {
    const sgp_report_msg *r = &s->reports[i];
    SGP_GUARD(install(&c->st, r));
    if (r->origin == s->self) {
      c->st.local_suspicion = r->suspicion;
      for (size_t k = 0; k < SGP_SUBSCORES; k++) c->st.local_sub[k] = (uint16_t)r->sub[k];
    }
  }
  for (uint32_t i = 0; s->ages && i < s->p.n; i++) c->st.e[i].age = (uint16_t)s->ages[i];
  c->st.round = s->round;
  if (s->has_local) {
    uint16_t sub[SGP_SUBSCORES];
    for (size_t k = 0; k < SGP_SUBSCORES; k++)
      sub[k] = s->local_sub[k] > SGP_SUBSCORE_MAX ? UINT16_MAX : (uint16_t)s->local_sub[k];
    SGP_GUARD(sgp_state_set_local(&c->st, s->local_suspicion, sub));
  }
  return SGP_OK;
}

void conf_node_free(struct conf_node *c) {
  sodium_memzero(c->sk, sizeof c->sk);
  free(c->mem);
  free(c->pkt);
  free(c->out);
  c->mem = NULL;
  c->pkt = NULL;
  c->out = NULL;
}

sgp_err conf_node_packet(struct conf_node *c, const uint8_t *buf, size_t len, uint32_t *adopted) {
  struct sgp_merge_result res = {0, 0, 0};
  *adopted = 0;
  SGP_GUARD(sgp_packet_decode(c->pkt, c->st.p.n, buf, len));
  SGP_GUARD(sgp_state_merge(&c->st, c->pkt, &res));
  *adopted = res.adopted;
  return SGP_OK;
}

sgp_err conf_node_tick(struct conf_node *c) {
  return sgp_state_tick(&c->st);
}

sgp_err conf_node_set_local(struct conf_node *c, uint32_t suspicion,
                            const uint32_t sub[SGP_SUBSCORES]) {
  uint16_t s16[SGP_SUBSCORES];
  for (size_t k = 0; k < SGP_SUBSCORES; k++) {
    SGP_ENSURE(sub[k] <= SGP_SUBSCORE_MAX, SGP_ERR_RANGE);
    s16[k] = (uint16_t)sub[k];
  }
  return sgp_state_set_local(&c->st, suspicion, s16);
}

void conf_node_verdicts(struct conf_node *c, sgp_verdict *out) {
  sgp_consensus_run(&c->st, out);
}

sgp_err conf_node_syn(struct conf_node *c, uint8_t *out, size_t cap, size_t *len) {
  SGP_GUARD(sgp_state_make_syn(&c->st, c->out));
  return sgp_packet_encode(c->out, c->st.p.n, out, cap, len);
}

sgp_err conf_node_answer(struct conf_node *c, const uint8_t *in, size_t in_len, size_t budget,
                         uint8_t *out, size_t cap, size_t *len) {
  *len = 0;
  SGP_GUARD(sgp_packet_decode(c->pkt, c->st.p.n, in, in_len));
  if (c->pkt->kind == sgp_v1_Kind_KIND_SYN) {
    SGP_GUARD(sgp_state_make_ack(&c->st, c->pkt, c->out, budget));
  } else {
    SGP_GUARD(sgp_state_make_delta(&c->st, c->pkt, c->out, budget));
    if (c->out->reports_count == 0) return SGP_OK; /* SGP-XCHG-5: nothing is sent */
  }
  return sgp_packet_encode(c->out, c->st.p.n, out, cap, len);
}
