/* xportvec: deterministic SGP conformance vectors as JSON.
 *
 *   xportvec OUT.json             transport vectors (spec §7), this file
 *   xportvec fragment OUT.json    fragments, reassembly, jigsaw (§8): fragvec.c
 *   xportvec carrier OUT.json     carriers (§9): carriervec.c
 *   (OUT.json may be "-" for stdout)
 *
 * Everything is fixed: the roster keys, the RNG seed, the clock and the
 * plaintexts, so two runs write byte-identical files; the committed copy
 * is conformance/vectors/transport.json and a ctest regenerates and
 * compares it.  Every random value the library draws (session indices,
 * ephemeral keys, jitter, cookie secrets and nonces) comes from a seeded
 * ChaCha20 stream and is written into the vectors explicitly, so another
 * implementation can reproduce each datagram from the listed values
 * without knowing in which order this library asks for randomness.
 *
 * The generator drives the real library (sgp/session.h, sgp/cookie.h) and
 * checks every invalid case it writes against it: a vector is written only
 * if the library rejects it with exactly the error the vector names.
 *
 * Schema "sgp_transport_vectors_v1" (Wycheproof style): testGroups of type
 *   HandshakeTest        initiation and response bytes, transport keys
 *   HandshakeRejectTest  initiations a responder must drop, with the error
 *   DataTest             data messages sealed with explicit key and counter
 *   SessionTest          a handshake, then datagrams with their results (the
 *                        test is "invalid" if any step is)
 *   CookieTest           cookie replies and cookies
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rngscript.h"
#include "sgp/cookie.h"
#include "sgp/session.h"
#include "vecjson.h"

#define N 3
#define ICAP 32
#define T0 UINT64_C(1000000)
#define GENERATION 3u

/* What the library gets when it asks for randomness: the chunks queued in
 * a conf_script (conformance/common/rngscript.h), in order, each exactly of
 * the requested length.  Here any mismatch is a generator bug: it ends the
 * process at once. */
static void script_push(struct conf_script *s, const uint8_t *p, size_t len) {
  conf_script_push(s, p, len);
  if (s->fail) die("script overflow");
}

static void script_push32(struct conf_script *s, uint32_t v) {
  conf_script_push_u32(s, v);
  if (s->fail) die("script overflow");
}

static void script_rng(void *ctx, uint8_t *out, size_t len) {
  conf_script_rng(ctx, out, len);
  if (((struct conf_script *)ctx)->fail) die("library drew randomness out of script");
}

/* ---- roster and nodes ------------------------------------------------------ */

static uint8_t SK[N + 1][32], PK[N + 1][32]; /* [N]: a key outside the roster */

struct node {
  struct sgp_sessions s;
  struct sgp_session_peer peers[N];
  struct sgp_session_index index[ICAP];
  struct conf_script rng;
  uint8_t buf[SGP_DGRAM_MAX];
};

static void node_init(struct node *x, uint32_t id, const uint8_t *sk, uint8_t (*roster)[32]) {
  struct sgp_session_config c;
  memset(x, 0, sizeof *x);
  /* cookie secret all zero: CookieTest covers cookies */
  conf_script_config(&c, &x->rng, id, N, sk, (const uint8_t(*)[32])roster, GENERATION);
  c.rng = script_rng; /* a draw out of script is a generator bug */
  c.peers = x->peers;
  c.peers_cap = N;
  c.index = x->index;
  c.index_cap = ICAP;
  if (sgp_session_init(&x->s, &c, T0) != SGP_OK) die("init");
}

static json_t *roster_json(void) {
  return vec_roster(N, "dh_sk", (const uint8_t(*)[32])SK, "dh_pk", (const uint8_t(*)[32])PK);
}

static json_t *new_group(const char *type) {
  json_t *g = json_object();
  put(g, "type", json_string(type));
  put(g, "roster", roster_json());
  put(g, "generation", json_integer(GENERATION));
  put(g, "tests", json_array());
  return g;
}

/* ---- handshakes -------------------------------------------------------------- */

struct hs_params {
  uint32_t init_node, resp_node;
  uint32_t init_index, resp_index;
  uint8_t e_i[32], e_r[32];
  uint32_t counter; /* stamp = generation || counter */
  const uint8_t *syn, *ack;
  size_t syn_len, ack_len;
  const uint8_t *cookie; /* mac2 of the initiation, or NULL */
};

struct hs_result {
  uint8_t init[SGP_DGRAM_MAX], resp[SGP_DGRAM_MAX];
  size_t init_len, resp_len;
  uint8_t k1[32], k2[32];
};

static void draw_params(struct hs_params *p, uint32_t init_node, uint32_t resp_node) {
  memset(p, 0, sizeof *p);
  p->init_node = init_node;
  p->resp_node = resp_node;
  p->init_index = draw32();
  p->resp_index = draw32();
  draw(p->e_i, 32);
  draw(p->e_r, 32);
  p->counter = 1;
}

/* Runs the handshake between fresh nodes I and R at T0 (R's session stays
 * pending).  The library draws: initiate = index, ephemeral, jitter;
 * respond = index, ephemeral. */
static void run_handshake(const struct hs_params *p, struct node *I, struct node *R,
                          struct hs_result *out) {
  static const uint8_t jitter[4] = {0};
  struct sgp_rx rx;
  node_init(I, p->init_node, SK[p->init_node], PK);
  node_init(R, p->resp_node, SK[p->resp_node], PK);
  I->s.init_counter = p->counter - 1;
  if (p->cookie) {
    struct sgp_session_peer *pp = &I->peers[p->resp_node];
    memcpy(pp->cookie, p->cookie, 16);
    pp->has_cookie = 1;
    pp->cookie_ms = T0;
  }
  script_push32(&I->rng, p->init_index);
  script_push(&I->rng, p->e_i, 32);
  script_push(&I->rng, jitter, 4);
  if (sgp_session_initiate(&I->s, p->resp_node, p->syn, p->syn_len, T0, out->init, sizeof out->init,
                           &out->init_len) != SGP_OK)
    die("initiate");
  if (sgp_session_recv(&R->s, T0, out->init, out->init_len, NULL, 0, R->buf, sizeof R->buf, &rx) !=
          SGP_OK ||
      rx.payload_len != p->syn_len || (p->syn_len && memcmp(rx.payload, p->syn, p->syn_len)))
    die("responder rejected the initiation");
  script_push32(&R->rng, p->resp_index);
  script_push(&R->rng, p->e_r, 32);
  if (sgp_session_respond(&R->s, p->init_node, p->ack, p->ack_len, T0, out->resp, sizeof out->resp,
                          &out->resp_len) != SGP_OK)
    die("respond");
  if (sgp_session_recv(&I->s, T0, out->resp, out->resp_len, NULL, 0, I->buf, sizeof I->buf, &rx) !=
          SGP_OK ||
      rx.payload_len != p->ack_len || (p->ack_len && memcmp(rx.payload, p->ack, p->ack_len)))
    die("initiator rejected the response");
  const struct sgp_session_peer *pi = &I->peers[p->resp_node];
  memcpy(out->k1, pi->slot[pi->cur].send.k, 32);
  memcpy(out->k2, pi->slot[pi->cur].recv.k, 32);
}

static void put_hs_params(json_t *t, const struct hs_params *p) {
  put(t, "init_node", json_integer(p->init_node));
  put(t, "resp_node", json_integer(p->resp_node));
  put_u64(t, "stamp", (uint64_t)GENERATION << 32 | p->counter);
  put_u32(t, "init_index", p->init_index);
  put_hex(t, "init_ephemeral", p->e_i, 32);
  put_hex(t, "syn", p->syn, p->syn_len);
  put_hex(t, "cookie", p->cookie, p->cookie ? 16 : 0);
  put_u32(t, "resp_index", p->resp_index);
  put_hex(t, "resp_ephemeral", p->e_r, 32);
  put_hex(t, "ack", p->ack, p->ack_len);
  put(t, "now_ms", json_integer((json_int_t)T0));
}

static void put_hs_result(json_t *t, const struct hs_result *r) {
  put_hex(t, "initiation", r->init, r->init_len);
  put_hex(t, "response", r->resp, r->resp_len);
  put_hex(t, "k1", r->k1, 32);
  put_hex(t, "k2", r->k2, 32);
}

static json_t *group_handshake(void) {
  static const char *const reqs[] = {"SGP-XPORT-1",  "SGP-XPORT-4",
                                     "SGP-XPORT-6",  "SGP-XPORT-7",
                                     "SGP-XPORT-8",  "SGP-XPORT-10",
                                     "SGP-XPORT-14", "SGP-XPORT-15",
                                     "SGP-XPORT-16", "SGP-XPORT-17",
                                     "SGP-XPORT-18", "SGP-XPORT-23",
                                     "SGP-REPLAY-6", NULL};
  static uint8_t big[SGP_ACK_MAX];
  json_t *g = new_group("HandshakeTest");
  json_t *tests = json_object_get(g, "tests");
  for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7 + 1);
  uint8_t cookie[16];
  const uint8_t syn[] = "\x08\x01\x10\x00\x18\x01\x22\x0d\x10\x01\x18\x64";
  const uint8_t ack[] = "ACK payload: opaque gossip bytes of an encoded ACK";
  struct {
    const char *comment;
    uint32_t i, r, counter;
    const uint8_t *syn, *ack;
    size_t syn_len, ack_len;
    int cookie;
  } cases[] = {
      {"empty SYN and ACK", 0, 1, 1, NULL, NULL, 0, 0, 0},
      {"SYN and ACK payloads", 0, 1, 1, syn, ack, sizeof syn - 1, sizeof ack - 1, 0},
      {"largest SYN (1100) and ACK (1108): 1200-byte datagrams", 0, 1, 1, big, big, SGP_SYN_MAX,
       SGP_ACK_MAX, 0},
      {"higher initiator id, later stamp", 2, 0, 41, syn, NULL, sizeof syn - 1, 0, 0},
      {"initiation with mac2 from a held cookie", 1, 2, 5, NULL, ack, 0, sizeof ack - 1, 1},
  };
  draw(cookie, sizeof cookie);
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    struct hs_params p;
    struct hs_result r;
    static struct node I, R;
    draw_params(&p, cases[c].i, cases[c].r);
    p.counter = cases[c].counter;
    p.syn = cases[c].syn;
    p.syn_len = cases[c].syn_len;
    p.ack = cases[c].ack;
    p.ack_len = cases[c].ack_len;
    p.cookie = cases[c].cookie ? cookie : NULL;
    run_handshake(&p, &I, &R, &r);
    json_t *t = new_test(cases[c].comment, "valid", reqs);
    put_hs_params(t, &p);
    put_hs_result(t, &r);
    json_array_append_new(tests, t);
    sgp_session_destroy(&I.s);
    sgp_session_destroy(&R.s);
  }
  return g;
}

/* ---- rejected initiations ---------------------------------------------------- */

/* Delivers m to a fresh responder after the `prior` datagrams; dies unless
 * the result is `want`. */
static void check_reject(uint32_t resp, const uint8_t *prior, size_t prior_len, const uint8_t *m,
                         size_t len, sgp_err want) {
  static struct node R;
  struct sgp_rx rx;
  node_init(&R, resp, SK[resp], PK);
  if (prior &&
      sgp_session_recv(&R.s, T0, prior, prior_len, NULL, 0, R.buf, sizeof R.buf, &rx) != SGP_OK)
    die("prior datagram rejected");
  sgp_err got = sgp_session_recv(&R.s, T0, m, len, NULL, 0, R.buf, sizeof R.buf, &rx);
  if (got != want) {
    fprintf(stderr, "xportvec: got %s, want %s\n", sgp_err_name(got), sgp_err_name(want));
    die("reject vector does not reproduce");
  }
  sgp_session_destroy(&R.s);
}

static void add_reject(json_t *tests, const char *comment, const char *const *reqs,
                       const uint8_t *prior, size_t prior_len, const uint8_t *m, size_t len,
                       sgp_err want, const char *counter) {
  check_reject(1, prior, prior_len, m, len, want);
  json_t *t = new_test(comment, "invalid", reqs);
  put(t, "resp_node", json_integer(1));
  put(t, "now_ms", json_integer((json_int_t)T0));
  json_t *pa = json_array();
  if (prior) json_array_append_new(pa, hex(prior, prior_len));
  put(t, "prior", pa);
  put_hex(t, "datagram", m, len);
  put(t, "error", json_string(sgp_err_name(want)));
  put(t, "counter", json_string(counter));
  json_array_append_new(tests, t);
}

static json_t *group_reject(void) {
  json_t *g = new_group("HandshakeRejectTest");
  json_t *tests = json_object_get(g, "tests");
  static struct node I, R, rogue;
  static uint8_t rogue_roster[N][32];
  struct hs_params p;
  struct hs_result r;
  uint8_t m[SGP_DGRAM_MAX + 1], key[32];
  size_t len;
  sgp_cookie_mac1_key(key, PK[1]);

  draw_params(&p, 0, 1);
  run_handshake(&p, &I, &R, &r);
  const uint8_t *init = r.init;
  size_t il = r.init_len;

  static const char *const r19[] = {"SGP-XPORT-19", "SGP-XPORT-52", NULL};
  memcpy(m, init, il);
  m[il - 20] ^= 0x01;
  add_reject(tests, "mac1 altered", r19, NULL, 0, m, il, SGP_ERR_MAC1, "drop_mac1");
  memcpy(m, init, il);
  m[60] ^= 0x01;
  add_reject(tests, "ciphertext altered, mac1 not recomputed", r19, NULL, 0, m, il, SGP_ERR_MAC1,
             "drop_mac1");

  static const char *const r3[] = {"SGP-XPORT-3", "SGP-XPORT-49", NULL};
  memcpy(m, init, il);
  m[60] ^= 0x01;
  if (sgp_cookie_add_macs(m, il, key, NULL) != SGP_OK) die("macs");
  add_reject(tests, "ciphertext altered, mac1 recomputed: Noise tag fails", r3, NULL, 0, m, il,
             SGP_ERR_CRYPTO, "drop_handshake");

  static const char *const r20[] = {"SGP-XPORT-20", "SGP-XPORT-52", "SGP-SEC-2", NULL};
  memcpy(m, init, il);
  m[7] = N;
  if (sgp_cookie_add_macs(m, il, key, NULL) != SGP_OK) die("macs");
  add_reject(tests, "unknown sender: sender_node = n", r20, NULL, 0, m, il, SGP_ERR_NODE_ID,
             "drop_unknown_peer");
  m[7] = 1;
  if (sgp_cookie_add_macs(m, il, key, NULL) != SGP_OK) die("macs");
  add_reject(tests, "sender_node is the responder itself", r20, NULL, 0, m, il, SGP_ERR_SENDER,
             "drop_unknown_peer");

  static const char *const r8[] = {"SGP-XPORT-8", "SGP-XPORT-52", NULL};
  memcpy(rogue_roster, PK, sizeof rogue_roster);
  memcpy(rogue_roster[2], PK[N], 32);
  {
    static const uint8_t jitter[4] = {0};
    uint8_t e[32];
    node_init(&rogue, 2, SK[N], rogue_roster);
    draw(e, sizeof e);
    script_push32(&rogue.rng, draw32());
    script_push(&rogue.rng, e, 32);
    script_push(&rogue.rng, jitter, 4);
    if (sgp_session_initiate(&rogue.s, 1, NULL, 0, T0, m, sizeof m, &len) != SGP_OK)
      die("rogue initiate");
    add_reject(tests, "static key outside the roster claiming node 2", r8, NULL, 0, m, len,
               SGP_ERR_CRYPTO, "drop_handshake");
    sgp_session_destroy(&rogue.s);
  }

  static const char *const r5[] = {"SGP-REPLAY-5", NULL};
  add_reject(tests, "replayed initiation: stamp not newer", r5, init, il, init, il, SGP_ERR_REPLAY,
             "drop_stamp");

  static const char *const r13[] = {"SGP-XPORT-13", NULL};
  add_reject(tests, "truncated: 99 bytes", r13, NULL, 0, init, SGP_INITIATION_MIN - 1,
             SGP_ERR_TRUNCATED, "drop_size");
  memset(m, 0, sizeof m);
  memcpy(m, init, il);
  add_reject(tests, "oversized: 1201 bytes", r13, NULL, 0, m, SGP_DGRAM_MAX + 1, SGP_ERR_TOO_LARGE,
             "drop_size");
  memcpy(m, init, il);
  m[0] = 5;
  add_reject(tests, "unknown type 5", r13, NULL, 0, m, il, SGP_ERR_DGRAM_TYPE, "drop_type");
  memcpy(m, init, il);
  m[2] = 1;
  add_reject(tests, "nonzero reserved byte", r13, NULL, 0, m, il, SGP_ERR_RESERVED,
             "drop_reserved");
  sgp_session_destroy(&I.s);
  sgp_session_destroy(&R.s);
  return g;
}

/* ---- data messages ------------------------------------------------------------ */

static void fhdr(uint8_t f[SGP_DATA_FHDR_BYTES], uint32_t msg_id, uint8_t index, uint8_t count,
                 uint32_t total) {
  f[0] = (uint8_t)(msg_id >> 24), f[1] = (uint8_t)(msg_id >> 16), f[2] = (uint8_t)(msg_id >> 8);
  f[3] = (uint8_t)msg_id;
  f[4] = index;
  f[5] = count;
  f[6] = (uint8_t)(total >> 24), f[7] = (uint8_t)(total >> 16), f[8] = (uint8_t)(total >> 8);
  f[9] = (uint8_t)total;
}

static json_t *group_data(void) {
  static const char *const reqs[] = {"SGP-XPORT-4", "SGP-XPORT-12", "SGP-XPORT-30", "SGP-XPORT-31",
                                     NULL};
  json_t *g = json_object();
  put(g, "type", json_string("DataTest"));
  put(g, "tests", json_array());
  json_t *tests = json_object_get(g, "tests");
  static uint8_t pt[SGP_DATA_PT_MAX];
  for (size_t i = 0; i < sizeof pt; i++) pt[i] = (uint8_t)(i ^ 0x5c);
  struct {
    const char *comment;
    uint64_t counter;
    uint8_t flags, index, count;
    uint32_t msg_id, total;
    size_t len;
  } cases[] = {
      {"keepalive, counter 0", 0, 0, 0, 0, 0, 0, 0},
      {"one-fragment message", 1, 0, 0, 1, 1, 100, 100},
      {"full fragment: 1200-byte datagram", 2, 0, 0, 2, 2, SGP_DATA_PT_MAX, SGP_DATA_PT_MAX},
      {"AONT, fragment 1 of 3", 3, 0x01, 1, 3, 3, 2 * SGP_DATA_PT_MAX + 40, SGP_DATA_PT_MAX},
      {"AONT + PARITY, last data fragment of 2 (+1 parity)", 4, 0x03, 1, 3, 4, SGP_DATA_PT_MAX + 10,
       10},
      {"counter above 2^32 (little-endian nonce, big-endian header)", (UINT64_C(1) << 32) + 5, 0, 0,
       1, 9, 33, 33},
      {"last counter below REJECT_AFTER_MESSAGES", SGP_REJECT_AFTER_MESSAGES - 1, 0, 0, 1, 10, 8,
       8},
  };
  uint8_t key[32];
  draw(key, sizeof key);
  uint32_t ri = draw32();
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    uint8_t f[SGP_DATA_FHDR_BYTES], out[SGP_DGRAM_MAX];
    size_t len;
    fhdr(f, cases[c].msg_id, cases[c].index, cases[c].count, cases[c].total);
    if (sgp_data_seal(key, ri, cases[c].counter, cases[c].flags, f, pt, cases[c].len, out,
                      sizeof out, &len) != SGP_OK)
      die("seal");
    json_t *t = new_test(cases[c].comment, "valid", reqs);
    put_hex(t, "key", key, 32);
    put_u32(t, "receiver_index", ri);
    put_u64(t, "counter", cases[c].counter);
    put(t, "flags", json_integer(cases[c].flags));
    put_hex(t, "frag_hdr", f, sizeof f);
    put_hex(t, "plaintext", pt, cases[c].len);
    put_hex(t, "datagram", out, len);
    json_array_append_new(tests, t);
  }
  /* the sealer refuses a 1159-byte fragment */
  {
    static const char *const r12[] = {"SGP-XPORT-12", NULL};
    uint8_t f[SGP_DATA_FHDR_BYTES], out[SGP_DGRAM_MAX + 1];
    size_t len;
    static uint8_t big[SGP_DATA_PT_MAX + 1];
    fhdr(f, 1, 0, 1, SGP_DATA_PT_MAX + 1);
    if (sgp_data_seal(key, ri, 0, 0, f, big, sizeof big, out, sizeof out, &len) !=
        SGP_ERR_TOO_LARGE)
      die("sealer accepted 1201 bytes");
    json_t *t =
        new_test("sealer: 1159-byte fragment would make a 1201-byte datagram", "invalid", r12);
    put_hex(t, "key", key, 32);
    put_u32(t, "receiver_index", ri);
    put_u64(t, "counter", 0);
    put(t, "flags", json_integer(0));
    put_hex(t, "frag_hdr", f, sizeof f);
    put_hex(t, "plaintext", big, sizeof big);
    put(t, "error", json_string("SGP_ERR_TOO_LARGE"));
    json_array_append_new(tests, t);
  }
  return g;
}

/* ---- sessions -------------------------------------------------------------------- */

struct step {
  int to_resp; /* 1: initiator -> responder; 0: responder -> initiator */
  uint64_t now;
  uint8_t d[SGP_DGRAM_MAX + 1];
  size_t len;
  sgp_err want;
  const char *counter;
};

/* Runs steps on a fresh handshake and writes the test if every step
 * reproduces.  Plaintexts of accepted data steps are recorded. */
static void add_session_test(json_t *tests, const struct hs_params *p, const char *comment,
                             const char *const *reqs, const struct step *steps, int n) {
  static struct node I, R;
  struct hs_result r;
  int all_ok = 1;
  for (int k = 0; k < n; k++) all_ok &= steps[k].want == SGP_OK;
  run_handshake(p, &I, &R, &r);
  json_t *t = new_test(comment, all_ok ? "valid" : "invalid", reqs);
  json_t *arr = json_array();
  for (int k = 0; k < n; k++) {
    const struct step *s = &steps[k];
    struct node *to = s->to_resp ? &R : &I;
    struct sgp_rx rx;
    sgp_err got =
        sgp_session_recv(&to->s, s->now, s->d, s->len, NULL, 0, to->buf, sizeof to->buf, &rx);
    if (got != s->want) {
      fprintf(stderr, "xportvec: %s step %d: got %s want %s\n", comment, k, sgp_err_name(got),
              sgp_err_name(s->want));
      die("session vector does not reproduce");
    }
    json_t *o = json_object();
    put(o, "to", json_string(s->to_resp ? "responder" : "initiator"));
    put(o, "now_ms", json_integer((json_int_t)s->now));
    put_hex(o, "datagram", s->d, s->len);
    put(o, "result", json_string(got == SGP_OK ? "valid" : "invalid"));
    if (got == SGP_OK) {
      put(o, "kind",
          json_string(rx.kind == SGP_RX_DATA        ? "data"
                      : rx.kind == SGP_RX_KEEPALIVE ? "keepalive"
                                                    : "other"));
      put_hex(o, "plaintext", rx.payload, rx.payload_len);
    } else {
      put(o, "error", json_string(sgp_err_name(got)));
      put(o, "counter", json_string(s->counter));
    }
    json_array_append_new(arr, o);
  }
  put_hs_params(t, p);
  put_hs_result(t, &r);
  put(t, "steps", arr);
  json_array_append_new(tests, t);
  sgp_session_destroy(&I.s);
  sgp_session_destroy(&R.s);
}

/* Data sealed on the handshake's keys: initiator -> responder with k1 to
 * the responder's index, or back with k2 to the initiator's. */
static void mk(struct step *s, const struct hs_result *r, const struct hs_params *p, int to_resp,
               uint64_t now, uint64_t counter, uint8_t flags, const uint8_t f[10], const char *pt,
               sgp_err want, const char *counter_name) {
  memset(s, 0, sizeof *s);
  s->to_resp = to_resp;
  s->now = now;
  s->want = want;
  s->counter = counter_name;
  if (sgp_data_seal(to_resp ? r->k1 : r->k2, to_resp ? p->resp_index : p->init_index, counter,
                    flags, f, (const uint8_t *)pt, strlen(pt), s->d, sizeof s->d,
                    &s->len) != SGP_OK)
    die("seal");
}

static json_t *group_session(void) {
  json_t *g = new_group("SessionTest");
  json_t *tests = json_object_get(g, "tests");
  struct hs_params p;
  struct hs_result r;
  static struct node I, R;
  static struct step st[8];
  uint8_t f1[10], f0[10] = {0}, key[32];
  fhdr(f1, 1, 0, 1, 5);
  draw_params(&p, 0, 1);
  run_handshake(&p, &I, &R, &r); /* for the keys; each test reruns it */
  sgp_session_destroy(&I.s);
  sgp_session_destroy(&R.s);
  const uint64_t t = T0 + 10;
  const char *drop = NULL;

  static const char *const rv[] = {"SGP-XPORT-23",
                                   "SGP-XPORT-26",
                                   "SGP-XPORT-27",
                                   "SGP-XPORT-30",
                                   "SGP-XPORT-31",
                                   "SGP-REPLAY-3",
                                   NULL};
  mk(&st[0], &r, &p, 1, t, 0, 0, f0, "", SGP_OK, drop);
  mk(&st[1], &r, &p, 0, t, 0, 0, f1, "hello", SGP_OK, drop);
  mk(&st[2], &r, &p, 1, t, 2, 0, f1, "later", SGP_OK, drop);
  mk(&st[3], &r, &p, 1, t, 1, 0, f1, "early", SGP_OK, drop);
  add_session_test(tests, &p, "keepalive confirms, data both ways, out of order in window", rv, st,
                   4);

  static const char *const r1[] = {"SGP-REPLAY-1", "SGP-XPORT-49", "SGP-XPORT-52", NULL};
  mk(&st[0], &r, &p, 1, t, 0, 0, f1, "hello", SGP_OK, drop);
  mk(&st[1], &r, &p, 1, t, 1, 0, f1, "hello", SGP_ERR_AUTH, "drop_auth");
  st[1].d[st[1].len - 1] ^= 0x01;
  mk(&st[2], &r, &p, 1, t, 1, 0, f1, "hello", SGP_OK, drop);
  add_session_test(tests, &p, "tampered tag, then the genuine datagram with that counter", r1, st,
                   3);
  mk(&st[1], &r, &p, 1, t, 1, 0, f1, "hello", SGP_ERR_AUTH, "drop_auth");
  st[1].d[21] ^= 0x02; /* frag_count, inside the associated data */
  add_session_test(tests, &p, "tampered header byte (associated data)", r1, st, 2);

  static const char *const r30[] = {"SGP-XPORT-30", "SGP-XPORT-23", NULL};
  draw(key, sizeof key);
  mk(&st[1], &r, &p, 1, t, 1, 0, f1, "hello", SGP_ERR_AUTH, "drop_auth");
  if (sgp_data_seal(key, p.resp_index, 1, 0, f1, (const uint8_t *)"hello", 5, st[1].d,
                    sizeof st[1].d, &st[1].len) != SGP_OK)
    die("seal");
  add_session_test(tests, &p, "wrong key", r30, st, 2);
  mk(&st[1], &r, &p, 1, t, 1, 0, f1, "hello", SGP_ERR_AUTH, "drop_auth");
  if (sgp_data_seal(r.k2, p.resp_index, 1, 0, f1, (const uint8_t *)"hello", 5, st[1].d,
                    sizeof st[1].d, &st[1].len) != SGP_OK)
    die("seal");
  add_session_test(tests, &p, "wrong direction key (reflected)", r30, st, 2);

  static const char *const r3[] = {"SGP-REPLAY-3", NULL};
  mk(&st[1], &r, &p, 1, t, 0, 0, f1, "hello", SGP_ERR_REPLAY, "drop_replay");
  add_session_test(tests, &p, "replayed counter", r3, st, 2);
  mk(&st[1], &r, &p, 1, t, 2048, 0, f1, "ahead", SGP_OK, drop);
  mk(&st[2], &r, &p, 1, t, 1, 0, f1, "edge", SGP_OK, drop);
  mk(&st[3], &r, &p, 1, t, 1, 0, f1, "edge", SGP_ERR_REPLAY, "drop_replay");
  add_session_test(tests, &p, "window edge: top 2048, counter 1 is the oldest in the window", r3,
                   st, 4);
  mk(&st[2], &r, &p, 1, t, 2049, 0, f1, "ahead", SGP_OK, drop);
  mk(&st[3], &r, &p, 1, t, 1, 0, f1, "edge", SGP_ERR_TOO_OLD, "drop_replay");
  add_session_test(tests, &p, "behind the window of 2048", r3, st, 4);

  static const char *const r2[] = {"SGP-REPLAY-2", "SGP-XPORT-35", NULL};
  mk(&st[1], &r, &p, 1, t, SGP_REJECT_AFTER_MESSAGES - 1, 0, f1, "last", SGP_OK, drop);
  mk(&st[2], &r, &p, 1, t, 3, 0, f1, "x", SGP_ERR_EXHAUSTED, "drop_expired");
  {
    /* counter 2^64 - 2^13: a sender cannot seal it; done by hand */
    uint8_t nonce[12] = {0}, *d = st[2].d;
    uint64_t c = SGP_REJECT_AFTER_MESSAGES;
    for (int k = 0; k < 8; k++) nonce[4 + k] = (uint8_t)(c >> (8 * k));
    for (int k = 0; k < 8; k++) d[8 + k] = (uint8_t)(c >> (56 - 8 * k));
    crypto_aead_chacha20poly1305_ietf_encrypt(d + 26, NULL, (const uint8_t *)"x", 1, d, 26, NULL,
                                              nonce, r.k1);
  }
  add_session_test(tests, &p, "counter at REJECT_AFTER_MESSAGES", r2, st, 3);

  static const char *const r35[] = {"SGP-XPORT-35", NULL};
  mk(&st[1], &r, &p, 1, T0 + SGP_REJECT_AFTER_TIME_MS - 1, 1, 0, f1, "late", SGP_OK, drop);
  mk(&st[2], &r, &p, 1, T0 + SGP_REJECT_AFTER_TIME_MS, 2, 0, f1, "stale", SGP_ERR_EXPIRED,
     "drop_expired");
  add_session_test(tests, &p, "stale session: REJECT_AFTER_TIME after Split", r35, st, 3);

  static const char *const r52[] = {"SGP-XPORT-52", NULL};
  mk(&st[1], &r, &p, 1, t, 1, 0, f1, "hello", SGP_ERR_UNKNOWN_INDEX, "drop_unknown_index");
  st[1].d[7] ^= 0x01;
  add_session_test(tests, &p, "unknown receiver_index", r52, st, 2);
  static const char *const r28[] = {"SGP-XPORT-28", "SGP-XPORT-52", NULL};
  mk(&st[0], &r, &p, 1, T0 + SGP_REKEY_TIMEOUT_MS, 0, 0, f1, "hello", SGP_ERR_UNKNOWN_INDEX,
     "drop_unknown_index");
  add_session_test(tests, &p, "pending session unconfirmed for REKEY_TIMEOUT", r28, st, 1);

  static const char *const r8[] = {"SGP-REPLAY-8", NULL};
  mk(&st[0], &r, &p, 1, t, 0, 0, f0, "", SGP_OK, drop);
  memset(&st[1], 0, sizeof st[1]);
  st[1].to_resp = 0;
  st[1].now = t;
  memcpy(st[1].d, r.resp, r.resp_len);
  st[1].len = r.resp_len;
  st[1].want = SGP_ERR_UNKNOWN_INDEX;
  st[1].counter = "drop_unknown_index";
  add_session_test(tests, &p, "response replayed after it completed the handshake", r8, st, 2);

  static const char *const r32[] = {"SGP-XPORT-32", NULL};
  uint8_t fk[10] = {0, 0, 0, 7, 0, 0, 0, 0, 0, 0};
  mk(&st[0], &r, &p, 1, t, 0, 0, f1, "hello", SGP_OK, drop);
  mk(&st[1], &r, &p, 1, t, 1, 0, fk, "", SGP_ERR_KEEPALIVE, "drop_keepalive");
  mk(&st[2], &r, &p, 1, t, 1, 0, f0, "", SGP_OK, drop);
  add_session_test(tests, &p, "frag_count 0 with msg_id 7: malformed keepalive", r32, st, 3);

  static const char *const r13[] = {"SGP-XPORT-13", "SGP-JIG-1", NULL};
  mk(&st[1], &r, &p, 1, t, 1, 0x02, f1, "hello", SGP_ERR_RESERVED, "drop_reserved");
  add_session_test(tests, &p, "flags 0x02 (PARITY without AONT)", r13, st, 2);
  mk(&st[1], &r, &p, 1, t, 1, 0, f1, "hello", SGP_ERR_TRUNCATED, "drop_size");
  st[1].len = SGP_DATA_MIN - 1;
  add_session_test(tests, &p, "truncated data message: 41 bytes", r13, st, 2);
  static char big[SGP_DATA_PT_MAX + 1];
  memset(big, 'z', sizeof big - 1);
  mk(&st[1], &r, &p, 1, t, 1, 0, f1, big, SGP_OK, drop);
  st[1].d[st[1].len] = 0;
  st[1].len++;
  st[1].want = SGP_ERR_TOO_LARGE;
  st[1].counter = "drop_size";
  add_session_test(tests, &p, "oversized: 1201 bytes", r13, st, 2);
  (void)drop;
  return g;
}

/* ---- cookies ------------------------------------------------------------------- */

static json_t *group_cookie(void) {
  static const char *const reqs[] = {"SGP-XPORT-10", "SGP-XPORT-44", "SGP-XPORT-47", "SGP-XPORT-48",
                                     NULL};
  json_t *g = new_group("CookieTest");
  json_t *tests = json_object_get(g, "tests");
  const uint8_t v4[6] = {192, 0, 2, 10, 0xca, 0x6c};
  uint8_t v6[18] = {0x20, 0x01, 0x0d, 0xb8};
  v6[15] = 1, v6[16] = 0xca, v6[17] = 0x6d;
  struct {
    const char *comment;
    const uint8_t *addr;
    size_t addr_len;
  } cases[] = {{"IPv4 source", v4, sizeof v4}, {"IPv6 source", v6, sizeof v6}};
  for (size_t c = 0; c < 2; c++) {
    uint8_t secret[32], mac1[16], nonce[24], cookie[16], key[32], reply[64];
    uint32_t ri = draw32();
    draw(secret, 32);
    draw(mac1, 16);
    draw(nonce, 24);
    if (sgp_cookie_mac(cookie, secret, 32, cases[c].addr, cases[c].addr_len) != SGP_OK)
      die("cookie");
    sgp_cookie_reply_key(key, PK[1]);
    if (sgp_cookie_reply_write(reply, ri, nonce, key, mac1, cookie) != SGP_OK) die("reply");
    json_t *t = new_test(cases[c].comment, "valid", reqs);
    put(t, "replier_node", json_integer(1));
    put_hex(t, "secret", secret, 32);
    put_hex(t, "src_addr", cases[c].addr, cases[c].addr_len);
    put_hex(t, "cookie", cookie, 16);
    put_u32(t, "receiver_index", ri);
    put_hex(t, "mac1", mac1, 16);
    put_hex(t, "nonce", nonce, 24);
    put_hex(t, "reply", reply, 64);
    json_array_append_new(tests, t);
    if (c == 1) {
      static const char *const r48[] = {"SGP-XPORT-48", NULL};
      uint8_t wrong[16], got[16];
      memcpy(wrong, mac1, 16);
      wrong[0] ^= 1;
      if (sgp_cookie_reply_open(reply, 64, key, wrong, got) != SGP_ERR_AUTH) die("cookie ad");
      t = new_test("reply opened with the mac1 of another initiation", "invalid", r48);
      put(t, "replier_node", json_integer(1));
      put_hex(t, "mac1", wrong, 16);
      put_hex(t, "reply", reply, 64);
      put(t, "error", json_string("SGP_ERR_AUTH"));
      json_array_append_new(tests, t);
    }
  }
  return g;
}

void gen_transport(const char *path) {
  vec_begin("SGP transport vectors, seed v1..");
  for (int i = 0; i <= N; i++) {
    draw(SK[i], 32);
    if (crypto_scalarmult_base(PK[i], SK[i]) != 0) die("key");
  }

  json_t *groups = json_array();
  json_array_append_new(groups, group_handshake());
  json_array_append_new(groups, group_reject());
  json_array_append_new(groups, group_data());
  json_array_append_new(groups, group_session());
  json_array_append_new(groups, group_cookie());

  static const char *const header[] = {
      "Transport vectors for SGP v1 (spec section 7), generated by tools/xportvec from fixed keys,",
      "a fixed RNG seed and a fixed clock. Hex strings; u32/u64 fields big-endian. Every random",
      "value (indices, ephemeral keys, cookie secrets, nonces) is listed, so a test feeds them",
      "to its implementation instead of a CSPRNG. Invalid cases name the sgp_err (spec 4.6) and",
      "the drop counter (spec 7.12). Replay window W = 2048.",
      NULL};
  json_t *root = vec_root("SGP transport v1", "sgp_transport_vectors_v1", header);
  json_t *notes = json_object();
  put(notes, "stamp", json_string("generation u32 || initiation counter u32 (SGP-REPLAY-6)"));
  put(notes, "k1", json_string("initiator -> responder transport key after Split"));
  put(notes, "k2", json_string("responder -> initiator transport key after Split"));
  put(notes, "prior", json_string("datagrams the receiver accepts before the tested one"));
  put(notes, "steps", json_string("datagrams delivered in order after the handshake"));
  put(root, "notes", notes);
  put(root, "testGroups", groups);
  vec_write(root, path);
  json_decref(root);
}

/* xportvec OUT.json               transport vectors (as before)
 * xportvec KIND OUT.json          KIND = transport, fragment or carrier */
int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: xportvec [transport|fragment|carrier] OUT.json | -\n");
    return 2;
  }
  if (sodium_init() < 0) die("sodium_init");
  const char *kind = argc == 3 ? argv[1] : "transport", *path = argv[argc - 1];
  if (strcmp(kind, "transport") == 0)
    gen_transport(path);
  else if (strcmp(kind, "fragment") == 0)
    gen_fragment(path);
  else if (strcmp(kind, "carrier") == 0)
    gen_carrier(path);
  else
    die("unknown vector kind");
  return 0;
}
