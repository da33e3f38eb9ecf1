#!/usr/bin/env python3
"""inspect_keylog test: sgpd's opt-in key log and `sgp inspect` on a live loopback capture.

  check.py --sgpd B --sgpctl B --keygen B --sgp B [--n 4] [--seconds 6] [--keep DIR]

1. Key log defaults (SGP-NODE-20, -21): nodes without `keylog` write no key log and log no
   keylog_enabled; sgpd refuses to start (exit 2, one SGP_ERR_PERMISSIONS line) when the
   key log's directory or an existing key log file is accessible by group or others.
2. A cluster (half the nodes jigsaw=parity) with `keylog` on node 0 only, captured on lo
   with `dumpcap -P` (classic pcap).  The key log must be mode 0600 with one SGP_SESSION
   line per session, logged at warn as keylog_enabled, and no key of it may appear in any
   node's log (SGP-NODE-11, SGP-NODE-22).
3. `sgp inspect --keylog K --roster R capture` must decrypt SYN, ACK and DELTA packets,
   with every report signature ok (sig=ok > 0, sig=BAD = 0), no packet/AEAD/sender error,
   and (almost) every data frame to or from node 0 decryptable.
4. The capture with every record doubled: each second copy of a decrypted frame is a
   `duplicate` and the packets are the same.  Without the key log (an empty one) nothing
   is decrypted.
Exit 0 pass, 1 fail, 77 skip (capture not permitted, dumpcap missing, binaries missing).
"""
import argparse
import os
import random
import re
import shutil
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "cluster"))
import sgpcluster as sc  # noqa: E402


skip, fail = sc.skip, sc.fail


def summary(text):
    """key=value pairs of every `summary:` and `keylog:` line."""
    out = {}
    for line in text.splitlines():
        if line.startswith("summary:") or line.startswith("keylog:"):
            for k, v in re.findall(r"(\w+)=(\d+)", line):
                out[k] = int(v)
    return out


def inspect(sgp, keylog, roster, pcap):
    argv = [sgp, "inspect", "--keylog", keylog]
    if roster:
        argv += ["--roster", roster]
    r = subprocess.run(argv + [pcap], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail("sgp inspect exited %d: %s" % (r.returncode, r.stderr[-500:]))
    return r.stdout, summary(r.stdout)


def write_doubled(src, dst):
    """A classic pcap with every record written twice."""
    import struct
    data = open(src, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    e = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    out, pos = [data[:24]], 24
    while pos + 16 <= len(data):
        incl = struct.unpack(e + "I", data[pos + 8:pos + 12])[0]
        rec = data[pos:pos + 16 + incl]
        out += [rec, rec]
        pos += 16 + incl
    with open(dst, "wb") as f:
        f.write(b"".join(out))


def refused(c, i, overrides, what):
    """SGP-NODE-21: start refused with exit 2 and one SGP_ERR_PERMISSIONS line."""
    cfg = c.write_config(i, overrides)
    r = subprocess.run([c.bins.sgpd, "-c", cfg], capture_output=True, text=True, timeout=20)
    lines = [l for l in r.stderr.splitlines() if l.startswith("sgpd:")]
    if r.returncode != 2 or len(lines) != 1 or "SGP_ERR_PERMISSIONS" not in lines[0]:
        fail("%s: sgpd exit %d, stderr %r (want exit 2, one SGP_ERR_PERMISSIONS line)" %
             (what, r.returncode, r.stderr[-300:]))
    c.write_config(i)
    print("refused (%s): %s" % (what, lines[0][:120]))


def defaults_and_refusals(c, work):
    # SGP-NODE-21: group-accessible directory, then a group-readable existing file.
    bad_dir = os.path.join(work, "kl-open")
    os.makedirs(bad_dir, mode=0o700)
    os.chmod(bad_dir, 0o750)
    refused(c, 1, {("node", "keylog"): os.path.join(bad_dir, "keys.log")}, "directory 0750")
    ok_dir = os.path.join(work, "kl-file")
    os.makedirs(ok_dir, mode=0o700)
    bad_file = os.path.join(ok_dir, "keys.log")
    with open(bad_file, "w"):
        pass
    os.chmod(bad_file, 0o640)
    refused(c, 1, {("node", "keylog"): bad_file}, "file 0640")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sgpd")
    ap.add_argument("--sgpctl")
    ap.add_argument("--keygen")
    ap.add_argument("--sgp")
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--seconds", type=int, default=6)
    ap.add_argument("--keep", help="copy capture, key log and inspect output here")
    a = ap.parse_args()
    if shutil.which("dumpcap") is None:
        skip("dumpcap not installed")
    bins = sc.Bins(a.sgpd, a.sgpctl, a.keygen, None)
    if bins.missing() or not a.sgp or not os.path.exists(a.sgp):
        skip("not built: %s" % ", ".join(bins.missing() + ([] if a.sgp else ["sgp"])))
    work = tempfile.mkdtemp(prefix="sgpinsp-", dir="/tmp")
    os.chmod(work, 0o700)
    try:
        return run(a, bins, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(a, bins, work):
    pcap = os.path.join(work, "sgp.pcap")
    kl_dir = os.path.join(work, "kl")
    os.makedirs(kl_dir, mode=0o700)
    keylog = os.path.join(kl_dir, "node-0.keys")
    base = random.randint(42000, 60000)
    # A work dir of our own: stop() keeps it, so the logs and roster can be read after it.
    c = sc.Cluster(bins, a.n, workdir=os.path.join(work, "c"), base_port=base,
                   protocol={"t_gossip_ms": 200})
    with c:
        c.setup()
        defaults_and_refusals(c, work)
        c.write_config(0, {("node", "keylog"): keylog})
        for i in range(1, a.n, 2):
            c.write_config(i, {("transport", "jigsaw"): "parity"})
        try:
            sc.capture_cluster(c, pcap, a.seconds, os.path.join(work, "dumpcap.log"),
                               ("-P",))
        except sc.CaptureUnavailable as e:
            skip(str(e))
        except RuntimeError as e:
            fail(str(e))
        c.stop()
        logs = {i: sc._read(c.nodes[i].log) for i in range(a.n)}
        roster = os.path.join(work, "roster")
        shutil.copy(c.roster_path, roster)
        state_files = [os.path.join(dp, f) for i in range(1, a.n)
                       for dp, _, fs in os.walk(c.nodes[i].state_dir) for f in fs]

    if sc.sanitizer_findings:
        fail("sanitizer findings:\n%s" % "\n".join(sc.sanitizer_findings[:5]))
    # SGP-NODE-20: only the configured node has a key log and announces it.
    if not os.path.exists(keylog):
        fail("node 0 wrote no key log")
    mode = stat.S_IMODE(os.stat(keylog).st_mode)
    if mode != 0o600:
        fail("key log mode %04o, want 0600 (SGP-NODE-21)" % mode)
    if not re.search(r"level=warn event=keylog_enabled path=\"%s\"" % re.escape(keylog), logs[0]):
        fail("node 0 did not log event=keylog_enabled at warn:\n%s" % logs[0][-600:])
    for i in range(1, a.n):
        if "keylog" in logs[i]:
            fail("node %d (no keylog key) mentions a key log" % i)
    extra = [f for f in state_files if not f.endswith(("generation", "lock"))]
    if extra or len(os.listdir(kl_dir)) != 1:
        fail("unexpected files: %s %s" % (extra, os.listdir(kl_dir)))
    text = open(keylog).read()
    lines = text.splitlines()
    bad = [l for l in lines if not re.fullmatch(
        r"SGP_SESSION v1 0 \d+ [0-9a-f]{8} [0-9a-f]{8} [0-9a-f]{64} [0-9a-f]{64} \d+\.\d{3}", l)]
    if not lines or bad:
        fail("key log lines: %d, malformed: %s" % (len(lines), bad[:2]))
    # SGP-NODE-11, SGP-NODE-22: the keys are in the key log only, never in a log.
    keys = set(re.findall(r"[0-9a-f]{64}", text))
    leaked = [i for i in range(a.n) for k in keys if k in logs[i]]
    if leaked:
        fail("session keys from the key log appear in the logs of nodes %s" % sorted(set(leaked)))
    peers = sorted({int(l.split()[3]) for l in lines})
    print("key log: %d SGP_SESSION lines (peers %s), mode 0600, keys in no log" % (len(lines),
                                                                                   peers))

    out, s = inspect(a.sgp, keylog, roster, pcap)
    if a.keep:
        os.makedirs(a.keep, exist_ok=True)
        for f in (pcap, keylog):
            shutil.copy(f, a.keep)
        with open(os.path.join(a.keep, "inspect.txt"), "w") as f:
            f.write(out)
    for line in out.splitlines():
        if line.startswith(("summary:", "keylog:")):
            print(line)
    need = {k: s.get(k, 0) for k in ("decrypted", "SYN", "ACK", "DELTA", "sig_ok")}
    zero = {k: s.get(k, -1) for k in ("sig_bad", "packet_error", "auth_failed", "sender_mismatch",
                                      "frag_error", "sig_unchecked")}
    if min(need.values()) <= 0:
        fail("expected decrypted SYN, ACK, DELTA and verified reports: %s" % need)
    if any(v != 0 for v in zero.values()):
        fail("expected no errors: %s" % zero)
    # Every data frame to or from node 0 should open (one may be cut by the capture's end).
    p0 = ":%d " % c.nodes[0].roster_port
    p0_nokey = [l for l in out.splitlines() if " no_key " in l and p0 in l + " "]
    if len(p0_nokey) > 2:
        fail("%d data frames of node 0 not decryptable:\n%s" % (len(p0_nokey),
                                                                "\n".join(p0_nokey[:5])))
    if s.get("no_key", 0) == 0:
        fail("traffic between the other nodes should not be decryptable with node 0's log")

    # Duplicates: every record twice; the second copy of each decrypted frame is named.
    dup = os.path.join(work, "dup.pcap")
    write_doubled(pcap, dup)
    _, sd = inspect(a.sgp, keylog, roster, dup)
    same = all(sd.get(k) == s.get(k) for k in ("SYN", "ACK", "DELTA", "sig_ok"))
    if sd.get("duplicate") != s["decrypted"] + s.get("duplicate", 0) or not same:
        fail("doubled capture: duplicate=%s (want %d), packets %s vs %s" %
             (sd.get("duplicate"), s["decrypted"], sd, s))
    print("doubled capture: duplicate=%d, same packets" % sd["duplicate"])

    empty = os.path.join(work, "empty.keys")
    open(empty, "w").close()
    _, s0 = inspect(a.sgp, empty, roster, pcap)
    if s0.get("decrypted", -1) != 0 or s0.get("SYN", -1) + s0.get("ACK", -1) + s0.get("DELTA",
                                                                                        -1) != 0:
        fail("without the key log something was decrypted: %s" % s0)
    if s0.get("no_key", 0) != s.get("data", 0):
        fail("without the key log every data frame should be no_key: %s" % s0)
    print("without the key log: decrypted=0, no_key=%d of data=%d" % (s0["no_key"], s0["data"]))
    print("inspect_keylog: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
