/* Flow-log readers (flowlog.h, flowfile.h, spec §10): Zeek conn.log and
 * CTU-13 binetflow, every rejection with its error code and line number.
 * The logs are generated here; the shared Stratosphere data is never needed. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sgp/flowfile.h"
#include "sgp/flowlog.h"

#define ZEEK_HEAD                                                                            \
  "#separator \\x09\n"                                                                       \
  "#set_separator\t,\n"                                                                      \
  "#empty_field\t(empty)\n"                                                                  \
  "#unset_field\t-\n"                                                                        \
  "#path\tconn\n"                                                                            \
  "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t" \
  "orig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\t"      \
  "orig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tlabel\tdetailedlabel\n"

#define ZEEK_S0                                                                            \
  "293.774545\tCgw1\t192.168.1.115\t49162\t41.108.179.197\t1177\ttcp\t-\t3.000517\t0\t0\t" \
  "S0\tT\tF\t0\tS\t2\t104\t0\t0\t(empty)\tMalicious\tCC"
#define ZEEK_SF                                                                                 \
  "302.794660\tCd2\t192.168.1.115\t60027\t8.8.8.8\t53\tudp\tdns\t0.001346\t38\t233\tSF\tT\tF\t" \
  "0\tDd\t1\t66\t1\t261\t(empty)\tBenign\tGoogle"
#define ZEEK_V6                                                                             \
  "19.981745\tC91\tfd2d:ab8c:225:0:81d3:fd3e:7f62:aec8\t56464\tfd2d:ab8c:225::1\t53\tudp\t" \
  "dns\t-\t-\t-\tS0\tF\tF\t0\tDd\t1\t82\t0\t0\t(empty)\tBackground\t(empty)"

/* Feed a text line by line (as the file reader would). */
static void feed(struct sgp_flowlog *p, const char *text, struct sgp_flow *flows, size_t cap,
                 size_t *n) {
  *n = 0;
  const char *s = text;
  while (*s != '\0') {
    const char *nl = strchr(s, '\n');
    size_t len = nl ? (size_t)(nl - s) : strlen(s);
    struct sgp_flow f;
    int have = 0;
    if (sgp_flowlog_line(p, s, len, &f, &have) == SGP_OK && have && *n < cap) flows[(*n)++] = f;
    s += len + (nl ? 1 : 0);
  }
}

static void ip_is(const struct sgp_ip *ip, const char *txt) {
  char buf[64];
  sgp_ip_format(ip, buf, sizeof buf);
  cr_assert_str_eq(buf, txt);
}

Test(flowlog, zeek_fields_and_markers) {
  struct sgp_flowlog p;
  sgp_flowlog_init(&p, SGP_FLOWLOG_ZEEK);
  struct sgp_flow f[4];
  size_t n;
  feed(&p, ZEEK_HEAD ZEEK_S0 "\n" ZEEK_SF "\n" ZEEK_V6 "\n#close\t2017-03-08\n", f, 4, &n);
  cr_assert_eq(p.skipped, 0, "%s at %u", sgp_err_name(p.first_err), p.first_err_line);
  cr_assert_eq(n, 3);
  cr_assert_eq(f[0].ts_us, 293774545u);
  ip_is(&f[0].src, "192.168.1.115");
  ip_is(&f[0].dst, "41.108.179.197");
  cr_assert_eq(f[0].sport, 49162);
  cr_assert_eq(f[0].dport, 1177);
  cr_assert_eq(f[0].proto, 6);
  cr_assert_eq(f[0].state, SGP_FLOW_UNANSWERED);
  cr_assert_eq(f[0].bytes_out, 104); /* IP bytes preferred */
  cr_assert_eq(f[0].bytes_in, 0);
  cr_assert_eq(f[0].dur_us, 3000517u);
  cr_assert_eq(f[0].label, SGP_LABEL_MALICIOUS);
  cr_assert_eq(f[1].state, SGP_FLOW_ANSWERED);
  cr_assert_eq(f[1].proto, 17);
  cr_assert_eq(f[1].bytes_in, 261);
  cr_assert_eq(f[1].pkts_out, 1);
  cr_assert_eq(f[1].pkts_in, 1);
  cr_assert_eq(f[1].label, SGP_LABEL_BENIGN);
  /* "-" in optional columns reads as 0. */
  ip_is(&f[2].src, "fd2d:ab8c:225:0:81d3:fd3e:7f62:aec8");
  cr_assert_eq(f[2].dur_us, 0);
  cr_assert_eq(f[2].label, SGP_LABEL_BACKGROUND);
  cr_assert_eq(p.lineno, 10);
  cr_assert_eq(p.flows, 3);
}

/* #fields decides the order; #separator and #unset_field are honoured. */
Test(flowlog, zeek_custom_header) {
  struct sgp_flowlog p;
  sgp_flowlog_init(&p, SGP_FLOWLOG_ZEEK);
  struct sgp_flow f[2];
  size_t n;
  feed(&p,
       "#separator \\x2c\n#unset_field,NA\n"
       "#fields,conn_state,proto,id.resp_p,id.resp_h,id.orig_p,id.orig_h,ts,orig_bytes\n"
       "REJ,tcp,23,10.0.0.9,5555,10.0.0.1,1655071231.749548,NA\n",
       f, 2, &n);
  cr_assert_eq(p.skipped, 0, "%s at %u", sgp_err_name(p.first_err), p.first_err_line);
  cr_assert_eq(n, 1);
  cr_assert_eq(f[0].state, SGP_FLOW_REJECTED);
  cr_assert_eq(f[0].dport, 23);
  cr_assert_eq(f[0].ts_us, 1655071231749548ull);
  cr_assert_eq(f[0].bytes_out, 0);
}

/* Every bad line: its specific code, its line number, nothing emitted, and
 * the parser still reads the next good line. */
Test(flowlog, zeek_bad_lines_counted_with_line_numbers) {
  static const struct {
    const char *line;
    sgp_err err;
  } bad[] = {
      {"293.7\tC\t192.168.1.115\t49162\t41.108.179.197\t1177\ttcp", SGP_ERR_FLOW_COLUMNS},
      {ZEEK_S0 "\textra", SGP_ERR_FLOW_COLUMNS},
      {"29x.7\tC\t192.168.1.115\t49162\t41.108.179.197\t1177\ttcp\t-\t3.0\t0\t0\tS0\tT\tF\t0\tS\t2"
       "\t104\t0\t0\t(empty)\tMalicious\tCC",
       SGP_ERR_FLOW_FIELD},
      {"29.7\tC\t192.168.1.300\t49162\t41.108.179.197\t1177\ttcp\t-\t3.0\t0\t0\tS0\tT\tF\t0\tS\t2"
       "\t104\t0\t0\t(empty)\tMalicious\tCC",
       SGP_ERR_FLOW_FIELD},
      {"29.7\tC\t192.168.1.3\t70000\t41.108.179.197\t1177\ttcp\t-\t3.0\t0\t0\tS0\tT\tF\t0\tS\t2"
       "\t104\t0\t0\t(empty)\tMalicious\tCC",
       SGP_ERR_FLOW_FIELD},
      {"29.7\tC\t192.168.1.3\t7000\t41.108.179.197\t1177\ttcp\t-\t3.0\t0\t0\tXX\tT\tF\t0\tS\t2"
       "\t104\t0\t0\t(empty)\tMalicious\tCC",
       SGP_ERR_FLOW_FIELD},
      {"29.7\tC\t192.168.1.3\t7000\t41.108.179.197\t1177\ttcp\t-\t3.0\t-5\t0\tS0\tT\tF\t0\tS\t2"
       "\t104\t0\t0\t(empty)\tMalicious\tCC",
       SGP_ERR_FLOW_FIELD},
      {"29.7\tC\t192.168.1.3\t7000\t41.108.179.197\t1177\ttcp\t-\t3.0\t1\t0\tS0\tT\tF\t0\tS\t2"
       "\t99999999999999999999999\t0\t0\t(empty)\tMalicious\tCC",
       SGP_ERR_FLOW_FIELD},
      {"29.7\tC\t-\t7000\t41.108.179.197\t1177\ttcp\t-\t3.0\t1\t0\tS0\tT\tF\t0\tS\t2"
       "\t9\t0\t0\t(empty)\tMalicious\tCC",
       SGP_ERR_FLOW_FIELD},
      {"29.7\tC\t192.168.1.3\x01\t7000\t41.108.179.197", SGP_ERR_FLOW_BINARY},
      {"#fields\tts\tuid", SGP_ERR_FLOW_HEADER}, /* lacks required columns */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct sgp_flowlog p;
    sgp_flowlog_init(&p, SGP_FLOWLOG_ZEEK);
    struct sgp_flow f[2];
    size_t n;
    feed(&p, ZEEK_HEAD, f, 2, &n);
    cr_assert_eq(p.lineno, 6);
    struct sgp_flow out;
    memset(&out, 0xab, sizeof out);
    struct sgp_flow before = out;
    int have = 7;
    sgp_err rc = sgp_flowlog_line(&p, bad[i].line, strlen(bad[i].line), &out, &have);
    cr_assert_eq(rc, bad[i].err, "case %zu: %s", i, sgp_err_name(rc));
    cr_assert_eq(have, 0);
    cr_assert_eq(memcmp(&out, &before, sizeof out), 0, "case %zu wrote output", i);
    cr_assert_eq(p.skipped, 1);
    cr_assert_eq(p.last_err, bad[i].err);
    cr_assert_eq(p.last_err_line, 7, "case %zu", i);
    /* The header survives a rejected header line; the next line parses. */
    cr_assert_eq(sgp_flowlog_line(&p, ZEEK_S0, strlen(ZEEK_S0), &out, &have), SGP_OK, "case %zu",
                 i);
    cr_assert_eq(have, 1);
    cr_assert_eq(p.lineno, 8);
  }
}

/* Missing header: data before #fields. */
Test(flowlog, zeek_missing_header) {
  struct sgp_flowlog p;
  sgp_flowlog_init(&p, SGP_FLOWLOG_ZEEK);
  struct sgp_flow f;
  int have;
  cr_assert_eq(sgp_flowlog_line(&p, "#separator \\x09", 15, &f, &have), SGP_OK);
  cr_assert_eq(sgp_flowlog_line(&p, ZEEK_S0, strlen(ZEEK_S0), &f, &have), SGP_ERR_FLOW_HEADER);
  cr_assert_eq(p.first_err_line, 2);
  cr_assert_eq(sgp_flowlog_line(&p, "#separator \\x0", 14, &f, &have), SGP_ERR_FLOW_HEADER);
}

#define ARGUS_HEAD                                                                                 \
  "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes," \
  "Label\n"

Test(flowlog, binetflow_markers_hex_ports_arp) {
  struct sgp_flowlog p;
  sgp_flowlog_init(&p, SGP_FLOWLOG_BINETFLOW);
  struct sgp_flow f[8];
  size_t n;
  feed(
      &p,
      ARGUS_HEAD
      "2011/08/10 09:46:53.047277,3.124202,tcp,147.32.84.165,1027,   ->,74.125.232.195,80,"
      "FSPA_FSPA,0,0,9,1245,568,flow=From-Botnet-V42-TCP-Established-HTTP\n"
      "2011/08/10 09:46:54.5,0.000000,tcp,147.32.84.165,1028,   ->,1.2.3.4,6667,S_,0,,2,124,124,"
      "flow=From-Botnet-V42-TCP-Attempt\n"
      "2011/08/10 09:46:55,0.001,tcp,147.32.84.165,1029,   ->,1.2.3.5,25,S_RA,0,0,2,120,62,"
      "flow=Background-TCP-Attempt\n"
      "2011/08/10 09:46:56.000001,0.5,icmp,147.32.84.165,0x0008,  <->,8.8.4.4,0x0000,ECO,0,0,2,196,"
      "98,flow=Normal-V42-ICMP\n"
      "2011/08/10 09:47:00.100000,0,arp,147.32.84.165,,  who,147.32.84.1,,INT,,,1,60,60,"
      "flow=Background-Arp\n"
      "2011/08/10 09:47:01.100000,1.0,udp,147.32.84.165,53000,  <?>,147.32.80.9,53,CON,0,0,2,200,"
      "80,flow=Background-UDP-Established\n",
      f, 8, &n);
  cr_assert_eq(p.skipped, 0, "%s at %u", sgp_err_name(p.first_err), p.first_err_line);
  cr_assert_eq(n, 6);
  /* 2011-08-10 09:46:53 UTC = 1312969613 */
  cr_assert_eq(f[0].ts_us, 1312969613047277ull);
  cr_assert_eq(f[0].state, SGP_FLOW_ANSWERED);
  cr_assert_eq(f[0].bytes_out, 568);
  cr_assert_eq(f[0].bytes_in, 1245 - 568);
  cr_assert_eq(f[0].label, SGP_LABEL_MALICIOUS);
  cr_assert_eq(f[1].state, SGP_FLOW_UNANSWERED);
  cr_assert_eq(f[1].pkts_out, 2);
  cr_assert_eq(f[1].ts_us, 1312969614500000ull);
  cr_assert_eq(f[2].state, SGP_FLOW_REJECTED);
  cr_assert_eq(f[2].label, SGP_LABEL_BACKGROUND);
  cr_assert_eq(f[3].proto, 1);
  cr_assert_eq(f[3].sport, 8);
  cr_assert_eq(f[3].dport, 0);
  cr_assert_eq(f[3].label, SGP_LABEL_BENIGN);
  cr_assert_eq(f[4].proto, 0);
  cr_assert_eq(f[4].sport, 0);
  cr_assert_eq(f[4].dport, 0);
  cr_assert_eq(f[5].state, SGP_FLOW_ANSWERED);
}

Test(flowlog, binetflow_bad_lines) {
  static const struct {
    const char *line;
    sgp_err err;
  } bad[] = {
      {"2011/08/10 09:46:53,3.1,tcp,147.32.84.165,1027,->,74.125.232.195,80,FSPA_FSPA,0,0,9,1245",
       SGP_ERR_FLOW_COLUMNS},
      {"2011/08/10 09:46:53,3.1,tcp,147.32.84.165,1027,=>,74.125.232.195,80,FSPA_FSPA,0,0,9,1245,"
       "568,x",
       SGP_ERR_FLOW_FIELD},
      {"2011/13/10 09:46:53,3.1,tcp,147.32.84.165,1027,->,74.125.232.195,80,FSPA_FSPA,0,0,9,1245,"
       "568,x",
       SGP_ERR_FLOW_FIELD},
      {"2011/08/10 09:46:53,3.1,tcp,147.32.84.165,0x1FFFF,->,74.125.232.195,80,FSPA_FSPA,0,0,9,"
       "1245,568,x",
       SGP_ERR_FLOW_FIELD},
      {"2011/08/10 09:46:53,3.1,tcp,147.32.84.165,1027,->,74.125.232.195,80,FSPA_FSPA,0,0,9,100,"
       "568,x",
       SGP_ERR_FLOW_FIELD}, /* SrcBytes > TotBytes */
      {"2011/08/10 09:46:53,abc,tcp,147.32.84.165,1027,->,74.125.232.195,80,FSPA_FSPA,0,0,9,1245,"
       "568,x",
       SGP_ERR_FLOW_FIELD},
      {"2011/08/10 09:46:53,1,llc,0:1e:49:db:19:c3,0x0042,->,1:80:c2:0:0:0,0x0042,INT,,,1,64,64,x",
       SGP_ERR_FLOW_FIELD}, /* MAC addresses: counted, never mis-read */
      {"\x7f\x45LF,binary", SGP_ERR_FLOW_BINARY},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct sgp_flowlog p;
    sgp_flowlog_init(&p, SGP_FLOWLOG_BINETFLOW);
    struct sgp_flow f;
    size_t n;
    feed(&p, ARGUS_HEAD, &f, 1, &n);
    int have;
    cr_assert_eq(sgp_flowlog_line(&p, bad[i].line, strlen(bad[i].line), &f, &have), bad[i].err,
                 "case %zu", i);
    cr_assert_eq(p.last_err_line, 2);
  }
  /* Header without SrcBytes. */
  struct sgp_flowlog p;
  sgp_flowlog_init(&p, SGP_FLOWLOG_BINETFLOW);
  struct sgp_flow f;
  int have;
  const char *h = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,TotBytes";
  cr_assert_eq(sgp_flowlog_line(&p, h, strlen(h), &f, &have), SGP_ERR_FLOW_HEADER);
  cr_assert_eq(p.first_err_line, 1);
}

/* ---- file reader: huge line, truncated file, binary, missing header ------ */

static char tmpdir[64];

static void mk_tmp(void) {
  strcpy(tmpdir, "/tmp/sgp-flowlog-XXXXXX");
  cr_assert_not_null(mkdtemp(tmpdir));
}

static void rm_tmp(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  cr_assert_eq(system(cmd), 0);
}

static void write_file(const char *name, const void *data, size_t len, char *path, size_t cap) {
  snprintf(path, cap, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(data, 1, len, f), len);
  fclose(f);
}

static size_t read_all(struct sgp_flowfile *ff, size_t *flows) {
  *flows = 0;
  for (;;) {
    struct sgp_flow f;
    int have;
    cr_assert_eq(sgp_flowfile_next(ff, &f, &have), SGP_OK);
    if (!have) break;
    (*flows)++;
  }
  return ff->log.skipped;
}

Test(flowfile, huge_line_truncated_tail_and_binary, .init = mk_tmp, .fini = rm_tmp) {
  static char text[3 * SGP_FLOWLOG_LINE_MAX + 4096];
  size_t n = 0;
  n += (size_t)sprintf(text + n, "%s%s\n", ZEEK_HEAD, ZEEK_S0); /* lines 1-7 */
  memset(text + n, 'A', 2 * SGP_FLOWLOG_LINE_MAX + 17);         /* line 8: huge */
  n += 2 * SGP_FLOWLOG_LINE_MAX + 17;
  text[n++] = '\n';
  n += (size_t)sprintf(text + n, "%s\n", ZEEK_SF); /* line 9 */
  memcpy(text + n, "\x00\x01\x02\xff\n", 5);       /* line 10: binary */
  n += 5;
  n += (size_t)sprintf(text + n, "%s\n", ZEEK_SF); /* line 11 */
  n += (size_t)sprintf(text + n, "%s", ZEEK_S0);   /* line 12: no '\n' */
  char path[256];
  write_file("conn.log", text, n, path, sizeof path);
  static struct sgp_flowfile ff;
  cr_assert_eq(sgp_flowfile_open(&ff, path, SGP_FLOWLOG_ZEEK), SGP_OK);
  size_t flows;
  cr_assert_eq(read_all(&ff, &flows), 3);
  cr_assert_eq(flows, 3);
  cr_assert_eq(ff.log.first_err, SGP_ERR_TOO_LARGE);
  cr_assert_eq(ff.log.first_err_line, 8);
  cr_assert_eq(ff.log.last_err, SGP_ERR_TRUNCATED);
  cr_assert_eq(ff.log.last_err_line, 12);
  cr_assert_eq(ff.log.lineno, 12);
  sgp_flowfile_close(&ff);
}

Test(flowfile, binary_file_and_missing_file, .init = mk_tmp, .fini = rm_tmp) {
  uint8_t junk[20000];
  uint64_t s = 99;
  for (size_t i = 0; i < sizeof junk; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    junk[i] = (uint8_t)(s >> 56);
  }
  char path[256];
  write_file("junk.log", junk, sizeof junk, path, sizeof path);
  static struct sgp_flowfile ff;
  cr_assert_eq(sgp_flowfile_open(&ff, path, SGP_FLOWLOG_BINETFLOW), SGP_OK);
  size_t flows;
  cr_assert_gt(read_all(&ff, &flows), 0);
  cr_assert_eq(flows, 0);
  cr_assert_eq(ff.log.skipped, ff.log.lineno); /* every line rejected, none mis-read */
  sgp_flowfile_close(&ff);
  cr_assert_eq(sgp_flowfile_open(&ff, "/nonexistent/sgp.log", SGP_FLOWLOG_ZEEK), SGP_ERR_FLOW_IO);
}
