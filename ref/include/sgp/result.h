/* SGP result convention (one idiom for the whole library).
 *
 * Every fallible function returns `sgp_err`: SGP_OK (0) on success, or one
 * named error code.  On any non-OK return the function has changed no
 * caller-visible state (outputs may be scratch-written but are documented
 * as unspecified).  Callers propagate with SGP_GUARD; checks that produce a
 * new error use SGP_ENSURE.  The code names below are normative: spec §4.6
 * lists them with the requirement IDs that produce each one.
 */
#ifndef SGP_RESULT_H
#define SGP_RESULT_H

#define SGP_MUST_CHECK __attribute__((warn_unused_result))

/* X-macro so names, numbers and strings cannot drift apart. */
#define SGP_ERR_LIST(X)                                                     \
  X(SGP_OK, 0, "ok")                                                        \
  /* cursor / framing */                                                    \
  X(SGP_ERR_TRUNCATED, 1, "input ends inside a field")                      \
  X(SGP_ERR_TOO_LARGE, 2, "input exceeds a size limit")                     \
  X(SGP_ERR_TRAILING, 3, "bytes after the end of a complete object")        \
  X(SGP_ERR_NO_SPACE, 4, "output buffer too small")                         \
  /* protobuf codec */                                                      \
  X(SGP_ERR_VARINT, 10, "malformed or non-minimal varint")                  \
  X(SGP_ERR_WIRE_TYPE, 11, "field has the wrong wire type")                 \
  X(SGP_ERR_UNKNOWN_FIELD, 12, "field number not in the schema")            \
  X(SGP_ERR_FIELD_ORDER, 13, "fields not in ascending order")               \
  X(SGP_ERR_DUPLICATE_FIELD, 14, "non-repeated field occurs twice")         \
  X(SGP_ERR_DEFAULT_PRESENT, 15, "field encodes its default value")         \
  X(SGP_ERR_TOO_MANY, 16, "repeated field exceeds its count limit")         \
  X(SGP_ERR_NONCANONICAL, 17, "encoding is not the canonical encoding")     \
  X(SGP_ERR_DECODE, 18, "protobuf structure invalid")                       \
  /* semantic validation */                                                 \
  X(SGP_ERR_VERSION, 20, "unsupported protocol version")                    \
  X(SGP_ERR_KIND, 21, "unknown or misplaced packet kind")                   \
  X(SGP_ERR_RANGE, 22, "value out of range")                                \
  X(SGP_ERR_NODE_ID, 23, "node id outside the roster")                      \
  X(SGP_ERR_SIG_LEN, 24, "signature is not 64 bytes")                       \
  X(SGP_ERR_SUB_COUNT, 25, "report does not carry exactly five sub-scores") \
  X(SGP_ERR_ORDER, 26, "list not strictly ascending")                       \
  X(SGP_ERR_SELF_SILENT, 27, "report lists its own origin as silent")       \
  /* merge */                                                               \
  X(SGP_ERR_BAD_SIGNATURE, 30, "report signature does not verify")          \
  X(SGP_ERR_UNKNOWN_ORIGIN, 31, "no roster entry has this key")             \
  X(SGP_ERR_SENDER, 33, "packet sender not in roster or is the receiver")   \
  /* files: keys, roster, config */                                         \
  X(SGP_ERR_SYNTAX, 40, "line does not match the grammar")                  \
  X(SGP_ERR_HEX, 41, "bad hex encoding or length")                          \
  X(SGP_ERR_DUP_ENTRY, 42, "duplicate or conflicting entry")                \
  X(SGP_ERR_MISSING, 43, "required entry missing")                          \
  X(SGP_ERR_KEY_MISMATCH, 44, "secret key does not match its public key")   \
  X(SGP_ERR_PERMISSIONS, 45, "secret file readable by group or others")     \
  /* misuse / state */                                                      \
  X(SGP_ERR_INVALID_ARG, 50, "invalid argument")                            \
  X(SGP_ERR_STATE, 51, "operation not valid in this state")                 \
  X(SGP_ERR_CRYPTO, 52, "crypto primitive failed")                          \
  X(SGP_ERR_EXHAUSTED, 53, "sequence space exhausted")                      \
  /* transport */                                                           \
  X(SGP_ERR_REPLAY, 60, "counter already received (replay)")                \
  X(SGP_ERR_TOO_OLD, 61, "counter is behind the replay window")             \
  /* session (transport datagrams, spec 7.11-7.12) */                       \
  X(SGP_ERR_DGRAM_TYPE, 80, "datagram type is not 1..4")                    \
  X(SGP_ERR_RESERVED, 81, "reserved byte or undefined flag is nonzero")     \
  X(SGP_ERR_MAC1, 82, "handshake mac1 does not verify")                     \
  X(SGP_ERR_COOKIE, 83, "under load: initiation without a valid mac2")      \
  X(SGP_ERR_RATE_LIMITED, 84, "handshake rate limit exceeded")              \
  X(SGP_ERR_CROSSING, 85, "crossing initiation from the higher node id")    \
  X(SGP_ERR_UNKNOWN_INDEX, 86, "receiver index matches no session")         \
  X(SGP_ERR_EXPIRED, 87, "session is older than REJECT_AFTER_TIME")         \
  X(SGP_ERR_AUTH, 88, "datagram failed authentication")                     \
  X(SGP_ERR_KEEPALIVE, 89, "malformed keepalive")                           \
  /* carriers */                                                            \
  X(SGP_ERR_CARRIER_UNKNOWN, 90, "frame matches no accepted carrier")       \
  X(SGP_ERR_CARRIER_HEADER, 91, "cover header is not canonical")            \
  X(SGP_ERR_CARRIER_DIM, 92, "cover size or sample rate out of range")      \
  X(SGP_ERR_CARRIER_MAXVAL, 93, "PGM maxval is not 255")                    \
  X(SGP_ERR_CARRIER_EMPTY, 94, "embedded length is zero")                   \
  X(SGP_ERR_CARRIER_CAPACITY, 95, "embedded length over cover capacity")    \
  /* fragments, reassembly (spec 8.1-8.3) */                                \
  X(SGP_ERR_FRAG_HEADER, 70, "fragment header outside 8.1 limits")          \
  X(SGP_ERR_FRAG_LENGTH, 71, "fragment length wrong for its index")         \
  X(SGP_ERR_FRAG_DONE, 72, "fragment of a message already done")            \
  X(SGP_ERR_FRAG_DUPLICATE, 73, "identical fragment already held")          \
  X(SGP_ERR_FRAG_INCONSISTENT, 74, "fragment header differs from message")  \
  X(SGP_ERR_FRAG_OVERLAP, 75, "fragment slot holds different bytes")        \
  X(SGP_ERR_FRAG_CAP, 76, "reassembly memory or slots exhausted")           \
  /* agent and its readers (spec 10) */                                     \
  X(SGP_ERR_FLOW_HEADER, 100, "log header missing or lacks a column")       \
  X(SGP_ERR_FLOW_COLUMNS, 101, "line has the wrong number of columns")      \
  X(SGP_ERR_FLOW_FIELD, 102, "field is not a valid number/address/port")    \
  X(SGP_ERR_FLOW_BINARY, 103, "line holds a control or NUL byte")           \
  X(SGP_ERR_FLOW_HOST, 104, "flow does not involve the bound host")         \
  X(SGP_ERR_FLOW_IO, 105, "cannot open or read a log or /proc file")

typedef enum {
#define SGP_ERR_ENUM_(name, num, str) name = (num),
  SGP_ERR_LIST(SGP_ERR_ENUM_)
#undef SGP_ERR_ENUM_
} sgp_err;

/* Stable identifier ("SGP_ERR_TRUNCATED") and human text; never NULL. */
const char *sgp_err_name(sgp_err e);
const char *sgp_err_str(sgp_err e);
/* Inverse of sgp_err_name, for vectors; SGP_ERR_INVALID_ARG if unknown. */
sgp_err sgp_err_from_name(const char *name, int *found);

#define SGP_ENSURE(cond, err)  \
  do {                         \
    if (!(cond)) return (err); \
  } while (0)

#define SGP_GUARD(call)                                \
  do {                                                 \
    sgp_err sgp_guard_rc_ = (call);                    \
    if (sgp_guard_rc_ != SGP_OK) return sgp_guard_rc_; \
  } while (0)

#endif
