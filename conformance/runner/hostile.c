/* sgp-hostile-testee MODE: a misbehaving testee for the runner's own tests.
 * It reads request frames like a testee and answers each one as MODE says:
 *   hang          never answers
 *   exit          exits at once, before reading anything
 *   early-eof     writes 2 bytes of a length, then exits
 *   zero-length   announces a reply of length 0
 *   huge-length   announces 0xffffffff bytes
 *   over-length   announces 16 MiB + 1 bytes
 *   garbage       a frame of 64 bytes that is no Reply
 *   truncated     announces 100 bytes, sends 10, then stalls
 *   dribble       a correct-looking frame, one byte every 300 ms
 *   flood         announces 16 MiB and sends garbage without end
 *   wrong-id      a valid Reply with another id
 *   unsupported   STATUS_UNSUPPORTED for everything
 *   bad-request   STATUS_BAD_REQUEST for everything
 *   wrong-answer  STATUS_OK with error SGP_ERR_HOSTILE
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pb_decode.h>
#include <pb_encode.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sgp_testee.pb.h"

static void put_all(const void *p, size_t len) {
  const uint8_t *b = p;
  while (len > 0) {
    ssize_t w = write(STDOUT_FILENO, b, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) exit(0); /* the runner went away */
    b += w;
    len -= (size_t)w;
  }
}

static void put_len(uint32_t len) {
  uint8_t h[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
  put_all(h, 4);
}

static int get_all(uint8_t *p, size_t len) {
  while (len > 0) {
    ssize_t r = read(STDIN_FILENO, p, len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    p += r;
    len -= (size_t)r;
  }
  return 0;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

static void reply(uint32_t id, sgp_testee_v1_Status st, const char *err) {
  static sgp_testee_v1_Reply rp;
  static uint8_t out[4096];
  memset(&rp, 0, sizeof rp);
  rp.id = id;
  rp.status = st;
  (void)snprintf(rp.error, sizeof rp.error, "%s", err);
  pb_ostream_t os = pb_ostream_from_buffer(out, sizeof out);
  if (!pb_encode(&os, sgp_testee_v1_Reply_fields, &rp)) exit(3);
  put_len((uint32_t)os.bytes_written);
  put_all(out, os.bytes_written);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    (void)fprintf(stderr, "usage: sgp-hostile-testee MODE\n");
    return 2;
  }
  const char *m = argv[1];
  (void)signal(SIGPIPE, SIG_IGN);
  if (strcmp(m, "exit") == 0) return 0;
  static uint8_t buf[16 * 1024 * 1024];
  static sgp_testee_v1_Request rq;
  for (;;) {
    uint8_t h[4];
    if (get_all(h, 4) != 0) return 0;
    uint32_t len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    if (len == 0 || len > sizeof buf || get_all(buf, len) != 0) return 1;
    memset(&rq, 0, sizeof rq);
    pb_istream_t is = pb_istream_from_buffer(buf, len);
    uint32_t id = pb_decode(&is, sgp_testee_v1_Request_fields, &rq) ? rq.id : 0;
    if (strcmp(m, "hang") == 0) {
      for (;;) sleep_ms(1000);
    } else if (strcmp(m, "early-eof") == 0) {
      put_all(h, 2);
      return 0;
    } else if (strcmp(m, "zero-length") == 0) {
      put_len(0);
    } else if (strcmp(m, "huge-length") == 0) {
      put_len(0xffffffffu);
    } else if (strcmp(m, "over-length") == 0) {
      put_len(16u * 1024 * 1024 + 1);
    } else if (strcmp(m, "garbage") == 0) {
      uint8_t g[64];
      for (size_t i = 0; i < sizeof g; i++) g[i] = (uint8_t)(0xff - i * 7);
      put_len(sizeof g);
      put_all(g, sizeof g);
    } else if (strcmp(m, "truncated") == 0) {
      put_len(100);
      put_all(buf, 10);
      for (;;) sleep_ms(1000);
    } else if (strcmp(m, "dribble") == 0) {
      uint8_t f[8] = {0, 0, 0, 4, 0x08, (uint8_t)(id & 0x7f), 0x10, 0x00};
      for (size_t i = 0; i < sizeof f; i++) {
        put_all(f + i, 1);
        sleep_ms(300);
      }
    } else if (strcmp(m, "flood") == 0) {
      put_len(16u * 1024 * 1024);
      memset(buf, 0xa5, 65536);
      for (;;) put_all(buf, 65536);
    } else if (strcmp(m, "wrong-id") == 0) {
      reply(id + 1, sgp_testee_v1_Status_STATUS_OK, "SGP_OK");
    } else if (strcmp(m, "unsupported") == 0) {
      reply(id, sgp_testee_v1_Status_STATUS_UNSUPPORTED, "");
    } else if (strcmp(m, "bad-request") == 0) {
      reply(id, sgp_testee_v1_Status_STATUS_BAD_REQUEST, "");
    } else if (strcmp(m, "wrong-answer") == 0) {
      reply(id, sgp_testee_v1_Status_STATUS_OK, "SGP_ERR_HOSTILE");
    } else {
      (void)fprintf(stderr, "sgp-hostile-testee: unknown mode %s\n", m);
      return 2;
    }
  }
}
