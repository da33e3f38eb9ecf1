/* Counter-based deterministic randomness for the simulator.
 *
 * Every random decision is a pure function of (seed, purpose, indices):
 * rng_hash mixes up to four 64-bit words with the splitmix64 finalizer.
 * Because no decision consumes from a shared stream, adding or removing
 * one message (e.g. the insider's forgeries, or a memo cache lookup) never
 * shifts the fate of any other message: a run with and without an insider
 * differs only by what the insider itself does.
 */
#ifndef SGPSIM_RNG_H
#define SGPSIM_RNG_H

#include <stdint.h>

enum rng_purpose {
  RNG_PEER = 1,     /* (round, node): gossip peer choice */
  RNG_SYN_TAG,      /* (round, initiator): tag of an exchange's SYN */
  RNG_INSIDER_TAG,  /* (round, k): tag of the insider's k-th extra packet */
  RNG_INSIDER_PEER, /* (round, k): receiver of that packet */
  RNG_LOSS,         /* (tag): message dropped */
  RNG_DUP,          /* (tag): message delivered twice */
  RNG_DELAY,        /* (tag): message delayed */
  RNG_DELAY_LEN,    /* (tag): by 1..3 rounds */
  RNG_COPY,         /* (tag, copy): tag of one delivered copy */
  RNG_REPLY,        /* (copy tag, kind): tag of the reply to it */
  RNG_PHASE,        /* (node): heartbeat phase */
  RNG_TRIAL,        /* (k, attempt): dissemination trial origin */
  RNG_KEY,          /* (node): key seed */
  RNG_IDEAL,        /* (trial, round, node, what): ideal push-pull model */
  RNG_FRAG_LOSS,    /* (tag, fragment): datagram dropped (--loss-unit datagram) */
};

uint64_t rng_hash(uint64_t a, uint64_t b, uint64_t c, uint64_t d);
/* Uniform in [0, 1) from the top 53 bits. */
double rng_unit(uint64_t h);
/* Uniform in [0, m), m >= 1 (modulo bias < 2^-49 for m <= 2^14). */
uint32_t rng_below(uint64_t h, uint32_t m);

#endif
