/* Thin flow-log file reader (see flowfile.h). */
#include "sgp/flowfile.h"

#include <string.h>

sgp_err sgp_flowfile_open(struct sgp_flowfile *ff, const char *path, enum sgp_flowlog_format fmt) {
  SGP_ENSURE(ff != NULL && path != NULL, SGP_ERR_INVALID_ARG);
  memset(ff, 0, sizeof *ff);
  sgp_flowlog_init(&ff->log, fmt);
  ff->f = fopen(path, "rb");
  SGP_ENSURE(ff->f != NULL, SGP_ERR_FLOW_IO);
  return SGP_OK;
}

/* Refill after moving the unread tail to the front. */
static sgp_err refill(struct sgp_flowfile *ff) {
  if (ff->start > 0) {
    memmove(ff->buf, ff->buf + ff->start, ff->end - ff->start);
    ff->end -= ff->start;
    ff->start = 0;
  }
  size_t got = fread(ff->buf + ff->end, 1, sizeof ff->buf - ff->end, ff->f);
  ff->end += got;
  if (got == 0) {
    SGP_ENSURE(!ferror(ff->f), SGP_ERR_FLOW_IO);
    ff->eof = 1;
  }
  return SGP_OK;
}

sgp_err sgp_flowfile_next(struct sgp_flowfile *ff, struct sgp_flow *out, int *have) {
  SGP_ENSURE(ff != NULL && ff->f != NULL && out != NULL && have != NULL, SGP_ERR_INVALID_ARG);
  *have = 0;
  for (;;) {
    char *base = ff->buf + ff->start;
    size_t avail = ff->end - ff->start;
    char *nl = avail > 0 ? memchr(base, '\n', avail) : NULL;
    if (nl != NULL) {
      size_t len = (size_t)(nl - base);
      ff->start += len + 1;
      if (ff->overlong) { /* the tail of a line already reported */
        ff->overlong = 0;
        (void)sgp_flowlog_reject(&ff->log, SGP_ERR_TOO_LARGE);
        continue;
      }
      /* Bad lines are counted by the parser; keep reading. */
      if (sgp_flowlog_line(&ff->log, base, len, out, have) == SGP_OK && *have) return SGP_OK;
      continue;
    }
    if (avail > SGP_FLOWLOG_LINE_MAX) { /* no '\n' within a maximum line: drop it */
      ff->overlong = 1;
      ff->start = ff->end = 0;
    }
    if (ff->eof) {
      if (avail > 0 || ff->overlong) {
        (void)sgp_flowlog_reject(&ff->log, ff->overlong ? SGP_ERR_TOO_LARGE : SGP_ERR_TRUNCATED);
        ff->start = ff->end = 0;
        ff->overlong = 0;
      }
      return SGP_OK;
    }
    SGP_GUARD(refill(ff));
  }
}

void sgp_flowfile_close(struct sgp_flowfile *ff) {
  if (ff == NULL) return;
  if (ff->f != NULL) (void)fclose(ff->f);
  ff->f = NULL;
}
