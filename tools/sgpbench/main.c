/* sgpbench: throughput of the SGP transport receive path and handshakes.
 *
 *   sgpbench [--quick]
 *   sgpbench --scale [--quick] [--n-list 16,64,256,1024]   (scale.c)
 *
 * 1. Receive path for one 1200-byte data message (a full 1158-byte
 *    fragment), side by side in the same run and on the same bytes:
 *      bare     crypto_aead_chacha20poly1305_ietf_decrypt alone
 *      session  sgp_session_recv: layout checks, index lookup, age and
 *               counter limits, window pre-check, AEAD, window update
 *      +frag    the same plus sgp_reasm_add (fragment checks and delivery
 *               of a one-fragment message), if the fragment module is built
 *    Each round runs a fresh handshake and seals a batch of datagrams
 *    (untimed), then times the three receivers over the batch, interleaved
 *    so clock-frequency drift hits all of them alike.
 * 2. Handshakes per second: initiation + response + finish (the
 *    initiator's processing of the response), on an injected clock that
 *    steps past the rate limits.
 *
 * Prints figures only; it asserts nothing about speed.
 */

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "scale.h"
#include "sgp/session.h"
#if SGPBENCH_FRAGMENT
#include "sgp/fragment.h"
#endif

static void die(const char *what) {
  fprintf(stderr, "sgpbench: %s\n", what);
  exit(1);
}

static void report(const char *name, size_t msgs, double secs, double bare_rate) {
  double rate = (double)msgs / secs;
  printf("  %-8s %12.0f msgs/s %10.1f MB/s", name, rate, rate * SGP_DGRAM_MAX / 1e6);
  if (bare_rate > 0)
    printf("   %5.1f %% of bare\n", 100.0 * rate / bare_rate);
  else
    printf("\n");
}

static void bench_receive(int rounds, size_t batch) {
  struct bench_end *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
  struct dgram *d = calloc(batch, sizeof *d);
  uint8_t *pt = malloc(SGP_DATA_PT_MAX), *out = malloc(SGP_DGRAM_MAX);
  if (!a || !b || !d || !pt || !out) die("oom");
  randombytes_buf(pt, SGP_DATA_PT_MAX);
  uint64_t now = 1000000;
  bench_end_init(a, 0, now);
  bench_end_init(b, 1, now);
  double t_bare = 0, t_sess = 0, t_frag = 0;
  size_t msgs = 0;
  volatile uint64_t sink = 0;

#if SGPBENCH_FRAGMENT
  struct sgp_reasm_params rp;
  sgp_reasm_params_default(&rp, BENCH_PEERS);
  size_t mem_len = sgp_reasm_mem_size(&rp);
  void *mem = aligned_alloc(8, (mem_len + 7) / 8 * 8);
  uint8_t *msg = malloc(SGP_FRAG_MAX_MESSAGE);
  struct sgp_reasm reasm;
  if (!mem || !msg || sgp_reasm_init(&reasm, mem, mem_len, &rp) != SGP_OK) die("reasm");
#endif

  for (int r = 0; r < rounds; r++) {
    /* untimed: a fresh session and a batch of sealed full fragments; msg
     * ids 1..batch so the fragment layer sees new one-fragment messages */
    now += SGP_REKEY_TIMEOUT_MS + 1000;
    bench_handshake(a, b, now);
    for (size_t i = 0; i < batch; i++) {
      uint8_t f[SGP_DATA_FHDR_BYTES];
      bench_put32(f, (uint32_t)(i + 1));
      f[4] = 0, f[5] = 1;
      bench_put32(f + 6, SGP_DATA_PT_MAX);
      if (sgp_session_seal(&a->s, 1, now, 0, f, pt, SGP_DATA_PT_MAX, d[i].b, sizeof d[i].b,
                           &d[i].len) != SGP_OK)
        die("seal");
    }
    const struct sgp_session_peer *pb = &b->peers[0];
    const uint8_t *key = pb->slot[pb->cur].recv.k;

    /* bare AEAD on the same bytes */
    double t = bench_now_s();
    for (size_t i = 0; i < batch; i++) {
      uint8_t nonce[12] = {0};
      for (int k = 0; k < 8; k++) nonce[4 + k] = d[i].b[15 - k]; /* BE header -> LE nonce */
      unsigned long long ol;
      if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &ol, NULL, d[i].b + 26, d[i].len - 26,
                                                    d[i].b, 26, nonce, key) != 0)
        die("bare decrypt");
      sink += out[0];
    }
    t_bare += bench_now_s() - t;

    /* the session receive path; a copy of the receiver so the window can be
     * replayed for the third pass */
    static struct bench_end b2;
    memcpy(&b2, b, sizeof b2);
    b2.s.peers = b2.peers;
    b2.s.index = b2.index;
    t = bench_now_s();
    for (size_t i = 0; i < batch; i++) {
      struct sgp_rx rx;
      if (sgp_session_recv(&b->s, now, d[i].b, d[i].len, NULL, 0, b->buf, sizeof b->buf, &rx) !=
          SGP_OK)
        die("session recv");
      sink += rx.payload_len;
    }
    t_sess += bench_now_s() - t;

#if SGPBENCH_FRAGMENT
    sgp_reasm_sid sid;
    if (sgp_reasm_session_open(&reasm, 0, &sid) != SGP_OK) die("reasm open");
    t = bench_now_s();
    for (size_t i = 0; i < batch; i++) {
      struct sgp_rx rx;
      size_t mlen = 0;
      if (sgp_session_recv(&b2.s, now, d[i].b, d[i].len, NULL, 0, b2.buf, sizeof b2.buf, &rx) !=
          SGP_OK)
        die("session recv (2)");
      struct sgp_frag_hdr h = {.msg_id = bench_get32(rx.frag_hdr),
                               .total_len = bench_get32(rx.frag_hdr + 6),
                               .flags = rx.flags,
                               .index = rx.frag_hdr[4],
                               .count = rx.frag_hdr[5]};
      if (sgp_reasm_add(&reasm, sid, &h, rx.payload, rx.payload_len, now, msg, SGP_FRAG_MAX_MESSAGE,
                        &mlen) != SGP_OK ||
          mlen != SGP_DATA_PT_MAX)
        die("reasm add");
      sink += mlen;
    }
    t_frag += bench_now_s() - t;
    if (sgp_reasm_session_close(&reasm, sid) != SGP_OK) die("reasm close");
#endif
    sgp_session_destroy(&b2.s);
    msgs += batch;
  }

  double bare_rate = (double)msgs / t_bare;
  printf("receive path, one 1200-byte data message (%zu messages, %d sessions):\n", msgs, rounds);
  report("bare", msgs, t_bare, 0);
  report("session", msgs, t_sess, bare_rate);
#if SGPBENCH_FRAGMENT
  report("+frag", msgs, t_frag, bare_rate);
  free(mem);
  free(msg);
#else
  printf("  +frag    (fragment module not built)\n");
  (void)t_frag;
#endif
  (void)sink;
  sgp_session_destroy(&a->s);
  sgp_session_destroy(&b->s);
  free(a);
  free(b);
  free(d);
  free(pt);
  free(out);
}

static void bench_handshakes(int count) {
  struct bench_end *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
  if (!a || !b) die("oom");
  uint64_t now = 1000000;
  bench_end_init(a, 0, now);
  bench_end_init(b, 1, now);
  uint8_t m[SGP_DGRAM_MAX];
  size_t len;
  struct sgp_rx rx;
  double t = bench_now_s();
  for (int i = 0; i < count; i++) {
    now += SGP_REKEY_TIMEOUT_MS + 1000; /* past SGP-XPORT-38 and the peer bucket */
    if (sgp_session_initiate(&a->s, 1, NULL, 0, now, m, sizeof m, &len) != SGP_OK) die("initiate");
    if (sgp_session_recv(&b->s, now, m, len, NULL, 0, b->buf, sizeof b->buf, &rx) != SGP_OK)
      die("recv initiation");
    if (sgp_session_respond(&b->s, 0, NULL, 0, now, m, sizeof m, &len) != SGP_OK) die("respond");
    if (sgp_session_recv(&a->s, now, m, len, NULL, 0, a->buf, sizeof a->buf, &rx) != SGP_OK)
      die("recv response");
  }
  double secs = bench_now_s() - t;
  printf("handshakes (initiation + response + finish, both sides in one thread):\n");
  printf("  %12.0f handshakes/s  (%d in %.3f s, %.1f us each)\n", count / secs, count, secs,
         1e6 * secs / count);
  sgp_session_destroy(&a->s);
  sgp_session_destroy(&b->s);
  free(a);
  free(b);
}

static int scale_main(int argc, char **argv) {
  int quick = 0;
  const char *list = "16,64,256,1024";
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0) {
      quick = 1;
    } else if (strcmp(argv[i], "--n-list") == 0 && i + 1 < argc) {
      list = argv[++i];
    } else {
      fprintf(stderr, "usage: sgpbench --scale [--quick] [--n-list N1,N2,...]\n");
      return 2;
    }
  }
  uint32_t ns[32];
  size_t count = 0;
  for (const char *p = list; *p && count < 32;) {
    char *end;
    unsigned long v = strtoul(p, &end, 10);
    if (end == p || v < 3 || v > 16384 || (*end != ',' && *end != 0)) {
      fprintf(stderr, "sgpbench: bad --n-list entry (3..16384)\n");
      return 2;
    }
    ns[count++] = (uint32_t)v;
    p = *end ? end + 1 : end;
  }
  return sgpbench_scale(ns, count, quick);
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "--scale") == 0) {
    if (sodium_init() < 0) die("sodium_init");
    return scale_main(argc, argv);
  }
  int quick = argc == 2 && strcmp(argv[1], "--quick") == 0;
  if (argc > 2 || (argc == 2 && !quick)) {
    fprintf(stderr, "usage: sgpbench [--quick]\n");
    return 2;
  }
  if (sodium_init() < 0) die("sodium_init");
  bench_keys();
  bench_receive(quick ? 2 : 200, quick ? 256 : 1024);
  bench_handshakes(quick ? 20 : 2000);
  return 0;
}
