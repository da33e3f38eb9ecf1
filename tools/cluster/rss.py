#!/usr/bin/env python3
"""RSS benchmark (issue 4 target: a node's RSS at n=64 is at most 8 MiB).

usage: rss.py --build DIR [--n 64] [--t-gossip-ms 500] [--settle 20] [--samples 5]
              [--reasm-global-bytes N]   ([transport] reasm_global_bytes; default: sgpd's)

Starts n sgpd on 127.0.0.1 (tools/cluster/sgpcluster.py), waits until every node holds a
report of every node (bounded), lets the cluster gossip for --settle more seconds, then
samples every node's VmRSS (and VmHWM, the peak) from /proc/PID/status --samples times,
one second apart, and prints min / median / max over the nodes.  Exit 0 if the largest
VmRSS is within 8 MiB, 1 if not, 2 if the cluster could not be started.  Stops every
process it started.
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sgpcluster as sc  # noqa: E402

TARGET_KIB = 8 * 1024


def proc_kib(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--t-gossip-ms", type=int, default=500)
    ap.add_argument("--settle", type=float, default=20.0)
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--converge-timeout", type=float, default=180.0)
    ap.add_argument("--reasm-global-bytes", type=int)
    a = ap.parse_args()
    bins = sc.Bins.find([a.build])
    if bins.missing():
        print("rss: missing %s in %s" % (", ".join(bins.missing()), a.build))
        return 2
    # SGP-PARAM-7 for n = 64: T_cleanup >= H + 2 ceil(log2 n) + 10 = H + 22.
    proto = {"t_gossip_ms": a.t_gossip_ms, "heartbeat": 5, "t_cleanup": 40}
    transport = {}
    if a.reasm_global_bytes:
        transport["reasm_global_bytes"] = a.reasm_global_bytes
    with sc.Cluster(bins, a.n, protocol=proto, transport=transport, log_level="warn") as c:
        c.setup()
        t0 = time.monotonic()
        try:
            c.start(ready_timeout=60.0)
        except RuntimeError as e:
            print("rss: %s" % e)
            return 2
        print("rss: %d sgpd started in %.1f s (T_gossip %d ms, H 5, T_cleanup 40, "
              "reasm_global_bytes %s)" % (a.n, time.monotonic() - t0, a.t_gossip_ms,
                                          a.reasm_global_bytes or "default"))

        def full():
            for i in range(c.n):
                st = c.status(i)
                if st is None or any(r["verdict"] == "UNKNOWN" for r in st["nodes"]):
                    return False
            return True
        conv = sc.wait_until(full, a.converge_timeout, 1.0)
        print("rss: every node holds every report: %s after %.1f s" %
              ("yes" if conv else "NO", time.monotonic() - t0))
        time.sleep(a.settle)
        rss, hwm = {}, {}
        for _ in range(a.samples):
            for node in c.nodes:
                if c.alive(node.id):
                    v = proc_kib(node.proc.pid, "VmRSS")
                    h = proc_kib(node.proc.pid, "VmHWM")
                    if v is not None:
                        rss[node.id] = max(rss.get(node.id, 0), v)
                        hwm[node.id] = h
            time.sleep(1.0)
        dead = [i for i in range(c.n) if not c.alive(i)]
        _, tot = c.metrics(0)
        m = c.verdict_matrix()
        clean = sum(1 for i in m for j in m[i] if m[i][j] == "CLEAN")
    if not rss:
        print("rss: no samples")
        return 2
    vals, peaks = sorted(rss.values()), sorted(hwm.values())
    print("rss: n=%d nodes sampled=%d dead=%s" % (a.n, len(vals), dead or "none"))
    print("rss: VmRSS KiB  min %d  median %d  max %d   (max %.2f MiB)" %
          (vals[0], statistics.median(vals), vals[-1], vals[-1] / 1024.0))
    print("rss: VmHWM KiB  min %d  median %d  max %d   (peak %.2f MiB)" %
          (peaks[0], statistics.median(peaks), peaks[-1], peaks[-1] / 1024.0))
    if "sgp_rss_bytes" in tot:
        print("rss: node 0 sgp_rss_bytes %d" % tot["sgp_rss_bytes"])
    print("rss: CLEAN cells at the end %d of %d" % (clean, a.n * a.n))
    ok = vals[-1] <= TARGET_KIB
    print("rss: TARGET max VmRSS <= 8 MiB: %s" % ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
