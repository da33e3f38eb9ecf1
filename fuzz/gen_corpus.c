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
  uint8_t mode = (uint8_t)((c->n - 1) & 15u);
  uint8_t rv[2] = {0x11, 0x01};
  /* SYN of the node that knows everything. */
  MUST(sgp_state_make_syn(&c->st[0], &pa));
  size_t len = encode(&pa, c->n);
  snprintf(name, sizeof name, "syn-%s.bin", tag);
  emit("fuzz_packet_decode", name, NULL, 0, wire, len);
  if (c->n <= 16) {
    snprintf(name, sizeof name, "mode-syn-%s.bin", tag);
    emit("fuzz_packet_decode", name, &mode, 1, wire, len);
  }
  /* ACK and DELTA from node 0 to a node that knows little (node 1's SYN
   * lists only what node 1 heard). */
  MUST(sgp_state_make_syn(&c->st[1], &pa));
  for (int small = 0; small < 2; small++) {
    size_t budget = small ? 600 : 0;
    MUST(sgp_state_make_ack(&c->st[0], &pa, &pb, budget));
    len = encode(&pb, c->n);
    snprintf(name, sizeof name, "ack-%s%s.bin", tag, small ? "-small" : "");
    emit("fuzz_packet_decode", name, NULL, 0, wire, len);
    emit("fuzz_report_verify", name, rv, 2, wire, len);
    if (c->n <= 16) {
      snprintf(name, sizeof name, "mode-ack-%s%s.bin", tag, small ? "-small" : "");
      emit("fuzz_packet_decode", name, &mode, 1, wire, len);
    }
    MUST(sgp_state_make_ack(&c->st[1], &pa, &pc, 0));
    pc.digest_count = 0; /* as if from a peer that holds nothing */
    pc.reports_count = 0;
    MUST(sgp_state_make_delta(&c->st[0], &pc, &pb, budget));
    len = encode(&pb, c->n);
    snprintf(name, sizeof name, "delta-%s%s.bin", tag, small ? "-small" : "");
    emit("fuzz_packet_decode", name, NULL, 0, wire, len);
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

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <out dir>\n", argv[0]);
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
  printf("gen_corpus: %u files in %s\n", files_written, out_root);
  return 0;
}
