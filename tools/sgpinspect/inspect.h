/* The decoding pipeline of `sgp inspect`: one UDP payload at a time, with
 * the keys of a key log (keylog.h), the library's own layers:
 *
 *   sgp_carrier_unwrap (any v1 carrier) -> outer frame by type
 *   data: sgp_frag_ad_parse, key by receiver_index, sgp_noise_decrypt_at
 *         (AD = the 26-byte header, nonce = counter; the replay window is
 *         NOT applied: a counter seen before on that key is printed as
 *         `duplicate`, an old one is still decoded)
 *      -> sgp_reasm_add (a private reassembler, one session per key; a
 *         fragment of a message already complete, e.g. the parity fragment,
 *         is counted as redundant_fragment)
 *      -> sgp_jig_decode -> sgp_packet_decode(n = roster n or 0)
 *      -> one line per packet and one per report; with a roster each
 *         report's signature is checked (sgp_report_verify): sig=ok|BAD
 *   handshake messages: printed with their public fields; their payloads
 *         (SYN in an initiation, ACK in a response) are encrypted under
 *         handshake keys that the key log does not hold: "not decrypted".
 *
 * Output lines (stdout), fields separated by one space:
 *   <unix_s.us> <src> > <dst> initiation sender=S sender_index=X payload=G (not decrypted)
 *   <unix_s.us> <src> > <dst> response sender_index=X receiver_index=Y payload=G (not decrypted)
 *   <unix_s.us> <src> > <dst> cookie_reply receiver_index=Y
 *   <unix_s.us> <src> > <dst> packet KIND S->R msg=M frags=C bytes=T flags=0xFF digest=D reports=K
 *   <unix_s.us>   report origin=O gen=G seq=Q suspicion=V sub=a,b,c,d,e silent=i,j|- sig=ok|BAD|-
 *   <unix_s.us> <src> > <dst> duplicate S->R counter=N msg=M frag=I/C
 *   <unix_s.us> <src> > <dst> no_key receiver_index=Y counter=N
 *   <unix_s.us> <src> > <dst> error STAGE=NAME
 * and a summary (sgpi_inspect_summary, which also lists the receiver
 * indices without a key).  Keepalives are counted, not printed; nothing
 * undecryptable is guessed.
 *
 * Memory: the reassembler's block and one packet struct, allocated once by
 * sgpi_inspect_init (this is a tool, not the library).
 */
#ifndef SGPI_INSPECT_H
#define SGPI_INSPECT_H

#include <stdint.h>
#include <stdio.h>

#include "capture.h"
#include "keylog.h"
#include "sgp/codec.h"
#include "sgp/fragment.h"
#include "sgp/replay.h"
#include "sgp/roster.h"

enum { SGPI_NOKEY_LIST = 64 };

struct sgpi_counts {
  uint64_t datagrams, not_sgp;
  uint64_t initiation, response, cookie, data;
  uint64_t keepalive, decrypted, no_key, auth_failed, duplicate, redundant, frag_error;
  uint64_t messages, packet_error, packets[4]; /* by sgp_v1_Kind */
  uint64_t sender_mismatch;
  uint64_t reports, sig_ok, sig_bad, sig_unchecked;
};

struct sgpi_inspect {
  const struct sgpi_keylog *kl;
  const struct sgp_roster *roster; /* NULL: no signature checks, n = 0 */
  FILE *out;
  struct sgp_reasm reasm;
  void *reasm_mem;
  sgp_reasm_sid *sid;      /* [kl->count], 0 until the key's first fragment */
  struct sgp_replay *seen; /* [kl->count]: counters seen, to name duplicates */
  sgp_packet *pkt;
  uint8_t *msg; /* SGP_FRAG_MAX_MESSAGE */
  struct sgpi_counts n;
  uint32_t nokey_index[SGPI_NOKEY_LIST];
  uint64_t nokey_count[SGPI_NOKEY_LIST];
  size_t nokey_len;
  uint64_t nokey_unlisted;
};

/* SGP_ERR_NO_SPACE when memory runs out; reassembler parameter errors. */
SGP_MUST_CHECK sgp_err sgpi_inspect_init(struct sgpi_inspect *in, const struct sgpi_keylog *kl,
                                         const struct sgp_roster *roster, FILE *out);
void sgpi_inspect_datagram(struct sgpi_inspect *in, uint64_t ts_ns, const struct sgpi_udp *u);
void sgpi_inspect_summary(const struct sgpi_inspect *in, FILE *f);
void sgpi_inspect_free(struct sgpi_inspect *in);

#endif
