/* Target Functions: sgp_session_recv (every datagram type), sgp_session_initiate,
 * sgp_session_respond, sgp_session_seal, sgp_session_keepalive, sgp_session_tick; the inner
 * parsers behind a session (sgp_frag_check, sgp_jig_decode, sgp_packet_decode)
 *
 * Three session layers (roster of 3, the X25519 test keys of conformance/vectors/transport.json,
 * generation 3, clock starting at 1,000,000 ms like the vectors) run the real Noise KK handshake
 * with each other.  Authentication is never disabled: the fuzzer reaches the inner parsers by
 * having a real session SEAL fuzz-chosen plaintext, and attacks the receive path by choosing,
 * mutating, replaying and reordering the datagrams the layers sent, or by sending raw bytes.
 *
 * Input: byte 0 = 0xff selects the Noise mode below; any other byte 0 picks a starting world
 * (set up once, restored by memcpy per input):
 *   0 fresh: no sessions;  1 established: 0<->1 confirmed, 2->1 pending, one data message sent;
 *   2 loaded: established, and node 1's load bucket drained by 101 replays of an initiation
 *     (so the next initiation without a valid mac2 gets a cookie reply, SGP-XPORT-44/45).
 * Then up to 48 operations, s2n style (reads past the end give 0); op = byte % 8:
 *   0 SEAL      from, to, flags sel, header sel [, 10 header bytes], u16 len, plaintext
 *   1 KEEPALIVE from, to
 *   2 INITIATE  from, to, u16 len, SYN bytes
 *   3 RESPOND   node (answers the initiation it accepted last), u16 len, ACK bytes
 *   4 DELIVER   pool slot, mutation kind, args (flip bit, set byte, truncate, extend, overwrite),
 *               source address sel
 *   5 RAW       to, u16 len, bytes (any datagram, e.g. the vector datagrams of the seeds)
 *   6 TICK      delta sel (REKEY_TIMEOUT, REJECT_AFTER_TIME, ... or u16 ms); every layer ticks
 *               and retransmits the initiations that are due
 *   7 DELIVER2  as DELIVER but to the other node than the addressee (wrong receiver)
 * Every datagram a layer writes goes to a 16-slot pool (round robin) with its sender, receiver
 * and, for data messages, the sealed plaintext.
 *
 * Noise mode (byte 0 = 0xff): the generic HandshakeState of noise.c, which the session layer
 * uses only as KK without psk, between test keys 0 (initiator) and 1 (responder):
 *   u8 sel (pattern KK/IK/XX = sel % 3; bits 2-3 psk none/psk0/psk2/both (invalid); bit 4
 *   fixed ephemerals from the input, else the RNG), u8 misconfiguration (% 16; 1..7 break one
 *   rule of sgp_noise_init), u8 prologue length (% 64) and bytes, 32 psk bytes, 2 x 32 ephemeral
 *   bytes (if fixed), u8 name-buffer capacity (% 48), a protocol name (u8 length % 48, bytes),
 *   u16 HKDF output length; then up to 12 operations, op = byte % 4:
 *     0 WRITE  the side whose turn it is writes (u16 payload length % 300, payload; bit 2: a
 *              too-small buffer); the message goes to the other side, mutated by op >> 3 % 4
 *              (none, flip a bit, truncate, append a byte)
 *     1 TURN   out-of-turn calls: the reader writes, the writer reads, split and the
 *              handshake hash before the end
 *     2 RAW    u16 sel, sel % 200 bytes, read by the side whose turn it is to read (sel
 *              bit 15: into a payload buffer of (length % 32) bytes)
 *     3 STATIC sgp_noise_remote_static on both sides
 *   then, if both sides finished, split, and transport messages both ways (u16 length % 200,
 *   payload; a tampered copy; the counter edge 2^64-1; a short ciphertext).
 *
 * Invariants (each a finding if it breaks):
 *   - Noise mode: every return is a named code; a configuration that breaks a rule of
 *     noise.h is SGP_ERR_INVALID_ARG and leaves the handshake NONE; protocol names round-trip
 *     and a parsed name is exactly one we build; a rejected message, a failed write and every
 *     out-of-turn call (SGP_ERR_STATE) change no state; an unmodified message is read back
 *     with its payload; a learned remote static key is the peer's real key; when both sides
 *     finish they have the same handshake hash and their transport keys interoperate (each
 *     way, in order); a tampered transport message is SGP_ERR_CRYPTO and leaves the counter;
 *     HKDF-Expand refuses exactly the lengths over SGP_HKDF_MAX_OKM;
 *   - every return is a named code; a rejected datagram changes no state of the receiving layer
 *     (layer struct, peer array, index table compared byte for byte) except the §7.12 drop
 *     counters and, for initiations, the token buckets (session.h contract); exactly one drop
 *     counter moves, by one, unless the code is a caller error (SGP-XPORT-51);
 *     rx.kind is NONE and nothing but a cookie reply is output (SGP-XPORT-50);
 *   - authentication: a datagram whose authenticated bytes differ from what a layer sent
 *     (everything for data and cookie replies, all but mac2 for handshakes) is never accepted;
 *     a data message is accepted at most once (replay window) and an initiation or response
 *     at most once;
 *   - an accepted, unmodified data message gives exactly the sealed flags, fragment header and
 *     plaintext, from the right peer.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "sgp/fragment.h"
#include "sgp/hkdf.h"
#include "sgp/jigsaw.h"
#include "sgp/noise.h"
#include "sgp/session.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { N = 3, ICAP = 32, POOL = 16, MAX_OPS = 48, WORLDS = 3 };
#define T0 UINT64_C(1000000)

/* conformance/vectors/transport.json, "roster" (dh_sk of nodes 0, 1, 2). */
static const char *const DH_SK_HEX[N] = {
    "b76597e9e8e8bc5f1b90c2246cf7a43baefc71e995a0c8c09c2eb9a839d99715",
    "92152572cf2d2716181ec1332354319e27ff5741001908f173ba928c8387ae4a",
    "ad5333e06b498ed10c71c4aca1c11606d24dbb6847253de064f47d4dce955c79"};
static uint8_t dh_sk[N][32], dh_pk[N][32];
static const uint8_t SRC[2][6] = {{192, 0, 2, 1, 0x1f, 0x90}, {198, 51, 100, 7, 0x23, 0x28}};

struct pool_ent {
  uint16_t len, pt_len;
  uint8_t from, to, used, accepted, flags;
  uint8_t fhdr[SGP_DATA_FHDR_BYTES];
  uint8_t b[SGP_DGRAM_MAX];
  uint8_t pt[SGP_DATA_PT_MAX];
};

/* Everything a script can change, so one memcpy restores a world.  The layers point into it
 * (peer arrays, index tables, RNG counters), which is why it lives at one fixed address. */
struct world {
  struct sgp_sessions s[N];
  struct sgp_session_peer peers[N][N];
  struct sgp_session_index index[N][ICAP];
  uint64_t rng_ctr[N];
  uint32_t discards[N];
  uint64_t now;
  uint32_t pool_next;
  struct pool_ent pool[POOL];
};
static struct world w, worlds[WORLDS];

struct layer_snap {
  struct sgp_sessions s;
  struct sgp_session_peer peers[N];
  struct sgp_session_index index[ICAP];
};
static struct layer_snap before, after;
static uint8_t out[SGP_DGRAM_MAX + 64], jig[SGP_FRAG_MAX_MESSAGE];
static sgp_packet pkt;
static int trace; /* FZ_TRACE=1: print every delivery (debugging a finding) */

static void on_discard(void *ctx, uint32_t peer, uint32_t local_index) {
  (void)peer;
  (void)local_index;
  (*(uint32_t *)ctx)++;
}

static void snap(struct layer_snap *sn, uint32_t i) {
  memcpy(&sn->s, &w.s[i], sizeof sn->s);
  memcpy(sn->peers, w.peers[i], sizeof sn->peers);
  memcpy(sn->index, w.index[i], sizeof sn->index);
}

static uint64_t drops(const struct sgp_session_stats *s) {
  return s->drop_size + s->drop_type + s->drop_reserved + s->drop_mac1 + s->drop_cookie +
         s->drop_unknown_peer + s->drop_rate + s->drop_handshake + s->drop_stamp +
         s->drop_crossing + s->drop_unknown_index + s->drop_expired + s->drop_auth +
         s->drop_replay + s->drop_keepalive;
}

static int is_drop_code(sgp_err e) {
  return e != SGP_ERR_INVALID_ARG && e != SGP_ERR_NO_SPACE && e != SGP_OK;
}

static struct pool_ent *pool_push(uint32_t from, uint32_t to, const uint8_t *b, size_t len) {
  struct pool_ent *p = &w.pool[w.pool_next++ % POOL];
  memset(p, 0, offsetof(struct pool_ent, b));
  p->from = (uint8_t)from;
  p->to = (uint8_t)to;
  p->used = 1;
  p->len = (uint16_t)len;
  memcpy(p->b, b, len);
  return p;
}

/* The inner parsers a node runs on an accepted payload. */
static void inner(const struct sgp_rx *rx) {
  if (rx->kind == SGP_RX_INITIATION || rx->kind == SGP_RX_RESPONSE) {
    if (rx->payload_len)
      fz_check_named(sgp_packet_decode(&pkt, N, rx->payload, rx->payload_len),
                     "sgp_packet_decode(handshake payload)");
    return;
  }
  if (rx->kind != SGP_RX_DATA) return;
  const uint8_t *f = rx->frag_hdr;
  struct sgp_frag_hdr h = {
      .msg_id = (uint32_t)f[0] << 24 | (uint32_t)f[1] << 16 | (uint32_t)f[2] << 8 | f[3],
      .index = f[4],
      .count = f[5],
      .total_len = (uint32_t)f[6] << 24 | (uint32_t)f[7] << 16 | (uint32_t)f[8] << 8 | f[9],
      .flags = rx->flags};
  sgp_err e = sgp_frag_check(&h, rx->payload_len);
  fz_check_named(e, "sgp_frag_check");
  if (e != SGP_OK || h.count != 1) return; /* multi-fragment messages: fuzz_reasm */
  size_t len = 0;
  e = sgp_jig_decode(h.flags, rx->payload, rx->payload_len, jig, sizeof jig, &len);
  fz_check_named(e, "sgp_jig_decode");
  if (e == SGP_OK) fz_check_named(sgp_packet_decode(&pkt, N, jig, len), "sgp_packet_decode");
}

/* Delivers d to layer `to` and checks the receive-path invariants.  orig: the pool datagram
 * d was made from (NULL for raw bytes). */
static sgp_err deliver(uint32_t to, const uint8_t *d, size_t len, struct pool_ent *orig,
                       uint32_t src_sel) {
  struct sgp_rx rx;
  snap(&before, to);
  sgp_err rc = sgp_session_recv(&w.s[to], w.now, d, len, SRC[src_sel & 1], sizeof SRC[0], out,
                                sizeof out, &rx);
  fz_check_named(rc, "sgp_session_recv");
  if (trace)
    fprintf(stderr, "t=%llu deliver %zu bytes type %u to %u -> %s kind %d\n",
            (unsigned long long)(w.now - T0), len, len ? d[0] : 0, to, sgp_err_name(rc),
            (int)rx.kind);
  snap(&after, to);
  uint64_t d0 = drops(&before.s.stats), d1 = drops(&after.s.stats);
  if (rc != SGP_OK) {
    FZ_CHECK(rx.kind == SGP_RX_NONE, "rejected datagram (%s) gave rx.kind %d", sgp_err_name(rc),
             (int)rx.kind);
    FZ_CHECK(rc == SGP_ERR_COOKIE || rx.reply_len == 0, "%s produced a reply", sgp_err_name(rc));
    FZ_CHECK(d1 == d0 + (is_drop_code(rc) ? 1u : 0u),
             "%s moved the drop counters by %llu (SGP-XPORT-51)", sgp_err_name(rc),
             (unsigned long long)(d1 - d0));
    after.s.stats = before.s.stats;
    if (len > 0 && d[0] == SGP_MSG_INITIATION) { /* buckets a check may consume (§7.11) */
      after.s.load = before.s.load;
      after.s.cookie_bucket = before.s.cookie_bucket;
      for (uint32_t i = 0; i < N; i++) after.peers[i].bucket = before.peers[i].bucket;
    }
    FZ_CHECK(memcmp(&before, &after, sizeof before) == 0,
             "datagram rejected with %s changed the layer's state", sgp_err_name(rc));
    if (rc == SGP_ERR_COOKIE && rx.reply_len == SGP_COOKIE_REPLY_BYTES && orig)
      (void)pool_push(to, orig->from, rx.reply, rx.reply_len); /* back to the initiator */
    return rc;
  }

  FZ_CHECK(rx.kind != SGP_RX_NONE && rx.peer < N && rx.peer != to, "accepted: kind %d peer %u",
           (int)rx.kind, rx.peer);
  FZ_CHECK(d1 == d0, "an accepted datagram moved a drop counter");
  FZ_CHECK(
      rx.payload_len == 0 || (rx.payload >= out && rx.payload + rx.payload_len <= out + sizeof out),
      "payload outside the output buffer");
  if (orig) {
    /* Handshake messages: mac2 (the last 16 bytes) is outside every check but under load. */
    size_t auth = (orig->b[0] == SGP_MSG_INITIATION || orig->b[0] == SGP_MSG_RESPONSE)
                      ? (size_t)orig->len - SGP_MAC_BYTES
                      : orig->len;
    int forged = len != orig->len || memcmp(d, orig->b, auth) != 0;
    FZ_CHECK(!forged, "a modified datagram (type %u, %zu bytes) was accepted as kind %d",
             orig->b[0], len, (int)rx.kind);
    if (orig->b[0] != SGP_MSG_COOKIE_REPLY) {
      FZ_CHECK(!orig->accepted, "datagram of type %u accepted twice (replay)", orig->b[0]);
      orig->accepted = 1;
    }
    FZ_CHECK(rx.peer == orig->from, "accepted from peer %u, sent by %u", rx.peer, orig->from);
    if (rx.kind == SGP_RX_DATA) {
      FZ_CHECK(rx.flags == orig->flags && memcmp(rx.frag_hdr, orig->fhdr, sizeof rx.frag_hdr) == 0,
               "data header differs from the sealed one");
      FZ_CHECK(rx.payload_len == orig->pt_len && memcmp(rx.payload, orig->pt, orig->pt_len) == 0,
               "data plaintext differs from the sealed one (%zu vs %u bytes)", rx.payload_len,
               orig->pt_len);
    }
  }
  inner(&rx);
  return rc;
}

/* ---- operations ---------------------------------------------------------- */

static uint32_t pick_node(struct fz_in *in) {
  return fz_u8(in) % N;
}

static uint32_t pick_peer(struct fz_in *in, uint32_t from) {
  uint32_t to = (from + 1 + fz_u8(in) % (N - 1)) % N;
  return to;
}

static void op_seal(struct fz_in *in) {
  static const uint8_t flag_tab[4] = {0x00, 0x01, 0x03, 0x02};
  uint32_t from = pick_node(in), to = pick_peer(in, from);
  uint8_t flags = flag_tab[fz_u8(in) & 3];
  uint8_t hsel = fz_u8(in);
  uint8_t fhdr[SGP_DATA_FHDR_BYTES];
  size_t got = 0;
  if (hsel & 1) {
    const uint8_t *h = fz_take(in, sizeof fhdr, &got);
    memset(fhdr, 0, sizeof fhdr);
    memcpy(fhdr, h, got);
  }
  size_t want = fz_u16(in) % (SGP_DATA_PT_MAX + 8);
  const uint8_t *pt = fz_take(in, want, &got);
  if (!(hsel & 1)) { /* a consistent one-fragment header for this plaintext */
    uint32_t id = 1u + (hsel >> 1);
    uint32_t t = (uint32_t)got;
    const uint8_t h[SGP_DATA_FHDR_BYTES] = {
        (uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id, 0, got ? 1 : 0,
        (uint8_t)(t >> 24),  (uint8_t)(t >> 16),  (uint8_t)(t >> 8),  (uint8_t)t};
    memcpy(fhdr, h, sizeof fhdr);
  }
  size_t len = 0;
  sgp_err e = sgp_session_seal(&w.s[from], to, w.now, flags, fhdr, pt, got, out, sizeof out, &len);
  fz_check_named(e, "sgp_session_seal");
  if (e != SGP_OK) return;
  FZ_CHECK(len == SGP_DATA_MIN + got && len <= SGP_DGRAM_MAX, "sealed %zu bytes for %zu", len, got);
  struct pool_ent *p = pool_push(from, to, out, len);
  p->flags = flags;
  memcpy(p->fhdr, fhdr, sizeof fhdr);
  p->pt_len = (uint16_t)got;
  memcpy(p->pt, pt, got);
}

static void op_keepalive(struct fz_in *in) {
  uint32_t from = pick_node(in), to = pick_peer(in, from);
  size_t len = 0;
  sgp_err e = sgp_session_keepalive(&w.s[from], to, w.now, out, sizeof out, &len);
  fz_check_named(e, "sgp_session_keepalive");
  if (e == SGP_OK) (void)pool_push(from, to, out, len);
}

static void initiate(uint32_t from, uint32_t to, const uint8_t *syn, size_t syn_len) {
  size_t len = 0;
  sgp_err e = sgp_session_initiate(&w.s[from], to, syn, syn_len, w.now, out, sizeof out, &len);
  fz_check_named(e, "sgp_session_initiate");
  if (e == SGP_OK) (void)pool_push(from, to, out, len);
}

static void op_initiate(struct fz_in *in) {
  uint32_t from = pick_node(in), to = pick_peer(in, from);
  size_t got = 0;
  const uint8_t *syn = fz_take(in, fz_u16(in) % (SGP_SYN_MAX + 8), &got);
  initiate(from, to, syn, got);
}

static void op_respond(struct fz_in *in) {
  uint32_t node = pick_node(in);
  size_t got = 0, len = 0;
  const uint8_t *ack = fz_take(in, fz_u16(in) % (SGP_ACK_MAX + 8), &got);
  uint32_t to = w.s[node].resp_peer;
  if (!w.s[node].resp_active || to >= N) return;
  sgp_err e = sgp_session_respond(&w.s[node], to, ack, got, w.now, out, sizeof out, &len);
  fz_check_named(e, "sgp_session_respond");
  if (e == SGP_OK) (void)pool_push(node, to, out, len);
}

static void op_deliver(struct fz_in *in, int wrong_receiver) {
  static uint8_t d[SGP_DGRAM_MAX + 64];
  struct pool_ent *p = &w.pool[fz_u8(in) % POOL];
  uint8_t mut = fz_u8(in);
  if (!p->used) return;
  size_t len = p->len;
  memcpy(d, p->b, len);
  switch (mut % 6) {
    case 0:
      break;
    case 1: { /* flip one bit */
      uint16_t pos = fz_u16(in);
      d[pos % len] ^= (uint8_t)(1u << (pos >> 13));
      break;
    }
    case 2: { /* set one byte */
      uint16_t pos = fz_u16(in);
      d[pos % len] = fz_u8(in);
      break;
    }
    case 3: /* truncate */
      len = fz_u16(in) % (len + 1);
      break;
    case 4: { /* extend */
      size_t got = 0, add = fz_u8(in);
      const uint8_t *x = fz_take(in, add, &got);
      memcpy(d + len, x, got <= 64 ? got : 64);
      len += got <= 64 ? got : 64;
      break;
    }
    default: { /* overwrite a range */
      size_t got = 0, pos = fz_u16(in) % len;
      const uint8_t *x = fz_take(in, fz_u8(in) % 48, &got);
      if (got > len - pos) got = len - pos;
      memcpy(d + pos, x, got);
      break;
    }
  }
  uint32_t to = p->to;
  if (wrong_receiver) to = (to + 1 + (mut >> 7)) % N;
  (void)deliver(to, d, len, wrong_receiver ? NULL : p, mut >> 6);
}

static void op_raw(struct fz_in *in) {
  uint32_t to = pick_node(in);
  size_t got = 0;
  const uint8_t *b = fz_take(in, fz_u16(in) % (SGP_DGRAM_MAX + 16), &got);
  (void)deliver(to, b, got, NULL, to);
}

static void op_tick(struct fz_in *in) {
  static const uint32_t step[8] = {
      SGP_REKEY_TIMEOUT_MS,      SGP_REKEY_TIMEOUT_MS + SGP_REKEY_JITTER_MAX_MS + 1,
      SGP_REJECT_AFTER_TIME_MS,  SGP_REKEY_AFTER_TIME_MS,
      SGP_REKEY_ATTEMPT_TIME_MS, SGP_SESSION_WIPE_TIME_MS,
      SGP_COOKIE_SECRET_TIME_MS, 100};
  uint8_t sel = fz_u8(in);
  w.now += (sel & 8) ? fz_u16(in) : step[sel & 7];
  for (uint32_t i = 0; i < N; i++) {
    uint32_t due[N];
    size_t nd = 0;
    sgp_err e = sgp_session_tick(&w.s[i], w.now, due, N, &nd);
    FZ_CHECK(e == SGP_OK && nd <= N, "sgp_session_tick: %s, %zu due", sgp_err_name(e), nd);
    for (size_t k = 0; k < nd; k++) initiate(i, due[k], NULL, 0);
  }
}

/* ---- worlds -------------------------------------------------------------- */

static void must(sgp_err e, const char *what) {
  if (e != SGP_OK) {
    fprintf(stderr, "fuzz_session setup: %s: %s\n", what, sgp_err_name(e));
    abort();
  }
}

static void layers_init(void) {
  memset(&w, 0, sizeof w);
  w.now = T0;
  for (uint32_t i = 0; i < N; i++) {
    w.rng_ctr[i] = UINT64_C(0x5350) + i;
    struct sgp_session_config c;
    memset(&c, 0, sizeof c);
    c.self = i;
    c.n = N;
    c.dh_sk = dh_sk[i];
    c.dh_pk = (const uint8_t(*)[32])dh_pk;
    c.generation = 3;
    c.rng = fz_rng_fill; /* splitmix64 of a per-layer counter: part of the world */
    c.rng_ctx = &w.rng_ctr[i];
    c.peers = w.peers[i];
    c.peers_cap = N;
    c.index = w.index[i];
    c.index_cap = ICAP;
    c.on_discard = on_discard;
    c.discard_ctx = &w.discards[i];
    must(sgp_session_init(&w.s[i], &c, T0), "sgp_session_init");
  }
}

/* a -> b handshake through the pool, with the usual checks. */
static void handshake(uint32_t a, uint32_t b, int confirm) {
  struct pool_ent *p;
  initiate(a, b, NULL, 0);
  p = &w.pool[(w.pool_next - 1) % POOL];
  must(deliver(b, p->b, p->len, p, 0), "deliver initiation");
  size_t len = 0;
  must(sgp_session_respond(&w.s[b], a, NULL, 0, w.now, out, sizeof out, &len), "respond");
  p = pool_push(b, a, out, len);
  must(deliver(a, p->b, p->len, p, 0), "deliver response");
  if (!confirm) return;
  must(sgp_session_keepalive(&w.s[a], b, w.now, out, sizeof out, &len), "keepalive");
  p = pool_push(a, b, out, len);
  must(deliver(b, p->b, p->len, p, 0), "deliver keepalive");
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_init();
  trace = getenv("FZ_TRACE") != NULL;
  for (uint32_t i = 0; i < N; i++) {
    if (sodium_hex2bin(dh_sk[i], 32, DH_SK_HEX[i], 64, NULL, NULL, NULL) != 0 ||
        crypto_scalarmult_base(dh_pk[i], dh_sk[i]) != 0)
      abort();
  }
  layers_init();
  memcpy(&worlds[0], &w, sizeof w);

  handshake(0, 1, 1);
  w.now += 10;
  handshake(2, 1, 0);
  w.now += 10;
  struct fz_in in = {(const uint8_t[]){0, 0, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'}, 11};
  op_seal(&in); /* 0 -> 1, flags 0, consistent header, "hello" */
  memcpy(&worlds[1], &w, sizeof w);

  /* Node 2's initiation again and again: each passes mac1 and takes a load token.  Past
   * REKEY_TIMEOUT, so node 0 may initiate to node 1 again (and meet the empty bucket). */
  w.now += SGP_REKEY_TIMEOUT_MS;
  initiate(2, 1, NULL, 0); /* rate-limited (REKEY_TIMEOUT): not written */
  const struct pool_ent *ini = NULL;
  for (uint32_t k = 0; k < POOL; k++)
    if (w.pool[k].used && w.pool[k].b[0] == SGP_MSG_INITIATION && w.pool[k].from == 2)
      ini = &w.pool[k];
  if (!ini) abort();
  static struct pool_ent copy;
  memcpy(&copy, ini, sizeof copy);
  copy.accepted = 0;
  for (int k = 0; k < 101; k++) (void)deliver(1, copy.b, copy.len, NULL, 0);
  memcpy(&worlds[2], &w, sizeof w);
  if (trace)
    fprintf(stderr, "--- worlds ready; pool_next %u, %u, %u\n", worlds[0].pool_next,
            worlds[1].pool_next, worlds[2].pool_next);
  return 0;
}

/* ---- Noise mode ------------------------------------------------------------ */

enum { NOISE_OPS = 12, NOISE_PAYLOAD = 300, NOISE_RAW = 200 };
static struct sgp_noise_handshake nhs[2], nsnap;
static int diverged; /* a modified or raw message was accepted (unauthenticated part) */
static uint8_t nmsg[NOISE_PAYLOAD + 4 * SGP_NOISE_DHLEN + 4 * SGP_NOISE_TAGLEN],
    npt[NOISE_PAYLOAD + 64], nct[NOISE_RAW + 64];

static void nsave(int k) {
  memcpy(&nsnap, &nhs[k], sizeof nsnap);
}
static void nsame(int k, sgp_err e, const char *what) {
  FZ_CHECK(memcmp(&nsnap, &nhs[k], sizeof nsnap) == 0, "%s failed (%s) but changed side %d", what,
           sgp_err_name(e), k);
}

/* Side k's turn to write: 1; to read: 0; -1 if neither. */
static int writer(void) {
  for (int k = 0; k < 2; k++)
    if (sgp_noise_next(&nhs[k]) == SGP_NOISE_WRITE && sgp_noise_next(&nhs[1 - k]) == SGP_NOISE_READ)
      return k;
  return -1;
}

static void noise_names(struct fz_in *in, enum sgp_noise_pattern pat, unsigned psk) {
  char name[SGP_NOISE_MAX_NAME], text[SGP_NOISE_MAX_NAME];
  size_t cap = fz_u8(in) % SGP_NOISE_MAX_NAME;
  int valid = psk != (SGP_NOISE_PSK0 | SGP_NOISE_PSK2);
  sgp_err e = sgp_noise_protocol_name(pat, psk, name, sizeof name);
  FZ_CHECK((e == SGP_OK) == valid, "protocol_name(%d, %u): %s", (int)pat, psk, sgp_err_name(e));
  if (e == SGP_OK) {
    enum sgp_noise_pattern p2;
    unsigned m2;
    FZ_CHECK(sgp_noise_parse_protocol_name(name, &p2, &m2) == SGP_OK && p2 == pat && m2 == psk,
             "%s does not parse back", name);
    char small[SGP_NOISE_MAX_NAME];
    e = sgp_noise_protocol_name(pat, psk, small, cap);
    FZ_CHECK(e == (strlen(name) < cap ? SGP_OK : SGP_ERR_NO_SPACE), "name in %zu bytes: %s", cap,
             sgp_err_name(e));
  }
  size_t got = 0;
  const uint8_t *b = fz_take(in, fz_u8(in) % SGP_NOISE_MAX_NAME, &got);
  memcpy(text, b, got);
  text[got] = '\0';
  enum sgp_noise_pattern p3;
  unsigned m3;
  e = sgp_noise_parse_protocol_name(text, &p3, &m3);
  fz_check_named(e, "sgp_noise_parse_protocol_name");
  if (e == SGP_OK)
    FZ_CHECK(
        sgp_noise_protocol_name(p3, m3, name, sizeof name) == SGP_OK && strcmp(name, text) == 0,
        "parsed \"%s\", which we do not build", text);
  else
    FZ_CHECK(e == SGP_ERR_INVALID_ARG, "parse: %s", sgp_err_name(e));
}

static void noise_write(struct fz_in *in, uint8_t op) {
  int k = writer();
  size_t got = 0, len = 0, plen = 0;
  const uint8_t *pl = fz_take(in, fz_u16(in) % NOISE_PAYLOAD, &got);
  if (k < 0) return;
  size_t cap = (op & 4) ? got % 40 : sizeof nmsg;
  nsave(k);
  sgp_err e = sgp_noise_write_message(&nhs[k], pl, got, nmsg, cap, &len);
  fz_check_named(e, "sgp_noise_write_message");
  if (e != SGP_OK) {
    FZ_CHECK(e == SGP_ERR_NO_SPACE && cap < sizeof nmsg, "write: %s", sgp_err_name(e));
    nsame(k, e, "write");
    return;
  }
  int mut = (op >> 3) & 3;
  uint16_t pos = fz_u16(in);
  switch (mut) {
    case 1:
      nmsg[pos % len] ^= (uint8_t)(1u << (pos >> 13));
      break;
    case 2:
      len = pos % len;
      break;
    case 3:
      nmsg[len++] = (uint8_t)pos;
      break;
    default:
      break;
  }
  nsave(1 - k);
  e = sgp_noise_read_message(&nhs[1 - k], nmsg, len, npt, sizeof npt, &plen);
  fz_check_named(e, "sgp_noise_read_message");
  if (e != SGP_OK) {
    FZ_CHECK(mut != 0 || diverged, "an unmodified handshake message was rejected: %s",
             sgp_err_name(e));
    nsame(1 - k, e, "read");
    return;
  }
  if (mut != 0) diverged = 1;
  if (mut == 0)
    FZ_CHECK(plen == got && memcmp(npt, pl, got) == 0, "payload differs after the handshake read");
}

static void noise_turn(void) {
  int k = writer();
  if (k < 0) return;
  size_t len = 0;
  nsave(1 - k);
  sgp_err e = sgp_noise_write_message(&nhs[1 - k], NULL, 0, nmsg, sizeof nmsg, &len);
  FZ_CHECK(e == SGP_ERR_STATE, "write out of turn: %s", sgp_err_name(e));
  nsame(1 - k, e, "write out of turn");
  nsave(k);
  e = sgp_noise_read_message(&nhs[k], nmsg, 48, npt, sizeof npt, &len);
  FZ_CHECK(e == SGP_ERR_STATE, "read out of turn: %s", sgp_err_name(e));
  nsame(k, e, "read out of turn");
  struct sgp_noise_cipher a, b;
  uint8_t h[SGP_NOISE_HASHLEN];
  e = sgp_noise_split(&nhs[k], &a, &b);
  FZ_CHECK(e == SGP_ERR_STATE, "split before the end: %s", sgp_err_name(e));
  e = sgp_noise_handshake_hash(&nhs[k], h);
  FZ_CHECK(e == SGP_ERR_STATE, "hash before the end: %s", sgp_err_name(e));
  nsame(k, e, "split / hash before the end");
}

static void noise_raw(struct fz_in *in) {
  size_t got = 0, plen = 0;
  uint16_t sel = fz_u16(in);
  const uint8_t *b = fz_take(in, sel % NOISE_RAW, &got);
  size_t cap = (sel & 0x8000u) ? got % 32 : sizeof npt; /* a payload buffer too small */
  int k = writer();
  if (k < 0) return;
  nsave(1 - k);
  sgp_err e = sgp_noise_read_message(&nhs[1 - k], b, got, npt, cap, &plen);
  fz_check_named(e, "sgp_noise_read_message(raw)");
  if (e != SGP_OK) nsame(1 - k, e, "raw read");
  if (e == SGP_OK) diverged = 1;
}

static void noise_static(void) {
  for (int k = 0; k < 2; k++) {
    uint8_t rs[SGP_NOISE_DHLEN];
    sgp_err e = sgp_noise_remote_static(&nhs[k], rs);
    FZ_CHECK(e == SGP_OK || e == SGP_ERR_STATE, "remote_static: %s", sgp_err_name(e));
    if (e == SGP_OK)
      FZ_CHECK(memcmp(rs, dh_pk[1 - k], sizeof rs) == 0, "side %d learned a wrong static key", k);
  }
}

/* One transport message from -> to: delivered, then a tampered copy. */
static void noise_transport(struct fz_in *in, struct sgp_noise_cipher *from,
                            struct sgp_noise_cipher *to) {
  size_t got = 0, clen = 0, plen = 0;
  const uint8_t *pt = fz_take(in, fz_u16(in) % NOISE_RAW, &got);
  uint8_t ad = fz_u8(in);
  sgp_err e = sgp_noise_encrypt(from, &ad, 1, pt, got, nct, sizeof nct, &clen);
  FZ_CHECK(e == SGP_OK && clen == got + SGP_NOISE_TAGLEN, "encrypt: %s", sgp_err_name(e));
  uint64_t n = to->n;
  e = sgp_noise_decrypt(to, &ad, 1, nct, clen, npt, sizeof npt, &plen);
  FZ_CHECK(e == SGP_OK && plen == got && memcmp(npt, pt, got) == 0 && to->n == n + 1,
           "the peer cannot decrypt: %s", sgp_err_name(e));
  uint16_t pos = fz_u16(in);
  nct[pos % clen] ^= (uint8_t)(1u << (pos >> 13));
  struct sgp_noise_cipher prev = *from;
  prev.n--; /* the tampered copy under the nonce it was sealed with */
  e = sgp_noise_decrypt_at(&prev, prev.n, &ad, 1, nct, clen, npt, sizeof npt, &plen);
  FZ_CHECK(e == SGP_ERR_CRYPTO, "a tampered transport message: %s", sgp_err_name(e));
  n = to->n;
  e = sgp_noise_decrypt(to, &ad, 1, nct, clen, npt, sizeof npt, &plen);
  FZ_CHECK(e == SGP_ERR_CRYPTO && to->n == n, "tampered / stale message: %s, counter moved",
           sgp_err_name(e));
  e = sgp_noise_decrypt(to, &ad, 1, nct, pos % SGP_NOISE_TAGLEN, npt, sizeof npt, &plen);
  FZ_CHECK(e == SGP_ERR_TRUNCATED, "short ciphertext: %s", sgp_err_name(e));
  e = sgp_noise_encrypt_at(from, UINT64_MAX, NULL, 0, pt, got, nct, sizeof nct, &clen);
  FZ_CHECK(e == SGP_ERR_EXHAUSTED, "nonce 2^64-1: %s", sgp_err_name(e));
  e = sgp_noise_decrypt_at(to, UINT64_MAX, NULL, 0, nct, SGP_NOISE_TAGLEN, npt, sizeof npt, &plen);
  FZ_CHECK(e == SGP_ERR_EXHAUSTED, "nonce 2^64-1: %s", sgp_err_name(e));
}

static void noise_mode(struct fz_in *in) {
  static const unsigned mods[4] = {0, SGP_NOISE_PSK0, SGP_NOISE_PSK2,
                                   SGP_NOISE_PSK0 | SGP_NOISE_PSK2};
  uint8_t sel = fz_u8(in), bad = fz_u8(in) % 16;
  enum sgp_noise_pattern pat = (enum sgp_noise_pattern)(1 + sel % 3);
  unsigned psk_mod = mods[(sel >> 2) & 3];
  int fixed_e = (sel >> 4) & 1;
  size_t got = 0, plen = fz_u8(in) % 64;
  uint8_t prologue[64] = {0}, psk[32] = {0}, e_fixed[2][32] = {{0}};
  memcpy(prologue, fz_take(in, plen, &got), got);
  plen = got;
  memcpy(psk, fz_take(in, sizeof psk, &got), got);
  if (fixed_e)
    for (int k = 0; k < 2; k++) memcpy(e_fixed[k], fz_take(in, 32, &got), got);
  noise_names(in, pat, psk_mod);
  size_t okm_len = fz_u16(in) % (SGP_HKDF_MAX_OKM + 64);
  {
    static uint8_t okm[SGP_HKDF_MAX_OKM + 64];
    sgp_err e = sgp_hkdf_expand(okm, okm_len, psk, prologue, plen);
    FZ_CHECK(e == (okm_len <= SGP_HKDF_MAX_OKM ? SGP_OK : SGP_ERR_INVALID_ARG), "expand %zu: %s",
             okm_len, sgp_err_name(e));
  }

  uint64_t ctr[2] = {0x4e01, 0x4e02};
  diverged = 0;
  int broken = psk_mod == (SGP_NOISE_PSK0 | SGP_NOISE_PSK2);
  for (int k = 0; k < 2; k++) {
    struct sgp_noise_config c;
    memset(&c, 0, sizeof c);
    int init = k == 0;
    c.pattern = pat;
    c.psk_modifiers = psk_mod;
    c.role = init ? SGP_NOISE_INITIATOR : SGP_NOISE_RESPONDER;
    c.prologue = plen ? prologue : NULL;
    c.prologue_len = plen;
    c.s = dh_sk[k];
    int rs_known = pat == SGP_NOISE_KK || (pat == SGP_NOISE_IK && init);
    c.rs = rs_known ? dh_pk[1 - k] : NULL;
    c.psk = psk_mod ? psk : NULL;
    if (fixed_e) {
      c.e = e_fixed[k];
    } else {
      c.rng = fz_rng_fill;
      c.rng_ctx = &ctr[k];
    }
    if (k == (bad >> 3)) { /* one broken rule, on one side */
      switch (bad & 7) {
        case 1:
          c.role = (enum sgp_noise_role)0;
          break;
        case 2:
          c.rs = rs_known ? NULL : dh_pk[1 - k];
          break;
        case 3:
          c.psk = psk_mod ? NULL : psk;
          break;
        case 4:
          c.rng = fz_rng_fill;
          c.rng_ctx = &ctr[k];
          c.e = e_fixed[k];
          break;
        case 5:
          c.prologue = NULL;
          c.prologue_len = plen + 1;
          break;
        case 6:
          c.s = NULL;
          break;
        case 7:
          c.pattern = (enum sgp_noise_pattern)(4 + sel % 3);
          break;
        default:
          break;
      }
    }
    int side_broken = broken || (k == (bad >> 3) && (bad & 7) != 0);
    memset(&nhs[k], 0x5a, sizeof nhs[k]);
    sgp_err e = sgp_noise_init(&nhs[k], &c);
    fz_check_named(e, "sgp_noise_init");
    if (side_broken) {
      FZ_CHECK(e == SGP_ERR_INVALID_ARG && sgp_noise_next(&nhs[k]) == SGP_NOISE_NONE,
               "a broken configuration (%u) gave %s", bad & 7, sgp_err_name(e));
      return;
    }
    FZ_CHECK(e == SGP_OK, "init: %s", sgp_err_name(e));
  }

  for (int op = 0; op < NOISE_OPS && in->n > 0; op++) {
    uint8_t o = fz_u8(in);
    switch (o & 3u) {
      case 0:
        noise_write(in, o);
        break;
      case 1:
        noise_turn();
        break;
      case 2:
        noise_raw(in);
        break;
      default:
        noise_static();
        break;
    }
  }
  if (trace)
    fprintf(stderr, "noise: pattern %d psk %u next %d %d diverged %d\n", (int)pat, psk_mod,
            (int)sgp_noise_next(&nhs[0]), (int)sgp_noise_next(&nhs[1]), diverged);
  if (sgp_noise_next(&nhs[0]) != SGP_NOISE_SPLIT || sgp_noise_next(&nhs[1]) != SGP_NOISE_SPLIT)
    return;
  uint8_t h0[SGP_NOISE_HASHLEN], h1[SGP_NOISE_HASHLEN];
  FZ_CHECK(sgp_noise_handshake_hash(&nhs[0], h0) == SGP_OK &&
               sgp_noise_handshake_hash(&nhs[1], h1) == SGP_OK && memcmp(h0, h1, sizeof h0) == 0,
           "both sides finished with different handshake hashes");
  noise_static();
  struct sgp_noise_cipher send[2], recv[2];
  for (int k = 0; k < 2; k++) {
    FZ_CHECK(sgp_noise_split(&nhs[k], &send[k], &recv[k]) == SGP_OK, "split");
    FZ_CHECK(sgp_noise_next(&nhs[k]) == SGP_NOISE_NONE &&
                 sgp_noise_split(&nhs[k], &send[k], &recv[k]) == SGP_ERR_STATE &&
                 sgp_noise_handshake_hash(&nhs[k], h0) == SGP_OK && memcmp(h0, h1, sizeof h0) == 0,
             "after split: next, split again or the hash");
  }
  for (int r = 0; r < 3 && in->n > 0; r++) {
    int k = fz_u8(in) & 1;
    noise_transport(in, &send[k], &recv[1 - k]);
  }
  struct sgp_noise_cipher none;
  memset(&none, 0, sizeof none);
  size_t len = 0;
  FZ_CHECK(sgp_noise_encrypt(&none, NULL, 0, NULL, 0, nct, sizeof nct, &len) == SGP_ERR_STATE,
           "a cipher without a key encrypts");
  for (int k = 0; k < 2; k++) {
    sgp_noise_cipher_destroy(&send[k]);
    sgp_noise_cipher_destroy(&recv[k]);
    sgp_noise_handshake_destroy(&nhs[k]);
    FZ_CHECK(sgp_noise_next(&nhs[k]) == SGP_NOISE_NONE, "destroyed handshake is not NONE");
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_in in = {data, size};
  if (size > 0 && data[0] == 0xff) {
    fz_u8(&in);
    noise_mode(&in);
    return 0;
  }
  memcpy(&w, &worlds[fz_u8(&in) % WORLDS], sizeof w);
  for (int op = 0; op < MAX_OPS && in.n > 0; op++) {
    switch (fz_u8(&in) % 8) {
      case 0:
        op_seal(&in);
        break;
      case 1:
        op_keepalive(&in);
        break;
      case 2:
        op_initiate(&in);
        break;
      case 3:
        op_respond(&in);
        break;
      case 4:
        op_deliver(&in, 0);
        break;
      case 5:
        op_raw(&in);
        break;
      case 6:
        op_tick(&in);
        break;
      default:
        op_deliver(&in, 1);
        break;
    }
  }
  return 0;
}
