/* sgp-conformance: runs conformance vectors against a testee (see runner.h
 * and spec §13).
 *
 *   sgp-conformance --testee CMD [--vectors DIR] [--file NAME]...
 *       [--failure-list FILE] [--config FILE] [--junit FILE] [--json FILE]
 *       [--timeout-ms N] [--filter SUBSTRING] [--verbose]
 *
 * Test names: "<requirement IDs joined by ','>:<file>#<tcId>", for example
 * "SGP-WIRE-1,SGP-WIRE-25:codec#81"; the part after ':' is the test's key.
 * The failure list (as in protobuf's conformance suite) holds one key or
 * full name per line (comments: a line starting with '#', or " # ..." after
 * the entry): a listed test must fail, an unlisted
 * one must pass.  The config holds "disable PATTERN reason" lines (fnmatch
 * over the full name); disabled tests are skipped and reported with their
 * reason, as are tests the testee answers STATUS_UNSUPPORTED.  The summary
 * ends with "N passed, N failed"; the exit status is 1 on any unexpected
 * result (an unlisted failure or a listed pass), 2 on a usage error.
 */
#define _POSIX_C_SOURCE 200809L
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runner.h"

enum { MAX_LIST = 4096, MAX_FILES = 16 };

static const char *const DEFAULT_FILES[] = {"codec",     "merge",    "consensus",
                                            "transport", "fragment", "carrier"};

struct list {
  char *pat[MAX_LIST];
  char *why[MAX_LIST];
  int used[MAX_LIST];
  size_t n;
};

struct outcome {
  char *name, *file, *reqs, *msg;
  long long tc;
  enum { O_PASS, O_FAIL, O_XFAIL, O_XPASS, O_SKIP } kind;
  double secs;
};

static struct outcome *outs;
static size_t nouts, capouts;

void rn_fail(struct rn_result *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (r->status == RN_FAIL) { /* keep the first reason */
    va_end(ap);
    return;
  }
  r->status = RN_FAIL;
  /* The analyzer loses track of va_start through the early return above. */
  (void)vsnprintf(r->msg, sizeof r->msg, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
  va_end(ap);
}

int rn_exchange(struct rn_ctx *cx, struct rn_result *res) {
  char msg[256];
  if (rn_call(cx->t, cx->rq, cx->rp, msg, sizeof msg) != 0) {
    rn_fail(res, "%s", msg);
    return -1;
  }
  if (cx->rp->status == sgp_testee_v1_Status_STATUS_UNSUPPORTED) {
    res->status = RN_SKIP;
    (void)snprintf(res->msg, sizeof res->msg, "testee: operation unsupported");
    return -1;
  }
  if (cx->rp->status != sgp_testee_v1_Status_STATUS_OK) {
    rn_fail(res, "testee refused the request as malformed (%s)", cx->rp->error);
    return -1;
  }
  cx->rp->error[sizeof cx->rp->error - 1] = 0;
  return 0;
}

int rn_expect_err(struct rn_result *res, const char *got, const char *want, const char *what) {
  if (strcmp(got, want) == 0) return 1;
  rn_fail(res, "%s: got %s, want %s", what, got[0] ? got : "(none)", want);
  return 0;
}

int rn_expect_outcome(struct rn_result *res, const json_t *v, const char *what, size_t i,
                      const char *got_err, const char *got_counter) {
  const char *result = jx_str(v, "result");
  if (!result) {
    rn_fail(res, "bad vector: %s result", what);
    return -1;
  }
  if (strcmp(result, "valid") == 0) {
    if (strcmp(got_err, "SGP_OK") == 0) return 1;
    rn_fail(res, "%s %zu: got %s want SGP_OK", what, i, got_err);
    return -1;
  }
  const char *e = jx_str(v, "error"), *c = jx_str(v, "counter");
  if (!e || !c) {
    rn_fail(res, "bad vector: %s error", what);
    return -1;
  }
  if (strcmp(got_err, e) != 0) {
    rn_fail(res, "%s %zu: got %s want %s", what, i, got_err, e);
    return -1;
  }
  if (strcmp(got_counter, c) != 0) {
    rn_fail(res, "%s %zu: counter %s, want %s", what, i, got_counter, c);
    return -1;
  }
  return 0;
}

/* ---- lists ---------------------------------------------------------------------- */

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
    s[--n] = 0;
  return s;
}

/* Failure list: "KEY-or-NAME [# comment]"; config: "disable PATTERN reason". */
static int load_list(const char *path, struct list *l, int config) {
  FILE *f = fopen(path, "r");
  if (!f) {
    (void)fprintf(stderr, "sgp-conformance: cannot open %s\n", path);
    return -1;
  }
  char line[1024];
  int lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    if (!strchr(line, '\n') && !feof(f)) {
      (void)fprintf(stderr, "%s:%d: line too long\n", path, lineno);
      (void)fclose(f);
      return -1;
    }
    /* '#' also occurs in test keys: a comment starts at a line-leading '#' or at " #". */
    char *hash = config ? NULL : strstr(line, " #");
    if (!hash && !config) hash = strstr(line, "\t#");
    if (hash) *hash = 0;
    char *s = trim(line);
    if (!*s || *s == '#') continue;
    char *why = NULL;
    if (config) {
      if (strncmp(s, "disable ", 8) != 0) {
        (void)fprintf(stderr, "%s:%d: expected 'disable PATTERN reason'\n", path, lineno);
        (void)fclose(f);
        return -1;
      }
      s = trim(s + 8);
      char *sp = strpbrk(s, " \t");
      if (!sp || !*trim(sp + 1)) {
        (void)fprintf(stderr, "%s:%d: a disabled test needs a reason\n", path, lineno);
        (void)fclose(f);
        return -1;
      }
      *sp = 0;
      why = trim(sp + 1);
    }
    if (l->n == MAX_LIST) {
      (void)fprintf(stderr, "%s: more than %d entries\n", path, MAX_LIST);
      (void)fclose(f);
      return -1;
    }
    l->pat[l->n] = strdup(s);
    l->why[l->n] = why ? strdup(why) : NULL;
    l->n++;
  }
  (void)fclose(f);
  return 0;
}

static void free_list(struct list *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->pat[i]);
    free(l->why[i]);
  }
}

static const char *key_of(const char *name) {
  const char *c = strrchr(name, ':');
  return c ? c + 1 : name;
}

static long find_failure(struct list *l, const char *name) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->pat[i], name) == 0 || strcmp(l->pat[i], key_of(name)) == 0) return (long)i;
  return -1;
}

static const char *disabled(struct list *l, const char *name) {
  for (size_t i = 0; i < l->n; i++)
    if (fnmatch(l->pat[i], name, 0) == 0 || fnmatch(l->pat[i], key_of(name), 0) == 0) {
      l->used[i] = 1;
      return l->why[i];
    }
  return NULL;
}

/* ---- outcomes ----------------------------------------------------------------------- */

static void record(const char *name, const char *file, const char *reqs, long long tc, int kind,
                   const char *msg, double secs) {
  if (nouts == capouts) {
    capouts = capouts ? 2 * capouts : 256;
    outs = realloc(outs, capouts * sizeof *outs);
    if (!outs) abort();
  }
  struct outcome *o = &outs[nouts++];
  o->name = strdup(name);
  o->file = strdup(file);
  o->reqs = strdup(reqs);
  o->msg = strdup(msg ? msg : "");
  o->tc = tc;
  o->kind = kind;
  o->secs = secs;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void xml_escape(FILE *f, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '<')
      (void)fputs("&lt;", f);
    else if (c == '>')
      (void)fputs("&gt;", f);
    else if (c == '&')
      (void)fputs("&amp;", f);
    else if (c == '"')
      (void)fputs("&quot;", f);
    else if (c < 0x20 && c != '\t')
      (void)fputc(' ', f);
    else
      (void)fputc(c, f);
  }
}

static const char *KIND_NAMES[] = {"pass", "fail", "expected-failure", "unexpected-pass", "skip"};

static int write_junit(const char *path, double total) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  size_t fails = 0, skips = 0;
  for (size_t i = 0; i < nouts; i++) {
    fails += outs[i].kind == O_FAIL || outs[i].kind == O_XPASS;
    skips += outs[i].kind == O_SKIP || outs[i].kind == O_XFAIL;
  }
  (void)fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  (void)fprintf(
      f,
      "<testsuites name=\"sgp-conformance\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" "
      "time=\"%.3f\">\n",
      nouts, fails, skips, total);
  for (size_t i = 0; i < nouts;) {
    size_t j = i, sf = 0, ss = 0;
    double st = 0;
    for (; j < nouts && strcmp(outs[j].file, outs[i].file) == 0; j++) {
      sf += outs[j].kind == O_FAIL || outs[j].kind == O_XPASS;
      ss += outs[j].kind == O_SKIP || outs[j].kind == O_XFAIL;
      st += outs[j].secs;
    }
    (void)fprintf(f,
                  "  <testsuite name=\"%s\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" "
                  "time=\"%.3f\">\n",
                  outs[i].file, j - i, sf, ss, st);
    for (size_t k = i; k < j; k++) {
      const struct outcome *o = &outs[k];
      (void)fprintf(f, "    <testcase classname=\"sgp.conformance.%s\" name=\"", o->file);
      xml_escape(f, o->name);
      (void)fprintf(f, "\" time=\"%.4f\">", o->secs);
      if (o->kind == O_FAIL || o->kind == O_XPASS) {
        (void)fputs("<failure message=\"", f);
        xml_escape(f, o->kind == O_XPASS ? "listed in the failure list but passed" : o->msg);
        (void)fputs("\"/>", f);
      } else if (o->kind == O_SKIP || o->kind == O_XFAIL) {
        (void)fputs("<skipped message=\"", f);
        xml_escape(f, o->kind == O_XFAIL ? "expected failure (failure list)" : o->msg);
        (void)fputs("\"/>", f);
      }
      (void)fputs("<properties><property name=\"requirements\" value=\"", f);
      xml_escape(f, o->reqs);
      (void)fputs("\"/></properties></testcase>\n", f);
    }
    (void)fputs("  </testsuite>\n", f);
    i = j;
  }
  (void)fputs("</testsuites>\n", f);
  return fclose(f);
}

static int write_json(const char *path, const char *testee, const size_t *count, double total) {
  json_t *root = json_object(), *tests = json_array();
  json_object_set_new(root, "testee", json_string(testee));
  json_object_set_new(root, "seconds", json_real(total));
  const char *keys[] = {"passed", "failed", "expected_failures", "unexpected_passes", "skipped"};
  for (int k = 0; k < 5; k++)
    json_object_set_new(root, keys[k], json_integer((json_int_t)count[k]));
  for (size_t i = 0; i < nouts; i++) {
    const struct outcome *o = &outs[i];
    json_t *t = json_object(), *reqs = json_array();
    char *r = strdup(o->reqs), *save = NULL;
    for (char *p = strtok_r(r, ",", &save); p; p = strtok_r(NULL, ",", &save))
      json_array_append_new(reqs, json_string(p));
    free(r);
    json_object_set_new(t, "name", json_string(o->name));
    json_object_set_new(t, "file", json_string(o->file));
    json_object_set_new(t, "tcId", json_integer(o->tc));
    json_object_set_new(t, "requirements", reqs);
    json_object_set_new(t, "status", json_string(KIND_NAMES[o->kind]));
    if (o->msg[0]) json_object_set_new(t, "message", json_string(o->msg));
    json_array_append_new(tests, t);
  }
  json_object_set_new(root, "tests", tests);
  int rc = json_dump_file(root, path, JSON_INDENT(1)) == 0 ? 0 : -1;
  json_decref(root);
  return rc;
}

/* ---- running ------------------------------------------------------------------------- */

struct opts {
  const char *testee, *vectors, *failures, *config, *junit, *json, *filter;
  const char *files[MAX_FILES];
  int nfiles, timeout_ms, verbose;
};

static void reqs_of(const json_t *t, char *out, size_t cap) {
  const json_t *a = json_object_get(t, "reqs"), *v;
  size_t i, used = 0;
  out[0] = 0;
  json_array_foreach(a, i, v) {
    const char *s = json_string_value(v);
    if (!s) continue;
    int w = snprintf(out + used, cap - used, "%s%s", used ? "," : "", s);
    if (w < 0 || (size_t)w >= cap - used) break;
    used += (size_t)w;
  }
  if (!out[0]) (void)snprintf(out, cap, "SGP-UNCITED");
}

static void run_test(struct rn_ctx *cx, const struct opts *op, struct list *fl, struct list *cfg,
                     const char *file, const json_t *g, const json_t *t) {
  char reqs[512], name[700];
  reqs_of(t, reqs, sizeof reqs);
  const json_t *id = json_object_get(t, "tcId");
  long long tc = json_is_integer(id) ? json_integer_value(id) : -1;
  (void)snprintf(name, sizeof name, "%s:%s#%lld", reqs, file, tc);
  if (op->filter && !strstr(name, op->filter)) return;
  struct rn_result res = {RN_PASS, ""};
  double t0 = now_s();
  const char *why = disabled(cfg, name);
  rn_case_fn fn = rn_handler(json_string_value(json_object_get(g, "type")));
  if (why) {
    res.status = RN_SKIP;
    (void)snprintf(res.msg, sizeof res.msg, "disabled: %s", why);
  } else if (!fn) {
    rn_fail(&res, "no runner mapping for group type %s",
            json_string_value(json_object_get(g, "type")));
  } else if (tc < 0) {
    rn_fail(&res, "bad vector: tcId");
  } else {
    memset(cx->rq, 0, sizeof *cx->rq);
    fn(cx, g, t, &res);
  }
  double secs = now_s() - t0;
  long li = find_failure(fl, name);
  if (li >= 0) fl->used[li] = 1;
  int kind;
  if (res.status == RN_SKIP)
    kind = O_SKIP;
  else if (res.status == RN_FAIL)
    kind = li >= 0 ? O_XFAIL : O_FAIL;
  else
    kind = li >= 0 ? O_XPASS : O_PASS;
  record(name, file, reqs, tc, kind, res.msg, secs);
  if (kind == O_FAIL || kind == O_XPASS || op->verbose)
    (void)printf("%-16s %s%s%s\n", kind == O_PASS ? "PASS" : KIND_NAMES[kind], name,
                 res.msg[0] ? ": " : "",
                 kind == O_XPASS ? "listed as failing but passed" : res.msg);
}

static void run_file(struct rn_ctx *cx, const struct opts *op, struct list *fl, struct list *cfg,
                     const char *file) {
  char path[1024];
  (void)snprintf(path, sizeof path, "%s/%s.json", op->vectors, file);
  json_error_t e;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
  const json_t *groups = json_object_get(root, "testGroups"), *g, *t;
  if (!root || !json_is_array(groups)) {
    char msg[1400];
    (void)snprintf(msg, sizeof msg, "cannot load %s: %s", path, root ? "no testGroups" : e.text);
    record("SGP-CONF-1:load", file, "SGP-CONF-1", 0, O_FAIL, msg, 0);
    (void)printf("fail             %s: %s\n", file, msg);
    json_decref(root);
    return;
  }
  size_t i, j, seen = 0;
  json_array_foreach(groups, i, g) {
    json_array_foreach(json_object_get(g, "tests"), j, t) {
      run_test(cx, op, fl, cfg, file, g, t);
      seen++;
    }
  }
  const json_t *nt = json_object_get(root, "numberOfTests");
  if (!op->filter && (!json_is_integer(nt) || (size_t)json_integer_value(nt) != seen)) {
    record("SGP-CONF-1:count", file, "SGP-CONF-1", 0, O_FAIL,
           "numberOfTests differs from the tests in the file", 0);
    (void)printf("fail             %s: numberOfTests differs from the tests in the file\n", file);
  }
  json_decref(root);
}

static int usage(void) {
  (void)fprintf(stderr,
                "usage: sgp-conformance --testee CMD [--vectors DIR] [--file NAME]... "
                "[--failure-list FILE] [--config FILE] [--junit FILE] [--json FILE] "
                "[--timeout-ms N] [--filter SUBSTRING] [--verbose]\n");
  return 2;
}

int main(int argc, char **argv) {
  struct opts op = {0};
  op.vectors = SGP_VECTOR_DIR;
  op.timeout_ms = 5000;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
      op.verbose = 1;
      continue;
    }
    if (!v) return usage();
    i++;
    if (strcmp(a, "--testee") == 0)
      op.testee = v;
    else if (strcmp(a, "--vectors") == 0)
      op.vectors = v;
    else if (strcmp(a, "--failure-list") == 0)
      op.failures = v;
    else if (strcmp(a, "--config") == 0)
      op.config = v;
    else if (strcmp(a, "--junit") == 0)
      op.junit = v;
    else if (strcmp(a, "--json") == 0)
      op.json = v;
    else if (strcmp(a, "--filter") == 0)
      op.filter = v;
    else if (strcmp(a, "--timeout-ms") == 0)
      op.timeout_ms = (int)strtol(v, NULL, 10);
    else if (strcmp(a, "--file") == 0 && op.nfiles < MAX_FILES)
      op.files[op.nfiles++] = v;
    else
      return usage();
  }
  if (!op.testee || op.timeout_ms <= 0 || op.timeout_ms > 600000) return usage();
  if (op.nfiles == 0)
    for (size_t i = 0; i < sizeof DEFAULT_FILES / sizeof DEFAULT_FILES[0]; i++)
      op.files[op.nfiles++] = DEFAULT_FILES[i];

  static struct list fl, cfg;
  if ((op.failures && load_list(op.failures, &fl, 0) != 0) ||
      (op.config && load_list(op.config, &cfg, 1) != 0))
    return 2;
  double t0 = now_s();
  struct rn_ctx cx = {rn_testee_start(op.testee, op.timeout_ms), malloc(sizeof(rn_req)),
                      malloc(sizeof(rn_rep))};
  if (!cx.t || !cx.rq || !cx.rp) {
    (void)fprintf(stderr, "sgp-conformance: cannot start the testee\n");
    rn_testee_stop(cx.t);
    free(cx.rq);
    free(cx.rp);
    return 2;
  }
  /* Name the implementation (optional for a testee: an unsupported HELLO is fine). */
  char name[80] = "unnamed testee", msg[256];
  memset(cx.rq, 0, sizeof *cx.rq);
  cx.rq->op = sgp_testee_v1_Op_OP_HELLO;
  if (rn_call(cx.t, cx.rq, cx.rp, msg, sizeof msg) == 0 && cx.rp->name[0]) {
    cx.rp->name[sizeof cx.rp->name - 1] = 0;
    (void)snprintf(name, sizeof name, "%s", cx.rp->name);
  }
  (void)printf("sgp-conformance: testee \"%s\" (%s)\n", name, op.testee);
  for (int i = 0; i < op.nfiles; i++) run_file(&cx, &op, &fl, &cfg, op.files[i]);
  unsigned restarts = rn_testee_restarts(cx.t);
  rn_testee_stop(cx.t);
  double total = now_s() - t0;

  size_t count[5] = {0};
  for (size_t i = 0; i < nouts; i++) count[outs[i].kind]++;
  for (size_t i = 0; i < fl.n; i++)
    if (!fl.used[i]) (void)printf("note: failure list entry %s matched no test\n", fl.pat[i]);
  for (size_t i = 0; i < cfg.n; i++)
    if (!cfg.used[i]) (void)printf("note: disabled pattern %s matched no test\n", cfg.pat[i]);
  int io = 0;
  if (op.junit && write_junit(op.junit, total) != 0) io = 1;
  if (op.json && write_json(op.json, name, count, total) != 0) io = 1;
  if (io) (void)fprintf(stderr, "sgp-conformance: cannot write a report file\n");
  (void)printf(
      "%zu expected failures, %zu unexpected passes, %zu skipped, %u testee restarts, "
      "%.2f s\n",
      count[O_XFAIL], count[O_XPASS], count[O_SKIP], restarts, total);
  (void)printf("%zu passed, %zu failed\n", count[O_PASS] + count[O_XFAIL],
               count[O_FAIL] + count[O_XPASS]);
  for (size_t i = 0; i < nouts; i++) {
    free(outs[i].name);
    free(outs[i].file);
    free(outs[i].reqs);
    free(outs[i].msg);
  }
  free(outs);
  free(cx.rq);
  free(cx.rp);
  free_list(&fl);
  free_list(&cfg);
  return count[O_FAIL] + count[O_XPASS] > 0 || io ? 1 : 0;
}
