/* sgpbench --scale (scale.c): receive path vs crypto floor and memory per node
 * for each n in ns.  Prints figures (and whether the 50 % target was met);
 * returns 0, exits 1 on a library failure.  Asserts nothing about speed. */
#ifndef SGPBENCH_SCALE_H
#define SGPBENCH_SCALE_H

#include <stddef.h>
#include <stdint.h>

int sgpbench_scale(const uint32_t *ns, size_t count, int quick);

#endif
