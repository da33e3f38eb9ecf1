/* Scripted randomness for the session layer (spec §7).
 *
 * The library draws randomness through a callback (sgp_session_config.rng).
 * Whoever needs the drawn values to be known in advance (the reference
 * testee answering a request's listed indices and ephemerals, the
 * transport vector generator writing them into the vectors) queues them
 * here, in order, each exactly of the length the library will ask for.
 *
 * Shared by the reference testee (conformance/testee/t_xport.c) and
 * tools/xportvec.  Nothing here ends the process: an overflowing push or a
 * draw that does not match the queue sets `fail` (the draw gets zeros), and
 * the caller decides whether that is a bad request or a generator bug.
 */
#ifndef SGP_RNGSCRIPT_H
#define SGP_RNGSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/session.h"

enum { CONF_SCRIPT_CHUNKS = 16, CONF_SCRIPT_CHUNK = 32 };

struct conf_script {
  uint8_t bytes[CONF_SCRIPT_CHUNKS][CONF_SCRIPT_CHUNK];
  size_t len[CONF_SCRIPT_CHUNKS];
  size_t head, tail;
  int fail;
};

/* Queues len bytes (at most CONF_SCRIPT_CHUNK) as the answer to one draw. */
void conf_script_push(struct conf_script *s, const uint8_t *p, size_t len);
/* Queues v as 4 big-endian bytes (a session index as it appears on the wire). */
void conf_script_push_u32(struct conf_script *s, uint32_t v);
/* The rng callback of sgp_session_config; ctx is a struct conf_script.  The queue empties
 * (head = tail = 0) once every chunk is drawn. */
void conf_script_rng(void *ctx, uint8_t *out, size_t len);

/* *c for node `self` of an n-node roster (X25519 keys) whose randomness
 * comes from s through conf_script_rng, with the all-zero cookie secret
 * queued (sgp_session_init's first draw; it never reaches the wire).  The
 * caller adds the peer and index storage. */
void conf_script_config(struct sgp_session_config *c, struct conf_script *s, uint32_t self,
                        uint32_t n, const uint8_t *dh_sk, const uint8_t (*dh_pk)[32],
                        uint32_t generation);

#endif
