/* Fragments and reassembly (spec §8.1-8.3, SGP-FRAG-*).
 *
 * Sender side (pure functions, no state):
 *  - sgp_frag_layout gives k, frag_count and the parity length P for a
 *    message of T bytes and a flags value (§8.1).
 *  - sgp_frag_make writes the plaintext of fragment i and its header; the
 *    session layer seals it with the AEAD, using sgp_frag_ad as associated
 *    data (the whole 26-byte data-message header, §7.6).
 *  - sgp_frag_next_id numbers a session's messages 1, 2, 3, ... (SGP-FRAG-2).
 *
 * Receiver side (struct sgp_reasm):
 *  - TRUST BOUNDARY.  sgp_reasm_add takes fragments that the caller has
 *    already AUTHENTICATED (AEAD tag verified, replay window updated) on the
 *    session `sid`.  It must never be fed a fragment before that: the
 *    header fields decide what memory is reserved, so an unauthenticated
 *    header would let an outsider create state (SGP-XPORT-49, SGP-SEC-2).
 *    Nothing is ever sized from a length before the stateless checks of
 *    SGP-FRAG-5 have tied it to the constants of §8.1: total_len is at most
 *    SGP_FRAG_MAX_MESSAGE, every fragment length must be exactly the one its
 *    index gives, and all memory was fixed at init.
 *  - Memory: the caller provides one 8-byte aligned block of
 *    sgp_reasm_mem_size(params) bytes; nothing allocates.  It holds the
 *    session table (done-id windows), the peer table, `max_msgs` message
 *    slots (about 1 KiB each) and floor(global_bytes / 1158) fragment pages.
 *    Accounting follows §8.3: a message reserves T bytes, plus P with
 *    PARITY, when its first fragment arrives; the sum of reservations
 *    (stats.bytes_in_use) never exceeds global_bytes, per peer never
 *    exceeds peer_bytes.  Pages are taken lazily, one per stored fragment,
 *    and a message never stores more than k - 1 fragments (the k-th
 *    completes it and is copied straight to the output), so the pages in
 *    use never exceed the reserved bytes / 1158 and the page pool cannot
 *    run dry: message buffers never use more than global_bytes.
 *  - Decisions beyond the spec's text (reported to the spec owner):
 *     * a message that its first fragment already completes (k = 1, or
 *       k = 1 with parity) is delivered without reserving memory, so caps
 *       and eviction do not apply to it (it holds nothing);
 *     * the message slots are a fixed number (`max_msgs`, default
 *       min(4 n, 1024)); a new message that finds none free is refused like
 *       one over the global byte cap (SGP_ERR_FRAG_CAP, SGP-FRAG-10);
 *     * per-peer eviction (SGP-FRAG-9) is decided first; if the message
 *       still does not fit the global cap the new message is refused and
 *       nothing is evicted;
 *     * a header-invalid fragment (SGP-FRAG-5) is dropped alone, even when
 *       its msg_id matches a message in reassembly (that message is kept);
 *     * a duplicate (SGP-FRAG-7) returns SGP_ERR_FRAG_DUPLICATE so that the
 *       caller can count it; it changes nothing.
 *  - Time is injected as now_ms (monotonic; a smaller value than one seen
 *    before is treated as the one seen before).  A message expires when
 *    now_ms - first_ms >= timeout_ms (SGP-FRAG-11): lazily on every
 *    accepted fragment and on sgp_reasm_expire, oldest first, O(1) each.
 *  - Every rejection has its own sgp_err and stats counter; a fragment
 *    rejected by the stateless checks (SGP_ERR_RESERVED, SGP_ERR_FRAG_HEADER,
 *    SGP_ERR_FRAG_LENGTH) or as done/duplicate changes nothing but its
 *    drop counter.  SGP_ERR_FRAG_INCONSISTENT / _OVERLAP discard the whole
 *    message and SGP_ERR_FRAG_CAP refuses the new one; all three record the
 *    msg_id as done, as §8.3 requires.
 *  - Not thread-safe: one sgp_reasm per receiving node, under one lock.
 *
 * Mapping to the drop counters of §7.12: stats.drop_flags -> drop_reserved;
 * drop_header, drop_length, drop_done, drop_duplicate -> drop_frag;
 * msg_inconsistent, msg_overlap, msg_cap, msg_evicted, msg_timeout ->
 * drop_frag_message; msg_closed (session discarded, SGP-FRAG-14) is not a drop.
 */
#ifndef SGP_FRAGMENT_H
#define SGP_FRAGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/result.h"

enum {
  SGP_FRAG_DATAGRAM_MAX = 1200, /* sealed datagram (MAX_DATAGRAM) */
  SGP_FRAG_AD_BYTES = 26,       /* data-message header = AEAD associated data */
  SGP_FRAG_TAG_BYTES = 16,
  SGP_FRAG_DATA = 1158,           /* 1200 - 26 - 16: bytes per full fragment */
  SGP_FRAG_MAX_PLAIN = 262144,    /* T without AONT (SGP_MAX_PACKET) */
  SGP_FRAG_MAX_MESSAGE = 262176,  /* T with AONT: + 32-byte key block */
  SGP_FRAG_AONT_MIN = 33,         /* T with AONT: 1-byte packet + key block */
  SGP_FRAG_MAX_DATA_FRAGS = 227,  /* k */
  SGP_FRAG_MAX_FRAGMENTS = 228,   /* frag_count: k + 1 parity */
  SGP_FRAG_DATA_TYPE = 0x04,      /* data message type byte */
  SGP_FRAG_DONE_WINDOW = 64,      /* done msg_ids kept per session */
  SGP_REASM_PEER_MSGS = 4,        /* messages in reassembly per peer */
  SGP_REASM_PEER_BYTES = 524352,  /* 2 * MAX_MESSAGE reserved per peer */
  SGP_REASM_GLOBAL_MIN = 1048576, /* reasm_global_bytes range (§1.4) */
  SGP_REASM_GLOBAL_DEFAULT = 8388608,
  SGP_REASM_GLOBAL_MAX = 1073741824,
  SGP_REASM_TIMEOUT_MS = 5000,
  SGP_REASM_SESSIONS_PER_PEER = 3, /* receiving: pending, current, previous */
  SGP_REASM_SLOTS_DEFAULT_MAX = 1024,
};

#define SGP_FRAG_FLAG_AONT 0x01u
#define SGP_FRAG_FLAG_PARITY 0x02u

/* The fragment header (bytes 16..25 of a data message) plus the flags byte
 * (byte 1), which §8.3 treats as part of the message's identity. */
struct sgp_frag_hdr {
  uint32_t msg_id;
  uint32_t total_len;
  uint8_t flags;
  uint8_t index;
  uint8_t count;
};

struct sgp_frag_layout {
  uint32_t total_len;  /* T */
  uint32_t parity_len; /* P = min(1158, T) with PARITY, else 0 */
  uint8_t k;           /* data fragments, ceil(T / 1158) */
  uint8_t count;       /* frag_count: k, plus 1 with PARITY */
};

/* Layout of a T-byte message.  Errors: SGP_ERR_RESERVED (flags not 0x00,
 * 0x01 or 0x03, SGP-JIG-1), SGP_ERR_FRAG_HEADER (T outside 1..262144, or
 * 33..262176 with AONT). */
SGP_MUST_CHECK sgp_err sgp_frag_layout(uint32_t total_len, uint8_t flags,
                                       struct sgp_frag_layout *out);

/* Plaintext length of fragment `index` (0 if index >= count). */
size_t sgp_frag_len(const struct sgp_frag_layout *l, uint32_t index);

/* Stateless receiver checks of SGP-FRAG-5 and SGP-JIG-1 on an (already
 * authenticated) fragment of `len` plaintext bytes: SGP_ERR_RESERVED,
 * SGP_ERR_FRAG_HEADER (msg_id 0, T outside the limits, frag_count not k
 * (+1), index >= frag_count) or SGP_ERR_FRAG_LENGTH. */
SGP_MUST_CHECK sgp_err sgp_frag_check(const struct sgp_frag_hdr *h, size_t len);

/* Keepalive (§7.6): flags 0, msg_id 0, index 0, count 0, total 0, no bytes. */
int sgp_frag_is_keepalive(const struct sgp_frag_hdr *h, size_t len);

/* Sender: fragment `index` of msg (SGP-FRAG-1).  Writes its header to *hdr
 * and its plaintext (copied, or computed for the parity fragment) to out.
 * Errors: SGP_ERR_INVALID_ARG (NULL, msg_id 0, msg_len 0 or below 33 with
 * AONT, index >= frag_count), SGP_ERR_RESERVED (flags), SGP_ERR_TOO_LARGE
 * (msg_len above the limit for flags), SGP_ERR_NO_SPACE (out_cap too small:
 * SGP_FRAG_DATA always suffices). */
SGP_MUST_CHECK sgp_err sgp_frag_make(const uint8_t *msg, size_t msg_len, uint8_t flags,
                                     uint32_t msg_id, uint32_t index, struct sgp_frag_hdr *hdr,
                                     uint8_t *out, size_t out_cap, size_t *out_len);

/* SGP-FRAG-2: *ctr is a session's sending message counter, 0 (zero-init) at
 * session start; yields 1, 2, 3, ...; SGP_ERR_EXHAUSTED after 2^32 - 1
 * (the session must be replaced long before). */
SGP_MUST_CHECK sgp_err sgp_frag_next_id(uint32_t *ctr, uint32_t *msg_id);

/* The 26 bytes [0, 26) of a data message, i.e. its AEAD associated data
 * (§7.6): type 0x04, flags, 2 zero bytes, receiver_index, counter, msg_id,
 * frag_index, frag_count, total_len, all big-endian.  Errors:
 * SGP_ERR_INVALID_ARG (NULL), SGP_ERR_RESERVED (flags undefined). */
SGP_MUST_CHECK sgp_err sgp_frag_ad(uint8_t out[SGP_FRAG_AD_BYTES], const struct sgp_frag_hdr *h,
                                   uint32_t receiver_index, uint64_t counter);

/* Reads the first 26 bytes of a data message (len >= 26; the rest is the
 * sealed fragment).  Stateless, so it may run before decryption.  Errors:
 * SGP_ERR_TRUNCATED, SGP_ERR_DGRAM_TYPE (type not 0x04), SGP_ERR_RESERVED
 * (nonzero reserved byte, flags not 0x00/0x01/0x03).  The SGP-FRAG-5
 * checks need the plaintext length: sgp_frag_check. */
SGP_MUST_CHECK sgp_err sgp_frag_ad_parse(const uint8_t *dgram, size_t len, struct sgp_frag_hdr *h,
                                         uint32_t *receiver_index, uint64_t *counter);

/* ---- reassembly -------------------------------------------------------- */

struct sgp_reasm_params {
  uint32_t max_peers;    /* peer ids 0 .. max_peers-1 (roster size n) */
  uint32_t max_sessions; /* receiving sessions open at once (3 n) */
  uint32_t max_msgs;     /* message slots in total (min(4 n, 1024)) */
  uint32_t peer_msgs;    /* SGP-FRAG-9: 4 */
  uint32_t peer_bytes;   /* SGP-FRAG-9: 524352 */
  uint32_t global_bytes; /* reasm_global_bytes (SGP-FRAG-10) */
  uint32_t timeout_ms;   /* REASM_TIMEOUT (SGP-FRAG-11): 5000 */
};

/* Spec defaults for a roster of n peers. */
void sgp_reasm_params_default(struct sgp_reasm_params *p, uint32_t n);
/* SGP_ERR_RANGE unless: 1 <= max_peers <= 16384; 1 <= max_sessions, max_msgs
 * <= 2^20; 1 <= peer_msgs <= max_msgs; 263334 (one largest message with
 * parity) <= peer_bytes <= global_bytes; global_bytes in 1 MiB .. 1 GiB;
 * 1 <= timeout_ms <= 600000. */
SGP_MUST_CHECK sgp_err sgp_reasm_params_validate(const struct sgp_reasm_params *p);
/* Bytes of caller memory for these params (0 if invalid or not representable). */
size_t sgp_reasm_mem_size(const struct sgp_reasm_params *p);

struct sgp_reasm_stats {
  /* gauges */
  uint32_t msgs_in_progress, msgs_high_water;
  uint32_t pages_in_use, pages_high_water; /* SGP_FRAG_DATA-byte pages */
  uint64_t bytes_in_use, bytes_high_water; /* reserved T (+P), <= global_bytes */
  uint32_t sessions_open;
  /* events */
  uint64_t fragments_stored, messages_delivered;
  /* fragment drops, one per sgp_err */
  uint64_t drop_flags;     /* SGP_ERR_RESERVED (SGP-JIG-1) */
  uint64_t drop_header;    /* SGP_ERR_FRAG_HEADER (SGP-FRAG-5) */
  uint64_t drop_length;    /* SGP_ERR_FRAG_LENGTH (SGP-FRAG-5) */
  uint64_t drop_done;      /* SGP_ERR_FRAG_DONE (SGP-FRAG-12) */
  uint64_t drop_duplicate; /* SGP_ERR_FRAG_DUPLICATE (SGP-FRAG-7) */
  /* whole messages discarded */
  uint64_t msg_inconsistent; /* SGP_ERR_FRAG_INCONSISTENT (SGP-FRAG-6) */
  uint64_t msg_overlap;      /* SGP_ERR_FRAG_OVERLAP (SGP-FRAG-6) */
  uint64_t msg_cap;          /* SGP_ERR_FRAG_CAP (SGP-FRAG-10): new message refused */
  uint64_t msg_evicted;      /* SGP-FRAG-9: a peer's oldest, to admit its new one */
  uint64_t msg_timeout;      /* SGP-FRAG-11 */
  uint64_t msg_closed;       /* SGP-FRAG-14: its session was discarded */
};

/* Opaque to callers; laid out in the caller's block by sgp_reasm_init. */
struct sgp_reasm_sess;
struct sgp_reasm_peer;
struct sgp_reasm_msg;

struct sgp_reasm {
  struct sgp_reasm_params p;
  struct sgp_reasm_stats stats;
  uint64_t now_ms;   /* greatest time seen */
  uint32_t sess_gen; /* generation of the next opened session handle */
  uint32_t free_slot, age_head, age_tail;
  uint32_t npages, free_pages_n;
  struct sgp_reasm_sess *sess;
  struct sgp_reasm_peer *peers;
  struct sgp_reasm_msg *msgs;
  uint32_t *free_pages;
  uint8_t *pages;
  void *mem;
};

/* Handle of one receiving session: (generation << 32) | table index.  0 is
 * never a valid handle. */
typedef uint64_t sgp_reasm_sid;

/* Errors: SGP_ERR_INVALID_ARG (NULL, mem not 8-byte aligned), params'
 * errors, SGP_ERR_NO_SPACE (mem_len < sgp_reasm_mem_size). */
SGP_MUST_CHECK sgp_err sgp_reasm_init(struct sgp_reasm *r, void *mem, size_t mem_len,
                                      const struct sgp_reasm_params *p);

/* A receiving session of `peer` starts (after its handshake authenticated):
 * empty done window.  Errors: SGP_ERR_NODE_ID (peer >= max_peers),
 * SGP_ERR_NO_SPACE (max_sessions already open). */
SGP_MUST_CHECK sgp_err sgp_reasm_session_open(struct sgp_reasm *r, uint32_t peer,
                                              sgp_reasm_sid *sid);

/* SGP-FRAG-14: the session is discarded; frees all its reassembly state.
 * SGP_ERR_STATE if sid is not an open session. */
SGP_MUST_CHECK sgp_err sgp_reasm_session_close(struct sgp_reasm *r, sgp_reasm_sid sid);

/* Adds one AUTHENTICATED fragment (header h, `len` plaintext bytes) that
 * arrived on session sid at now_ms.  On SGP_OK, *msg_len is 0 while the
 * message is incomplete, or T when this fragment completed it: the whole
 * message (T bytes, parity already applied, still AONT-transformed if
 * h->flags has SGP_FRAG_FLAG_AONT) is in out, and its msg_id is done.
 * out_cap must be at least h->total_len (SGP_FRAG_MAX_MESSAGE always
 * suffices), checked after the stateless checks.  Errors, each counted in
 * stats: SGP_ERR_RESERVED, SGP_ERR_FRAG_HEADER, SGP_ERR_FRAG_LENGTH,
 * SGP_ERR_FRAG_DONE, SGP_ERR_FRAG_DUPLICATE, SGP_ERR_FRAG_INCONSISTENT,
 * SGP_ERR_FRAG_OVERLAP, SGP_ERR_FRAG_CAP; not counted: SGP_ERR_INVALID_ARG
 * (NULL), SGP_ERR_STATE (sid not open), SGP_ERR_NO_SPACE (out_cap). */
SGP_MUST_CHECK sgp_err sgp_reasm_add(struct sgp_reasm *r, sgp_reasm_sid sid,
                                     const struct sgp_frag_hdr *h, const uint8_t *frag, size_t len,
                                     uint64_t now_ms, uint8_t *out, size_t out_cap,
                                     size_t *msg_len);

/* Discards every message whose timeout has passed at now_ms (SGP-FRAG-11);
 * returns how many.  Call it every round so idle memory is freed too. */
uint32_t sgp_reasm_expire(struct sgp_reasm *r, uint64_t now_ms);

/* Reserved bytes and messages of one peer (0 for an unknown peer). */
uint64_t sgp_reasm_peer_bytes(const struct sgp_reasm *r, uint32_t peer);
uint32_t sgp_reasm_peer_msgs(const struct sgp_reasm *r, uint32_t peer);

/* Whether msg_id is recorded as done on the session (SGP-FRAG-12); 0 for a
 * handle that is not open. */
int sgp_reasm_is_done(const struct sgp_reasm *r, sgp_reasm_sid sid, uint32_t msg_id);

#endif
