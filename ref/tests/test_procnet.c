/* /proc/net parsers (procnet.h) and the live sampler (agentlive.h) on
 * generated files, spec §10.  Line numbers are 1-based. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sgp/agentlive.h"
#include "sgp/procnet.h"

#define DEV_HEAD                                                                             \
  "Inter-|   Receive                                                |  Transmit\n"           \
  " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs " \
  "drop fifo colls carrier compressed\n"
#define DEV_LO                                                                                     \
  "    lo: 13885046   41729    0    0    0     0          0         0 13885046   41729    0    0 " \
  "   0     0       0          0\n"
#define DEV_ETH                                                                                   \
  "  eth0: 117823864    3944    0    0    0     0          0         0   204036    2716    0    " \
  "0    0     0       0          0\n"

#define TCP_HEAD                                                                                \
  "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout " \
  "inode\n"
/* 0.0.0.0:2024 LISTEN; 10.0.0.5:40000 -> 8.8.8.8:443 ESTABLISHED (little-endian words). */
#define TCP_LISTEN                                                                              \
  "   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 " \
  "1059 1 0000000016a08da2 100 0 0 10 0\n"
#define TCP_EST                                                                                 \
  "   1: 0500000A:9C40 08080808:01BB 01 00000000:00000000 00:00000000 00000003  1000        0 " \
  "2222 1 0000000016a08da2 20 4 30 10 -1\n"
#define TCP_SYN                                                                                 \
  "   2: 0500000A:9C41 04030201:1151 02 00000001:00000000 01:00000064 00000002  1000        0 " \
  "3333 1 0000000016a08da2 20 4 30 10 -1\n"

Test(procnet, dev_sums_all_but_loopback) {
  const char *t = DEV_HEAD DEV_LO DEV_ETH DEV_ETH;
  uint64_t rx = 0, tx = 0;
  unsigned line = 0;
  cr_assert_eq(sgp_procnet_dev_text(t, strlen(t), &rx, &tx, &line), SGP_OK);
  cr_assert_eq(rx, 2 * 117823864ull);
  cr_assert_eq(tx, 2 * 204036ull);
}

Test(procnet, dev_errors_with_line_numbers) {
  static const struct {
    const char *text;
    sgp_err err;
    unsigned line;
  } bad[] = {
      {"", SGP_ERR_FLOW_HEADER, 1}, /* empty: the header is missing at line 1 (fuzz_procnet) */
      {DEV_LO, SGP_ERR_FLOW_HEADER, 1},
      {DEV_HEAD "  eth0: 1 2 3\n", SGP_ERR_FLOW_COLUMNS, 3},
      {DEV_HEAD DEV_LO "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n", SGP_ERR_FLOW_COLUMNS,
       4},
      {DEV_HEAD "  eth0: 1 2 3 4 5 6 7 x 9 10 11 12 13 14 15 16\n", SGP_ERR_FLOW_FIELD, 3},
      {DEV_HEAD "  eth0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", SGP_ERR_FLOW_COLUMNS, 3},
      {DEV_HEAD "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 99999999999999999999999\n",
       SGP_ERR_FLOW_FIELD, 3},
      {DEV_HEAD DEV_LO "  eth0: 1 2 3", SGP_ERR_TRUNCATED, 4},
      {DEV_HEAD "  et\x01h0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", SGP_ERR_FLOW_BINARY, 3},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint64_t rx = 5, tx = 6;
    unsigned line = 0;
    cr_assert_eq(sgp_procnet_dev_text(bad[i].text, strlen(bad[i].text), &rx, &tx, &line),
                 bad[i].err, "case %zu", i);
    cr_assert_eq(line, bad[i].line, "case %zu: line %u", i, line);
    cr_assert_eq(rx, 5);
    cr_assert_eq(tx, 6);
  }
  /* Embedded NUL and a huge line. */
  static char big[2048];
  memcpy(big, DEV_HEAD, strlen(DEV_HEAD));
  memset(big + strlen(DEV_HEAD), 'x', 1000);
  big[strlen(DEV_HEAD) + 1000] = '\n';
  uint64_t rx, tx;
  unsigned line = 0;
  cr_assert_eq(sgp_procnet_dev_text(big, strlen(DEV_HEAD) + 1001, &rx, &tx, &line),
               SGP_ERR_TOO_LARGE);
  cr_assert_eq(line, 3);
  const char nul[] = DEV_HEAD "  eth0\0: 1\n";
  cr_assert_eq(sgp_procnet_dev_text(nul, sizeof nul - 1, &rx, &tx, &line), SGP_ERR_FLOW_BINARY);
  cr_assert_eq(line, 3);
}

struct collect {
  struct sgp_sock s[8];
  size_t n;
};

static void collect_cb(void *ctx, const struct sgp_sock *s) {
  struct collect *c = ctx;
  if (c->n < 8) c->s[c->n++] = *s;
}

static void ip_is(const struct sgp_ip *ip, const char *txt) {
  char buf[64];
  sgp_ip_format(ip, buf, sizeof buf);
  cr_assert_str_eq(buf, txt);
}

static int host_is_le(void) {
  const uint16_t one = 1;
  uint8_t b;
  memcpy(&b, &one, 1);
  return b == 1;
}

Test(procnet, tcp_v4_lines) {
  if (!host_is_le()) cr_skip_test("fixture words are little-endian");
  const char *t = TCP_HEAD TCP_LISTEN TCP_EST TCP_SYN;
  struct collect c = {.n = 0};
  unsigned line = 0;
  cr_assert_eq(sgp_procnet_sock_text(t, strlen(t), 0, collect_cb, &c, &line), SGP_OK);
  cr_assert_eq(c.n, 3);
  cr_assert_eq(c.s[0].state, SGP_TCP_LISTEN);
  cr_assert_eq(c.s[0].lport, 2024);
  ip_is(&c.s[1].local, "10.0.0.5");
  ip_is(&c.s[1].remote, "8.8.8.8");
  cr_assert_eq(c.s[1].lport, 40000);
  cr_assert_eq(c.s[1].rport, 443);
  cr_assert_eq(c.s[1].state, SGP_TCP_ESTABLISHED);
  cr_assert_eq(c.s[1].retransmits, 3);
  cr_assert_eq(c.s[1].inode, 2222);
  ip_is(&c.s[2].remote, "1.2.3.4");
  cr_assert_eq(c.s[2].rport, 4433);
  cr_assert_eq(c.s[2].state, SGP_TCP_SYN_SENT);
}

Test(procnet, tcp6_and_udp_lines) {
  if (!host_is_le()) cr_skip_test("fixture words are little-endian");
  /* [2001:db8::1]:443 <- local [fd00::5]:40001, established */
  const char *l =
      "   0: 000000FD000000000000000005000000:9C41 B80D0120000000000000000001000000:01BB 01 "
      "00000000:00000000 00:00000000 00000000  1000        0 4444 1 0000000000000000 20 4 30 10 -1";
  struct sgp_sock s;
  cr_assert_eq(sgp_procnet_sock_line(l, strlen(l), 1, &s), SGP_OK);
  ip_is(&s.local, "fd00::5");
  ip_is(&s.remote, "2001:db8::1");
  cr_assert_eq(s.rport, 443);
  /* udp line (fewer trailing columns). */
  const char *u =
      "  120: 0500000A:D431 08080808:0035 01 00000000:00000000 00:00000000 00000000  1000        0 "
      "5555 2 0000000000000000 0";
  cr_assert_eq(sgp_procnet_sock_line(u, strlen(u), 0, &s), SGP_OK);
  cr_assert_eq(s.rport, 53);
  /* v4 address in a v6 table and vice versa: wrong width. */
  cr_assert_eq(sgp_procnet_sock_line(u, strlen(u), 1, &s), SGP_ERR_FLOW_FIELD);
  cr_assert_eq(sgp_procnet_sock_line(l, strlen(l), 0, &s), SGP_ERR_FLOW_FIELD);
}

Test(procnet, sock_errors_with_line_numbers) {
  static const struct {
    const char *text;
    sgp_err err;
    unsigned line;
  } bad[] = {
      {"", SGP_ERR_FLOW_HEADER, 1},
      {TCP_EST, SGP_ERR_FLOW_HEADER, 1},
      {TCP_HEAD TCP_EST "   1: 0500000A:9C40 08080808:01BB 01\n", SGP_ERR_FLOW_COLUMNS, 3},
      {TCP_HEAD "   1: 0500000A:9C40 08080808:01BB ZZ 00000000:00000000 00:00000000 00000003  1000 "
                "0 2222\n",
       SGP_ERR_FLOW_FIELD, 2},
      {TCP_HEAD "   1: 0500000G:9C40 08080808:01BB 01 00000000:00000000 00:00000000 00000003  1000 "
                "0 2222\n",
       SGP_ERR_FLOW_FIELD, 2},
      {TCP_HEAD "   1 0500000A:9C40 08080808:01BB 01 00000000:00000000 00:00000000 00000003  1000 "
                "0 2222\n",
       SGP_ERR_FLOW_FIELD, 2},
      {TCP_HEAD "   1: 0500000A:9C40 08080808:01BB 01 00000000:00000000 00:00000000 00000003  1000 "
                "0 22x2\n",
       SGP_ERR_FLOW_FIELD, 2},
      {TCP_HEAD TCP_EST "   2: 0500000A:9C40 080", SGP_ERR_TRUNCATED, 3},
      {TCP_HEAD "\x01\x02\x03\n", SGP_ERR_FLOW_BINARY, 2},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct collect c = {.n = 0};
    unsigned line = 0;
    cr_assert_eq(sgp_procnet_sock_text(bad[i].text, strlen(bad[i].text), 0, collect_cb, &c, &line),
                 bad[i].err, "case %zu", i);
    cr_assert_eq(line, bad[i].line, "case %zu: line %u", i, line);
  }
}

/* ---- the live sampler on a fake /proc/net directory -------------------- */

static char dir[64];
static struct sgp_agentlive live;
static struct sgp_agent agent;

static void put(const char *name, const char *text) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
}

static void mk_dir(void) {
  strcpy(dir, "/tmp/sgp-procnet-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
}

static void rm_dir(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}

/* New outgoing connections become flows; a SYN that never completes is an
 * unanswered flow; byte counter deltas feed the ratio. */
Test(agentlive, sampling_turns_changes_into_flows, .init = mk_dir, .fini = rm_dir) {
  if (!host_is_le()) cr_skip_test("fixture words are little-endian");
  put("dev", DEV_HEAD DEV_LO DEV_ETH);
  put("tcp", TCP_HEAD TCP_LISTEN);
  put("udp", TCP_HEAD);
  cr_assert_eq(sgp_agentlive_open(&live, dir), SGP_OK);
  struct sgp_ip self;
  memset(&self, 0, sizeof self);
  cr_assert_eq(sgp_agent_init(&agent, NULL, &self), SGP_OK);
  cr_assert_eq(sgp_agentlive_sample(&live, &agent, 1000), SGP_OK); /* primes */
  cr_assert_eq(agent.stats.flows, 0);
  put("tcp", TCP_HEAD TCP_LISTEN TCP_EST TCP_SYN);
  cr_assert_eq(sgp_agentlive_sample(&live, &agent, 2000), SGP_OK);
  cr_assert_eq(agent.stats.outgoing, 1); /* the SYN waits */
  cr_assert_eq(live.npending, 1);
  put("tcp", TCP_HEAD TCP_LISTEN TCP_EST); /* the SYN vanished unanswered */
  cr_assert_eq(sgp_agentlive_sample(&live, &agent, 3000), SGP_OK);
  cr_assert_eq(agent.stats.outgoing, 2);
  cr_assert_eq(live.npending, 0);
  cr_assert_eq(agent.win[(agent.head + 1) % SGP_AGENT_WINDOW_MAX].state, SGP_FLOW_UNANSWERED);
  cr_assert_eq(sgp_agentlive_sample(&live, &agent, 4000), SGP_OK);
  cr_assert_eq(agent.stats.outgoing, 2); /* the established one is not new */
  cr_assert_eq(live.errors, 0);
  /* A corrupt line is counted with its file and line, the sample goes on. */
  put("tcp", TCP_HEAD TCP_LISTEN "garbage\n" TCP_EST);
  cr_assert_eq(sgp_agentlive_sample(&live, &agent, 5000), SGP_OK);
  cr_assert_eq(live.errors, 1);
  cr_assert_eq(live.last_err, SGP_ERR_FLOW_COLUMNS);
  cr_assert_eq(live.last_err_line, 3);
  cr_assert_str_eq(live.last_err_file, "tcp");
  /* Upload-like counters: 10 MB out, 0.1 MB in over the window. */
  put("dev", DEV_HEAD "  eth0: 217823864 0 0 0 0 0 0 0 10204036 0 0 0 0 0 0 0\n");
  cr_assert_eq(sgp_agentlive_sample(&live, &agent, 6000), SGP_OK);
  uint16_t sub[5];
  uint32_t s;
  cr_assert_eq(sgp_agent_score(&agent, 6000, sub, &s), SGP_OK);
  cr_assert_eq(sub[SGP_AGENT_SUB_RATIO], 0); /* 100 MB in, 10 MB out: a download */
  put("dev", DEV_HEAD "  eth0: 217823864 0 0 0 0 0 0 0 910204036 0 0 0 0 0 0 0\n");
  cr_assert_eq(sgp_agentlive_sample(&live, &agent, 7000), SGP_OK);
  cr_assert_eq(sgp_agent_score(&agent, 7000, sub, &s), SGP_OK);
  cr_assert_gt(sub[SGP_AGENT_SUB_RATIO], 0); /* then 900 MB out */
  cr_assert_eq(sgp_agentlive_open(&live, "/nonexistent"), SGP_ERR_FLOW_IO);
}

/* The real /proc/net parses without a single error on this machine. */
Test(agentlive, real_proc_net_parses) {
  if (access("/proc/net/dev", R_OK) != 0) cr_skip_test("no /proc/net");
  cr_assert_eq(sgp_agentlive_open(&live, NULL), SGP_OK);
  struct sgp_ip self;
  memset(&self, 0, sizeof self);
  cr_assert_eq(sgp_agent_init(&agent, NULL, &self), SGP_OK);
  for (uint64_t t = 0; t < 3; t++)
    cr_assert_eq(sgp_agentlive_sample(&live, &agent, t * 1000), SGP_OK);
  cr_assert_eq(live.errors, 0, "%s in %s:%u", sgp_err_name(live.last_err),
               live.last_err_file ? live.last_err_file : "?", live.last_err_line);
}
