/* Generation file I/O (spec §2.5): the format lives in config.c, the
 * crash-safe write sequence here.
 *
 * Every call works relative to the state directory's fd, opened once and
 * checked at start (SGP-NODE-6), so a rename of the path under us cannot
 * redirect the writes.  O_NOFOLLOW keeps a planted symlink from doing so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sgpd.h"

static const char gen_name[] = "generation";
static const char gen_tmp[] = "generation.tmp";

sgp_err sgpd_gen_load(int dir_fd, uint32_t *stored, int *err_no) {
  *err_no = 0;
  int fd = openat(dir_fd, gen_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      *stored = 0; /* first start (SGP-STATE-2) */
      return SGP_OK;
    }
    *err_no = errno;
    return sgpd_errno_err(errno);
  }
  /* One byte more than a valid file may hold, so oversize is seen. */
  uint8_t buf[SGP_GENFILE_MAX + 1];
  size_t len = 0;
  for (;;) {
    ssize_t r = read(fd, buf + len, sizeof buf - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      *err_no = errno;
      close(fd);
      return sgpd_errno_err(*err_no);
    }
    if (r == 0 || len + (size_t)r == sizeof buf) {
      len += (size_t)r;
      break;
    }
    len += (size_t)r;
  }
  close(fd);
  return sgp_generation_parse(buf, len, stored);
}

sgp_err sgpd_gen_store(int dir_fd, uint32_t g, int *err_no) {
  char text[SGP_GENFILE_MAX + 1];
  size_t len = 0;
  *err_no = 0;
  SGP_GUARD(sgp_generation_format(g, text, sizeof text, &len));
  int fd = openat(dir_fd, gen_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    *err_no = errno;
    return sgpd_errno_err(*err_no);
  }
  /* The four steps of SGP-STATE-3; g counts only when all succeeded. */
  int ok = sgpd_write_all(fd, text, len) == 0 && fsync(fd) == 0;
  if (!ok) *err_no = errno != 0 ? errno : EIO;
  if (close(fd) != 0 && ok) {
    ok = 0;
    *err_no = errno;
  }
  if (ok && renameat(dir_fd, gen_tmp, dir_fd, gen_name) != 0) {
    ok = 0;
    *err_no = errno;
  }
  if (ok && fsync(dir_fd) != 0) {
    ok = 0;
    *err_no = errno;
  }
  if (!ok) {
    (void)unlinkat(dir_fd, gen_tmp, 0);
    return sgpd_errno_err(*err_no);
  }
  return SGP_OK;
}
