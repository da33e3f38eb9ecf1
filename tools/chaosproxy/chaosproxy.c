/* chaosproxy: a UDP relay that impairs the traffic of a loopback SGP cluster.
 *
 *   chaosproxy --map ROSTER=REAL [--map ...] [--loss P] [--dup P] [--reorder P]
 *              [--reorder-ms N] [--delay-ms MIN:MAX] [--corrupt P] [--seed S]
 *              [--queue N] [--queue-bytes N]
 *
 * Every node i of the cluster has a roster address R_i (what its peers send
 * to) and a real listen address L_i (sgpd `listen=`).  The proxy binds every
 * R_i.  A datagram arriving on R_b from L_a (node a's real socket) is node
 * a's datagram for node b: it is impaired and then sent to L_b FROM the
 * socket bound to R_a, so b sees it coming from a's roster address and its
 * answers (to R_a) come back through the proxy the same way.  A datagram
 * from a source that is no L_i (an outsider) is forwarded to L_b from one
 * unbound socket; answers to that socket are counted and dropped.
 *
 * Impairments, drawn independently per datagram in this order: loss (drop),
 * corruption (one random bit of a copy flipped), delay (uniform in MIN..MAX
 * ms), reordering (an extra hold of --reorder-ms, default MAX+20 ms, so later
 * datagrams overtake it), duplication (a second copy with its own delay).
 *
 * Memory is bounded: at most --queue datagrams (default 4096) and
 * --queue-bytes payload bytes (default 8 MiB) are held; beyond that new
 * datagrams are dropped and counted as `overflow`, so a flood cannot grow
 * the proxy.  Reading is fair (at most BATCH datagrams per socket per loop).
 *
 * Randomness: a splitmix64 PRNG seeded by --seed.  It exists to make test
 * chaos reproducible and is NOT cryptographic; nothing here protects data.
 *
 * Output (stderr): `chaosproxy: ready maps=N` once every socket is bound;
 * the counter line on SIGUSR1 (continues) and on SIGTERM/SIGINT (exits 0).
 * Exit 1 on usage or bind errors (one line naming the argument).
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
  MAX_MAPS = 1024,
  BATCH = 32,
  MAX_DGRAM = 65536,
};

struct map {
  struct sockaddr_storage roster, real;
  socklen_t roster_len, real_len;
  int fd; /* bound to roster */
};

struct item { /* one queued datagram */
  uint64_t due_ms, order;
  int out_fd;
  struct sockaddr_storage to;
  socklen_t to_len;
  size_t len;
  uint8_t *data;
};

struct counters {
  uint64_t rx, tx, loss, dup, reorder, corrupt, overflow, unknown_src, unknown_reply, send_err,
      recv_err, queue_peak;
};

static struct map maps[MAX_MAPS];
static size_t nmaps;
static int outsider_fd = -1;
static struct item **heap;
static size_t heap_len, heap_cap = 4096, queue_bytes, queue_bytes_max = 8u << 20;
static uint64_t order_next;
static struct counters cnt;
static double p_loss, p_dup, p_reorder, p_corrupt;
static uint64_t delay_min, delay_max, reorder_ms;
static int reorder_ms_set;
static uint64_t rng_state = 1;
static int sig_pipe[2] = {-1, -1};
static volatile sig_atomic_t want_stop, want_dump;

static uint64_t rng_next(void) { /* splitmix64: reproducible test chaos only */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static double rng_unit(void) {
  return (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

static int chance(double p) {
  return p > 0 && rng_unit() < p;
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_signal(int sig) {
  int saved = errno;
  if (sig == SIGUSR1)
    want_dump = 1;
  else
    want_stop = 1;
  if (sig_pipe[1] >= 0) {
    char c = 0;
    ssize_t r = write(sig_pipe[1], &c, 1);
    (void)r; /* a full pipe already holds a wake-up */
  }
  errno = saved;
}

static void dump(void) {
  fprintf(stderr,
          "chaosproxy: rx=%llu tx=%llu loss=%llu dup=%llu reorder=%llu corrupt=%llu "
          "overflow=%llu unknown_src=%llu unknown_reply=%llu send_err=%llu recv_err=%llu "
          "queue=%zu queue_peak=%llu\n",
          (unsigned long long)cnt.rx, (unsigned long long)cnt.tx, (unsigned long long)cnt.loss,
          (unsigned long long)cnt.dup, (unsigned long long)cnt.reorder,
          (unsigned long long)cnt.corrupt, (unsigned long long)cnt.overflow,
          (unsigned long long)cnt.unknown_src, (unsigned long long)cnt.unknown_reply,
          (unsigned long long)cnt.send_err, (unsigned long long)cnt.recv_err, heap_len,
          (unsigned long long)cnt.queue_peak);
  fflush(stderr);
}

/* ---- min-heap on (due_ms, order): order keeps equal-time items FIFO ---- */
static int before(const struct item *a, const struct item *b) {
  return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->order < b->order);
}

static void heap_push(struct item *it) {
  size_t i = heap_len++;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!before(it, heap[p])) break;
    heap[i] = heap[p];
    i = p;
  }
  heap[i] = it;
}

static struct item *heap_pop(void) {
  struct item *top = heap[0], *last = heap[--heap_len];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, m = i;
    const struct item *best = last;
    if (l < heap_len && before(heap[l], best)) m = l, best = heap[l];
    if (l + 1 < heap_len && before(heap[l + 1], best)) m = l + 1;
    if (m == i) break;
    heap[i] = heap[m];
    i = m;
  }
  if (heap_len > 0) heap[i] = last;
  return top;
}

/* ---- addresses ---- */
static int parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len) {
  char host[64];
  const char *port;
  size_t hl;
  if (text[0] == '[') {
    const char *end = strchr(text, ']');
    if (!end || end[1] != ':') return -1;
    hl = (size_t)(end - text - 1);
    if (hl >= sizeof host) return -1;
    memcpy(host, text + 1, hl);
    port = end + 2;
  } else {
    const char *colon = strrchr(text, ':');
    if (!colon) return -1;
    hl = (size_t)(colon - text);
    if (hl >= sizeof host) return -1;
    memcpy(host, text, hl);
    port = colon + 1;
  }
  host[hl] = '\0';
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  if (getaddrinfo(host, port, &hints, &res) != 0 || !res) return -1;
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo(res);
  return 0;
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return 0;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const struct sockaddr_in *)(const void *)a;
    const struct sockaddr_in *y = (const struct sockaddr_in *)(const void *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)(const void *)a;
    const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)(const void *)b;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
  }
  return 0;
}

static int set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* ---- the relay ---- */
static void enqueue(int out_fd, const struct sockaddr_storage *to, socklen_t to_len,
                    const uint8_t *data, size_t len, uint64_t now, int corrupt_it) {
  if (heap_len >= heap_cap || queue_bytes + len > queue_bytes_max) {
    cnt.overflow++;
    return;
  }
  struct item *it = malloc(sizeof *it);
  uint8_t *copy = malloc(len ? len : 1);
  if (!it || !copy) {
    free(it);
    free(copy);
    cnt.overflow++;
    return;
  }
  memcpy(copy, data, len);
  if (corrupt_it && len > 0) {
    uint64_t bit = rng_next() % (len * 8u);
    copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  uint64_t delay = delay_min;
  if (delay_max > delay_min) delay += rng_next() % (delay_max - delay_min + 1);
  if (chance(p_reorder)) {
    delay += reorder_ms;
    cnt.reorder++;
  }
  it->due_ms = now + delay;
  it->order = order_next++;
  it->out_fd = out_fd;
  it->to = *to;
  it->to_len = to_len;
  it->len = len;
  it->data = copy;
  queue_bytes += len;
  heap_push(it);
  if (heap_len > cnt.queue_peak) cnt.queue_peak = heap_len;
}

static void handle(size_t dst, const struct sockaddr_storage *from, const uint8_t *buf, size_t len,
                   uint64_t now) {
  cnt.rx++;
  int out_fd = outsider_fd;
  for (size_t a = 0; a < nmaps; a++)
    if (same_addr(from, &maps[a].real)) {
      out_fd = maps[a].fd;
      break;
    }
  if (out_fd == outsider_fd) cnt.unknown_src++;
  if (chance(p_loss)) {
    cnt.loss++;
    return;
  }
  int corrupt_it = chance(p_corrupt);
  if (corrupt_it) cnt.corrupt++;
  enqueue(out_fd, &maps[dst].real, maps[dst].real_len, buf, len, now, corrupt_it);
  if (chance(p_dup)) {
    cnt.dup++;
    enqueue(out_fd, &maps[dst].real, maps[dst].real_len, buf, len, now, corrupt_it);
  }
}

static void release_due(uint64_t now) {
  while (heap_len > 0 && heap[0]->due_ms <= now) {
    struct item *it = heap_pop();
    ssize_t r =
        sendto(it->out_fd, it->data, it->len, 0, (const struct sockaddr *)&it->to, it->to_len);
    if (r < 0)
      cnt.send_err++; /* EAGAIN included: the kernel queue is the network's loss */
    else
      cnt.tx++;
    queue_bytes -= it->len;
    free(it->data);
    free(it);
  }
}

static int parse_prob(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || *end || !(v >= 0.0 && v <= 1.0)) return -1;
  *out = v;
  return 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out) {
  char *end;
  errno = 0;
  if (*s < '0' || *s > '9') return -1;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v > max) return -1;
  *out = v;
  return 0;
}

static void usage(void) {
  fputs(
      "usage: chaosproxy --map ROSTER=REAL [--map ...] [--loss P] [--dup P] [--reorder P]\n"
      "                  [--reorder-ms N] [--delay-ms MIN:MAX] [--corrupt P] [--seed S]\n"
      "                  [--queue N] [--queue-bytes N]\n"
      "ADDR: a.b.c.d:port or [v6]:port.  P in [0,1].  Seeded PRNG: test chaos only.\n",
      stderr);
}

static int bad_arg(const char *opt, const char *val) {
  fprintf(stderr, "chaosproxy: bad %s '%s'\n", opt, val ? val : "");
  usage();
  return 1;
}

static int add_map(const char *spec) {
  char buf[256];
  if (nmaps >= MAX_MAPS || strlen(spec) >= sizeof buf) return -1;
  strcpy(buf, spec);
  char *eq = strchr(buf, '=');
  if (!eq) return -1;
  *eq = '\0';
  struct map *m = &maps[nmaps];
  if (parse_addr(buf, &m->roster, &m->roster_len) != 0) return -1;
  if (parse_addr(eq + 1, &m->real, &m->real_len) != 0) return -1;
  m->fd = -1;
  nmaps++;
  return 0;
}

static int parse_args(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
      usage();
      exit(0);
    }
    if (!v) return bad_arg(o, v);
    i++;
    uint64_t u;
    if (strcmp(o, "--map") == 0) {
      if (add_map(v) != 0) return bad_arg(o, v);
    } else if (strcmp(o, "--loss") == 0) {
      if (parse_prob(v, &p_loss)) return bad_arg(o, v);
    } else if (strcmp(o, "--dup") == 0) {
      if (parse_prob(v, &p_dup)) return bad_arg(o, v);
    } else if (strcmp(o, "--reorder") == 0) {
      if (parse_prob(v, &p_reorder)) return bad_arg(o, v);
    } else if (strcmp(o, "--corrupt") == 0) {
      if (parse_prob(v, &p_corrupt)) return bad_arg(o, v);
    } else if (strcmp(o, "--reorder-ms") == 0) {
      if (parse_u64(v, 60000, &reorder_ms)) return bad_arg(o, v);
      reorder_ms_set = 1;
    } else if (strcmp(o, "--delay-ms") == 0) {
      char tmp[64];
      const char *colon = strchr(v, ':');
      if (!colon || strlen(v) >= sizeof tmp) return bad_arg(o, v);
      memcpy(tmp, v, (size_t)(colon - v));
      tmp[colon - v] = '\0';
      if (parse_u64(tmp, 60000, &delay_min) || parse_u64(colon + 1, 60000, &delay_max) ||
          delay_max < delay_min)
        return bad_arg(o, v);
    } else if (strcmp(o, "--seed") == 0) {
      if (parse_u64(v, UINT64_MAX, &rng_state)) return bad_arg(o, v);
    } else if (strcmp(o, "--queue") == 0) {
      if (parse_u64(v, 1u << 20, &u) || u == 0) return bad_arg(o, v);
      heap_cap = (size_t)u;
    } else if (strcmp(o, "--queue-bytes") == 0) {
      if (parse_u64(v, 1u << 30, &u) || u < MAX_DGRAM) return bad_arg(o, v);
      queue_bytes_max = (size_t)u;
    } else {
      return bad_arg("option", o);
    }
  }
  if (nmaps == 0) return bad_arg("--map", "(none given)");
  if (!reorder_ms_set) reorder_ms = delay_max + 20;
  return 0;
}

static int open_sockets(void) {
  for (size_t i = 0; i < nmaps; i++) {
    struct map *m = &maps[i];
    m->fd = socket(m->roster.ss_family, SOCK_DGRAM, 0);
    if (m->fd < 0 || set_nonblock(m->fd) != 0 ||
        bind(m->fd, (const struct sockaddr *)&m->roster, m->roster_len) != 0) {
      char host[64] = "?", port[16] = "?";
      getnameinfo((const struct sockaddr *)&m->roster, m->roster_len, host, sizeof host, port,
                  sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
      fprintf(stderr, "chaosproxy: bind %s port %s: %s\n", host, port, strerror(errno));
      return -1;
    }
  }
  outsider_fd = socket(maps[0].real.ss_family, SOCK_DGRAM, 0);
  if (outsider_fd < 0 || set_nonblock(outsider_fd) != 0) {
    fprintf(stderr, "chaosproxy: socket: %s\n", strerror(errno));
    return -1;
  }
  if (pipe(sig_pipe) != 0 || set_nonblock(sig_pipe[0]) != 0 || set_nonblock(sig_pipe[1]) != 0) {
    fprintf(stderr, "chaosproxy: pipe: %s\n", strerror(errno));
    return -1;
  }
  return 0;
}

static void read_socket(size_t i, int fd, uint8_t *buf, uint64_t now) {
  for (int k = 0; k < BATCH; k++) {
    struct sockaddr_storage from;
    socklen_t from_len = sizeof from;
    ssize_t r = recvfrom(fd, buf, MAX_DGRAM, 0, (struct sockaddr *)&from, &from_len);
    if (r < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) cnt.recv_err++;
      return;
    }
    if (i == nmaps) /* the outsider socket: answers to outsiders are not relayed */
      cnt.unknown_reply++;
    else
      handle(i, &from, buf, (size_t)r, now);
  }
}

int main(int argc, char **argv) {
  if (parse_args(argc, argv) != 0) return 1;
  heap = calloc(heap_cap, sizeof *heap);
  static uint8_t buf[MAX_DGRAM];
  struct pollfd *pfd = calloc(nmaps + 2, sizeof *pfd);
  if (!heap || !pfd) {
    fputs("chaosproxy: out of memory\n", stderr);
    return 1;
  }
  if (open_sockets() != 0) return 1;

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  for (size_t i = 0; i < nmaps; i++) pfd[i] = (struct pollfd){.fd = maps[i].fd, .events = POLLIN};
  pfd[nmaps] = (struct pollfd){.fd = outsider_fd, .events = POLLIN};
  pfd[nmaps + 1] = (struct pollfd){.fd = sig_pipe[0], .events = POLLIN};
  fprintf(stderr, "chaosproxy: ready maps=%zu seed=%llu\n", nmaps, (unsigned long long)rng_state);
  fflush(stderr);

  while (!want_stop) {
    uint64_t now = now_ms();
    release_due(now);
    int timeout = -1;
    if (heap_len > 0) {
      uint64_t wait = heap[0]->due_ms > now ? heap[0]->due_ms - now : 0;
      timeout = wait > 1000 ? 1000 : (int)wait;
    }
    int n = poll(pfd, (nfds_t)(nmaps + 2), timeout);
    if (n < 0 && errno != EINTR) {
      fprintf(stderr, "chaosproxy: poll: %s\n", strerror(errno));
      return 1;
    }
    if (pfd[nmaps + 1].revents) {
      char drain[64];
      while (read(sig_pipe[0], drain, sizeof drain) > 0) {
      }
    }
    if (want_dump) {
      want_dump = 0;
      dump();
    }
    if (n <= 0) continue;
    now = now_ms();
    for (size_t i = 0; i <= nmaps; i++)
      if (pfd[i].revents & POLLIN) read_socket(i, pfd[i].fd, buf, now);
  }
  dump();
  while (heap_len > 0) {
    struct item *it = heap_pop();
    free(it->data);
    free(it);
  }
  free(heap);
  free(pfd);
  return 0;
}
