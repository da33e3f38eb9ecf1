/* agenteval --plot: suspicion over log time per host, drawn by gnuplot. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "eval.h"

int ev_plot(const struct ev_opts *o, const struct ev_log *log, const struct ev_host *hosts,
            size_t nhosts) {
  char dat[] = "/tmp/agenteval-XXXXXX";
  int fd = mkstemp(dat);
  if (fd < 0) return -1;
  FILE *d = fdopen(fd, "w");
  if (d == NULL) {
    close(fd);
    unlink(dat);
    return -1;
  }
  uint64_t t0 = log->t0_us / 1000u;
  for (size_t h = 0; h < nhosts; h++) { /* one gnuplot data block per host */
    for (size_t i = 0; i < hosts[h].npts; i++) {
      fprintf(d, "%.1f %u\n", (double)(hosts[h].pts[i].t_ms - t0) / 1000.0,
              hosts[h].pts[i].suspicion);
    }
    fprintf(d, "\n\n");
  }
  fclose(d);
  FILE *g = popen("gnuplot", "w");
  if (g == NULL) {
    unlink(dat);
    return -1;
  }
  fprintf(g, "set terminal pngcairo size 1200,600 noenhanced\n");
  fprintf(g, "set output '%s'\n", o->plot);
  fprintf(g, "set title 'agent suspicion: %s'\n", o->path);
  fprintf(g, "set xlabel 'log time (s)'\nset ylabel 'suspicion (0..5000)'\n");
  fprintf(g, "set yrange [0:5100]\nset key outside right\n");
  fprintf(g,
          "plot %u w l dt 2 lc rgb 'orange' t 'theta_suspect', "
          "%u w l dt 2 lc rgb 'red' t 'theta_compromised'",
          o->theta_suspect, o->theta_compromised);
  for (size_t h = 0; h < nhosts; h++) {
    char ip[64];
    sgp_ip_format(&hosts[h].ip, ip, sizeof ip);
    fprintf(g, ", '%s' index %zu w l t '%s'", dat, h, ip);
  }
  fprintf(g, "\n");
  int rc = pclose(g);
  unlink(dat);
  return rc == 0 ? 0 : -1;
}
