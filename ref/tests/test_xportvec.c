/* The transport vectors conformance/vectors/transport.json (written by
 * tools/xportvec) against the library: every valid handshake, data message
 * and cookie reply is reproduced byte for byte from the listed keys,
 * indices, ephemerals, stamps, nonces and payloads; every invalid datagram
 * is rejected with the named sgp_err and moves the named drop counter.
 *
 * SGP-CONF-1: the implementation produces the expected output or error for
 * every vector.  The vectors themselves cite, per test, the requirements
 * they exercise (SGP-XPORT-1, -3, -4, -8, -10, -12..18, -20, -23, -26..28,
 * -30..32, -35, -44, -47..49, -52; SGP-REPLAY-1..3, -5, -6, -8; SGP-JIG-1).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/cookie.h"
#include "sgp/session.h"
#include "testutil.h"

#define MAXN 8
#define ICAP 64
#define VEC SGP_SOURCE_DIR "/conformance/vectors/transport.json"

static json_t *root;

static void load(void) {
  root = tu_json_load(VEC);
}
static void unload(void) {
  json_decref(root);
}
TestSuite(xportvec, .init = load, .fini = unload);

/* ---- JSON access ------------------------------------------------------------ */

static uint64_t unhex_be(const json_t *o, const char *k, size_t bytes) {
  uint8_t b[8];
  cr_assert_eq(tu_json_unhex(o, k, b, sizeof b), bytes);
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; i++) v = (v << 8) | b[i];
  return v;
}

static const struct {
  const char *name;
  size_t off;
} COUNTERS[] = {
#define C(f) \
  { #f, offsetof(struct sgp_session_stats, f) }
    C(drop_size),          C(drop_type),    C(drop_reserved),  C(drop_mac1),   C(drop_cookie),
    C(drop_unknown_peer),  C(drop_rate),    C(drop_handshake), C(drop_stamp),  C(drop_crossing),
    C(drop_unknown_index), C(drop_expired), C(drop_auth),      C(drop_replay), C(drop_keepalive),
#undef C
};

static uint64_t counter(const struct sgp_session_stats *st, const char *name) {
  for (size_t i = 0; i < sizeof COUNTERS / sizeof COUNTERS[0]; i++)
    if (strcmp(COUNTERS[i].name, name) == 0) {
      uint64_t v;
      memcpy(&v, (const uint8_t *)st + COUNTERS[i].off, sizeof v);
      return v;
    }
  cr_assert_fail("unknown counter %s", name);
  return 0;
}

/* ---- scripted randomness ------------------------------------------------------ */

/* The library's requests for randomness are answered from this queue, so
 * the listed indices and ephemerals reach the wire. */
struct script {
  uint8_t bytes[16][32];
  size_t len[16];
  size_t head, tail;
};

static void push(struct script *s, const uint8_t *p, size_t len) {
  cr_assert(s->tail < 16 && len <= 32);
  memcpy(s->bytes[s->tail], p, len);
  s->len[s->tail++] = len;
}

static void push_u32(struct script *s, uint32_t v) {
  uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
  push(s, b, 4);
}

static void script_rng(void *ctx, uint8_t *out, size_t len) {
  struct script *s = ctx;
  cr_assert(s->head < s->tail && s->len[s->head] == len, "unexpected randomness request");
  memcpy(out, s->bytes[s->head++], len);
  if (s->head == s->tail) s->head = s->tail = 0;
}

/* ---- nodes ---------------------------------------------------------------------- */

struct roster {
  uint32_t n;
  uint8_t sk[MAXN][32], pk[MAXN][32];
};

struct node {
  struct sgp_sessions s;
  struct sgp_session_peer peers[MAXN];
  struct sgp_session_index index[ICAP];
  struct script rng;
  uint8_t buf[SGP_DGRAM_MAX];
};

static void roster_of(const json_t *g, struct roster *r) {
  const json_t *a = json_object_get(g, "roster");
  cr_assert(json_is_array(a));
  r->n = (uint32_t)json_array_size(a);
  cr_assert(r->n >= 1 && r->n <= MAXN);
  for (uint32_t i = 0; i < r->n; i++) {
    const json_t *e = json_array_get(a, i);
    cr_assert_eq(tu_json_num(e, "node"), i);
    cr_assert_eq(tu_json_unhex(e, "dh_sk", r->sk[i], 32), 32);
    cr_assert_eq(tu_json_unhex(e, "dh_pk", r->pk[i], 32), 32);
    uint8_t pk[32];
    cr_assert_eq(crypto_scalarmult_base(pk, r->sk[i]), 0);
    cr_assert_eq(memcmp(pk, r->pk[i], 32), 0);
  }
}

static struct node *node_new(const struct roster *r, uint32_t id, uint32_t generation,
                             uint64_t now) {
  static const uint8_t secret[32] = {0};
  struct node *x = calloc(1, sizeof *x);
  cr_assert_not_null(x);
  struct sgp_session_config c;
  memset(&c, 0, sizeof c);
  c.self = id;
  c.n = r->n;
  c.dh_sk = r->sk[id];
  c.dh_pk = (const uint8_t(*)[32])r->pk;
  c.generation = generation;
  c.rng = script_rng;
  c.rng_ctx = &x->rng;
  c.peers = x->peers;
  c.peers_cap = MAXN;
  c.index = x->index;
  c.index_cap = ICAP;
  push(&x->rng, secret, 32);
  cr_assert_eq(sgp_session_init(&x->s, &c, now), SGP_OK);
  return x;
}

static void node_free(struct node *x) {
  sgp_session_destroy(&x->s);
  free(x);
}

/* Runs the handshake of a HandshakeTest or SessionTest object t between
 * new nodes *I and *R and checks every listed output. */
static void handshake(const json_t *g, const json_t *t, struct node **I, struct node **R) {
  struct roster r;
  static uint8_t syn[SGP_DGRAM_MAX], ack[SGP_DGRAM_MAX], want[SGP_DGRAM_MAX];
  uint8_t e_i[32], e_r[32], cookie[16], k[32], out[SGP_DGRAM_MAX], zero4[4] = {0};
  size_t len, syn_len, ack_len, want_len;
  struct sgp_rx rx;
  roster_of(g, &r);
  uint32_t gen = (uint32_t)tu_json_num(g, "generation");
  uint32_t in = (uint32_t)tu_json_num(t, "init_node"), rn = (uint32_t)tu_json_num(t, "resp_node");
  uint64_t now = (uint64_t)tu_json_num(t, "now_ms");
  uint64_t stamp = unhex_be(t, "stamp", 8);
  cr_assert_eq(stamp >> 32, gen, "stamp = generation || counter (SGP-REPLAY-6)");

  *I = node_new(&r, in, gen, now);
  *R = node_new(&r, rn, gen, now);
  (*I)->s.init_counter = (uint32_t)stamp - 1;
  if (tu_json_unhex(t, "cookie", cookie, sizeof cookie) == 16) {
    struct sgp_session_peer *p = &(*I)->peers[rn];
    memcpy(p->cookie, cookie, 16);
    p->has_cookie = 1;
    p->cookie_ms = now;
  }
  cr_assert_eq(tu_json_unhex(t, "init_ephemeral", e_i, 32), 32);
  cr_assert_eq(tu_json_unhex(t, "resp_ephemeral", e_r, 32), 32);
  syn_len = tu_json_unhex(t, "syn", syn, sizeof syn);
  ack_len = tu_json_unhex(t, "ack", ack, sizeof ack);

  push_u32(&(*I)->rng, (uint32_t)unhex_be(t, "init_index", 4));
  push(&(*I)->rng, e_i, 32);
  push(&(*I)->rng, zero4, 4); /* retransmission jitter: not on the wire */
  cr_assert_eq(sgp_session_initiate(&(*I)->s, rn, syn, syn_len, now, out, sizeof out, &len),
               SGP_OK);
  want_len = tu_json_unhex(t, "initiation", want, sizeof want);
  cr_assert_eq(len, want_len);
  cr_assert_eq(memcmp(out, want, len), 0, "initiation bytes (tcId %lld)", tu_json_num(t, "tcId"));

  cr_assert_eq(sgp_session_recv(&(*R)->s, now, out, len, NULL, 0, (*R)->buf, sizeof(*R)->buf, &rx),
               SGP_OK);
  cr_assert_eq(rx.kind, SGP_RX_INITIATION);
  cr_assert_eq(rx.peer, in);
  cr_assert_eq(rx.payload_len, syn_len);
  cr_assert(syn_len == 0 || memcmp(rx.payload, syn, syn_len) == 0);

  push_u32(&(*R)->rng, (uint32_t)unhex_be(t, "resp_index", 4));
  push(&(*R)->rng, e_r, 32);
  cr_assert_eq(sgp_session_respond(&(*R)->s, in, ack, ack_len, now, out, sizeof out, &len), SGP_OK);
  want_len = tu_json_unhex(t, "response", want, sizeof want);
  cr_assert_eq(len, want_len);
  cr_assert_eq(memcmp(out, want, len), 0, "response bytes (tcId %lld)", tu_json_num(t, "tcId"));

  cr_assert_eq(sgp_session_recv(&(*I)->s, now, out, len, NULL, 0, (*I)->buf, sizeof(*I)->buf, &rx),
               SGP_OK);
  cr_assert_eq(rx.kind, SGP_RX_RESPONSE);
  cr_assert_eq(rx.payload_len, ack_len);
  cr_assert(ack_len == 0 || memcmp(rx.payload, ack, ack_len) == 0);

  const struct sgp_session_peer *pi = &(*I)->peers[rn];
  cr_assert_eq(tu_json_unhex(t, "k1", k, 32), 32);
  cr_assert_eq(memcmp(pi->slot[pi->cur].send.k, k, 32), 0, "k1");
  cr_assert_eq(tu_json_unhex(t, "k2", k, 32), 32);
  cr_assert_eq(memcmp(pi->slot[pi->cur].recv.k, k, 32), 0, "k2");
}

/* ---- groups ------------------------------------------------------------------- */

static int tests_seen;

static void check_common(const json_t *t) {
  const char *res = tu_json_str(t, "result");
  cr_assert(strcmp(res, "valid") == 0 || strcmp(res, "invalid") == 0);
  const json_t *reqs = json_object_get(t, "reqs");
  cr_assert(json_is_array(reqs) && json_array_size(reqs) > 0, "every vector cites requirements");
  tests_seen++;
}

static void run_handshake_group(const json_t *g) {
  size_t i;
  const json_t *t;
  json_array_foreach(json_object_get(g, "tests"), i, t) {
    check_common(t);
    struct node *I, *R;
    handshake(g, t, &I, &R);
    node_free(I);
    node_free(R);
  }
}

static void run_reject_group(const json_t *g) {
  struct roster r;
  static uint8_t d[SGP_DGRAM_MAX + 8];
  size_t i, j;
  const json_t *t, *p;
  roster_of(g, &r);
  json_array_foreach(json_object_get(g, "tests"), i, t) {
    check_common(t);
    uint64_t now = (uint64_t)tu_json_num(t, "now_ms");
    struct node *R = node_new(&r, (uint32_t)tu_json_num(t, "resp_node"),
                              (uint32_t)tu_json_num(g, "generation"), now);
    struct sgp_rx rx;
    json_array_foreach(json_object_get(t, "prior"), j, p) {
      const char *h = json_string_value(p);
      size_t len = 0;
      cr_assert_eq(sodium_hex2bin(d, sizeof d, h, strlen(h), NULL, &len, NULL), 0);
      cr_assert_eq(sgp_session_recv(&R->s, now, d, len, NULL, 0, R->buf, sizeof R->buf, &rx),
                   SGP_OK);
    }
    size_t len = tu_json_unhex(t, "datagram", d, sizeof d);
    const char *cname = tu_json_str(t, "counter");
    uint64_t c0 = counter(&R->s.stats, cname);
    sgp_err want = tu_err_named(tu_json_str(t, "error"));
    sgp_err got = sgp_session_recv(&R->s, now, d, len, NULL, 0, R->buf, sizeof R->buf, &rx);
    cr_assert_eq(got, want, "tcId %lld: got %s want %s", tu_json_num(t, "tcId"), sgp_err_name(got),
                 sgp_err_name(want));
    cr_assert_eq(counter(&R->s.stats, cname), c0 + 1, "tcId %lld: %s", tu_json_num(t, "tcId"),
                 cname);
    node_free(R);
  }
}

static void run_data_group(const json_t *g) {
  size_t i;
  const json_t *t;
  static uint8_t pt[SGP_DGRAM_MAX + 8], want[SGP_DGRAM_MAX + 8], out[SGP_DGRAM_MAX + 8];
  json_array_foreach(json_object_get(g, "tests"), i, t) {
    check_common(t);
    uint8_t key[32], f[SGP_DATA_FHDR_BYTES];
    size_t len;
    cr_assert_eq(tu_json_unhex(t, "key", key, 32), 32);
    cr_assert_eq(tu_json_unhex(t, "frag_hdr", f, sizeof f), sizeof f);
    size_t pt_len = tu_json_unhex(t, "plaintext", pt, sizeof pt);
    uint32_t ri = (uint32_t)unhex_be(t, "receiver_index", 4);
    uint64_t ctr = unhex_be(t, "counter", 8);
    uint8_t flags = (uint8_t)tu_json_num(t, "flags");
    sgp_err rc = sgp_data_seal(key, ri, ctr, flags, f, pt, pt_len, out, sizeof out, &len);
    if (strcmp(tu_json_str(t, "result"), "valid") == 0) {
      cr_assert_eq(rc, SGP_OK);
      size_t want_len = tu_json_unhex(t, "datagram", want, sizeof want);
      cr_assert_eq(len, want_len);
      cr_assert_eq(memcmp(out, want, len), 0, "datagram bytes (tcId %lld)", tu_json_num(t, "tcId"));
    } else {
      cr_assert_eq(rc, tu_err_named(tu_json_str(t, "error")));
    }
  }
}

static void run_session_group(const json_t *g) {
  size_t i, j;
  const json_t *t, *s;
  static uint8_t d[SGP_DGRAM_MAX + 8], want[SGP_DGRAM_MAX];
  json_array_foreach(json_object_get(g, "tests"), i, t) {
    check_common(t);
    struct node *I, *R;
    int any_invalid = 0;
    handshake(g, t, &I, &R);
    json_array_foreach(json_object_get(t, "steps"), j, s) {
      struct node *to = strcmp(tu_json_str(s, "to"), "responder") == 0 ? R : I;
      uint64_t now = (uint64_t)tu_json_num(s, "now_ms");
      size_t len = tu_json_unhex(s, "datagram", d, sizeof d);
      struct sgp_rx rx;
      sgp_err got = sgp_session_recv(&to->s, now, d, len, NULL, 0, to->buf, sizeof to->buf, &rx);
      if (strcmp(tu_json_str(s, "result"), "valid") == 0) {
        cr_assert_eq(got, SGP_OK, "tcId %lld step %zu: %s", tu_json_num(t, "tcId"), j,
                     sgp_err_name(got));
        size_t want_len = tu_json_unhex(s, "plaintext", want, sizeof want);
        cr_assert_eq(rx.payload_len, want_len);
        cr_assert(want_len == 0 || memcmp(rx.payload, want, want_len) == 0);
        cr_assert_eq(rx.kind, strcmp(tu_json_str(s, "kind"), "keepalive") == 0 ? SGP_RX_KEEPALIVE
                                                                               : SGP_RX_DATA);
      } else {
        any_invalid = 1;
        sgp_err w = tu_err_named(tu_json_str(s, "error"));
        cr_assert_eq(got, w, "tcId %lld step %zu: got %s want %s", tu_json_num(t, "tcId"), j,
                     sgp_err_name(got), sgp_err_name(w));
        cr_assert_eq(rx.kind, SGP_RX_NONE);
        cr_assert_eq(counter(&to->s.stats, tu_json_str(s, "counter")), 1,
                     "tcId %lld step %zu: counter %s", tu_json_num(t, "tcId"), j,
                     tu_json_str(s, "counter"));
      }
    }
    cr_assert_eq(any_invalid, strcmp(tu_json_str(t, "result"), "invalid") == 0);
    node_free(I);
    node_free(R);
  }
}

static void run_cookie_group(const json_t *g) {
  struct roster r;
  size_t i;
  const json_t *t;
  roster_of(g, &r);
  json_array_foreach(json_object_get(g, "tests"), i, t) {
    check_common(t);
    uint8_t key[32], mac1[16], reply[SGP_COOKIE_REPLY_BYTES + 1], got[16];
    uint32_t replier = (uint32_t)tu_json_num(t, "replier_node");
    sgp_cookie_reply_key(key, r.pk[replier]);
    cr_assert_eq(tu_json_unhex(t, "mac1", mac1, 16), 16);
    size_t rlen = tu_json_unhex(t, "reply", reply, sizeof reply);
    if (strcmp(tu_json_str(t, "result"), "invalid") == 0) {
      cr_assert_eq(sgp_cookie_reply_open(reply, rlen, key, mac1, got),
                   tu_err_named(tu_json_str(t, "error")));
      continue;
    }
    uint8_t secret[32], addr[SGP_COOKIE_ADDR_MAX], nonce[24], cookie[16], want[16], out[64];
    struct sgp_cookie_checker c;
    memset(&c, 0, sizeof c);
    cr_assert_eq(tu_json_unhex(t, "secret", secret, 32), 32);
    size_t alen = tu_json_unhex(t, "src_addr", addr, sizeof addr);
    cr_assert_eq(tu_json_unhex(t, "nonce", nonce, 24), 24);
    cr_assert_eq(tu_json_unhex(t, "cookie", want, 16), 16);
    memcpy(c.secret, secret, 32);
    sgp_cookie_checker_cookie(&c, addr, alen, cookie);
    cr_assert_eq(memcmp(cookie, want, 16), 0, "cookie(A) = MAC(R, addr(A), 16)");
    cr_assert_eq(sgp_cookie_reply_write(out, (uint32_t)unhex_be(t, "receiver_index", 4), nonce, key,
                                        mac1, cookie),
                 SGP_OK);
    cr_assert_eq(rlen, 64);
    cr_assert_eq(memcmp(out, reply, 64), 0, "reply bytes");
    cr_assert_eq(sgp_cookie_reply_open(reply, 64, key, mac1, got), SGP_OK);
    cr_assert_eq(memcmp(got, cookie, 16), 0);
  }
}

/* SGP-CONF-1 */
Test(xportvec, every_vector_reproduces) {
  cr_assert_str_eq(tu_json_str(root, "algorithm"), "SGP transport v1");
  cr_assert_str_eq(tu_json_str(root, "schema"), "sgp_transport_vectors_v1");
  size_t i;
  const json_t *g;
  int kinds = 0;
  json_array_foreach(json_object_get(root, "testGroups"), i, g) {
    const char *type = tu_json_str(g, "type");
    if (strcmp(type, "HandshakeTest") == 0)
      run_handshake_group(g), kinds |= 1;
    else if (strcmp(type, "HandshakeRejectTest") == 0)
      run_reject_group(g), kinds |= 2;
    else if (strcmp(type, "DataTest") == 0)
      run_data_group(g), kinds |= 4;
    else if (strcmp(type, "SessionTest") == 0)
      run_session_group(g), kinds |= 8;
    else if (strcmp(type, "CookieTest") == 0)
      run_cookie_group(g), kinds |= 16;
    else
      cr_assert_fail("unknown group type %s", type);
  }
  cr_assert_eq(kinds, 31, "all five group types present");
  cr_assert_eq(tests_seen, tu_json_num(root, "numberOfTests"));
}
