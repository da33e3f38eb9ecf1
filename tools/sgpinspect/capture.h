/* Capture reader for `sgp inspect`: classic pcap (both byte orders,
 * microsecond and nanosecond timestamps) and pcapng (SHB, IDB, EPB, SPB;
 * other blocks skipped), then link layer -> IPv4/IPv6 -> UDP.
 *
 * Contract:
 *  - Pure: parses a caller buffer (the whole file) through the bounded
 *    cursor (sgp/cursor.h); no I/O, no allocation.  Records and payloads
 *    point into that buffer.
 *  - Every malformed input is a named reason (enum sgpi_cap_err, name by
 *    sgpi_cap_err_name) plus an sgp_err; nothing is guessed.  A bad file
 *    header or record header stops the reader (no resynchronisation: the
 *    reader stays failed and returns the same error); a bad packet inside a
 *    well-framed record is only that record's error (sgpi_udp_parse).
 *  - Bounded: at most SGPI_MAX_RECORDS records, SGPI_SNAPLEN_MAX bytes per
 *    record, SGPI_NG_IFACES pcapng interfaces.
 *  - Link types: Ethernet (1, one 802.1Q tag), Null/loopback (0, family in
 *    either byte order), raw IP (101, 12, 14), IPv4 (228), IPv6 (229),
 *    Linux cooked SLL (113) and SLL2 (276).  IPv6 extension headers
 *    hop-by-hop, routing and destination options are skipped; IP fragments
 *    are reported (ip_fragment), not reassembled.
 */
#ifndef SGPI_CAPTURE_H
#define SGPI_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/cursor.h"
#include "sgp/result.h"

enum {
  SGPI_SNAPLEN_MAX = 262144,
  SGPI_MAX_RECORDS = 10000000,
  SGPI_NG_IFACES = 16,
  SGPI_NG_BLOCK_MAX = SGPI_SNAPLEN_MAX + 4096,
};

/* X(code, name): every reason a capture, record or packet is refused. */
#define SGPI_CAP_ERRS(X)                                     \
  X(SGPI_CAP_OK, "ok")                                       \
  X(SGPI_CAP_SHORT_FILE_HEADER, "truncated_file_header")     \
  X(SGPI_CAP_BAD_MAGIC, "bad_magic")                         \
  X(SGPI_CAP_BAD_VERSION, "bad_version")                     \
  X(SGPI_CAP_BAD_SNAPLEN, "bad_snaplen")                     \
  X(SGPI_CAP_LINKTYPE, "unsupported_linktype")               \
  X(SGPI_CAP_SHORT_RECORD_HEADER, "truncated_record_header") \
  X(SGPI_CAP_RECORD_TOO_LARGE, "record_over_snaplen")        \
  X(SGPI_CAP_SHORT_RECORD, "truncated_record")               \
  X(SGPI_CAP_TOO_MANY_RECORDS, "too_many_records")           \
  X(SGPI_CAP_BAD_TIMESTAMP, "bad_timestamp")                 \
  X(SGPI_CAP_NG_BLOCK, "bad_pcapng_block")                   \
  X(SGPI_CAP_NG_INTERFACE, "bad_pcapng_interface")           \
  X(SGPI_CAP_SHORT_PACKET, "truncated_packet")               \
  X(SGPI_CAP_NOT_IP, "not_ip")                               \
  X(SGPI_CAP_IP_HEADER, "bad_ip_header")                     \
  X(SGPI_CAP_IP_FRAGMENT, "ip_fragment")                     \
  X(SGPI_CAP_NOT_UDP, "not_udp")                             \
  X(SGPI_CAP_UDP_HEADER, "bad_udp_header")

enum sgpi_cap_err {
#define SGPI_CAP_ENUM_(code, name) code,
  SGPI_CAP_ERRS(SGPI_CAP_ENUM_)
#undef SGPI_CAP_ENUM_
      SGPI_CAP_ERR_COUNT
};

/* "bad_magic", ...; "?" out of range. */
const char *sgpi_cap_err_name(enum sgpi_cap_err e);

struct sgpi_ng_iface {
  uint32_t linktype;
  uint32_t snaplen;
  uint64_t ticks_per_sec; /* if_tsresol; 1000000 by default */
};

struct sgpi_capture {
  struct sgp_cursor c;
  int swap;                /* file byte order is little-endian */
  int ng;                  /* pcapng */
  uint32_t ts_div;         /* classic: 1000 (usec) or 1 (nsec) to reach ns */
  uint32_t snaplen;        /* classic */
  uint32_t linktype;       /* classic */
  uint64_t records;        /* records returned so far */
  enum sgpi_cap_err stuck; /* != OK: the reader failed and stays failed */
  sgp_err stuck_err;
  uint32_t ifaces;
  struct sgpi_ng_iface iface[SGPI_NG_IFACES];
};

struct sgpi_record {
  uint64_t ts_ns; /* capture time, ns since the epoch */
  uint32_t linktype;
  uint32_t orig_len;
  const uint8_t *data; /* captured bytes, into the file buffer */
  size_t len;
};

/* Reads the file header (classic or the first pcapng section).  Errors
 * (*why names the reason): SGP_ERR_TRUNCATED (short_file_header),
 * SGP_ERR_SYNTAX (bad_magic, bad_pcapng_block), SGP_ERR_VERSION
 * (bad_version), SGP_ERR_TOO_LARGE (bad_snaplen), SGP_ERR_RANGE
 * (unsupported_linktype). */
SGP_MUST_CHECK sgp_err sgpi_capture_open(struct sgpi_capture *cap, const uint8_t *data, size_t len,
                                         enum sgpi_cap_err *why);

/* Next packet record: SGP_OK with *done = 0 and *rec filled, or SGP_OK
 * with *done = 1 at the clean end of the file.  Errors: SGP_ERR_TRUNCATED
 * (truncated_record_header, truncated_record), SGP_ERR_TOO_LARGE
 * (record_over_snaplen, too_many_records), SGP_ERR_RANGE (bad_timestamp,
 * unsupported_linktype), SGP_ERR_SYNTAX (bad_pcapng_block,
 * bad_pcapng_interface); after one the reader is stuck on it. */
SGP_MUST_CHECK sgp_err sgpi_capture_next(struct sgpi_capture *cap, struct sgpi_record *rec,
                                         int *done, enum sgpi_cap_err *why);

struct sgpi_udp {
  uint8_t family; /* 4 or 6 */
  uint8_t src[16], dst[16];
  uint16_t sport, dport;
  const uint8_t *payload; /* into the record */
  size_t len;
};

/* One record's UDP datagram.  Errors: SGP_ERR_TRUNCATED (truncated_packet:
 * the record ends inside a header or the datagram), SGP_ERR_RANGE
 * (unsupported_linktype), SGP_ERR_SYNTAX (not_ip, bad_ip_header,
 * bad_udp_header), SGP_ERR_UNKNOWN_FIELD (not_udp), SGP_ERR_STATE
 * (ip_fragment). */
SGP_MUST_CHECK sgp_err sgpi_udp_parse(uint32_t linktype, const uint8_t *frame, size_t len,
                                      struct sgpi_udp *out, enum sgpi_cap_err *why);

#endif
