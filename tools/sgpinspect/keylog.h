/* Key log reader for `sgp inspect`: the lines sgpd writes with
 * `[node] keylog = PATH` (SGP-NODE-20), one per session that became
 * current:
 *
 *   SGP_SESSION v1 <self> <peer> <local_index hex8> <remote_index hex8>
 *                  <send_key hex64> <recv_key hex64> <created s.ms>
 *
 * Each line gives two directional keys: local_index -> recv_key for data
 * from peer to self, remote_index -> send_key for data from self to peer
 * (data messages name the receiver's index).  Both nodes' logs may be
 * concatenated: identical entries are merged.
 *
 * Contract:
 *  - Pure: parses a caller buffer through the bounded cursor's line reader
 *    into a caller-provided key array; no I/O, no allocation.
 *  - A malformed line is skipped and counted under its named reason
 *    (enum sgpi_kl_err); blank lines and lines starting with '#' are
 *    ignored; a line of another record kind (`SGP_HANDSHAKE`, future
 *    versions) is counted as unknown_record and skipped.
 *  - Bounded: lines of at most SGPI_KL_MAX_LINE bytes, at most cap keys
 *    (two per session line); beyond that, lines count as too_many_keys.
 *  - Key material in the caller's array: wipe it with sgpi_keylog_wipe.
 */
#ifndef SGPI_KEYLOG_H
#define SGPI_KEYLOG_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/result.h"

enum { SGPI_KL_MAX_LINE = 512, SGPI_KL_MAX_NODE = 16383 };

#define SGPI_KL_ERRS(X)                       \
  X(SGPI_KL_OK, "ok")                         \
  X(SGPI_KL_LINE, "bad_line")                 \
  X(SGPI_KL_UNKNOWN_RECORD, "unknown_record") \
  X(SGPI_KL_FIELDS, "wrong_field_count")      \
  X(SGPI_KL_NODE, "bad_node_id")              \
  X(SGPI_KL_HEX, "bad_hex")                   \
  X(SGPI_KL_TIME, "bad_time")                 \
  X(SGPI_KL_CONFLICT, "conflicting_key")      \
  X(SGPI_KL_TOO_MANY, "too_many_keys")

enum sgpi_kl_err {
#define SGPI_KL_ENUM_(code, name) code,
  SGPI_KL_ERRS(SGPI_KL_ENUM_)
#undef SGPI_KL_ENUM_
      SGPI_KL_ERR_COUNT
};

const char *sgpi_kl_err_name(enum sgpi_kl_err e);

/* One directional key: data messages whose receiver_index is `index`,
 * sent by node `sender` to node `receiver`. */
struct sgpi_key {
  uint32_t index;
  uint32_t sender, receiver;
  uint32_t line; /* first line that gave it */
  uint8_t key[32];
};

struct sgpi_keylog {
  struct sgpi_key *keys; /* caller's array, sorted by index after parse */
  size_t count, cap;
  uint64_t lines, sessions;           /* lines read, SGP_SESSION lines accepted */
  uint64_t errors[SGPI_KL_ERR_COUNT]; /* skipped lines by reason */
  uint32_t max_node;                  /* largest node id named */
};

/* Parses one line (no '\n').  SGP_OK when it was used or ignored (blank,
 * comment); else the line changes nothing and *why names the reason:
 * SGP_ERR_SYNTAX (bad_line, wrong_field_count, bad_time), SGP_ERR_VERSION
 * (unknown_record), SGP_ERR_NODE_ID (bad_node_id), SGP_ERR_HEX (bad_hex),
 * SGP_ERR_DUP_ENTRY (conflicting_key: the same index and direction with
 * another key), SGP_ERR_NO_SPACE (too_many_keys). */
SGP_MUST_CHECK sgp_err sgpi_keylog_line(struct sgpi_keylog *kl, const char *line, size_t len,
                                        unsigned lineno, enum sgpi_kl_err *why);

/* Initialises kl over keys[cap] and parses text[0..len): every line through
 * sgpi_keylog_line, errors counted in kl->errors; then sorts by index.
 * Returns SGP_OK (bad lines are counted, not fatal) or SGP_ERR_INVALID_ARG. */
SGP_MUST_CHECK sgp_err sgpi_keylog_parse(struct sgpi_keylog *kl, struct sgpi_key *keys, size_t cap,
                                         const uint8_t *text, size_t len);

/* Keys for a receiver index after parse: *first and the count returned. */
size_t sgpi_keylog_find(const struct sgpi_keylog *kl, uint32_t index, size_t *first);

void sgpi_keylog_wipe(struct sgpi_keylog *kl);

#endif
