/* Structured one-line logs (contract in log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { LOG_LINE_MAX = 1024, DROP_INTERVAL_MS = 1000 };

static enum sgp_log_level log_min = SGP_LOG_INFO;

/* Per drop reason: when it was last logged and how many were not. */
static struct {
  uint64_t last_ms;
  uint64_t suppressed;
  int logged;
} drop_state[SGP_NODE_DROP_COUNT];

void sgpd_log_set_level(enum sgp_log_level min) {
  log_min = min;
}

int sgpd_log_enabled(enum sgp_log_level lv) {
  return lv >= log_min;
}

/* Bytes written into out (cap >= 1), truncated to fit. */
static size_t log_vformat(char *out, size_t cap, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static size_t log_vformat(char *out, size_t cap, const char *fmt, va_list ap) {
  /* The analyzer cannot see that every caller ran va_start. */
  // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
  int m = vsnprintf(out, cap, fmt, ap);
  if (m <= 0) return 0;
  return (size_t)m < cap ? (size_t)m : cap - 1;
}

void sgpd_log(enum sgp_log_level lv, const char *event, const char *fmt, ...) {
  if (!sgpd_log_enabled(lv)) return;
  char line[LOG_LINE_MAX];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int n = snprintf(line, sizeof line, "ts=%lld.%03ld level=%s event=%s", (long long)ts.tv_sec,
                   ts.tv_nsec / 1000000L, sgp_log_level_name(lv), event);
  if (n < 0) return;
  size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
  if (fmt[0] != '\0' && len + 1 < sizeof line) {
    line[len++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    len += log_vformat(line + len, sizeof line - len, fmt, ap);
    va_end(ap);
  }
  /* A truncated line still ends in LF so the next one starts cleanly. */
  if (len >= sizeof line - 1) len = sizeof line - 2;
  line[len++] = '\n';
  /* One write per line keeps lines whole when stderr is shared. */
  ssize_t w = write(STDERR_FILENO, line, len);
  (void)w;
}

void sgpd_log_drop(uint64_t now_ms, enum sgp_node_drop reason, sgp_err err, uint32_t peer) {
  if ((unsigned)reason >= SGP_NODE_DROP_COUNT) return;
  if (drop_state[reason].logged && now_ms - drop_state[reason].last_ms < DROP_INTERVAL_MS) {
    drop_state[reason].suppressed++;
    return;
  }
  char peer_txt[16];
  if (peer == SGP_NODE_NO_PEER) {
    memcpy(peer_txt, "none", 5);
  } else {
    (void)snprintf(peer_txt, sizeof peer_txt, "%u", (unsigned)peer);
  }
  sgpd_log(SGP_LOG_INFO, "drop", "reason=%s err=%s peer=%s suppressed=%llu",
           sgp_node_drop_name(reason), sgp_err_name(err), peer_txt,
           (unsigned long long)drop_state[reason].suppressed);
  drop_state[reason].logged = 1;
  drop_state[reason].last_ms = now_ms;
  drop_state[reason].suppressed = 0;
}
