/* sgp-adversary: the adversarial peer of the conformance suite (spec §13.1
 * item 3, SGP-CONF-4).  It plays roster peers whose secret keys it holds,
 * plus one identity that is NOT in the roster, over UDP on loopback against
 * one live sgpd (the target), with named misbehaviour switches in the style
 * of BoringSSL BoGo's ProtocolBugs.
 *
 * Contract of a case: it sends its input and names the drop counter(s) of
 * §7.12 (or the packet error code) that must rise and the state the target
 * must keep; the driver (main.c) snapshots the target through `sgpctl status
 * --json` and `sgpctl metrics` before and after, and after every case checks
 * (a) verdicts and the adversary/honest rows unchanged unless the case says
 * otherwise, (b) the expected counter rose, (c) the target still adopts a
 * fresh genuine report of the adversary identity and still hears from the
 * honest sgpd peer, (d) reassembly memory within reasm_global_bytes.
 *
 * This is a test tool: it reaches into the public members of the session
 * layer (send counters, retransmission timers) on purpose, to send what an
 * honest peer never would.
 */
#ifndef SGP_ADV_H
#define SGP_ADV_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/codec.h"
#include "sgp/keys.h"
#include "sgp/roster.h"
#include "sgp/session.h"

enum { ADV_MAXN = 16, ADV_IDS = 2, ADV_CTR_MAX = 8, ADV_METRICS_MAX = 512 };

/* One identity the adversary speaks as. */
struct adv_ident {
  uint32_t id;
  struct sgp_secret_key key;
  int fd;
  struct sgp_sessions ss;
  struct sgp_session_peer peers[ADV_MAXN];
  struct sgp_session_index index[8 * ADV_MAXN * 2];
  uint32_t gen, seq; /* own reports */
  uint32_t susp;     /* suspicion of the last genuine report */
  uint32_t msg_ctr;  /* msg ids on the current session */
  uint64_t paced[4]; /* send times of the last counted ACK/DELTA packets */
  uint64_t paced_syn[2];
  /* the last data message received (for observation) */
  uint32_t rx_kinds[4]; /* gossip packets decoded from the target, by kind */
  uint64_t last_syn_ms; /* when the target last sent us a SYN */
};

struct adv_node_view {
  uint32_t gen, seq, suspicion;
  char verdict[16];
};

struct adv_snap {
  uint32_t generation;
  uint64_t round;
  uint32_t n;
  struct adv_node_view nodes[ADV_MAXN];
  size_t nmetrics;
  struct {
    char key[96];
    double v;
  } m[ADV_METRICS_MAX];
};

struct adv {
  struct sgp_roster roster;
  uint8_t sign_pk[ADV_MAXN][32], dh_pk[ADV_MAXN][32];
  struct sgp_addr addr[ADV_MAXN];
  uint32_t n, target, honest;
  const char *sgpctl, *ctl_sock;
  uint64_t reasm_cap;
  struct adv_ident id[ADV_IDS];
  struct sgp_secret_key unknown; /* not in the roster */
  int unk_fd;
  uint8_t target_sa[32]; /* struct sockaddr_storage prefix */
  unsigned target_salen;
  sgp_packet *pkt; /* scratch (large) */
  int verbose;
  uint32_t cookies_seen; /* cookie replies received on the unknown socket */
};

/* net.c */
uint64_t adv_now(void);
void adv_rng(void *ctx, uint8_t *out, size_t len);
int adv_setup(struct adv *a, const char *roster, const char *key0, const char *key1);
void adv_send_raw(struct adv *a, int fd, const uint8_t *d, size_t len);
/* Receives and processes everything for ms milliseconds (answers initiations
 * with an empty response, records decoded gossip packets). */
void adv_pump(struct adv *a, unsigned ms);
int adv_handshake(struct adv *a, struct adv_ident *me);
/* Forces an initiation now (bypassing our own REKEY_TIMEOUT throttle). */
int adv_make_initiation(struct adv *a, struct adv_ident *me, const uint8_t *syn, size_t syn_len,
                        uint8_t *out, size_t *len);
/* Seals one data message with an arbitrary header on the current session;
 * counter: UINT64_MAX = next. */
int adv_seal(struct adv *a, struct adv_ident *me, uint8_t flags, uint32_t msg_id, uint8_t idx,
             uint8_t count, uint32_t total, const uint8_t *pt, size_t pt_len, uint64_t counter,
             uint8_t *out, size_t *len);
/* Sends msg as a (possibly fragmented, flags 0/1/3 with AONT applied) message. */
int adv_send_msg(struct adv *a, struct adv_ident *me, const uint8_t *msg, size_t len,
                 uint8_t flags);
void adv_pace(struct adv_ident *me, int syn);
/* Own report of identity `me` (seq+1 unless keep), signed. */
void adv_own_report(struct adv_ident *me, sgp_report_msg *r, uint32_t susp, int bump);
int adv_encode(struct adv *a, const sgp_packet *p, uint8_t *buf, size_t cap, size_t *len);
int adv_snapshot(struct adv *a, struct adv_snap *s);
int adv_snapshot2(struct adv *a, struct adv_snap *s, int with_metrics); /* 0: status only */
double adv_metric(const struct adv_snap *s, const char *key);
int adv_target_initiating(struct adv *a, uint32_t peer);

/* cases.c */
struct adv_case_ctx;
struct adv_expect {
  const char *ctr[ADV_CTR_MAX]; /* metric keys; the case passes if any one rose */
  double min_rise;
  int allow_change; /* bit j: node j's row may change (besides honest heartbeat) */
  int want_adopt;   /* adversary row must show the given seq afterwards */
  uint32_t adopt_id, adopt_seq;
  int no_ctr;       /* no counter expected (positive control or pure state check) */
  double reasm_max; /* if > 0: sgp_reasm_bytes after the case at most this */
  char note[160];
};
struct adv_case {
  const char *name;
  const char *reqs;
  int ident; /* which identity is the active one (0/1) */
  int (*run)(struct adv *a, struct adv_ident *me, struct adv_expect *e, const struct adv_case *c);
  int arg;         /* case parameter */
  const char *hex; /* case bytes (packet or datagram), hex */
  const char *ctr; /* expected counter (short form, see cases.c) */
};
extern const struct adv_case adv_cases[];
extern const size_t adv_ncases;

#endif
