/* The fragment vectors conformance/vectors/fragment.json (written by
 * tools/xportvec) against the library, at the plaintext fragment layer
 * (after AEAD open; sealing is checked by test_xportvec.c).
 *
 * FragmentTest: the sender side is reproduced byte for byte (jigsaw with the
 * listed AONT key, then every listed fragment's ad and payload from
 * sgp_frag_make / sgp_frag_ad); the receiver side gets the fragments in the
 * listed order and must deliver the listed message exactly once, which the
 * jigsaw inverse turns back into the packet.
 * FragmentSetTest: every fragment gets the listed result or sgp_err, moves
 * the listed drop counter, and discards exactly the listed messages whole;
 * reserved bytes and messages in reassembly match after every step.
 *
 * SGP-CONF-1: the implementation produces the expected output or error for
 * every vector.  The vectors cite, per test, the requirements they exercise
 * (SGP-FRAG-1, -5..13; SGP-JIG-1..5, -7).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/fragment.h"
#include "sgp/jigsaw.h"
#include "testutil.h"

#define VEC SGP_SOURCE_DIR "/conformance/vectors/fragment.json"
#define MAXSESS 8

static json_t *root;

static void load(void) {
  root = tu_json_load(VEC);
}
static void unload(void) {
  json_decref(root);
}
TestSuite(fragvec, .init = load, .fini = unload);

/* ---- JSON access ------------------------------------------------------------ */

static int is_valid(const json_t *o) {
  const char *r = tu_json_str(o, "result");
  cr_assert(strcmp(r, "valid") == 0 || strcmp(r, "invalid") == 0);
  return strcmp(r, "valid") == 0;
}

static int has_flag(const json_t *t, const char *flag) {
  size_t i;
  const json_t *f;
  json_array_foreach(json_object_get(t, "flags"), i, f) {
    if (strcmp(json_string_value(f), flag) == 0) return 1;
  }
  return 0;
}

/* ---- the ad ----------------------------------------------------------------- */

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads the fragment header out of the 26-byte ad by its §7.6 offsets, and
 * checks that sgp_frag_ad_parse agrees (it refuses undefined flags, which
 * the reassembler must then refuse too) and that sgp_frag_ad rebuilds it. */
static void ad_decode(const uint8_t ad[SGP_FRAG_AD_BYTES], struct sgp_frag_hdr *h) {
  cr_assert_eq(ad[0], SGP_FRAG_DATA_TYPE);
  cr_assert(ad[2] == 0 && ad[3] == 0);
  uint32_t ri = be32(ad + 4);
  uint64_t ctr = (uint64_t)be32(ad + 8) << 32 | be32(ad + 12);
  h->flags = ad[1];
  h->msg_id = be32(ad + 16);
  h->index = ad[20];
  h->count = ad[21];
  h->total_len = be32(ad + 22);

  struct sgp_frag_hdr p;
  uint32_t pri;
  uint64_t pctr;
  sgp_err rc = sgp_frag_ad_parse(ad, SGP_FRAG_AD_BYTES, &p, &pri, &pctr);
  int defined = h->flags == 0 || h->flags == SGP_FRAG_FLAG_AONT ||
                h->flags == (SGP_FRAG_FLAG_AONT | SGP_FRAG_FLAG_PARITY);
  if (!defined) {
    cr_assert_eq(rc, SGP_ERR_RESERVED);
    return;
  }
  cr_assert_eq(rc, SGP_OK);
  cr_assert(p.msg_id == h->msg_id && p.index == h->index && p.count == h->count &&
            p.total_len == h->total_len && p.flags == h->flags && pri == ri && pctr == ctr);
  uint8_t again[SGP_FRAG_AD_BYTES];
  cr_assert_eq(sgp_frag_ad(again, h, ri, ctr), SGP_OK);
  cr_assert_eq(memcmp(again, ad, sizeof again), 0, "sgp_frag_ad rebuilds the ad");
}

/* ---- the receiver -------------------------------------------------------------- */

struct rx {
  struct sgp_reasm r;
  void *mem;
  int nsess;
  sgp_reasm_sid sid[MAXSESS];
};

/* Spec defaults for the group's n (checked against the listed constants),
 * with the listed reasm_global_bytes, and the test's sessions opened. */
static void rx_open(struct rx *x, const json_t *g, const json_t *t) {
  const json_t *rp = json_object_get(g, "reasm");
  struct sgp_reasm_params p;
  sgp_reasm_params_default(&p, (uint32_t)tu_json_num(rp, "n"));
  cr_assert_eq(p.peer_msgs, tu_json_num(rp, "peer_msgs"));
  cr_assert_eq(p.peer_bytes, tu_json_num(rp, "peer_bytes"));
  cr_assert_eq(p.max_msgs, tu_json_num(rp, "max_msgs"));
  cr_assert_eq(p.timeout_ms, tu_json_num(rp, "timeout_ms"));
  cr_assert_eq(SGP_FRAG_DONE_WINDOW, tu_json_num(rp, "done_window"));
  p.global_bytes = (uint32_t)tu_json_num(rp, "reasm_global_bytes");
  size_t len = sgp_reasm_mem_size(&p);
  cr_assert_gt(len, 0);
  x->mem = malloc(len);
  cr_assert_not_null(x->mem);
  cr_assert_eq(sgp_reasm_init(&x->r, x->mem, len, &p), SGP_OK);
  const json_t *s = json_object_get(t, "sessions");
  size_t i;
  const json_t *peer;
  x->nsess = (int)json_array_size(s);
  cr_assert(x->nsess >= 1 && x->nsess <= MAXSESS);
  json_array_foreach(s, i, peer) {
    cr_assert_eq(sgp_reasm_session_open(&x->r, (uint32_t)json_integer_value(peer), &x->sid[i]),
                 SGP_OK);
  }
}

static void rx_close(struct rx *x) {
  free(x->mem);
}

static uint64_t frag_drops(const struct sgp_reasm_stats *s) {
  return s->drop_header + s->drop_length + s->drop_done + s->drop_duplicate;
}

static uint64_t msg_drops(const struct sgp_reasm_stats *s) {
  return s->msg_inconsistent + s->msg_overlap + s->msg_cap + s->msg_evicted + s->msg_timeout;
}

static sgp_reasm_sid sid_of(const struct rx *x, const json_t *o) {
  long long s = tu_json_num(o, "session");
  cr_assert(s >= 0 && s < x->nsess);
  return x->sid[s];
}

static uint8_t out[SGP_FRAG_MAX_MESSAGE], want[SGP_FRAG_MAX_MESSAGE];

/* Feeds every fragment of t and checks each listed outcome.  Returns how
 * many fragments delivered a message; *first_deliver is the step of the
 * first (-1: none) and out holds its message. */
static int run_fragments(struct rx *x, const json_t *t, int *first_deliver, size_t *out_len) {
  size_t j;
  const json_t *s;
  int delivered = 0;
  long long tc = tu_json_num(t, "tcId");
  static uint8_t first[SGP_FRAG_MAX_MESSAGE];
  *first_deliver = -1;
  json_array_foreach(json_object_get(t, "fragments"), j, s) {
    uint8_t ad[SGP_FRAG_AD_BYTES], payload[SGP_FRAG_DATA + 8];
    struct sgp_frag_hdr h;
    cr_assert_eq(tu_json_unhex(s, "ad", ad, sizeof ad), sizeof ad);
    size_t plen = tu_json_unhex(s, "payload", payload, sizeof payload);
    ad_decode(ad, &h);
    sgp_reasm_sid sid = sid_of(x, s);
    const json_t *disc = json_object_get(s, "discarded"), *d;
    size_t k;
    int own_listed = 0;
    json_array_foreach(disc, k, d) {
      cr_assert(!sgp_reasm_is_done(&x->r, sid_of(x, d), (uint32_t)tu_json_num(d, "msg_id")),
                "tcId %lld step %zu: discarded message was already done", tc, j);
      own_listed |= sid_of(x, d) == sid && (uint32_t)tu_json_num(d, "msg_id") == h.msg_id;
    }
    struct sgp_reasm_stats before = x->r.stats;

    size_t msg_len = 99;
    sgp_err got = sgp_reasm_add(&x->r, sid, &h, payload, plen, (uint64_t)tu_json_num(s, "now_ms"),
                                out, sizeof out, &msg_len);
    const struct sgp_reasm_stats *st = &x->r.stats;
    uint64_t dfrag = frag_drops(st) - frag_drops(&before);
    uint64_t dmsg = msg_drops(st) - msg_drops(&before);
    uint64_t dres = st->drop_flags - before.drop_flags;
    if (is_valid(s)) {
      cr_assert_eq(got, SGP_OK, "tcId %lld step %zu: %s", tc, j, sgp_err_name(got));
      cr_assert(dfrag == 0 && dres == 0);
      cr_assert(!own_listed);
    } else {
      sgp_err w = tu_err_named(tu_json_str(s, "error"));
      cr_assert_eq(got, w, "tcId %lld step %zu: got %s want %s", tc, j, sgp_err_name(got),
                   sgp_err_name(w));
      const char *c = tu_json_str(s, "counter");
      cr_assert_eq(dfrag, strcmp(c, "drop_frag") == 0, "tcId %lld step %zu: drop_frag", tc, j);
      cr_assert_eq(dres, strcmp(c, "drop_reserved") == 0, "tcId %lld step %zu", tc, j);
      if (strcmp(c, "drop_frag_message") == 0) cr_assert(own_listed);
      const json_t *md = json_object_get(s, "message_dropped");
      cr_assert(json_is_boolean(md));
      cr_assert_eq(json_is_true(md), own_listed, "tcId %lld step %zu: message_dropped", tc, j);
    }
    /* drop_frag_message counts each message discarded whole, once. */
    cr_assert_eq(dmsg, json_array_size(disc), "tcId %lld step %zu: discarded", tc, j);
    json_array_foreach(disc, k, d) {
      cr_assert(sgp_reasm_is_done(&x->r, sid_of(x, d), (uint32_t)tu_json_num(d, "msg_id")));
    }
    if (json_object_get(s, "delivered")) {
      size_t wl = tu_json_unhex(s, "delivered", want, sizeof want);
      cr_assert_eq(msg_len, wl, "tcId %lld step %zu: delivered length", tc, j);
      cr_assert_eq(memcmp(out, want, wl), 0, "tcId %lld step %zu: delivered bytes", tc, j);
      cr_assert(sgp_reasm_is_done(&x->r, sid, h.msg_id), "done once delivered (SGP-FRAG-13)");
      if (delivered++ == 0) {
        *first_deliver = (int)j;
        memcpy(first, out, msg_len);
        *out_len = msg_len;
      }
    } else if (got == SGP_OK) {
      cr_assert_eq(msg_len, 0, "tcId %lld step %zu: nothing delivered", tc, j);
    }
    cr_assert_eq(st->bytes_in_use, (uint64_t)tu_json_num(s, "reserved_bytes"), "tcId %lld step %zu",
                 tc, j);
    cr_assert_eq(st->msgs_in_progress, tu_json_num(s, "in_reassembly"), "tcId %lld step %zu", tc,
                 j);
  }
  if (delivered) memcpy(out, first, *out_len);
  return delivered;
}

/* ---- groups ------------------------------------------------------------------- */

static int tests_seen;

static void check_common(const json_t *t) {
  (void)is_valid(t);
  const json_t *reqs = json_object_get(t, "reqs");
  cr_assert(json_is_array(reqs) && json_array_size(reqs) > 0, "every vector cites requirements");
  tests_seen++;
}

/* The AONT key the sender draws, from the vector. */
static void key_rng(void *ctx, uint8_t *o, size_t len) {
  cr_assert_eq(len, SGP_JIG_KEY_BYTES);
  memcpy(o, ctx, len);
}

static enum sgp_jig_mode mode_named(const char *s) {
  if (strcmp(s, "off") == 0) return SGP_JIG_OFF;
  if (strcmp(s, "aont") == 0) return SGP_JIG_AONT;
  cr_assert_str_eq(s, "aont-parity");
  return SGP_JIG_AONT_PARITY;
}

static void run_fragment_group(const json_t *g) {
  static uint8_t packet[SGP_FRAG_MAX_PLAIN], message[SGP_FRAG_MAX_MESSAGE],
      enc[SGP_FRAG_MAX_MESSAGE], dec[SGP_FRAG_MAX_MESSAGE];
  size_t i, j;
  const json_t *t, *s;
  json_array_foreach(json_object_get(g, "tests"), i, t) {
    check_common(t);
    long long tc = tu_json_num(t, "tcId");
    cr_assert(is_valid(t), "FragmentTest cases are valid");
    enum sgp_jig_mode mode = mode_named(tu_json_str(t, "jigsaw"));
    uint8_t key[SGP_JIG_KEY_BYTES], flags;
    size_t plen = tu_json_unhex(t, "packet", packet, sizeof packet);
    size_t mlen = tu_json_unhex(t, "message", message, sizeof message), len;
    cr_assert_eq(tu_json_unhex(t, "aont_key", key, sizeof key),
                 mode == SGP_JIG_OFF ? 0 : sizeof key);
    uint32_t msg_id = (uint32_t)tu_json_num(t, "msg_id");

    /* sender: jigsaw (SGP-JIG-2, -3), then fragments (SGP-FRAG-1) */
    cr_assert_eq(sgp_jig_encode(mode, packet, plen, key_rng, key, enc, sizeof enc, &len, &flags),
                 SGP_OK);
    cr_assert_eq(flags, tu_json_num(t, "frag_flags"));
    cr_assert_eq(len, mlen);
    cr_assert_eq(memcmp(enc, message, mlen), 0, "tcId %lld: message = jigsaw(packet)", tc);
    struct sgp_frag_layout l;
    cr_assert_eq(sgp_frag_layout((uint32_t)mlen, flags, &l), SGP_OK);
    int seen[SGP_FRAG_MAX_FRAGMENTS] = {0};
    json_array_foreach(json_object_get(t, "lost"), j, s) {
      json_int_t idx = json_integer_value(s);
      cr_assert(idx >= 0 && idx < l.count && !seen[idx]);
      seen[idx] = 1;
    }
    json_array_foreach(json_object_get(t, "fragments"), j, s) {
      uint8_t ad[SGP_FRAG_AD_BYTES], payload[SGP_FRAG_DATA + 8], mine[SGP_FRAG_DATA];
      struct sgp_frag_hdr h, mh;
      cr_assert_eq(tu_json_unhex(s, "ad", ad, sizeof ad), sizeof ad);
      size_t pl = tu_json_unhex(s, "payload", payload, sizeof payload), ml;
      ad_decode(ad, &h);
      cr_assert(h.msg_id == msg_id && h.flags == flags && h.index < l.count && !seen[h.index]);
      seen[h.index] = 1;
      cr_assert_eq(
          sgp_frag_make(message, mlen, flags, msg_id, h.index, &mh, mine, sizeof mine, &ml),
          SGP_OK);
      cr_assert(mh.msg_id == h.msg_id && mh.total_len == h.total_len && mh.flags == h.flags &&
                mh.index == h.index && mh.count == h.count);
      cr_assert_eq(ml, pl);
      cr_assert_eq(memcmp(mine, payload, pl), 0, "tcId %lld: fragment %u bytes", tc, h.index);
    }
    for (int k = 0; k < l.count; k++) cr_assert(seen[k], "every fragment listed or lost");

    /* receiver: reassembly (SGP-FRAG-8, -13), parity (SGP-JIG-5), inverse (SGP-JIG-4) */
    struct rx x;
    int at;
    size_t out_len = 0;
    rx_open(&x, g, t);
    cr_assert_eq(run_fragments(&x, t, &at, &out_len), 1, "tcId %lld: delivered once", tc);
    cr_assert_eq(out_len, mlen);
    cr_assert_eq(memcmp(out, message, mlen), 0);
    int late = at + 1 < (int)json_array_size(json_object_get(t, "fragments"));
    cr_assert_eq(late, has_flag(t, "LateFragment"), "tcId %lld: LateFragment flag", tc);
    cr_assert_eq(sgp_jig_decode(flags, out, out_len, dec, sizeof dec, &len), SGP_OK);
    cr_assert_eq(len, plen);
    cr_assert_eq(memcmp(dec, packet, plen), 0, "tcId %lld: jigsaw inverse gives the packet", tc);
    rx_close(&x);
  }
}

static void run_set_group(const json_t *g) {
  size_t i, j;
  const json_t *t, *s;
  json_array_foreach(json_object_get(g, "tests"), i, t) {
    check_common(t);
    struct rx x;
    int at, any_invalid = 0;
    size_t out_len;
    rx_open(&x, g, t);
    (void)run_fragments(&x, t, &at, &out_len);
    json_array_foreach(json_object_get(t, "fragments"), j, s) {
      any_invalid |= !is_valid(s);
    }
    cr_assert_eq(any_invalid, !is_valid(t), "tcId %lld: invalid iff a fragment is rejected",
                 tu_json_num(t, "tcId"));
    rx_close(&x);
  }
}

/* SGP-CONF-1 */
Test(fragvec, every_vector_reproduces) {
  cr_assert_str_eq(tu_json_str(root, "algorithm"), "SGP fragments v1");
  cr_assert_str_eq(tu_json_str(root, "schema"), "sgp_fragment_vectors_v1");
  size_t i;
  const json_t *g;
  int kinds = 0;
  json_array_foreach(json_object_get(root, "testGroups"), i, g) {
    const char *type = tu_json_str(g, "type");
    if (strcmp(type, "FragmentTest") == 0)
      run_fragment_group(g), kinds |= 1;
    else if (strcmp(type, "FragmentSetTest") == 0)
      run_set_group(g), kinds |= 2;
    else
      cr_assert_fail("unknown group type %s", type);
  }
  cr_assert_eq(kinds, 3, "both group types present");
  cr_assert_eq(tests_seen, tu_json_num(root, "numberOfTests"));
}
