/* A program outside the tree that uses the installed SGP package: parameters,
 * error names and the protobuf codec (which needs the nanopb runtime inside
 * libsgp and PB_FIELD_32BIT=1 from the package's flags).  Exit 0 and one
 * line "sgp consumer ok ..." on success. */
#include <stdio.h>

#include "sgp/codec.h"
#include "sgp/result.h"
#include "sgp/state.h"

static sgp_packet pkt; /* about 290 KiB: not on the stack */

int main(void) {
  struct sgp_params p;
  sgp_params_default(&p, 16);
  sgp_err e = sgp_params_validate(&p);
  if (e != SGP_OK) {
    fprintf(stderr, "params: %s\n", sgp_err_name(e));
    return 1;
  }
  /* PB_FIELD_32BIT changes pb_size_t, hence the struct layouts. */
  if (sizeof(pb_size_t) != 4) {
    fprintf(stderr, "PB_FIELD_32BIT not in effect\n");
    return 1;
  }
  /* A truncated varint must be refused by the strict decoder (never SGP_OK). */
  static const uint8_t junk[] = {0x08, 0x80};
  e = sgp_packet_decode(&pkt, 16, junk, sizeof junk);
  if (e == SGP_OK) {
    fprintf(stderr, "decode accepted junk\n");
    return 1;
  }
  printf("sgp consumer ok: n=%u heartbeat=%u t_cleanup=%u junk -> %s\n", p.n, p.heartbeat,
         p.t_cleanup, sgp_err_name(e));
  return 0;
}
