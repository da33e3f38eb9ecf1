/* sgpbench --scale: the gossip receive path against its crypto floor, and
 * memory per node, for a list of roster sizes n.
 *
 * Receive path, per gossip packet (a DELTA from node 0 to node 1 whose k
 * reports are all new to the receiver), timed on the real library:
 *   for each sealed datagram: sgp_session_recv (layout, index, window,
 *   AEAD open) -> sgp_reasm_add; when the message completes:
 *   sgp_packet_decode (strict walk, nanopb, validate, canonical re-encode)
 *   -> sgp_state_merge (verify every new report with Ed25519, adopt).
 * Crypto floor on the same bytes: the AEAD open of every datagram
 * (crypto_aead_chacha20poly1305_ietf_decrypt) plus one
 * crypto_sign_verify_detached per new report over its to-be-signed bytes.
 * ratio = floor time / receive-path time = receive rate as a share of the
 * floor's rate (issue 8 target: >= 50 %).  Each iteration times floor and
 * path back to back on one packet; the figures are medians over the
 * iterations (the cores are shared, a mean would carry other loads).
 *
 * Two packet shapes per n:
 *   steady  k = ceil(n / H) reports (H = 10): a round's worth of news at
 *           the default heartbeat (spec §1.4 sizing note)
 *   full    k = as many reports as the default budget B = 65536 admits
 *           (a node catching up), at most n - 1
 * Reports carry no opinion row (the steady state of a healthy cluster).
 * The node engine's own bookkeeping (carrier unwrap, per-peer rate limits,
 * events) is not in this path.
 *
 * Memory: sgp_state_mem_size and sgp_node_mem_size (default and minimum
 * reassembly memory) against n.
 *
 * Machine-readable lines start with "rx," and "mem," (CSV after the tag).
 */

#include "scale.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "sgp/codec.h"
#include "sgp/fragment.h"
#include "sgp/keys.h"
#include "sgp/node.h"
#include "sgp/report.h"
#include "sgp/roster.h"
#include "sgp/session.h"
#include "sgp/state.h"

static void *xalloc(size_t len) {
  void *p = aligned_alloc(8, (len + 7) / 8 * 8);
  if (!p) bench_die("oom", SGP_ERR_NO_SPACE);
  memset(p, 0, len);
  return p;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, uint32_t count) {
  qsort(v, count, sizeof *v, cmp_double);
  return count % 2 ? v[count / 2] : 0.5 * (v[count / 2 - 1] + v[count / 2]);
}

/* ---- one packet: its datagrams and the floor's inputs ---- */

struct tbs {
  uint8_t m[SGP_REPORT_TBS_MAX];
  size_t len;
  uint8_t sig[SGP_SIG_BYTES];
  uint32_t origin;
};

struct pkt_in {
  struct dgram *d; /* frags datagrams */
  uint32_t frags;
  struct tbs *t; /* k reports */
};

struct rx_result {
  uint32_t n, k, frags;
  size_t bytes;
  double rx_us, floor_us, aead_us, verify_us;
};

static sgp_packet pkt_tx, pkt_rx;

/* Reports from origins 2..k+1 at seq `seq` (generation 1), signed. */
static void make_packet(uint32_t n, uint32_t k, uint32_t seq, uint8_t (*sk)[64], uint8_t *enc,
                        size_t *enc_len, struct tbs *t) {
  memset(&pkt_tx, 0, sizeof pkt_tx);
  pkt_tx.version = 1;
  pkt_tx.sender = 0;
  pkt_tx.kind = sgp_v1_Kind_KIND_DELTA;
  pkt_tx.reports_count = (pb_size_t)k;
  for (uint32_t j = 0; j < k; j++) {
    sgp_report_msg *r = &pkt_tx.reports[j];
    uint32_t origin = 2 + j;
    r->origin = origin;
    r->generation = 1;
    r->seq = seq;
    r->suspicion = (origin * 37u + seq) % 2000u;
    r->sub_count = SGP_SUBSCORES;
    for (uint32_t s = 0; s < SGP_SUBSCORES; s++) r->sub[s] = (origin + s * 101u + seq) % 1000u;
    sgp_err e = sgp_report_sign(r, sk[origin]);
    if (e != SGP_OK) bench_die("sign", e);
    t[j].origin = origin;
    memcpy(t[j].sig, r->sig.bytes, SGP_SIG_BYTES);
    if ((e = sgp_report_tbs(r, t[j].m, sizeof t[j].m, &t[j].len)) != SGP_OK) bench_die("tbs", e);
  }
  sgp_err e = sgp_packet_encode(&pkt_tx, n, enc, SGP_MAX_PACKET, enc_len);
  if (e != SGP_OK) bench_die("encode", e);
}

/* Largest k <= n - 2 whose DELTA fits budget bytes of reports. */
static uint32_t full_k(uint32_t n, size_t budget) {
  sgp_report_msg r;
  memset(&r, 0, sizeof r);
  r.origin = n - 1;
  r.generation = 1;
  r.seq = 1000000;
  r.suspicion = 1999;
  r.sub_count = SGP_SUBSCORES;
  for (uint32_t s = 0; s < SGP_SUBSCORES; s++) r.sub[s] = 999;
  r.sig.size = SGP_SIG_BYTES;
  size_t one = sgp_report_msg_wire_size(&r);
  size_t k = budget / one;
  if (k > SGP_MAX_REPORTS) k = SGP_MAX_REPORTS;
  if (k > n - 2) k = n - 2;
  return (uint32_t)k;
}

static struct rx_result bench_n(uint32_t n, uint32_t k, uint32_t iters) {
  struct rx_result res;
  memset(&res, 0, sizeof res);
  res.n = n;
  res.k = k;

  /* keys: n signing keys; node 1 is the receiver */
  uint8_t(*pk)[SGP_SIGN_PK_BYTES] = xalloc((size_t)n * SGP_SIGN_PK_BYTES);
  uint8_t(*sk)[64] = xalloc((size_t)n * 64);
  for (uint32_t i = 0; i < n; i++) crypto_sign_keypair(pk[i], sk[i]);

  struct sgp_params p;
  sgp_params_default(&p, n);
  size_t st_len = sgp_state_mem_size(&p);
  void *st_mem = xalloc(st_len);
  struct sgp_state st;
  sgp_err e = sgp_state_init(&st, st_mem, st_len, &p, 1, 1, (const uint8_t(*)[SGP_SIGN_PK_BYTES])pk,
                             sk[1], &sgp_verifier_default);
  if (e != SGP_OK) bench_die("state init", e);

  struct sgp_reasm_params rp;
  sgp_reasm_params_default(&rp, BENCH_PEERS);
  size_t rm_len = sgp_reasm_mem_size(&rp);
  void *rm = xalloc(rm_len);
  struct sgp_reasm reasm;
  if ((e = sgp_reasm_init(&reasm, rm, rm_len, &rp)) != SGP_OK) bench_die("reasm init", e);

  struct bench_end *a = xalloc(sizeof *a), *b = xalloc(sizeof *b);
  uint64_t now = 1000000;
  bench_end_init(a, 0, now);
  bench_end_init(b, 1, now);
  bench_handshake(a, b, now);
  sgp_reasm_sid sid;
  if ((e = sgp_reasm_session_open(&reasm, 0, &sid)) != SGP_OK) bench_die("reasm open", e);

  uint8_t *enc = xalloc(SGP_MAX_PACKET), *msg = xalloc(SGP_FRAG_MAX_MESSAGE);
  uint8_t *out = xalloc(SGP_DGRAM_MAX);
  struct pkt_in in;
  in.d = xalloc(sizeof(struct dgram) * (SGP_MAX_PACKET / SGP_DATA_PT_MAX + 2));
  in.t = xalloc(sizeof(struct tbs) * (k ? k : 1));
  const struct sgp_session_peer *pb = &b->peers[0];
  volatile uint64_t sink = 0;
  double *t_rx = xalloc(sizeof(double) * iters), *t_aead = xalloc(sizeof(double) * iters);
  double *t_ver = xalloc(sizeof(double) * iters);

  for (uint32_t it = 0; it < iters; it++) {
    /* untimed: sign k new reports (seq it+2: newer than the last packet),
     * encode, fragment per §8.1 and seal */
    size_t len;
    make_packet(n, k, it + 2, sk, enc, &len, in.t);
    uint32_t frags = (uint32_t)((len + SGP_DATA_PT_MAX - 1) / SGP_DATA_PT_MAX);
    for (uint32_t i = 0; i < frags; i++) {
      uint8_t f[SGP_DATA_FHDR_BYTES];
      size_t off = (size_t)i * SGP_DATA_PT_MAX;
      size_t pl = len - off < SGP_DATA_PT_MAX ? len - off : SGP_DATA_PT_MAX;
      bench_put32(f, it + 1);
      f[4] = (uint8_t)i, f[5] = (uint8_t)frags;
      bench_put32(f + 6, (uint32_t)len);
      if ((e = sgp_session_seal(&a->s, 1, now, 0, f, enc + off, pl, in.d[i].b, sizeof in.d[i].b,
                                &in.d[i].len)) != SGP_OK)
        bench_die("seal", e);
    }
    in.frags = frags;
    res.frags = frags;
    res.bytes = len;
    const uint8_t *key = pb->slot[pb->cur].recv.k;

    /* floor 1: AEAD open of the same datagrams */
    double t0 = bench_now_s();
    for (uint32_t i = 0; i < frags; i++) {
      uint8_t nonce[12] = {0};
      for (int q = 0; q < 8; q++) nonce[4 + q] = in.d[i].b[15 - q]; /* BE header -> LE nonce */
      unsigned long long ol;
      if (crypto_aead_chacha20poly1305_ietf_decrypt(
              out, &ol, NULL, in.d[i].b + 26, in.d[i].len - 26, in.d[i].b, 26, nonce, key) != 0)
        bench_die("bare decrypt", SGP_ERR_AUTH);
      sink += out[0];
    }
    double t1 = bench_now_s();
    /* floor 2: one Ed25519 verify per new report */
    for (uint32_t j = 0; j < k; j++) {
      if (crypto_sign_verify_detached(in.t[j].sig, in.t[j].m, in.t[j].len, pk[in.t[j].origin]) != 0)
        bench_die("bare verify", SGP_ERR_BAD_SIGNATURE);
    }
    double t2 = bench_now_s();
    /* the receive path */
    size_t mlen = 0;
    for (uint32_t i = 0; i < frags; i++) {
      struct sgp_rx rx;
      if ((e = sgp_session_recv(&b->s, now, in.d[i].b, in.d[i].len, NULL, 0, b->buf, sizeof b->buf,
                                &rx)) != SGP_OK)
        bench_die("session recv", e);
      struct sgp_frag_hdr h = {.msg_id = bench_get32(rx.frag_hdr),
                               .total_len = bench_get32(rx.frag_hdr + 6),
                               .flags = rx.flags,
                               .index = rx.frag_hdr[4],
                               .count = rx.frag_hdr[5]};
      if ((e = sgp_reasm_add(&reasm, sid, &h, rx.payload, rx.payload_len, now, msg,
                             SGP_FRAG_MAX_MESSAGE, &mlen)) != SGP_OK)
        bench_die("reasm add", e);
    }
    if (mlen != len) bench_die("reassembly incomplete", SGP_ERR_STATE);
    if ((e = sgp_packet_decode(&pkt_rx, n, msg, mlen)) != SGP_OK) bench_die("decode", e);
    struct sgp_merge_result mr;
    if ((e = sgp_state_merge(&st, &pkt_rx, &mr)) != SGP_OK) bench_die("merge", e);
    double t3 = bench_now_s();
    if (mr.adopted != k) bench_die("not every report adopted", SGP_ERR_STATE);
    t_aead[it] = t1 - t0;
    t_ver[it] = t2 - t1;
    t_rx[it] = t3 - t2;
  }
  (void)sink;
  /* medians: the cores are shared, so means would carry other people's bursts */
  res.aead_us = 1e6 * median(t_aead, iters);
  res.verify_us = 1e6 * median(t_ver, iters);
  res.floor_us = res.aead_us + res.verify_us;
  res.rx_us = 1e6 * median(t_rx, iters);
  free(t_rx), free(t_aead), free(t_ver);

  if ((e = sgp_reasm_session_close(&reasm, sid)) != SGP_OK) bench_die("reasm close", e);
  sgp_session_destroy(&a->s);
  sgp_session_destroy(&b->s);
  sodium_memzero(sk, (size_t)n * 64);
  free(pk), free(sk), free(st_mem), free(rm), free(a), free(b), free(enc), free(msg), free(out);
  free(in.d), free(in.t);
  return res;
}

/* ---- memory ---- */

static void noop_send(void *ctx, uint32_t peer, const uint8_t *src, size_t src_len,
                      const uint8_t *d, size_t len) {
  (void)ctx, (void)peer, (void)src, (void)src_len, (void)d, (void)len;
}

static size_t node_mem(uint32_t n, size_t reasm_bytes) {
  struct sgp_roster r;
  memset(&r, 0, sizeof r);
  r.n = r.cap = n;
  r.sign_pk = xalloc((size_t)n * 32);
  r.dh_pk = xalloc((size_t)n * 32);
  r.addr = xalloc((size_t)n * sizeof *r.addr);
  uint8_t seed[32], dh[32];
  randombytes_buf(seed, sizeof seed);
  randombytes_buf(dh, sizeof dh);
  struct sgp_secret_key key;
  sgp_err e = sgp_secret_key_from_seeds(&key, 0, seed, dh);
  if (e != SGP_OK) bench_die("key", e);
  memcpy(r.sign_pk[0], key.sign_pk, 32);
  memcpy(r.dh_pk[0], key.dh_pk, 32);
  struct sgp_node_config c;
  memset(&c, 0, sizeof c);
  sgp_params_default(&c.params, n);
  c.self = 0;
  c.generation = 1;
  c.roster = &r;
  c.key = &key;
  c.t_gossip_ms = 1000;
  c.reasm_global_bytes = reasm_bytes;
  c.rng = bench_rng;
  c.send = noop_send;
  size_t m = sgp_node_mem_size(&c);
  sodium_memzero(&key, sizeof key);
  free(r.sign_pk), free(r.dh_pk), free(r.addr);
  return m;
}

/* ---- driver ---- */

int sgpbench_scale(const uint32_t *ns, size_t count, int quick) {
  bench_keys();
  printf(
      "receive path per gossip packet (DELTA, all reports new; session recv + reassembly +"
      " decode + verify + merge)\nvs crypto floor on the same bytes (AEAD open per datagram +"
      " one Ed25519 verify per report); ratio = floor time / path time (target >= 50 %%)\n");
  printf("%6s %-6s %5s %7s %5s | %10s %10s %10s %10s | %7s\n", "n", "shape", "k", "bytes", "frags",
         "path us", "floor us", "aead us", "verify us", "ratio");
  int below = 0;
  for (size_t i = 0; i < count; i++) {
    uint32_t n = ns[i];
    uint32_t ks[2] = {(n + 9) / 10, full_k(n, SGP_DEFAULT_BUDGET)};
    if (ks[0] > n - 2) ks[0] = n - 2;
    for (int shape = 0; shape < 2; shape++) {
      uint32_t k = ks[shape];
      /* about the same number of verifies per row: short runs stay short */
      uint32_t iters = (uint32_t)((quick ? 400u : 6000u) / (k ? k : 1));
      if (iters < 9) iters = 9;
      if (iters > 400) iters = 400;
      struct rx_result r = bench_n(n, k, iters);
      double ratio = r.floor_us / r.rx_us;
      below += ratio < 0.5;
      printf("%6u %-6s %5u %7zu %5u | %10.1f %10.1f %10.1f %10.1f | %6.1f%%\n", n,
             shape ? "full" : "steady", k, r.bytes, r.frags, r.rx_us, r.floor_us, r.aead_us,
             r.verify_us, 100.0 * ratio);
      printf("rx,%u,%s,%u,%zu,%u,%.3f,%.3f,%.3f,%.3f,%.4f\n", n, shape ? "full" : "steady", k,
             r.bytes, r.frags, r.rx_us, r.floor_us, r.aead_us, r.verify_us, ratio);
      fflush(stdout);
    }
  }
  printf("receive path target (>= 50 %% of the floor's rate at every n): %s\n",
         below ? "MISSED" : "met");

  printf("\nmemory per node (bytes of caller memory; the node block includes the reassembler)\n");
  printf("%6s | %12s | %16s %16s | %s\n", "n", "state", "node (8 MiB rb)", "node (1 MiB rb)",
         "node <= 16 MiB at default");
  for (size_t i = 0; i < count; i++) {
    uint32_t n = ns[i];
    struct sgp_params p;
    sgp_params_default(&p, n);
    size_t s = sgp_state_mem_size(&p), d = node_mem(n, 0), m = node_mem(n, SGP_REASM_GLOBAL_MIN);
    printf("%6u | %12zu | %16zu %16zu | %s\n", n, s, d, m, d <= 16u << 20 ? "yes" : "NO");
    printf("mem,%u,%zu,%zu,%zu\n", n, s, d, m);
  }
  return 0; /* figures only: a shared machine makes timing assertions flaky */
}
