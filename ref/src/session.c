/* Per-peer session layer; see sgp/session.h for the contract.
 *
 * Shape (after WireGuard's receive.c / noise.c / timers.c):
 *  - recv first gates on the exact layout of the type (validate_header_len),
 *    then runs the checks of spec §7.11 in order on the datagram, a scratch
 *    copy of the handshake state and the caller's output buffer, and only
 *    then commits (stamp, sessions, window, index table).  A check that fails
 *    returns its code and one drop counter moves.
 *  - The only state a failed check may change is a token bucket (§7.11:
 *    "every check before the first state change is stateless or only
 *    consumes tokens").
 *  - Sessions live in three fixed slots per peer; the roles pending, current
 *    and previous point at slots, so promotion moves no keys.
 *  - Session indices are random (SGP-XPORT-22) and found through an
 *    open-addressing table (linear probing, backward-shift deletion) of at
 *    least 8 entries per peer, so lookups are O(1) for any n.
 *
 * Deviation from the text of §7.11 step 5 (reported as a spec change): the
 * keepalive check (SGP-XPORT-32) runs right after AEAD decryption, before
 * the window update and the confirmation of a pending session, so that a
 * rejected datagram changes no state (§1.2 "rejects ... changes no state").
 */
#include "sgp/session.h"

#include <sodium.h>
#include <string.h>

#include "sgp/cursor.h"
#include "sgp/limits.h"

enum { ST_FREE = 0, ST_PENDING = 1, ST_LIVE = 2, ST_DEAD = 3 };
enum { SLOT_HANDSHAKE = 3, INDEX_TRIES = 64, JITTER_RANGE = SGP_REKEY_JITTER_MAX_MS + 1 };
enum { NOISE_OFF = 12, MACS_BYTES = SGP_MACS_BYTES };

static const uint8_t PROLOGUE[5] = {'S', 'G', 'P', '/', '1'};
static const struct sgp_bucket_rate PEER_RATE = {SGP_PEER_BUCKET_RATE, SGP_PEER_BUCKET_BURST};
static const struct sgp_bucket_rate LOAD_RATE = {SGP_LOAD_BUCKET_RATE, SGP_LOAD_BUCKET_BURST};
static const struct sgp_bucket_rate COOKIE_RATE = {SGP_COOKIE_BUCKET_RATE, SGP_COOKIE_BUCKET_BURST};

_Static_assert(SGP_INITIATION_MIN + SGP_SYN_MAX == SGP_DGRAM_MAX, "initiation size");
_Static_assert(SGP_RESPONSE_MIN + SGP_ACK_MAX == SGP_DGRAM_MAX, "response size");
_Static_assert(SGP_DATA_MIN + SGP_DATA_PT_MAX == SGP_DGRAM_MAX, "data size");
_Static_assert(SGP_DATA_FHDR_OFF + SGP_DATA_FHDR_BYTES == SGP_DATA_HDR_BYTES, "data header");
_Static_assert(SGP_DATA_HDR_BYTES + SGP_NOISE_TAGLEN == SGP_DATA_MIN, "data minimum");
_Static_assert(SGP_MAX_NODES <= (UINT32_MAX >> 3), "index refs");

static uint64_t age(uint64_t now, uint64_t then) {
  return now > then ? now - then : 0;
}

/* Data flags: 0x00, 0x01 (AONT) or 0x03 (AONT + PARITY), SGP-JIG-1. */
static int flags_defined(uint8_t flags) {
  return flags == 0x00 || flags == 0x01 || flags == 0x03;
}

/* ---- index table ---------------------------------------------------------- */

static uint32_t ref_make(uint32_t peer, uint32_t slot) {
  return 1u + ((peer << 2) | slot);
}
static uint32_t ref_peer(uint32_t ref) {
  return (ref - 1u) >> 2;
}
static uint32_t ref_slot(uint32_t ref) {
  return (ref - 1u) & 3u;
}

static uint32_t home(const struct sgp_sessions *s, uint32_t index) {
  /* Fibonacci hashing: the top bits of the product, so a weak RNG in a
   * test does not cluster the table. */
  return (uint32_t)(index * 2654435761u) >> (32u - s->index_bits);
}

/* Position of index in the table, or -1. */
static long find_pos(const struct sgp_sessions *s, uint32_t index) {
  uint32_t i = home(s, index);
  while (s->index[i].ref != 0) {
    if (s->index[i].index == index) return (long)i;
    i = (i + 1u) & s->index_mask;
  }
  return -1;
}

static uint32_t index_lookup(const struct sgp_sessions *s, uint32_t index) {
  long pos = find_pos(s, index);
  return pos < 0 ? 0 : s->index[pos].ref;
}

/* The table has room by construction: at most 4 refs per peer in >= 8n. */
static void index_insert(struct sgp_sessions *s, uint32_t index, uint32_t ref) {
  uint32_t i = home(s, index);
  while (s->index[i].ref != 0) i = (i + 1u) & s->index_mask;
  s->index[i].index = index;
  s->index[i].ref = ref;
}

static void index_set(struct sgp_sessions *s, uint32_t index, uint32_t ref) {
  long pos = find_pos(s, index);
  if (pos >= 0) s->index[pos].ref = ref;
}

/* Backward-shift deletion keeps every probe chain unbroken without
 * tombstones. */
static void index_remove(struct sgp_sessions *s, uint32_t index) {
  long pos = find_pos(s, index);
  if (pos < 0) return;
  uint32_t i = (uint32_t)pos, j = i;
  for (;;) {
    j = (j + 1u) & s->index_mask;
    if (s->index[j].ref == 0) break;
    uint32_t k = home(s, s->index[j].index);
    /* Entry j may move to i unless its home lies cyclically in (i, j]. */
    int stays = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
    if (!stays) {
      s->index[i] = s->index[j];
      i = j;
    }
  }
  s->index[i].index = 0;
  s->index[i].ref = 0;
}

/* ---- randomness ----------------------------------------------------------- */

static uint32_t rand32(const struct sgp_sessions *s) {
  uint8_t b[4];
  s->rng(s->rng_ctx, b, sizeof b);
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* SGP-XPORT-22: uniform among the values not in use.  Only a broken RNG
 * fails INDEX_TRIES times against a table that is at most 1/65536 full. */
static SGP_MUST_CHECK sgp_err choose_index(const struct sgp_sessions *s, uint32_t *out) {
  for (int t = 0; t < INDEX_TRIES; t++) {
    uint32_t v = rand32(s);
    if (index_lookup(s, v) == 0) {
      *out = v;
      return SGP_OK;
    }
  }
  return SGP_ERR_CRYPTO;
}

/* REKEY_JITTER: uniform in [0, 333] ms by rejection sampling, so a seeded
 * RNG gives the same schedule everywhere. */
static uint32_t draw_jitter(const struct sgp_sessions *s) {
  const uint64_t limit = (UINT64_C(1) << 32) - ((UINT64_C(1) << 32) % JITTER_RANGE);
  uint32_t v = 0;
  for (int t = 0; t < INDEX_TRIES; t++) {
    v = rand32(s);
    if (v < limit) break;
  }
  return v % JITTER_RANGE;
}

/* ---- sessions ------------------------------------------------------------- */

static int live(const struct sgp_session *x, uint64_t now) {
  return x->state == ST_LIVE && age(now, x->created_ms) < SGP_REJECT_AFTER_TIME_MS;
}

static void notify_discard(struct sgp_sessions *s, uint32_t peer, const struct sgp_session *x) {
  if (s->on_discard) s->on_discard(s->discard_ctx, peer, x->local_index);
}

/* Forgets slot k entirely: index, keys, role (SGP-XPORT-36). */
static void discard(struct sgp_sessions *s, uint32_t peer, uint8_t k) {
  struct sgp_session_peer *p = &s->peers[peer];
  struct sgp_session *x = &p->slot[k];
  if (x->state == ST_FREE) return;
  if (x->state != ST_DEAD) notify_discard(s, peer, x);
  index_remove(s, x->local_index);
  sodium_memzero(x, sizeof *x);
  if (p->cur == k) p->cur = SGP_SESSION_NO_SLOT;
  if (p->prev == k) p->prev = SGP_SESSION_NO_SLOT;
  if (p->pend == k) p->pend = SGP_SESSION_NO_SLOT;
  s->stats.session_discarded++;
}

/* REJECT_AFTER_TIME reached: keys wiped now, the index kept until
 * SESSION_WIPE_TIME so late datagrams count as drop_expired. */
static void expire(struct sgp_sessions *s, uint32_t peer, struct sgp_session *x) {
  notify_discard(s, peer, x);
  sgp_noise_cipher_destroy(&x->send);
  sgp_noise_cipher_destroy(&x->recv);
  sodium_memzero(&x->window, sizeof x->window);
  x->state = ST_DEAD;
  s->stats.session_expired++;
}

/* A free slot, discarding the previous session if all three are taken
 * (SGP-XPORT-24: the oldest of a kind goes). */
static uint8_t alloc_slot(struct sgp_sessions *s, uint32_t peer) {
  struct sgp_session_peer *p = &s->peers[peer];
  for (unsigned k = 0; k < SGP_SESSION_SLOTS; k++)
    if (p->slot[k].state == ST_FREE) return (uint8_t)k;
  uint8_t k = p->prev != SGP_SESSION_NO_SLOT ? p->prev : p->pend;
  discard(s, peer, k);
  return k;
}

/* current -> previous, k -> current (SGP-XPORT-27 and the initiator's
 * Split). */
static void make_current(struct sgp_sessions *s, uint32_t peer, uint8_t k) {
  struct sgp_session_peer *p = &s->peers[peer];
  if (p->prev != SGP_SESSION_NO_SLOT) discard(s, peer, p->prev);
  p->prev = p->cur;
  p->cur = k;
  p->slot[k].state = ST_LIVE;
}

static void install(struct sgp_session *x, const struct sgp_noise_cipher *send,
                    const struct sgp_noise_cipher *recv, uint32_t local_index,
                    uint32_t remote_index, int initiator, uint64_t now) {
  sodium_memzero(x, sizeof *x);
  x->send = *send;
  x->recv = *recv;
  sgp_replay_init(&x->window);
  x->created_ms = now;
  x->local_index = local_index;
  x->remote_index = remote_index;
  x->initiator = (uint8_t)initiator;
}

/* Drops the outstanding initiation; its index goes unless a session took
 * it over. */
static void drop_init(struct sgp_sessions *s, struct sgp_session_peer *p, int keep_index) {
  if (!p->init.active) return;
  if (!keep_index) index_remove(s, p->init.local_index);
  sodium_memzero(&p->init, sizeof p->init);
}

static void drop_resp(struct sgp_sessions *s) {
  sodium_memzero(&s->resp_hs, sizeof s->resp_hs);
  s->resp_active = 0;
  s->resp_ms = 0;
  s->resp_peer = 0;
  s->resp_remote_index = 0;
}

static int init_outstanding(const struct sgp_session_handshake *h, uint64_t now) {
  return h->active && age(now, h->first_ms) < SGP_REKEY_ATTEMPT_TIME_MS;
}

static const uint8_t *fresh_cookie(const struct sgp_session_peer *p, uint64_t now) {
  return p->has_cookie && age(now, p->cookie_ms) < SGP_COOKIE_USE_TIME_MS ? p->cookie : NULL;
}

static SGP_MUST_CHECK sgp_err noise_setup(const struct sgp_sessions *s,
                                          struct sgp_noise_handshake *hs, enum sgp_noise_role role,
                                          uint32_t peer) {
  struct sgp_noise_config c;
  memset(&c, 0, sizeof c);
  c.pattern = SGP_NOISE_KK;
  c.role = role;
  c.prologue = PROLOGUE;
  c.prologue_len = sizeof PROLOGUE;
  c.s = s->s_sk;
  c.rs = s->dh_pk[peer]; /* SGP-XPORT-8 */
  c.rng = s->rng;
  c.rng_ctx = s->rng_ctx;
  return sgp_noise_init(hs, &c);
}

static void write_stamp(uint8_t out[SGP_STAMP_BYTES], uint64_t v) {
  for (int i = 0; i < SGP_STAMP_BYTES; i++)
    out[i] = (uint8_t)(v >> (8 * (SGP_STAMP_BYTES - 1 - i)));
}

static uint64_t read_stamp(const uint8_t in[SGP_STAMP_BYTES]) {
  uint64_t v = 0;
  for (int i = 0; i < SGP_STAMP_BYTES; i++) v = (v << 8) | in[i];
  return v;
}

/* ---- lifecycle ------------------------------------------------------------ */

uint32_t sgp_session_retry_ms(uint32_t t_gossip_ms) {
  if (t_gossip_ms < SGP_HANDSHAKE_RETRY_MIN_MS) return SGP_HANDSHAKE_RETRY_MIN_MS;
  return t_gossip_ms < SGP_REKEY_TIMEOUT_MS ? t_gossip_ms : SGP_REKEY_TIMEOUT_MS;
}

size_t sgp_session_index_cap(uint32_t n) {
  size_t cap = 8;
  while (cap < (size_t)n * 8u) cap <<= 1;
  return cap;
}

sgp_err sgp_session_init(struct sgp_sessions *s, const struct sgp_session_config *cfg,
                         uint64_t now_ms) {
  SGP_ENSURE(s && cfg && cfg->dh_sk && cfg->dh_pk && cfg->rng && cfg->peers && cfg->index,
             SGP_ERR_INVALID_ARG);
  SGP_ENSURE(cfg->n >= 1 && cfg->n <= SGP_MAX_NODES && cfg->self < cfg->n, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(cfg->generation >= 1 && cfg->peers_cap >= cfg->n, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(cfg->retry_ms == 0 || (cfg->retry_ms >= SGP_HANDSHAKE_RETRY_MIN_MS &&
                                    cfg->retry_ms <= SGP_REKEY_TIMEOUT_MS),
             SGP_ERR_INVALID_ARG);
  SGP_ENSURE(cfg->index_cap >= sgp_session_index_cap(cfg->n) && cfg->index_cap <= (1u << 31) &&
                 (cfg->index_cap & (cfg->index_cap - 1)) == 0,
             SGP_ERR_INVALID_ARG);

  sodium_memzero(s, sizeof *s);
  memcpy(s->s_sk, cfg->dh_sk, sizeof s->s_sk);
  if (crypto_scalarmult_base(s->s_pk, s->s_sk) != 0) {
    sodium_memzero(s, sizeof *s);
    return SGP_ERR_CRYPTO;
  }
  if (sodium_memcmp(s->s_pk, cfg->dh_pk[cfg->self], sizeof s->s_pk) != 0) {
    sodium_memzero(s, sizeof *s);
    return SGP_ERR_KEY_MISMATCH;
  }
  s->self = cfg->self;
  s->n = cfg->n;
  s->dh_pk = cfg->dh_pk;
  s->peers = cfg->peers;
  s->index = cfg->index;
  s->index_mask = (uint32_t)(cfg->index_cap - 1);
  while ((1u << s->index_bits) < cfg->index_cap) s->index_bits++;
  s->generation = cfg->generation;
  s->retry_ms = cfg->retry_ms ? cfg->retry_ms : SGP_REKEY_TIMEOUT_MS;
  s->rng = cfg->rng;
  s->rng_ctx = cfg->rng_ctx;
  s->on_discard = cfg->on_discard;
  s->discard_ctx = cfg->discard_ctx;
  sgp_cookie_mac1_key(s->mac1_key, s->s_pk);
  sgp_cookie_reply_key(s->reply_key, s->s_pk);

  memset(s->peers, 0, (size_t)s->n * sizeof *s->peers);
  for (uint32_t i = 0; i < s->n; i++) {
    struct sgp_session_peer *p = &s->peers[i];
    p->cur = p->prev = p->pend = SGP_SESSION_NO_SLOT;
    sgp_bucket_init(&p->bucket, &PEER_RATE, now_ms);
  }
  memset(s->index, 0, cfg->index_cap * sizeof *s->index);
  sgp_bucket_init(&s->load, &LOAD_RATE, now_ms);
  sgp_bucket_init(&s->cookie_bucket, &COOKIE_RATE, now_ms);
  sgp_cookie_checker_init(&s->cookie, s->rng, s->rng_ctx, now_ms);
  return SGP_OK;
}

void sgp_session_destroy(struct sgp_sessions *s) {
  if (!s) return;
  if (s->peers) sodium_memzero(s->peers, (size_t)s->n * sizeof *s->peers);
  if (s->index) sodium_memzero(s->index, ((size_t)s->index_mask + 1) * sizeof *s->index);
  sodium_memzero(s, sizeof *s);
}

/* ---- sending -------------------------------------------------------------- */

static int valid_peer(const struct sgp_sessions *s, uint32_t peer) {
  return peer < s->n && peer != s->self;
}

/* A pending session younger than HANDSHAKE_RETRY (SGP-XPORT-34).  It
 * lives REKEY_TIMEOUT (SGP-XPORT-28), but unconfirmed after HANDSHAKE_RETRY
 * (>> RTT) its response or the initiator's first data message was most
 * likely lost: waiting out REKEY_TIMEOUT would cost up to 25 rounds. */
static int pending_young(const struct sgp_sessions *s, const struct sgp_session_peer *p,
                         uint64_t now) {
  return p->pend != SGP_SESSION_NO_SLOT && age(now, p->slot[p->pend].created_ms) < s->retry_ms;
}

unsigned sgp_session_status(const struct sgp_sessions *s, uint32_t peer, uint64_t now_ms) {
  if (!s || !valid_peer(s, peer)) return 0;
  const struct sgp_session_peer *p = &s->peers[peer];
  unsigned st = 0;
  const struct sgp_session *c = p->cur != SGP_SESSION_NO_SLOT ? &p->slot[p->cur] : NULL;
  if (c && live(c, now_ms) && c->send_ctr < SGP_REJECT_AFTER_MESSAGES) st |= SGP_PEER_CAN_SEND;
  /* SGP-XPORT-34.  A young pending session is about to be confirmed by the
   * initiator's first data message (SGP-XPORT-26): a handshake of our own
   * would only replace it. */
  int rekey;
  if (st & SGP_PEER_CAN_SEND)
    rekey = age(now_ms, c->created_ms) >= SGP_REKEY_AFTER_TIME_MS ||
            c->send_ctr >= SGP_REKEY_AFTER_MESSAGES;
  else
    rekey = !pending_young(s, p, now_ms);
  if (rekey) st |= SGP_PEER_NEEDS_HANDSHAKE;
  int out = init_outstanding(&p->init, now_ms);
  if (out) st |= SGP_PEER_OUTSTANDING;
  if ((!p->has_last_init || now_ms >= p->last_init_ms + s->retry_ms) &&
      (!out || now_ms >= p->init.retry_ms) && s->init_counter < UINT32_MAX)
    st |= SGP_PEER_MAY_INITIATE;
  return st;
}

sgp_err sgp_session_initiate(struct sgp_sessions *s, uint32_t peer, const uint8_t *syn,
                             size_t syn_len, uint64_t now_ms, uint8_t *out, size_t cap,
                             size_t *out_len) {
  SGP_ENSURE(s && out_len && (syn || !syn_len), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(valid_peer(s, peer), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(syn_len <= SGP_SYN_MAX, SGP_ERR_TOO_LARGE); /* SGP-XPORT-14 */
  const size_t total = SGP_INITIATION_MIN + syn_len;
  SGP_ENSURE(out && cap >= total, SGP_ERR_NO_SPACE);

  struct sgp_session_peer *p = &s->peers[peer];
  int retransmit = init_outstanding(&p->init, now_ms);
  /* SGP-XPORT-38, and SGP-XPORT-37's schedule for a retransmission. */
  SGP_ENSURE(!retransmit || now_ms >= p->init.retry_ms, SGP_ERR_RATE_LIMITED);
  SGP_ENSURE(!p->has_last_init || now_ms >= p->last_init_ms + s->retry_ms, SGP_ERR_RATE_LIMITED);
  SGP_ENSURE(s->init_counter < UINT32_MAX, SGP_ERR_EXHAUSTED); /* SGP-REPLAY-6 */

  struct sgp_noise_handshake hs;
  uint8_t payload[SGP_STAMP_BYTES + SGP_SYN_MAX];
  uint8_t mac1_key[SGP_MAC_KEY_BYTES];
  uint32_t index = 0, jitter;
  size_t mlen = 0;
  sgp_err rc;
  memset(&hs, 0, sizeof hs);

  if ((rc = choose_index(s, &index)) != SGP_OK) goto out;
  if ((rc = noise_setup(s, &hs, SGP_NOISE_INITIATOR, peer)) != SGP_OK) goto out;
  /* stamp = generation || initiation counter (SGP-REPLAY-6) */
  write_stamp(payload, (uint64_t)s->generation << 32 | (s->init_counter + 1u));
  if (syn_len) memcpy(payload + SGP_STAMP_BYTES, syn, syn_len);

  struct sgp_cursor w = sgp_cursor_writer(out, cap);
  if ((rc = sgp_cursor_write_u8(&w, SGP_MSG_INITIATION)) != SGP_OK ||
      (rc = sgp_cursor_write_u8(&w, 0)) != SGP_OK || (rc = sgp_cursor_write_u16(&w, 0)) != SGP_OK ||
      (rc = sgp_cursor_write_u32(&w, s->self)) != SGP_OK ||
      (rc = sgp_cursor_write_u32(&w, index)) != SGP_OK)
    goto out;
  /* -> e, es, ss; EncryptAndHash(stamp || syn) */
  if ((rc = sgp_noise_write_message(&hs, payload, SGP_STAMP_BYTES + syn_len, out + NOISE_OFF,
                                    total - NOISE_OFF - MACS_BYTES, &mlen)) != SGP_OK)
    goto out;
  if (NOISE_OFF + mlen + MACS_BYTES != total) {
    rc = SGP_ERR_STATE;
    goto out;
  }
  sgp_cookie_mac1_key(mac1_key, s->dh_pk[peer]);
  if ((rc = sgp_cookie_add_macs(out, total, mac1_key, fresh_cookie(p, now_ms))) != SGP_OK) goto out;
  jitter = draw_jitter(s);

  /* commit.  SGP-XPORT-37: HANDSHAKE_RETRY while the attempt is younger
   * than REKEY_TIMEOUT, then REKEY_TIMEOUT, so an unreachable peer costs at
   * most ceil(REKEY_TIMEOUT / HANDSHAKE_RETRY) initiations more per attempt
   * than with REKEY_TIMEOUT alone. */
  uint64_t first = retransmit ? p->init.first_ms : now_ms;
  uint32_t interval =
      age(now_ms, first) < SGP_REKEY_TIMEOUT_MS ? s->retry_ms : SGP_REKEY_TIMEOUT_MS;
  drop_init(s, p, 0);
  index_insert(s, index, ref_make(peer, SLOT_HANDSHAKE));
  p->init.hs = hs;
  p->init.first_ms = first;
  p->init.sent_ms = now_ms;
  p->init.retry_ms = now_ms + interval + jitter;
  p->init.local_index = index;
  memcpy(p->init.mac1, out + total - MACS_BYTES, SGP_MAC_BYTES);
  p->init.active = 1;
  p->last_init_ms = now_ms;
  p->has_last_init = 1;
  s->init_counter++;
  s->stats.tx_initiation++;
  *out_len = total;
out:
  sodium_memzero(&hs, sizeof hs);
  sodium_memzero(payload, sizeof payload);
  return rc;
}

sgp_err sgp_session_respond(struct sgp_sessions *s, uint32_t peer, const uint8_t *ack,
                            size_t ack_len, uint64_t now_ms, uint8_t *out, size_t cap,
                            size_t *out_len) {
  SGP_ENSURE(s && out_len && (ack || !ack_len), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(valid_peer(s, peer), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(
      s->resp_active && s->resp_peer == peer && age(now_ms, s->resp_ms) < SGP_REKEY_TIMEOUT_MS,
      SGP_ERR_STATE);
  SGP_ENSURE(ack_len <= SGP_ACK_MAX, SGP_ERR_TOO_LARGE); /* SGP-XPORT-16 */
  const size_t total = SGP_RESPONSE_MIN + ack_len;
  SGP_ENSURE(out && cap >= total, SGP_ERR_NO_SPACE);

  struct sgp_session_peer *p = &s->peers[peer];
  struct sgp_noise_handshake hs;
  struct sgp_noise_cipher send, recv;
  uint8_t mac1_key[SGP_MAC_KEY_BYTES];
  uint32_t index = 0;
  size_t mlen = 0;
  sgp_err rc;
  memcpy(&hs, &s->resp_hs, sizeof hs);
  memset(&send, 0, sizeof send);
  memset(&recv, 0, sizeof recv);

  if ((rc = choose_index(s, &index)) != SGP_OK) goto out;
  struct sgp_cursor w = sgp_cursor_writer(out, cap);
  if ((rc = sgp_cursor_write_u8(&w, SGP_MSG_RESPONSE)) != SGP_OK ||
      (rc = sgp_cursor_write_u8(&w, 0)) != SGP_OK || (rc = sgp_cursor_write_u16(&w, 0)) != SGP_OK ||
      (rc = sgp_cursor_write_u32(&w, index)) != SGP_OK ||
      (rc = sgp_cursor_write_u32(&w, s->resp_remote_index)) != SGP_OK) /* SGP-XPORT-15 */
    goto out;
  /* <- e, ee, se; EncryptAndHash(ack) */
  if ((rc = sgp_noise_write_message(&hs, ack, ack_len, out + NOISE_OFF,
                                    total - NOISE_OFF - MACS_BYTES, &mlen)) != SGP_OK)
    goto out;
  if (NOISE_OFF + mlen + MACS_BYTES != total) {
    rc = SGP_ERR_STATE;
    goto out;
  }
  /* Split: the responder sends with k2 and receives with k1 (SGP-XPORT-23). */
  if ((rc = sgp_noise_split(&hs, &send, &recv)) != SGP_OK) goto out;
  sgp_cookie_mac1_key(mac1_key, s->dh_pk[peer]);
  if ((rc = sgp_cookie_add_macs(out, total, mac1_key, fresh_cookie(p, now_ms))) != SGP_OK) goto out;

  /* commit: the pending session (SGP-XPORT-25, -28) */
  if (p->pend != SGP_SESSION_NO_SLOT) discard(s, peer, p->pend);
  uint8_t k = alloc_slot(s, peer);
  install(&p->slot[k], &send, &recv, index, s->resp_remote_index, 0, now_ms);
  p->slot[k].state = ST_PENDING;
  p->pend = k;
  index_insert(s, index, ref_make(peer, k));
  drop_resp(s);
  s->stats.tx_response++;
  *out_len = total;
out:
  sodium_memzero(&hs, sizeof hs);
  sodium_memzero(&send, sizeof send);
  sodium_memzero(&recv, sizeof recv);
  return rc;
}

static int is_keepalive(uint8_t flags, const uint8_t fhdr[SGP_DATA_FHDR_BYTES], size_t pt_len) {
  uint8_t acc = flags;
  for (int i = 0; i < SGP_DATA_FHDR_BYTES; i++) acc |= fhdr[i];
  return acc == 0 && pt_len == 0;
}

static int frag_count_of(const uint8_t fhdr[SGP_DATA_FHDR_BYTES]) {
  return fhdr[5]; /* msg_id (4), frag_index (1), frag_count (1), total_len (4) */
}

sgp_err sgp_data_seal(const uint8_t key[32], uint32_t receiver_index, uint64_t counter,
                      uint8_t flags, const uint8_t fhdr[SGP_DATA_FHDR_BYTES], const uint8_t *pt,
                      size_t pt_len, uint8_t *out, size_t cap, size_t *out_len) {
  SGP_ENSURE(key && fhdr && out_len && (pt || !pt_len), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(pt_len <= SGP_DATA_PT_MAX, SGP_ERR_TOO_LARGE); /* SGP-XPORT-12 */
  SGP_ENSURE(out && cap >= SGP_DATA_MIN + pt_len, SGP_ERR_NO_SPACE);
  SGP_ENSURE(counter < SGP_REJECT_AFTER_MESSAGES, SGP_ERR_EXHAUSTED);

  struct sgp_cursor w = sgp_cursor_writer(out, cap);
  SGP_GUARD(sgp_cursor_write_u8(&w, SGP_MSG_DATA));
  SGP_GUARD(sgp_cursor_write_u8(&w, flags));
  SGP_GUARD(sgp_cursor_write_u16(&w, 0));
  SGP_GUARD(sgp_cursor_write_u32(&w, receiver_index));
  SGP_GUARD(sgp_cursor_write_u64(&w, counter));
  SGP_GUARD(sgp_cursor_write(&w, fhdr, SGP_DATA_FHDR_BYTES));

  struct sgp_noise_cipher c;
  size_t clen = 0;
  memset(&c, 0, sizeof c);
  memcpy(c.k, key, sizeof c.k);
  c.has_key = 1;
  /* ad = the whole 26-byte header (SGP-XPORT-30) */
  sgp_err rc = sgp_noise_encrypt_at(&c, counter, out, SGP_DATA_HDR_BYTES, pt, pt_len,
                                    out + SGP_DATA_HDR_BYTES, cap - SGP_DATA_HDR_BYTES, &clen);
  sodium_memzero(&c, sizeof c);
  SGP_GUARD(rc);
  *out_len = SGP_DATA_HDR_BYTES + clen;
  return SGP_OK;
}

sgp_err sgp_session_seal(struct sgp_sessions *s, uint32_t peer, uint64_t now_ms, uint8_t flags,
                         const uint8_t fhdr[SGP_DATA_FHDR_BYTES], const uint8_t *pt, size_t pt_len,
                         uint8_t *out, size_t cap, size_t *out_len) {
  SGP_ENSURE(s && fhdr && out_len && (pt || !pt_len), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(valid_peer(s, peer), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(flags_defined(flags), SGP_ERR_INVALID_ARG);
  /* Never emit what SGP-XPORT-32 makes the receiver drop. */
  SGP_ENSURE(frag_count_of(fhdr) != 0 || is_keepalive(flags, fhdr, pt_len), SGP_ERR_INVALID_ARG);
  SGP_ENSURE(pt_len <= SGP_DATA_PT_MAX, SGP_ERR_TOO_LARGE);

  struct sgp_session_peer *p = &s->peers[peer];
  SGP_ENSURE(p->cur != SGP_SESSION_NO_SLOT, SGP_ERR_STATE);
  struct sgp_session *x = &p->slot[p->cur];
  SGP_ENSURE(live(x, now_ms), SGP_ERR_STATE); /* SGP-XPORT-25, -35 */
  SGP_ENSURE(x->send_ctr < SGP_REJECT_AFTER_MESSAGES, SGP_ERR_EXHAUSTED);
  SGP_GUARD(sgp_data_seal(x->send.k, x->remote_index, x->send_ctr, flags, fhdr, pt, pt_len, out,
                          cap, out_len));
  x->send_ctr++; /* SGP-XPORT-31 */
  s->stats.tx_data++;
  return SGP_OK;
}

sgp_err sgp_session_keepalive(struct sgp_sessions *s, uint32_t peer, uint64_t now_ms, uint8_t *out,
                              size_t cap, size_t *out_len) {
  static const uint8_t zero[SGP_DATA_FHDR_BYTES] = {0};
  return sgp_session_seal(s, peer, now_ms, 0, zero, NULL, 0, out, cap, out_len);
}

/* ---- receiving ------------------------------------------------------------ */

static void count_drop(struct sgp_session_stats *st, uint8_t type, sgp_err rc) {
  switch (rc) {
    case SGP_ERR_TOO_LARGE:
    case SGP_ERR_TRUNCATED:
    case SGP_ERR_TRAILING:
      st->drop_size++;
      break;
    case SGP_ERR_DGRAM_TYPE:
      st->drop_type++;
      break;
    case SGP_ERR_RESERVED:
      st->drop_reserved++;
      break;
    case SGP_ERR_MAC1:
      st->drop_mac1++;
      break;
    case SGP_ERR_COOKIE:
      st->drop_cookie++;
      break;
    case SGP_ERR_NODE_ID:
    case SGP_ERR_SENDER:
      st->drop_unknown_peer++;
      break;
    case SGP_ERR_RATE_LIMITED:
      st->drop_rate++;
      break;
    case SGP_ERR_CRYPTO:
      st->drop_handshake++;
      break;
    case SGP_ERR_REPLAY:
      if (type == SGP_MSG_INITIATION)
        st->drop_stamp++;
      else
        st->drop_replay++;
      break;
    case SGP_ERR_TOO_OLD:
      st->drop_replay++;
      break;
    case SGP_ERR_CROSSING:
      st->drop_crossing++;
      break;
    case SGP_ERR_UNKNOWN_INDEX:
      st->drop_unknown_index++;
      break;
    case SGP_ERR_EXPIRED:
    case SGP_ERR_EXHAUSTED:
      st->drop_expired++;
      break;
    case SGP_ERR_AUTH:
      st->drop_auth++;
      break;
    case SGP_ERR_KEEPALIVE:
      st->drop_keepalive++;
      break;
    default: /* caller errors: not a datagram drop */
      break;
  }
}

/* Step 2 of §7.11. */
static sgp_err consume_initiation(struct sgp_sessions *s, uint64_t now, const uint8_t *m,
                                  size_t len, const uint8_t *src, size_t src_len, uint8_t *out,
                                  size_t cap, struct sgp_rx *rx) {
  struct sgp_cursor r = sgp_cursor_reader(m, len);
  uint32_t sender_node, sender_index;
  SGP_GUARD(sgp_cursor_skip(&r, 4)); /* type, reserved: checked by the caller */
  SGP_GUARD(sgp_cursor_read_u32(&r, &sender_node));
  SGP_GUARD(sgp_cursor_read_u32(&r, &sender_index));

  SGP_GUARD(sgp_cookie_check_mac1(m, len, s->mac1_key)); /* SGP-XPORT-19 */
  if (sgp_bucket_take(&s->load, &LOAD_RATE, now) != SGP_OK) {
    /* Under load: only initiations that prove their source address pass
     * (SGP-XPORT-44); the rest may get a cookie (SGP-XPORT-45). */
    if (sgp_cookie_checker_mac2(&s->cookie, m, len, src, src_len) != SGP_OK) {
      if (sgp_bucket_take(&s->cookie_bucket, &COOKIE_RATE, now) == SGP_OK) {
        uint8_t cookie[SGP_MAC_BYTES], nonce[SGP_COOKIE_NONCE_BYTES];
        s->rng(s->rng_ctx, nonce, sizeof nonce);
        sgp_cookie_checker_cookie(&s->cookie, src, src_len, cookie);
        if (sgp_cookie_reply_write(rx->reply, sender_index, nonce, s->reply_key,
                                   m + len - MACS_BYTES, cookie) == SGP_OK) {
          rx->reply_len = SGP_COOKIE_REPLY_BYTES;
          s->stats.tx_cookie++;
        }
        sodium_memzero(cookie, sizeof cookie);
      }
      return SGP_ERR_COOKIE;
    }
  }
  SGP_ENSURE(sender_node < s->n, SGP_ERR_NODE_ID); /* SGP-XPORT-20 */
  SGP_ENSURE(sender_node != s->self, SGP_ERR_SENDER);
  struct sgp_session_peer *p = &s->peers[sender_node];
  SGP_GUARD(sgp_bucket_take(&p->bucket, &PEER_RATE, now)); /* SGP-XPORT-43 */

  struct sgp_noise_handshake hs;
  size_t plen = 0;
  uint64_t stamp;
  int abandon = 0;
  sgp_err rc;
  if ((rc = noise_setup(s, &hs, SGP_NOISE_RESPONDER, sender_node)) != SGP_OK) goto out;
  /* -> e, es, ss with rs = dh-pk[sender_node]: a key outside the roster, or
   * the wrong sender_node, fails here (tag mismatch). */
  rc = sgp_noise_read_message(&hs, m + NOISE_OFF, len - NOISE_OFF - MACS_BYTES, out, cap, &plen);
  if (rc != SGP_OK) goto out;
  if (plen < SGP_STAMP_BYTES) {
    rc = SGP_ERR_TRUNCATED; /* unreachable: the minimum length leaves 8 bytes */
    goto out;
  }
  stamp = read_stamp(out);
  if (p->has_stamp && stamp <= p->stamp_max) { /* SGP-REPLAY-5 */
    rc = SGP_ERR_REPLAY;
    goto out;
  }
  if (init_outstanding(&p->init, now)) {
    /* SGP-XPORT-40: ours wins only while it may still be answered (sent
     * less than HANDSHAKE_RETRY ago); an older one was most likely lost,
     * and keeping it would drop every initiation of the peer until our
     * next retransmission. */
    if (sender_node > s->self && now < p->init.sent_ms + s->retry_ms) {
      rc = SGP_ERR_CROSSING;
      goto out;
    }
    abandon = 1; /* SGP-XPORT-41: theirs wins */
  }

  /* commit */
  p->stamp_max = stamp;
  p->has_stamp = 1;
  if (abandon) {
    drop_init(s, p, 0);
    s->stats.handshake_abandoned++;
    rx->abandoned = 1;
  }
  if (p->pend != SGP_SESSION_NO_SLOT) discard(s, sender_node, p->pend); /* SGP-XPORT-28 */
  drop_resp(s);
  memcpy(&s->resp_hs, &hs, sizeof hs);
  s->resp_ms = now;
  s->resp_peer = sender_node;
  s->resp_remote_index = sender_index;
  s->resp_active = 1;
  s->stats.rx_initiation++;
  rx->kind = SGP_RX_INITIATION;
  rx->peer = sender_node;
  rx->payload = out + SGP_STAMP_BYTES;
  rx->payload_len = plen - SGP_STAMP_BYTES;
out:
  sodium_memzero(&hs, sizeof hs);
  return rc;
}

/* Step 3 of §7.11. */
static sgp_err consume_response(struct sgp_sessions *s, uint64_t now, const uint8_t *m, size_t len,
                                uint8_t *out, size_t cap, struct sgp_rx *rx) {
  struct sgp_cursor r = sgp_cursor_reader(m, len);
  uint32_t sender_index, receiver_index;
  SGP_GUARD(sgp_cursor_skip(&r, 4));
  SGP_GUARD(sgp_cursor_read_u32(&r, &sender_index));
  SGP_GUARD(sgp_cursor_read_u32(&r, &receiver_index));

  SGP_GUARD(sgp_cookie_check_mac1(m, len, s->mac1_key));
  /* SGP-REPLAY-8: only the outstanding initiation with this index, once. */
  uint32_t ref = index_lookup(s, receiver_index);
  SGP_ENSURE(ref != 0 && ref_slot(ref) == SLOT_HANDSHAKE, SGP_ERR_UNKNOWN_INDEX);
  uint32_t peer = ref_peer(ref);
  struct sgp_session_peer *p = &s->peers[peer];
  SGP_ENSURE(init_outstanding(&p->init, now) && p->init.local_index == receiver_index,
             SGP_ERR_UNKNOWN_INDEX);

  struct sgp_noise_handshake hs;
  struct sgp_noise_cipher send, recv;
  size_t plen = 0;
  sgp_err rc;
  memcpy(&hs, &p->init.hs, sizeof hs);
  memset(&send, 0, sizeof send);
  memset(&recv, 0, sizeof recv);
  /* <- e, ee, se */
  rc = sgp_noise_read_message(&hs, m + NOISE_OFF, len - NOISE_OFF - MACS_BYTES, out, cap, &plen);
  if (rc != SGP_OK) goto out;
  /* Split: the initiator sends with k1, receives with k2 (SGP-XPORT-23). */
  if ((rc = sgp_noise_split(&hs, &send, &recv)) != SGP_OK) goto out;

  /* commit: the new session is current at once; the handshake index
   * becomes the session's (SGP-XPORT-5: the handshake state is wiped). */
  uint8_t k = alloc_slot(s, peer);
  install(&p->slot[k], &send, &recv, receiver_index, sender_index, 1, now);
  drop_init(s, p, 1);
  index_set(s, receiver_index, ref_make(peer, k));
  make_current(s, peer, k);
  s->stats.rx_response++;
  rx->kind = SGP_RX_RESPONSE;
  rx->peer = peer;
  rx->session = receiver_index;
  rx->payload = out;
  rx->payload_len = plen;
out:
  sodium_memzero(&hs, sizeof hs);
  sodium_memzero(&send, sizeof send);
  sodium_memzero(&recv, sizeof recv);
  return rc;
}

/* Step 4 of §7.11 (SGP-XPORT-48). */
static sgp_err consume_cookie(struct sgp_sessions *s, uint64_t now, const uint8_t *m, size_t len,
                              struct sgp_rx *rx) {
  uint32_t receiver_index;
  SGP_GUARD(sgp_cookie_reply_index(m, len, &receiver_index));
  uint32_t ref = index_lookup(s, receiver_index);
  SGP_ENSURE(ref != 0 && ref_slot(ref) == SLOT_HANDSHAKE, SGP_ERR_UNKNOWN_INDEX);
  uint32_t peer = ref_peer(ref);
  struct sgp_session_peer *p = &s->peers[peer];
  SGP_ENSURE(init_outstanding(&p->init, now), SGP_ERR_UNKNOWN_INDEX);

  uint8_t key[SGP_MAC_KEY_BYTES], cookie[SGP_MAC_BYTES];
  sgp_cookie_reply_key(key, s->dh_pk[peer]);
  sgp_err rc = sgp_cookie_reply_open(m, len, key, p->init.mac1, cookie);
  if (rc == SGP_OK) {
    memcpy(p->cookie, cookie, sizeof cookie);
    p->cookie_ms = now;
    p->has_cookie = 1;
    s->stats.rx_cookie++;
    rx->kind = SGP_RX_COOKIE;
    rx->peer = peer;
  }
  sodium_memzero(cookie, sizeof cookie);
  return rc;
}

/* Step 5 of §7.11. */
static sgp_err consume_data(struct sgp_sessions *s, uint64_t now, const uint8_t *m, size_t len,
                            uint8_t *out, size_t cap, struct sgp_rx *rx) {
  struct sgp_cursor r = sgp_cursor_reader(m, len);
  uint8_t flags;
  uint32_t receiver_index;
  uint64_t counter;
  const uint8_t *fhdr;
  SGP_GUARD(sgp_cursor_skip(&r, 1));
  SGP_GUARD(sgp_cursor_read_u8(&r, &flags));
  SGP_GUARD(sgp_cursor_skip(&r, 2));
  SGP_GUARD(sgp_cursor_read_u32(&r, &receiver_index));
  SGP_GUARD(sgp_cursor_read_u64(&r, &counter));
  SGP_GUARD(sgp_cursor_take(&r, &fhdr, SGP_DATA_FHDR_BYTES));

  uint32_t ref = index_lookup(s, receiver_index);
  SGP_ENSURE(ref != 0 && ref_slot(ref) != SLOT_HANDSHAKE, SGP_ERR_UNKNOWN_INDEX);
  uint32_t peer = ref_peer(ref);
  struct sgp_session_peer *p = &s->peers[peer];
  uint8_t k = (uint8_t)ref_slot(ref);
  struct sgp_session *x = &p->slot[k];
  uint64_t a = age(now, x->created_ms);
  /* Whatever the tick has not yet removed counts as removed. */
  SGP_ENSURE(!(x->state == ST_PENDING && a >= SGP_REKEY_TIMEOUT_MS), SGP_ERR_UNKNOWN_INDEX);
  SGP_ENSURE(a < SGP_SESSION_WIPE_TIME_MS, SGP_ERR_UNKNOWN_INDEX);
  SGP_ENSURE(x->state != ST_DEAD && a < SGP_REJECT_AFTER_TIME_MS, SGP_ERR_EXPIRED); /* -35 */
  SGP_ENSURE(counter < SGP_REJECT_AFTER_MESSAGES, SGP_ERR_EXHAUSTED); /* SGP-REPLAY-2 */
  SGP_GUARD(sgp_replay_check(&x->window, counter));                   /* SGP-REPLAY-4 */

  size_t plen = 0;
  sgp_err rc =
      sgp_noise_decrypt_at(&x->recv, counter, m, SGP_DATA_HDR_BYTES, m + SGP_DATA_HDR_BYTES,
                           len - SGP_DATA_HDR_BYTES, out, cap, &plen);
  if (rc == SGP_ERR_NO_SPACE || rc == SGP_ERR_INVALID_ARG) return rc;
  SGP_ENSURE(rc == SGP_OK, SGP_ERR_AUTH);
  /* SGP-XPORT-32, before anything is committed (see the file comment). */
  int keepalive = frag_count_of(fhdr) == 0;
  SGP_ENSURE(!keepalive || is_keepalive(flags, fhdr, plen), SGP_ERR_KEEPALIVE);

  /* commit: window only after the tag verified (SGP-REPLAY-1) */
  SGP_GUARD(sgp_replay_update(&x->window, counter));
  if (x->state == ST_PENDING) { /* SGP-XPORT-27 */
    p->pend = SGP_SESSION_NO_SLOT;
    make_current(s, peer, k);
    s->stats.session_confirmed++;
    rx->confirmed = 1;
  }
  rx->kind = keepalive ? SGP_RX_KEEPALIVE : SGP_RX_DATA;
  rx->peer = peer;
  rx->session = receiver_index;
  rx->counter = counter;
  rx->flags = flags;
  memcpy(rx->frag_hdr, fhdr, SGP_DATA_FHDR_BYTES);
  rx->payload = out;
  rx->payload_len = plen;
  if (keepalive)
    s->stats.rx_keepalive++;
  else
    s->stats.rx_data++;
  return SGP_OK;
}

/* Step 1 of §7.11 (SGP-XPORT-13): size, type, minimum, reserved bytes. */
static sgp_err check_layout(const uint8_t *m, size_t len, uint8_t *type) {
  struct sgp_cursor r = sgp_cursor_reader(m, len);
  uint8_t t, b1;
  uint16_t b23;
  size_t min;
  SGP_ENSURE(len <= SGP_DGRAM_MAX, SGP_ERR_TOO_LARGE);
  SGP_GUARD(sgp_cursor_read_u8(&r, &t));
  *type = t;
  switch (t) {
    case SGP_MSG_INITIATION:
      min = SGP_INITIATION_MIN;
      break;
    case SGP_MSG_RESPONSE:
      min = SGP_RESPONSE_MIN;
      break;
    case SGP_MSG_COOKIE_REPLY:
      min = SGP_COOKIE_REPLY_BYTES;
      break;
    case SGP_MSG_DATA:
      min = SGP_DATA_MIN;
      break;
    default:
      return SGP_ERR_DGRAM_TYPE;
  }
  SGP_ENSURE(len >= min, SGP_ERR_TRUNCATED);
  SGP_ENSURE(t != SGP_MSG_COOKIE_REPLY || len == min, SGP_ERR_TRAILING); /* SGP-XPORT-47 */
  SGP_GUARD(sgp_cursor_read_u8(&r, &b1));
  SGP_GUARD(sgp_cursor_read_u16(&r, &b23));
  /* For data, byte 1 is the flags byte: 0x00, 0x01 (AONT) or 0x03 (AONT +
   * PARITY) are defined (SGP-JIG-1); anything else is drop_reserved here,
   * before any crypto. */
  SGP_ENSURE(t == SGP_MSG_DATA ? flags_defined(b1) : b1 == 0, SGP_ERR_RESERVED);
  SGP_ENSURE(b23 == 0, SGP_ERR_RESERVED);
  return SGP_OK;
}

/* Plaintext bytes a valid datagram of this type and length yields. */
static size_t payload_room(uint8_t type, size_t len) {
  switch (type) {
    case SGP_MSG_INITIATION:
    case SGP_MSG_RESPONSE:
      return len - SGP_RESPONSE_MIN; /* stamp + SYN, or ACK */
    case SGP_MSG_DATA:
      return len - SGP_DATA_MIN;
    default:
      return 0;
  }
}

sgp_err sgp_session_recv(struct sgp_sessions *s, uint64_t now_ms, const uint8_t *dgram, size_t len,
                         const uint8_t *src, size_t src_len, uint8_t *out, size_t cap,
                         struct sgp_rx *rx) {
  SGP_ENSURE(s && rx && (dgram || !len) && (src || !src_len), SGP_ERR_INVALID_ARG);
  memset(rx, 0, sizeof *rx);
  uint8_t type = 0;
  sgp_err rc = check_layout(dgram, len, &type);
  if (rc == SGP_OK) {
    size_t room = payload_room(type, len);
    if (room && (!out || cap < room)) return SGP_ERR_NO_SPACE;
    switch (type) {
      case SGP_MSG_INITIATION:
        rc = consume_initiation(s, now_ms, dgram, len, src, src_len, out, cap, rx);
        break;
      case SGP_MSG_RESPONSE:
        rc = consume_response(s, now_ms, dgram, len, out, cap, rx);
        break;
      case SGP_MSG_COOKIE_REPLY:
        rc = consume_cookie(s, now_ms, dgram, len, rx);
        break;
      default:
        rc = consume_data(s, now_ms, dgram, len, out, cap, rx);
        break;
    }
  }
  if (rc != SGP_OK) {
    count_drop(&s->stats, type, rc);
    /* Nothing but a cookie reply leaves a failed call (SGP-XPORT-50). */
    uint8_t reply[SGP_COOKIE_REPLY_BYTES];
    size_t reply_len = rc == SGP_ERR_COOKIE ? rx->reply_len : 0;
    memcpy(reply, rx->reply, sizeof reply);
    memset(rx, 0, sizeof *rx);
    if (reply_len) {
      memcpy(rx->reply, reply, sizeof reply);
      rx->reply_len = reply_len;
    }
  }
  return rc;
}

/* ---- timers --------------------------------------------------------------- */

static void tick_peer(struct sgp_sessions *s, uint32_t peer, uint64_t now) {
  struct sgp_session_peer *p = &s->peers[peer];
  for (unsigned k = 0; k < SGP_SESSION_SLOTS; k++) {
    struct sgp_session *x = &p->slot[k];
    uint64_t a = age(now, x->created_ms);
    if (x->state == ST_PENDING && a >= SGP_REKEY_TIMEOUT_MS) {
      discard(s, peer, (uint8_t)k); /* SGP-XPORT-28 */
    } else if (x->state == ST_LIVE && a >= SGP_REJECT_AFTER_TIME_MS) {
      expire(s, peer, x); /* SGP-XPORT-35, -36 */
    }
    if (x->state == ST_DEAD && a >= SGP_SESSION_WIPE_TIME_MS) discard(s, peer, (uint8_t)k);
  }
  if (p->init.active && age(now, p->init.first_ms) >= SGP_REKEY_ATTEMPT_TIME_MS) {
    drop_init(s, p, 0); /* SGP-XPORT-37: give up */
    s->stats.handshake_gave_up++;
  }
  if (p->has_cookie && age(now, p->cookie_ms) >= SGP_COOKIE_USE_TIME_MS) {
    sodium_memzero(p->cookie, sizeof p->cookie);
    p->cookie_ms = 0;
    p->has_cookie = 0;
  }
}

sgp_err sgp_session_tick(struct sgp_sessions *s, uint64_t now_ms, uint32_t *due, size_t due_cap,
                         size_t *due_count) {
  SGP_ENSURE(s && due_count && (due || !due_cap), SGP_ERR_INVALID_ARG);
  *due_count = 0;
  if (sgp_cookie_checker_rotate(&s->cookie, s->rng, s->rng_ctx, now_ms)) /* SGP-XPORT-46 */
    s->stats.cookie_rotated++;
  if (s->resp_active && age(now_ms, s->resp_ms) >= SGP_REKEY_TIMEOUT_MS) drop_resp(s);
  for (uint32_t peer = 0; peer < s->n; peer++) {
    if (peer == s->self) continue;
    tick_peer(s, peer, now_ms);
    const struct sgp_session_peer *p = &s->peers[peer];
    if (p->init.active && now_ms >= p->init.retry_ms && *due_count < due_cap)
      due[(*due_count)++] = peer;
  }
  return SGP_OK;
}
