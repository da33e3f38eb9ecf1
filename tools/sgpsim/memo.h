/* Signature verification for the simulator (DESIGN §3b).
 *
 * Verification is deterministic, so the memoizing verifier caches the
 * result of crypto_sign_verify_detached per SHA-256(pk || sig || msg) in an
 * open-addressing hash table.  The answer for a triple is always the one
 * libsodium gave the first time, so bytes, rounds and verdicts are the same
 * with and without the cache (--no-memo runs the plain verifier, counting
 * calls, to prove it).
 */
#ifndef SGPSIM_MEMO_H
#define SGPSIM_MEMO_H

#include <stdint.h>

#include "sgp/report.h"

struct memo;

/* enabled = 0: every call goes to libsodium (only counted). NULL on OOM. */
struct memo *memo_new(int enabled);
void memo_free(struct memo *m);
struct sgp_verifier memo_verifier(struct memo *m);
int memo_enabled(const struct memo *m);
uint64_t memo_calls(const struct memo *m);
uint64_t memo_hits(const struct memo *m);

#endif
