/* --plot: the per-round curves as a PNG, drawn by gnuplot through popen. */
#ifndef SGPSIM_PLOT_H
#define SGPSIM_PLOT_H

#include "sim.h"

/* 0 on success; on failure (gnuplot missing or failing) prints why. */
int plot_png(const char *file, const struct sim_result *r, const char *title);

#endif
