/* The decoding pipeline of `sgp inspect` (contract in inspect.h). */
#include "inspect.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sgp/carrier.h"
#include "sgp/cookie.h"
#include "sgp/jigsaw.h"
#include "sgp/noise.h"
#include "sgp/replay.h"
#include "sgp/report.h"
#include "sgp/session.h"

static const char *kind_name(uint32_t k) {
  static const char *const names[] = {"UNSPECIFIED", "SYN", "ACK", "DELTA"};
  return k < 4 ? names[k] : "?";
}

sgp_err sgpi_inspect_init(struct sgpi_inspect *in, const struct sgpi_keylog *kl,
                          const struct sgp_roster *roster, FILE *out) {
  SGP_ENSURE(in && kl && out, SGP_ERR_INVALID_ARG);
  memset(in, 0, sizeof *in);
  in->kl = kl;
  in->roster = roster;
  in->out = out;
  uint32_t peers = kl->max_node + 1u;
  if (roster != NULL && roster->n > peers) peers = roster->n;
  struct sgp_reasm_params p;
  sgp_reasm_params_default(&p, peers);
  p.max_sessions = kl->count > 0 ? (uint32_t)kl->count : 1u;
  size_t mem = sgp_reasm_mem_size(&p);
  SGP_ENSURE(mem > 0, SGP_ERR_RANGE);
  in->reasm_mem = aligned_alloc(64, (mem + 63u) & ~(size_t)63u);
  in->sid = calloc(kl->count > 0 ? kl->count : 1u, sizeof *in->sid);
  in->seen = calloc(kl->count > 0 ? kl->count : 1u, sizeof *in->seen);
  in->pkt = malloc(sizeof *in->pkt);
  in->msg = malloc(SGP_FRAG_MAX_MESSAGE);
  if (in->reasm_mem == NULL || in->sid == NULL || in->seen == NULL || in->pkt == NULL ||
      in->msg == NULL) {
    sgpi_inspect_free(in);
    return SGP_ERR_NO_SPACE;
  }
  sgp_err e = sgp_reasm_init(&in->reasm, in->reasm_mem, mem, &p);
  if (e != SGP_OK) sgpi_inspect_free(in);
  return e;
}

void sgpi_inspect_free(struct sgpi_inspect *in) {
  free(in->reasm_mem);
  free(in->sid);
  free(in->seen);
  free(in->pkt);
  if (in->msg != NULL) sodium_memzero(in->msg, SGP_FRAG_MAX_MESSAGE);
  free(in->msg);
  in->reasm_mem = NULL;
  in->sid = NULL;
  in->seen = NULL;
  in->pkt = NULL;
  in->msg = NULL;
}

/* ---- output helpers ------------------------------------------------------------ */

static void addr_text(uint8_t family, const uint8_t *ip, uint16_t port, char *out, size_t cap) {
  char a[INET6_ADDRSTRLEN];
  if (inet_ntop(family == 4 ? AF_INET : AF_INET6, ip, a, sizeof a) == NULL) {
    (void)snprintf(a, sizeof a, "?");
  }
  (void)snprintf(out, cap, family == 4 ? "%s:%u" : "[%s]:%u", a, (unsigned)port);
}

static void prefix(const struct sgpi_inspect *in, uint64_t ts_ns, const struct sgpi_udp *u) {
  char s[64], d[64];
  addr_text(u->family, u->src, u->sport, s, sizeof s);
  addr_text(u->family, u->dst, u->dport, d, sizeof d);
  (void)fprintf(in->out, "%llu.%06llu %s > %s ", (unsigned long long)(ts_ns / 1000000000u),
                (unsigned long long)(ts_ns % 1000000000u / 1000u), s, d);
}

static void error_line(struct sgpi_inspect *in, uint64_t ts_ns, const struct sgpi_udp *u,
                       const char *stage, sgp_err e) {
  prefix(in, ts_ns, u);
  (void)fprintf(in->out, "error %s=%s\n", stage, sgp_err_name(e));
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void note_nokey(struct sgpi_inspect *in, uint32_t index) {
  in->n.no_key++;
  for (size_t i = 0; i < in->nokey_len; i++) {
    if (in->nokey_index[i] == index) {
      in->nokey_count[i]++;
      return;
    }
  }
  if (in->nokey_len == SGPI_NOKEY_LIST) {
    in->nokey_unlisted++;
    return;
  }
  in->nokey_index[in->nokey_len] = index;
  in->nokey_count[in->nokey_len++] = 1;
}

/* ---- handshake messages (public fields only) ----------------------------------- */

static void handshake(struct sgpi_inspect *in, uint64_t ts_ns, const struct sgpi_udp *u,
                      const uint8_t *d, size_t len) {
  prefix(in, ts_ns, u);
  if (d[0] == SGP_MSG_INITIATION && len >= SGP_INITIATION_MIN) {
    in->n.initiation++;
    (void)fprintf(in->out,
                  "initiation sender=%u sender_index=%08x payload=%zu (handshake payload, not "
                  "decrypted)\n",
                  (unsigned)be32(d + 4), (unsigned)be32(d + 8), len - SGP_INITIATION_MIN);
  } else if (d[0] == SGP_MSG_RESPONSE && len >= SGP_RESPONSE_MIN) {
    in->n.response++;
    (void)fprintf(in->out,
                  "response sender_index=%08x receiver_index=%08x payload=%zu (handshake "
                  "payload, not decrypted)\n",
                  (unsigned)be32(d + 4), (unsigned)be32(d + 8), len - SGP_RESPONSE_MIN);
  } else if (d[0] == SGP_MSG_COOKIE_REPLY && len == SGP_COOKIE_REPLY_BYTES) {
    in->n.cookie++;
    (void)fprintf(in->out, "cookie_reply receiver_index=%08x\n", (unsigned)be32(d + 4));
  } else {
    in->n.not_sgp++;
    (void)fprintf(in->out, "error frame=%s type=%u len=%zu\n", sgp_err_name(SGP_ERR_TRUNCATED),
                  (unsigned)d[0], len);
  }
}

/* ---- data messages ---------------------------------------------------------------- */

/* The key whose AEAD opens the message (several keys may share an index). */
static int open_data(struct sgpi_inspect *in, const uint8_t *d, size_t len, uint32_t index,
                     uint64_t ctr, uint8_t *pt, size_t *pt_len, size_t *which) {
  size_t first = 0;
  size_t count = sgpi_keylog_find(in->kl, index, &first);
  if (count == 0) return -1;
  for (size_t i = first; i < first + count; i++) {
    struct sgp_noise_cipher c;
    memset(&c, 0, sizeof c);
    memcpy(c.k, in->kl->keys[i].key, sizeof c.k);
    c.has_key = 1;
    /* SGP-XPORT-30: AD = the whole 26-byte header, nonce = the counter. */
    sgp_err e = sgp_noise_decrypt_at(&c, ctr, d, SGP_DATA_HDR_BYTES, d + SGP_DATA_HDR_BYTES,
                                     len - SGP_DATA_HDR_BYTES, pt, SGP_DGRAM_MAX, pt_len);
    sodium_memzero(&c, sizeof c);
    if (e == SGP_OK) {
      *which = i;
      return 1;
    }
  }
  return 0;
}

static void print_reports(struct sgpi_inspect *in, uint64_t ts_ns) {
  const sgp_packet *p = in->pkt;
  for (pb_size_t r = 0; r < p->reports_count; r++) {
    const sgp_report_msg *m = &p->reports[r];
    const char *sig = "-";
    in->n.reports++;
    if (in->roster != NULL && m->origin < in->roster->n) {
      int ok =
          sgp_report_verify(m, in->roster->sign_pk[m->origin], &sgp_verifier_default) == SGP_OK;
      sig = ok ? "ok" : "BAD";
      if (ok) {
        in->n.sig_ok++;
      } else {
        in->n.sig_bad++;
      }
    } else {
      in->n.sig_unchecked++;
    }
    (void)fprintf(in->out, "%llu.%06llu   report origin=%u gen=%u seq=%u suspicion=%u sub=",
                  (unsigned long long)(ts_ns / 1000000000u),
                  (unsigned long long)(ts_ns % 1000000000u / 1000u), (unsigned)m->origin,
                  (unsigned)m->generation, (unsigned)m->seq, (unsigned)m->suspicion);
    for (pb_size_t i = 0; i < m->sub_count; i++) {
      (void)fprintf(in->out, "%s%u", i ? "," : "", (unsigned)m->sub[i]);
    }
    (void)fprintf(in->out, " silent=");
    if (m->silent_count == 0) (void)fprintf(in->out, "-");
    for (pb_size_t i = 0; i < m->silent_count; i++) {
      (void)fprintf(in->out, "%s%u", i ? "," : "", (unsigned)m->silent[i]);
    }
    (void)fprintf(in->out, " sig=%s\n", sig);
  }
}

/* A whole message: jigsaw inverse, packet decode, print. */
static void message(struct sgpi_inspect *in, uint64_t ts_ns, const struct sgpi_udp *u,
                    const struct sgpi_key *k, const struct sgp_frag_hdr *h, size_t mlen) {
  in->n.messages++;
  size_t plen = 0;
  sgp_err e = sgp_jig_decode(h->flags, in->msg, mlen, in->msg, SGP_FRAG_MAX_MESSAGE, &plen);
  if (e == SGP_OK) {
    e = sgp_packet_decode(in->pkt, in->roster != NULL ? in->roster->n : 0u, in->msg, plen);
  }
  if (e != SGP_OK) {
    in->n.packet_error++;
    error_line(in, ts_ns, u, "packet", e);
    return;
  }
  const sgp_packet *p = in->pkt;
  in->n.packets[(unsigned)p->kind < 4 ? (unsigned)p->kind : 0]++;
  int mismatch = p->sender != k->sender;
  in->n.sender_mismatch += (uint64_t)mismatch;
  prefix(in, ts_ns, u);
  (void)fprintf(
      in->out, "packet %s %u->%u msg=%u frags=%u bytes=%zu flags=0x%02x digest=%u reports=%u%s\n",
      kind_name((uint32_t)p->kind), (unsigned)p->sender, (unsigned)k->receiver, (unsigned)h->msg_id,
      (unsigned)h->count, plen, (unsigned)h->flags, (unsigned)p->digest_count,
      (unsigned)p->reports_count, mismatch ? " SENDER-MISMATCH" : "");
  print_reports(in, ts_ns);
}

static void data(struct sgpi_inspect *in, uint64_t ts_ns, const struct sgpi_udp *u,
                 const uint8_t *d, size_t len) {
  in->n.data++;
  struct sgp_frag_hdr h;
  uint32_t index = 0;
  uint64_t ctr = 0;
  sgp_err e = sgp_frag_ad_parse(d, len, &h, &index, &ctr);
  if (e == SGP_OK && len < SGP_DATA_MIN) e = SGP_ERR_TRUNCATED;
  if (e != SGP_OK) {
    in->n.not_sgp++;
    error_line(in, ts_ns, u, "data_header", e);
    return;
  }
  uint8_t pt[SGP_DGRAM_MAX];
  size_t pt_len = 0, which = 0;
  int r = open_data(in, d, len, index, ctr, pt, &pt_len, &which);
  if (r < 0) {
    note_nokey(in, index);
    prefix(in, ts_ns, u);
    (void)fprintf(in->out, "no_key receiver_index=%08x counter=%llu\n", (unsigned)index,
                  (unsigned long long)ctr);
    return;
  }
  if (r == 0) {
    in->n.auth_failed++;
    error_line(in, ts_ns, u, "open", SGP_ERR_AUTH);
    return;
  }
  in->n.decrypted++;
  const struct sgpi_key *k = &in->kl->keys[which];
  /* The window only recognises a counter seen before; nothing is dropped
   * for being old (a capture may reorder). */
  if (sgp_replay_check(&in->seen[which], ctr) == SGP_ERR_REPLAY) {
    in->n.duplicate++;
    sodium_memzero(pt, sizeof pt);
    prefix(in, ts_ns, u);
    (void)fprintf(in->out, "duplicate %u->%u counter=%llu msg=%u frag=%u/%u\n", (unsigned)k->sender,
                  (unsigned)k->receiver, (unsigned long long)ctr, (unsigned)h.msg_id,
                  (unsigned)h.index, (unsigned)h.count);
    return;
  }
  sgp_err seen = sgp_replay_update(&in->seen[which], ctr);
  (void)seen; /* TOO_OLD (behind the window) is decoded all the same */
  if (sgp_frag_is_keepalive(&h, pt_len)) {
    in->n.keepalive++;
    return;
  }
  size_t mlen = 0;
  e = SGP_OK;
  if (in->sid[which] == 0) e = sgp_reasm_session_open(&in->reasm, k->sender, &in->sid[which]);
  uint64_t now_ms = ts_ns / 1000000u;
  (void)sgp_reasm_expire(&in->reasm, now_ms);
  if (e == SGP_OK) {
    e = sgp_reasm_add(&in->reasm, in->sid[which], &h, pt, pt_len, now_ms, in->msg,
                      SGP_FRAG_MAX_MESSAGE, &mlen);
  }
  sodium_memzero(pt, sizeof pt);
  /* A parity fragment (or a data fragment parity rebuilt) after the
   * message completed: normal with jigsaw=parity, not an error. */
  if (e == SGP_ERR_FRAG_DONE) {
    in->n.redundant++;
    return;
  }
  if (e != SGP_OK) {
    in->n.frag_error++;
    error_line(in, ts_ns, u, "fragment", e);
    return;
  }
  if (mlen > 0) message(in, ts_ns, u, k, &h, mlen);
}

void sgpi_inspect_datagram(struct sgpi_inspect *in, uint64_t ts_ns, const struct sgpi_udp *u) {
  static uint8_t buf[SGP_CARRIER_MAX_PAYLOAD];
  in->n.datagrams++;
  struct sgp_carrier_payload cp;
  sgp_err e = sgp_carrier_unwrap(u->payload, u->len, SGP_CARRIER_ACCEPT_ALL, buf, sizeof buf, &cp);
  if (e != SGP_OK || cp.len == 0) {
    in->n.not_sgp++;
    error_line(in, ts_ns, u, "carrier", e != SGP_OK ? e : SGP_ERR_CARRIER_EMPTY);
    return;
  }
  if (cp.data[0] == SGP_MSG_DATA) {
    data(in, ts_ns, u, cp.data, cp.len);
  } else {
    handshake(in, ts_ns, u, cp.data, cp.len);
  }
}

void sgpi_inspect_summary(const struct sgpi_inspect *in, FILE *f) {
  const struct sgpi_counts *n = &in->n;
  (void)fprintf(f,
                "summary: datagrams=%llu not_sgp=%llu initiation=%llu response=%llu "
                "cookie_reply=%llu data=%llu decrypted=%llu no_key=%llu auth_failed=%llu "
                "keepalive=%llu duplicate=%llu redundant_fragment=%llu frag_error=%llu\n",
                (unsigned long long)n->datagrams, (unsigned long long)n->not_sgp,
                (unsigned long long)n->initiation, (unsigned long long)n->response,
                (unsigned long long)n->cookie, (unsigned long long)n->data,
                (unsigned long long)n->decrypted, (unsigned long long)n->no_key,
                (unsigned long long)n->auth_failed, (unsigned long long)n->keepalive,
                (unsigned long long)n->duplicate, (unsigned long long)n->redundant,
                (unsigned long long)n->frag_error);
  (void)fprintf(f,
                "summary: messages=%llu packet_error=%llu SYN=%llu ACK=%llu DELTA=%llu "
                "sender_mismatch=%llu reports=%llu sig_ok=%llu sig_bad=%llu sig_unchecked=%llu\n",
                (unsigned long long)n->messages, (unsigned long long)n->packet_error,
                (unsigned long long)n->packets[1], (unsigned long long)n->packets[2],
                (unsigned long long)n->packets[3], (unsigned long long)n->sender_mismatch,
                (unsigned long long)n->reports, (unsigned long long)n->sig_ok,
                (unsigned long long)n->sig_bad, (unsigned long long)n->sig_unchecked);
  if (in->nokey_len > 0) {
    (void)fprintf(f, "summary: no key for receiver_index");
    for (size_t i = 0; i < in->nokey_len; i++) {
      (void)fprintf(f, " %08x(%llu)", (unsigned)in->nokey_index[i],
                    (unsigned long long)in->nokey_count[i]);
    }
    if (in->nokey_unlisted > 0) {
      (void)fprintf(f, " +%llu more", (unsigned long long)in->nokey_unlisted);
    }
    (void)fprintf(f, "\n");
  }
}
