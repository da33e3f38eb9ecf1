/* sgpctl's reply checks and tables (see reply.h). */
#include "reply.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Printable ASCII, TAB and LF only, ending in LF. */
int sgpctl_reply_is_text(const char *p, size_t len) {
  if (len == 0 || p[len - 1] != '\n') return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)p[i];
    if (!(c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f))) return 0;
  }
  return 1;
}

/* ---- tables ----------------------------------------------------------------------- */

static int get_uint(const json_t *o, const char *k, unsigned long long *v) {
  const json_t *x = json_object_get(o, k);
  if (!json_is_integer(x) || json_integer_value(x) < 0) return -1;
  *v = (unsigned long long)json_integer_value(x);
  return 0;
}

/* A string member, refused (NULL) unless it is printable ASCII: the raw reply passed
 * sgpctl_reply_is_text, but JSON escapes (\u001b, \n, \u0000) decode to bytes that
 * would reach the terminal as escape sequences or forged table lines. */
static const char *get_str(const json_t *o, const char *k) {
  const json_t *x = json_object_get(o, k);
  if (!json_is_string(x)) return NULL;
  const char *v = json_string_value(x);
  size_t len = json_string_length(x);
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e) return NULL;
  return v;
}

static int table_status(const json_t *root, FILE *out) {
  unsigned long long self, gen, round, n, susp;
  const json_t *nodes = json_object_get(root, "nodes");
  if (get_uint(root, "self", &self) || get_uint(root, "generation", &gen) ||
      get_uint(root, "round", &round) || get_uint(root, "n", &n) ||
      get_uint(root, "suspicion", &susp) || !json_is_array(nodes)) {
    return -1;
  }
  fprintf(out, "self %llu  generation %llu  round %llu  n %llu  suspicion %llu\n", self, gen, round,
          n, susp);
  fprintf(out, "%6s %9s %6s %22s  %s\n", "ID", "SUSPICION", "AGE", "VERSION", "VERDICT");
  size_t i;
  const json_t *e;
  json_array_foreach(nodes, i, e) {
    unsigned long long id, g, s, su, age;
    const char *v = get_str(e, "verdict");
    if (get_uint(e, "id", &id) || get_uint(e, "gen", &g) || get_uint(e, "seq", &s) ||
        get_uint(e, "suspicion", &su) || get_uint(e, "age", &age) || v == NULL) {
      return -1;
    }
    char ver[48];
    snprintf(ver, sizeof ver, "%llu.%llu", g, s);
    fprintf(out, "%6llu %9llu %6llu %22s  %s%s\n", id, su, age, g == 0 ? "-" : ver, v,
            id == self ? "  (self)" : "");
  }
  return 0;
}

static int table_verdicts(const json_t *root, FILE *out) {
  const json_t *vs = json_object_get(root, "verdicts");
  if (!json_is_array(vs)) return -1;
  fprintf(out, "%6s  %s\n", "ID", "VERDICT");
  size_t i;
  const json_t *e;
  json_array_foreach(vs, i, e) {
    unsigned long long id;
    const char *v = get_str(e, "verdict");
    if (get_uint(e, "id", &id) || v == NULL) return -1;
    fprintf(out, "%6llu  %s\n", id, v);
  }
  return 0;
}

static int table_peers(const json_t *root, FILE *out) {
  const json_t *ps = json_object_get(root, "peers");
  if (!json_is_array(ps)) return -1;
  fprintf(out, "%6s %-42s %-8s %10s %12s %12s  %s\n", "ID", "ADDR", "SESSION", "AGE_MS", "TX_CTR",
          "RX_CTR_MAX", "HANDSHAKE");
  size_t i;
  const json_t *e;
  json_array_foreach(ps, i, e) {
    unsigned long long id, age = 0, tx = 0, rx = 0;
    const char *addr = get_str(e, "addr"), *sess = get_str(e, "session");
    if (get_uint(e, "id", &id) || addr == NULL || sess == NULL) return -1;
    int cur = strcmp(sess, "current") == 0;
    if (cur && (get_uint(e, "session_age_ms", &age) || get_uint(e, "tx_counter", &tx) ||
                get_uint(e, "rx_counter_max", &rx))) {
      return -1;
    }
    fprintf(out, "%6llu %-42s %-8s %10llu %12llu %12llu  %s\n", id, addr, sess, age, tx, rx,
            json_is_true(json_object_get(e, "handshake_outstanding")) ? "outstanding" : "-");
  }
  return 0;
}

static int show_json(const char *cmd, const char *p, size_t len, int raw, FILE *out_final,
                     FILE *err) {
  json_error_t jerr;
  json_t *root = json_loadb(p, len, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL || !json_is_object(root) || memchr(p, '\n', len) != p + len - 1) {
    fprintf(err, "sgpctl: garbled reply (%s)\n", root == NULL ? jerr.text : "not one object line");
    json_decref(root);
    return SGPCTL_REPLY_FAIL;
  }
  const char *e = get_str(root, "error");
  int rc = 0;
  if (e == NULL && json_is_string(json_object_get(root, "error"))) {
    /* sgpd's refusal, but with bytes that must not reach the terminal. */
    fprintf(err, "sgpctl: garbled reply (error text is not printable)\n");
    rc = SGPCTL_REPLY_FAIL;
  } else if (e != NULL) {
    fprintf(err, "sgpctl: sgpd: %s\n", e);
    rc = SGPCTL_REPLY_FAIL;
  } else if (raw) {
    fwrite(p, 1, len, out_final);
  } else {
    /* Rendered off-screen first: a reply that turns out malformed half-way
     * prints nothing. */
    char *text = NULL;
    size_t text_len = 0;
    FILE *out = open_memstream(&text, &text_len);
    int t = out == NULL                    ? -1
            : strcmp(cmd, "status") == 0   ? table_status(root, out)
            : strcmp(cmd, "verdicts") == 0 ? table_verdicts(root, out)
                                           : table_peers(root, out);
    if (out != NULL) fclose(out);
    if (t != 0) {
      fprintf(err, "sgpctl: garbled reply (unexpected shape for %s)\n", cmd);
      rc = SGPCTL_REPLY_FAIL;
    } else {
      fwrite(text, 1, text_len, out_final);
    }
    free(text);
  }
  json_decref(root);
  return rc;
}

int sgpctl_reply_show(const char *cmd, const char *p, size_t len, int raw, FILE *out, FILE *err) {
  if (!sgpctl_reply_is_text(p, len)) {
    fprintf(err, "sgpctl: garbled reply (not text ending in a newline)\n");
    return SGPCTL_REPLY_FAIL;
  }
  if (strcmp(cmd, "metrics") == 0) {
    fwrite(p, 1, len, out);
    return SGPCTL_REPLY_OK;
  }
  return show_json(cmd, p, len, raw, out, err);
}
