/* sgp-adversary plumbing: identities, UDP on loopback, our own session
 * layer (sgp_sessions per identity), raw data-message sealing, and the
 * target's view through sgpctl (status --json, metrics).  See adv.h. */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "adv.h"
#include "sgp/cookie.h"
#include "sgp/fragment.h"
#include "sgp/jigsaw.h"
#include "sgp/report.h"

extern char **environ;

uint64_t adv_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void adv_rng(void *ctx, uint8_t *out, size_t len) {
  (void)ctx;
  randombytes_buf(out, len);
}

static void sleep_ms(unsigned ms) {
  struct timespec ts = {.tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static int read_file(const char *path, uint8_t *buf, size_t cap, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  *len = fread(buf, 1, cap, f);
  int bad = ferror(f) || *len == cap;
  fclose(f);
  return bad ? -1 : 0;
}

static void to_sockaddr(const struct sgp_addr *a, struct sockaddr_in *sa) {
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_port = htons(a->port);
  memcpy(&sa->sin_addr, a->ip, 4);
}

static int bind_udp(const struct sockaddr_in *sa) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  if (bind(fd, (const struct sockaddr *)sa, sizeof *sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int ident_init(struct adv *a, struct adv_ident *me, const uint8_t *dh_sk, uint32_t self) {
  struct sgp_session_config c;
  memset(&c, 0, sizeof c);
  c.self = self;
  c.n = a->n;
  c.dh_sk = dh_sk;
  c.dh_pk = (const uint8_t(*)[32])a->dh_pk;
  c.generation = me->gen;
  c.rng = adv_rng;
  c.peers = me->peers;
  c.peers_cap = ADV_MAXN;
  c.index = me->index;
  c.index_cap = sgp_session_index_cap(a->n);
  if (c.index_cap > sizeof me->index / sizeof me->index[0]) return -1;
  return sgp_session_init(&me->ss, &c, adv_now()) == SGP_OK ? 0 : -1;
}

int adv_setup(struct adv *a, const char *roster, const char *key0, const char *key1) {
  static uint8_t text[1 << 16];
  size_t len = 0;
  unsigned line = 0;
  uint32_t scratch[ADV_MAXN];
  if (read_file(roster, text, sizeof text, &len) != 0) return -1;
  a->roster.cap = ADV_MAXN;
  a->roster.sign_pk = a->sign_pk;
  a->roster.dh_pk = a->dh_pk;
  a->roster.addr = a->addr;
  if (sgp_roster_parse(&a->roster, text, len, scratch, ADV_MAXN, &line) != SGP_OK) return -1;
  a->n = a->roster.n;
  /* The adversary's generation: wall-clock seconds, so that stamps and
   * report versions rise across runs against the same sgpd. */
  uint32_t gen = (uint32_t)time(NULL) & 0x7fffffffu;
  const char *keys[ADV_IDS] = {key0, key1};
  for (int i = 0; i < ADV_IDS; i++) {
    struct adv_ident *me = &a->id[i];
    if (read_file(keys[i], text, sizeof text, &len) != 0) return -1;
    if (sgp_secret_key_parse(&me->key, text, len, &line) != SGP_OK) return -1;
    sodium_memzero(text, len);
    me->id = me->key.node;
    if (me->id >= a->n || sgp_roster_check_key(&a->roster, &me->key) != SGP_OK) return -1;
    me->gen = gen;
    me->seq = 0;
    struct sockaddr_in sa;
    to_sockaddr(&a->addr[me->id], &sa);
    if ((me->fd = bind_udp(&sa)) < 0) return -1;
    if (ident_init(a, me, me->key.dh_sk, me->id) != 0) return -1;
  }
  /* The identity outside the roster: fixed test seeds. */
  uint8_t s1[32], s2[32];
  memset(s1, 0x5a, sizeof s1);
  memset(s2, 0xa5, sizeof s2);
  if (sgp_secret_key_from_seeds(&a->unknown, a->n, s1, s2) != SGP_OK) return -1;
  struct sockaddr_in any;
  memset(&any, 0, sizeof any);
  any.sin_family = AF_INET;
  any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if ((a->unk_fd = bind_udp(&any)) < 0) return -1;
  struct sockaddr_in t;
  to_sockaddr(&a->addr[a->target], &t);
  memcpy(a->target_sa, &t, sizeof t);
  a->target_salen = sizeof t;
  return 0;
}

void adv_send_raw(struct adv *a, int fd, const uint8_t *d, size_t len) {
  (void)sendto(fd, d, len, 0, (const struct sockaddr *)a->target_sa, a->target_salen);
}

/* To any roster node's address (answers to the honest sgpd's handshakes). */
static void send_to(struct adv *a, int fd, uint32_t peer, const uint8_t *d, size_t len) {
  struct sockaddr_in sa;
  to_sockaddr(&a->addr[peer], &sa);
  (void)sendto(fd, d, len, 0, (const struct sockaddr *)&sa, sizeof sa);
}

static struct adv_ident *ident_of_fd(struct adv *a, int fd) {
  for (int i = 0; i < ADV_IDS; i++)
    if (a->id[i].fd == fd) return &a->id[i];
  return NULL;
}

static void on_datagram(struct adv *a, struct adv_ident *me, const uint8_t *d, size_t len) {
  static uint8_t out[SGP_DGRAM_MAX];
  static sgp_packet rxp;
  struct sgp_rx rx;
  uint8_t src[SGP_COOKIE_ADDR_MAX];
  size_t src_len = 0;
  if (sgp_cookie_addr(&a->addr[a->target], src, &src_len) != SGP_OK) return;
  if (sgp_session_recv(&me->ss, adv_now(), d, len, src, src_len, out, sizeof out, &rx) != SGP_OK)
    return;
  if (rx.kind == SGP_RX_INITIATION) {
    uint8_t resp[SGP_DGRAM_MAX];
    size_t rlen = 0;
    if (sgp_session_respond(&me->ss, rx.peer, NULL, 0, adv_now(), resp, sizeof resp, &rlen) ==
        SGP_OK)
      send_to(a, me->fd, rx.peer, resp, rlen);
  } else if (rx.kind == SGP_RX_DATA) {
    /* Single-fragment plain messages only (all the target sends us here). */
    if (rx.frag_hdr[4] == 0 && rx.frag_hdr[5] == 1 && rx.flags == 0 &&
        sgp_packet_decode(&rxp, a->n, rx.payload, rx.payload_len) == SGP_OK && rxp.kind < 4) {
      me->rx_kinds[rxp.kind]++;
      if (rxp.kind == sgp_v1_Kind_KIND_SYN) me->last_syn_ms = adv_now();
    }
  }
}

void adv_pump(struct adv *a, unsigned ms) {
  uint64_t end = adv_now() + ms;
  static uint8_t buf[65536];
  for (;;) {
    uint64_t now = adv_now();
    int left = now >= end ? 0 : (int)(end - now);
    struct pollfd p[ADV_IDS + 1];
    for (int i = 0; i < ADV_IDS; i++) p[i] = (struct pollfd){.fd = a->id[i].fd, .events = POLLIN};
    p[ADV_IDS] = (struct pollfd){.fd = a->unk_fd, .events = POLLIN};
    int r = poll(p, ADV_IDS + 1, left);
    if (r <= 0) {
      if (left == 0 || (r < 0 && errno != EINTR)) return;
      continue;
    }
    for (int i = 0; i <= ADV_IDS; i++) {
      if (!(p[i].revents & POLLIN)) continue;
      ssize_t n = recv(p[i].fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0) continue;
      if (i == ADV_IDS) {
        if (n == SGP_COOKIE_REPLY_BYTES && buf[0] == SGP_MSG_COOKIE_REPLY) a->cookies_seen++;
        continue;
      }
      on_datagram(a, ident_of_fd(a, p[i].fd), buf, (size_t)n);
    }
  }
}

int adv_make_initiation(struct adv *a, struct adv_ident *me, const uint8_t *syn, size_t syn_len,
                        uint8_t *out, size_t *len) {
  struct sgp_session_peer *p = &me->ss.peers[a->target];
  p->has_last_init = 0; /* ProtocolBug: ignore our own REKEY_TIMEOUT throttle */
  p->init.retry_ms = 0;
  return sgp_session_initiate(&me->ss, a->target, syn, syn_len, adv_now(), out, SGP_DGRAM_MAX,
                              len) == SGP_OK
             ? 0
             : -1;
}

static int have_current(struct adv *a, struct adv_ident *me) {
  return (sgp_session_status(&me->ss, a->target, adv_now()) & SGP_PEER_CAN_SEND) != 0;
}

/* A new current session with the target, by our initiation or by answering
 * the target's (SGP-XPORT-40: while the target has an initiation to us
 * outstanding, ours are dropped as crossing, so we also wait for its
 * retransmission, at most REKEY_TIMEOUT + jitter). */
int adv_handshake(struct adv *a, struct adv_ident *me) {
  uint8_t d[SGP_DGRAM_MAX];
  size_t len = 0;
  struct sgp_session_peer *p = &me->ss.peers[a->target];
  uint32_t before = p->cur != SGP_SESSION_NO_SLOT ? p->slot[p->cur].local_index : 0;
  uint64_t end = adv_now() + 6500, next = 0;
  while (adv_now() < end) {
    if (p->cur != SGP_SESSION_NO_SLOT && p->slot[p->cur].local_index != before &&
        have_current(a, me)) {
      if (p->slot[p->cur].initiator) { /* SGP-XPORT-26: confirms the target's pending session */
        if (sgp_session_keepalive(&me->ss, a->target, adv_now(), d, sizeof d, &len) != SGP_OK)
          return -1;
        adv_send_raw(a, me->fd, d, len);
      }
      me->msg_ctr = 0;
      adv_pump(a, 20);
      return 0;
    }
    if (adv_now() >= next) {
      if (adv_make_initiation(a, me, NULL, 0, d, &len) != 0) return -1;
      adv_send_raw(a, me->fd, d, len);
      next = adv_now() + 1100; /* the peer bucket refills at 1/s */
    }
    adv_pump(a, 10);
  }
  return -1;
}

/* AEAD seal of one data message with a free-form header (SGP-XPORT-30). */
int adv_seal(struct adv *a, struct adv_ident *me, uint8_t flags, uint32_t msg_id, uint8_t idx,
             uint8_t count, uint32_t total, const uint8_t *pt, size_t pt_len, uint64_t counter,
             uint8_t *out, size_t *len) {
  struct sgp_session_peer *p = &me->ss.peers[a->target];
  if (p->cur == SGP_SESSION_NO_SLOT) return -1;
  struct sgp_session *c = &p->slot[p->cur];
  if (!c->send.has_key || pt_len > 65000) return -1;
  uint64_t ctr = counter == UINT64_MAX ? c->send_ctr++ : counter;
  if (counter != UINT64_MAX && counter >= c->send_ctr && counter < (UINT64_C(1) << 40))
    c->send_ctr = counter + 1;
  uint8_t *h = out;
  h[0] = SGP_MSG_DATA;
  h[1] = flags;
  h[2] = h[3] = 0;
  for (int i = 0; i < 4; i++) h[4 + i] = (uint8_t)(c->remote_index >> (24 - 8 * i));
  for (int i = 0; i < 8; i++) h[8 + i] = (uint8_t)(ctr >> (56 - 8 * i));
  for (int i = 0; i < 4; i++) h[16 + i] = (uint8_t)(msg_id >> (24 - 8 * i));
  h[20] = idx;
  h[21] = count;
  for (int i = 0; i < 4; i++) h[22 + i] = (uint8_t)(total >> (24 - 8 * i));
  uint8_t nonce[12] = {0};
  for (int i = 0; i < 8; i++) nonce[4 + i] = (uint8_t)(ctr >> (8 * i));
  unsigned long long clen = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out + 26, &clen, pt, pt_len, h, 26, NULL, nonce,
                                            c->send.k);
  *len = 26 + (size_t)clen;
  return 0;
}

int adv_send_msg(struct adv *a, struct adv_ident *me, const uint8_t *msg, size_t len,
                 uint8_t flags) {
  static uint8_t m[SGP_FRAG_MAX_MESSAGE];
  size_t mlen = len;
  if (flags & SGP_FRAG_FLAG_AONT) {
    if (sgp_jig_aont(msg, len, adv_rng, NULL, m, sizeof m, &mlen) != SGP_OK) return -1;
  } else {
    memcpy(m, msg, len);
  }
  struct sgp_frag_layout l;
  if (sgp_frag_layout((uint32_t)mlen, flags, &l) != SGP_OK) return -1;
  uint32_t id = ++me->msg_ctr;
  for (uint32_t i = 0; i < l.count; i++) {
    struct sgp_frag_hdr h;
    uint8_t pt[SGP_FRAG_DATA], d[SGP_DGRAM_MAX + 64];
    size_t pl = 0, dl = 0;
    if (sgp_frag_make(m, mlen, flags, id, i, &h, pt, sizeof pt, &pl) != SGP_OK) return -1;
    if (adv_seal(a, me, flags, id, h.index, h.count, h.total_len, pt, pl, UINT64_MAX, d, &dl) != 0)
      return -1;
    adv_send_raw(a, me->fd, d, dl);
  }
  return 0;
}

/* SGP-XCHG-13: at most 4 ACK/DELTA (2 SYN) per peer per target round
 * (<= 110 ms): keep any 115 ms window within that, so only the cases that
 * test the limit hit it. */
void adv_pace(struct adv_ident *me, int syn) {
  uint64_t *ring = syn ? me->paced_syn : me->paced;
  size_t k = syn ? 2 : 4;
  uint64_t now = adv_now();
  if (ring[0] && now < ring[0] + 115) sleep_ms((unsigned)(ring[0] + 115 - now));
  memmove(ring, ring + 1, (k - 1) * sizeof *ring);
  ring[k - 1] = adv_now();
}

void adv_own_report(struct adv_ident *me, sgp_report_msg *r, uint32_t susp, int bump) {
  memset(r, 0, sizeof *r);
  if (bump) me->seq++;
  r->origin = me->id;
  r->generation = me->gen;
  r->seq = me->seq;
  r->suspicion = susp;
  r->sub_count = SGP_SUBSCORES;
  for (int i = 0; i < SGP_SUBSCORES; i++) r->sub[i] = susp / 5;
  if (sgp_report_sign(r, me->key.sign_sk) != SGP_OK) abort();
  if (bump) me->susp = susp;
}

int adv_encode(struct adv *a, const sgp_packet *p, uint8_t *buf, size_t cap, size_t *len) {
  (void)a;
  return sgp_packet_encode(p, 0, buf, cap, len) == SGP_OK ? 0 : -1;
}

/* ---- the target's view through sgpctl -------------------------------- */

static char buf_ctl[1 << 20];

/* The control socket's own protocol (§11): one request line, the reply
 * until sgpd closes; the same bytes sgpctl prints for status/peers --json
 * and metrics.  Bounded by a 3 s deadline. */
static char *query_socket(struct adv *a, const char *cmd, size_t *outlen) {
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (strlen(a->ctl_sock) >= sizeof sa.sun_path) return NULL;
  memcpy(sa.sun_path, a->ctl_sock, strlen(a->ctl_sock));
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return NULL;
  char line[32];
  int ll = snprintf(line, sizeof line, "%s\n", cmd);
  size_t n = 0;
  uint64_t end = adv_now() + 3000;
  if (connect(fd, (const struct sockaddr *)&sa, sizeof sa) != 0 ||
      write(fd, line, (size_t)ll) != (ssize_t)ll)
    goto fail;
  for (;;) {
    uint64_t now = adv_now();
    if (now >= end) goto fail;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, (int)(end - now));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) goto fail;
    ssize_t k = read(fd, buf_ctl + n, sizeof buf_ctl - 1 - n);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) goto fail;
    if (k == 0) break;
    n += (size_t)k;
    if (n == sizeof buf_ctl - 1) goto fail;
  }
  close(fd);
  if (n == 0) return NULL;
  buf_ctl[n] = 0;
  *outlen = n;
  return buf_ctl;
fail:
  close(fd);
  return NULL;
}

/* Runs `sgpctl -s SOCK cmd [--json]` without a shell; its stdout, NUL-ended. */
static char *run_ctl(struct adv *a, const char *cmd, size_t *outlen) {
  char *buf = buf_ctl;
  if (!a->sgpctl) return query_socket(a, cmd, outlen);
  int fds[2];
  if (pipe(fds) != 0) return NULL;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  char *argv[] = {(char *)(uintptr_t)a->sgpctl,
                  (char *)(uintptr_t) "-s",
                  (char *)(uintptr_t)a->ctl_sock,
                  (char *)(uintptr_t)cmd,
                  strcmp(cmd, "metrics") != 0 ? (char *)(uintptr_t) "--json" : NULL,
                  NULL};
  pid_t pid;
  int rc = posix_spawn(&pid, a->sgpctl, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return NULL;
  }
  size_t n = 0;
  for (;;) {
    ssize_t r = read(fds[0], buf + n, sizeof buf_ctl - 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
    if (n == sizeof buf_ctl - 1) break;
  }
  close(fds[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || n == 0) return NULL;
  buf[n] = 0;
  *outlen = n;
  return buf;
}

int adv_snapshot(struct adv *a, struct adv_snap *s) {
  return adv_snapshot2(a, s, 1);
}

int adv_snapshot2(struct adv *a, struct adv_snap *s, int with_metrics) {
  size_t n = 0;
  memset(s, 0, sizeof *s);
  char *t = run_ctl(a, "status", &n);
  if (!t) return -1;
  json_error_t err;
  json_t *j = json_loadb(t, n, 0, &err);
  if (!j) return -1;
  s->generation = (uint32_t)json_integer_value(json_object_get(j, "generation"));
  s->round = (uint64_t)json_integer_value(json_object_get(j, "round"));
  json_t *nodes = json_object_get(j, "nodes");
  size_t i;
  json_t *v;
  json_array_foreach(nodes, i, v) {
    json_int_t id = json_integer_value(json_object_get(v, "id"));
    if (id < 0 || id >= ADV_MAXN) continue;
    struct adv_node_view *nv = &s->nodes[id];
    nv->gen = (uint32_t)json_integer_value(json_object_get(v, "gen"));
    nv->seq = (uint32_t)json_integer_value(json_object_get(v, "seq"));
    nv->suspicion = (uint32_t)json_integer_value(json_object_get(v, "suspicion"));
    const char *vd = json_string_value(json_object_get(v, "verdict"));
    snprintf(nv->verdict, sizeof nv->verdict, "%s", vd ? vd : "?");
    if ((uint32_t)id + 1 > s->n) s->n = (uint32_t)id + 1;
  }
  json_decref(j);
  if (!with_metrics) return 0;
  t = run_ctl(a, "metrics", &n);
  if (!t) return -1;
  for (char *save = NULL, *ln = strtok_r(t, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
    if (ln[0] == '#' || s->nmetrics >= ADV_METRICS_MAX) continue;
    char *sp = strrchr(ln, ' ');
    if (!sp || (size_t)(sp - ln) >= sizeof s->m[0].key) continue;
    memcpy(s->m[s->nmetrics].key, ln, (size_t)(sp - ln));
    s->m[s->nmetrics].key[sp - ln] = 0;
    s->m[s->nmetrics].v = strtod(sp + 1, NULL);
    s->nmetrics++;
  }
  return 0;
}

double adv_metric(const struct adv_snap *s, const char *key) {
  for (size_t i = 0; i < s->nmetrics; i++)
    if (strcmp(s->m[i].key, key) == 0) return s->m[i].v;
  return 0;
}

/* Whether the target reports an outstanding initiation to roster id `peer`
 * (`sgpctl peers --json`); -1 if it cannot be read. */
int adv_target_initiating(struct adv *a, uint32_t peer) {
  size_t n = 0;
  char *t = run_ctl(a, "peers", &n);
  if (!t) return -1;
  json_error_t err;
  json_t *j = json_loadb(t, n, 0, &err);
  if (!j) return -1;
  int out = 0;
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(j, "peers"), i, v) {
    if ((uint32_t)json_integer_value(json_object_get(v, "id")) == peer)
      out = json_is_true(json_object_get(v, "handshake_outstanding"));
  }
  json_decref(j);
  return out;
}
