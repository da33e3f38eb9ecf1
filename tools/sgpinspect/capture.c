/* Capture reader for `sgp inspect` (contract in capture.h). */
#include "capture.h"

#include <string.h>

enum {
  PCAP_MAGIC_US = 0xa1b2c3d4u,
  PCAP_MAGIC_NS = 0xa1b23c4du,
  PCAP_MAGIC_US_SWAPPED = 0xd4c3b2a1u,
  PCAP_MAGIC_NS_SWAPPED = 0x4d3cb2a1u,
  PCAP_FILE_HEADER = 24,
  PCAP_RECORD_HEADER = 16,
  NG_SHB = 0x0a0d0d0au,
  NG_IDB = 1,
  NG_SPB = 3,
  NG_EPB = 6,
  NG_BYTE_ORDER = 0x1a2b3c4du,
  NG_OPT_TSRESOL = 9,
  LT_NULL = 0,
  LT_ETHERNET = 1,
  LT_RAW_BSD = 12,
  LT_RAW_OPENBSD = 14,
  LT_RAW = 101,
  LT_SLL = 113,
  LT_IPV4 = 228,
  LT_IPV6 = 229,
  LT_SLL2 = 276,
  ETH_IPV4 = 0x0800,
  ETH_IPV6 = 0x86dd,
  ETH_VLAN = 0x8100,
  IPPROTO_UDP_ = 17,
};

const char *sgpi_cap_err_name(enum sgpi_cap_err e) {
  static const char *const names[] = {
#define SGPI_CAP_NAME_(code, name) name,
      SGPI_CAP_ERRS(SGPI_CAP_NAME_)
#undef SGPI_CAP_NAME_
  };
  return (unsigned)e < SGPI_CAP_ERR_COUNT ? names[e] : "?";
}

static sgp_err fail(enum sgpi_cap_err *why, enum sgpi_cap_err reason, sgp_err e) {
  *why = reason;
  return e;
}

static uint16_t bswap16(uint16_t v) {
  return (uint16_t)((v >> 8) | (v << 8));
}

static uint32_t bswap32(uint32_t v) {
  return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

/* The cursor reads big-endian; little-endian files are swapped here. */
static sgp_err rd16(struct sgp_cursor *c, int swap, uint16_t *v) {
  SGP_GUARD(sgp_cursor_read_u16(c, v));
  if (swap) *v = bswap16(*v);
  return SGP_OK;
}

static sgp_err rd32(struct sgp_cursor *c, int swap, uint32_t *v) {
  SGP_GUARD(sgp_cursor_read_u32(c, v));
  if (swap) *v = bswap32(*v);
  return SGP_OK;
}

static int linktype_supported(uint32_t lt) {
  switch (lt) {
    case LT_NULL:
    case LT_ETHERNET:
    case LT_RAW_BSD:
    case LT_RAW_OPENBSD:
    case LT_RAW:
    case LT_SLL:
    case LT_IPV4:
    case LT_IPV6:
    case LT_SLL2:
      return 1;
    default:
      return 0;
  }
}

/* ---- classic pcap -------------------------------------------------------- */

static sgp_err open_classic(struct sgpi_capture *cap, uint32_t magic, enum sgpi_cap_err *why) {
  cap->swap = magic == PCAP_MAGIC_US_SWAPPED || magic == PCAP_MAGIC_NS_SWAPPED;
  cap->ts_div = magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_US_SWAPPED ? 1000u : 1u;
  struct sgp_cursor *c = &cap->c;
  uint16_t major = 0, minor = 0;
  uint32_t zone = 0, sigfigs = 0;
  if (rd16(c, cap->swap, &major) != SGP_OK || rd16(c, cap->swap, &minor) != SGP_OK ||
      rd32(c, cap->swap, &zone) != SGP_OK || rd32(c, cap->swap, &sigfigs) != SGP_OK ||
      rd32(c, cap->swap, &cap->snaplen) != SGP_OK || rd32(c, cap->swap, &cap->linktype) != SGP_OK) {
    return fail(why, SGPI_CAP_SHORT_FILE_HEADER, SGP_ERR_TRUNCATED);
  }
  (void)minor;
  (void)zone;
  (void)sigfigs;
  if (major != 2) return fail(why, SGPI_CAP_BAD_VERSION, SGP_ERR_VERSION);
  if (cap->snaplen == 0 || cap->snaplen > SGPI_SNAPLEN_MAX) {
    return fail(why, SGPI_CAP_BAD_SNAPLEN, SGP_ERR_TOO_LARGE);
  }
  /* The upper 16 bits carry FCS information (pcap-linktype(7)). */
  cap->linktype &= 0xffffu;
  if (!linktype_supported(cap->linktype)) return fail(why, SGPI_CAP_LINKTYPE, SGP_ERR_RANGE);
  return SGP_OK;
}

static sgp_err next_classic(struct sgpi_capture *cap, struct sgpi_record *rec, int *done,
                            enum sgpi_cap_err *why) {
  struct sgp_cursor *c = &cap->c;
  if (sgp_cursor_left(c) == 0) {
    *done = 1;
    return SGP_OK;
  }
  struct sgp_cursor h = *c;
  uint32_t sec = 0, frac = 0, incl = 0, orig = 0;
  if (rd32(&h, cap->swap, &sec) != SGP_OK || rd32(&h, cap->swap, &frac) != SGP_OK ||
      rd32(&h, cap->swap, &incl) != SGP_OK || rd32(&h, cap->swap, &orig) != SGP_OK) {
    return fail(why, SGPI_CAP_SHORT_RECORD_HEADER, SGP_ERR_TRUNCATED);
  }
  if (incl > cap->snaplen) return fail(why, SGPI_CAP_RECORD_TOO_LARGE, SGP_ERR_TOO_LARGE);
  if (frac >= (cap->ts_div == 1 ? 1000000000u : 1000000u)) {
    return fail(why, SGPI_CAP_BAD_TIMESTAMP, SGP_ERR_RANGE);
  }
  const uint8_t *p = NULL;
  if (sgp_cursor_take(&h, &p, incl) != SGP_OK) {
    return fail(why, SGPI_CAP_SHORT_RECORD, SGP_ERR_TRUNCATED);
  }
  *c = h;
  rec->ts_ns = (uint64_t)sec * 1000000000u + (uint64_t)frac * cap->ts_div;
  rec->linktype = cap->linktype;
  rec->orig_len = orig;
  rec->data = p;
  rec->len = incl;
  return SGP_OK;
}

/* ---- pcapng ----------------------------------------------------------------- */

/* One block: type, body (between the two length fields).  The trailing
 * length must repeat the leading one. */
static sgp_err ng_block(struct sgpi_capture *cap, uint32_t *type, struct sgp_cursor *body,
                        enum sgpi_cap_err *why) {
  struct sgp_cursor h = cap->c;
  uint32_t total = 0, trail = 0;
  if (rd32(&h, cap->swap, type) != SGP_OK || rd32(&h, cap->swap, &total) != SGP_OK) {
    return fail(why, SGPI_CAP_SHORT_RECORD_HEADER, SGP_ERR_TRUNCATED);
  }
  if (total < 12 || total % 4 != 0 || total > SGPI_NG_BLOCK_MAX) {
    return fail(why, SGPI_CAP_NG_BLOCK, SGP_ERR_SYNTAX);
  }
  const uint8_t *p = NULL;
  if (sgp_cursor_take(&h, &p, total - 12) != SGP_OK || rd32(&h, cap->swap, &trail) != SGP_OK) {
    return fail(why, SGPI_CAP_SHORT_RECORD, SGP_ERR_TRUNCATED);
  }
  if (trail != total) return fail(why, SGPI_CAP_NG_BLOCK, SGP_ERR_SYNTAX);
  *body = sgp_cursor_reader(p, total - 12);
  cap->c = h;
  return SGP_OK;
}

/* Section header: byte order from its magic (the block type is a
 * palindrome); every interface of the previous section is forgotten. */
static sgp_err ng_section(struct sgpi_capture *cap, enum sgpi_cap_err *why) {
  struct sgp_cursor peek = cap->c;
  uint32_t type = 0, total = 0, bom = 0;
  if (sgp_cursor_read_u32(&peek, &type) != SGP_OK || sgp_cursor_read_u32(&peek, &total) != SGP_OK ||
      sgp_cursor_read_u32(&peek, &bom) != SGP_OK) {
    return fail(why, SGPI_CAP_SHORT_FILE_HEADER, SGP_ERR_TRUNCATED);
  }
  if (bom == NG_BYTE_ORDER) {
    cap->swap = 0;
  } else if (bom == bswap32(NG_BYTE_ORDER)) {
    cap->swap = 1;
  } else {
    return fail(why, SGPI_CAP_BAD_MAGIC, SGP_ERR_SYNTAX);
  }
  struct sgp_cursor body;
  SGP_GUARD(ng_block(cap, &type, &body, why));
  uint16_t major = 0;
  if (sgp_cursor_skip(&body, 4) != SGP_OK || rd16(&body, cap->swap, &major) != SGP_OK) {
    return fail(why, SGPI_CAP_NG_BLOCK, SGP_ERR_SYNTAX);
  }
  if (major != 1) return fail(why, SGPI_CAP_BAD_VERSION, SGP_ERR_VERSION);
  cap->ifaces = 0;
  return SGP_OK;
}

static sgp_err ng_tsresol(uint8_t v, uint64_t *tps) {
  unsigned e = v & 0x7fu;
  SGP_ENSURE((v & 0x80u) ? e <= 30 : e <= 9, SGP_ERR_RANGE);
  uint64_t t = 1;
  for (unsigned i = 0; i < e; i++) t *= (v & 0x80u) ? 2u : 10u;
  *tps = t;
  return SGP_OK;
}

static sgp_err ng_interface(struct sgpi_capture *cap, struct sgp_cursor *body,
                            enum sgpi_cap_err *why) {
  if (cap->ifaces >= SGPI_NG_IFACES) return fail(why, SGPI_CAP_NG_INTERFACE, SGP_ERR_SYNTAX);
  struct sgpi_ng_iface f = {.ticks_per_sec = 1000000u};
  uint16_t lt = 0, reserved = 0;
  if (rd16(body, cap->swap, &lt) != SGP_OK || rd16(body, cap->swap, &reserved) != SGP_OK ||
      rd32(body, cap->swap, &f.snaplen) != SGP_OK) {
    return fail(why, SGPI_CAP_NG_BLOCK, SGP_ERR_SYNTAX);
  }
  f.linktype = lt;
  /* Options: code, length, value padded to 4; only if_tsresol matters. */
  while (sgp_cursor_left(body) >= 4) {
    uint16_t code = 0, olen = 0;
    const uint8_t *v = NULL;
    if (rd16(body, cap->swap, &code) != SGP_OK || rd16(body, cap->swap, &olen) != SGP_OK) break;
    if (code == 0) break;
    size_t padded = ((size_t)olen + 3u) & ~(size_t)3u;
    if (sgp_cursor_take(body, &v, padded) != SGP_OK) {
      return fail(why, SGPI_CAP_NG_BLOCK, SGP_ERR_SYNTAX);
    }
    if (code == NG_OPT_TSRESOL) {
      if (olen != 1 || ng_tsresol(v[0], &f.ticks_per_sec) != SGP_OK) {
        return fail(why, SGPI_CAP_NG_INTERFACE, SGP_ERR_SYNTAX);
      }
    }
  }
  cap->iface[cap->ifaces++] = f;
  return SGP_OK;
}

static uint64_t ticks_to_ns(uint64_t ticks, uint64_t tps) {
  return ticks / tps * 1000000000u + (ticks % tps) * 1000000000u / tps;
}

static sgp_err ng_packet(struct sgpi_capture *cap, uint32_t type, struct sgp_cursor *body,
                         struct sgpi_record *rec, enum sgpi_cap_err *why) {
  uint32_t ifid = 0, hi = 0, lo = 0, caplen = 0, orig = 0;
  if (type == NG_EPB) {
    if (rd32(body, cap->swap, &ifid) != SGP_OK || rd32(body, cap->swap, &hi) != SGP_OK ||
        rd32(body, cap->swap, &lo) != SGP_OK || rd32(body, cap->swap, &caplen) != SGP_OK ||
        rd32(body, cap->swap, &orig) != SGP_OK) {
      return fail(why, SGPI_CAP_NG_BLOCK, SGP_ERR_SYNTAX);
    }
  } else { /* SPB: interface 0, no timestamp, captured length implied */
    if (rd32(body, cap->swap, &orig) != SGP_OK) return fail(why, SGPI_CAP_NG_BLOCK, SGP_ERR_SYNTAX);
    size_t left = sgp_cursor_left(body);
    caplen = orig < left ? orig : (uint32_t)left;
  }
  if (ifid >= cap->ifaces) return fail(why, SGPI_CAP_NG_INTERFACE, SGP_ERR_SYNTAX);
  const struct sgpi_ng_iface *f = &cap->iface[ifid];
  if (caplen > SGPI_SNAPLEN_MAX || (f->snaplen != 0 && caplen > f->snaplen)) {
    return fail(why, SGPI_CAP_RECORD_TOO_LARGE, SGP_ERR_TOO_LARGE);
  }
  if (!linktype_supported(f->linktype)) return fail(why, SGPI_CAP_LINKTYPE, SGP_ERR_RANGE);
  const uint8_t *p = NULL;
  if (sgp_cursor_take(body, &p, caplen) != SGP_OK) {
    return fail(why, SGPI_CAP_SHORT_RECORD, SGP_ERR_TRUNCATED);
  }
  rec->ts_ns = ticks_to_ns((uint64_t)hi << 32 | lo, f->ticks_per_sec);
  rec->linktype = f->linktype;
  rec->orig_len = orig;
  rec->data = p;
  rec->len = caplen;
  return SGP_OK;
}

static sgp_err next_ng(struct sgpi_capture *cap, struct sgpi_record *rec, int *done,
                       enum sgpi_cap_err *why) {
  for (;;) {
    if (sgp_cursor_left(&cap->c) == 0) {
      *done = 1;
      return SGP_OK;
    }
    struct sgp_cursor peek = cap->c;
    uint32_t type = 0;
    if (sgp_cursor_read_u32(&peek, &type) == SGP_OK && type == NG_SHB) {
      SGP_GUARD(ng_section(cap, why));
      continue;
    }
    struct sgp_cursor body;
    SGP_GUARD(ng_block(cap, &type, &body, why));
    if (type == NG_IDB) {
      SGP_GUARD(ng_interface(cap, &body, why));
    } else if (type == NG_EPB || type == NG_SPB) {
      return ng_packet(cap, type, &body, rec, why);
    } /* any other block (statistics, name resolution, ...) is skipped */
  }
}

/* ---- entry points ---------------------------------------------------------- */

sgp_err sgpi_capture_open(struct sgpi_capture *cap, const uint8_t *data, size_t len,
                          enum sgpi_cap_err *why) {
  SGP_ENSURE(cap && why && (data || !len), SGP_ERR_INVALID_ARG);
  memset(cap, 0, sizeof *cap);
  *why = SGPI_CAP_OK;
  cap->c = sgp_cursor_reader(data, len);
  struct sgp_cursor peek = cap->c;
  uint32_t magic = 0;
  sgp_err e = SGP_OK;
  if (sgp_cursor_read_u32(&peek, &magic) != SGP_OK) {
    e = fail(why, SGPI_CAP_SHORT_FILE_HEADER, SGP_ERR_TRUNCATED);
  } else if (magic == NG_SHB) {
    cap->ng = 1;
    e = ng_section(cap, why);
  } else if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS || magic == PCAP_MAGIC_US_SWAPPED ||
             magic == PCAP_MAGIC_NS_SWAPPED) {
    cap->c = peek;
    e = open_classic(cap, magic, why);
  } else {
    e = fail(why, SGPI_CAP_BAD_MAGIC, SGP_ERR_SYNTAX);
  }
  if (e != SGP_OK) {
    cap->stuck = *why;
    cap->stuck_err = e;
  }
  return e;
}

sgp_err sgpi_capture_next(struct sgpi_capture *cap, struct sgpi_record *rec, int *done,
                          enum sgpi_cap_err *why) {
  SGP_ENSURE(cap && rec && done && why, SGP_ERR_INVALID_ARG);
  *done = 0;
  *why = SGPI_CAP_OK;
  if (cap->stuck != SGPI_CAP_OK) return fail(why, cap->stuck, cap->stuck_err);
  sgp_err e = SGP_OK;
  if (cap->records >= SGPI_MAX_RECORDS && sgp_cursor_left(&cap->c) > 0) {
    e = fail(why, SGPI_CAP_TOO_MANY_RECORDS, SGP_ERR_TOO_LARGE);
  } else {
    e = cap->ng ? next_ng(cap, rec, done, why) : next_classic(cap, rec, done, why);
  }
  if (e != SGP_OK) {
    cap->stuck = *why;
    cap->stuck_err = e;
    return e;
  }
  if (!*done) cap->records++;
  return SGP_OK;
}

/* ---- link, network and transport layers -------------------------------------- */

/* The network protocol of a frame: 4, 6, or 0 for anything else. */
static sgp_err link_layer(uint32_t lt, struct sgp_cursor *c, int *ipv, enum sgpi_cap_err *why) {
  uint16_t proto = 0;
  *ipv = 0;
  switch (lt) {
    case LT_ETHERNET:
      if (sgp_cursor_skip(c, 12) != SGP_OK || sgp_cursor_read_u16(c, &proto) != SGP_OK) {
        return fail(why, SGPI_CAP_SHORT_PACKET, SGP_ERR_TRUNCATED);
      }
      if (proto == ETH_VLAN &&
          (sgp_cursor_skip(c, 2) != SGP_OK || sgp_cursor_read_u16(c, &proto) != SGP_OK)) {
        return fail(why, SGPI_CAP_SHORT_PACKET, SGP_ERR_TRUNCATED);
      }
      break;
    case LT_SLL: /* packet type, ARPHRD, address length, 8-byte address, protocol */
      if (sgp_cursor_skip(c, 14) != SGP_OK || sgp_cursor_read_u16(c, &proto) != SGP_OK) {
        return fail(why, SGPI_CAP_SHORT_PACKET, SGP_ERR_TRUNCATED);
      }
      break;
    case LT_SLL2: /* protocol first, then 18 bytes */
      if (sgp_cursor_read_u16(c, &proto) != SGP_OK || sgp_cursor_skip(c, 18) != SGP_OK) {
        return fail(why, SGPI_CAP_SHORT_PACKET, SGP_ERR_TRUNCATED);
      }
      break;
    case LT_NULL: { /* AF_ value in the capturing host's byte order */
      uint32_t fam = 0;
      if (sgp_cursor_read_u32(c, &fam) != SGP_OK) {
        return fail(why, SGPI_CAP_SHORT_PACKET, SGP_ERR_TRUNCATED);
      }
      if (fam > 0xffffu) fam = bswap32(fam);
      /* AF_INET is 2 everywhere; AF_INET6 is 24, 28 or 30 by OS (and 10 on Linux). */
      *ipv = fam == 2 ? 4 : (fam == 10 || fam == 24 || fam == 28 || fam == 30) ? 6 : 0;
      return *ipv ? SGP_OK : fail(why, SGPI_CAP_NOT_IP, SGP_ERR_SYNTAX);
    }
    case LT_RAW:
    case LT_RAW_BSD:
    case LT_RAW_OPENBSD: {
      struct sgp_cursor peek = *c;
      uint8_t v = 0;
      if (sgp_cursor_read_u8(&peek, &v) != SGP_OK) {
        return fail(why, SGPI_CAP_SHORT_PACKET, SGP_ERR_TRUNCATED);
      }
      *ipv = v >> 4 == 4 ? 4 : v >> 4 == 6 ? 6 : 0;
      return *ipv ? SGP_OK : fail(why, SGPI_CAP_NOT_IP, SGP_ERR_SYNTAX);
    }
    case LT_IPV4:
      *ipv = 4;
      return SGP_OK;
    case LT_IPV6:
      *ipv = 6;
      return SGP_OK;
    default:
      return fail(why, SGPI_CAP_LINKTYPE, SGP_ERR_RANGE);
  }
  *ipv = proto == ETH_IPV4 ? 4 : proto == ETH_IPV6 ? 6 : 0;
  return *ipv ? SGP_OK : fail(why, SGPI_CAP_NOT_IP, SGP_ERR_SYNTAX);
}

/* IPv4 header; *c becomes the IP payload (bounded by total length). */
static sgp_err ipv4(struct sgp_cursor *c, struct sgpi_udp *out, enum sgpi_cap_err *why) {
  uint8_t vihl = 0, tos = 0, ttl = 0, proto = 0;
  uint16_t total = 0, id = 0, frag = 0, sum = 0;
  if (sgp_cursor_read_u8(c, &vihl) != SGP_OK || sgp_cursor_read_u8(c, &tos) != SGP_OK ||
      sgp_cursor_read_u16(c, &total) != SGP_OK || sgp_cursor_read_u16(c, &id) != SGP_OK ||
      sgp_cursor_read_u16(c, &frag) != SGP_OK || sgp_cursor_read_u8(c, &ttl) != SGP_OK ||
      sgp_cursor_read_u8(c, &proto) != SGP_OK || sgp_cursor_read_u16(c, &sum) != SGP_OK ||
      sgp_cursor_read(c, out->src, 4) != SGP_OK || sgp_cursor_read(c, out->dst, 4) != SGP_OK) {
    return fail(why, SGPI_CAP_SHORT_PACKET, SGP_ERR_TRUNCATED);
  }
  size_t ihl = (size_t)(vihl & 0x0fu) * 4u;
  if (vihl >> 4 != 4 || ihl < 20 || total < ihl)
    return fail(why, SGPI_CAP_IP_HEADER, SGP_ERR_SYNTAX);
  if (sgp_cursor_skip(c, ihl - 20) != SGP_OK) {
    return fail(why, SGPI_CAP_SHORT_PACKET, SGP_ERR_TRUNCATED);
  }
  if ((frag & 0x3fffu) != 0) return fail(why, SGPI_CAP_IP_FRAGMENT, SGP_ERR_STATE);
  if (proto != IPPROTO_UDP_) return fail(why, SGPI_CAP_NOT_UDP, SGP_ERR_UNKNOWN_FIELD);
  const uint8_t *p = NULL;
  if (sgp_cursor_take(c, &p, total - ihl) != SGP_OK) {
    return fail(why, SGPI_CAP_SHORT_PACKET, SGP_ERR_TRUNCATED);
  }
  *c = sgp_cursor_reader(p, total - ihl);
  out->family = 4;
  return SGP_OK;
}

static sgp_err ipv6(struct sgp_cursor *c, struct sgpi_udp *out, enum sgpi_cap_err *why) {
  uint32_t vtf = 0;
  uint16_t plen = 0;
  uint8_t next = 0, hop = 0;
  if (sgp_cursor_read_u32(c, &vtf) != SGP_OK || sgp_cursor_read_u16(c, &plen) != SGP_OK ||
      sgp_cursor_read_u8(c, &next) != SGP_OK || sgp_cursor_read_u8(c, &hop) != SGP_OK ||
      sgp_cursor_read(c, out->src, 16) != SGP_OK || sgp_cursor_read(c, out->dst, 16) != SGP_OK) {
    return fail(why, SGPI_CAP_SHORT_PACKET, SGP_ERR_TRUNCATED);
  }
  if (vtf >> 28 != 6) return fail(why, SGPI_CAP_IP_HEADER, SGP_ERR_SYNTAX);
  const uint8_t *p = NULL;
  if (sgp_cursor_take(c, &p, plen) != SGP_OK) {
    return fail(why, SGPI_CAP_SHORT_PACKET, SGP_ERR_TRUNCATED);
  }
  *c = sgp_cursor_reader(p, plen);
  /* Hop-by-hop (0), routing (43), destination options (60): 8 (len + 1) bytes each. */
  for (unsigned hops = 0; next == 0 || next == 43 || next == 60; hops++) {
    uint8_t n2 = 0, elen = 0;
    if (hops >= 8) return fail(why, SGPI_CAP_IP_HEADER, SGP_ERR_SYNTAX);
    if (sgp_cursor_read_u8(c, &n2) != SGP_OK || sgp_cursor_read_u8(c, &elen) != SGP_OK ||
        sgp_cursor_skip(c, (size_t)elen * 8u + 6u) != SGP_OK) {
      return fail(why, SGPI_CAP_IP_HEADER, SGP_ERR_SYNTAX);
    }
    next = n2;
  }
  if (next == 44) return fail(why, SGPI_CAP_IP_FRAGMENT, SGP_ERR_STATE);
  if (next != IPPROTO_UDP_) return fail(why, SGPI_CAP_NOT_UDP, SGP_ERR_UNKNOWN_FIELD);
  out->family = 6;
  return SGP_OK;
}

sgp_err sgpi_udp_parse(uint32_t linktype, const uint8_t *frame, size_t len, struct sgpi_udp *out,
                       enum sgpi_cap_err *why) {
  SGP_ENSURE(out && why && (frame || !len), SGP_ERR_INVALID_ARG);
  *why = SGPI_CAP_OK;
  struct sgpi_udp u;
  memset(&u, 0, sizeof u);
  struct sgp_cursor c = sgp_cursor_reader(frame, len);
  int ipv = 0;
  SGP_GUARD(link_layer(linktype, &c, &ipv, why));
  SGP_GUARD(ipv == 4 ? ipv4(&c, &u, why) : ipv6(&c, &u, why));
  uint16_t ulen = 0, sum = 0;
  if (sgp_cursor_read_u16(&c, &u.sport) != SGP_OK || sgp_cursor_read_u16(&c, &u.dport) != SGP_OK ||
      sgp_cursor_read_u16(&c, &ulen) != SGP_OK || sgp_cursor_read_u16(&c, &sum) != SGP_OK) {
    return fail(why, SGPI_CAP_SHORT_PACKET, SGP_ERR_TRUNCATED);
  }
  (void)sum;
  /* UDP length 0 is a jumbogram (IPv6 only); not SGP, refused. */
  if (ulen < 8 || ulen - 8u > sgp_cursor_left(&c)) {
    return fail(why, SGPI_CAP_UDP_HEADER, SGP_ERR_SYNTAX);
  }
  SGP_GUARD(sgp_cursor_take(&c, &u.payload, ulen - 8u));
  u.len = ulen - 8u;
  *out = u;
  return SGP_OK;
}
