/* See vecjson.h. */
#include "vecjson.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void die(const char *what) {
  fprintf(stderr, "xportvec: %s\n", what);
  exit(1);
}

/* ---- randomness ------------------------------------------------------------ */

/* The seeded stream all values are drawn from. */
static struct {
  uint8_t key[32];
  uint64_t ctr;
} seed_rng;

static int tc_id = 0;
static int tc_count = 0;

void vec_begin(const char *seed) {
  memcpy(seed_rng.key, seed, 32);
  seed_rng.ctr = 0;
  tc_id = 0;
  tc_count = 0;
}

void draw(uint8_t *out, size_t len) {
  uint8_t nonce[12] = {0};
  for (int i = 0; i < 8; i++) nonce[4 + i] = (uint8_t)(seed_rng.ctr >> (8 * i));
  crypto_stream_chacha20_ietf(out, len, nonce, seed_rng.key);
  seed_rng.ctr++;
}

uint32_t draw32(void) {
  uint8_t b[4];
  draw(b, 4);
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* ---- JSON ------------------------------------------------------------------ */

json_t *hex(const uint8_t *p, size_t len) {
  char *s = malloc(2 * len + 1);
  if (!s) die("oom");
  sodium_bin2hex(s, 2 * len + 1, p, len);
  json_t *j = json_string(s);
  free(s);
  return j;
}

void put(json_t *o, const char *k, json_t *v) {
  if (!v || json_object_set_new(o, k, v) != 0) die("json");
}

void put_hex(json_t *o, const char *k, const uint8_t *p, size_t len) {
  put(o, k, hex(p, len));
}

void put_u32(json_t *o, const char *k, uint32_t v) {
  uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
  put_hex(o, k, b, 4);
}

void put_u64(json_t *o, const char *k, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (56 - 8 * i));
  put_hex(o, k, b, 8);
}

json_t *strs(const char *const *list) {
  json_t *a = json_array();
  for (; list && *list; list++) append(a, json_string(*list));
  return a;
}

void append(json_t *array, json_t *v) {
  if (!v || json_array_append_new(array, v) != 0) die("json");
}

json_t *vec_root(const char *algorithm, const char *schema, const char *const *header) {
  json_t *root = json_object();
  put(root, "algorithm", json_string(algorithm));
  put(root, "schema", json_string(schema));
  put(root, "generatorVersion", json_string("1"));
  put(root, "numberOfTests", json_integer(vec_count()));
  put(root, "header", strs(header));
  return root;
}

json_t *vec_roster(uint32_t n, const char *ka, const uint8_t (*a)[32], const char *kb,
                   const uint8_t (*b)[32]) {
  json_t *r = json_array();
  for (uint32_t i = 0; i < n; i++) {
    json_t *o = json_object();
    put(o, "node", json_integer(i));
    put_hex(o, ka, a[i], 32);
    put_hex(o, kb, b[i], 32);
    append(r, o);
  }
  return r;
}

json_t *new_test_flags(const char *comment, const char *result, const char *const *reqs,
                       const char *const *flags) {
  json_t *t = json_object();
  put(t, "tcId", json_integer(++tc_id));
  put(t, "comment", json_string(comment));
  put(t, "flags", strs(flags));
  put(t, "result", json_string(result));
  put(t, "reqs", strs(reqs));
  tc_count++;
  return t;
}

json_t *new_test(const char *comment, const char *result, const char *const *reqs) {
  return new_test_flags(comment, result, reqs, NULL);
}

int vec_count(void) {
  return tc_count;
}

void vec_write(json_t *root, const char *path) {
  char *text = json_dumps(root, JSON_INDENT(1));
  if (!text) die("json_dumps");
  FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
  if (!f) die("cannot open output");
  if (fputs(text, f) < 0 || fputc('\n', f) == EOF) die("write");
  if (f != stdout && fclose(f) != 0) die("close");
  free(text);
}
