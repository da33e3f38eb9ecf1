/* The node engine (contract in sgp/node.h): rounds, the exchange of §5.4
 * over the transport of §7-§9, and the receive path of §7.11. */
#include "sgp/node.h"

#include <sodium.h>
#include <string.h>

#include "sgp/jigsaw.h"

/* drop_packet[] has a slot for every error code. */
#define SGP_NODE_CODE_FITS_(name, num, str) \
  _Static_assert((num) < SGP_NODE_ERR_CODES, #name " beyond drop_packet[]");
SGP_ERR_LIST(SGP_NODE_CODE_FITS_)
#undef SGP_NODE_CODE_FITS_

enum {
  NO_OWED = 0xffff,
  VIA_INITIATION = 1, /* packet arrived in an initiation payload */
  VIA_RESPONSE = 2,   /* ... in a response payload */
  VIA_DATA = 3,       /* ... as a reassembled data message */
};

/* Per-peer exchange bookkeeping. */
struct sgp_node_peer {
  uint64_t syn_round;                    /* round of the last SYN sent to the peer */
  uint64_t rx_round;                     /* round rx_syn / rx_data count in */
  sgp_reasm_sid sid[SGP_SESSION_SLOTS];  /* reassembler handle per receiving session */
  uint32_t sid_index[SGP_SESSION_SLOTS]; /* ... and that session's local index */
  uint32_t tx_index;                     /* session msg_ctr numbers messages for */
  uint32_t msg_ctr;                      /* SGP-FRAG-2 */
  uint16_t owed;                         /* slot in nd->owed, or NO_OWED */
  uint8_t syn_open;                      /* last SYN not yet answered by a DELTA */
  uint8_t want_syn;                      /* send the SYN as data once the response came */
  uint8_t rx_syn, rx_data;               /* SGP-XCHG-13 counts this round */
  uint8_t has_tx, sid_next;
};

/* A SYN whose ACK did not fit the response and waits for the pending
 * session's confirmation (SGP-XPORT-29).  The ACK is rebuilt then. */
struct sgp_node_owed {
  uint32_t peer, session; /* the pending session's local index */
  uint16_t next, len;     /* free list link; SYN bytes */
  uint8_t syn[SGP_SYN_MAX];
};

/* ---- memory layout ---- */

struct layout {
  size_t state, verdicts, verdicts_new, peers, owed, speers, sindex, reasm, pkt_rx, pkt_tx, enc,
      msg_tx, msg_rx, dgram_tx, dgram_rx, pt_rx, frame, total;
  size_t state_len, reasm_len, index_cap, frame_cap;
};

static size_t take(size_t *off, size_t len) {
  size_t at = *off;
  *off += (len + 7u) & ~(size_t)7u;
  return at;
}

static void reasm_params(const struct sgp_node_config *c, struct sgp_reasm_params *rp) {
  sgp_reasm_params_default(rp, c->params.n);
  if (c->reasm_global_bytes) rp->global_bytes = (uint32_t)c->reasm_global_bytes;
}

static int jigsaw_ok(uint8_t f) {
  return f == 0 || f == 0x01 || f == 0x03;
}

static sgp_err config_check(const struct sgp_node_config *c) {
  SGP_ENSURE(c && c->roster && c->key && c->rng && c->send, SGP_ERR_INVALID_ARG);
  SGP_GUARD(sgp_params_validate(&c->params));
  SGP_ENSURE(c->roster->n == c->params.n && c->self < c->params.n, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(c->key->node == c->self, SGP_ERR_NODE_ID);
  SGP_GUARD(sgp_roster_check_key(c->roster, c->key));
  SGP_ENSURE(c->generation >= 1, SGP_ERR_RANGE);
  SGP_ENSURE(c->t_gossip_ms >= 100 && c->t_gossip_ms <= 60000, SGP_ERR_RANGE); /* §1.4 */
  SGP_ENSURE(c->budget == 0 || (c->budget >= 1024 && c->budget <= SGP_MAX_PACKET), SGP_ERR_RANGE);
  SGP_ENSURE(jigsaw_ok(c->jigsaw), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(c->carrier <= SGP_CARRIER_LSB_WAV, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(c->reasm_global_bytes == 0 || (c->reasm_global_bytes >= SGP_REASM_GLOBAL_MIN &&
                                            c->reasm_global_bytes <= SGP_REASM_GLOBAL_MAX),
             SGP_ERR_RANGE);
  struct sgp_reasm_params rp;
  reasm_params(c, &rp);
  return sgp_reasm_params_validate(&rp);
}

static void layout(const struct sgp_node_config *c, struct layout *l) {
  uint32_t n = c->params.n;
  struct sgp_reasm_params rp;
  reasm_params(c, &rp);
  l->state_len = sgp_state_mem_size(&c->params);
  l->reasm_len = sgp_reasm_mem_size(&rp);
  l->index_cap = sgp_session_index_cap(n);
  l->frame_cap = sgp_carrier_frame_len_for(c->carrier, SGP_DGRAM_MAX);
  size_t off = 0;
  l->state = take(&off, l->state_len);
  l->reasm = take(&off, l->reasm_len);
  l->pkt_rx = take(&off, sizeof(sgp_packet));
  l->pkt_tx = take(&off, sizeof(sgp_packet));
  /* The node's own tables, verdicts .. owed, are contiguous: init clears
   * them as one block. */
  l->verdicts = take(&off, n * sizeof(sgp_verdict));
  l->verdicts_new = take(&off, n * sizeof(sgp_verdict));
  l->peers = take(&off, n * sizeof(struct sgp_node_peer));
  l->owed = take(&off, SGP_NODE_OWED_ACKS * sizeof(struct sgp_node_owed));
  l->speers = take(&off, n * sizeof(struct sgp_session_peer));
  l->sindex = take(&off, l->index_cap * sizeof(struct sgp_session_index));
  l->enc = take(&off, SGP_MAX_PACKET);
  l->msg_tx = take(&off, SGP_FRAG_MAX_MESSAGE);
  l->msg_rx = take(&off, SGP_FRAG_MAX_MESSAGE);
  l->dgram_tx = take(&off, SGP_DGRAM_MAX);
  l->dgram_rx = take(&off, SGP_DGRAM_MAX);
  l->pt_rx = take(&off, SGP_DGRAM_MAX);
  l->frame = take(&off, l->frame_cap);
  l->total = off;
}

size_t sgp_node_mem_size(const struct sgp_node_config *c) {
  if (config_check(c) != SGP_OK) return 0;
  struct layout l;
  layout(c, &l);
  return l.total;
}

/* ---- small helpers ---- */

static void emit_event(const struct sgp_node *nd, struct sgp_node_event *ev) {
  ev->round = nd->state.round;
  if (nd->cfg.event) nd->cfg.event(nd->cfg.event_ctx, ev);
}

static uint32_t rng_u32(const struct sgp_node *nd) {
  uint8_t b[4];
  nd->cfg.rng(nd->cfg.rng_ctx, b, sizeof b);
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Uniform in [0, bound), bound >= 1, by rejection (randombytes_uniform's method). */
static uint32_t rng_uniform(const struct sgp_node *nd, uint32_t bound) {
  uint32_t min = (uint32_t)(0u - bound) % bound;
  for (;;) {
    uint32_t r = rng_u32(nd);
    if (r >= min) return r % bound;
  }
}

/* SGP-NODE-3: T_gossip * (0.9 + 0.2 u), u = r / 2^32. */
static uint64_t round_len(const struct sgp_node *nd) {
  uint64_t t = nd->cfg.t_gossip_ms, r = rng_u32(nd);
  return (((9u * t) << 32) + 2u * t * r) / (UINT64_C(10) << 32);
}

/* SGP-XCHG-7: uniform over the other n-1 roster nodes. */
static uint32_t pick_peer(const struct sgp_node *nd) {
  uint32_t r = rng_uniform(nd, nd->state.p.n - 1);
  return r >= nd->state.self ? r + 1 : r;
}

static int paused(const struct sgp_node *nd) {
  return nd->pending_generation != 0;
}

/* Local index of the current session with peer (read from the session
 * layer's public per-peer record); 0 if there is none. */
static uint32_t current_index(const struct sgp_node *nd, uint32_t peer) {
  const struct sgp_session_peer *p = &nd->sessions.peers[peer];
  return p->cur == SGP_SESSION_NO_SLOT ? 0 : p->slot[p->cur].local_index;
}

static uint32_t pending_index(const struct sgp_node *nd, uint32_t peer) {
  const struct sgp_session_peer *p = &nd->sessions.peers[peer];
  return p->pend == SGP_SESSION_NO_SLOT ? 0 : p->slot[p->pend].local_index;
}

/* ---- drops ---- */

enum stage { ST_CARRIER, ST_SESSION, ST_FRAG, ST_PACKET };

/* The §7.12 counter of a session-layer error (the mapping of session.h). */
static enum sgp_node_drop session_drop(sgp_err rc, uint8_t type) {
  switch (rc) {
    case SGP_ERR_TOO_LARGE:
    case SGP_ERR_TRUNCATED:
    case SGP_ERR_TRAILING:
      return SGP_NODE_DROP_SIZE;
    case SGP_ERR_DGRAM_TYPE:
      return SGP_NODE_DROP_TYPE;
    case SGP_ERR_RESERVED:
      return SGP_NODE_DROP_RESERVED;
    case SGP_ERR_MAC1:
      return SGP_NODE_DROP_MAC1;
    case SGP_ERR_COOKIE:
      return SGP_NODE_DROP_COOKIE;
    case SGP_ERR_NODE_ID:
    case SGP_ERR_SENDER:
      return SGP_NODE_DROP_UNKNOWN_PEER;
    case SGP_ERR_RATE_LIMITED:
      return SGP_NODE_DROP_RATE;
    case SGP_ERR_CRYPTO:
      return SGP_NODE_DROP_HANDSHAKE;
    case SGP_ERR_REPLAY:
      return type == SGP_MSG_INITIATION ? SGP_NODE_DROP_STAMP : SGP_NODE_DROP_REPLAY;
    case SGP_ERR_TOO_OLD:
      return SGP_NODE_DROP_REPLAY;
    case SGP_ERR_CROSSING:
      return SGP_NODE_DROP_CROSSING;
    case SGP_ERR_UNKNOWN_INDEX:
      return SGP_NODE_DROP_UNKNOWN_INDEX;
    case SGP_ERR_EXPIRED:
    case SGP_ERR_EXHAUSTED:
      return SGP_NODE_DROP_EXPIRED;
    case SGP_ERR_AUTH:
      return SGP_NODE_DROP_AUTH;
    case SGP_ERR_KEEPALIVE:
      return SGP_NODE_DROP_KEEPALIVE;
    default: /* caller errors (buffers are sized, so none occur) */
      return SGP_NODE_DROP_SIZE;
  }
}

/* Fragment errors (fragment.h): one fragment, or its whole message. */
static enum sgp_node_drop frag_drop(sgp_err rc) {
  switch (rc) {
    case SGP_ERR_RESERVED:
      return SGP_NODE_DROP_RESERVED;
    case SGP_ERR_FRAG_INCONSISTENT:
    case SGP_ERR_FRAG_OVERLAP:
    case SGP_ERR_FRAG_CAP:
      return SGP_NODE_DROP_FRAG_MESSAGE;
    default:
      return SGP_NODE_DROP_FRAG;
  }
}

static sgp_err drop(struct sgp_node *nd, enum stage stage, sgp_err rc, uint32_t peer,
                    uint8_t type) {
  enum sgp_node_drop d = SGP_NODE_DROP_PACKET;
  if (stage == ST_CARRIER) d = SGP_NODE_DROP_CARRIER;
  if (stage == ST_SESSION) d = session_drop(rc, type);
  if (stage == ST_FRAG) d = frag_drop(rc);
  if (stage == ST_PACKET && rc == SGP_ERR_RATE_LIMITED) d = SGP_NODE_DROP_RATE; /* SGP-XCHG-13 */
  nd->stats.drop[d]++;
  if (d == SGP_NODE_DROP_PACKET && (unsigned)rc < SGP_NODE_ERR_CODES) nd->stats.drop_packet[rc]++;
  struct sgp_node_event ev = {.kind = SGP_NODE_EV_DROP, .peer = peer, .drop = d, .err = rc};
  emit_event(nd, &ev);
  return rc;
}

/* Messages the reassembler discards on its own (eviction, timeout) are
 * drops too (drop_frag_message); pick up what it counted since last time. */
static void sync_reasm_drops(struct sgp_node *nd) {
  const struct sgp_reasm_stats *r = &nd->reasm.stats;
  uint64_t silent = r->msg_evicted + r->msg_timeout;
  nd->stats.drop[SGP_NODE_DROP_FRAG_MESSAGE] += silent - nd->reasm_silent_seen;
  nd->reasm_silent_seen = silent;
}

/* ---- verdicts and merge ---- */

static void verdict_event(struct sgp_node *nd, uint32_t j, sgp_verdict old, sgp_verdict now) {
  const struct sgp_entry *e = &nd->state.e[j];
  struct sgp_node_event ev = {.kind = SGP_NODE_EV_VERDICT,
                              .peer = SGP_NODE_NO_PEER,
                              .node = j,
                              .old_verdict = old,
                              .verdict = now,
                              .gen = e->gen,
                              .seq = e->seq,
                              .suspicion = e->suspicion};
  emit_event(nd, &ev);
}

/* SGP-CONS-9, -10: recompute, report every change. */
static void update_verdicts(struct sgp_node *nd) {
  sgp_consensus_run(&nd->state, nd->verdicts_new);
  for (uint32_t j = 0; j < nd->state.p.n; j++) {
    if (nd->verdicts_new[j] == nd->verdicts[j]) continue;
    sgp_verdict old = nd->verdicts[j];
    nd->verdicts[j] = nd->verdicts_new[j];
    nd->stats.verdict_changes++;
    verdict_event(nd, j, old, nd->verdicts[j]);
  }
}

/* SGP-MERGE-9 / SGP-STATE-5: a raised own generation pauses all gossip
 * until the caller persisted it. */
static void check_jump(struct sgp_node *nd, uint32_t gen_before) {
  uint32_t gen = nd->state.e[nd->state.self].gen;
  if (gen == gen_before) return;
  nd->pending_generation = gen;
  nd->stats.generation_jumps++;
  struct sgp_node_event ev = {.kind = SGP_NODE_EV_GENERATION,
                              .peer = SGP_NODE_NO_PEER,
                              .generation = gen,
                              .alarm = nd->state.round >= 1}; /* SGP-MERGE-14 */
  emit_event(nd, &ev);
}

static sgp_err merge(struct sgp_node *nd, uint32_t peer, const sgp_packet *p) {
  uint32_t gen_before = nd->state.e[nd->state.self].gen;
  struct sgp_merge_result res;
  SGP_GUARD(sgp_state_merge(&nd->state, p, &res));
  nd->stats.packets_merged++;
  struct sgp_node_event ev = {
      .kind = SGP_NODE_EV_MERGE, .peer = peer, .packet_kind = (uint32_t)p->kind, .merge = res};
  emit_event(nd, &ev);
  if (res.adopted) update_verdicts(nd);
  check_jump(nd, gen_before);
  return SGP_OK;
}

/* ---- sending ---- */

/* One sealed datagram in the configured carrier (SGP-CARRIER-2). */
static void emit(struct sgp_node *nd, uint32_t to, const uint8_t *d, size_t len) {
  size_t flen = 0;
  if (sgp_carrier_wrap_generated(nd->cfg.carrier, d, len, nd->cfg.rng, nd->cfg.rng_ctx, nd->frame,
                                 nd->frame_cap, &flen) != SGP_OK) {
    nd->stats.tx_errors++;
    return;
  }
  nd->stats.tx_datagrams++;
  nd->stats.tx_bytes += flen;
  if (to == SGP_NODE_TO_SRC)
    nd->cfg.send(nd->cfg.send_ctx, to, nd->src, nd->src_len, nd->frame, flen);
  else
    nd->cfg.send(nd->cfg.send_ctx, to, NULL, 0, nd->frame, flen); /* SGP-XPORT-33 */
}

/* SGP-FRAG-2: msg_ids count per session, restarting with each new one. */
static sgp_err next_msg_id(struct sgp_node *nd, uint32_t peer, uint32_t *id) {
  struct sgp_node_peer *np = &nd->peers[peer];
  uint32_t cur = current_index(nd, peer);
  if (!np->has_tx || np->tx_index != cur) {
    np->tx_index = cur;
    np->msg_ctr = 0;
    np->has_tx = 1;
  }
  return sgp_frag_next_id(&np->msg_ctr, id);
}

static sgp_err seal_fragment(struct sgp_node *nd, uint32_t peer, const uint8_t *msg, size_t len,
                             uint8_t flags, uint32_t id, uint32_t i) {
  uint8_t pt[SGP_FRAG_DATA], ad[SGP_FRAG_AD_BYTES];
  struct sgp_frag_hdr h;
  size_t pt_len = 0, dlen = 0;
  SGP_GUARD(sgp_frag_make(msg, len, flags, id, i, &h, pt, sizeof pt, &pt_len));
  SGP_GUARD(sgp_frag_ad(ad, &h, 0, 0)); /* bytes 16..25 are the fragment header */
  SGP_GUARD(sgp_session_seal(&nd->sessions, peer, nd->now_ms, flags, ad + SGP_DATA_FHDR_OFF, pt,
                             pt_len, nd->dgram_tx, SGP_DGRAM_MAX, &dlen));
  emit(nd, peer, nd->dgram_tx, dlen);
  return SGP_OK;
}

/* A message as data messages.  Every fragment is sealed on the current
 * session in one synchronous loop, so none can land on another session
 * (SGP-FRAG-3); they go out in index order (SGP-FRAG-4). */
static sgp_err send_message(struct sgp_node *nd, uint32_t peer, const uint8_t *pkt, size_t len) {
  const uint8_t *msg = pkt;
  size_t mlen = len;
  uint8_t flags = 0;
  if (nd->cfg.jigsaw) { /* SGP-JIG-2; never on handshake payloads (SGP-JIG-6) */
    enum sgp_jig_mode mode = nd->cfg.jigsaw == 0x01 ? SGP_JIG_AONT : SGP_JIG_AONT_PARITY;
    SGP_GUARD(sgp_jig_encode(mode, pkt, len, nd->cfg.rng, nd->cfg.rng_ctx, nd->msg_tx,
                             SGP_FRAG_MAX_MESSAGE, &mlen, &flags));
    msg = nd->msg_tx;
  }
  struct sgp_frag_layout l;
  uint32_t id = 0;
  SGP_GUARD(sgp_frag_layout((uint32_t)mlen, flags, &l));
  SGP_GUARD(next_msg_id(nd, peer, &id));
  for (uint32_t i = 0; i < l.count; i++)
    SGP_GUARD(seal_fragment(nd, peer, msg, mlen, flags, id, i));
  return SGP_OK;
}

static sgp_err send_packet(struct sgp_node *nd, uint32_t peer, const sgp_packet *p) {
  size_t len = 0;
  SGP_GUARD(sgp_packet_encode(p, nd->state.p.n, nd->enc, SGP_MAX_PACKET, &len));
  sgp_err rc = send_message(nd, peer, nd->enc, len);
  if (rc != SGP_OK) nd->stats.tx_errors++;
  return rc;
}

static void send_keepalive(struct sgp_node *nd, uint32_t peer) {
  size_t len = 0;
  if (sgp_session_keepalive(&nd->sessions, peer, nd->now_ms, nd->dgram_tx, SGP_DGRAM_MAX, &len) !=
      SGP_OK) {
    nd->stats.tx_errors++;
    return;
  }
  nd->stats.keepalive_sent++;
  emit(nd, peer, nd->dgram_tx, len);
}

static void syn_sent(struct sgp_node *nd, uint32_t peer) {
  nd->peers[peer].syn_round = nd->state.round;
  nd->peers[peer].syn_open = 1;
  nd->stats.syn_sent++;
}

/* A fresh SYN, encoded into nd->enc. */
static sgp_err build_syn(struct sgp_node *nd, size_t *len) {
  SGP_GUARD(sgp_state_make_syn(&nd->state, nd->pkt_tx));
  return sgp_packet_encode(nd->pkt_tx, nd->state.p.n, nd->enc, SGP_MAX_PACKET, len);
}

static void send_syn_data(struct sgp_node *nd, uint32_t peer) {
  size_t len = 0;
  if (build_syn(nd, &len) != SGP_OK || send_message(nd, peer, nd->enc, len) != SGP_OK) {
    nd->stats.tx_errors++;
    return;
  }
  syn_sent(nd, peer);
}

/* An initiation carrying the SYN if it fits (SGP-XPORT-14), else an empty
 * one with the SYN to follow as data; while paused, always empty.  A rekey
 * (carry_syn 0) carries nothing: the round's SYN already went as data. */
static void initiate(struct sgp_node *nd, uint32_t peer, int carry_syn) {
  size_t len = 0, dlen = 0;
  int with_syn = carry_syn && !paused(nd) && build_syn(nd, &len) == SGP_OK && len <= SGP_SYN_MAX;
  if (sgp_session_initiate(&nd->sessions, peer, nd->enc, with_syn ? len : 0, nd->now_ms,
                           nd->dgram_tx, SGP_DGRAM_MAX, &dlen) != SGP_OK) {
    nd->stats.tx_errors++;
    return;
  }
  emit(nd, peer, nd->dgram_tx, dlen);
  nd->peers[peer].want_syn = (uint8_t)(carry_syn && !with_syn);
  if (with_syn) syn_sent(nd, peer);
}

/* SGP-XCHG-7, SGP-XPORT-34: the round's exchange with peer.  MAY_INITIATE
 * includes an outstanding initiation that is due (SGP-XPORT-37): the
 * round's SYN then rides on its retransmission at once instead of waiting
 * for the next timer poll. */
static void start_exchange(struct sgp_node *nd, uint32_t peer) {
  if (paused(nd)) {
    nd->stats.exchanges_skipped++;
    nd->stats.paused_sends++;
    return;
  }
  unsigned st = sgp_session_status(&nd->sessions, peer, nd->now_ms);
  int may = (st & SGP_PEER_MAY_INITIATE) != 0;
  if (st & SGP_PEER_CAN_SEND) {
    nd->stats.exchanges_started++;
    send_syn_data(nd, peer);
    if ((st & SGP_PEER_NEEDS_HANDSHAKE) && may) initiate(nd, peer, 0); /* rekey */
    return;
  }
  if (((st & SGP_PEER_NEEDS_HANDSHAKE) || (st & SGP_PEER_OUTSTANDING)) && may) {
    nd->stats.exchanges_started++;
    initiate(nd, peer, 1);
    return;
  }
  /* A handshake is under way and not yet due for retransmission (at most
   * HANDSHAKE_RETRY + jitter away; that retransmission carries a fresh SYN),
   * or a pending session of the peer's awaits its confirmation. */
  nd->stats.exchanges_skipped++;
}

/* ---- answering ---- */

/* The ACK for the SYN in nd->pkt_rx, encoded into nd->enc (SGP-XCHG-2). */
static sgp_err build_ack(struct sgp_node *nd, size_t *len) {
  SGP_GUARD(sgp_state_make_ack(&nd->state, nd->pkt_rx, nd->pkt_tx, nd->cfg.budget));
  return sgp_packet_encode(nd->pkt_tx, nd->state.p.n, nd->enc, SGP_MAX_PACKET, len);
}

static void answer_syn_data(struct sgp_node *nd, uint32_t peer) {
  size_t len = 0;
  if (paused(nd)) {
    nd->stats.paused_sends++;
    return;
  }
  if (build_ack(nd, &len) != SGP_OK || send_message(nd, peer, nd->enc, len) != SGP_OK) {
    nd->stats.tx_errors++;
    return;
  }
  nd->stats.ack_sent++;
}

/* SGP-XCHG-12: a DELTA only for an ACK that answers our SYN of this or the
 * previous round, once. */
static int ack_answerable(struct sgp_node *nd, uint32_t peer) {
  struct sgp_node_peer *np = &nd->peers[peer];
  if (!np->syn_open || nd->state.round > np->syn_round + 1) return 0;
  np->syn_open = 0;
  return 1;
}

static void answer_ack(struct sgp_node *nd, uint32_t peer) {
  if (!ack_answerable(nd, peer)) {
    nd->stats.ack_unanswered++;
    return;
  }
  if (paused(nd)) {
    nd->stats.paused_sends++;
    return;
  }
  if (sgp_state_make_delta(&nd->state, nd->pkt_rx, nd->pkt_tx, nd->cfg.budget) != SGP_OK) {
    nd->stats.tx_errors++;
    return;
  }
  if (nd->pkt_tx->reports_count == 0) return; /* SGP-XCHG-5 */
  if (send_packet(nd, peer, nd->pkt_tx) == SGP_OK) nd->stats.delta_sent++;
}

/* ---- receiving a gossip packet ---- */

static int kind_allowed(int via, sgp_v1_Kind k) {
  if (via == VIA_INITIATION) return k == sgp_v1_Kind_KIND_SYN; /* SGP-XPORT-14 */
  if (via == VIA_RESPONSE) return k == sgp_v1_Kind_KIND_ACK;   /* SGP-XPORT-16 */
  return 1;
}

/* SGP-XCHG-13: 2 SYNs and 4 ACK or DELTA packets per peer and own round. */
static sgp_err take_quota(struct sgp_node *nd, uint32_t peer, sgp_v1_Kind k) {
  struct sgp_node_peer *np = &nd->peers[peer];
  if (np->rx_round != nd->state.round) {
    np->rx_round = nd->state.round;
    np->rx_syn = np->rx_data = 0;
  }
  uint8_t *used = k == sgp_v1_Kind_KIND_SYN ? &np->rx_syn : &np->rx_data;
  unsigned cap = k == sgp_v1_Kind_KIND_SYN ? SGP_NODE_SYN_PER_ROUND : SGP_NODE_DATA_PER_ROUND;
  SGP_ENSURE(*used < cap, SGP_ERR_RATE_LIMITED);
  (*used)++;
  return SGP_OK;
}

/* Decode and admit a packet from the authenticated peer into nd->pkt_rx
 * (SGP-WIRE-31, SGP-XCHG-11, SGP-FRAG-15, SGP-XCHG-13). */
static sgp_err admit(struct sgp_node *nd, uint32_t peer, int via, const uint8_t *b, size_t len) {
  sgp_packet *p = nd->pkt_rx;
  SGP_GUARD(sgp_packet_decode(p, nd->state.p.n, b, len));
  SGP_ENSURE(p->sender == peer, SGP_ERR_SENDER);
  SGP_ENSURE(kind_allowed(via, p->kind), SGP_ERR_KIND);
  return take_quota(nd, peer, p->kind);
}

/* An admitted ACK or DELTA in nd->pkt_rx. */
static sgp_err apply(struct sgp_node *nd, uint32_t peer) {
  int ack = nd->pkt_rx->kind == sgp_v1_Kind_KIND_ACK;
  if (ack)
    nd->stats.ack_received++;
  else
    nd->stats.delta_received++;
  SGP_GUARD(merge(nd, peer, nd->pkt_rx)); /* SGP-XCHG-10 */
  if (ack) answer_ack(nd, peer);          /* SGP-XCHG-5 */
  return SGP_OK;
}

/* A packet delivered by a response or as a data message. */
static sgp_err packet_in(struct sgp_node *nd, uint32_t peer, int via, const uint8_t *b,
                         size_t len) {
  sgp_err rc = admit(nd, peer, via, b, len);
  if (rc == SGP_OK && nd->pkt_rx->kind == sgp_v1_Kind_KIND_SYN) {
    nd->stats.syn_received++;
    answer_syn_data(nd, peer);
    return SGP_OK;
  }
  if (rc == SGP_OK) rc = apply(nd, peer);
  return rc == SGP_OK ? SGP_OK : drop(nd, ST_PACKET, rc, peer, 0);
}

/* ---- owed ACKs (SGP-XPORT-29) ---- */

static void owed_release(struct sgp_node *nd, uint32_t peer) {
  struct sgp_node_peer *np = &nd->peers[peer];
  if (np->owed == NO_OWED) return;
  struct sgp_node_owed *o = &nd->owed[np->owed];
  sodium_memzero(o->syn, o->len);
  o->len = 0;
  o->next = (uint16_t)nd->owed_free;
  nd->owed_free = np->owed;
  np->owed = NO_OWED;
}

/* Keeps the SYN (already admitted) until the pending session is confirmed. */
static void owe_ack(struct sgp_node *nd, uint32_t peer, const uint8_t *syn, size_t len) {
  owed_release(nd, peer); /* its pending session was just replaced */
  if (nd->owed_free == NO_OWED) {
    nd->stats.ack_owed_dropped++;
    return;
  }
  uint16_t k = (uint16_t)nd->owed_free;
  struct sgp_node_owed *o = &nd->owed[k];
  nd->owed_free = o->next;
  o->peer = peer;
  o->session = pending_index(nd, peer);
  o->len = (uint16_t)len;
  memcpy(o->syn, syn, len);
  nd->peers[peer].owed = k;
  nd->stats.ack_owed++;
}

/* The pending session just became current: send the owed ACK as data. */
static void pay_ack(struct sgp_node *nd, uint32_t peer) {
  struct sgp_node_peer *np = &nd->peers[peer];
  if (np->owed == NO_OWED) return;
  const struct sgp_node_owed *o = &nd->owed[np->owed];
  /* Re-decoding bytes that decoded before cannot fail. */
  if (sgp_packet_decode(nd->pkt_rx, nd->state.p.n, o->syn, o->len) == SGP_OK)
    answer_syn_data(nd, peer);
  owed_release(nd, peer);
}

/* ---- transport message handlers ---- */

/* The event carries the new current session so a caller can write a key
 * log before anything is sealed on it (sgpd `keylog`). */
static void handshake_done(struct sgp_node *nd, uint32_t peer) {
  nd->stats.handshakes++;
  const struct sgp_session_peer *sp = &nd->sessions.peers[peer];
  struct sgp_node_event ev = {.kind = SGP_NODE_EV_HANDSHAKE, .peer = peer};
  if (sp->cur < SGP_SESSION_SLOTS) ev.session = &sp->slot[sp->cur];
  emit_event(nd, &ev);
}

/* SGP-XPORT-27: our pending session with peer became current (its first
 * data message or keepalive); an ACK owed on it goes out now. */
static void on_confirmed(struct sgp_node *nd, uint32_t peer) {
  handshake_done(nd, peer);
  pay_ack(nd, peer);
}

/* The SYN of an initiation: the ACK to put into the response (*ack_len,
 * in nd->enc), or 0 with the ACK owed as data. */
static sgp_err syn_in_initiation(struct sgp_node *nd, const struct sgp_rx *rx, size_t *ack_len) {
  *ack_len = 0;
  sgp_err rc = admit(nd, rx->peer, VIA_INITIATION, rx->payload, rx->payload_len);
  if (rc != SGP_OK) return drop(nd, ST_PACKET, rc, rx->peer, 0); /* SGP-XPORT-21 */
  nd->stats.syn_received++;
  if (paused(nd)) {
    nd->stats.paused_sends++;
    return SGP_OK;
  }
  size_t len = 0;
  if (build_ack(nd, &len) != SGP_OK) {
    nd->stats.tx_errors++;
    return SGP_OK;
  }
  if (len <= SGP_ACK_MAX) *ack_len = len;
  return SGP_OK;
}

static sgp_err on_initiation(struct sgp_node *nd, const struct sgp_rx *rx) {
  uint32_t peer = rx->peer;
  if (rx->abandoned) nd->peers[peer].want_syn = 0; /* the peer's exchange replaces ours */
  size_t ack_len = 0, dlen = 0;
  sgp_err prc = rx->payload_len ? syn_in_initiation(nd, rx, &ack_len) : SGP_OK;
  int owe = prc == SGP_OK && rx->payload_len && !ack_len && !paused(nd);
  if (sgp_session_respond(&nd->sessions, peer, nd->enc, ack_len, nd->now_ms, nd->dgram_tx,
                          SGP_DGRAM_MAX, &dlen) != SGP_OK) {
    nd->stats.tx_errors++;
    return prc;
  }
  emit(nd, peer, nd->dgram_tx, dlen);
  if (ack_len) nd->stats.ack_sent++;
  if (owe) owe_ack(nd, peer, rx->payload, rx->payload_len);
  return prc;
}

/* SGP-XPORT-26: after a response, one data message at once. */
static sgp_err on_response(struct sgp_node *nd, const struct sgp_rx *rx) {
  uint32_t peer = rx->peer;
  uint64_t tx_before = nd->sessions.stats.tx_data;
  handshake_done(nd, peer);
  sgp_err rc =
      rx->payload_len ? packet_in(nd, peer, VIA_RESPONSE, rx->payload, rx->payload_len) : SGP_OK;
  if (nd->peers[peer].want_syn && !paused(nd)) send_syn_data(nd, peer);
  nd->peers[peer].want_syn = 0;
  if (nd->sessions.stats.tx_data == tx_before) send_keepalive(nd, peer);
  return rc;
}

static void close_sid(struct sgp_node *nd, struct sgp_node_peer *np, unsigned k) {
  sgp_err rc = sgp_reasm_session_close(&nd->reasm, np->sid[k]);
  (void)rc; /* SGP_ERR_STATE: the handle was not open, so it holds nothing */
  np->sid[k] = 0;
}

/* Reassembler handle of the receiving session (peer, local index),
 * opened on its first fragment; at most SGP_SESSION_SLOTS per peer. */
static sgp_err session_sid(struct sgp_node *nd, uint32_t peer, uint32_t index, sgp_reasm_sid *sid) {
  struct sgp_node_peer *np = &nd->peers[peer];
  for (unsigned k = 0; k < SGP_SESSION_SLOTS; k++) {
    if (np->sid[k] && np->sid_index[k] == index) {
      *sid = np->sid[k];
      return SGP_OK;
    }
  }
  unsigned k = 0;
  while (k < SGP_SESSION_SLOTS && np->sid[k]) k++;
  if (k == SGP_SESSION_SLOTS) { /* defensive: the session layer reported no discard */
    k = np->sid_next++ % SGP_SESSION_SLOTS;
    close_sid(nd, np, k);
  }
  SGP_GUARD(sgp_reasm_session_open(&nd->reasm, peer, &np->sid[k]));
  np->sid_index[k] = index;
  *sid = np->sid[k];
  return SGP_OK;
}

/* The session layer discarded a session: free its reassembly state
 * (SGP-FRAG-14) and an ACK owed on it (SGP-XPORT-29). */
static void on_discard(void *ctx, uint32_t peer, uint32_t index) {
  struct sgp_node *nd = ctx;
  struct sgp_node_peer *np = &nd->peers[peer];
  for (unsigned k = 0; k < SGP_SESSION_SLOTS; k++) {
    if (np->sid[k] && np->sid_index[k] == index) close_sid(nd, np, k);
  }
  if (np->owed != NO_OWED && nd->owed[np->owed].session == index) {
    nd->stats.ack_owed_dropped++;
    owed_release(nd, peer);
  }
}

static void frag_hdr_of(const struct sgp_rx *rx, struct sgp_frag_hdr *h) {
  uint8_t ad[SGP_FRAG_AD_BYTES] = {SGP_MSG_DATA, rx->flags};
  memcpy(ad + SGP_DATA_FHDR_OFF, rx->frag_hdr, SGP_DATA_FHDR_BYTES);
  uint32_t idx = 0;
  uint64_t ctr = 0;
  /* Authenticated bytes whose flags passed the session's check: parses. */
  if (sgp_frag_ad_parse(ad, sizeof ad, h, &idx, &ctr) != SGP_OK) memset(h, 0, sizeof *h);
}

static sgp_err on_data(struct sgp_node *nd, const struct sgp_rx *rx) {
  uint32_t peer = rx->peer;
  struct sgp_frag_hdr h;
  sgp_reasm_sid sid = 0;
  size_t mlen = 0;
  frag_hdr_of(rx, &h);
  /* The event precedes the packet's answer, which is sealed on the new session. */
  if (rx->confirmed) handshake_done(nd, peer);
  sgp_err rc = session_sid(nd, peer, rx->session, &sid);
  if (rc == SGP_OK)
    rc = sgp_reasm_add(&nd->reasm, sid, &h, rx->payload, rx->payload_len, nd->now_ms, nd->msg_rx,
                       SGP_FRAG_MAX_MESSAGE, &mlen);
  sync_reasm_drops(nd);
  if (rc != SGP_OK) rc = drop(nd, ST_FRAG, rc, peer, 0);
  if (rc == SGP_OK && mlen) {
    size_t plen = 0; /* SGP-JIG-4 */
    rc = sgp_jig_decode(h.flags, nd->msg_rx, mlen, nd->msg_rx, SGP_FRAG_MAX_MESSAGE, &plen);
    rc = rc == SGP_OK ? packet_in(nd, peer, VIA_DATA, nd->msg_rx, plen)
                      : drop(nd, ST_PACKET, rc, peer, 0);
  }
  if (rx->confirmed) pay_ack(nd, peer);
  return rc;
}

static sgp_err dispatch(struct sgp_node *nd, const struct sgp_rx *rx) {
  switch (rx->kind) {
    case SGP_RX_INITIATION:
      return on_initiation(nd, rx);
    case SGP_RX_RESPONSE:
      return on_response(nd, rx);
    case SGP_RX_DATA:
      return on_data(nd, rx);
    case SGP_RX_KEEPALIVE:
      if (rx->confirmed) on_confirmed(nd, rx->peer);
      return SGP_OK;
    default:
      return SGP_OK; /* cookie stored by the session layer */
  }
}

sgp_err sgp_node_recv(struct sgp_node *nd, uint64_t now_ms, const uint8_t *src, size_t src_len,
                      const uint8_t *dgram, size_t len) {
  SGP_ENSURE(nd && (dgram || !len) && (src || !src_len), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(nd->fatal == SGP_OK, nd->fatal);
  nd->now_ms = now_ms;
  nd->src = src;
  nd->src_len = src_len;
  nd->stats.rx_datagrams++;
  nd->stats.rx_bytes += len;
  struct sgp_carrier_payload cp;
  sgp_err rc = sgp_carrier_unwrap(dgram, len, SGP_CARRIER_ACCEPT_ALL, nd->dgram_rx, SGP_DGRAM_MAX,
                                  &cp); /* SGP-CARRIER-3 */
  if (rc != SGP_OK) return drop(nd, ST_CARRIER, rc, SGP_NODE_NO_PEER, 0);
  struct sgp_rx rx;
  rc = sgp_session_recv(&nd->sessions, now_ms, cp.data, cp.len, src, src_len, nd->pt_rx,
                        SGP_DGRAM_MAX, &rx);
  if (rc != SGP_OK) {
    if (rc == SGP_ERR_COOKIE && rx.reply_len) emit(nd, SGP_NODE_TO_SRC, rx.reply, rx.reply_len);
    return drop(nd, ST_SESSION, rc, SGP_NODE_NO_PEER, cp.len ? cp.data[0] : 0);
  }
  nd->stats.rx_accepted++;
  return dispatch(nd, &rx);
}

/* ---- rounds and timers ---- */

/* SGP-NODE-4: agent values (already handed to the state), tick, verdicts,
 * exchange; exactly one tick per round (SGP-TICK-7). */
static sgp_err run_round(struct sgp_node *nd) {
  sgp_err rc = sgp_state_tick(&nd->state);
  if (rc != SGP_OK) {
    nd->fatal = rc;
    struct sgp_node_event ev = {.kind = SGP_NODE_EV_FATAL, .peer = SGP_NODE_NO_PEER, .err = rc};
    emit_event(nd, &ev);
    return rc;
  }
  nd->stats.rounds++;
  update_verdicts(nd);
  uint32_t peer = nd->state.p.n >= 2 ? pick_peer(nd) : SGP_NODE_NO_PEER;
  struct sgp_node_event ev = {.kind = SGP_NODE_EV_ROUND, .peer = peer};
  emit_event(nd, &ev);
  if (peer != SGP_NODE_NO_PEER) start_exchange(nd, peer);
  return SGP_OK;
}

/* Retransmissions due (a fresh SYN each, SGP-XPORT-37), expiry, cookie
 * rotation, reassembly timeout. */
static void run_timers(struct sgp_node *nd) {
  uint32_t due[32];
  size_t count = 0;
  if (sgp_session_tick(&nd->sessions, nd->now_ms, due, 32, &count) != SGP_OK) count = 0;
  for (size_t k = 0; k < count; k++) initiate(nd, due[k], 1);
  (void)sgp_reasm_expire(&nd->reasm, nd->now_ms);
  sync_reasm_drops(nd);
}

sgp_err sgp_node_poll(struct sgp_node *nd, uint64_t now_ms) {
  SGP_ENSURE(nd, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(nd->fatal == SGP_OK, nd->fatal);
  nd->now_ms = now_ms;
  nd->src = NULL;
  nd->src_len = 0;
  if (now_ms >= nd->next_timer_ms) {
    run_timers(nd);
    nd->next_timer_ms = now_ms + SGP_NODE_TIMER_MS;
  }
  if (now_ms < nd->next_round_ms) return SGP_OK;
  nd->next_round_ms += round_len(nd);
  if (nd->next_round_ms <= now_ms) nd->next_round_ms = now_ms + round_len(nd); /* fell behind */
  return run_round(nd);
}

uint64_t sgp_node_next_deadline(const struct sgp_node *nd) {
  return nd->next_round_ms < nd->next_timer_ms ? nd->next_round_ms : nd->next_timer_ms;
}

/* ---- lifecycle ---- */

static void carve(struct sgp_node *nd, uint8_t *m, const struct layout *l) {
  nd->verdicts = (sgp_verdict *)(void *)(m + l->verdicts);
  nd->verdicts_new = (sgp_verdict *)(void *)(m + l->verdicts_new);
  nd->peers = (struct sgp_node_peer *)(void *)(m + l->peers);
  nd->owed = (struct sgp_node_owed *)(void *)(m + l->owed);
  nd->pkt_rx = (sgp_packet *)(void *)(m + l->pkt_rx);
  nd->pkt_tx = (sgp_packet *)(void *)(m + l->pkt_tx);
  nd->enc = m + l->enc;
  nd->msg_tx = m + l->msg_tx;
  nd->msg_rx = m + l->msg_rx;
  nd->dgram_tx = m + l->dgram_tx;
  nd->dgram_rx = m + l->dgram_rx;
  nd->pt_rx = m + l->pt_rx;
  nd->frame = m + l->frame;
  nd->frame_cap = l->frame_cap;
}

static void init_tables(struct sgp_node *nd) {
  for (uint32_t i = 0; i < nd->cfg.params.n; i++) nd->peers[i].owed = NO_OWED;
  for (unsigned k = 0; k < SGP_NODE_OWED_ACKS; k++)
    nd->owed[k].next = (uint16_t)(k + 1 < SGP_NODE_OWED_ACKS ? k + 1 : NO_OWED);
  nd->owed_free = 0;
}

static sgp_err init_layers(struct sgp_node *nd, uint8_t *m, const struct layout *l, uint64_t now) {
  const struct sgp_node_config *c = &nd->cfg;
  struct sgp_session_config sc = {
      .self = c->self,
      .n = c->params.n,
      .dh_sk = c->key->dh_sk,
      .dh_pk = (const uint8_t(*)[32])c->roster->dh_pk,
      .generation = c->generation,
      .rng = c->rng,
      .rng_ctx = c->rng_ctx,
      .peers = (struct sgp_session_peer *)(void *)(m + l->speers),
      .peers_cap = c->params.n,
      .index = (struct sgp_session_index *)(void *)(m + l->sindex),
      .index_cap = l->index_cap,
      .retry_ms = sgp_session_retry_ms(c->t_gossip_ms), /* SGP-XPORT-37 */
      .on_discard = on_discard,
      .discard_ctx = nd,
  };
  struct sgp_reasm_params rp;
  reasm_params(c, &rp);
  SGP_GUARD(sgp_reasm_init(&nd->reasm, m + l->reasm, l->reasm_len, &rp));
  SGP_GUARD(sgp_state_init(&nd->state, m + l->state, l->state_len, &c->params, c->self,
                           c->generation, (const uint8_t(*)[SGP_SIGN_PK_BYTES])c->roster->sign_pk,
                           nd->sign_sk, &sgp_verifier_default));
  return sgp_session_init(&nd->sessions, &sc, now);
}

sgp_err sgp_node_init(struct sgp_node *nd, const struct sgp_node_config *c, void *mem, size_t len,
                      uint64_t now_ms) {
  SGP_ENSURE(nd && mem, SGP_ERR_INVALID_ARG);
  SGP_GUARD(config_check(c));
  SGP_ENSURE(((uintptr_t)mem & 7u) == 0, SGP_ERR_INVALID_ARG);
  struct layout l;
  layout(c, &l);
  SGP_ENSURE(len >= l.total, SGP_ERR_NO_SPACE);
  memset(nd, 0, sizeof *nd);
  /* Only the node's own tables: the layers clear theirs, and the big
   * buffers are always written before they are read (RSS stays low). */
  uint8_t *m = mem;
  memset(m + l.verdicts, 0, l.speers - l.verdicts);
  nd->cfg = *c;
  memcpy(nd->sign_sk, c->key->sign_sk, sizeof nd->sign_sk);
  carve(nd, m, &l);
  init_tables(nd);
  sgp_err rc = init_layers(nd, m, &l, now_ms);
  if (rc != SGP_OK) {
    sodium_memzero(nd->sign_sk, sizeof nd->sign_sk);
    sodium_memzero(mem, l.total);
    return rc;
  }
  nd->cfg.key = NULL; /* copied where needed; the caller wipes its own */
  nd->mem = mem;
  nd->mem_len = l.total;
  nd->stats.state = &nd->state.stats;
  nd->stats.session = &nd->sessions.stats;
  nd->stats.reasm = &nd->reasm.stats;
  sgp_consensus_run(&nd->state, nd->verdicts);
  nd->now_ms = now_ms;
  nd->next_timer_ms = now_ms + SGP_NODE_TIMER_MS;
  nd->next_round_ms = now_ms + round_len(nd);
  return SGP_OK;
}

void sgp_node_destroy(struct sgp_node *nd) {
  if (!nd || !nd->mem) return;
  sgp_session_destroy(&nd->sessions);
  sodium_memzero(nd->mem, nd->mem_len);
  sodium_memzero(nd, sizeof *nd);
}

/* ---- small API ---- */

sgp_err sgp_node_set_local(struct sgp_node *nd, uint32_t suspicion, const uint16_t sub[5]) {
  SGP_ENSURE(nd && sub, SGP_ERR_INVALID_ARG);
  return sgp_state_set_local(&nd->state, suspicion, sub);
}

sgp_err sgp_node_generation_persisted(struct sgp_node *nd, uint32_t generation) {
  SGP_ENSURE(nd, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(nd->pending_generation != 0 && generation == nd->pending_generation, SGP_ERR_STATE);
  nd->pending_generation = 0;
  return SGP_OK;
}

uint32_t sgp_node_generation_pending(const struct sgp_node *nd) {
  return nd->pending_generation;
}

sgp_verdict sgp_node_verdict(const struct sgp_node *nd, uint32_t j) {
  return j < nd->state.p.n ? nd->verdicts[j] : SGP_VERDICT_UNKNOWN;
}

uint32_t sgp_node_generation(const struct sgp_node *nd) {
  return nd->state.e[nd->state.self].gen;
}

uint64_t sgp_node_round(const struct sgp_node *nd) {
  return nd->state.round;
}

const struct sgp_node_stats *sgp_node_stats(const struct sgp_node *nd) {
  return &nd->stats;
}

const char *sgp_node_drop_name(enum sgp_node_drop d) {
  static const char *const names[SGP_NODE_DROP_COUNT] = {
      "size",      "type",  "reserved",     "mac1",          "cookie",  "unknown_peer", "rate",
      "handshake", "stamp", "crossing",     "unknown_index", "expired", "auth",         "replay",
      "keepalive", "frag",  "frag_message", "carrier",       "packet"};
  return (unsigned)d < SGP_NODE_DROP_COUNT ? names[d] : "?";
}
