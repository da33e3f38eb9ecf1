/* Requirement tests on the library sources themselves (spec §3.1, §3.3,
 * §12.3): SGP-DATA-2, SGP-STATE-9, SGP-SEC-3.
 *
 * These properties (no floating point, no allocation) are not observable
 * through the API, so the test reads ref/src and ref/include (comments and
 * string literals removed) and looks for the forbidden tokens.  The
 * behavioural halves (memory sized at init, capacity errors) are tested in
 * test_req_params.c and below.
 */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sgp/roster.h"
#include "testutil.h"

TestSuite(req_static);

/* Calls fn(token, len, file) for every identifier or number token. */
static void scan_file(const char *path, const char *name,
                      void (*fn)(const char *, size_t, const char *)) {
  size_t len;
  char *text = tu_read_file(path, &len);
  cr_assert_not_null(text, "cannot read %s", path);
  tu_strip_code(text);
  for (char *p = text; *p;) {
    if (tu_is_ident(*p)) {
      char *start = p;
      /* pp-number: digits may be followed by '.', exponent signs, suffixes */
      if (*p >= '0' && *p <= '9') {
        while (tu_is_ident(*p) || *p == '.' ||
               ((*p == '+' || *p == '-') && (p[-1] == 'e' || p[-1] == 'E') &&
                !(start[0] == '0' && (start[1] == 'x' || start[1] == 'X'))))
          p++;
      } else {
        while (tu_is_ident(*p)) p++;
      }
      fn(start, (size_t)(p - start), name);
    } else if (*p == '.' && p[1] >= '0' && p[1] <= '9') {
      fn(p, 2, name); /* ".5" */
      p += 2;
    } else {
      p++;
    }
  }
  free(text);
}

static size_t scan_dir(const char *dir, const char *suffix,
                       void (*fn)(const char *, size_t, const char *)) {
  DIR *d = opendir(dir);
  cr_assert_not_null(d, "cannot open %s", dir);
  struct dirent *e;
  size_t files = 0;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name), k = strlen(suffix);
    if (n <= k || strcmp(e->d_name + n - k, suffix) != 0) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    scan_file(path, e->d_name, fn);
    files++;
  }
  closedir(d);
  return files;
}

static int tok_is(const char *t, size_t n, const char *word) {
  return strlen(word) == n && memcmp(t, word, n) == 0;
}

/* Violations found by the token callbacks, and the first one's text. */
static size_t violations;
static char first[256];

static void flag(const char *file, const char *what, const char *t, size_t n) {
  if (violations++ == 0) snprintf(first, sizeof first, "%s: %s %.*s", file, what, (int)n, t);
}

static void no_float(const char *t, size_t n, const char *file) {
  if (tok_is(t, n, "float") || tok_is(t, n, "double")) flag(file, "floating-point type", t, n);
  if (t[0] == '.' || (t[0] >= '0' && t[0] <= '9')) {
    int hex = n > 1 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X');
    int fp = 0;
    for (size_t i = 0; i < n; i++)
      if (t[i] == '.' || (!hex && (t[i] == 'e' || t[i] == 'E'))) fp = 1;
    if (fp) flag(file, "floating-point literal", t, n);
  }
  static const char *const libm[] = {"sqrt", "log2", "pow", "fabs", "floor", "ceil", "lround"};
  for (size_t i = 0; i < sizeof libm / sizeof libm[0]; i++)
    if (tok_is(t, n, libm[i])) flag(file, "libm call", t, n);
}

/* SGP-DATA-2: no floating point anywhere in the library: no float or double
 * type, no floating literal, no libm call, in ref/src and the public
 * headers; the schema has no float or double field. */
Test(req_static, data2_no_floating_point_in_the_library) {
  violations = 0;
  cr_assert_gt(scan_dir(SGP_SOURCE_DIR "/ref/src", ".c", no_float), 5);
  cr_assert_gt(scan_dir(SGP_SOURCE_DIR "/ref/include/sgp", ".h", no_float), 5);
  cr_assert_eq(violations, 0, "%s", first);
  size_t len;
  char *proto = tu_read_file(SGP_SOURCE_DIR "/proto/sgp.proto", &len);
  cr_assert_not_null(proto);
  tu_strip_code(proto);
  cr_assert_null(strstr(proto, "float"));
  cr_assert_null(strstr(proto, "double"));
  free(proto);
}

static void no_alloc(const char *t, size_t n, const char *file) {
  static const char *const banned[] = {"malloc",         "calloc",
                                       "realloc",        "reallocarray",
                                       "free",           "aligned_alloc",
                                       "posix_memalign", "memalign",
                                       "valloc",         "alloca",
                                       "strdup",         "strndup",
                                       "sodium_malloc",  "sodium_allocarray",
                                       "qsort",          "bsearch"};
  for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
    if (tok_is(t, n, banned[i])) flag(file, "allocator call", t, n);
}

/* SGP-STATE-9, SGP-SEC-3: the library never allocates: no allocator call
 * (nor qsort, which may allocate) in ref/src; every table lives in memory
 * the caller sized once, at start, from the spec limits. */
Test(req_static, state9_sec3_library_never_allocates) {
  violations = 0;
  cr_assert_gt(scan_dir(SGP_SOURCE_DIR "/ref/src", ".c", no_alloc), 5);
  cr_assert_eq(violations, 0, "%s", first);
}

/* The scanners themselves: they find what they look for in code, and
 * ignore it in comments and string literals. */
Test(req_static, scanners_find_violations_and_skip_comments) {
  char dir[] = "/tmp/sgp-req-static-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char path[4096];
  snprintf(path, sizeof path, "%s/bad.c", dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(
      "/* double malloc 1.5 */ // float free\n"
      "const char *s = \"double 2.0 calloc\"; char c = '.';\n"
      "int x = 0x1e5 + 10u;\n",
      f);
  fclose(f);
  violations = 0;
  scan_dir(dir, ".c", no_float);
  scan_dir(dir, ".c", no_alloc);
  cr_assert_eq(violations, 0, "%s", first);
  f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs("double a = 1.5; int b = 2e3; x = .5; y = sqrt(a); p = malloc(4); free(p);\n", f);
  fclose(f);
  violations = 0;
  scan_dir(dir, ".c", no_float);
  cr_assert_eq(violations, 5, "float scanner found %zu (%s)", violations, first);
  violations = 0;
  scan_dir(dir, ".c", no_alloc);
  cr_assert_eq(violations, 2, "alloc scanner found %zu (%s)", violations, first);
  unlink(path);
  rmdir(dir);
}

/* SGP-SEC-3: tables are bounded by the caller's capacity, fixed at start:
 * a roster with more node lines than that capacity is refused with
 * SGP_ERR_NO_SPACE at the first line that does not fit, never grown. */
Test(req_static, sec3_roster_table_is_bounded_by_its_capacity) {
  cr_assert(sodium_init() >= 0);
  char text[4096];
  size_t w = (size_t)snprintf(text, sizeof text, "sgp-roster v1\n");
  for (uint32_t i = 0; i < 3; i++) {
    uint8_t spk[32], sk[64], dpk[32], dsk[32] = {1, (uint8_t)(i + 1)};
    tu_keypair(i, spk, sk);
    cr_assert_eq(crypto_scalarmult_base(dpk, dsk), 0);
    struct sgp_addr a;
    memset(&a, 0, sizeof a);
    a.family = SGP_ADDR_V4;
    a.ip[0] = 10;
    a.ip[3] = (uint8_t)(i + 1);
    a.port = 7400;
    size_t len;
    cr_assert_eq(sgp_roster_line_format(i, spk, dpk, &a, text + w, sizeof text - w, &len), SGP_OK);
    w += len;
  }
  uint8_t spk[2][32], dpk[2][32];
  struct sgp_addr addr[2];
  uint32_t scratch[2];
  struct sgp_roster r = {.n = 0, .cap = 2, .sign_pk = spk, .dh_pk = dpk, .addr = addr};
  unsigned line = 0;
  cr_assert_eq(sgp_roster_parse(&r, (const uint8_t *)text, w, scratch, 2, &line), SGP_ERR_NO_SPACE);
  cr_assert_eq(line, 4);
  cr_assert_eq(r.n, 0);
  /* With room for three it parses. */
  uint8_t spk3[3][32], dpk3[3][32];
  struct sgp_addr addr3[3];
  uint32_t scratch3[3];
  struct sgp_roster r3 = {.n = 0, .cap = 3, .sign_pk = spk3, .dh_pk = dpk3, .addr = addr3};
  cr_assert_eq(sgp_roster_parse(&r3, (const uint8_t *)text, w, scratch3, 3, &line), SGP_OK);
  cr_assert_eq(r3.n, 3);
}
