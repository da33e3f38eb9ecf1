/* Target Functions: sgpi_capture_open, sgpi_capture_next, sgpi_udp_parse
 *                   (tools/sgpinspect/capture.c), sgpi_keylog_parse,
 *                   sgpi_keylog_line, sgpi_keylog_find (keylog.c): the parsers
 *                   of `sgp inspect`, which read untrusted capture files.
 *
 * Input: mode byte data[0], then the file data[1..]:
 *   mode bit 0 clear  a capture (pcap or pcapng): every record, and the UDP
 *                     datagram of each;
 *   mode bit 0 set    a key log (mode bit 1: capacity 4 keys instead of 64,
 *                     to reach too_many_keys).
 *
 * Invariants (each a finding if it breaks):
 *   - every error is a named reason (name != "?") with a non-OK sgp_err,
 *     and every success has reason ok;
 *   - a record and its UDP payload lie inside the input, a record is at
 *     most SGPI_SNAPLEN_MAX bytes, and the reader makes progress;
 *   - after a record error the reader stays failed with the same reason;
 *   - key log: count <= cap and <= 2 per accepted session line, keys sorted
 *     by index, sender != receiver, sgpi_keylog_find finds every key; a
 *     rejected line changes nothing.
 */
#include <string.h>

#include "capture.h"
#include "fuzz_common.h"
#include "keylog.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { KEYS = 64, RECORDS_MAX = 4096 };

static struct sgpi_key keys[KEYS], before[KEYS];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_init();
  return 0;
}

static int inside(const uint8_t *p, size_t n, const uint8_t *base, size_t len) {
  return n == 0 || (p >= base && p <= base + len && n <= (size_t)(base + len - p));
}

static void capture(const uint8_t *d, size_t n) {
  struct sgpi_capture cap;
  enum sgpi_cap_err why = SGPI_CAP_OK;
  sgp_err e = sgpi_capture_open(&cap, d, n, &why);
  FZ_CHECK((e == SGP_OK) == (why == SGPI_CAP_OK), "open %s / %s", sgp_err_name(e),
           sgpi_cap_err_name(why));
  FZ_CHECK(strcmp(sgpi_cap_err_name(why), "?") != 0, "unnamed reason %d", (int)why);
  if (e != SGP_OK) return;
  for (size_t r = 0; r < RECORDS_MAX; r++) {
    struct sgpi_record rec;
    int done = 0;
    size_t pos = cap.c.pos;
    e = sgpi_capture_next(&cap, &rec, &done, &why);
    FZ_CHECK((e == SGP_OK) == (why == SGPI_CAP_OK), "next %s / %s", sgp_err_name(e),
             sgpi_cap_err_name(why));
    FZ_CHECK(strcmp(sgpi_cap_err_name(why), "?") != 0, "unnamed reason %d", (int)why);
    if (e != SGP_OK) {
      enum sgpi_cap_err again = SGPI_CAP_OK;
      FZ_CHECK(sgpi_capture_next(&cap, &rec, &done, &again) == e && again == why,
               "a failed reader did not stay failed");
      return;
    }
    if (done) return;
    FZ_CHECK(cap.c.pos > pos, "no progress at %zu", pos);
    FZ_CHECK(rec.len <= SGPI_SNAPLEN_MAX && inside(rec.data, rec.len, d, n),
             "record outside the input");
    struct sgpi_udp u;
    e = sgpi_udp_parse(rec.linktype, rec.data, rec.len, &u, &why);
    FZ_CHECK((e == SGP_OK) == (why == SGPI_CAP_OK), "udp %s / %s", sgp_err_name(e),
             sgpi_cap_err_name(why));
    FZ_CHECK(strcmp(sgpi_cap_err_name(why), "?") != 0, "unnamed reason %d", (int)why);
    if (e == SGP_OK) {
      FZ_CHECK(u.family == 4 || u.family == 6, "family %u", u.family);
      FZ_CHECK(inside(u.payload, u.len, rec.data, rec.len), "payload outside the record");
    }
  }
}

static void keylog(const uint8_t *d, size_t n, size_t cap) {
  struct sgpi_keylog kl;
  FZ_CHECK(sgpi_keylog_parse(&kl, keys, cap, d, n) == SGP_OK, "parse failed");
  FZ_CHECK(kl.count <= cap && kl.count <= 2 * kl.sessions, "count %zu", kl.count);
  for (size_t i = 0; i < kl.count; i++) {
    FZ_CHECK(i == 0 || keys[i - 1].index <= keys[i].index, "not sorted at %zu", i);
    FZ_CHECK(keys[i].sender != keys[i].receiver, "self key at %zu", i);
    size_t first = 0, c = sgpi_keylog_find(&kl, keys[i].index, &first);
    FZ_CHECK(c >= 1 && first <= i && i < first + c, "find missed key %zu", i);
  }
  for (size_t i = 1; i < SGPI_KL_ERR_COUNT; i++) {
    FZ_CHECK(strcmp(sgpi_kl_err_name((enum sgpi_kl_err)i), "?") != 0, "unnamed %zu", i);
  }
  /* Rejected input changes nothing: feed the input again as one line. */
  size_t count = kl.count;
  uint64_t sessions = kl.sessions;
  memcpy(before, keys, sizeof keys);
  size_t len = n < SGPI_KL_MAX_LINE ? n : SGPI_KL_MAX_LINE;
  const char *line = (const char *)d;
  if (memchr(line, '\n', len) == NULL && memchr(line, '\0', len) == NULL) {
    enum sgpi_kl_err why = SGPI_KL_OK;
    sgp_err e = sgpi_keylog_line(&kl, line, len, 1, &why);
    FZ_CHECK((e == SGP_OK) == (why == SGPI_KL_OK), "line %s / %s", sgp_err_name(e),
             sgpi_kl_err_name(why));
    if (e != SGP_OK) {
      FZ_CHECK(
          kl.count == count && kl.sessions == sessions && memcmp(before, keys, sizeof keys) == 0,
          "rejected line %s changed the key log", sgpi_kl_err_name(why));
    }
  }
  sgpi_keylog_wipe(&kl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t mode = data[0];
  if (mode & 1u) {
    keylog(data + 1, size - 1, (mode & 2u) ? 4u : KEYS);
  } else {
    capture(data + 1, size - 1);
  }
  return 0;
}
