/* The node engine (spec §11, §5.4, §7.11): one SGP node as a pure state
 * machine.  It composes state.h (reports, merge, tick), consensus.h
 * (verdicts), session.h (Noise sessions), fragment.h (fragmenter and
 * reassembler), jigsaw.h and carrier.h.  sgpd, the stateful fuzz target,
 * the conformance testee and the adversarial peer all drive this module.
 *
 * Contract:
 *  - Pure: no I/O, no malloc, no clock.  Time is the caller's monotonic
 *    now_ms (SGP-NODE-5); all randomness (round jitter, peer choice,
 *    session keys and indices, AONT keys, generated covers) comes from the
 *    config's rng (randombytes_buf in sgpd, SGP-SEC-6).  Output datagrams
 *    leave through the config's send callback, events through its event
 *    callback; both are called synchronously from inside recv/poll and
 *    must not call back into the node.
 *  - Memory: the caller provides one 8-byte aligned block of
 *    sgp_node_mem_size(cfg) bytes (state, sessions, reassembler, the two
 *    gossip packet structs of about 750 KiB each, the message buffers);
 *    struct sgp_node itself is small (about 3 KiB).  Resident memory is
 *    dominated by the reassembler, which clears its whole block
 *    (reasm_global_bytes, 8 MiB by default) at init.  The roster and the key given in the
 *    config are copied where needed: neither must outlive sgp_node_init
 *    except cfg->roster, whose key arrays are borrowed and must outlive
 *    the node.  sgp_node_destroy wipes every secret.
 *  - Rounds (§11): poll runs a round when its deadline has passed: apply
 *    the latest agent values (sgp_node_set_local), tick, recompute the
 *    verdicts, then start one exchange with a peer drawn uniformly from
 *    the other n-1 roster nodes (SGP-NODE-3, -4, SGP-TICK-7, SGP-XCHG-7).
 *    A round lasts t_gossip_ms * (0.9 + 0.2 u), u uniform in [0, 1) from
 *    the rng.  A caller that falls behind gets one round per poll and the
 *    schedule restarts from now_ms (rounds are never bunched).  Every
 *    SGP_NODE_TIMER_MS poll also runs the transport timers (handshake
 *    retransmission with a fresh SYN after HANDSHAKE_RETRY =
 *    sgp_session_retry_ms(t_gossip_ms), SGP-XPORT-37; session expiry,
 *    cookie rotation) and
 *    the reassembly timeout.  sgp_node_next_deadline says when to poll.
 *  - Exchange (§5.4): with a current session the SYN goes as a data
 *    message; otherwise a handshake starts with the SYN in the initiation
 *    payload if it fits (1100 bytes) or with an empty payload, the SYN then
 *    following as data once the response arrived.  A responder puts the ACK
 *    in the response if it fits (1108 bytes), else sends it as data when
 *    the session is confirmed (SGP-XPORT-29).  DELTAs always go as data.
 *    Jigsaw applies to data messages only (SGP-JIG-6); all fragments of a
 *    message go out on one session (SGP-FRAG-3); every sealed datagram is
 *    wrapped in the configured carrier (SGP-CARRIER-2).
 *  - Receive path: carrier unwrap (any v1 carrier is accepted,
 *    SGP-CARRIER-3) -> sgp_session_recv -> (data) reassembler -> jigsaw
 *    inverse -> packet decode -> Packet.sender == authenticated peer
 *    (SGP_ERR_SENDER, SGP-XCHG-11, SGP-FRAG-15) -> kind allowed where it
 *    arrived (initiation: SYN, response: ACK; SGP_ERR_KIND) -> per-peer
 *    per-round limits (2 SYN, 4 ACK/DELTA; SGP_ERR_RATE_LIMITED,
 *    SGP-XCHG-13) -> answer / merge.  An ACK is answered with a DELTA only
 *    if it answers a SYN this node sent to that peer in the current or the
 *    previous round, and at most once per SYN (SGP-XCHG-12).  Cookie
 *    replies go to the datagram's source address (peer SGP_NODE_TO_SRC),
 *    everything else to the roster id (SGP-XPORT-33).
 *  - Rejected input changes nothing beyond counters (SGP-NODE-13):
 *    sgp_node_recv returns the reason, counts it under exactly one §7.12
 *    counter (stats.drop[], SGP-XPORT-51) and emits SGP_NODE_EV_DROP for
 *    every drop (the caller rate-limits its logs, SGP-NODE-12); the only
 *    exception is what the spec
 *    allows the layers below (rate-limit tokens, SGP-XPORT-21: a gossip
 *    packet that fails inside an accepted handshake does not undo the
 *    handshake).
 *  - Generation jump (SGP-MERGE-9, SGP-STATE-5): when a merge raises the
 *    own generation, the node emits SGP_NODE_EV_GENERATION with the new
 *    value and PAUSES: until the caller has persisted that generation
 *    (atomic write + fsync, §2.5) and called sgp_node_generation_persisted,
 *    it sends no gossip packet at all (no SYN, ACK or DELTA; handshakes
 *    are still answered with an empty payload, keepalives still flow) and
 *    starts no exchange, while rounds, ticks, merges and verdicts go on.
 *    If persisting fails the caller must stop (SGP-NODE-14).  A further
 *    jump while paused just raises the pending value (persist the value of
 *    the latest event; an older value is refused with SGP_ERR_STATE).
 *  - Fatal: a tick failing with SGP_ERR_EXHAUSTED (seq space) makes poll
 *    return SGP_ERR_EXHAUSTED (event SGP_NODE_EV_FATAL); the caller must
 *    exit and restart with a new generation (SGP-TICK-6, SGP-NODE-14).
 *    The node is then stuck: every later poll and recv returns the same
 *    error and nothing is sent.  (A packet whose own-origin report would
 *    need a generation above 2^32-1 is only a rejected packet,
 *    SGP-MERGE-10.)
 *  - The node keeps pointers into struct sgp_node (session discard hook):
 *    do not move it after sgp_node_init.
 *  - Not thread-safe: one node, one loop.
 */
#ifndef SGP_NODE_H
#define SGP_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/carrier.h"
#include "sgp/consensus.h"
#include "sgp/fragment.h"
#include "sgp/keys.h"
#include "sgp/result.h"
#include "sgp/roster.h"
#include "sgp/session.h"
#include "sgp/state.h"

/* The send callback's `peer` for a datagram that goes to the source address
 * of the datagram being processed (cookie replies, SGP-XPORT-33/45). */
#define SGP_NODE_TO_SRC UINT32_MAX

enum {
  SGP_NODE_TIMER_MS = 100,     /* transport / reassembly timer period */
  SGP_NODE_OWED_ACKS = 64,     /* SYNs whose ACK waits for confirmation (XPORT-29) */
  SGP_NODE_ERR_CODES = 128,    /* size of drop_packet[], indexed by sgp_err value */
  SGP_NODE_SYN_PER_ROUND = 2,  /* SGP-XCHG-13 */
  SGP_NODE_DATA_PER_ROUND = 4, /* SGP-XCHG-13: ACK or DELTA */
};

/* ---- events (for logs) ---- */

enum sgp_node_event_kind {
  SGP_NODE_EV_ROUND = 1,      /* round: new round number, peer = chosen peer (or none) */
  SGP_NODE_EV_VERDICT = 2,    /* node, old, verdict, + evidence of node's held report */
  SGP_NODE_EV_HANDSHAKE = 3,  /* peer: a session became current (either side) */
  SGP_NODE_EV_MERGE = 4,      /* peer, kind, merge counts (adopted/stale/tie) */
  SGP_NODE_EV_GENERATION = 5, /* generation: raised own generation, persist it (see above) */
  SGP_NODE_EV_DROP = 6,       /* drop, err (peer if known, else SGP_NODE_NO_PEER) */
  SGP_NODE_EV_FATAL = 7,      /* err: SGP_ERR_EXHAUSTED, the caller must restart */
};
#define SGP_NODE_NO_PEER UINT32_MAX

/* The §7.12 counters: every dropped datagram, fragment, message or packet
 * is counted under exactly one of them (SGP-XPORT-51). */
enum sgp_node_drop {
  SGP_NODE_DROP_SIZE,
  SGP_NODE_DROP_TYPE,
  SGP_NODE_DROP_RESERVED,
  SGP_NODE_DROP_MAC1,
  SGP_NODE_DROP_COOKIE,
  SGP_NODE_DROP_UNKNOWN_PEER,
  SGP_NODE_DROP_RATE,
  SGP_NODE_DROP_HANDSHAKE,
  SGP_NODE_DROP_STAMP,
  SGP_NODE_DROP_CROSSING,
  SGP_NODE_DROP_UNKNOWN_INDEX,
  SGP_NODE_DROP_EXPIRED,
  SGP_NODE_DROP_AUTH,
  SGP_NODE_DROP_REPLAY,
  SGP_NODE_DROP_KEEPALIVE,
  SGP_NODE_DROP_FRAG,
  SGP_NODE_DROP_FRAG_MESSAGE,
  SGP_NODE_DROP_CARRIER,
  SGP_NODE_DROP_PACKET, /* broken down by code in drop_packet[] */
  SGP_NODE_DROP_COUNT
};
/* "size", "type", ..., "frag_message", "carrier", "packet" (the spec's
 * counter name without "drop_"); "?" out of range. */
const char *sgp_node_drop_name(enum sgp_node_drop d);

struct sgp_node_event {
  enum sgp_node_event_kind kind;
  uint64_t round;                   /* the node's round when it happened */
  uint32_t peer;                    /* ROUND, HANDSHAKE, MERGE, DROP (SGP_NODE_NO_PEER if none) */
  uint32_t node;                    /* VERDICT: the node whose verdict changed */
  sgp_verdict old_verdict, verdict; /* VERDICT */
  uint32_t gen, seq, suspicion;     /* VERDICT: node's held report (0 if none) */
  uint32_t generation;              /* GENERATION: the value to persist */
  int alarm;                        /* GENERATION: after the first round (SGP-MERGE-14) */
  uint32_t packet_kind;             /* MERGE: sgp_v1_Kind of the merged packet */
  struct sgp_merge_result merge;    /* MERGE */
  enum sgp_node_drop drop;          /* DROP */
  sgp_err err;                      /* DROP, FATAL */
  /* HANDSHAKE: the session that just became current (its indices and
   * transport keys), valid only during the callback.  For an opt-in key
   * log (sgpd `keylog`); never log it.  Emitted before any data is sealed
   * on that session. */
  const struct sgp_session *session;
};

/* ---- statistics (every counter, for metrics) ---- */

struct sgp_node_stats {
  /* datagrams */
  uint64_t rx_datagrams, rx_bytes; /* handed to sgp_node_recv */
  uint64_t rx_accepted;            /* passed the carrier and session layers */
  uint64_t tx_datagrams, tx_bytes; /* frames given to the send callback */
  uint64_t tx_errors;              /* a datagram could not be built (seal, wrap) */
  /* drops (§7.12); drop_packet[code] breaks SGP_NODE_DROP_PACKET down */
  uint64_t drop[SGP_NODE_DROP_COUNT];
  uint64_t drop_packet[SGP_NODE_ERR_CODES];
  /* exchange */
  uint64_t rounds, exchanges_started, exchanges_skipped; /* skipped: rate limit, paused */
  uint64_t syn_sent, ack_sent, delta_sent, keepalive_sent;
  uint64_t syn_received, ack_received, delta_received;
  uint64_t ack_unanswered;             /* ACK that answers no SYN of ours (SGP-XCHG-12) */
  uint64_t ack_owed, ack_owed_dropped; /* ACKs waiting for confirmation / given up */
  uint64_t handshakes;                 /* sessions that became current */
  uint64_t packets_merged, verdict_changes, generation_jumps;
  uint64_t paused_sends; /* gossip packets not sent while a generation is unpersisted */
  /* the layers' own counters (borrowed from the node's members) */
  const struct sgp_stats *state;
  const struct sgp_session_stats *session;
  const struct sgp_reasm_stats *reasm;
};

/* ---- configuration ---- */

struct sgp_node_config {
  struct sgp_params params;         /* validated; params.n must equal roster->n */
  uint32_t self;                    /* own roster id; key->node must equal it */
  uint32_t generation;              /* persisted start generation (>= 1, SGP-STATE-3) */
  const struct sgp_roster *roster;  /* key arrays borrowed for the node's lifetime */
  const struct sgp_secret_key *key; /* copied; the caller wipes its own copy */
  uint32_t t_gossip_ms;             /* 100..60000 */
  size_t budget;                    /* 0 = SGP_DEFAULT_BUDGET, else 1024..262144 */
  uint8_t jigsaw;                   /* flags value: 0 off, 1 aont, 3 aont+parity */
  enum sgp_carrier_kind carrier;    /* sending carrier (SGP-CARRIER-2) */
  size_t reasm_global_bytes;        /* 0 = default (8 MiB), else 1 MiB..1 GiB */
  sgp_session_rng rng;              /* required: CSPRNG (randombytes_buf) */
  void *rng_ctx;
  /* required: one carrier frame to roster node `peer` (its roster address),
   * or to the source address src (sgp_cookie_addr form, src_len bytes) of
   * the datagram being processed when peer == SGP_NODE_TO_SRC. */
  void (*send)(void *ctx, uint32_t peer, const uint8_t *src, size_t src_len, const uint8_t *dgram,
               size_t len);
  void *send_ctx;
  /* optional */
  void (*event)(void *ctx, const struct sgp_node_event *ev);
  void *event_ctx;
};

/* ---- the node (caller-allocated; members public for status output) ---- */

struct sgp_node_peer; /* per-peer exchange bookkeeping, in the caller's block */
struct sgp_node_owed; /* an ACK owed as data (SGP-XPORT-29) */

struct sgp_node {
  struct sgp_node_config cfg;
  struct sgp_state state;       /* reports, ages, round (read-only for callers) */
  struct sgp_sessions sessions; /* per-peer transport sessions (read-only) */
  struct sgp_reasm reasm;       /* reassembler (read-only) */
  sgp_verdict *verdicts;        /* [n], current verdicts */
  sgp_verdict *verdicts_new;    /* [n], scratch */
  struct sgp_node_peer *peers;  /* [n] */
  struct sgp_node_owed *owed;   /* [SGP_NODE_OWED_ACKS] */
  uint32_t owed_free;           /* head of the free list of owed */
  sgp_packet *pkt_rx, *pkt_tx;  /* the two big packet structs */
  uint8_t *enc;                 /* SGP_MAX_PACKET: encoded packet to send */
  uint8_t *msg_tx;              /* SGP_FRAG_MAX_MESSAGE: jigsaw output */
  uint8_t *msg_rx;              /* SGP_FRAG_MAX_MESSAGE: reassembled message */
  uint8_t *dgram_tx, *dgram_rx; /* SGP_DGRAM_MAX: sealed datagram out / carrier payload in */
  uint8_t *pt_rx;               /* SGP_DGRAM_MAX: decrypted payload in */
  uint8_t *frame;               /* largest carrier frame */
  size_t frame_cap;
  void *mem; /* the caller's block */
  size_t mem_len;
  uint64_t reasm_silent_seen; /* reassembler evictions + timeouts counted so far */
  uint8_t sign_sk[64];        /* own Ed25519 secret (wiped by destroy) */
  uint64_t now_ms;            /* time of the call in progress */
  uint64_t next_round_ms, next_timer_ms;
  uint32_t pending_generation; /* != 0: raised, not yet persisted (paused) */
  sgp_err fatal;               /* sticky SGP_ERR_EXHAUSTED */
  const uint8_t *src;          /* source of the datagram in progress */
  size_t src_len;
  struct sgp_node_stats stats;
};

/* ---- API ---- */

/* Bytes of caller memory for this config (0 if it is invalid). */
size_t sgp_node_mem_size(const struct sgp_node_config *c);

/* Validates the config (SGP_ERR_RANGE for parameters outside §1.4,
 * SGP_ERR_INVALID_ARG for NULLs, a roster of another size, a bad jigsaw
 * value or carrier, SGP_ERR_NODE_ID / SGP_ERR_KEY_MISMATCH when the key is
 * not the roster's entry `self`), lays out mem (SGP_ERR_NO_SPACE if
 * len < sgp_node_mem_size, SGP_ERR_INVALID_ARG if not 8-byte aligned),
 * signs the first own report and schedules the first round one jittered
 * round length after now_ms.  sodium_init must have run. */
SGP_MUST_CHECK sgp_err sgp_node_init(struct sgp_node *nd, const struct sgp_node_config *c,
                                     void *mem, size_t len, uint64_t now_ms);
/* Wipes every secret (session keys, static keys, signing key) and the
 * caller's block. */
void sgp_node_destroy(struct sgp_node *nd);

/* Agent values; they take effect at the next round's tick (SGP-TICK-8).
 * SGP_ERR_RANGE for values out of range (nothing changes). */
SGP_MUST_CHECK sgp_err sgp_node_set_local(struct sgp_node *nd, uint32_t suspicion,
                                          const uint16_t sub[5]);

/* One UDP payload from source address src (sgp_cookie_addr form).  Returns
 * SGP_OK when it was accepted (a fragment stored, a packet merged or
 * answered, a handshake message processed), else the reason it was dropped
 * (also counted and reported as SGP_NODE_EV_DROP); may send datagrams.
 * A datagram whose transport part was accepted but whose gossip packet was
 * rejected returns the packet's error. */
SGP_MUST_CHECK sgp_err sgp_node_recv(struct sgp_node *nd, uint64_t now_ms, const uint8_t *src,
                                     size_t src_len, const uint8_t *dgram, size_t len);

/* Runs what is due at now_ms: at most one round, the timers.  SGP_OK, or
 * SGP_ERR_EXHAUSTED (fatal, see above). */
SGP_MUST_CHECK sgp_err sgp_node_poll(struct sgp_node *nd, uint64_t now_ms);

/* Earliest time poll has work (next round or timer). */
uint64_t sgp_node_next_deadline(const struct sgp_node *nd);

/* The caller persisted `generation` (the value of the last
 * SGP_NODE_EV_GENERATION event): sending resumes.  SGP_ERR_STATE if no
 * jump is pending or generation is not the pending value. */
SGP_MUST_CHECK sgp_err sgp_node_generation_persisted(struct sgp_node *nd, uint32_t generation);
/* The pending raised generation, 0 if none (sending is paused while != 0). */
uint32_t sgp_node_generation_pending(const struct sgp_node *nd);

/* Accessors for status output. */
sgp_verdict sgp_node_verdict(const struct sgp_node *nd, uint32_t j); /* UNKNOWN if j >= n */
uint32_t sgp_node_generation(const struct sgp_node *nd);             /* own report's generation */
uint64_t sgp_node_round(const struct sgp_node *nd);
const struct sgp_node_stats *sgp_node_stats(const struct sgp_node *nd);

#endif
