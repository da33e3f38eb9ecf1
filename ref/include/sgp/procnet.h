/* Pure parsers for the Linux /proc/net text the live agent samples (spec §10):
 * /proc/net/dev (interface byte counters) and /proc/net/tcp, tcp6, udp, udp6
 * (one socket per line).  Line-oriented so the thin reader can stream files
 * of any size through a fixed buffer; the buffer-level helpers parse a whole
 * text (tests, fuzzing).  Errors carry the 1-based line number.
 *
 * Format (Linux net/ipv4/tcp_ipv4.c get_tcp4_sock, tcp_ipv6.c, udp.c):
 * "sl: LOCAL:PORT REMOTE:PORT ST TXQ:RXQ TR:WHEN RETRNSMT UID TIMEOUT INODE ...",
 * addresses as 8 (IPv4) or 32 (IPv6) hex digits, each 32-bit word printed
 * in host byte order; ports and state in hex.
 */
#ifndef SGP_PROCNET_H
#define SGP_PROCNET_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/agent.h"
#include "sgp/result.h"

enum {
  SGP_PROCNET_LINE_MAX = 512, /* longer lines are rejected (kernel lines are < 200) */
  SGP_TCP_ESTABLISHED = 0x01,
  SGP_TCP_SYN_SENT = 0x02,
  SGP_TCP_LISTEN = 0x0a,
  SGP_UDP_UNCONNECTED = 0x07, /* TCP_CLOSE: how udp sockets show when not connected */
};

struct sgp_sock {
  struct sgp_ip local, remote;
  uint16_t lport, rport;
  uint8_t state;
  uint32_t retransmits;
  uint64_t inode;
};

/* One /proc/net/dev data line "  name: rx_bytes rx_pkts ... tx_bytes ...".
 * SGP_ERR_FLOW_FIELD / SGP_ERR_FLOW_COLUMNS on a malformed line.  The two
 * header lines are the caller's to skip (sgp_procnet_dev_text does). */
SGP_MUST_CHECK sgp_err sgp_procnet_dev_line(const char *line, size_t len, const char **name,
                                            size_t *name_len, uint64_t *rx, uint64_t *tx);
/* Whole /proc/net/dev text: sums rx/tx over every interface except "lo".
 * SGP_ERR_FLOW_HEADER if the two header lines are missing; *err_line set on error. */
SGP_MUST_CHECK sgp_err sgp_procnet_dev_text(const char *buf, size_t len, uint64_t *rx, uint64_t *tx,
                                            unsigned *err_line);

/* One socket line of tcp/udp (v6 = 0) or tcp6/udp6 (v6 = 1). */
SGP_MUST_CHECK sgp_err sgp_procnet_sock_line(const char *line, size_t len, int v6,
                                             struct sgp_sock *out);
/* Header line check ("  sl  local_address rem_address ..."). */
int sgp_procnet_is_sock_header(const char *line, size_t len);
/* Whole socket table text: cb per socket.  SGP_ERR_FLOW_HEADER if the
 * first line is not the header; the first bad line stops with its error. */
SGP_MUST_CHECK sgp_err sgp_procnet_sock_text(const char *buf, size_t len, int v6,
                                             void (*cb)(void *ctx, const struct sgp_sock *s),
                                             void *ctx, unsigned *err_line);

#endif
