/* sgpd: the daemon's shared context and the entry points of its modules.
 *
 * One file per concern: main.c (start order, exit codes), files.c (bounded
 * file reads, path resolution, state dir and lock), genfile.c (generation
 * file I/O), udp.c (sockets and address conversion), loop.c (the event
 * loop, signals, agent, roster reload), ctl.c (control socket), report.c
 * (status/verdicts/peers JSON and Prometheus metrics), log.c (logs),
 * keylog.c (the opt-in session key log, SGP-NODE-20..22).
 *
 * Single-threaded: everything runs in the loop of loop.c; nothing here is
 * locked.
 */
#ifndef SGPD_H
#define SGPD_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sgp/agentsrc.h"
#include "sgp/config.h"
#include "sgp/keys.h"
#include "sgp/node.h"
#include "sgp/roster.h"

/* Exit codes of the CLI contract (notes/session2.md B). */
enum {
  SGPD_EXIT_OK = 0,
  SGPD_EXIT_RUNTIME = 1, /* generation write, EXHAUSTED, sockets, memory */
  SGPD_EXIT_CONFIG = 2,  /* bad config, roster, key, state dir, lock held */
};

enum { SGPD_CTL_CONNS = 8 };

/* A startup failure, printed as `sgpd: FILE:LINE: SGP_ERR_X: reason`. */
struct sgpd_fail {
  sgp_err err;
  int exit_code;
  unsigned line;
  char file[PATH_MAX];
  char reason[256];
};

struct sgpd_roster {
  struct sgp_roster r;
  uint8_t (*sign_pk)[32];
  uint8_t (*dh_pk)[32];
  struct sgp_addr *addr;
};

struct sgpd_ctl_conn {
  int fd; /* -1 when free */
  uint64_t deadline_ms;
  char in[128];
  size_t in_len;
  char *out;
  size_t out_len, out_off;
};

struct sgpd_counters {
  uint64_t send_errors, recv_truncated, recv_errors;
  uint64_t agent_values, agent_gaps, agent_errors;
  uint64_t reload_ok, reload_refused;
  uint64_t ctl_requests, ctl_refused, ctl_timeouts;
  uint64_t generation_writes;
};

struct sgpd {
  struct sgp_config cfg;
  char config_path[PATH_MAX];
  char roster_path[PATH_MAX], key_path[PATH_MAX], state_path[PATH_MAX], ctl_path[PATH_MAX];
  char keylog_path[PATH_MAX]; /* "" = no key log */
  int keylog_fd;              /* -1 unless the key log is open */
  int keylog_failed;          /* a write failed (logged once) */
  char agent_spec[PATH_MAX + 64];

  struct sgpd_roster roster;
  struct sockaddr_storage *peer_sa; /* [n], the roster addresses */
  socklen_t *peer_salen;
  struct sgp_secret_key key;
  struct sgp_agentsrc *agent;

  int state_fd, lock_fd;
  uint32_t generation; /* persisted start generation */

  struct sgp_node node;
  void *node_mem;
  size_t node_mem_len;
  uint32_t gen_to_persist; /* set by the event callback, persisted by the loop */
  int fatal;

  int epfd, sig_fd, udp_fd[2]; /* [0] IPv4, [1] IPv6; -1 if not open */
  int ctl_fd;
  struct sgpd_ctl_conn conns[SGPD_CTL_CONNS];
  struct sockaddr_storage rx_sa; /* source of the datagram being processed */
  socklen_t rx_salen;
  uint64_t next_agent_ms;
  uint64_t started_ms;
  int stop_signal;
  struct sgpd_counters c;
};

/* ---- main.c helpers used elsewhere ---------------------------------------------- */
void sgpd_fail_set(struct sgpd_fail *f, int exit_code, sgp_err e, const char *file, unsigned line,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Maps an errno to the closest sgp_err for the error line (the text keeps
 * strerror): ENOENT MISSING, EACCES/EPERM/EROFS PERMISSIONS, ENOSPC/EDQUOT
 * NO_SPACE, anything else STATE. */
sgp_err sgpd_errno_err(int e);
uint64_t sgpd_now_ms(void);

/* ---- files.c ------------------------------------------------------------------------ */
/* dir/rel unless rel is absolute; 0 if it does not fit. */
int sgpd_resolve(char *out, size_t cap, const char *dir, const char *rel);
/* Reads a whole regular file of at most max bytes into buf (cap > max). */
/* Writes all len bytes, retrying on EINTR and short writes; -1 and errno. */
int sgpd_write_all(int fd, const char *p, size_t len);
int sgpd_read_file(const char *path, uint8_t *buf, size_t cap, size_t max, size_t *len,
                   struct sgpd_fail *f, unsigned cfg_line, const char *cfg_file);
int sgpd_load_roster(const char *path, struct sgpd_roster *out, struct sgpd_fail *f,
                     const char *cfg_file, unsigned cfg_line);
void sgpd_roster_free(struct sgpd_roster *r);
int sgpd_load_key(struct sgpd *d, struct sgpd_fail *f);
/* SGP-NODE-6: open (creating 0700 if missing) and check the state dir, then
 * take the instance lock. */
int sgpd_open_state_dir(struct sgpd *d, struct sgpd_fail *f);
int sgpd_lock_state_dir(struct sgpd *d, struct sgpd_fail *f);
/* An owner-only directory for the control socket (SGP-NODE-7). */
int sgpd_check_ctl_dir(struct sgpd *d, struct sgpd_fail *f);

/* ---- genfile.c ---------------------------------------------------------------------- */
/* Reads state_dir/generation: *stored = 0 if missing; SGP_ERR_SYNTAX for
 * bad content; an I/O error sets *err_no. */
sgp_err sgpd_gen_load(int dir_fd, uint32_t *stored, int *err_no);
/* SGP-STATE-3: generation.tmp, fsync, rename, fsync dir.  Any failure
 * removes the temporary file and sets *err_no. */
sgp_err sgpd_gen_store(int dir_fd, uint32_t g, int *err_no);

/* ---- udp.c -------------------------------------------------------------------------- */
int sgpd_sockaddr_from(const struct sgp_addr *a, struct sockaddr_storage *sa, socklen_t *len);
int sgpd_addr_from_sockaddr(const struct sockaddr_storage *sa, struct sgp_addr *a);
/* Opens a non-blocking UDP socket bound to a (IPV6_V6ONLY for IPv6); -1 and errno. */
int sgpd_udp_open(const struct sgp_addr *a);
/* Rebuilds peer_sa from the roster and opens the socket of a family the
 * listen socket does not cover, if a peer needs it. */
int sgpd_udp_sync_peers(struct sgpd *d);
/* The node's send callback. */
void sgpd_udp_send(void *ctx, uint32_t peer, const uint8_t *src, size_t src_len,
                   const uint8_t *dgram, size_t len);
/* Drains one socket into the node (bounded batch). */
void sgpd_udp_drain(struct sgpd *d, int fam_idx);

/* ---- loop.c ------------------------------------------------------------------------- */
int sgpd_loop_setup(struct sgpd *d, struct sgpd_fail *f);
int sgpd_loop_run(struct sgpd *d);
void sgpd_node_event(void *ctx, const struct sgp_node_event *ev);
/* After every node call: persist a raised generation (SGP-STATE-5). */
int sgpd_after_node_call(struct sgpd *d);
void sgpd_reload_roster(struct sgpd *d);

/* ---- keylog.c ----------------------------------------------------------------------- */
/* SGP-NODE-21: the key log's directory and (if it exists) the file must be
 * owner-only; --check runs only this. */
int sgpd_keylog_check(struct sgpd *d, struct sgpd_fail *f);
/* Opens the key log (O_APPEND, O_NOFOLLOW, mode 0600) and logs
 * event=keylog_enabled at warn.  No-op without `keylog`. */
int sgpd_keylog_open(struct sgpd *d, struct sgpd_fail *f);
/* One SGP_SESSION line for a session that became current, written and
 * fsynced before the node seals data on it (called from the HANDSHAKE
 * event).  No-op without a key log. */
void sgpd_keylog_session(struct sgpd *d, uint32_t peer, const struct sgp_session *s);

/* ---- ctl.c -------------------------------------------------------------------------- */
int sgpd_ctl_open(struct sgpd *d, struct sgpd_fail *f);
void sgpd_ctl_accept(struct sgpd *d);
void sgpd_ctl_io(struct sgpd *d, size_t i, uint32_t events);
void sgpd_ctl_expire(struct sgpd *d, uint64_t now_ms);
uint64_t sgpd_ctl_next_deadline(const struct sgpd *d);
void sgpd_ctl_close_all(struct sgpd *d);

/* ---- report.c ------------------------------------------------------------------------ */
struct sgpd_buf {
  char *p;
  size_t len, cap;
  int failed; /* allocation failed or the cap was reached */
};
void sgpd_buf_printf(struct sgpd_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sgpd_report_status(const struct sgpd *d, struct sgpd_buf *b);
void sgpd_report_verdicts(const struct sgpd *d, struct sgpd_buf *b);
void sgpd_report_peers(const struct sgpd *d, struct sgpd_buf *b);
void sgpd_report_metrics(const struct sgpd *d, struct sgpd_buf *b);

/* epoll tags (data.u64) */
enum {
  SGPD_TAG_UDP4 = 1,
  SGPD_TAG_UDP6 = 2,
  SGPD_TAG_SIGNAL = 3,
  SGPD_TAG_CTL = 4,
  SGPD_TAG_CONN = 100, /* + connection index */
};

#endif
