/* sgpctl: query a running sgpd over its control socket (spec §11).
 *
 *   sgpctl -s SOCKET status|verdicts|peers|metrics [--json]
 *
 * Sends one request line, reads the reply until sgpd closes the
 * connection, and prints it: a table by default, the JSON line unchanged
 * with --json (metrics are always the Prometheus text).  The reply is
 * untrusted input: it is read with a size bound and a deadline, must be
 * printable text, and the JSON must be one object of the expected shape;
 * anything else is a clean error (exit 1), never a partial table.  Those checks and the
 * tables are in reply.c (fuzzed by fuzz/fuzz_ctlreply.c).
 *
 * Exit status: 0 ok, 1 connection, timeout or bad reply, 2 usage.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "reply.h"

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
  } else {
    rc = sgpctl_reply_show(cmd, r.p, r.len, raw, stdout, stderr);
  }
  free(r.p);
  return rc;
}
