/* Flow-log line parsers (see flowlog.h).  Every field is read through the
 * bounded cursor; a line is parsed into a scratch flow and only copied out
 * once every field is valid, so a rejected line changes no output. */
#include "sgp/flowlog.h"

#include <string.h>

#include "sgp/cursor.h"

struct field {
  const char *p;
  size_t len;
};

static int field_is(struct field f, const char *s) {
  size_t n = strlen(s);
  return f.len == n && memcmp(f.p, s, n) == 0;
}

/* Bounded substring search (memmem is not C11). */
static int contains(struct field f, const char *s) {
  size_t n = strlen(s);
  for (size_t i = 0; n <= f.len && i <= f.len - n; i++) {
    if (memcmp(f.p + i, s, n) == 0) return 1;
  }
  return 0;
}

void sgp_flowlog_init(struct sgp_flowlog *p, enum sgp_flowlog_format fmt) {
  memset(p, 0, sizeof *p);
  p->fmt = fmt;
  p->sep = fmt == SGP_FLOWLOG_ZEEK ? '\t' : ',';
  for (unsigned i = 0; i < SGP_COL_COUNT; i++) p->col[i] = -1;
  memcpy(p->unset, "-", 2);
  memcpy(p->empty, "(empty)", 8);
}

sgp_err sgp_flowlog_reject(struct sgp_flowlog *p, sgp_err why) {
  p->lineno++;
  p->skipped++;
  p->last_err = why;
  p->last_err_line = p->lineno;
  if (p->first_err == SGP_OK) {
    p->first_err = why;
    p->first_err_line = p->lineno;
  }
  return why;
}

/* Split at sep into at most SGP_FLOWLOG_COLS_MAX fields; *n = count, or
 * SGP_FLOWLOG_COLS_MAX + 1 if there are more. */
static void split(const char *line, size_t len, uint8_t sep, struct field *f, unsigned *n) {
  struct sgp_cursor c = sgp_cursor_reader((const uint8_t *)line, len);
  unsigned k = 0;
  size_t start = 0;
  for (;;) {
    uint8_t ch = 0;
    int end = sgp_cursor_read_u8(&c, &ch) != SGP_OK;
    if (end || ch == sep) {
      size_t stop = end ? c.pos : c.pos - 1;
      if (k == SGP_FLOWLOG_COLS_MAX) {
        *n = SGP_FLOWLOG_COLS_MAX + 1;
        return;
      }
      f[k].p = line + start;
      f[k].len = stop - start;
      k++;
      start = c.pos;
      if (end) break;
    }
  }
  *n = k;
}

/* ---- field parsers ---------------------------------------------------------- */

static sgp_err parse_u64(struct field f, uint64_t *out) {
  struct sgp_cursor c = sgp_cursor_reader((const uint8_t *)f.p, f.len);
  uint64_t v = 0;
  SGP_ENSURE(f.len > 0 && f.len <= 20, SGP_ERR_FLOW_FIELD);
  uint8_t ch;
  while (sgp_cursor_read_u8(&c, &ch) == SGP_OK) {
    SGP_ENSURE(ch >= '0' && ch <= '9', SGP_ERR_FLOW_FIELD);
    uint64_t d = (uint64_t)(ch - '0');
    SGP_ENSURE(v <= (UINT64_MAX - d) / 10u, SGP_ERR_FLOW_FIELD);
    v = v * 10u + d;
  }
  *out = v;
  return SGP_OK;
}

static int is_mark(struct field f, const char *mark) {
  return field_is(f, mark);
}

/* Optional count: unset/empty marker reads as 0. */
static sgp_err opt_u64(const struct sgp_flowlog *p, struct field f, uint64_t *out) {
  if (is_mark(f, p->unset) || is_mark(f, p->empty)) {
    *out = 0;
    return SGP_OK;
  }
  return parse_u64(f, out);
}

/* Seconds with up to 9 decimals into µs (extra digits truncated). */
static sgp_err parse_seconds(struct field f, uint64_t *us) {
  struct sgp_cursor c = sgp_cursor_reader((const uint8_t *)f.p, f.len);
  uint64_t sec = 0, frac = 0;
  unsigned idigits = 0, fdigits = 0;
  int dot = 0;
  uint8_t ch;
  while (sgp_cursor_read_u8(&c, &ch) == SGP_OK) {
    if (ch == '.' && !dot) {
      dot = 1;
      continue;
    }
    SGP_ENSURE(ch >= '0' && ch <= '9', SGP_ERR_FLOW_FIELD);
    if (!dot) {
      SGP_ENSURE(++idigits <= 12, SGP_ERR_FLOW_FIELD); /* < 31,700 years */
      sec = sec * 10u + (uint64_t)(ch - '0');
    } else {
      SGP_ENSURE(++fdigits <= 9, SGP_ERR_FLOW_FIELD);
      if (fdigits <= 6) frac = frac * 10u + (uint64_t)(ch - '0');
    }
  }
  SGP_ENSURE(idigits > 0 && (!dot || fdigits > 0), SGP_ERR_FLOW_FIELD);
  for (unsigned i = fdigits < 6 ? fdigits : 6; i < 6; i++) frac *= 10u;
  *us = sec * 1000000u + frac;
  return SGP_OK;
}

/* Port: decimal, 0xHEX (Argus ICMP type/code), or empty (ARP) -> 0. */
static sgp_err parse_port(struct field f, int allow_empty, uint16_t *out) {
  if (f.len == 0) {
    SGP_ENSURE(allow_empty, SGP_ERR_FLOW_FIELD);
    *out = 0;
    return SGP_OK;
  }
  uint64_t v = 0;
  if (f.len > 2 && f.p[0] == '0' && (f.p[1] == 'x' || f.p[1] == 'X')) {
    SGP_ENSURE(f.len <= 6, SGP_ERR_FLOW_FIELD);
    for (size_t i = 2; i < f.len; i++) {
      char ch = f.p[i];
      unsigned d;
      if (ch >= '0' && ch <= '9') {
        d = (unsigned)(ch - '0');
      } else if (ch >= 'a' && ch <= 'f') {
        d = (unsigned)(ch - 'a') + 10u;
      } else if (ch >= 'A' && ch <= 'F') {
        d = (unsigned)(ch - 'A') + 10u;
      } else {
        return SGP_ERR_FLOW_FIELD;
      }
      v = v << 4 | d;
    }
  } else {
    SGP_GUARD(parse_u64(f, &v));
    SGP_ENSURE(v <= 65535u, SGP_ERR_FLOW_FIELD);
  }
  *out = (uint16_t)v;
  return SGP_OK;
}

static sgp_err parse_proto(struct field f, uint8_t *out) {
  static const struct {
    const char *name;
    uint8_t num;
  } k[] = {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"ipv6-icmp", 58}, {"icmp6", 58}, {"igmp", 2}};
  SGP_ENSURE(f.len > 0, SGP_ERR_FLOW_FIELD);
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
    if (field_is(f, k[i].name)) {
      *out = k[i].num;
      return SGP_OK;
    }
  }
  *out = 0; /* other protocols (arp, llc, esp, unknown_transport ...) */
  return SGP_OK;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static sgp_err fixed_digits(const char *s, unsigned n, unsigned *out) {
  unsigned v = 0;
  for (unsigned i = 0; i < n; i++) {
    SGP_ENSURE(s[i] >= '0' && s[i] <= '9', SGP_ERR_FLOW_FIELD);
    v = v * 10u + (unsigned)(s[i] - '0');
  }
  *out = v;
  return SGP_OK;
}

/* "YYYY/MM/DD hh:mm:ss[.ffffff]" (UTC) into µs since the Unix epoch. */
static sgp_err parse_argus_time(struct field f, uint64_t *us) {
  SGP_ENSURE(f.len >= 19, SGP_ERR_FLOW_FIELD);
  const char *s = f.p;
  SGP_ENSURE(s[4] == '/' && s[7] == '/' && s[10] == ' ' && s[13] == ':' && s[16] == ':',
             SGP_ERR_FLOW_FIELD);
  unsigned y, mo, d, h, mi, sec;
  SGP_GUARD(fixed_digits(s, 4, &y));
  SGP_GUARD(fixed_digits(s + 5, 2, &mo));
  SGP_GUARD(fixed_digits(s + 8, 2, &d));
  SGP_GUARD(fixed_digits(s + 11, 2, &h));
  SGP_GUARD(fixed_digits(s + 14, 2, &mi));
  SGP_GUARD(fixed_digits(s + 17, 2, &sec));
  SGP_ENSURE(
      y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && sec <= 60,
      SGP_ERR_FLOW_FIELD);
  uint64_t frac = 0;
  if (f.len > 19) {
    struct field fr = {s + 19, f.len - 19};
    SGP_ENSURE(fr.p[0] == '.', SGP_ERR_FLOW_FIELD);
    fr.p++;
    fr.len--;
    SGP_ENSURE(fr.len >= 1 && fr.len <= 9, SGP_ERR_FLOW_FIELD);
    SGP_GUARD(parse_u64(fr, &frac));
    for (size_t i = fr.len; i < 6; i++) frac *= 10u;
    for (size_t i = 6; i < fr.len; i++) frac /= 10u;
  }
  int64_t days = days_from_civil((int64_t)y, mo, d);
  *us =
      ((uint64_t)days * 86400u + (uint64_t)h * 3600u + (uint64_t)mi * 60u + sec) * 1000000u + frac;
  return SGP_OK;
}

/* Zeek conn_state -> outcome (Zeek base/protocols/conn/main.zeek). */
static sgp_err zeek_state(struct field f, uint64_t resp_pkts, uint8_t *out) {
  static const char *const unanswered[] = {"S0", "RSTOS0", "SH"};
  static const char *const answered[] = {"S1", "SF", "S2", "S3", "RSTO", "RSTR", "RSTRH", "SHR"};
  if (field_is(f, "REJ")) {
    *out = SGP_FLOW_REJECTED;
    return SGP_OK;
  }
  for (size_t i = 0; i < sizeof unanswered / sizeof unanswered[0]; i++) {
    if (field_is(f, unanswered[i])) {
      *out = SGP_FLOW_UNANSWERED;
      return SGP_OK;
    }
  }
  for (size_t i = 0; i < sizeof answered / sizeof answered[0]; i++) {
    if (field_is(f, answered[i])) {
      *out = SGP_FLOW_ANSWERED;
      return SGP_OK;
    }
  }
  /* OTH: no SYN seen (mid-stream or ICMP); answered iff packets came back. */
  SGP_ENSURE(field_is(f, "OTH"), SGP_ERR_FLOW_FIELD);
  *out = resp_pkts > 0 ? SGP_FLOW_ANSWERED : SGP_FLOW_UNANSWERED;
  return SGP_OK;
}

static uint8_t label_of(struct field f) {
  if (contains(f, "Malicious") || contains(f, "Botnet")) return SGP_LABEL_MALICIOUS;
  if (contains(f, "Benign") || contains(f, "Normal")) return SGP_LABEL_BENIGN;
  if (contains(f, "Background")) return SGP_LABEL_BACKGROUND;
  return SGP_LABEL_NONE;
}

/* ---- headers ----------------------------------------------------------------- */

struct colname {
  const char *name;
  int8_t col;
  int8_t required;
};

static const struct colname k_zeek_cols[] = {
    {"ts", SGP_COL_TS, 1},
    {"id.orig_h", SGP_COL_SRC, 1},
    {"id.orig_p", SGP_COL_SPORT, 1},
    {"id.resp_h", SGP_COL_DST, 1},
    {"id.resp_p", SGP_COL_DPORT, 1},
    {"proto", SGP_COL_PROTO, 1},
    {"conn_state", SGP_COL_STATE, 1},
    {"duration", SGP_COL_DUR, 0},
    {"orig_bytes", SGP_COL_OBYTES, 0},
    {"resp_bytes", SGP_COL_RBYTES, 0},
    {"orig_pkts", SGP_COL_OPKTS, 0},
    {"resp_pkts", SGP_COL_RPKTS, 0},
    {"orig_ip_bytes", SGP_COL_OIPBYTES, 0},
    {"resp_ip_bytes", SGP_COL_RIPBYTES, 0},
    {"label", SGP_COL_LABEL, 0},
};

static const struct colname k_argus_cols[] = {
    {"StartTime", SGP_COL_TS, 1},      {"Dur", SGP_COL_DUR, 0},
    {"Proto", SGP_COL_PROTO, 1},       {"SrcAddr", SGP_COL_SRC, 1},
    {"Sport", SGP_COL_SPORT, 1},       {"Dir", SGP_COL_DIR, 1},
    {"DstAddr", SGP_COL_DST, 1},       {"Dport", SGP_COL_DPORT, 1},
    {"State", SGP_COL_STATE, 1},       {"TotPkts", SGP_COL_TOTPKTS, 0},
    {"TotBytes", SGP_COL_TOTBYTES, 1}, {"SrcBytes", SGP_COL_SRCBYTES, 1},
    {"Label", SGP_COL_LABEL, 0},
};

/* Map header names to columns; commits to p only if every required one is there. */
static sgp_err map_columns(struct sgp_flowlog *p, const struct field *f, unsigned n,
                           const struct colname *names, size_t nnames) {
  SGP_ENSURE(n >= 1 && n <= SGP_FLOWLOG_COLS_MAX, SGP_ERR_FLOW_HEADER);
  int8_t col[SGP_COL_COUNT];
  for (unsigned i = 0; i < SGP_COL_COUNT; i++) col[i] = -1;
  for (unsigned i = 0; i < n; i++) {
    for (size_t k = 0; k < nnames; k++) {
      if (field_is(f[i], names[k].name)) {
        SGP_ENSURE(col[names[k].col] < 0, SGP_ERR_FLOW_HEADER); /* duplicate column */
        col[names[k].col] = (int8_t)i;
      }
    }
  }
  for (size_t k = 0; k < nnames; k++) {
    SGP_ENSURE(!names[k].required || col[names[k].col] >= 0, SGP_ERR_FLOW_HEADER);
  }
  memcpy(p->col, col, sizeof col);
  p->ncols = n;
  p->have_header = 1;
  return SGP_OK;
}

/* "\xHH" or a single literal byte. */
static sgp_err parse_sep(struct field f, uint8_t *sep) {
  if (f.len == 1) {
    *sep = (uint8_t)f.p[0];
    return SGP_OK;
  }
  SGP_ENSURE(f.len == 4 && f.p[0] == '\\' && f.p[1] == 'x', SGP_ERR_FLOW_HEADER);
  uint16_t v;
  struct field hex = {f.p, 4};
  char buf[6] = {'0', 'x', f.p[2], f.p[3], 0, 0};
  hex.p = buf;
  SGP_ENSURE(parse_port(hex, 0, &v) == SGP_OK && v > 0 && v < 0x80 && v != '\n',
             SGP_ERR_FLOW_HEADER);
  *sep = (uint8_t)v;
  return SGP_OK;
}

static sgp_err zeek_directive(struct sgp_flowlog *p, const char *line, size_t len) {
  if (len >= 11 && memcmp(line, "#separator ", 11) == 0) {
    struct field f = {line + 11, len - 11};
    return parse_sep(f, &p->sep);
  }
  struct field f[SGP_FLOWLOG_COLS_MAX];
  unsigned n;
  split(line, len, p->sep, f, &n);
  if (n > SGP_FLOWLOG_COLS_MAX) return SGP_ERR_FLOW_HEADER;
  if (field_is(f[0], "#fields")) {
    return map_columns(p, f + 1, n - 1, k_zeek_cols, sizeof k_zeek_cols / sizeof k_zeek_cols[0]);
  }
  if (field_is(f[0], "#unset_field") || field_is(f[0], "#empty_field")) {
    SGP_ENSURE(n == 2 && f[1].len >= 1 && f[1].len <= SGP_FLOWLOG_MARK_MAX, SGP_ERR_FLOW_HEADER);
    char *dst = field_is(f[0], "#unset_field") ? p->unset : p->empty;
    memcpy(dst, f[1].p, f[1].len);
    dst[f[1].len] = '\0';
  }
  return SGP_OK; /* #set_separator, #path, #open, #close, #types: not needed */
}

/* ---- data lines ---------------------------------------------------------------- */

static struct field col_of(const struct sgp_flowlog *p, const struct field *f, int c) {
  struct field none = {"", 0};
  return p->col[c] >= 0 ? f[p->col[c]] : none;
}

static sgp_err zeek_flow(const struct sgp_flowlog *p, const struct field *f, struct sgp_flow *o) {
  SGP_GUARD(parse_seconds(col_of(p, f, SGP_COL_TS), &o->ts_us));
  struct field src = col_of(p, f, SGP_COL_SRC), dst = col_of(p, f, SGP_COL_DST);
  SGP_GUARD(sgp_ip_parse(&o->src, src.p, src.len));
  SGP_GUARD(sgp_ip_parse(&o->dst, dst.p, dst.len));
  SGP_GUARD(parse_port(col_of(p, f, SGP_COL_SPORT), 0, &o->sport));
  SGP_GUARD(parse_port(col_of(p, f, SGP_COL_DPORT), 0, &o->dport));
  SGP_GUARD(parse_proto(col_of(p, f, SGP_COL_PROTO), &o->proto));
  uint64_t v[6] = {0};
  static const int cols[6] = {SGP_COL_OBYTES, SGP_COL_RBYTES,   SGP_COL_OPKTS,
                              SGP_COL_RPKTS,  SGP_COL_OIPBYTES, SGP_COL_RIPBYTES};
  for (unsigned i = 0; i < 6; i++) {
    if (p->col[cols[i]] >= 0) SGP_GUARD(opt_u64(p, f[p->col[cols[i]]], &v[i]));
  }
  struct field dur = col_of(p, f, SGP_COL_DUR);
  if (p->col[SGP_COL_DUR] >= 0 && !is_mark(dur, p->unset) && !is_mark(dur, p->empty)) {
    SGP_GUARD(parse_seconds(dur, &o->dur_us));
  }
  int ip_bytes = p->col[SGP_COL_OIPBYTES] >= 0 && p->col[SGP_COL_RIPBYTES] >= 0;
  o->bytes_out = ip_bytes ? v[4] : v[0];
  o->bytes_in = ip_bytes ? v[5] : v[1];
  SGP_ENSURE(v[2] <= UINT32_MAX && v[3] <= UINT32_MAX, SGP_ERR_FLOW_FIELD);
  o->pkts_out = (uint32_t)v[2];
  o->pkts_in = (uint32_t)v[3];
  uint64_t resp_pkts = p->col[SGP_COL_RPKTS] >= 0 ? v[3] : v[5] + v[1];
  SGP_GUARD(zeek_state(col_of(p, f, SGP_COL_STATE), resp_pkts, &o->state));
  o->label = label_of(col_of(p, f, SGP_COL_LABEL));
  return SGP_OK;
}

/* Argus TCP state "SRC_DST" flags: nothing back is unanswered; a reset
 * back to a source that never acknowledged is a refusal. */
static sgp_err argus_state(struct field st, uint8_t proto, uint64_t back_bytes, uint8_t *out) {
  SGP_ENSURE(st.len > 0, SGP_ERR_FLOW_FIELD);
  if (proto == 6) {
    const char *us = memchr(st.p, '_', st.len);
    if (us != NULL) {
      struct field s = {st.p, (size_t)(us - st.p)};
      struct field d = {us + 1, st.len - s.len - 1};
      if (d.len == 0) {
        *out = SGP_FLOW_UNANSWERED;
      } else if (contains(d, "R") && !contains(s, "A")) {
        *out = SGP_FLOW_REJECTED;
      } else {
        *out = SGP_FLOW_ANSWERED;
      }
      return SGP_OK;
    }
  }
  if (field_is(st, "URP") || field_is(st, "URH") || field_is(st, "URN")) {
    *out = SGP_FLOW_REJECTED; /* ICMP unreachable came back */
    return SGP_OK;
  }
  *out = back_bytes > 0 ? SGP_FLOW_ANSWERED : SGP_FLOW_UNANSWERED;
  return SGP_OK;
}

static sgp_err argus_flow(const struct sgp_flowlog *p, const struct field *f, struct sgp_flow *o) {
  SGP_GUARD(parse_argus_time(col_of(p, f, SGP_COL_TS), &o->ts_us));
  if (p->col[SGP_COL_DUR] >= 0) SGP_GUARD(parse_seconds(f[p->col[SGP_COL_DUR]], &o->dur_us));
  SGP_GUARD(parse_proto(col_of(p, f, SGP_COL_PROTO), &o->proto));
  struct field src = col_of(p, f, SGP_COL_SRC), dst = col_of(p, f, SGP_COL_DST);
  SGP_GUARD(sgp_ip_parse(&o->src, src.p, src.len));
  SGP_GUARD(sgp_ip_parse(&o->dst, dst.p, dst.len));
  SGP_GUARD(parse_port(col_of(p, f, SGP_COL_SPORT), 1, &o->sport));
  SGP_GUARD(parse_port(col_of(p, f, SGP_COL_DPORT), 1, &o->dport));
  static const char *const dirs[] = {"->", "<-", "<->", "<?>", "?>", "<?", "who"};
  struct field dir = col_of(p, f, SGP_COL_DIR);
  /* Argus pads the marker with spaces ("  ->"); ignore them. */
  while (dir.len > 0 && dir.p[0] == ' ') {
    dir.p++;
    dir.len--;
  }
  while (dir.len > 0 && dir.p[dir.len - 1] == ' ') dir.len--;
  int ok = 0;
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) ok |= field_is(dir, dirs[i]);
  SGP_ENSURE(ok, SGP_ERR_FLOW_FIELD);
  uint64_t tot, srcb, pkts = 0;
  SGP_GUARD(parse_u64(col_of(p, f, SGP_COL_TOTBYTES), &tot));
  SGP_GUARD(parse_u64(col_of(p, f, SGP_COL_SRCBYTES), &srcb));
  SGP_ENSURE(srcb <= tot, SGP_ERR_FLOW_FIELD);
  if (p->col[SGP_COL_TOTPKTS] >= 0) SGP_GUARD(parse_u64(f[p->col[SGP_COL_TOTPKTS]], &pkts));
  SGP_ENSURE(pkts <= UINT32_MAX, SGP_ERR_FLOW_FIELD);
  o->bytes_out = srcb;
  o->bytes_in = tot - srcb;
  /* Packets are not split by direction: known only when nothing came back. */
  o->pkts_out = o->bytes_in == 0 ? (uint32_t)pkts : 0;
  o->pkts_in = 0;
  SGP_GUARD(argus_state(col_of(p, f, SGP_COL_STATE), o->proto, o->bytes_in, &o->state));
  o->label = label_of(col_of(p, f, SGP_COL_LABEL));
  return SGP_OK;
}

static sgp_err parse_line(struct sgp_flowlog *p, const char *line, size_t len, struct sgp_flow *out,
                          int *have) {
  if (len > 0 && line[len - 1] == '\r') len--; /* CRLF files */
  for (size_t i = 0; i < len; i++) {
    uint8_t ch = (uint8_t)line[i];
    SGP_ENSURE(ch == '\t' || (ch >= 0x20 && ch != 0x7f), SGP_ERR_FLOW_BINARY);
  }
  if (len == 0) return SGP_OK; /* blank line: nothing */
  if (p->fmt == SGP_FLOWLOG_ZEEK && line[0] == '#') return zeek_directive(p, line, len);
  struct field f[SGP_FLOWLOG_COLS_MAX];
  unsigned n;
  split(line, len, p->sep, f, &n);
  if (p->fmt == SGP_FLOWLOG_BINETFLOW && !p->have_header) {
    return map_columns(p, f, n, k_argus_cols, sizeof k_argus_cols / sizeof k_argus_cols[0]);
  }
  SGP_ENSURE(p->have_header, SGP_ERR_FLOW_HEADER);
  SGP_ENSURE(n == p->ncols, SGP_ERR_FLOW_COLUMNS);
  struct sgp_flow tmp;
  memset(&tmp, 0, sizeof tmp);
  SGP_GUARD(p->fmt == SGP_FLOWLOG_ZEEK ? zeek_flow(p, f, &tmp) : argus_flow(p, f, &tmp));
  *out = tmp;
  *have = 1;
  return SGP_OK;
}

sgp_err sgp_flowlog_line(struct sgp_flowlog *p, const char *line, size_t len, struct sgp_flow *out,
                         int *have) {
  SGP_ENSURE(p != NULL && out != NULL && have != NULL && (line != NULL || len == 0),
             SGP_ERR_INVALID_ARG);
  *have = 0;
  if (len > SGP_FLOWLOG_LINE_MAX) return sgp_flowlog_reject(p, SGP_ERR_TOO_LARGE);
  /* Header state is only committed by the helpers on success. */
  struct sgp_flowlog save = *p;
  sgp_err rc = parse_line(p, line, len, out, have);
  if (rc != SGP_OK) {
    *p = save;
    *have = 0;
    return sgp_flowlog_reject(p, rc);
  }
  p->lineno++;
  if (*have) p->flows++;
  return SGP_OK;
}
