/* Per-peer session layer of the SGP transport (spec §7): Noise_KK
 * handshakes with the layouts of §7.4, sessions (§7.5), data messages
 * (§7.6), replay protection (§7.7), timers (§7.8), crossing handshakes
 * (§7.9), rate limits and cookies (§7.10), the receive order of §7.11 and
 * the drop counters of §7.12.
 *
 * Contract:
 *  - Pure: bytes in, bytes out.  Time is the caller's monotonic clock
 *    (now_ms, SGP-NODE-5); randomness comes from the RNG callback given at
 *    init (ephemeral keys, session indices, jitter, cookie secret and
 *    nonces); production callers pass randombytes_buf (SGP-SEC-6).  No
 *    allocation: the caller provides the per-peer array (n entries) and the
 *    index table (sgp_session_index_cap(n) entries), both kept for the
 *    lifetime of the layer (§12.3: everything is keyed by roster id and
 *    sized at start).
 *  - Rejection changes no state.  sgp_session_recv runs every check on the
 *    datagram and on scratch copies (handshake state, cipher output) first
 *    and commits at the end, WireGuard-style; on any error the only changes
 *    are the drop counter of §7.12 and, for initiations, the tokens §7.11
 *    allows a check to consume (load, peer and cookie-reply buckets).
 *  - Every rejection returns a named code; the mapping to counters is
 *    (SGP-XPORT-51):
 *      drop_size          SGP_ERR_TOO_LARGE, SGP_ERR_TRUNCATED, SGP_ERR_TRAILING
 *      drop_type          SGP_ERR_DGRAM_TYPE
 *      drop_reserved      SGP_ERR_RESERVED
 *      drop_mac1          SGP_ERR_MAC1
 *      drop_cookie        SGP_ERR_COOKIE
 *      drop_unknown_peer  SGP_ERR_NODE_ID (sender_node >= n), SGP_ERR_SENDER (== self)
 *      drop_rate          SGP_ERR_RATE_LIMITED
 *      drop_handshake     SGP_ERR_CRYPTO (Noise tag mismatch, all-zero DH)
 *      drop_stamp         SGP_ERR_REPLAY on an initiation (stamp not newer)
 *      drop_crossing      SGP_ERR_CROSSING
 *      drop_unknown_index SGP_ERR_UNKNOWN_INDEX
 *      drop_expired       SGP_ERR_EXPIRED (session age), SGP_ERR_EXHAUSTED (counter)
 *      drop_auth          SGP_ERR_AUTH (data message or cookie reply tag)
 *      drop_replay        SGP_ERR_REPLAY, SGP_ERR_TOO_OLD on a data message
 *      drop_keepalive     SGP_ERR_KEEPALIVE
 *    Caller errors (SGP_ERR_INVALID_ARG, SGP_ERR_NO_SPACE) are not drops.
 *  - Secrets (static key copy, handshake states, session keys, cookie
 *    secrets) are wiped with sodium_memzero when a handshake completes or is
 *    abandoned, when a session is discarded or expires, and by
 *    sgp_session_destroy.
 *  - Not thread-safe: one layer per node, driven by one loop.
 *
 * Driving it (the node loop, spec §11):
 *   have a message for peer p:   st = sgp_session_status(p)
 *     st & CAN_SEND:             fragments -> sgp_session_seal (keepalive: sgp_session_keepalive)
 *     st & NEEDS_HANDSHAKE and st & MAY_INITIATE: sgp_session_initiate(p, SYN)
 *   datagram in:                 sgp_session_recv -> rx.kind
 *     INITIATION:  decode rx.payload (SYN), build the ACK, sgp_session_respond (at once)
 *     RESPONSE:    merge the ACK, then send the DELTA or a keepalive (SGP-XPORT-26)
 *     DATA:        hand (rx.flags, rx.frag_hdr, payload) to the reassembler (§8)
 *   every ~100 ms:               sgp_session_tick -> peers due for retransmission
 *                                (HANDSHAKE_RETRY + jitter after the last attempt while
 *                                the first is younger than REKEY_TIMEOUT, then
 *                                REKEY_TIMEOUT + jitter, SGP-XPORT-37):
 *                                sgp_session_initiate(p, fresh SYN) for each
 */
#ifndef SGP_SESSION_H
#define SGP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/cookie.h"
#include "sgp/noise.h"
#include "sgp/ratelimit.h"
#include "sgp/replay.h"
#include "sgp/result.h"

/* ---- wire constants (spec §7.1, §7.4, §7.6) ------------------------------ */
enum {
  SGP_DGRAM_MAX = 1200, /* every sealed datagram (SGP-XPORT-12) */

  SGP_MSG_INITIATION = 1,
  SGP_MSG_RESPONSE = 2,
  /* 3 is SGP_MSG_COOKIE_REPLY (cookie.h) */
  SGP_MSG_DATA = 4,

  SGP_INITIATION_MIN = 100, /* + G, G <= SGP_SYN_MAX */
  SGP_RESPONSE_MIN = 92,    /* + G, G <= SGP_ACK_MAX */
  SGP_DATA_MIN = 42,        /* + L, L <= SGP_DATA_PT_MAX */
  SGP_SYN_MAX = 1100,
  SGP_ACK_MAX = 1108,
  SGP_STAMP_BYTES = 8,

  SGP_DATA_HDR_BYTES = 26,    /* bytes [0, 26): the AEAD associated data */
  SGP_DATA_FHDR_OFF = 16,     /* fragment header (spec §8.1) at [16, 26) */
  SGP_DATA_FHDR_BYTES = 10,   /* msg_id u32, frag_index u8, frag_count u8, total_len u32 */
  SGP_DATA_PT_MAX = 1158,     /* FRAG_DATA = 1200 - 26 - 16 */
  SGP_DATA_FLAGS_MASK = 0x03, /* bit 0 AONT, bit 1 PARITY: values 0x00, 0x01, 0x03 */
};

/* ---- timers (spec §7.8), milliseconds ------------------------------------ */
#define SGP_REKEY_AFTER_TIME_MS 120000u
#define SGP_REJECT_AFTER_TIME_MS 180000u
#define SGP_REKEY_TIMEOUT_MS 5000u
#define SGP_REKEY_JITTER_MAX_MS 333u /* jitter uniform in [0, 333] */
/* HANDSHAKE_RETRY (SGP-XPORT-37, -38): min(REKEY_TIMEOUT, max(1 s,
 * T_gossip)); the floor keeps a sender within the responder's peer bucket
 * (1/s, SGP-XPORT-43). */
#define SGP_HANDSHAKE_RETRY_MIN_MS 1000u
#define SGP_REKEY_ATTEMPT_TIME_MS 90000u
#define SGP_SESSION_WIPE_TIME_MS 540000u
#define SGP_REKEY_AFTER_MESSAGES (UINT64_C(1) << 60)
#define SGP_REJECT_AFTER_MESSAGES SGP_REPLAY_REJECT_AFTER

/* ---- buckets (spec §7.10) ------------------------------------------------ */
#define SGP_PEER_BUCKET_RATE 1u
#define SGP_PEER_BUCKET_BURST 5u
#define SGP_LOAD_BUCKET_RATE 100u
#define SGP_LOAD_BUCKET_BURST 100u
#define SGP_COOKIE_BUCKET_RATE 100u
#define SGP_COOKIE_BUCKET_BURST 100u

typedef void (*sgp_session_rng)(void *ctx, uint8_t *out, size_t len);

/* ---- state (caller-allocated; treat as opaque) ---------------------------- */

enum { SGP_SESSION_SLOTS = 3 }; /* pending, current, previous (SGP-XPORT-24) */

/* One session: a pair of transport keys and its receive window. */
struct sgp_session {
  struct sgp_noise_cipher send; /* has_key == 0 once wiped */
  struct sgp_noise_cipher recv;
  struct sgp_replay window;
  uint64_t created_ms; /* when Split ran */
  uint64_t send_ctr;   /* next counter to send */
  uint32_t local_index, remote_index;
  uint8_t state; /* free, pending, live, dead (keys wiped, index kept) */
  uint8_t initiator;
  uint8_t pad_[6];
};

/* The outstanding initiation to a peer (initiator side). */
struct sgp_session_handshake {
  struct sgp_noise_handshake hs;
  uint64_t first_ms; /* first attempt (REKEY_ATTEMPT_TIME) */
  uint64_t sent_ms;
  uint64_t retry_ms; /* sent_ms + HANDSHAKE_RETRY (or REKEY_TIMEOUT) + jitter */
  uint32_t local_index;
  uint8_t mac1[SGP_MAC_BYTES]; /* ad of a cookie reply */
  uint8_t active;
  uint8_t pad_[3];
};

struct sgp_session_peer {
  struct sgp_session slot[SGP_SESSION_SLOTS];
  struct sgp_session_handshake init;
  struct sgp_bucket bucket; /* peer handshake bucket */
  uint64_t last_init_ms;    /* last initiation sent (SGP-XPORT-38) */
  uint64_t stamp_max;       /* greatest accepted stamp (SGP-REPLAY-5) */
  uint64_t cookie_ms;       /* when `cookie` was received */
  uint8_t cookie[SGP_MAC_BYTES];
  uint8_t cur, prev, pend; /* slot numbers, or SGP_SESSION_NO_SLOT */
  uint8_t has_last_init, has_stamp, has_cookie;
  uint8_t pad_[2];
};
#define SGP_SESSION_NO_SLOT 0xffu

/* Index table entry: ref 0 = empty, else 1 + (peer << 2 | slot), slot 3 =
 * the outstanding initiation. */
struct sgp_session_index {
  uint32_t index;
  uint32_t ref;
};

/* Drop counters of spec §7.12 that this layer produces (the fragment,
 * carrier and packet counters belong to those layers), and what passed. */
struct sgp_session_stats {
  uint64_t drop_size, drop_type, drop_reserved, drop_mac1, drop_cookie, drop_unknown_peer,
      drop_rate, drop_handshake, drop_stamp, drop_crossing, drop_unknown_index, drop_expired,
      drop_auth, drop_replay, drop_keepalive;
  uint64_t rx_initiation, rx_response, rx_cookie, rx_data, rx_keepalive;
  uint64_t tx_initiation, tx_response, tx_cookie, tx_data;
  uint64_t handshake_abandoned, handshake_gave_up, session_confirmed, session_expired,
      session_discarded, cookie_rotated;
};

struct sgp_session_config {
  uint32_t self;              /* own node id, < n */
  uint32_t n;                 /* roster size, 1..SGP_MAX_NODES */
  const uint8_t *dh_sk;       /* own X25519 secret (copied) */
  const uint8_t (*dh_pk)[32]; /* roster dh-pk [n]; borrowed, must outlive the layer */
  uint32_t generation;        /* own generation >= 1 (stamp, SGP-REPLAY-6) */
  sgp_session_rng rng;        /* required */
  void *rng_ctx;
  struct sgp_session_peer *peers; /* [peers_cap >= n] */
  size_t peers_cap;
  struct sgp_session_index *index; /* [index_cap], a power of two >= 8n */
  size_t index_cap;
  /* HANDSHAKE_RETRY in ms: the retransmission interval during the first
   * REKEY_TIMEOUT of an attempt and the least spacing of initiations to one
   * peer (SGP-XPORT-37, -38), in
   * [SGP_HANDSHAKE_RETRY_MIN_MS, SGP_REKEY_TIMEOUT_MS]; a node passes
   * sgp_session_retry_ms(T_gossip).  0 = REKEY_TIMEOUT (a transport used
   * without gossip rounds, e.g. the vectors). */
  uint32_t retry_ms;
  /* Optional: called once per session (pending, current or previous) when
   * it stops accepting data, i.e. it expires or is discarded, so the
   * reassembler frees its state (SGP-FRAG-14, sgp_reasm_session_close). */
  void (*on_discard)(void *ctx, uint32_t peer, uint32_t local_index);
  void *discard_ctx;
};

struct sgp_sessions {
  uint32_t self, n;
  uint8_t s_sk[32], s_pk[32];
  const uint8_t (*dh_pk)[32];
  struct sgp_session_peer *peers;
  struct sgp_session_index *index;
  uint32_t index_mask, index_bits;
  uint8_t mac1_key[SGP_MAC_KEY_BYTES];  /* for messages to us */
  uint8_t reply_key[SGP_MAC_KEY_BYTES]; /* for cookie replies we send */
  struct sgp_cookie_checker cookie;
  struct sgp_bucket load, cookie_bucket;
  uint32_t generation, init_counter;
  uint32_t retry_ms; /* HANDSHAKE_RETRY */
  uint32_t pad0_;
  sgp_session_rng rng;
  void *rng_ctx;
  void (*on_discard)(void *ctx, uint32_t peer, uint32_t local_index);
  void *discard_ctx;
  /* An accepted initiation waiting for sgp_session_respond. */
  struct sgp_noise_handshake resp_hs;
  uint64_t resp_ms;
  uint32_t resp_peer, resp_remote_index;
  uint8_t resp_active;
  uint8_t pad_[7];
  struct sgp_session_stats stats;
};

/* ---- lifecycle ------------------------------------------------------------ */

/* Smallest valid index_cap for n: the power of two >= 8n (load <= 1/2 with
 * at most 4 indices per peer). */
size_t sgp_session_index_cap(uint32_t n);

/* HANDSHAKE_RETRY for a round length (spec §7.8):
 * min(REKEY_TIMEOUT, max(1 s, t_gossip_ms)). */
uint32_t sgp_session_retry_ms(uint32_t t_gossip_ms);

/* SGP_ERR_INVALID_ARG for a bad config (n, self, NULL, capacities,
 * generation 0, retry_ms neither 0 nor in [1000, 5000]); SGP_ERR_CRYPTO if
 * dh_sk gives no public key.  Draws the cookie secret. */
SGP_MUST_CHECK sgp_err sgp_session_init(struct sgp_sessions *s,
                                        const struct sgp_session_config *cfg, uint64_t now_ms);
/* Wipes every secret and the caller's arrays. */
void sgp_session_destroy(struct sgp_sessions *s);

/* ---- sending ---------------------------------------------------------------- */

enum {
  SGP_PEER_CAN_SEND = 1u << 0, /* a current session that may send */
  /* no current session and no pending one younger than HANDSHAKE_RETRY, or
   * due for rekey (SGP-XPORT-34) */
  SGP_PEER_NEEDS_HANDSHAKE = 1u << 1,
  SGP_PEER_OUTSTANDING = 1u << 2,  /* an initiation is outstanding */
  SGP_PEER_MAY_INITIATE = 1u << 3, /* sgp_session_initiate would not be rate-limited */
};
unsigned sgp_session_status(const struct sgp_sessions *s, uint32_t peer, uint64_t now_ms);

/* Writes an initiation to peer carrying syn (0..1100 bytes, an encoded SYN
 * or empty) into out; a retransmission if one is outstanding (new
 * ephemeral, stamp and index, same first-attempt time).  Errors:
 * SGP_ERR_INVALID_ARG (peer >= n or self), SGP_ERR_TOO_LARGE (syn > 1100),
 * SGP_ERR_NO_SPACE, SGP_ERR_RATE_LIMITED (an initiation to this peer was
 * sent less than HANDSHAKE_RETRY ago, or the outstanding one is not yet due:
 * SGP-XPORT-37, -38), SGP_ERR_EXHAUSTED (initiation counter at 2^32-1: the
 * node must restart with a new generation). */
SGP_MUST_CHECK sgp_err sgp_session_initiate(struct sgp_sessions *s, uint32_t peer,
                                            const uint8_t *syn, size_t syn_len, uint64_t now_ms,
                                            uint8_t *out, size_t cap, size_t *out_len);

/* Answers the initiation just accepted from peer (rx.kind ==
 * SGP_RX_INITIATION) with a response carrying ack (0..1108 bytes) and
 * creates the pending session.  SGP_ERR_STATE if there is no such
 * initiation (it was superseded by a later one), SGP_ERR_TOO_LARGE for a
 * larger ACK (send it as data after confirmation, SGP-XPORT-29). */
SGP_MUST_CHECK sgp_err sgp_session_respond(struct sgp_sessions *s, uint32_t peer,
                                           const uint8_t *ack, size_t ack_len, uint64_t now_ms,
                                           uint8_t *out, size_t cap, size_t *out_len);

/* Seals one data message on the current session with peer: flags (bits of
 * SGP_DATA_FLAGS_MASK: 0x00, 0x01 or 0x03), the 10-byte fragment header of §8.1 as given by
 * the fragmenter, and the fragment plaintext.  Errors: SGP_ERR_TOO_LARGE if
 * the datagram would exceed 1200 bytes (pt_len > 1158, SGP-XPORT-12),
 * SGP_ERR_STATE without a current session younger than REJECT_AFTER_TIME
 * (SGP-XPORT-25, -35), SGP_ERR_EXHAUSTED at REJECT_AFTER_MESSAGES,
 * SGP_ERR_INVALID_ARG for undefined flags or a frag_count of 0 that is not a
 * keepalive, SGP_ERR_NO_SPACE. */
SGP_MUST_CHECK sgp_err sgp_session_seal(struct sgp_sessions *s, uint32_t peer, uint64_t now_ms,
                                        uint8_t flags, const uint8_t fhdr[SGP_DATA_FHDR_BYTES],
                                        const uint8_t *pt, size_t pt_len, uint8_t *out, size_t cap,
                                        size_t *out_len);
/* A keepalive (42 bytes, all header fields zero, empty plaintext). */
SGP_MUST_CHECK sgp_err sgp_session_keepalive(struct sgp_sessions *s, uint32_t peer, uint64_t now_ms,
                                             uint8_t *out, size_t cap, size_t *out_len);

/* The data message layout alone (SGP-XPORT-30), for vectors and tools:
 * seals with an explicit 32-byte key and counter. */
SGP_MUST_CHECK sgp_err sgp_data_seal(const uint8_t key[32], uint32_t receiver_index,
                                     uint64_t counter, uint8_t flags,
                                     const uint8_t fhdr[SGP_DATA_FHDR_BYTES], const uint8_t *pt,
                                     size_t pt_len, uint8_t *out, size_t cap, size_t *out_len);

/* ---- receiving -------------------------------------------------------------- */

enum sgp_rx_kind {
  SGP_RX_NONE = 0,
  SGP_RX_INITIATION = 1, /* payload = SYN (may be empty); call sgp_session_respond */
  SGP_RX_RESPONSE = 2,   /* payload = ACK (may be empty); session is current */
  SGP_RX_COOKIE = 3,     /* cookie stored for the next retransmission */
  SGP_RX_DATA = 4,       /* payload = fragment plaintext */
  SGP_RX_KEEPALIVE = 5,
};

struct sgp_rx {
  enum sgp_rx_kind kind;
  uint32_t peer;          /* authenticated roster id (all kinds but NONE) */
  uint32_t session;       /* local index of the session (RESPONSE, DATA, KEEPALIVE) */
  const uint8_t *payload; /* points into the caller's out buffer */
  size_t payload_len;
  uint64_t counter;                      /* DATA, KEEPALIVE */
  uint8_t flags;                         /* DATA */
  uint8_t frag_hdr[SGP_DATA_FHDR_BYTES]; /* DATA: bytes 16..25, authenticated */
  uint8_t abandoned; /* INITIATION: own initiation to peer abandoned (SGP-XPORT-41/42) */
  uint8_t confirmed; /* DATA, KEEPALIVE: confirmed a pending session (SGP-XPORT-27) */
  /* The one output defined on error: with SGP_ERR_COOKIE, a cookie reply to
   * send to the datagram's source address (not the roster address) when
   * reply_len is 64 (SGP-XPORT-45, -33). */
  uint8_t reply[SGP_COOKIE_REPLY_BYTES];
  size_t reply_len;
};

/* Processes one datagram (after carrier extraction) from source address
 * src (addr(A) bytes of sgp_cookie_addr; used only for cookies).  out
 * (capacity cap >= len suffices) receives the payload.  Checks run in the
 * order of spec §7.11 (one deviation, see session.c: the keepalive check
 * runs before the window update). */
SGP_MUST_CHECK sgp_err sgp_session_recv(struct sgp_sessions *s, uint64_t now_ms,
                                        const uint8_t *dgram, size_t len, const uint8_t *src,
                                        size_t src_len, uint8_t *out, size_t cap,
                                        struct sgp_rx *rx);

/* ---- timers ----------------------------------------------------------------- */

/* Housekeeping at now_ms: discards pending sessions older than
 * REKEY_TIMEOUT, wipes the keys of sessions older than REJECT_AFTER_TIME
 * and forgets them after SESSION_WIPE_TIME, gives up initiations after
 * REKEY_ATTEMPT_TIME, forgets cookies after COOKIE_USE_TIME, rotates the
 * cookie secret.  Writes up to due_cap peers whose outstanding initiation
 * is due for retransmission into due (the rest stay due); *due_count is
 * how many were written. */
SGP_MUST_CHECK sgp_err sgp_session_tick(struct sgp_sessions *s, uint64_t now_ms, uint32_t *due,
                                        size_t due_cap, size_t *due_count);

#endif
