/* Agent sources (agentsrc.h): fixed:V, replay pacing and host binding,
 * spec errors; SGP-AGENT-2 and SGP-AGENT-6.  Logs are generated here. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sgp/agentsrc.h"

static struct sgp_agentsrc src; /* ~1 MiB: static */
static char dir[64];

static void mk_dir(void) {
  strcpy(dir, "/tmp/sgp-agentsrc-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
}

static void rm_dir(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}

Test(agentsrc, fixed_value_split) {
  cr_assert_eq(sgp_agentsrc_open(&src, "fixed:4321", NULL, 1000, 0), SGP_OK);
  uint32_t s = 0;
  uint16_t sub[5];
  int have = 0;
  cr_assert_eq(sgp_agentsrc_poll(&src, 1000, &s, sub, &have), SGP_OK);
  cr_assert_eq(have, 1);
  cr_assert_eq(s, 4321);
  cr_assert_eq(sub[0], 865);
  for (unsigned i = 1; i < 5; i++) cr_assert_eq(sub[i], 864);
  uint32_t sum = 0;
  for (unsigned i = 0; i < 5; i++) sum += sub[i];
  cr_assert_eq(sum, 4321);
  sgp_agentsrc_close(&src);
  for (uint32_t v = 0; v <= 5000; v += 1) {
    char spec[32];
    snprintf(spec, sizeof spec, "fixed:%u", v);
    cr_assert_eq(sgp_agentsrc_open(&src, spec, NULL, 1000, 0), SGP_OK);
    cr_assert_eq(sgp_agentsrc_poll(&src, 1, &s, sub, &have), SGP_OK);
    cr_assert_eq(s, v);
    cr_assert_eq((uint32_t)sub[0] + sub[1] + sub[2] + sub[3] + sub[4], v);
  }
}

Test(agentsrc, bad_specs) {
  static const struct {
    const char *spec;
    sgp_err err;
  } bad[] = {{"fixed:5001", SGP_ERR_RANGE},
             {"fixed:", SGP_ERR_SYNTAX},
             {"fixed:-1", SGP_ERR_SYNTAX},
             {"fixed:99999999999", SGP_ERR_RANGE},
             {"proc", SGP_ERR_INVALID_ARG},
             {"", SGP_ERR_INVALID_ARG},
             {"zeek:/x/conn.log", SGP_ERR_SYNTAX},
             {"zeek:/x/conn.log:1.2.3", SGP_ERR_SYNTAX},
             {"zeek::1.2.3.4", SGP_ERR_SYNTAX},
             {"zeek:/x/conn.log:[fd00::1", SGP_ERR_SYNTAX},
             {"zeek:/nonexistent/conn.log:1.2.3.4", SGP_ERR_FLOW_IO},
             {"binetflow:/nonexistent/x.binetflow:[fd00::1]", SGP_ERR_FLOW_IO}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    src.kind = SGP_AGENTSRC_FIXED;
    cr_assert_eq(sgp_agentsrc_open(&src, bad[i].spec, NULL, 1000, 0), bad[i].err, "%s",
                 bad[i].spec);
    cr_assert_eq(src.kind, SGP_AGENTSRC_NONE); /* left closed */
  }
  cr_assert_eq(sgp_agentsrc_open(&src, "fixed:1", NULL, 0, 0), SGP_ERR_INVALID_ARG);
  struct sgp_agent_config c;
  sgp_agent_config_default(&c);
  c.weights[0] = 2000;
  cr_assert_eq(sgp_agentsrc_open(&src, "fixed:1", &c, 1000, 0), SGP_ERR_RANGE);
  /* A valid config with a bad speed is refused before anything is stored. */
  sgp_agent_config_default(&c);
  memset(&src, 0xa5, sizeof src);
  cr_assert_eq(sgp_agentsrc_open(&src, "fixed:1", &c, 0, 0), SGP_ERR_INVALID_ARG);
  static const struct sgp_agentsrc zero;
  cr_assert_eq(memcmp(&src, &zero, sizeof src), 0);
}

#define ZEEK_HEAD                                                              \
  "#separator \\x09\n#unset_field\t-\n#empty_field\t(empty)\n"                 \
  "#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\t" \
  "orig_bytes\tresp_bytes\tconn_state\torig_pkts\torig_ip_bytes\tresp_pkts\t"  \
  "resp_ip_bytes\tlabel\n"

/* A log: host 10.0.0.5 beacons to 41.1.1.1:1177 every 10 s, unanswered, from
 * t = 100 s; another host 10.0.0.6 does the same from t = 0; one bad line. */
static void write_log(char *path, size_t cap) {
  snprintf(path, cap, "%s/conn.log", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(ZEEK_HEAD, f);
  for (unsigned i = 0; i < 60; i++) {
    unsigned t = i * 10;
    fprintf(f, "%u.5\t10.0.0.6\t%u\t41.1.1.1\t1177\ttcp\t3.0\t0\t0\tS0\t2\t104\t0\t0\tMalicious\n",
            t, 40000 + i);
    if (t >= 100) {
      fprintf(f,
              "%u.0\t10.0.0.5\t%u\t41.1.1.1\t1177\ttcp\t3.0\t0\t0\tS0\t2\t104\t0\t0\tMalicious\n",
              t, 50000 + i);
    }
    if (i == 30) fputs("this line is broken\n", f);
  }
  fputs("#close\t2026-01-01\n", f);
  fclose(f);
}

/* SGP-AGENT-2: one tuple per poll; replay paced by the log clock x speed. */
Test(agentsrc, replay_paced_one_tuple_per_interval_SGP_AGENT_2, .init = mk_dir, .fini = rm_dir) {
  char path[128], spec[200];
  write_log(path, sizeof path);
  snprintf(spec, sizeof spec, "zeek:%s:10.0.0.5", path);
  const uint64_t open_ms = 5000000;
  cr_assert_eq(sgp_agentsrc_open(&src, spec, NULL, 10000, open_ms), SGP_OK);
  cr_assert_eq(src.log_t0_ms, 500); /* first flow of the log, whatever its host */
  uint32_t s, first_comp = 0;
  uint16_t sub[5];
  for (unsigned k = 0; k < 80; k++) { /* one poll per 1 s interval = 10 s of log */
    int have = 0;
    cr_assert_eq(sgp_agentsrc_poll(&src, open_ms + k * 1000u, &s, sub, &have), SGP_OK);
    cr_assert_eq(have, 1, "poll %u", k);
    cr_assert_leq(s, 5000);
    /* Fed exactly the host's flows with ts <= 0.5 s + k * 10 s. */
    uint64_t log_now = 500 + (uint64_t)k * 10000u, expect = 0;
    for (unsigned i = 0; i < 60; i++) expect += i * 10 >= 100 && i * 10000u <= log_now;
    cr_assert_eq(src.fed, expect, "poll %u: fed %llu", k, (unsigned long long)src.fed);
    if (s >= 4000 && first_comp == 0) first_comp = k;
  }
  cr_assert_eq(src.fed, 50);
  cr_assert_eq(src.file.log.skipped, 1);
  cr_assert_eq(src.file.log.first_err, SGP_ERR_FLOW_COLUMNS);
  cr_assert_eq(src.file.log.first_err_line, 57); /* 4 header + 10 + 21 * 2 lines, then it */
  /* The beacon starts at log t = 100 s (poll 10): COMPROMISED within a minute of log time. */
  cr_assert(first_comp >= 10 && first_comp <= 16, "first COMPROMISED at poll %u", first_comp);
  sgp_agentsrc_close(&src);
}

/* SGP-AGENT-6: bound to a host that only receives, or to an absent one, the
 * other host's flows never raise its score. */
Test(agentsrc, replay_bound_to_one_host_SGP_AGENT_6, .init = mk_dir, .fini = rm_dir) {
  char path[128], spec[200];
  write_log(path, sizeof path);
  snprintf(spec, sizeof spec, "zeek:%s:41.1.1.1", path);
  cr_assert_eq(sgp_agentsrc_open(&src, spec, NULL, 1000000, 0), SGP_OK);
  uint32_t s;
  uint16_t sub[5];
  int have;
  for (unsigned k = 1; k < 10; k++) {
    cr_assert_eq(sgp_agentsrc_poll(&src, k * 1000u, &s, sub, &have), SGP_OK);
    cr_assert_eq(s, 0); /* incoming only */
  }
  cr_assert_eq(src.fed, 110);
  cr_assert_eq(src.agent.stats.incoming, 110);
  sgp_agentsrc_close(&src);
  snprintf(spec, sizeof spec, "zeek:%s:10.9.9.9", path);
  cr_assert_eq(sgp_agentsrc_open(&src, spec, NULL, 1000000, 0), SGP_OK);
  for (unsigned k = 1; k < 10; k++) {
    cr_assert_eq(sgp_agentsrc_poll(&src, k * 1000u, &s, sub, &have), SGP_OK);
    cr_assert_eq(s, 0);
  }
  cr_assert_eq(src.fed, 0);
  cr_assert_eq(src.foreign, 110);
  sgp_agentsrc_close(&src);
}

Test(agentsrc, replay_refuses_headerless_log, .init = mk_dir, .fini = rm_dir) {
  char path[128], spec[200];
  snprintf(path, sizeof path, "%s/noheader.log", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs("1.0\t10.0.0.5\t1\t1.1.1.1\t80\ttcp\n", f);
  fclose(f);
  snprintf(spec, sizeof spec, "zeek:%s:10.0.0.5", path);
  cr_assert_eq(sgp_agentsrc_open(&src, spec, NULL, 1000, 0), SGP_ERR_FLOW_HEADER);
  snprintf(spec, sizeof spec, "binetflow:%s:10.0.0.5", path);
  cr_assert_eq(sgp_agentsrc_open(&src, spec, NULL, 1000, 0), SGP_ERR_FLOW_HEADER);
}

Test(agentsrc, binetflow_replay_ipv6_spec, .init = mk_dir, .fini = rm_dir) {
  char path[128], spec[200];
  snprintf(path, sizeof path, "%s/x.binetflow", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(
      "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,"
      "SrcBytes,Label\n",
      f);
  for (unsigned i = 0; i < 20; i++) {
    fprintf(f,
            "2011/08/10 09:%02u:%02u.000000,3.0,tcp,fd00::5,%u,   ->,2001:db8::9,6667,S_,0,,3,"
            "180,180,flow=From-Botnet\n",
            i / 4, (i % 4) * 15, 1000 + i);
  }
  fclose(f);
  snprintf(spec, sizeof spec, "binetflow:%s:[fd00::5]", path);
  cr_assert_eq(sgp_agentsrc_open(&src, spec, NULL, 100000, 0), SGP_OK);
  uint32_t s;
  uint16_t sub[5];
  int have;
  cr_assert_eq(sgp_agentsrc_poll(&src, 3000, &s, sub, &have), SGP_OK); /* 300 s of log */
  cr_assert_eq(src.fed, 20);
  cr_assert_eq(s, 4000); /* failed, 15 s beacon, IRC port, out only */
  sgp_agentsrc_close(&src);
}

Test(agentsrc, live_delivers_every_interval) {
  if (access("/proc/net/dev", R_OK) != 0) cr_skip_test("no /proc/net");
  cr_assert_eq(sgp_agentsrc_open(&src, "live", NULL, 1000, 0), SGP_OK);
  for (unsigned k = 0; k < 3; k++) {
    uint32_t s;
    uint16_t sub[5];
    int have = 0;
    cr_assert_eq(sgp_agentsrc_poll(&src, k * 1000u, &s, sub, &have), SGP_OK);
    cr_assert_eq(have, 1);
    cr_assert_leq(s, 5000);
  }
  sgp_agentsrc_close(&src);
}
