/* Strict protobuf codec for SGP packets (contract in sgp/codec.h).
 *
 * nanopb decodes permissively (it skips unknown fields, accepts any field
 * order, keeps the last of duplicated scalars), so the structural rules of
 * the canonical form are enforced here by a walk that reads the wire bytes
 * through the bounded cursor and looks every field up in nanopb's own
 * generated descriptors: the schema exists once, in sgp.proto.
 */
#include "sgp/codec.h"

#include <pb_common.h>
#include <pb_decode.h>
#include <pb_encode.h>
#include <stddef.h>
#include <string.h>

#include "sgp/cursor.h"

/* The .options bounds must equal the spec limits (SGP-WIRE-10). */
_Static_assert(sizeof(((sgp_packet *)0)->digest) / sizeof(sgp_version_msg) == SGP_MAX_DIGEST,
               "digest bound");
_Static_assert(sizeof(((sgp_packet *)0)->reports) / sizeof(sgp_report_msg) == SGP_MAX_REPORTS,
               "reports bound");
_Static_assert(sizeof(((sgp_report_msg *)0)->silent) / sizeof(uint32_t) == SGP_MAX_SILENT,
               "silent bound");
_Static_assert(sizeof(((sgp_report_msg *)0)->sub) / sizeof(uint32_t) == SGP_SUBSCORES, "sub bound");
_Static_assert(sizeof(((sgp_report_msg *)0)->sig.bytes) == SGP_SIG_BYTES, "sig bound");

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

static int is_varint_ltype(pb_type_t lt) {
  return lt == PB_LTYPE_BOOL || lt == PB_LTYPE_VARINT || lt == PB_LTYPE_UVARINT ||
         lt == PB_LTYPE_SVARINT;
}

/* Wire type the canonical form uses for a field (packed for repeated scalars). */
static int expected_wire_type(pb_type_t type) {
  pb_type_t lt = PB_LTYPE(type);
  int repeated = PB_HTYPE(type) == PB_HTYPE_REPEATED;
  if (lt <= PB_LTYPE_LAST_PACKABLE && repeated) return WT_LEN;
  if (is_varint_ltype(lt)) return WT_VARINT;
  if (lt == PB_LTYPE_FIXED32) return WT_I32;
  if (lt == PB_LTYPE_FIXED64) return WT_I64;
  return WT_LEN;
}

/* uint32 and enum fields: values must fit 32 bits, and enums must not be negative. */
static sgp_err read_u32_varint(struct sgp_cursor *c, uint64_t *v) {
  SGP_GUARD(sgp_cursor_read_varint(c, v));
  SGP_ENSURE(*v <= UINT32_MAX, SGP_ERR_RANGE);
  return SGP_OK;
}

static sgp_err walk_message(const pb_msgdesc_t *desc, const void *base, struct sgp_cursor *c);

static sgp_err walk_packed(const pb_field_iter_t *it, struct sgp_cursor *body) {
  size_t count = 0;
  SGP_ENSURE(sgp_cursor_left(body) > 0, SGP_ERR_DEFAULT_PRESENT); /* SGP-WIRE-7 */
  while (sgp_cursor_left(body) > 0) {
    uint64_t v;
    SGP_GUARD(read_u32_varint(body, &v));
    SGP_ENSURE(++count <= it->array_size, SGP_ERR_TOO_MANY); /* SGP-WIRE-10 */
  }
  return SGP_OK;
}

static sgp_err walk_len_field(const pb_field_iter_t *it, struct sgp_cursor *c, size_t *count) {
  uint64_t len;
  SGP_GUARD(sgp_cursor_read_varint(c, &len));
  SGP_ENSURE(len <= sgp_cursor_left(c), SGP_ERR_TRUNCATED);
  const uint8_t *p;
  SGP_GUARD(sgp_cursor_take(c, &p, (size_t)len));
  struct sgp_cursor body = sgp_cursor_reader(p, (size_t)len);
  pb_type_t lt = PB_LTYPE(it->type);
  int repeated = PB_HTYPE(it->type) == PB_HTYPE_REPEATED;

  if (lt <= PB_LTYPE_LAST_PACKABLE) return walk_packed(it, &body);
  if (lt == PB_LTYPE_BYTES) {
    size_t max = it->data_size - offsetof(pb_bytes_array_t, bytes);
    SGP_ENSURE(len > 0 || repeated, SGP_ERR_DEFAULT_PRESENT); /* SGP-WIRE-7 */
    SGP_ENSURE(len <= max, SGP_ERR_TOO_LARGE);                /* SGP-WIRE-10 */
    return SGP_OK;
  }
  if (PB_LTYPE_IS_SUBMSG(it->type)) {
    SGP_ENSURE(repeated, SGP_ERR_DECODE); /* the schema has no singular submessages */
    SGP_ENSURE(++*count <= it->array_size, SGP_ERR_TOO_MANY); /* SGP-WIRE-10 */
    return walk_message(it->submsg_desc, it->pData, &body);
  }
  return SGP_ERR_DECODE;
}

static sgp_err walk_message(const pb_msgdesc_t *desc, const void *base, struct sgp_cursor *c) {
  uint32_t last_tag = 0;
  size_t count = 0;
  /* One iterator per message: pb_field_iter_find returns at once when the
   * tag is the current field's (every element of a repeated field) and
   * otherwise searches on from there, so a packet with thousands of
   * entries costs one descriptor load per field, not one per entry. */
  pb_field_iter_t it;
  SGP_ENSURE(pb_field_iter_begin_const(&it, desc, base), SGP_ERR_DECODE);
  while (sgp_cursor_left(c) > 0) {
    uint64_t key;
    SGP_GUARD(sgp_cursor_read_varint(c, &key)); /* SGP-WIRE-2 */
    SGP_ENSURE(key <= UINT32_MAX, SGP_ERR_VARINT);
    uint32_t tag = (uint32_t)(key >> 3);
    int wt = (int)(key & 7);
    SGP_ENSURE(tag != 0 && pb_field_iter_find(&it, tag), SGP_ERR_UNKNOWN_FIELD); /* SGP-WIRE-4 */
    SGP_ENSURE(wt == expected_wire_type(it.type), SGP_ERR_WIRE_TYPE);            /* SGP-WIRE-3 */
    SGP_ENSURE(tag >= last_tag, SGP_ERR_FIELD_ORDER);                            /* SGP-WIRE-5 */
    int repeated_msg = PB_HTYPE(it.type) == PB_HTYPE_REPEATED && PB_LTYPE_IS_SUBMSG(it.type);
    SGP_ENSURE(tag != last_tag || repeated_msg, SGP_ERR_DUPLICATE_FIELD); /* SGP-WIRE-6 */
    if (tag != last_tag) count = 0;
    last_tag = tag;

    if (wt == WT_VARINT) {
      uint64_t v;
      SGP_GUARD(read_u32_varint(c, &v));           /* SGP-WIRE-8 */
      SGP_ENSURE(v != 0, SGP_ERR_DEFAULT_PRESENT); /* SGP-WIRE-7 */
    } else if (wt == WT_LEN) {
      SGP_GUARD(walk_len_field(&it, c, &count));
    } else {
      const uint8_t *v;
      size_t w = wt == WT_I32 ? 4 : 8, nz = 0;
      SGP_GUARD(sgp_cursor_take(c, &v, w));
      for (size_t k = 0; k < w; k++) nz |= v[k];
      SGP_ENSURE(nz != 0, SGP_ERR_DEFAULT_PRESENT); /* SGP-WIRE-7 */
    }
  }
  return SGP_OK;
}

static int strictly_ascending(const uint32_t *v, size_t n) {
  for (size_t i = 1; i < n; i++)
    if (v[i] <= v[i - 1]) return 0;
  return 1;
}

sgp_err sgp_report_msg_validate(const sgp_report_msg *r, uint32_t n) {
  SGP_ENSURE(n == 0 || r->origin < n, SGP_ERR_NODE_ID); /* SGP-WIRE-17 */
  SGP_ENSURE(r->origin < SGP_MAX_NODES, SGP_ERR_NODE_ID);
  SGP_ENSURE(r->generation >= 1 && r->seq >= 1, SGP_ERR_RANGE); /* SGP-WIRE-18 */
  SGP_ENSURE(r->suspicion <= SGP_SUSPICION_MAX, SGP_ERR_RANGE); /* SGP-WIRE-19 */
  SGP_ENSURE(r->sub_count == SGP_SUBSCORES, SGP_ERR_SUB_COUNT); /* SGP-WIRE-20 */
  for (size_t i = 0; i < SGP_SUBSCORES; i++)
    SGP_ENSURE(r->sub[i] <= SGP_SUBSCORE_MAX, SGP_ERR_RANGE);
  SGP_ENSURE(r->silent_count <= SGP_MAX_SILENT, SGP_ERR_TOO_MANY);
  SGP_ENSURE(strictly_ascending(r->silent, r->silent_count), SGP_ERR_ORDER); /* SGP-WIRE-21 */
  for (size_t i = 0; i < r->silent_count; i++) {
    SGP_ENSURE(r->silent[i] != r->origin, SGP_ERR_SELF_SILENT);
    SGP_ENSURE((n == 0 || r->silent[i] < n) && r->silent[i] < SGP_MAX_NODES, SGP_ERR_NODE_ID);
  }
  SGP_ENSURE(r->sig.size == SGP_SIG_BYTES, SGP_ERR_SIG_LEN); /* SGP-WIRE-22 */
  return SGP_OK;
}

sgp_err sgp_packet_validate(const sgp_packet *p, uint32_t n) {
  SGP_ENSURE(p->version == SGP_PROTOCOL_VERSION, SGP_ERR_VERSION); /* SGP-WIRE-13 */
  SGP_ENSURE(n == 0 || p->sender < n, SGP_ERR_NODE_ID);            /* SGP-WIRE-17 */
  SGP_ENSURE(p->sender < SGP_MAX_NODES, SGP_ERR_NODE_ID);
  SGP_ENSURE(p->digest_count <= SGP_MAX_DIGEST && p->reports_count <= SGP_MAX_REPORTS,
             SGP_ERR_TOO_MANY);
  switch (p->kind) { /* SGP-WIRE-14 */
    case sgp_v1_Kind_KIND_SYN:
      SGP_ENSURE(p->reports_count == 0 && p->digest_count > 0, SGP_ERR_KIND);
      break;
    case sgp_v1_Kind_KIND_ACK:
      SGP_ENSURE(p->digest_count > 0, SGP_ERR_KIND);
      break;
    case sgp_v1_Kind_KIND_DELTA:
      SGP_ENSURE(p->digest_count == 0 && p->reports_count > 0, SGP_ERR_KIND);
      break;
    default:
      return SGP_ERR_KIND;
  }
  for (size_t i = 0; i < p->digest_count; i++) { /* SGP-WIRE-15 */
    const sgp_version_msg *d = &p->digest[i];
    SGP_ENSURE(i == 0 || d->origin > p->digest[i - 1].origin, SGP_ERR_ORDER);
    SGP_ENSURE((n == 0 || d->origin < n) && d->origin < SGP_MAX_NODES, SGP_ERR_NODE_ID);
    SGP_ENSURE(d->generation >= 1 && d->seq >= 1, SGP_ERR_RANGE);
  }
  for (size_t i = 0; i < p->reports_count; i++) { /* SGP-WIRE-16 */
    SGP_ENSURE(i == 0 || p->reports[i].origin > p->reports[i - 1].origin, SGP_ERR_ORDER);
    SGP_GUARD(sgp_report_msg_validate(&p->reports[i], n));
  }
  return SGP_OK;
}

sgp_err sgp_packet_encode(const sgp_packet *p, uint32_t n, uint8_t *buf, size_t cap, size_t *len) {
  SGP_GUARD(sgp_packet_validate(p, n));
  size_t size;
  SGP_ENSURE(pb_get_encoded_size(&size, sgp_v1_Packet_fields, p), SGP_ERR_DECODE);
  SGP_ENSURE(size <= SGP_MAX_PACKET, SGP_ERR_TOO_LARGE);
  SGP_ENSURE(size <= cap, SGP_ERR_NO_SPACE);
  pb_ostream_t os = pb_ostream_from_buffer(buf, cap);
  SGP_ENSURE(pb_encode(&os, sgp_v1_Packet_fields, p), SGP_ERR_NO_SPACE);
  *len = os.bytes_written;
  return SGP_OK;
}

/* Re-encoding streams into this comparator instead of a buffer, so the
 * canonical check needs no second 256 KiB buffer. */
struct cmp_state {
  const uint8_t *want;
  size_t len, pos; /* pos, not bytes_written: nanopb gives submessages substreams */
};

static bool cmp_write(pb_ostream_t *os, const pb_byte_t *buf, size_t count) {
  struct cmp_state *s = os->state;
  if (count > s->len - s->pos || memcmp(s->want + s->pos, buf, count) != 0) return false;
  s->pos += count;
  return true;
}

sgp_err sgp_packet_decode(sgp_packet *out, uint32_t n, const uint8_t *buf, size_t len) {
  SGP_ENSURE(len <= SGP_MAX_PACKET, SGP_ERR_TOO_LARGE); /* SGP-WIRE-1 */
  SGP_ENSURE(buf != NULL || len == 0, SGP_ERR_INVALID_ARG);
  struct sgp_cursor c = sgp_cursor_reader(buf, len);
  SGP_GUARD(walk_message(sgp_v1_Packet_fields, out, &c));
  SGP_GUARD(sgp_cursor_end(&c));

  pb_istream_t is = pb_istream_from_buffer(buf, len);
  SGP_ENSURE(pb_decode(&is, sgp_v1_Packet_fields, out), SGP_ERR_DECODE);
  SGP_GUARD(sgp_packet_validate(out, n));

  struct cmp_state cs = {buf, len, 0};
  pb_ostream_t os = {.callback = cmp_write, .state = &cs, .max_size = SIZE_MAX};
  SGP_ENSURE(pb_encode(&os, sgp_v1_Packet_fields, out) && cs.pos == len,
             SGP_ERR_NONCANONICAL); /* SGP-WIRE-12 */
  return SGP_OK;
}

static size_t varint_len(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

size_t sgp_report_msg_wire_size(const sgp_report_msg *r) {
  size_t body = 0;
  if (!pb_get_encoded_size(&body, sgp_v1_Report_fields, r)) return SIZE_MAX;
  return 1 + varint_len(body) + body;
}
