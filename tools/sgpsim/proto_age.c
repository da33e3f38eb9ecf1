/* merge=age: the paper's (Thakur 2012) / GEMS age rule, as a MODEL inside
 * the tool (no library code, no signatures, no codec).
 *
 * Each node keeps, per origin, (suspicion value, age).  An exchange is
 * push-pull of full vectors: the SYN carries the initiator's vector, the
 * ACK the responder's; at the end of the round each receiver adopts, per
 * origin other than itself, the received entry if its age is smaller than
 * the held one.  Every tick ages all entries by 1 (saturating), and the own
 * entry is (own value, age 0).  Verdict: COMPROMISED if the held value is
 * >= theta_compromised, CLEAN otherwise.  Wire size is modelled as an 8-byte
 * header plus 4 bytes (u16 value, u16 age) per origin.  A version counter
 * per entry exists only to measure dissemination; the rule never reads it.
 *
 * Insider (--insider X): nothing authenticates a vector, so X claims age 0
 * for forged values in every vector it sends: the framed clean host F gets
 * 5000, the bot B gets 0; and it pushes that vector to two random nodes
 * each round on top of its normal exchanges.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "rng.h"
#include "sgp/consensus.h"

struct aent {
  uint16_t val, age;
  uint32_t ver; /* measurement only */
};

struct age_model {
  struct aent *e; /* n*n, row = holder */
  uint16_t *local;
  uint8_t *dirty;
};

static struct age_model *A(const struct sim *s) {
  return s->model;
}
static struct aent *row_of(const struct sim *s, uint32_t i) {
  return A(s)->e + (size_t)i * s->n;
}

static void fresh(struct sim *s, uint32_t id, uint32_t own_ver) {
  struct aent *row = row_of(s, id);
  for (uint32_t j = 0; j < s->n; j++) {
    struct aent e = {0, SGP_AGE_MAX, 0};
    row[j] = e;
  }
  row[id].age = 0;
  row[id].val = A(s)->local[id];
  row[id].ver = own_ver;
}

static void fini(struct sim *s) {
  struct age_model *m = A(s);
  if (!m) return;
  free(m->e);
  free(m->local);
  free(m->dirty);
  free(m);
  s->model = NULL;
}

static int init(struct sim *s) {
  struct age_model *m = calloc(1, sizeof *m);
  if (!m) return -1;
  s->model = m;
  m->e = malloc((size_t)s->n * s->n * sizeof *m->e);
  m->local = calloc(s->n, sizeof *m->local);
  m->dirty = calloc(s->n, 1);
  if (!m->e || !m->local || !m->dirty) {
    fprintf(stderr, "sgpsim: out of memory (age model, n=%u)\n", s->n);
    return -1;
  }
  s->r->mem_per_node = (size_t)s->n * sizeof *m->e;
  for (uint32_t i = 0; i < s->n; i++) fresh(s, i, 1);
  return 0;
}

static int restart(struct sim *s, uint32_t id) {
  fresh(s, id, row_of(s, id)[id].ver + 1);
  return 0;
}

static int set_local(struct sim *s, uint32_t id, uint32_t suspicion, const uint16_t sub[5]) {
  (void)sub;
  struct age_model *m = A(s);
  if (m->local[id] != suspicion) m->dirty[id] = 1;
  m->local[id] = (uint16_t)suspicion;
  return 0;
}

/* The vector node i sends (forged if i is the insider). */
static int snapshot(struct sim *s, uint32_t i, struct payload *out) {
  const struct sim_config *c = s->c;
  size_t len = (size_t)s->n * sizeof(struct aent);
  struct aent *v = malloc(len);
  if (!v) return -1;
  memcpy(v, row_of(s, i), len);
  if (c->insider && i == c->insider_id) {
    if (c->frame_id < s->n && c->frame_id != i) {
      v[c->frame_id].val = SGP_SUSPICION_MAX;
      v[c->frame_id].age = 0;
    }
    if (s->r->has_comp && s->r->comp_id != i) {
      v[s->r->comp_id].val = 0;
      v[s->r->comp_id].age = 0;
    }
  }
  out->data = (uint8_t *)v;
  out->len = len;
  out->wire = 8 + 4 * s->n;
  return 0;
}

static int syn(struct sim *s, uint32_t from, struct payload *out) {
  return snapshot(s, from, out);
}

static int receive(struct sim *s, struct msg *m) {
  if (m->kind == MSG_SYN) {
    struct payload out = {NULL, 0, 0};
    if (snapshot(s, m->to, &out) != 0) return -1;
    if (sim_send(s, m->to, m->from, MSG_ACK, sim_reply_tag(m), out) != 0) return -1;
  }
  return sim_defer_merge(s, m);
}

static int merge(struct sim *s, uint32_t to, const struct payload *p) {
  const struct aent *in = (const struct aent *)p->data;
  struct aent *row = row_of(s, to);
  for (uint32_t j = 0; j < s->n; j++)
    if (j != to && in[j].age < row[j].age) row[j] = in[j];
  return 0;
}

static int tick(struct sim *s, uint32_t id) {
  struct age_model *m = A(s);
  struct aent *row = row_of(s, id);
  for (uint32_t j = 0; j < s->n; j++)
    if (row[j].age < SGP_AGE_MAX) row[j].age++;
  row[id].age = 0;
  row[id].val = m->local[id];
  if (m->dirty[id]) row[id].ver++;
  m->dirty[id] = 0;
  return 0;
}

static void verdicts(struct sim *s, uint32_t id, uint8_t *out) {
  const struct aent *row = row_of(s, id);
  for (uint32_t j = 0; j < s->n; j++)
    out[j] =
        row[j].val >= s->c->params.theta_compromised ? SGP_VERDICT_COMPROMISED : SGP_VERDICT_CLEAN;
}

static void version(const struct sim *s, uint32_t viewer, uint32_t origin, uint32_t *gen,
                    uint32_t *seq) {
  uint32_t v = row_of(s, viewer)[origin].ver;
  *gen = v ? 1 : 0;
  *seq = v;
}

static int insider_round(struct sim *s) {
  const struct sim_config *c = s->c;
  if (!s->alive[c->insider_id]) return 0; /* here the insider is node X itself */
  for (uint32_t k = 0; k < 2; k++) {
    uint32_t to = sim_other(s, c->insider_id, rng_hash(c->seed, RNG_INSIDER_PEER, s->round, k));
    struct payload out = {NULL, 0, 0};
    if (snapshot(s, c->insider_id, &out) != 0) return -1;
    s->r->forged_sent++;
    if (sim_send(s, c->insider_id, to, MSG_DELTA, rng_hash(c->seed, RNG_INSIDER_TAG, s->round, k),
                 out) != 0)
      return -1;
  }
  return 0;
}

const struct proto proto_age = {init, fini,  restart, set_local, syn,     receive,
                                NULL, merge, tick,    verdicts,  version, insider_round};
