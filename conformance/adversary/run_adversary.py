#!/usr/bin/env python3
"""Runs sgp-adversary (SGP-CONF-4) against a reference sgpd cluster on loopback.

Roster of 4: node 0 is the target sgpd, node 1 an honest sgpd, nodes 2 and 3 are played by
the adversary (it holds their keys and binds their roster ports).  The adversary also has an
identity outside the roster.  Processes are managed by tools/cluster/sgpcluster.py, which
stops everything it started on exit, on signals and when this script is killed.

Exit status: the adversary's (0 all passed, 1 a case failed), 2 setup failure, 77 missing
binaries.
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "cluster"))
import sgpcluster  # noqa: E402

REASM_CAP = 1048576  # the minimum reasm_global_bytes, so two flooding peers reach it


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--adversary", required=True)
    ap.add_argument("--sgpd", required=True)
    ap.add_argument("--sgpctl", required=True)
    ap.add_argument("--keygen", required=True)
    ap.add_argument("--junit")
    ap.add_argument("--filter")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--via-sgpctl", action="store_true",
                    help="every query through the sgpctl binary (slower)")
    a = ap.parse_args()
    bins = sgpcluster.Bins(sgpd=a.sgpd, sgpctl=a.sgpctl, keygen=a.keygen)
    if bins.missing() or not os.access(a.adversary, os.X_OK):
        print("run_adversary: missing binaries", file=sys.stderr)
        return sgpcluster.SKIP
    t0 = time.monotonic()
    # t_cleanup long enough that no row turns SILENT during the run; heartbeat 1 so the honest
    # node's report advances every round; max_silent 2 for SGP-MERGE-11.
    protocol = {"t_gossip_ms": 100, "heartbeat": 1, "t_cleanup": 2000, "max_silent": 2}
    transport = {"reasm_global_bytes": REASM_CAP}
    with sgpcluster.Cluster(bins, 4, protocol=protocol, transport=transport, keep=a.keep,
                            agents={0: "fixed:0", 1: "fixed:1000"}) as c:
        c.setup()
        c.start(ids=[0, 1])
        ok = sgpcluster.wait_until(
            lambda: (c.status(0) or {}).get("nodes", [{}, {}])[1].get("verdict") == "CLEAN", 15)
        if not ok:
            print("run_adversary: cluster did not converge\n" + c.log_tail(0), file=sys.stderr)
            return 2
        argv = [a.adversary, "--roster", c.roster_path,
                "--key", c.nodes[2].key, "--key", c.nodes[3].key,
                "--target", "0", "--honest", "1", "--ctl", c.nodes[0].socket,
                "--reasm-cap", str(REASM_CAP)]
        if a.via_sgpctl:
            argv += ["--sgpctl", a.sgpctl]
        # The adversary reads the control socket itself (fast, also under ASan); make sure
        # sgpctl shows the same data: both answer, with the same series and node ids.
        rc0, out0, err0 = c.ctl(0, "metrics", timeout=10)
        st = c.status(0)
        if rc0 != 0 or "sgp_drops_total{reason=" not in out0 or not st or len(st["nodes"]) != 4:
            print("run_adversary: sgpctl cross-check failed: %s" % err0, file=sys.stderr)
            return 2
        if a.junit:
            argv += ["--junit", a.junit]
        if a.filter:
            argv += ["--filter", a.filter]
        try:
            r = subprocess.run(argv, timeout=100)
            rc = r.returncode
        except subprocess.TimeoutExpired:
            print("run_adversary: adversary timed out", file=sys.stderr)
            rc = 1
        for i in (0, 1):
            if not c.alive(i):
                print("run_adversary: sgpd %d died\n%s" % (i, c.log_tail(i)), file=sys.stderr)
                rc = 1
    if sgpcluster.sanitizer_findings:
        print("\n".join(sgpcluster.sanitizer_findings), file=sys.stderr)
        rc = 1
    print("run_adversary: total %.1f s" % (time.monotonic() - t0))
    return rc


if __name__ == "__main__":
    sys.exit(main())
