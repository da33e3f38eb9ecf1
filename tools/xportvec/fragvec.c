/* Fragment, reassembly and jigsaw vectors (spec §8) -> fragment.json.
 *
 * The vectors live at the plaintext fragment layer, after the AEAD has
 * opened a data message: each fragment is its 26-byte data-message header
 * (the AEAD associated data, whose bytes 16..25 are the fragment header)
 * and its plaintext.  Sealing is covered by transport.json.
 *
 * Schema "sgp_fragment_vectors_v1" (Wycheproof style): testGroups of type
 *   FragmentTest     one gossip packet through the sender (jigsaw with a
 *                    listed AONT key, fragmentation) and the receiver
 *                    (reassembly in the listed arrival order, jigsaw
 *                    inverse); all fragments are the sender's own.
 *   FragmentSetTest  receiver only: fragment sequences on one or more
 *                    sessions, with the error each rejected fragment gets
 *                    and the messages each step discards whole; "invalid"
 *                    if any step is.
 * Every step is run on the library here and must give exactly the listed
 * result, or the generator fails.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/fragment.h"
#include "sgp/jigsaw.h"
#include "vecjson.h"

#define N 3             /* roster size behind the reassembly limits */
#define GLOBAL 1048576u /* reasm_global_bytes: the smallest allowed (§1.4) */
#define T0 UINT64_C(1000000)
#define RI UINT32_C(0x5a0c1d2e) /* receiver_index in every ad */
#define MAXSESS 4
#define MAXSTEPS 16
#define AP (SGP_FRAG_FLAG_AONT | SGP_FRAG_FLAG_PARITY)

/* ---- fragments and their ad --------------------------------------------- */

struct frag {
  struct sgp_frag_hdr h;
  uint8_t p[SGP_FRAG_DATA + 1]; /* one spare byte for a too-long payload */
  size_t len;
};

/* A message of T bytes drawn from the seeded stream. */
struct msg {
  uint8_t *m;
  uint32_t T, id;
  uint8_t flags;
};

static struct msg msg_new(uint32_t id, uint32_t T, uint8_t flags) {
  struct msg x = {malloc(T), T, id, flags};
  if (!x.m) die("oom");
  draw(x.m, T);
  return x;
}

static void msg_free(struct msg *x) {
  free(x->m);
  x->m = NULL;
}

/* The sender's fragment `index` of x. */
static struct frag frag_of(const struct msg *x, uint32_t index) {
  struct frag f;
  memset(&f, 0, sizeof f);
  if (sgp_frag_make(x->m, x->T, x->flags, x->id, index, &f.h, f.p, sizeof f.p, &f.len) != SGP_OK)
    die("frag_make");
  return f;
}

/* The ad written byte by byte (it must also express undefined flags);
 * for defined flags it must equal sgp_frag_ad's. */
static void ad_of(uint8_t ad[SGP_FRAG_AD_BYTES], const struct sgp_frag_hdr *h, uint64_t counter) {
  uint8_t *p = ad;
  *p++ = SGP_FRAG_DATA_TYPE;
  *p++ = h->flags;
  *p++ = 0;
  *p++ = 0;
  for (int i = 3; i >= 0; i--) *p++ = (uint8_t)(RI >> (8 * i));
  for (int i = 7; i >= 0; i--) *p++ = (uint8_t)(counter >> (8 * i));
  for (int i = 3; i >= 0; i--) *p++ = (uint8_t)(h->msg_id >> (8 * i));
  *p++ = h->index;
  *p++ = h->count;
  for (int i = 3; i >= 0; i--) *p++ = (uint8_t)(h->total_len >> (8 * i));
  uint8_t lib[SGP_FRAG_AD_BYTES];
  sgp_err rc = sgp_frag_ad(lib, h, RI, counter);
  if (rc == SGP_OK ? memcmp(lib, ad, sizeof lib) != 0 : rc != SGP_ERR_RESERVED)
    die("ad differs from sgp_frag_ad");
}

/* ---- the receiver -------------------------------------------------------- */

struct step {
  int sess;
  uint64_t now;
  struct frag f;
  sgp_err want;
};

struct rx {
  struct sgp_reasm r;
  void *mem;
  int nsess;
  uint32_t peer[MAXSESS];
  sgp_reasm_sid sid[MAXSESS];
  uint64_t ctr[MAXSESS]; /* data-message counter per session, for the ad */
};

static void rx_init(struct rx *x, const uint32_t *peers, int nsess) {
  struct sgp_reasm_params p;
  sgp_reasm_params_default(&p, N);
  p.global_bytes = GLOBAL;
  size_t len = sgp_reasm_mem_size(&p);
  memset(x, 0, sizeof *x);
  x->mem = malloc(len);
  if (!x->mem || sgp_reasm_init(&x->r, x->mem, len, &p) != SGP_OK) die("reasm_init");
  x->nsess = nsess;
  for (int i = 0; i < nsess; i++) {
    x->peer[i] = peers[i];
    if (sgp_reasm_session_open(&x->r, peers[i], &x->sid[i]) != SGP_OK) die("session_open");
  }
}

static uint64_t discards(const struct sgp_reasm_stats *s) {
  return s->msg_inconsistent + s->msg_overlap + s->msg_cap + s->msg_evicted + s->msg_timeout;
}

/* The §7.12 counter a fragment's error moves (see sgp/fragment.h). */
static const char *counter_of(sgp_err e) {
  switch (e) {
    case SGP_ERR_RESERVED:
      return "drop_reserved";
    case SGP_ERR_FRAG_HEADER:
    case SGP_ERR_FRAG_LENGTH:
    case SGP_ERR_FRAG_DONE:
    case SGP_ERR_FRAG_DUPLICATE:
      return "drop_frag";
    case SGP_ERR_FRAG_INCONSISTENT:
    case SGP_ERR_FRAG_OVERLAP:
    case SGP_ERR_FRAG_CAP:
      return "drop_frag_message";
    default:
      die("no counter for this error");
  }
}

/* Messages that are in reassembly: (session, msg_id) pairs. */
struct live {
  int n;
  int sess[64];
  uint32_t id[64];
};

static int live_find(const struct live *l, int sess, uint32_t id) {
  for (int i = 0; i < l->n; i++)
    if (l->sess[i] == sess && l->id[i] == id) return i;
  return -1;
}

static void live_drop(struct live *l, int i) {
  l->sess[i] = l->sess[l->n - 1];
  l->id[i] = l->id[l->n - 1];
  l->n--;
}

static json_t *discard_json(int sess, uint32_t id) {
  json_t *o = json_object();
  put(o, "session", json_integer(sess));
  put(o, "msg_id", json_integer(id));
  return o;
}

static uint8_t out[SGP_FRAG_MAX_MESSAGE];

/* Runs the steps on a fresh receiver with sessions on `peers`, checks each
 * result, and returns them as JSON.  *all_ok: no step was rejected;
 * *delivered / *delivered_len: the last message delivered (NULL: none). */
static json_t *run_steps(const uint32_t *peers, int nsess, struct step *steps, int n, int *all_ok,
                         const uint8_t **delivered, size_t *delivered_len) {
  static struct rx x;
  static uint8_t last[SGP_FRAG_MAX_MESSAGE];
  struct live live = {0};
  rx_init(&x, peers, nsess);
  json_t *arr = json_array();
  *all_ok = 1;
  if (delivered) *delivered = NULL;
  for (int k = 0; k < n; k++) {
    struct step *s = &steps[k];
    const struct sgp_frag_hdr *h = &s->f.h;
    uint8_t ad[SGP_FRAG_AD_BYTES];
    ad_of(ad, h, x.ctr[s->sess]++);
    int own_done_before = sgp_reasm_is_done(&x.r, x.sid[s->sess], h->msg_id);
    uint64_t d0 = discards(&x.r.stats);
    size_t msg_len = 0;
    sgp_err got =
        sgp_reasm_add(&x.r, x.sid[s->sess], h, s->f.p, s->f.len, s->now, out, sizeof out, &msg_len);
    if (got != s->want) {
      fprintf(stderr, "xportvec: step %d: got %s want %s\n", k, sgp_err_name(got),
              sgp_err_name(s->want));
      die("fragment vector does not reproduce");
    }
    json_t *o = json_object();
    put(o, "session", json_integer(s->sess));
    put(o, "now_ms", json_integer((json_int_t)s->now));
    put_hex(o, "ad", ad, sizeof ad);
    put_hex(o, "payload", s->f.p, s->f.len);
    put(o, "result", json_string(got == SGP_OK ? "valid" : "invalid"));
    if (got != SGP_OK) {
      *all_ok = 0;
      put(o, "error", json_string(sgp_err_name(got)));
      put(o, "counter", json_string(counter_of(got)));
    }
    /* What this step discarded whole: its own message if it is newly done
     * without being delivered, and any other message that became done. */
    json_t *disc = json_array();
    int own_dropped = 0;
    int li = live_find(&live, s->sess, h->msg_id);
    if (got == SGP_OK && msg_len == 0 && li < 0) {
      live.sess[live.n] = s->sess;
      live.id[live.n++] = h->msg_id;
      if (live.n == 64) die("too many live messages");
    }
    if (msg_len > 0 && li >= 0) live_drop(&live, li);
    if (!own_done_before && msg_len == 0 && sgp_reasm_is_done(&x.r, x.sid[s->sess], h->msg_id)) {
      own_dropped = 1;
      append(disc, discard_json(s->sess, h->msg_id));
      li = live_find(&live, s->sess, h->msg_id);
      if (li >= 0) live_drop(&live, li);
    }
    for (int i = 0; i < live.n;) {
      if (sgp_reasm_is_done(&x.r, x.sid[live.sess[i]], live.id[i])) {
        append(disc, discard_json(live.sess[i], live.id[i]));
        live_drop(&live, i);
      } else {
        i++;
      }
    }
    if (discards(&x.r.stats) - d0 != json_array_size(disc)) die("discard bookkeeping");
    if (got != SGP_OK) put(o, "message_dropped", json_boolean(own_dropped));
    if (json_array_size(disc) > 0)
      put(o, "discarded", disc);
    else
      json_decref(disc);
    if (msg_len > 0) {
      put_hex(o, "delivered", out, msg_len);
      memcpy(last, out, msg_len);
      if (delivered) *delivered = last, *delivered_len = msg_len;
    }
    put(o, "reserved_bytes", json_integer((json_int_t)x.r.stats.bytes_in_use));
    put(o, "in_reassembly", json_integer(x.r.stats.msgs_in_progress));
    append(arr, o);
  }
  free(x.mem);
  return arr;
}

static json_t *sessions_json(const uint32_t *peers, int n) {
  json_t *a = json_array();
  for (int i = 0; i < n; i++) append(a, json_integer(peers[i]));
  return a;
}

static json_t *new_group(const char *type) {
  json_t *g = json_object();
  put(g, "type", json_string(type));
  json_t *p = json_object();
  put(p, "n", json_integer(N));
  put(p, "reasm_global_bytes", json_integer(GLOBAL));
  put(p, "peer_msgs", json_integer(SGP_REASM_PEER_MSGS));
  put(p, "peer_bytes", json_integer(SGP_REASM_PEER_BYTES));
  put(p, "max_msgs", json_integer(4 * N));
  put(p, "timeout_ms", json_integer(SGP_REASM_TIMEOUT_MS));
  put(p, "done_window", json_integer(SGP_FRAG_DONE_WINDOW));
  put(g, "reasm", p);
  put(g, "tests", json_array());
  return g;
}

/* ---- FragmentTest: sender and receiver of one packet ---------------------- */

/* The AONT key the library asks for, from the vector. */
static void key_rng(void *ctx, uint8_t *o, size_t len) {
  if (len != SGP_JIG_KEY_BYTES) die("jigsaw drew an unexpected length");
  memcpy(o, ctx, len);
}

static const char *const MODE_NAME[] = {"off", "aont", "aont-parity"};

struct vcase {
  const char *comment;
  enum sgp_jig_mode mode;
  uint32_t T; /* message length (packet + 32 with AONT) */
  uint32_t id;
  int order[8]; /* arrival order of indices, -1 terminated; {-1}: index order */
};

static void add_fragment_test(json_t *tests, const struct vcase *c) {
  static uint8_t packet[SGP_FRAG_MAX_PLAIN], message[SGP_FRAG_MAX_MESSAGE];
  static struct step st[MAXSTEPS];
  uint8_t key[SGP_JIG_KEY_BYTES];
  size_t plen = c->mode == SGP_JIG_OFF ? c->T : c->T - SGP_JIG_KEY_BYTES, mlen;
  uint8_t flags;
  draw(packet, plen);
  if (c->mode != SGP_JIG_OFF) draw(key, sizeof key);
  if (sgp_jig_encode(c->mode, packet, plen, key_rng, key, message, sizeof message, &mlen, &flags) !=
          SGP_OK ||
      mlen != c->T)
    die("jig_encode");
  struct msg m = {message, c->T, c->id, flags};
  struct sgp_frag_layout l;
  if (sgp_frag_layout(c->T, flags, &l) != SGP_OK) die("layout");

  int n = 0, seen[SGP_FRAG_MAX_FRAGMENTS] = {0};
  for (int k = 0; c->order[0] < 0 ? k < l.count : c->order[k] >= 0; k++) {
    int idx = c->order[0] < 0 ? k : c->order[k];
    st[n].sess = 0;
    st[n].now = T0;
    st[n].f = frag_of(&m, (uint32_t)idx);
    st[n].want = SGP_OK;
    seen[idx] = 1;
    n++;
  }
  /* Fragments after the one that completes the message are done (SGP-FRAG-12). */
  int complete_at = -1, have = 0;
  for (int k = 0; k < n; k++)
    if (++have == l.k && complete_at < 0) complete_at = k;
  for (int k = complete_at + 1; k < n; k++) st[k].want = SGP_ERR_FRAG_DONE;
  int late = complete_at + 1 < n, lost = 0;
  json_t *lost_a = json_array();
  for (int i = 0; i < l.count; i++)
    if (!seen[i]) append(lost_a, json_integer(i)), lost = 1;

  const char *reqs[12];
  int r = 0;
  reqs[r++] = "SGP-FRAG-1";
  reqs[r++] = "SGP-FRAG-8";
  reqs[r++] = "SGP-FRAG-13";
  reqs[r++] = "SGP-JIG-4";
  if (c->mode != SGP_JIG_OFF) reqs[r++] = "SGP-JIG-2", reqs[r++] = "SGP-JIG-3";
  if (late) reqs[r++] = "SGP-FRAG-12";
  if (lost) reqs[r++] = "SGP-JIG-5";
  reqs[r] = NULL;
  static const char *const late_flag[] = {"LateFragment", NULL};

  static const uint32_t peer0[] = {0};
  int all_ok;
  const uint8_t *got;
  size_t got_len;
  json_t *steps = run_steps(peer0, 1, st, n, &all_ok, &got, &got_len);
  if (!got || got_len != c->T || memcmp(got, message, c->T) != 0) die("not delivered");

  json_t *t = new_test_flags(c->comment, "valid", reqs, late ? late_flag : NULL);
  put(t, "jigsaw", json_string(MODE_NAME[c->mode]));
  put(t, "frag_flags", json_integer(flags));
  put(t, "msg_id", json_integer(c->id));
  put_hex(t, "packet", packet, plen);
  put_hex(t, "aont_key", key, c->mode == SGP_JIG_OFF ? 0 : sizeof key);
  put_hex(t, "message", message, c->T);
  put(t, "sessions", sessions_json(peer0, 1));
  put(t, "lost", lost_a);
  put(t, "fragments", steps);
  append(tests, t);
}

static json_t *group_fragment(void) {
  json_t *g = new_group("FragmentTest");
  json_t *tests = json_object_get(g, "tests");
  const uint32_t D = SGP_FRAG_DATA;
  const struct vcase cases[] = {
      {"off: 1 byte, one fragment, complete on arrival (nothing reserved)",
       SGP_JIG_OFF,
       1,
       1,
       {-1}},
      {"off: 1158 bytes, one full fragment", SGP_JIG_OFF, D, 2, {-1}},
      {"off: 1159 bytes, a full fragment and a 1-byte fragment", SGP_JIG_OFF, D + 1, 3, {-1}},
      {"off: 2*1158+1 bytes, three fragments, msg_id 2^32-2",
       SGP_JIG_OFF,
       2 * D + 1,
       0xfffffffeu,
       {-1}},
      {"off: 2*1158+1 bytes arriving 2, 0, 1", SGP_JIG_OFF, 2 * D + 1, 4, {2, 0, 1, -1}},
      {"aont: 1-byte packet, 33-byte message (smallest)", SGP_JIG_AONT, 33, 5, {-1}},
      {"aont: 1158-byte message", SGP_JIG_AONT, D, 6, {-1}},
      {"aont: 1159-byte message", SGP_JIG_AONT, D + 1, 7, {-1}},
      {"aont: 2*1158+1-byte message", SGP_JIG_AONT, 2 * D + 1, 8, {-1}},
      {"aont-parity: 33-byte message, parity after completion is done",
       SGP_JIG_AONT_PARITY,
       33,
       9,
       {-1}},
      {"aont-parity: 1158-byte message, parity after completion is done",
       SGP_JIG_AONT_PARITY,
       D,
       10,
       {-1}},
      {"aont-parity: 1159-byte message, parity after completion is done",
       SGP_JIG_AONT_PARITY,
       D + 1,
       11,
       {-1}},
      {"aont-parity: 2*1158+1-byte message, parity after completion is done",
       SGP_JIG_AONT_PARITY,
       2 * D + 1,
       12,
       {-1}},
      {"aont-parity: 33-byte message, data fragment lost: the parity (P = T) completes it",
       SGP_JIG_AONT_PARITY,
       33,
       13,
       {1, -1}},
      {"aont-parity: 1159 bytes, fragment 0 lost, rebuilt from parity and fragment 1",
       SGP_JIG_AONT_PARITY,
       D + 1,
       14,
       {2, 1, -1}},
      {"aont-parity: 2*1158+1 bytes, middle fragment 1 lost, rebuilt from parity",
       SGP_JIG_AONT_PARITY,
       2 * D + 1,
       15,
       {0, 2, 3, -1}},
      {"aont-parity: 2*1158+1 bytes, 1-byte last fragment lost, rebuilt and truncated",
       SGP_JIG_AONT_PARITY,
       2 * D + 1,
       16,
       {3, 1, 0, -1}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) add_fragment_test(tests, &cases[c]);
  return g;
}

/* ---- FragmentSetTest: what a receiver drops ------------------------------ */

static struct step S[MAXSTEPS];
static int ns;

static void st_add(int sess, uint64_t now, struct frag f, sgp_err want) {
  if (ns == MAXSTEPS) die("too many steps");
  S[ns].sess = sess;
  S[ns].now = now;
  S[ns].f = f;
  S[ns].want = want;
  ns++;
}

static void add_set_test(json_t *tests, const char *comment, const char *const *reqs,
                         const uint32_t *peers, int nsess) {
  int all_ok;
  json_t *steps = run_steps(peers, nsess, S, ns, &all_ok, NULL, NULL);
  json_t *t = new_test(comment, all_ok ? "valid" : "invalid", reqs);
  put(t, "sessions", sessions_json(peers, nsess));
  put(t, "fragments", steps);
  append(tests, t);
  ns = 0;
}

static json_t *group_set(void) {
  json_t *g = new_group("FragmentSetTest");
  json_t *tests = json_object_get(g, "tests");
  const uint32_t D = SGP_FRAG_DATA, T3 = 2 * D + 1;
  static const uint32_t p0[] = {0}, p00[] = {0, 0}, p012[] = {0, 1, 2};
  const sgp_err OK = SGP_OK;
  struct frag f;

  /* SGP-FRAG-7, SGP-FRAG-13 */
  static const char *const r7[] = {"SGP-FRAG-7", "SGP-FRAG-13", NULL};
  struct msg a = msg_new(1, T3, 0);
  st_add(0, T0, frag_of(&a, 0), OK);
  st_add(0, T0, frag_of(&a, 0), SGP_ERR_FRAG_DUPLICATE);
  st_add(0, T0, frag_of(&a, 1), OK);
  st_add(0, T0, frag_of(&a, 2), OK);
  add_set_test(tests, "identical duplicate is ignored; the message still completes", r7, p0, 1);

  /* SGP-FRAG-6, SGP-FRAG-12 */
  static const char *const r6[] = {"SGP-FRAG-6", "SGP-FRAG-12", NULL};
  st_add(0, T0, frag_of(&a, 0), OK);
  st_add(0, T0, frag_of(&a, 1), OK);
  f = frag_of(&a, 1);
  f.p[D - 1] ^= 0x01;
  st_add(0, T0, f, SGP_ERR_FRAG_OVERLAP);
  st_add(0, T0, frag_of(&a, 2), SGP_ERR_FRAG_DONE);
  add_set_test(tests, "duplicate of fragment 1 with a different last byte: overlap drops all", r6,
               p0, 1);

  static const char *const r6j[] = {"SGP-FRAG-6", "SGP-FRAG-12", "SGP-JIG-7", NULL};
  struct msg ap = msg_new(1, T3, AP);
  st_add(0, T0, frag_of(&ap, 3), OK);
  f = frag_of(&ap, 3);
  f.p[0] ^= 0x80;
  st_add(0, T0, f, SGP_ERR_FRAG_OVERLAP);
  st_add(0, T0, frag_of(&ap, 0), SGP_ERR_FRAG_DONE);
  add_set_test(tests, "parity fragment again with different bytes: overlap drops all", r6j, p0, 1);

  st_add(0, T0, frag_of(&a, 0), OK);
  f = frag_of(&a, 1);
  f.h.flags = SGP_FRAG_FLAG_AONT;
  st_add(0, T0, f, SGP_ERR_FRAG_INCONSISTENT);
  st_add(0, T0, frag_of(&a, 2), SGP_ERR_FRAG_DONE);
  add_set_test(tests, "inconsistent flags (0x00, then 0x01 with the same count and total)", r6, p0,
               1);

  struct msg a1 = msg_new(1, T3, SGP_FRAG_FLAG_AONT);
  st_add(0, T0, frag_of(&a1, 0), OK);
  f = frag_of(&a1, 1);
  f.h.flags = AP;
  f.h.count = 4;
  st_add(0, T0, f, SGP_ERR_FRAG_INCONSISTENT);
  st_add(0, T0, frag_of(&a1, 2), SGP_ERR_FRAG_DONE);
  add_set_test(tests, "inconsistent frag_count (3 with flags 0x01, then 4 with flags 0x03)", r6, p0,
               1);

  st_add(0, T0, frag_of(&a, 0), OK);
  f = frag_of(&a, 1);
  f.h.total_len = T3 + 1;
  st_add(0, T0, f, SGP_ERR_FRAG_INCONSISTENT);
  st_add(0, T0, frag_of(&a, 2), SGP_ERR_FRAG_DONE);
  add_set_test(tests, "inconsistent total_len (2317, then 2318 with the same count)", r6, p0, 1);

  /* SGP-FRAG-5: header-invalid fragments are dropped alone. */
  static const char *const r5[] = {"SGP-FRAG-5", "SGP-FRAG-13", NULL};
  st_add(0, T0, frag_of(&a, 0), OK);
  f = frag_of(&a, 1);
  f.h.count = 4;
  st_add(0, T0, f, SGP_ERR_FRAG_HEADER);
  f = frag_of(&a, 1);
  f.h.count = 2;
  st_add(0, T0, f, SGP_ERR_FRAG_HEADER);
  st_add(0, T0, frag_of(&a, 1), OK);
  st_add(0, T0, frag_of(&a, 2), OK);
  add_set_test(tests, "frag_count not k for total_len: that fragment alone is dropped", r5, p0, 1);

  st_add(0, T0, frag_of(&a, 0), OK);
  f = frag_of(&a, 2);
  f.h.index = 3;
  st_add(0, T0, f, SGP_ERR_FRAG_HEADER);
  f.h.index = 255;
  st_add(0, T0, f, SGP_ERR_FRAG_HEADER);
  st_add(0, T0, frag_of(&a, 1), OK);
  st_add(0, T0, frag_of(&a, 2), OK);
  add_set_test(tests, "frag_index >= frag_count (3 and 255 of 3): dropped alone", r5, p0, 1);

  st_add(0, T0, frag_of(&a, 0), OK);
  f = frag_of(&a, 2);
  f.len = 0;
  st_add(0, T0, f, SGP_ERR_FRAG_LENGTH);
  f = frag_of(&a, 2);
  f.p[1] = 0x00;
  f.len = 2;
  st_add(0, T0, f, SGP_ERR_FRAG_LENGTH);
  f = frag_of(&a, 1);
  f.len = D - 1;
  st_add(0, T0, f, SGP_ERR_FRAG_LENGTH);
  st_add(0, T0, frag_of(&a, 2), OK);
  st_add(0, T0, frag_of(&a, 1), OK);
  add_set_test(tests,
               "wrong lengths: last fragment 0 and 2 bytes (1 due), middle 1157 (1158 due); "
               "dropped alone",
               r5, p0, 1);

  static const char *const r5j[] = {"SGP-FRAG-5", "SGP-FRAG-13", "SGP-JIG-5", NULL};
  struct msg b = msg_new(1, D + 1, AP);
  f = frag_of(&b, 2);
  f.len = 1;
  st_add(0, T0, f, SGP_ERR_FRAG_LENGTH);
  f = frag_of(&b, 2);
  f.p[D] = 0;
  f.len = D + 1;
  st_add(0, T0, f, SGP_ERR_FRAG_LENGTH);
  st_add(0, T0, frag_of(&b, 2), OK);
  st_add(0, T0, frag_of(&b, 1), OK);
  add_set_test(tests, "parity of 1 and 1159 bytes for T = 1159 (P = min(1158, T)); dropped alone",
               r5j, p0, 1);

  static const char *const r5h[] = {"SGP-FRAG-5", NULL};
  struct msg one = msg_new(1, 1, 0);
  f = frag_of(&one, 0);
  f.h.msg_id = 0;
  st_add(0, T0, f, SGP_ERR_FRAG_HEADER);
  f = frag_of(&one, 0);
  f.h.total_len = 0;
  f.h.count = 0;
  f.len = 0;
  st_add(0, T0, f, SGP_ERR_FRAG_HEADER);
  f = frag_of(&a, 0);
  f.h.total_len = SGP_FRAG_MAX_PLAIN + 1;
  f.h.count = 227;
  st_add(0, T0, f, SGP_ERR_FRAG_HEADER);
  struct msg small = msg_new(2, 33, SGP_FRAG_FLAG_AONT);
  f = frag_of(&small, 0);
  f.h.total_len = 32;
  f.len = 32;
  st_add(0, T0, f, SGP_ERR_FRAG_HEADER);
  f = frag_of(&a, 0);
  f.h.flags = SGP_FRAG_FLAG_AONT;
  f.h.total_len = SGP_FRAG_MAX_MESSAGE + 1;
  f.h.count = 227;
  st_add(0, T0, f, SGP_ERR_FRAG_HEADER);
  st_add(0, T0, frag_of(&one, 0), OK);
  add_set_test(tests,
               "outside 8.1: msg_id 0; total 0; total 262145 (no AONT); total 32 and 262177 "
               "(AONT); then a valid message",
               r5h, p0, 1);

  /* SGP-JIG-1 */
  static const char *const rj1[] = {"SGP-JIG-1", NULL};
  struct msg c2 = msg_new(1, D + 1, 0);
  static const uint8_t bad_flags[] = {0x02, 0x04, 0x80, 0x07};
  for (size_t i = 0; i < sizeof bad_flags; i++) {
    f = frag_of(&c2, 0);
    f.h.flags = bad_flags[i];
    st_add(0, T0, f, SGP_ERR_RESERVED);
  }
  st_add(0, T0, frag_of(&c2, 0), OK);
  st_add(0, T0, frag_of(&c2, 1), OK);
  add_set_test(tests, "undefined flags 0x02, 0x04, 0x80, 0x07: dropped (drop_reserved)", rj1, p0,
               1);

  /* SGP-FRAG-12, SGP-FRAG-13 */
  static const char *const r12[] = {"SGP-FRAG-12", "SGP-FRAG-13", NULL};
  struct msg k1 = msg_new(2, 100, 0);
  st_add(0, T0, frag_of(&a, 0), OK);
  st_add(0, T0, frag_of(&a, 1), OK);
  st_add(0, T0, frag_of(&a, 2), OK);
  st_add(0, T0, frag_of(&a, 0), SGP_ERR_FRAG_DONE);
  st_add(0, T0, frag_of(&k1, 0), OK);
  st_add(0, T0, frag_of(&k1, 0), SGP_ERR_FRAG_DONE);
  add_set_test(tests, "completed message ids replayed (3 fragments, then 1 fragment)", r12, p0, 1);

  struct msg w100 = msg_new(100, 10, 0), w36 = msg_new(36, 10, 0), w37 = msg_new(37, 10, 0);
  st_add(0, T0, frag_of(&w100, 0), OK);
  st_add(0, T0, frag_of(&w36, 0), SGP_ERR_FRAG_DONE);
  st_add(0, T0, frag_of(&w37, 0), OK);
  st_add(0, T0, frag_of(&w37, 0), SGP_ERR_FRAG_DONE);
  add_set_test(tests, "done window: after id 100, id 36 (64 below) is done, id 37 is new", r12, p0,
               1);

  static const char *const r12s[] = {"SGP-FRAG-12", NULL};
  st_add(0, T0, frag_of(&k1, 0), OK);
  st_add(1, T0, frag_of(&k1, 0), OK);
  st_add(0, T0, frag_of(&k1, 0), SGP_ERR_FRAG_DONE);
  add_set_test(tests, "done ids are per session: the same msg_id on a second session is new", r12s,
               p00, 2);

  /* SGP-FRAG-11 */
  static const char *const r11[] = {"SGP-FRAG-11", "SGP-FRAG-12", NULL};
  st_add(0, T0, frag_of(&a, 0), OK);
  st_add(0, T0 + SGP_REASM_TIMEOUT_MS - 1, frag_of(&a, 1), OK);
  st_add(0, T0 + SGP_REASM_TIMEOUT_MS, frag_of(&a, 2), SGP_ERR_FRAG_DONE);
  add_set_test(tests, "timeout: last fragment 5000 ms after the first; the message is dropped", r11,
               p0, 1);
  static const char *const r11v[] = {"SGP-FRAG-11", "SGP-FRAG-13", NULL};
  st_add(0, T0, frag_of(&a, 0), OK);
  st_add(0, T0 + 2000, frag_of(&a, 1), OK);
  st_add(0, T0 + SGP_REASM_TIMEOUT_MS - 1, frag_of(&a, 2), OK);
  add_set_test(tests, "last fragment 4999 ms after the first completes the message", r11v, p0, 1);
  st_add(0, T0, frag_of(&a, 0), OK);
  st_add(0, T0 + SGP_REASM_TIMEOUT_MS, frag_of(&k1, 0), OK);
  st_add(0, T0 + SGP_REASM_TIMEOUT_MS, frag_of(&a, 1), SGP_ERR_FRAG_DONE);
  add_set_test(tests, "timeout noticed at another message's fragment; late fragment is done", r11,
               p0, 1);

  /* SGP-FRAG-9 */
  static const char *const r9[] = {"SGP-FRAG-9", "SGP-FRAG-8", "SGP-FRAG-12", NULL};
  struct msg m5[5];
  for (uint32_t i = 0; i < 5; i++) {
    m5[i] = msg_new(i + 1, D + 1, 0);
    st_add(0, T0, frag_of(&m5[i], 0), OK);
  }
  st_add(0, T0, frag_of(&m5[0], 1), SGP_ERR_FRAG_DONE);
  st_add(0, T0, frag_of(&m5[1], 1), OK);
  add_set_test(tests, "per-peer cap of 4 messages: the 5th evicts the oldest", r9, p0, 1);

  struct msg big1 = msg_new(1, SGP_FRAG_MAX_PLAIN, 0), big2 = msg_new(2, SGP_FRAG_MAX_PLAIN, 0);
  struct msg s3 = msg_new(3, D + 1, 0);
  st_add(0, T0, frag_of(&big1, 0), OK);
  st_add(0, T0, frag_of(&big2, 0), OK);
  st_add(0, T0, frag_of(&s3, 0), OK);
  st_add(0, T0, frag_of(&big1, 1), SGP_ERR_FRAG_DONE);
  st_add(0, T0, frag_of(&s3, 1), OK);
  add_set_test(tests,
               "per-peer cap of 524352 bytes: 2 x 262144 fit, a 1159-byte third evicts the oldest",
               r9, p0, 1);

  struct msg ap1 = msg_new(1, SGP_FRAG_MAX_MESSAGE, AP), ap2 = msg_new(2, SGP_FRAG_MAX_MESSAGE, AP);
  st_add(0, T0, frag_of(&ap1, 0), OK);
  st_add(0, T0, frag_of(&ap2, 227), OK);
  st_add(0, T0, frag_of(&ap1, 1), SGP_ERR_FRAG_DONE);
  add_set_test(
      tests, "per-peer cap: a second largest aont-parity message (263334 B each) evicts the first",
      r9, p0, 1);

  /* SGP-FRAG-10 */
  static const char *const r10[] = {"SGP-FRAG-10", "SGP-FRAG-9", "SGP-FRAG-12", NULL};
  struct msg g01 = msg_new(1, SGP_FRAG_MAX_PLAIN, 0), g02 = msg_new(2, SGP_FRAG_MAX_PLAIN, 0);
  struct msg g03 = msg_new(3, SGP_FRAG_MAX_PLAIN, 0);
  struct msg g11 = msg_new(1, SGP_FRAG_MAX_PLAIN, 0), g12 = msg_new(2, SGP_FRAG_MAX_PLAIN, 0);
  struct msg g21 = msg_new(1, D + 1, 0), g22 = msg_new(2, 40, 0);
  st_add(0, T0, frag_of(&g01, 0), OK);
  st_add(0, T0, frag_of(&g02, 0), OK);
  st_add(1, T0, frag_of(&g11, 0), OK);
  st_add(1, T0, frag_of(&g12, 0), OK);
  st_add(2, T0, frag_of(&g21, 0), SGP_ERR_FRAG_CAP);
  st_add(2, T0, frag_of(&g21, 1), SGP_ERR_FRAG_DONE);
  st_add(2, T0, frag_of(&g22, 0), OK);
  st_add(0, T0, frag_of(&g03, 1), OK);
  add_set_test(tests,
               "global cap 1048576 full: peer 2's new message is refused, its 1-fragment message "
               "needs no memory, peer 0 evicts its own oldest to admit a new one",
               r10, p012, 3);

  struct msg h01 = msg_new(1, SGP_FRAG_MAX_PLAIN, 0), h02 = msg_new(2, SGP_FRAG_MAX_PLAIN, 0);
  struct msg h1[5];
  for (uint32_t i = 0; i < 3; i++) h1[i] = msg_new(i + 1, D + 1, 0);
  h1[3] = msg_new(4, SGP_FRAG_MAX_PLAIN, 0);
  h1[4] = msg_new(5, 2 * D + 2, 0);
  uint32_t rest = GLOBAL - 2 * SGP_FRAG_MAX_PLAIN - 3 * (D + 1) - SGP_FRAG_MAX_PLAIN;
  struct msg h21 = msg_new(1, rest, 0);
  st_add(0, T0, frag_of(&h01, 0), OK);
  st_add(0, T0, frag_of(&h02, 0), OK);
  for (int i = 0; i < 4; i++) st_add(1, T0, frag_of(&h1[i], 0), OK);
  st_add(2, T0, frag_of(&h21, 0), OK);
  st_add(1, T0, frag_of(&h1[4], 0), SGP_ERR_FRAG_CAP);
  st_add(1, T0, frag_of(&h1[0], 1), OK);
  add_set_test(tests,
               "global cap: evicting the peer's oldest (1159 B) would not make room for 2318 B, so "
               "the new message is refused and nothing is evicted",
               r10, p012, 3);

  msg_free(&a);
  msg_free(&ap);
  msg_free(&a1);
  msg_free(&b);
  msg_free(&one);
  msg_free(&small);
  msg_free(&c2);
  msg_free(&k1);
  msg_free(&w100);
  msg_free(&w36);
  msg_free(&w37);
  for (int i = 0; i < 5; i++) msg_free(&m5[i]), msg_free(&h1[i]);
  msg_free(&big1);
  msg_free(&big2);
  msg_free(&s3);
  msg_free(&ap1);
  msg_free(&ap2);
  msg_free(&g01);
  msg_free(&g02);
  msg_free(&g03);
  msg_free(&g11);
  msg_free(&g12);
  msg_free(&g21);
  msg_free(&g22);
  msg_free(&h01);
  msg_free(&h02);
  msg_free(&h21);
  return g;
}

void gen_fragment(const char *path) {
  vec_begin("SGP fragment vectors, seed v1....");
  json_t *groups = json_array();
  append(groups, group_fragment());
  append(groups, group_set());

  static const char *const header[] = {
      "Fragmentation, reassembly and jigsaw vectors for SGP v1 (spec section 8), generated by",
      "tools/xportvec from a fixed RNG seed and a fixed clock. Hex strings. Each fragment is fed",
      "to a receiver in the listed order; rejected fragments name the sgp_err (spec 4.6) and the",
      "drop counter (spec 7.12); FragmentSetTest cases are invalid if any fragment is rejected.",
      NULL};
  json_t *root = vec_root("SGP fragments v1", "sgp_fragment_vectors_v1", header);
  json_t *notes = json_object();
  put(notes, "layer",
      json_string("Fragments are the plaintext fragment layer, after AEAD open: 'ad' is the "
                  "26-byte data-message header of spec 7.6 (the AEAD associated data; bytes "
                  "16..25 are the fragment header of 8.1) and 'payload' the opened plaintext. "
                  "The AEAD, the replay window and keepalives are covered by transport.json; "
                  "receiver_index and counter in 'ad' are not checked at this layer."));
  put(notes, "reasm",
      json_string("receiver limits: sessions of a roster of n nodes, spec defaults (8.3) with "
                  "reasm_global_bytes as given"));
  put(notes, "sessions",
      json_string("receiving sessions opened before the first fragment, by position; the value "
                  "is the peer's node id"));
  put(notes, "aont_key",
      json_string("K of spec 8.4, drawn from the seeded stream: feed it where the sender asks "
                  "its CSPRNG (SGP-JIG-3); empty with jigsaw off"));
  put(notes, "message",
      json_string("the T bytes that are fragmented and reassembled: the packet, or AONT(packet)"));
  put(notes, "lost", json_string("indices of fragments the sender made that never arrive"));
  put(notes, "LateFragment",
      json_string("flag: a fragment arrives after its message was delivered and is dropped as "
                  "done (SGP-FRAG-12); the message itself is valid"));
  put(notes, "message_dropped",
      json_string("on a rejected fragment: its message is discarded whole (or refused) by this "
                  "fragment and its msg_id recorded as done"));
  put(notes, "discarded",
      json_string("messages discarded whole during this step (SGP-FRAG-6, -9, -10, -11), as "
                  "session and msg_id; absent when none"));
  put(notes, "delivered",
      json_string("the whole message, present when this fragment completes it"));
  put(notes, "reserved_bytes",
      json_string("bytes reserved after the step: T, plus P with PARITY, per message in "
                  "reassembly (SGP-FRAG-8)"));
  put(notes, "in_reassembly", json_string("messages in reassembly after the step"));
  put(root, "notes", notes);
  put(root, "testGroups", groups);
  vec_write(root, path);
  json_decref(root);
}
