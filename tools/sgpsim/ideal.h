/* The ideal synchronous push-pull reference (Karp et al. 2000), simulated.
 *
 * One rumour, n nodes, all live; initially only one node is informed.  In
 * each round every node contacts a uniformly random other node; with no
 * loss both end the round informed if either was informed at round start.
 * Loss uses the same per-message model as the simulator's exchange: the
 * SYN, the ACK and the DELTA are each dropped with probability p; the
 * initiator learns the responder's rumour from the ACK, the responder the
 * initiator's from the DELTA (sent only after the ACK arrived).
 */
#ifndef SGPSIM_IDEAL_H
#define SGPSIM_IDEAL_H

#include <stdint.h>

/* Rounds until every node is informed; 0 on OOM. */
uint32_t ideal_push_pull(uint32_t n, double loss, uint64_t seed, uint32_t trial);

#endif
