/* sgpctl's reply checks and rendering (spec §11), kept apart from the socket code so that a
 * fuzz target (fuzz/fuzz_ctlreply.c) can link them.
 *
 * The reply is untrusted input: it must be printable text (ASCII 0x20..0x7e, TAB, LF) ending
 * in LF; for status, verdicts and peers it must be one JSON object on one line, of the
 * expected shape, else it is a clean error and nothing is printed on out (never a partial
 * table).  An object with an "error" member is sgpd refusing the request.
 */
#ifndef SGPCTL_REPLY_H
#define SGPCTL_REPLY_H

#include <stddef.h>
#include <stdio.h>

enum { SGPCTL_REPLY_OK = 0, SGPCTL_REPLY_FAIL = 1 };

/* 1 if p[0..len) is printable ASCII, TAB and LF only, and ends in LF. */
int sgpctl_reply_is_text(const char *p, size_t len);

/* Checks and prints the complete reply p[0..len) to cmd (status, verdicts, peers or metrics):
 * metrics are written unchanged, a JSON reply as a table, or unchanged when raw.  Output goes
 * to out, diagnostics (prefixed "sgpctl: ") to err.  Returns SGPCTL_REPLY_OK, or
 * SGPCTL_REPLY_FAIL for a garbled reply or an error reported by sgpd (then out is untouched). */
int sgpctl_reply_show(const char *cmd, const char *p, size_t len, int raw, FILE *out, FILE *err);

#endif
