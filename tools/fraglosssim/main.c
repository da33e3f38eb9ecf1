/* fraglosssim: how often does a message of k fragments arrive when each
 * sealed datagram is lost independently with probability p, in jigsaw mode
 * `aont` (all k needed) and `aont-parity` (any k of k + 1)?
 *
 * Seeded Monte Carlo through the library's real code: sgp_jig_encode (AONT),
 * sgp_frag_make, sgp_reasm_add (one receiving session, REASM_TIMEOUT between
 * trials so lost messages expire) and, for a sample of deliveries,
 * sgp_jig_decode back to the packet.  The message for k fragments is a
 * packet of k * 1158 - 32 bytes, so its AONT output fills k fragments.
 *
 * Usage: fraglosssim [--trials N] [--seed S] [--check]
 * Prints one row per k = 1..30 with the delivery probability for each loss
 * rate, "aont/parity", then the largest deviation from the closed forms
 *   aont:   (1-p)^k
 *   parity: (1-p)^(k+1) + (k+1) p (1-p)^k
 * --check exits 1 if any cell is more than 5 standard errors (+3/trials) away.
 */
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/fragment.h"
#include "sgp/jigsaw.h"

#define KMAX 30u
#define NLOSS 9u
static const double loss_pct[NLOSS] = {0, 1, 2, 5, 10, 15, 20, 25, 30};

static uint64_t rng_state;

static uint64_t next(void) { /* splitmix64: seeded, reproducible */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static double uniform(void) {
  return (double)(next() >> 11) * 0x1.0p-53;
}

static void rng_cb(void *ctx, uint8_t *out, size_t len) {
  (void)ctx;
  for (size_t i = 0; i < len; i++) out[i] = (uint8_t)(next() >> 56);
}

static uint8_t packet[SGP_FRAG_MAX_MESSAGE], msg[SGP_FRAG_MAX_MESSAGE];
static uint8_t out[SGP_FRAG_MAX_MESSAGE], back[SGP_FRAG_MAX_MESSAGE];
static uint8_t frags[SGP_FRAG_MAX_FRAGMENTS][SGP_FRAG_DATA];
static size_t frag_len[SGP_FRAG_MAX_FRAGMENTS];

struct sim {
  struct sgp_reasm r;
  sgp_reasm_sid sid;
  uint32_t ctr; /* sender's msg_id counter (SGP-FRAG-2) */
  uint64_t now; /* ms */
  uint64_t verified;
};

static void die(const char *what, sgp_err rc) {
  fprintf(stderr, "fraglosssim: %s: %s\n", what, sgp_err_name(rc));
  exit(2);
}

/* One trial: fragments of the prepared message, each lost with probability
 * p; returns 1 if the reassembler delivered it. */
static int trial(struct sim *s, size_t mlen, uint8_t flags, uint32_t count, size_t plen, double p) {
  uint32_t id;
  sgp_err rc = sgp_frag_next_id(&s->ctr, &id);
  if (rc != SGP_OK) die("msg_id", rc);
  s->now += SGP_REASM_TIMEOUT_MS; /* the previous message, if stuck, expires */
  size_t got = 0;
  for (uint32_t i = 0; i < count && got == 0; i++) {
    if (uniform() < p) continue;
    struct sgp_frag_hdr h = {.msg_id = id,
                             .total_len = (uint32_t)mlen,
                             .flags = flags,
                             .index = (uint8_t)i,
                             .count = (uint8_t)count};
    rc = sgp_reasm_add(&s->r, s->sid, &h, frags[i], frag_len[i], s->now, out, sizeof out, &got);
    if (rc != SGP_OK) die("reassembly", rc);
  }
  if (got == 0) return 0;
  if (got != mlen || memcmp(out, msg, mlen) != 0) die("delivered bytes differ", SGP_ERR_STATE);
  if ((s->verified++ & 63u) == 0) { /* the jigsaw inverse, on a sample */
    size_t n;
    rc = sgp_jig_decode(flags, out, got, back, sizeof back, &n);
    if (rc != SGP_OK) die("inverse", rc);
    if (n != plen || memcmp(back, packet, n) != 0) die("inverse differs", SGP_ERR_STATE);
  }
  return 1;
}

int main(int argc, char **argv) {
  unsigned long trials = 2000;
  unsigned long long seed = 1;
  int check = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc)
      trials = strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
      seed = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--check") == 0)
      check = 1;
    else {
      fprintf(stderr, "usage: fraglosssim [--trials N] [--seed S] [--check]\n");
      return 2;
    }
  }
  if (trials == 0 || sodium_init() < 0) return 2;
  rng_state = seed;

  struct sim s;
  memset(&s, 0, sizeof s);
  struct sgp_reasm_params prm;
  sgp_reasm_params_default(&prm, 1);
  size_t mem_len = sgp_reasm_mem_size(&prm);
  void *mem = malloc(mem_len);
  if (!mem) return 2;
  sgp_err rc = sgp_reasm_init(&s.r, mem, mem_len, &prm);
  if (rc != SGP_OK) die("init", rc);
  rc = sgp_reasm_session_open(&s.r, 0, &s.sid);
  if (rc != SGP_OK) die("session", rc);

  static double prob[KMAX + 1][NLOSS][2];
  for (uint32_t k = 1; k <= KMAX; k++) {
    size_t plen = (size_t)k * SGP_FRAG_DATA - SGP_JIG_KEY_BYTES;
    rng_cb(NULL, packet, plen);
    for (int par = 0; par < 2; par++) {
      size_t mlen;
      uint8_t flags;
      rc = sgp_jig_encode(par ? SGP_JIG_AONT_PARITY : SGP_JIG_AONT, packet, plen, rng_cb, NULL, msg,
                          sizeof msg, &mlen, &flags);
      if (rc != SGP_OK) die("encode", rc);
      struct sgp_frag_layout l;
      rc = sgp_frag_layout((uint32_t)mlen, flags, &l);
      if (rc != SGP_OK || l.k != k) die("layout", rc);
      for (uint32_t i = 0; i < l.count; i++) {
        struct sgp_frag_hdr h;
        rc = sgp_frag_make(msg, mlen, flags, 1, i, &h, frags[i], SGP_FRAG_DATA, &frag_len[i]);
        if (rc != SGP_OK) die("fragment", rc);
      }
      for (uint32_t li = 0; li < NLOSS; li++) {
        unsigned long ok = 0;
        for (unsigned long t = 0; t < trials; t++)
          ok += (unsigned long)trial(&s, mlen, flags, l.count, plen, loss_pct[li] / 100.0);
        prob[k][li][par] = (double)ok / (double)trials;
      }
    }
  }

  printf("# delivery probability, %lu trials per cell, seed %llu; each cell: aont/aont-parity\n",
         trials, seed);
  printf("%3s", "k");
  for (uint32_t li = 0; li < NLOSS; li++) printf("  %9.0f%%  ", loss_pct[li]);
  printf("\n");
  double worst = 0, worst_sigma = 0;
  int bad = 0;
  for (uint32_t k = 1; k <= KMAX; k++) {
    printf("%3u", k);
    for (uint32_t li = 0; li < NLOSS; li++) {
      printf("  %5.3f/%5.3f", prob[k][li][0], prob[k][li][1]);
      double p = loss_pct[li] / 100.0, q = 1.0 - p;
      double exact[2] = {pow(q, k), pow(q, k + 1) + (k + 1) * p * pow(q, k)};
      for (int par = 0; par < 2; par++) {
        double dev = fabs(prob[k][li][par] - exact[par]);
        double se = sqrt(exact[par] * (1 - exact[par]) / (double)trials);
        if (dev > worst) worst = dev;
        if (se > 0 && dev / se > worst_sigma) worst_sigma = dev / se;
        if (dev > 5 * se + 3.0 / (double)trials) bad = 1; /* 3 counts of slack near 0, 1 */
      }
    }
    printf("\n");
  }
  printf("# largest deviation from the closed form: %.4f (%.2f standard errors)\n", worst,
         worst_sigma);
  printf("# reassembly: %llu delivered, %llu timed out, %llu fragments stored, high-water %llu B\n",
         (unsigned long long)s.r.stats.messages_delivered,
         (unsigned long long)s.r.stats.msg_timeout, (unsigned long long)s.r.stats.fragments_stored,
         (unsigned long long)s.r.stats.bytes_high_water);
  free(mem);
  if (check && bad) {
    fprintf(stderr, "fraglosssim: a cell deviates more than 5 standard errors\n");
    return 1;
  }
  return 0;
}
