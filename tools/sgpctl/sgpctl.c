/* sgpctl: query a running sgpd over its control socket (spec §11).
 *
 *   sgpctl -s SOCKET status|verdicts|peers|metrics [--json]
 *
 * Sends one request line, reads the reply until sgpd closes the
 * connection, and prints it: a table by default, the JSON line unchanged
 * with --json (metrics are always the Prometheus text).  The reply is
 * untrusted input: it is read with a size bound and a deadline, must be
 * printable text, and the JSON must be one object of the expected shape;
 * anything else is a clean error (exit 1), never a partial table.
 *
 * Exit status: 0 ok, 1 connection, timeout or bad reply, 2 usage.
 */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum {
  EXIT_FAIL = 1,
  EXIT_USAGE = 2,
  TIMEOUT_MS = 5000,
  REPLY_MAX = 64 << 20, /* sgpd's own reply bound */
};

struct reply {
  char *p;
  size_t len;
};

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for ev on fd until the deadline; 0 ready, -1 timeout or error. */
static int wait_fd(int fd, short ev, long long deadline) {
  for (;;) {
    long long left = deadline - now_ms();
    if (left <= 0) return -1;
    struct pollfd p = {.fd = fd, .events = ev};
    int r = poll(&p, 1, (int)left);
    if (r < 0 && errno == EINTR) continue;
    return r > 0 ? 0 : -1;
  }
}

static int connect_to(const char *path, long long deadline) {
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof sa.sun_path) {
    fprintf(stderr, "sgpctl: %s: socket path too long\n", path);
    return -1;
  }
  memcpy(sa.sun_path, path, strlen(path) + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (const struct sockaddr *)&sa, sizeof sa) != 0 &&
      (errno != EINPROGRESS || wait_fd(fd, POLLOUT, deadline) != 0)) {
    fprintf(stderr, "sgpctl: %s: %s\n", path, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

static int send_line(int fd, const char *cmd, long long deadline) {
  char line[64];
  int n = snprintf(line, sizeof line, "%s\n", cmd);
  size_t off = 0;
  while (n > 0 && off < (size_t)n) {
    ssize_t w = send(fd, line + off, (size_t)n - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EAGAIN && wait_fd(fd, POLLOUT, deadline) == 0) continue;
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    off += (size_t)w;
  }
  return 0;
}

/* Reads until EOF within the size and time bounds. */
static int read_reply(int fd, struct reply *r, long long deadline) {
  size_t cap = 65536;
  r->p = malloc(cap);
  r->len = 0;
  if (r->p == NULL) return -1;
  for (;;) {
    if (r->len == cap) {
      if (cap >= REPLY_MAX) return -1;
      char *p = realloc(r->p, cap * 2);
      if (p == NULL) return -1;
      r->p = p;
      cap *= 2;
    }
    ssize_t n = recv(fd, r->p + r->len, cap - r->len, 0);
    if (n == 0) return 0;
    if (n > 0) {
      r->len += (size_t)n;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN || wait_fd(fd, POLLIN, deadline) != 0) return -1;
  }
}

/* Printable ASCII, TAB and LF only, ending in LF. */
static int reply_is_text(const struct reply *r) {
  if (r->len == 0 || r->p[r->len - 1] != '\n') return 0;
  for (size_t i = 0; i < r->len; i++) {
    unsigned char c = (unsigned char)r->p[i];
    if (!(c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f))) return 0;
  }
  return 1;
}

/* ---- tables ----------------------------------------------------------------------- */

static int get_uint(const json_t *o, const char *k, unsigned long long *v) {
  const json_t *x = json_object_get(o, k);
  if (!json_is_integer(x) || json_integer_value(x) < 0) return -1;
  *v = (unsigned long long)json_integer_value(x);
  return 0;
}

static const char *get_str(const json_t *o, const char *k) {
  const json_t *x = json_object_get(o, k);
  return json_is_string(x) ? json_string_value(x) : NULL;
}

static int table_status(const json_t *root, FILE *out) {
  unsigned long long self, gen, round, n, susp;
  const json_t *nodes = json_object_get(root, "nodes");
  if (get_uint(root, "self", &self) || get_uint(root, "generation", &gen) ||
      get_uint(root, "round", &round) || get_uint(root, "n", &n) ||
      get_uint(root, "suspicion", &susp) || !json_is_array(nodes)) {
    return -1;
  }
  fprintf(out, "self %llu  generation %llu  round %llu  n %llu  suspicion %llu\n", self, gen, round,
          n, susp);
  fprintf(out, "%6s %9s %6s %22s  %s\n", "ID", "SUSPICION", "AGE", "VERSION", "VERDICT");
  size_t i;
  const json_t *e;
  json_array_foreach(nodes, i, e) {
    unsigned long long id, g, s, su, age;
    const char *v = get_str(e, "verdict");
    if (get_uint(e, "id", &id) || get_uint(e, "gen", &g) || get_uint(e, "seq", &s) ||
        get_uint(e, "suspicion", &su) || get_uint(e, "age", &age) || v == NULL) {
      return -1;
    }
    char ver[48];
    snprintf(ver, sizeof ver, "%llu.%llu", g, s);
    fprintf(out, "%6llu %9llu %6llu %22s  %s%s\n", id, su, age, g == 0 ? "-" : ver, v,
            id == self ? "  (self)" : "");
  }
  return 0;
}

static int table_verdicts(const json_t *root, FILE *out) {
  const json_t *vs = json_object_get(root, "verdicts");
  if (!json_is_array(vs)) return -1;
  fprintf(out, "%6s  %s\n", "ID", "VERDICT");
  size_t i;
  const json_t *e;
  json_array_foreach(vs, i, e) {
    unsigned long long id;
    const char *v = get_str(e, "verdict");
    if (get_uint(e, "id", &id) || v == NULL) return -1;
    fprintf(out, "%6llu  %s\n", id, v);
  }
  return 0;
}

static int table_peers(const json_t *root, FILE *out) {
  const json_t *ps = json_object_get(root, "peers");
  if (!json_is_array(ps)) return -1;
  fprintf(out, "%6s %-42s %-8s %10s %12s %12s  %s\n", "ID", "ADDR", "SESSION", "AGE_MS", "TX_CTR",
          "RX_CTR_MAX", "HANDSHAKE");
  size_t i;
  const json_t *e;
  json_array_foreach(ps, i, e) {
    unsigned long long id, age = 0, tx = 0, rx = 0;
    const char *addr = get_str(e, "addr"), *sess = get_str(e, "session");
    if (get_uint(e, "id", &id) || addr == NULL || sess == NULL) return -1;
    int cur = strcmp(sess, "current") == 0;
    if (cur && (get_uint(e, "session_age_ms", &age) || get_uint(e, "tx_counter", &tx) ||
                get_uint(e, "rx_counter_max", &rx))) {
      return -1;
    }
    fprintf(out, "%6llu %-42s %-8s %10llu %12llu %12llu  %s\n", id, addr, sess, age, tx, rx,
            json_is_true(json_object_get(e, "handshake_outstanding")) ? "outstanding" : "-");
  }
  return 0;
}

static int show_json(const char *cmd, const struct reply *r, int raw) {
  json_error_t err;
  json_t *root = json_loadb(r->p, r->len, JSON_REJECT_DUPLICATES, &err);
  if (root == NULL || !json_is_object(root) || memchr(r->p, '\n', r->len) != r->p + r->len - 1) {
    fprintf(stderr, "sgpctl: garbled reply (%s)\n",
            root == NULL ? err.text : "not one object line");
    json_decref(root);
    return EXIT_FAIL;
  }
  const char *e = get_str(root, "error");
  int rc = 0;
  if (e != NULL) {
    fprintf(stderr, "sgpctl: sgpd: %s\n", e);
    rc = EXIT_FAIL;
  } else if (raw) {
    fwrite(r->p, 1, r->len, stdout);
  } else {
    /* Rendered off-screen first: a reply that turns out malformed half-way
     * prints nothing. */
    char *text = NULL;
    size_t text_len = 0;
    FILE *out = open_memstream(&text, &text_len);
    int t = out == NULL                    ? -1
            : strcmp(cmd, "status") == 0   ? table_status(root, out)
            : strcmp(cmd, "verdicts") == 0 ? table_verdicts(root, out)
                                           : table_peers(root, out);
    if (out != NULL) fclose(out);
    if (t != 0) {
      fprintf(stderr, "sgpctl: garbled reply (unexpected shape for %s)\n", cmd);
      rc = EXIT_FAIL;
    } else {
      fwrite(text, 1, text_len, stdout);
    }
    free(text);
  }
  json_decref(root);
  return rc;
}

static int usage(void) {
  fprintf(stderr, "usage: sgpctl -s SOCKET status|verdicts|peers|metrics [--json]\n");
  return EXIT_USAGE;
}

static int known(const char *cmd) {
  static const char *const cmds[] = {"status", "verdicts", "peers", "metrics"};
  for (size_t i = 0; i < 4; i++) {
    if (strcmp(cmd, cmds[i]) == 0) return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *sock = NULL, *cmd = NULL;
  int raw = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
      sock = argv[++i];
    } else if (strcmp(argv[i], "--json") == 0) {
      raw = 1;
    } else if (cmd == NULL && known(argv[i])) {
      cmd = argv[i];
    } else {
      return usage();
    }
  }
  if (sock == NULL || cmd == NULL) return usage();
  long long deadline = now_ms() + TIMEOUT_MS;
  int fd = connect_to(sock, deadline);
  if (fd < 0) return EXIT_FAIL;
  struct reply r = {NULL, 0};
  int ok = send_line(fd, cmd, deadline) == 0 && read_reply(fd, &r, deadline) == 0;
  int saved = errno;
  close(fd);
  int rc = EXIT_FAIL;
  if (!ok) {
    fprintf(stderr, "sgpctl: %s: no complete reply within %d ms and %d bytes (%s)\n", sock,
            TIMEOUT_MS, REPLY_MAX, strerror(saved));
  } else if (r.len == 0) {
    fprintf(stderr, "sgpctl: %s: closed without a reply (not allowed, or busy)\n", sock);
  } else if (!reply_is_text(&r)) {
    fprintf(stderr, "sgpctl: garbled reply (not text ending in a newline)\n");
  } else if (strcmp(cmd, "metrics") == 0) {
    fwrite(r.p, 1, r.len, stdout);
    rc = 0;
  } else {
    rc = show_json(cmd, &r, raw);
  }
  free(r.p);
  return rc;
}
