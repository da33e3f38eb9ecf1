/* Memoizing Ed25519 verifier (contract in memo.h). */
#include "memo.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct slot {
  uint8_t key[32]; /* SHA-256(pk || sig || msg) */
  uint8_t used;
  uint8_t result; /* 0 valid, 1 invalid */
};

struct memo {
  int enabled;
  struct slot *t;
  size_t cap, used; /* cap is a power of two */
  uint64_t calls, hits;
};

struct memo *memo_new(int enabled) {
  struct memo *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->enabled = enabled;
  if (enabled) {
    m->cap = 1u << 12;
    m->t = calloc(m->cap, sizeof *m->t);
    if (!m->t) {
      free(m);
      return NULL;
    }
  }
  return m;
}

void memo_free(struct memo *m) {
  if (!m) return;
  free(m->t);
  free(m);
}

static size_t slot_of(const struct memo *m, const uint8_t key[32]) {
  uint64_t h;
  memcpy(&h, key, sizeof h);
  size_t i = (size_t)h & (m->cap - 1);
  while (m->t[i].used && memcmp(m->t[i].key, key, 32) != 0) i = (i + 1) & (m->cap - 1);
  return i;
}

/* Doubles the table; on OOM the table just stays as it is (a fuller table
 * is slower, never wrong: it is a cache). Returns 0 if nothing changed. */
static int grow(struct memo *m) {
  size_t old_cap = m->cap;
  struct slot *old = m->t;
  struct slot *t = calloc(old_cap * 2, sizeof *t);
  if (!t) return 0;
  m->t = t;
  m->cap = old_cap * 2;
  for (size_t i = 0; i < old_cap; i++)
    if (old[i].used) m->t[slot_of(m, old[i].key)] = old[i];
  free(old);
  return 1;
}

static int verify_cb(void *ctx, const uint8_t sig[SGP_SIG_BYTES], const uint8_t *msg, size_t mlen,
                     const uint8_t pk[SGP_SIGN_PK_BYTES]) {
  struct memo *m = ctx;
  m->calls++;
  if (!m->enabled) return crypto_sign_verify_detached(sig, msg, mlen, pk);
  uint8_t key[32];
  crypto_hash_sha256_state h;
  crypto_hash_sha256_init(&h);
  crypto_hash_sha256_update(&h, pk, SGP_SIGN_PK_BYTES);
  crypto_hash_sha256_update(&h, sig, SGP_SIG_BYTES);
  crypto_hash_sha256_update(&h, msg, mlen);
  crypto_hash_sha256_final(&h, key);
  size_t i = slot_of(m, key);
  if (m->t[i].used) {
    m->hits++;
    return m->t[i].result ? -1 : 0;
  }
  int rc = crypto_sign_verify_detached(sig, msg, mlen, pk);
  if (2 * (m->used + 1) > m->cap && grow(m)) i = slot_of(m, key);
  if (m->used + 1 < m->cap) { /* keep one slot free so probing ends */
    memcpy(m->t[i].key, key, 32);
    m->t[i].used = 1;
    m->t[i].result = rc == 0 ? 0 : 1;
    m->used++;
  }
  return rc;
}

struct sgp_verifier memo_verifier(struct memo *m) {
  struct sgp_verifier v = {verify_cb, m};
  return v;
}

int memo_enabled(const struct memo *m) {
  return m->enabled;
}
uint64_t memo_calls(const struct memo *m) {
  return m->calls;
}
uint64_t memo_hits(const struct memo *m) {
  return m->hits;
}
