/* sgpd configuration (spec §11) and the generation file (spec §2.5).
 *
 * Pure: parses caller buffers into caller structs; no file I/O, no malloc,
 * no clock.  The INI text goes through libinih (ini_parse_stream with a
 * bounded, line-counting reader over the buffer, so the input needs no NUL
 * terminator and every error carries its line number; ini_parse_string
 * would give neither), and every value is then checked here:
 *
 *   [node]      id (required), roster, key, state_dir, control_socket
 *               (required paths), listen (optional; default: the node's
 *               own roster address), log_level = debug|info|warn|error,
 *               keylog (optional path: opt-in session key log for
 *               `sgp inspect`; absent = off, SGP-NODE-20)
 *   [protocol]  t_gossip_ms heartbeat t_cleanup theta_suspect
 *               theta_compromised max_silent budget   (spec §1.4 ranges)
 *   [transport] jigsaw = off|aont|parity (aont-parity accepted as in §1.4)
 *               carrier = raw|lsb-pgm|lsb-wav   reasm_global_bytes
 *   [agent]     source = fixed:V|live|zeek:PATH:IP|binetflow:PATH:IP
 *               interval_ms (default t_gossip_ms)  speed (replay factor,
 *               decimal with up to 3 fraction digits, default 1)
 *               weights = w0,w1,w2,w3,w4
 *
 * Lexical rules (stricter than inih alone): the text is at most
 * SGP_CONFIG_MAX_BYTES; every line at most SGP_CONFIG_MAX_LINE bytes
 * (SGP_ERR_TOO_LARGE) of printable ASCII or TAB (SGP_ERR_SYNTAX otherwise,
 * so CR, NUL and non-ASCII are refused); a section header must be exactly
 * one of the four names above; comments start with '#' or ';'.
 *
 * Error codes (SGP-NODE-2, SGP-PARAM-1): an unknown section or key, a line
 * inih cannot read, or a malformed value is SGP_ERR_SYNTAX; a well-formed
 * number outside its range, or parameters that break sgp_params_validate
 * together, SGP_ERR_RANGE; a repeated key SGP_ERR_DUP_ENTRY; a missing
 * required key SGP_ERR_MISSING at the line after the last (§2.2).
 *
 * Atomic: on any error *out is untouched and *err holds the 1-based line
 * and a static reason.  Paths are returned as written; sgpd resolves
 * relative ones against the config file's directory.
 */
#ifndef SGP_CONFIG_H
#define SGP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/carrier.h"
#include "sgp/limits.h"
#include "sgp/result.h"
#include "sgp/roster.h"

enum {
  SGP_CONFIG_MAX_BYTES = 65536,
  SGP_CONFIG_MAX_LINE = 190,              /* within libinih's 200-byte line buffer */
  SGP_CONFIG_PATH_MAX = 176,              /* one value, NUL included */
  SGP_CONFIG_SPEED_MAX_MILLI = 100000000, /* speed <= 100000 */
  SGP_CONFIG_INTERVAL_MIN_MS = 10,
  SGP_CONFIG_INTERVAL_MAX_MS = 3600000,
  SGP_GENFILE_MAX = 11, /* "4294967295\n" */
};

enum sgp_log_level {
  SGP_LOG_DEBUG = 0,
  SGP_LOG_INFO = 1,
  SGP_LOG_WARN = 2,
  SGP_LOG_ERROR = 3,
};

/* Keys whose value names something outside the config: sgpd reports a
 * failure to use that thing at the line of the key. */
enum sgp_config_key {
  SGP_CFG_ID,
  SGP_CFG_ROSTER,
  SGP_CFG_KEY,
  SGP_CFG_STATE_DIR,
  SGP_CFG_CONTROL_SOCKET,
  SGP_CFG_LISTEN,
  SGP_CFG_SOURCE,
  SGP_CFG_KEYLOG,
  SGP_CFG_KEYS_TRACKED,
};

struct sgp_config {
  uint32_t id;
  char roster[SGP_CONFIG_PATH_MAX];
  char key[SGP_CONFIG_PATH_MAX];
  char state_dir[SGP_CONFIG_PATH_MAX];
  char control_socket[SGP_CONFIG_PATH_MAX];
  int has_listen;         /* 0: bind the own roster address */
  struct sgp_addr listen; /* may be the wildcard 0.0.0.0 or :: */
  enum sgp_log_level log_level;
  char keylog[SGP_CONFIG_PATH_MAX]; /* "" = no key log (the default, SGP-NODE-20) */

  uint32_t t_gossip_ms, heartbeat, t_cleanup, theta_suspect, theta_compromised, max_silent;
  uint32_t budget;

  uint8_t jigsaw; /* node.h encoding: 0 off, 1 aont, 3 aont + parity */
  enum sgp_carrier_kind carrier;
  uint32_t reasm_global_bytes;

  char agent_source[SGP_CONFIG_PATH_MAX];
  uint32_t agent_interval_ms;
  uint32_t agent_speed_milli; /* speed x 1000, >= 1 */
  uint16_t weights[SGP_SUBSCORES];

  unsigned line[SGP_CFG_KEYS_TRACKED]; /* where each key was set; 0 if defaulted */
};

struct sgp_config_error {
  unsigned line;
  const char *reason; /* static text, never NULL after an error */
};

/* Parses text[0..len) (no NUL needed).  See the contract above. */
SGP_MUST_CHECK sgp_err sgp_config_parse(struct sgp_config *out, const char *text, size_t len,
                                        struct sgp_config_error *err);

const char *sgp_log_level_name(enum sgp_log_level l);

/* Generation file (SGP-STATE-2): exactly `gen-value LF`, gen-value canonical
 * decimal 1..4294967295.  Anything else is SGP_ERR_SYNTAX (*g untouched). */
SGP_MUST_CHECK sgp_err sgp_generation_parse(const uint8_t *text, size_t len, uint32_t *g);

/* The file content for g (1..4294967295) plus NUL; *out_len excludes the
 * NUL.  SGP_ERR_RANGE for g = 0, SGP_ERR_NO_SPACE if cap is too small. */
SGP_MUST_CHECK sgp_err sgp_generation_format(uint32_t g, char *out, size_t cap, size_t *out_len);

/* SGP-STATE-3/4: the generation to persist after a stored value (0 = no
 * file yet); SGP_ERR_EXHAUSTED when stored is 4294967295. */
SGP_MUST_CHECK sgp_err sgp_generation_next(uint32_t stored, uint32_t *next);

#endif
