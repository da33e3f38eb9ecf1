/* Requirement tests for identities and key files (spec §2.1, §2.3, §2.4):
 * SGP-ID-1..5, SGP-KEY-11, SGP-KEY-12, and the key parts of SGP-SEC-5.
 *
 * The fixed values are the spec's own examples (§2.3, §2.4): sign seeds
 * 00..1f / 40..5f and DH secrets 20..3f / 60..7f with the public keys printed
 * in the example roster.  SGP-ID-5 and SGP-KEY-12 run the sgp-keygen tool
 * that the build places next to this test executable.
 */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sgp/keys.h"
#include "sgp/roster.h"
#include "sgp/state.h"
#include "testutil.h"

static void setup(void) {
  cr_assert(sodium_init() >= 0);
}
TestSuite(req_keys, .init = setup);

/* ---- the spec's example keys ------------------------------------------- */

static const char *const SIGN_PK0 =
    "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
static const char *const DH_PK0 =
    "358072d6365880d1aeea329adf9121383851ed21a28e3b75e965d0d2cd166254";
static const char *const SIGN_PK1 =
    "2543b92ff1095511476adc8369db6ddc933665a11978dda1404ee1066ca9559d";
static const char *const DH_PK1 =
    "675dd574ed7789310b3d2e7681f3790b466c773b1521fecf36577958371ea52f";

static const char ROSTER_EXAMPLE[] =
    "sgp-roster v1\n"
    "# lab cluster, 2 nodes\n"
    "node 0 03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8 "
    "358072d6365880d1aeea329adf9121383851ed21a28e3b75e965d0d2cd166254 10.0.0.1:7400\n"
    "node 1 2543b92ff1095511476adc8369db6ddc933665a11978dda1404ee1066ca9559d "
    "675dd574ed7789310b3d2e7681f3790b466c773b1521fecf36577958371ea52f [2001:db8::1]:7400\n";

static void unhex(const char *hex, uint8_t *out, size_t len) {
  size_t got = 0;
  cr_assert_eq(sodium_hex2bin(out, len, hex, strlen(hex), NULL, &got, NULL), 0);
  cr_assert_eq(got, len);
}

/* 32 consecutive byte values starting at `first` (00..1f, 20..3f, ...). */
static void ramp(uint8_t out[32], uint8_t first) {
  for (int i = 0; i < 32; i++) out[i] = (uint8_t)(first + i);
}

static void spec_key(struct sgp_secret_key *k, uint32_t node, uint8_t sign_first,
                     uint8_t dh_first) {
  uint8_t seed[32], dh[32];
  ramp(seed, sign_first);
  ramp(dh, dh_first);
  cr_assert_eq(sgp_secret_key_from_seeds(k, node, seed, dh), SGP_OK);
}

struct roster_store {
  struct sgp_roster r;
  uint8_t sign_pk[4][32], dh_pk[4][32];
  struct sgp_addr addr[4];
  uint32_t scratch[4];
};

static void parse_example_roster(struct roster_store *s) {
  memset(s, 0, sizeof *s);
  s->r.cap = 4;
  s->r.sign_pk = s->sign_pk;
  s->r.dh_pk = s->dh_pk;
  s->r.addr = s->addr;
  unsigned line = 99;
  cr_assert_eq(sgp_roster_parse(&s->r, (const uint8_t *)ROSTER_EXAMPLE, sizeof ROSTER_EXAMPLE - 1,
                                s->scratch, 4, &line),
               SGP_OK);
  cr_assert_eq(line, 0);
  cr_assert_eq(s->r.n, 2);
}

/* ---- SGP-ID-* ----------------------------------------------------------- */

/* SGP-ID-3: the Ed25519 pair is crypto_sign_seed_keypair(sign-seed); the
 * spec's two example seeds give the public keys of the example roster. */
Test(req_keys, id3_ed25519_from_seed_matches_spec_example) {
  struct sgp_secret_key k;
  uint8_t want[32], seed[32], pk[32], sk[64];

  spec_key(&k, 0, 0x00, 0x20);
  unhex(SIGN_PK0, want, 32);
  cr_assert_eq(memcmp(k.sign_pk, want, 32), 0);
  ramp(seed, 0x00);
  cr_assert_eq(crypto_sign_seed_keypair(pk, sk, seed), 0);
  cr_assert_eq(memcmp(k.sign_sk, sk, 64), 0, "sign_sk is libsodium's seed || pk");
  cr_assert_eq(memcmp(k.sign_sk, seed, 32), 0);
  cr_assert_eq(memcmp(k.sign_sk + 32, want, 32), 0);

  spec_key(&k, 1, 0x40, 0x60);
  unhex(SIGN_PK1, want, 32);
  cr_assert_eq(memcmp(k.sign_pk, want, 32), 0);
  sgp_secret_key_wipe(&k);
}

/* SGP-ID-4: the X25519 public key is crypto_scalarmult_base(dh-secret); the
 * raw secret is kept as given (X25519 clamps internally). */
Test(req_keys, id4_x25519_public_is_scalarmult_base_of_raw_secret) {
  struct sgp_secret_key k;
  uint8_t want[32], dh[32], pk[32];

  spec_key(&k, 0, 0x00, 0x20);
  unhex(DH_PK0, want, 32);
  cr_assert_eq(memcmp(k.dh_pk, want, 32), 0);
  ramp(dh, 0x20);
  cr_assert_eq(memcmp(k.dh_sk, dh, 32), 0, "stored unclamped");
  cr_assert_eq(crypto_scalarmult_base(pk, dh), 0);
  cr_assert_eq(memcmp(k.dh_pk, pk, 32), 0);

  spec_key(&k, 1, 0x40, 0x60);
  unhex(DH_PK1, want, 32);
  cr_assert_eq(memcmp(k.dh_pk, want, 32), 0);

  /* Clamping is X25519's: a secret differing only in clamped bits gives the
   * same public key, and is still stored as given. */
  ramp(dh, 0x20);
  dh[0] ^= 0x07;
  dh[31] ^= 0x80;
  uint8_t seed[32];
  ramp(seed, 0x00);
  cr_assert_eq(sgp_secret_key_from_seeds(&k, 0, seed, dh), SGP_OK);
  unhex(DH_PK0, want, 32);
  cr_assert_eq(memcmp(k.dh_pk, want, 32), 0);
  cr_assert_eq(memcmp(k.dh_sk, dh, 32), 0);
  sgp_secret_key_wipe(&k);
}

/* SGP-ID-1: node ids are 0..n-1 with 1 <= n <= 16384: a key file id must be
 * below 16384, a state's own id below n, a roster lookup below n. */
Test(req_keys, id1_node_id_bounds) {
  struct sgp_secret_key k;
  uint8_t seed[32], dh[32];
  ramp(seed, 0x00);
  ramp(dh, 0x20);
  cr_assert_eq(sgp_secret_key_from_seeds(&k, SGP_MAX_NODES - 1, seed, dh), SGP_OK);
  cr_assert_eq(sgp_secret_key_from_seeds(&k, SGP_MAX_NODES, seed, dh), SGP_ERR_RANGE);

  static const char too_big[] =
      "sgp-secret-key v1\nnode 16384\n"
      "sign-seed 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
      "dh-secret 202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\n";
  unsigned line = 0;
  cr_assert_eq(sgp_secret_key_parse(&k, (const uint8_t *)too_big, sizeof too_big - 1, &line),
               SGP_ERR_RANGE);
  cr_assert_eq(line, 2);

  /* n bounds of the parameters. */
  struct sgp_params p;
  sgp_params_default(&p, 0);
  cr_assert_eq(sgp_params_validate(&p), SGP_ERR_RANGE);
  sgp_params_default(&p, SGP_MAX_NODES + 1);
  cr_assert_eq(sgp_params_validate(&p), SGP_ERR_RANGE);
  sgp_params_default(&p, SGP_MAX_NODES);
  cr_assert_eq(sgp_params_validate(&p), SGP_OK);

  /* The own id of a state is below n; ids n.. do not exist. */
  struct tu_cluster c;
  tu_cluster_init(&c, 3);
  sgp_params_default(&p, 3);
  struct sgp_state st;
  size_t len = sgp_state_mem_size(&p);
  void *mem = calloc(1, len);
  cr_assert_eq(sgp_state_init(&st, mem, len, &p, 3, 1, (const uint8_t(*)[32])c.pk, c.sk[2], NULL),
               SGP_ERR_NODE_ID);
  cr_assert_eq(sgp_state_init(&st, mem, len, &p, 2, 1, (const uint8_t(*)[32])c.pk, c.sk[2], NULL),
               SGP_OK);
  sgp_report_msg r;
  cr_assert_eq(sgp_state_get_report(&st, 3, &r), SGP_ERR_NODE_ID);
  cr_assert_eq(sgp_state_get_report(&st, 2, &r), SGP_OK);
  free(mem);
  tu_cluster_free(&c);

  /* A key whose id is not below the roster's n. */
  struct roster_store s;
  parse_example_roster(&s);
  spec_key(&k, 2, 0x00, 0x20);
  cr_assert_eq(sgp_roster_check_key(&s.r, &k), SGP_ERR_NODE_ID);
  sgp_secret_key_wipe(&k);
}

/* SGP-ID-2: identities come from roster keys: a signing key or a DH key
 * maps to its roster id, any other key to no id at all.  (Merge attributing
 * reports by the origin's key, not the sender field, is in test_req_merge.c.) */
Test(req_keys, id2_roster_keys_name_the_node) {
  struct roster_store s;
  parse_example_roster(&s);
  uint8_t pk[32];
  uint32_t id = 77;
  unhex(SIGN_PK1, pk, 32);
  cr_assert_eq(sgp_roster_find_sign_pk(&s.r, pk, &id), SGP_OK);
  cr_assert_eq(id, 1);
  unhex(DH_PK0, pk, 32);
  cr_assert_eq(sgp_roster_find_dh_pk(&s.r, pk, &id), SGP_OK);
  cr_assert_eq(id, 0);
  /* A sign key is not a DH key and vice versa. */
  unhex(SIGN_PK0, pk, 32);
  id = 77;
  cr_assert_eq(sgp_roster_find_dh_pk(&s.r, pk, &id), SGP_ERR_UNKNOWN_ORIGIN);
  cr_assert_eq(id, 77);
  unhex(DH_PK1, pk, 32);
  cr_assert_eq(sgp_roster_find_sign_pk(&s.r, pk, &id), SGP_ERR_UNKNOWN_ORIGIN);
  pk[0] ^= 1;
  cr_assert_eq(sgp_roster_find_dh_pk(&s.r, pk, &id), SGP_ERR_UNKNOWN_ORIGIN);
}

/* ---- SGP-KEY-11 ---------------------------------------------------------- */

/* SGP-KEY-11: a key file is refused when its id is not in the roster
 * (SGP_ERR_NODE_ID) or its derived public keys differ from that entry
 * (SGP_ERR_KEY_MISMATCH); the spec's example key file matches node 0. */
Test(req_keys, key11_key_file_must_match_its_roster_entry) {
  static const char key0[] =
      "sgp-secret-key v1\n"
      "# node 0 of cluster \"lab\"\n"
      "node 0\n"
      "sign-seed 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
      "dh-secret 202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\n";
  struct roster_store s;
  parse_example_roster(&s);
  struct sgp_secret_key k;
  unsigned line = 9;
  cr_assert_eq(sgp_secret_key_parse(&k, (const uint8_t *)key0, sizeof key0 - 1, &line), SGP_OK);
  cr_assert_eq(sgp_roster_check_key(&s.r, &k), SGP_OK);

  /* The same secrets claiming to be node 1. */
  k.node = 1;
  cr_assert_eq(sgp_roster_check_key(&s.r, &k), SGP_ERR_KEY_MISMATCH);
  /* Node 1's signing key with node 0's DH key: one key differing suffices. */
  spec_key(&k, 1, 0x40, 0x20);
  cr_assert_eq(sgp_roster_check_key(&s.r, &k), SGP_ERR_KEY_MISMATCH);
  spec_key(&k, 1, 0x00, 0x60);
  cr_assert_eq(sgp_roster_check_key(&s.r, &k), SGP_ERR_KEY_MISMATCH);
  spec_key(&k, 1, 0x40, 0x60);
  cr_assert_eq(sgp_roster_check_key(&s.r, &k), SGP_OK);
  /* Not in the roster at all. */
  spec_key(&k, 5, 0x40, 0x60);
  cr_assert_eq(sgp_roster_check_key(&s.r, &k), SGP_ERR_NODE_ID);
  sgp_secret_key_wipe(&k);
}

/* ---- SGP-SEC-5 (key material) -------------------------------------------- */

static int all_zero(const void *p, size_t n) {
  const uint8_t *b = p;
  uint8_t acc = 0;
  for (size_t i = 0; i < n; i++) acc |= b[i];
  return acc == 0;
}

/* SGP-SEC-5: the library's secret key holders are wiped with
 * sodium_memzero: sgp_secret_key_wipe clears the whole key, a formatter
 * that runs out of room clears its partial output, a rejected key file
 * leaves no secret behind.  (Transport keys, cookies and AONT keys do not
 * exist yet: transport issue 3.) */
Test(req_keys, sec5_key_material_is_wiped) {
  struct sgp_secret_key k;
  spec_key(&k, 0, 0x00, 0x20);
  cr_assert(!all_zero(&k, sizeof k));
  sgp_secret_key_wipe(&k);
  cr_assert(all_zero(&k, sizeof k));

  spec_key(&k, 0, 0x00, 0x20);
  char out[100];
  memset(out, 'x', sizeof out);
  size_t len = 1;
  cr_assert_eq(sgp_secret_key_format(&k, out, sizeof out, &len), SGP_ERR_NO_SPACE);
  cr_assert(all_zero(out, sizeof out), "partial key text must be wiped");

  /* A file that fails after both secrets were read. */
  static const char late[] =
      "sgp-secret-key v1\n"
      "sign-seed 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
      "dh-secret 202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\n"
      "node 0\n"
      "node 0\n";
  unsigned line = 0;
  memset(&k, 0x5a, sizeof k);
  cr_assert_eq(sgp_secret_key_parse(&k, (const uint8_t *)late, sizeof late - 1, &line),
               SGP_ERR_DUP_ENTRY);
  cr_assert_eq(line, 5);
  cr_assert(all_zero(&k, sizeof k));
}

/* ---- sgp-keygen (SGP-ID-5, SGP-KEY-12) ----------------------------------- */

static void keygen_path(char *out, size_t cap) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  cr_assert(n > 0, "readlink /proc/self/exe");
  self[n] = 0;
  char *slash = strrchr(self, '/');
  cr_assert_not_null(slash);
  *slash = 0;
  int w = snprintf(out, cap, "%s/tools/sgp-keygen/sgp-keygen", self);
  cr_assert(w > 0 && (size_t)w < cap);
  cr_assert_eq(access(out, X_OK), 0, "sgp-keygen not built at %s", out);
}

/* Runs sgp-keygen --node 0 --out dir under the given umask; exit status. */
static int run_keygen(const char *dir, mode_t mask) {
  char exe[PATH_MAX];
  keygen_path(exe, sizeof exe);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    umask(mask);
    execl(exe, exe, "--node", "0", "--out", dir, (char *)NULL);
    _exit(127);
  }
  int status = 0;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status));
  return WEXITSTATUS(status);
}

static void tmpdir(char *out, size_t cap) {
  cr_assert(cap > 32);
  strcpy(out, "/tmp/sgp-req-keys-XXXXXX");
  cr_assert_not_null(mkdtemp(out));
}

static void rm_tree(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char path[PATH_MAX];
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  closedir(d);
  rmdir(dir);
}

static size_t read_text(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY);
  cr_assert(fd >= 0, "open %s", path);
  ssize_t n = read(fd, buf, cap - 1);
  close(fd);
  cr_assert(n >= 0);
  buf[n] = 0;
  return (size_t)n;
}

/* SGP-ID-5: sgp-keygen draws sign-seed and dh-secret from the CSPRNG
 * (randombytes_buf), independently: two runs never repeat a secret and the
 * two secrets of one file differ.  (That they come from randombytes_buf is
 * visible only in the source; this checks the observable consequence.) */
Test(req_keys, id5_keygen_draws_independent_random_secrets) {
  char d1[64], d2[64], path[PATH_MAX], text[1024];
  tmpdir(d1, sizeof d1);
  tmpdir(d2, sizeof d2);
  cr_assert_eq(run_keygen(d1, 077), 0);
  cr_assert_eq(run_keygen(d2, 077), 0);
  struct sgp_secret_key a, b;
  unsigned line;
  snprintf(path, sizeof path, "%s/node-0.key", d1);
  size_t n = read_text(path, text, sizeof text);
  cr_assert_eq(sgp_secret_key_parse(&a, (const uint8_t *)text, n, &line), SGP_OK);
  snprintf(path, sizeof path, "%s/node-0.key", d2);
  n = read_text(path, text, sizeof text);
  cr_assert_eq(sgp_secret_key_parse(&b, (const uint8_t *)text, n, &line), SGP_OK);
  sodium_memzero(text, sizeof text);
  cr_assert_neq(memcmp(a.sign_sk, b.sign_sk, 32), 0, "sign seeds repeat across runs");
  cr_assert_neq(memcmp(a.dh_sk, b.dh_sk, 32), 0, "dh secrets repeat across runs");
  cr_assert_neq(memcmp(a.sign_sk, a.dh_sk, 32), 0, "sign seed == dh secret");
  cr_assert_neq(memcmp(b.sign_sk, b.dh_sk, 32), 0, "sign seed == dh secret");
  sgp_secret_key_wipe(&a);
  sgp_secret_key_wipe(&b);
  rm_tree(d1);
  rm_tree(d2);
}

/* SGP-KEY-12: sgp-keygen creates the key file with mode 0600 whatever the
 * umask, never overwrites an existing file (or follows a symlink to create
 * one), and writes node, sign-seed, dh-secret in this order (as does
 * sgp_secret_key_format). */
Test(req_keys, key12_keygen_creates_0600_exclusively_in_order) {
  char d[64], path[PATH_MAX], text[1024];
  struct stat sb;

  /* Mode exactly 0600, under a permissive and a restrictive umask. */
  mode_t masks[2] = {0, 0277};
  for (int i = 0; i < 2; i++) {
    tmpdir(d, sizeof d);
    cr_assert_eq(run_keygen(d, masks[i]), 0);
    snprintf(path, sizeof path, "%s/node-0.key", d);
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_eq(sb.st_mode & 07777, 0600, "mode %o under umask %o", sb.st_mode & 07777,
                 (unsigned)masks[i]);
    rm_tree(d);
  }

  /* Entry order. */
  tmpdir(d, sizeof d);
  cr_assert_eq(run_keygen(d, 077), 0);
  snprintf(path, sizeof path, "%s/node-0.key", d);
  size_t n = read_text(path, text, sizeof text);
  cr_assert_eq(n, 18 + 7 + 75 + 75);
  cr_assert_eq(strncmp(text, "sgp-secret-key v1\nnode 0\nsign-seed ", 35), 0);
  cr_assert_eq(strncmp(text + 18 + 7 + 75, "dh-secret ", 10), 0);
  cr_assert_eq(text[n - 1], '\n');
  struct sgp_secret_key k;
  unsigned line;
  cr_assert_eq(sgp_secret_key_parse(&k, (const uint8_t *)text, n, &line), SGP_OK);
  char again[SGP_SECRET_KEY_TEXT_MAX];
  size_t len;
  cr_assert_eq(sgp_secret_key_format(&k, again, sizeof again, &len), SGP_OK);
  cr_assert_eq(len, n);
  cr_assert_eq(memcmp(again, text, n), 0, "tool and formatter write the same text");
  sodium_memzero(again, sizeof again);

  /* A second run refuses (exit 1) and leaves the existing file untouched. */
  cr_assert_eq(run_keygen(d, 077), 1);
  char after[1024];
  size_t n2 = read_text(path, after, sizeof after);
  cr_assert_eq(n2, n);
  cr_assert_eq(memcmp(after, text, n), 0);
  sodium_memzero(text, sizeof text);
  sodium_memzero(after, sizeof after);
  sgp_secret_key_wipe(&k);
  rm_tree(d);

  /* A dangling symlink in its place is not followed (O_CREAT|O_EXCL). */
  tmpdir(d, sizeof d);
  char target[PATH_MAX];
  snprintf(path, sizeof path, "%s/node-0.key", d);
  snprintf(target, sizeof target, "%s/elsewhere", d);
  cr_assert_eq(symlink(target, path), 0);
  cr_assert_eq(run_keygen(d, 077), 1);
  cr_assert_neq(access(target, F_OK), 0, "symlink target was created");
  rm_tree(d);
}
