/* Bounded byte cursor: the one way the library reads or writes a fixed
 * layout (signed-report bytes, key and roster text, frame headers).
 *
 * Invariant (checked by sgp_cursor_valid): pos <= len, and data is non-NULL
 * whenever len > 0.  Every read or write passes exactly one bounds check;
 * on failure the cursor does not move.  Multi-byte integers are big-endian.
 */
#ifndef SGP_CURSOR_H
#define SGP_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/result.h"

struct sgp_cursor {
  union {
    uint8_t *data;        /* writers */
    const uint8_t *cdata; /* readers: never written through */
  };
  size_t len;
  size_t pos;
};

struct sgp_cursor sgp_cursor_reader(const uint8_t *data, size_t len);
struct sgp_cursor sgp_cursor_writer(uint8_t *data, size_t cap);
int sgp_cursor_valid(const struct sgp_cursor *c);
size_t sgp_cursor_left(const struct sgp_cursor *c);

SGP_MUST_CHECK sgp_err sgp_cursor_skip(struct sgp_cursor *c, size_t n);
SGP_MUST_CHECK sgp_err sgp_cursor_read(struct sgp_cursor *c, void *out, size_t n);
/* Borrow n bytes in place (no copy); *out points into the cursor's data. */
SGP_MUST_CHECK sgp_err sgp_cursor_take(struct sgp_cursor *c, const uint8_t **out, size_t n);
SGP_MUST_CHECK sgp_err sgp_cursor_read_u8(struct sgp_cursor *c, uint8_t *v);
SGP_MUST_CHECK sgp_err sgp_cursor_read_u16(struct sgp_cursor *c, uint16_t *v);
SGP_MUST_CHECK sgp_err sgp_cursor_read_u32(struct sgp_cursor *c, uint32_t *v);
SGP_MUST_CHECK sgp_err sgp_cursor_read_u64(struct sgp_cursor *c, uint64_t *v);
/* Protobuf base-128 varint; rejects >10 bytes, overflow and non-minimal
 * forms (a final 0x00 byte after a continuation) with SGP_ERR_VARINT. */
SGP_MUST_CHECK sgp_err sgp_cursor_read_varint(struct sgp_cursor *c, uint64_t *v);
/* Succeeds only if nothing is left (SGP_ERR_TRAILING otherwise). */
SGP_MUST_CHECK sgp_err sgp_cursor_end(const struct sgp_cursor *c);

SGP_MUST_CHECK sgp_err sgp_cursor_write(struct sgp_cursor *c, const void *in, size_t n);
SGP_MUST_CHECK sgp_err sgp_cursor_write_u8(struct sgp_cursor *c, uint8_t v);
SGP_MUST_CHECK sgp_err sgp_cursor_write_u16(struct sgp_cursor *c, uint16_t v);
SGP_MUST_CHECK sgp_err sgp_cursor_write_u32(struct sgp_cursor *c, uint32_t v);
SGP_MUST_CHECK sgp_err sgp_cursor_write_u64(struct sgp_cursor *c, uint64_t v);

/* Line reader for the text formats (keys, roster): returns the next line
 * without its '\n' (a final line without '\n' is accepted).  Rejects NUL
 * bytes and lines longer than max_line with SGP_ERR_SYNTAX / SGP_ERR_TOO_LARGE.
 * *lineno counts from 1.  Returns SGP_ERR_TRUNCATED at end of input. */
SGP_MUST_CHECK sgp_err sgp_cursor_read_line(struct sgp_cursor *c, const char **line,
                                            size_t *line_len, size_t max_line, unsigned *lineno);

#endif
