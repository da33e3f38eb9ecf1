/* UDP: the listen socket, a second socket for peers of the other address
 * family, the node's send callback and the receive path into the node.
 *
 * Identity never comes from addresses (SGP-ID-2): the source address is
 * handed to the node only for cookie replies (SGP-XPORT-33).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "sgp/cookie.h"
#include "sgpd.h"

enum {
  RX_BUF = 65536, /* above the largest UDP payload (65507) */
  RX_BATCH = 64,  /* datagrams per wake-up, so control and timers are not starved */
  SOCK_BUF = 1 << 22,
};

int sgpd_sockaddr_from(const struct sgp_addr *a, struct sockaddr_storage *sa, socklen_t *len) {
  memset(sa, 0, sizeof *sa);
  if (a->family == SGP_ADDR_V4) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(a->port);
    memcpy(&s4->sin_addr, a->ip, 4);
    *len = sizeof *s4;
    return 0;
  }
  if (a->family == SGP_ADDR_V6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a->port);
    memcpy(&s6->sin6_addr, a->ip, 16);
    *len = sizeof *s6;
    return 0;
  }
  return -1;
}

int sgpd_addr_from_sockaddr(const struct sockaddr_storage *sa, struct sgp_addr *a) {
  memset(a, 0, sizeof *a);
  if (sa->ss_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
    a->family = SGP_ADDR_V4;
    memcpy(a->ip, &s4->sin_addr, 4);
    a->port = ntohs(s4->sin_port);
    return 0;
  }
  if (sa->ss_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
    a->family = SGP_ADDR_V6;
    memcpy(a->ip, &s6->sin6_addr, 16);
    a->port = ntohs(s6->sin6_port);
    return 0;
  }
  return -1;
}

int sgpd_udp_open(const struct sgp_addr *a) {
  struct sockaddr_storage sa;
  socklen_t len = 0;
  if (sgpd_sockaddr_from(a, &sa, &len) != 0) {
    errno = EAFNOSUPPORT;
    return -1;
  }
  int fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1, size = SOCK_BUF;
  /* Separate sockets per family: a v6 socket must not also take v4. */
  if (sa.ss_family == AF_INET6 &&
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  /* Best effort: bursts of fragments should not overflow the default buffer. */
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  if (bind(fd, (const struct sockaddr *)&sa, len) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

static int fam_index(int family) {
  return family == AF_INET6 ? 1 : 0;
}

int sgpd_udp_sync_peers(struct sgpd *d) {
  int need[2] = {0, 0};
  for (uint32_t i = 0; i < d->roster.r.n; i++) {
    if (sgpd_sockaddr_from(&d->roster.addr[i], &d->peer_sa[i], &d->peer_salen[i]) != 0) return -1;
    if (i != d->cfg.id) need[fam_index(d->peer_sa[i].ss_family)] = 1;
  }
  for (int k = 0; k < 2; k++) {
    if (!need[k] || d->udp_fd[k] >= 0) continue;
    /* An ephemeral port of the other family: enough to reach those peers
     * and get their answers, which come back to this socket. */
    struct sgp_addr any;
    memset(&any, 0, sizeof any);
    any.family = k == 0 ? SGP_ADDR_V4 : SGP_ADDR_V6;
    d->udp_fd[k] = sgpd_udp_open(&any);
    if (d->udp_fd[k] < 0) return -1;
    struct epoll_event ev = {.events = EPOLLIN};
    ev.data.u64 = k == 0 ? SGPD_TAG_UDP4 : SGPD_TAG_UDP6;
    if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->udp_fd[k], &ev) != 0) return -1;
    sgpd_log(SGP_LOG_INFO, "udp_open", "family=%s port=ephemeral", k == 0 ? "ipv4" : "ipv6");
  }
  return 0;
}

static void send_to(struct sgpd *d, const struct sockaddr_storage *sa, socklen_t salen,
                    const uint8_t *dgram, size_t len) {
  int fd = d->udp_fd[fam_index(sa->ss_family)];
  if (fd < 0) {
    d->c.send_errors++;
    return;
  }
  for (;;) {
    ssize_t w =
        sendto(fd, dgram, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)sa, salen);
    if (w < 0 && errno == EINTR) continue;
    /* UDP: a full buffer or an unreachable peer is loss, which the
     * protocol tolerates; count it and go on. */
    if (w < 0 || (size_t)w != len) d->c.send_errors++;
    return;
  }
}

void sgpd_udp_send(void *ctx, uint32_t peer, const uint8_t *src, size_t src_len,
                   const uint8_t *dgram, size_t len) {
  struct sgpd *d = ctx;
  if (peer == SGP_NODE_TO_SRC) {
    /* Only ever the source of the datagram being processed. */
    (void)src;
    (void)src_len;
    if (d->rx_salen == 0) {
      d->c.send_errors++;
      return;
    }
    send_to(d, &d->rx_sa, d->rx_salen, dgram, len);
    return;
  }
  if (peer >= d->roster.r.n || peer == d->cfg.id) {
    d->c.send_errors++;
    return;
  }
  send_to(d, &d->peer_sa[peer], d->peer_salen[peer], dgram, len);
}

/* One datagram into the node; the drop reasons arrive as events. */
static void rx_one(struct sgpd *d, const uint8_t *buf, size_t len, uint64_t now) {
  struct sgp_addr a;
  uint8_t src[SGP_COOKIE_ADDR_MAX];
  size_t src_len = 0;
  if (sgpd_addr_from_sockaddr(&d->rx_sa, &a) != 0 || sgp_cookie_addr(&a, src, &src_len) != SGP_OK) {
    d->c.recv_errors++;
    return;
  }
  /* A drop is counted by the node and reported as an event (logged there). */
  sgp_err e = sgp_node_recv(&d->node, now, src, src_len, buf, len);
  (void)e;
  d->rx_salen = 0;
}

void sgpd_udp_drain(struct sgpd *d, int fam_idx) {
  static uint8_t buf[RX_BUF];
  int fd = d->udp_fd[fam_idx];
  for (int k = 0; k < RX_BATCH && fd >= 0 && !d->fatal; k++) {
    d->rx_salen = sizeof d->rx_sa;
    ssize_t r = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC,
                         (struct sockaddr *)&d->rx_sa, &d->rx_salen);
    if (r < 0) {
      d->rx_salen = 0;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      d->c.recv_errors++; /* e.g. ICMP-reported ECONNREFUSED: loss */
      continue;
    }
    if ((size_t)r > sizeof buf) {
      d->rx_salen = 0;
      d->c.recv_truncated++;
      continue;
    }
    rx_one(d, buf, (size_t)r, sgpd_now_ms());
    if (sgpd_after_node_call(d) != 0) return;
  }
}
