/* Target Functions: sgp_agentsrc_open, sgp_agentsrc_poll, sgp_agentsrc_close (agentsrc.c: the
 * [agent] source spec parser and the replay pacing), sgp_flowfile_open, sgp_flowfile_next,
 * sgp_flowfile_close (flowfile.c: the flow-log file reader), sgp_agentlive_open,
 * sgp_agentlive_sample (agentlive.c: /proc/net sampling, socket classification, SYN tracking)
 *
 * These modules read files by path.  The harness makes one private directory at start
 * (mkdtemp in $TMPDIR or /tmp, removed at exit) and writes each input's file contents there;
 * nothing else is opened.  A spec that names a replay file gets the harness's file spliced in
 * after its kind prefix, so the fuzzer chooses only what follows the path (the path is a
 * regular file, so anything like "/../x" after it fails with ENOTDIR), and "live" (the host's
 * real /proc/net) is not driven from a spec; the live sampler is driven through a fake
 * /proc/net directory instead (mode 2).  Files are at most max_len bytes.
 *
 * Input: byte 0 selects the mode (byte % 3):
 *   0 SPEC    u8 sel (bits 0-1 config: NULL, default, window 0 (invalid), weights from the
 *             input; bit 7: speed is the raw u32, else 1 + u32 % SGP_AGENTSRC_SPEED_MILLI_MAX),
 *             u32 speed, 5 x u16 weights (used when chosen), 8 x u16 poll steps in ms, then
 *             the spec up to the first '\n' (at most 200 bytes, cut at a NUL), then the log.
 *   1 READER  u8 format (bit 0: Zeek / binetflow), then the log: read by sgp_flowfile_next to
 *             the end, and split into lines and fed to the pure parser as fuzz_flowlog does.
 *   2 LIVE    u8 samples (1 + byte % 4); per sample u16 step (ms) and the tables dev, tcp,
 *             tcp6, udp, udp6 of a fake /proc/net, each u16 length (bit 15: file absent) and
 *             that many bytes.
 *
 * Invariants (each a finding if it breaks):
 *   - every return is a named code; sgp_agentsrc_open fails only with the codes agentsrc.h
 *     lists (INVALID_ARG, SYNTAX, RANGE, the open error FLOW_IO, the reader's line errors)
 *     and then leaves the source closed: kind NONE and no FILE left open (a bad speed is
 *     refused after the config was copied in, so the struct is not all zero then);
 *   - "fixed:V" is accepted iff V is a decimal 0..5000; it delivers exactly V with sub-scores
 *     that split V evenly (the first V % 5 one higher), at every poll;
 *   - a replay poll never fails, always delivers (SGP-AGENT-2), with sub-scores in 0..1000 and
 *     the suspicion sgp_agent_combine gives for them (SGP-AGENT-4); flows fed plus foreign
 *     flows only grow and never exceed the flows the reader accepted; after close a poll is
 *     SGP_ERR_STATE;
 *   - the file reader agrees with the pure parser fed line by line (a line over
 *     SGP_FLOWLOG_LINE_MAX rejected as SGP_ERR_TOO_LARGE, an unterminated last line as
 *     SGP_ERR_TRUNCATED): same flows in the same order, same counters and error lines;
 *   - every address the reader accepts prints (sgp_ip_format) as text that parses back to
 *     the same address (also into a buffer one byte short: cut, NUL-terminated);
 *   - live: a sample fails only with SGP_ERR_FLOW_IO (dev missing); its tables stay within
 *     their caps, the error counters only grow, and the agent's score stays in range.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "sgp/agentlive.h"
#include "sgp/agentsrc.h"
#include "sgp/flowfile.h"
#include "sgp/limits.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { SPEC_MAX = 200, STEPS = 8, TABLES = 5, LIVE_SAMPLES = 4 };
#define T0 UINT64_C(1700000000000)

static char dir[256], logpath[300], netdir[300], tpath[TABLES][320];
static const char *const tables[TABLES] = {"dev", "tcp", "tcp6", "udp", "udp6"};
static struct sgp_agentsrc src; /* about 1 MiB each: static, never on the stack */
static struct sgp_agentlive live;
static struct sgp_agent agent;
static struct sgp_flowfile ff;
static struct sgp_flowlog pure;
static struct sgp_flow flows[4096]; /* the pure parser's flows (beyond: counted only) */

static void cleanup(void) {
  for (int i = 0; i < TABLES; i++) (void)unlink(tpath[i]);
  (void)rmdir(netdir);
  (void)unlink(logpath);
  (void)rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_init();
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/sgp-fuzz-agentsrc.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp(dir) == NULL) {
    perror("fuzz_agentsrc: mkdtemp");
    abort();
  }
  snprintf(logpath, sizeof logpath, "%s/log", dir);
  snprintf(netdir, sizeof netdir, "%s/net", dir);
  if (mkdir(netdir, 0700) != 0) abort();
  for (int i = 0; i < TABLES; i++) snprintf(tpath[i], sizeof tpath[i], "%s/%s", netdir, tables[i]);
  atexit(cleanup);
  return 0;
}

static void put_file(const char *path, const uint8_t *b, size_t n) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  FZ_CHECK(fd >= 0, "cannot write %s", path);
  while (n > 0) {
    ssize_t w = write(fd, b, n);
    FZ_CHECK(w > 0, "write %s", path);
    b += w;
    n -= (size_t)w;
  }
  close(fd);
}

static int is_zero(const struct sgp_agentsrc *s) {
  static const struct sgp_agentsrc zero; /* memcmp: a byte loop over 1 MiB is slow here */
  return memcmp(s, &zero, sizeof zero) == 0;
}

static void check_score(const struct sgp_agent_config *cfg, const uint16_t sub[SGP_SUBSCORES],
                        uint32_t susp, const char *what) {
  uint32_t want = 0;
  for (int i = 0; i < SGP_SUBSCORES; i++)
    FZ_CHECK(sub[i] <= SGP_SUBSCORE_MAX, "%s: sub[%d] = %u", what, i, sub[i]);
  FZ_CHECK(sgp_agent_combine(cfg->weights, sub, &want) == SGP_OK && want == susp &&
               susp <= SGP_SUSPICION_MAX,
           "%s: suspicion %u, combine gives %u", what, susp, want);
}

/* ---- mode 0: spec parser and replay ------------------------------------------------ */

static int open_error_allowed(sgp_err e) {
  switch (e) {
    case SGP_ERR_INVALID_ARG:
    case SGP_ERR_SYNTAX:
    case SGP_ERR_RANGE:
    case SGP_ERR_FLOW_IO:
    case SGP_ERR_FLOW_HEADER:
    case SGP_ERR_FLOW_COLUMNS:
    case SGP_ERR_FLOW_FIELD:
    case SGP_ERR_FLOW_BINARY:
    case SGP_ERR_TOO_LARGE:
    case SGP_ERR_TRUNCATED:
      return 1;
    default:
      return 0;
  }
}

/* What agentsrc.h promises for "fixed:V": 1 and *v if V is 0..5000 in decimal. */
static int fixed_value(const char *arg, uint32_t *v) {
  if (*arg == '\0') return 0;
  uint64_t x = 0;
  for (; *arg; arg++) {
    if (*arg < '0' || *arg > '9') return 0;
    x = x * 10u + (uint64_t)(*arg - '0');
    if (x > SGP_SUSPICION_MAX) return 0;
  }
  *v = (uint32_t)x;
  return 1;
}

static void mode_spec(struct fz_in *in) {
  uint8_t sel = fz_u8(in);
  uint32_t speed = fz_u32(in);
  if (!(sel & 0x80)) speed = 1u + speed % SGP_AGENTSRC_SPEED_MILLI_MAX;
  struct sgp_agent_config cfg;
  const struct sgp_agent_config *pcfg = NULL;
  sgp_agent_config_default(&cfg);
  uint16_t w[SGP_SUBSCORES];
  for (int i = 0; i < SGP_SUBSCORES; i++) w[i] = fz_u16(in);
  switch (sel & 3u) {
    case 1:
      pcfg = &cfg;
      break;
    case 2:
      cfg.window_ms = 0; /* invalid (SGP_ERR_RANGE) */
      pcfg = &cfg;
      break;
    case 3:
      for (int i = 0; i < SGP_SUBSCORES; i++) cfg.weights[i] = w[i] % 1002u; /* 1001: invalid */
      pcfg = &cfg;
      break;
    default:
      break;
  }
  int cfg_ok = pcfg == NULL || sgp_agent_config_validate(pcfg) == SGP_OK;
  uint16_t steps[STEPS];
  for (int i = 0; i < STEPS; i++) steps[i] = fz_u16(in);

  char text[SPEC_MAX + 1], spec[SPEC_MAX + sizeof logpath + 16];
  size_t k = 0;
  while (in->n > 0 && k < SPEC_MAX) {
    uint8_t c = fz_u8(in);
    if (c == '\n') break;
    text[k++] = (char)c;
  }
  text[k] = '\0'; /* a NUL inside ends the C string there */
  size_t got = 0;
  const uint8_t *log = fz_take(in, in->n, &got);
  put_file(logpath, log, got);

  static const char *const replay_kinds[] = {"zeek:", "binetflow:"};
  enum sgp_agentsrc_kind want_kind = SGP_AGENTSRC_NONE;
  snprintf(spec, sizeof spec, "%s", text);
  for (int i = 0; i < 2; i++) {
    size_t pl = strlen(replay_kinds[i]);
    if (strncmp(text, replay_kinds[i], pl) == 0) {
      snprintf(spec, sizeof spec, "%s%s%s", replay_kinds[i], logpath, text + pl);
      want_kind = i == 0 ? SGP_AGENTSRC_ZEEK : SGP_AGENTSRC_BINETFLOW;
    }
  }
  if (strcmp(text, "live") == 0) return; /* the host's /proc/net: mode 2 covers the sampler */
  uint32_t fixed = 0;
  int is_fixed = strncmp(text, "fixed:", 6) == 0;
  if (is_fixed) want_kind = SGP_AGENTSRC_FIXED;

  memset(&src, 0xa5, sizeof src); /* open must not depend on the previous content */
  uint64_t now = T0;
  sgp_err e = sgp_agentsrc_open(&src, spec, pcfg, speed, now);
  fz_check_named(e, "sgp_agentsrc_open");
  int speed_ok = speed >= 1 && speed <= SGP_AGENTSRC_SPEED_MILLI_MAX;
  if (e != SGP_OK) {
    FZ_CHECK(open_error_allowed(e), "open(\"%s\") failed with %s, not a listed code", text,
             sgp_err_name(e));
    FZ_CHECK(src.kind == SGP_AGENTSRC_NONE && src.file.f == NULL,
             "open(\"%s\") failed (%s) but left the source open", text, sgp_err_name(e));
    if (speed_ok) /* every other failure path clears the struct */
      FZ_CHECK(is_zero(&src), "open(\"%s\") failed (%s), struct not cleared", text,
               sgp_err_name(e));
    FZ_CHECK(!(is_fixed && cfg_ok && speed_ok && fixed_value(text + 6, &fixed)),
             "open(\"%s\") refused a valid fixed spec: %s", text, sgp_err_name(e));
    return;
  }
  FZ_CHECK(cfg_ok && speed_ok, "open accepted an invalid config or speed %u", speed);
  FZ_CHECK(src.kind == want_kind && want_kind != SGP_AGENTSRC_NONE, "spec \"%s\" opened as kind %d",
           text, (int)src.kind);
  if (is_fixed)
    FZ_CHECK(fixed_value(text + 6, &fixed) && src.fixed_suspicion == fixed,
             "fixed spec \"%s\" accepted as %u", text, src.fixed_suspicion);

  uint64_t seen = 0;
  for (int i = 0; i < STEPS; i++) {
    now += steps[i];
    uint32_t susp = 0;
    uint16_t sub[SGP_SUBSCORES];
    int have = -1;
    e = sgp_agentsrc_poll(&src, now, &susp, sub, &have);
    fz_check_named(e, "sgp_agentsrc_poll");
    FZ_CHECK(e == SGP_OK && have == 1, "poll %d of \"%s\": %s, have %d", i, text, sgp_err_name(e),
             have);
    if (is_fixed) {
      uint32_t sum = 0;
      for (unsigned j = 0; j < SGP_SUBSCORES; j++) {
        uint32_t want = fixed / SGP_SUBSCORES + (j < fixed % SGP_SUBSCORES ? 1u : 0u);
        FZ_CHECK(sub[j] == want, "fixed:%u gives sub[%u] = %u", fixed, j, sub[j]);
        sum += sub[j];
      }
      FZ_CHECK(susp == fixed && sum == fixed, "fixed:%u delivers %u", fixed, susp);
      continue;
    }
    check_score(&src.cfg, sub, susp, "replay poll");
    uint64_t done = src.fed + src.foreign;
    FZ_CHECK(done >= seen && done <= src.file.log.flows,
             "fed %llu + foreign %llu: before %llu, reader accepted %llu",
             (unsigned long long)src.fed, (unsigned long long)src.foreign, (unsigned long long)seen,
             (unsigned long long)src.file.log.flows);
    seen = done;
  }
  sgp_agentsrc_close(&src);
  FZ_CHECK(src.kind == SGP_AGENTSRC_NONE, "close left kind %d", (int)src.kind);
  uint32_t susp = 0;
  uint16_t sub[SGP_SUBSCORES];
  int have = -1;
  e = sgp_agentsrc_poll(&src, now, &susp, sub, &have);
  FZ_CHECK(e == SGP_ERR_STATE && have == 0, "poll after close: %s, have %d", sgp_err_name(e), have);
}

/* ---- mode 1: the file reader against the pure line parser -------------------------- */

static int same_flow(const struct sgp_flow *a, const struct sgp_flow *b) {
  return a->ts_us == b->ts_us && a->dur_us == b->dur_us && sgp_ip_equal(&a->src, &b->src) &&
         sgp_ip_equal(&a->dst, &b->dst) && a->sport == b->sport && a->dport == b->dport &&
         a->proto == b->proto && a->state == b->state && a->label == b->label &&
         a->bytes_out == b->bytes_out && a->bytes_in == b->bytes_in && a->pkts_out == b->pkts_out &&
         a->pkts_in == b->pkts_in;
}

/* sgp_ip_format round trip. */
static void check_ip_text(const struct sgp_ip *ip) {
  char text[64], small[64];
  struct sgp_ip back;
  sgp_ip_format(ip, text, sizeof text);
  size_t n = strlen(text);
  FZ_CHECK(n > 0 && n < 40 && sgp_ip_parse(&back, text, n) == SGP_OK && sgp_ip_equal(&back, ip),
           "address text \"%s\" does not parse back", text);
  memset(small, 'x', sizeof small);
  sgp_ip_format(ip, small, n); /* one byte short: cut, still a C string */
  FZ_CHECK(memchr(small, '\0', n) != NULL && strncmp(small, text, strlen(small)) == 0,
           "a short buffer for \"%s\" holds \"%.*s\"", text, (int)n, small);
}

static void mode_reader(struct fz_in *in) {
  enum sgp_flowlog_format fmt = (fz_u8(in) & 1) ? SGP_FLOWLOG_BINETFLOW : SGP_FLOWLOG_ZEEK;
  size_t n = 0;
  const char *s = (const char *)fz_take(in, in->n, &n);
  put_file(logpath, (const uint8_t *)s, n);

  /* The pure parser, line by line. */
  sgp_flowlog_init(&pure, fmt);
  size_t nflows = 0, lines = 0;
  while (n > 0) {
    const char *nl = memchr(s, '\n', n);
    size_t len = nl ? (size_t)(nl - s) : n;
    lines++;
    if (len > SGP_FLOWLOG_LINE_MAX || !nl) {
      (void)sgp_flowlog_reject(&pure,
                               len > SGP_FLOWLOG_LINE_MAX ? SGP_ERR_TOO_LARGE : SGP_ERR_TRUNCATED);
    } else {
      struct sgp_flow f;
      int have = 0;
      if (sgp_flowlog_line(&pure, s, len, &f, &have) == SGP_OK && have) {
        if (nflows < sizeof flows / sizeof flows[0]) flows[nflows] = f;
        nflows++;
      }
    }
    if (!nl) break;
    s = nl + 1;
    n -= len + 1;
  }

  sgp_err e = sgp_flowfile_open(&ff, logpath, fmt);
  FZ_CHECK(e == SGP_OK, "sgp_flowfile_open: %s", sgp_err_name(e));
  size_t got = 0;
  for (;;) {
    struct sgp_flow f;
    int have = -1;
    e = sgp_flowfile_next(&ff, &f, &have);
    fz_check_named(e, "sgp_flowfile_next");
    FZ_CHECK(e == SGP_OK && (have == 0 || have == 1), "next: %s, have %d", sgp_err_name(e), have);
    if (!have) break;
    FZ_CHECK(got < nflows, "the reader returns more flows than the %zu the parser accepts", nflows);
    if (got < sizeof flows / sizeof flows[0])
      FZ_CHECK(same_flow(&f, &flows[got]), "flow %zu differs from the parser's", got);
    check_ip_text(&f.src);
    check_ip_text(&f.dst);
    got++;
  }
  FZ_CHECK(got == nflows, "the reader returns %zu flows, the parser accepts %zu", got, nflows);
  /* At the end the reader stays at the end. */
  struct sgp_flow f;
  int have = -1;
  FZ_CHECK(sgp_flowfile_next(&ff, &f, &have) == SGP_OK && have == 0, "next after the end");
  const struct sgp_flowlog *r = &ff.log;
  FZ_CHECK(r->lineno == pure.lineno && r->flows == pure.flows && r->skipped == pure.skipped &&
               r->first_err == pure.first_err && r->first_err_line == pure.first_err_line &&
               r->last_err == pure.last_err && r->last_err_line == pure.last_err_line &&
               r->have_header == pure.have_header,
           "reader counters (lines %u, flows %llu, skipped %llu, first %s@%u, last %s@%u) differ "
           "from the parser's (lines %u, flows %llu, skipped %llu, first %s@%u, last %s@%u), "
           "%zu lines",
           r->lineno, (unsigned long long)r->flows, (unsigned long long)r->skipped,
           sgp_err_name(r->first_err), r->first_err_line, sgp_err_name(r->last_err),
           r->last_err_line, pure.lineno, (unsigned long long)pure.flows,
           (unsigned long long)pure.skipped, sgp_err_name(pure.first_err), pure.first_err_line,
           sgp_err_name(pure.last_err), pure.last_err_line, lines);
  sgp_flowfile_close(&ff);
  FZ_CHECK(ff.f == NULL, "close left the file open");
}

/* ---- mode 2: the live sampler on a fake /proc/net ---------------------------------- */

static void write_tables(struct fz_in *in) {
  for (int t = 0; t < TABLES; t++) {
    uint16_t len = fz_u16(in);
    if (len & 0x8000u) {
      (void)unlink(tpath[t]);
      continue;
    }
    size_t got = 0;
    const uint8_t *b = fz_take(in, len, &got);
    put_file(tpath[t], b, got);
  }
}

static void mode_live(struct fz_in *in) {
  unsigned samples = 1u + fz_u8(in) % LIVE_SAMPLES;
  uint64_t now = T0;
  uint16_t step = fz_u16(in);
  write_tables(in);
  sgp_err e = sgp_agentlive_open(&live, netdir);
  fz_check_named(e, "sgp_agentlive_open");
  if (e != SGP_OK) {
    FZ_CHECK(e == SGP_ERR_FLOW_IO || e == SGP_ERR_FLOW_HEADER, "open: %s", sgp_err_name(e));
    return;
  }
  struct sgp_ip host;
  memset(&host, 0, sizeof host); /* as agentsrc's "live" binds it */
  FZ_CHECK(sgp_agent_init(&agent, NULL, &host) == SGP_OK, "agent init");
  for (unsigned k = 0; k < samples; k++) {
    if (k > 0) {
      step = fz_u16(in);
      write_tables(in);
    }
    now += step;
    uint64_t errors = live.errors, overflow = live.overflow, nsamples = live.samples;
    e = sgp_agentlive_sample(&live, &agent, now);
    fz_check_named(e, "sgp_agentlive_sample");
    if (e != SGP_OK) {
      FZ_CHECK(e == SGP_ERR_FLOW_IO, "sample: %s", sgp_err_name(e));
      continue;
    }
    FZ_CHECK(live.samples == nsamples + 1 && live.errors >= errors && live.overflow >= overflow,
             "sample counters went backwards");
    FZ_CHECK(live.nsocks <= SGP_LIVE_SOCKS && live.npending <= SGP_LIVE_PENDING &&
                 live.nkeys[live.cur] <= SGP_LIVE_SOCKS,
             "tables over their caps: %u socks, %u pending", live.nsocks, live.npending);
    if (live.errors > errors) fz_check_named(live.last_err, "agentlive last_err");
    uint16_t sub[SGP_SUBSCORES];
    uint32_t susp = 0;
    e = sgp_agent_score(&agent, now, sub, &susp);
    FZ_CHECK(e == SGP_OK, "score: %s", sgp_err_name(e));
    check_score(&agent.cfg, sub, susp, "live score");
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_in in = {data, size};
  if (size == 0) return 0;
  switch (fz_u8(&in) % 3) {
    case 0:
      mode_spec(&in);
      break;
    case 1:
      mode_reader(&in);
      break;
    default:
      mode_live(&in);
      break;
  }
  return 0;
}
