/* Target Functions: sgpctl_reply_show, sgpctl_reply_is_text (tools/sgpctl/reply.c: sgpctl's
 * checks of sgpd's control-socket reply and its status / verdicts / peers tables)
 *
 * Input: byte 0 selects the command (bits 0-1: status, verdicts, peers, metrics) and --json
 * (bit 2); the rest is the complete reply as sgpctl read it from the socket.  Output and
 * diagnostics go to memory streams.
 * Invariants (each a finding if it breaks):
 *   - the result is SGPCTL_REPLY_OK or SGPCTL_REPLY_FAIL;
 *   - a failure writes nothing on out (never a partial table) and one "sgpctl: " diagnostic
 *     line on err; a success writes nothing on err;
 *   - only printable text ending in LF is accepted (checked against an independent loop);
 *   - metrics and --json print the reply byte for byte; a JSON reply is accepted only if it
 *     is one line holding one object without duplicate keys and without an "error" string;
 *   - a table has its header line(s) plus exactly one line per array element (status: nodes,
 *     verdicts: verdicts, peers: peers), counted with jansson independently of the renderer
 *     (for replies without backslash escapes, so that no string holds a newline).
 * Not an invariant (noted for the lead): strings from the JSON (verdict, addr, session) are
 * printed as decoded, so an escaped control character ("\u001b") in a reply reaches the
 * terminal; the reply check only looks at the raw text.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* open_memstream */
#endif
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "reply.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const cmds[4] = {"status", "verdicts", "peers", "metrics"};
static const char *const arrays[3] = {"nodes", "verdicts", "peers"};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

static int text_model(const char *p, size_t n) {
  if (n == 0 || p[n - 1] != '\n') return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c != '\n' && c != '\t' && (c < 0x20 || c > 0x7e)) return 0;
  }
  return 1;
}

static size_t count_lines(const char *p, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) k += p[i] == '\n';
  return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  unsigned sel = data[0] & 3u;
  int raw = (data[0] >> 2) & 1;
  const char *cmd = cmds[sel];
  const char *p = (const char *)data + 1;
  size_t n = size - 1;

  int is_text = sgpctl_reply_is_text(p, n);
  FZ_CHECK(is_text == text_model(p, n), "sgpctl_reply_is_text says %d", is_text);

  char *out = NULL, *err = NULL;
  size_t out_len = 0, err_len = 0;
  FILE *fo = open_memstream(&out, &out_len), *fe = open_memstream(&err, &err_len);
  if (fo == NULL || fe == NULL) abort();
  int rc = sgpctl_reply_show(cmd, p, n, raw, fo, fe);
  fclose(fo);
  fclose(fe);

  FZ_CHECK(rc == SGPCTL_REPLY_OK || rc == SGPCTL_REPLY_FAIL, "result %d", rc);
  if (rc != SGPCTL_REPLY_OK) {
    FZ_CHECK(out_len == 0, "a refused reply printed %zu bytes", out_len);
    FZ_CHECK(err_len > 8 && memcmp(err, "sgpctl: ", 8) == 0 && err[err_len - 1] == '\n',
             "a refused reply without its diagnostic");
  } else {
    FZ_CHECK(err_len == 0, "an accepted reply wrote a diagnostic");
    FZ_CHECK(is_text, "a reply that is not text was accepted");
    if (sel == 3 || raw) {
      FZ_CHECK(out_len == n && memcmp(out, p, n) == 0, "the reply was not printed unchanged");
    } else {
      FZ_CHECK(out_len > 0 && out[out_len - 1] == '\n', "the table does not end in a newline");
      /* Escaped control bytes in a string must not reach the terminal. */
      FZ_CHECK(text_model(out, out_len), "the table holds a byte that is not printable text");
    }
  }

  if (sel != 3 && is_text) {
    /* An independent look at the JSON: what must be accepted and how many rows. */
    json_error_t jerr;
    json_t *root = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
    int one_line = memchr(p, '\n', n) == p + n - 1;
    int refused =
        root != NULL && json_is_object(root) && json_is_string(json_object_get(root, "error"));
    if (root == NULL || !json_is_object(root) || !one_line || refused) {
      FZ_CHECK(rc == SGPCTL_REPLY_FAIL, "accepted a reply that is not one object line");
    } else if (rc == SGPCTL_REPLY_OK && !raw) {
      /* Decoded strings are printable ASCII, so none adds a line of its own. */
      size_t rows = json_array_size(json_object_get(root, arrays[sel]));
      size_t head = sel == 0 ? 2 : 1;
      FZ_CHECK(count_lines(out, out_len) == head + rows, "%s table has %zu lines for %zu elements",
               cmd, count_lines(out, out_len), rows);
    } else if (raw) {
      FZ_CHECK(rc == SGPCTL_REPLY_OK, "--json refused an object line");
    }
    json_decref(root);
  }
  free(out);
  free(err);
  return 0;
}
