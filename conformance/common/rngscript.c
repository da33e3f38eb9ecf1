/* Scripted randomness: see rngscript.h. */
#include "rngscript.h"

#include <string.h>

void conf_script_push(struct conf_script *s, const uint8_t *p, size_t len) {
  if (s->tail >= CONF_SCRIPT_CHUNKS || len > CONF_SCRIPT_CHUNK) {
    s->fail = 1;
    return;
  }
  memcpy(s->bytes[s->tail], p, len);
  s->len[s->tail++] = len;
}

void conf_script_push_u32(struct conf_script *s, uint32_t v) {
  uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
  conf_script_push(s, b, 4);
}

void conf_script_config(struct sgp_session_config *c, struct conf_script *s, uint32_t self,
                        uint32_t n, const uint8_t *dh_sk, const uint8_t (*dh_pk)[32],
                        uint32_t generation) {
  static const uint8_t secret[32] = {0};
  memset(c, 0, sizeof *c);
  c->self = self;
  c->n = n;
  c->dh_sk = dh_sk;
  c->dh_pk = dh_pk;
  c->generation = generation;
  c->rng = conf_script_rng;
  c->rng_ctx = s;
  conf_script_push(s, secret, 32);
}

/* An unexpected request gets zeros and marks the script failed. */
void conf_script_rng(void *ctx, uint8_t *out, size_t len) {
  struct conf_script *s = ctx;
  if (s->head >= s->tail || s->len[s->head] != len) {
    s->fail = 1;
    memset(out, 0, len);
    return;
  }
  memcpy(out, s->bytes[s->head++], len);
  if (s->head == s->tail) s->head = s->tail = 0;
}
