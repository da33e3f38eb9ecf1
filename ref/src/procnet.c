/* /proc/net text parsers (see procnet.h).  Pure: buffers in, values out. */
#include "sgp/procnet.h"

#include <string.h>

#include "sgp/cursor.h"

static int is_space(int ch) {
  return ch == ' ' || ch == '\t';
}

static void skip_spaces(struct sgp_cursor *c) {
  while (sgp_cursor_left(c) > 0 && is_space(c->cdata[c->pos])) c->pos++;
}

/* Next whitespace-delimited token (possibly empty at the end). */
static void token(struct sgp_cursor *c, const char **p, size_t *n) {
  skip_spaces(c);
  size_t start = c->pos;
  while (sgp_cursor_left(c) > 0 && !is_space(c->cdata[c->pos])) c->pos++;
  *p = (const char *)c->cdata + start;
  *n = c->pos - start;
}

static sgp_err dec_u64(const char *p, size_t n, uint64_t *out) {
  SGP_ENSURE(n > 0 && n <= 20, SGP_ERR_FLOW_FIELD);
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    SGP_ENSURE(p[i] >= '0' && p[i] <= '9', SGP_ERR_FLOW_FIELD);
    uint64_t d = (uint64_t)(p[i] - '0');
    SGP_ENSURE(v <= (UINT64_MAX - d) / 10u, SGP_ERR_FLOW_FIELD);
    v = v * 10u + d;
  }
  *out = v;
  return SGP_OK;
}

static sgp_err hex_u64(const char *p, size_t n, uint64_t *out) {
  SGP_ENSURE(n > 0 && n <= 16, SGP_ERR_FLOW_FIELD);
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    char ch = p[i];
    unsigned d;
    if (ch >= '0' && ch <= '9') {
      d = (unsigned)(ch - '0');
    } else if (ch >= 'A' && ch <= 'F') {
      d = (unsigned)(ch - 'A') + 10u;
    } else if (ch >= 'a' && ch <= 'f') {
      d = (unsigned)(ch - 'a') + 10u;
    } else {
      return SGP_ERR_FLOW_FIELD;
    }
    v = v << 4 | d;
  }
  *out = v;
  return SGP_OK;
}

static int check_text(const char *line, size_t len) {
  for (size_t i = 0; i < len; i++) {
    uint8_t ch = (uint8_t)line[i];
    if (!(ch == '\t' || (ch >= 0x20 && ch < 0x7f))) return 0;
  }
  return 1;
}

sgp_err sgp_procnet_dev_line(const char *line, size_t len, const char **name, size_t *name_len,
                             uint64_t *rx, uint64_t *tx) {
  SGP_ENSURE(line != NULL || len == 0, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(len <= SGP_PROCNET_LINE_MAX, SGP_ERR_TOO_LARGE);
  SGP_ENSURE(check_text(line, len), SGP_ERR_FLOW_BINARY);
  const char *colon = memchr(line, ':', len);
  SGP_ENSURE(colon != NULL, SGP_ERR_FLOW_COLUMNS);
  struct sgp_cursor nc = sgp_cursor_reader((const uint8_t *)line, (size_t)(colon - line));
  const char *np;
  size_t nn;
  token(&nc, &np, &nn);
  SGP_ENSURE(nn > 0 && sgp_cursor_left(&nc) == 0, SGP_ERR_FLOW_FIELD);
  size_t off = (size_t)(colon - line) + 1;
  struct sgp_cursor c = sgp_cursor_reader((const uint8_t *)line + off, len - off);
  uint64_t v[16];
  for (unsigned i = 0; i < 16; i++) {
    const char *p;
    size_t n;
    token(&c, &p, &n);
    SGP_ENSURE(n > 0, SGP_ERR_FLOW_COLUMNS);
    SGP_GUARD(dec_u64(p, n, &v[i]));
  }
  skip_spaces(&c);
  SGP_ENSURE(sgp_cursor_left(&c) == 0, SGP_ERR_FLOW_COLUMNS);
  *name = np;
  *name_len = nn;
  *rx = v[0];
  *tx = v[8];
  return SGP_OK;
}

/* Walk lines of a whole text; cb returns an error to stop. */
static sgp_err each_line(const char *buf, size_t len, size_t max,
                         sgp_err (*cb)(void *ctx, const char *line, size_t n, unsigned no),
                         void *ctx, unsigned *err_line) {
  /* A last line without '\n' was cut short (a short read): parse only the
   * complete lines, then report it rather than mis-read its last field. */
  if (len == 0) { /* both tables start with a header line: an empty text lacks it */
    if (err_line != NULL) *err_line = 1;
    return SGP_ERR_FLOW_HEADER;
  }
  size_t whole = len;
  while (whole > 0 && buf[whole - 1] != '\n') whole--;
  struct sgp_cursor c = sgp_cursor_reader((const uint8_t *)buf, whole);
  unsigned no = 0;
  while (sgp_cursor_left(&c) > 0) {
    const char *line;
    size_t n;
    sgp_err rc = sgp_cursor_read_line(&c, &line, &n, max, &no);
    if (rc != SGP_OK) { /* the line was not counted: it is number no + 1 */
      if (err_line != NULL) *err_line = no + 1;
      return rc == SGP_ERR_SYNTAX ? SGP_ERR_FLOW_BINARY : rc; /* SYNTAX: a NUL byte */
    }
    rc = cb(ctx, line, n, no);
    if (rc != SGP_OK) {
      if (err_line != NULL) *err_line = no;
      return rc;
    }
  }
  if (whole < len) {
    if (err_line != NULL) *err_line = no + 1;
    return SGP_ERR_TRUNCATED;
  }
  return SGP_OK;
}

struct dev_ctx {
  uint64_t rx, tx;
};

static sgp_err dev_cb(void *ctx, const char *line, size_t n, unsigned no) {
  struct dev_ctx *d = ctx;
  if (no == 1) {
    SGP_ENSURE(n >= 6 && memcmp(line, "Inter-", 6) == 0, SGP_ERR_FLOW_HEADER);
    return SGP_OK;
  }
  if (no == 2) {
    SGP_ENSURE(n >= 5 && memcmp(line, " face", 5) == 0, SGP_ERR_FLOW_HEADER);
    return SGP_OK;
  }
  const char *name;
  size_t nn;
  uint64_t rx, tx;
  SGP_GUARD(sgp_procnet_dev_line(line, n, &name, &nn, &rx, &tx));
  if (nn == 2 && memcmp(name, "lo", 2) == 0) return SGP_OK; /* loopback is not traffic */
  d->rx += rx;
  d->tx += tx;
  return SGP_OK;
}

sgp_err sgp_procnet_dev_text(const char *buf, size_t len, uint64_t *rx, uint64_t *tx,
                             unsigned *err_line) {
  SGP_ENSURE(rx != NULL && tx != NULL, SGP_ERR_INVALID_ARG);
  struct dev_ctx d = {0, 0};
  SGP_GUARD(each_line(buf, len, SGP_PROCNET_LINE_MAX, dev_cb, &d, err_line));
  *rx = d.rx;
  *tx = d.tx;
  return SGP_OK;
}

static int little_endian(void) {
  const uint16_t one = 1;
  uint8_t b;
  memcpy(&b, &one, 1);
  return b == 1;
}

/* "HEX:PORT" where HEX is 8 or 32 digits of 32-bit words in host order. */
static sgp_err parse_endpoint(const char *p, size_t n, int v6, struct sgp_ip *ip, uint16_t *port) {
  size_t hexlen = v6 ? 32u : 8u;
  SGP_ENSURE(n == hexlen + 5 && p[hexlen] == ':', SGP_ERR_FLOW_FIELD);
  uint8_t b[16];
  memset(b, 0, sizeof b);
  int le = little_endian();
  for (size_t w = 0; w < hexlen / 8; w++) {
    uint64_t word;
    SGP_GUARD(hex_u64(p + 8 * w, 8, &word));
    /* The kernel printed the word's in-memory bytes as a host-order u32. */
    for (unsigned k = 0; k < 4; k++) {
      unsigned shift = le ? 8 * k : 8 * (3 - k);
      b[4 * w + k] = (uint8_t)(word >> shift);
    }
  }
  uint64_t pv;
  SGP_GUARD(hex_u64(p + hexlen + 1, 4, &pv));
  if (v6) {
    memcpy(ip->b, b, 16);
  } else {
    sgp_ip_from_v4(ip, (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
  }
  *port = (uint16_t)pv;
  return SGP_OK;
}

int sgp_procnet_is_sock_header(const char *line, size_t len) {
  struct sgp_cursor c = sgp_cursor_reader((const uint8_t *)line, len);
  const char *p;
  size_t n;
  token(&c, &p, &n);
  return n == 2 && memcmp(p, "sl", 2) == 0;
}

sgp_err sgp_procnet_sock_line(const char *line, size_t len, int v6, struct sgp_sock *out) {
  SGP_ENSURE((line != NULL || len == 0) && out != NULL, SGP_ERR_INVALID_ARG);
  SGP_ENSURE(len <= SGP_PROCNET_LINE_MAX, SGP_ERR_TOO_LARGE);
  SGP_ENSURE(check_text(line, len), SGP_ERR_FLOW_BINARY);
  struct sgp_cursor c = sgp_cursor_reader((const uint8_t *)line, len);
  const char *tok[10];
  size_t tn[10];
  for (unsigned i = 0; i < 10; i++) {
    token(&c, &tok[i], &tn[i]);
    SGP_ENSURE(tn[i] > 0, SGP_ERR_FLOW_COLUMNS);
  }
  /* Further columns (ref, pointer, drops, timers) vary by protocol: ignored. */
  struct sgp_sock s;
  memset(&s, 0, sizeof s);
  SGP_ENSURE(tok[0][tn[0] - 1] == ':', SGP_ERR_FLOW_FIELD);
  uint64_t v;
  SGP_GUARD(dec_u64(tok[0], tn[0] - 1, &v));
  SGP_GUARD(parse_endpoint(tok[1], tn[1], v6, &s.local, &s.lport));
  SGP_GUARD(parse_endpoint(tok[2], tn[2], v6, &s.remote, &s.rport));
  SGP_ENSURE(tn[3] == 2, SGP_ERR_FLOW_FIELD);
  SGP_GUARD(hex_u64(tok[3], 2, &v));
  s.state = (uint8_t)v;
  SGP_GUARD(hex_u64(tok[6], tn[6], &v));
  SGP_ENSURE(v <= UINT32_MAX, SGP_ERR_FLOW_FIELD);
  s.retransmits = (uint32_t)v;
  SGP_GUARD(dec_u64(tok[7], tn[7], &v)); /* uid: checked, unused */
  SGP_GUARD(dec_u64(tok[9], tn[9], &s.inode));
  *out = s;
  return SGP_OK;
}

struct sock_ctx {
  int v6;
  void (*cb)(void *ctx, const struct sgp_sock *s);
  void *ctx;
};

static sgp_err sock_cb(void *ctx, const char *line, size_t n, unsigned no) {
  struct sock_ctx *k = ctx;
  if (no == 1) {
    SGP_ENSURE(sgp_procnet_is_sock_header(line, n), SGP_ERR_FLOW_HEADER);
    return SGP_OK;
  }
  struct sgp_sock s;
  SGP_GUARD(sgp_procnet_sock_line(line, n, k->v6, &s));
  k->cb(k->ctx, &s);
  return SGP_OK;
}

sgp_err sgp_procnet_sock_text(const char *buf, size_t len, int v6,
                              void (*cb)(void *ctx, const struct sgp_sock *s), void *ctx,
                              unsigned *err_line) {
  SGP_ENSURE(cb != NULL, SGP_ERR_INVALID_ARG);
  struct sock_ctx k = {v6, cb, ctx};
  return each_line(buf, len, SGP_PROCNET_LINE_MAX, sock_cb, &k, err_line);
}
