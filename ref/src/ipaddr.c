/* IP address text <-> struct sgp_ip (declared in agent.h).
 *
 * Parsed through the bounded cursor by hand rather than inet_pton so the
 * grammar is exactly what the readers accept: dotted-quad IPv4 without
 * leading-zero octets, and RFC 4291 §2.2 IPv6 (one "::", optional trailing
 * dotted IPv4, no zone index).  Anything else is SGP_ERR_FLOW_FIELD.
 */
#include <stdio.h>
#include <string.h>

#include "sgp/agent.h"
#include "sgp/cursor.h"

static int hexval(uint8_t ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

static int peek(const struct sgp_cursor *c) {
  return sgp_cursor_left(c) > 0 ? c->cdata[c->pos] : -1;
}

static sgp_err parse_v4(struct sgp_cursor *c, uint32_t *out) {
  uint32_t v = 0;
  for (unsigned part = 0; part < 4; part++) {
    uint8_t ch;
    if (part > 0) {
      SGP_ENSURE(sgp_cursor_read_u8(c, &ch) == SGP_OK && ch == '.', SGP_ERR_FLOW_FIELD);
    }
    unsigned octet = 0, digits = 0;
    while (peek(c) >= '0' && peek(c) <= '9') {
      SGP_ENSURE(sgp_cursor_read_u8(c, &ch) == SGP_OK, SGP_ERR_FLOW_FIELD);
      SGP_ENSURE(!(digits == 1 && octet == 0), SGP_ERR_FLOW_FIELD); /* no leading zero */
      octet = octet * 10u + (unsigned)(ch - '0');
      SGP_ENSURE(++digits <= 3 && octet <= 255, SGP_ERR_FLOW_FIELD);
    }
    SGP_ENSURE(digits > 0, SGP_ERR_FLOW_FIELD);
    v = v << 8 | octet;
  }
  *out = v;
  return SGP_OK;
}

static sgp_err parse_v6(struct sgp_cursor *c, uint8_t out[16]) {
  uint16_t groups[8];
  unsigned ng = 0;
  int gap = -1; /* index in groups where "::" stands */
  if (peek(c) == ':') {
    uint8_t a, b;
    SGP_ENSURE(
        sgp_cursor_read_u8(c, &a) == SGP_OK && sgp_cursor_read_u8(c, &b) == SGP_OK && b == ':',
        SGP_ERR_FLOW_FIELD);
    gap = 0;
  }
  while (sgp_cursor_left(c) > 0) {
    /* A trailing dotted IPv4 takes the last two groups. */
    size_t left = sgp_cursor_left(c);
    unsigned hexd = 0;
    while (hexd < left && hexd < 5 && hexval(c->cdata[c->pos + hexd]) >= 0) hexd++;
    int dot = hexd < left && c->cdata[c->pos + hexd] == '.';
    if (dot) {
      uint32_t v4;
      SGP_ENSURE(ng + 2 <= 8, SGP_ERR_FLOW_FIELD);
      SGP_GUARD(parse_v4(c, &v4));
      groups[ng++] = (uint16_t)(v4 >> 16);
      groups[ng++] = (uint16_t)v4;
      break;
    }
    SGP_ENSURE(hexd >= 1 && hexd <= 4 && ng < 8, SGP_ERR_FLOW_FIELD);
    uint16_t g = 0;
    for (unsigned i = 0; i < hexd; i++) {
      uint8_t ch;
      SGP_ENSURE(sgp_cursor_read_u8(c, &ch) == SGP_OK, SGP_ERR_FLOW_FIELD);
      g = (uint16_t)(g << 4 | (uint16_t)hexval(ch));
    }
    groups[ng++] = g;
    if (sgp_cursor_left(c) == 0) break;
    uint8_t ch;
    SGP_ENSURE(sgp_cursor_read_u8(c, &ch) == SGP_OK && ch == ':', SGP_ERR_FLOW_FIELD);
    if (peek(c) == ':') {
      SGP_ENSURE(gap < 0, SGP_ERR_FLOW_FIELD);
      c->pos++;
      gap = (int)ng;
    } else {
      SGP_ENSURE(sgp_cursor_left(c) > 0, SGP_ERR_FLOW_FIELD); /* no trailing single ':' */
    }
  }
  SGP_ENSURE(gap >= 0 ? ng < 8 : ng == 8, SGP_ERR_FLOW_FIELD);
  memset(out, 0, 16);
  unsigned tail = gap >= 0 ? ng - (unsigned)gap : 0;
  for (unsigned i = 0; i < ng; i++) {
    size_t pos = (gap >= 0 && i >= (unsigned)gap) ? 8 - tail + (i - (unsigned)gap) : i;
    out[2 * pos] = (uint8_t)(groups[i] >> 8);
    out[2 * pos + 1] = (uint8_t)groups[i];
  }
  return SGP_OK;
}

sgp_err sgp_ip_parse(struct sgp_ip *ip, const char *s, size_t len) {
  SGP_ENSURE(ip != NULL && s != NULL && len > 0 && len <= 45, SGP_ERR_FLOW_FIELD);
  struct sgp_cursor c = sgp_cursor_reader((const uint8_t *)s, len);
  struct sgp_ip tmp;
  if (memchr(s, ':', len) != NULL) {
    SGP_GUARD(parse_v6(&c, tmp.b));
  } else {
    uint32_t v4;
    SGP_GUARD(parse_v4(&c, &v4));
    sgp_ip_from_v4(&tmp, v4);
  }
  SGP_ENSURE(sgp_cursor_left(&c) == 0, SGP_ERR_FLOW_FIELD);
  *ip = tmp;
  return SGP_OK;
}

void sgp_ip_format(const struct sgp_ip *ip, char *buf, size_t cap) {
  if (cap == 0) return;
  if (sgp_ip_is_v4(ip)) {
    (void)snprintf(buf, cap, "%u.%u.%u.%u", ip->b[12], ip->b[13], ip->b[14], ip->b[15]);
    return;
  }
  /* RFC 5952: lowercase, longest run (>= 2) of zero groups as "::". */
  size_t best = 0, best_len = 0;
  for (size_t i = 0; i < 8;) {
    size_t j = i;
    while (j < 8 && ip->b[2 * j] == 0 && ip->b[2 * j + 1] == 0) j++;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j > i ? j : i + 1;
  }
  if (best_len < 2) best_len = 0;
  size_t n = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < 8 && n < cap; i++) {
    if (best_len > 0 && i == best) {
      n += (size_t)snprintf(buf + n, cap - n, "::");
      i += best_len - 1;
      continue;
    }
    unsigned g = (unsigned)ip->b[2 * i] << 8 | ip->b[2 * i + 1];
    int sep = i > 0 && !(best_len > 0 && i == best + best_len);
    n += (size_t)snprintf(buf + n, cap - n, sep ? ":%x" : "%x", g);
  }
}
