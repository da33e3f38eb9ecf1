/* sgpsim command line: options, defaults and validation (see --help). */
#ifndef SGPSIM_CLI_H
#define SGPSIM_CLI_H

#include <stdint.h>

#include "sim.h"

/* Exit status: 0 ok, 1 an --expect-* check failed, 2 usage error,
 * 3 runtime failure (out of memory, library error, gnuplot). */
enum { EXIT_EXPECT = 1, EXIT_USAGE = 2, EXIT_RUN = 3 };

struct opts {
  struct sim_config c;
  const char *csv, *plot, *partition, *n_list;
  int quiet, table, dissemination, ablation, loss_set;
  int expect_verdicts, expect_harmless, expect_harmful;
  uint32_t ideal_trials;
  uint32_t heartbeat, t_cleanup, max_silent;
  int heartbeat_set, t_cleanup_set, max_silent_set;
};

/* Defaults, then argv; 0 or EXIT_USAGE (--help prints and exits 0). */
int cli_parse(int argc, char **argv, struct opts *o);
/* Applies n-dependent defaults and checks ids; 0 or EXIT_USAGE. */
int cli_finish(struct opts *o);
/* Parses --partition for o->c.n into side[n] (caller-owned); 0 or -1. */
int cli_partition(const char *spec, struct sim_config *c, uint8_t *side);
int cli_parse_u32(const char *s, uint32_t *out);
__attribute__((format(printf, 1, 2))) int cli_die_usage(const char *fmt, ...);

#endif
