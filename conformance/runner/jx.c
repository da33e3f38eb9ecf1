/* JSON accessors and packet/report conversion for the runner: every
 * accessor checks type, range and capacity and reports failure instead of
 * trusting the vector file. */
#include <stdio.h>
#include <string.h>

#include "runner.h"

int jx_u64(const json_t *o, const char *k, uint64_t *v) {
  const json_t *j = json_object_get(o, k);
  if (!json_is_integer(j) || json_integer_value(j) < 0) return -1;
  *v = (uint64_t)json_integer_value(j);
  return 0;
}

int jx_u32(const json_t *o, const char *k, uint32_t *v) {
  uint64_t x;
  if (jx_u64(o, k, &x) != 0 || x > UINT32_MAX) return -1;
  *v = (uint32_t)x;
  return 0;
}

const char *jx_str(const json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static int nib(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int jx_hexs(const json_t *s, uint8_t *out, size_t cap, size_t *len) {
  const char *h = json_string_value(s);
  if (!h) return -1;
  size_t n = strlen(h);
  if (n % 2 != 0 || n / 2 > cap) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    int a = nib(h[2 * i]), b = nib(h[2 * i + 1]);
    if (a < 0 || b < 0) return -1;
    out[i] = (uint8_t)(a << 4 | b);
  }
  *len = n / 2;
  return 0;
}

int jx_hex(const json_t *o, const char *k, uint8_t *out, size_t cap, size_t *len) {
  return jx_hexs(json_object_get(o, k), out, cap, len);
}

int jx_bytes(const json_t *o, const char *k, uint8_t *out, size_t cap, pb_size_t *size) {
  size_t len = 0;
  if (jx_hex(o, k, out, cap, &len) != 0) return -1;
  *size = (pb_size_t)len;
  return 0;
}

int jx_be(const json_t *o, const char *k, size_t nbytes, uint64_t *v) {
  uint8_t b[8];
  size_t len = 0;
  if (nbytes > 8 || jx_hex(o, k, b, sizeof b, &len) != 0 || len != nbytes) return -1;
  *v = 0;
  for (size_t i = 0; i < len; i++) *v = *v << 8 | b[i];
  return 0;
}

static int u32_list(const json_t *a, uint32_t *out, size_t cap, pb_size_t *count) {
  if (!json_is_array(a) || json_array_size(a) > cap) return -1;
  size_t i;
  const json_t *v;
  json_array_foreach(a, i, v) {
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX)
      return -1;
    out[i] = (uint32_t)json_integer_value(v);
  }
  *count = (pb_size_t)json_array_size(a);
  return 0;
}

int jx_report(const json_t *o, sgp_v1_Report *r) {
  memset(r, 0, sizeof *r);
  if (jx_u32(o, "origin", &r->origin) || jx_u32(o, "generation", &r->generation) ||
      jx_u32(o, "seq", &r->seq) || jx_u32(o, "suspicion", &r->suspicion) ||
      u32_list(json_object_get(o, "sub"), r->sub, 5, &r->sub_count) ||
      u32_list(json_object_get(o, "silent"), r->silent, 64, &r->silent_count))
    return -1;
  return JX_BYTES(o, "sig", r->sig);
}

int jx_packet(const json_t *o, sgp_v1_Packet *p) {
  uint32_t kind;
  memset(p, 0, sizeof *p);
  if (jx_u32(o, "version", &p->version) || jx_u32(o, "sender", &p->sender) ||
      jx_u32(o, "kind", &kind))
    return -1;
  p->kind = (sgp_v1_Kind)kind;
  const json_t *d = json_object_get(o, "digest"), *rs = json_object_get(o, "reports"), *v;
  size_t i;
  if (!json_is_array(d) || !json_is_array(rs) || json_array_size(d) > 16384 ||
      json_array_size(rs) > 1024)
    return -1;
  json_array_foreach(d, i, v) {
    sgp_v1_Version *e = &p->digest[i];
    if (jx_u32(v, "origin", &e->origin) || jx_u32(v, "generation", &e->generation) ||
        jx_u32(v, "seq", &e->seq) || jx_be(v, "tag", 8, &e->tag))
      return -1;
  }
  p->digest_count = (pb_size_t)json_array_size(d);
  json_array_foreach(rs, i, v) {
    if (jx_report(v, &p->reports[i]) != 0) return -1;
  }
  p->reports_count = (pb_size_t)json_array_size(rs);
  return 0;
}

const char *rn_report_diff(const sgp_v1_Report *a, const sgp_v1_Report *b) {
  if (a->origin != b->origin) return "report origin";
  if (a->generation != b->generation) return "report generation";
  if (a->seq != b->seq) return "report seq";
  if (a->suspicion != b->suspicion) return "report suspicion";
  if (a->sub_count != b->sub_count || memcmp(a->sub, b->sub, a->sub_count * sizeof a->sub[0]) != 0)
    return "report sub";
  if (a->silent_count != b->silent_count ||
      memcmp(a->silent, b->silent, a->silent_count * sizeof a->silent[0]) != 0)
    return "report silent";
  if (a->sig.size != b->sig.size || memcmp(a->sig.bytes, b->sig.bytes, a->sig.size) != 0)
    return "report sig";
  return NULL;
}

const char *rn_packet_diff(const sgp_v1_Packet *a, const sgp_v1_Packet *b) {
  if (a->version != b->version) return "version";
  if (a->sender != b->sender) return "sender";
  if (a->kind != b->kind) return "kind";
  if (a->digest_count != b->digest_count) return "digest count";
  for (pb_size_t i = 0; i < a->digest_count; i++) {
    const sgp_v1_Version *x = &a->digest[i], *y = &b->digest[i];
    if (x->origin != y->origin || x->generation != y->generation || x->seq != y->seq ||
        x->tag != y->tag)
      return "digest entry";
  }
  if (a->reports_count != b->reports_count) return "report count";
  for (pb_size_t i = 0; i < a->reports_count; i++) {
    const char *d = rn_report_diff(&a->reports[i], &b->reports[i]);
    if (d) return d;
  }
  return NULL;
}
