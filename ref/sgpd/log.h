/* sgpd logs: one line per event on stderr,
 *   ts=<unix seconds>.<ms> level=<debug|info|warn|error> event=<name> k=v ...
 *
 * Callers pass only public values (ids, counters, addresses, error names,
 * paths); no function here ever receives key material (SGP-NODE-11).
 * Drops are counted by the node and logged at most once per second per
 * reason, with the number suppressed since the last line (SGP-NODE-12).
 */
#ifndef SGPD_LOG_H
#define SGPD_LOG_H

#include <stdint.h>

#include "sgp/config.h"
#include "sgp/node.h"

void sgpd_log_set_level(enum sgp_log_level min);
int sgpd_log_enabled(enum sgp_log_level lv);
/* fmt formats the k=v part (may be ""); values with spaces must be quoted by the caller. */
void sgpd_log(enum sgp_log_level lv, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Rate-limited drop line (now_ms on the monotonic clock). */
void sgpd_log_drop(uint64_t now_ms, enum sgp_node_drop reason, sgp_err err, uint32_t peer);

#endif
