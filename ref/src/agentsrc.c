/* Agent source (see agentsrc.h): spec parsing, replay pacing and the poll. */
#include "sgp/agentsrc.h"

#include <string.h>

#include "sgp/limits.h"

static sgp_err parse_uint(const char *s, uint32_t max, uint32_t *out) {
  uint32_t v = 0;
  SGP_ENSURE(*s != '\0', SGP_ERR_SYNTAX);
  for (; *s != '\0'; s++) {
    SGP_ENSURE(*s >= '0' && *s <= '9', SGP_ERR_SYNTAX);
    uint32_t d = (uint32_t)(*s - '0');
    SGP_ENSURE(v <= (max - d) / 10u, SGP_ERR_RANGE);
    v = v * 10u + d;
  }
  *out = v;
  return SGP_OK;
}

static sgp_err open_fixed(struct sgp_agentsrc *s, const char *arg) {
  uint32_t v = 0;
  SGP_GUARD(parse_uint(arg, SGP_SUSPICION_MAX, &v));
  s->fixed_suspicion = v;
  for (unsigned i = 0; i < SGP_SUBSCORES; i++) {
    s->fixed_sub[i] = (uint16_t)(v / SGP_SUBSCORES + (i < v % SGP_SUBSCORES ? 1u : 0u));
  }
  return SGP_OK;
}

/* "PATH:IP" or "PATH:[IPv6]" into a NUL-terminated path and the address. */
static sgp_err split_path_ip(const char *arg, char *path, size_t cap, struct sgp_ip *ip) {
  size_t len = strlen(arg);
  const char *ip_start, *ip_end = arg + len, *sep;
  if (len > 0 && arg[len - 1] == ']') {
    const char *lb = strrchr(arg, '[');
    SGP_ENSURE(lb != NULL && lb > arg && lb[-1] == ':', SGP_ERR_SYNTAX);
    ip_start = lb + 1;
    ip_end = arg + len - 1;
    sep = lb - 1;
  } else {
    sep = strrchr(arg, ':');
    SGP_ENSURE(sep != NULL, SGP_ERR_SYNTAX);
    ip_start = sep + 1;
  }
  SGP_ENSURE(sep > arg && (size_t)(sep - arg) < cap, SGP_ERR_SYNTAX);
  SGP_ENSURE(sgp_ip_parse(ip, ip_start, (size_t)(ip_end - ip_start)) == SGP_OK, SGP_ERR_SYNTAX);
  memcpy(path, arg, (size_t)(sep - arg));
  path[sep - arg] = '\0';
  return SGP_OK;
}

/* Read ahead to the next flow (sets have_next = 0 at end of file). */
static sgp_err read_next(struct sgp_agentsrc *s) {
  return sgp_flowfile_next(&s->file, &s->next, &s->have_next);
}

static sgp_err open_replay(struct sgp_agentsrc *s, const char *arg, enum sgp_flowlog_format fmt,
                           uint64_t now_ms) {
  char path[4096];
  struct sgp_ip host;
  SGP_GUARD(split_path_ip(arg, path, sizeof path, &host));
  SGP_GUARD(sgp_agent_init(&s->agent, &s->cfg, &host));
  SGP_GUARD(sgp_flowfile_open(&s->file, path, fmt));
  sgp_err rc = read_next(s);
  /* A log whose data comes before (or without) its header is refused here,
   * once, instead of skipping every line at run time. */
  if (rc == SGP_OK && !s->have_next && s->file.log.first_err != SGP_OK) {
    rc = s->file.log.first_err;
  }
  if (rc == SGP_OK && !s->file.log.have_header) rc = SGP_ERR_FLOW_HEADER;
  if (rc != SGP_OK) {
    sgp_flowfile_close(&s->file);
    return rc;
  }
  s->open_ms = now_ms;
  s->log_t0_ms = s->have_next ? s->next.ts_us / 1000u : 0;
  return SGP_OK;
}

static sgp_err open_live(struct sgp_agentsrc *s, uint64_t now_ms) {
  struct sgp_ip self;
  memset(&self, 0, sizeof self); /* /proc shows only this host: "::" stands for it */
  SGP_GUARD(sgp_agent_init(&s->agent, &s->cfg, &self));
  SGP_GUARD(sgp_agentlive_open(&s->live, NULL));
  s->open_ms = now_ms;
  return SGP_OK;
}

sgp_err sgp_agentsrc_open(struct sgp_agentsrc *s, const char *spec,
                          const struct sgp_agent_config *cfg, uint32_t speed_milli,
                          uint64_t now_ms) {
  SGP_ENSURE(s != NULL && spec != NULL, SGP_ERR_INVALID_ARG);
  memset(s, 0, sizeof *s);
  /* Speed first: a refused open leaves *s all zero (kind NONE). */
  SGP_ENSURE(speed_milli >= 1 && speed_milli <= SGP_AGENTSRC_SPEED_MILLI_MAX, SGP_ERR_INVALID_ARG);
  if (cfg != NULL) {
    SGP_GUARD(sgp_agent_config_validate(cfg));
    s->cfg = *cfg;
  } else {
    sgp_agent_config_default(&s->cfg);
  }
  s->speed_milli = speed_milli;
  sgp_err rc = SGP_ERR_INVALID_ARG;
  enum sgp_agentsrc_kind kind = SGP_AGENTSRC_NONE;
  if (strncmp(spec, "fixed:", 6) == 0) {
    kind = SGP_AGENTSRC_FIXED;
    rc = open_fixed(s, spec + 6);
  } else if (strcmp(spec, "live") == 0) {
    kind = SGP_AGENTSRC_LIVE;
    rc = open_live(s, now_ms);
  } else if (strncmp(spec, "zeek:", 5) == 0) {
    kind = SGP_AGENTSRC_ZEEK;
    rc = open_replay(s, spec + 5, SGP_FLOWLOG_ZEEK, now_ms);
  } else if (strncmp(spec, "binetflow:", 10) == 0) {
    kind = SGP_AGENTSRC_BINETFLOW;
    rc = open_replay(s, spec + 10, SGP_FLOWLOG_BINETFLOW, now_ms);
  }
  if (rc != SGP_OK) {
    memset(s, 0, sizeof *s);
    return rc;
  }
  s->kind = kind;
  return SGP_OK;
}

/* Feed every flow whose log time has come: ts <= t0 + (now - open) * speed. */
static sgp_err replay(struct sgp_agentsrc *s, uint64_t now_ms, uint64_t *log_now) {
  uint64_t elapsed = now_ms > s->open_ms ? now_ms - s->open_ms : 0;
  /* elapsed * speed in integers; split so the product stays below 2^64 for
   * any elapsed below 2^34 s (545 years) at the largest speed. */
  uint64_t scaled = (elapsed / 1000u) * s->speed_milli + (elapsed % 1000u) * s->speed_milli / 1000u;
  *log_now = s->log_t0_ms + scaled;
  while (s->have_next && s->next.ts_us / 1000u <= *log_now) {
    sgp_err rc = sgp_agent_add(&s->agent, &s->next);
    if (rc == SGP_OK) {
      s->fed++;
    } else {
      s->foreign++; /* SGP-AGENT-6: another host's flow never reaches the agent */
    }
    SGP_GUARD(read_next(s));
  }
  return SGP_OK;
}

sgp_err sgp_agentsrc_poll(struct sgp_agentsrc *s, uint64_t now_ms, uint32_t *suspicion,
                          uint16_t sub[SGP_SUBSCORES], int *have) {
  SGP_ENSURE(s != NULL && suspicion != NULL && sub != NULL && have != NULL, SGP_ERR_INVALID_ARG);
  *have = 0;
  uint64_t t = now_ms;
  uint16_t tmp[SGP_SUBSCORES];
  uint32_t susp;
  switch (s->kind) {
    case SGP_AGENTSRC_FIXED:
      *suspicion = s->fixed_suspicion;
      memcpy(sub, s->fixed_sub, sizeof s->fixed_sub);
      *have = 1;
      return SGP_OK;
    case SGP_AGENTSRC_LIVE:
      SGP_GUARD(sgp_agentlive_sample(&s->live, &s->agent, now_ms));
      break;
    case SGP_AGENTSRC_ZEEK:
    case SGP_AGENTSRC_BINETFLOW:
      SGP_GUARD(replay(s, now_ms, &t));
      break;
    default:
      return SGP_ERR_STATE;
  }
  SGP_GUARD(sgp_agent_score(&s->agent, t, tmp, &susp));
  memcpy(sub, tmp, sizeof tmp);
  *suspicion = susp;
  *have = 1;
  return SGP_OK;
}

void sgp_agentsrc_close(struct sgp_agentsrc *s) {
  if (s == NULL) return;
  if (s->kind == SGP_AGENTSRC_ZEEK || s->kind == SGP_AGENTSRC_BINETFLOW) {
    sgp_flowfile_close(&s->file);
  }
  memset(s, 0, sizeof *s);
}
