/* Target Functions: sgp_procnet_dev_text, sgp_procnet_dev_line, sgp_procnet_sock_text,
 * sgp_procnet_sock_line (the live agent's /proc/net parsers, procnet.c)
 *
 * Input: byte 0 selects the table (mode % 3: 0 /proc/net/dev, 1 tcp/udp, 2 tcp6/udp6); the
 * rest is the file's text, without a NUL terminator (the parsers must not need one).
 * Invariants (each a finding if it breaks):
 *   - every return is a named code;
 *   - on error the reported line is 1 .. lines + 1 and no output was written for the text
 *     (rx/tx keep a marker value: the parser changes nothing on rejected input);
 *   - on success the same text parses again to the same sums / the same sockets;
 *   - every socket of a v4 table (tcp, udp) has IPv4 addresses (v6 tables may hold
 *     IPv4-mapped addresses, which sgp_ip stores as IPv4).
 */
#include <string.h>

#include "fuzz_common.h"
#include "sgp/procnet.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MARK = 0x5a5a5a5au };

struct tally {
  int v6;
  uint64_t n, sum;
};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_init();
  return 0;
}

static size_t lines_in(const char *s, size_t n) {
  size_t k = 1;
  for (size_t i = 0; i < n; i++) k += s[i] == '\n';
  return k;
}

static void on_sock(void *ctx, const struct sgp_sock *s) {
  struct tally *t = ctx;
  FZ_CHECK(t->v6 || (sgp_ip_is_v4(&s->local) && sgp_ip_is_v4(&s->remote)),
           "IPv6 address in a v4 table");
  t->n++;
  t->sum = t->sum * 31u + s->lport + ((uint64_t)s->rport << 16) + ((uint64_t)s->state << 32) +
           s->inode + s->retransmits;
}

static void dev(const char *s, size_t n) {
  uint64_t rx = MARK, tx = MARK, rx2 = 0, tx2 = 0;
  unsigned line = 0, line2 = 0;
  sgp_err e = sgp_procnet_dev_text(s, n, &rx, &tx, &line);
  fz_check_named(e, "sgp_procnet_dev_text");
  if (e != SGP_OK) {
    FZ_CHECK(line >= 1 && line <= lines_in(s, n), "error line %u", line);
    FZ_CHECK(rx == MARK && tx == MARK, "rejected text wrote its sums");
    return;
  }
  FZ_CHECK(sgp_procnet_dev_text(s, n, &rx2, &tx2, &line2) == SGP_OK && rx2 == rx && tx2 == tx,
           "same text, different sums");
}

static void sock(const char *s, size_t n, int v6) {
  struct tally a = {v6, 0, 0}, b = {v6, 0, 0};
  unsigned line = 0, line2 = 0;
  sgp_err e = sgp_procnet_sock_text(s, n, v6, on_sock, &a, &line);
  fz_check_named(e, "sgp_procnet_sock_text");
  if (e != SGP_OK) {
    FZ_CHECK(line >= 1 && line <= lines_in(s, n), "error line %u", line);
    return;
  }
  FZ_CHECK(sgp_procnet_sock_text(s, n, v6, on_sock, &b, &line2) == SGP_OK && a.n == b.n &&
               a.sum == b.sum,
           "same text, different sockets");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const char *s = (const char *)data + 1;
  size_t n = size - 1;
  switch (data[0] % 3) {
    case 0:
      dev(s, n);
      break;
    case 1:
      sock(s, n, 0);
      break;
    default:
      sock(s, n, 1);
      break;
  }
  return 0;
}
