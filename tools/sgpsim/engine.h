/* Internals shared by the round engine (sim.c) and the two merge models
 * (proto_sgp.c, proto_age.c).  The engine owns the schedule, the network
 * (fault model, FIFO queue, delayed messages, deferred merges) and the
 * metrics; a model owns the node states and what a message contains.
 */
#ifndef SGPSIM_ENGINE_H
#define SGPSIM_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "sim.h"

enum msg_kind { MSG_SYN = 1, MSG_ACK = 2, MSG_DELTA = 3 };

struct payload {
  uint8_t *data; /* heap, owned by whoever holds the payload */
  size_t len;
  uint32_t wire; /* bytes counted as sent (encoded packet size) */
};

struct msg {
  uint32_t from, to, due;
  uint8_t kind;
  uint64_t tag;
  struct payload p;
};

struct msgvec {
  struct msg *v;
  size_t len, cap;
};

struct sim;

struct proto {
  int (*init)(struct sim *s);
  void (*fini)(struct sim *s);
  int (*restart)(struct sim *s, uint32_t id);
  int (*set_local)(struct sim *s, uint32_t id, uint32_t suspicion, const uint16_t sub[5]);
  int (*syn)(struct sim *s, uint32_t from, struct payload *out);
  /* Handles a delivered message: may send a reply (sim_send) and may take
   * m->p for a deferred merge (sim_defer_merge, which clears m->p).
   * merge=sgp and merge=model use sim_receive_exchange with their answer. */
  int (*receive)(struct sim *s, struct msg *m);
  /* Node m->to's answer to a delivered SYN (an ACK) or ACK (a DELTA) from
   * its current state: *out the reply (left empty for a DELTA without
   * reports), *reports how many reports it carries, *carries whether m
   * itself carries reports to merge.  0 ok, 1 undecodable (counted as
   * rejected), -1 fatal.  NULL for protos with their own receive. */
  int (*answer)(struct sim *s, const struct msg *m, struct payload *out, uint32_t *reports,
                int *carries);
  /* Returns 0 merged, 1 rejected (counted by the engine), -1 fatal. */
  int (*merge)(struct sim *s, uint32_t to, const struct payload *p);
  int (*tick)(struct sim *s, uint32_t id);
  void (*verdicts)(struct sim *s, uint32_t id, uint8_t *out);
  /* Held version of origin at viewer; gen 0 = none. */
  void (*version)(const struct sim *s, uint32_t viewer, uint32_t origin, uint32_t *gen,
                  uint32_t *seq);
  /* The insider's extra packets for this round (engine calls it after the SYNs). */
  int (*insider_round)(struct sim *s);
};

struct sim {
  const struct sim_config *c;
  struct sim_result *r;
  const struct proto *proto;
  void *model; /* the proto's state */
  uint32_t n, round;
  uint8_t *alive;
  uint32_t comp_id;    /* the tracked bot, or UINT32_MAX */
  struct msgvec queue; /* this round's FIFO */
  size_t head;
  struct msgvec pending; /* delayed to a later round, in send order */
  struct msgvec merges;  /* deferred merges of this round, in arrival order */
  uint64_t round_bytes;
  uint32_t round_rejected;
  uint64_t round_part[SIM_PARTS]; /* merge=model: this round's byte and report breakdown */
};

extern const struct proto proto_sgp, proto_age, proto_model;

/* The exchange of spec §5.4 as the engine runs it for merge=sgp and
 * merge=model: a SYN is answered by an ACK (always sent), an ACK by a DELTA
 * (sent only with reports, SGP-XCHG-5) and queued for the deferred merge if
 * it carries reports; a DELTA is queued for the deferred merge. */
int sim_receive_exchange(struct sim *s, struct msg *m);
/* Node id's heartbeat phase: the ticks it ran before round 0. */
uint32_t sim_phase(const struct sim *s, uint32_t id);
/* Sends p from -> to (ownership of p.data passes to the network), applying
 * the fault model to the message's tag.  0 or -1 on OOM. */
int sim_send(struct sim *s, uint32_t from, uint32_t to, uint8_t kind, uint64_t tag,
             struct payload p);
/* Queues m's payload for the end-of-round merge at m->to. */
int sim_defer_merge(struct sim *s, struct msg *m);
/* Tag of the reply to a delivered message. */
uint64_t sim_reply_tag(const struct msg *m);
/* Uniform other node for (purpose, a, b). */
uint32_t sim_other(const struct sim *s, uint32_t self, uint64_t h);
int sim_is_compromised_at_start(const struct sim *s, uint32_t id);

#endif
