/* sgp-keygen: create and check SGP secret key files and rosters.
 *
 *   sgp-keygen --node ID --out DIR [--addr ADDR] [--seed HEX]
 *       Writes DIR/node-ID.key (mode 0600, never overwrites) and prints
 *       the node's roster line.  Without --addr the address token is left
 *       off and must be appended before the line goes into a roster.
 *   sgp-keygen --check FILE [--addr ADDR] [--roster ROSTER]
 *       Loads a key file, refusing it if group/other have any access
 *       (SGP-KEY-8), and prints its roster line.  With --roster, also
 *       checks that the key matches the roster entry of its node (and
 *       takes the address from there unless --addr is given).
 *   sgp-keygen --roster FILE
 *       Validates a roster: prints "ok n=N", or "FILE:LINE: SGP_ERR_X: text".
 *
 * ADDR is a.b.c.d:port or [v6]:port in canonical form.  --seed (64 hex)
 * derives the keys deterministically from the seed and the node id: FOR
 * TESTS ONLY, anyone with the seed has every key derived from it.
 *
 * Exit status: 0 ok, 1 usage or I/O error, 2 the file was rejected.
 * The library does no I/O; this tool does it all (and is the only place
 * that reads OS randomness, via randombytes_buf).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sgp/keys.h"
#include "sgp/limits.h"
#include "sgp/roster.h"

enum {
  EXIT_USAGE = 1,
  EXIT_REJECTED = 2,
  KEYFILE_MAX = 64 * 1024,        /* comments included; real files are ~180 B */
  ROSTER_MAX = 256 * 1024 * 1024, /* far above 16384 lines of <= 257 B */
};

static void usage(void) {
  fputs(
      "usage: sgp-keygen --node ID --out DIR [--addr ADDR] [--seed HEX]\n"
      "       sgp-keygen --check FILE [--addr ADDR] [--roster ROSTER]\n"
      "       sgp-keygen --roster FILE\n"
      "ADDR: a.b.c.d:port or [v6]:port.  --seed HEX (64 hex digits) is for tests only.\n",
      stderr);
}

static void report(const char *file, unsigned line, sgp_err e) {
  if (line)
    fprintf(stderr, "%s:%u: %s: %s\n", file, line, sgp_err_name(e), sgp_err_str(e));
  else
    fprintf(stderr, "%s: %s: %s\n", file, sgp_err_name(e), sgp_err_str(e));
}

/* Reads the whole of fd into buf[0..cap); -1 (errno set) on error, -2 if
 * the file does not fit. */
static long read_all(int fd, uint8_t *buf, size_t cap, size_t *len) {
  size_t n = 0;
  for (;;) {
    if (n == cap) {
      uint8_t probe;
      ssize_t r = read(fd, &probe, 1);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return -1;
      if (r > 0) return -2;
      break;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    n += (size_t)r;
  }
  *len = n;
  return 0;
}

static int write_all(int fd, const char *p, size_t len) {
  while (len) {
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

static int print_line(const struct sgp_secret_key *k, const struct sgp_addr *addr) {
  char line[SGP_ROSTER_LINE_TEXT_MAX];
  size_t len;
  if (sgp_roster_line_format(k->node, k->sign_pk, k->dh_pk, addr, line, sizeof line, &len) !=
      SGP_OK) {
    fputs("sgp-keygen: cannot format the roster line\n", stderr);
    return EXIT_USAGE;
  }
  fputs(line, stdout);
  if (!addr) fputs("sgp-keygen: note: append the node's address to the line above\n", stderr);
  return 0;
}

static int parse_addr_arg(const char *s, struct sgp_addr *a) {
  sgp_err e = sgp_addr_parse(a, s, strlen(s));
  if (e == SGP_OK) return 0;
  fprintf(stderr, "sgp-keygen: --addr %s: %s: %s\n", s, sgp_err_name(e), sgp_err_str(e));
  return -1;
}

/* ---- --roster ------------------------------------------------------------ */

struct roster_store {
  struct sgp_roster r;
  uint32_t *scratch;
};

static void roster_free(struct roster_store *s) {
  free(s->r.sign_pk);
  free(s->r.dh_pk);
  free(s->r.addr);
  free(s->scratch);
}

/* Loads and validates a roster; 0, EXIT_USAGE or EXIT_REJECTED. */
static int roster_load(const char *path, struct roster_store *s) {
  memset(s, 0, sizeof *s);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "sgp-keygen: %s: %s\n", path, strerror(errno));
    return EXIT_USAGE;
  }
  struct stat st;
  size_t cap = 0, len = 0;
  uint8_t *buf = NULL;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= ROSTER_MAX) {
    cap = (size_t)st.st_size;
    buf = malloc(cap ? cap : 1);
  }
  long r = buf ? read_all(fd, buf, cap, &len) : -3;
  int saved = errno;
  close(fd);
  if (r != 0) {
    fprintf(stderr, "sgp-keygen: %s: %s\n", path,
            r == -1 ? strerror(saved) : "not a regular file, too large, or changed while read");
    free(buf);
    return EXIT_USAGE;
  }
  s->r.cap = SGP_MAX_NODES;
  s->r.sign_pk = calloc(SGP_MAX_NODES, sizeof *s->r.sign_pk);
  s->r.dh_pk = calloc(SGP_MAX_NODES, sizeof *s->r.dh_pk);
  s->r.addr = calloc(SGP_MAX_NODES, sizeof *s->r.addr);
  s->scratch = calloc(SGP_MAX_NODES, sizeof *s->scratch);
  if (!s->r.sign_pk || !s->r.dh_pk || !s->r.addr || !s->scratch) {
    fputs("sgp-keygen: out of memory\n", stderr);
    free(buf);
    return EXIT_USAGE;
  }
  unsigned line;
  sgp_err e = sgp_roster_parse(&s->r, buf, len, s->scratch, SGP_MAX_NODES, &line);
  free(buf);
  if (e != SGP_OK) {
    report(path, line, e);
    return EXIT_REJECTED;
  }
  return 0;
}

static int cmd_roster(const char *path) {
  struct roster_store s;
  int rc = roster_load(path, &s);
  if (rc == 0) printf("ok n=%u\n", (unsigned)s.r.n);
  roster_free(&s);
  return rc;
}

/* ---- --check ------------------------------------------------------------- */

static int load_key(const char *path, struct sgp_secret_key *k) {
  /* O_NOFOLLOW + fstat of the opened file: the mode checked is the mode of
   * the bytes read. */
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "sgp-keygen: %s: %s\n", path, strerror(errno));
    return EXIT_USAGE;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    fprintf(stderr, "sgp-keygen: %s: not a regular file\n", path);
    close(fd);
    return EXIT_USAGE;
  }
  sgp_err e = sgp_keyfile_mode_check((unsigned)st.st_mode);
  if (e != SGP_OK) {
    fprintf(stderr, "%s: %s: %s (mode %04o; chmod 600)\n", path, sgp_err_name(e), sgp_err_str(e),
            (unsigned)st.st_mode & 07777u);
    close(fd);
    return EXIT_REJECTED;
  }
  uint8_t buf[KEYFILE_MAX];
  size_t len = 0;
  long r = read_all(fd, buf, sizeof buf, &len);
  int saved = errno;
  close(fd);
  int rc = 0;
  if (r != 0) {
    fprintf(stderr, "sgp-keygen: %s: %s\n", path, r == -1 ? strerror(saved) : "file too large");
    rc = EXIT_USAGE;
  } else {
    unsigned line;
    e = sgp_secret_key_parse(k, buf, len, &line);
    if (e != SGP_OK) {
      report(path, line, e);
      rc = EXIT_REJECTED;
    }
  }
  sodium_memzero(buf, sizeof buf);
  return rc;
}

static int cmd_check(const char *path, const char *addr_arg, const char *roster_path) {
  struct sgp_secret_key k;
  struct sgp_addr addr, *ap = NULL;
  struct roster_store s;
  int rc;
  memset(&s, 0, sizeof s);
  if (addr_arg) {
    if (parse_addr_arg(addr_arg, &addr) != 0) return EXIT_USAGE;
    ap = &addr;
  }
  rc = load_key(path, &k);
  if (rc == 0 && roster_path) {
    rc = roster_load(roster_path, &s);
    if (rc == 0) {
      sgp_err e = sgp_roster_check_key(&s.r, &k);
      if (e != SGP_OK) {
        fprintf(stderr, "%s: node %u: %s: %s (roster %s)\n", path, (unsigned)k.node,
                sgp_err_name(e), sgp_err_str(e), roster_path);
        rc = EXIT_REJECTED;
      } else if (!ap) {
        addr = s.r.addr[k.node];
        ap = &addr;
      }
    }
  }
  if (rc == 0) rc = print_line(&k, ap);
  sgp_secret_key_wipe(&k);
  roster_free(&s);
  return rc;
}

/* ---- key generation -------------------------------------------------------- */

/* Testing only: secret = BLAKE2b-256(key = seed, label || node_be32). */
static void derive(uint8_t out[32], const uint8_t seed[32], const char *label, uint32_t node) {
  uint8_t msg[64];
  size_t n = strlen(label);
  memcpy(msg, label, n);
  msg[n] = (uint8_t)(node >> 24);
  msg[n + 1] = (uint8_t)(node >> 16);
  msg[n + 2] = (uint8_t)(node >> 8);
  msg[n + 3] = (uint8_t)node;
  crypto_generichash(out, 32, msg, n + 4, seed, 32);
}

static int write_key_file(const char *dir, const struct sgp_secret_key *k) {
  char path[4096], text[SGP_SECRET_KEY_TEXT_MAX];
  size_t len;
  int n = snprintf(path, sizeof path, "%s/node-%u.key", dir, (unsigned)k->node);
  if (n < 0 || (size_t)n >= sizeof path) {
    fputs("sgp-keygen: --out path too long\n", stderr);
    return EXIT_USAGE;
  }
  if (sgp_secret_key_format(k, text, sizeof text, &len) != SGP_OK) {
    fputs("sgp-keygen: cannot format the key file\n", stderr);
    return EXIT_USAGE;
  }
  int rc = 0;
  int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    fprintf(stderr, "sgp-keygen: %s: %s%s\n", path, strerror(errno),
            errno == EEXIST ? " (refusing to overwrite a key)" : "");
    rc = EXIT_USAGE;
  } else {
    /* The umask can only remove bits; fchmod makes the mode exact. */
    if (fchmod(fd, 0600) != 0 || write_all(fd, text, len) != 0 || fsync(fd) != 0) {
      fprintf(stderr, "sgp-keygen: %s: %s\n", path, strerror(errno));
      rc = EXIT_USAGE;
    }
    if (close(fd) != 0 && rc == 0) {
      fprintf(stderr, "sgp-keygen: %s: %s\n", path, strerror(errno));
      rc = EXIT_USAGE;
    }
    if (rc != 0) unlink(path); /* never leave a truncated key behind */
  }
  if (rc == 0) {
    /* Make the new directory entry durable too. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      (void)fsync(dfd);
      close(dfd);
    }
  }
  sodium_memzero(text, sizeof text);
  return rc;
}

static int cmd_keygen(const char *node_arg, const char *dir, const char *addr_arg,
                      const char *seed_arg) {
  struct sgp_token t = {node_arg, strlen(node_arg)};
  struct sgp_addr addr, *ap = NULL;
  uint32_t node;
  uint8_t seed[32], sign_seed[32], dh[32];
  struct sgp_secret_key k;
  if (sgp_text_decimal(&t, 0, SGP_MAX_NODES - 1, &node) != SGP_OK) {
    fprintf(stderr, "sgp-keygen: --node %s: not an id in 0..%u\n", node_arg,
            (unsigned)SGP_MAX_NODES - 1);
    return EXIT_USAGE;
  }
  if (addr_arg) {
    if (parse_addr_arg(addr_arg, &addr) != 0) return EXIT_USAGE;
    ap = &addr;
  }
  if (seed_arg) {
    struct sgp_token st = {seed_arg, strlen(seed_arg)};
    if (sgp_text_hex32(&st, seed) != SGP_OK) {
      fputs("sgp-keygen: --seed: need 64 lowercase hex digits\n", stderr);
      return EXIT_USAGE;
    }
    derive(sign_seed, seed, "sgp-keygen/sign-seed", node);
    derive(dh, seed, "sgp-keygen/dh-secret", node);
    sodium_memzero(seed, sizeof seed);
    fputs("sgp-keygen: warning: --seed keys are deterministic, for tests only\n", stderr);
  } else {
    randombytes_buf(sign_seed, sizeof sign_seed);
    randombytes_buf(dh, sizeof dh);
  }
  sgp_err e = sgp_secret_key_from_seeds(&k, node, sign_seed, dh);
  sodium_memzero(sign_seed, sizeof sign_seed);
  sodium_memzero(dh, sizeof dh);
  if (e != SGP_OK) {
    fprintf(stderr, "sgp-keygen: %s: %s\n", sgp_err_name(e), sgp_err_str(e));
    return EXIT_USAGE;
  }
  int rc = write_key_file(dir, &k);
  if (rc == 0) rc = print_line(&k, ap);
  sgp_secret_key_wipe(&k);
  return rc;
}

int main(int argc, char **argv) {
  const char *node = NULL, *out = NULL, *addr = NULL, *seed = NULL, *check = NULL, *roster = NULL;
  for (int i = 1; i < argc; i++) {
    const char **slot = NULL;
    if (strcmp(argv[i], "--node") == 0)
      slot = &node;
    else if (strcmp(argv[i], "--out") == 0)
      slot = &out;
    else if (strcmp(argv[i], "--addr") == 0)
      slot = &addr;
    else if (strcmp(argv[i], "--seed") == 0)
      slot = &seed;
    else if (strcmp(argv[i], "--check") == 0)
      slot = &check;
    else if (strcmp(argv[i], "--roster") == 0)
      slot = &roster;
    else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage();
      return 0;
    }
    if (!slot || *slot || i + 1 >= argc) {
      usage();
      return EXIT_USAGE;
    }
    *slot = argv[++i];
  }
  if (sodium_init() < 0) {
    fputs("sgp-keygen: sodium_init failed\n", stderr);
    return EXIT_USAGE;
  }
  int rc;
  if (node && out && !check && !roster) {
    rc = cmd_keygen(node, out, addr, seed);
  } else if (check && !node && !out && !seed) {
    rc = cmd_check(check, addr, roster);
  } else if (roster && !node && !out && !seed && !addr && !check) {
    rc = cmd_roster(roster);
  } else {
    usage();
    return EXIT_USAGE;
  }
  if (fflush(stdout) != 0 && rc == 0) {
    perror("sgp-keygen: stdout");
    rc = EXIT_USAGE;
  }
  return rc;
}
