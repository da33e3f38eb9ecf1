/* The bounded cursor: one bounds check per access, no movement on failure. */
#include <criterion/criterion.h>
#include <string.h>

#include "sgp/cursor.h"

Test(cursor, reads_big_endian_and_stops_at_end) {
  const uint8_t in[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  struct sgp_cursor c = sgp_cursor_reader(in, sizeof in);
  uint8_t a;
  uint16_t b;
  uint32_t d;
  uint64_t e;
  cr_assert_eq(sgp_cursor_read_u8(&c, &a), SGP_OK);
  cr_assert_eq(sgp_cursor_read_u16(&c, &b), SGP_OK);
  cr_assert_eq(sgp_cursor_read_u32(&c, &d), SGP_OK);
  cr_assert_eq(sgp_cursor_read_u64(&c, &e), SGP_OK);
  cr_assert_eq(a, 1);
  cr_assert_eq(b, 0x0203);
  cr_assert_eq(d, 0x04050607);
  cr_assert_eq(e, 0x08090a0b0c0d0e0fULL);
  cr_assert_eq(sgp_cursor_end(&c), SGP_OK);
  cr_assert_eq(sgp_cursor_read_u8(&c, &a), SGP_ERR_TRUNCATED);
  cr_assert(sgp_cursor_valid(&c));
}

Test(cursor, failed_read_does_not_move) {
  const uint8_t in[] = {1, 2, 3};
  struct sgp_cursor c = sgp_cursor_reader(in, sizeof in);
  uint32_t d;
  cr_assert_eq(sgp_cursor_read_u32(&c, &d), SGP_ERR_TRUNCATED);
  cr_assert_eq(c.pos, 0);
  cr_assert_eq(sgp_cursor_skip(&c, 4), SGP_ERR_TRUNCATED);
  cr_assert_eq(c.pos, 0);
  cr_assert_eq(sgp_cursor_end(&c), SGP_ERR_TRAILING);
}

Test(cursor, varint_forms) {
  struct {
    uint8_t b[11];
    size_t n;
    sgp_err want;
    uint64_t v;
  } t[] = {
      {{0x00}, 1, SGP_OK, 0},
      {{0x7f}, 1, SGP_OK, 127},
      {{0x80, 0x01}, 2, SGP_OK, 128},
      {{0x80, 0x00}, 2, SGP_ERR_VARINT, 0}, /* non-minimal */
      {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10, SGP_OK, UINT64_MAX},
      {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, 10, SGP_ERR_VARINT, 0},
      {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x01}, 11, SGP_ERR_VARINT, 0},
      {{0x80}, 1, SGP_ERR_TRUNCATED, 0},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    struct sgp_cursor c = sgp_cursor_reader(t[i].b, t[i].n);
    uint64_t v = 0;
    cr_assert_eq(sgp_cursor_read_varint(&c, &v), t[i].want, "case %zu", i);
    if (t[i].want == SGP_OK) {
      cr_assert_eq(v, t[i].v, "case %zu", i);
      cr_assert_eq(c.pos, t[i].n);
    } else {
      cr_assert_eq(c.pos, 0, "case %zu moved", i);
    }
  }
}

Test(cursor, writer_bounds) {
  uint8_t out[6];
  struct sgp_cursor c = sgp_cursor_writer(out, sizeof out);
  cr_assert_eq(sgp_cursor_write_u32(&c, 0xdeadbeef), SGP_OK);
  cr_assert_eq(sgp_cursor_write_u32(&c, 1), SGP_ERR_NO_SPACE);
  cr_assert_eq(c.pos, 4);
  cr_assert_eq(sgp_cursor_write_u16(&c, 0x0102), SGP_OK);
  const uint8_t want[] = {0xde, 0xad, 0xbe, 0xef, 1, 2};
  cr_assert_eq(memcmp(out, want, 6), 0);
}

Test(cursor, lines) {
  const char *text = "a b\n\nlast";
  struct sgp_cursor c = sgp_cursor_reader((const uint8_t *)text, strlen(text));
  const char *l;
  size_t n;
  unsigned ln = 0;
  cr_assert_eq(sgp_cursor_read_line(&c, &l, &n, 16, &ln), SGP_OK);
  cr_assert_eq(n, 3);
  cr_assert_eq(sgp_cursor_read_line(&c, &l, &n, 16, &ln), SGP_OK);
  cr_assert_eq(n, 0);
  cr_assert_eq(sgp_cursor_read_line(&c, &l, &n, 16, &ln), SGP_OK);
  cr_assert_eq(n, 4);
  cr_assert_eq(ln, 3);
  cr_assert_eq(sgp_cursor_read_line(&c, &l, &n, 16, &ln), SGP_ERR_TRUNCATED);
  const uint8_t nul[] = {'a', 0, '\n'};
  c = sgp_cursor_reader(nul, 3);
  cr_assert_eq(sgp_cursor_read_line(&c, &l, &n, 16, &ln), SGP_ERR_SYNTAX);
  c = sgp_cursor_reader((const uint8_t *)"abcdef", 6);
  cr_assert_eq(sgp_cursor_read_line(&c, &l, &n, 5, &ln), SGP_ERR_TOO_LARGE);
}
