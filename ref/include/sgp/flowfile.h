/* Thin file reader for flow logs: splits a file into lines for the pure
 * parser in flowlog.h (spec §10).  The only I/O is fopen/fread/fclose; the
 * buffer is fixed (two maximum lines), so a huge line or a binary file costs
 * no memory: a line over SGP_FLOWLOG_LINE_MAX is skipped to its '\n' and
 * counted as SGP_ERR_TOO_LARGE, and a last line without '\n' as
 * SGP_ERR_TRUNCATED, both with their line numbers in .log.
 */
#ifndef SGP_FLOWFILE_H
#define SGP_FLOWFILE_H

#include <stdio.h>

#include "sgp/flowlog.h"

struct sgp_flowfile {
  FILE *f;
  struct sgp_flowlog log; /* counters: lineno, flows, skipped, first/last error */
  char buf[2 * SGP_FLOWLOG_LINE_MAX + 2];
  size_t start, end;
  int eof, overlong;
};

/* SGP_ERR_FLOW_IO if the file cannot be opened. */
SGP_MUST_CHECK sgp_err sgp_flowfile_open(struct sgp_flowfile *ff, const char *path,
                                         enum sgp_flowlog_format fmt);
/* Next flow: *have = 1 and *out set, or *have = 0 at end of file.  Bad lines
 * are counted in ff->log, not returned; SGP_ERR_FLOW_IO on a read error. */
SGP_MUST_CHECK sgp_err sgp_flowfile_next(struct sgp_flowfile *ff, struct sgp_flow *out, int *have);
void sgp_flowfile_close(struct sgp_flowfile *ff);

#endif
