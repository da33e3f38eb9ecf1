/* Target Functions: sgp_config_parse (sgpd's INI configuration, through libinih),
 * sgp_generation_parse / _format / _next (the generation file)
 *
 * Input: byte 0 is a mode byte, the rest r:
 *   mode % 3 == 0  r is a configuration text (no NUL terminator; the parser must not need one)
 *   mode % 3 == 1  r is a generation file
 *   mode % 3 == 2  r is a u32 stored generation (sgp_generation_next)
 * Invariants (each a finding if it breaks):
 *   - every return is a named code;
 *   - config: atomic, on error *out is untouched (compared with a 0x5a-filled copy), the error
 *     line is 1 .. lines + 1 and the reason non-NULL; on success every path is NUL-terminated
 *     inside its field, jigsaw is 0, 1 or 3, carrier and log level are known values, weights
 *     are <= 1000, speed >= 1, and parsing the same text again gives the same struct;
 *   - generation: accepted text is canonical, i.e. sgp_generation_format of the value gives
 *     back exactly the input (SGP-STATE-2); next(stored) > stored unless EXHAUSTED.
 */
#include <string.h>

#include "fuzz_common.h"
#include "sgp/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sgp_config cfg, cfg2, marker;
static char text[SGP_CONFIG_MAX_BYTES + 16];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fz_init();
  memset(&marker, 0x5a, sizeof marker);
  return 0;
}

static int terminated(const char *s, size_t cap) {
  return memchr(s, '\0', cap) != NULL;
}

static void config(const uint8_t *r, size_t n) {
  /* A copy of exactly n bytes at the end of a guarded buffer would be nicer; libFuzzer's own
   * buffer is exactly n bytes long under ASan already, so parse it in place. */
  struct sgp_config_error err = {0, NULL};
  memcpy(&cfg, &marker, sizeof cfg);
  sgp_err e = sgp_config_parse(&cfg, (const char *)r, n, &err);
  fz_check_named(e, "sgp_config_parse");
  size_t lines = 1;
  for (size_t i = 0; i < n; i++) lines += r[i] == '\n';
  if (e != SGP_OK) {
    FZ_CHECK(memcmp(&cfg, &marker, sizeof cfg) == 0, "rejected config (%s) wrote *out",
             sgp_err_name(e));
    FZ_CHECK(err.reason != NULL && err.line <= lines + 1, "error %s at line %u of %zu, reason %s",
             sgp_err_name(e), err.line, lines, err.reason ? err.reason : "(null)");
    return;
  }
  FZ_CHECK(terminated(cfg.roster, sizeof cfg.roster) && terminated(cfg.key, sizeof cfg.key) &&
               terminated(cfg.state_dir, sizeof cfg.state_dir) &&
               terminated(cfg.control_socket, sizeof cfg.control_socket) &&
               terminated(cfg.agent_source, sizeof cfg.agent_source),
           "a path is not NUL-terminated");
  FZ_CHECK(cfg.jigsaw == 0 || cfg.jigsaw == 1 || cfg.jigsaw == 3, "jigsaw %u", cfg.jigsaw);
  FZ_CHECK((unsigned)cfg.carrier <= SGP_CARRIER_LSB_WAV && (unsigned)cfg.log_level <= SGP_LOG_ERROR,
           "carrier %d log level %d", (int)cfg.carrier, (int)cfg.log_level);
  for (size_t i = 0; i < SGP_SUBSCORES; i++)
    FZ_CHECK(cfg.weights[i] <= 1000, "weight %zu = %u", i, cfg.weights[i]);
  FZ_CHECK(cfg.agent_speed_milli >= 1, "speed 0");
  for (size_t k = 0; k < SGP_CFG_KEYS_TRACKED; k++)
    FZ_CHECK(cfg.line[k] <= lines, "key %zu at line %u of %zu", k, cfg.line[k], lines);
  memcpy(&cfg2, &marker, sizeof cfg2);
  e = sgp_config_parse(&cfg2, (const char *)r, n, &err);
  FZ_CHECK(e == SGP_OK, "second parse of the same text: %s", sgp_err_name(e));
  /* Compare field by field (padding inside the struct may differ). */
  FZ_CHECK(cfg.id == cfg2.id && strcmp(cfg.roster, cfg2.roster) == 0 &&
               strcmp(cfg.key, cfg2.key) == 0 && strcmp(cfg.state_dir, cfg2.state_dir) == 0 &&
               cfg.t_gossip_ms == cfg2.t_gossip_ms && cfg.budget == cfg2.budget &&
               cfg.jigsaw == cfg2.jigsaw && cfg.carrier == cfg2.carrier &&
               strcmp(cfg.agent_source, cfg2.agent_source) == 0 &&
               memcmp(cfg.weights, cfg2.weights, sizeof cfg.weights) == 0 &&
               memcmp(cfg.line, cfg2.line, sizeof cfg.line) == 0,
           "parsing the same text twice gave different configs");
}

static void generation(const uint8_t *r, size_t n) {
  uint32_t g = 0xa5a5a5a5u;
  sgp_err e = sgp_generation_parse(r, n, &g);
  fz_check_named(e, "sgp_generation_parse");
  if (e != SGP_OK) {
    FZ_CHECK(g == 0xa5a5a5a5u, "rejected generation file wrote *g");
    return;
  }
  size_t len = 0;
  e = sgp_generation_format(g, text, sizeof text, &len);
  FZ_CHECK(e == SGP_OK && len == n && memcmp(text, r, n) == 0,
           "generation %u accepted from %zu bytes that are not its canonical form", g, n);
}

static void next(const uint8_t *r, size_t n) {
  struct fz_in in = {r, n};
  uint32_t stored = fz_u32(&in), nx = 0;
  sgp_err e = sgp_generation_next(stored, &nx);
  fz_check_named(e, "sgp_generation_next");
  FZ_CHECK(e == SGP_OK ? nx > stored : (e == SGP_ERR_EXHAUSTED && stored == UINT32_MAX),
           "next(%u) = %u (%s)", stored, nx, sgp_err_name(e));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  switch (data[0] % 3) {
    case 0:
      config(data + 1, size - 1);
      break;
    case 1:
      generation(data + 1, size - 1);
      break;
    default:
      next(data + 1, size - 1);
      break;
  }
  return 0;
}
