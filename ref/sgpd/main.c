/* sgpd: the SGP reference node (spec §11).
 *
 *   sgpd -c CONFIG [--check]
 *
 * Start order (SGP-NODE-1): configuration and parameters, roster, secret
 * key, agent source and control-socket directory (configuration too), state
 * directory (SGP-NODE-6), key log checks (SGP-NODE-21), the instance
 * lock, generation (SGP-STATE-3/4), key log open, node initialisation,
 * sockets.  Any failure stops the start before anything is sent, with one
 * line `sgpd: FILE:LINE: SGP_ERR_X: reason` on stderr.  --check stops after
 * the configuration steps (no lock, no generation, no sockets) and prints
 * "ok".
 *
 * Exit status: 0 after SIGTERM/SIGINT; 2 for a bad config, roster, key,
 * state dir or a held lock; 1 for runtime failures (generation write, a
 * generation at 4294967295, SGP_ERR_EXHAUSTED, sockets, memory).
 */
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "sgpd.h"

/* A truncated reason is still a useful reason. */
static void fail_vformat(char *out, size_t cap, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void fail_vformat(char *out, size_t cap, const char *fmt, va_list ap) {
  /* The analyzer cannot see that every caller ran va_start. */
  // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
  if (vsnprintf(out, cap, fmt, ap) < 0) out[0] = '\0';
}

void sgpd_fail_set(struct sgpd_fail *f, int exit_code, sgp_err e, const char *file, unsigned line,
                   const char *fmt, ...) {
  f->err = e;
  f->exit_code = exit_code;
  f->line = line;
  (void)snprintf(f->file, sizeof f->file, "%s", file);
  va_list ap;
  va_start(ap, fmt);
  fail_vformat(f->reason, sizeof f->reason, fmt, ap);
  va_end(ap);
}

sgp_err sgpd_errno_err(int e) {
  switch (e) {
    case ENOENT:
    case ENOTDIR:
      return SGP_ERR_MISSING;
    case EACCES:
    case EPERM:
    case EROFS:
    case ELOOP:
      return SGP_ERR_PERMISSIONS;
    case ENOSPC:
    case EDQUOT:
      return SGP_ERR_NO_SPACE;
    default:
      return SGP_ERR_STATE;
  }
}

static void rng(void *ctx, uint8_t *out, size_t len) {
  (void)ctx;
  randombytes_buf(out, len);
}

/* ---- configuration ------------------------------------------------------------------- */

static int resolve_paths(struct sgpd *d, struct sgpd_fail *f) {
  char dir[PATH_MAX];
  (void)snprintf(dir, sizeof dir, "%s", d->config_path);
  char *slash = strrchr(dir, '/');
  if (slash == NULL) {
    memcpy(dir, ".", 2);
  } else if (slash == dir) {
    slash[1] = '\0';
  } else {
    *slash = '\0';
  }
  const struct sgp_config *c = &d->cfg;
  if (!sgpd_resolve(d->roster_path, sizeof d->roster_path, dir, c->roster) ||
      !sgpd_resolve(d->key_path, sizeof d->key_path, dir, c->key) ||
      !sgpd_resolve(d->state_path, sizeof d->state_path, dir, c->state_dir) ||
      !sgpd_resolve(d->ctl_path, sizeof d->ctl_path, dir, c->control_socket) ||
      (c->keylog[0] != '\0' &&
       !sgpd_resolve(d->keylog_path, sizeof d->keylog_path, dir, c->keylog))) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, SGP_ERR_TOO_LARGE, d->config_path, 0,
                  "a path is too long once resolved against %s", dir);
    return -1;
  }
  /* zeek:PATH:IP and binetflow:PATH:IP carry a path to resolve as well. */
  const char *src = c->agent_source;
  size_t pre = strncmp(src, "zeek:", 5) == 0 ? 5 : strncmp(src, "binetflow:", 10) == 0 ? 10 : 0;
  if (pre == 0 || src[pre] == '/') {
    (void)snprintf(d->agent_spec, sizeof d->agent_spec, "%s", src);
    return 0;
  }
  const char *ip = strrchr(src, ']') != NULL && strstr(src, ":[") != NULL ? strstr(src, ":[")
                                                                          : strrchr(src, ':');
  int n = snprintf(d->agent_spec, sizeof d->agent_spec, "%.*s%s/%.*s%s", (int)pre, src, dir,
                   (int)(ip - src - (long)pre), src + pre, ip);
  if (n < 0 || (size_t)n >= sizeof d->agent_spec) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, SGP_ERR_TOO_LARGE, d->config_path, c->line[SGP_CFG_SOURCE],
                  "agent source path too long once resolved");
    return -1;
  }
  return 0;
}

static int load_config(struct sgpd *d, struct sgpd_fail *f) {
  static char text[SGP_CONFIG_MAX_BYTES + 1];
  size_t len = 0;
  if (sgpd_read_file(d->config_path, (uint8_t *)text, sizeof text, SGP_CONFIG_MAX_BYTES, &len, f, 0,
                     d->config_path) != 0) {
    return -1;
  }
  struct sgp_config_error ce;
  sgp_err e = sgp_config_parse(&d->cfg, text, len, &ce);
  if (e != SGP_OK) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, e, d->config_path, ce.line, "%s", ce.reason);
    return -1;
  }
  sgpd_log_set_level(d->cfg.log_level);
  return resolve_paths(d, f);
}

static int open_agent(struct sgpd *d, struct sgpd_fail *f) {
  struct sgp_agent_config ac;
  sgp_agent_config_default(&ac);
  memcpy(ac.weights, d->cfg.weights, sizeof ac.weights);
  d->agent = calloc(1, sizeof *d->agent);
  if (d->agent == NULL) {
    sgpd_fail_set(f, SGPD_EXIT_RUNTIME, SGP_ERR_NO_SPACE, d->config_path, 0, "out of memory");
    return -1;
  }
  sgp_err e =
      sgp_agentsrc_open(d->agent, d->agent_spec, &ac, d->cfg.agent_speed_milli, sgpd_now_ms());
  if (e != SGP_OK) {
    free(d->agent);
    d->agent = NULL;
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, e, d->config_path, d->cfg.line[SGP_CFG_SOURCE],
                  "agent source %s: %s", d->agent_spec, sgp_err_str(e));
    return -1;
  }
  return 0;
}

/* Steps that only read: config, roster, key, agent, control dir, state dir. */
static int start_checks(struct sgpd *d, struct sgpd_fail *f) {
  if (load_config(d, f) != 0) return -1;
  if (sgpd_load_roster(d->roster_path, &d->roster, f, d->config_path,
                       d->cfg.line[SGP_CFG_ROSTER]) != 0) {
    return -1;
  }
  if (d->cfg.id >= d->roster.r.n) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, SGP_ERR_NODE_ID, d->config_path, d->cfg.line[SGP_CFG_ID],
                  "id %u is not in the roster (n = %u)", (unsigned)d->cfg.id,
                  (unsigned)d->roster.r.n);
    return -1;
  }
  if (sgpd_load_key(d, f) != 0 || open_agent(d, f) != 0 || sgpd_check_ctl_dir(d, f) != 0 ||
      sgpd_keylog_check(d, f) != 0) {
    return -1;
  }
  return sgpd_open_state_dir(d, f);
}

/* ---- generation and node ------------------------------------------------------------------ */

/* SGP-STATE-3/4: persist stored + 1 before anything is signed. */
static int start_generation(struct sgpd *d, struct sgpd_fail *f) {
  char gen_path[PATH_MAX + 16];
  (void)snprintf(gen_path, sizeof gen_path, "%s/generation", d->state_path);
  uint32_t stored = 0;
  int err_no = 0;
  sgp_err e = sgpd_gen_load(d->state_fd, &stored, &err_no);
  if (e != SGP_OK) {
    sgpd_fail_set(f, SGPD_EXIT_CONFIG, e, gen_path, err_no != 0 ? 0 : 1, "%s",
                  err_no != 0 ? strerror(err_no) : "not exactly one decimal 1..4294967295 and LF");
    return -1;
  }
  e = sgp_generation_next(stored, &d->generation);
  if (e != SGP_OK) {
    sgpd_fail_set(f, SGPD_EXIT_RUNTIME, e, gen_path, 1,
                  "generation 4294967295 reached: this node's key must be replaced");
    return -1;
  }
  e = sgpd_gen_store(d->state_fd, d->generation, &err_no);
  if (e != SGP_OK) {
    sgpd_fail_set(f, SGPD_EXIT_RUNTIME, e, gen_path, 1, "cannot persist generation %u: %s",
                  (unsigned)d->generation, strerror(err_no));
    return -1;
  }
  return 0;
}

static int start_node(struct sgpd *d, struct sgpd_fail *f) {
  struct sgp_node_config nc;
  memset(&nc, 0, sizeof nc);
  sgp_params_default(&nc.params, d->roster.r.n);
  nc.params.max_silent = d->cfg.max_silent;
  nc.params.t_cleanup = d->cfg.t_cleanup;
  nc.params.heartbeat = d->cfg.heartbeat;
  nc.params.theta_suspect = d->cfg.theta_suspect;
  nc.params.theta_compromised = d->cfg.theta_compromised;
  nc.self = d->cfg.id;
  nc.generation = d->generation;
  nc.roster = &d->roster.r;
  nc.key = &d->key;
  nc.t_gossip_ms = d->cfg.t_gossip_ms;
  nc.budget = d->cfg.budget;
  nc.jigsaw = d->cfg.jigsaw;
  nc.carrier = d->cfg.carrier;
  nc.reasm_global_bytes = d->cfg.reasm_global_bytes;
  nc.rng = rng;
  nc.send = sgpd_udp_send;
  nc.send_ctx = d;
  nc.event = sgpd_node_event;
  nc.event_ctx = d;
  d->node_mem_len = sgp_node_mem_size(&nc);
  d->node_mem =
      d->node_mem_len == 0 ? NULL : aligned_alloc(64, (d->node_mem_len + 63) & ~(size_t)63);
  sgp_err e = d->node_mem == NULL
                  ? SGP_ERR_NO_SPACE
                  : sgp_node_init(&d->node, &nc, d->node_mem, d->node_mem_len, sgpd_now_ms());
  /* The node keeps its own copy of the secrets; ours goes now. */
  sgp_secret_key_wipe(&d->key);
  if (e != SGP_OK) {
    free(d->node_mem);
    d->node_mem = NULL;
    sgpd_fail_set(f, SGPD_EXIT_RUNTIME, e, d->config_path, 0, "node initialisation failed: %s",
                  sgp_err_str(e));
    return -1;
  }
  return 0;
}

static int start_sockets(struct sgpd *d, struct sgpd_fail *f) {
  if (sgpd_loop_setup(d, f) != 0) return -1;
  const struct sgp_addr *bind_to = d->cfg.has_listen ? &d->cfg.listen : &d->roster.addr[d->cfg.id];
  int k = bind_to->family == SGP_ADDR_V6 ? 1 : 0;
  d->udp_fd[k] = sgpd_udp_open(bind_to);
  struct epoll_event ev = {.events = EPOLLIN};
  ev.data.u64 = k == 0 ? SGPD_TAG_UDP4 : SGPD_TAG_UDP6;
  if (d->udp_fd[k] < 0 || epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->udp_fd[k], &ev) != 0) {
    char a[SGP_ADDR_TEXT_MAX];
    size_t alen = 0;
    if (sgp_addr_format(bind_to, a, sizeof a, &alen) != SGP_OK) memcpy(a, "?", 2);
    sgpd_fail_set(f, SGPD_EXIT_RUNTIME, sgpd_errno_err(errno), d->config_path,
                  d->cfg.line[d->cfg.has_listen ? SGP_CFG_LISTEN : SGP_CFG_ROSTER],
                  "cannot bind UDP %s: %s", a, strerror(errno));
    return -1;
  }
  d->peer_sa = calloc(d->roster.r.n, sizeof *d->peer_sa);
  d->peer_salen = calloc(d->roster.r.n, sizeof *d->peer_salen);
  if (d->peer_sa == NULL || d->peer_salen == NULL || sgpd_udp_sync_peers(d) != 0) {
    sgpd_fail_set(f, SGPD_EXIT_RUNTIME, SGP_ERR_STATE, d->config_path, 0, "peer sockets: %s",
                  strerror(errno));
    return -1;
  }
  if (sgpd_ctl_open(d, f) != 0) return -1;
  ev.data.u64 = SGPD_TAG_CTL;
  if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->ctl_fd, &ev) != 0) {
    sgpd_fail_set(f, SGPD_EXIT_RUNTIME, SGP_ERR_STATE, d->config_path, 0, "epoll: %s",
                  strerror(errno));
    return -1;
  }
  return 0;
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static void sgpd_init(struct sgpd *d) {
  memset(d, 0, sizeof *d);
  d->state_fd = d->lock_fd = d->epfd = d->sig_fd = d->ctl_fd = d->keylog_fd = -1;
  d->udp_fd[0] = d->udp_fd[1] = -1;
  for (size_t i = 0; i < SGPD_CTL_CONNS; i++) d->conns[i].fd = -1;
}

/* SGP-NODE-15: every secret is wiped before exit (the node's copies by
 * sgp_node_destroy, ours by sgp_secret_key_wipe). */
static void sgpd_cleanup(struct sgpd *d) {
  sgpd_ctl_close_all(d);
  for (int k = 0; k < 2; k++) {
    if (d->udp_fd[k] >= 0) close(d->udp_fd[k]);
  }
  if (d->node_mem != NULL) {
    sgp_node_destroy(&d->node);
    free(d->node_mem);
  }
  sodium_memzero(&d->node, sizeof d->node);
  sgp_secret_key_wipe(&d->key);
  if (d->agent != NULL) {
    sgp_agentsrc_close(d->agent);
    free(d->agent);
  }
  sgpd_roster_free(&d->roster);
  free(d->peer_sa);
  free(d->peer_salen);
  int fds[] = {d->epfd, d->sig_fd, d->lock_fd, d->state_fd, d->keylog_fd};
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
    if (fds[i] >= 0) close(fds[i]);
  }
}

static int start(struct sgpd *d, int check_only, struct sgpd_fail *f) {
  if (start_checks(d, f) != 0) return -1;
  if (check_only) return 0;
  if (sgpd_lock_state_dir(d, f) != 0 || start_generation(d, f) != 0 ||
      sgpd_keylog_open(d, f) != 0 || start_node(d, f) != 0 || start_sockets(d, f) != 0) {
    return -1;
  }
  d->started_ms = sgpd_now_ms();
  sgpd_log(SGP_LOG_INFO, "start",
           "id=%u n=%u generation=%u t_gossip_ms=%u agent=\"%s\" control_socket=\"%s\"",
           (unsigned)d->cfg.id, (unsigned)d->roster.r.n, (unsigned)d->generation,
           (unsigned)d->cfg.t_gossip_ms, d->agent_spec, d->ctl_path);
  return 0;
}

static int usage(void) {
  (void)fprintf(stderr, "usage: sgpd -c CONFIG [--check]\n");
  return SGPD_EXIT_CONFIG;
}

int main(int argc, char **argv) {
  static struct sgpd d;
  const char *config = NULL;
  int check_only = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
      config = argv[++i];
    } else if (strcmp(argv[i], "--check") == 0) {
      check_only = 1;
    } else {
      return usage();
    }
  }
  if (config == NULL) return usage();
  if (sodium_init() < 0) {
    (void)fprintf(stderr, "sgpd: libsodium initialisation failed\n");
    return SGPD_EXIT_RUNTIME;
  }
  sgpd_init(&d);
  (void)snprintf(d.config_path, sizeof d.config_path, "%s", config);
  struct sgpd_fail f;
  memset(&f, 0, sizeof f);
  int code = SGPD_EXIT_OK;
  if (start(&d, check_only, &f) != 0) {
    (void)fprintf(stderr, "sgpd: %s:%u: %s: %s\n", f.file, f.line, sgp_err_name(f.err), f.reason);
    code = f.exit_code;
  } else if (check_only) {
    (void)printf("sgpd: %s: ok\n", d.config_path);
  } else {
    code = sgpd_loop_run(&d);
  }
  sgpd_cleanup(&d);
  return code;
}
