/* Node state, merge, tick and exchange (contract in sgp/state.h). */
#include "sgp/state.h"

#include <pb_encode.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void sgp_params_default(struct sgp_params *p, uint32_t n) {
  p->n = n;
  p->max_silent = SGP_MAX_SILENT;
  p->t_cleanup = SGP_DEFAULT_T_CLEANUP_ROUNDS;
  p->heartbeat = SGP_DEFAULT_HEARTBEAT_ROUNDS;
  p->theta_suspect = SGP_DEFAULT_THETA_SUSPECT;
  p->theta_compromised = SGP_DEFAULT_THETA_COMPROMISED;
}

sgp_err sgp_params_validate(const struct sgp_params *p) {
  SGP_ENSURE(p->n >= 1 && p->n <= SGP_MAX_NODES, SGP_ERR_RANGE); /* SGP-PARAM-1 */
  SGP_ENSURE(p->max_silent >= 1 && p->max_silent <= SGP_MAX_SILENT, SGP_ERR_RANGE);
  SGP_ENSURE(p->t_cleanup >= 1 && p->t_cleanup < SGP_AGE_MAX, SGP_ERR_RANGE);
  SGP_ENSURE(p->heartbeat >= 1 && p->heartbeat <= p->t_cleanup, SGP_ERR_RANGE);
  SGP_ENSURE(p->theta_suspect <= p->theta_compromised && p->theta_compromised <= SGP_SUSPICION_MAX,
             SGP_ERR_RANGE);
  return SGP_OK;
}

size_t sgp_state_mem_size(const struct sgp_params *p) {
  if (sgp_params_validate(p) != SGP_OK) return 0;
  return (size_t)p->n *
         (sizeof(struct sgp_entry) + sizeof(uint64_t) + (size_t)p->max_silent * sizeof(uint16_t));
}

const uint16_t *sgp_state_silent_row(const struct sgp_state *st, uint32_t i) {
  return st->silent + (size_t)i * st->p.max_silent;
}

static uint16_t *row_mut(struct sgp_state *st, uint32_t i) {
  return st->silent + (size_t)i * st->p.max_silent;
}

static void entry_to_msg(const struct sgp_state *st, uint32_t i, sgp_report_msg *m) {
  const struct sgp_entry *e = &st->e[i];
  const uint16_t *row = sgp_state_silent_row(st, i);
  m->origin = i;
  m->generation = e->gen;
  m->seq = e->seq;
  m->suspicion = e->suspicion;
  m->sub_count = SGP_SUBSCORES;
  for (size_t k = 0; k < SGP_SUBSCORES; k++) m->sub[k] = e->sub[k];
  m->silent_count = e->silent_count;
  for (size_t k = 0; k < e->silent_count; k++) m->silent[k] = row[k];
  m->sig.size = SGP_SIG_BYTES;
  memcpy(m->sig.bytes, e->sig, SGP_SIG_BYTES);
}

/* Only called with validated messages, so every narrowing below is in range. */
static void msg_to_entry(struct sgp_state *st, const sgp_report_msg *m) {
  struct sgp_entry *e = &st->e[m->origin];
  uint16_t *row = row_mut(st, m->origin);
  e->gen = m->generation;
  e->seq = m->seq;
  e->suspicion = m->suspicion;
  for (size_t k = 0; k < SGP_SUBSCORES; k++) e->sub[k] = (uint16_t)m->sub[k];
  e->silent_count = (uint16_t)m->silent_count;
  for (size_t k = 0; k < m->silent_count; k++) row[k] = (uint16_t)m->silent[k];
  memcpy(e->sig, m->sig.bytes, SGP_SIG_BYTES);
}

sgp_err sgp_state_get_report(const struct sgp_state *st, uint32_t i, sgp_report_msg *out) {
  SGP_ENSURE(i < st->p.n, SGP_ERR_NODE_ID);
  SGP_ENSURE(st->e[i].gen != 0, SGP_ERR_STATE);
  entry_to_msg(st, i, out);
  return SGP_OK;
}

/* Builds, signs and stores the own report with the given version and row.
 * Signing happens before any store, so a failure changes nothing. */
static sgp_err commit_own(struct sgp_state *st, uint32_t gen, uint32_t seq, const uint16_t *row,
                          uint16_t row_len) {
  sgp_report_msg m;
  memset(&m, 0, sizeof m);
  m.origin = st->self;
  m.generation = gen;
  m.seq = seq;
  m.suspicion = st->local_suspicion;
  m.sub_count = SGP_SUBSCORES;
  for (size_t k = 0; k < SGP_SUBSCORES; k++) m.sub[k] = st->local_sub[k];
  m.silent_count = row_len;
  for (size_t k = 0; k < row_len; k++) m.silent[k] = row[k];
  SGP_GUARD(sgp_report_sign(&m, st->sk));
  msg_to_entry(st, &m);
  st->e[st->self].age = 0;
  return SGP_OK;
}

sgp_err sgp_state_init(struct sgp_state *st, void *mem, size_t mem_len, const struct sgp_params *p,
                       uint32_t self, uint32_t generation, const uint8_t (*keys)[SGP_SIGN_PK_BYTES],
                       const uint8_t sk[64], const struct sgp_verifier *v) {
  SGP_ENSURE(st && mem && p && keys && sk, SGP_ERR_INVALID_ARG);
  SGP_GUARD(sgp_params_validate(p));
  SGP_ENSURE(self < p->n, SGP_ERR_NODE_ID);
  SGP_ENSURE(generation >= 1, SGP_ERR_RANGE); /* SGP-STATE-3 */
  SGP_ENSURE(mem_len >= sgp_state_mem_size(p), SGP_ERR_NO_SPACE);
  SGP_ENSURE(((uintptr_t)mem & 7u) == 0, SGP_ERR_INVALID_ARG);
  /* libsodium's secret key is seed || public key. */
  SGP_ENSURE(sodium_memcmp(sk + 32, keys[self], 32) == 0, SGP_ERR_KEY_MISMATCH);

  memset(st, 0, sizeof *st);
  memset(mem, 0, sgp_state_mem_size(p));
  st->p = *p;
  st->self = self;
  st->keys = keys;
  st->sk = sk;
  st->verifier = v ? *v : sgp_verifier_default;
  /* Layout: scratch (8-aligned) | entries | silent rows. */
  st->mem = mem;
  st->scratch = mem;
  st->e = (struct sgp_entry *)(st->scratch + p->n);
  st->silent = (uint16_t *)(st->e + p->n);
  return commit_own(st, generation, 1, NULL, 0);
}

sgp_err sgp_state_set_local(struct sgp_state *st, uint32_t suspicion,
                            const uint16_t sub[SGP_SUBSCORES]) {
  SGP_ENSURE(suspicion <= SGP_SUSPICION_MAX, SGP_ERR_RANGE); /* SGP-AGENT-1 */
  for (size_t k = 0; k < SGP_SUBSCORES; k++) SGP_ENSURE(sub[k] <= SGP_SUBSCORE_MAX, SGP_ERR_RANGE);
  st->local_suspicion = suspicion;
  memcpy(st->local_sub, sub, sizeof st->local_sub);
  return SGP_OK;
}

/* Own opinion row after this tick's ages: ids whose age would exceed
 * t_cleanup, lowest first, capped at max_silent (SGP-TICK-3). */
static uint16_t next_row(const struct sgp_state *st, uint16_t *row) {
  uint16_t len = 0;
  for (uint32_t j = 0; j < st->p.n && len < st->p.max_silent; j++) {
    if (j == st->self) continue;
    uint32_t age = st->e[j].age;
    if (age < SGP_AGE_MAX) age++;
    if (age > st->p.t_cleanup) row[len++] = (uint16_t)j;
  }
  return len;
}

sgp_err sgp_state_tick(struct sgp_state *st) {
  uint16_t row[SGP_MAX_SILENT];
  uint16_t len = next_row(st, row);
  const struct sgp_entry *own = &st->e[st->self];
  int row_changed = len != own->silent_count ||
                    memcmp(row, sgp_state_silent_row(st, st->self), len * sizeof row[0]) != 0;
  int due = (st->round + 1) % st->p.heartbeat == 0; /* SGP-TICK-4 */
  int local_changed = st->local_suspicion != own->suspicion ||
                      memcmp(st->local_sub, own->sub, sizeof own->sub) != 0; /* SGP-TICK-2 */
  if (due || row_changed || local_changed) {
    SGP_ENSURE(own->seq < UINT32_MAX, SGP_ERR_EXHAUSTED); /* SGP-TICK-5 */
    SGP_GUARD(commit_own(st, own->gen, own->seq + 1, row, len));
  }
  st->round++;
  for (uint32_t j = 0; j < st->p.n; j++) /* SGP-TICK-1 */
    if (j != st->self && st->e[j].age < SGP_AGE_MAX) st->e[j].age++;
  return SGP_OK;
}

/* ---- exchange ------------------------------------------------------------ */

static void packet_header(const struct sgp_state *st, sgp_packet *out, sgp_v1_Kind kind) {
  out->version = SGP_PROTOCOL_VERSION;
  out->sender = st->self;
  out->kind = kind;
  out->digest_count = 0;
  out->reports_count = 0;
}

static size_t varint_size(uint64_t v) {
  size_t n = 1;
  for (; v >= 0x80; v >>= 7) n++;
  return n;
}

/* Encoded bytes of one digest entry inside a Packet (tag, length, body). */
static size_t digest_entry_size(const sgp_version_msg *v) {
  size_t body = (v->origin ? 1 + varint_size(v->origin) : 0) + 1 + varint_size(v->generation) + 1 +
                varint_size(v->seq) + (v->tag ? 9 : 0);
  return 1 + varint_size(body) + body;
}

/* Digest of every held origin, ascending; shortened from the highest origin
 * only when it would not leave `reserve` bytes under SGP_MAX_PACKET
 * (SGP-XCHG-8). */
static void fill_digest(const struct sgp_state *st, sgp_packet *out, size_t reserve) {
  pb_size_t k = 0;
  size_t used = 16 + reserve; /* header fields */
  for (uint32_t i = 0; i < st->p.n; i++) {
    if (st->e[i].gen == 0) continue;
    sgp_version_msg *v = &out->digest[k];
    v->origin = i;
    v->generation = st->e[i].gen;
    v->seq = st->e[i].seq;
    v->tag = sgp_sig_tag(st->e[i].sig);
    used += digest_entry_size(v);
    if (used > SGP_MAX_PACKET) break;
    k++;
  }
  out->digest_count = k;
}

sgp_err sgp_state_make_syn(const struct sgp_state *st, sgp_packet *out) {
  packet_header(st, out, sgp_v1_Kind_KIND_SYN); /* SGP-XCHG-1 */
  fill_digest(st, out, 0);
  return SGP_OK;
}

static size_t packet_size(const sgp_packet *p) {
  size_t sz = 0;
  return pb_get_encoded_size(&sz, sgp_v1_Packet_fields, p) ? sz : SIZE_MAX;
}

/* Priority key: own report first, then freshest news (lowest age), then id. */
uint64_t sgp_select_key(uint32_t origin, uint32_t self, uint16_t age) {
  uint64_t own = origin == self ? 0 : 1;
  return own << 48 | (uint64_t)age << 32 | origin;
}

/* Heapsort: in place and allocation-free (glibc's qsort may call malloc). */
static void sift_down(uint64_t *v, size_t root, size_t n) {
  for (;;) {
    size_t child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && v[child + 1] > v[child]) child++;
    if (v[root] >= v[child]) return;
    uint64_t t = v[root];
    v[root] = v[child];
    v[child] = t;
    root = child;
  }
}

static void sort_u64(uint64_t *v, size_t n) {
  for (size_t i = n / 2; i-- > 0;) sift_down(v, i, n);
  for (size_t end = n; end-- > 1;) {
    uint64_t t = v[0];
    v[0] = v[end];
    v[end] = t;
    sift_down(v, 0, end);
  }
}

size_t sgp_select_reports(uint64_t *cand, size_t nc, size_t budget,
                          size_t (*wire)(const void *ctx, uint32_t origin), const void *ctx,
                          size_t *bytes) {
  size_t total = 0;
  for (size_t k = 0; k < nc && total <= budget; k++)
    total += wire(ctx, (uint32_t)(cand[k] & 0xffffffffu));
  size_t take = nc;
  if (total > budget || nc > SGP_MAX_REPORTS) {
    total = 0;
    sort_u64(cand, nc);
    for (take = 0; take < nc && take < SGP_MAX_REPORTS; take++) {
      size_t w = wire(ctx, (uint32_t)(cand[take] & 0xffffffffu));
      if (w > budget - total) break;
      total += w;
    }
    for (size_t k = 0; k < take; k++) cand[k] &= 0xffffffffu;
    sort_u64(cand, take); /* back to origin order */
  } else {
    for (size_t k = 0; k < take; k++) cand[k] &= 0xffffffffu;
  }
  *bytes = total;
  return take;
}

struct wire_ctx {
  const struct sgp_state *st;
  sgp_report_msg *m;
};

static size_t entry_wire(const void *ctx, uint32_t origin) {
  const struct wire_ctx *w = ctx;
  entry_to_msg(w->st, origin, w->m);
  return sgp_report_msg_wire_size(w->m);
}

/* Adds to out every held report newer than the peer's digest (SGP-XCHG-3),
 * within the budget (report bytes only), the packet cap and the count cap,
 * by priority (SGP-XCHG-4), emitted in ascending origin order (SGP-XCHG-6). */
static sgp_err fill_delta(const struct sgp_state *st, const sgp_packet *peer, sgp_packet *out,
                          size_t budget) {
  if (budget == 0) budget = SGP_DEFAULT_BUDGET;
  if (budget > SGP_MAX_PACKET) budget = SGP_MAX_PACKET;
  uint64_t *cand = st->scratch; /* scratch is not logical state */
  size_t nc = 0, d = 0;
  for (uint32_t i = 0; i < st->p.n; i++) {
    const struct sgp_entry *e = &st->e[i];
    while (d < peer->digest_count && peer->digest[d].origin < i) d++;
    if (e->gen == 0) continue;
    int newer = 1;
    if (d < peer->digest_count && peer->digest[d].origin == i) {
      const sgp_version_msg *v = &peer->digest[d];
      int c = sgp_version_cmp(e->gen, e->seq, v->generation, v->seq);
      /* Same version, greater signature: ours wins the tie-break there too. */
      newer = c > 0 || (c == 0 && sgp_sig_tag(e->sig) > v->tag);
    }
    if (newer) cand[nc++] = sgp_select_key(i, st->self, e->age);
  }
  size_t base = packet_size(out);
  SGP_ENSURE(base <= SGP_MAX_PACKET, SGP_ERR_TOO_LARGE); /* also catches SIZE_MAX */
  if (budget > SGP_MAX_PACKET - base) budget = SGP_MAX_PACKET - base;
  sgp_report_msg m;
  struct wire_ctx w = {st, &m};
  size_t bytes;
  size_t take = sgp_select_reports(cand, nc, budget, entry_wire, &w, &bytes);
  for (size_t k = 0; k < take; k++) entry_to_msg(st, (uint32_t)cand[k], &out->reports[k]);
  out->reports_count = (pb_size_t)take;
  return SGP_OK;
}

sgp_err sgp_state_make_ack(const struct sgp_state *st, const sgp_packet *syn, sgp_packet *out,
                           size_t budget) {
  SGP_ENSURE(syn->kind == sgp_v1_Kind_KIND_SYN, SGP_ERR_KIND);
  packet_header(st, out, sgp_v1_Kind_KIND_ACK); /* SGP-XCHG-2 */
  fill_digest(st, out, SGP_ACK_RESERVE);
  return fill_delta(st, syn, out, budget);
}

sgp_err sgp_state_make_delta(const struct sgp_state *st, const sgp_packet *ack, sgp_packet *out,
                             size_t budget) {
  SGP_ENSURE(ack->kind == sgp_v1_Kind_KIND_ACK, SGP_ERR_KIND);
  packet_header(st, out, sgp_v1_Kind_KIND_DELTA);
  return fill_delta(st, ack, out, budget);
}

/* ---- merge --------------------------------------------------------------- */

/* Total order on same-version reports: sig, then TBS, bytewise
 * (SGP-MERGE-6).  The signature leads so that the digest's 8-byte tag
 * orders the same way. */
static int report_bytes_cmp(const sgp_report_msg *a, const sgp_report_msg *b) {
  int c = memcmp(a->sig.bytes, b->sig.bytes, SGP_SIG_BYTES);
  if (c != 0) return c;
  uint8_t ta[SGP_REPORT_TBS_MAX], tb[SGP_REPORT_TBS_MAX];
  size_t la = 0, lb = 0;
  if (sgp_report_tbs(a, ta, sizeof ta, &la) != SGP_OK ||
      sgp_report_tbs(b, tb, sizeof tb, &lb) != SGP_OK)
    return 0;
  c = memcmp(ta, tb, la < lb ? la : lb);
  if (c == 0 && la != lb) c = la < lb ? -1 : 1;
  return c;
}

enum { ACT_SKIP = 0, ACT_ADOPT, ACT_TIE, ACT_OWN_JUMP };

static int classify(const struct sgp_state *st, const sgp_report_msg *r) {
  const struct sgp_entry *e = &st->e[r->origin];
  int c = e->gen == 0 ? 1 : sgp_version_cmp(r->generation, r->seq, e->gen, e->seq);
  if (c < 0) return ACT_SKIP; /* SGP-MERGE-1: stale */
  if (c == 0) {
    sgp_report_msg held;
    entry_to_msg(st, r->origin, &held);
    int b = report_bytes_cmp(r, &held);
    if (b == 0) return ACT_SKIP; /* duplicate */
    if (r->origin == st->self) return ACT_OWN_JUMP;
    return b > 0 ? ACT_TIE : ACT_SKIP;
  }
  return r->origin == st->self ? ACT_OWN_JUMP : ACT_ADOPT;
}

sgp_err sgp_state_merge(struct sgp_state *st, const sgp_packet *pkt, struct sgp_merge_result *res) {
  struct sgp_merge_result r0 = {0, 0, 0};
  sgp_err rc = sgp_packet_validate(pkt, st->p.n);
  if (rc == SGP_OK && (pkt->sender == st->self)) rc = SGP_ERR_SENDER; /* SGP-MERGE-8 */
  uint32_t jump_gen = 0;
  /* Pass 1: classify and verify; nothing is written (SGP-MERGE-7). */
  for (size_t i = 0; rc == SGP_OK && i < pkt->reports_count; i++) {
    const sgp_report_msg *r = &pkt->reports[i];
    if (r->silent_count > st->p.max_silent) {
      rc = SGP_ERR_TOO_MANY;
      break;
    }
    int act = classify(st, r);
    if (act == ACT_SKIP) {
      r0.stale++;
      continue;
    }
    rc = sgp_report_verify(r, st->keys[r->origin], &st->verifier); /* SGP-MERGE-2 */
    if (rc == SGP_OK && act == ACT_OWN_JUMP) {
      /* A valid report of our own origin that we did not sign in this run:
       * our key or generation leaked.  Out-version it (SGP-MERGE-9). */
      if (r->generation == UINT32_MAX) rc = SGP_ERR_EXHAUSTED;
      jump_gen = r->generation + 1;
    }
  }
  if (rc != SGP_OK) {
    st->stats.packets_rejected++;
    return rc;
  }
  /* Pass 2: commit. */
  for (size_t i = 0; i < pkt->reports_count; i++) {
    const sgp_report_msg *r = &pkt->reports[i];
    int act = classify(st, r);
    if (act == ACT_ADOPT || act == ACT_TIE) {
      msg_to_entry(st, r);
      st->e[r->origin].age = 0; /* SGP-MERGE-4 */
      if (act == ACT_TIE) r0.tie_replaced++;
      r0.adopted++;
    }
  }
  if (jump_gen > st->e[st->self].gen) {
    const struct sgp_entry *own = &st->e[st->self];
    uint16_t row[SGP_MAX_SILENT];
    memcpy(row, sgp_state_silent_row(st, st->self), own->silent_count * sizeof row[0]);
    /* Signing cannot fail with a valid key; if it did, the own slot keeps
     * its previous signed report and the jump is retried on the next copy. */
    if (commit_own(st, jump_gen, 1, row, own->silent_count) != SGP_OK) st->stats.packets_rejected++;
  }
  st->stats.packets_merged++;
  st->stats.reports_adopted += r0.adopted;
  st->stats.reports_stale += r0.stale;
  st->stats.reports_tie_replaced += r0.tie_replaced;
  if (res) *res = r0;
  return SGP_OK;
}

static void hash_be(crypto_hash_sha256_state *h, uint64_t v, size_t n) {
  uint8_t b[8];
  for (size_t i = 0; i < n; i++) b[n - 1 - i] = (uint8_t)(v >> (8 * i));
  crypto_hash_sha256_update(h, b, n);
}

void sgp_state_hash(const struct sgp_state *st, uint8_t out[32]) {
  crypto_hash_sha256_state h;
  crypto_hash_sha256_init(&h);
  const uint32_t head[] = {st->p.n,         st->p.max_silent,    st->p.t_cleanup,
                           st->p.heartbeat, st->p.theta_suspect, st->p.theta_compromised,
                           st->self,        st->local_suspicion};
  for (size_t k = 0; k < sizeof head / sizeof head[0]; k++) hash_be(&h, head[k], 4);
  hash_be(&h, st->round, 8);
  for (size_t k = 0; k < SGP_SUBSCORES; k++) hash_be(&h, st->local_sub[k], 2);
  for (uint32_t i = 0; i < st->p.n; i++) {
    const struct sgp_entry *e = &st->e[i];
    const uint16_t *row = sgp_state_silent_row(st, i);
    hash_be(&h, e->gen, 4);
    hash_be(&h, e->seq, 4);
    hash_be(&h, e->suspicion, 4);
    for (size_t k = 0; k < SGP_SUBSCORES; k++) hash_be(&h, e->sub[k], 2);
    hash_be(&h, e->age, 2);
    hash_be(&h, e->silent_count, 2);
    crypto_hash_sha256_update(&h, e->sig, SGP_SIG_BYTES);
    for (size_t k = 0; k < e->silent_count; k++) hash_be(&h, row[k], 2);
  }
  crypto_hash_sha256_final(&h, out);
}
