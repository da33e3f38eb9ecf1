/* SGP v1 limits and default parameters (spec §2 and §4.5).
 *
 * Every fixed-capacity structure in the library is sized from these.  The
 * numbers are normative: a conforming node MUST reject input that exceeds
 * them, and the .options file for nanopb repeats them (a build-time check
 * in codec.c fails if the two disagree).
 */
#ifndef SGP_LIMITS_H
#define SGP_LIMITS_H

#include <stdint.h>

enum {
  SGP_PROTOCOL_VERSION = 1,

  /* Flat cluster: node ids are 0 .. SGP_MAX_NODES-1. */
  SGP_MAX_NODES = 16384,

  /* Fixed point: suspicion in thousandths, 0..5000; sub-scores 0..1000. */
  SGP_SUSPICION_MAX = 5000,
  SGP_SUBSCORE_MAX = 1000,
  SGP_SUBSCORES = 5,

  /* Opinion row carried in each report: ids the origin considers silent. */
  SGP_MAX_SILENT = 64,

  /* Per packet. */
  SGP_MAX_DIGEST = SGP_MAX_NODES,
  SGP_MAX_REPORTS = 1024,
  SGP_MAX_PACKET = 262144,    /* encoded gossip packet, before transport */
  SGP_DEFAULT_BUDGET = 65536, /* default bytes of reports per packet */
  SGP_ACK_RESERVE = 32768,    /* room an ACK's digest leaves for reports */

  SGP_SIG_BYTES = 64,
  SGP_SIGN_PK_BYTES = 32,
  SGP_SIGN_SEED_BYTES = 32,
  SGP_DH_BYTES = 32,

  /* Text files (SGP-KEY-9), checked before parsing. */
  SGP_MAX_KEYFILE = 4096,
  SGP_MAX_ROSTERFILE = 8388608,

  /* Saturation value of a gossip-list age. */
  SGP_AGE_MAX = 0xffff,
};

/* Default timers (spec §1.4). Times in milliseconds, rounds in T_gossip. */
#define SGP_DEFAULT_T_GOSSIP_MS 1000u
#define SGP_DEFAULT_HEARTBEAT_ROUNDS 10u
#define SGP_DEFAULT_T_CLEANUP_ROUNDS 40u
#define SGP_DEFAULT_THETA_SUSPECT 2500u
#define SGP_DEFAULT_THETA_COMPROMISED 4000u

#endif
