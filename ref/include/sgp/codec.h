/* Gossip packet codec (spec §4): canonical encode, strict decode.
 *
 * Decode order (each step's failure is a named error, and *out is then
 * unspecified; callers hold no state in it):
 *   1. size       len > SGP_MAX_PACKET                -> SGP_ERR_TOO_LARGE
 *   2. structure  a walk of the wire bytes against the generated nanopb
 *                 descriptors: truncation, varint form, wire type, unknown
 *                 field, field order, duplicates, default values present,
 *                 count and size bounds                 (SGP-WIRE-1..11)
 *   3. nanopb     pb_decode into the static struct      -> SGP_ERR_DECODE
 *   4. semantics  sgp_packet_validate                   (SGP-WIRE-13..24)
 *   5. canonical  re-encode and compare byte for byte   -> SGP_ERR_NONCANONICAL
 * Encode validates first, so the library never emits a packet it would
 * reject.  Both functions are pure; the packet struct is large (~290 KiB)
 * and is always caller-provided.
 */
#ifndef SGP_CODEC_H
#define SGP_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "sgp.pb.h"
#include "sgp/limits.h"
#include "sgp/result.h"

typedef sgp_v1_Packet sgp_packet;
typedef sgp_v1_Report sgp_report_msg;
typedef sgp_v1_Version sgp_version_msg;

/* Semantic validity of a decoded or to-be-encoded packet against a roster
 * of n nodes (n = 0 skips the node-id bound, for roster-free tools). */
SGP_MUST_CHECK sgp_err sgp_packet_validate(const sgp_packet *p, uint32_t n);
SGP_MUST_CHECK sgp_err sgp_report_msg_validate(const sgp_report_msg *r, uint32_t n);

SGP_MUST_CHECK sgp_err sgp_packet_encode(const sgp_packet *p, uint32_t n, uint8_t *buf, size_t cap,
                                         size_t *len);
SGP_MUST_CHECK sgp_err sgp_packet_decode(sgp_packet *out, uint32_t n, const uint8_t *buf,
                                         size_t len);
/* Exact encoded size of one Report inside a Packet (tag + length + body). */
size_t sgp_report_msg_wire_size(const sgp_report_msg *r);

#endif
