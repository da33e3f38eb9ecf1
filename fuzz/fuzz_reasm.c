/* Target Functions: sgp_reasm_add, sgp_reasm_session_open/close, sgp_reasm_expire,
 * sgp_frag_make, sgp_frag_check, sgp_frag_layout, sgp_jig_encode/decode (jigsaw undo)
 *
 * One reassembler for a roster of 3 peers with the spec defaults except reasm_global_bytes at
 * its minimum (1 MiB, so the global cap bites after four large messages).  The fuzzer plays a
 * consistent sender (messages built by sgp_jig_encode + sgp_frag_make, fragments delivered in
 * any order, duplicated or lost) and an inconsistent one (fuzz-chosen headers and bytes) on the
 * same sessions.  Fragments given to sgp_reasm_add are "authenticated" (the trust boundary of
 * fragment.h): the session layer is fuzz_session's job.
 *
 * Input: a script of at most 64 operations, s2n style (reads past the end give 0);
 * op = byte % 7:
 *   0 OPEN    peer                       sgp_reasm_session_open into sid slot (9 slots)
 *   1 CLOSE   slot                       sgp_reasm_session_close
 *   2 MSG     slot, mode (off/aont/aont+parity), length sel, content seed
 *             a consistent sender's new message (msg_id from sgp_frag_next_id per slot)
 *   3 FRAG    message, index, mutation (0: none; else one header field or payload byte changed,
 *             which marks the message inconsistent)
 *   4 RAW     slot, msg_id, flags, index, count, total sel, length, bytes
 *   5 TIME    delta sel; sgp_reasm_expire
 *   6 BURST   message, skipped index: every other fragment of the message in order
 *
 * Invariants (each a finding if it breaks):
 *   - every return is a named code;
 *   - caps (SGP-FRAG-9, -10): bytes_in_use <= global_bytes, every peer's reserved bytes <=
 *     peer_bytes and messages <= peer_msgs, msgs_in_progress <= max_msgs, pages_in_use <=
 *     bytes_in_use / 1158 (fragment.h: the page pool never runs dry);
 *   - a fragment rejected by the stateless checks, as done or as a duplicate changes nothing
 *     but its counter (the reassembler's struct and metadata compared byte for byte);
 *   - a delivered message has the length its header announced, its msg_id is done afterwards,
 *     and if it belongs to a consistent sender's message nobody interfered with it is exactly
 *     the message sent, delivered once, and sgp_jig_decode gives back the original packet
 *     (SGP-JIG-4, SGP-JIG-5 with one fragment lost under parity).
 * Speed: the 1 MiB page pool is not reset per input (only the metadata and the struct are
 * restored): the reassembler never reads a page it did not write, which the delivered-bytes
 * check would catch as a difference.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "sgp/fragment.h"
#include "sgp/jigsaw.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { NPEERS = 3, SLOTS = 9, MSGS = 8, MAX_OPS = 64 };

struct sender_msg {
  int used, tainted, delivered;
  uint32_t slot, msg_id;
  uint8_t flags;
  size_t plen, mlen;
  struct sgp_frag_layout l;
};

static struct sgp_reasm r, r_tmpl;
static uint8_t *mem, *meta_tmpl, *meta_before;
static size_t mem_len, meta_len;
static struct sgp_reasm r_before;
static sgp_reasm_sid sid[SLOTS];
static uint32_t id_ctr[SLOTS];
static struct sender_msg msgs[MSGS];
static uint8_t *packet_of[MSGS], *message_of[MSGS];
static uint8_t out[SGP_FRAG_MAX_MESSAGE], undo[SGP_FRAG_MAX_MESSAGE];
static uint8_t frag[SGP_FRAG_DATA + 64];
static uint64_t now, rng_ctr;
static int trace; /* FZ_TRACE=1: print every add (debugging a finding) */

static void check_caps(void) {
  const struct sgp_reasm_stats *s = &r.stats;
  FZ_CHECK(s->bytes_in_use <= r.p.global_bytes, "bytes_in_use %llu > global %u",
           (unsigned long long)s->bytes_in_use, r.p.global_bytes);
  FZ_CHECK(s->bytes_high_water <= r.p.global_bytes, "high water above the global cap");
  FZ_CHECK(s->msgs_in_progress <= r.p.max_msgs, "%u messages in progress > %u", s->msgs_in_progress,
           r.p.max_msgs);
  FZ_CHECK(
      s->pages_in_use <= r.npages && (uint64_t)s->pages_in_use * SGP_FRAG_DATA <= s->bytes_in_use,
      "%u pages in use for %llu reserved bytes", s->pages_in_use,
      (unsigned long long)s->bytes_in_use);
  uint64_t sum = 0;
  for (uint32_t p = 0; p < NPEERS; p++) {
    uint64_t b = sgp_reasm_peer_bytes(&r, p);
    FZ_CHECK(b <= r.p.peer_bytes, "peer %u reserves %llu > %u", p, (unsigned long long)b,
             r.p.peer_bytes);
    FZ_CHECK(sgp_reasm_peer_msgs(&r, p) <= r.p.peer_msgs, "peer %u has %u messages", p,
             sgp_reasm_peer_msgs(&r, p));
    sum += b;
  }
  FZ_CHECK(sum == s->bytes_in_use, "per-peer bytes sum to %llu, global says %llu",
           (unsigned long long)sum, (unsigned long long)s->bytes_in_use);
}

/* Marks every sender message of (slot, msg_id) as interfered with. */
static void taint(uint32_t slot, uint32_t msg_id) {
  for (int i = 0; i < MSGS; i++)
    if (msgs[i].used && msgs[i].slot == slot && msgs[i].msg_id == msg_id) msgs[i].tainted = 1;
}

static int unchanged_codes(sgp_err e) {
  return e == SGP_ERR_RESERVED || e == SGP_ERR_FRAG_HEADER || e == SGP_ERR_FRAG_LENGTH ||
         e == SGP_ERR_FRAG_DONE || e == SGP_ERR_FRAG_DUPLICATE || e == SGP_ERR_STATE;
}

static void add(uint32_t slot, const struct sgp_frag_hdr *h, const uint8_t *b, size_t len) {
  /* Expire first, so the add's own expiry is a no-op and "changes nothing" is exact. */
  (void)sgp_reasm_expire(&r, now);
  memcpy(&r_before, &r, sizeof r);
  memcpy(meta_before, mem, meta_len);
  size_t got = 0;
  sgp_err e = sgp_reasm_add(&r, sid[slot], h, b, len, now, out, sizeof out, &got);
  if (trace)
    fprintf(stderr, "add slot %u id %u flags %u idx %u/%u T %u len %zu -> %s got %zu\n", slot,
            h->msg_id, h->flags, h->index, h->count, h->total_len, len, sgp_err_name(e), got);
  fz_check_named(e, "sgp_reasm_add");
  check_caps();
  if (unchanged_codes(e)) {
    struct sgp_reasm cur = r;
    cur.stats = r_before.stats;
    FZ_CHECK(memcmp(&cur, &r_before, sizeof cur) == 0 && memcmp(mem, meta_before, meta_len) == 0,
             "fragment rejected with %s changed the reassembler", sgp_err_name(e));
  }
  if (e != SGP_OK || got == 0) return;

  FZ_CHECK(got == h->total_len, "delivered %zu bytes, header said %u", got, h->total_len);
  FZ_CHECK(sgp_reasm_is_done(&r, sid[slot], h->msg_id), "delivered msg_id %u not done", h->msg_id);
  size_t ulen = 0;
  sgp_err je = sgp_jig_decode(h->flags, out, got, undo, sizeof undo, &ulen);
  fz_check_named(je, "sgp_jig_decode");
  for (int i = 0; i < MSGS; i++) {
    struct sender_msg *m = &msgs[i];
    if (!m->used || m->tainted || m->slot != slot || m->msg_id != h->msg_id ||
        m->flags != h->flags || m->mlen != got)
      continue;
    /* Within the done window (SGP-FRAG-12) a message is delivered once; a consistent sender
     * never resends one that far back, and 32 is well inside the 64-id window. */
    FZ_CHECK(!m->delivered || id_ctr[slot] - m->msg_id >= 32, "message %u delivered twice",
             m->msg_id);
    m->delivered = 1;
    FZ_CHECK(memcmp(out, message_of[i], got) == 0,
             "delivered message %u (%zu bytes, flags %u) differs from what the sender sent",
             m->msg_id, got, h->flags);
    FZ_CHECK(je == SGP_OK && ulen == m->plen && memcmp(undo, packet_of[i], ulen) == 0,
             "jigsaw undo of message %u does not give the packet back (%s)", m->msg_id,
             sgp_err_name(je));
  }
}

/* ---- operations ---------------------------------------------------------- */

static void op_open(struct fz_in *in) {
  uint32_t peer = fz_u8(in) % (NPEERS + 1); /* NPEERS: an unknown peer */
  for (uint32_t k = 0; k < SLOTS; k++) {
    if (sid[k]) continue;
    sgp_err e = sgp_reasm_session_open(&r, peer, &sid[k]);
    fz_check_named(e, "sgp_reasm_session_open");
    FZ_CHECK(e != SGP_OK || peer < NPEERS, "session opened for unknown peer %u", peer);
    if (e != SGP_OK) {
      sid[k] = 0;
      return;
    }
    /* A new session numbers its messages from 1 again: forget the slot's old ones. */
    id_ctr[k] = 0;
    for (int i = 0; i < MSGS; i++)
      if (msgs[i].slot == k) msgs[i].used = 0;
    return;
  }
}

static void op_close(struct fz_in *in) {
  uint32_t k = fz_u8(in) % SLOTS;
  sgp_err e = sgp_reasm_session_close(&r, sid[k]);
  fz_check_named(e, "sgp_reasm_session_close");
  FZ_CHECK((e == SGP_OK) == (sid[k] != 0), "close of slot %u (sid %llx): %s", k,
           (unsigned long long)sid[k], sgp_err_name(e));
  check_caps();
  if (e != SGP_OK) return;
  sid[k] = 0; /* adds on the slot now fail with SGP_ERR_STATE */
  /* A reopened slot numbers its messages from 1 again: forget the old ones. */
  for (int i = 0; i < MSGS; i++)
    if (msgs[i].slot == k) msgs[i].used = 0;
}

static void op_msg(struct fz_in *in) {
  uint32_t slot = fz_u8(in) % SLOTS;
  uint8_t mode_sel = fz_u8(in), lsel = fz_u8(in), seed = fz_u8(in);
  enum sgp_jig_mode mode = (enum sgp_jig_mode)(mode_sel % 3);
  size_t plen;
  switch (lsel >> 6) {
    case 0:
      plen = 1 + (lsel & 63); /* one fragment */
      break;
    case 1:
      plen = SGP_FRAG_DATA - 40 + (lsel & 63); /* around the fragment boundary (AONT + 32) */
      break;
    case 2:
      plen = (size_t)(lsel & 63) * 97 + 1; /* up to 6 fragments */
      break;
    default:
      plen = SGP_FRAG_MAX_PLAIN - (size_t)(lsel & 63) * 4000; /* large: caps and eviction */
      break;
  }
  int i = 0;
  while (i < MSGS && msgs[i].used) i++;
  if (i == MSGS) i = seed % MSGS;
  struct sender_msg *m = &msgs[i];
  memset(m, 0, sizeof *m);
  /* 256 pseudo-random bytes, then tiled by doubling memcpy: filling 256 KiB byte by byte
   * through the RNG was a third of the target's time. */
  uint64_t c = seed;
  size_t have = plen < 256 ? plen : 256;
  fz_rng_fill(&c, packet_of[i], have);
  while (have < plen) {
    size_t k = have < plen - have ? have : plen - have;
    memcpy(packet_of[i] + have, packet_of[i], k);
    packet_of[i][have] ^= (uint8_t)(have >> 8); /* no period shorter than the message */
    have += k;
  }
  uint8_t flags = 0;
  size_t mlen = 0;
  sgp_err e = sgp_jig_encode(mode, packet_of[i], plen, fz_rng_fill, &rng_ctr, message_of[i],
                             SGP_FRAG_MAX_MESSAGE, &mlen, &flags);
  FZ_CHECK(e == SGP_OK, "sgp_jig_encode(%d, %zu) failed: %s", (int)mode, plen, sgp_err_name(e));
  e = sgp_frag_next_id(&id_ctr[slot], &m->msg_id);
  if (e != SGP_OK) return;
  e = sgp_frag_layout((uint32_t)mlen, flags, &m->l);
  FZ_CHECK(e == SGP_OK, "layout of a message the jigsaw produced: %s", sgp_err_name(e));
  m->used = 1;
  m->slot = slot;
  m->flags = flags;
  m->plen = plen;
  m->mlen = mlen;
}

/* Fragment `index` of message i as the consistent sender makes it. */
static size_t make(int i, uint32_t index, struct sgp_frag_hdr *h) {
  const struct sender_msg *m = &msgs[i];
  size_t len = 0;
  sgp_err e =
      sgp_frag_make(message_of[i], m->mlen, m->flags, m->msg_id, index, h, frag, sizeof frag, &len);
  FZ_CHECK(e == SGP_OK, "sgp_frag_make(%u of %u): %s", index, m->l.count, sgp_err_name(e));
  FZ_CHECK(sgp_frag_check(h, len) == SGP_OK, "a fragment the sender made fails sgp_frag_check");
  return len;
}

static void op_frag(struct fz_in *in) {
  int i = fz_u8(in) % MSGS;
  uint8_t isel = fz_u8(in), mut = fz_u8(in);
  struct sender_msg *m = &msgs[i];
  if (!m->used) return;
  struct sgp_frag_hdr h;
  size_t len = make(i, isel % m->l.count, &h);
  switch (mut & 7) {
    case 0:
      break;
    case 1:
      h.total_len ^= 1u << (fz_u8(in) & 31);
      break;
    case 2:
      h.index = fz_u8(in);
      break;
    case 3:
      h.count = fz_u8(in);
      break;
    case 4:
      h.flags = fz_u8(in);
      break;
    case 5:
      if (len) frag[fz_u16(in) % len] ^= (uint8_t)(1u + fz_u8(in) % 255);
      break;
    case 6:
      len = fz_u16(in) % (len + 2);
      break;
    default:
      h.msg_id = fz_u8(in);
      break;
  }
  if (mut & 7) {
    taint(m->slot, m->msg_id);
    taint(m->slot, h.msg_id);
  }
  add(m->slot, &h, frag, len);
}

static void op_burst(struct fz_in *in) {
  int i = fz_u8(in) % MSGS;
  uint8_t skip = fz_u8(in);
  const struct sender_msg *m = &msgs[i];
  if (!m->used) return;
  for (uint32_t k = 0; k < m->l.count; k++) {
    if (k == (uint32_t)skip % (m->l.count + 1u)) continue; /* count + 1: skip none */
    struct sgp_frag_hdr h;
    size_t len = make(i, k, &h);
    add(m->slot, &h, frag, len);
  }
}

static void op_raw(struct fz_in *in) {
  uint32_t slot = fz_u8(in) % SLOTS;
  struct sgp_frag_hdr h;
  uint8_t idsel = fz_u8(in);
  h.msg_id = (idsel & 0x80) ? fz_u32(in) : idsel;
  h.flags = fz_u8(in);
  h.index = fz_u8(in);
  h.count = fz_u8(in);
  uint8_t tsel = fz_u8(in);
  switch (tsel & 3) {
    case 0:
      h.total_len = tsel >> 2;
      break;
    case 1:
      h.total_len = fz_u16(in);
      break;
    case 2:
      h.total_len = (uint32_t)h.count * SGP_FRAG_DATA - (tsel >> 2);
      break;
    default:
      h.total_len = fz_u32(in);
      break;
  }
  size_t got = 0;
  const uint8_t *b = fz_take(in, fz_u16(in) % (SGP_FRAG_DATA + 8), &got);
  taint(slot, h.msg_id);
  add(slot, &h, b, got);
}

static void op_time(struct fz_in *in) {
  static const uint32_t step[4] = {1, SGP_REASM_TIMEOUT_MS - 1, SGP_REASM_TIMEOUT_MS, 1000};
  uint8_t sel = fz_u8(in);
  now += (sel & 4) ? fz_u16(in) : step[sel & 3];
  (void)sgp_reasm_expire(&r, now);
  check_caps();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_init();
  trace = getenv("FZ_TRACE") != NULL;
  struct sgp_reasm_params p;
  sgp_reasm_params_default(&p, NPEERS);
  p.global_bytes = SGP_REASM_GLOBAL_MIN;
  mem_len = sgp_reasm_mem_size(&p);
  mem = aligned_alloc(8, (mem_len + 7) & ~(size_t)7);
  if (!mem || sgp_reasm_init(&r, mem, mem_len, &p) != SGP_OK) abort();
  meta_len = (size_t)(r.pages - mem);
  meta_tmpl = malloc(meta_len);
  meta_before = malloc(meta_len);
  for (int i = 0; i < MSGS; i++) {
    packet_of[i] = malloc(SGP_FRAG_MAX_PLAIN);
    message_of[i] = malloc(SGP_FRAG_MAX_MESSAGE);
    if (!packet_of[i] || !message_of[i]) abort();
  }
  if (!meta_tmpl || !meta_before) abort();
  memcpy(&r_tmpl, &r, sizeof r);
  memcpy(meta_tmpl, mem, meta_len);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_in in = {data, size};
  memcpy(&r, &r_tmpl, sizeof r);
  memcpy(mem, meta_tmpl, meta_len);
  memset(sid, 0, sizeof sid);
  memset(id_ctr, 0, sizeof id_ctr);
  memset(msgs, 0, sizeof msgs);
  now = 1000000;
  rng_ctr = 0;
  /* Two sessions open from the start, so short scripts reach the adds. */
  if (sgp_reasm_session_open(&r, 0, &sid[0]) != SGP_OK ||
      sgp_reasm_session_open(&r, 1, &sid[1]) != SGP_OK)
    abort();
  for (int op = 0; op < MAX_OPS && in.n > 0; op++) {
    switch (fz_u8(&in) % 7) {
      case 0:
        op_open(&in);
        break;
      case 1:
        op_close(&in);
        break;
      case 2:
        op_msg(&in);
        break;
      case 3:
        op_frag(&in);
        break;
      case 4:
        op_raw(&in);
        break;
      case 5:
        op_time(&in);
        break;
      default:
        op_burst(&in);
        break;
    }
  }
  return 0;
}
