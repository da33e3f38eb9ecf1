/* Live Linux source for the agent (spec §10): samples /proc/net once per
 * interval and turns what changed into agent input.
 *
 *  - /proc/net/dev: byte counters of every interface but lo; the deltas feed
 *    the host-wide output/input ratio (sgp_agent_add_counters).
 *  - /proc/net/tcp, tcp6, udp, udp6: each connection the host opened (local
 *    port not a listening port, remote not loopback) that was not there at
 *    the previous sample becomes one flow stamped with the sample time.  A
 *    TCP socket first seen in SYN_SENT is held until it is established
 *    (answered), disappears or is still unanswered after
 *    SGP_LIVE_SYN_TIMEOUT_MS (unanswered).  Per-socket byte counts are not in
 *    these files, so live flows carry no bytes.
 *
 * The socket sets are 64-bit hashes in fixed tables; files stream through a
 * fixed buffer, so no table size or file size allocates.  A malformed line
 * is counted (errors, last_err, last_err_line, last_err_file) and skipped.
 * Flows are bound to the agent's own host (SGP-AGENT-6: /proc only shows
 * this host), whose address the caller set in sgp_agent_init.
 */
#ifndef SGP_AGENTLIVE_H
#define SGP_AGENTLIVE_H

#include <stdint.h>

#include "sgp/agent.h"
#include "sgp/procnet.h"

enum {
  SGP_LIVE_SOCKS = 8192,  /* tracked sockets per sample (beyond: not tracked) */
  SGP_LIVE_PENDING = 256, /* connections waiting for their SYN-ACK */
  SGP_LIVE_SYN_TIMEOUT_MS = 10000,
  SGP_LIVE_BUF = 16384,
  SGP_LIVE_PATH_MAX = 200,
};

struct sgp_live_pending {
  uint64_t key, since_ms;
  struct sgp_ip remote;
  uint16_t rport;
};

/* A connected socket of the current sample, classified once all four
 * tables are read (a listening socket may be listed after its children). */
struct sgp_live_sock {
  uint64_t key;
  struct sgp_ip remote;
  uint16_t lport, rport;
  uint8_t state, udp;
};

struct sgp_agentlive {
  char root[SGP_LIVE_PATH_MAX]; /* directory holding dev, tcp, ... ("/proc/net") */
  int have_dev, primed;
  uint64_t rx, tx;
  uint64_t keys[2][SGP_LIVE_SOCKS]; /* open-addressing sets: previous / current */
  uint8_t states[2][SGP_LIVE_SOCKS];
  uint32_t nkeys[2];
  unsigned cur;
  struct sgp_live_pending pending[SGP_LIVE_PENDING];
  uint32_t npending;
  uint8_t listen_tcp[65536 / 8], listen_udp[65536 / 8];
  struct sgp_live_sock socks[SGP_LIVE_SOCKS];
  uint32_t nsocks;
  char buf[SGP_LIVE_BUF];
  uint64_t samples, errors, overflow;
  sgp_err last_err;
  unsigned last_err_line;
  const char *last_err_file;
};

/* root NULL means "/proc/net".  SGP_ERR_FLOW_IO if root/dev cannot be read. */
SGP_MUST_CHECK sgp_err sgp_agentlive_open(struct sgp_agentlive *l, const char *root);
/* One sample at now_ms, fed into a.  The first sample only primes the
 * baselines (sockets already open are not new).  SGP_ERR_FLOW_IO if
 * /proc/net/dev cannot be read; other files failing count as errors. */
SGP_MUST_CHECK sgp_err sgp_agentlive_sample(struct sgp_agentlive *l, struct sgp_agent *a,
                                            uint64_t now_ms);

#endif
