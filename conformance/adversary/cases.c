/* The adversarial cases (SGP-CONF-4).  Every case names the requirement
 * IDs it checks (cited in a comment above its table row for
 * tools/reqcov/reqcov.py) and the §7.12 counter that must rise: short
 * forms "size", "mac1", ... (sgp_drops_total{reason=...}), "E:SGP_ERR_X"
 * (sgp_packet_drops_total{code=...}), "stale" (sgp_reports_total{result=
 * "stale"}), alternatives separated by '|' (SGP-WIRE-27: one of the codes
 * of the failing step).  main.c checks state, counters, liveness and
 * reassembly memory around each case. */
#define _POSIX_C_SOURCE 200809L

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adv.h"
#include "sgp/carrier.h"
#include "sgp/cookie.h"
#include "sgp/fragment.h"
#include "sgp/jigsaw.h"
#include "sgp/report.h"

/* ---- tiny protobuf writer (hand-made, possibly invalid encodings) ------- */

struct w {
  uint8_t b[4096];
  size_t n;
};
static void put(struct w *w, uint8_t x) {
  if (w->n < sizeof w->b) w->b[w->n++] = x;
}
static void put_varint(struct w *w, uint64_t v) {
  do {
    uint8_t x = (uint8_t)(v & 0x7f);
    v >>= 7;
    put(w, (uint8_t)(x | (v ? 0x80 : 0)));
  } while (v);
}
static void put_bytes(struct w *w, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) put(w, p[i]);
}
static void put_u(struct w *w, unsigned field, uint64_t v) { /* omitted when 0 */
  if (!v) return;
  put_varint(w, field << 3);
  put_varint(w, v);
}
static void put_ld(struct w *w, unsigned field, const struct w *inner) {
  put_varint(w, field << 3 | 2);
  put_varint(w, inner->n);
  put_bytes(w, inner->b, inner->n);
}

/* Report fields, free to be out of range (for the semantic cases). */
struct rep {
  uint32_t origin, gen, seq, susp;
  uint32_t sub[8];
  int nsub;
  uint32_t silent[80];
  int nsilent;
  uint8_t sig[80];
  int siglen;
};

static void rep_sign(struct rep *r, const uint8_t sk[64]) {
  sgp_report_msg m;
  memset(&m, 0, sizeof m);
  m.origin = r->origin;
  m.generation = r->gen;
  m.seq = r->seq;
  m.suspicion = r->susp;
  m.sub_count = (pb_size_t)(r->nsub > 5 ? 5 : r->nsub);
  for (pb_size_t i = 0; i < m.sub_count; i++) m.sub[i] = r->sub[i];
  m.silent_count = (pb_size_t)(r->nsilent > 64 ? 64 : r->nsilent);
  for (pb_size_t i = 0; i < m.silent_count; i++) m.silent[i] = r->silent[i];
  if (sgp_report_sign(&m, sk) == SGP_OK) {
    memcpy(r->sig, m.sig.bytes, 64);
  } else {
    memset(r->sig, 0x11, 64); /* unsignable shape: the semantic check fires first */
  }
  r->siglen = 64;
}

static void rep_init(struct rep *r, struct adv_ident *me, int bump, uint32_t susp) {
  memset(r, 0, sizeof *r);
  if (bump) me->seq++;
  r->origin = me->id;
  r->gen = me->gen;
  r->seq = me->seq;
  r->susp = susp;
  r->nsub = 5;
  for (int i = 0; i < 5; i++) r->sub[i] = susp / 5;
  rep_sign(r, me->key.sign_sk);
  if (bump) me->susp = susp;
}

static void enc_report(struct w *out, const struct rep *r) {
  struct w in = {.n = 0}, run = {.n = 0};
  put_u(&in, 1, r->origin);
  put_u(&in, 2, r->gen);
  put_u(&in, 3, r->seq);
  put_u(&in, 4, r->susp);
  for (int i = 0; i < r->nsub; i++) put_varint(&run, r->sub[i]);
  if (r->nsub) put_ld(&in, 5, &run);
  run.n = 0;
  for (int i = 0; i < r->nsilent; i++) put_varint(&run, r->silent[i]);
  if (r->nsilent) put_ld(&in, 6, &run);
  if (r->siglen) {
    put_varint(&in, 7 << 3 | 2);
    put_varint(&in, (uint64_t)r->siglen);
    put_bytes(&in, r->sig, (size_t)r->siglen);
  }
  put_ld(out, 5, &in);
}

struct dig {
  uint32_t origin, gen, seq;
  uint64_t tag;
};
static void enc_digest(struct w *out, const struct dig *d) {
  struct w in = {.n = 0};
  put_u(&in, 1, d->origin);
  put_u(&in, 2, d->gen);
  put_u(&in, 3, d->seq);
  if (d->tag) {
    put(&in, 0x21);
    for (int i = 0; i < 8; i++) put(&in, (uint8_t)(d->tag >> (8 * i)));
  }
  put_ld(out, 4, &in);
}
static void enc_head(struct w *out, uint32_t version, uint32_t sender, uint32_t kind) {
  out->n = 0;
  put_u(out, 1, version);
  put_u(out, 2, sender);
  put_u(out, 3, kind);
}

static size_t unhex(const char *h, uint8_t *out, size_t cap) {
  size_t n = 0;
  while (h[0] && h[1] && n < cap) {
    if (h[0] == ' ') {
      h++;
      continue;
    }
    unsigned v;
    if (sscanf(h, "%2x", &v) != 1) break;
    out[n++] = (uint8_t)v;
    h += 2;
  }
  return n;
}

static void send_packet(struct adv *a, struct adv_ident *me, const uint8_t *p, size_t n,
                        uint8_t flags) {
  adv_pace(me, 0);
  (void)adv_send_msg(a, me, p, n, flags);
}

/* A genuine keepalive on the identity's session (next counter) into d. */
static int seal_keepalive(struct adv *a, struct adv_ident *me, uint8_t *d, size_t *n) {
  return adv_seal(a, me, 0, 0, 0, 0, 0, NULL, 0, UINT64_MAX, d, n);
}

/* ---- helpers for expectations ------------------------------------------- */

static void expect(struct adv_expect *e, const char *spec) {
  static char store[64][96];
  static int used;
  char tmp[256];
  snprintf(tmp, sizeof tmp, "%s", spec);
  int k = 0;
  for (char *save = NULL, *t = strtok_r(tmp, "|", &save); t && k < ADV_CTR_MAX;
       t = strtok_r(NULL, "|", &save)) {
    char *s = store[used++ % 64];
    if (strncmp(t, "E:", 2) == 0)
      snprintf(s, 96, "sgp_packet_drops_total{code=\"%s\"}", t + 2);
    else if (strcmp(t, "stale") == 0)
      snprintf(s, 96, "sgp_reports_total{result=\"stale\"}");
    else if (strchr(t, '{') || strncmp(t, "sgp_", 4) == 0)
      snprintf(s, 96, "%s", t);
    else
      snprintf(s, 96, "sgp_drops_total{reason=\"%s\"}", t);
    e->ctr[k++] = s;
  }
}

/* The case must change nothing but identity me's own report, which the
 * target must adopt (want 1: seq `seq`; want 2: suspicion `seq`). */
static void expect_adopt(struct adv_expect *e, const struct adv_ident *me, int want, uint32_t seq) {
  e->no_ctr = 1;
  e->allow_change = 1 << me->id;
  e->want_adopt = want;
  e->adopt_id = me->id;
  e->adopt_seq = seq;
}

/* ---- generic cases -------------------------------------------------------- */

/* c->hex sent as one raw datagram from the outsider socket. */
static int c_raw_hex(struct adv *a, struct adv_ident *me, struct adv_expect *e,
                     const struct adv_case *c) {
  (void)me;
  uint8_t d[2048];
  size_t n = unhex(c->hex, d, sizeof d);
  adv_send_raw(a, a->unk_fd, d, n);
  expect(e, c->ctr);
  return 0;
}

/* A datagram of arg bytes (low 16 bits) whose first byte is arg >> 16 and
 * whose reserved byte 1 is set when hex is "r"; the rest zero. */
static int c_raw_len(struct adv *a, struct adv_ident *me, struct adv_expect *e,
                     const struct adv_case *c) {
  (void)me;
  static uint8_t d[4096];
  size_t n = (size_t)(c->arg & 0xffff);
  memset(d, 0, sizeof d);
  if (n) d[0] = (uint8_t)(c->arg >> 16);
  if (c->hex && n > 3) d[(c->hex[0] - '0')] = 1;
  adv_send_raw(a, a->unk_fd, d, n);
  expect(e, c->ctr);
  return 0;
}

/* c->hex as a gossip packet on the identity's session. */
static int c_pkt_hex(struct adv *a, struct adv_ident *me, struct adv_expect *e,
                     const struct adv_case *c) {
  uint8_t p[2048];
  char hx[1024];
  snprintf(hx, sizeof hx, "%s", c->hex);
  /* "SS" stands for our own sender id */
  for (char *q = strstr(hx, "SS"); q; q = strstr(q, "SS")) {
    char t[3];
    snprintf(t, sizeof t, "%02x", me->id);
    q[0] = t[0];
    q[1] = t[1];
  }
  size_t n = unhex(hx, p, sizeof p);
  send_packet(a, me, p, n, 0);
  expect(e, c->ctr);
  return 0;
}

/* A DELTA carrying one report built from our genuine one, mutated per arg. */
enum {
  M_SUSP_5001 = 1,
  M_SUB_1001,
  M_SUB4,
  M_SIG63,
  M_GEN0,
  M_SEQ0,
  M_SILENT_UNSORTED,
  M_SILENT_SELF,
  M_SILENT_RANGE,
  M_ORIGIN_RANGE,
  M_SILENT_OVER_MAX,
  M_SENDER_OTHER,
  M_SENDER_TARGET,
  M_SENDER_RANGE,
  M_VERSION2,
  M_VERSION0,
  M_KIND0,
  M_KIND4,
  M_SYN_WITH_REPORT,
  M_DELTA_NO_REPORT,
  M_DELTA_WITH_DIGEST,
  M_DIGEST_UNSORTED,
  M_REPORTS_DUP,
  M_DIGEST_SEQ0,
  M_SIG65,
  M_SUB6,
};
static int c_mut(struct adv *a, struct adv_ident *me, struct adv_expect *e,
                 const struct adv_case *c) {
  struct rep r;
  struct w p, body = {.n = 0};
  uint32_t version = 1, sender = me->id, kind = 3;
  rep_init(&r, me, 0, me->susp);
  r.seq = me->seq + 1; /* a newer version: only the defect keeps it out */
  int reports = 1;
  struct dig dg[3] = {{a->target, 1, 1, 0x0102030405060708ull}, {a->honest, 1, 1, 1}, {0, 0, 0, 0}};
  int ndig = 0;
  switch (c->arg) {
    case M_SUSP_5001:
      r.susp = 5001;
      break;
    case M_SUB_1001:
      r.sub[2] = 1001;
      break;
    case M_SUB4:
      r.nsub = 4;
      break;
    case M_SUB6:
      r.nsub = 6;
      r.sub[5] = 1;
      break;
    case M_SIG63:
      break;
    case M_SIG65:
      break;
    case M_GEN0:
      r.gen = 0;
      break;
    case M_SEQ0:
      r.seq = 0;
      break;
    case M_SILENT_UNSORTED:
      r.nsilent = 2;
      r.silent[0] = a->honest;
      r.silent[1] = a->target;
      if (r.silent[0] < r.silent[1]) {
        r.silent[0] = a->target;
        r.silent[1] = a->honest;
      }
      break;
    case M_SILENT_SELF:
      r.nsilent = 1;
      r.silent[0] = me->id;
      break;
    case M_SILENT_RANGE:
      r.nsilent = 1;
      r.silent[0] = a->n;
      break;
    case M_ORIGIN_RANGE:
      r.origin = a->n + 3;
      break;
    case M_SILENT_OVER_MAX: /* max_silent of the cluster is 2 (run_adversary.py) */
      r.nsilent = 0;
      for (uint32_t j = 0; j < a->n; j++)
        if (j != me->id) r.silent[r.nsilent++] = j;
      break;
    case M_SENDER_OTHER:
      sender = a->id[0].id == me->id ? a->id[1].id : a->id[0].id;
      break;
    case M_SENDER_TARGET:
      sender = a->target;
      break;
    case M_SENDER_RANGE:
      sender = a->n + 5;
      break;
    case M_VERSION2:
      version = 2;
      break;
    case M_VERSION0:
      version = 0;
      break;
    case M_KIND0:
      kind = 0;
      break;
    case M_KIND4:
      kind = 4;
      break;
    case M_SYN_WITH_REPORT:
      kind = 1;
      ndig = 1;
      break;
    case M_DELTA_NO_REPORT:
      reports = 0;
      break;
    case M_DELTA_WITH_DIGEST:
      ndig = 1;
      break;
    case M_DIGEST_UNSORTED:
      kind = 1;
      reports = 0;
      ndig = 2;
      dg[0].origin = a->honest > a->target ? a->honest : a->target;
      dg[1].origin = a->honest > a->target ? a->target : a->honest;
      break;
    case M_DIGEST_SEQ0:
      kind = 1;
      reports = 0;
      ndig = 1;
      dg[0].seq = 0;
      break;
    case M_REPORTS_DUP:
      reports = 2;
      break;
    default:
      return -1;
  }
  rep_sign(&r, me->key.sign_sk);
  if (c->arg == M_SIG63) r.siglen = 63;
  if (c->arg == M_SIG65) {
    r.siglen = 65;
    r.sig[64] = 1;
  }
  enc_head(&p, version, sender, kind);
  for (int i = 0; i < ndig; i++) enc_digest(&body, &dg[i]);
  for (int i = 0; i < reports; i++) enc_report(&body, &r);
  put_bytes(&p, body.b, body.n);
  send_packet(a, me, p.b, p.n, 0);
  expect(e, c->ctr);
  return 0;
}

/* ---- merge / exchange cases ---------------------------------------------- */

static void delta_of(struct w *p, struct adv_ident *me, const struct rep *rs, int nr) {
  enc_head(p, 1, me->id, 3);
  for (int i = 0; i < nr; i++) enc_report(p, &rs[i]);
}

/* A SYN (kind 1) or ACK (kind 2) from me whose digest is the one entry d. */
static void digest_of(struct w *p, struct adv_ident *me, uint32_t kind, const struct dig *d) {
  enc_head(p, 1, me->id, kind);
  enc_digest(p, d);
}

/* SGP-MERGE-2: a report of another origin signed with our key. */
static int c_forged(struct adv *a, struct adv_ident *me, struct adv_expect *e,
                    const struct adv_case *c) {
  struct rep r[2];
  struct w p;
  int nr = 0;
  uint32_t victim = c->arg == 2 ? a->target : a->honest;
  if (c->arg == 1) { /* a valid newer own report first: must not be adopted either */
    rep_init(&r[nr], me, 0, me->susp);
    r[nr].seq = me->seq + 1;
    rep_sign(&r[nr], me->key.sign_sk);
    nr++;
  }
  struct rep *f = &r[nr++];
  memset(f, 0, sizeof *f);
  f->origin = victim;
  f->gen = c->arg == 3 ? 0x7fffff00u : 0x7ffffff0u; /* far in the future */
  f->seq = 1;
  f->susp = 5000;
  f->nsub = 5;
  for (int i = 0; i < 5; i++) f->sub[i] = 1000;
  rep_sign(f, me->key.sign_sk); /* wrong key: origin is not us */
  if (nr == 2 && r[0].origin > r[1].origin) {
    struct rep t = r[0];
    r[0] = r[1];
    r[1] = t;
  }
  delta_of(&p, me, r, nr);
  send_packet(a, me, p.b, p.n, 0);
  expect(e, "E:SGP_ERR_BAD_SIGNATURE");
  return 0;
}

/* SGP-MERGE-1: stale (older generation) or duplicate own report. */
static int c_stale(struct adv *a, struct adv_ident *me, struct adv_expect *e,
                   const struct adv_case *c) {
  struct rep r;
  struct w p;
  rep_init(&r, me, 0, me->susp);
  if (c->arg == 1) { /* older generation, higher seq, validly signed */
    r.gen = me->gen - 1;
    r.seq = 0x7fffffffu;
    r.susp = 4999;
    rep_sign(&r, me->key.sign_sk);
  }
  delta_of(&p, me, &r, 1);
  send_packet(a, me, p.b, p.n, 0);
  expect(e, "stale");
  return 0;
}

/* SGP-MERGE-6: equivocation at our current version; arg 0 sends a variant
 * with a smaller signature (ignored), arg 1 a greater one (adopted). */
static int c_tie(struct adv *a, struct adv_ident *me, struct adv_expect *e,
                 const struct adv_case *c) {
  struct rep held, v;
  struct w p;
  rep_init(&held, me, 0, me->susp);
  for (uint32_t s = 1; s < 4000; s++) {
    rep_init(&v, me, 0, (me->susp + s) % 2500);
    int cmp = memcmp(v.sig, held.sig, 64);
    if ((c->arg == 0 && cmp < 0) || (c->arg == 1 && cmp > 0)) break;
  }
  delta_of(&p, me, &v, 1);
  send_packet(a, me, p.b, p.n, 0);
  e->no_ctr = 1;
  if (c->arg == 1) {
    expect_adopt(e, me, 2, v.susp); /* suspicion must become v.susp */
    me->susp = v.susp;
  }
  return 0;
}

/* Positive controls: our new report through AONT (arg 1), parity-only
 * delivery (arg 3, SGP-JIG-5), or plain (arg 0). */
static int c_adopt(struct adv *a, struct adv_ident *me, struct adv_expect *e,
                   const struct adv_case *c) {
  struct rep r;
  struct w p;
  rep_init(&r, me, 1, me->susp);
  delta_of(&p, me, &r, 1);
  adv_pace(me, 0);
  if (c->arg == 3) { /* k = 1 with parity: send the parity fragment alone */
    uint8_t m[2048], pt[SGP_FRAG_DATA], d[SGP_DGRAM_MAX + 64];
    size_t ml = 0, pl = 0, dl = 0;
    struct sgp_frag_hdr h;
    uint32_t id = ++me->msg_ctr;
    if (sgp_jig_aont(p.b, p.n, adv_rng, NULL, m, sizeof m, &ml) != SGP_OK ||
        sgp_frag_make(m, ml, 3, id, 1, &h, pt, sizeof pt, &pl) != SGP_OK ||
        adv_seal(a, me, 3, id, h.index, h.count, h.total_len, pt, pl, UINT64_MAX, d, &dl) != 0)
      return -1;
    adv_send_raw(a, me->fd, d, dl);
  } else {
    (void)adv_send_msg(a, me, p.b, p.n, (uint8_t)c->arg);
  }
  expect_adopt(e, me, 1, me->seq);
  return 0;
}

/* ---- session-level datagrams ---------------------------------------------- */

enum {
  S_BAD_TAG = 1,
  S_HDR_TAMPER,
  S_REPLAY,
  S_TOO_OLD,
  S_REJECT_LIMIT,
  S_KA_MSGID,
  S_KA_PAYLOAD,
  S_KA_TOTAL,
  S_FLAGS2_AUTH,
  S_RESERVED_AUTH,
  S_UNKNOWN_INDEX,
};
static int c_sess(struct adv *a, struct adv_ident *me, struct adv_expect *e,
                  const struct adv_case *c) {
  uint8_t d[SGP_DGRAM_MAX + 64], pt[8] = {1, 2, 3, 4, 5};
  size_t n = 0;
  struct sgp_session_peer *p = &me->ss.peers[a->target];
  struct sgp_session *s = &p->slot[p->cur];
  switch (c->arg) {
    case S_BAD_TAG:
      if (seal_keepalive(a, me, d, &n)) return -1;
      d[n - 1] ^= 0x40;
      expect(e, "auth");
      break;
    case S_HDR_TAMPER:
      if (seal_keepalive(a, me, d, &n)) return -1;
      d[19] = 7; /* msg_id of an authenticated keepalive */
      expect(e, "auth");
      break;
    case S_REPLAY:
      if (seal_keepalive(a, me, d, &n)) return -1;
      adv_send_raw(a, me->fd, d, n); /* accepted keepalive ... */
      adv_pump(a, 20);
      expect(e, "replay"); /* ... then the very same bytes again */
      break;
    case S_TOO_OLD: {
      uint64_t old = s->send_ctr;
      if (adv_seal(a, me, 0, 0, 0, 0, 0, NULL, 0, old + 3000, d, &n)) return -1;
      adv_send_raw(a, me->fd, d, n);
      adv_pump(a, 20);
      if (adv_seal(a, me, 0, 0, 0, 0, 0, NULL, 0, old, d, &n)) return -1; /* never used */
      expect(e, "replay");
      break;
    }
    case S_REJECT_LIMIT:
      if (adv_seal(a, me, 0, 0, 0, 0, 0, NULL, 0, SGP_REJECT_AFTER_MESSAGES, d, &n)) return -1;
      expect(e, "expired");
      break;
    case S_KA_MSGID:
      if (adv_seal(a, me, 0, 9, 0, 0, 0, NULL, 0, UINT64_MAX, d, &n)) return -1;
      expect(e, "keepalive");
      break;
    case S_KA_PAYLOAD:
      if (adv_seal(a, me, 0, 0, 0, 0, 0, pt, 5, UINT64_MAX, d, &n)) return -1;
      expect(e, "keepalive");
      break;
    case S_KA_TOTAL:
      if (adv_seal(a, me, 0, 0, 0, 0, 5, NULL, 0, UINT64_MAX, d, &n)) return -1;
      expect(e, "keepalive");
      break;
    case S_FLAGS2_AUTH: /* undefined flags, yet correctly authenticated */
      if (adv_seal(a, me, 0x02, ++me->msg_ctr, 0, 1, 5, pt, 5, UINT64_MAX, d, &n)) return -1;
      expect(e, "reserved");
      break;
    case S_RESERVED_AUTH:
      if (seal_keepalive(a, me, d, &n)) return -1;
      d[2] = 0x80;
      expect(e, "reserved");
      break;
    case S_UNKNOWN_INDEX:
      if (seal_keepalive(a, me, d, &n)) return -1;
      d[4] ^= 0x5a;
      d[5] ^= 0xa5;
      expect(e, "unknown_index");
      break;
    default:
      return -1;
  }
  adv_send_raw(a, me->fd, d, n);
  return 0;
}

/* ---- fragments (authenticated) -------------------------------------------- */

enum {
  F_MSGID0 = 1,
  F_TOTAL0,
  F_TOTAL_OVER,
  F_AONT_SHORT,
  F_COUNT_MISMATCH,
  F_INDEX_GE_COUNT,
  F_WRONG_LEN,
  F_DUPLICATE,
  F_OVERLAP,
  F_INCONS_TOTAL,
  F_INCONS_FLAGS,
  F_DONE,
  F_MISSING,
  F_AONT_GARBAGE,
};
static int c_frag(struct adv *a, struct adv_ident *me, struct adv_expect *e,
                  const struct adv_case *c) {
  static uint8_t pt[SGP_FRAG_DATA];
  uint8_t d[SGP_DGRAM_MAX + 64];
  size_t n = 0;
  uint32_t id = ++me->msg_ctr;
  randombytes_buf(pt, sizeof pt);
#define SEAL(fl, mid, ix, cnt, tot, len)                                               \
  do {                                                                                 \
    if (adv_seal(a, me, fl, mid, ix, cnt, tot, pt, len, UINT64_MAX, d, &n)) return -1; \
    adv_send_raw(a, me->fd, d, n);                                                     \
  } while (0)
  switch (c->arg) {
    case F_MSGID0:
      SEAL(0, 0, 0, 1, 10, 10);
      expect(e, "frag");
      break;
    case F_TOTAL0:
      SEAL(0, id, 0, 1, 0, 0);
      expect(e, "frag|keepalive");
      break;
    case F_TOTAL_OVER:
      SEAL(0, id, 0, 227, 262145, 1158);
      expect(e, "frag");
      break;
    case F_AONT_SHORT:
      SEAL(1, id, 0, 1, 32, 32);
      expect(e, "frag");
      break;
    case F_COUNT_MISMATCH:
      SEAL(0, id, 0, 3, 2000, 1158);
      expect(e, "frag");
      break;
    case F_INDEX_GE_COUNT:
      SEAL(0, id, 2, 2, 2000, 842);
      expect(e, "frag");
      break;
    case F_WRONG_LEN:
      SEAL(0, id, 0, 2, 2000, 1000);
      expect(e, "frag");
      break;
    case F_DUPLICATE:
      SEAL(0, id, 0, 2, 2000, 1158);
      SEAL(0, id, 0, 2, 2000, 1158);
      expect(e, "frag");
      break;
    case F_OVERLAP:
      SEAL(0, id, 0, 2, 2000, 1158);
      pt[5] ^= 1;
      SEAL(0, id, 0, 2, 2000, 1158);
      expect(e, "frag_message");
      break;
    case F_INCONS_TOTAL:
      SEAL(0, id, 0, 2, 2000, 1158);
      SEAL(0, id, 1, 2, 2100, 942);
      expect(e, "frag_message");
      break;
    case F_INCONS_FLAGS:
      SEAL(0, id, 0, 2, 2000, 1158);
      SEAL(1, id, 1, 2, 2000, 842);
      expect(e, "frag_message");
      break;
    case F_DONE: { /* a delivered message's fragment again, on a new counter */
      struct rep r;
      struct w p;
      rep_init(&r, me, 0, me->susp);
      delta_of(&p, me, &r, 1); /* duplicate report: merge ignores it */
      memcpy(pt, p.b, p.n);
      adv_pace(me, 0);
      SEAL(0, id, 0, 1, (uint32_t)p.n, p.n);
      adv_pump(a, 20);
      SEAL(0, id, 0, 1, (uint32_t)p.n, p.n);
      expect(e, "frag");
      break;
    }
    case F_MISSING: /* first of two fragments only: memory reserved now */
      SEAL(0, id, 0, 2, 2000, 1158);
      expect(e, "sgp_reasm_bytes");
      e->min_rise = 2000;
      break;
    case F_AONT_GARBAGE:
      adv_pace(me, 0);
      SEAL(1, id, 0, 1, 100, 100);
      expect(e, "packet");
      break;
    default:
      return -1;
  }
#undef SEAL
  return 0;
}

/* SGP-FRAG-9/-10, §12.3: first fragments of many messages.  arg 0: 40 of
 * T = 262144 plain (the per-peer byte cap); arg 1: 40 of T = 262176 AONT
 * (two peers overflow 1 MiB); arg 2: 12 of T = 2000 (the 4-message cap). */
static int c_flood(struct adv *a, struct adv_ident *me, struct adv_expect *e,
                   const struct adv_case *c) {
  static uint8_t pt[SGP_FRAG_DATA];
  uint8_t d[SGP_DGRAM_MAX + 64];
  size_t n = 0;
  uint32_t total = c->arg == 1 ? 262176u : c->arg == 2 ? 2000u : 262144u;
  uint8_t flags = c->arg == 1 ? 1 : 0, count = c->arg == 2 ? 2 : 227;
  for (int i = 0; i < (c->arg == 2 ? 12 : 40); i++) {
    uint32_t id = ++me->msg_ctr;
    if (adv_seal(a, me, flags, id, 0, count, total, pt, SGP_FRAG_DATA, UINT64_MAX, d, &n))
      return -1;
    adv_send_raw(a, me->fd, d, n);
    if (i % 8 == 7) adv_pump(a, 2);
  }
  expect(e, "frag_message");
  e->min_rise = c->arg ? 1 : 30;
  if (c->arg == 2) e->min_rise = 8; /* 12 messages, 4 kept (SGP-FRAG-9) */
  /* one peer: its own 524352-byte share plus what others hold (the
   * incomplete 2000-byte message of missing_fragment_reserves_memory) */
  if (!c->arg) e->reasm_max = SGP_REASM_PEER_BYTES + 2 * 2000;
  if (c->arg == 2) e->reasm_max = 0;
  return 0;
}

/* ---- handshakes ------------------------------------------------------------ */

static void confirm(struct adv *a, struct adv_ident *me) {
  uint8_t d[64];
  size_t n = 0;
  adv_pump(a, 30);
  if (sgp_session_keepalive(&me->ss, a->target, adv_now(), d, sizeof d, &n) == SGP_OK)
    adv_send_raw(a, me->fd, d, n);
}

static void fix_macs(struct adv *a, uint8_t *m, size_t n) {
  uint8_t k[SGP_MAC_KEY_BYTES];
  sgp_cookie_mac1_key(k, a->dh_pk[a->target]);
  if (sgp_cookie_add_macs(m, n, k, NULL) != SGP_OK) m[0] = 0xee;
}

/* A 100-byte initiation from `sender`: random body, valid macs (so the
 * target gets as far as the sender check or the load bucket). */
static size_t garbage_initiation(struct adv *a, uint8_t *m, uint32_t sender) {
  size_t n = 100;
  randombytes_buf(m, n);
  m[0] = 1;
  m[1] = m[2] = m[3] = 0;
  for (int i = 0; i < 4; i++) m[4 + i] = (uint8_t)(sender >> (24 - 8 * i));
  fix_macs(a, m, n);
  return n;
}

enum {
  H_SENDER_RANGE = 1,
  H_SENDER_SELF,
  H_BAD_AEAD,
  H_REPLAY,
  H_UNKNOWN_KEY,
  H_FLOOD_PEER,
  H_RESPONSE_UNKNOWN_INDEX,
  H_BAD_MAC1,
  H_LOAD,
  H_MAC2_COOKIE,
};
static int c_hs(struct adv *a, struct adv_ident *me, struct adv_expect *e,
                const struct adv_case *c) {
  uint8_t m[SGP_DGRAM_MAX];
  size_t n = 0;
  switch (c->arg) {
    case H_SENDER_RANGE:
    case H_SENDER_SELF: /* valid mac1, garbage Noise: stops at the sender check */
      n = garbage_initiation(a, m, c->arg == H_SENDER_RANGE ? a->n : a->target);
      adv_send_raw(a, a->unk_fd, m, n);
      expect(e, "unknown_peer");
      return 0;
    case H_RESPONSE_UNKNOWN_INDEX:
      n = 92;
      randombytes_buf(m, n);
      m[0] = 2;
      m[1] = m[2] = m[3] = 0;
      fix_macs(a, m, n);
      adv_send_raw(a, a->unk_fd, m, n);
      expect(e, "unknown_index");
      return 0;
    case H_BAD_MAC1:
      if (adv_make_initiation(a, me, NULL, 0, m, &n)) return -1;
      m[n - 20] ^= 1; /* inside mac1 */
      adv_send_raw(a, me->fd, m, n);
      expect(e, "mac1");
      return 0;
    case H_BAD_AEAD:
      if (adv_make_initiation(a, me, NULL, 0, m, &n)) return -1;
      m[50] ^= 1; /* inside the encrypted stamp */
      fix_macs(a, m, n);
      adv_send_raw(a, me->fd, m, n);
      expect(e, "handshake");
      return 0;
    case H_REPLAY: /* accepted once, then the recorded copy again */
      if (adv_make_initiation(a, me, NULL, 0, m, &n)) return -1;
      adv_send_raw(a, me->fd, m, n);
      confirm(a, me);
      adv_send_raw(a, a->unk_fd, m, n);
      expect(e, "stamp");
      return 0;
    case H_UNKNOWN_KEY: { /* claims our roster id with a key not in the roster */
      static struct adv_ident fake;
      static uint8_t pks[ADV_MAXN][32];
      memcpy(pks, a->dh_pk, sizeof pks);
      memcpy(pks[me->id], a->unknown.dh_pk, 32);
      struct sgp_session_config sc;
      memset(&fake, 0, sizeof fake);
      memset(&sc, 0, sizeof sc);
      sc.self = me->id;
      sc.n = a->n;
      sc.dh_sk = a->unknown.dh_sk;
      sc.dh_pk = (const uint8_t(*)[32])pks;
      sc.generation = me->gen + 1;
      sc.rng = adv_rng;
      sc.peers = fake.peers;
      sc.peers_cap = ADV_MAXN;
      sc.index = fake.index;
      sc.index_cap = sgp_session_index_cap(a->n);
      if (sgp_session_init(&fake.ss, &sc, adv_now()) != SGP_OK ||
          sgp_session_initiate(&fake.ss, a->target, NULL, 0, adv_now(), m, sizeof m, &n) != SGP_OK)
        return -1;
      sgp_session_destroy(&fake.ss);
      adv_send_raw(a, a->unk_fd, m, n);
      expect(e, "handshake");
      return 0;
    }
    case H_FLOOD_PEER: /* SGP-XPORT-43: burst 5, then the peer bucket is empty */
      for (int i = 0; i < 8; i++) {
        if (adv_make_initiation(a, me, NULL, 0, m, &n)) return -1;
        adv_send_raw(a, me->fd, m, n);
      }
      confirm(a, me);
      expect(e, "rate");
      e->min_rise = 2;
      return 0;
    case H_LOAD:
    case H_MAC2_COOKIE: { /* 130 mac1-valid initiations: load bucket (100) runs dry */
      uint32_t before = a->cookies_seen;
      for (int i = 0; i < 130; i++) {
        n = garbage_initiation(a, m, a->n);
        adv_send_raw(a, a->unk_fd, m, n);
        if (i % 16 == 15) adv_pump(a, 1);
      }
      adv_pump(a, 30);
      if (a->cookies_seen == before) snprintf(e->note, sizeof e->note, "no cookie reply received");
      expect(e, "cookie");
      return a->cookies_seen == before ? 1 : 0;
    }
    default:
      return -1;
  }
}

/* ---- exchange ---------------------------------------------------------------- */

enum { X_SYN_ANSWERED = 1, X_DIGEST_HINT, X_UNSOLICITED_ACK, X_SYN_FLOOD, X_DELTA_FLOOD };
static int c_xchg(struct adv *a, struct adv_ident *me, struct adv_expect *e,
                  const struct adv_case *c) {
  struct w p;
  struct dig d = {a->honest, 1, 1, 1};
  uint32_t acks = me->rx_kinds[2], deltas = me->rx_kinds[3];
  switch (c->arg) {
    case X_SYN_ANSWERED:
    case X_DIGEST_HINT:
      if (c->arg == X_DIGEST_HINT) d.gen = 0x7ffffff0u; /* claims far newer: a hint only */
      digest_of(&p, me, 1, &d);
      adv_pace(me, 1);
      (void)adv_send_msg(a, me, p.b, p.n, 0);
      adv_pump(a, 150);
      e->no_ctr = 1;
      if (me->rx_kinds[2] == acks) {
        snprintf(e->note, sizeof e->note, "SYN not answered with an ACK");
        return 1;
      }
      return 0;
    case X_UNSOLICITED_ACK: /* SGP-XCHG-12: an ACK to no SYN of the target's */
      digest_of(&p, me, 2, &d);
      e->no_ctr = 1;
      /* The target's own rounds send us SYNs (which we never answer); an ACK
       * within two of its rounds after one would legitimately answer it.
       * Send only when no SYN came for 250 ms (> 2 rounds of <= 110 ms), and
       * retry if one crossed ours. */
      for (int attempt = 0; attempt < 10; attempt++) {
        while (adv_now() < me->last_syn_ms + 250) adv_pump(a, 10);
        deltas = me->rx_kinds[3];
        uint64_t t = adv_now();
        send_packet(a, me, p.b, p.n, 0);
        adv_pump(a, 300);
        if (me->last_syn_ms + 250 > t && me->last_syn_ms < t + 5) continue; /* inconclusive */
        if (me->rx_kinds[3] != deltas) {
          snprintf(e->note, sizeof e->note, "target answered an unsolicited ACK with a DELTA");
          return 1;
        }
        return 0;
      }
      snprintf(e->note, sizeof e->note, "no quiet window to send the ACK in");
      return 1;
    case X_SYN_FLOOD:
      digest_of(&p, me, 1, &d);
      for (int i = 0; i < 6; i++) (void)adv_send_msg(a, me, p.b, p.n, 0);
      adv_pump(a, 50);
      expect(e, "rate");
      e->min_rise = 2;
      me->paced_syn[0] = me->paced_syn[1] = adv_now();
      return 0;
    case X_DELTA_FLOOD: {
      struct rep r;
      rep_init(&r, me, 0, me->susp); /* duplicates of the held report */
      delta_of(&p, me, &r, 1);
      for (int i = 0; i < 9; i++) (void)adv_send_msg(a, me, p.b, p.n, 0);
      expect(e, "rate");
      e->min_rise = 3;
      for (int i = 0; i < 4; i++) me->paced[i] = adv_now();
      return 0;
    }
    default:
      return -1;
  }
}

/* ---- carriers ----------------------------------------------------------------- */

static void embed(uint8_t *samples, size_t stride, const uint8_t *d, size_t len, size_t declared) {
  uint8_t e[2 + SGP_DGRAM_MAX + 8];
  e[0] = (uint8_t)(declared >> 8);
  e[1] = (uint8_t)declared;
  memcpy(e + 2, d, len);
  for (size_t t = 0; t < 8 * (len + 2); t++) {
    uint8_t bit = (uint8_t)((e[t / 8] >> (7 - t % 8)) & 1);
    samples[t * stride] = (uint8_t)((samples[t * stride] & 0xfe) | bit);
  }
}

enum {
  G_PGM_OK = 1,
  G_WAV_OK,
  G_PGM_P6,
  G_PGM_COMMENT,
  G_PGM_MAXVAL,
  G_PGM_LEADING0,
  G_PGM_DIM4097,
  G_PGM_TRAILING,
  G_PGM_SHORT,
  G_PGM_LEN0,
  G_PGM_LEN1201,
  G_PGM_OVER_CAP,
  G_PGM_TYPE7,
  G_WAV_RIFF,
  G_WAV_ODD,
  G_WAV_RATE,
  G_WAV_FORMAT,
};
static int c_carrier(struct adv *a, struct adv_ident *me, struct adv_expect *e,
                     const struct adv_case *c) {
  static uint8_t f[40000];
  uint8_t d[SGP_DGRAM_MAX + 64];
  size_t dl = 0, n = 0;
  int wav = c->arg == G_WAV_OK || c->arg >= G_WAV_RIFF;
  int fd = a->unk_fd;
  /* payload: a sealed DELTA with a new own report (positive cases) or a keepalive */
  if (c->arg == G_PGM_OK || c->arg == G_WAV_OK) {
    struct rep r;
    struct w p;
    rep_init(&r, me, 1, me->susp);
    delta_of(&p, me, &r, 1);
    adv_pace(me, 0);
    uint32_t id = ++me->msg_ctr;
    if (adv_seal(a, me, 0, id, 0, 1, (uint32_t)p.n, p.b, p.n, UINT64_MAX, d, &dl)) return -1;
    fd = me->fd;
    expect_adopt(e, me, 1, me->seq);
  } else {
    if (seal_keepalive(a, me, d, &dl)) return -1;
    if (c->arg == G_PGM_TYPE7) d[0] = 7;
    expect(e, c->arg == G_PGM_TYPE7 ? "type" : "carrier");
  }
  size_t declared = dl;
  if (c->arg == G_PGM_LEN0) declared = 0;
  if (c->arg == G_PGM_LEN1201) declared = 1201;
  if (!wav) {
    uint32_t w = 128, h = 76;
    if (c->arg == G_PGM_OVER_CAP) h = 4;
    if (c->arg == G_PGM_DIM4097) {
      w = 4097;
      h = 3;
    }
    int hl;
    if (c->arg == G_PGM_P6)
      hl = snprintf((char *)f, 64, "P6\n%u %u\n255\n", w, h);
    else if (c->arg == G_PGM_COMMENT)
      hl = snprintf((char *)f, 64, "P5\n#c\n%u %u\n255\n", w, h);
    else if (c->arg == G_PGM_MAXVAL)
      hl = snprintf((char *)f, 64, "P5\n%u %u\n254\n", w, h);
    else if (c->arg == G_PGM_LEADING0)
      hl = snprintf((char *)f, 64, "P5\n0%u %u\n255\n", w, h);
    else
      hl = snprintf((char *)f, 64, "P5\n%u %u\n255\n", w, h);
    size_t raster = (size_t)w * h;
    randombytes_buf(f + hl, raster);
    if (c->arg == G_PGM_OVER_CAP) declared = 100; /* capacity 512/8-2 = 62 */
    embed(f + hl, 1, d, c->arg == G_PGM_OVER_CAP ? 40 : dl, declared);
    n = (size_t)hl + raster;
    if (c->arg == G_PGM_TRAILING) f[n++] = 0;
    if (c->arg == G_PGM_SHORT) n -= 1;
  } else {
    size_t samples = 8 * (dl + 2) + 16;
    uint32_t data_len = (uint32_t)(2 * samples), rate = 8000;
    if (c->arg == G_WAV_RATE) rate = 7999;
    memcpy(f, "RIFF", 4);
    uint32_t v[] = {36 + data_len, 0, 0, 16};
    for (int i = 0; i < 4; i++) f[4 + i] = (uint8_t)(v[0] >> (8 * i));
    if (c->arg == G_WAV_RIFF) f[4] ^= 2;
    memcpy(f + 8, "WAVEfmt ", 8);
    f[16] = 16, f[17] = f[18] = f[19] = 0;
    f[20] = c->arg == G_WAV_FORMAT ? 3 : 1, f[21] = 0;
    f[22] = 1, f[23] = 0;
    for (int i = 0; i < 4; i++) f[24 + i] = (uint8_t)(rate >> (8 * i));
    for (int i = 0; i < 4; i++) f[28 + i] = (uint8_t)((rate * 2) >> (8 * i));
    f[32] = 2, f[33] = 0, f[34] = 16, f[35] = 0;
    memcpy(f + 36, "data", 4);
    uint32_t dlen = c->arg == G_WAV_ODD ? data_len - 1 : data_len;
    for (int i = 0; i < 4; i++) f[40 + i] = (uint8_t)(dlen >> (8 * i));
    randombytes_buf(f + 44, data_len);
    embed(f + 44, 2, d, dl, declared);
    n = 44 + dlen;
  }
  adv_send_raw(a, fd, f, n);
  return 0;
}

/* ---- the table --------------------------------------------------------------- */

#define R(name, reqs, id, fn, arg, hex, ctr) \
  { name, reqs, id, fn, arg, hex, ctr }

const struct adv_case adv_cases[] = {
    /* ---- outsider datagrams (no keys) ---- */
    /* SGP-XPORT-13 SGP-XPORT-12 SGP-XPORT-51 */
    R("oversized_datagram_1201", "SGP-XPORT-13,SGP-XPORT-51", 0, c_raw_len, 0x40000 | 1201, NULL,
      "size"),
    R("oversized_initiation_1500", "SGP-XPORT-13", 0, c_raw_len, 0x10000 | 1500, NULL, "size"),
    /* SGP-XPORT-13: shorter than the type's minimum */
    R("truncated_initiation_99", "SGP-XPORT-13,SGP-XPORT-3", 0, c_raw_len, 0x10000 | 99, NULL,
      "size"),
    R("truncated_response_91", "SGP-XPORT-13", 0, c_raw_len, 0x20000 | 91, NULL, "size"),
    R("truncated_data_41", "SGP-XPORT-13", 0, c_raw_len, 0x40000 | 41, NULL, "size"),
    R("truncated_data_type_only", "SGP-XPORT-13", 0, c_raw_len, 0x40000 | 1, NULL, "size"),
    /* SGP-XPORT-47 */
    R("cookie_reply_63_bytes", "SGP-XPORT-47,SGP-XPORT-13", 0, c_raw_len, 0x30000 | 63, NULL,
      "size"),
    R("cookie_reply_65_bytes", "SGP-XPORT-47", 0, c_raw_len, 0x30000 | 65, NULL, "size"),
    /* SGP-CARRIER-3: first byte matches no carrier */
    R("type_byte_0", "SGP-CARRIER-3,SGP-XPORT-13", 0, c_raw_len, 0x00000 | 100, NULL, "carrier"),
    R("type_byte_5", "SGP-CARRIER-3,SGP-XPORT-13", 0, c_raw_len, 0x50000 | 100, NULL, "carrier"),
    R("type_byte_255", "SGP-CARRIER-3", 0, c_raw_len, 0xff0000 | 64, NULL, "carrier"),
    R("empty_datagram", "SGP-CARRIER-3,SGP-NODE-13", 0, c_raw_len, 0, NULL, "carrier|size"),
    /* SGP-XPORT-13: reserved bytes */
    R("reserved_byte_initiation", "SGP-XPORT-13", 0, c_raw_len, 0x10000 | 100, "1", "reserved"),
    R("reserved_byte_response", "SGP-XPORT-13", 0, c_raw_len, 0x20000 | 92, "2", "reserved"),
    R("reserved_byte_cookie_reply", "SGP-XPORT-13", 0, c_raw_len, 0x30000 | 64, "3", "reserved"),
    R("reserved_byte_data", "SGP-XPORT-13", 0, c_raw_len, 0x40000 | 42, "2", "reserved"),
    /* SGP-JIG-1: undefined flags (checked before authentication) */
    R("data_flags_0x02", "SGP-JIG-1,SGP-XPORT-13", 0, c_raw_hex, 0,
      "0402000000000001000000000000000000000001000100000005"
      "00000000000000000000000000000000",
      "reserved"),
    R("data_flags_0x80", "SGP-JIG-1,SGP-XPORT-13", 0, c_raw_hex, 0,
      "0480000000000001000000000000000000000001000100000005"
      "00000000000000000000000000000000",
      "reserved"),
    /* SGP-XPORT-19 SGP-XPORT-52 */
    R("bad_mac1_initiation", "SGP-XPORT-19,SGP-XPORT-52,SGP-SEC-2", 0, c_hs, H_BAD_MAC1, NULL,
      NULL),
    R("bad_mac1_garbage_response", "SGP-XPORT-19", 0, c_raw_len, 0x20000 | 92, NULL, "mac1"),
    /* SGP-XPORT-20 */
    R("initiation_sender_not_in_roster", "SGP-XPORT-20,SGP-SEC-2", 0, c_hs, H_SENDER_RANGE, NULL,
      NULL),
    R("initiation_sender_is_receiver", "SGP-XPORT-20", 0, c_hs, H_SENDER_SELF, NULL, NULL),
    /* SGP-REPLAY-8 */
    R("response_unknown_index", "SGP-REPLAY-8,SGP-XPORT-52", 0, c_hs, H_RESPONSE_UNKNOWN_INDEX,
      NULL, NULL),
    /* SGP-XPORT-48 */
    R("cookie_reply_unknown_index", "SGP-XPORT-48,SGP-XPORT-52", 0, c_raw_len, 0x30000 | 64, NULL,
      "unknown_index"),
    R("data_unknown_index_outsider", "SGP-XPORT-52,SGP-XPORT-49", 0, c_raw_len, 0x40000 | 58, NULL,
      "unknown_index"),
    /* ---- handshakes with keys ---- */
    /* SGP-XPORT-3 SGP-XPORT-49 */
    R("initiation_bad_aead_tag", "SGP-XPORT-3,SGP-XPORT-49", 0, c_hs, H_BAD_AEAD, NULL, NULL),
    /* SGP-XPORT-8 SGP-SEC-2: a key that is not the roster's */
    R("unknown_key_initiation", "SGP-XPORT-8,SGP-XPORT-3,SGP-SEC-2", 1, c_hs, H_UNKNOWN_KEY, NULL,
      NULL),
    /* SGP-REPLAY-5 */
    R("replayed_initiation_old_stamp", "SGP-REPLAY-5", 0, c_hs, H_REPLAY, NULL, NULL),
    /* ---- data messages on a session ---- */
    /* SGP-XPORT-30 SGP-XPORT-49 */
    R("data_bad_aead_tag", "SGP-XPORT-30,SGP-XPORT-49,SGP-REPLAY-1", 0, c_sess, S_BAD_TAG, NULL,
      NULL),
    R("data_header_tampered", "SGP-XPORT-30,SGP-FRAG-5", 1, c_sess, S_HDR_TAMPER, NULL, NULL),
    /* SGP-REPLAY-3 */
    R("replayed_data_counter", "SGP-REPLAY-3,SGP-REPLAY-1", 0, c_sess, S_REPLAY, NULL, NULL),
    R("counter_far_behind_window", "SGP-REPLAY-3,SGP-REPLAY-1", 1, c_sess, S_TOO_OLD, NULL, NULL),
    /* SGP-REPLAY-2 SGP-XPORT-35 */
    R("counter_at_reject_after_messages", "SGP-REPLAY-2,SGP-XPORT-35", 0, c_sess, S_REJECT_LIMIT,
      NULL, NULL),
    /* SGP-XPORT-32 */
    R("keepalive_nonzero_msg_id", "SGP-XPORT-32", 1, c_sess, S_KA_MSGID, NULL, NULL),
    R("keepalive_with_payload", "SGP-XPORT-32", 0, c_sess, S_KA_PAYLOAD, NULL, NULL),
    R("keepalive_nonzero_total_len", "SGP-XPORT-32", 1, c_sess, S_KA_TOTAL, NULL, NULL),
    /* SGP-JIG-1 SGP-JIG-7 */
    R("authenticated_undefined_flags", "SGP-JIG-1,SGP-JIG-7", 0, c_sess, S_FLAGS2_AUTH, NULL, NULL),
    R("authenticated_reserved_byte", "SGP-XPORT-13", 1, c_sess, S_RESERVED_AUTH, NULL, NULL),
    R("data_unknown_receiver_index", "SGP-XPORT-52", 0, c_sess, S_UNKNOWN_INDEX, NULL, NULL),
    /* ---- fragments ---- */
    /* SGP-FRAG-5 */
    R("fragment_msg_id_0", "SGP-FRAG-5", 1, c_frag, F_MSGID0, NULL, NULL),
    R("fragment_total_len_0", "SGP-FRAG-5,SGP-XPORT-32", 0, c_frag, F_TOTAL0, NULL, NULL),
    R("fragment_total_len_over_max", "SGP-FRAG-5,SGP-PARAM-6", 1, c_frag, F_TOTAL_OVER, NULL, NULL),
    R("fragment_aont_total_below_33", "SGP-FRAG-5", 0, c_frag, F_AONT_SHORT, NULL, NULL),
    R("fragment_count_mismatch", "SGP-FRAG-5", 1, c_frag, F_COUNT_MISMATCH, NULL, NULL),
    R("fragment_index_ge_count", "SGP-FRAG-5", 0, c_frag, F_INDEX_GE_COUNT, NULL, NULL),
    R("fragment_wrong_length", "SGP-FRAG-5", 1, c_frag, F_WRONG_LEN, NULL, NULL),
    /* SGP-FRAG-7 */
    R("duplicate_fragment", "SGP-FRAG-7", 0, c_frag, F_DUPLICATE, NULL, NULL),
    /* SGP-FRAG-6 */
    R("overlapping_fragment_different_bytes", "SGP-FRAG-6", 1, c_frag, F_OVERLAP, NULL, NULL),
    R("inconsistent_total_len", "SGP-FRAG-6", 0, c_frag, F_INCONS_TOTAL, NULL, NULL),
    R("inconsistent_flags", "SGP-FRAG-6,SGP-JIG-7", 1, c_frag, F_INCONS_FLAGS, NULL, NULL),
    /* SGP-FRAG-12 SGP-FRAG-13 */
    R("fragment_of_done_message", "SGP-FRAG-12,SGP-FRAG-13", 0, c_frag, F_DONE, NULL, NULL),
    /* SGP-FRAG-9: the 4-message cap per peer */
    R("fragment_flood_small_messages", "SGP-FRAG-9", 0, c_flood, 2, NULL, NULL),
    /* SGP-FRAG-8 (the timeout half is checked at the end of the run, SGP-FRAG-11) */
    R("missing_fragment_reserves_memory", "SGP-FRAG-8", 1, c_frag, F_MISSING, NULL, NULL),
    R("aont_garbage_message", "SGP-JIG-4,SGP-WIRE-31", 0, c_frag, F_AONT_GARBAGE, NULL, NULL),
    /* SGP-FRAG-9 SGP-FRAG-10 SGP-SEC-3 */
    R("fragment_flood_one_peer", "SGP-FRAG-9,SGP-SEC-3", 0, c_flood, 0, NULL, NULL),
    R("fragment_flood_second_peer_global_cap", "SGP-FRAG-10,SGP-SEC-3", 1, c_flood, 1, NULL, NULL),
    /* SGP-JIG-4 SGP-JIG-5 (positive controls) */
    R("aont_message_accepted", "SGP-JIG-4,SGP-JIG-2", 0, c_adopt, 1, NULL, NULL),
    R("parity_fragment_alone_rebuilds", "SGP-JIG-5,SGP-FRAG-13", 1, c_adopt, 3, NULL, NULL),
    R("plain_delta_adopted", "SGP-XCHG-10,SGP-MERGE-4", 0, c_adopt, 0, NULL, NULL),
    /* ---- gossip packet structure (SGP-WIRE-2..12) ---- */
    /* SGP-WIRE-2 */
    R("nonminimal_varint", "SGP-WIRE-2,SGP-WIRE-31", 0, c_pkt_hex, 0, "088100 10SS 1803",
      "E:SGP_ERR_VARINT"),
    R("varint_11_bytes", "SGP-WIRE-2", 1, c_pkt_hex, 0, "08ffffffffffffffffffff01 10SS",
      "E:SGP_ERR_VARINT"),
    R("tag_fixed64_truncated", "SGP-WIRE-2", 0, c_pkt_hex, 0, "0801 10SS 1801 22 03 21 0102",
      "E:SGP_ERR_TRUNCATED"),
    /* SGP-WIRE-8 */
    R("uint32_overflow", "SGP-WIRE-8", 1, c_pkt_hex, 0, "088080808010 10SS 1803",
      "E:SGP_ERR_RANGE"),
    /* SGP-WIRE-3 */
    R("wrong_wire_type", "SGP-WIRE-3", 0, c_pkt_hex, 0, "090100000000000000 10SS",
      "E:SGP_ERR_WIRE_TYPE"),
    R("unpacked_repeated_sub", "SGP-WIRE-3", 1, c_pkt_hex, 0,
      "0801 10SS 1803 2a 0a 08SS 1001 1801 2801 2801", "E:SGP_ERR_WIRE_TYPE"),
    /* SGP-WIRE-4 */
    R("unknown_field_9", "SGP-WIRE-4", 0, c_pkt_hex, 0, "0801 10SS 1803 4801",
      "E:SGP_ERR_UNKNOWN_FIELD"),
    R("field_number_0", "SGP-WIRE-4", 1, c_pkt_hex, 0, "0001 0801 10SS", "E:SGP_ERR_UNKNOWN_FIELD"),
    R("trailing_zero_byte", "SGP-WIRE-4,SGP-WIRE-2", 0, c_pkt_hex, 0, "0801 10SS 1801 2202 1001 00",
      "E:SGP_ERR_UNKNOWN_FIELD|E:SGP_ERR_TRUNCATED"),
    /* SGP-WIRE-5 */
    R("field_order", "SGP-WIRE-5", 1, c_pkt_hex, 0, "10SS 0801 1801 2202 1001",
      "E:SGP_ERR_FIELD_ORDER"),
    /* SGP-WIRE-6 */
    R("duplicate_field", "SGP-WIRE-6", 0, c_pkt_hex, 0, "0801 0801 10SS 1801 2202 1001",
      "E:SGP_ERR_DUPLICATE_FIELD"),
    /* SGP-WIRE-7 */
    R("default_value_present", "SGP-WIRE-7", 1, c_pkt_hex, 0, "0801 10SS 1801 2204 0800 1001",
      "E:SGP_ERR_DEFAULT_PRESENT"),
    R("empty_packed_run", "SGP-WIRE-7", 0, c_pkt_hex, 0, "0801 10SS 1803 2a 04 08SS 2a00",
      "E:SGP_ERR_DEFAULT_PRESENT"),
    /* SGP-WIRE-11 SGP-WIRE-9 */
    R("length_prefix_overrun", "SGP-WIRE-11", 1, c_pkt_hex, 0, "0801 10SS 1801 2209 1001",
      "E:SGP_ERR_TRUNCATED"),
    R("packed_run_ends_in_varint", "SGP-WIRE-9", 0, c_pkt_hex, 0,
      "0801 10SS 1803 2a 05 08SS 2a 01 80", "E:SGP_ERR_TRUNCATED"),
    /* SGP-WIRE-10 */
    R("six_sub_scores", "SGP-WIRE-10", 1, c_mut, M_SUB6, NULL, "E:SGP_ERR_TOO_MANY"),
    R("sig_65_bytes", "SGP-WIRE-10", 0, c_mut, M_SIG65, NULL, "E:SGP_ERR_TOO_LARGE"),
    /* ---- semantics (SGP-WIRE-13..23), validly signed where possible ---- */
    R("version_2", "SGP-WIRE-13", 1, c_mut, M_VERSION2, NULL, "E:SGP_ERR_VERSION"),
    R("version_absent", "SGP-WIRE-13,SGP-WIRE-28", 0, c_mut, M_VERSION0, NULL, "E:SGP_ERR_VERSION"),
    R("kind_absent", "SGP-WIRE-14", 1, c_mut, M_KIND0, NULL, "E:SGP_ERR_KIND"),
    R("kind_4", "SGP-WIRE-14", 0, c_mut, M_KIND4, NULL, "E:SGP_ERR_KIND"),
    R("syn_with_reports", "SGP-WIRE-14", 1, c_mut, M_SYN_WITH_REPORT, NULL, "E:SGP_ERR_KIND"),
    R("delta_without_reports", "SGP-WIRE-14,SGP-XCHG-5", 0, c_mut, M_DELTA_NO_REPORT, NULL,
      "E:SGP_ERR_KIND"),
    R("delta_with_digest", "SGP-WIRE-14", 1, c_mut, M_DELTA_WITH_DIGEST, NULL, "E:SGP_ERR_KIND"),
    R("digest_unsorted", "SGP-WIRE-15", 0, c_mut, M_DIGEST_UNSORTED, NULL, "E:SGP_ERR_ORDER"),
    R("reports_same_origin_twice", "SGP-WIRE-16,SGP-MERGE-13", 1, c_mut, M_REPORTS_DUP, NULL,
      "E:SGP_ERR_ORDER"),
    R("silent_row_unsorted", "SGP-WIRE-21,SGP-DATA-4", 0, c_mut, M_SILENT_UNSORTED, NULL,
      "E:SGP_ERR_ORDER"),
    R("silent_row_contains_origin", "SGP-WIRE-23,SGP-DATA-4", 1, c_mut, M_SILENT_SELF, NULL,
      "E:SGP_ERR_SELF_SILENT"),
    R("silent_id_out_of_range", "SGP-WIRE-17", 0, c_mut, M_SILENT_RANGE, NULL, "E:SGP_ERR_NODE_ID"),
    R("report_origin_out_of_range", "SGP-WIRE-17", 1, c_mut, M_ORIGIN_RANGE, NULL,
      "E:SGP_ERR_NODE_ID"),
    R("sender_out_of_range", "SGP-WIRE-17", 0, c_mut, M_SENDER_RANGE, NULL, "E:SGP_ERR_NODE_ID"),
    R("suspicion_5001", "SGP-WIRE-19,SGP-DATA-1", 1, c_mut, M_SUSP_5001, NULL, "E:SGP_ERR_RANGE"),
    R("sub_score_1001", "SGP-WIRE-19,SGP-DATA-3", 0, c_mut, M_SUB_1001, NULL, "E:SGP_ERR_RANGE"),
    R("four_sub_scores", "SGP-WIRE-20,SGP-DATA-3", 1, c_mut, M_SUB4, NULL, "E:SGP_ERR_SUB_COUNT"),
    R("sig_63_bytes", "SGP-WIRE-22", 0, c_mut, M_SIG63, NULL, "E:SGP_ERR_SIG_LEN"),
    R("generation_0", "SGP-WIRE-18", 1, c_mut, M_GEN0, NULL, "E:SGP_ERR_RANGE"),
    R("seq_0", "SGP-WIRE-18", 0, c_mut, M_SEQ0, NULL, "E:SGP_ERR_RANGE"),
    R("digest_seq_0", "SGP-WIRE-18", 1, c_mut, M_DIGEST_SEQ0, NULL, "E:SGP_ERR_RANGE"),
    /* SGP-MERGE-11 (cluster max_silent = 2) */
    R("silent_row_over_max_silent", "SGP-MERGE-11", 0, c_mut, M_SILENT_OVER_MAX, NULL,
      "E:SGP_ERR_TOO_MANY"),
    /* SGP-XCHG-11 SGP-FRAG-15 */
    R("sender_field_mismatch", "SGP-XCHG-11,SGP-FRAG-15", 1, c_mut, M_SENDER_OTHER, NULL,
      "E:SGP_ERR_SENDER"),
    /* SGP-MERGE-8 */
    R("sender_is_receiver", "SGP-MERGE-8,SGP-XCHG-11", 0, c_mut, M_SENDER_TARGET, NULL,
      "E:SGP_ERR_SENDER"),
    /* ---- merge ---- */
    /* SGP-MERGE-2 SGP-REPORT-3 SGP-CONS-7 */
    R("forged_report_for_another_node", "SGP-MERGE-2,SGP-REPORT-3,SGP-CONS-7", 1, c_forged, 0, NULL,
      NULL),
    /* SGP-MERGE-7 SGP-STATE-8 */
    R("forged_report_rejects_whole_packet", "SGP-MERGE-7,SGP-STATE-8,SGP-MERGE-2", 0, c_forged, 1,
      NULL, NULL),
    /* SGP-MERGE-9 must not fire on an unverified own-origin report */
    R("forged_report_of_receiver_origin", "SGP-MERGE-2,SGP-MERGE-9,SGP-STATE-7", 1, c_forged, 2,
      NULL, NULL),
    R("future_generation_of_another_node", "SGP-MERGE-2,SGP-STATE-8", 0, c_forged, 3, NULL, NULL),
    /* SGP-MERGE-1 */
    R("stale_generation_report", "SGP-MERGE-1,SGP-DATA-5", 1, c_stale, 1, NULL, NULL),
    R("duplicate_report_replayed", "SGP-MERGE-1,SGP-MERGE-5", 0, c_stale, 0, NULL, NULL),
    /* SGP-MERGE-6 */
    R("equivocation_smaller_signature_ignored", "SGP-MERGE-6,SGP-MERGE-5", 1, c_tie, 0, NULL, NULL),
    R("equivocation_greater_signature_adopted", "SGP-MERGE-6,SGP-MERGE-3", 0, c_tie, 1, NULL, NULL),
    /* ---- exchange ---- */
    /* SGP-XCHG-2 */
    R("syn_answered_with_ack", "SGP-XCHG-2", 1, c_xchg, X_SYN_ANSWERED, NULL, NULL),
    /* SGP-XCHG-9 */
    R("digest_claims_newer_version", "SGP-XCHG-9,SGP-CONS-7", 0, c_xchg, X_DIGEST_HINT, NULL, NULL),
    /* SGP-XCHG-12 */
    R("unsolicited_ack_gets_no_delta", "SGP-XCHG-12,SGP-XCHG-10", 1, c_xchg, X_UNSOLICITED_ACK,
      NULL, NULL),
    /* SGP-XCHG-13 */
    R("too_many_syns_per_round", "SGP-XCHG-13", 0, c_xchg, X_SYN_FLOOD, NULL, NULL),
    R("too_many_deltas_per_round", "SGP-XCHG-13", 1, c_xchg, X_DELTA_FLOOD, NULL, NULL),
    /* ---- carriers ---- */
    /* SGP-CARRIER-3 SGP-CARRIER-4 (positive) */
    R("lsb_pgm_frame_accepted", "SGP-CARRIER-3,SGP-CARRIER-4", 0, c_carrier, G_PGM_OK, NULL, NULL),
    R("lsb_wav_frame_accepted", "SGP-CARRIER-3,SGP-CARRIER-4", 1, c_carrier, G_WAV_OK, NULL, NULL),
    /* SGP-CARRIER-10 SGP-CARRIER-6 SGP-CARRIER-13 */
    R("pgm_magic_P6", "SGP-CARRIER-3", 0, c_carrier, G_PGM_P6, NULL, NULL),
    R("pgm_comment", "SGP-CARRIER-10,SGP-CARRIER-6", 1, c_carrier, G_PGM_COMMENT, NULL, NULL),
    R("pgm_maxval_254", "SGP-CARRIER-10,SGP-CARRIER-13", 0, c_carrier, G_PGM_MAXVAL, NULL, NULL),
    R("pgm_dim_leading_zero", "SGP-CARRIER-10,SGP-CARRIER-13", 1, c_carrier, G_PGM_LEADING0, NULL,
      NULL),
    R("pgm_dim_4097", "SGP-CARRIER-10,SGP-CARRIER-13", 0, c_carrier, G_PGM_DIM4097, NULL, NULL),
    R("pgm_trailing_byte", "SGP-CARRIER-10,SGP-CARRIER-13", 1, c_carrier, G_PGM_TRAILING, NULL,
      NULL),
    R("pgm_short_raster", "SGP-CARRIER-10,SGP-CARRIER-13", 0, c_carrier, G_PGM_SHORT, NULL, NULL),
    /* SGP-CARRIER-5 */
    R("pgm_embedded_length_0", "SGP-CARRIER-5,SGP-CARRIER-13", 1, c_carrier, G_PGM_LEN0, NULL,
      NULL),
    R("pgm_embedded_length_1201", "SGP-CARRIER-5,SGP-CARRIER-13", 0, c_carrier, G_PGM_LEN1201, NULL,
      NULL),
    R("pgm_embedded_over_capacity", "SGP-CARRIER-5,SGP-CARRIER-13", 1, c_carrier, G_PGM_OVER_CAP,
      NULL, NULL),
    R("pgm_wrapping_type_7", "SGP-XPORT-13,SGP-CARRIER-3", 0, c_carrier, G_PGM_TYPE7, NULL, NULL),
    /* SGP-CARRIER-11 */
    R("wav_riff_size_wrong", "SGP-CARRIER-11,SGP-CARRIER-13", 1, c_carrier, G_WAV_RIFF, NULL, NULL),
    R("wav_odd_data_len", "SGP-CARRIER-11,SGP-CARRIER-13", 0, c_carrier, G_WAV_ODD, NULL, NULL),
    R("wav_sample_rate_7999", "SGP-CARRIER-11,SGP-CARRIER-13", 1, c_carrier, G_WAV_RATE, NULL,
      NULL),
    R("wav_not_pcm", "SGP-CARRIER-11", 0, c_carrier, G_WAV_FORMAT, NULL, NULL),
    /* ---- floods last: they drain buckets ---- */
    /* SGP-XPORT-43 */
    R("handshake_flood_peer_bucket", "SGP-XPORT-43,SGP-XPORT-51", 1, c_hs, H_FLOOD_PEER, NULL,
      NULL),
    /* SGP-XPORT-44 SGP-XPORT-45 */
    R("handshake_flood_cookie_mode", "SGP-XPORT-44,SGP-XPORT-45,SGP-SEC-2", 0, c_hs, H_LOAD, NULL,
      NULL),
};
const size_t adv_ncases = sizeof adv_cases / sizeof adv_cases[0];
