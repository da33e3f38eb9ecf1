/* The opt-in session key log (`[node] keylog = PATH`, SGP-NODE-20..22),
 * read by `sgp inspect` to decrypt a capture of this node's traffic.
 *
 * Contract:
 *  - Off unless the config names a file; there is no environment variable,
 *    so nothing but the operator's config switches it on.
 *  - The file holds session keys, so it is a separate owner-only file, not
 *    a log (SGP-NODE-11 still holds for the logs): opened
 *    O_WRONLY|O_APPEND|O_CREAT|O_NOFOLLOW|O_CLOEXEC with mode 0600; sgpd
 *    refuses to start (exit 2, SGP_ERR_PERMISSIONS) when the file or its
 *    directory is accessible by group or others, or the file is not a
 *    regular file owned by the effective user.
 *  - One line per session that becomes current, written and fsynced from
 *    the node's HANDSHAKE event, i.e. before the node seals any data on
 *    that session:
 *      SGP_SESSION v1 <self> <peer> <local_index hex8> <remote_index hex8>
 *                     <send_key hex64> <recv_key hex64> <created s.ms>
 *    created is when the session was established, on the node's monotonic
 *    clock (SGP-NODE-5: sgpd reads the wall clock only for its log lines).
 *    Data messages name the receiver's index: local_index selects recv_key
 *    (traffic to this node), remote_index selects send_key (traffic from
 *    it).  Handshake keys are not logged (handshake payloads stay opaque).
 *  - A failed write is logged once (warn) and does not stop the node; the
 *    line buffer is wiped after every write.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sgpd.h"

static void keylog_dir(const char *path, char *dir, size_t cap) {
  (void)snprintf(dir, cap, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash == NULL) {
    (void)snprintf(dir, cap, ".");
  } else if (slash == dir) {
    slash[1] = '\0';
  } else {
    *slash = '\0';
  }
}

static int keylog_refuse(struct sgpd *d, struct sgpd_fail *f, const char *what, const char *path,
                         const struct stat *st) {
  sgpd_fail_set(
      f, SGPD_EXIT_CONFIG, SGP_ERR_PERMISSIONS, d->config_path, d->cfg.line[SGP_CFG_KEYLOG],
      "keylog %s %s must be owned by uid %u with no group/other access (mode %04o, uid "
      "%u)",
      what, path, (unsigned)geteuid(), (unsigned)(st->st_mode & 07777), (unsigned)st->st_uid);
  return -1;
}

static int keylog_file_ok(const struct stat *st) {
  return S_ISREG(st->st_mode) && (st->st_mode & 077) == 0 && st->st_uid == geteuid();
}

int sgpd_keylog_check(struct sgpd *d, struct sgpd_fail *f) {
  if (d->keylog_path[0] == '\0') return 0;
  unsigned line = d->cfg.line[SGP_CFG_KEYLOG];
  char dir[PATH_MAX];
  keylog_dir(d->keylog_path, dir, sizeof dir);
  struct stat st;
  if (stat(dir, &st) != 0) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, sgpd_errno_err(errno), d->config_path, line,
                  "keylog directory %s: %s", dir, strerror(errno));
    return -1;
  }
  if (!S_ISDIR(st.st_mode) || (st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
    return keylog_refuse(d, f, "directory", dir, &st);
  }
  if (lstat(d->keylog_path, &st) == 0) {
    if (!keylog_file_ok(&st)) return keylog_refuse(d, f, "file", d->keylog_path, &st);
  } else if (errno != ENOENT) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, sgpd_errno_err(errno), d->config_path, line, "keylog %s: %s",
                  d->keylog_path, strerror(errno));
    return -1;
  }
  sgpd_log(SGP_LOG_WARN, "keylog_enabled",
           "path=\"%s\" note=\"session keys are written to this file: debugging only\"",
           d->keylog_path);
  return 0;
}

int sgpd_keylog_open(struct sgpd *d, struct sgpd_fail *f) {
  if (d->keylog_path[0] == '\0') return 0;
  int fd = open(d->keylog_path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, sgpd_errno_err(errno), d->config_path,
                  d->cfg.line[SGP_CFG_KEYLOG], "cannot open keylog %s: %s", d->keylog_path,
                  strerror(errno));
    return -1;
  }
  /* Checked again on the open file: the path may have changed since. */
  struct stat st;
  if (fstat(fd, &st) != 0 || !keylog_file_ok(&st)) {
    close(fd);
    return keylog_refuse(d, f, "file", d->keylog_path, &st);
  }
  d->keylog_fd = fd;
  return 0;
}

void sgpd_keylog_session(struct sgpd *d, uint32_t peer, const struct sgp_session *s) {
  if (d->keylog_fd < 0 || s == NULL) return;
  char send_hex[2 * SGP_NOISE_KEYLEN + 1], recv_hex[2 * SGP_NOISE_KEYLEN + 1];
  char line[256];
  sodium_bin2hex(send_hex, sizeof send_hex, s->send.k, sizeof s->send.k);
  sodium_bin2hex(recv_hex, sizeof recv_hex, s->recv.k, sizeof s->recv.k);
  int n = snprintf(line, sizeof line, "SGP_SESSION v1 %u %u %08x %08x %s %s %llu.%03u\n",
                   (unsigned)d->cfg.id, (unsigned)peer, (unsigned)s->local_index,
                   (unsigned)s->remote_index, send_hex, recv_hex,
                   (unsigned long long)(s->created_ms / 1000u), (unsigned)(s->created_ms % 1000u));
  int ok = n > 0 && (size_t)n < sizeof line && sgpd_write_all(d->keylog_fd, line, (size_t)n) == 0 &&
           fsync(d->keylog_fd) == 0;
  int err_no = errno;
  sodium_memzero(send_hex, sizeof send_hex);
  sodium_memzero(recv_hex, sizeof recv_hex);
  sodium_memzero(line, sizeof line);
  if (!ok && !d->keylog_failed) {
    d->keylog_failed = 1;
    sgpd_log(SGP_LOG_WARN, "keylog_write_failed", "path=\"%s\" errno=\"%s\"", d->keylog_path,
             strerror(err_no));
  }
}
