/* Flow-log line parsers: Zeek conn.log and CTU-13 (Argus) binetflow (spec §10).
 *
 * Pure: the caller hands over one line at a time (without its '\n'); the
 * parser keeps the header state (Zeek #separator, #unset_field,
 * #empty_field, #fields; the binetflow CSV header) and counts lines, so
 * every rejected line is reported with its number.  A rejected line changes
 * nothing but the counters (skipped, last_err, last_err_line).
 *
 * Errors (per line): SGP_ERR_FLOW_HEADER (data before a usable header, or a
 * header without a required column), SGP_ERR_FLOW_COLUMNS (wrong column
 * count), SGP_ERR_FLOW_FIELD (non-numeric count, bad time, address, port,
 * state), SGP_ERR_FLOW_BINARY (NUL or control byte), SGP_ERR_TOO_LARGE (line
 * over SGP_FLOWLOG_LINE_MAX; reported by the file reader through
 * sgp_flowlog_reject), SGP_ERR_TRUNCATED (last line without '\n').
 *
 * Zeek: required columns ts, id.orig_h, id.orig_p, id.resp_h, id.resp_p,
 * proto, conn_state; optional duration, orig_bytes, resp_bytes, orig_pkts,
 * resp_pkts, orig_ip_bytes, resp_ip_bytes (preferred for bytes: they count
 * headers, as interface counters do), label.  The unset and empty markers
 * read as 0 in optional count columns and are an error in required ones.
 * binetflow: header StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,
 * State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label (columns found by name;
 * Dur, TotPkts, Label, sTos, dTos optional); StartTime is
 * "YYYY/MM/DD hh:mm:ss[.ffffff]" (UTC); ports are decimal, 0xHEX (ICMP type
 * and code) or empty (ARP); Dir is one of -> <- <-> <?> ?> <? who; the
 * source address is the originator whatever the direction marker.
 */
#ifndef SGP_FLOWLOG_H
#define SGP_FLOWLOG_H

#include <stddef.h>
#include <stdint.h>

#include "sgp/agent.h"
#include "sgp/result.h"

enum {
  SGP_FLOWLOG_LINE_MAX = 8192, /* longest accepted line, bytes */
  SGP_FLOWLOG_COLS_MAX = 64,   /* most columns a header may declare */
  SGP_FLOWLOG_MARK_MAX = 15,   /* longest unset/empty marker */
};

enum sgp_flowlog_format { SGP_FLOWLOG_ZEEK = 1, SGP_FLOWLOG_BINETFLOW = 2 };

/* Known columns; col[] maps each to its index in the line, or -1. */
enum sgp_flowcol {
  SGP_COL_TS,
  SGP_COL_SRC,
  SGP_COL_SPORT,
  SGP_COL_DST,
  SGP_COL_DPORT,
  SGP_COL_PROTO,
  SGP_COL_STATE,
  SGP_COL_DUR,
  SGP_COL_OBYTES,
  SGP_COL_RBYTES,
  SGP_COL_OPKTS,
  SGP_COL_RPKTS,
  SGP_COL_OIPBYTES,
  SGP_COL_RIPBYTES,
  SGP_COL_LABEL,
  SGP_COL_DIR,      /* binetflow */
  SGP_COL_TOTPKTS,  /* binetflow */
  SGP_COL_TOTBYTES, /* binetflow */
  SGP_COL_SRCBYTES, /* binetflow */
  SGP_COL_COUNT,
};

struct sgp_flowlog {
  enum sgp_flowlog_format fmt;
  uint8_t sep;
  int have_header;
  unsigned ncols;
  int8_t col[SGP_COL_COUNT];
  char unset[SGP_FLOWLOG_MARK_MAX + 1];
  char empty[SGP_FLOWLOG_MARK_MAX + 1];
  unsigned lineno;  /* lines seen so far (the current line's number while parsing) */
  uint64_t flows;   /* data lines accepted */
  uint64_t skipped; /* lines rejected */
  sgp_err last_err; /* most recent rejection, SGP_OK if none */
  unsigned last_err_line;
  sgp_err first_err; /* first rejection and its line */
  unsigned first_err_line;
};

void sgp_flowlog_init(struct sgp_flowlog *p, enum sgp_flowlog_format fmt);
/* One line.  *have = 1 and *out set for a flow; *have = 0 for a header or
 * comment line.  On error *have = 0, the line is counted as skipped. */
SGP_MUST_CHECK sgp_err sgp_flowlog_line(struct sgp_flowlog *p, const char *line, size_t len,
                                        struct sgp_flow *out, int *have);
/* Count a line the caller could not hand over (too long, truncated). */
sgp_err sgp_flowlog_reject(struct sgp_flowlog *p, sgp_err why);

#endif
