/* Agent scoring (see agent.h; the functions are spec §10.3, SGP-AGENT-7).
 *
 * Everything is integer arithmetic on milliseconds, bytes and permille so a
 * given window scores identically on every platform.  Per-destination
 * features take the worst destination rather than a host-wide average:
 * averaging lets a burst of benign browsing mask one small command channel.
 */
#include "sgp/agent.h"

#include <string.h>

/* RAT defaults from public threat reports (njRAT 1177/5552, DarkComet 1604,
 * Poison Ivy 3460, Metasploit 4444, IRC bots 6667/6697, Back Orifice 31337,
 * NetBus 12345, Gh0st 8000 is left out: too common for web services). */
static const uint16_t k_c2_ports[] = {1177, 1604, 3460, 4444, 5552, 6667, 6697, 12345, 31337};
/* Registered ports (> 1023) that ordinary desktops use: SSDP, STUN,
 * WS-Discovery, XMPP/APNs, Google push, mDNS, LLMNR, HTTP alternates. */
static const uint16_t k_usual_ports[] = {1900, 3478, 3702, 5222, 5223,
                                         5228, 5353, 5355, 8080, 8443};

void sgp_agent_config_default(struct sgp_agent_config *c) {
  memset(c, 0, sizeof *c);
  for (unsigned i = 0; i < SGP_SUBSCORES; i++) c->weights[i] = SGP_SUBSCORE_MAX;
  c->window_ms = 300000u;
  c->chan_full_flows = 4;
  c->chan_fail_lo_pm = 500;
  c->chan_fail_hi_pm = 1000;
  c->host_fail_lo_pm = 250;
  c->host_fail_hi_pm = 750;
  c->host_fail_min_flows = 10;
  c->delay_lo_ms = 500;
  c->delay_hi_ms = 3000;
  c->dst_lo = 100;
  c->dst_hi = 500;
  c->new_lo = 50;
  c->new_hi = 250;
  c->beacon_min_intervals = 4;
  c->beacon_min_mean_ms = 1000;
  c->cv_full_pm = 300;
  c->cv_zero_pm = 1000;
  c->n_c2_ports = (uint8_t)(sizeof k_c2_ports / sizeof k_c2_ports[0]);
  memcpy(c->c2_ports, k_c2_ports, sizeof k_c2_ports);
  c->n_usual_ports = (uint8_t)(sizeof k_usual_ports / sizeof k_usual_ports[0]);
  memcpy(c->usual_ports, k_usual_ports, sizeof k_usual_ports);
  c->c2_full_flows = 2;
  c->unusual_score = 600;
  c->unusual_full_flows = 4;
  c->dports_lo = 20;
  c->dports_hi = 100;
  c->ratio_lo_pm = 1000;
  c->ratio_hi_pm = 8000;
  c->ratio_full_bytes = 65536;
}

sgp_err sgp_agent_config_validate(const struct sgp_agent_config *c) {
  SGP_ENSURE(c != NULL, SGP_ERR_INVALID_ARG);
  for (unsigned i = 0; i < SGP_SUBSCORES; i++) {
    SGP_ENSURE(c->weights[i] <= SGP_SUBSCORE_MAX, SGP_ERR_RANGE);
  }
  /* At most one hour: keeps the gap sums of squares within 64 bits. */
  SGP_ENSURE(c->window_ms > 0 && c->window_ms <= 3600000u, SGP_ERR_RANGE);
  SGP_ENSURE(c->chan_full_flows > 0 && c->c2_full_flows > 0 && c->unusual_full_flows > 0,
             SGP_ERR_RANGE);
  SGP_ENSURE(c->beacon_min_intervals > 0 && c->ratio_full_bytes > 0, SGP_ERR_RANGE);
  SGP_ENSURE(c->chan_fail_lo_pm < c->chan_fail_hi_pm && c->chan_fail_hi_pm <= 1000, SGP_ERR_RANGE);
  SGP_ENSURE(c->host_fail_lo_pm < c->host_fail_hi_pm && c->host_fail_hi_pm <= 1000, SGP_ERR_RANGE);
  SGP_ENSURE(c->delay_lo_ms < c->delay_hi_ms, SGP_ERR_RANGE);
  SGP_ENSURE(c->dst_lo < c->dst_hi && c->new_lo < c->new_hi, SGP_ERR_RANGE);
  SGP_ENSURE(c->cv_full_pm < c->cv_zero_pm, SGP_ERR_RANGE);
  SGP_ENSURE(c->dports_lo < c->dports_hi, SGP_ERR_RANGE);
  SGP_ENSURE(c->ratio_lo_pm < c->ratio_hi_pm, SGP_ERR_RANGE);
  SGP_ENSURE(c->unusual_score <= SGP_SUBSCORE_MAX, SGP_ERR_RANGE);
  SGP_ENSURE(c->n_c2_ports <= SGP_AGENT_PORTS_MAX && c->n_usual_ports <= SGP_AGENT_PORTS_MAX,
             SGP_ERR_RANGE);
  return SGP_OK;
}

sgp_err sgp_agent_combine(const uint16_t weights[SGP_SUBSCORES], const uint16_t sub[SGP_SUBSCORES],
                          uint32_t *suspicion) {
  uint32_t acc = 0;
  for (unsigned i = 0; i < SGP_SUBSCORES; i++) {
    SGP_ENSURE(weights[i] <= SGP_SUBSCORE_MAX && sub[i] <= SGP_SUBSCORE_MAX, SGP_ERR_RANGE);
    acc += (uint32_t)weights[i] * sub[i]; /* <= 5 * 10^6: no overflow */
  }
  *suspicion = acc / 1000u;
  return SGP_OK;
}

/* ---- addresses -------------------------------------------------------- */

static const uint8_t k_v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void sgp_ip_from_v4(struct sgp_ip *ip, uint32_t v4) {
  memcpy(ip->b, k_v4_prefix, sizeof k_v4_prefix);
  ip->b[12] = (uint8_t)(v4 >> 24);
  ip->b[13] = (uint8_t)(v4 >> 16);
  ip->b[14] = (uint8_t)(v4 >> 8);
  ip->b[15] = (uint8_t)v4;
}

int sgp_ip_is_v4(const struct sgp_ip *ip) {
  return memcmp(ip->b, k_v4_prefix, sizeof k_v4_prefix) == 0;
}

int sgp_ip_equal(const struct sgp_ip *a, const struct sgp_ip *b) {
  return memcmp(a->b, b->b, sizeof a->b) == 0;
}

int sgp_ip_is_broadcast(const struct sgp_ip *ip) {
  if (sgp_ip_is_v4(ip)) return (ip->b[12] & 0xf0) == 0xe0 || ip->b[15] == 255;
  return ip->b[0] == 0xff;
}

/* ---- helpers ------------------------------------------------------------ */

static uint32_t ramp(uint64_t x, uint64_t lo, uint64_t hi) {
  if (x <= lo) return 0;
  if (x >= hi) return SGP_SUBSCORE_MAX;
  return (uint32_t)((x - lo) * SGP_SUBSCORE_MAX / (hi - lo));
}

/* out / in in permille, saturating; nothing back counts as "infinitely" lopsided. */
static uint64_t ratio_pm(uint64_t out, uint64_t in) {
  if (in == 0) return out > 0 ? UINT64_MAX : 0;
  if (out <= UINT64_MAX / 1000u) return out * 1000u / in;
  return out / in >= UINT64_MAX / 1000u ? UINT64_MAX : out / in * 1000u;
}

static uint32_t max_u32(uint32_t a, uint32_t b) {
  return a > b ? a : b;
}

static uint64_t isqrt64(uint64_t v) {
  uint64_t r = 0, bit = (uint64_t)1 << 62;
  while (bit > v) bit >>= 2;
  while (bit != 0) {
    if (v >= r + bit) {
      v -= r + bit;
      r = (r >> 1) + bit;
    } else {
      r >>= 1;
    }
    bit >>= 2;
  }
  return r;
}

/* splitmix64 finaliser over both halves: a well-mixed 64-bit address key. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint64_t ip_hash(const struct sgp_ip *ip) {
  uint64_t hi = 0, lo = 0;
  for (unsigned i = 0; i < 8; i++) {
    hi = hi << 8 | ip->b[i];
    lo = lo << 8 | ip->b[8 + i];
  }
  uint64_t h = mix64(hi ^ mix64(lo));
  return h != 0 ? h : 1; /* 0 marks an empty slot */
}

static int known_has(const struct sgp_agent *a, uint64_t h) {
  for (unsigned g = 0; g < 2; g++) {
    for (uint32_t i = (uint32_t)h & (SGP_AGENT_KNOWN - 1);; i = (i + 1) & (SGP_AGENT_KNOWN - 1)) {
      if (a->known[g][i] == 0) break;
      if (a->known[g][i] == h) return 1;
    }
  }
  return 0;
}

static void known_add(struct sgp_agent *a, uint64_t h) {
  if (known_has(a, h)) return;
  unsigned g = a->known_cur;
  if (a->known_n[g] >= SGP_AGENT_KNOWN / 2) { /* rotate: keeps probes short */
    g ^= 1u;
    memset(a->known[g], 0, sizeof a->known[g]);
    a->known_n[g] = 0;
    a->known_cur = g;
  }
  uint32_t i = (uint32_t)h & (SGP_AGENT_KNOWN - 1);
  while (a->known[g][i] != 0) i = (i + 1) & (SGP_AGENT_KNOWN - 1);
  a->known[g][i] = h;
  a->known_n[g]++;
}

static int port_in(const uint16_t *list, unsigned n, uint16_t p) {
  for (unsigned i = 0; i < n; i++) {
    if (list[i] == p) return 1;
  }
  return 0;
}

/* ---- window --------------------------------------------------------------- */

sgp_err sgp_agent_init(struct sgp_agent *a, const struct sgp_agent_config *cfg,
                       const struct sgp_ip *host) {
  SGP_ENSURE(a != NULL && host != NULL, SGP_ERR_INVALID_ARG);
  struct sgp_agent_config c;
  if (cfg != NULL) {
    SGP_GUARD(sgp_agent_config_validate(cfg));
    c = *cfg;
  } else {
    sgp_agent_config_default(&c);
  }
  memset(a, 0, sizeof *a);
  a->cfg = c;
  a->host = *host;
  return SGP_OK;
}

static struct sgp_agent_slot *slot_at(struct sgp_agent *a, uint32_t i) {
  return &a->win[(a->head + i) & (SGP_AGENT_WINDOW_MAX - 1)];
}

/* The oldest flow leaves the window and joins the destination history. */
static void pop_oldest(struct sgp_agent *a) {
  known_add(a, ip_hash(&a->win[a->head].dst));
  a->head = (a->head + 1) & (SGP_AGENT_WINDOW_MAX - 1);
  a->count--;
}

sgp_err sgp_agent_add(struct sgp_agent *a, const struct sgp_flow *f) {
  SGP_ENSURE(a != NULL && f != NULL, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(f->state <= SGP_FLOW_REJECTED, SGP_ERR_RANGE);
  int out = sgp_ip_equal(&f->src, &a->host);
  int in = sgp_ip_equal(&f->dst, &a->host);
  SGP_ENSURE(out || in, SGP_ERR_FLOW_HOST); /* SGP-AGENT-6 */
  uint64_t ts = f->ts_us / 1000u;
  if (!a->started) {
    a->started = 1;
    a->first_ms = ts;
  }
  a->stats.flows++;
  if (!out) {
    a->stats.incoming++;
    return SGP_OK;
  }
  if (sgp_ip_is_broadcast(&f->dst)) {
    a->stats.broadcast++;
    return SGP_OK;
  }
  if (a->count > 0 && ts + a->cfg.window_ms < a->newest_ms) {
    a->stats.late++;
    return SGP_OK;
  }
  if (a->count == SGP_AGENT_WINDOW_MAX) {
    pop_oldest(a);
    a->stats.evicted++;
  }
  struct sgp_agent_slot s = {
      .ts_ms = ts,
      .out = f->bytes_out,
      .in = f->bytes_in,
      .dst = f->dst,
      .dur_ms = f->dur_us / 1000u > UINT32_MAX ? UINT32_MAX : (uint32_t)(f->dur_us / 1000u),
      .dport = f->dport,
      .proto = f->proto,
      .state = f->state,
      .single = (uint8_t)(f->pkts_out == 1 && f->pkts_in >= 1),
  };
  /* Logs are nearly sorted (Zeek writes at connection end): insertion from
   * the tail keeps the ring sorted at a cost of a few moves. */
  uint32_t i = a->count++;
  while (i > 0 && slot_at(a, i - 1)->ts_ms > ts) {
    *slot_at(a, i) = *slot_at(a, i - 1);
    i--;
  }
  *slot_at(a, i) = s;
  if (ts > a->newest_ms) a->newest_ms = ts;
  a->stats.outgoing++;
  return SGP_OK;
}

sgp_err sgp_agent_add_counters(struct sgp_agent *a, uint64_t ts_ms, uint64_t out_delta,
                               uint64_t in_delta) {
  SGP_ENSURE(a != NULL, SGP_ERR_INVALID_ARG);
  if (a->ctr_count == SGP_AGENT_COUNTERS_MAX) {
    a->ctr_head = (a->ctr_head + 1) % SGP_AGENT_COUNTERS_MAX;
    a->ctr_count--;
  }
  struct sgp_agent_counter *c = &a->ctr[(a->ctr_head + a->ctr_count) % SGP_AGENT_COUNTERS_MAX];
  c->ts_ms = ts_ms;
  c->out = out_delta;
  c->in = in_delta;
  a->ctr_count++;
  return SGP_OK;
}

/* ---- scoring ------------------------------------------------------------- */

static struct sgp_agent_dst *dst_entry(struct sgp_agent *a, const struct sgp_ip *ip, int *fresh) {
  uint32_t i = (uint32_t)ip_hash(ip) & (SGP_AGENT_TABLE - 1);
  /* The table has twice the window's capacity, so a free slot exists. */
  for (;; i = (i + 1) & (SGP_AGENT_TABLE - 1)) {
    struct sgp_agent_dst *d = &a->tab[i];
    if (d->stamp != a->stamp) {
      memset(d, 0, sizeof *d);
      a->used[a->nused++] = (uint16_t)i;
      d->ip = *ip;
      d->stamp = a->stamp;
      *fresh = 1;
      return d;
    }
    if (sgp_ip_equal(&d->ip, ip)) {
      *fresh = 0;
      return d;
    }
  }
}

/* Confidence in permille from a count: n / full, capped at 1. */
static uint32_t conf(uint64_t n, uint64_t full) {
  return n >= full ? SGP_SUBSCORE_MAX : (uint32_t)(n * SGP_SUBSCORE_MAX / full);
}

static uint32_t scale(uint32_t score, uint32_t conf_pm) {
  return (uint32_t)((uint64_t)score * conf_pm / SGP_SUBSCORE_MAX);
}

/* Per-destination sub-scores: response (failures), pattern (beacon), ratio. */
static void score_dst(const struct sgp_agent_config *c, const struct sgp_agent_dst *d,
                      uint32_t *resp, uint32_t *pattern, uint32_t *ratio) {
  uint32_t cf = conf(d->n, c->chan_full_flows);
  uint64_t fail_pm = (uint64_t)d->fails * 1000u / d->n;
  *resp = max_u32(*resp, scale(ramp(fail_pm, c->chan_fail_lo_pm, c->chan_fail_hi_pm), cf));

  if (d->gaps >= c->beacon_min_intervals &&
      d->gap_sum >= (uint64_t)c->beacon_min_mean_ms * d->gaps && d->gap_sum > 0) {
    /* CV = stddev / mean of the gaps, in permille.  Gaps are bounded by the
     * window (<= 1 h), so the sums fit in 64 bits. */
    uint64_t mean = d->gap_sum / d->gaps, ex2 = d->gap_sumsq / d->gaps;
    uint64_t var = ex2 > mean * mean ? ex2 - mean * mean : 0;
    uint64_t cv_pm = mean > 0 ? isqrt64(var) * 1000u / mean : UINT32_MAX;
    *pattern = max_u32(*pattern, SGP_SUBSCORE_MAX - ramp(cv_pm, c->cv_full_pm, c->cv_zero_pm));
  }

  uint64_t r_pm = ratio_pm(d->out, d->in);
  uint32_t vol = max_u32(cf, conf(d->out, c->ratio_full_bytes));
  *ratio = max_u32(*ratio, scale(ramp(r_pm, c->ratio_lo_pm, c->ratio_hi_pm), vol));
}

sgp_err sgp_agent_score(struct sgp_agent *a, uint64_t now_ms, uint16_t sub[SGP_SUBSCORES],
                        uint32_t *suspicion) {
  SGP_ENSURE(a != NULL && sub != NULL && suspicion != NULL, SGP_ERR_INVALID_ARG);
  const struct sgp_agent_config *c = &a->cfg;
  uint64_t start = now_ms > c->window_ms ? now_ms - c->window_ms : 0;
  while (a->count > 0 && a->win[a->head].ts_ms < start) pop_oldest(a);
  while (a->ctr_count > 0 && a->ctr[a->ctr_head].ts_ms < start) {
    a->ctr_head = (a->ctr_head + 1) % SGP_AGENT_COUNTERS_MAX;
    a->ctr_count--;
  }

  a->stamp++;
  if (a->stamp == 0) { /* wrapped: every old stamp must look stale */
    memset(a->tab, 0, sizeof a->tab);
    a->stamp = 1;
  }
  a->nused = 0;
  uint32_t n = 0, fails = 0, distinct = 0, fresh_dsts = 0, dports = 0;
  uint32_t c2 = 0, unusual = 0, delay_n = 0;
  uint64_t delay_sum = 0;
  for (uint32_t i = 0; i < a->count; i++) {
    const struct sgp_agent_slot *s = slot_at(a, i);
    if (s->ts_ms > now_ms) break; /* not yet happened at now_ms */
    int fresh;
    struct sgp_agent_dst *d = dst_entry(a, &s->dst, &fresh);
    n++;
    if (fresh) {
      distinct++;
      if (!known_has(a, ip_hash(&s->dst))) fresh_dsts++;
    } else {
      uint64_t gap = s->ts_ms - d->last_ms;
      d->gaps++;
      d->gap_sum += gap;
      d->gap_sumsq += gap * gap;
    }
    d->last_ms = s->ts_ms;
    d->n++;
    d->out += s->out;
    d->in += s->in;
    if (s->state != SGP_FLOW_ANSWERED) {
      d->fails++;
      fails++;
    } else if (s->single) {
      delay_sum += s->dur_ms;
      delay_n++;
    }
    if (s->proto == 6 || s->proto == 17) {
      uint8_t bit = (uint8_t)(1u << (s->dport & 7));
      if (!(a->portbits[s->dport >> 3] & bit)) {
        a->portbits[s->dport >> 3] |= bit;
        dports++;
      }
      if (port_in(c->c2_ports, c->n_c2_ports, s->dport)) {
        c2++;
      } else if (s->dport > 1023 && !port_in(c->usual_ports, c->n_usual_ports, s->dport)) {
        unusual++;
      }
    }
  }

  uint32_t resp = 0, pattern = 0, ratio = 0;
  if (n > 0) {
    for (uint32_t i = 0; i < a->nused; i++)
      score_dst(c, &a->tab[a->used[i]], &resp, &pattern, &ratio);
    if (n >= c->host_fail_min_flows) {
      resp =
          max_u32(resp, ramp((uint64_t)fails * 1000u / n, c->host_fail_lo_pm, c->host_fail_hi_pm));
    }
    if (delay_n > 0)
      resp = max_u32(resp, ramp(delay_sum / delay_n, c->delay_lo_ms, c->delay_hi_ms));
  }
  /* Clear only the port bits this score set: cost follows the window. */
  for (uint32_t i = 0; i < n; i++) a->portbits[slot_at(a, i)->dport >> 3] = 0;
  /* Host-wide ratio from interface counters (live source only). */
  uint64_t cout = 0, cin = 0;
  for (uint32_t i = 0; i < a->ctr_count; i++) {
    const struct sgp_agent_counter *k = &a->ctr[(a->ctr_head + i) % SGP_AGENT_COUNTERS_MAX];
    cout += k->out;
    cin += k->in;
  }
  if (a->ctr_count > 0) {
    ratio = max_u32(ratio, scale(ramp(ratio_pm(cout, cin), c->ratio_lo_pm, c->ratio_hi_pm),
                                 conf(cout, c->ratio_full_bytes)));
  }
  /* New destinations only mean something once one window of history exists. */
  int warm = a->started && now_ms >= a->first_ms + c->window_ms;
  uint32_t addrs = max_u32(ramp(distinct, c->dst_lo, c->dst_hi),
                           warm ? ramp(fresh_dsts, c->new_lo, c->new_hi) : 0);
  uint32_t ports = max_u32(ramp(dports, c->dports_lo, c->dports_hi),
                           max_u32(conf(c2, c->c2_full_flows),
                                   scale(c->unusual_score, conf(unusual, c->unusual_full_flows))));
  sub[SGP_AGENT_SUB_RESPONSE] = (uint16_t)resp;
  sub[SGP_AGENT_SUB_ADDRS] = (uint16_t)addrs;
  sub[SGP_AGENT_SUB_PATTERN] = (uint16_t)pattern;
  sub[SGP_AGENT_SUB_PORTS] = (uint16_t)ports;
  sub[SGP_AGENT_SUB_RATIO] = (uint16_t)ratio;
  return sgp_agent_combine(c->weights, sub, suspicion);
}
