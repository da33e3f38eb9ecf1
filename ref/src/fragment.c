/* Fragments and reassembly; see sgp/fragment.h for the contract.
 *
 * Reassembly memory, all inside the caller's block:
 *   sessions | peers | message slots | free-page stack | pages
 * Message slots live on two intrusive lists, both oldest first: the age
 * list of all messages (timeouts pop its head) and their peer's list
 * (eviction pops its head, lookups scan at most peer_msgs entries).  Free
 * slots are chained through age_next.  Every fragment is stored in its own
 * SGP_FRAG_DATA-byte page, found through the slot's page table, so a
 * fragment's place is fixed by its index (§8.3's fixed slots) and no
 * variable-size allocation ever happens.
 */
#include "sgp/fragment.h"

#include <string.h>

#include "sgp/cursor.h"
#include "sgp/jigsaw.h"

#define NIL UINT32_MAX
#define PRESENT_WORDS ((SGP_FRAG_MAX_FRAGMENTS + 63) / 64)

struct sgp_reasm_sess {
  uint64_t done_bits; /* bit j set: done_top - j is done */
  uint32_t peer;
  uint32_t gen; /* 0: entry free */
  uint32_t done_top;
  uint8_t any_done;
};

struct sgp_reasm_peer {
  uint64_t bytes; /* reserved by this peer's messages */
  uint32_t msgs;
  uint32_t head, tail; /* this peer's messages, oldest first */
};

struct sgp_reasm_msg {
  uint64_t first_ms;
  uint64_t present[PRESENT_WORDS];
  uint32_t sess; /* session table index */
  uint32_t msg_id;
  uint32_t total_len;
  uint32_t reserved; /* T, plus P with PARITY */
  uint32_t age_prev, age_next;
  uint32_t peer_prev, peer_next;
  uint8_t flags, k, count, have; /* have: fragments stored, at most k - 1 */
  uint32_t page[SGP_FRAG_MAX_FRAGMENTS];
};

/* ---- sender side ------------------------------------------------------- */

static int flags_ok(uint8_t f) {
  return f == 0x00 || f == SGP_FRAG_FLAG_AONT || f == (SGP_FRAG_FLAG_AONT | SGP_FRAG_FLAG_PARITY);
}

static uint32_t min_u32(uint32_t a, uint32_t b) {
  return a < b ? a : b;
}

sgp_err sgp_frag_layout(uint32_t total_len, uint8_t flags, struct sgp_frag_layout *out) {
  SGP_ENSURE(out, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(flags_ok(flags), SGP_ERR_RESERVED); /* SGP-JIG-1 */
  int aont = (flags & SGP_FRAG_FLAG_AONT) != 0, parity = (flags & SGP_FRAG_FLAG_PARITY) != 0;
  uint32_t lo = aont ? SGP_FRAG_AONT_MIN : 1u;
  uint32_t hi = aont ? SGP_FRAG_MAX_MESSAGE : SGP_FRAG_MAX_PLAIN;
  SGP_ENSURE(total_len >= lo && total_len <= hi, SGP_ERR_FRAG_HEADER);
  uint32_t k = (total_len + SGP_FRAG_DATA - 1u) / SGP_FRAG_DATA; /* <= 227 by the bound above */
  out->total_len = total_len;
  out->k = (uint8_t)k;
  out->count = (uint8_t)(k + (parity ? 1u : 0u));
  out->parity_len = parity ? min_u32(SGP_FRAG_DATA, total_len) : 0u;
  return SGP_OK;
}

size_t sgp_frag_len(const struct sgp_frag_layout *l, uint32_t index) {
  if (!l || index >= l->count) return 0;
  if (index == l->k) return l->parity_len;
  return min_u32(SGP_FRAG_DATA, l->total_len - index * (uint32_t)SGP_FRAG_DATA);
}

sgp_err sgp_frag_check(const struct sgp_frag_hdr *h, size_t len) {
  SGP_ENSURE(h, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(flags_ok(h->flags), SGP_ERR_RESERVED);
  SGP_ENSURE(h->msg_id != 0, SGP_ERR_FRAG_HEADER); /* 0 is the keepalive's */
  struct sgp_frag_layout l;
  SGP_GUARD(sgp_frag_layout(h->total_len, h->flags, &l));
  SGP_ENSURE(h->count == l.count, SGP_ERR_FRAG_HEADER);
  SGP_ENSURE(h->index < h->count, SGP_ERR_FRAG_HEADER);
  SGP_ENSURE(len == sgp_frag_len(&l, h->index), SGP_ERR_FRAG_LENGTH);
  return SGP_OK;
}

int sgp_frag_is_keepalive(const struct sgp_frag_hdr *h, size_t len) {
  return h && h->flags == 0 && h->msg_id == 0 && h->index == 0 && h->count == 0 &&
         h->total_len == 0 && len == 0;
}

sgp_err sgp_frag_make(const uint8_t *msg, size_t msg_len, uint8_t flags, uint32_t msg_id,
                      uint32_t index, struct sgp_frag_hdr *hdr, uint8_t *out, size_t out_cap,
                      size_t *out_len) {
  SGP_ENSURE(msg && hdr && out && out_len, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(msg_id != 0, SGP_ERR_INVALID_ARG); /* SGP-FRAG-2 */
  SGP_ENSURE(flags_ok(flags), SGP_ERR_RESERVED);
  size_t max = (flags & SGP_FRAG_FLAG_AONT) ? SGP_FRAG_MAX_MESSAGE : SGP_FRAG_MAX_PLAIN;
  SGP_ENSURE(msg_len <= max, SGP_ERR_TOO_LARGE);
  struct sgp_frag_layout l;
  SGP_ENSURE(sgp_frag_layout((uint32_t)msg_len, flags, &l) == SGP_OK, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(index < l.count, SGP_ERR_INVALID_ARG);
  size_t n = sgp_frag_len(&l, index);
  SGP_ENSURE(out_cap >= n, SGP_ERR_NO_SPACE);
  if (index == l.k) {
    size_t p;
    SGP_GUARD(sgp_jig_parity(msg, msg_len, out, out_cap, &p));
  } else {
    memcpy(out, msg + (size_t)index * SGP_FRAG_DATA, n);
  }
  hdr->msg_id = msg_id;
  hdr->total_len = (uint32_t)msg_len;
  hdr->flags = flags;
  hdr->index = (uint8_t)index;
  hdr->count = l.count;
  *out_len = n;
  return SGP_OK;
}

sgp_err sgp_frag_next_id(uint32_t *ctr, uint32_t *msg_id) {
  SGP_ENSURE(ctr && msg_id, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(*ctr != UINT32_MAX, SGP_ERR_EXHAUSTED);
  *msg_id = ++*ctr;
  return SGP_OK;
}

sgp_err sgp_frag_ad(uint8_t out[SGP_FRAG_AD_BYTES], const struct sgp_frag_hdr *h,
                    uint32_t receiver_index, uint64_t counter) {
  SGP_ENSURE(out && h, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(flags_ok(h->flags), SGP_ERR_RESERVED);
  struct sgp_cursor c = sgp_cursor_writer(out, SGP_FRAG_AD_BYTES);
  SGP_GUARD(sgp_cursor_write_u8(&c, SGP_FRAG_DATA_TYPE));
  SGP_GUARD(sgp_cursor_write_u8(&c, h->flags));
  SGP_GUARD(sgp_cursor_write_u16(&c, 0));
  SGP_GUARD(sgp_cursor_write_u32(&c, receiver_index));
  SGP_GUARD(sgp_cursor_write_u64(&c, counter));
  SGP_GUARD(sgp_cursor_write_u32(&c, h->msg_id));
  SGP_GUARD(sgp_cursor_write_u8(&c, h->index));
  SGP_GUARD(sgp_cursor_write_u8(&c, h->count));
  SGP_GUARD(sgp_cursor_write_u32(&c, h->total_len));
  return sgp_cursor_end(&c);
}

sgp_err sgp_frag_ad_parse(const uint8_t *dgram, size_t len, struct sgp_frag_hdr *h,
                          uint32_t *receiver_index, uint64_t *counter) {
  SGP_ENSURE(dgram && h && receiver_index && counter, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(len >= SGP_FRAG_AD_BYTES, SGP_ERR_TRUNCATED);
  struct sgp_cursor c = sgp_cursor_reader(dgram, SGP_FRAG_AD_BYTES);
  struct sgp_frag_hdr t;
  uint8_t type;
  uint16_t reserved;
  uint32_t ri;
  uint64_t ctr;
  SGP_GUARD(sgp_cursor_read_u8(&c, &type));
  SGP_GUARD(sgp_cursor_read_u8(&c, &t.flags));
  SGP_GUARD(sgp_cursor_read_u16(&c, &reserved));
  SGP_GUARD(sgp_cursor_read_u32(&c, &ri));
  SGP_GUARD(sgp_cursor_read_u64(&c, &ctr));
  SGP_GUARD(sgp_cursor_read_u32(&c, &t.msg_id));
  SGP_GUARD(sgp_cursor_read_u8(&c, &t.index));
  SGP_GUARD(sgp_cursor_read_u8(&c, &t.count));
  SGP_GUARD(sgp_cursor_read_u32(&c, &t.total_len));
  SGP_ENSURE(type == SGP_FRAG_DATA_TYPE, SGP_ERR_DGRAM_TYPE);
  SGP_ENSURE(reserved == 0 && flags_ok(t.flags), SGP_ERR_RESERVED);
  *h = t;
  *receiver_index = ri;
  *counter = ctr;
  return SGP_OK;
}

/* ---- reassembly: parameters and memory --------------------------------- */

/* Smallest per-peer budget that still admits one largest message with parity. */
#define REASM_PEER_BYTES_MIN ((uint32_t)SGP_FRAG_MAX_MESSAGE + (uint32_t)SGP_FRAG_DATA)
#define REASM_TABLE_MAX (1u << 20)

void sgp_reasm_params_default(struct sgp_reasm_params *p, uint32_t n) {
  if (!p) return;
  p->max_peers = n;
  p->max_sessions = n <= REASM_TABLE_MAX / SGP_REASM_SESSIONS_PER_PEER
                        ? n * SGP_REASM_SESSIONS_PER_PEER
                        : REASM_TABLE_MAX;
  p->max_msgs = n <= SGP_REASM_SLOTS_DEFAULT_MAX / SGP_REASM_PEER_MSGS
                    ? n * SGP_REASM_PEER_MSGS
                    : SGP_REASM_SLOTS_DEFAULT_MAX;
  p->peer_msgs = SGP_REASM_PEER_MSGS;
  p->peer_bytes = SGP_REASM_PEER_BYTES;
  p->global_bytes = SGP_REASM_GLOBAL_DEFAULT;
  p->timeout_ms = SGP_REASM_TIMEOUT_MS;
}

sgp_err sgp_reasm_params_validate(const struct sgp_reasm_params *p) {
  SGP_ENSURE(p, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(p->max_peers >= 1 && p->max_peers <= 16384, SGP_ERR_RANGE);
  SGP_ENSURE(p->max_sessions >= 1 && p->max_sessions <= REASM_TABLE_MAX, SGP_ERR_RANGE);
  SGP_ENSURE(p->max_msgs >= 1 && p->max_msgs <= REASM_TABLE_MAX, SGP_ERR_RANGE);
  SGP_ENSURE(p->peer_msgs >= 1 && p->peer_msgs <= p->max_msgs, SGP_ERR_RANGE);
  SGP_ENSURE(p->global_bytes >= SGP_REASM_GLOBAL_MIN && p->global_bytes <= SGP_REASM_GLOBAL_MAX,
             SGP_ERR_RANGE);
  SGP_ENSURE(p->peer_bytes >= REASM_PEER_BYTES_MIN && p->peer_bytes <= p->global_bytes,
             SGP_ERR_RANGE);
  SGP_ENSURE(p->timeout_ms >= 1 && p->timeout_ms <= 600000u, SGP_ERR_RANGE);
  return SGP_OK;
}

struct reasm_layout {
  uint64_t sess, peers, msgs, free_pages, pages, total;
  uint32_t npages;
};

static uint64_t align8(uint64_t n) {
  return (n + 7u) & ~(uint64_t)7u;
}

/* All products fit in 64 bits: every factor is below 2^31. */
static int reasm_layout(const struct sgp_reasm_params *p, struct reasm_layout *l) {
  if (sgp_reasm_params_validate(p) != SGP_OK) return 0;
  l->npages = p->global_bytes / SGP_FRAG_DATA;
  l->sess = align8((uint64_t)p->max_sessions * sizeof(struct sgp_reasm_sess));
  l->peers = align8((uint64_t)p->max_peers * sizeof(struct sgp_reasm_peer));
  l->msgs = align8((uint64_t)p->max_msgs * sizeof(struct sgp_reasm_msg));
  l->free_pages = align8((uint64_t)l->npages * sizeof(uint32_t));
  l->pages = align8((uint64_t)l->npages * SGP_FRAG_DATA);
  l->total = l->sess + l->peers + l->msgs + l->free_pages + l->pages;
  return l->total <= SIZE_MAX;
}

size_t sgp_reasm_mem_size(const struct sgp_reasm_params *p) {
  struct reasm_layout l;
  return reasm_layout(p, &l) ? (size_t)l.total : 0;
}

sgp_err sgp_reasm_init(struct sgp_reasm *r, void *mem, size_t mem_len,
                       const struct sgp_reasm_params *p) {
  SGP_ENSURE(r && mem && p, SGP_ERR_INVALID_ARG);
  SGP_GUARD(sgp_reasm_params_validate(p));
  struct reasm_layout l;
  SGP_ENSURE(reasm_layout(p, &l), SGP_ERR_NO_SPACE);
  SGP_ENSURE(mem_len >= l.total, SGP_ERR_NO_SPACE);
  SGP_ENSURE(((uintptr_t)mem & 7u) == 0, SGP_ERR_INVALID_ARG);

  memset(r, 0, sizeof *r);
  /* Only the tables: page bytes are written by store() before any read, so
   * the page pool (most of the block) stays untouched until a fragment
   * arrives and costs no resident memory until then. */
  memset(mem, 0, (size_t)(l.total - l.pages));
  uint8_t *base = mem;
  r->p = *p;
  r->mem = mem;
  r->sess = (struct sgp_reasm_sess *)(void *)base;
  r->peers = (struct sgp_reasm_peer *)(void *)(base + l.sess);
  r->msgs = (struct sgp_reasm_msg *)(void *)(base + l.sess + l.peers);
  r->free_pages = (uint32_t *)(void *)(base + l.sess + l.peers + l.msgs);
  r->pages = base + l.sess + l.peers + l.msgs + l.free_pages;
  r->npages = l.npages;
  r->sess_gen = 1;
  r->age_head = r->age_tail = NIL;
  for (uint32_t i = 0; i < p->max_peers; i++) r->peers[i].head = r->peers[i].tail = NIL;
  for (uint32_t i = 0; i < p->max_msgs; i++)
    r->msgs[i].age_next = i + 1 < p->max_msgs ? i + 1 : NIL;
  r->free_slot = 0;
  /* Stack of free pages; popping yields page 0 first. */
  for (uint32_t i = 0; i < l.npages; i++) r->free_pages[i] = l.npages - 1u - i;
  r->free_pages_n = l.npages;
  return SGP_OK;
}

/* ---- sessions and the done-id window (SGP-FRAG-12) --------------------- */

static struct sgp_reasm_sess *sess_of(const struct sgp_reasm *r, sgp_reasm_sid sid, uint32_t *idx) {
  uint32_t i = (uint32_t)sid, gen = (uint32_t)(sid >> 32);
  if (!r || gen == 0 || i >= r->p.max_sessions || r->sess[i].gen != gen) return NULL;
  *idx = i;
  return &r->sess[i];
}

static int done_has(const struct sgp_reasm_sess *s, uint32_t id) {
  if (!s->any_done || id > s->done_top) return 0;
  uint32_t d = s->done_top - id;
  return d >= SGP_FRAG_DONE_WINDOW || ((s->done_bits >> d) & 1u);
}

static void done_add(struct sgp_reasm_sess *s, uint32_t id) {
  if (!s->any_done) {
    s->any_done = 1;
    s->done_top = id;
    s->done_bits = 1;
  } else if (id > s->done_top) {
    uint32_t shift = id - s->done_top;
    s->done_bits = shift >= SGP_FRAG_DONE_WINDOW ? 0 : s->done_bits << shift;
    s->done_bits |= 1u;
    s->done_top = id;
  } else if (s->done_top - id < SGP_FRAG_DONE_WINDOW) {
    s->done_bits |= UINT64_C(1) << (s->done_top - id);
  } /* else: already counts as done */
}

int sgp_reasm_is_done(const struct sgp_reasm *r, sgp_reasm_sid sid, uint32_t msg_id) {
  uint32_t i;
  const struct sgp_reasm_sess *s = sess_of(r, sid, &i);
  return s ? done_has(s, msg_id) : 0;
}

sgp_err sgp_reasm_session_open(struct sgp_reasm *r, uint32_t peer, sgp_reasm_sid *sid) {
  SGP_ENSURE(r && sid, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(peer < r->p.max_peers, SGP_ERR_NODE_ID);
  uint32_t i = 0;
  while (i < r->p.max_sessions && r->sess[i].gen != 0) i++;
  SGP_ENSURE(i < r->p.max_sessions, SGP_ERR_NO_SPACE);
  struct sgp_reasm_sess *s = &r->sess[i];
  memset(s, 0, sizeof *s);
  s->peer = peer;
  s->gen = r->sess_gen;
  r->sess_gen = r->sess_gen == UINT32_MAX ? 1u : r->sess_gen + 1u;
  r->stats.sessions_open++;
  *sid = ((uint64_t)s->gen << 32) | i;
  return SGP_OK;
}

/* ---- message slots, lists and pages ------------------------------------ */

static int bit_get(const uint64_t *b, uint32_t i) {
  return (int)((b[i >> 6] >> (i & 63u)) & 1u);
}

static void bit_set(uint64_t *b, uint32_t i) {
  b[i >> 6] |= UINT64_C(1) << (i & 63u);
}

static uint8_t *page_at(const struct sgp_reasm *r, uint32_t pg) {
  return r->pages + (size_t)pg * SGP_FRAG_DATA;
}

static void age_unlink(struct sgp_reasm *r, uint32_t i) {
  struct sgp_reasm_msg *m = &r->msgs[i];
  if (m->age_prev != NIL)
    r->msgs[m->age_prev].age_next = m->age_next;
  else
    r->age_head = m->age_next;
  if (m->age_next != NIL)
    r->msgs[m->age_next].age_prev = m->age_prev;
  else
    r->age_tail = m->age_prev;
}

static void peer_unlink(struct sgp_reasm *r, struct sgp_reasm_peer *pe, uint32_t i) {
  struct sgp_reasm_msg *m = &r->msgs[i];
  if (m->peer_prev != NIL)
    r->msgs[m->peer_prev].peer_next = m->peer_next;
  else
    pe->head = m->peer_next;
  if (m->peer_next != NIL)
    r->msgs[m->peer_next].peer_prev = m->peer_prev;
  else
    pe->tail = m->peer_prev;
}

static void link_tail(struct sgp_reasm *r, struct sgp_reasm_peer *pe, uint32_t i) {
  struct sgp_reasm_msg *m = &r->msgs[i];
  m->age_prev = r->age_tail;
  m->age_next = NIL;
  if (r->age_tail != NIL)
    r->msgs[r->age_tail].age_next = i;
  else
    r->age_head = i;
  r->age_tail = i;
  m->peer_prev = pe->tail;
  m->peer_next = NIL;
  if (pe->tail != NIL)
    r->msgs[pe->tail].peer_next = i;
  else
    pe->head = i;
  pe->tail = i;
}

/* Releases slot i, its pages and its reservation. */
static void msg_free(struct sgp_reasm *r, uint32_t i) {
  struct sgp_reasm_msg *m = &r->msgs[i];
  struct sgp_reasm_peer *pe = &r->peers[r->sess[m->sess].peer];
  for (uint32_t j = 0; j < m->count; j++)
    if (bit_get(m->present, j)) r->free_pages[r->free_pages_n++] = m->page[j];
  age_unlink(r, i);
  peer_unlink(r, pe, i);
  pe->msgs--;
  pe->bytes -= m->reserved;
  r->stats.msgs_in_progress--;
  r->stats.bytes_in_use -= m->reserved;
  r->stats.pages_in_use -= m->have;
  memset(m, 0, sizeof *m);
  m->age_next = r->free_slot;
  r->free_slot = i;
}

/* Ends a message (delivered or discarded: SGP-FRAG-6, -9, -11, -13): its id
 * is recorded as done, its memory freed, and *counter counts why. */
static void msg_retire(struct sgp_reasm *r, uint32_t i, uint64_t *counter) {
  struct sgp_reasm_msg *m = &r->msgs[i];
  done_add(&r->sess[m->sess], m->msg_id);
  msg_free(r, i);
  (*counter)++;
}

sgp_err sgp_reasm_session_close(struct sgp_reasm *r, sgp_reasm_sid sid) {
  uint32_t si;
  struct sgp_reasm_sess *s = sess_of(r, sid, &si);
  SGP_ENSURE(s, SGP_ERR_STATE);
  struct sgp_reasm_peer *pe = &r->peers[s->peer];
  for (uint32_t i = pe->head; i != NIL;) {
    uint32_t next = r->msgs[i].peer_next;
    if (r->msgs[i].sess == si) {
      msg_free(r, i);
      r->stats.msg_closed++;
    }
    i = next;
  }
  memset(s, 0, sizeof *s);
  r->stats.sessions_open--;
  return SGP_OK;
}

uint32_t sgp_reasm_expire(struct sgp_reasm *r, uint64_t now_ms) {
  if (!r) return 0;
  if (now_ms > r->now_ms) r->now_ms = now_ms;
  uint32_t n = 0;
  /* The age list is in first_ms order because time never goes back here. */
  while (r->age_head != NIL && r->now_ms - r->msgs[r->age_head].first_ms >= r->p.timeout_ms) {
    msg_retire(r, r->age_head, &r->stats.msg_timeout);
    n++;
  }
  return n;
}

uint64_t sgp_reasm_peer_bytes(const struct sgp_reasm *r, uint32_t peer) {
  return r && peer < r->p.max_peers ? r->peers[peer].bytes : 0;
}

uint32_t sgp_reasm_peer_msgs(const struct sgp_reasm *r, uint32_t peer) {
  return r && peer < r->p.max_peers ? r->peers[peer].msgs : 0;
}

static void high_water(struct sgp_reasm_stats *st) {
  if (st->msgs_in_progress > st->msgs_high_water) st->msgs_high_water = st->msgs_in_progress;
  if (st->pages_in_use > st->pages_high_water) st->pages_high_water = st->pages_in_use;
  if (st->bytes_in_use > st->bytes_high_water) st->bytes_high_water = st->bytes_in_use;
}

/* ---- adding fragments --------------------------------------------------- */

/* Stores an accepted fragment in a fresh page.  The pool cannot be empty:
 * a message stores at most k - 1 < T / 1158 fragments, so the pages in use
 * stay below bytes_in_use / 1158 <= global_bytes / 1158 = npages (see the
 * header).  The check only turns a broken invariant into an error. */
static sgp_err store(struct sgp_reasm *r, struct sgp_reasm_msg *m, uint32_t index,
                     const uint8_t *frag, size_t len) {
  SGP_ENSURE(r->free_pages_n > 0, SGP_ERR_STATE);
  uint32_t pg = r->free_pages[--r->free_pages_n];
  uint8_t *page = page_at(r, pg);
  memcpy(page, frag, len);
  /* A recycled page holds an earlier fragment's bytes: clear the tail so a
   * short fragment reads as zero-padded (parity, SGP-JIG-5). */
  memset(page + len, 0, SGP_FRAG_DATA - len);
  m->page[index] = pg;
  bit_set(m->present, index);
  m->have++;
  r->stats.pages_in_use++;
  r->stats.fragments_stored++;
  high_water(&r->stats);
  return SGP_OK;
}

/* Completion (SGP-FRAG-13): the k stored-or-incoming fragments become the
 * message in out, a missing data fragment rebuilt from parity (SGP-JIG-5). */
static sgp_err assemble(const struct sgp_reasm *r, const struct sgp_reasm_msg *m, uint32_t index,
                        const uint8_t *frag, size_t len, uint8_t *out) {
  struct sgp_frag_layout l;
  SGP_GUARD(sgp_frag_layout(m->total_len, m->flags, &l));
  uint32_t missing = NIL;
  for (uint32_t j = 0; j < l.k; j++) {
    uint8_t *dst = out + (size_t)j * SGP_FRAG_DATA;
    if (j == index)
      memcpy(dst, frag, len);
    else if (bit_get(m->present, j))
      memcpy(dst, page_at(r, m->page[j]), sgp_frag_len(&l, j));
    else
      missing = j;
  }
  if (missing == NIL) return SGP_OK;
  const uint8_t *parity = index == l.k ? frag : page_at(r, m->page[l.k]);
  return sgp_jig_rebuild(out, l.total_len, missing, parity, l.parity_len);
}

static sgp_err add_more(struct sgp_reasm *r, uint32_t mi, const struct sgp_frag_hdr *h,
                        const uint8_t *frag, size_t len, uint8_t *out, size_t *msg_len) {
  struct sgp_reasm_msg *m = &r->msgs[mi];
  if (m->flags != h->flags || m->count != h->count || m->total_len != h->total_len) {
    msg_retire(r, mi, &r->stats.msg_inconsistent); /* SGP-FRAG-6 */
    return SGP_ERR_FRAG_INCONSISTENT;
  }
  if (bit_get(m->present, h->index)) {
    if (memcmp(page_at(r, m->page[h->index]), frag, len) == 0) {
      r->stats.drop_duplicate++; /* SGP-FRAG-7 */
      return SGP_ERR_FRAG_DUPLICATE;
    }
    msg_retire(r, mi, &r->stats.msg_overlap); /* SGP-FRAG-6 */
    return SGP_ERR_FRAG_OVERLAP;
  }
  if (m->have + 1u < m->k) return store(r, m, h->index, frag, len);
  SGP_GUARD(assemble(r, m, h->index, frag, len, out));
  *msg_len = m->total_len;
  msg_retire(r, mi, &r->stats.messages_delivered); /* delivered once, then done */
  return SGP_OK;
}

static sgp_err add_first(struct sgp_reasm *r, uint32_t si, const struct sgp_frag_hdr *h,
                         const struct sgp_frag_layout *l, const uint8_t *frag, size_t len,
                         uint8_t *out, size_t *msg_len) {
  struct sgp_reasm_sess *s = &r->sess[si];
  if (l->k == 1) {
    /* Complete on arrival: the data fragment, or the parity, which for
     * k = 1 is the message itself (P = T).  Nothing to reserve. */
    memcpy(out, frag, len);
    *msg_len = len;
    done_add(s, h->msg_id);
    r->stats.messages_delivered++;
    return SGP_OK;
  }

  uint64_t need = (uint64_t)l->total_len + l->parity_len; /* SGP-FRAG-8 */
  struct sgp_reasm_peer *pe = &r->peers[s->peer];
  /* SGP-FRAG-9: which of this peer's oldest messages must go. */
  uint32_t n_evict = 0, msgs_after = pe->msgs;
  uint64_t bytes_after = pe->bytes, freed = 0;
  for (uint32_t i = pe->head;
       i != NIL && (msgs_after + 1u > r->p.peer_msgs || bytes_after + need > r->p.peer_bytes);
       i = r->msgs[i].peer_next) {
    msgs_after--;
    bytes_after -= r->msgs[i].reserved;
    freed += r->msgs[i].reserved;
    n_evict++;
  }
  /* SGP-FRAG-10: refuse the new message rather than touch other peers. */
  if (r->stats.bytes_in_use - freed + need > r->p.global_bytes ||
      (r->free_slot == NIL && n_evict == 0)) {
    done_add(s, h->msg_id);
    r->stats.msg_cap++;
    return SGP_ERR_FRAG_CAP;
  }
  while (n_evict-- > 0) msg_retire(r, pe->head, &r->stats.msg_evicted);

  uint32_t mi = r->free_slot;
  struct sgp_reasm_msg *m = &r->msgs[mi];
  r->free_slot = m->age_next;
  memset(m, 0, sizeof *m);
  m->first_ms = r->now_ms;
  m->sess = si;
  m->msg_id = h->msg_id;
  m->total_len = h->total_len;
  m->reserved = (uint32_t)need;
  m->flags = h->flags;
  m->k = l->k;
  m->count = l->count;
  link_tail(r, pe, mi);
  pe->msgs++;
  pe->bytes += need;
  r->stats.msgs_in_progress++;
  r->stats.bytes_in_use += need;
  return store(r, m, h->index, frag, len); /* k >= 2: never the last one */
}

static void count_stateless(struct sgp_reasm_stats *st, sgp_err rc) {
  if (rc == SGP_ERR_RESERVED)
    st->drop_flags++;
  else if (rc == SGP_ERR_FRAG_HEADER)
    st->drop_header++;
  else if (rc == SGP_ERR_FRAG_LENGTH)
    st->drop_length++;
}

sgp_err sgp_reasm_add(struct sgp_reasm *r, sgp_reasm_sid sid, const struct sgp_frag_hdr *h,
                      const uint8_t *frag, size_t len, uint64_t now_ms, uint8_t *out,
                      size_t out_cap, size_t *msg_len) {
  SGP_ENSURE(r && h && out && msg_len && (frag || len == 0), SGP_ERR_INVALID_ARG);
  uint32_t si;
  struct sgp_reasm_sess *s = sess_of(r, sid, &si);
  SGP_ENSURE(s, SGP_ERR_STATE);
  *msg_len = 0;

  /* Stateless first (SGP-FRAG-5, SGP-JIG-1): only the counter moves. */
  sgp_err rc = sgp_frag_check(h, len);
  if (rc != SGP_OK) {
    count_stateless(&r->stats, rc);
    return rc;
  }
  SGP_ENSURE(out_cap >= h->total_len, SGP_ERR_NO_SPACE);

  (void)sgp_reasm_expire(r, now_ms); /* SGP-FRAG-11, before the message is looked up */
  if (done_has(s, h->msg_id)) {
    r->stats.drop_done++; /* SGP-FRAG-12 */
    return SGP_ERR_FRAG_DONE;
  }
  struct sgp_frag_layout l;
  SGP_GUARD(sgp_frag_layout(h->total_len, h->flags, &l));
  for (uint32_t i = r->peers[s->peer].head; i != NIL; i = r->msgs[i].peer_next)
    if (r->msgs[i].sess == si && r->msgs[i].msg_id == h->msg_id)
      return add_more(r, i, h, frag, len, out, msg_len);
  return add_first(r, si, h, &l, frag, len, out, msg_len);
}
