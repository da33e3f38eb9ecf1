/* Live /proc/net sampling (see agentlive.h).  This file does the I/O; the
 * text is parsed by procnet.c and scored by agent.c. */
#include "sgp/agentlive.h"

#include <stdio.h>
#include <string.h>

static const char *const k_tables[4] = {"tcp", "tcp6", "udp", "udp6"};

static void note_error(struct sgp_agentlive *l, sgp_err rc, unsigned line, const char *file) {
  l->errors++;
  l->last_err = rc;
  l->last_err_line = line;
  l->last_err_file = file;
}

/* Stream a file through l->buf line by line.  The first line is number 1.
 * A bad line is reported to cb like any other (cb counts it). */
static sgp_err read_lines(struct sgp_agentlive *l, const char *name,
                          void (*cb)(struct sgp_agentlive *l, void *ctx, const char *line, size_t n,
                                     unsigned no),
                          void *ctx) {
  char path[SGP_LIVE_PATH_MAX + 16];
  int w = snprintf(path, sizeof path, "%s/%s", l->root, name);
  SGP_ENSURE(w > 0 && (size_t)w < sizeof path, SGP_ERR_INVALID_ARG);
  FILE *f = fopen(path, "r");
  SGP_ENSURE(f != NULL, SGP_ERR_FLOW_IO);
  size_t have = 0;
  unsigned no = 0;
  int skipping = 0;
  for (;;) {
    size_t got = fread(l->buf + have, 1, sizeof l->buf - have, f);
    int eof = got == 0;
    have += got;
    size_t start = 0;
    for (;;) {
      char *nl = memchr(l->buf + start, '\n', have - start);
      if (nl == NULL) break;
      size_t n = (size_t)(nl - (l->buf + start));
      no++;
      if (skipping) {
        skipping = 0;
        note_error(l, SGP_ERR_TOO_LARGE, no, name);
      } else {
        cb(l, ctx, l->buf + start, n, no);
      }
      start += n + 1;
    }
    memmove(l->buf, l->buf + start, have - start);
    have -= start;
    if (have == sizeof l->buf) { /* a line longer than the buffer: skip it */
      skipping = 1;
      have = 0;
    }
    if (eof) break;
  }
  int err = ferror(f);
  (void)fclose(f);
  SGP_ENSURE(!err, SGP_ERR_FLOW_IO);
  if (have > 0 || skipping)
    note_error(l, skipping ? SGP_ERR_TOO_LARGE : SGP_ERR_TRUNCATED, no + 1, name);
  return SGP_OK;
}

struct dev_sum {
  uint64_t rx, tx;
  int ok;
};

static void dev_line(struct sgp_agentlive *l, void *ctx, const char *line, size_t n, unsigned no) {
  struct dev_sum *d = ctx;
  if (no <= 2) { /* the two header lines */
    if (no == 2) d->ok = 1;
    return;
  }
  const char *name;
  size_t nn;
  uint64_t rx, tx;
  sgp_err rc = sgp_procnet_dev_line(line, n, &name, &nn, &rx, &tx);
  if (rc != SGP_OK) {
    note_error(l, rc, no, "dev");
    return;
  }
  if (nn == 2 && memcmp(name, "lo", 2) == 0) return;
  d->rx += rx;
  d->tx += tx;
}

sgp_err sgp_agentlive_open(struct sgp_agentlive *l, const char *root) {
  SGP_ENSURE(l != NULL, SGP_ERR_INVALID_ARG);
  if (root == NULL) root = "/proc/net";
  SGP_ENSURE(strlen(root) < sizeof l->root, SGP_ERR_INVALID_ARG);
  memset(l, 0, sizeof *l);
  memcpy(l->root, root, strlen(root) + 1);
  struct dev_sum d = {0, 0, 0};
  SGP_GUARD(read_lines(l, "dev", dev_line, &d));
  SGP_ENSURE(d.ok, SGP_ERR_FLOW_HEADER);
  return SGP_OK;
}

/* ---- socket sets ------------------------------------------------------------ */

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint64_t sock_key(const struct sgp_sock *s, int udp) {
  uint64_t h = (uint64_t)udp << 32 | (uint64_t)s->lport << 16 | s->rport;
  for (unsigned i = 0; i < 16; i += 8) {
    uint64_t a = 0, b = 0;
    for (unsigned k = 0; k < 8; k++) {
      a = a << 8 | s->local.b[i + k];
      b = b << 8 | s->remote.b[i + k];
    }
    h = mix64(h ^ a) ^ mix64(b + i);
  }
  return h != 0 ? h : 1;
}

/* Slot of key in set g, or the empty slot where it would go; -1 if full. */
static int find(const struct sgp_agentlive *l, unsigned g, uint64_t key) {
  uint32_t i = (uint32_t)key & (SGP_LIVE_SOCKS - 1);
  for (uint32_t probes = 0; probes < SGP_LIVE_SOCKS; probes++) {
    if (l->keys[g][i] == 0 || l->keys[g][i] == key) return (int)i;
    i = (i + 1) & (SGP_LIVE_SOCKS - 1);
  }
  return -1;
}

static int is_loopback(const struct sgp_ip *ip) {
  static const uint8_t v6lo[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  if (sgp_ip_is_v4(ip)) return ip->b[12] == 127;
  return memcmp(ip->b, v6lo, 16) == 0;
}

static int is_unspecified(const struct sgp_ip *ip) {
  static const uint8_t zero[16] = {0};
  return memcmp(ip->b, zero, 16) == 0 || (sgp_ip_is_v4(ip) && memcmp(ip->b + 12, zero, 4) == 0);
}

struct sock_pass {
  int udp, v6;
  const char *name;
};

static void emit(struct sgp_agentlive *l, struct sgp_agent *a, uint64_t now_ms,
                 const struct sgp_ip *remote, uint16_t rport, uint8_t proto, uint8_t state) {
  struct sgp_flow f;
  memset(&f, 0, sizeof f);
  f.ts_us = now_ms * 1000u;
  f.src = a->host;
  f.dst = *remote;
  f.dport = rport;
  f.proto = proto;
  f.state = state;
  if (sgp_agent_add(a, &f) != SGP_OK) l->errors++;
}

/* Collect: listening ports into the bitmaps, connected sockets into socks[]. */
static void sock_line(struct sgp_agentlive *l, void *ctx, const char *line, size_t n, unsigned no) {
  const struct sock_pass *p = ctx;
  if (no == 1) {
    if (!sgp_procnet_is_sock_header(line, n)) note_error(l, SGP_ERR_FLOW_HEADER, no, p->name);
    return;
  }
  struct sgp_sock s;
  sgp_err rc = sgp_procnet_sock_line(line, n, p->v6, &s);
  if (rc != SGP_OK) {
    note_error(l, rc, no, p->name);
    return;
  }
  uint8_t *listen = p->udp ? l->listen_udp : l->listen_tcp;
  int unconnected = is_unspecified(&s.remote);
  if ((!p->udp && s.state == SGP_TCP_LISTEN) || (p->udp && unconnected)) {
    listen[s.lport >> 3] = (uint8_t)(listen[s.lport >> 3] | 1u << (s.lport & 7));
    return;
  }
  if (unconnected || is_loopback(&s.remote)) return;
  if (l->nsocks == SGP_LIVE_SOCKS) {
    l->overflow++;
    return;
  }
  struct sgp_live_sock *k = &l->socks[l->nsocks++];
  k->key = sock_key(&s, p->udp);
  k->remote = s.remote;
  k->lport = s.lport;
  k->rport = s.rport;
  k->state = s.state;
  k->udp = (uint8_t)p->udp;
}

/* Record the outgoing sockets in the current set and report the new ones. */
static void classify(struct sgp_agentlive *l, struct sgp_agent *a, uint64_t now_ms) {
  for (uint32_t i = 0; i < l->nsocks; i++) {
    const struct sgp_live_sock *k = &l->socks[i];
    const uint8_t *listen = k->udp ? l->listen_udp : l->listen_tcp;
    if (listen[k->lport >> 3] & (1u << (k->lport & 7))) continue; /* accepted: incoming */
    int slot = find(l, l->cur, k->key);
    if (slot < 0) {
      l->overflow++;
      continue;
    }
    if (l->keys[l->cur][slot] == 0) l->nkeys[l->cur]++;
    l->keys[l->cur][slot] = k->key;
    l->states[l->cur][slot] = k->state;
    if (!l->primed) continue;
    int prev = find(l, l->cur ^ 1u, k->key);
    if (prev >= 0 && l->keys[l->cur ^ 1u][prev] == k->key) continue; /* not new */
    if (!k->udp && k->state == SGP_TCP_SYN_SENT) {
      if (l->npending < SGP_LIVE_PENDING) {
        struct sgp_live_pending *q = &l->pending[l->npending++];
        q->key = k->key;
        q->since_ms = now_ms;
        q->remote = k->remote;
        q->rport = k->rport;
      } else {
        l->overflow++;
      }
      continue;
    }
    emit(l, a, now_ms, &k->remote, k->rport, k->udp ? 17 : 6, SGP_FLOW_ANSWERED);
  }
}

/* A pending connect is answered once it leaves SYN_SENT, unanswered if it
 * vanished or timed out. */
static void resolve_pending(struct sgp_agentlive *l, struct sgp_agent *a, uint64_t now_ms) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < l->npending; i++) {
    struct sgp_live_pending *q = &l->pending[i];
    int slot = find(l, l->cur, q->key);
    int present = slot >= 0 && l->keys[l->cur][slot] == q->key;
    if (present && l->states[l->cur][slot] != SGP_TCP_SYN_SENT) {
      emit(l, a, q->since_ms, &q->remote, q->rport, 6, SGP_FLOW_ANSWERED);
    } else if (!present || now_ms - q->since_ms >= SGP_LIVE_SYN_TIMEOUT_MS) {
      emit(l, a, q->since_ms, &q->remote, q->rport, 6, SGP_FLOW_UNANSWERED);
    } else {
      l->pending[k++] = *q;
    }
  }
  l->npending = k;
}

sgp_err sgp_agentlive_sample(struct sgp_agentlive *l, struct sgp_agent *a, uint64_t now_ms) {
  SGP_ENSURE(l != NULL && a != NULL, SGP_ERR_INVALID_ARG);
  struct dev_sum d = {0, 0, 0};
  SGP_GUARD(read_lines(l, "dev", dev_line, &d));
  if (d.ok) {
    /* Counters can reset (interface re-created): a decrease restarts the baseline. */
    if (l->have_dev && d.rx >= l->rx && d.tx >= l->tx) {
      SGP_GUARD(sgp_agent_add_counters(a, now_ms, d.tx - l->tx, d.rx - l->rx));
    }
    l->rx = d.rx;
    l->tx = d.tx;
    l->have_dev = 1;
  }
  l->cur ^= 1u;
  memset(l->keys[l->cur], 0, sizeof l->keys[l->cur]);
  l->nkeys[l->cur] = 0;
  memset(l->listen_tcp, 0, sizeof l->listen_tcp);
  memset(l->listen_udp, 0, sizeof l->listen_udp);
  l->nsocks = 0;
  for (unsigned t = 0; t < 4; t++) {
    struct sock_pass p = {t >= 2, (int)(t & 1u), k_tables[t]};
    /* A missing table (no IPv6, no UDP) is not an error. */
    (void)read_lines(l, k_tables[t], sock_line, &p);
  }
  classify(l, a, now_ms);
  resolve_pending(l, a, now_ms);
  l->primed = 1;
  l->samples++;
  return SGP_OK;
}
