/* sgpd configuration parser (config.h, spec §11, SGP-NODE-2, SGP-PARAM-1/-5)
 * and the generation file format (SGP-STATE-2/-4). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sgp/config.h"

#define MINIMAL           \
  "[node]\n"              \
  "id = 2\n"              \
  "roster = roster.txt\n" \
  "key = node-2.key\n"    \
  "state_dir = state\n"   \
  "control_socket = run/ctl\n"

static sgp_err parse(const char *text, struct sgp_config *c, struct sgp_config_error *e) {
  return sgp_config_parse(c, text, strlen(text), e);
}

/* Parses text expecting failure; checks code and line and that *out is untouched. */
/* The parser writes *out only on success: its bytes, padding included, are
 * compared through a byte view of the struct. */
static void expect_reject(const char *text, sgp_err code, unsigned line) {
  static union {
    struct sgp_config c;
    uint8_t b[sizeof(struct sgp_config)];
  } out, before;
  memset(out.b, 0x5c, sizeof out.b);
  memset(before.b, 0x5c, sizeof before.b);
  struct sgp_config_error e;
  sgp_err rc = parse(text, &out.c, &e);
  cr_assert_eq(rc, code, "got %s want %s for:\n%s", sgp_err_name(rc), sgp_err_name(code), text);
  cr_assert_eq(e.line, line, "line %u want %u (%s) for:\n%s", e.line, line, e.reason, text);
  cr_assert_not_null(e.reason);
  cr_assert(memcmp(out.b, before.b, sizeof out.b) == 0, "rejected input changed the output");
}

/* SGP-PARAM-5: every unset parameter takes its §1.4 default. */
Test(config, minimal_file_gets_every_default) {
  struct sgp_config c;
  struct sgp_config_error e;
  cr_assert_eq(parse(MINIMAL, &c, &e), SGP_OK, "%u %s", e.line, e.reason);
  cr_assert_eq(c.id, 2);
  cr_assert_str_eq(c.roster, "roster.txt");
  cr_assert_str_eq(c.key, "node-2.key");
  cr_assert_str_eq(c.state_dir, "state");
  cr_assert_str_eq(c.control_socket, "run/ctl");
  cr_assert_eq(c.has_listen, 0);
  cr_assert_eq(c.log_level, SGP_LOG_INFO);
  cr_assert_eq(c.t_gossip_ms, 1000);
  cr_assert_eq(c.heartbeat, 10);
  cr_assert_eq(c.t_cleanup, 40);
  cr_assert_eq(c.theta_suspect, 2500);
  cr_assert_eq(c.theta_compromised, 4000);
  cr_assert_eq(c.max_silent, 64);
  cr_assert_eq(c.budget, 65536);
  cr_assert_eq(c.jigsaw, 0);
  cr_assert_eq(c.carrier, SGP_CARRIER_RAW);
  cr_assert_eq(c.reasm_global_bytes, 8388608);
  cr_assert_str_eq(c.agent_source, "fixed:0");
  cr_assert_eq(c.agent_interval_ms, 1000);
  cr_assert_eq(c.agent_speed_milli, 1000);
  for (int i = 0; i < 5; i++) cr_assert_eq(c.weights[i], 1000);
  cr_assert_eq(c.line[SGP_CFG_STATE_DIR], 5);
  cr_assert_eq(c.line[SGP_CFG_LISTEN], 0);
}

Test(config, full_file_every_key) {
  const char *text =
      "# comment\n; other comment\n" MINIMAL
      "listen = [::]:7400\nlog_level = debug\n"
      "[protocol]\nt_gossip_ms = 200\nheartbeat = 5\nt_cleanup = 20\n"
      "theta_suspect = 100\ntheta_compromised = 200\nmax_silent = 8\nbudget = 1024\n"
      "[transport]\njigsaw = parity\ncarrier = lsb-wav\nreasm_global_bytes = 1048576\n"
      "[agent]\nsource = zeek:/d/conn:x.log:[fd00::1]\ninterval_ms = 50\nspeed = 2.5\n"
      "weights = 0, 1,2 ,3,1000\n";
  struct sgp_config c;
  struct sgp_config_error e;
  cr_assert_eq(parse(text, &c, &e), SGP_OK, "%u %s", e.line, e.reason);
  cr_assert_eq(c.has_listen, 1);
  cr_assert_eq(c.listen.family, SGP_ADDR_V6);
  cr_assert_eq(c.listen.port, 7400);
  cr_assert_eq(c.log_level, SGP_LOG_DEBUG);
  cr_assert_eq(c.t_gossip_ms, 200);
  cr_assert_eq(c.heartbeat, 5);
  cr_assert_eq(c.t_cleanup, 20);
  cr_assert_eq(c.theta_suspect, 100);
  cr_assert_eq(c.theta_compromised, 200);
  cr_assert_eq(c.max_silent, 8);
  cr_assert_eq(c.budget, 1024);
  cr_assert_eq(c.jigsaw, 3);
  cr_assert_eq(c.carrier, SGP_CARRIER_LSB_WAV);
  cr_assert_eq(c.reasm_global_bytes, 1048576);
  cr_assert_str_eq(c.agent_source, "zeek:/d/conn:x.log:[fd00::1]");
  cr_assert_eq(c.agent_interval_ms, 50);
  cr_assert_eq(c.agent_speed_milli, 2500);
  const uint16_t w[5] = {0, 1, 2, 3, 1000};
  cr_assert(memcmp(c.weights, w, sizeof w) == 0);
}

Test(config, listen_and_source_forms) {
  struct sgp_config c;
  struct sgp_config_error e;
  cr_assert_eq(parse(MINIMAL "listen = 127.0.0.1:7001\n[agent]\nsource = fixed:4500\n", &c, &e),
               SGP_OK);
  cr_assert_eq(c.listen.family, SGP_ADDR_V4);
  cr_assert_eq(c.listen.ip[0], 127);
  cr_assert_eq(c.listen.port, 7001);
  cr_assert_str_eq(c.agent_source, "fixed:4500");
  cr_assert_eq(parse(MINIMAL "listen = 0.0.0.0:9\n[agent]\nsource = live\n", &c, &e), SGP_OK);
  cr_assert_eq(c.listen.family, SGP_ADDR_V4);
  cr_assert_eq(c.listen.ip[0], 0);
  cr_assert_eq(parse(MINIMAL "[agent]\nsource = binetflow:a.csv:10.0.0.1\n", &c, &e), SGP_OK);
  cr_assert_eq(parse(MINIMAL "[agent]\nspeed = 0.001\n", &c, &e), SGP_OK);
  cr_assert_eq(c.agent_speed_milli, 1);
  cr_assert_eq(parse(MINIMAL "[transport]\njigsaw = aont-parity\n", &c, &e), SGP_OK);
  cr_assert_eq(c.jigsaw, 3);
  cr_assert_eq(parse(MINIMAL "[transport]\njigsaw = aont\ncarrier = lsb-pgm\n", &c, &e), SGP_OK);
  cr_assert_eq(c.jigsaw, 1);
  cr_assert_eq(c.carrier, SGP_CARRIER_LSB_PGM);
}

/* SGP-NODE-2: unknown section or key, malformed value: SGP_ERR_SYNTAX at its line. */
Test(config, unknown_section_or_key_is_syntax_with_line) {
  expect_reject(MINIMAL "bogus = 1\n", SGP_ERR_SYNTAX, 7);
  expect_reject(MINIMAL "[nodes]\n", SGP_ERR_SYNTAX, 7);
  expect_reject(MINIMAL "[protocol]\nid = 3\n", SGP_ERR_SYNTAX, 8);
  expect_reject("id = 1\n" MINIMAL, SGP_ERR_SYNTAX, 1);
  expect_reject(MINIMAL "[Node]\n", SGP_ERR_SYNTAX, 7);
  expect_reject(MINIMAL "[transport]\ncover_dir = x\n", SGP_ERR_SYNTAX, 8);
}

/* SGP-NODE-2 */
Test(config, malformed_values_are_syntax_with_line) {
  expect_reject(MINIMAL "[protocol]\nt_gossip_ms = 1e3\n", SGP_ERR_SYNTAX, 8);
  expect_reject(MINIMAL "[protocol]\nt_gossip_ms = 0100\n", SGP_ERR_SYNTAX, 8);
  expect_reject(MINIMAL "[protocol]\nt_gossip_ms = +100\n", SGP_ERR_SYNTAX, 8);
  expect_reject(MINIMAL "[protocol]\nt_gossip_ms =\n", SGP_ERR_SYNTAX, 8);
  expect_reject(MINIMAL "[protocol]\nbudget = 99999999999\n", SGP_ERR_SYNTAX, 8);
  expect_reject(MINIMAL "log_level = loud\n", SGP_ERR_SYNTAX, 7);
  expect_reject(MINIMAL "listen = localhost:7000\n", SGP_ERR_SYNTAX, 7);
  expect_reject(MINIMAL "[transport]\njigsaw = on\n", SGP_ERR_SYNTAX, 8);
  expect_reject(MINIMAL "[transport]\ncarrier = lsb\n", SGP_ERR_SYNTAX, 8);
  expect_reject(MINIMAL "[agent]\nsource = proc\n", SGP_ERR_SYNTAX, 8);
  expect_reject(MINIMAL "[agent]\nsource = fixed:\n", SGP_ERR_SYNTAX, 8);
  expect_reject(MINIMAL "[agent]\nsource = zeek:conn.log\n", SGP_ERR_SYNTAX, 8);
  expect_reject(MINIMAL "[agent]\nspeed = 1.2345\n", SGP_ERR_SYNTAX, 8);
  expect_reject(MINIMAL "[agent]\nspeed = .5\n", SGP_ERR_SYNTAX, 8);
  expect_reject(MINIMAL "[agent]\nweights = 1,2,3,4\n", SGP_ERR_SYNTAX, 8);
  expect_reject(MINIMAL "[agent]\nweights = 1,2,3,4,5,6\n", SGP_ERR_SYNTAX, 8);
  expect_reject(MINIMAL "[agent]\nweights = 1,2,,4,5\n", SGP_ERR_SYNTAX, 8);
  expect_reject(MINIMAL "just words\n", SGP_ERR_SYNTAX, 7);
  expect_reject(MINIMAL "id\n", SGP_ERR_SYNTAX, 7);
}

/* SGP-NODE-17 (size and line bounds); SGP-NODE-2 (bytes outside printable ASCII/TAB). */
Test(config, bytes_lines_and_size_are_bounded) {
  expect_reject(MINIMAL "log_level = info\r\n", SGP_ERR_SYNTAX, 7);
  expect_reject(MINIMAL "# caf\xc3\xa9\n", SGP_ERR_SYNTAX, 7);
  const char nul[] = "[node]\nid = 1\0\n";
  struct sgp_config c;
  struct sgp_config_error e;
  cr_assert_eq(sgp_config_parse(&c, nul, sizeof nul - 1, &e), SGP_ERR_SYNTAX);
  cr_assert_eq(e.line, 2);

  char longline[400];
  memset(longline, 0, sizeof longline);
  strcpy(longline, MINIMAL "# ");
  size_t at = strlen(longline);
  memset(longline + at, 'x', 189); /* "# " + 189 = 191 bytes > 190 */
  longline[at + 189] = '\n';
  expect_reject(longline, SGP_ERR_TOO_LARGE, 7);
  longline[at + 188] = '\n';
  longline[at + 189] = '\0';
  cr_assert_eq(parse(longline, &c, &e), SGP_OK, "a 190-byte line is allowed");

  static char big[SGP_CONFIG_MAX_BYTES + 2];
  memset(big, '\n', sizeof big);
  cr_assert_eq(sgp_config_parse(&c, big, SGP_CONFIG_MAX_BYTES + 1, &e), SGP_ERR_TOO_LARGE);
  cr_assert_eq(parse(MINIMAL "# tab\tin comment\n\tid_not_continued_here = 1\n", &c, &e),
               SGP_ERR_SYNTAX, "indented unknown key");
}

/* SGP-PARAM-1: a well-formed value outside its §1.4 range is SGP_ERR_RANGE. */
Test(config, out_of_range_values_are_range_with_line) {
  expect_reject(MINIMAL "[protocol]\nt_gossip_ms = 99\n", SGP_ERR_RANGE, 8);
  expect_reject(MINIMAL "[protocol]\nt_gossip_ms = 60001\n", SGP_ERR_RANGE, 8);
  expect_reject(MINIMAL "[protocol]\nt_cleanup = 65535\n", SGP_ERR_RANGE, 8);
  expect_reject(MINIMAL "[protocol]\nt_cleanup = 0\n", SGP_ERR_RANGE, 8);
  expect_reject(MINIMAL "[protocol]\nmax_silent = 65\n", SGP_ERR_RANGE, 8);
  expect_reject(MINIMAL "[protocol]\nbudget = 1023\n", SGP_ERR_RANGE, 8);
  expect_reject(MINIMAL "[protocol]\ntheta_compromised = 5001\n", SGP_ERR_RANGE, 8);
  expect_reject(MINIMAL "[transport]\nreasm_global_bytes = 1048575\n", SGP_ERR_RANGE, 8);
  expect_reject(MINIMAL "[agent]\nweights = 1,2,3,4,1001\n", SGP_ERR_RANGE, 8);
  expect_reject(MINIMAL "[agent]\nsource = fixed:5001\n", SGP_ERR_RANGE, 8);
  expect_reject(MINIMAL "[agent]\nspeed = 0\n", SGP_ERR_RANGE, 8);
  expect_reject(MINIMAL "[agent]\ninterval_ms = 9\n", SGP_ERR_RANGE, 8);
  expect_reject(MINIMAL "listen = 127.0.0.1:0\n", SGP_ERR_RANGE, 7);
  expect_reject(MINIMAL "listen = [::]:65536\n", SGP_ERR_RANGE, 7);
  expect_reject("[node]\nid = 16384\n", SGP_ERR_RANGE, 2);
}

/* SGP-PARAM-1 via sgp_params_validate: cross-field rules, at the later key. */
Test(config, inconsistent_parameters_are_range_at_the_later_key) {
  expect_reject(MINIMAL "[protocol]\nheartbeat = 41\n", SGP_ERR_RANGE, 8);
  expect_reject(MINIMAL "[protocol]\nheartbeat = 20\n\nt_cleanup = 19\n", SGP_ERR_RANGE, 10);
  expect_reject(MINIMAL "[protocol]\ntheta_suspect = 4001\n", SGP_ERR_RANGE, 8);
  expect_reject(MINIMAL
                "[protocol]\ntheta_compromised = 100\ntheta_suspect = 50\n"
                "theta_compromised = 40\n",
                SGP_ERR_DUP_ENTRY, 10);
}

/* SGP-NODE-17 */
Test(config, repeated_key_is_dup_entry_at_the_repeat) {
  expect_reject(MINIMAL "id = 3\n", SGP_ERR_DUP_ENTRY, 7);
  expect_reject(MINIMAL "[node]\nroster = other\n", SGP_ERR_DUP_ENTRY, 8);
  /* libinih's multi-line values would silently extend a value; refused. */
  expect_reject(MINIMAL "  continued\n", SGP_ERR_SYNTAX, 7);
  expect_reject(MINIMAL "\tlog_level = info\n", SGP_ERR_SYNTAX, 7);
}

/* SGP-NODE-17 */
Test(config, missing_required_key_is_missing_after_last_line) {
  expect_reject("", SGP_ERR_MISSING, 1);
  expect_reject("[node]\nid = 1\nroster = r\nkey = k\nstate_dir = s\n", SGP_ERR_MISSING, 6);
  expect_reject("[node]\nroster = r\nkey = k\nstate_dir = s\ncontrol_socket = c", SGP_ERR_MISSING,
                6);
}

/* SGP-NODE-2: the line reported is the first faulty one. */
Test(config, first_error_in_file_order_wins) {
  expect_reject(MINIMAL "no equals sign\nbogus = 1\n", SGP_ERR_SYNTAX, 7);
  expect_reject(MINIMAL "bogus = 1\nno equals sign\n", SGP_ERR_SYNTAX, 7);
  expect_reject(MINIMAL "[protocol]\nbudget = 1\n[bad]\n", SGP_ERR_RANGE, 8);
}

/* SGP-NODE-2 */
Test(config, path_too_long_is_syntax) {
  char text[300];
  cr_assert_lt(snprintf(text, sizeof text, "[node]\nroster = %0176d\n", 0), (int)sizeof text);
  expect_reject(text, SGP_ERR_SYNTAX, 2);
}

/* SGP-NODE-20: the key log is off unless [node] keylog names a file. */
Test(config, keylog_is_off_by_default_and_set_only_by_its_key) {
  struct sgp_config c;
  struct sgp_config_error e;
  cr_assert_eq(parse(MINIMAL, &c, &e), SGP_OK, "%u %s", e.line, e.reason);
  cr_assert_str_eq(c.keylog, "");
  cr_assert_eq(c.line[SGP_CFG_KEYLOG], 0);
  cr_assert_eq(parse(MINIMAL "keylog = /var/lib/sgp/keys.log\n", &c, &e), SGP_OK, "%u %s", e.line,
               e.reason);
  cr_assert_str_eq(c.keylog, "/var/lib/sgp/keys.log");
  cr_assert_eq(c.line[SGP_CFG_KEYLOG], 7);
  /* Only in [node]. */
  expect_reject(MINIMAL "[agent]\nkeylog = k.log\n", SGP_ERR_SYNTAX, 8);
}

/* SGP-NODE-2, SGP-NODE-17, SGP-NODE-20: a bad keylog value changes nothing. */
Test(config, keylog_rejects_empty_long_and_repeated_values) {
  expect_reject(MINIMAL "keylog =\n", SGP_ERR_SYNTAX, 7);
  expect_reject(MINIMAL "keylog = a\nkeylog = b\n", SGP_ERR_DUP_ENTRY, 8);
  char text[400];
  cr_assert_lt(snprintf(text, sizeof text, MINIMAL "keylog = %0176d\n", 0), (int)sizeof text);
  expect_reject(text, SGP_ERR_SYNTAX, 7);
}

/* ---- generation file ---------------------------------------------------- */

static sgp_err gen(const char *s, uint32_t *g) {
  return sgp_generation_parse((const uint8_t *)s, strlen(s), g);
}

/* SGP-STATE-2: exactly gen-value LF, 1..4294967295. */
Test(generation, parses_exactly_gen_value_lf) {
  uint32_t g = 0;
  cr_assert_eq(gen("1\n", &g), SGP_OK);
  cr_assert_eq(g, 1);
  cr_assert_eq(gen("4294967295\n", &g), SGP_OK);
  cr_assert_eq(g, 4294967295u);
  cr_assert_eq(gen("907\n", &g), SGP_OK);
  cr_assert_eq(g, 907);
}

/* SGP-STATE-2: any other content is SGP_ERR_SYNTAX and leaves *g alone. */
Test(generation, anything_else_is_syntax) {
  static const char *const bad[] = {
      "",      "\n",   "1",    "0\n",          "01\n",         "1\n\n",         " 1\n", "1 \n",
      "1\r\n", "+1\n", "-1\n", "4294967296\n", "9999999999\n", "12345678901\n", "1a\n", "a\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint32_t g = 77;
    cr_assert_eq(gen(bad[i], &g), SGP_ERR_SYNTAX, "input %zu", i);
    cr_assert_eq(g, 77);
  }
  uint32_t g = 77;
  const uint8_t nul[] = {'1', 0, '\n'};
  cr_assert_eq(sgp_generation_parse(nul, sizeof nul, &g), SGP_ERR_SYNTAX);
}

Test(generation, format_round_trips) {
  static const uint32_t vals[] = {1, 9, 10, 4000000000u, 4294967295u};
  for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
    char buf[SGP_GENFILE_MAX + 1];
    size_t n = 0;
    cr_assert_eq(sgp_generation_format(vals[i], buf, sizeof buf, &n), SGP_OK);
    cr_assert_eq(n, strlen(buf));
    cr_assert_eq(buf[n - 1], '\n');
    uint32_t g = 0;
    cr_assert_eq(sgp_generation_parse((const uint8_t *)buf, n, &g), SGP_OK);
    cr_assert_eq(g, vals[i]);
  }
  char small[3];
  size_t n = 0;
  cr_assert_eq(sgp_generation_format(100, small, sizeof small, &n), SGP_ERR_NO_SPACE);
  cr_assert_eq(sgp_generation_format(0, small, sizeof small, &n), SGP_ERR_RANGE);
}

/* SGP-STATE-3, SGP-STATE-4: next = stored + 1; the last value is exhausted. */
Test(generation, next_rises_and_refuses_the_last_value) {
  uint32_t g = 0;
  cr_assert_eq(sgp_generation_next(0, &g), SGP_OK);
  cr_assert_eq(g, 1);
  cr_assert_eq(sgp_generation_next(4294967294u, &g), SGP_OK);
  cr_assert_eq(g, 4294967295u);
  g = 5;
  cr_assert_eq(sgp_generation_next(4294967295u, &g), SGP_ERR_EXHAUSTED);
  cr_assert_eq(g, 5);
}
