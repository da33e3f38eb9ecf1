#include "testutil.h"

#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tu_keypair(uint32_t i, uint8_t pk[32], uint8_t sk[64]) {
  uint8_t seed[32] = {0};
  memcpy(seed, "sgp-test", 8);
  seed[8] = (uint8_t)(i >> 24);
  seed[9] = (uint8_t)(i >> 16);
  seed[10] = (uint8_t)(i >> 8);
  seed[11] = (uint8_t)i;
  crypto_sign_seed_keypair(pk, sk, seed);
}

void tu_cluster_init(struct tu_cluster *c, uint32_t n) {
  if (sodium_init() < 0) abort();
  c->n = n;
  c->pk = calloc(n, sizeof *c->pk);
  c->sk = calloc(n, sizeof *c->sk);
  if (!c->pk || !c->sk) abort();
  for (uint32_t i = 0; i < n; i++) tu_keypair(i, c->pk[i], c->sk[i]);
}

void tu_cluster_free(struct tu_cluster *c) {
  free(c->pk);
  sodium_memzero(c->sk, (size_t)c->n * sizeof *c->sk);
  free(c->sk);
}

struct sgp_state *tu_state_new(const struct tu_cluster *c, const struct sgp_params *p, uint32_t i,
                               uint32_t gen) {
  struct sgp_state *st = calloc(1, sizeof *st);
  size_t len = sgp_state_mem_size(p);
  void *mem = calloc(1, len);
  if (!st || !mem) abort();
  if (sgp_state_init(st, mem, len, p, i, gen, (const uint8_t(*)[32])c->pk, c->sk[i], NULL) !=
      SGP_OK)
    abort();
  return st;
}

void tu_state_free(struct sgp_state *st) {
  if (!st) return;
  free(st->mem);
  free(st);
}

void tu_report(sgp_report_msg *r, const uint8_t sk[64], uint32_t o, uint32_t gen, uint32_t seq,
               uint32_t susp, const uint32_t *row, size_t k) {
  memset(r, 0, sizeof *r);
  r->origin = o;
  r->generation = gen;
  r->seq = seq;
  r->suspicion = susp;
  r->sub_count = SGP_SUBSCORES;
  r->silent_count = (pb_size_t)k;
  for (size_t i = 0; i < k; i++) r->silent[i] = row[i];
  cr_assert_eq(sgp_report_sign(r, sk), SGP_OK);
}

void tu_delta(sgp_packet *p, uint32_t sender, const sgp_report_msg *rs, size_t k) {
  memset(p, 0, sizeof *p);
  p->version = SGP_PROTOCOL_VERSION;
  p->sender = sender;
  p->kind = sgp_v1_Kind_KIND_DELTA;
  for (size_t i = 0; i < k; i++) p->reports[i] = rs[i];
  p->reports_count = (pb_size_t)k;
}

char *tu_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long sz = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)sz + 1);
  if (!buf || fread(buf, 1, (size_t)sz, f) != (size_t)sz) abort();
  buf[sz] = 0;
  fclose(f);
  if (len) *len = (size_t)sz;
  return buf;
}

void tu_strip_code(char *s) {
  for (char *p = s; *p;) {
    if (p[0] == '/' && p[1] == '*') {
      char *end = strstr(p + 2, "*/");
      char *stop = end ? end + 2 : p + strlen(p);
      while (p < stop) *p++ = ' ';
    } else if (p[0] == '/' && p[1] == '/') {
      while (*p && *p != '\n') *p++ = ' ';
    } else if (*p == '"' || *p == '\'') {
      char q = *p;
      *p++ = ' ';
      while (*p && *p != q) {
        if (*p == '\\' && p[1]) *p++ = ' ';
        *p++ = ' ';
      }
      if (*p) *p++ = ' ';
    } else {
      p++;
    }
  }
}

int tu_is_ident(char c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

uint64_t tu_rand(uint64_t *s) {
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1DULL;
}

json_t *tu_json_load(const char *path) {
  json_error_t e;
  cr_assert(sodium_init() >= 0);
  json_t *root = json_load_file(path, 0, &e);
  cr_assert_not_null(root, "%s:%d: %s", path, e.line, e.text);
  return root;
}

const char *tu_json_str(const json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  cr_assert_not_null(s, "missing string %s", k);
  return s;
}

long long tu_json_num(const json_t *o, const char *k) {
  const json_t *v = json_object_get(o, k);
  cr_assert(json_is_integer(v), "missing integer %s", k);
  return json_integer_value(v);
}

size_t tu_json_unhex(const json_t *o, const char *k, uint8_t *out, size_t cap) {
  const char *s = tu_json_str(o, k);
  size_t len = 0;
  cr_assert_eq(sodium_hex2bin(out, cap, s, strlen(s), NULL, &len, NULL), 0, "bad hex %s", k);
  cr_assert_eq(len * 2, strlen(s));
  return len;
}

sgp_err tu_err_named(const char *name) {
  int found = 0;
  sgp_err e = sgp_err_from_name(name, &found);
  cr_assert(found, "unknown error name %s", name);
  return e;
}
