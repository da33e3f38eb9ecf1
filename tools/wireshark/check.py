#!/usr/bin/env python3
"""wireshark_dissector test: capture a live loopback sgpd cluster and check sgp.lua on it.

  check.py --sgpd B --sgpctl B --keygen B --lua tools/wireshark/sgp.lua [--seconds S]

1. Picks loopback ports for an n-node cluster (tools/cluster/sgpcluster.py), starts
   `dumpcap -i lo -f 'udp portrange A-B' -a duration:S` and waits until it captures.
2. Starts the cluster (half the nodes with jigsaw=parity, so flags 0x00 and 0x03 both
   occur), lets it gossip until dumpcap stops, stops it.
3. Runs `tshark -X lua_script:sgp.lua -d udp.port==A-B,sgp` over the capture and asserts:
   every UDP frame is dissected as SGP; initiations, responses and non-keepalive data
   messages were seen; no expert info of severity warning or above (the dissector's
   "malformed" checks: lengths, reserved bytes, flags, keepalive form, fragment index,
   count and length per §8.1); per (src, dst, msg_id) the fragments agree on count,
   total length and flags and, on lossless loopback, every index 0..count-1 was seen.
Exit 0 pass, 1 fail, 77 skip (capture not permitted / tools or binaries missing).
"""
import argparse
import collections
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cluster"))
import sgpcluster as sc  # noqa: E402

FIELDS = ["frame.number", "ip.src", "ip.dst", "udp.srcport", "udp.dstport", "sgp.type",
          "sgp.flags", "sgp.frag.msg_id", "sgp.frag.index", "sgp.frag.count",
          "sgp.frag.total_len", "sgp.keepalive", "sgp.sender_node", "sgp.receiver_index", "udp.length"]


skip, fail = sc.skip, sc.fail


def synthetic_pcap(path, payloads, port=41000):
    """A classic pcap (LINKTYPE_RAW, IPv4) with one UDP datagram per payload."""
    import struct
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)]
    for i, pl in enumerate(payloads):
        udp = struct.pack("!HHHH", port + 1, port, 8 + len(pl), 0) + pl
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                         bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])) + udp
        out.append(struct.pack("<IIII", 1700000000 + i, 0, len(ip), len(ip)) + ip)
    with open(path, "wb") as f:
        f.write(b"".join(out))


def selftest(lua, work):
    """The dissector's checks fire on bad frames and stay quiet on good ones (so a quiet
    live capture means something)."""
    import struct

    def data(flags, msg_id, idx, count, total, plen):
        return (struct.pack("!BBHIQIBBI", 4, flags, 0, 0x11223344, 7, msg_id, idx, count,
                            total) + b"\xaa" * (plen + 16))
    frames = [  # (payload, expect malformed)
        (data(0, 0, 0, 0, 0, 0), False),                 # keepalive
        (data(0, 1, 0, 1, 100, 100), False),             # one-fragment message
        (data(3, 2, 2, 3, 2000, 1158), False),           # parity fragment of a 2+1 message
        (data(0, 1, 2, 2, 2000, 842), True),             # index not below count
        (data(0, 1, 0, 0, 0, 58), True),                 # count 0, not a keepalive
        (data(2, 1, 0, 1, 100, 100), True),              # PARITY without AONT
        (data(0, 1, 0, 2, 2000, 1000), True),            # wrong fragment length
        (data(0, 0, 0, 1, 100, 100), True),              # msg_id 0
        (bytes([9]) + b"\0" * 60, True),                 # unknown type
        (bytes([1, 0, 0, 1]) + b"\0" * 96, True),        # initiation, reserved byte set
    ]
    path = os.path.join(work, "synthetic.pcap")
    synthetic_pcap(path, [f for f, _ in frames])
    r = subprocess.run(["tshark", "-n", "-r", path, "-X", "lua_script:" + lua, "-d",
                        "udp.port==41000,sgp", "-T", "fields", "-e", "frame.number", "-e",
                        "sgp.type", "-e", "_ws.expert.message"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        fail("tshark on the synthetic capture: %s" % r.stderr[-400:])
    got = {}
    for line in r.stdout.splitlines():
        f = line.split("\t")
        got[int(f[0])] = (f[1], f[2] if len(f) > 2 else "")
    bad = []
    for i, (_, expect) in enumerate(frames, 1):
        typ, msg = got.get(i, ("", ""))
        if not typ or bool(msg) != expect:
            bad.append("frame %d: type %r expert %r (expected %s)" %
                       (i, typ, msg, "malformed" if expect else "clean"))
    if bad:
        fail("dissector self-test:\n  " + "\n  ".join(bad))
    print("dissector self-test: %d synthetic frames, %d flagged as expected" %
          (len(frames), sum(e for _, e in frames)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sgpd")
    ap.add_argument("--sgpctl")
    ap.add_argument("--keygen")
    ap.add_argument("--lua", default=os.path.join(HERE, "sgp.lua"))
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=6)
    ap.add_argument("--keep", help="copy the capture here")
    a = ap.parse_args()

    for tool in ("dumpcap", "tshark"):
        if shutil.which(tool) is None:
            skip("%s not installed" % tool)
    bins = sc.Bins(a.sgpd, a.sgpctl, a.keygen, None)
    if bins.missing():
        skip("not built: %s" % ", ".join(bins.missing()))

    work = tempfile.mkdtemp(prefix="sgpws-", dir="/tmp")
    try:
        selftest(a.lua, work)
        return run(a, bins, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(a, bins, work):
    pcap = os.path.join(work, "sgp.pcapng")
    # Contiguous-ish ports so one BPF range covers them (sgpcluster skips ports in use).
    base = random.randint(42000, 60000)
    c = sc.Cluster(bins, a.n, base_port=base, protocol={"t_gossip_ms": 200})
    ports = [nd.roster_port for nd in c.nodes]
    lo, hi = min(ports), max(ports)
    with c:
        c.setup()
        for i in range(1, a.n, 2):
            c.write_config(i, {("transport", "jigsaw"): "parity"})
        try:
            sc.capture_cluster(c, pcap, a.seconds, os.path.join(work, "dumpcap.log"))
        except sc.CaptureUnavailable as e:
            skip(str(e))
        except RuntimeError as e:
            fail(str(e))
        rounds = [st["round"] for st in (c.status(i) for i in range(a.n)) if st]
    print("cluster n=%d on 127.0.0.1:%d-%d, %d s capture, node rounds %s" %
          (a.n, lo, hi, a.seconds, rounds))
    if a.keep:
        shutil.copy(pcap, a.keep)

    base_cmd = ["tshark", "-n", "-r", pcap, "-X", "lua_script:" + a.lua,
                "-d", "udp.port==%d-%d,sgp" % (lo, hi)]
    r = subprocess.run(base_cmd + ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
                       + sum([["-e", f] for f in FIELDS], []),
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail("tshark failed: %s" % r.stderr[-500:])
    rows = [dict(zip(FIELDS, line.split("\t"))) for line in r.stdout.splitlines() if line]
    if not rows:
        fail("empty capture")
    notsgp = [x["frame.number"] for x in rows if not x["sgp.type"]]
    if notsgp:
        fail("%d UDP frames not dissected as SGP (first: %s)" % (len(notsgp), notsgp[:5]))

    # Expert infos: the dissector's own "malformed" plus anything Wireshark flags
    # (Lua errors show up as malformed/expert too).
    r2 = subprocess.run(base_cmd + ["-Y", "_ws.expert.severity >= 0x00600000 || _ws.malformed || "
                                          "_ws.lua", "-T", "fields", "-e", "frame.number",
                                    "-e", "_ws.expert.message"],
                        capture_output=True, text=True, timeout=120)
    if r2.returncode != 0:
        fail("tshark (expert) failed: %s" % r2.stderr[-500:])
    if r2.stdout.strip():
        fail("expert infos / malformed frames:\n%s" % r2.stdout[:2000])
    if "Lua" in r2.stderr or "Lua" in r.stderr:
        fail("Lua errors: %s" % (r.stderr + r2.stderr)[-800:])

    types = collections.Counter(int(x["sgp.type"]) for x in rows)
    data = [x for x in rows if x["sgp.type"] == "4"]
    ka = [x for x in data if x["sgp.keepalive"] in ("1", "True")]
    frags = [x for x in data if x["sgp.keepalive"] not in ("1", "True")]
    flags = collections.Counter(x["sgp.flags"] for x in frags)
    msgs = collections.defaultdict(list)
    for x in frags:
        msgs[(x["udp.srcport"], x["udp.dstport"], x["sgp.receiver_index"], x["sgp.frag.msg_id"])].append(x)
    incomplete, inconsistent, multi = 0, 0, 0
    for key, fs in msgs.items():
        if len({(x["sgp.frag.count"], x["sgp.frag.total_len"], x["sgp.flags"]) for x in fs}) != 1:
            inconsistent += 1
        count = int(fs[0]["sgp.frag.count"])
        multi += count > 1
        if {int(x["sgp.frag.index"]) for x in fs} != set(range(count)):
            incomplete += 1
    senders = {x["sgp.sender_node"] for x in rows if x["sgp.type"] == "1"}
    print("frames %d: initiation %d, response %d, cookie reply %d, data %d "
          "(keepalive %d, fragments %d, flags %s)" %
          (len(rows), types[1], types[2], types[3], types[4], len(ka), len(frags), dict(flags)))
    print("messages %d (multi-fragment %d, incomplete %d, inconsistent %d); initiation "
          "senders %s" % (len(msgs), multi, incomplete, inconsistent, sorted(senders, key=int)))
    if types[1] == 0 or types[2] == 0 or not frags:
        fail("expected initiations, responses and data fragments")
    if inconsistent:
        fail("%d messages whose fragments disagree on count/length/flags" % inconsistent)
    # Fragments of a message in flight at the capture's end may be cut off.
    if incomplete > 2:
        fail("%d messages with missing fragment indices on lossless loopback" % incomplete)
    if len(senders) < 2:
        fail("initiations from fewer than 2 distinct sender nodes")
    print("wireshark_dissector: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
