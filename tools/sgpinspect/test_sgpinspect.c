/* Unit tests of the `sgp inspect` parsers (capture.h, keylog.h): every
 * malformed capture, record, packet and key-log line is refused with its
 * specific sgp_err and named reason. */
#include <criterion/criterion.h>
#include <string.h>

#include "capture.h"
#include "keylog.h"

/* ---- capture builders --------------------------------------------------------- */

struct buf {
  uint8_t b[4096];
  size_t len;
  int le; /* write multi-byte fields little-endian */
};

static void put(struct buf *w, const void *p, size_t n) {
  cr_assert_leq(w->len + n, sizeof w->b);
  memcpy(w->b + w->len, p, n);
  w->len += n;
}

static void put16(struct buf *w, uint16_t v) {
  uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
  if (w->le) {
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
  }
  put(w, b, 2);
}

static void put32(struct buf *w, uint32_t v) {
  uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
  if (w->le) {
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
  }
  put(w, b, 4);
}

/* Network-order fields of the packets themselves. */
static void net16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static const uint8_t payload[5] = {4, 0, 0, 0, 9};

/* IPv4 + UDP 40001 -> 40002 carrying `payload`. */
static size_t ipv4_udp(uint8_t *p, uint8_t proto, uint16_t frag) {
  memset(p, 0, 28);
  p[0] = 0x45;
  net16(p + 2, 28 + sizeof payload);
  net16(p + 6, frag);
  p[8] = 64;
  p[9] = proto;
  p[12] = 127, p[15] = 1, p[16] = 127, p[19] = 2;
  net16(p + 20, 40001);
  net16(p + 22, 40002);
  net16(p + 24, 8 + sizeof payload);
  memcpy(p + 28, payload, sizeof payload);
  return 28 + sizeof payload;
}

static size_t ipv6_udp(uint8_t *p) {
  memset(p, 0, 48);
  p[0] = 0x60;
  net16(p + 4, 8 + sizeof payload);
  p[6] = 17;
  p[7] = 64;
  p[23] = 1; /* ::1 */
  p[39] = 1;
  net16(p + 40, 40001);
  net16(p + 42, 40002);
  net16(p + 44, 8 + sizeof payload);
  memcpy(p + 48, payload, sizeof payload);
  return 48 + sizeof payload;
}

static void pcap_header(struct buf *w, uint32_t magic, uint16_t major, uint32_t snaplen,
                        uint32_t linktype) {
  put32(w, magic);
  put16(w, major);
  put16(w, 4);
  put32(w, 0);
  put32(w, 0);
  put32(w, snaplen);
  put32(w, linktype);
}

static void pcap_record(struct buf *w, uint32_t sec, uint32_t frac, const uint8_t *p, size_t n) {
  put32(w, sec);
  put32(w, frac);
  put32(w, (uint32_t)n);
  put32(w, (uint32_t)n);
  put(w, p, n);
}

static void expect_open_fails(const struct buf *w, sgp_err code, enum sgpi_cap_err reason) {
  struct sgpi_capture cap;
  enum sgpi_cap_err why = SGPI_CAP_OK;
  cr_assert_eq(sgpi_capture_open(&cap, w->b, w->len, &why), code);
  cr_assert_eq(why, reason, "got %s", sgpi_cap_err_name(why));
}

/* The first record fails with (code, reason), and the reader stays failed. */
static void expect_record_fails(const struct buf *w, sgp_err code, enum sgpi_cap_err reason) {
  struct sgpi_capture cap;
  enum sgpi_cap_err why = SGPI_CAP_OK;
  cr_assert_eq(sgpi_capture_open(&cap, w->b, w->len, &why), SGP_OK);
  struct sgpi_record rec;
  int done = 0;
  cr_assert_eq(sgpi_capture_next(&cap, &rec, &done, &why), code);
  cr_assert_eq(why, reason, "got %s", sgpi_cap_err_name(why));
  cr_assert_eq(sgpi_capture_next(&cap, &rec, &done, &why), code);
  cr_assert_eq(why, reason);
}

/* ---- classic pcap --------------------------------------------------------------- */

Test(capture, classic_both_byte_orders_and_resolutions) {
  static const uint32_t magic[] = {0xa1b2c3d4u, 0xa1b23c4du};
  for (int le = 0; le < 2; le++) {
    for (int ns = 0; ns < 2; ns++) {
      struct buf w = {.le = le};
      uint8_t pkt[64];
      size_t n = ipv4_udp(pkt, 17, 0);
      pcap_header(&w, magic[ns], 2, 65535, 101);
      pcap_record(&w, 1700000000u, ns ? 123456789u : 123456u, pkt, n);
      struct sgpi_capture cap;
      enum sgpi_cap_err why;
      cr_assert_eq(sgpi_capture_open(&cap, w.b, w.len, &why), SGP_OK);
      struct sgpi_record rec;
      int done = 0;
      cr_assert_eq(sgpi_capture_next(&cap, &rec, &done, &why), SGP_OK);
      cr_assert_eq(done, 0);
      cr_assert_eq(rec.linktype, 101);
      cr_assert_eq(rec.len, n);
      cr_assert_eq(rec.ts_ns, 1700000000ull * 1000000000u + (ns ? 123456789u : 123456000u));
      struct sgpi_udp u;
      cr_assert_eq(sgpi_udp_parse(rec.linktype, rec.data, rec.len, &u, &why), SGP_OK);
      cr_assert_eq(u.family, 4);
      cr_assert_eq(u.sport, 40001);
      cr_assert_eq(u.dport, 40002);
      cr_assert_eq(u.len, sizeof payload);
      cr_assert(memcmp(u.payload, payload, sizeof payload) == 0);
      cr_assert_eq(sgpi_capture_next(&cap, &rec, &done, &why), SGP_OK);
      cr_assert_eq(done, 1);
    }
  }
}

Test(capture, bad_magic) {
  struct buf w = {.le = 1};
  pcap_header(&w, 0x12345678u, 2, 65535, 1);
  expect_open_fails(&w, SGP_ERR_SYNTAX, SGPI_CAP_BAD_MAGIC);
}

Test(capture, truncated_file_header) {
  struct buf w = {.le = 1};
  pcap_header(&w, 0xa1b2c3d4u, 2, 65535, 1);
  w.len = 20;
  expect_open_fails(&w, SGP_ERR_TRUNCATED, SGPI_CAP_SHORT_FILE_HEADER);
  w.len = 2;
  expect_open_fails(&w, SGP_ERR_TRUNCATED, SGPI_CAP_SHORT_FILE_HEADER);
}

Test(capture, bad_version_snaplen_and_linktype) {
  struct buf w = {.le = 1};
  pcap_header(&w, 0xa1b2c3d4u, 3, 65535, 1);
  expect_open_fails(&w, SGP_ERR_VERSION, SGPI_CAP_BAD_VERSION);
  w.len = 0;
  pcap_header(&w, 0xa1b2c3d4u, 2, SGPI_SNAPLEN_MAX + 1, 1);
  expect_open_fails(&w, SGP_ERR_TOO_LARGE, SGPI_CAP_BAD_SNAPLEN);
  w.len = 0;
  pcap_header(&w, 0xa1b2c3d4u, 2, 0, 1);
  expect_open_fails(&w, SGP_ERR_TOO_LARGE, SGPI_CAP_BAD_SNAPLEN);
  w.len = 0;
  pcap_header(&w, 0xa1b2c3d4u, 2, 65535, 105); /* 802.11 */
  expect_open_fails(&w, SGP_ERR_RANGE, SGPI_CAP_LINKTYPE);
}

Test(capture, truncated_record_header) {
  struct buf w = {.le = 1};
  pcap_header(&w, 0xa1b2c3d4u, 2, 65535, 101);
  put32(&w, 1);
  put32(&w, 2);
  expect_record_fails(&w, SGP_ERR_TRUNCATED, SGPI_CAP_SHORT_RECORD_HEADER);
}

Test(capture, truncated_record) {
  struct buf w = {.le = 0};
  uint8_t pkt[64];
  size_t n = ipv4_udp(pkt, 17, 0);
  pcap_header(&w, 0xa1b2c3d4u, 2, 65535, 101);
  pcap_record(&w, 1, 0, pkt, n);
  w.len -= 1;
  expect_record_fails(&w, SGP_ERR_TRUNCATED, SGPI_CAP_SHORT_RECORD);
}

Test(capture, record_over_snaplen) {
  struct buf w = {.le = 1};
  uint8_t pkt[64];
  size_t n = ipv4_udp(pkt, 17, 0);
  pcap_header(&w, 0xa1b2c3d4u, 2, 16, 101);
  pcap_record(&w, 1, 0, pkt, n);
  expect_record_fails(&w, SGP_ERR_TOO_LARGE, SGPI_CAP_RECORD_TOO_LARGE);
}

Test(capture, bad_timestamp) {
  struct buf w = {.le = 1};
  uint8_t pkt[64];
  size_t n = ipv4_udp(pkt, 17, 0);
  pcap_header(&w, 0xa1b2c3d4u, 2, 65535, 101);
  pcap_record(&w, 1, 1000000u, pkt, n);
  expect_record_fails(&w, SGP_ERR_RANGE, SGPI_CAP_BAD_TIMESTAMP);
}

/* ---- link layers ------------------------------------------------------------------ */

static void expect_udp(uint32_t lt, const uint8_t *f, size_t n, uint8_t family) {
  struct sgpi_udp u;
  enum sgpi_cap_err why = SGPI_CAP_OK;
  cr_assert_eq(sgpi_udp_parse(lt, f, n, &u, &why), SGP_OK, "linktype %u: %s", lt,
               sgpi_cap_err_name(why));
  cr_assert_eq(u.family, family);
  cr_assert_eq(u.dport, 40002);
  cr_assert_eq(u.len, sizeof payload);
}

static void expect_udp_fails(uint32_t lt, const uint8_t *f, size_t n, sgp_err code,
                             enum sgpi_cap_err reason) {
  struct sgpi_udp u;
  enum sgpi_cap_err why = SGPI_CAP_OK;
  cr_assert_eq(sgpi_udp_parse(lt, f, n, &u, &why), code, "linktype %u", lt);
  cr_assert_eq(why, reason, "got %s", sgpi_cap_err_name(why));
}

Test(capture, link_types_ethernet_sll_sll2_null_raw) {
  uint8_t f[128];
  /* Ethernet, IPv4 and IPv6 (with a VLAN tag) */
  memset(f, 0, 14);
  net16(f + 12, 0x0800);
  expect_udp(1, f, 14 + ipv4_udp(f + 14, 17, 0), 4);
  net16(f + 12, 0x8100);
  net16(f + 16, 0x86dd);
  expect_udp(1, f, 18 + ipv6_udp(f + 18), 6);
  /* SLL: protocol at 14 */
  memset(f, 0, 16);
  net16(f + 14, 0x0800);
  expect_udp(113, f, 16 + ipv4_udp(f + 16, 17, 0), 4);
  /* SLL2: protocol first */
  memset(f, 0, 20);
  net16(f, 0x86dd);
  expect_udp(276, f, 20 + ipv6_udp(f + 20), 6);
  /* Null: AF_INET in either byte order */
  memset(f, 0, 4);
  f[0] = 2;
  expect_udp(0, f, 4 + ipv4_udp(f + 4, 17, 0), 4);
  f[0] = 0;
  f[3] = 2;
  expect_udp(0, f, 4 + ipv4_udp(f + 4, 17, 0), 4);
  /* raw, IPv4 and IPv6 link types */
  expect_udp(101, f, ipv6_udp(f), 6);
  expect_udp(228, f, ipv4_udp(f, 17, 0), 4);
  expect_udp(229, f, ipv6_udp(f), 6);
}

Test(capture, packets_that_are_not_sgp_candidates) {
  uint8_t f[128];
  memset(f, 0, 14);
  net16(f + 12, 0x0806); /* ARP */
  expect_udp_fails(1, f, 60, SGP_ERR_SYNTAX, SGPI_CAP_NOT_IP);
  size_t n = ipv4_udp(f, 6, 0); /* TCP */
  expect_udp_fails(101, f, n, SGP_ERR_UNKNOWN_FIELD, SGPI_CAP_NOT_UDP);
  n = ipv4_udp(f, 17, 0x2000); /* more fragments */
  expect_udp_fails(101, f, n, SGP_ERR_STATE, SGPI_CAP_IP_FRAGMENT);
  n = ipv4_udp(f, 17, 0);
  f[0] = 0x44; /* IHL 4 */
  expect_udp_fails(101, f, n, SGP_ERR_SYNTAX, SGPI_CAP_IP_HEADER);
  n = ipv4_udp(f, 17, 0);
  expect_udp_fails(101, f, n - 1, SGP_ERR_TRUNCATED, SGPI_CAP_SHORT_PACKET);
  expect_udp_fails(101, f, 10, SGP_ERR_TRUNCATED, SGPI_CAP_SHORT_PACKET);
  n = ipv4_udp(f, 17, 0);
  net16(f + 24, 7); /* UDP length below its header */
  expect_udp_fails(101, f, n, SGP_ERR_SYNTAX, SGPI_CAP_UDP_HEADER);
  n = ipv4_udp(f, 17, 0);
  net16(f + 24, 8 + sizeof payload + 1); /* beyond the IP payload */
  expect_udp_fails(101, f, n, SGP_ERR_SYNTAX, SGPI_CAP_UDP_HEADER);
  expect_udp_fails(105, f, n, SGP_ERR_RANGE, SGPI_CAP_LINKTYPE);
}

/* ---- pcapng ------------------------------------------------------------------------ */

static void ng_shb(struct buf *w) {
  put32(w, 0x0a0d0d0au);
  put32(w, 28);
  put32(w, 0x1a2b3c4du);
  put16(w, 1);
  put16(w, 0);
  put32(w, 0xffffffffu);
  put32(w, 0xffffffffu);
  put32(w, 28);
}

static void ng_idb(struct buf *w, uint16_t lt, uint8_t tsresol) {
  put32(w, 1);
  put32(w, 32);
  put16(w, lt);
  put16(w, 0);
  put32(w, 65535);
  put16(w, 9); /* if_tsresol */
  put16(w, 1);
  uint8_t opt[4] = {tsresol, 0, 0, 0};
  put(w, opt, 4);
  put32(w, 0); /* opt_endofopt */
  put32(w, 32);
}

static void ng_epb(struct buf *w, uint32_t ifid, uint64_t ticks, const uint8_t *p, size_t n) {
  size_t padded = (n + 3u) & ~(size_t)3u;
  uint32_t total = (uint32_t)(32 + padded);
  put32(w, 6);
  put32(w, total);
  put32(w, ifid);
  put32(w, (uint32_t)(ticks >> 32));
  put32(w, (uint32_t)ticks);
  put32(w, (uint32_t)n);
  put32(w, (uint32_t)n);
  put(w, p, n);
  uint8_t zero[4] = {0};
  put(w, zero, padded - n);
  put32(w, total);
}

Test(capture, pcapng_both_byte_orders) {
  for (int le = 0; le < 2; le++) {
    struct buf w = {.le = le};
    uint8_t pkt[64];
    size_t n = ipv4_udp(pkt, 17, 0);
    ng_shb(&w);
    ng_idb(&w, 101, 9); /* nanoseconds */
    ng_epb(&w, 0, 1700000000123456789ull, pkt, n);
    struct sgpi_capture cap;
    enum sgpi_cap_err why;
    cr_assert_eq(sgpi_capture_open(&cap, w.b, w.len, &why), SGP_OK, "%s", sgpi_cap_err_name(why));
    struct sgpi_record rec;
    int done = 0;
    cr_assert_eq(sgpi_capture_next(&cap, &rec, &done, &why), SGP_OK, "%s", sgpi_cap_err_name(why));
    cr_assert_eq(done, 0);
    cr_assert_eq(rec.ts_ns, 1700000000123456789ull);
    cr_assert_eq(rec.len, n);
    cr_assert_eq(sgpi_capture_next(&cap, &rec, &done, &why), SGP_OK);
    cr_assert_eq(done, 1);
  }
}

Test(capture, pcapng_bad_blocks) {
  uint8_t pkt[64];
  size_t n = ipv4_udp(pkt, 17, 0);
  struct buf w = {.le = 1};
  ng_shb(&w);
  ng_idb(&w, 101, 6);
  ng_epb(&w, 1, 0, pkt, n); /* interface 1 was never described */
  expect_record_fails(&w, SGP_ERR_SYNTAX, SGPI_CAP_NG_INTERFACE);
  w.len = 0;
  ng_shb(&w);
  ng_idb(&w, 101, 6);
  ng_epb(&w, 0, 0, pkt, n);
  w.b[w.len - 1] ^= 0x01; /* trailing length differs (its top byte, little-endian) */
  expect_record_fails(&w, SGP_ERR_SYNTAX, SGPI_CAP_NG_BLOCK);
  w.len = 0;
  ng_shb(&w);
  ng_idb(&w, 101, 10); /* 10^-10 s: finer than nanoseconds */
  expect_record_fails(&w, SGP_ERR_SYNTAX, SGPI_CAP_NG_INTERFACE);
  w.len = 0;
  ng_shb(&w);
  w.b[8] = 0x99; /* byte-order magic */
  expect_open_fails(&w, SGP_ERR_SYNTAX, SGPI_CAP_BAD_MAGIC);
}

/* ---- key log ------------------------------------------------------------------------- */

#define KEY_A "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KEY_B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define LINE "SGP_SESSION v1 2 5 0000abcd 12345678 " KEY_A " " KEY_B " 1764150000.123"

static sgp_err kl_line(struct sgpi_keylog *kl, const char *s, enum sgpi_kl_err *why) {
  return sgpi_keylog_line(kl, s, strlen(s), 1, why);
}

/* SGP-NODE-20: local_index selects recv_key (peer -> self), remote_index send_key. */
Test(keylog, session_line_gives_both_directions) {
  struct sgpi_key keys[8];
  struct sgpi_keylog kl;
  const char *text = "# sgpd key log\n\n" LINE "\n" LINE "\n";
  cr_assert_eq(sgpi_keylog_parse(&kl, keys, 8, (const uint8_t *)text, strlen(text)), SGP_OK);
  cr_assert_eq(kl.sessions, 2);
  cr_assert_eq(kl.count, 2, "identical lines merge");
  cr_assert_eq(kl.max_node, 5);
  size_t first = 0;
  cr_assert_eq(sgpi_keylog_find(&kl, 0xabcd, &first), 1);
  cr_assert_eq(kl.keys[first].sender, 5);
  cr_assert_eq(kl.keys[first].receiver, 2);
  cr_assert_eq(kl.keys[first].key[0], 0xff); /* recv_key */
  cr_assert_eq(sgpi_keylog_find(&kl, 0x12345678, &first), 1);
  cr_assert_eq(kl.keys[first].sender, 2);
  cr_assert_eq(kl.keys[first].key[1], 0x11); /* send_key */
  cr_assert_eq(sgpi_keylog_find(&kl, 7, &first), 0);
  sgpi_keylog_wipe(&kl);
  cr_assert_eq(keys[0].key[0], 0);
}

static void expect_line_fails(const char *s, sgp_err code, enum sgpi_kl_err reason) {
  struct sgpi_key keys[4];
  struct sgpi_keylog kl;
  cr_assert_eq(sgpi_keylog_parse(&kl, keys, 4, NULL, 0), SGP_OK);
  enum sgpi_kl_err why = SGPI_KL_OK;
  cr_assert_eq(kl_line(&kl, s, &why), code, "%s", s);
  cr_assert_eq(why, reason, "got %s for %s", sgpi_kl_err_name(why), s);
  cr_assert_eq(kl.count, 0);
  cr_assert_eq(kl.sessions, 0);
}

Test(keylog, malformed_lines_are_named_and_change_nothing) {
  expect_line_fails("SGP_HANDSHAKE v1 2 5 0000abcd " KEY_A " initiator", SGP_ERR_VERSION,
                    SGPI_KL_UNKNOWN_RECORD);
  expect_line_fails("SGP_SESSION v2 2 5 0000abcd 12345678 " KEY_A " " KEY_B " 1.000",
                    SGP_ERR_VERSION, SGPI_KL_UNKNOWN_RECORD);
  expect_line_fails("SGP_SESSION v1 2 5 0000abcd 12345678 " KEY_A " " KEY_B, SGP_ERR_SYNTAX,
                    SGPI_KL_FIELDS);
  expect_line_fails("SGP_SESSION v1 2 2 0000abcd 12345678 " KEY_A " " KEY_B " 1.000",
                    SGP_ERR_NODE_ID, SGPI_KL_NODE);
  expect_line_fails("SGP_SESSION v1 2 16384 0000abcd 12345678 " KEY_A " " KEY_B " 1.000",
                    SGP_ERR_NODE_ID, SGPI_KL_NODE);
  expect_line_fails("SGP_SESSION v1 2 5 0000ABCD 12345678 " KEY_A " " KEY_B " 1.000", SGP_ERR_HEX,
                    SGPI_KL_HEX);
  expect_line_fails("SGP_SESSION v1 2 5 0000abcd 12345678 " KEY_A " " KEY_A "0 1.000", SGP_ERR_HEX,
                    SGPI_KL_HEX);
  expect_line_fails("SGP_SESSION v1 2 5 0000abcd 12345678 " KEY_A " " KEY_B " 1.0", SGP_ERR_SYNTAX,
                    SGPI_KL_TIME);
  expect_line_fails("SGP_SESSION  v1", SGP_ERR_SYNTAX, SGPI_KL_LINE);
  expect_line_fails("SGP_SESSION\tv1", SGP_ERR_SYNTAX, SGPI_KL_LINE);
}

Test(keylog, conflicting_key_and_capacity) {
  struct sgpi_key keys[3];
  struct sgpi_keylog kl;
  cr_assert_eq(sgpi_keylog_parse(&kl, keys, 3, NULL, 0), SGP_OK);
  enum sgpi_kl_err why;
  cr_assert_eq(kl_line(&kl, LINE, &why), SGP_OK);
  /* The same index and direction with another key. */
  cr_assert_eq(
      kl_line(&kl, "SGP_SESSION v1 2 5 0000abcd 12345678 " KEY_B " " KEY_A " 1764150000.123", &why),
      SGP_ERR_DUP_ENTRY);
  cr_assert_eq(why, SGPI_KL_CONFLICT);
  cr_assert_eq(kl.count, 2);
  /* Room for one more key, a session line needs two. */
  cr_assert_eq(
      kl_line(&kl, "SGP_SESSION v1 3 4 00000001 00000002 " KEY_A " " KEY_B " 1764150000.123", &why),
      SGP_ERR_NO_SPACE);
  cr_assert_eq(why, SGPI_KL_TOO_MANY);
  cr_assert_eq(kl.count, 2);
  cr_assert_eq(kl.sessions, 1);
}

Test(keylog, nul_and_overlong_lines_are_skipped_and_counted) {
  static char text[2048];
  size_t n = 0;
  memcpy(text + n, "bad\0line\n", 9);
  n += 9;
  memset(text + n, 'x', SGPI_KL_MAX_LINE + 10);
  n += SGPI_KL_MAX_LINE + 10;
  text[n++] = '\n';
  memcpy(text + n, LINE, strlen(LINE)); /* last line without '\n' */
  n += strlen(LINE);
  struct sgpi_key keys[4];
  struct sgpi_keylog kl;
  cr_assert_eq(sgpi_keylog_parse(&kl, keys, 4, (const uint8_t *)text, n), SGP_OK);
  cr_assert_eq(kl.errors[SGPI_KL_LINE], 2);
  cr_assert_eq(kl.sessions, 1);
  cr_assert_eq(kl.count, 2);
}
