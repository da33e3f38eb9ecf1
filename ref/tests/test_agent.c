/* Agent scoring: SGP-AGENT-2..7 (agent.h, spec §10). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/agent.h"
#include "testutil.h"

static struct sgp_agent agent; /* ~0.5 MiB: static, not on the stack */

static struct sgp_ip v4(uint32_t a) {
  struct sgp_ip ip;
  sgp_ip_from_v4(&ip, a);
  return ip;
}

#define HOST 0x0a000005u /* 10.0.0.5 */

static struct sgp_flow flow(uint64_t ts_ms, uint32_t dst, uint16_t dport, uint8_t state,
                            uint64_t out, uint64_t in) {
  struct sgp_flow f;
  memset(&f, 0, sizeof f);
  f.ts_us = ts_ms * 1000u;
  f.src = v4(HOST);
  f.dst = v4(dst);
  f.sport = 40000;
  f.dport = dport;
  f.proto = 6;
  f.state = state;
  f.bytes_out = out;
  f.bytes_in = in;
  f.pkts_out = 2;
  f.pkts_in = in > 0 ? 2 : 0;
  return f;
}

static void init_default(void) {
  struct sgp_ip h = v4(HOST);
  cr_assert_eq(sgp_agent_init(&agent, NULL, &h), SGP_OK);
}

static uint32_t score(uint64_t now_ms, uint16_t sub[SGP_SUBSCORES]) {
  uint32_t s = 0;
  cr_assert_eq(sgp_agent_score(&agent, now_ms, sub, &s), SGP_OK);
  for (unsigned i = 0; i < SGP_SUBSCORES; i++) cr_assert_leq(sub[i], 1000);
  cr_assert_leq(s, 5000);
  return s;
}

/* SGP-AGENT-4: the default weights give the plain sum, in integer arithmetic. */
Test(agent, default_weights_sum_SGP_AGENT_4) {
  struct sgp_agent_config c;
  sgp_agent_config_default(&c);
  for (unsigned i = 0; i < SGP_SUBSCORES; i++) cr_assert_eq(c.weights[i], 1000);
  const uint16_t sub[5] = {1, 999, 1000, 0, 333};
  uint32_t s = 0;
  cr_assert_eq(sgp_agent_combine(c.weights, sub, &s), SGP_OK);
  cr_assert_eq(s, 1 + 999 + 1000 + 0 + 333);
  const uint16_t top[5] = {1000, 1000, 1000, 1000, 1000};
  cr_assert_eq(sgp_agent_combine(c.weights, top, &s), SGP_OK);
  cr_assert_eq(s, 5000);
}

/* SGP-AGENT-5: other weights, same formula, floor, result within 0..5000. */
Test(agent, custom_weights_floor_SGP_AGENT_5) {
  const uint16_t w[5] = {500, 0, 1000, 333, 1};
  const uint16_t sub[5] = {999, 1000, 7, 1000, 999};
  uint32_t s = 0;
  cr_assert_eq(sgp_agent_combine(w, sub, &s), SGP_OK);
  /* (499500 + 0 + 7000 + 333000 + 999) / 1000 = 840.499 -> 840 */
  cr_assert_eq(s, 840);
  uint64_t seed = 7;
  for (int k = 0; k < 2000; k++) {
    uint16_t ww[5], ss[5];
    uint64_t acc = 0;
    for (unsigned i = 0; i < 5; i++) {
      ww[i] = (uint16_t)(tu_rand(&seed) % 1001);
      ss[i] = (uint16_t)(tu_rand(&seed) % 1001);
      acc += (uint64_t)ww[i] * ss[i];
    }
    cr_assert_eq(sgp_agent_combine(ww, ss, &s), SGP_OK);
    cr_assert_eq(s, acc / 1000);
    cr_assert_leq(s, 5000);
  }
  const uint16_t bad_w[5] = {1001, 0, 0, 0, 0}, bad_s[5] = {0, 0, 0, 0, 1001};
  s = 77;
  cr_assert_eq(sgp_agent_combine(bad_w, sub, &s), SGP_ERR_RANGE);
  cr_assert_eq(sgp_agent_combine(w, bad_s, &s), SGP_ERR_RANGE);
  cr_assert_eq(s, 77);
}

Test(agent, config_validation) {
  struct sgp_agent_config c;
  sgp_agent_config_default(&c);
  cr_assert_eq(sgp_agent_config_validate(&c), SGP_OK);
  c.weights[2] = 1001;
  cr_assert_eq(sgp_agent_config_validate(&c), SGP_ERR_RANGE);
  sgp_agent_config_default(&c);
  c.window_ms = 0;
  cr_assert_eq(sgp_agent_config_validate(&c), SGP_ERR_RANGE);
  sgp_agent_config_default(&c);
  c.cv_full_pm = c.cv_zero_pm;
  cr_assert_eq(sgp_agent_config_validate(&c), SGP_ERR_RANGE);
  sgp_agent_config_default(&c);
  c.n_c2_ports = SGP_AGENT_PORTS_MAX + 1;
  cr_assert_eq(sgp_agent_config_validate(&c), SGP_ERR_RANGE);
  struct sgp_ip h = v4(HOST);
  cr_assert_eq(sgp_agent_init(&agent, &c, &h), SGP_ERR_RANGE);
}

/* An idle host scores 0 on every signal. */
Test(agent, empty_window_scores_zero) {
  init_default();
  uint16_t sub[5];
  cr_assert_eq(score(1000000, sub), 0);
  for (unsigned i = 0; i < 5; i++) cr_assert_eq(sub[i], 0);
}

/* SGP-AGENT-3: each signal lands in its own slot of the §3.1 order. */
Test(agent, subscore_order_SGP_AGENT_3) {
  uint16_t sub[5];
  /* 0 response: answered flows to 443 except all connections to one dead host. */
  init_default();
  for (unsigned i = 0; i < 6; i++) {
    struct sgp_flow f =
        flow(1000 + i * 7919u * (i % 3 + 1), 0x08080808u, 443, SGP_FLOW_UNANSWERED, 0, 0);
    f.bytes_out = 0; /* no bytes either way: the ratio stays 0 */
    cr_assert_eq(sgp_agent_add(&agent, &f), SGP_OK);
  }
  score(60000, sub);
  cr_assert_eq(sub[SGP_AGENT_SUB_RESPONSE], 1000);
  cr_assert_eq(sub[1] + sub[3] + sub[4], 0);
  cr_assert_eq(SGP_AGENT_SUB_RESPONSE, 0);

  /* 1 addresses: 600 distinct answered destinations in a burst. */
  init_default();
  for (uint32_t i = 0; i < 600; i++) {
    struct sgp_flow f = flow(1000 + i, 0x14000000u + i, 443, SGP_FLOW_ANSWERED, 100, 1000);
    cr_assert_eq(sgp_agent_add(&agent, &f), SGP_OK);
  }
  score(2000, sub);
  cr_assert_eq(SGP_AGENT_SUB_ADDRS, 1);
  cr_assert_eq(sub[1], 1000);
  cr_assert_eq(sub[0] + sub[2] + sub[3] + sub[4], 0);

  /* 2 pattern: a strict 30 s beacon, answered, small and balanced. */
  init_default();
  for (uint32_t i = 0; i < 9; i++) {
    struct sgp_flow f = flow(1000 + i * 30000u, 0x01020304u, 443, SGP_FLOW_ANSWERED, 500, 600);
    cr_assert_eq(sgp_agent_add(&agent, &f), SGP_OK);
  }
  score(250000, sub);
  cr_assert_eq(SGP_AGENT_SUB_PATTERN, 2);
  cr_assert_eq(sub[2], 1000);
  cr_assert_eq(sub[0] + sub[1] + sub[3] + sub[4], 0);

  /* 3 ports: two answered connections to a listed C2 port, irregular. */
  init_default();
  cr_assert_eq(sgp_agent_add(&agent, &(struct sgp_flow){0}), SGP_ERR_FLOW_HOST);
  struct sgp_flow f1 = flow(1000, 0x05060708u, 4444, SGP_FLOW_ANSWERED, 100, 1000);
  struct sgp_flow f2 = flow(1100, 0x05060709u, 4444, SGP_FLOW_ANSWERED, 100, 1000);
  cr_assert_eq(sgp_agent_add(&agent, &f1), SGP_OK);
  cr_assert_eq(sgp_agent_add(&agent, &f2), SGP_OK);
  score(5000, sub);
  cr_assert_eq(SGP_AGENT_SUB_PORTS, 3);
  cr_assert_eq(sub[3], 1000);
  cr_assert_eq(sub[0] + sub[1] + sub[2] + sub[4], 0);

  /* 4 ratio: one large upload (1 MB out, 10 kB back). */
  init_default();
  struct sgp_flow up = flow(1000, 0x05060708u, 443, SGP_FLOW_ANSWERED, 1000000, 10000);
  cr_assert_eq(sgp_agent_add(&agent, &up), SGP_OK);
  score(5000, sub);
  cr_assert_eq(SGP_AGENT_SUB_RATIO, 4);
  cr_assert_eq(sub[4], 1000);
  cr_assert_eq(sub[0] + sub[1] + sub[2] + sub[3], 0);
}

/* Monotonicity: more failures, more destinations, more bytes out never lower
 * the matching sub-score (so never the suspicion with non-negative weights). */
Test(agent, monotone_in_each_signal) {
  uint16_t sub[5];
  uint32_t prev = 0;
  for (unsigned fails = 0; fails <= 8; fails++) {
    init_default();
    for (unsigned i = 0; i < 8; i++) {
      struct sgp_flow f = flow(1000 + i * 1000u * (i + 1), 0x01010101u, 443,
                               i < fails ? SGP_FLOW_UNANSWERED : SGP_FLOW_ANSWERED, 100, 100);
      cr_assert_eq(sgp_agent_add(&agent, &f), SGP_OK);
    }
    score(100000, sub);
    cr_assert_geq(sub[0], prev, "fails=%u", fails);
    prev = sub[0];
  }
  cr_assert_eq(prev, 1000);
  prev = 0;
  for (uint32_t n = 0; n <= 700; n += 50) {
    init_default();
    for (uint32_t i = 0; i < n; i++) {
      struct sgp_flow f = flow(1000 + i, 0x20000000u + i, 80, SGP_FLOW_ANSWERED, 100, 1000);
      cr_assert_eq(sgp_agent_add(&agent, &f), SGP_OK);
    }
    score(5000, sub);
    cr_assert_geq(sub[1], prev, "n=%u", n);
    prev = sub[1];
  }
  cr_assert_eq(prev, 1000);
  prev = 0;
  for (uint64_t out = 0; out <= 20000; out += 1000) {
    init_default();
    for (unsigned i = 0; i < 4; i++) {
      struct sgp_flow f =
          flow(1000 + i * 3333u * (i + 1), 0x01010101u, 443, SGP_FLOW_ANSWERED, out, 1000);
      cr_assert_eq(sgp_agent_add(&agent, &f), SGP_OK);
    }
    score(100000, sub);
    cr_assert_geq(sub[4], prev);
    prev = sub[4];
  }
  cr_assert_eq(prev, 1000);
}

/* Bounds under random input: every sub-score 0..1000, suspicion 0..5000 and
 * equal to the SGP-AGENT-4 sum (default weights). */
Test(agent, random_flows_stay_in_bounds) {
  init_default();
  uint64_t seed = 42, t = 0;
  for (int k = 0; k < 20000; k++) {
    t += tu_rand(&seed) % 2000;
    struct sgp_flow f =
        flow(t, 0x0a000000u + (uint32_t)(tu_rand(&seed) % 300), (uint16_t)tu_rand(&seed),
             (uint8_t)(tu_rand(&seed) % 3), tu_rand(&seed) % 100000, tu_rand(&seed) % 100000);
    f.proto = (uint8_t)((tu_rand(&seed) % 2) ? 6 : 17);
    cr_assert_eq(sgp_agent_add(&agent, &f), SGP_OK);
    if (k % 97 == 0) {
      uint16_t sub[5];
      uint32_t s = score(t, sub);
      cr_assert_eq(s, (uint32_t)sub[0] + sub[1] + sub[2] + sub[3] + sub[4]);
    }
  }
  cr_assert_leq(agent.count, SGP_AGENT_WINDOW_MAX);
}

/* SGP-AGENT-6: flows of other hosts are rejected without any state change;
 * incoming connections are accepted but not scored. */
Test(agent, host_binding_SGP_AGENT_6) {
  init_default();
  struct sgp_flow other = flow(1000, 0x01010101u, 4444, SGP_FLOW_UNANSWERED, 100, 0);
  other.src = v4(0x0a000006u);
  for (int i = 0; i < 50; i++) {
    other.ts_us += 1000000;
    cr_assert_eq(sgp_agent_add(&agent, &other), SGP_ERR_FLOW_HOST);
  }
  cr_assert_eq(agent.count, 0);
  cr_assert_eq(agent.stats.flows, 0);
  uint16_t sub[5];
  cr_assert_eq(score(100000, sub), 0);
  /* Incoming: someone scans the host. */
  struct sgp_flow in = flow(1000, 0, 23, SGP_FLOW_UNANSWERED, 60, 0);
  in.src = v4(0x01010101u);
  in.dst = v4(HOST);
  for (int i = 0; i < 50; i++) {
    in.ts_us += 1000000;
    cr_assert_eq(sgp_agent_add(&agent, &in), SGP_OK);
  }
  cr_assert_eq(agent.stats.incoming, 50);
  cr_assert_eq(score(100000, sub), 0);
}

/* Multicast / broadcast destinations never answer: not scored. */
Test(agent, broadcast_not_scored) {
  init_default();
  for (int i = 0; i < 20; i++) {
    struct sgp_flow f =
        flow(1000 + (uint64_t)i * 10000, 0xe00000fcu, 5355, SGP_FLOW_UNANSWERED, 100, 0);
    cr_assert_eq(sgp_agent_add(&agent, &f), SGP_OK);
    f.dst = v4(0x0a0000ffu);
    cr_assert_eq(sgp_agent_add(&agent, &f), SGP_OK);
  }
  uint16_t sub[5];
  cr_assert_eq(score(250000, sub), 0);
  cr_assert_eq(agent.stats.broadcast, 40);
}

/* The window slides: a burst scores while inside and is forgotten after. */
Test(agent, window_expiry) {
  init_default();
  for (unsigned i = 0; i < 8; i++) {
    struct sgp_flow f =
        flow(1000 + i * 1000u * (i + 1), 0x01010101u, 443, SGP_FLOW_UNANSWERED, 0, 0);
    cr_assert_eq(sgp_agent_add(&agent, &f), SGP_OK);
  }
  uint16_t sub[5];
  score(60000, sub);
  cr_assert_eq(sub[0], 1000);
  score(60000 + 300000, sub);
  cr_assert_eq(sub[0], 0);
  cr_assert_eq(agent.count, 0);
  /* A flow older than the window when it arrives is counted as late. */
  struct sgp_flow late = flow(1000, 0x01010101u, 443, SGP_FLOW_ANSWERED, 1, 1);
  struct sgp_flow now = flow(1000000, 0x01010101u, 443, SGP_FLOW_ANSWERED, 1, 1);
  cr_assert_eq(sgp_agent_add(&agent, &now), SGP_OK);
  cr_assert_eq(sgp_agent_add(&agent, &late), SGP_OK);
  cr_assert_eq(agent.stats.late, 1);
}

/* Out-of-order arrival within the window scores like sorted arrival. */
Test(agent, order_insensitive) {
  uint16_t a[5], b[5];
  uint64_t ts[9] = {1000, 31000, 61000, 91000, 121000, 151000, 181000, 211000, 241000};
  init_default();
  for (unsigned i = 0; i < 9; i++) {
    struct sgp_flow f = flow(ts[i], 0x01020304u, 1177, SGP_FLOW_UNANSWERED, 104, 0);
    cr_assert_eq(sgp_agent_add(&agent, &f), SGP_OK);
  }
  uint32_t sa = score(250000, a);
  init_default();
  static const unsigned perm[9] = {1, 0, 3, 2, 5, 4, 8, 6, 7};
  for (unsigned i = 0; i < 9; i++) {
    struct sgp_flow f = flow(ts[perm[i]], 0x01020304u, 1177, SGP_FLOW_UNANSWERED, 104, 0);
    cr_assert_eq(sgp_agent_add(&agent, &f), SGP_OK);
  }
  uint32_t sb = score(250000, b);
  cr_assert_eq(sa, sb);
  cr_assert_eq(memcmp(a, b, sizeof a), 0);
  /* This is the njRAT pattern of spec §10.3: failed, regular, C2 port, out only. */
  cr_assert_eq(sa, 4000);
}

/* The window holds at most SGP_AGENT_WINDOW_MAX flows (fixed memory). */
Test(agent, window_capacity) {
  init_default();
  for (uint32_t i = 0; i < SGP_AGENT_WINDOW_MAX + 100; i++) {
    struct sgp_flow f = flow(1000 + i, 0x30000000u + (i % 50), 443, SGP_FLOW_ANSWERED, 1, 1);
    cr_assert_eq(sgp_agent_add(&agent, &f), SGP_OK);
  }
  cr_assert_eq(agent.count, SGP_AGENT_WINDOW_MAX);
  cr_assert_eq(agent.stats.evicted, 100);
}

/* New destinations count only after one window of history. */
Test(agent, new_destinations_after_warmup) {
  init_default();
  uint16_t sub[5];
  for (uint32_t i = 0; i < 60; i++) {
    struct sgp_flow f = flow(1000 + i, 0x40000000u + i, 443, SGP_FLOW_ANSWERED, 100, 1000);
    cr_assert_eq(sgp_agent_add(&agent, &f), SGP_OK);
  }
  score(2000, sub);
  cr_assert_eq(sub[1], 0); /* 60 distinct < dst_lo, and not warm yet */
  /* A window later, 300 never-seen destinations. */
  for (uint32_t i = 0; i < 300; i++) {
    struct sgp_flow f = flow(400000 + i, 0x50000000u + i, 443, SGP_FLOW_ANSWERED, 100, 1000);
    cr_assert_eq(sgp_agent_add(&agent, &f), SGP_OK);
  }
  score(401000, sub);
  cr_assert_eq(sub[1], 1000); /* ramp(300, 50, 250) */
}

Test(agent, ip_parse_and_format) {
  static const struct {
    const char *in, *out;
  } ok[] = {{"192.168.1.115", "192.168.1.115"},
            {"0.0.0.0", "0.0.0.0"},
            {"fd2d:ab8c:225:0:81d3:fd3e:7f62:aec8", "fd2d:ab8c:225:0:81d3:fd3e:7f62:aec8"},
            {"fd2d:ab8c:225::1", "fd2d:ab8c:225::1"},
            {"::", "::"},
            {"ff02::1:3", "ff02::1:3"},
            {"FE80::5DD3:6BB3:7720:1E83", "fe80::5dd3:6bb3:7720:1e83"},
            {"::ffff:10.1.2.3", "10.1.2.3"}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    struct sgp_ip ip;
    char buf[64];
    cr_assert_eq(sgp_ip_parse(&ip, ok[i].in, strlen(ok[i].in)), SGP_OK, "%s", ok[i].in);
    sgp_ip_format(&ip, buf, sizeof buf);
    cr_assert_str_eq(buf, ok[i].out);
  }
  static const char *bad[] = {
      "",         "1.2.3",    "1.2.3.4.5",   "256.1.1.1",         "01.2.3.4",
      "1.2.3.4 ", "1::2::3",  ":1:2",        "1:2:3:4:5:6:7:8:9", "12345::",
      "g::1",     "1.2.3.-4", "fe80::1%eth0"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct sgp_ip ip;
    cr_assert_eq(sgp_ip_parse(&ip, bad[i], strlen(bad[i])), SGP_ERR_FLOW_FIELD, "%s", bad[i]);
  }
}

/* SGP-AGENT-7: the functions are documented, and the documentation in spec
 * §10.3 states the defaults the code uses (a drift check, not prose review). */
Test(agent, spec_documents_defaults_SGP_AGENT_7) {
  size_t len = 0;
  char *spec = tu_read_file(SGP_SOURCE_DIR "/spec/sgp-v1.md", &len);
  cr_assert_not_null(spec);
  const char *sec = strstr(spec, "### 10.3 Sub-score functions");
  cr_assert_not_null(sec);
  const char *end = strstr(sec, "\n## 11.");
  cr_assert_not_null(end);
  struct sgp_agent_config c;
  sgp_agent_config_default(&c);
  char want[16][96];
  unsigned n = 0;
  snprintf(want[n++], 96, "default %u s", c.window_ms / 1000u);
  snprintf(want[n++], 96, "at most %u flows", (unsigned)SGP_AGENT_WINDOW_MAX);
  snprintf(want[n++], 96, "ramp(1000·f_d/n_d, %u, %u) ⊗ conf(n_d, %u)", c.chan_fail_lo_pm,
           c.chan_fail_hi_pm, c.chan_full_flows);
  snprintf(want[n++], 96, "(n ≥ %u flows): `ramp(1000·f/n, %u, %u)", c.host_fail_min_flows,
           c.host_fail_lo_pm, c.host_fail_hi_pm);
  snprintf(want[n++], 96, "ramp(delay_ms, %u, %u)", c.delay_lo_ms, c.delay_hi_ms);
  snprintf(want[n++], 96, "ramp(distinct, %u, %u)", c.dst_lo, c.dst_hi);
  snprintf(want[n++], 96, "ramp(new, %u, %u)", c.new_lo, c.new_hi);
  snprintf(want[n++], 96, "1000 − ramp(cv, %u, %u)", c.cv_full_pm, c.cv_zero_pm);
  snprintf(want[n++], 96, "at least %u connections (%u gaps)", c.beacon_min_intervals + 1,
           c.beacon_min_intervals);
  snprintf(want[n++], 96, "conf(c2, %u)", c.c2_full_flows);
  snprintf(want[n++], 96, "%u ⊗ conf(u, %u)", c.unusual_score, c.unusual_full_flows);
  snprintf(want[n++], 96, "ramp(distinct ports, %u, %u)", c.dports_lo, c.dports_hi);
  snprintf(want[n++], 96, "ramp(1000·out/in, %u, %u) ⊗ max(conf(n_d, %u), conf(out, %llu))",
           c.ratio_lo_pm, c.ratio_hi_pm, c.chan_full_flows, (unsigned long long)c.ratio_full_bytes);
  for (unsigned i = 0; i < n; i++) {
    const char *at = strstr(sec, want[i]);
    cr_assert(at != NULL && at < end, "spec §10.3 lacks \"%s\"", want[i]);
  }
  /* Every default C2 and usual port is listed. */
  for (unsigned i = 0; i < c.n_c2_ports + c.n_usual_ports; i++) {
    char p[16];
    snprintf(p, sizeof p, "%u", i < c.n_c2_ports ? c.c2_ports[i] : c.usual_ports[i - c.n_c2_ports]);
    const char *at = strstr(sec, p);
    cr_assert(at != NULL && at < end, "spec §10.3 lacks port %s", p);
  }
  free(spec);
}
