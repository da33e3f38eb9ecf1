/* sgp.pml -- Promela model of SGP merge, tick and consensus (spec §5, §6).
 *
 * Three roster nodes gossip: in each step a live node re-signs its own report
 * if its suspicion or opinion row changed (tick), then pushes its whole held
 * state (one packet = one report per origin it holds) to each partner.
 * The network is hostile and bounded:
 *   - a push can be dropped, or taken off the wire, or delivered and copied;
 *     from a taken or copied packet the adversary keeps one signed report in
 *     its buffer and re-injects it at any later moment to any node (delay,
 *     reordering, duplication, replay, misrouting), so old reports arrive
 *     after new ones;
 *   - a forger injects reports about an origin signed by a key that is not
 *     that origin's (an outsider key, or the insider's own key);
 *   - the insider can equivocate: sign a second, different report with its
 *     current version.
 * Node RESTARTER restarts once (generation persisted and bumped, everything
 * else lost); node CRASHER may stop for ever.  Every fault that can change
 * state has a budget, so after finitely many steps only honest gossip is left
 * (forgeries are unbounded: against the correct merge they change nothing).
 *
 * Abstractions (argued in README.md):
 *   - suspicion in {0 = low, 1 = high (>= theta_compromised)};
 *   - generation in 1..GMAX, seq in 1..SMAX; the bounds are asserted, so a
 *     run that would need more fails loudly instead of wrapping;
 *   - a signature is the id of the key that made it (field sg): a report is
 *     authentic iff sg == origin (verification with the origin's roster key);
 *     ok[] (the "verified" flag) records the authentic bit of a held report;
 *   - TBS||sig order for the tie-break is KEY(): content first, then the
 *     signature, where a signature by another key compares greater (worst
 *     case: a forgery wins the tie-break and must be caught by verification);
 *   - ages: only "age > T_cleanup" matters, one bit stale[i*N+j]; it is set
 *     for a node that has stopped, by the weakly fair environment process, at
 *     a nondeterministic moment once no report of it that node i would still
 *     adopt exists anywhere (T_cleanup exceeds dissemination time).
 *
 * Mutants (spin -D...): BUG_SKIP_VERIFY (adopt without verifying),
 * BUG_SENDER_KEY (verify against the sender's key, not the origin's),
 * BUG_TIE_UNVERIFIED (verify newer candidates only, not tie-break winners),
 * BUG_ADOPT_OLDER (adopt any verified report with another version),
 * BUG_NO_TIEBREAK (equal versions never replace each other),
 * BUG_ONE_VOTE (SILENT on one vote instead of a strict majority),
 * BUG_NO_ROW_RESIGN (a changed opinion row is not re-signed).
 */

#define N 3            /* roster size; the property macros spell out N = 3 */
#define OUT 3          /* key id of an outsider (not in the roster) */
#define GMAX 2         /* generations 1..GMAX */
#define SMAX 3         /* seq 1..SMAX */
#define RESTARTER 0
#define CRASHER 2
#define INSIDER 2      /* has its own key only: forges others, may equivocate */
#ifndef SUSP_MASK
#define SUSP_MASK 5    /* nodes whose local suspicion may rise, as bits: 0 and 2 */
#endif
#ifndef NET_BUDGET
#define NET_BUDGET 2   /* drops + captures by the network */
#endif
#ifndef EQUIV_BUDGET
#define EQUIV_BUDGET 1
#endif

/* verdicts (numbering of ref/include/sgp/consensus.h) */
#define UNKNOWN 0
#define CLEAN 1
#define COMP 3
#define SILENT 4

typedef Rep {
  unsigned g : 2;   /* generation, 0 = no report */
  unsigned s : 2;   /* seq */
  bit v;            /* suspicion: 0 low, 1 high */
  unsigned r : 3;   /* opinion row: bit k set = origin deems k silent */
  unsigned sg : 2   /* id of the key that signed it */
};
typedef Pkt {
  bit fl;             /* buffer holds a packet */
  unsigned src : 2;   /* transport-level sender */
  Rep rep[N]          /* rep[j]: a report of origin j (g == 0: none) */
};

/* ---- node state ---- */
Rep view[N * N];    /* view[i*N+j]: node i's newest report of origin j */
bit ok[N * N];      /* the held report is authentic ("verified" flag) */
bit stale[N * N];   /* age_i[j] > T_cleanup */
bit alive[N] = 1;
bit loc[N];         /* local suspicion input (agent) */
bit restarted;

/* ---- network ---- */
Pkt stash;          /* the adversary's buffer: one captured report (others empty) */
byte net = NET_BUDGET, equiv = EQUIV_BUDGET;

/* ---- derived: functions of the state above, recomputed by consensus() ---- */
byte verd[N * N];     /* node i's verdict about j */
bit vok[N * N] = 1;    /* every report that verdict rests on is verified */
bit sq[N * N];        /* a strict majority of live rows lists j (SILENT quorum) */
short digest[N * N];  /* packed (g, s, v, r, verdict) of slot i*N+j, for agreement */

/* ---- ghosts ---- */
#ifdef WITNESS
/* non-vacuity witnesses (check.sh): 1 = a tie-break winner was adopted,
 * 2 = a packet was rejected, 4 = an older report arrived and was ignored */
byte seen;
#define SEE(b) seen = seen | (b)
#else
#define SEE(b) skip
#endif
bit mono_ok = 1;    /* no held version ever decreased (own: ever; others: within an incarnation) */
byte sighigh[N];    /* origin j signed (g,s) with high suspicion: bit VBIT(g,s) */

/* scratch, only used inside d_step blocks (deterministic), not part of the state */
hidden Pkt pk;
hidden byte j, cand, row, cj, ck, cothers, cvotes, rej, cvok, chg, a, dd;
/* nondeterministic choices of the adversary (reset to 0 at the end of each step) */
byte ch_m, ch_d, ch_j, ch_g, ch_s, ch_sg;

#define VBIT(g, s) (1 << (((g) - 1) * SMAX + (s) - 1))
#define NEWER(g1, s1, g2, s2) ((g1) > (g2) || ((g1) == (g2) && (s1) > (s2)))
#define SAMEVER(x, y) (x.g == y.g && x.s == y.s)
#define SAMEBYTES(x, y) (SAMEVER(x, y) && x.v == y.v && x.r == y.r && x.sg == y.sg)
/* A total order on the bytes of equal-version reports, standing in for the
 * spec's (signature, TBS) order: suspicion, row, then the signature, where
 * any signature not made by the origin's key compares greater than the
 * origin's (the forger chooses its bytes: worst case, it wins). */
#define KEY(x, j) (x.v * 64 + x.r * 8 + (x.sg != (j)) * (1 + x.sg))
/* x would replace y in a slot of origin j (before verification): SGP-MERGE-1 */
#ifdef BUG_NO_TIEBREAK
#define WINS(x, y, j) NEWER(x.g, x.s, y.g, y.s)
#else
#define WINS(x, y, j) (NEWER(x.g, x.s, y.g, y.s) || (SAMEVER(x, y) && KEY(x, j) > KEY(y, j)))
#endif
#define SIGNED_HIGH(j, g, s) ((g) > 0 && (sighigh[j] & VBIT(g, s)) != 0)

#if defined(BUG_SKIP_VERIFY) || defined(BUG_SENDER_KEY) || defined(BUG_TIE_UNVERIFIED) || \
    defined(BUG_ADOPT_OLDER) || defined(BUG_NO_TIEBREAK) || defined(BUG_ONE_VOTE) || \
    defined(BUG_NO_ROW_RESIGN)
#define MUTANT
#endif
#ifdef BUG_TIE_UNVERIFIED   /* only strictly newer candidates are verified */
#define TIE_UNVERIFIED(x, y) SAMEVER(x, y)
#else
#define TIE_UNVERIFIED(x, y) 0
#endif
#if defined(BUG_SKIP_VERIFY)
#define VERIFY(x, j, src) 1
#elif defined(BUG_SENDER_KEY)
#define VERIFY(x, j, src) (x.sg == (src))
#else
#define VERIFY(x, j, src) (x.sg == (j))   /* SGP-MERGE-2: the origin's roster key */
#endif

inline clear_rep(x) {
  x.g = 0; x.s = 0; x.v = 0; x.r = 0; x.sg = 0
}
inline copy_rep(d, x) {
  d.g = x.g; d.s = x.s; d.v = x.v; d.r = x.r; d.sg = x.sg
}
inline clear_pkt(p) {
  p.fl = 0; p.src = 0; clear_rep(p.rep[0]); clear_rep(p.rep[1]); clear_rep(p.rep[2])
}
inline copy_pkt(d, p) {
  d.fl = p.fl; d.src = p.src;
  copy_rep(d.rep[0], p.rep[0]); copy_rep(d.rep[1], p.rep[1]); copy_rep(d.rep[2], p.rep[2])
}
/* the packet node i sends: everything it holds */
inline snapshot(p, i) {
  p.fl = 1; p.src = i;
  copy_rep(p.rep[0], view[i * N + 0]); copy_rep(p.rep[1], view[i * N + 1]);
  copy_rep(p.rep[2], view[i * N + 2])
}

/* SGP-MERGE-5 ghost for the own slot: the new own version (g2, s2) must be
 * greater than the held one (also across a restart: the generation persists) */
inline own_rises(i, g2, s2) {
  if
  :: !NEWER(g2, s2, view[i * N + i].g, view[i * N + i].s) -> mono_ok = 0
  :: else -> skip
  fi
}

/* ghost bookkeeping when origin i signs its own current report */
inline sign_own(i) {
  if
  :: view[i * N + i].v -> sighigh[i] = sighigh[i] | VBIT(view[i * N + i].g, view[i * N + i].s)
  :: else -> skip
  fi
}

/* Consensus at node i (spec §6): verdicts from the held reports only.
 * Recomputed after every change of node i's view, rows or ages
 * (update(i) below: merge and resign flag a change in chg). */
inline consensus(i) {
  chg = 0;
  for (cj : 0 .. N - 1) {
    cothers = 0; cvotes = 0; cvok = 1;
    for (ck : 0 .. N - 1) {
      if   /* live set L = self + held reports of age <= T_cleanup; count L \ {j} */
      :: ck != cj && (ck == i || (view[i * N + ck].g != 0 && !stale[i * N + ck])) ->
         cothers++;
         if
         :: (view[i * N + ck].r >> cj) & 1 -> cvotes++; cvok = cvok && ok[i * N + ck]
         :: else -> skip
         fi
      :: else -> skip
      fi
    }
#ifdef BUG_ONE_VOTE
    sq[i * N + cj] = (cvotes >= 1);
#else
    sq[i * N + cj] = (cvotes >= cothers / 2 + 1);   /* SGP-CONS-3: strict majority */
#endif
    if
    :: view[i * N + cj].g != 0 && view[i * N + cj].v ->          /* SGP-CONS-1 */
       verd[i * N + cj] = COMP; vok[i * N + cj] = ok[i * N + cj]
    :: else ->
       if
       :: sq[i * N + cj] -> verd[i * N + cj] = SILENT; vok[i * N + cj] = cvok
       :: else ->
          if
          :: view[i * N + cj].g != 0 -> verd[i * N + cj] = CLEAN; vok[i * N + cj] = ok[i * N + cj]
          :: else -> verd[i * N + cj] = UNKNOWN; vok[i * N + cj] = 1
          fi
       fi
    fi;
    digest[i * N + cj] = (((view[i * N + cj].g * 4 + view[i * N + cj].s) * 2 +
                           view[i * N + cj].v) * 8 + view[i * N + cj].r) * 8 + verd[i * N + cj]
  }
  cj = 0; ck = 0; cothers = 0; cvotes = 0; cvok = 0
}

inline update(i) {
  if
  :: chg -> consensus(i)
  :: else -> skip
  fi
}

/* Merge packet pk (transport sender pk.src) into node i (spec §5.5, D1).
 * Pass 1 classifies every report and verifies every candidate (newer, or
 * equal version and tie-break winner); one failure rejects the whole packet.
 * Pass 2 adopts the candidates. */
inline merge(i) {
  rej = 0; cand = 0;
  for (j : 0 .. N - 1) {
    if
    :: pk.rep[j].g == 0 -> skip
#ifdef BUG_ADOPT_OLDER
    :: else ->
       if
       :: !SAMEVER(pk.rep[j], view[i * N + j]) && (j != i || WINS(pk.rep[j], view[i * N + j], j)) ->
          cand = cand | (1 << j)
#else
    :: else ->
       if
       :: j != i && WINS(pk.rep[j], view[i * N + j], j) ->        /* SGP-MERGE-3, -6 */
          cand = cand | (1 << j)
       :: j == i && (NEWER(pk.rep[j].g, pk.rep[j].s, view[i * N + i].g, view[i * N + i].s) ||
                     (SAMEVER(pk.rep[j], view[i * N + i]) && !SAMEBYTES(pk.rep[j], view[i * N + i]))) ->
          cand = cand | (1 << j)                       /* own origin: SGP-MERGE-9 */
#endif
       :: else ->          /* stale, duplicate, tie-break loser: SGP-MERGE-1, -6 */
          if
          :: NEWER(view[i * N + j].g, view[i * N + j].s, pk.rep[j].g, pk.rep[j].s) -> SEE(4)
          :: else -> skip
          fi
       fi;
       if   /* SGP-MERGE-2: every candidate, tie-break winners included */
       :: ((cand >> j) & 1) && !VERIFY(pk.rep[j], j, pk.src) &&
          !TIE_UNVERIFIED(pk.rep[j], view[i * N + j]) -> rej = 1
       :: else -> skip
       fi
    fi
  }
  if
  :: !rej && cand != 0 ->
     chg = 1;
     for (j : 0 .. N - 1) {
       if
       :: ((cand >> j) & 1) && j == i ->
          /* own origin, newer or equal with other bytes: never adopted, the
           * node jumps above it (restart rule) */
#ifndef MUTANT   /* a mutant may adopt a forged own report; g then just fits (2 bits) */
          assert(pk.rep[j].g < GMAX);
#endif
          own_rises(i, pk.rep[j].g + 1, 1);
          view[i * N + i].g = pk.rep[j].g + 1; view[i * N + i].s = 1;
          sign_own(i)
       :: ((cand >> j) & 1) && j != i ->
          if   /* SGP-MERGE-5 ghost */
          :: NEWER(view[i * N + j].g, view[i * N + j].s, pk.rep[j].g, pk.rep[j].s) -> mono_ok = 0
          :: SAMEVER(view[i * N + j], pk.rep[j]) -> SEE(1)
          :: else -> skip
          fi;
          copy_rep(view[i * N + j], pk.rep[j]);
          ok[i * N + j] = (pk.rep[j].sg == j);
          stale[i * N + j] = 0                                      /* age = 0 */
       :: else -> skip
       fi
     }
  :: rej -> SEE(2)    /* rejected: no state change */
  :: else -> skip      /* nothing newer */
  fi;
  j = 0; rej = 0; cand = 0
}

/* deliver pk to node d (lost if d has stopped) */
inline deliver(d) {
  if
  :: alive[d] -> merge(d); update(d)
  :: else -> skip
  fi
}

/* The part of the tick modelled here: recompute the own opinion row from the
 * ages and re-sign (seq + 1) if the row or the local suspicion changed. */
inline resign(i) {
  row = 0;
  for (j : 0 .. N - 1) {
    if
    :: j != i && stale[i * N + j] -> row = row | (1 << j)
    :: else -> skip
    fi
  }
#ifdef BUG_NO_ROW_RESIGN
  row = view[i * N + i].r;   /* the row is never re-signed */
#endif
  if
  :: row != view[i * N + i].r || loc[i] != view[i * N + i].v ->
     assert(view[i * N + i].s < SMAX);
     own_rises(i, view[i * N + i].g, view[i * N + i].s + 1);
     view[i * N + i].s++; view[i * N + i].r = row; view[i * N + i].v = loc[i];
     sign_own(i); chg = 1
  :: else -> skip
  fi;
  j = 0; row = 0
}

/* Node I = _pid (0..N-1): the first step signs report (1, 1); then it loops.
 * Gossip never stops (a live node can always step; once everything is known
 * that step is a self-loop), so every maximal run is infinite and weak
 * fairness is what forces progress.  (Spin's -f search does not treat a
 * deadlocked end state as a fair stutter cycle: with a gossip step that is
 * disabled when useless, the BUG_NO_TIEBREAK mutant went undetected.) */
#define I _pid
active [N] proctype Node() {
  d_step {
    view[I * N + I].g = 1; view[I * N + I].s = 1; view[I * N + I].sg = I; ok[I * N + I] = 1;
    consensus(I)
  }
end:
  do
  :: atomic {   /* gossip step: tick, then push to both partners */
       alive[I] ->
       if
       :: ch_m = 3                            /* both pushes delivered */
       :: net > 0 -> ch_m = 0                 /* push to ch_d dropped */
       :: net > 0 && !stash.fl -> ch_m = 1    /* taken off the wire, one report kept:
                                               * delay, reordering */
       :: net > 0 && !stash.fl -> ch_m = 2    /* delivered, one report kept:
                                               * duplication, replay */
       fi;
       if
       :: ch_m == 3 -> skip
       :: ch_m != 3 -> ch_d = (I + 1) % N
       :: ch_m != 3 -> ch_d = (I + 2) % N
       fi;
       if   /* which (held) report the adversary keeps */
       :: ch_m == 0 || ch_m == 3 -> skip
       :: (ch_m == 1 || ch_m == 2) && view[I * N + 0].g != 0 -> ch_j = 0
       :: (ch_m == 1 || ch_m == 2) && view[I * N + 1].g != 0 -> ch_j = 1
       :: (ch_m == 1 || ch_m == 2) && view[I * N + 2].g != 0 -> ch_j = 2
       fi;
       d_step {
         resign(I); update(I); snapshot(pk, I);
         if
         :: ch_m != 3 -> net--
         :: else -> skip
         fi;
         if
         :: ch_m == 1 || ch_m == 2 ->
            /* the buffer keeps no sender (src 0): only the BUG_SENDER_KEY mutant
             * reads src, and tracking it would only split states */
            stash.fl = 1; copy_rep(stash.rep[ch_j], pk.rep[ch_j])
         :: else -> skip
         fi;
         for (a : 1 .. N - 1) {
           dd = (I + a) % N;
           if
           :: ch_m == 3 || ch_m == 2 || dd != ch_d -> deliver(dd)
           :: else -> skip
           fi
         }
         clear_pkt(pk); a = 0; dd = 0; ch_d = 0; ch_m = 0; ch_j = 0
       }
     }
  :: atomic {   /* the local agent raises the suspicion (once) */
       alive[I] && ((SUSP_MASK >> I) & 1) && !loc[I] -> loc[I] = 1
     }
  :: d_step {   /* restart: generation persisted and bumped, all else lost */
       alive[I] && I == RESTARTER && !restarted ->
       restarted = 1;
       assert(view[I * N + I].g < GMAX);
       for (j : 0 .. N - 1) {
         if
         :: j != I -> clear_rep(view[I * N + j]); ok[I * N + j] = 0; stale[I * N + j] = 0
         :: else -> skip
         fi
       }
       j = 0;
       own_rises(I, view[I * N + I].g + 1, 1);
       /* like sgp_state_init: report (g + 1, 1) with suspicion 0 and an empty
        * row; the agent's value takes effect at the next tick (SGP-TICK-8) */
       view[I * N + I].g++; view[I * N + I].s = 1; view[I * N + I].r = 0;
       view[I * N + I].v = 0;
       sign_own(I);
       consensus(I)
     }
  :: atomic { alive[I] && I == CRASHER -> alive[I] = 0 }   /* stops for ever */
  od
}

/* does anything still exist that node i would adopt for origin c? */
#define ADOPTABLE(x, i, c) (x.sg == (c) && WINS(x, view[(i) * N + (c)], c))
#define IN_VIEW(k, i, c) (alive[k] && ADOPTABLE(view[(k) * N + (c)], i, c))
#define PENDING(i, c) \
  (IN_VIEW(0, i, c) || IN_VIEW(1, i, c) || IN_VIEW(2, i, c) || \
   (stash.fl && ADOPTABLE(stash.rep[c], i, c)))
#define CAN_TIME_OUT(i, c) \
  ((i) != (c) && alive[i] && !alive[c] && !stale[(i) * N + (c)] && !PENDING(i, c))

inline pick_alive(d) {
  if
  :: alive[0] -> d = 0
  :: alive[1] -> d = 1
  :: alive[2] -> d = 2
  fi
}

/* The environment: timeouts and the adversary in one (weakly fair) process.
 * Every option is finite (budgets, a one-packet buffer, one timeout per
 * node), so a fair run ends in honest gossip only.  Nondeterministic choices
 * go to the ch_* variables first; the d_step that follows uses and resets
 * them, so they never distinguish states. */
active proctype Env() {
end:
  do
  :: atomic {   /* age_i[CRASHER] passes T_cleanup, at a nondeterministic moment */
       CAN_TIME_OUT(0, CRASHER) || CAN_TIME_OUT(1, CRASHER) || CAN_TIME_OUT(2, CRASHER) ->
       if
       :: CAN_TIME_OUT(0, CRASHER) -> ch_d = 0
       :: CAN_TIME_OUT(1, CRASHER) -> ch_d = 1
       :: CAN_TIME_OUT(2, CRASHER) -> ch_d = 2
       fi;
       d_step { stale[ch_d * N + CRASHER] = 1; consensus(ch_d); ch_d = 0 }
     }
  :: atomic {
       (stash.fl && (alive[0] || alive[1] || alive[2])) ||
       (equiv > 0 && alive[INSIDER] && (alive[(INSIDER + 1) % N] || alive[(INSIDER + 2) % N])) ->
       if
       :: stash.fl -> ch_m = 4; pick_alive(ch_d)   /* re-inject the kept report, to any node */
       :: equiv > 0 && alive[INSIDER] -> ch_m = 5; /* the insider equivocates, see below */
          if
          :: alive[(INSIDER + 1) % N] -> ch_d = (INSIDER + 1) % N
          :: alive[(INSIDER + 2) % N] -> ch_d = (INSIDER + 2) % N
          fi
       fi;
       d_step {
         if
         :: ch_m == 4 -> copy_pkt(pk, stash); clear_pkt(stash)
         :: else ->
            /* a second report signed by the insider with its current version:
             * the other suspicion and a row listing both other nodes */
            equiv--;
            pk.fl = 1; pk.src = INSIDER;
            pk.rep[INSIDER].g = view[INSIDER * N + INSIDER].g;
            pk.rep[INSIDER].s = view[INSIDER * N + INSIDER].s;
            pk.rep[INSIDER].v = 1 - view[INSIDER * N + INSIDER].v;
            pk.rep[INSIDER].r = 3; pk.rep[INSIDER].sg = INSIDER;
            if
            :: pk.rep[INSIDER].v ->
               sighigh[INSIDER] = sighigh[INSIDER] | VBIT(pk.rep[INSIDER].g, pk.rep[INSIDER].s)
            :: else -> skip
            fi
         fi;
         merge(ch_d); update(ch_d); clear_pkt(pk); ch_d = 0; ch_m = 0
       }
     }
  od
}

#ifndef NO_FORGER
/* The forger: the insider's own key used for another origin, or an outsider
 * key (used for the insider's origin; which wrong key signed a report only
 * matters when it is the sender's, see BUG_SENDER_KEY).  Packets come from the
 * insider's transport identity.  No budget: against the correct merge every
 * forged packet is rejected or ignored, i.e. a self-loop, so it adds
 * transitions but no states.  Equal versions exercise the tie-break path. */
active proctype Forger() {
end:
  do
  :: atomic {   /* a report about origin ch_j with high suspicion and a full row, signed
                 * by a key that is not ch_j's, carrying the target's held version
                 * (tie-break path) or the highest version (newer path) */
       alive[0] && alive[1] ->   /* nodes 0 and 1 never stop */
       if   /* the insider's key for another origin, sent to a third node; the
             * outsider's key for the insider's origin, sent to the insider itself
             * (own-report path) or to another node */
       :: ch_sg = INSIDER; ch_j = 0; ch_d = 1
       :: ch_sg = INSIDER; ch_j = 1; ch_d = 0
       :: alive[INSIDER] -> ch_sg = OUT; ch_j = INSIDER; ch_d = INSIDER
       :: ch_sg = OUT; ch_j = INSIDER; ch_d = 0
       fi;
       if
       :: view[ch_d * N + ch_j].g != 0 ->
          ch_g = view[ch_d * N + ch_j].g; ch_s = view[ch_d * N + ch_j].s
       :: ch_g = GMAX; ch_s = SMAX
       fi;
       d_step {
         clear_pkt(pk); pk.fl = 1; pk.src = INSIDER;
         pk.rep[ch_j].g = ch_g; pk.rep[ch_j].s = ch_s; pk.rep[ch_j].v = 1;
         pk.rep[ch_j].r = 7 & ~(1 << ch_j); pk.rep[ch_j].sg = ch_sg;
         merge(ch_d);
#ifndef MUTANT
         assert(!chg);   /* a forgery never changes state: the forger is a self-loop */
#endif
         update(ch_d); clear_pkt(pk);
         ch_d = 0; ch_j = 0; ch_g = 0; ch_s = 0; ch_sg = 0
       }
     }
  od
}
#endif

/* ---------------- properties (N = 3 spelled out) ---------------- */

/* Agreement is required of every live node, the insider included: after an
 * equivocation its own report is healed by the restart rule (SGP-MERGE-9). */
#define HON(a) (alive[a])
#define SAMEJ(a, b, j) (digest[(a) * N + (j)] == digest[(b) * N + (j)])
#define SAME(a, b) (SAMEJ(a, b, 0) && SAMEJ(a, b, 1) && SAMEJ(a, b, 2))
#define AGREE \
  ((!HON(0) || !HON(1) || SAME(0, 1)) && (!HON(0) || !HON(2) || SAME(0, 2)) && \
   (!HON(1) || !HON(2) || SAME(1, 2)))

/* verdicts at live nodes rest on verified reports only */
#define VOK(i) (!alive[i] || (vok[(i) * N + 0] && vok[(i) * N + 1] && vok[(i) * N + 2]))
#define ALL_VOK (VOK(0) && VOK(1) && VOK(2))

/* COMPROMISED rests on a report that origin j itself signed with high suspicion */
#define COMP_OK(i, j) \
  (!alive[i] || verd[(i) * N + (j)] != COMP || \
   (ok[(i) * N + (j)] && SIGNED_HIGH(j, view[(i) * N + (j)].g, view[(i) * N + (j)].s)))
#define ALL_COMP_OK \
  (COMP_OK(0, 0) && COMP_OK(0, 1) && COMP_OK(0, 2) && COMP_OK(1, 0) && COMP_OK(1, 1) && \
   COMP_OK(1, 2) && COMP_OK(2, 0) && COMP_OK(2, 1) && COMP_OK(2, 2))

/* no honest node ever has a SILENT quorum about a live node (rows only list
 * stopped nodes, except the insider's equivocated row, which alone is no majority) */
#define NFS(i, j) (!HON(i) || !alive[j] || !sq[(i) * N + (j)])
#define NO_FALSE_SILENT \
  (NFS(0, 1) && NFS(0, 2) && NFS(1, 0) && NFS(1, 2) && NFS(2, 0) && NFS(2, 1))

/* every live node sees a SILENT quorum about the stopped node */
#define SQC(i) (!alive[i] || (i) == CRASHER || sq[(i) * N + CRASHER])
#define ALL_SILENT_CRASHER (SQC(0) && SQC(1) && SQC(2))

#ifdef WITNESS
/* each must FAIL: its counterexample shows the situation is reachable */
ltl w_tiebreak_adopted { [] !(seen & 1) }
ltl w_packet_rejected { [] !(seen & 2) }
ltl w_older_report_ignored { [] !(seen & 4) }
ltl w_equivocation_split { [] !(alive[0] && alive[1] && SAMEVER(view[0 * N + INSIDER], view[1 * N + INSIDER]) && view[0 * N + INSIDER].r != view[1 * N + INSIDER].r) }
ltl w_compromised_verdict { [] !(alive[0] && alive[1] && verd[0 * N + INSIDER] == COMP && verd[1 * N + INSIDER] == COMP) }
ltl w_silent_verdict { [] !(alive[0] && alive[1] && verd[0 * N + CRASHER] == SILENT && verd[1 * N + CRASHER] == SILENT) }
ltl w_restart_learned { [] !(alive[1] && view[1 * N + RESTARTER].g == 2) }
ltl w_own_jump { [] !(view[INSIDER * N + INSIDER].g == 2) }
#endif

ltl eventual_agreement { <> [] AGREE }                                     /* SGP-CONS-8 */
ltl monotone_versions { [] mono_ok }                                       /* SGP-MERGE-5 */
ltl no_unverified_verdict { [] ALL_VOK }                                   /* SGP-CONS-7 */
ltl compromised_from_own_report { [] ALL_COMP_OK }                         /* SGP-CONS-1 */
ltl no_false_silent { [] NO_FALSE_SILENT }                                 /* SGP-CONS-3 */
ltl silent_eventually { [] (!alive[CRASHER] -> <> [] ALL_SILENT_CRASHER) } /* SGP-CONS-3 */
