/* Requirement tests on sgpd's sources (spec §11, §2.1, §12.1): SGP-NODE-5,
 * SGP-NODE-14 (the tick half), SGP-NODE-15, SGP-ID-6, SGP-SEC-6.
 *
 * SOURCE CHECKS, stated honestly: which clock feeds the protocol timers,
 * where the secret keys flow, which RNG the daemon hands the node and that
 * every exit path runs the wipe are properties of the code, not of any
 * output a test can observe from outside the process.  These tests read
 * ref/sgpd, ref/src and ref/include (comments and string literals removed)
 * and pin the code patterns a reviewer checked, so that a change to them
 * fails here and gets reviewed again.  A failure means "re-review", not
 * necessarily a bug.  The behavioural halves live elsewhere: SIGTERM ->
 * exit 0 (proc_rejoin), a failed generation write -> exit 1 (proc_genjump,
 * proc_genfile), the RNG-only-by-callback property of the library
 * (test_node), and sgp_secret_key_wipe below.
 */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sgp/keys.h"
#include "testutil.h"

TestSuite(req_node);

#define SRC SGP_SOURCE_DIR "/"

static char *code_of(const char *rel) {
  char path[1024];
  (void)snprintf(path, sizeof path, SRC "%s", rel);
  size_t len;
  char *t = tu_read_file(path, &len);
  cr_assert_not_null(t, "cannot read %s", path);
  tu_strip_code(t);
  return t;
}

/* Occurrences of identifier tok; with call=1 only those followed by '('. */
static size_t count_tok(const char *text, const char *tok, int call) {
  size_t n = 0, k = strlen(tok);
  for (const char *p = text; (p = strstr(p, tok)) != NULL; p += k) {
    if ((p > text && tu_is_ident(p[-1])) || tu_is_ident(p[k])) continue;
    const char *q = p + k;
    while (*q == ' ' || *q == '\t' || *q == '\n') q++;
    if (!call || *q == '(') n++;
  }
  return n;
}

/* Non-overlapping matches of the extended regex re. */
static size_t count_re(const char *text, const char *re) {
  regex_t r;
  cr_assert_eq(regcomp(&r, re, REG_EXTENDED), 0, "bad regex %s", re);
  size_t n = 0;
  regmatch_t m;
  for (const char *p = text; regexec(&r, p, 1, &m, p == text ? 0 : REG_NOTBOL) == 0;) {
    n++;
    p += m.rm_eo > m.rm_so ? m.rm_eo : m.rm_so + 1;
    if (*p == '\0') break;
  }
  regfree(&r);
  return n;
}

/* The body ("{ ... }") of the function definition `name(...) {` in text. */
static char *body_of(const char *text, const char *name) {
  char re[256];
  (void)snprintf(re, sizeof re, "(^|[^A-Za-z0-9_])%s\\([^;{}]*\\)[[:space:]]*\\{", name);
  regex_t r;
  cr_assert_eq(regcomp(&r, re, REG_EXTENDED), 0);
  regmatch_t m;
  int rc = regexec(&r, text, 1, &m, 0);
  regfree(&r);
  cr_assert_eq(rc, 0, "no definition of %s", name);
  const char *open = text + m.rm_eo - 1, *p = open;
  int depth = 0;
  do {
    if (*p == '{') depth++;
    if (*p == '}') depth--;
    p++;
  } while (depth > 0 && *p);
  cr_assert_eq(depth, 0, "unbalanced body of %s", name);
  size_t len = (size_t)(p - open);
  char *out = malloc(len + 1);
  cr_assert_not_null(out);
  memcpy(out, open, len);
  out[len] = '\0';
  return out;
}

/* All .c and .h files of dir (relative to the repo), concatenated. */
static char *code_of_dir(const char *rel) {
  char path[1024];
  (void)snprintf(path, sizeof path, SRC "%s", rel);
  DIR *d = opendir(path);
  cr_assert_not_null(d, "cannot open %s", path);
  size_t cap = 1, len = 0, files = 0;
  char *all = calloc(1, 1);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t nl = strlen(e->d_name);
    if (nl < 3 || e->d_name[nl - 2] != '.' ||
        (e->d_name[nl - 1] != 'c' && e->d_name[nl - 1] != 'h'))
      continue;
    char f[1024];
    (void)snprintf(f, sizeof f, "%s/%s", rel, e->d_name);
    char *t = code_of(f);
    size_t tl = strlen(t);
    char *grown = realloc(all, cap + tl + 1);
    cr_assert_not_null(grown);
    all = grown;
    memcpy(all + len, t, tl);
    len += tl;
    all[len++] = '\n';
    all[len] = '\0';
    cap += tl + 1;
    free(t);
    files++;
  }
  closedir(d);
  cr_assert_gt(files, 0, "no sources in %s", rel);
  return all;
}

static const char *const code_dirs[] = {"ref/sgpd", "ref/src", "ref/include/sgp"};
enum { NDIRS = sizeof code_dirs / sizeof code_dirs[0] };

Test(req_node, scanner_sees_code_not_comments) {
  char t[] =
      "/* exit(1) */ int a = time(0); // abort()\n const char *s = \"rand()\"; f(x);\n"
      "static int g(int y) { if (y) { return 1; } return 0; }";
  tu_strip_code(t);
  cr_assert_eq(count_tok(t, "exit", 1), 0);
  cr_assert_eq(count_tok(t, "abort", 1), 0);
  cr_assert_eq(count_tok(t, "rand", 1), 0);
  cr_assert_eq(count_tok(t, "time", 1), 1);
  cr_assert_eq(count_tok(t, "a", 0), 1);
  cr_assert_eq(count_re(t, "return [01];"), 2);
  char *b = body_of(t, "g");
  cr_assert_str_eq(b, "{ if (y) { return 1; } return 0; }");
  free(b);
}

/* SGP-NODE-5: the only clock read in sgpd and the library is sgpd_now_ms's
 * clock_gettime(CLOCK_MONOTONIC), which every protocol time comes from;
 * CLOCK_REALTIME is read once, in sgpd_log, for the ts= field.  No other
 * time source (time(), gettimeofday, file times, timers, sleeps) exists;
 * the library takes now_ms from its caller (source check). */
Test(req_node, node5_protocol_clock_is_monotonic) {
  char *loop = code_of("ref/sgpd/loop.c");
  char *now = body_of(loop, "sgpd_now_ms");
  cr_assert_eq(count_re(now, "clock_gettime\\(CLOCK_MONOTONIC, &ts\\)"), 1, "sgpd_now_ms: %s", now);
  char *logc = code_of("ref/sgpd/log.c");
  char *lg = body_of(logc, "sgpd_log");
  cr_assert_eq(count_re(lg, "clock_gettime\\(CLOCK_REALTIME, &ts\\)"), 1);
  /* ts feeds the ts= field only. */
  cr_assert_eq(count_re(lg, "ts\\.tv_"), 2);
  cr_assert_eq(count_re(lg,
                        "snprintf\\(line, sizeof line, [[:space:]]*,[[:space:]]*"
                        "\\(long long\\)ts\\.tv_sec,[[:space:]]*ts\\.tv_nsec / 1000000L,"),
               1);
  size_t clocks = 0, mono = 0, real = 0, now_calls = 0;
  static const char *const banned[] = {"time",     "gettimeofday", "clock",       "timespec_get",
                                       "ftime",    "localtime",    "localtime_r", "gmtime",
                                       "gmtime_r", "mktime",       "difftime",    "timerfd_create",
                                       "alarm",    "setitimer",    "nanosleep",   "clock_nanosleep",
                                       "sleep",    "usleep",       "times",       "getrusage"};
  static const char *const banned_fields[] = {"st_mtime",
                                              "st_mtim",
                                              "st_atime",
                                              "st_atim",
                                              "st_ctime",
                                              "st_ctim",
                                              "CLOCK_BOOTTIME",
                                              "CLOCK_TAI",
                                              "CLOCK_REALTIME_COARSE",
                                              "CLOCK_MONOTONIC_COARSE",
                                              "CLOCK_PROCESS_CPUTIME_ID"};
  for (size_t d = 0; d < NDIRS; d++) {
    char *all = code_of_dir(code_dirs[d]);
    clocks += count_tok(all, "clock_gettime", 1);
    mono += count_tok(all, "CLOCK_MONOTONIC", 0);
    real += count_tok(all, "CLOCK_REALTIME", 0);
    now_calls += count_tok(all, "sgpd_now_ms", 1);
    for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
      cr_expect_eq(count_tok(all, banned[i], 1), 0, "%s calls %s()", code_dirs[d], banned[i]);
    for (size_t i = 0; i < sizeof banned_fields / sizeof banned_fields[0]; i++)
      cr_expect_eq(count_tok(all, banned_fields[i], 0), 0, "%s uses %s", code_dirs[d],
                   banned_fields[i]);
    free(all);
  }
  cr_assert_eq(clocks, 2, "clock_gettime calls: %zu (want sgpd_now_ms + sgpd_log)", clocks);
  cr_assert_eq(mono, 1);
  cr_assert_eq(real, 1);
  cr_assert_gt(now_calls, 1, "protocol times come from sgpd_now_ms");
  free(now);
  free(lg);
  free(loop);
  free(logc);
}

/* SGP-NODE-15: every way out of sgpd after the key is loaded runs the wipe.
 * main() has one return after sgpd_init, right after sgpd_cleanup, which
 * destroys the node (sgp_node_destroy wipes its memory and its copies of the
 * secrets) and wipes sgpd's own key struct; nothing calls exit/abort; the
 * signals that end sgpd are blocked and read from a signalfd, so they end
 * the loop, not the process (SIGKILL cannot be caught by anyone).  Source
 * check, plus the wipe primitive itself. */
Test(req_node, node15_every_exit_path_wipes_secrets) {
  char *mainc = code_of("ref/sgpd/main.c");
  char *m = body_of(mainc, "main");
  const char *init = strstr(m, "sgpd_init(&d);");
  cr_assert_not_null(init);
  cr_assert_eq(count_tok(init, "return", 0), 1, "main: one return after sgpd_init");
  cr_assert_eq(count_re(init, "sgpd_cleanup\\(&d\\);[[:space:]]*return code;[[:space:]]*\\}$"), 1);
  cr_assert_eq(count_tok(init, "goto", 0), 0);
  /* start() (which loads the key) runs only after sgpd_init. */
  cr_assert_eq(count_tok(m, "start", 1), 1);
  cr_assert_not_null(strstr(init, "start(&d,"));
  char *cl = body_of(mainc, "sgpd_cleanup");
  cr_assert_eq(count_re(cl, "sgp_node_destroy\\(&d->node\\);"), 1);
  cr_assert_eq(count_re(cl, "sodium_memzero\\(&d->node, sizeof d->node\\);"), 1);
  cr_assert_eq(count_re(cl, "sgp_secret_key_wipe\\(&d->key\\);"), 1);
  cr_assert_eq(count_tok(cl, "return", 0), 0, "sgpd_cleanup runs to its end");
  /* sgpd's key copy goes right after node init; the key file text too. */
  char *sn = body_of(mainc, "start_node");
  cr_assert_eq(count_re(sn, "sgp_secret_key_wipe\\(&d->key\\);"), 1);
  char *files = code_of("ref/sgpd/files.c");
  char *lk = body_of(files, "sgpd_load_key");
  cr_assert_eq(count_re(lk, "sodium_memzero\\(text, sizeof text\\);"), 1);
  char *keys = code_of("ref/src/keys.c");
  char *kw = body_of(keys, "sgp_secret_key_wipe");
  cr_assert_eq(count_re(kw, "sodium_memzero\\(k, sizeof \\*k\\)"), 1);
  char *node = code_of("ref/src/node.c");
  char *nd = body_of(node, "sgp_node_destroy");
  cr_assert_eq(count_re(nd, "sgp_session_destroy\\(&nd->sessions\\);"), 1);
  cr_assert_eq(count_re(nd, "sodium_memzero\\(nd->mem, nd->mem_len\\);"), 1);
  cr_assert_eq(count_re(nd, "sodium_memzero\\(nd, sizeof \\*nd\\);"), 1);
  /* Signals: blocked + signalfd; no handler, no exit calls anywhere. */
  char *loop = code_of("ref/sgpd/loop.c");
  char *ls = body_of(loop, "sgpd_loop_setup");
  cr_assert_eq(count_re(ls, "sigaddset\\(&set, SIGTERM\\);"), 1);
  cr_assert_eq(count_re(ls, "sigaddset\\(&set, SIGINT\\);"), 1);
  cr_assert_eq(count_re(ls, "sigaddset\\(&set, SIGHUP\\);"), 1);
  cr_assert_eq(count_re(ls, "sigprocmask\\(SIG_BLOCK, &set, NULL\\)"), 1);
  cr_assert_eq(count_re(ls, "signalfd\\(-1, &set,"), 1);
  static const char *const exits[] = {"exit",  "_exit", "_Exit",     "abort",  "quick_exit",
                                      "raise", "kill",  "sigaction", "atexit", "longjmp"};
  for (size_t d = 0; d < NDIRS; d++) {
    char *all = code_of_dir(code_dirs[d]);
    for (size_t i = 0; i < sizeof exits / sizeof exits[0]; i++)
      cr_expect_eq(count_tok(all, exits[i], 1), 0, "%s calls %s()", code_dirs[d], exits[i]);
    cr_expect_eq(count_tok(all, "signal", 1), d == 0 ? 1 : 0, "only signal(SIGPIPE, SIG_IGN)");
    free(all);
  }
  cr_assert_eq(count_re(loop, "signal\\(SIGPIPE, SIG_IGN\\)"), 1);
  /* The primitive: a wiped key is all zero. */
  uint8_t seed[32], dh[32];
  memset(seed, 0x11, sizeof seed);
  memset(dh, 0x22, sizeof dh);
  struct sgp_secret_key k;
  cr_assert_eq(sgp_secret_key_from_seeds(&k, 3, seed, dh), SGP_OK);
  sgp_secret_key_wipe(&k);
  static const struct sgp_secret_key zero;
  cr_assert_eq(memcmp(&k, &zero, sizeof k), 0);
  free(m);
  free(cl);
  free(sn);
  free(lk);
  free(kw);
  free(nd);
  free(ls);
  free(mainc);
  free(files);
  free(keys);
  free(node);
  free(loop);
}

/* SGP-NODE-14 (the tick half; a failed generation write is proc_genjump):
 * a tick that fails (SGP_ERR_EXHAUSTED, SGP-TICK-6) makes sgp_node_poll
 * return an error and emit SGP_NODE_EV_FATAL; sgpd then leaves its loop with
 * SGPD_EXIT_RUNTIME (1).  Reaching seq 2^32 takes 2^32 rounds, so this is a
 * source check of sgpd's handling. */
Test(req_node, node14_failed_tick_ends_sgpd_nonzero) {
  char *loop = code_of("ref/sgpd/loop.c");
  char *run = body_of(loop, "sgpd_loop_run");
  cr_assert_eq(count_re(run,
                        "sgp_err e = sgp_node_poll\\(&d->node, now\\);[[:space:]]*"
                        "if \\(e != SGP_OK\\) d->fatal = 1;"),
               1);
  cr_assert_eq(count_re(run, "if \\(sgpd_after_node_call\\(d\\) != 0\\) return SGPD_EXIT_RUNTIME;"),
               1);
  cr_assert_eq(count_re(run, "if \\(d->fatal\\) return SGPD_EXIT_RUNTIME;"), 1);
  char *ev = body_of(loop, "sgpd_node_event");
  cr_assert_eq(count_re(ev, "case SGP_NODE_EV_FATAL:[[:space:]]*d->fatal = 1;"), 1);
  char *after = body_of(loop, "sgpd_after_node_call");
  cr_assert_eq(count_re(after, "if \\(d->fatal\\) return -1;"), 1);
  char *h = code_of("ref/sgpd/sgpd.h");
  cr_assert_eq(count_re(h, "SGPD_EXIT_RUNTIME = 1,"), 1);
  char *node = code_of("ref/src/node.c");
  char *rr = body_of(node, "run_round");
  cr_assert_eq(count_re(rr,
                        "sgp_err rc = sgp_state_tick\\(&nd->state\\);[[:space:]]*"
                        "if \\(rc != SGP_OK\\) \\{[[:space:]]*nd->fatal = rc;[^;]*"
                        "SGP_NODE_EV_FATAL[^;]*;[[:space:]]*emit_event\\(nd, &ev\\);"
                        "[[:space:]]*return rc;"),
               1);
  free(loop);
  free(run);
  free(ev);
  free(after);
  free(h);
  free(node);
  free(rr);
}

/* SGP-ID-6: the Ed25519 secret is used only to sign the node's own reports,
 * the X25519 secret only as the Noise static key.  Source check of the key's
 * path: sgpd never touches the secret fields (it parses the key, checks it
 * against the roster, hands it to sgp_node_init and wipes it); the node
 * copies sign_sk into its own buffer, which goes only to sgp_state_init
 * (kept as st->sk and used only by sgp_report_sign) and to the wipe, and
 * passes dh_sk only into the session config, where it becomes the Noise
 * static (the config's `s`) and derives its own public key. */
Test(req_node, id6_each_secret_key_has_one_use) {
  char *sgpd = code_of_dir("ref/sgpd");
  cr_assert_eq(count_tok(sgpd, "sign_sk", 0), 0);
  cr_assert_eq(count_tok(sgpd, "dh_sk", 0), 0);
  size_t uses = count_re(sgpd, "d->key([^_A-Za-z0-9]|$)");
  size_t allowed = count_re(sgpd, "sgp_secret_key_parse\\(&d->key, text, len, &line\\)") +
                   count_re(sgpd, "d->key\\.node") +
                   count_re(sgpd, "sgp_roster_check_key\\(&d->roster\\.r, &d->key\\)") +
                   count_re(sgpd, "nc\\.key = &d->key;") +
                   count_re(sgpd, "sgp_secret_key_wipe\\(&d->key\\)");
  cr_assert_eq(uses, allowed, "d->key used %zu times, %zu of them in a reviewed pattern", uses,
               allowed);
  cr_assert_eq(count_re(sgpd, "nc\\.key = &d->key;"), 1);
  /* nc (the config holding the key) goes only to the node. */
  char *mainc = code_of("ref/sgpd/main.c");
  char *sn = body_of(mainc, "start_node");
  size_t nc_passed = count_re(sn, "&nc([^A-Za-z0-9_.]|$)");
  size_t nc_to_node = count_re(sn, "memset\\(&nc, 0, sizeof nc\\)") +
                      count_re(sn, "sgp_node_mem_size\\(&nc\\)") +
                      count_re(sn, "sgp_node_init\\(&d->node, &nc,");
  cr_assert_eq(nc_passed, nc_to_node);
  char *node = code_of("ref/src/node.c");
  cr_assert_eq(count_tok(node, "sign_sk", 0), 6);
  cr_assert_eq(count_re(node, "memcpy\\(nd->sign_sk, c->key->sign_sk, sizeof nd->sign_sk\\);"), 1);
  cr_assert_eq(count_re(node,
                        "c->generation, \\(const uint8_t\\(\\*\\)\\[SGP_SIGN_PK_BYTES\\]\\)"
                        "c->roster->sign_pk,[[:space:]]*nd->sign_sk, &sgp_verifier_default\\)"),
               1);
  cr_assert_eq(count_re(node, "sodium_memzero\\(nd->sign_sk, sizeof nd->sign_sk\\);"), 1);
  cr_assert_eq(count_tok(node, "dh_sk", 0), 2);
  cr_assert_eq(count_re(node, "struct sgp_session_config sc = \\{[^}]*\\.dh_sk = c->key->dh_sk,"),
               1);
  char *state = code_of("ref/src/state.c");
  cr_assert_eq(count_re(state, "st->sk([^A-Za-z0-9_]|$)"), 2);
  cr_assert_eq(count_re(state, "st->sk = sk;"), 1);
  cr_assert_eq(count_re(state, "sgp_report_sign\\(&m, st->sk\\)"), 1);
  char *session = code_of("ref/src/session.c");
  cr_assert_eq(count_tok(session, "dh_sk", 0), 2);
  cr_assert_eq(count_re(session, "memcpy\\(s->s_sk, cfg->dh_sk, sizeof s->s_sk\\);"), 1);
  cr_assert_eq(count_tok(session, "s_sk", 0), 4);
  cr_assert_eq(count_re(session, "crypto_scalarmult_base\\(s->s_pk, s->s_sk\\)"), 1);
  cr_assert_eq(count_re(session, "c\\.s = s->s_sk;"), 1);
  free(sgpd);
  free(mainc);
  free(sn);
  free(node);
  free(state);
  free(session);
}

/* SGP-SEC-6: all randomness comes from libsodium's CSPRNG.  sgpd's RNG
 * callback (handed to the node, which hands it to every layer) is exactly
 * randombytes_buf, after sodium_init; the library and sgpd contain no other
 * random source (rand, random, drand48, getrandom, /dev/urandom, ...).  The
 * library's own draws all go through the injected callback (test_node). */
Test(req_node, sec6_sgpd_rng_is_randombytes_buf) {
  char *mainc = code_of("ref/sgpd/main.c");
  char *r = body_of(mainc, "rng");
  cr_assert_eq(count_re(r,
                        "^\\{[[:space:]]*\\(void\\)ctx;[[:space:]]*randombytes_buf\\(out, len\\);"
                        "[[:space:]]*\\}$"),
               1, "rng body: %s", r);
  cr_assert_eq(count_re(mainc, "static void rng\\(void \\*ctx, uint8_t \\*out, size_t len\\)"), 1);
  cr_assert_eq(count_re(mainc, "nc\\.rng = rng;"), 1);
  char *m = body_of(mainc, "main");
  const char *init = strstr(m, "sodium_init()");
  cr_assert_not_null(init);
  cr_assert_not_null(strstr(init, "start(&d,"), "sodium_init runs before the start");
  static const char *const banned[] = {"rand",
                                       "random",
                                       "srand",
                                       "srandom",
                                       "drand48",
                                       "lrand48",
                                       "mrand48",
                                       "erand48",
                                       "rand_r",
                                       "arc4random",
                                       "getrandom",
                                       "getentropy",
                                       "randombytes_random",
                                       "randombytes_buf_deterministic"};
  for (size_t d = 0; d < NDIRS; d++) {
    char *all = code_of_dir(code_dirs[d]);
    for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
      cr_expect_eq(count_tok(all, banned[i], 1), 0, "%s calls %s()", code_dirs[d], banned[i]);
    cr_expect_eq(count_tok(all, "randombytes_buf", 1), d == 0 ? 1 : 0);
    cr_expect_eq(count_tok(all, "randombytes_uniform", 1), 0);
    if (d == 0) cr_expect_eq(count_re(all, "rng[[:space:]]*=[^=]"), 1, "one rng assignment");
    free(all);
  }
  /* No device reads: checked on the raw text (string literals included). */
  for (size_t d = 0; d < NDIRS; d++) {
    char path[1024];
    (void)snprintf(path, sizeof path, SRC "%s", code_dirs[d]);
    DIR *dir = opendir(path);
    cr_assert_not_null(dir);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
      if (e->d_name[0] == '.') continue;
      char f[1300];
      (void)snprintf(f, sizeof f, "%s/%s", path, e->d_name);
      size_t len;
      char *t = tu_read_file(f, &len);
      if (t == NULL) continue;
      cr_expect_null(strstr(t, "/dev/urandom"), "%s", f);
      cr_expect_null(strstr(t, "/dev/random"), "%s", f);
      free(t);
    }
    closedir(dir);
  }
  free(r);
  free(m);
  free(mainc);
}
