/* Helpers shared by the xportvec generators (transport, fragment and
 * carrier vectors): a seeded ChaCha20 stream, Wycheproof-style test
 * objects and deterministic JSON output.
 *
 * Every generator calls vec_begin with its own 32-byte seed, so the files
 * are independent: adding a value to one generator never shifts the
 * values of another.  Any failure ends the process (vec_die): a vector
 * file is written whole or not at all.
 */
#ifndef XPORTVEC_VECJSON_H
#define XPORTVEC_VECJSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

_Noreturn void die(const char *what);

/* Resets the stream to `seed` (32 bytes) and the tcId / test counters. */
void vec_begin(const char *seed);
/* Next len bytes of the seeded stream (one ChaCha20 call per draw). */
void draw(uint8_t *out, size_t len);
uint32_t draw32(void);

json_t *hex(const uint8_t *p, size_t len);
void put(json_t *o, const char *k, json_t *v);
void put_hex(json_t *o, const char *k, const uint8_t *p, size_t len);
void put_u32(json_t *o, const char *k, uint32_t v); /* 4 bytes big-endian hex */
void put_u64(json_t *o, const char *k, uint64_t v); /* 8 bytes big-endian hex */
json_t *strs(const char *const *list);              /* NULL-terminated */
/* [{node: i, ka: hex a[i], kb: hex b[i]} for i < n]: a group's roster keys. */
json_t *vec_roster(uint32_t n, const char *ka, const uint8_t (*a)[32], const char *kb,
                   const uint8_t (*b)[32]);
void append(json_t *array, json_t *v);

/* {tcId, comment, flags: [], result, reqs} with the next tcId. */
json_t *new_test(const char *comment, const char *result, const char *const *reqs);
/* The same with Wycheproof flags (NULL-terminated, may be NULL). */
json_t *new_test_flags(const char *comment, const char *result, const char *const *reqs,
                       const char *const *flags);
int vec_count(void);

/* The top of a vector file: {algorithm, schema, generatorVersion "1",
 * numberOfTests (the tests made since vec_begin), header (NULL-terminated
 * lines)}; the caller adds notes and testGroups. */
json_t *vec_root(const char *algorithm, const char *schema, const char *const *header);

/* json_dumps(root, indent 1) plus a newline to path ("-": stdout). */
void vec_write(json_t *root, const char *path);

/* The three generators. */
void gen_transport(const char *path);
void gen_fragment(const char *path);
void gen_carrier(const char *path);

#endif
