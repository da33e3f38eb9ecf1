/* Seed corpus generator for the fuzz targets (run by the build: target
 * fuzz_corpus; output is never committed).
 *
 * Usage: fuzz_gen_corpus <out dir>   -> <out dir>/<target>/<name>.bin
 *
 * Everything is made by the real library from deterministic inputs: honest
 * clusters (test keys of fuzz_common.h, so signatures verify in the
 * targets) exchange SYN / ACK / DELTA packets, which are encoded with
 * sgp_packet_encode; key files and rosters come from the formatters.  The
 * input formats (mode bytes, script opcodes) are the ones documented at
 * the top of each target.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "sgp/consensus.h"
#if defined(SGP_FUZZ_HAVE_KEYS) || defined(SGP_FUZZ_HAVE_ROSTER)
#include "sgp/keys.h"
#endif
#ifdef SGP_FUZZ_HAVE_ROSTER
#include "sgp/roster.h"
#endif
#include <jansson.h>

#include "sgp/carrier.h"
#include "sgp/jigsaw.h"
#include "sgp/session.h"

static const char *out_root;
static unsigned files_written;
static sgp_packet pa, pb, pc;
static uint8_t wire[SGP_MAX_PACKET];

#define MUST(call)                                                              \
  do {                                                                          \
    sgp_err must_rc_ = (call);                                                  \
    if (must_rc_ != SGP_OK) {                                                   \
      fprintf(stderr, "gen_corpus: %s:%d: %s: %s\n", __FILE__, __LINE__, #call, \
              sgp_err_name(must_rc_));                                          \
      exit(1);                                                                  \
    }                                                                           \
  } while (0)

static void mkdir_p(const char *path) {
  if (mkdir(path, 0755) != 0 && errno != EEXIST) {
    perror(path);
    exit(1);
  }
}

/* Writes prefix || body to <root>/<target>/<name>. */
static void emit(const char *target, const char *name, const void *prefix, size_t plen,
                 const void *body, size_t blen) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", out_root, target);
  mkdir_p(path);
  snprintf(path, sizeof path, "%s/%s/%s", out_root, target, name);
  FILE *f = fopen(path, "wb");
  if (!f || (plen && fwrite(prefix, 1, plen, f) != plen) ||
      (blen && fwrite(body, 1, blen, f) != blen) || fclose(f) != 0) {
    perror(path);
    exit(1);
  }
  files_written++;
}

/* Deterministic RNG for the jigsaw key of AONT seeds (a counter, not randomness). */
static void randombytes_buf_deterministic_stub(void *ctx, uint8_t *out, size_t len) {
  uint64_t *c = ctx;
  for (size_t i = 0; i < len; i++) out[i] = (uint8_t)(*c + i * 131u);
  (*c)++;
}

static size_t encode(const sgp_packet *p, uint32_t n) {
  size_t len = 0;
  MUST(sgp_packet_encode(p, n, wire, sizeof wire, &len));
  return len;
}

/* ---- honest clusters ------------------------------------------------------ */

struct cluster {
  uint32_t n;
  struct sgp_params p;
  uint8_t (*pk)[32];
  uint8_t (*sk)[64];
  struct sgp_state *st;
};

static void cluster_init(struct cluster *c, uint32_t n, uint32_t max_silent, uint32_t t_cleanup) {
  c->n = n;
  sgp_params_default(&c->p, n);
  c->p.max_silent = max_silent;
  c->p.t_cleanup = t_cleanup;
  c->p.heartbeat = 1;
  MUST(sgp_params_validate(&c->p));
  c->pk = calloc(n, sizeof *c->pk);
  c->sk = calloc(n, sizeof *c->sk);
  c->st = calloc(n, sizeof *c->st);
  if (!c->pk || !c->sk || !c->st) abort();
  for (uint32_t i = 0; i < n; i++) fz_keypair(i, c->pk[i], c->sk[i]);
  for (uint32_t i = 0; i < n; i++) {
    size_t len = sgp_state_mem_size(&c->p);
    void *mem = calloc(1, len);
    if (!mem) abort();
    MUST(sgp_state_init(&c->st[i], mem, len, &c->p, i, 1 + i % 3, (const uint8_t(*)[32])c->pk,
                        c->sk[i], NULL));
  }
}

static void cluster_free(struct cluster *c) {
  for (uint32_t i = 0; i < c->n; i++) free(c->st[i].mem);
  free(c->st);
  free(c->pk);
  sodium_memzero(c->sk, c->n * sizeof *c->sk);
  free(c->sk);
}

static void exchange(struct cluster *c, uint32_t a, uint32_t b) {
  MUST(sgp_state_make_syn(&c->st[a], &pa));
  MUST(sgp_state_make_ack(&c->st[b], &pa, &pb, 0));
  MUST(sgp_state_merge(&c->st[a], &pb, NULL));
  MUST(sgp_state_make_delta(&c->st[a], &pb, &pc, 0));
  if (pc.reports_count > 0) MUST(sgp_state_merge(&c->st[b], &pc, NULL)); /* empty: not sent */
}

/* Suspicion, sub-scores and opinion rows so reports carry every field:
 * node 0 and a few others run ahead of the rest (rows fill up), every
 * node gets local scores, and node 0 hears from everyone at the end. */
static void cluster_run(struct cluster *c) {
  for (uint32_t i = 0; i < c->n; i++) {
    uint16_t sub[SGP_SUBSCORES];
    for (size_t k = 0; k < SGP_SUBSCORES; k++) sub[k] = (uint16_t)((i * 137 + k * 251) % 1001);
    MUST(sgp_state_set_local(&c->st[i], (i * 977) % 5001, sub));
  }
  for (uint32_t i = 0; i < c->n; i += 2)
    for (uint32_t t = 0; t < c->p.t_cleanup + 2; t++) MUST(sgp_state_tick(&c->st[i]));
  for (uint32_t i = 1; i < c->n; i++) MUST(sgp_state_tick(&c->st[i]));
  if (c->n <= 16)
    for (uint32_t i = 1; i < c->n; i++) exchange(c, i, (i + 1) % c->n);
  /* Node 0 pulls from everyone (one verify per new report, so large
   * clusters stay cheap). */
  for (uint32_t i = 1; i < c->n; i++) {
    MUST(sgp_state_make_syn(&c->st[0], &pa));
    MUST(sgp_state_make_ack(&c->st[i], &pa, &pb, 0));
    MUST(sgp_state_merge(&c->st[0], &pb, NULL));
  }
}

/* ---- packet targets ------------------------------------------------------- */

static void packets_of(struct cluster *c, const char *tag) {
  char name[128];
  /* fuzz_packet_decode's mode byte: decode with and without a roster
   * bound of min(n, 16) (bits 4-5 clear: the bound check runs). */
  uint8_t mode = (uint8_t)((c->n <= 16 ? c->n - 1 : 15u) & 15u);
  uint8_t rv[2] = {0x11, 0x01};
  /* SYN of the node that knows everything. */
  MUST(sgp_state_make_syn(&c->st[0], &pa));
  size_t len = encode(&pa, c->n);
  snprintf(name, sizeof name, "syn-%s.bin", tag);
  emit("fuzz_packet_decode", name, &mode, 1, wire, len);
  emit("fuzz_diff_decode", name, NULL, 0, wire, len);
  /* ACK and DELTA from node 0 to a node that knows little (node 1's SYN
   * lists only what node 1 heard). */
  MUST(sgp_state_make_syn(&c->st[1], &pa));
  for (int small = 0; small < 2; small++) {
    size_t budget = small ? 600 : 0;
    MUST(sgp_state_make_ack(&c->st[0], &pa, &pb, budget));
    len = encode(&pb, c->n);
    snprintf(name, sizeof name, "ack-%s%s.bin", tag, small ? "-small" : "");
    emit("fuzz_packet_decode", name, &mode, 1, wire, len);
    emit("fuzz_diff_decode", name, NULL, 0, wire, len);
    emit("fuzz_report_verify", name, rv, 2, wire, len);
    MUST(sgp_state_make_ack(&c->st[1], &pa, &pc, 0));
    pc.digest_count = 0; /* as if from a peer that holds nothing */
    pc.reports_count = 0;
    MUST(sgp_state_make_delta(&c->st[0], &pc, &pb, budget));
    len = encode(&pb, c->n);
    snprintf(name, sizeof name, "delta-%s%s.bin", tag, small ? "-small" : "");
    emit("fuzz_packet_decode", name, &mode, 1, wire, len);
    emit("fuzz_diff_decode", name, NULL, 0, wire, len);
    emit("fuzz_report_verify", name, rv, 2, wire, len);
  }
}

/* ---- fuzz_merge scripts (opcodes in fuzz_merge.c) ------------------------- */

static void merge_scripts(void) {
  struct cluster c;
  cluster_init(&c, 8, 4, 3);
  cluster_run(&c);
  exchange(&c, 3, 0); /* node 3 now holds everyone's report */
  static uint8_t s[SGP_MAX_PACKET + 64];
  size_t k;
  /* RAW (op 1) and RAW+RESIGN (op 5) of a DELTA sent by node 3, which
   * holds everyone's report, and of an ACK. */
  MUST(sgp_state_make_syn(&c.st[1], &pa));
  MUST(sgp_state_make_ack(&c.st[1], &pa, &pc, 0));
  pa.digest_count = 0; /* a peer that holds nothing: everything is news */
  pc.digest_count = 0;
  pc.reports_count = 0;
  for (int which = 0; which < 2; which++) {
    if (which == 0)
      MUST(sgp_state_make_delta(&c.st[3], &pc, &pb, 0));
    else
      MUST(sgp_state_make_ack(&c.st[3], &pa, &pb, 0));
    size_t len = encode(&pb, 8);
    for (int resign = 0; resign < 2; resign++) {
      k = 0;
      s[k++] = resign ? 5 : 1;
      s[k++] = (uint8_t)(len >> 8);
      s[k++] = (uint8_t)len;
      memcpy(s + k, wire, len);
      k += len;
      s[k++] = 3; /* CONSENSUS */
      char name[64];
      snprintf(name, sizeof name, "raw-%s%s.bin", which ? "ack" : "delta", resign ? "-resign" : "");
      emit("fuzz_merge", name, NULL, 0, s, k);
    }
  }
  /* BUILD scripts: op 0 | flags << 2, mask, sender, per origin (v, s, silent). */
  static const uint8_t build_clean[] = {0x00, 0x06, 0x03, 0x05, 0x00, 0x00, 0x2a, 0x00, 0x10, 0x03};
  static const uint8_t build_forge[] = {0x04, 0x02, 0x03, 0x0a, 0x00, 0x00, 0x00, 0x02, 0x03};
  static const uint8_t build_corrupt[] = {0x08, 0x02, 0x03, 0x0a, 0x00,
                                          0x00, 0x00, 0x07, 0x01, 0x03};
  static const uint8_t build_own[] = {0x00, 0x01, 0x02, 0x09, 0x00, 0x00, 0x03};
  /* TICK with LOCAL (selector 5: suspicion 5000) x8, CONSENSUS, TICK x8, CONSENSUS. */
  static const uint8_t ticks[] = {0x76, 0x05, 0x00, 0x10, 0x00, 0x20, 0x00, 0x30,
                                  0x00, 0x40, 0x00, 0x50, 0x03, 0x72, 0x03};
  static const uint8_t overcap[] = {0x10, 0x02, 0x03, 0x0a, 0x00, 0xff, 0x03};
  static const uint8_t ack_tie[] = {0x20, 0x04, 0x01, 0x05, 0x00, 0x00, 0x00,
                                    0x04, 0x01, 0x09, 0x00, 0x00, 0x03};
  emit("fuzz_merge", "build-clean.bin", NULL, 0, build_clean, sizeof build_clean);
  emit("fuzz_merge", "build-forge.bin", NULL, 0, build_forge, sizeof build_forge);
  emit("fuzz_merge", "build-corrupt.bin", NULL, 0, build_corrupt, sizeof build_corrupt);
  emit("fuzz_merge", "build-own.bin", NULL, 0, build_own, sizeof build_own);
  emit("fuzz_merge", "ticks-local.bin", NULL, 0, ticks, sizeof ticks);
  emit("fuzz_merge", "build-overcap.bin", NULL, 0, overcap, sizeof overcap);
  emit("fuzz_merge", "ack-twice.bin", NULL, 0, ack_tie, sizeof ack_tie);
  cluster_free(&c);
}

/* ---- fuzz_consensus scripts (opcodes in fuzz_consensus.c) ----------------- */

static void consensus_scripts(void) {
  /* op = code | flags << 3. */
  static const uint8_t rounds[] = {0x1d, 0x1d, 0x1d, 0x06, 0x1d, 0x1d, 0x06};
  static const uint8_t pause[] = {0x05, 0x03, 0x02, 0x1d, 0x1d, 0x1d, 0x1d, 0x06};
  static const uint8_t two_paused[] = {0x03, 0x01, 0x03, 0x04, 0x1d, 0x1d, 0x1d, 0x1d, 0x06};
  static const uint8_t lost_gen[] = {0x1d, 0x1d, 0x02, 0x02, 0x07, 0x00, 0x01, 0x00,
                                     0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05, 0x05,
                                     0x0c, 0x02, 0x05, 0x07, 0x1d, 0x06};
  static const uint8_t exchanges[] = {0x00, 0x00, 0x00, 0x08, 0x01, 0x01, 0x00, 0x50, 0x10, 0x02,
                                      0x00, 0x20, 0x03, 0x02, 0x01, 0x00, 0x04, 0x01, 0x06};
  static const uint8_t compromised[] = {0x02, 0x01, 0x07, 0x00, 0x01, 0x00, 0x02, 0x00,
                                        0x03, 0x00, 0x04, 0x00, 0x05, 0x1d, 0x06};
  emit("fuzz_consensus", "rounds.bin", NULL, 0, rounds, sizeof rounds);
  emit("fuzz_consensus", "pause.bin", NULL, 0, pause, sizeof pause);
  emit("fuzz_consensus", "two-paused.bin", NULL, 0, two_paused, sizeof two_paused);
  emit("fuzz_consensus", "lost-generation.bin", NULL, 0, lost_gen, sizeof lost_gen);
  emit("fuzz_consensus", "exchanges.bin", NULL, 0, exchanges, sizeof exchanges);
  emit("fuzz_consensus", "compromised.bin", NULL, 0, compromised, sizeof compromised);
}

/* ---- text formats --------------------------------------------------------- */

#ifdef SGP_FUZZ_HAVE_KEYS
static void test_secret_key(struct sgp_secret_key *k, uint32_t node) {
  uint8_t seed[32], dh[32];
  uint8_t pk[32], sk[64];
  fz_keypair(node, pk, sk);
  memcpy(seed, sk, 32);
  for (size_t i = 0; i < 32; i++) dh[i] = (uint8_t)(0x40 + node * 7 + i);
  MUST(sgp_secret_key_from_seeds(k, node, seed, dh));
  sodium_memzero(sk, sizeof sk);
}

static void keyfile_corpus(void) {
  static const uint8_t m0 = 0, dec = 1, hex = 2, tok = 3;
  const uint32_t ids[] = {0, 7, 16383};
  for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
    struct sgp_secret_key k;
    char text[SGP_SECRET_KEY_TEXT_MAX], name[64], alt[2 * SGP_SECRET_KEY_TEXT_MAX];
    size_t len;
    test_secret_key(&k, ids[i]);
    MUST(sgp_secret_key_format(&k, text, sizeof text, &len));
    snprintf(name, sizeof name, "key-%u.bin", ids[i]);
    emit("fuzz_keyfile", name, &m0, 1, text, len);
    /* Same values with comments, an empty line, entries reordered and no
     * final newline. */
    const char *l1 = strchr(text, '\n') + 1, *l2 = strchr(l1, '\n') + 1;
    const char *l3 = strchr(l2, '\n') + 1;
    int n = snprintf(alt, sizeof alt, "sgp-secret-key v1\n# test key\n\n%.*s\n%.*s%.*s",
                     (int)(text + len - l3 - 1), l3, (int)(l2 - l1), l1, (int)(l3 - l2 - 1), l2);
    snprintf(name, sizeof name, "key-%u-commented.bin", ids[i]);
    emit("fuzz_keyfile", name, &m0, 1, alt, (size_t)n);
    if (i == 0) {
      emit("fuzz_keyfile", "hex.bin", &hex, 1, l2 + 10, 64);
      emit("fuzz_keyfile", "tokens.bin", &tok, 1, l2, (size_t)(l3 - l2 - 1));
    }
    sgp_secret_key_wipe(&k);
    sodium_memzero(text, sizeof text);
    sodium_memzero(alt, sizeof alt);
  }
  emit("fuzz_keyfile", "dec-0.bin", &dec, 1, "0", 1);
  emit("fuzz_keyfile", "dec-16383.bin", &dec, 1, "16383", 5);
  emit("fuzz_keyfile", "dec-wide.bin", (const uint8_t[]){5}, 1, "4294967295", 10);
}
#endif

#ifdef SGP_FUZZ_HAVE_ROSTER
static void roster_corpus(void) {
  static const char *const addrs[] = {
      "127.0.0.1:9000",    "[::1]:9000",           "10.1.2.3:1", "[2001:db8::42]:65535",
      "192.168.0.10:7777", "[fe80::1:2:3:4]:8080", "8.8.8.8:53", "[2001:db8:0:1::]:443"};
  static char text[8 * SGP_ROSTER_LINE_TEXT_MAX + 64];
  const uint32_t sizes[] = {1, 3, 8};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    size_t len = (size_t)snprintf(text, sizeof text, "sgp-roster v1\n%s",
                                  sizes[s] == 3 ? "# three nodes\n\n" : "");
    for (uint32_t i = 0; i < sizes[s]; i++) {
      struct sgp_secret_key k;
      struct sgp_addr a;
      size_t wl;
      test_secret_key(&k, i);
      MUST(sgp_addr_parse(&a, addrs[i], strlen(addrs[i])));
      MUST(sgp_roster_line_format(i, k.sign_pk, k.dh_pk, &a, text + len, sizeof text - len, &wl));
      len += wl;
      sgp_secret_key_wipe(&k);
    }
    char name[64];
    snprintf(name, sizeof name, "roster-%u.bin", sizes[s]);
    emit("fuzz_roster", name, (const uint8_t[]){0}, 1, text, len);
  }
  for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
    char name[64];
    snprintf(name, sizeof name, "addr-%zu.bin", i);
    emit("fuzz_roster", name, (const uint8_t[]){1}, 1, addrs[i], strlen(addrs[i]));
  }
}
#endif

/* ---- transport targets: scripts, and the conformance vectors ---------------- */

/* A growing script buffer. */
struct script {
  uint8_t b[16384];
  size_t n;
};
static void sc_u8(struct script *s, unsigned v) {
  if (s->n < sizeof s->b) s->b[s->n++] = (uint8_t)v;
}
static void sc_u16(struct script *s, size_t v) {
  sc_u8(s, (unsigned)(v >> 8) & 0xffu);
  sc_u8(s, (unsigned)v & 0xffu);
}
static void sc_bytes(struct script *s, const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++) sc_u8(s, b[i]);
}
static void sc_emit(const char *target, const char *name, const struct script *s) {
  emit(target, name, NULL, 0, s->b, s->n);
}
/* The script of vector test t as seed vec-<kind>-<tcId>.bin. */
static void sc_emit_vec(const char *target, const char *kind, json_t *t, const struct script *s) {
  char name[64];
  snprintf(name, sizeof name, "vec-%s-%lld.bin", kind,
           (long long)json_integer_value(json_object_get(t, "tcId")));
  sc_emit(target, name, s);
}

/* Hex string of a JSON object member into out (at most cap bytes); its length. */
static size_t jhex(json_t *o, const char *key, uint8_t *out, size_t cap) {
  const char *h = json_string_value(json_object_get(o, key));
  size_t len = 0;
  if (!h || sodium_hex2bin(out, cap, h, strlen(h), NULL, &len, NULL) != 0) return 0;
  return len;
}

static json_t *load_vectors(const char *dir, const char *file) {
  char path[4096];
  json_error_t err;
  snprintf(path, sizeof path, "%s/%s", dir, file);
  json_t *v = json_load_file(path, 0, &err);
  if (!v) fprintf(stderr, "gen_corpus: %s: %s (vector seeds skipped)\n", path, err.text);
  return v;
}

/* fuzz_session (opcodes in fuzz_session.c): worlds 0 fresh, 1 established (pool slots 0-5
 * used, next push to slot 6), 2 loaded (next push to slot 7; node 1 has no load tokens and
 * node 0 may initiate to 1). */
static void session_corpus(const char *vectors) {
  struct script s;
  /* Honest handshake 0 -> 1 from the fresh world, then data with a real SYN packet of a
   * 3-node cluster as the sealed plaintext, so sgp_packet_decode runs on it. */
  struct cluster c;
  cluster_init(&c, 3, 2, 3);
  cluster_run(&c);
  MUST(sgp_state_make_syn(&c.st[0], &pa));
  size_t plen = encode(&pa, 3);
  static uint8_t pk[SGP_DATA_PT_MAX], aont[SGP_DATA_PT_MAX + 64];
  if (plen > SGP_DATA_PT_MAX - 32) plen = SGP_DATA_PT_MAX - 32;
  memcpy(pk, wire, plen);
  cluster_free(&c);

  s.n = 0;
  sc_u8(&s, 0);
  sc_u8(&s, 2), sc_u8(&s, 0), sc_u8(&s, 0), sc_u16(&s, 0); /* INITIATE 0 -> 1, empty SYN */
  sc_u8(&s, 4), sc_u8(&s, 0), sc_u8(&s, 0);                /* DELIVER slot 0 */
  sc_u8(&s, 3), sc_u8(&s, 1), sc_u16(&s, plen);            /* RESPOND with the packet */
  sc_bytes(&s, pk, plen);
  sc_u8(&s, 4), sc_u8(&s, 1), sc_u8(&s, 0); /* DELIVER slot 1 */
  sc_u8(&s, 1), sc_u8(&s, 0), sc_u8(&s, 0); /* KEEPALIVE 0 -> 1 */
  sc_u8(&s, 4), sc_u8(&s, 2), sc_u8(&s, 0);
  sc_u8(&s, 0), sc_u8(&s, 0), sc_u8(&s, 0), sc_u8(&s, 0), sc_u8(&s, 0), sc_u16(&s, plen);
  sc_bytes(&s, pk, plen);                   /* SEAL 0 -> 1 the packet */
  sc_u8(&s, 4), sc_u8(&s, 3), sc_u8(&s, 0); /* DELIVER slot 3 */
  sc_emit("fuzz_session", "handshake-data.bin", &s);

  /* Established: 1 -> 0 data, plain and AONT (flags 0x01) as the jigsaw encodes it. */
  uint64_t ctr = 7;
  size_t alen = 0;
  uint8_t fl = 0;
  MUST(sgp_jig_encode(SGP_JIG_AONT, pk, plen, randombytes_buf_deterministic_stub, &ctr, aont,
                      sizeof aont, &alen, &fl));
  for (int mode = 0; mode < 2; mode++) {
    s.n = 0;
    sc_u8(&s, 1);
    sc_u8(&s, 0), sc_u8(&s, 1), sc_u8(&s, 1), sc_u8(&s, (unsigned)mode), sc_u8(&s, 0);
    sc_u16(&s, mode ? alen : plen);
    sc_bytes(&s, mode ? aont : pk, mode ? alen : plen);
    sc_u8(&s, 4), sc_u8(&s, 6), sc_u8(&s, 0);                 /* DELIVER the new slot */
    sc_u8(&s, 4), sc_u8(&s, 6), sc_u8(&s, 0);                 /* and again: replay */
    sc_u8(&s, 4), sc_u8(&s, 6), sc_u8(&s, 1), sc_u16(&s, 30); /* bit flip */
    sc_u8(&s, 7), sc_u8(&s, 6), sc_u8(&s, 0);                 /* wrong receiver */
    sc_emit("fuzz_session", mode ? "data-aont.bin" : "data.bin", &s);
  }
  /* Replays and time: the initiation and data of the established world again, then the
   * timers (REKEY_TIMEOUT, REJECT_AFTER_TIME, SESSION_WIPE_TIME) with retransmissions. */
  static const uint8_t replay[] = {1, 4, 0, 0, 4, 5, 0, 4, 1, 0, 4, 4, 2, 0, 9, 0x55,
                                   6, 1, 6, 2, 4, 5, 0, 6, 5, 0, 1, 0, 4, 6, 0};
  emit("fuzz_session", "replay-timers.bin", NULL, 0, replay, sizeof replay);
  /* Loaded: an initiation gets a cookie reply, the reply goes back, the retransmission
   * carries a mac2. */
  static const uint8_t cookie[] = {2, 2, 0, 0, 0, 0, 4, 7, 0, 4, 8, 0, 6, 1, 4, 9, 0};
  emit("fuzz_session", "cookie.bin", NULL, 0, cookie, sizeof cookie);
  /* Crossing: 1 initiates to 0 while 0 initiates to 1 (fresh world). */
  static const uint8_t crossing[] = {0, 2, 0, 0, 0, 0, 2, 1, 1, 0, 0, 4, 0, 0, 4, 1,
                                     0, 3, 0, 0, 0, 3, 1, 0, 0, 4, 2, 0, 4, 3, 0};
  emit("fuzz_session", "crossing.bin", NULL, 0, crossing, sizeof crossing);

  /* The transport vectors' datagrams as RAW operations (their roster keys are the target's
   * keys, so initiations pass mac1 and Noise). */
  json_t *v = load_vectors(vectors, "transport.json");
  if (!v) return;
  json_t *groups = json_object_get(v, "testGroups"), *g, *t;
  size_t gi, ti;
  static uint8_t d[SGP_DGRAM_MAX + 64];
  json_array_foreach(groups, gi, g) {
    json_array_foreach(json_object_get(g, "tests"), ti, t) {
      s.n = 0;
      sc_u8(&s, 0);
      unsigned init = (unsigned)json_integer_value(json_object_get(t, "init_node"));
      unsigned resp = (unsigned)json_integer_value(json_object_get(t, "resp_node"));
      size_t n;
      if ((n = jhex(t, "initiation", d, sizeof d)) > 0)
        sc_u8(&s, 5), sc_u8(&s, resp), sc_u16(&s, n), sc_bytes(&s, d, n);
      if ((n = jhex(t, "response", d, sizeof d)) > 0)
        sc_u8(&s, 5), sc_u8(&s, init), sc_u16(&s, n), sc_bytes(&s, d, n);
      if ((n = jhex(t, "datagram", d, sizeof d)) > 0)
        sc_u8(&s, 5), sc_u8(&s, json_object_get(t, "resp_node") ? resp : 1), sc_u16(&s, n),
            sc_bytes(&s, d, n);
      if ((n = jhex(t, "reply", d, sizeof d)) > 0)
        sc_u8(&s, 5), sc_u8(&s, 0), sc_u16(&s, n), sc_bytes(&s, d, n);
      json_t *st;
      size_t si;
      json_array_foreach(json_object_get(t, "steps"), si, st) {
        const char *to = json_string_value(json_object_get(st, "to"));
        if ((n = jhex(st, "datagram", d, sizeof d)) > 0)
          sc_u8(&s, 5), sc_u8(&s, to && strcmp(to, "initiator") == 0 ? init : resp), sc_u16(&s, n),
              sc_bytes(&s, d, n);
      }
      if (s.n <= 1) continue;
      sc_emit_vec("fuzz_session", "transport", t, &s);
    }
  }
  json_decref(v);
}

/* fuzz_reasm (opcodes in fuzz_reasm.c): sessions in slots 0 and 1 are open at the start. */
static void reasm_corpus(const char *vectors) {
  static const uint8_t one[] = {2, 0, 0, 5, 1, 6, 0, 0xff};              /* one fragment */
  static const uint8_t parity_lost[] = {2, 0, 2, 0x80 | 20, 3, 6, 0, 0}; /* lose fragment 0 */
  static const uint8_t reverse[] = {2, 1, 1, 0x40 | 63, 4, 3, 0, 1, 0, 3, 0, 0, 0};
  static const uint8_t dup_mut[] = {2, 0, 0, 0x80 | 30, 5, 3, 0, 0, 0, 3,    0, 0, 0, 3, 0,
                                    1, 5, 3, 0,         1, 1, 3, 0, 2, 0x22, 0, 7, 6, 0, 0xff};
  static const uint8_t timeout[] = {2, 0, 0, 0x80 | 40, 6, 3, 0, 0, 0, 5, 2, 3,
                                    0, 1, 0, 5,         1, 3, 0, 0, 0, 6, 0, 0xff};
  /* Four large messages of peer 0 (caps: peer_msgs, peer_bytes, eviction), then peer 1's. */
  static const uint8_t caps[] = {2,    0, 0, 0xc0, 1, 3, 0,    0, 0, 2,    0, 2, 0xc1, 2, 3,
                                 1,    0, 0, 2,    0, 0, 0xc2, 3, 3, 2,    0, 0, 2,    0, 0,
                                 0xc3, 4, 3, 3,    0, 0, 2,    1, 2, 0xc4, 5, 3, 4,    0, 0,
                                 2,    1, 0, 0xc5, 6, 3, 5,    0, 0, 1,    0, 3, 0,    0, 0};
  const struct {
    const char *name;
    const uint8_t *b;
    size_t n;
  } fixed[] = {{"one.bin", one, sizeof one},
               {"parity-lost.bin", parity_lost, sizeof parity_lost},
               {"reverse.bin", reverse, sizeof reverse},
               {"dup-mut.bin", dup_mut, sizeof dup_mut},
               {"timeout.bin", timeout, sizeof timeout},
               {"caps.bin", caps, sizeof caps}};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
    emit("fuzz_reasm", fixed[i].name, NULL, 0, fixed[i].b, fixed[i].n);

  /* The fragment vectors as RAW operations (header fields from the 26-byte AD). */
  json_t *v = load_vectors(vectors, "fragment.json");
  if (!v) return;
  json_t *g, *t, *f;
  size_t gi, ti, fi;
  static uint8_t ad[64], pl[SGP_FRAG_DATA + 64];
  json_array_foreach(json_object_get(v, "testGroups"), gi, g) {
    json_array_foreach(json_object_get(g, "tests"), ti, t) {
      struct script s;
      s.n = 0;
      sc_u8(&s, 0), sc_u8(&s, 0); /* OPEN peer 0 -> slot 2 */
      json_array_foreach(json_object_get(t, "fragments"), fi, f) {
        if (jhex(f, "ad", ad, sizeof ad) != SGP_FRAG_AD_BYTES) continue;
        size_t n = jhex(f, "payload", pl, sizeof pl);
        json_int_t sess = json_integer_value(json_object_get(f, "session"));
        json_int_t t_ms = json_integer_value(json_object_get(f, "now_ms"));
        if (t_ms > 1000000 && fi > 0)
          sc_u8(&s, 5), sc_u8(&s, 4), sc_u16(&s, (size_t)(t_ms - 1000000) & 0xffffu);
        sc_u8(&s, 4), sc_u8(&s, (unsigned)(sess % 3)), sc_u8(&s, 0x80);
        sc_bytes(&s, ad + 16, 4); /* msg_id */
        sc_u8(&s, ad[1]), sc_u8(&s, ad[20]), sc_u8(&s, ad[21]), sc_u8(&s, 3);
        sc_bytes(&s, ad + 22, 4); /* total_len */
        sc_u16(&s, n);
        sc_bytes(&s, pl, n);
      }
      sc_emit_vec("fuzz_reasm", "fragment", t, &s);
    }
  }
  json_decref(v);
}

static unsigned carrier_kind_of(const char *name) {
  if (name && strcmp(name, "lsb-pgm") == 0) return SGP_CARRIER_LSB_PGM;
  if (name && strcmp(name, "lsb-wav") == 0) return SGP_CARRIER_LSB_WAV;
  return SGP_CARRIER_RAW;
}

/* fuzz_carrier (modes in fuzz_carrier.c) from the carrier vectors, plus generated frames. */
static void carrier_corpus(const char *vectors) {
  static uint8_t d[SGP_CARRIER_MAX_PAYLOAD + 8];
  for (unsigned k = 0; k < 3; k++) {
    uint8_t m = (uint8_t)(1u | k << 2);
    for (size_t i = 0; i < 200; i++) d[i] = (uint8_t)(i * 37u + k);
    d[0] = 0x04;
    char name[64];
    snprintf(name, sizeof name, "generated-%u.bin", k);
    emit("fuzz_carrier", name, &m, 1, d, 200);
  }
  emit("fuzz_carrier", "headers.bin", (const uint8_t[]){3}, 1,
       "\x00\x80\x00\x40\x01\x04\xb0\x05\xdc", 9);
  json_t *v = load_vectors(vectors, "carrier.json");
  if (!v) return;
  json_t *g, *t;
  size_t gi, ti;
  static uint8_t frame[SGP_CARRIER_MAX_FRAME + 64], cover[SGP_CARRIER_MAX_FRAME + 64];
  static struct script s;
  json_array_foreach(json_object_get(v, "testGroups"), gi, g) {
    json_array_foreach(json_object_get(g, "tests"), ti, t) {
      long long id = (long long)json_integer_value(json_object_get(t, "tcId"));
      char name[64];
      unsigned accept = 0;
      json_t *a;
      size_t ai;
      json_array_foreach(json_object_get(t, "accept"), ai, a) accept |=
          1u << carrier_kind_of(json_string_value(a));
      const char *fh = json_string_value(json_object_get(t, "frame"));
      if (fh) {
        size_t n = jhex(t, "frame", frame, sizeof frame);
        uint8_t m = (uint8_t)((accept & 7u) << 2); /* mode 0: extract */
        snprintf(name, sizeof name, "vec-frame-%lld.bin", id);
        emit("fuzz_carrier", name, &m, 1, frame, n);
      }
      const char *ch = json_string_value(json_object_get(t, "cover"));
      if (ch && *ch) {
        size_t cn = jhex(t, "cover", cover, sizeof cover);
        size_t dn = jhex(t, "payload", d, sizeof d);
        s.n = 0;
        sc_u8(&s, 2u | carrier_kind_of(json_string_value(json_object_get(t, "carrier"))) << 2);
        sc_u16(&s, dn);
        sc_bytes(&s, d, dn);
        sc_bytes(&s, cover, cn < sizeof s.b - s.n ? cn : sizeof s.b - s.n);
        if (cn + dn + 3 <= sizeof s.b) {
          snprintf(name, sizeof name, "vec-cover-%lld.bin", id);
          sc_emit("fuzz_carrier", name, &s);
        }
      }
    }
  }
  json_decref(v);
}

/* fuzz_config (mode byte 0: config text, 1: generation file, 2: stored generation). */
static void config_corpus(void) {
  static const char full[] =
      "# sgpd configuration\n[node]\nid = 2\nroster = roster.txt\nkey = node-2.key\n"
      "state_dir = state\ncontrol_socket = run/ctl\nlisten = 0.0.0.0:9000\nlog_level = debug\n"
      "\n[protocol]\nt_gossip_ms = 1000\nheartbeat = 10\nt_cleanup = 40\ntheta_suspect = 2500\n"
      "theta_compromised = 4000\nmax_silent = 64\nbudget = 65536\n\n[transport]\n"
      "jigsaw = parity\ncarrier = lsb-pgm\nreasm_global_bytes = 16777216\n\n[agent]\n"
      "source = zeek:conn.log:192.168.1.114\ninterval_ms = 500\nspeed = 10.5\n"
      "weights = 1000,500,0,250,1000\n";
  static const char minimal[] =
      "[node]\nid = 0\nroster = r\nkey = k\nstate_dir = s\n"
      "control_socket = c\n; short\n[agent]\nsource = fixed:1200\n";
  static const char v6[] =
      "[node]\nid = 16383\nroster = /etc/sgp/roster\nkey = /etc/sgp/key\n"
      "state_dir = /var/lib/sgp\ncontrol_socket = /run/sgp.sock\n"
      "listen = [::]:9000\n[transport]\njigsaw = aont\ncarrier = lsb-wav\n"
      "[agent]\nsource = live\n";
  emit("fuzz_config", "full.bin", (const uint8_t[]){0}, 1, full, sizeof full - 1);
  emit("fuzz_config", "minimal.bin", (const uint8_t[]){0}, 1, minimal, sizeof minimal - 1);
  emit("fuzz_config", "v6.bin", (const uint8_t[]){0}, 1, v6, sizeof v6 - 1);
  emit("fuzz_config", "gen.bin", (const uint8_t[]){1}, 1, "4294967295\n", 11);
  emit("fuzz_config", "gen-next.bin", (const uint8_t[]){2}, 1, "\xff\xff\xff\xfe", 4);
}

/* The labelled Zeek logs of ../shared/data whose first lines seed the log readers (read
 * when the corpus is generated, never committed). */
static const char *const shared_logs[] = {"njrat-ctu-230-1.conn.log.labeled",
                                          "benign-ctu-normal-40-day1.conn.log.labeled"};

/* The first `lines` lines (at most cap bytes) of shared_logs[i] into buf; 0 if missing. */
static size_t log_head(const char *data_dir, size_t i, size_t lines, char *buf, size_t cap) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", data_dir, shared_logs[i]);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "gen_corpus: %s missing (Zeek seeds skipped)\n", path);
    return 0;
  }
  size_t n = fread(buf, 1, cap, f), seen = 0, end = 0;
  fclose(f);
  while (end < n && seen < lines)
    if (buf[end++] == '\n') seen++;
  return end;
}

/* fuzz_flowlog (byte 0: 0 Zeek, 1 binetflow): the head of each labelled Zeek log of the shared
 * data (read at build time into the build directory, never into the repository), and a
 * binetflow log with every column form the parser knows. */
static void flowlog_corpus(const char *data_dir) {
  static const char argus[] =
      "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,"
      "SrcBytes,Label\n"
      "2011/08/10 09:46:53.047277,3.124202,tcp,147.32.84.165,1027,   ->,74.125.232.195,80,"
      "FSPA_FSPA,0,0,9,1245,568,flow=From-Botnet-V42-TCP-Established-HTTP\n"
      "2011/08/10 09:46:56.000001,0.5,icmp,147.32.84.165,0x0008,  <->,8.8.4.4,0x0000,ECO,0,0,2,"
      "196,98,flow=Normal-V42-ICMP\n"
      "2011/08/10 09:47:00.100000,0,arp,147.32.84.165,,  who,147.32.84.1,,INT,,,1,60,60,"
      "flow=Background-Arp\n"
      "2011/08/10 09:47:01.1,1.0,udp,2001:db8::1,53000,  <?>,2001:db8::53,53,CON,0,0,2,200,100,"
      "flow=Background-UDP\n";
  emit("fuzz_flowlog", "binetflow.bin", (const uint8_t[]){1}, 1, argus, sizeof argus - 1);
  static char buf[16384];
  for (size_t i = 0; i < sizeof shared_logs / sizeof shared_logs[0]; i++) {
    size_t end = log_head(data_dir, i, 30, buf, sizeof buf);
    if (end == 0) continue;
    char name[64];
    snprintf(name, sizeof name, "zeek-%zu.bin", i);
    emit("fuzz_flowlog", name, (const uint8_t[]){0}, 1, buf, end);
  }
}

/* fuzz_node (opcodes in fuzz_node.c): rounds with every frame delivered, then variations. */
static void node_corpus(void) {
  static uint8_t b[256];
  size_t k = 0;
  for (int r = 0; r < 8; r++) b[k++] = 0, b[k++] = 1, b[k++] = 2, b[k++] = 2; /* round, pump x2 */
  emit("fuzz_node", "rounds.bin", NULL, 0, b, k);
  /* Rounds, then local scores on node 1, a REKEY_TIMEOUT and a REJECT_AFTER_TIME jump. */
  static const uint8_t timers[] = {0,   1,   2,   2,   0,   1, 2, 2, 4, 1, 0x13, 0x88,
                                   200, 200, 200, 200, 200, 0, 1, 2, 2, 0, 2,    2,
                                   2,   0,   4,   2,   2,   0, 1, 2, 2, 5, 0};
  emit("fuzz_node", "timers.bin", NULL, 0, timers, sizeof timers);
  /* Frames delivered one by one, some modified, and raw bytes from peer 1. */
  static const uint8_t mixed[] = {0, 1, 1, 0, 0,  1, 1, 1, 0, 1, 1, 2, 0, 3, 0x41, 2, 0, 1,
                                  1, 3, 3, 0, 20, 3, 0, 0, 4, 4, 0, 0, 0, 1, 0,    1, 2};
  emit("fuzz_node", "mixed.bin", NULL, 0, mixed, sizeof mixed);
}

/* A /proc/net/dev text in the kernel's format (seeds of fuzz_procnet and fuzz_agentsrc). */
static const char procnet_dev[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n"
    "    lo: 13885046   41729    0    0    0     0          0         0 13885046   41729    0 "
    "   0    0     0       0          0\n"
    "  eth0: 117823864    3944    0    0    0     0          0         0   204036    2716    0 "
    "   0    0     0       0          0\n";

/* fuzz_procnet: /proc/net texts in the kernel's formats (net/core/net-procfs.c dev_seq_show,
 * net/ipv4/tcp_ipv4.c get_tcp4_sock, net/ipv6/tcp_ipv6.c get_tcp6_sock); mode byte 0 dev,
 * 1 tcp/udp, 2 tcp6/udp6. */
static void procnet_corpus(void) {
  static const char head[] =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
      "timeout inode\n";
  static const char tcp[] =
      "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
      "0 1059 1 0000000016a08da2 100 0 0 10 0\n"
      "   1: 0500000A:9C40 08080808:01BB 01 00000000:00000000 00:00000000 00000003  1000        "
      "0 2222 1 0000000016a08da2 20 4 30 10 -1\n";
  static const char tcp6[] =
      "   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A "
      "00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000016a08da2 100 0 0 10 0\n"
      "   1: 0000000000000000FFFF00000500000A:9C42 B80D0120000000000000000001000000:01BB 01 "
      "00000000:00000000 00:00000000 00000000  1000        0 5555 1 0000000016a08da2 20 4 30 10 "
      "-1\n";
  char buf[1024];
  emit("fuzz_procnet", "dev.bin", (const uint8_t[]){0}, 1, procnet_dev, sizeof procnet_dev - 1);
  int n = snprintf(buf, sizeof buf, "%s%s", head, tcp);
  emit("fuzz_procnet", "tcp.bin", (const uint8_t[]){1}, 1, buf, (size_t)n);
  n = snprintf(buf, sizeof buf, "%s%s", head, tcp6);
  emit("fuzz_procnet", "tcp6.bin", (const uint8_t[]){2}, 1, buf, (size_t)n);
}

/* fuzz_session's Noise mode (byte 0 = 0xff, layout in fuzz_session.c): complete KK, IK and XX
 * handshakes, with and without psk, then transport messages both ways. */
static void session_noise_corpus(void) {
  static const char *const names[3] = {"KK", "IK", "XX"};
  static const unsigned psks[3] = {0, 1, 2}; /* sel bits 2-3: none, psk0, psk2 */
  for (unsigned pat = 0; pat < 3; pat++) {
    for (unsigned m = 0; m < 3; m++) {
      static struct script s;
      char name[64], proto[48];
      s.n = 0;
      sc_u8(&s, 0xff);
      sc_u8(&s, pat | psks[m] << 2); /* RNG ephemerals */
      sc_u8(&s, 0);                  /* no broken rule */
      sc_u8(&s, 5);
      sc_bytes(&s, (const uint8_t *)"SGP/1", 5);
      for (int i = 0; i < 32; i++) sc_u8(&s, (unsigned)i * 7u);
      sc_u8(&s, 47);
      snprintf(proto, sizeof proto, "Noise_%s%s_25519_ChaChaPoly_SHA256", names[pat],
               m == 0   ? ""
               : m == 1 ? "psk0"
                        : "psk2");
      sc_u8(&s, (unsigned)strlen(proto));
      sc_bytes(&s, (const uint8_t *)proto, strlen(proto));
      sc_u16(&s, 64); /* HKDF output length */
      for (unsigned k = 0; k < (pat == 2 ? 3u : 2u); k++) {
        sc_u8(&s, 0); /* WRITE, unmodified */
        sc_u16(&s, 5);
        sc_bytes(&s, (const uint8_t *)"hello", 5);
        sc_u16(&s, 0);
        sc_u8(&s, 3); /* STATIC */
      }
      for (unsigned k = 0; k < 3; k++) { /* transport: side, length, payload, ad, tamper */
        sc_u8(&s, k & 1);
        sc_u16(&s, 4);
        sc_bytes(&s, (const uint8_t *)"ping", 4);
        sc_u8(&s, 0x42);
        sc_u16(&s, 3);
      }
      snprintf(name, sizeof name, "noise-%s-%u.bin", names[pat], m);
      sc_emit("fuzz_session", name, &s);
    }
  }
}

/* fuzz_agentsrc (input layout in fuzz_agentsrc.c): specs with their logs, the file reader on
 * the same logs, and the live sampler on kernel-format /proc/net tables over three samples. */
static void agentsrc_spec(const char *name, uint32_t speed, const char *spec, const char *log,
                          size_t log_len) {
  static struct script s;
  s.n = 0;
  sc_u8(&s, 0);                   /* mode SPEC */
  sc_u8(&s, 0);                   /* sel: config NULL, speed 1 + u32 % max */
  sc_u16(&s, (speed - 1u) >> 16); /* u32 speed */
  sc_u16(&s, (speed - 1u) & 0xffffu);
  for (int i = 0; i < SGP_SUBSCORES; i++) sc_u16(&s, 1000); /* weights (unused) */
  for (int i = 0; i < 8; i++) sc_u16(&s, 30000u);           /* poll steps, ms */
  sc_bytes(&s, (const uint8_t *)spec, strlen(spec));
  sc_u8(&s, '\n');
  sc_bytes(&s, (const uint8_t *)log, log_len);
  sc_emit("fuzz_agentsrc", name, &s);
}

static void agentsrc_table(struct script *s, const char *text) {
  if (text == NULL) {
    sc_u16(s, 0x8000u); /* absent */
    return;
  }
  sc_u16(s, strlen(text));
  sc_bytes(s, (const uint8_t *)text, strlen(text));
}

static void agentsrc_corpus(const char *data_dir) {
  static const char argus[] =
      "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,"
      "SrcBytes,Label\n"
      "2011/08/10 09:46:53.047277,3.124202,tcp,147.32.84.165,1027,   ->,74.125.232.195,80,"
      "FSPA_FSPA,0,0,9,1245,568,flow=From-Botnet-V42-TCP-Established-HTTP\n"
      "2011/08/10 09:47:56.000001,0.5,icmp,147.32.84.165,0x0008,  <->,8.8.4.4,0x0000,ECO,0,0,2,"
      "196,98,flow=Normal-V42-ICMP\n"
      "2011/08/10 09:49:00.100000,0,udp,147.32.84.9,53000,  <->,147.32.84.165,53,CON,0,0,2,200,"
      "100,flow=Background-UDP\n"
      "2011/08/10 09:50:01.1,1.0,tcp,147.32.84.165,1030,   ->,74.125.232.197,6667,S_,0,0,1,62,62,"
      "flow=From-Botnet-V42-TCP-Attempt\n";
  agentsrc_spec("fixed.bin", 1000, "fixed:2503", "", 0);
  agentsrc_spec("fixed-range.bin", 1000, "fixed:5001", "", 0);
  agentsrc_spec("binetflow.bin", 1000000, "binetflow::147.32.84.165", argus, sizeof argus - 1);
  agentsrc_spec("binetflow-v6.bin", 1000, "binetflow::[2001:db8::1]", argus, sizeof argus - 1);
  { /* a beacon: the same C2 destination every 60 s (pattern, port and ratio sub-scores) */
    static char beacon[4096];
    int n = snprintf(beacon, sizeof beacon, "%s",
                     "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,"
                     "Dport,State,sTos,dTos,TotPkts,TotBytes,"
                     "SrcBytes,Label\n");
    for (int i = 0; i < 8; i++)
      n += snprintf(beacon + n, sizeof beacon - (size_t)n,
                    "2011/08/10 10:%02d:%02d.000000,1.5,tcp,147.32.84.165,%d,   ->,"
                    "91.212.135.158,1177,FSPA_FSPA,0,0,9,%d,%d,flow=From-Botnet-V42-TCP-CC\n",
                    i, 3 * i, 1040 + i, 9000 + 10 * i, 8000 + 10 * i);
    agentsrc_spec("binetflow-beacon.bin", 10000, "binetflow::147.32.84.165", beacon, (size_t)n);
  }
  emit("fuzz_agentsrc", "reader-binetflow.bin", (const uint8_t[]){1, 1}, 2, argus,
       sizeof argus - 1);
  { /* a line longer than the reader's whole buffer (2 x SGP_FLOWLOG_LINE_MAX + 2), between
     * good lines, and an overlong last line without '\n' */
    static char big[48000];
    size_t h = strlen(argus), k = 0;
    memcpy(big, argus, h);
    k = h;
    memset(big + k, 'x', 20000);
    k += 20000;
    big[k++] = '\n';
    memcpy(big + k, argus + h - 100, 100); /* the tail of the last good line */
    k += 100;
    memset(big + k, 'y', 9000);
    k += 9000;
    emit("fuzz_agentsrc", "reader-overlong.bin", (const uint8_t[]){1, 1}, 2, big, k);
  }
  static char buf[16384];
  for (size_t i = 0; i < sizeof shared_logs / sizeof shared_logs[0]; i++) {
    char name[64], spec[128];
    size_t end = log_head(data_dir, i, 40, buf, sizeof buf);
    if (end == 0) continue;
    /* The host: the originator (3rd column) of the first data line. */
    char host[64] = "";
    for (size_t k = 0; k < end; k++) {
      if ((k == 0 || buf[k - 1] == '\n') && buf[k] != '#') {
        const char *c = buf + k;
        for (int col = 0; col < 2 && c; col++) {
          c = memchr(c, '\t', (size_t)(buf + end - c));
          if (c) c++;
        }
        const char *e = c ? memchr(c, '\t', (size_t)(buf + end - c)) : NULL;
        if (c && e && (size_t)(e - c) < sizeof host) {
          memcpy(host, c, (size_t)(e - c));
          host[e - c] = '\0';
        }
        break;
      }
    }
    snprintf(spec, sizeof spec, strchr(host, ':') ? "zeek::[%s]" : "zeek::%s", host);
    snprintf(name, sizeof name, "zeek-%zu.bin", i);
    agentsrc_spec(name, 100000, spec, buf, end);
    snprintf(name, sizeof name, "reader-zeek-%zu.bin", i);
    emit("fuzz_agentsrc", name, (const uint8_t[]){1, 0}, 2, buf, end);
  }

  const char *dev1 = procnet_dev;
  static const char dev2[] =
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
      "drop fifo colls carrier compressed\n"
      "  eth0: 117900000    4000    0    0    0     0          0         0   904036    3716    0 "
      "   0    0     0       0          0\n";
  static const char head[] =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
      "timeout inode\n";
  /* listening 0.0.0.0:2024; 10.0.0.5:40000 -> 8.8.8.8:443 established */
  static const char tcp_a[] =
      "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
      "0 1059 1 0000000016a08da2 100 0 0 10 0\n"
      "   1: 0500000A:9C40 08080808:01BB 01 00000000:00000000 00:00000000 00000003  1000        "
      "0 2222 1 0000000016a08da2 20 4 30 10 -1\n";
  /* + 10.0.0.5:40001 -> 1.1.1.1:80 in SYN_SENT, an accepted 10.0.0.5:2024 <- 9.9.9.9:5555 */
  static const char tcp_b[] =
      "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
      "0 1059 1 0000000016a08da2 100 0 0 10 0\n"
      "   1: 0500000A:9C40 08080808:01BB 01 00000000:00000000 00:00000000 00000003  1000        "
      "0 2222 1 0000000016a08da2 20 4 30 10 -1\n"
      "   2: 0500000A:9C41 01010101:0050 02 00000000:00000000 00:00000000 00000000  1000        "
      "0 2223 1 0000000016a08da2 20 4 30 10 -1\n"
      "   3: 0500000A:07E8 09090909:15B3 01 00000000:00000000 00:00000000 00000000  1000        "
      "0 2224 1 0000000016a08da2 20 4 30 10 -1\n";
  /* the SYN_SENT socket is answered */
  static const char tcp_c[] =
      "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        "
      "0 1059 1 0000000016a08da2 100 0 0 10 0\n"
      "   2: 0500000A:9C41 01010101:0050 01 00000000:00000000 00:00000000 00000000  1000        "
      "0 2223 1 0000000016a08da2 20 4 30 10 -1\n";
  static const char tcp6[] =
      "   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A "
      "00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000016a08da2 100 0 0 10 0\n"
      "   1: 0000000000000000FFFF00000500000A:9C42 B80D0120000000000000000001000000:01BB 01 "
      "00000000:00000000 00:00000000 00000000  1000        0 5555 1 0000000016a08da2 20 4 30 10 "
      "-1\n";
  /* udp: 10.0.0.5:50000 -> 8.8.4.4:53 connected */
  static const char udp[] =
      "   7: 0500000A:C350 04040808:0035 01 00000000:00000000 00:00000000 00000000  1000        "
      "0 3333 2 0000000016a08da2 0\n";
  static struct script s;
  static char t[3][2048];
  snprintf(t[0], sizeof t[0], "%s%s", head, tcp_a);
  snprintf(t[1], sizeof t[1], "%s%s", head, tcp_b);
  snprintf(t[2], sizeof t[2], "%s%s", head, tcp_c);
  static char t6[2048], u[2048];
  snprintf(t6, sizeof t6, "%s%s", head, tcp6);
  snprintf(u, sizeof u, "%s%s", head, udp);
  s.n = 0;
  sc_u8(&s, 2); /* mode LIVE */
  sc_u8(&s, 2); /* three samples */
  const char *devs[3] = {dev1, dev2, dev2};
  const uint16_t steps[3] = {0, 5000, 5000};
  for (int k = 0; k < 3; k++) {
    sc_u16(&s, steps[k]);
    agentsrc_table(&s, devs[k]);
    agentsrc_table(&s, t[k]);
    agentsrc_table(&s, t6);
    agentsrc_table(&s, k > 0 ? u : head);
    agentsrc_table(&s, NULL);
  }
  sc_emit("fuzz_agentsrc", "live.bin", &s);
  /* One sample whose tcp table has a line longer than the sampler's buffer (SGP_LIVE_BUF);
   * built here, as it does not fit a struct script. */
  static uint8_t lo[20000];
  size_t k = 0, hl = strlen(head), dl = strlen(dev1), tl = hl + 17001;
  lo[k++] = 2; /* mode LIVE */
  lo[k++] = 0; /* one sample */
  lo[k++] = 0; /* step */
  lo[k++] = 0;
  lo[k++] = (uint8_t)(dl >> 8);
  lo[k++] = (uint8_t)dl;
  memcpy(lo + k, dev1, dl);
  k += dl;
  lo[k++] = (uint8_t)(tl >> 8);
  lo[k++] = (uint8_t)tl;
  memcpy(lo + k, head, hl);
  k += hl;
  memset(lo + k, ' ', 17000);
  k += 17000;
  lo[k++] = '\n';
  for (int i = 0; i < 3; i++) lo[k++] = 0x80, lo[k++] = 0; /* tcp6, udp, udp6 absent */
  emit("fuzz_agentsrc", "live-overlong.bin", NULL, 0, lo, k);
}

/* fuzz_ctlreply (byte 0: command 0 status, 1 verdicts, 2 peers, 3 metrics; bit 2 --json): the
 * replies sgpd writes (ref/sgpd/report.c and ctl.c formats), and a refusal. */
static void ctlreply_corpus(void) {
  static const char status[] =
      "{\"self\":1,\"generation\":3,\"round\":42,\"n\":3,\"suspicion\":120,\"nodes\":["
      "{\"id\":0,\"gen\":2,\"seq\":41,\"suspicion\":0,\"age\":1,\"verdict\":\"CLEAN\"},"
      "{\"id\":1,\"gen\":3,\"seq\":40,\"suspicion\":120,\"age\":0,\"verdict\":\"CLEAN\"},"
      "{\"id\":2,\"gen\":0,\"seq\":0,\"suspicion\":0,\"age\":0,\"verdict\":\"SILENT\"}]}\n";
  static const char verdicts[] =
      "{\"self\":1,\"round\":42,\"verdicts\":[{\"id\":0,\"verdict\":\"CLEAN\"},"
      "{\"id\":1,\"verdict\":\"SUSPECT\"},{\"id\":2,\"verdict\":\"COMPROMISED\"}]}\n";
  static const char peers[] =
      "{\"self\":1,\"peers\":[{\"id\":0,\"addr\":\"127.0.0.1:7000\",\"session\":\"current\","
      "\"session_age_ms\":1234,\"initiator\":1,\"tx_counter\":7,\"rx_counter_max\":6,"
      "\"previous\":false,\"pending\":false,\"handshake_outstanding\":false,\"cookie\":false},"
      "{\"id\":2,\"addr\":\"[::1]:7002\",\"session\":\"none\",\"previous\":false,"
      "\"pending\":true,\"handshake_outstanding\":true,\"cookie\":false}]}\n";
  static const char metrics[] =
      "# HELP sgp_round Gossip rounds run.\n# TYPE sgp_round counter\nsgp_round 42\n"
      "sgp_drop_total{reason=\"auth\"} 3\n";
  static const char refused[] = "{\"error\":\"unknown request\"}\n";
  emit("fuzz_ctlreply", "status.bin", (const uint8_t[]){0}, 1, status, sizeof status - 1);
  emit("fuzz_ctlreply", "status-json.bin", (const uint8_t[]){4}, 1, status, sizeof status - 1);
  emit("fuzz_ctlreply", "verdicts.bin", (const uint8_t[]){1}, 1, verdicts, sizeof verdicts - 1);
  emit("fuzz_ctlreply", "peers.bin", (const uint8_t[]){2}, 1, peers, sizeof peers - 1);
  emit("fuzz_ctlreply", "metrics.bin", (const uint8_t[]){3}, 1, metrics, sizeof metrics - 1);
  emit("fuzz_ctlreply", "refused.bin", (const uint8_t[]){1}, 1, refused, sizeof refused - 1);
}

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: %s <out dir> [conformance vectors dir]\n", argv[0]);
    return 2;
  }
  out_root = argv[1];
  mkdir_p(out_root);
  fz_init();

  const uint32_t sizes[] = {3, 8, 16, 300};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    struct cluster c;
    char tag[16];
    cluster_init(&c, sizes[i], sizes[i] < 64 ? sizes[i] - 1 : 64, 3);
    cluster_run(&c);
    snprintf(tag, sizeof tag, "n%u", sizes[i]);
    packets_of(&c, tag);
    cluster_free(&c);
  }
  merge_scripts();
  consensus_scripts();
#ifdef SGP_FUZZ_HAVE_KEYS
  keyfile_corpus();
#endif
#ifdef SGP_FUZZ_HAVE_ROSTER
  roster_corpus();
#endif
  const char *vectors = argc == 3 ? argv[2] : SGP_FUZZ_VECTORS_DIR;
  session_corpus(vectors);
  reasm_corpus(vectors);
  carrier_corpus(vectors);
  config_corpus();
  node_corpus();
  flowlog_corpus(SGP_FUZZ_DATA_DIR);
  procnet_corpus();
  agentsrc_corpus(SGP_FUZZ_DATA_DIR);
  session_noise_corpus();
  ctlreply_corpus();
  printf("gen_corpus: %u files in %s\n", files_written, out_root);
  return 0;
}
