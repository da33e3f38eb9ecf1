/* Stand-alone agent: pure scoring of the host's own traffic (spec §10, DESIGN D7).
 *
 * The agent turns what its host did over a sliding window into five
 * sub-scores 0..1000 in the order of spec §3.1 (SGP-AGENT-3): response time,
 * IP addresses, traffic pattern, ports, output/input ratio, and one suspicion
 * 0..5000 = floor(sum(w_i * sub_i) / 1000) (SGP-AGENT-4/-5).  The functions
 * and their defaults are spec §10.3 (SGP-AGENT-7).
 *
 * The agent is bound to one host address (SGP-AGENT-6): a flow that neither
 * starts nor ends at it is rejected with SGP_ERR_FLOW_HOST and changes
 * nothing.  Only flows the host originated are scored (incoming connections
 * describe the peers, not the host); multicast and broadcast destinations
 * are counted but not scored (no answer is expected from them).
 *
 * Nothing here allocates, does I/O or reads a clock: flows carry their own
 * timestamps, the caller passes "now" to sgp_agent_score, and the window,
 * the destination history and the scoring scratch all live in struct
 * sgp_agent (about 0.5 MiB: place it statically or on the heap).
 */
#ifndef SGP_AGENT_H
#define SGP_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/limits.h"
#include "sgp/result.h"

enum {
  SGP_AGENT_SUB_RESPONSE = 0,    /* response time: failed / unanswered / slow answers */
  SGP_AGENT_SUB_ADDRS = 1,       /* IP addresses: distinct and new destinations */
  SGP_AGENT_SUB_PATTERN = 2,     /* traffic pattern: beaconing regularity */
  SGP_AGENT_SUB_PORTS = 3,       /* ports: C2 list, unusual and distinct ports */
  SGP_AGENT_SUB_RATIO = 4,       /* output / input byte ratio */
  SGP_AGENT_PORTS_MAX = 32,      /* capacity of each configurable port list */
  SGP_AGENT_WINDOW_MAX = 2048,   /* flows held in the window (oldest evicted beyond) */
  SGP_AGENT_TABLE = 4096,        /* per-destination scratch table (2 x window) */
  SGP_AGENT_KNOWN = 4096,        /* per-generation capacity of the destination history */
  SGP_AGENT_COUNTERS_MAX = 1024, /* interface-counter samples held (live source) */
};

/* An IP address; IPv4 is held as ::ffff:a.b.c.d (RFC 4291 §2.5.5.2). */
struct sgp_ip {
  uint8_t b[16];
};

enum sgp_flow_state {
  SGP_FLOW_ANSWERED = 0,   /* the responder sent something back */
  SGP_FLOW_UNANSWERED = 1, /* no reply at all (e.g. Zeek S0, Argus S_) */
  SGP_FLOW_REJECTED = 2,   /* refused (e.g. Zeek REJ, TCP RST to a SYN) */
};

/* Ground-truth label of a log line; the agent never reads it (evaluation only). */
enum sgp_flow_label {
  SGP_LABEL_NONE = 0,
  SGP_LABEL_BENIGN = 1,
  SGP_LABEL_MALICIOUS = 2,
  SGP_LABEL_BACKGROUND = 3,
  SGP_LABEL_COUNT = 4,
};

/* One flow (connection) as the readers produce it, originator first. */
struct sgp_flow {
  uint64_t ts_us;             /* start time, µs since the log's epoch */
  uint64_t dur_us;            /* 0 if unknown */
  struct sgp_ip src;          /* originator */
  struct sgp_ip dst;          /* responder */
  uint16_t sport, dport;      /* 0 for protocols without ports */
  uint8_t proto;              /* IP protocol number (6 tcp, 17 udp, 1 icmp, 58 icmpv6), 0 other */
  uint8_t state;              /* enum sgp_flow_state */
  uint8_t label;              /* enum sgp_flow_label */
  uint64_t bytes_out;         /* originator -> responder (IP bytes when the log has them) */
  uint64_t bytes_in;          /* responder -> originator */
  uint32_t pkts_out, pkts_in; /* both 0 if the log does not split packets by direction */
};

/* Every threshold of spec §10.3.  A ramp (lo, hi) maps x <= lo to 0 and
 * x >= hi to 1000, linearly between; "_pm" values are permille. */
struct sgp_agent_config {
  uint16_t weights[SGP_SUBSCORES]; /* 0..1000 each (SGP-AGENT-5); default 1000 */
  uint32_t window_ms;              /* sliding window; default 300000 */
  uint32_t chan_full_flows;        /* flows to one destination for full confidence; 4 */
  /* 0 response time */
  uint32_t chan_fail_lo_pm, chan_fail_hi_pm; /* failed share per destination; 500, 1000 */
  uint32_t host_fail_lo_pm, host_fail_hi_pm; /* failed share over all flows; 250, 750 */
  uint32_t host_fail_min_flows;              /* flows before the host share counts; 10 */
  uint32_t delay_lo_ms, delay_hi_ms;         /* mean request/response delay; 500, 3000 */
  /* 1 IP addresses */
  uint32_t dst_lo, dst_hi; /* distinct destinations in the window; 100, 500 */
  uint32_t new_lo, new_hi; /* destinations not seen before the window; 50, 250 */
  /* 2 traffic pattern */
  uint32_t beacon_min_intervals;   /* inter-arrival gaps needed per destination; 4 */
  uint32_t beacon_min_mean_ms;     /* faster repetition is protocol, not a timer; 1000 */
  uint32_t cv_full_pm, cv_zero_pm; /* coefficient of variation: 1000 at <= 300, 0 at >= 1000 */
  /* 3 ports */
  uint16_t c2_ports[SGP_AGENT_PORTS_MAX]; /* known C2 ports (RAT defaults) */
  uint8_t n_c2_ports;
  uint16_t usual_ports[SGP_AGENT_PORTS_MAX]; /* common services above 1023 */
  uint8_t n_usual_ports;
  uint32_t c2_full_flows;        /* flows to a C2 port for 1000; 2 (one flow: 500) */
  uint32_t unusual_score;        /* cap for unusual (non-C2) ports; 600 */
  uint32_t unusual_full_flows;   /* flows to unusual ports for the cap; 4 */
  uint32_t dports_lo, dports_hi; /* distinct destination ports; 20, 100 */
  /* 4 output/input ratio */
  uint32_t ratio_lo_pm, ratio_hi_pm; /* out/in bytes per destination; 1000, 8000 */
  uint64_t ratio_full_bytes;         /* bytes out that give full confidence alone; 65536 */
};

void sgp_agent_config_default(struct sgp_agent_config *c);
/* SGP_ERR_RANGE: a weight above 1000, window 0, a ramp with lo >= hi,
 * a count 0 where a count is needed, a list longer than its capacity. */
SGP_MUST_CHECK sgp_err sgp_agent_config_validate(const struct sgp_agent_config *c);

/* SGP-AGENT-4/-5: floor(sum(w_i * sub_i) / 1000) in integer arithmetic.
 * SGP_ERR_RANGE if a weight or a sub-score is above 1000 (*suspicion untouched). */
SGP_MUST_CHECK sgp_err sgp_agent_combine(const uint16_t weights[SGP_SUBSCORES],
                                         const uint16_t sub[SGP_SUBSCORES], uint32_t *suspicion);

/* Window entry: the scored part of an outgoing flow. */
struct sgp_agent_slot {
  uint64_t ts_ms;
  uint64_t out, in;
  struct sgp_ip dst;
  uint32_t dur_ms;
  uint16_t dport;
  uint8_t proto, state;
  uint8_t single; /* one packet out and some back: duration = response delay */
};

/* Per-destination aggregate, rebuilt at each score (scratch). */
struct sgp_agent_dst {
  struct sgp_ip ip;
  uint32_t stamp; /* entry valid iff stamp == agent's score stamp */
  uint32_t n, fails, gaps;
  uint64_t out, in, last_ms, gap_sum, gap_sumsq;
};

struct sgp_agent_counter {
  uint64_t ts_ms, out, in;
};

struct sgp_agent_stats {
  uint64_t flows;     /* accepted (outgoing + incoming + local broadcast) */
  uint64_t outgoing;  /* entered the window */
  uint64_t incoming;  /* counted, not scored */
  uint64_t broadcast; /* to multicast/broadcast: counted, not scored */
  uint64_t foreign;   /* rejected: not involving the host */
  uint64_t late;      /* older than the window when they arrived */
  uint64_t evicted;   /* pushed out early by a full window */
};

struct sgp_agent {
  struct sgp_agent_config cfg;
  struct sgp_ip host;
  struct sgp_agent_slot win[SGP_AGENT_WINDOW_MAX]; /* ring, sorted by ts */
  uint32_t head, count;
  uint64_t newest_ms;
  uint64_t first_ms; /* first flow ever; the "new" score waits one window */
  int started;
  /* Destination history as two generations of 64-bit address hashes: a
   * lookup checks both, and when the current one is half full it becomes
   * the previous one (bounded memory, old destinations fade out). */
  uint64_t known[2][SGP_AGENT_KNOWN];
  uint32_t known_n[2];
  unsigned known_cur;
  struct sgp_agent_counter ctr[SGP_AGENT_COUNTERS_MAX]; /* ring */
  uint32_t ctr_head, ctr_count;
  struct sgp_agent_dst tab[SGP_AGENT_TABLE];
  uint16_t used[SGP_AGENT_WINDOW_MAX]; /* tab indices filled by this score */
  uint32_t nused;
  uint32_t stamp;
  uint8_t portbits[65536 / 8];
  struct sgp_agent_stats stats;
};

/* cfg NULL: defaults.  SGP_ERR_RANGE from sgp_agent_config_validate. */
SGP_MUST_CHECK sgp_err sgp_agent_init(struct sgp_agent *a, const struct sgp_agent_config *cfg,
                                      const struct sgp_ip *host);
/* Feed one flow.  SGP_ERR_FLOW_HOST if it does not involve the host (no
 * state change); SGP_ERR_RANGE for a state above 2.  Flows may arrive
 * slightly out of order; one older than the window is counted as late. */
SGP_MUST_CHECK sgp_err sgp_agent_add(struct sgp_agent *a, const struct sgp_flow *f);
/* Live source: interface byte counters (deltas) seen at ts_ms; they feed
 * the host-wide output/input ratio next to the per-destination one. */
SGP_MUST_CHECK sgp_err sgp_agent_add_counters(struct sgp_agent *a, uint64_t ts_ms,
                                              uint64_t out_delta, uint64_t in_delta);
/* Expire what is older than now_ms - window, then score the window.
 * sub[] in 0..1000, *suspicion in 0..5000 by sgp_agent_combine. */
SGP_MUST_CHECK sgp_err sgp_agent_score(struct sgp_agent *a, uint64_t now_ms,
                                       uint16_t sub[SGP_SUBSCORES], uint32_t *suspicion);

/* Address helpers (pure). */
void sgp_ip_from_v4(struct sgp_ip *ip, uint32_t v4);
int sgp_ip_is_v4(const struct sgp_ip *ip);
int sgp_ip_equal(const struct sgp_ip *a, const struct sgp_ip *b);
/* Multicast, limited broadcast, or an IPv4 address ending in .255 (the
 * directed broadcast of the common /24; the agent cannot know the mask). */
int sgp_ip_is_broadcast(const struct sgp_ip *ip);
/* Parse dotted IPv4 or RFC 4291 IPv6 text of exactly len bytes.
 * SGP_ERR_FLOW_FIELD on anything else. */
SGP_MUST_CHECK sgp_err sgp_ip_parse(struct sgp_ip *ip, const char *s, size_t len);
/* Text form into buf (at least 46 bytes). */
void sgp_ip_format(const struct sgp_ip *ip, char *buf, size_t cap);

#endif
