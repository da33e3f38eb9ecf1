/* Control-socket replies: status, verdicts and peers as one JSON object on
 * one line (SGP-NODE-10), metrics in the Prometheus text exposition format.
 *
 * Everything printed is public (ids, versions, counters, addresses); the
 * JSON is built by hand because no value here is a free-form string.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sgpd.h"

enum { BUF_LIMIT = 64 << 20 }; /* far above n = 16384 nodes x ~100 bytes */

/* Appends; 1 if the text fitted, 0 if *need bytes (without NUL) are needed. */
static int buf_try(struct sgpd_buf *b, size_t *need, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static int buf_try(struct sgpd_buf *b, size_t *need, const char *fmt, va_list ap) {
  size_t room = b->cap - b->len;
  /* The analyzer cannot see that every caller ran va_start. */
  // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
  int n = vsnprintf(b->p != NULL ? b->p + b->len : NULL, room, fmt, ap);
  if (n < 0) {
    b->failed = 1;
    return 0;
  }
  *need = (size_t)n;
  if ((size_t)n < room) {
    b->len += (size_t)n;
    return 1;
  }
  return 0;
}

void sgpd_buf_printf(struct sgpd_buf *b, const char *fmt, ...) {
  for (int attempt = 0; attempt < 2 && !b->failed; attempt++) {
    size_t n = 0;
    va_list ap;
    va_start(ap, fmt);
    int done = buf_try(b, &n, fmt, ap);
    va_end(ap);
    if (done) return;
    if (b->failed) return;
    size_t want = b->cap * 2 > b->len + n + 1 ? b->cap * 2 : b->len + n + 4096;
    if (want > BUF_LIMIT) break;
    char *p = realloc(b->p, want);
    if (p == NULL) break;
    b->p = p;
    b->cap = want;
  }
  b->failed = 1;
}

static const struct sgp_entry *entry(const struct sgpd *d, uint32_t j) {
  return &d->node.state.e[j];
}

void sgpd_report_status(const struct sgpd *d, struct sgpd_buf *b) {
  const struct sgp_node *nd = &d->node;
  uint32_t n = nd->state.p.n;
  sgpd_buf_printf(b,
                  "{\"self\":%u,\"generation\":%u,\"round\":%llu,\"n\":%u,\"suspicion\":%u,"
                  "\"nodes\":[",
                  (unsigned)d->cfg.id, (unsigned)sgp_node_generation(nd),
                  (unsigned long long)sgp_node_round(nd), (unsigned)n,
                  (unsigned)entry(d, d->cfg.id)->suspicion);
  for (uint32_t j = 0; j < n; j++) {
    const struct sgp_entry *e = entry(d, j);
    sgpd_buf_printf(b,
                    "%s{\"id\":%u,\"gen\":%u,\"seq\":%u,\"suspicion\":%u,\"age\":%u,"
                    "\"verdict\":\"%s\"}",
                    j == 0 ? "" : ",", (unsigned)j, (unsigned)e->gen, (unsigned)e->seq,
                    (unsigned)e->suspicion, (unsigned)e->age,
                    sgp_verdict_name(sgp_node_verdict(nd, j)));
  }
  sgpd_buf_printf(b, "]}\n");
}

void sgpd_report_verdicts(const struct sgpd *d, struct sgpd_buf *b) {
  const struct sgp_node *nd = &d->node;
  sgpd_buf_printf(b, "{\"self\":%u,\"round\":%llu,\"verdicts\":[", (unsigned)d->cfg.id,
                  (unsigned long long)sgp_node_round(nd));
  for (uint32_t j = 0; j < nd->state.p.n; j++) {
    sgpd_buf_printf(b, "%s{\"id\":%u,\"verdict\":\"%s\"}", j == 0 ? "" : ",", (unsigned)j,
                    sgp_verdict_name(sgp_node_verdict(nd, j)));
  }
  sgpd_buf_printf(b, "]}\n");
}

static void peer_json(const struct sgpd *d, struct sgpd_buf *b, uint32_t j, uint64_t now,
                      int first) {
  const struct sgp_session_peer *p = &d->node.sessions.peers[j];
  char addr[SGP_ADDR_TEXT_MAX];
  size_t alen = 0;
  if (sgp_addr_format(&d->roster.addr[j], addr, sizeof addr, &alen) != SGP_OK) addr[0] = '\0';
  sgpd_buf_printf(b, "%s{\"id\":%u,\"addr\":\"%s\",", first ? "" : ",", (unsigned)j, addr);
  if (p->cur != SGP_SESSION_NO_SLOT && p->cur < SGP_SESSION_SLOTS) {
    const struct sgp_session *s = &p->slot[p->cur];
    sgpd_buf_printf(b,
                    "\"session\":\"current\",\"session_age_ms\":%llu,\"initiator\":%u,"
                    "\"tx_counter\":%llu,\"rx_counter_max\":%llu,",
                    (unsigned long long)(now >= s->created_ms ? now - s->created_ms : 0),
                    (unsigned)s->initiator, (unsigned long long)s->send_ctr,
                    (unsigned long long)(s->window.any ? s->window.top : 0));
  } else {
    sgpd_buf_printf(b, "\"session\":\"none\",");
  }
  sgpd_buf_printf(b, "\"previous\":%s,\"pending\":%s,\"handshake_outstanding\":%s,\"cookie\":%s}",
                  p->prev != SGP_SESSION_NO_SLOT ? "true" : "false",
                  p->pend != SGP_SESSION_NO_SLOT ? "true" : "false",
                  p->init.active ? "true" : "false", p->has_cookie ? "true" : "false");
}

void sgpd_report_peers(const struct sgpd *d, struct sgpd_buf *b) {
  uint64_t now = sgpd_now_ms();
  sgpd_buf_printf(b, "{\"self\":%u,\"peers\":[", (unsigned)d->cfg.id);
  int first = 1;
  for (uint32_t j = 0; j < d->node.state.p.n; j++) {
    if (j == d->cfg.id) continue;
    peer_json(d, b, j, now, first);
    first = 0;
  }
  sgpd_buf_printf(b, "]}\n");
}

/* ---- metrics ---------------------------------------------------------------------------- */

static void metric(struct sgpd_buf *b, const char *name, const char *type, const char *help,
                   unsigned long long v) {
  sgpd_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, v);
}

static void head(struct sgpd_buf *b, const char *name, const char *type, const char *help) {
  sgpd_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Second field of /proc/self/statm: resident pages. 0 if unreadable. */
static unsigned long long rss_bytes(void) {
  char text[128];
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return 0;
  text[n] = '\0';
  char *p = strchr(text, ' ');
  if (p == NULL) return 0;
  errno = 0;
  char *end = NULL;
  unsigned long long resident = strtoull(p + 1, &end, 10);
  long page = sysconf(_SC_PAGESIZE);
  if (errno != 0 || end == p + 1 || page <= 0) return 0;
  return resident * (unsigned long long)page;
}

static void metrics_datagrams(const struct sgpd *d, struct sgpd_buf *b) {
  const struct sgp_node_stats *s = sgp_node_stats(&d->node);
  uint64_t dropped = 0;
  for (size_t i = 0; i < SGP_NODE_DROP_COUNT; i++) dropped += s->drop[i];
  head(b, "sgp_datagrams_total", "counter", "Datagrams received, by result.");
  sgpd_buf_printf(b, "sgp_datagrams_total{result=\"received\"} %llu\n",
                  (unsigned long long)s->rx_datagrams);
  sgpd_buf_printf(b, "sgp_datagrams_total{result=\"accepted\"} %llu\n",
                  (unsigned long long)s->rx_accepted);
  sgpd_buf_printf(b, "sgp_datagrams_total{result=\"dropped\"} %llu\n", (unsigned long long)dropped);
  head(b, "sgp_drops_total", "counter", "Dropped input by reason (spec 7.12).");
  for (size_t i = 0; i < SGP_NODE_DROP_COUNT; i++) {
    sgpd_buf_printf(b, "sgp_drops_total{reason=\"%s\"} %llu\n",
                    sgp_node_drop_name((enum sgp_node_drop)i), (unsigned long long)s->drop[i]);
  }
  head(b, "sgp_packet_drops_total", "counter", "Rejected gossip packets by error code.");
  for (size_t i = 0; i < SGP_NODE_ERR_CODES; i++) {
    if (s->drop_packet[i] == 0) continue;
    sgpd_buf_printf(b, "sgp_packet_drops_total{code=\"%s\"} %llu\n", sgp_err_name((sgp_err)i),
                    (unsigned long long)s->drop_packet[i]);
  }
  metric(b, "sgp_rx_bytes_total", "counter", "UDP payload bytes received.",
         (unsigned long long)s->rx_bytes);
  metric(b, "sgp_tx_datagrams_total", "counter", "Datagrams sent.",
         (unsigned long long)s->tx_datagrams);
  metric(b, "sgp_tx_bytes_total", "counter", "UDP payload bytes sent.",
         (unsigned long long)s->tx_bytes);
  metric(b, "sgp_tx_errors_total", "counter", "Datagrams the node could not build.",
         (unsigned long long)s->tx_errors);
  metric(b, "sgp_send_errors_total", "counter", "sendto failures (counted as loss).",
         (unsigned long long)d->c.send_errors);
}

static void metrics_exchange(const struct sgpd *d, struct sgpd_buf *b) {
  const struct sgp_node_stats *s = sgp_node_stats(&d->node);
  metric(b, "sgp_rounds_total", "counter", "Rounds run.", (unsigned long long)s->rounds);
  head(b, "sgp_exchanges_total", "counter", "Exchanges this node initiated, by result.");
  sgpd_buf_printf(b, "sgp_exchanges_total{result=\"started\"} %llu\n",
                  (unsigned long long)s->exchanges_started);
  sgpd_buf_printf(b, "sgp_exchanges_total{result=\"skipped\"} %llu\n",
                  (unsigned long long)s->exchanges_skipped);
  head(b, "sgp_packets_total", "counter", "Gossip packets by kind and direction.");
  const struct {
    const char *kind, *dir;
    uint64_t v;
  } pk[] = {{"syn", "sent", s->syn_sent},         {"ack", "sent", s->ack_sent},
            {"delta", "sent", s->delta_sent},     {"syn", "received", s->syn_received},
            {"ack", "received", s->ack_received}, {"delta", "received", s->delta_received}};
  for (size_t i = 0; i < sizeof pk / sizeof pk[0]; i++) {
    sgpd_buf_printf(b, "sgp_packets_total{kind=\"%s\",direction=\"%s\"} %llu\n", pk[i].kind,
                    pk[i].dir, (unsigned long long)pk[i].v);
  }
  metric(b, "sgp_handshakes_total", "counter", "Sessions that became current.",
         (unsigned long long)s->handshakes);
  metric(b, "sgp_merges_total", "counter", "Gossip packets merged.",
         (unsigned long long)s->packets_merged);
  if (s->state != NULL) {
    head(b, "sgp_reports_total", "counter", "Reports seen in merges, by result.");
    sgpd_buf_printf(b, "sgp_reports_total{result=\"adopted\"} %llu\n",
                    (unsigned long long)s->state->reports_adopted);
    sgpd_buf_printf(b, "sgp_reports_total{result=\"stale\"} %llu\n",
                    (unsigned long long)s->state->reports_stale);
  }
  metric(b, "sgp_verdict_changes_total", "counter", "Verdict changes.",
         (unsigned long long)s->verdict_changes);
  metric(b, "sgp_generation_jumps_total", "counter", "Own generation raised by a merge.",
         (unsigned long long)s->generation_jumps);
  metric(b, "sgp_paused_sends_total", "counter", "Packets held back until a generation persisted.",
         (unsigned long long)s->paused_sends);
}

static void metrics_process(const struct sgpd *d, struct sgpd_buf *b) {
  const struct sgp_node_stats *s = sgp_node_stats(&d->node);
  if (s->reasm != NULL) {
    metric(b, "sgp_reasm_bytes", "gauge", "Reassembly bytes in use.",
           (unsigned long long)s->reasm->bytes_in_use);
    metric(b, "sgp_reasm_bytes_high_water", "gauge", "Most reassembly bytes ever in use.",
           (unsigned long long)s->reasm->bytes_high_water);
  }
  metric(b, "sgp_rss_bytes", "gauge", "Resident set size (/proc/self/statm).", rss_bytes());
  metric(b, "sgp_generation", "gauge", "Own report's generation.",
         (unsigned long long)sgp_node_generation(&d->node));
  metric(b, "sgp_round", "gauge", "Current round.", (unsigned long long)sgp_node_round(&d->node));
  metric(b, "sgp_nodes", "gauge", "Roster size.", (unsigned long long)d->roster.r.n);
  head(b, "sgp_agent_polls_total", "counter", "Agent polls by result.");
  sgpd_buf_printf(b, "sgp_agent_polls_total{result=\"value\"} %llu\n",
                  (unsigned long long)d->c.agent_values);
  sgpd_buf_printf(b, "sgp_agent_polls_total{result=\"gap\"} %llu\n",
                  (unsigned long long)d->c.agent_gaps);
  sgpd_buf_printf(b, "sgp_agent_polls_total{result=\"error\"} %llu\n",
                  (unsigned long long)d->c.agent_errors);
  head(b, "sgp_roster_reloads_total", "counter", "SIGHUP roster reloads by result.");
  sgpd_buf_printf(b, "sgp_roster_reloads_total{result=\"ok\"} %llu\n",
                  (unsigned long long)d->c.reload_ok);
  sgpd_buf_printf(b, "sgp_roster_reloads_total{result=\"refused\"} %llu\n",
                  (unsigned long long)d->c.reload_refused);
  metric(b, "sgp_ctl_requests_total", "counter", "Control requests served.",
         (unsigned long long)d->c.ctl_requests);
  metric(b, "sgp_ctl_refused_total", "counter", "Control connections refused (SO_PEERCRED).",
         (unsigned long long)d->c.ctl_refused);
}

void sgpd_report_metrics(const struct sgpd *d, struct sgpd_buf *b) {
  metrics_datagrams(d, b);
  metrics_exchange(d, b);
  metrics_process(d, b);
}
