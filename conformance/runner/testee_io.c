/* The testee process: spawn, framed exchange with deadlines, restart.
 *
 * Both pipe ends are non-blocking and every read and write waits in poll()
 * for at most what is left of the request's deadline, so a testee that
 * hangs, dribbles, floods or dies costs one timeout, never a stuck runner.
 * A reply length of 0 or above MAX_FRAME is refused before anything is
 * allocated for it; the reply buffer is allocated once, at MAX_FRAME.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <pb_decode.h>
#include <pb_encode.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

enum { MAX_FRAME = 16 * 1024 * 1024, MAX_RESTARTS = 50 };

struct rn_testee {
  char *cmd;
  int timeout_ms;
  pid_t pid;
  int in_fd, out_fd; /* our ends: write to its stdin, read its stdout */
  uint8_t *buf;      /* MAX_FRAME + 4 */
  unsigned restarts;
  uint32_t next_id;
};

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int spawn(struct rn_testee *t) {
  int to_child[2], from_child[2];
  if (pipe(to_child) != 0) return -1;
  if (pipe(from_child) != 0) {
    close(to_child[0]);
    close(to_child[1]);
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    setpgid(0, 0); /* its own process group: a kill reaches whatever it spawned */
    dup2(to_child[0], STDIN_FILENO);
    dup2(from_child[1], STDOUT_FILENO);
    close(to_child[0]);
    close(to_child[1]);
    close(from_child[0]);
    close(from_child[1]);
    execl("/bin/sh", "sh", "-c", t->cmd, (char *)NULL);
    _exit(127);
  }
  setpgid(pid, pid); /* also here, so kill_child never races the child's own call */
  close(to_child[0]);
  close(from_child[1]);
  t->pid = pid;
  t->in_fd = to_child[1];
  t->out_fd = from_child[0];
  fcntl(t->in_fd, F_SETFL, fcntl(t->in_fd, F_GETFL) | O_NONBLOCK);
  fcntl(t->out_fd, F_SETFL, fcntl(t->out_fd, F_GETFL) | O_NONBLOCK);
  fcntl(t->in_fd, F_SETFD, FD_CLOEXEC);
  fcntl(t->out_fd, F_SETFD, FD_CLOEXEC);
  return 0;
}

static void kill_child(struct rn_testee *t) {
  if (t->in_fd >= 0) close(t->in_fd);
  if (t->out_fd >= 0) close(t->out_fd);
  t->in_fd = t->out_fd = -1;
  if (t->pid > 0) {
    kill(-t->pid, SIGKILL);
    waitpid(t->pid, NULL, 0);
  }
  t->pid = -1;
}

struct rn_testee *rn_testee_start(const char *cmd, int timeout_ms) {
  (void)signal(SIGPIPE, SIG_IGN);
  struct rn_testee *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->cmd = strdup(cmd);
  t->timeout_ms = timeout_ms;
  t->buf = malloc(MAX_FRAME + 4);
  t->in_fd = t->out_fd = -1;
  t->pid = -1;
  if (!t->cmd || !t->buf || spawn(t) != 0) {
    rn_testee_stop(t);
    return NULL;
  }
  return t;
}

void rn_testee_stop(struct rn_testee *t) {
  if (!t) return;
  if (t->in_fd >= 0) {
    close(t->in_fd); /* EOF: a conforming testee exits with 0 */
    t->in_fd = -1;
  }
  if (t->pid > 0) {
    /* Give it the timeout to exit on EOF, then kill it. */
    int64_t end = now_ms() + t->timeout_ms;
    while (now_ms() < end && waitpid(t->pid, NULL, WNOHANG) == 0) {
      struct timespec ts = {0, 10L * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
    if (waitpid(t->pid, NULL, WNOHANG) == 0) kill(-t->pid, SIGKILL);
    waitpid(t->pid, NULL, 0);
    kill(-t->pid, SIGKILL); /* anything left in its group */
    t->pid = -1;
  }
  if (t->out_fd >= 0) close(t->out_fd);
  free(t->cmd);
  free(t->buf);
  free(t);
}

unsigned rn_testee_restarts(const struct rn_testee *t) {
  return t->restarts;
}

static int wait_fd(int fd, short ev, int64_t deadline) {
  for (;;) {
    int64_t left = deadline - now_ms();
    if (left <= 0) return -1;
    struct pollfd p = {fd, ev, 0};
    int r = poll(&p, 1, (int)left);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    return 0; /* ready, or hung up / error: the read or write tells which */
  }
}

static const char *write_all(int fd, const uint8_t *p, size_t len, int64_t deadline) {
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w > 0) {
      p += w;
      len -= (size_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return "testee closed its input";
    if (wait_fd(fd, POLLOUT, deadline) != 0) return "timeout writing the request";
  }
  return NULL;
}

static const char *read_all(int fd, uint8_t *p, size_t len, int64_t deadline) {
  while (len > 0) {
    ssize_t r = read(fd, p, len);
    if (r > 0) {
      p += r;
      len -= (size_t)r;
      continue;
    }
    if (r == 0) return "testee closed its output (early EOF)";
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return "read error";
    if (wait_fd(fd, POLLIN, deadline) != 0) return "timeout waiting for the reply";
  }
  return NULL;
}

static const char *exchange(struct rn_testee *t, rn_req *rq, rn_rep *rp) {
  if (t->pid <= 0) return "testee not running";
  size_t size = 0;
  if (!pb_get_encoded_size(&size, sgp_testee_v1_Request_fields, rq) || size > MAX_FRAME)
    return "request too large";
  t->buf[0] = (uint8_t)(size >> 24);
  t->buf[1] = (uint8_t)(size >> 16);
  t->buf[2] = (uint8_t)(size >> 8);
  t->buf[3] = (uint8_t)size;
  pb_ostream_t os = pb_ostream_from_buffer(t->buf + 4, size);
  if (!pb_encode(&os, sgp_testee_v1_Request_fields, rq)) return "cannot encode the request";
  int64_t deadline = now_ms() + t->timeout_ms;
  const char *e = write_all(t->in_fd, t->buf, size + 4, deadline);
  if (e) return e;
  uint8_t hdr[4];
  if ((e = read_all(t->out_fd, hdr, 4, deadline)) != NULL) return e;
  uint32_t len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
  if (len == 0) return "reply length 0";
  if (len > MAX_FRAME) return "reply length over 16 MiB";
  if ((e = read_all(t->out_fd, t->buf, len, deadline)) != NULL) return e;
  memset(rp, 0, sizeof *rp);
  pb_istream_t is = pb_istream_from_buffer(t->buf, len);
  if (!pb_decode(&is, sgp_testee_v1_Reply_fields, rp) || is.bytes_left != 0)
    return "reply is not a valid Reply message";
  if (rp->id != rq->id) return "reply id does not match the request";
  return NULL;
}

int rn_call(struct rn_testee *t, rn_req *rq, rn_rep *rp, char *msg, size_t cap) {
  rq->id = ++t->next_id;
  const char *e = exchange(t, rq, rp);
  if (!e) return 0;
  (void)snprintf(msg, cap, "testee protocol: %s", e);
  /* The stream may be out of step: start a fresh testee for the next test. */
  kill_child(t);
  if (t->restarts < MAX_RESTARTS) {
    t->restarts++;
    if (spawn(t) != 0) t->pid = -1;
  }
  return -1;
}
