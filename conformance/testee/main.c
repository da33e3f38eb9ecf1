/* sgp-testee: the reference testee (see testee.h and spec §13).
 *
 * Framing: u32 big-endian length L (1..16 MiB), then L bytes of one
 * Request.  A clean end of input between frames ends the program with
 * status 0; end of input inside a frame, or a length outside the bound,
 * cannot be resynchronised and ends it with status 1.  A frame that does
 * not parse as a Request is answered with STATUS_BAD_REQUEST (id 0).
 */
#include <errno.h>
#include <pb_encode.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testee.h"

enum { MAX_FRAME = TT_MAX_FRAME };

/* 1: got len bytes; 0: clean EOF before the first byte; -1: error or EOF inside. */
static int read_full(uint8_t *p, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t r = read(STDIN_FILENO, p + got, len - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return got == 0 && r == 0 ? 0 : -1;
    got += (size_t)r;
  }
  return 1;
}

static int write_full(const uint8_t *p, size_t len) {
  while (len > 0) {
    ssize_t w = write(STDOUT_FILENO, p, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

static int send_reply(const tt_reply *rp) {
  size_t size = 0;
  if (!pb_get_encoded_size(&size, sgp_testee_v1_Reply_fields, rp) || size > MAX_FRAME) return -1;
  uint8_t *out = malloc(size + 4);
  if (!out) return -1;
  out[0] = (uint8_t)(size >> 24);
  out[1] = (uint8_t)(size >> 16);
  out[2] = (uint8_t)(size >> 8);
  out[3] = (uint8_t)size;
  pb_ostream_t os = pb_ostream_from_buffer(out + 4, size);
  int rc = pb_encode(&os, sgp_testee_v1_Reply_fields, rp) ? write_full(out, size + 4) : -1;
  free(out);
  return rc;
}

int main(void) {
  if (sodium_init() < 0) return 1;
  tt_request *rq = malloc(sizeof *rq);
  tt_reply *rp = malloc(sizeof *rp);
  uint8_t *frame = malloc(MAX_FRAME);
  int status = 1;
  if (!rq || !rp || !frame) goto out;
  for (;;) {
    uint8_t hdr[4];
    int r = read_full(hdr, 4);
    if (r == 0) {
      status = 0;
      break;
    }
    if (r < 0) break;
    uint32_t len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    if (len == 0 || len > MAX_FRAME) break;
    if (read_full(frame, len) != 1) break;
    tt_handle(frame, len, rq, rp);
    if (send_reply(rp) != 0) break;
  }
out:
  free(rq);
  free(rp);
  free(frame);
  return status;
}
