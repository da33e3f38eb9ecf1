/* gnuplot PNG of the per-round metrics (contract in plot.h). */
#define _POSIX_C_SOURCE 200809L
#include "plot.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* popen("gnuplot") cannot tell "not installed" from "failed", so look first. */
static int have_gnuplot(void) {
  const char *path = getenv("PATH");
  if (!path) return 0;
  char *copy = strdup(path);
  if (!copy) return 0;
  int found = 0;
  for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir && !found;
       dir = strtok_r(NULL, ":", &save)) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s/gnuplot", dir) < (int)sizeof buf)
      found = access(buf, X_OK) == 0;
  }
  free(copy);
  return found;
}

int plot_png(const char *file, const struct sim_result *r, const char *title) {
  if (strpbrk(file, "'\"\n\\")) {
    fprintf(stderr, "sgpsim: --plot: file name must not contain quotes, backslashes or newlines\n");
    return -1;
  }
  if (!have_gnuplot()) {
    fprintf(stderr,
            "sgpsim: --plot needs gnuplot, which is not on PATH (Debian: apt-get install "
            "gnuplot-nox, or run tools/setup.sh)\n");
    return -1;
  }
  FILE *g = popen("gnuplot", "w");
  if (!g) {
    perror("sgpsim: popen gnuplot");
    return -1;
  }
  fprintf(g, "set terminal pngcairo size 1100,800\nset output '%s'\n$D << EOD\n", file);
  for (uint32_t i = 0; i < r->rounds; i++) {
    const struct sim_round *w = &r->rows[i];
    fprintf(g, "%" PRIu32 " %" PRIu32 " %" PRIu32 " %" PRIu32 " %" PRIu32 " %.1f %" PRIu32 "\n",
            w->round, w->live, w->holding, w->comp, w->silent,
            w->live ? (double)w->bytes / w->live : 0.0, w->rejected);
  }
  fprintf(g, "EOD\nset multiplot layout 2,1 title \"%s\"\nset grid\nset key outside right\n",
          title);
  fprintf(g,
          "set ylabel 'nodes'\nplot $D using 1:2 with lines lw 2 title 'live', "
          "'' using 1:3 with lines title 'hold newest report of node %" PRIu32 "'",
          r->tracked);
  if (r->has_comp)
    fprintf(g, ", '' using 1:4 with lines lw 2 title 'COMPROMISED(%" PRIu32 ")'", r->comp_id);
  if (r->has_crash)
    fprintf(g, ", '' using 1:5 with lines lw 2 title 'SILENT(%" PRIu32 ")'", r->crash_id);
  uint32_t rejected = 0;
  for (uint32_t i = 0; i < r->rounds; i++) rejected += r->rows[i].rejected;
  fprintf(g, "\nset xlabel 'round'\nset ylabel 'bytes'\n");
  if (rejected) fprintf(g, "set y2tics\nset y2range [0:*]\n");
  fprintf(g, "plot $D using 1:6 with lines title 'mean bytes sent per node'");
  if (rejected)
    fprintf(g, ", '' using 1:7 with impulses axes x1y2 title 'packets rejected (right axis)'");
  fprintf(g, "\nunset multiplot\n");
  int st = pclose(g);
  if (st != 0) {
    fprintf(stderr, "sgpsim: gnuplot failed (status %d) writing %s\n", st, file);
    return -1;
  }
  return 0;
}
