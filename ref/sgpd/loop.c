/* The event loop: epoll over the UDP sockets, the control socket and a
 * signalfd; timers from the node's deadline, the agent interval and the
 * control connections, all on CLOCK_MONOTONIC (SGP-NODE-5).
 *
 * Signals: SIGTERM/SIGINT stop the loop (main.c then wipes and exits 0);
 * SIGHUP reloads the roster.  A reload may change only the addresses of
 * OTHER nodes: the node engine borrows the roster's key arrays and its
 * sessions and stored reports are bound to those keys, so a changed n, any
 * changed key or a changed own address is refused and the old roster kept
 * (those need a restart, which also raises the generation: SGP-ROSTER-11).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sgpd.h"

enum { MAX_EVENTS = 32, MAX_WAIT_MS = 1000 };

uint64_t sgpd_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int watch(struct sgpd *d, int fd, uint64_t tag) {
  struct epoll_event ev = {.events = EPOLLIN};
  ev.data.u64 = tag;
  return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int sgpd_loop_setup(struct sgpd *d, struct sgpd_fail *f) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  /* Blocked signals are only read from the signalfd, never run a handler. */
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 ||
      (d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
      (d->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
    sgpd_fail_set(f, SGPD_EXIT_RUNTIME, SGP_ERR_STATE, d->config_path, 0, "event loop: %s",
                  strerror(errno));
    return -1;
  }
  (void)signal(SIGPIPE, SIG_IGN);
  if (watch(d, d->sig_fd, SGPD_TAG_SIGNAL) != 0) {
    sgpd_fail_set(f, SGPD_EXIT_RUNTIME, SGP_ERR_STATE, d->config_path, 0, "epoll: %s",
                  strerror(errno));
    return -1;
  }
  return 0;
}

/* ---- node events ------------------------------------------------------------------------ */

static void event_verdict(const struct sgp_node_event *ev) {
  sgpd_log(SGP_LOG_INFO, "verdict", "node=%u old=%s new=%s gen=%u seq=%u suspicion=%u round=%llu",
           (unsigned)ev->node, sgp_verdict_name(ev->old_verdict), sgp_verdict_name(ev->verdict),
           (unsigned)ev->gen, (unsigned)ev->seq, (unsigned)ev->suspicion,
           (unsigned long long)ev->round);
}

void sgpd_node_event(void *ctx, const struct sgp_node_event *ev) {
  struct sgpd *d = ctx;
  switch (ev->kind) {
    case SGP_NODE_EV_ROUND:
      sgpd_log(SGP_LOG_DEBUG, "round", "round=%llu peer=%d", (unsigned long long)ev->round,
               ev->peer == SGP_NODE_NO_PEER ? -1 : (int)ev->peer);
      break;
    case SGP_NODE_EV_VERDICT:
      event_verdict(ev);
      break;
    case SGP_NODE_EV_HANDSHAKE:
      /* Before the node seals data on the session (SGP-NODE-20); the keys
       * go to the key log only, never to the log (SGP-NODE-11). */
      sgpd_keylog_session(d, ev->peer, ev->session);
      sgpd_log(SGP_LOG_DEBUG, "handshake", "peer=%u", (unsigned)ev->peer);
      break;
    case SGP_NODE_EV_MERGE:
      sgpd_log(SGP_LOG_DEBUG, "merge", "peer=%u kind=%u adopted=%u stale=%u", (unsigned)ev->peer,
               (unsigned)ev->packet_kind, (unsigned)ev->merge.adopted, (unsigned)ev->merge.stale);
      break;
    case SGP_NODE_EV_GENERATION:
      /* Persisted by the loop right after the node call returns (the
       * callback must not call back into the node). */
      d->gen_to_persist = ev->generation;
      sgpd_log(SGP_LOG_WARN, "generation_jump", "generation=%u alarm=%d", (unsigned)ev->generation,
               ev->alarm);
      break;
    case SGP_NODE_EV_DROP:
      sgpd_log_drop(sgpd_now_ms(), ev->drop, ev->err, ev->peer);
      break;
    case SGP_NODE_EV_FATAL:
      d->fatal = 1;
      sgpd_log(SGP_LOG_ERROR, "fatal", "err=%s", sgp_err_name(ev->err));
      break;
  }
}

/* SGP-STATE-5: the node sends no gossip until the raised generation is on
 * disk; a failed write ends the process (SGP-NODE-14). */
int sgpd_after_node_call(struct sgpd *d) {
  if (d->fatal) return -1;
  if (d->gen_to_persist == 0) return 0;
  uint32_t g = d->gen_to_persist;
  int err_no = 0;
  sgp_err e = sgpd_gen_store(d->state_fd, g, &err_no);
  if (e != SGP_OK) {
    sgpd_log(SGP_LOG_ERROR, "generation_write_failed", "generation=%u err=%s errno=\"%s\"",
             (unsigned)g, sgp_err_name(e), strerror(err_no));
    d->fatal = 1;
    return -1;
  }
  d->c.generation_writes++;
  d->gen_to_persist = 0;
  e = sgp_node_generation_persisted(&d->node, g);
  sgpd_log(SGP_LOG_INFO, "generation_persisted", "generation=%u ack=%s", (unsigned)g,
           sgp_err_name(e));
  return 0;
}

/* ---- agent ------------------------------------------------------------------------------- */

static void agent_poll(struct sgpd *d, uint64_t now) {
  if (now < d->next_agent_ms) return;
  d->next_agent_ms = now + d->cfg.agent_interval_ms;
  uint32_t susp = 0;
  uint16_t sub[SGP_SUBSCORES] = {0};
  int have = 0;
  sgp_err e = sgp_agentsrc_poll(d->agent, now, &susp, sub, &have);
  if (e != SGP_OK) {
    d->c.agent_errors++;
    sgpd_log(SGP_LOG_WARN, "agent_error", "err=%s", sgp_err_name(e));
    return;
  }
  if (!have) {
    d->c.agent_gaps++; /* SGP-AGENT-8: keep the previous values */
    sgpd_log(SGP_LOG_DEBUG, "agent_gap", "%s", "");
    return;
  }
  e = sgp_node_set_local(&d->node, susp, sub);
  if (e != SGP_OK) {
    d->c.agent_errors++;
    sgpd_log(SGP_LOG_WARN, "agent_rejected", "err=%s suspicion=%u", sgp_err_name(e),
             (unsigned)susp);
    return;
  }
  d->c.agent_values++;
  sgpd_log(SGP_LOG_DEBUG, "agent", "suspicion=%u sub=%u,%u,%u,%u,%u", (unsigned)susp,
           (unsigned)sub[0], (unsigned)sub[1], (unsigned)sub[2], (unsigned)sub[3],
           (unsigned)sub[4]);
}

/* ---- roster reload (SIGHUP) ----------------------------------------------------------- */

/* NULL if the new roster may replace the old one, else why not. */
static const char *reload_refusal(const struct sgpd *d, const struct sgpd_roster *nr) {
  const struct sgpd_roster *old = &d->roster;
  if (nr->r.n != old->r.n) return "node count changed";
  for (uint32_t i = 0; i < old->r.n; i++) {
    if (memcmp(nr->sign_pk[i], old->sign_pk[i], 32) != 0) return "a sign-pk changed";
    if (memcmp(nr->dh_pk[i], old->dh_pk[i], 32) != 0) return "a dh-pk changed";
  }
  if (!sgp_addr_eq(&nr->addr[d->cfg.id], &old->addr[d->cfg.id])) return "own address changed";
  return NULL;
}

void sgpd_reload_roster(struct sgpd *d) {
  struct sgpd_roster nr;
  struct sgpd_fail f;
  memset(&f, 0, sizeof f);
  if (sgpd_load_roster(d->roster_path, &nr, &f, d->config_path, d->cfg.line[SGP_CFG_ROSTER]) != 0) {
    d->c.reload_refused++;
    sgpd_log(SGP_LOG_WARN, "roster_reload", "result=refused err=%s at=\"%s:%u\" reason=\"%s\"",
             sgp_err_name(f.err), f.file, f.line, f.reason);
    return;
  }
  const char *why = reload_refusal(d, &nr);
  if (why != NULL) {
    d->c.reload_refused++;
    sgpd_log(SGP_LOG_WARN, "roster_reload", "result=refused reason=\"%s\" hint=restart_to_apply",
             why);
    sgpd_roster_free(&nr);
    return;
  }
  unsigned changed = 0;
  for (uint32_t i = 0; i < d->roster.r.n; i++) {
    if (!sgp_addr_eq(&nr.addr[i], &d->roster.addr[i])) changed++;
    d->roster.addr[i] = nr.addr[i];
  }
  sgpd_roster_free(&nr);
  int rc = sgpd_udp_sync_peers(d);
  d->c.reload_ok++;
  sgpd_log(SGP_LOG_INFO, "roster_reload", "result=ok addresses_changed=%u sockets=%s", changed,
           rc == 0 ? "ok" : strerror(errno));
}

/* ---- the loop ----------------------------------------------------------------------------- */

static void on_signal(struct sgpd *d) {
  struct signalfd_siginfo si;
  while (read(d->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
    if (si.ssi_signo == SIGHUP) {
      sgpd_reload_roster(d);
    } else {
      d->stop_signal = (int)si.ssi_signo;
    }
  }
}

static void dispatch(struct sgpd *d, const struct epoll_event *ev) {
  uint64_t tag = ev->data.u64;
  if (tag == SGPD_TAG_UDP4 || tag == SGPD_TAG_UDP6) {
    sgpd_udp_drain(d, tag == SGPD_TAG_UDP4 ? 0 : 1);
  } else if (tag == SGPD_TAG_SIGNAL) {
    on_signal(d);
  } else if (tag == SGPD_TAG_CTL) {
    sgpd_ctl_accept(d);
  } else if (tag >= SGPD_TAG_CONN) {
    sgpd_ctl_io(d, (size_t)(tag - SGPD_TAG_CONN), ev->events);
  }
}

static int wait_ms(const struct sgpd *d, uint64_t now) {
  uint64_t t = sgp_node_next_deadline(&d->node);
  if (d->next_agent_ms < t) t = d->next_agent_ms;
  uint64_t c = sgpd_ctl_next_deadline(d);
  if (c < t) t = c;
  if (t <= now) return 0;
  return t - now > MAX_WAIT_MS ? MAX_WAIT_MS : (int)(t - now);
}

/* Returns the exit code: 0 after SIGTERM/SIGINT, 1 after a fatal error. */
int sgpd_loop_run(struct sgpd *d) {
  struct epoll_event evs[MAX_EVENTS];
  d->next_agent_ms = sgpd_now_ms();
  while (d->stop_signal == 0) {
    uint64_t now = sgpd_now_ms();
    agent_poll(d, now);
    if (sgp_node_next_deadline(&d->node) <= now) {
      sgp_err e = sgp_node_poll(&d->node, now);
      if (e != SGP_OK) d->fatal = 1;
    }
    if (sgpd_after_node_call(d) != 0) return SGPD_EXIT_RUNTIME;
    int n = epoll_wait(d->epfd, evs, MAX_EVENTS, wait_ms(d, sgpd_now_ms()));
    if (n < 0 && errno != EINTR) {
      sgpd_log(SGP_LOG_ERROR, "epoll_failed", "errno=\"%s\"", strerror(errno));
      return SGPD_EXIT_RUNTIME;
    }
    for (int i = 0; i < n; i++) dispatch(d, &evs[i]);
    if (d->fatal) return SGPD_EXIT_RUNTIME;
    sgpd_ctl_expire(d, sgpd_now_ms());
  }
  sgpd_log(SGP_LOG_INFO, "stop", "signal=%s", d->stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
  return SGPD_EXIT_OK;
}
