/* sgp: the operator's command-line front end.  One subcommand so far:
 *
 *   sgp inspect --keylog FILE [--roster ROSTER] [--keylog FILE2 ...] CAPTURE
 *
 * decodes the inner gossip packets of a pcap/pcapng capture with the
 * session keys an sgpd wrote to its opt-in key log (`[node] keylog`,
 * SGP-NODE-20).  Pipeline and output: inspect.h; capture and key-log
 * parsing: capture.h, keylog.h (pure, fuzzed by fuzz/fuzz_inspect.c).
 *
 * One binary with subcommands (not sgp-inspect plus a dispatcher): the
 * issue names `sgp inspect`, one program needs no exec or PATH lookup, and
 * later subcommands share the file reading here.  The CMake target is
 * sgp-cli (the library already owns the name `sgp`); the program is `sgp`.
 *
 * Exit status: 0 when the capture was read to its end (bad packets are
 * counted and printed, not fatal); 1 for a capture that stops early (bad
 * file or record header) or an I/O error; 2 for usage errors, a bad roster
 * or a key log without any usable line.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture.h"
#include "inspect.h"
#include "keylog.h"
#include "sgp/limits.h"
#include "sgp/roster.h"

enum {
  CAPTURE_FILE_MAX = 512 * 1024 * 1024, /* bytes read from a capture */
  KEYLOG_FILE_MAX = 16 * 1024 * 1024,
  KEYLOG_KEYS_MAX = 65536, /* two per session line */
  KEYLOG_FILES_MAX = 8,
  EXIT_USAGE = 2,
};

/* Whole regular file, at most max bytes (a larger file is refused, not cut). */
static uint8_t *read_file(const char *path, size_t max, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    (void)fprintf(stderr, "sgp inspect: %s: %s\n", path, strerror(errno));
    return NULL;
  }
  struct stat st;
  uint8_t *buf = NULL;
  const char *why = NULL;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    why = "not a regular file";
  } else if ((uint64_t)st.st_size > max) {
    why = "file too large";
  } else if ((buf = malloc((size_t)st.st_size + 1u)) == NULL) {
    why = "out of memory";
  } else if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
    why = "short read";
  }
  (void)fclose(f);
  if (why != NULL) {
    (void)fprintf(stderr, "sgp inspect: %s: %s\n", path, why);
    free(buf);
    return NULL;
  }
  *len = (size_t)st.st_size;
  return buf;
}

struct roster_mem {
  struct sgp_roster r;
  uint8_t (*sign_pk)[32];
  uint8_t (*dh_pk)[32];
  struct sgp_addr *addr;
};

static void roster_free(struct roster_mem *m) {
  free(m->sign_pk);
  free(m->dh_pk);
  free(m->addr);
}

static int load_roster(const char *path, struct roster_mem *m) {
  memset(m, 0, sizeof *m);
  size_t len = 0;
  uint8_t *text = read_file(path, SGP_MAX_ROSTERFILE, &len);
  uint32_t *scratch = calloc(SGP_MAX_NODES, sizeof *scratch);
  m->sign_pk = calloc(SGP_MAX_NODES, sizeof *m->sign_pk);
  m->dh_pk = calloc(SGP_MAX_NODES, sizeof *m->dh_pk);
  m->addr = calloc(SGP_MAX_NODES, sizeof *m->addr);
  int ok = 0;
  if (text != NULL && scratch != NULL && m->sign_pk != NULL && m->dh_pk != NULL &&
      m->addr != NULL) {
    m->r.cap = SGP_MAX_NODES;
    m->r.sign_pk = m->sign_pk;
    m->r.dh_pk = m->dh_pk;
    m->r.addr = m->addr;
    unsigned line = 0;
    sgp_err e = sgp_roster_parse(&m->r, text, len, scratch, SGP_MAX_NODES, &line);
    if (e != SGP_OK) {
      (void)fprintf(stderr, "sgp inspect: %s:%u: %s: bad roster\n", path, line, sgp_err_name(e));
    } else {
      ok = 1;
    }
  }
  free(text);
  free(scratch);
  if (!ok) roster_free(m);
  return ok ? 0 : -1;
}

/* All key logs concatenated (one may hold both ends' lines). */
static uint8_t *read_keylogs(const char *const *paths, size_t count, size_t *len) {
  uint8_t *all = NULL;
  size_t total = 0;
  for (size_t i = 0; i < count; i++) {
    size_t n = 0;
    uint8_t *b = read_file(paths[i], KEYLOG_FILE_MAX, &n);
    uint8_t *na = b == NULL ? NULL : realloc(all, total + n + 1);
    if (na == NULL) {
      if (b != NULL) sodium_memzero(b, n);
      free(b);
      if (all != NULL) sodium_memzero(all, total);
      free(all);
      return NULL;
    }
    all = na;
    memcpy(all + total, b, n);
    total += n;
    if (n > 0 && b[n - 1] != '\n') all[total++] = '\n';
    sodium_memzero(b, n);
    free(b);
  }
  *len = total;
  return all;
}

static int usage(void) {
  (void)fprintf(stderr,
                "usage: sgp inspect --keylog FILE [--keylog FILE ...] [--roster ROSTER] CAPTURE\n");
  return EXIT_USAGE;
}

static int run_capture(struct sgpi_inspect *in, const uint8_t *cap_data, size_t cap_len) {
  struct sgpi_capture cap;
  enum sgpi_cap_err why = SGPI_CAP_OK;
  uint64_t skipped[SGPI_CAP_ERR_COUNT] = {0};
  uint64_t records = 0;
  sgp_err e = sgpi_capture_open(&cap, cap_data, cap_len, &why);
  int rc = 0;
  if (e != SGP_OK) {
    (void)fprintf(stderr, "sgp inspect: capture: %s (%s)\n", sgpi_cap_err_name(why),
                  sgp_err_name(e));
    return 1;
  }
  for (;;) {
    struct sgpi_record rec;
    int done = 0;
    e = sgpi_capture_next(&cap, &rec, &done, &why);
    if (e != SGP_OK) {
      (void)fprintf(stderr, "sgp inspect: capture stops after record %llu: %s (%s)\n",
                    (unsigned long long)records, sgpi_cap_err_name(why), sgp_err_name(e));
      skipped[why]++;
      rc = 1;
      break;
    }
    if (done) break;
    records++;
    struct sgpi_udp u;
    if (sgpi_udp_parse(rec.linktype, rec.data, rec.len, &u, &why) != SGP_OK) {
      skipped[why]++;
      continue;
    }
    sgpi_inspect_datagram(in, rec.ts_ns, &u);
  }
  (void)printf("summary: records=%llu", (unsigned long long)records);
  for (size_t i = 1; i < SGPI_CAP_ERR_COUNT; i++) {
    if (skipped[i] > 0) {
      (void)printf(" %s=%llu", sgpi_cap_err_name((enum sgpi_cap_err)i),
                   (unsigned long long)skipped[i]);
    }
  }
  (void)printf("\n");
  return rc;
}

static int inspect(int argc, char **argv) {
  const char *keylogs[KEYLOG_FILES_MAX];
  size_t nkeylogs = 0;
  const char *roster_path = NULL, *capture_path = NULL;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--keylog") == 0 && i + 1 < argc && nkeylogs < KEYLOG_FILES_MAX) {
      keylogs[nkeylogs++] = argv[++i];
    } else if (strcmp(argv[i], "--roster") == 0 && i + 1 < argc && roster_path == NULL) {
      roster_path = argv[++i];
    } else if (argv[i][0] != '-' && capture_path == NULL) {
      capture_path = argv[i];
    } else {
      return usage();
    }
  }
  if (nkeylogs == 0 || capture_path == NULL) return usage();

  struct roster_mem rm;
  memset(&rm, 0, sizeof rm);
  if (roster_path != NULL && load_roster(roster_path, &rm) != 0) return EXIT_USAGE;
  size_t kl_len = 0;
  uint8_t *kl_text = read_keylogs(keylogs, nkeylogs, &kl_len);
  struct sgpi_key *keys = calloc(KEYLOG_KEYS_MAX, sizeof *keys);
  struct sgpi_keylog kl;
  memset(&kl, 0, sizeof kl);
  int rc = EXIT_USAGE;
  if (kl_text != NULL && keys != NULL &&
      sgpi_keylog_parse(&kl, keys, KEYLOG_KEYS_MAX, kl_text, kl_len) == SGP_OK) {
    (void)printf("keylog: lines=%llu sessions=%llu keys=%zu", (unsigned long long)kl.lines,
                 (unsigned long long)kl.sessions, kl.count);
    for (size_t i = 1; i < SGPI_KL_ERR_COUNT; i++) {
      if (kl.errors[i] > 0) {
        (void)printf(" %s=%llu", sgpi_kl_err_name((enum sgpi_kl_err)i),
                     (unsigned long long)kl.errors[i]);
      }
    }
    (void)printf("\n");
    rc = 0;
  }
  if (kl_text != NULL) sodium_memzero(kl_text, kl_len);
  free(kl_text);

  size_t cap_len = 0;
  uint8_t *cap_data = rc == 0 ? read_file(capture_path, CAPTURE_FILE_MAX, &cap_len) : NULL;
  struct sgpi_inspect in;
  memset(&in, 0, sizeof in);
  if (rc == 0 && cap_data == NULL) rc = 1;
  if (rc == 0) {
    sgp_err e = sgpi_inspect_init(&in, &kl, roster_path != NULL ? &rm.r : NULL, stdout);
    if (e != SGP_OK) {
      (void)fprintf(stderr, "sgp inspect: %s\n", sgp_err_str(e));
      rc = 1;
    }
  }
  if (rc == 0) {
    rc = run_capture(&in, cap_data, cap_len);
    sgpi_inspect_summary(&in, stdout);
    sgpi_inspect_free(&in);
  }
  free(cap_data);
  if (keys != NULL) {
    sgpi_keylog_wipe(&kl);
    free(keys);
  }
  if (roster_path != NULL) roster_free(&rm);
  return rc;
}

int main(int argc, char **argv) {
  if (sodium_init() < 0) {
    (void)fprintf(stderr, "sgp: libsodium initialisation failed\n");
    return 1;
  }
  if (argc >= 2 && strcmp(argv[1], "inspect") == 0) return inspect(argc - 2, argv + 2);
  (void)fprintf(stderr, "usage: sgp inspect --keylog FILE [--roster ROSTER] CAPTURE\n");
  return EXIT_USAGE;
}
