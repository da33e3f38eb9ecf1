/* sgpd's files: bounded reads of the roster and key, path resolution, the
 * state directory (SGP-NODE-6) and the single-instance lock.
 *
 * Every failure fills a struct sgpd_fail naming the file and line to blame:
 * the line inside the roster or key file for a parse error, otherwise the
 * config line of the key that names the path.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sgpd.h"

int sgpd_resolve(char *out, size_t cap, const char *dir, const char *rel) {
  int n = rel[0] == '/' ? snprintf(out, cap, "%s", rel) : snprintf(out, cap, "%s/%s", dir, rel);
  return n > 0 && (size_t)n < cap;
}

static int read_fd(int fd, uint8_t *buf, size_t cap, size_t *len) {
  size_t got = 0;
  while (got < cap) {
    ssize_t r = read(fd, buf + got, cap - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    got += (size_t)r;
  }
  *len = got;
  return 0;
}

int sgpd_read_file(const char *path, uint8_t *buf, size_t cap, size_t max, size_t *len,
                   struct sgpd_fail *f, unsigned cfg_line, const char *cfg_file) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, sgpd_errno_err(errno), cfg_file, cfg_line,
                  "cannot open %s: %s", path, strerror(errno));
    return -1;
  }
  /* Read one byte past the limit so an oversized file is seen (SGP-KEY-9). */
  size_t got = 0;
  int rc = read_fd(fd, buf, max + 1 < cap ? max + 1 : cap, &got);
  int saved = errno;
  close(fd);
  if (rc != 0) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, sgpd_errno_err(saved), cfg_file, cfg_line,
                  "cannot read %s: %s", path, strerror(saved));
    return -1;
  }
  if (got > max) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, SGP_ERR_TOO_LARGE, cfg_file, cfg_line,
                  "%s is longer than %zu bytes", path, max);
    return -1;
  }
  *len = got;
  return 0;
}

/* ---- roster --------------------------------------------------------------------------- */

void sgpd_roster_free(struct sgpd_roster *r) {
  free(r->sign_pk);
  free(r->dh_pk);
  free(r->addr);
  memset(r, 0, sizeof *r);
}

int sgpd_load_roster(const char *path, struct sgpd_roster *out, struct sgpd_fail *f,
                     const char *cfg_file, unsigned cfg_line) {
  struct sgpd_roster r;
  memset(&r, 0, sizeof r);
  uint8_t *text = malloc((size_t)SGP_MAX_ROSTERFILE + 1);
  uint32_t *scratch = calloc(SGP_MAX_NODES, sizeof *scratch);
  r.sign_pk = calloc(SGP_MAX_NODES, sizeof *r.sign_pk);
  r.dh_pk = calloc(SGP_MAX_NODES, sizeof *r.dh_pk);
  r.addr = calloc(SGP_MAX_NODES, sizeof *r.addr);
  int ok = 0;
  size_t len = 0;
  if (text == NULL || scratch == NULL || r.sign_pk == NULL || r.dh_pk == NULL || r.addr == NULL) {
    sgpd_fail_set(f, SGPD_EXIT_RUNTIME, SGP_ERR_NO_SPACE, path, 0, "out of memory");
  } else if (sgpd_read_file(path, text, (size_t)SGP_MAX_ROSTERFILE + 1, SGP_MAX_ROSTERFILE, &len, f,
                            cfg_line, cfg_file) == 0) {
    r.r.cap = SGP_MAX_NODES;
    r.r.sign_pk = r.sign_pk;
    r.r.dh_pk = r.dh_pk;
    r.r.addr = r.addr;
    unsigned line = 0;
    sgp_err e = sgp_roster_parse(&r.r, text, len, scratch, SGP_MAX_NODES, &line);
    if (e != SGP_OK) {
      sgpd_fail_set(f, SGPD_EXIT_CONFIG, e, path, line, "bad roster: %s", sgp_err_str(e));
    } else {
      ok = 1;
    }
  }
  free(text);
  free(scratch);
  if (!ok) {
    sgpd_roster_free(&r);
    return -1;
  }
  *out = r;
  return 0;
}

/* ---- secret key ---------------------------------------------------------------------- */

/* SGP-KEY-8 and SGP-KEY-10 on the opened file, before its content is used. */
static int key_fd_check(int fd, const struct sgpd *d, struct sgpd_fail *f) {
  const char *path = d->config_path;
  unsigned line = d->cfg.line[SGP_CFG_KEY];
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, SGP_ERR_PERMISSIONS, path, line,
                  "key %s is not a regular file", d->key_path);
    return -1;
  }
  if (sgp_keyfile_mode_check((unsigned)st.st_mode) != SGP_OK) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, SGP_ERR_PERMISSIONS, path, line,
                  "key %s mode %04o grants group or others access (chmod 600)", d->key_path,
                  (unsigned)(st.st_mode & 07777));
    return -1;
  }
  if (st.st_uid != geteuid()) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, SGP_ERR_PERMISSIONS, path, line,
                  "key %s is owned by uid %u, not by this user", d->key_path, (unsigned)st.st_uid);
    return -1;
  }
  if (st.st_size > SGP_MAX_KEYFILE) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, SGP_ERR_TOO_LARGE, path, line,
                  "key %s is longer than %d bytes", d->key_path, SGP_MAX_KEYFILE);
    return -1;
  }
  return 0;
}

static int key_parse(struct sgpd *d, const uint8_t *text, size_t len, struct sgpd_fail *f) {
  unsigned line = 0;
  sgp_err e = sgp_secret_key_parse(&d->key, text, len, &line);
  if (e != SGP_OK) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, e, d->key_path, line, "bad key file: %s", sgp_err_str(e));
    return -1;
  }
  if (d->key.node != d->cfg.id) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, SGP_ERR_KEY_MISMATCH, d->config_path,
                  d->cfg.line[SGP_CFG_ID], "id %u but the key file is node %u", (unsigned)d->cfg.id,
                  (unsigned)d->key.node);
    return -1;
  }
  e = sgp_roster_check_key(&d->roster.r, &d->key); /* SGP-KEY-11 */
  if (e != SGP_OK) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, e, d->config_path, d->cfg.line[SGP_CFG_KEY],
                  "key %s does not match roster entry %u", d->key_path, (unsigned)d->key.node);
    return -1;
  }
  return 0;
}

int sgpd_load_key(struct sgpd *d, struct sgpd_fail *f) {
  int fd = open(d->key_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
  if (fd < 0) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, sgpd_errno_err(errno), d->config_path,
                  d->cfg.line[SGP_CFG_KEY], "cannot open key %s: %s", d->key_path, strerror(errno));
    return -1;
  }
  uint8_t text[SGP_MAX_KEYFILE + 1];
  size_t len = 0;
  int rc = key_fd_check(fd, d, f);
  if (rc == 0 && read_fd(fd, text, sizeof text, &len) != 0) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, sgpd_errno_err(errno), d->config_path,
                  d->cfg.line[SGP_CFG_KEY], "cannot read key %s: %s", d->key_path, strerror(errno));
    rc = -1;
  }
  close(fd);
  if (rc == 0 && len > SGP_MAX_KEYFILE) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, SGP_ERR_TOO_LARGE, d->config_path, d->cfg.line[SGP_CFG_KEY],
                  "key %s is longer than %d bytes", d->key_path, SGP_MAX_KEYFILE);
    rc = -1;
  }
  if (rc == 0) rc = key_parse(d, text, len, f);
  sodium_memzero(text, sizeof text); /* the file text holds the seeds */
  if (rc != 0) sgp_secret_key_wipe(&d->key);
  return rc;
}

/* ---- state directory and lock ------------------------------------------------------- */

/* An owner-only directory (mode & 077 == 0, owned by the effective user). */
static int dir_check(int fd, const char *path, const struct sgpd *d, unsigned line,
                     struct sgpd_fail *f) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, SGP_ERR_PERMISSIONS, d->config_path, line,
                  "%s is not a directory", path);
    return -1;
  }
  if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, SGP_ERR_PERMISSIONS, d->config_path, line,
                  "%s must be owned by uid %u with no group/other access (mode %04o, uid %u)", path,
                  (unsigned)geteuid(), (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
    return -1;
  }
  return 0;
}

static int open_owner_dir(const char *path, const struct sgpd *d, unsigned line,
                          struct sgpd_fail *f) {
  if (mkdir(path, 0700) != 0 && errno != EEXIST) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, sgpd_errno_err(errno), d->config_path, line,
                  "cannot create %s: %s", path, strerror(errno));
    return -1;
  }
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, sgpd_errno_err(errno), d->config_path, line,
                  "cannot open %s: %s", path, strerror(errno));
    return -1;
  }
  if (dir_check(fd, path, d, line, f) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int sgpd_open_state_dir(struct sgpd *d, struct sgpd_fail *f) {
  d->state_fd = open_owner_dir(d->state_path, d, d->cfg.line[SGP_CFG_STATE_DIR], f);
  return d->state_fd < 0 ? -1 : 0;
}

int sgpd_lock_state_dir(struct sgpd *d, struct sgpd_fail *f) {
  unsigned line = d->cfg.line[SGP_CFG_STATE_DIR];
  d->lock_fd = openat(d->state_fd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (d->lock_fd < 0) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, sgpd_errno_err(errno), d->config_path, line,
                  "cannot open %s/lock: %s", d->state_path, strerror(errno));
    return -1;
  }
  /* Held until exit; the kernel drops it even after SIGKILL. */
  if (flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    int busy = errno == EWOULDBLOCK;
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, busy ? SGP_ERR_STATE : sgpd_errno_err(errno), d->config_path,
                  line, "%s: %s", d->state_path,
                  busy ? "another sgpd holds this state dir (lock)" : strerror(errno));
    return -1;
  }
  return 0;
}

int sgpd_check_ctl_dir(struct sgpd *d, struct sgpd_fail *f) {
  unsigned line = d->cfg.line[SGP_CFG_CONTROL_SOCKET];
  char dir[PATH_MAX];
  (void)snprintf(dir, sizeof dir, "%s", d->ctl_path);
  char *slash = strrchr(dir, '/');
  if (slash == NULL) {
    dir[0] = '.';
    dir[1] = '\0';
  } else if (slash == dir) {
    slash[1] = '\0';
  } else {
    *slash = '\0';
  }
  int fd = open_owner_dir(dir, d, line, f);
  if (fd < 0) return -1;
  close(fd);
  return 0;
}

int sgpd_write_all(int fd, const char *p, size_t len) {
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    len -= (size_t)w;
  }
  return 0;
}
