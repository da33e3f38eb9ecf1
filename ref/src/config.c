/* sgpd configuration parser and generation file format (contract in config.h). */
#include "sgp/config.h"

#include <ini.h>
#include <string.h>

#include "sgp/cursor.h"
#include "sgp/fragment.h"
#include "sgp/keys.h"
#include "sgp/state.h"

/* node.h's jigsaw encoding: bit 0 AONT, bit 1 parity. */
enum { JIG_OFF = 0, JIG_AONT = 1, JIG_AONT_PARITY = 3 };

typedef sgp_err (*cfg_setter)(struct sgp_config *c, const char *v, const char **reason);

struct cfg_key {
  const char *section, *name;
  cfg_setter set;
  int required;
  int tracked; /* enum sgp_config_key, or -1 */
};

/* The reader feeds libinih one line at a time and stops at the first error
 * (its own lexical checks, or one the handler raised). */
struct cfg_parse {
  const char *text;
  size_t len, pos;
  unsigned lineno;
  sgp_err err;
  unsigned err_line;
  const char *reason;
  struct sgp_config c;
  unsigned seen[32]; /* line of each table key, 0 if unset */
};

/* ---- value parsers --------------------------------------------------- */

/* Canonical decimal: malformed text is SYNTAX, a number outside [lo, hi] RANGE. */
static sgp_err cfg_u32(const char *v, uint32_t lo, uint32_t hi, uint32_t *out) {
  size_t n = strlen(v);
  SGP_ENSURE(n >= 1 && n <= 10, SGP_ERR_SYNTAX);
  SGP_ENSURE(v[0] != '0' || n == 1, SGP_ERR_SYNTAX);
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++) {
    SGP_ENSURE(v[i] >= '0' && v[i] <= '9', SGP_ERR_SYNTAX);
    x = x * 10u + (uint64_t)(v[i] - '0');
  }
  SGP_ENSURE(x >= lo && x <= hi, SGP_ERR_RANGE);
  *out = (uint32_t)x;
  return SGP_OK;
}

static sgp_err cfg_path(char *dst, const char *v, const char **reason) {
  size_t n = strlen(v);
  *reason = "path is empty or longer than 175 bytes";
  SGP_ENSURE(n >= 1 && n < SGP_CONFIG_PATH_MAX, SGP_ERR_SYNTAX);
  memcpy(dst, v, n + 1);
  return SGP_OK;
}

static int cfg_is(const char *v, const char *word) {
  return strcmp(v, word) == 0;
}

/* ---- setters, one per key ------------------------------------------- */

#define CFG_NUM(fn, field, lo, hi, why)                                         \
  static sgp_err fn(struct sgp_config *c, const char *v, const char **reason) { \
    *reason = why;                                                              \
    return cfg_u32(v, lo, hi, &c->field);                                       \
  }

CFG_NUM(set_id, id, 0, SGP_MAX_NODES - 1, "id is not a decimal in 0..16383")
CFG_NUM(set_t_gossip, t_gossip_ms, 100, 60000, "t_gossip_ms is not a decimal in 100..60000")
CFG_NUM(set_heartbeat, heartbeat, 1, SGP_AGE_MAX - 1, "heartbeat is not a decimal in 1..t_cleanup")
CFG_NUM(set_t_cleanup, t_cleanup, 1, SGP_AGE_MAX - 1, "t_cleanup is not a decimal in 1..65534")
CFG_NUM(set_theta_s, theta_suspect, 0, SGP_SUSPICION_MAX,
        "theta_suspect is not a decimal in 0..theta_compromised")
CFG_NUM(set_theta_c, theta_compromised, 0, SGP_SUSPICION_MAX,
        "theta_compromised is not a decimal in theta_suspect..5000")
CFG_NUM(set_max_silent, max_silent, 1, SGP_MAX_SILENT, "max_silent is not a decimal in 1..64")
CFG_NUM(set_budget, budget, 1024, SGP_MAX_PACKET, "budget is not a decimal in 1024..262144")
CFG_NUM(set_reasm, reasm_global_bytes, 1048576, 1073741824,
        "reasm_global_bytes is not a decimal in 1048576..1073741824")
CFG_NUM(set_interval, agent_interval_ms, SGP_CONFIG_INTERVAL_MIN_MS, SGP_CONFIG_INTERVAL_MAX_MS,
        "interval_ms is not a decimal in 10..3600000")

static sgp_err set_roster(struct sgp_config *c, const char *v, const char **r) {
  return cfg_path(c->roster, v, r);
}
static sgp_err set_key(struct sgp_config *c, const char *v, const char **r) {
  return cfg_path(c->key, v, r);
}
static sgp_err set_state_dir(struct sgp_config *c, const char *v, const char **r) {
  return cfg_path(c->state_dir, v, r);
}
static sgp_err set_ctl(struct sgp_config *c, const char *v, const char **r) {
  return cfg_path(c->control_socket, v, r);
}
static sgp_err set_keylog(struct sgp_config *c, const char *v, const char **r) {
  return cfg_path(c->keylog, v, r);
}

/* A listen address may be a wildcard, which a roster address never is. */
static sgp_err set_listen(struct sgp_config *c, const char *v, const char **reason) {
  static const char v4any[] = "0.0.0.0:", v6any[] = "[::]:";
  struct sgp_addr a;
  memset(&a, 0, sizeof a);
  *reason = "listen is not a canonical a.b.c.d:port or [v6]:port";
  const char *port = NULL;
  if (strncmp(v, v4any, sizeof v4any - 1) == 0) {
    a.family = SGP_ADDR_V4;
    port = v + sizeof v4any - 1;
  } else if (strncmp(v, v6any, sizeof v6any - 1) == 0) {
    a.family = SGP_ADDR_V6;
    port = v + sizeof v6any - 1;
  }
  if (port != NULL) {
    uint32_t p = 0;
    SGP_GUARD(cfg_u32(port, 1, 65535, &p));
    a.port = (uint16_t)p;
  } else {
    SGP_GUARD(sgp_addr_parse(&a, v, strlen(v)));
  }
  c->listen = a;
  c->has_listen = 1;
  return SGP_OK;
}

static sgp_err set_log_level(struct sgp_config *c, const char *v, const char **reason) {
  static const char *const names[] = {"debug", "info", "warn", "error"};
  *reason = "log_level is not debug, info, warn or error";
  for (size_t i = 0; i < 4; i++) {
    if (cfg_is(v, names[i])) {
      c->log_level = (enum sgp_log_level)i;
      return SGP_OK;
    }
  }
  return SGP_ERR_SYNTAX;
}

static sgp_err set_jigsaw(struct sgp_config *c, const char *v, const char **reason) {
  *reason = "jigsaw is not off, aont or parity";
  if (cfg_is(v, "off")) {
    c->jigsaw = JIG_OFF;
  } else if (cfg_is(v, "aont")) {
    c->jigsaw = JIG_AONT;
  } else if (cfg_is(v, "parity") || cfg_is(v, "aont-parity")) {
    c->jigsaw = JIG_AONT_PARITY;
  } else {
    return SGP_ERR_SYNTAX;
  }
  return SGP_OK;
}

static sgp_err set_carrier(struct sgp_config *c, const char *v, const char **reason) {
  *reason = "carrier is not raw, lsb-pgm or lsb-wav";
  if (cfg_is(v, "raw")) {
    c->carrier = SGP_CARRIER_RAW;
  } else if (cfg_is(v, "lsb-pgm")) {
    c->carrier = SGP_CARRIER_LSB_PGM;
  } else if (cfg_is(v, "lsb-wav")) {
    c->carrier = SGP_CARRIER_LSB_WAV;
  } else {
    return SGP_ERR_SYNTAX;
  }
  return SGP_OK;
}

/* Only the shape is checked here; agentsrc_open validates the rest (the
 * file, the IP) when sgpd opens the source. */
static sgp_err set_source(struct sgp_config *c, const char *v, const char **reason) {
  *reason = "source is not fixed:V, live, zeek:PATH:IP or binetflow:PATH:IP";
  if (strncmp(v, "fixed:", 6) == 0) {
    uint32_t x = 0;
    sgp_err e = cfg_u32(v + 6, 0, SGP_SUSPICION_MAX, &x);
    if (e == SGP_ERR_RANGE) *reason = "fixed:V needs V in 0..5000";
    SGP_GUARD(e);
  } else if (!cfg_is(v, "live")) {
    const char *rest = NULL;
    if (strncmp(v, "zeek:", 5) == 0) rest = v + 5;
    if (strncmp(v, "binetflow:", 10) == 0) rest = v + 10;
    SGP_ENSURE(rest != NULL, SGP_ERR_SYNTAX);
    const char *colon = strrchr(rest, ':');
    SGP_ENSURE(colon != NULL && colon != rest && colon[1] != '\0', SGP_ERR_SYNTAX);
  }
  return cfg_path(c->agent_source, v, reason);
}

/* "1", "2.5", "0.125": up to 3 fraction digits, stored in thousandths. */
static sgp_err set_speed(struct sgp_config *c, const char *v, const char **reason) {
  char whole[16];
  const char *dot = strchr(v, '.');
  size_t wn = dot != NULL ? (size_t)(dot - v) : strlen(v);
  *reason = "speed is not a decimal in 0.001..100000 with at most 3 fraction digits";
  SGP_ENSURE(wn >= 1 && wn < sizeof whole, SGP_ERR_SYNTAX);
  memcpy(whole, v, wn);
  whole[wn] = '\0';
  uint32_t w = 0, frac = 0;
  SGP_GUARD(cfg_u32(whole, 0, 100000, &w));
  if (dot != NULL) {
    size_t fn = strlen(dot + 1);
    SGP_ENSURE(fn >= 1 && fn <= 3, SGP_ERR_SYNTAX);
    for (size_t i = 0; i < 3; i++) {
      int d = i < fn ? (int)dot[1 + i] : '0';
      SGP_ENSURE(d >= '0' && d <= '9', SGP_ERR_SYNTAX);
      frac = frac * 10u + (uint32_t)(d - '0');
    }
  }
  uint64_t milli = (uint64_t)w * 1000u + frac;
  SGP_ENSURE(milli >= 1 && milli <= SGP_CONFIG_SPEED_MAX_MILLI, SGP_ERR_RANGE);
  c->agent_speed_milli = (uint32_t)milli;
  return SGP_OK;
}

/* Exactly five comma-separated decimals 0..1000; spaces around each allowed. */
static sgp_err set_weights(struct sgp_config *c, const char *v, const char **reason) {
  uint16_t w[SGP_SUBSCORES];
  *reason = "weights is not five comma-separated decimals in 0..1000";
  const char *p = v;
  for (size_t i = 0; i < SGP_SUBSCORES; i++) {
    const char *end = strchr(p, ',');
    if (end == NULL) end = p + strlen(p);
    SGP_ENSURE((end[0] == ',') == (i + 1 < SGP_SUBSCORES), SGP_ERR_SYNTAX);
    while (p < end && *p == ' ') p++;
    const char *q = end;
    while (q > p && q[-1] == ' ') q--;
    char tok[8];
    SGP_ENSURE((size_t)(q - p) < sizeof tok, SGP_ERR_SYNTAX);
    memcpy(tok, p, (size_t)(q - p));
    tok[q - p] = '\0';
    uint32_t x = 0;
    SGP_GUARD(cfg_u32(tok, 0, SGP_SUBSCORE_MAX, &x));
    w[i] = (uint16_t)x;
    p = end + 1;
  }
  memcpy(c->weights, w, sizeof w);
  return SGP_OK;
}

static const struct cfg_key cfg_keys[] = {
    {"node", "id", set_id, 1, SGP_CFG_ID},
    {"node", "roster", set_roster, 1, SGP_CFG_ROSTER},
    {"node", "key", set_key, 1, SGP_CFG_KEY},
    {"node", "state_dir", set_state_dir, 1, SGP_CFG_STATE_DIR},
    {"node", "control_socket", set_ctl, 1, SGP_CFG_CONTROL_SOCKET},
    {"node", "listen", set_listen, 0, SGP_CFG_LISTEN},
    {"node", "log_level", set_log_level, 0, -1},
    {"protocol", "t_gossip_ms", set_t_gossip, 0, -1},
    {"protocol", "heartbeat", set_heartbeat, 0, -1},
    {"protocol", "t_cleanup", set_t_cleanup, 0, -1},
    {"protocol", "theta_suspect", set_theta_s, 0, -1},
    {"protocol", "theta_compromised", set_theta_c, 0, -1},
    {"protocol", "max_silent", set_max_silent, 0, -1},
    {"protocol", "budget", set_budget, 0, -1},
    {"transport", "jigsaw", set_jigsaw, 0, -1},
    {"transport", "carrier", set_carrier, 0, -1},
    {"transport", "reasm_global_bytes", set_reasm, 0, -1},
    {"agent", "source", set_source, 0, SGP_CFG_SOURCE},
    {"agent", "interval_ms", set_interval, 0, -1},
    {"agent", "speed", set_speed, 0, -1},
    {"agent", "weights", set_weights, 0, -1},
    /* Appended, not grouped with [node], so the K_ indexes below stay put. */
    {"node", "keylog", set_keylog, 0, SGP_CFG_KEYLOG},
};
enum { CFG_NKEYS = sizeof cfg_keys / sizeof cfg_keys[0] };
/* Indexes into cfg_keys of the keys the whole-file checks name. */
enum { K_HEARTBEAT = 8, K_T_CLEANUP = 9, K_THETA_S = 10, K_THETA_C = 11, K_INTERVAL = 18 };
_Static_assert(CFG_NKEYS == 22, "update the K_ indexes with cfg_keys");

static const char *const cfg_sections[] = {"[node]", "[protocol]", "[transport]", "[agent]"};

/* ---- reader and handler --------------------------------------------- */

static void cfg_fail(struct cfg_parse *ps, sgp_err e, unsigned line, const char *reason) {
  if (ps->err != SGP_OK) return;
  ps->err = e;
  ps->err_line = line;
  ps->reason = reason;
}

static int cfg_blank(char ch) {
  return ch == ' ' || ch == '\t';
}

/* Section headers are checked here because libinih reports only keys, so
 * an empty unknown section would otherwise pass unnoticed. */
static void cfg_check_line(struct cfg_parse *ps, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (!(ch == '\t' || (ch >= 0x20 && ch <= 0x7e))) {
      cfg_fail(ps, SGP_ERR_SYNTAX, ps->lineno, "byte outside printable ASCII and TAB");
      return;
    }
  }
  size_t lead = 0;
  while (lead < n && cfg_blank(s[lead])) lead++;
  /* libinih would take an indented line as the continuation of the
   * previous value; a config value never spans lines here. */
  if (lead > 0 && lead < n) {
    cfg_fail(ps, SGP_ERR_SYNTAX, ps->lineno, "indented line (values do not continue)");
    return;
  }
  while (n > 0 && cfg_blank(s[n - 1])) n--;
  if (n == 0 || s[0] != '[') return;
  for (size_t i = 0; i < sizeof cfg_sections / sizeof cfg_sections[0]; i++) {
    if (strlen(cfg_sections[i]) == n && memcmp(cfg_sections[i], s, n) == 0) return;
  }
  cfg_fail(ps, SGP_ERR_SYNTAX, ps->lineno, "unknown section (node, protocol, transport, agent)");
}

static char *cfg_reader(char *str, int num, void *stream) {
  struct cfg_parse *ps = stream;
  if (ps->err != SGP_OK || ps->pos >= ps->len) return NULL;
  const char *s = ps->text + ps->pos;
  const char *nl = memchr(s, '\n', ps->len - ps->pos);
  size_t n = nl != NULL ? (size_t)(nl - s) : ps->len - ps->pos;
  ps->lineno++;
  if (n > SGP_CONFIG_MAX_LINE || num < 0 || n + 2 > (size_t)num) {
    cfg_fail(ps, SGP_ERR_TOO_LARGE, ps->lineno, "line longer than 190 bytes");
    return NULL;
  }
  cfg_check_line(ps, s, n);
  if (ps->err != SGP_OK) return NULL;
  memcpy(str, s, n);
  str[n] = '\n';
  str[n + 1] = '\0';
  ps->pos += n + (nl != NULL ? 1u : 0u);
  return str;
}

static int cfg_handler(void *user, const char *section, const char *name, const char *value) {
  struct cfg_parse *ps = user;
  size_t k = 0;
  int section_known = 0;
  for (; k < CFG_NKEYS; k++) {
    if (strcmp(cfg_keys[k].section, section) != 0) continue;
    section_known = 1;
    if (strcmp(cfg_keys[k].name, name) == 0) break;
  }
  if (k == CFG_NKEYS) {
    cfg_fail(ps, SGP_ERR_SYNTAX, ps->lineno,
             section_known ? "unknown key in this section" : "key outside a known section");
    return 1;
  }
  if (ps->seen[k] != 0) {
    cfg_fail(ps, SGP_ERR_DUP_ENTRY, ps->lineno, "key repeated");
    return 1;
  }
  const char *reason = "malformed value";
  sgp_err e = cfg_keys[k].set(&ps->c, value, &reason);
  if (e != SGP_OK) {
    cfg_fail(ps, e, ps->lineno, reason);
    return 1;
  }
  ps->seen[k] = ps->lineno;
  if (cfg_keys[k].tracked >= 0) ps->c.line[cfg_keys[k].tracked] = ps->lineno;
  return 1;
}

/* ---- whole-file checks ----------------------------------------------- */

static void cfg_defaults(struct sgp_config *c) {
  memset(c, 0, sizeof *c);
  c->log_level = SGP_LOG_INFO;
  c->t_gossip_ms = SGP_DEFAULT_T_GOSSIP_MS;
  c->heartbeat = SGP_DEFAULT_HEARTBEAT_ROUNDS;
  c->t_cleanup = SGP_DEFAULT_T_CLEANUP_ROUNDS;
  c->theta_suspect = SGP_DEFAULT_THETA_SUSPECT;
  c->theta_compromised = SGP_DEFAULT_THETA_COMPROMISED;
  c->max_silent = SGP_MAX_SILENT;
  c->budget = SGP_DEFAULT_BUDGET;
  c->jigsaw = JIG_OFF;
  c->carrier = SGP_CARRIER_RAW;
  c->reasm_global_bytes = SGP_REASM_GLOBAL_DEFAULT;
  memcpy(c->agent_source, "fixed:0", sizeof "fixed:0");
  c->agent_speed_milli = 1000;
  for (size_t i = 0; i < SGP_SUBSCORES; i++) c->weights[i] = SGP_SUBSCORE_MAX;
}

static unsigned cfg_max_line(const struct cfg_parse *ps, const size_t *idx, size_t count) {
  unsigned m = 0;
  for (size_t i = 0; i < count; i++) {
    if (ps->seen[idx[i]] > m) m = ps->seen[idx[i]];
  }
  return m;
}

static void cfg_finish(struct cfg_parse *ps) {
  for (size_t k = 0; k < CFG_NKEYS; k++) {
    if (cfg_keys[k].required && ps->seen[k] == 0) {
      cfg_fail(ps, SGP_ERR_MISSING, ps->lineno + 1,
               "[node] needs id, roster, key, state_dir and control_socket");
      return;
    }
  }
  /* The same cluster rules the state enforces, with n not yet known. */
  struct sgp_params p;
  sgp_params_default(&p, 1);
  p.heartbeat = ps->c.heartbeat;
  p.t_cleanup = ps->c.t_cleanup;
  p.theta_suspect = ps->c.theta_suspect;
  p.theta_compromised = ps->c.theta_compromised;
  p.max_silent = ps->c.max_silent;
  if (sgp_params_validate(&p) != SGP_OK) {
    static const size_t involved[] = {K_HEARTBEAT, K_T_CLEANUP, K_THETA_S, K_THETA_C};
    cfg_fail(ps, SGP_ERR_RANGE, cfg_max_line(ps, involved, 4),
             "needs heartbeat <= t_cleanup and theta_suspect <= theta_compromised");
    return;
  }
  /* The agent interval follows T_gossip unless set (spec §10.1). */
  if (ps->seen[K_INTERVAL] == 0) ps->c.agent_interval_ms = ps->c.t_gossip_ms;
}

sgp_err sgp_config_parse(struct sgp_config *out, const char *text, size_t len,
                         struct sgp_config_error *err) {
  static struct cfg_parse zero;
  struct cfg_parse ps = zero;
  SGP_ENSURE(out != NULL && err != NULL && (text != NULL || len == 0), SGP_ERR_INVALID_ARG);
  err->line = 0;
  err->reason = "ok";
  if (len > SGP_CONFIG_MAX_BYTES) {
    err->reason = "config file longer than 65536 bytes";
    return SGP_ERR_TOO_LARGE;
  }
  ps.text = text;
  ps.len = len;
  cfg_defaults(&ps.c);
  int rc = ini_parse_stream(cfg_reader, &ps, cfg_handler, &ps);
  /* libinih keeps going after its own errors: the earliest line wins. */
  if (rc > 0 && (ps.err == SGP_OK || (unsigned)rc < ps.err_line)) {
    ps.err = SGP_OK;
    cfg_fail(&ps, SGP_ERR_SYNTAX, (unsigned)rc, "not a [section], key = value or comment line");
  }
  if (ps.err == SGP_OK) cfg_finish(&ps);
  if (ps.err != SGP_OK) {
    err->line = ps.err_line;
    err->reason = ps.reason;
    return ps.err;
  }
  *out = ps.c;
  return SGP_OK;
}

const char *sgp_log_level_name(enum sgp_log_level l) {
  switch (l) {
    case SGP_LOG_DEBUG:
      return "debug";
    case SGP_LOG_INFO:
      return "info";
    case SGP_LOG_WARN:
      return "warn";
    case SGP_LOG_ERROR:
      return "error";
  }
  return "error";
}

/* ---- generation file ------------------------------------------------- */

sgp_err sgp_generation_parse(const uint8_t *text, size_t len, uint32_t *g) {
  SGP_ENSURE(g != NULL && (text != NULL || len == 0), SGP_ERR_INVALID_ARG);
  /* gen-value = %x31-39 *9DIGIT, then exactly one LF. */
  SGP_ENSURE(len >= 2 && len <= SGP_GENFILE_MAX && text[len - 1] == '\n', SGP_ERR_SYNTAX);
  SGP_ENSURE(text[0] >= '1' && text[0] <= '9', SGP_ERR_SYNTAX);
  uint64_t x = 0;
  for (size_t i = 0; i + 1 < len; i++) {
    SGP_ENSURE(text[i] >= '0' && text[i] <= '9', SGP_ERR_SYNTAX);
    x = x * 10u + (uint64_t)(text[i] - '0');
  }
  SGP_ENSURE(x <= UINT32_MAX, SGP_ERR_SYNTAX);
  *g = (uint32_t)x;
  return SGP_OK;
}

sgp_err sgp_generation_format(uint32_t g, char *out, size_t cap, size_t *out_len) {
  SGP_ENSURE(out != NULL && out_len != NULL, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(g >= 1, SGP_ERR_RANGE);
  char tmp[SGP_GENFILE_MAX + 1];
  struct sgp_cursor w = sgp_cursor_writer((uint8_t *)tmp, sizeof tmp);
  SGP_GUARD(sgp_text_write_decimal(&w, g));
  SGP_GUARD(sgp_cursor_write_u8(&w, '\n'));
  SGP_ENSURE(w.pos + 1 <= cap, SGP_ERR_NO_SPACE);
  memcpy(out, tmp, w.pos);
  out[w.pos] = '\0';
  *out_len = w.pos;
  return SGP_OK;
}

sgp_err sgp_generation_next(uint32_t stored, uint32_t *next) {
  SGP_ENSURE(next != NULL, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(stored < UINT32_MAX, SGP_ERR_EXHAUSTED); /* SGP-STATE-4 */
  *next = stored + 1u;
  return SGP_OK;
}
