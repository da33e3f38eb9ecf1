#include "sgp/cursor.h"

#include <string.h>

struct sgp_cursor sgp_cursor_reader(const uint8_t *data, size_t len) {
  struct sgp_cursor c = {.cdata = data, .len = data ? len : 0, .pos = 0};
  return c;
}

struct sgp_cursor sgp_cursor_writer(uint8_t *data, size_t cap) {
  struct sgp_cursor c = {.data = data, .len = data ? cap : 0, .pos = 0};
  return c;
}

int sgp_cursor_valid(const struct sgp_cursor *c) {
  return c && c->pos <= c->len && (c->len == 0 || c->data);
}

size_t sgp_cursor_left(const struct sgp_cursor *c) {
  return c->len - c->pos;
}

sgp_err sgp_cursor_skip(struct sgp_cursor *c, size_t n) {
  SGP_ENSURE(sgp_cursor_left(c) >= n, SGP_ERR_TRUNCATED);
  c->pos += n;
  return SGP_OK;
}

sgp_err sgp_cursor_take(struct sgp_cursor *c, const uint8_t **out, size_t n) {
  SGP_GUARD(sgp_cursor_skip(c, n));
  *out = c->data + c->pos - n;
  return SGP_OK;
}

sgp_err sgp_cursor_read(struct sgp_cursor *c, void *out, size_t n) {
  const uint8_t *p;
  SGP_GUARD(sgp_cursor_take(c, &p, n));
  if (n) memcpy(out, p, n);
  return SGP_OK;
}

static sgp_err read_be(struct sgp_cursor *c, size_t n, uint64_t *v) {
  const uint8_t *p;
  SGP_GUARD(sgp_cursor_take(c, &p, n));
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++) x = (x << 8) | p[i];
  *v = x;
  return SGP_OK;
}

sgp_err sgp_cursor_read_u8(struct sgp_cursor *c, uint8_t *v) {
  uint64_t x;
  SGP_GUARD(read_be(c, 1, &x));
  *v = (uint8_t)x;
  return SGP_OK;
}

sgp_err sgp_cursor_read_u16(struct sgp_cursor *c, uint16_t *v) {
  uint64_t x;
  SGP_GUARD(read_be(c, 2, &x));
  *v = (uint16_t)x;
  return SGP_OK;
}

sgp_err sgp_cursor_read_u32(struct sgp_cursor *c, uint32_t *v) {
  uint64_t x;
  SGP_GUARD(read_be(c, 4, &x));
  *v = (uint32_t)x;
  return SGP_OK;
}

sgp_err sgp_cursor_read_u64(struct sgp_cursor *c, uint64_t *v) {
  return read_be(c, 8, v);
}

sgp_err sgp_cursor_read_varint(struct sgp_cursor *c, uint64_t *v) {
  uint64_t x = 0;
  size_t i = 0;
  for (;;) {
    SGP_ENSURE(i < sgp_cursor_left(c), SGP_ERR_TRUNCATED);
    uint8_t b = c->data[c->pos + i];
    /* The tenth byte may only contribute bit 63. */
    SGP_ENSURE(i < 9 || b <= 1, SGP_ERR_VARINT);
    x |= (uint64_t)(b & 0x7f) << (7 * i);
    i++;
    if (!(b & 0x80)) {
      /* Minimal form: a multi-byte varint never ends in a zero group. */
      SGP_ENSURE(i == 1 || b != 0, SGP_ERR_VARINT);
      break;
    }
  }
  c->pos += i;
  *v = x;
  return SGP_OK;
}

sgp_err sgp_cursor_end(const struct sgp_cursor *c) {
  SGP_ENSURE(sgp_cursor_left(c) == 0, SGP_ERR_TRAILING);
  return SGP_OK;
}

sgp_err sgp_cursor_write(struct sgp_cursor *c, const void *in, size_t n) {
  SGP_ENSURE(sgp_cursor_left(c) >= n, SGP_ERR_NO_SPACE);
  if (n) memcpy(c->data + c->pos, in, n);
  c->pos += n;
  return SGP_OK;
}

static sgp_err write_be(struct sgp_cursor *c, size_t n, uint64_t v) {
  uint8_t tmp[8];
  for (size_t i = 0; i < n; i++) tmp[n - 1 - i] = (uint8_t)(v >> (8 * i));
  return sgp_cursor_write(c, tmp, n);
}

sgp_err sgp_cursor_write_u8(struct sgp_cursor *c, uint8_t v) {
  return write_be(c, 1, v);
}
sgp_err sgp_cursor_write_u16(struct sgp_cursor *c, uint16_t v) {
  return write_be(c, 2, v);
}
sgp_err sgp_cursor_write_u32(struct sgp_cursor *c, uint32_t v) {
  return write_be(c, 4, v);
}
sgp_err sgp_cursor_write_u64(struct sgp_cursor *c, uint64_t v) {
  return write_be(c, 8, v);
}

sgp_err sgp_cursor_read_line(struct sgp_cursor *c, const char **line, size_t *line_len,
                             size_t max_line, unsigned *lineno) {
  SGP_ENSURE(sgp_cursor_left(c) > 0, SGP_ERR_TRUNCATED);
  const uint8_t *start = c->data + c->pos;
  size_t left = sgp_cursor_left(c), n = 0;
  while (n < left && start[n] != '\n') {
    SGP_ENSURE(start[n] != 0, SGP_ERR_SYNTAX);
    n++;
  }
  SGP_ENSURE(n <= max_line, SGP_ERR_TOO_LARGE);
  c->pos += n < left ? n + 1 : n;
  *line = (const char *)start;
  *line_len = n;
  (*lineno)++;
  return SGP_OK;
}
