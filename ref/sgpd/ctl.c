/* Control socket (spec §11, SGP-NODE-7..10): a Unix stream socket, mode
 * 0600, in an owner-only directory.  Protocol: the client sends one line
 * with a command (status, verdicts, peers, metrics); the server answers and
 * closes.  Only read-only commands exist (SGP-NODE-9).
 *
 * Bounded: at most SGPD_CTL_CONNS connections, a request line of at most
 * 127 bytes, and CTL_TIMEOUT_MS for the whole exchange; a slow or hostile
 * client is cut off without stalling the loop (all sockets non-blocking).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "sgpd.h"

enum { CTL_TIMEOUT_MS = 2000 };

/* A live socket at the path means another sgpd uses it: refuse rather than
 * steal it.  A stale one (nobody listening) is removed. */
static int ctl_claim_path(const struct sockaddr_un *sa, struct sgpd *d, struct sgpd_fail *f) {
  struct stat st;
  if (lstat(sa->sun_path, &st) != 0) return 0;
  unsigned line = d->cfg.line[SGP_CFG_CONTROL_SOCKET];
  if (!S_ISSOCK(st.st_mode)) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, SGP_ERR_STATE, d->config_path, line,
                  "%s exists and is not a socket", sa->sun_path);
    return -1;
  }
  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int live = probe >= 0 && connect(probe, (const struct sockaddr *)sa, sizeof *sa) == 0;
  if (probe >= 0) close(probe);
  if (live) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, SGP_ERR_STATE, d->config_path, line,
                  "%s is in use by another process", sa->sun_path);
    return -1;
  }
  (void)unlink(sa->sun_path);
  return 0;
}

int sgpd_ctl_open(struct sgpd *d, struct sgpd_fail *f) {
  unsigned line = d->cfg.line[SGP_CFG_CONTROL_SOCKET];
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (strlen(d->ctl_path) >= sizeof sa.sun_path) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, SGP_ERR_TOO_LARGE, d->config_path, line,
                  "control socket path longer than %zu bytes", sizeof sa.sun_path - 1);
    return -1;
  }
  memcpy(sa.sun_path, d->ctl_path, strlen(d->ctl_path) + 1);
  if (ctl_claim_path(&sa, d, f) != 0) return -1;
  d->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  /* umask makes the socket 0600 from the start; chmod states it. */
  mode_t old = umask(0177);
  int rc = d->ctl_fd < 0 ? -1 : bind(d->ctl_fd, (const struct sockaddr *)&sa, sizeof sa);
  umask(old);
  if (rc == 0) rc = chmod(d->ctl_path, 0600);
  if (rc == 0) rc = listen(d->ctl_fd, SGPD_CTL_CONNS);
  if (rc != 0) {
    sgpd_fail_set(f, SGPD_EXIT_RUNTIME, sgpd_errno_err(errno), d->config_path, line,
                  "control socket %s: %s", d->ctl_path, strerror(errno));
    return -1;
  }
  for (size_t i = 0; i < SGPD_CTL_CONNS; i++) d->conns[i].fd = -1;
  return 0;
}

static void conn_close(struct sgpd *d, struct sgpd_ctl_conn *c) {
  if (c->fd >= 0) {
    (void)epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
  }
  free(c->out);
  memset(c, 0, sizeof *c);
  c->fd = -1;
}

/* SGP-NODE-8: only the daemon's own user or root may talk to it. */
static int peer_allowed(int fd) {
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) return 0;
  return cred.uid == geteuid() || cred.uid == 0;
}

void sgpd_ctl_accept(struct sgpd *d) {
  for (;;) {
    int fd = accept4(d->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return; /* EAGAIN, or a client that went away */
    if (!peer_allowed(fd)) {
      d->c.ctl_refused++;
      sgpd_log(SGP_LOG_WARN, "ctl_refused", "reason=peer_credentials");
      close(fd);
      continue;
    }
    size_t i = 0;
    while (i < SGPD_CTL_CONNS && d->conns[i].fd >= 0) i++;
    struct epoll_event ev = {.events = EPOLLIN};
    ev.data.u64 = SGPD_TAG_CONN + i;
    if (i == SGPD_CTL_CONNS || epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close(fd); /* busy: the client sees EOF and may retry */
      continue;
    }
    struct sgpd_ctl_conn *c = &d->conns[i];
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->deadline_ms = sgpd_now_ms() + CTL_TIMEOUT_MS;
  }
}

static void answer(struct sgpd *d, const char *cmd, struct sgpd_buf *b) {
  if (strcmp(cmd, "status") == 0) {
    sgpd_report_status(d, b);
  } else if (strcmp(cmd, "verdicts") == 0) {
    sgpd_report_verdicts(d, b);
  } else if (strcmp(cmd, "peers") == 0) {
    sgpd_report_peers(d, b);
  } else if (strcmp(cmd, "metrics") == 0) {
    sgpd_report_metrics(d, b);
  } else {
    sgpd_buf_printf(b, "{\"error\":\"unknown command (status, verdicts, peers, metrics)\"}\n");
  }
}

/* A complete request line: build the whole reply, then switch to writing. */
static void conn_request(struct sgpd *d, struct sgpd_ctl_conn *c, size_t i) {
  char *nl = memchr(c->in, '\n', c->in_len);
  *nl = '\0';
  if (nl > c->in && nl[-1] == '\r') nl[-1] = '\0';
  struct sgpd_buf b = {0};
  answer(d, c->in, &b);
  d->c.ctl_requests++;
  if (b.failed) {
    free(b.p);
    conn_close(d, c);
    return;
  }
  c->out = b.p;
  c->out_len = b.len;
  c->out_off = 0;
  struct epoll_event ev = {.events = EPOLLOUT};
  ev.data.u64 = SGPD_TAG_CONN + i;
  if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0) conn_close(d, c);
}

static void conn_read(struct sgpd *d, struct sgpd_ctl_conn *c, size_t i) {
  ssize_t r = recv(c->fd, c->in + c->in_len, sizeof c->in - 1 - c->in_len, MSG_DONTWAIT);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (r <= 0) {
    conn_close(d, c);
    return;
  }
  c->in_len += (size_t)r;
  if (memchr(c->in, '\n', c->in_len) != NULL) {
    conn_request(d, c, i);
  } else if (c->in_len >= sizeof c->in - 1) {
    conn_close(d, c); /* no line within the bound */
  }
}

static void conn_write(struct sgpd *d, struct sgpd_ctl_conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t w =
        send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) return;
    if (w <= 0) break;
    c->out_off += (size_t)w;
  }
  conn_close(d, c);
}

void sgpd_ctl_io(struct sgpd *d, size_t i, uint32_t events) {
  if (i >= SGPD_CTL_CONNS || d->conns[i].fd < 0) return;
  struct sgpd_ctl_conn *c = &d->conns[i];
  if (c->out != NULL) {
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) conn_write(d, c);
  } else if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
    conn_read(d, c, i);
  }
}

void sgpd_ctl_expire(struct sgpd *d, uint64_t now_ms) {
  for (size_t i = 0; i < SGPD_CTL_CONNS; i++) {
    if (d->conns[i].fd >= 0 && now_ms >= d->conns[i].deadline_ms) {
      d->c.ctl_timeouts++;
      conn_close(d, &d->conns[i]);
    }
  }
}

uint64_t sgpd_ctl_next_deadline(const struct sgpd *d) {
  uint64_t t = UINT64_MAX;
  for (size_t i = 0; i < SGPD_CTL_CONNS; i++) {
    if (d->conns[i].fd >= 0 && d->conns[i].deadline_ms < t) t = d->conns[i].deadline_ms;
  }
  return t;
}

void sgpd_ctl_close_all(struct sgpd *d) {
  for (size_t i = 0; i < SGPD_CTL_CONNS; i++) {
    if (d->conns[i].fd >= 0) conn_close(d, &d->conns[i]);
  }
  if (d->ctl_fd >= 0) {
    close(d->ctl_fd);
    d->ctl_fd = -1;
    (void)unlink(d->ctl_path);
  }
}
