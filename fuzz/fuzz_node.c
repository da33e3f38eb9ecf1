/* Target Functions: sgp_node_recv, sgp_node_poll, sgp_node_set_local,
 * sgp_node_generation_persisted (the node engine: carrier, sessions, reassembly, jigsaw,
 * codec, merge, consensus composed)
 *
 * Stateful: three real nodes (roster of 3, test keys of fuzz_common.h, jigsaw AONT+parity on
 * node 1, LSB-PGM carrier on node 2, reasm_global_bytes 1 MiB) exchange datagrams through the
 * harness.  Node 0 is the node under attack: the script decides which of the peers' frames
 * reach it, in which order, modified or not, when the clock moves, and may send it raw bytes
 * from a peer's address.  Every frame a node sends goes to a 32-slot queue.
 *
 * Input: a script of at most 40 operations, s2n style; op = byte % 6:
 *   0 TIME     delta sel (100 ms, a round, 5 s, 2 min, 3 min, or u16 ms); every node polls
 *   1 DELIVER  queue slot, mutation (none, flip bit, set byte, truncate): the frame to its
 *              addressee (cookie replies: back to the source)
 *   2 PUMP     deliver every queued frame once, oldest first (a whole exchange in one op)
 *   3 RAW      source peer, u16 length, bytes: to node 0
 *   4 LOCAL    node, u16 suspicion, 5 sub-score bytes: sgp_node_set_local
 *   5 PERSIST  node: acknowledge a pending generation (sgp_node_generation_persisted)
 * Invariants (each a finding if it breaks):
 *   - every return is a named code; poll returns SGP_OK (the seq space cannot run out here);
 *   - a rejected datagram is counted under exactly one §7.12 counter (SGP-XPORT-51): the sum
 *     of stats.drop[] moves by one;
 *   - verdicts are valid values; the reassembler's reserved bytes stay within its cap.
 * Start: a snapshot taken after six warm-up rounds with every frame delivered (sessions
 * current, every report known).
 * Speed: the three nodes are restored per input from that snapshot, except
 * their scratch buffers (packet structs, message and frame buffers, reassembly pages), which
 * every path writes before reading.  X25519 results are memoised (exact-match cache in front
 * of libsodium, byte-identical results; see "X25519 memo" below); every AEAD, Ed25519 sign and
 * verify, hash and MAC still runs for real on every datagram.  PUMP copies only the used bytes
 * of the queued frames.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "sgp/cookie.h"
#include "sgp/keys.h"
#include "sgp/node.h"
#include "sgp/roster.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { N = 3, QUEUE = 32, MAX_OPS = 40, FRAME_MAX = SGP_CARRIER_MAX_FRAME };
#define T0 UINT64_C(1000000)

struct frame {
  uint32_t from, to; /* to: roster id */
  uint32_t len;
  uint8_t b[FRAME_MAX];
};

static struct sgp_node nodes[N], snap_nodes[N];
static uint8_t *mem[N], *snap_mem[N];
static size_t mem_len[N];
static uint8_t sign_pk[N][32], dh_pk[N][32];
static struct sgp_addr addr[N];
static struct sgp_roster roster;
static uint8_t src_of[N][SGP_COOKIE_ADDR_MAX];
static size_t src_len[N];
static uint64_t rng_ctr[N], snap_rng[N];
static struct frame queue[QUEUE];
static uint32_t q_next, q_used;
static uint64_t now, snap_now;
static int trace; /* FZ_TRACE=1: per-node counters after each input */
static uint32_t in_recv = UINT32_MAX, in_recv_from = UINT32_MAX; /* who is processing what */

struct region {
  size_t off, len;
};
static struct region scratch[N][12];
static size_t nscratch[N];

static void on_send(void *ctx, uint32_t peer, const uint8_t *src, size_t slen, const uint8_t *d,
                    size_t len) {
  uint32_t from = (uint32_t)(uintptr_t)ctx;
  (void)src;
  (void)slen;
  FZ_CHECK(len > 0 && len <= FRAME_MAX, "node %u sent a %zu-byte frame", from, len);
  uint32_t to = peer;
  if (peer == SGP_NODE_TO_SRC) {
    FZ_CHECK(in_recv == from && in_recv_from < N, "reply to source outside a receive");
    to = in_recv_from;
  }
  FZ_CHECK(to < N && to != from, "node %u sent to %u", from, peer);
  struct frame *f = &queue[q_next++ % QUEUE];
  f->from = from;
  f->to = to;
  f->len = (uint32_t)len;
  memcpy(f->b, d, len);
  if (q_used < QUEUE) q_used++;
}

static uint64_t drops(const struct sgp_node *nd) {
  const struct sgp_node_stats *s = sgp_node_stats(nd);
  uint64_t t = 0;
  for (int i = 0; i < SGP_NODE_DROP_COUNT; i++) t += s->drop[i];
  return t;
}

static void deliver(uint32_t to, uint32_t from, const uint8_t *d, size_t len) {
  uint64_t d0 = drops(&nodes[to]);
  in_recv = to;
  in_recv_from = from;
  sgp_err e = sgp_node_recv(&nodes[to], now, src_of[from], src_len[from], d, len);
  in_recv = in_recv_from = UINT32_MAX;
  fz_check_named(e, "sgp_node_recv");
  uint64_t d1 = drops(&nodes[to]);
  if (e != SGP_OK && e != SGP_ERR_INVALID_ARG && e != SGP_ERR_NO_SPACE)
    FZ_CHECK(d1 == d0 + 1, "node %u rejected a datagram (%s) under %llu counters", to,
             sgp_err_name(e), (unsigned long long)(d1 - d0));
  for (uint32_t j = 0; j < N; j++) {
    sgp_verdict v = sgp_node_verdict(&nodes[to], j);
    FZ_CHECK((unsigned)v <= 4u, "verdict %d", (int)v);
  }
  FZ_CHECK(nodes[to].reasm.stats.bytes_in_use <= nodes[to].reasm.p.global_bytes,
           "reassembler over its cap");
}

static void poll_all(void) {
  for (uint32_t i = 0; i < N; i++) {
    sgp_err e = sgp_node_poll(&nodes[i], now);
    FZ_CHECK(e == SGP_OK, "poll of node %u: %s", i, sgp_err_name(e));
  }
}

static void op_time(struct fz_in *in) {
  static const uint32_t step[5] = {SGP_NODE_TIMER_MS, 1000, 5000, 120000, 180000};
  uint8_t sel = fz_u8(in);
  now += (sel & 8) ? fz_u16(in) : step[(sel & 7) % 5];
  poll_all();
}

static void op_deliver(struct fz_in *in) {
  static uint8_t d[FRAME_MAX];
  const struct frame *f = &queue[fz_u8(in) % QUEUE];
  uint8_t mut = fz_u8(in);
  if (f->len == 0) return;
  size_t len = f->len;
  memcpy(d, f->b, len);
  switch (mut & 3) {
    case 1: {
      uint16_t pos = fz_u16(in);
      d[pos % len] ^= (uint8_t)(1u << (pos >> 13));
      break;
    }
    case 2: {
      uint16_t pos = fz_u16(in);
      d[pos % len] = fz_u8(in);
      break;
    }
    case 3:
      len = fz_u16(in) % (len + 1);
      break;
    default:
      break;
  }
  deliver(f->to, f->from, d, len);
}

static void op_pump(void) {
  static struct frame batch[QUEUE];
  uint32_t n = q_used, start = (q_next + QUEUE - q_used) % QUEUE;
  /* Header and the used bytes only: a whole slot is 64 KiB, and copying 32 of them per
   * PUMP was most of the harness's own time. */
  for (uint32_t k = 0; k < n; k++) {
    const struct frame *f = &queue[(start + k) % QUEUE];
    batch[k].from = f->from;
    batch[k].to = f->to;
    batch[k].len = f->len;
    memcpy(batch[k].b, f->b, f->len);
  }
  q_used = 0;
  for (uint32_t k = 0; k < n; k++) deliver(batch[k].to, batch[k].from, batch[k].b, batch[k].len);
}

static void op_raw(struct fz_in *in) {
  uint32_t from = 1 + fz_u8(in) % (N - 1);
  size_t got = 0;
  const uint8_t *b = fz_take(in, fz_u16(in) % 1400, &got);
  deliver(0, from, b, got);
}

static void op_local(struct fz_in *in) {
  uint32_t i = fz_u8(in) % N;
  uint32_t s = fz_u16(in) % 5200;
  uint16_t sub[SGP_SUBSCORES];
  for (int k = 0; k < SGP_SUBSCORES; k++) sub[k] = (uint16_t)(fz_u8(in) * 4);
  sgp_err e = sgp_node_set_local(&nodes[i], s, sub);
  fz_check_named(e, "sgp_node_set_local");
}

static void op_persist(struct fz_in *in) {
  uint32_t i = fz_u8(in) % N;
  uint32_t g = sgp_node_generation_pending(&nodes[i]);
  if (g) FZ_CHECK(sgp_node_generation_persisted(&nodes[i], g) == SGP_OK, "persist %u", g);
}

/* ---- X25519 memo -------------------------------------------------------------
 * X25519 was over half of this target's CPU time: the scripts the fuzzer likes best are
 * handshake storms (session expiry, then retries with fresh ephemerals and their responses),
 * and every initiation and response costs 3-5 scalar multiplications, besides the static
 * public key the handshake recomputes each time.  X25519 is a pure function, and this
 * target's inputs are all (derived from) the same deterministic keys (the node rngs restart
 * from the snapshot counters), so the same pairs recur from input to input.  These two
 * definitions take the place of libsodium's for the library linked into this binary: each
 * result (output bytes and return code) comes from libsodium's crypto_scalarmult_curve25519
 * [_base] the first time and from an exact-match cache afterwards, so the library sees
 * byte-identical results.  Every AEAD seal and open, Ed25519 sign and verify, hash and MAC
 * still runs for real on every datagram.  FZ_NODE_NO_MEMO=1 turns the cache off (to check
 * that traces and findings do not depend on it). */
enum { MEMO_SLOTS = 1 << 12 };
struct memo {
  uint8_t used, base;
  int rc;
  uint8_t n[32], p[32], q[32];
};
static struct memo *memo; /* MEMO_SLOTS entries, direct-mapped; NULL: off */

static size_t memo_slot(const uint8_t *n, const uint8_t *p) {
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  for (size_t i = 0; i < 32; i++) h = (h ^ n[i]) * UINT64_C(0x100000001b3);
  if (p)
    for (size_t i = 0; i < 32; i++) h = (h ^ p[i]) * UINT64_C(0x100000001b3);
  return (size_t)(h >> 20) % MEMO_SLOTS;
}

static int memo_mult(unsigned char *q, const unsigned char *n, const unsigned char *p) {
  if (!memo)
    return p ? crypto_scalarmult_curve25519(q, n, p) : crypto_scalarmult_curve25519_base(q, n);
  struct memo *m = &memo[memo_slot(n, p)];
  if (m->used && m->base == !p && memcmp(m->n, n, 32) == 0 && (!p || memcmp(m->p, p, 32) == 0)) {
    memcpy(q, m->q, 32);
    return m->rc;
  }
  uint8_t nn[32], pp[32];
  memcpy(nn, n, 32); /* q may alias n or p */
  if (p) memcpy(pp, p, 32);
  int rc = p ? crypto_scalarmult_curve25519(q, n, p) : crypto_scalarmult_curve25519_base(q, n);
  m->used = 1;
  m->base = !p;
  m->rc = rc;
  memcpy(m->n, nn, 32);
  if (p) memcpy(m->p, pp, 32);
  memcpy(m->q, q, 32);
  return rc;
}

int crypto_scalarmult(unsigned char *q, const unsigned char *n, const unsigned char *p) {
  return memo_mult(q, n, p);
}

int crypto_scalarmult_base(unsigned char *q, const unsigned char *n) {
  return memo_mult(q, n, NULL);
}

/* ---- setup and restore ------------------------------------------------------- */

static void add_scratch(uint32_t i, const void *p, size_t len) {
  if (!p || !len) return;
  size_t off = (size_t)((const uint8_t *)p - mem[i]);
  if (off >= mem_len[i] || nscratch[i] == sizeof scratch[i] / sizeof scratch[i][0]) return;
  if (len > mem_len[i] - off) len = mem_len[i] - off;
  scratch[i][nscratch[i]++] = (struct region){off, len};
}

static int cmp_region(const void *a, const void *b) {
  const struct region *x = a, *y = b;
  return x->off < y->off ? -1 : x->off > y->off;
}

static void restore(uint32_t i) {
  memcpy(&nodes[i], &snap_nodes[i], sizeof nodes[i]);
  size_t at = 0;
  for (size_t k = 0; k < nscratch[i]; k++) {
    const struct region *r = &scratch[i][k];
    if (r->off > at) memcpy(mem[i] + at, snap_mem[i] + at, r->off - at);
    if (r->off + r->len > at) at = r->off + r->len;
  }
  if (at < mem_len[i]) memcpy(mem[i] + at, snap_mem[i] + at, mem_len[i] - at);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_init();
  trace = getenv("FZ_TRACE") != NULL;
  if (!getenv("FZ_NODE_NO_MEMO")) {
    memo = calloc(MEMO_SLOTS, sizeof *memo);
    if (!memo) abort();
  }
  static struct sgp_secret_key key[N];
  for (uint32_t i = 0; i < N; i++) {
    uint8_t pk[32], sk[64], dh[32];
    fz_keypair(i, pk, sk);
    for (size_t b = 0; b < 32; b++) dh[b] = (uint8_t)(0x40 + i * 7 + b);
    if (sgp_secret_key_from_seeds(&key[i], i, sk, dh) != SGP_OK) abort();
    memcpy(sign_pk[i], key[i].sign_pk, 32);
    memcpy(dh_pk[i], key[i].dh_pk, 32);
    addr[i].family = SGP_ADDR_V4;
    memset(addr[i].ip, 0, sizeof addr[i].ip);
    addr[i].ip[0] = 127, addr[i].ip[3] = 1;
    addr[i].port = (uint16_t)(9000 + i);
    if (sgp_cookie_addr(&addr[i], src_of[i], &src_len[i]) != SGP_OK) abort();
  }
  roster.n = roster.cap = N;
  roster.sign_pk = sign_pk;
  roster.dh_pk = dh_pk;
  roster.addr = addr;
  for (uint32_t i = 0; i < N; i++) {
    struct sgp_node_config c;
    memset(&c, 0, sizeof c);
    sgp_params_default(&c.params, N);
    c.self = i;
    c.generation = 1 + i;
    c.roster = &roster;
    c.key = &key[i];
    c.t_gossip_ms = 1000;
    c.jigsaw = i == 1 ? 3 : 0;
    c.carrier = i == 2 ? SGP_CARRIER_LSB_PGM : SGP_CARRIER_RAW;
    c.reasm_global_bytes = SGP_REASM_GLOBAL_MIN;
    rng_ctr[i] = 0x4e4f4445u + i;
    c.rng = fz_rng_fill;
    c.rng_ctx = &rng_ctr[i];
    c.send = on_send;
    c.send_ctx = (void *)(uintptr_t)i;
    mem_len[i] = sgp_node_mem_size(&c);
    mem[i] = aligned_alloc(8, (mem_len[i] + 7) & ~(size_t)7);
    snap_mem[i] = aligned_alloc(8, (mem_len[i] + 7) & ~(size_t)7);
    if (!mem_len[i] || !mem[i] || !snap_mem[i]) abort();
    sgp_err e = sgp_node_init(&nodes[i], &c, mem[i], mem_len[i], T0);
    if (e != SGP_OK) {
      fprintf(stderr, "fuzz_node: sgp_node_init(%u): %s\n", i, sgp_err_name(e));
      abort();
    }
    sodium_memzero(&key[i], sizeof key[i]);
    const struct sgp_node *nd = &nodes[i];
    add_scratch(i, nd->pkt_rx, sizeof(sgp_packet));
    add_scratch(i, nd->pkt_tx, sizeof(sgp_packet));
    add_scratch(i, nd->enc, SGP_MAX_PACKET);
    add_scratch(i, nd->msg_tx, SGP_FRAG_MAX_MESSAGE);
    add_scratch(i, nd->msg_rx, SGP_FRAG_MAX_MESSAGE);
    add_scratch(i, nd->dgram_tx, SGP_DGRAM_MAX);
    add_scratch(i, nd->dgram_rx, SGP_DGRAM_MAX);
    add_scratch(i, nd->pt_rx, SGP_DGRAM_MAX);
    add_scratch(i, nd->frame, nd->frame_cap);
    add_scratch(i, nd->reasm.pages, (size_t)nd->reasm.npages * SGP_FRAG_DATA);
    qsort(scratch[i], nscratch[i], sizeof scratch[i][0], cmp_region);
  }
  /* Warm start: six rounds with every frame delivered, so the snapshot has current sessions
   * and everyone's reports and scripts spend their operations past the handshakes (which
   * time jumps still reach: rekey, expiry). */
  now = T0;
  for (int r = 0; r < 6; r++) {
    struct fz_in warm = {(const uint8_t[]){1}, 1};
    op_time(&warm);
    op_pump();
    op_pump();
  }
  for (uint32_t k = 0; k < QUEUE; k++) queue[k].len = 0;
  q_next = q_used = 0;
  snap_now = now;
  for (uint32_t i = 0; i < N; i++) {
    memcpy(&snap_nodes[i], &nodes[i], sizeof nodes[i]);
    memcpy(snap_mem[i], mem[i], mem_len[i]);
    snap_rng[i] = rng_ctr[i];
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_in in = {data, size};
  for (uint32_t i = 0; i < N; i++) {
    restore(i);
    rng_ctr[i] = snap_rng[i];
  }
  for (uint32_t k = 0; k < QUEUE; k++) queue[k].len = 0;
  q_next = q_used = 0;
  now = snap_now;
  for (int op = 0; op < MAX_OPS && in.n > 0; op++) {
    switch (fz_u8(&in) % 6) {
      case 0:
        op_time(&in);
        break;
      case 1:
        op_deliver(&in);
        break;
      case 2:
        op_pump();
        break;
      case 3:
        op_raw(&in);
        break;
      case 4:
        op_local(&in);
        break;
      default:
        op_persist(&in);
        break;
    }
  }
  if (trace)
    for (uint32_t i = 0; i < N; i++) {
      const struct sgp_node_stats *st = sgp_node_stats(&nodes[i]);
      fprintf(stderr,
              "node %u: rx %llu accepted %llu tx %llu handshakes %llu merged %llu drops %llu "
              "rounds %llu\n",
              i, (unsigned long long)st->rx_datagrams, (unsigned long long)st->rx_accepted,
              (unsigned long long)st->tx_datagrams, (unsigned long long)st->handshakes,
              (unsigned long long)st->packets_merged, (unsigned long long)drops(&nodes[i]),
              (unsigned long long)st->rounds);
    }
  return 0;
}
