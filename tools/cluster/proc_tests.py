#!/usr/bin/env python3
"""Process-level tests: real sgpd processes on loopback (ctest proc_*).

usage: proc_tests.py --sgpd P --sgpctl P --keygen P [--chaosproxy P] TEST

TEST is one of: converge, loss, rejoin, outsider, reload, badinput, genfile, lock, perms,
demo, ctl, ctlcred, secrets, genjump.
Exit 0 pass, 1 fail, 77 skip (a binary is missing: ctest SKIP_RETURN_CODE, never a fake
pass).  Every test picks kernel-chosen free ports, stops what it started (Cluster.stop,
atexit, signal handlers) and bounds every wait; ctest adds a TIMEOUT on top.
Timers are short (T_gossip 200 ms, H 3, T_cleanup 20) so a test takes seconds.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sgpcluster as sc  # noqa: E402

CONVERGE_TIMEOUT = 45.0


fail = sc.fail


def ok(msg):
    print("ok: " + msg)
    sys.stdout.flush()


def all_clean(c, live=None):
    return lambda: c.all_agree(lambda i, j: "CLEAN", live=live)


def converge_time(c, timeout=CONVERGE_TIMEOUT):
    """Seconds from now until every live node sees every node CLEAN (None on timeout)."""
    t0 = time.monotonic()
    if not sc.wait_until(all_clean(c), timeout, 0.1):
        return None
    return time.monotonic() - t0


def dump(c):
    for i in range(c.n):
        print("--- node %d log tail\n%s" % (i, c.log_tail(i, 8)))
    print("--- verdicts", c.verdict_matrix())


def start_converged(c):
    """Sets up and starts the cluster; fails the test unless it converges."""
    c.setup().start()
    if converge_time(c) is None:
        dump(c)
        fail("no initial convergence")


# SGP-CONS-5 (CLEAN = a report held, below theta_suspect): five processes gossip until
# every node holds every other node's signed report and assigns CLEAN to all.
def t_converge(bins):
    with sc.Cluster(bins, 5) as c:
        c.setup()
        t0 = time.monotonic()
        c.start()
        t = converge_time(c)
        if t is None:
            dump(c)
            fail("5 nodes did not converge to all-CLEAN in %.0f s" % CONVERGE_TIMEOUT)
        t = time.monotonic() - t0
        views = c.views()
        for i, v in views.items():
            for j in range(c.n):
                if v[j]["gen"] != views[j]["_self"]["generation"]:
                    fail("node %d holds gen %s for %d, its own is %s" %
                         (i, v[j]["gen"], j, views[j]["_self"]["generation"]))
        ok("5 nodes converged (all CLEAN, generations agree) in %.2f s" % t)


# Issue 4 target: at 30 % loss through chaosproxy convergence takes at most twice the
# no-loss time.  Printed, not asserted (timing on a shared 2-core machine); the test
# asserts that convergence happens at all under loss (SGP-NODE-13: impaired and corrupted
# datagrams never stop a node).  Convergence time = from starting the 5 processes until
# every node sees every node CLEAN, so it includes the first Noise handshakes, which is
# where loss costs most (a lost handshake message waits for its retransmission timer).
# Medians over SGP_PROC_TRIALS runs (default 3) of each setting.
def t_loss(bins):
    trials = int(os.environ.get("SGP_PROC_TRIALS", "3"))
    # SGP_PROC_T_GOSSIP_MS: measure with another round length (the handshake retry timer of
    # the transport is absolute, so its cost in rounds depends on T_gossip).
    tg = int(os.environ.get("SGP_PROC_T_GOSSIP_MS", "200"))
    window = 30.0 * tg / 1000.0
    settings = (("no loss (proxy)", [], trials),
                ("30% loss", ["--loss", "0.3"], trials),
                ("30% loss+5% dup+10% reorder+0-20 ms delay+1% corrupt",
                 ["--loss", "0.3", "--dup", "0.05", "--reorder", "0.1", "--delay-ms", "0:20",
                  "--corrupt", "0.01"], 1))
    med, spread = {}, {}
    for label, proxy, runs in settings:
        times, lags = [], []
        for k in range(runs):
            with sc.Cluster(bins, 5, proxy=proxy + ["--seed", str(100 + k)],
                            protocol={"t_gossip_ms": tg}) as c:
                c.setup()
                t0 = time.monotonic()
                c.start()
                if not sc.wait_until(all_clean(c), 90.0 * max(1.0, tg / 200.0), 0.05):
                    dump(c)
                    print(c.proxy_counters())
                    fail("%s: no convergence" % label)
                times.append(time.monotonic() - t0)
                lags.extend(sc.dissemination_lags(c, window))
                counters = sc.proxy_counter_dict(c.proxy_counters())
                if any(not c.alive(i) for i in range(c.n)):
                    fail("%s: a node died" % label)
            ok("%s, run %d: converged in %.2f s (proxy rx %d loss %d dup %d reorder %d "
               "corrupt %d)" % (label, k + 1, times[-1], counters.get("rx", 0),
                                counters.get("loss", 0), counters.get("dup", 0),
                                counters.get("reorder", 0), counters.get("corrupt", 0)))
        med[label] = statistics.median(times)
        print("%s: start-up convergence median %.2f s over %d run(s): %s" %
              (label, med[label], runs, " ".join("%.2f" % t for t in times)))
        if lags:
            lags.sort()
            spread[label] = statistics.median(lags)
            print("%s: steady-state spread of a new version to all nodes: median %.2f s, "
                  "p90 %.2f s, max %.2f s (%d versions)" %
                  (label, spread[label], lags[int(0.9 * (len(lags) - 1))], lags[-1], len(lags)))
    for what, d in (("start-up convergence", med), ("steady-state spread", spread)):
        if "no loss (proxy)" in d and "30% loss" in d:
            base, lossy = d["no loss (proxy)"], d["30% loss"]
            ratio = lossy / base if base > 0 else float("inf")
            print("TARGET (printed, not asserted) %s: 30%% loss %.2f s vs no loss %.2f s = "
                  "%.2fx (target <= 2x): %s" % (what, lossy, base, ratio,
                                                "met" if ratio <= 2.0 else "NOT met"))


# SGP-STATE-3, SGP-MERGE-9 via sgpd: after SIGKILL a node restarts with generation g+1,
# which every other node adopts (a higher generation outranks any seq of the old one).
def t_rejoin(bins):
    with sc.Cluster(bins, 5) as c:
        start_converged(c)
        k = 2
        g0 = c.status(k)["generation"]
        c.kill(k, signal.SIGKILL)
        ok("node %d (generation %d) killed with SIGKILL" % (k, g0))
        time.sleep(1.0)
        c.start_node(k)
        if not c.wait_ready(k):
            fail("node %d did not restart:\n%s" % (k, c.log_tail(k)))
        g1 = c.status(k)["generation"]
        if not g1 > g0:
            fail("generation did not rise: %d -> %d" % (g0, g1))
        with open(os.path.join(c.nodes[k].state_dir, "generation")) as f:
            if f.read() != "%d\n" % g1:
                fail("state file does not hold the new generation %d" % g1)
        ok("restarted with generation %d > %d (persisted)" % (g1, g0))
        t0 = time.monotonic()

        def adopted():
            v = c.views()
            return len(v) == c.n and all(v[i][k]["gen"] == g1 and v[i][k]["verdict"] == "CLEAN"
                                         for i in v)
        if not sc.wait_until(adopted, 30.0, 0.1):
            dump(c)
            fail("others did not adopt generation %d of node %d" % (g1, k))
        ok("every node holds generation %d for node %d and sees it CLEAN after %.2f s" %
           (g1, k, time.monotonic() - t0))
        if not sc.wait_until(all_clean(c), 20.0):
            fail("cluster not all-CLEAN after the rejoin")
        ok("cluster all-CLEAN again")
        # Graceful stop (session2.md B: SIGTERM -> exit 0) and restart: generation + 1 again.
        k2 = 1
        h0 = c.status(k2)["generation"]
        rc = c.kill(k2, signal.SIGTERM)
        if rc != 0:
            fail("SIGTERM: node %d exited %s, want 0:\n%s" % (k2, rc, c.log_tail(k2)))
        c.start_node(k2)
        if not c.wait_ready(k2):
            fail("node %d did not restart after SIGTERM" % k2)
        h1 = c.status(k2)["generation"]
        if h1 != h0 + 1:
            fail("after SIGTERM + restart generation %d -> %d, want +1" % (h0, h1))
        if not sc.wait_until(lambda: all(v[k2]["gen"] == h1 for v in c.views().values())
                             and all_clean(c)(), 30.0, 0.1):
            dump(c)
            fail("generation %d of node %d not adopted after SIGTERM restart" % (h1, k2))
        ok("SIGTERM: exit 0; restart with generation %d -> %d, adopted by all" % (h0, h1))


def drops(c, i):
    _, totals = c.metrics(i)
    return totals.get("sgp_drops_total", 0.0)


def drop_reasons(c, i):
    series, _ = c.metrics(i)
    return {dict(k[1]).get("reason"): v for k, v in series.items()
            if k[0] == "sgp_drops_total" and v}


# SGP-NODE-13, SGP-CONS-7, SGP-REPORT-3: a process whose key is not in the roster (it
# claims id 0 with its own key) is refused by the Noise KK handshake; the cluster's
# state, versions and verdicts do not move and only drop counters rise.
def t_outsider(bins):
    with sc.Cluster(bins, 4) as c:
        start_converged(c)
        # The outsider: its own key for id 0 (other seed), the cluster roster with line 0
        # replaced by its own key and a fresh address, agent fixed:5000 (if any of its
        # reports were accepted, node 0 would turn COMPROMISED everywhere).
        odir = os.path.join(c.dir, "outsider")
        os.makedirs(odir, mode=0o700)
        oport = sc.free_udp_ports(1)[0]
        oline = c.keygen(0, os.path.join(odir, "keys"), sc.fmt_addr(c.host, oport),
                         seed="ee" * 32)
        lines = [c.roster_lines[i] for i in range(c.n)]
        lines[0] = oline
        c.write_roster(lines, os.path.join(odir, "roster"))
        os.makedirs(os.path.join(odir, "run"), mode=0o700)
        ocfg = os.path.join(odir, "outsider.ini")
        with open(ocfg, "w") as f:
            f.write("[node]\nid = 0\nroster = roster\nkey = keys/node-0.key\n"
                    "state_dir = state\ncontrol_socket = %s\nlog_level = info\n"
                    "[protocol]\n%s\n[agent]\nsource = fixed:5000\n" %
                    (os.path.join(odir, "run", "ctl.sock"),
                     "\n".join("%s = %s" % kv for kv in c.protocol.items())))
        before_views = c.views()
        before_drops = {i: drops(c, i) for i in range(c.n)}
        g0 = before_views[0]["_self"]["generation"]
        op = sc.spawn([bins.sgpd, "-c", ocfg], os.path.join(odir, "outsider.log"))
        time.sleep(20 * c.protocol["t_gossip_ms"] / 1000.0)  # 20 rounds of attempts
        if op.poll() is not None:
            olog = sc._read(os.path.join(odir, "outsider.log"))
            fail("the outsider sgpd exited (rc %s): %s" % (op.returncode, olog[-400:]))
        after = c.views()
        after_drops = {i: drops(c, i) for i in range(c.n)}
        own0 = c.status(0)  # node 0's own row, read after everyone else's view of it
        own0 = {r["id"]: r for r in own0["nodes"]}[0]
        sc._stop_proc(op)
        for i, v in after.items():
            for j in range(c.n):
                row = v[j]
                if row["verdict"] != "CLEAN" or row["suspicion"] != 0:
                    fail("node %d sees %d as %s (suspicion %s)" %
                         (i, j, row["verdict"], row["suspicion"]))
            if v[0]["gen"] != g0 or v[0]["seq"] > own0["seq"]:
                fail("node %d holds gen %s seq %s for node 0; node 0 itself is at gen %d seq %s" %
                     (i, v[0]["gen"], v[0]["seq"], g0, own0["seq"]))
        ok("after 20 rounds of outsider traffic: all CLEAN, suspicion 0, node 0 still gen %d "
           "everywhere" % g0)
        rose = [i for i in range(1, c.n) if after_drops[i] > before_drops[i]]
        print("drops before", before_drops, "after", after_drops)
        if not rose:
            fail("no drop counter rose: did the outsider send anything?")
        ok("sgp_drops_total rose on nodes %s (reasons now: %s)" %
           (rose, {i: drop_reasons(c, i) for i in rose}))
        # Random datagrams (0..1300 bytes, first byte 0..255) from an unlisted source: every
        # node keeps running, stays all-CLEAN and counts them (SGP-NODE-13).
        rnd = random.Random(4)
        before = {i: c.metrics(i)[0].get(("sgp_datagrams_total",
                                          frozenset({("result", "dropped")})), 0.0)
                  for i in range(c.n)}
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for k in range(400):
                size = rnd.choice((0, 1, 4, 16, 32, 92, 148, 200, 1200, 1300, rnd.randrange(1400)))
                data = bytes([k % 256]) + bytes(rnd.getrandbits(8) for _ in range(size))
                sock.sendto(data[:size] if size else b"", (c.host, c.nodes[k % c.n].roster_port))
                if k % 50 == 49:
                    time.sleep(0.05)
        time.sleep(1.0)
        if any(not c.alive(i) for i in range(c.n)):
            fail("a node died on random datagrams")
        after = {i: c.metrics(i)[0].get(("sgp_datagrams_total",
                                         frozenset({("result", "dropped")})), 0.0)
                 for i in range(c.n)}
        if not sc.wait_until(all_clean(c), 10.0):
            dump(c)
            fail("not all-CLEAN after random datagrams")
        if not all(after[i] - before[i] >= 50 for i in range(c.n)):
            fail("dropped-datagram counters did not rise by the ~100 sent: %s -> %s" %
                 (before, after))
        ok("400 random datagrams: all nodes alive and all-CLEAN; dropped counters %s -> %s" %
           ({i: int(v) for i, v in before.items()}, {i: int(v) for i, v in after.items()}))


def reloads(c, i):
    series, _ = c.metrics(i)
    return {r: series.get(("sgp_roster_reloads_total", frozenset({("result", r)})), 0.0)
            for r in ("ok", "refused")}


def peer_addr(c, i, j):
    rc, out, _ = c.ctl(i, "peers", "--json")
    if rc != 0:
        return None
    for p in json.loads(out).get("peers", []):
        if p.get("id") == j:
            return p.get("addr")
    return None


# SGP-NODE-19, SGP-ROSTER-11: roster reload on SIGHUP.  A reload may change only the
# addresses of OTHER nodes; a changed n, any changed key, the node's own address, or a
# roster that does not parse is refused and the current roster kept (a refused roster that
# also moves another node changes no address either); identity changes take effect only at
# a restart, which raises the generation.  Scenario: node 3 moves to a new port.  Nodes
# 0..2 get the new roster by SIGHUP (their peer table then shows the new address), node 3
# restarts on it with a higher generation, and the cluster converges.  Then the refused
# cases on every node.
def t_reload(bins):
    with sc.Cluster(bins, 4) as c:
        start_converged(c)
        old = c.roster_addr(3)
        g3 = c.status(3)["generation"]
        c.kill(3, signal.SIGTERM)
        c.nodes[3].roster_port = c.nodes[3].listen_port = sc.free_udp_ports(1)[0]
        new = c.roster_addr(3)
        c.roster_lines[3] = c.roster_lines[3].rsplit(" ", 1)[0] + " " + new
        c.write_roster()
        before = {i: reloads(c, i) for i in range(3)}
        for i in range(3):
            c.hup(i)
        if not sc.wait_until(lambda: all(reloads(c, i)["ok"] == before[i]["ok"] + 1
                                         for i in range(3)), 10.0):
            fail("reload not counted as ok: %s" % {i: reloads(c, i) for i in range(3)})
        addrs = {i: peer_addr(c, i, 3) for i in range(3)}
        if any(a != new for a in addrs.values()):
            fail("peer address of node 3 after reload: %s, want %s" % (addrs, new))
        ok("SIGHUP on nodes 0..2: reload ok, node 3's address %s -> %s in their peer tables" %
           (old, new))
        t0 = time.monotonic()
        c.start([3])
        g = c.status(3)["generation"]
        if g <= g3:
            fail("node 3 restarted on its new address with generation %d, not above %d" % (g, g3))

        def moved():
            v = c.views()
            return len(v) == 4 and all(v[i][3]["gen"] == g for i in v) and all_clean(c)()
        if not sc.wait_until(moved, 30.0, 0.1):
            dump(c)
            fail("node 3 on its new address was not adopted (generation %d)" % g)
        ok("node 3 (generation %d) on %s: all 4 nodes CLEAN after %.2f s" %
           (g, new, time.monotonic() - t0))
        # Refused reloads: a changed key, a changed node count, a roster that does not parse;
        # each also moves node 2 to another port, which must not be applied either.
        good = [c.roster_lines[i] for i in range(4)]
        other = c.keygen(1, os.path.join(c.dir, "keys-y"), c.roster_addr(1), seed="dd" * 32)
        moved2 = good[2].rsplit(" ", 1)[0] + " " + sc.fmt_addr(c.host, sc.free_udp_ports(1)[0])
        addr2 = {i: peer_addr(c, i, 2) for i in (0, 1, 3)}
        cases = (("a changed key", good[:1] + [other, moved2] + good[3:]),
                 ("a changed node count", good[:2] + [moved2]),
                 ("a roster that does not parse", good[:2] + [moved2, good[3], "node 99 broken"]))
        for what, lines in cases:
            c.write_roster(lines)
            before = {i: reloads(c, i) for i in range(4)}
            for i in range(4):
                c.hup(i)
            if not sc.wait_until(lambda: all(reloads(c, i)["refused"] == before[i]["refused"] + 1
                                             for i in range(4)), 10.0):
                fail("%s: reload not refused: %s" % (what, {i: reloads(c, i) for i in range(4)}))
            if any(not c.alive(i) for i in range(4)):
                fail("%s: a node died" % what)
            now2 = {i: peer_addr(c, i, 2) for i in (0, 1, 3)}
            if now2 != addr2:
                fail("%s: node 2's address changed by a refused reload: %s -> %s" %
                     (what, addr2, now2))
            ok("%s: refused on all 4 nodes, all still running, node 2's address kept" % what)
        # The node's own address: node 0 refuses, the others accept (another node's address).
        moved0 = good[0].rsplit(" ", 1)[0] + " " + sc.fmt_addr(c.host, sc.free_udp_ports(1)[0])
        c.write_roster([moved0] + good[1:])
        before = {i: reloads(c, i) for i in range(4)}
        for i in range(4):
            c.hup(i)
        if not sc.wait_until(lambda: reloads(c, 0)["refused"] == before[0]["refused"] + 1 and
                             all(reloads(c, i)["ok"] == before[i]["ok"] + 1 for i in (1, 2, 3)),
                             10.0):
            fail("own address change: %s" % {i: reloads(c, i) for i in range(4)})
        if "own address changed" not in sc._read(c.nodes[0].log):
            fail("node 0 did not log why it refused its own address change")
        ok("own address changed: refused by node 0 (\"own address changed\"), accepted by 1..3")
        c.write_roster(good)
        for i in (1, 2, 3):
            c.hup(i)
        if not sc.wait_until(lambda: all(peer_addr(c, i, 0) == c.roster_addr(0)
                                         for i in (1, 2, 3)), 10.0):
            fail("nodes 1..3 did not take node 0's address back")
        time.sleep(1.0)
        if not sc.wait_until(all_clean(c), 10.0):
            dump(c)
            fail("cluster not all-CLEAN after the refused reloads")
        ok("cluster still all-CLEAN with the old roster kept")


def run_expect_2(bins, cfg, what, pattern, timeout=10.0, want_rc=2):
    """SGP-NODE-1: a bad start-up input -> exit 2 (or want_rc) and one error line naming
    it."""
    try:
        r = subprocess.run([bins.sgpd, "-c", cfg], capture_output=True, text=True,
                           timeout=timeout, start_new_session=True)
    except subprocess.TimeoutExpired:
        fail("%s: sgpd did not exit within %.0f s" % (what, timeout))
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    sc.sanitizer_findings.extend(l for l in lines if sc.SANITIZER_RE.search(l))
    errs = [l for l in lines if l.startswith("sgpd: ")]
    if r.returncode != want_rc:
        fail("%s: exit %d, want %d; stderr: %s" % (what, r.returncode, want_rc, r.stderr))
    if len(errs) != 1 or not re.search(pattern, errs[0]):
        fail("%s: want one line 'sgpd: ...%s...', got: %r" % (what, pattern, lines))
    extra = [l for l in lines if l not in errs]
    ok("%s: exit %d, %s%s" % (what, want_rc, errs[0],
                              " (+%d log lines)" % len(extra) if extra else ""))


# SGP-NODE-1, SGP-NODE-2, SGP-ROSTER-9, SGP-KEY-8: bad config / roster / key -> exit 2 and
# one error line (file, line, code).
def t_badinput(bins):
    with sc.Cluster(bins, 3) as c:
        c.setup()
        cfg = c.nodes[0].config
        good = open(cfg).read()
        d = os.path.dirname(cfg)

        def variant(name, text):
            p = os.path.join(d, name)
            with open(p, "w") as f:
                f.write(text)
            return p
        run_expect_2(bins, variant("unknown-key.ini", good + "\n[protocol]\nbogus = 1\n"),
                     "config with an unknown key", r"unknown-key\.ini:\d+: SGP_ERR_SYNTAX")
        run_expect_2(bins, variant("range.ini", good.replace("t_gossip_ms = 200",
                                                             "t_gossip_ms = 5")),
                     "config with t_gossip_ms out of range", r"range\.ini:\d+: SGP_ERR_RANGE")
        run_expect_2(bins, variant("noid.ini", re.sub(r"(?m)^id = .*\n", "", good)),
                     "config without id", r"noid\.ini:\d+: SGP_ERR_MISSING")
        # Roster with a duplicated line (SGP-ROSTER-9).
        lines = [c.roster_lines[i] for i in range(c.n)]
        dup = c.write_roster(lines + [lines[0]], os.path.join(c.dir, "roster-dup"))
        run_expect_2(bins, variant("dup.ini", good.replace("../roster\n", "../roster-dup\n")),
                     "roster with a duplicate entry", r"roster-dup:\d+: SGP_ERR_DUP_ENTRY")
        # Roster that does not list the node's key (key of node 0 with another seed).
        other = c.keygen(0, os.path.join(c.dir, "keys-x"), c.roster_addr(0), seed="cc" * 32)
        mism = c.write_roster([other] + lines[1:], os.path.join(c.dir, "roster-mism"))
        run_expect_2(bins, variant("mism.ini", good.replace("../roster\n", "../roster-mism\n")),
                     "key not matching the roster", r"SGP_ERR_KEY_MISMATCH")
        # Key file with a malformed line; key file readable by group (SGP-KEY-8).
        bad_key = os.path.join(c.dir, "keys", "bad.key")
        with open(bad_key, "w") as f:
            f.write("sgp-secret-key v1\nnode 01\n")
        os.chmod(bad_key, 0o600)
        run_expect_2(bins, variant("badkey.ini", good.replace("node-0.key", "bad.key")),
                     "malformed key file", r"bad\.key:2: SGP_ERR_")
        open_key = os.path.join(c.dir, "keys", "open.key")
        shutil.copyfile(c.nodes[0].key, open_key)
        os.chmod(open_key, 0o640)
        run_expect_2(bins, variant("openkey.ini", good.replace("node-0.key", "open.key")),
                     "group-readable key file", r"SGP_ERR_PERMISSIONS")
        if os.path.exists(os.path.join(c.nodes[0].state_dir, "generation")):
            with open(os.path.join(c.nodes[0].state_dir, "generation")) as f:
                print("note: generation file after refused starts: %r" % f.read())


# SGP-NODE-18 (and SGP-STATE-3, one writer of the generation): a second sgpd on the same
# state dir is refused with exit 2 and SGP_ERR_STATE while the first keeps running; the
# running node holds flock(LOCK_EX) on state_dir/lock (another flock fails) and releases it
# only when it exits; an external flock holder makes sgpd refuse with SGP_ERR_STATE even
# when the generation file is garbage, i.e. the lock is taken before the generation is
# read (a generation read first would report SGP_ERR_SYNTAX).
def t_lock(bins):
    with sc.Cluster(bins, 2) as c:
        c.setup().start([0])
        port = sc.free_udp_ports(1)[0]
        os.makedirs(os.path.join(c.dir, "run", "x"), mode=0o700)
        second = os.path.join(c.dir, "etc", "second.ini")
        with open(second, "w") as f:
            f.write(c.config_text(c.nodes[0], {
                ("node", "listen"): sc.fmt_addr(c.host, port),
                ("node", "control_socket"): os.path.join(c.dir, "run", "x", "ctl.sock")}))
        g = c.status(0)["generation"]
        run_expect_2(bins, second, "second instance on the same state dir",
                     r"SGP_ERR_STATE")
        import fcntl
        lock = os.path.join(c.nodes[0].state_dir, "lock")
        with open(lock, "rb") as lf:
            try:
                fcntl.flock(lf, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fail("the running node does not hold flock on %s" % lock)
            except BlockingIOError:
                ok("the running node holds flock(LOCK_EX) on %s" % lock)
        if not c.alive(0) or c.status(0) is None:
            fail("the first instance stopped")
        if c.status(0)["generation"] != g:
            fail("generation changed under the running node")
        with open(os.path.join(c.nodes[0].state_dir, "generation")) as f:
            if f.read() != "%d\n" % g:
                fail("the refused instance rewrote the generation file")
        ok("first instance unaffected (generation %d, file unchanged)" % g)
        c.kill(0, signal.SIGTERM)
        with open(lock, "rb") as lf:
            try:
                fcntl.flock(lf, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fail("lock still held after the node exited")
            ok("lock released after exit")
            gen = os.path.join(c.nodes[0].state_dir, "generation")
            with open(gen, "w") as f:
                f.write("garbage\n")
            run_expect_2(bins, c.nodes[0].config, "state dir locked by another process "
                         "(generation file garbage)", r"SGP_ERR_STATE")
            if open(gen).read() != "garbage\n":
                fail("refused start touched the generation file")


# SGP-STATE-1..4 at the process level: a missing generation file counts as 0 (first start
# signs with generation 1); any other content than `gen-value LF` is refused with
# SGP_ERR_SYNTAX (exit 2); a stored 4294967295 cannot be raised: SGP_ERR_EXHAUSTED (exit 1,
# a runtime failure in the CLI contract); a refused start leaves the file as it was.
def t_genfile(bins):
    with sc.Cluster(bins, 2) as c:
        c.setup().start([0])
        g = c.status(0)["generation"]
        if g != 1:
            fail("first start (no generation file) signed with generation %d, want 1" % g)
        ok("first start: generation 1, file %r" %
           open(os.path.join(c.nodes[0].state_dir, "generation")).read())
        c.kill(0, signal.SIGTERM)
        gen = os.path.join(c.nodes[0].state_dir, "generation")
        for content in ("7", "07\n", "7\n\n", "0\n", "x\n", "4294967296\n", ""):
            with open(gen, "w") as f:
                f.write(content)
            run_expect_2(bins, c.nodes[0].config, "generation file %r" % content,
                         r"SGP_ERR_SYNTAX")
            if open(gen).read() != content:
                fail("refused start rewrote the generation file %r" % content)
        with open(gen, "w") as f:
            f.write("4294967295\n")
        run_expect_2(bins, c.nodes[0].config, "generation 4294967295", r"SGP_ERR_EXHAUSTED",
                     want_rc=1)
        if open(gen).read() != "4294967295\n":
            fail("the exhausted generation file was rewritten")
        # A failing persist step (SGP-STATE-4): generation.tmp cannot be created because a
        # directory has that name; the node must refuse rather than reuse generation 41.
        with open(gen, "w") as f:
            f.write("41\n")
        os.mkdir(gen + ".tmp")
        r = subprocess.run([bins.sgpd, "-c", c.nodes[0].config], capture_output=True,
                           text=True, timeout=10, start_new_session=True)
        if r.returncode == 0 or open(gen).read() != "41\n":
            fail("persist failure: exit %d, file %r" % (r.returncode, open(gen).read()))
        ok("generation.tmp not writable: exit %d, file still 41: %s" %
           (r.returncode, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""))
        os.rmdir(gen + ".tmp")
        c.start([0])
        if c.status(0)["generation"] != 42 or open(gen).read() != "42\n":
            fail("stored 41 did not start as 42")
        ok("stored 41 -> starts with 42, file holds 42")


# SGP-NODE-6: a state dir accessible by group or others is refused (SGP_ERR_PERMISSIONS).
def t_perms(bins):
    with sc.Cluster(bins, 2) as c:
        c.setup()
        sd = c.nodes[0].state_dir
        os.makedirs(sd, exist_ok=True)
        os.chmod(sd, 0o750)
        run_expect_2(bins, c.nodes[0].config, "state dir mode 0750", r"SGP_ERR_PERMISSIONS")
        os.chmod(sd, 0o705)
        run_expect_2(bins, c.nodes[0].config, "state dir mode 0705", r"SGP_ERR_PERMISSIONS")
        if os.path.exists(os.path.join(sd, "generation")):
            fail("a generation was written into a refused state dir")
        os.chmod(sd, 0o700)
        c.start([0])
        ok("the same dir with mode 0700 is accepted")


# The README demo (tools/cluster/demo.py) with the fixed agent source, so the test does not
# depend on ../shared data: SGP-CONS-1 (COMPROMISED from the bot's own report) and
# SGP-CONS-3 (SILENT by a majority of live rows) reached by every live node.
def t_demo(bins):
    build = os.path.dirname(os.path.dirname(os.path.dirname(bins.sgpd)))
    here = os.path.dirname(os.path.abspath(__file__))
    tmp = tempfile.mkdtemp(prefix="sgpdemo-")
    try:
        for name, path in (("ref/sgpd/sgpd", bins.sgpd), ("tools/sgpctl/sgpctl", bins.sgpctl),
                           ("tools/sgp-keygen/sgp-keygen", bins.keygen)):
            os.makedirs(os.path.join(tmp, os.path.dirname(name)), exist_ok=True)
            os.symlink(os.path.abspath(path), os.path.join(tmp, name))
        r = subprocess.run([sys.executable, os.path.join(here, "demo.py"), "--build", tmp,
                            "--source", "fixed", "--timeout", "60"],
                           capture_output=True, text=True, timeout=100)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(r.stdout[-3000:])
    if r.returncode != 0 or "RESULT: PASS" not in r.stdout:
        fail("demo exit %d: %s" % (r.returncode, r.stderr[-1000:]))
    ok("demo verdicts right (build %s)" % build)


# ---------------------------------------------------------------- control socket (§11)
def ctl_raw(path, line, timeout=3.0):
    """Sends one raw request line to a control socket; returns the whole reply (bytes) or
    raises OSError.  b"" means the server closed without a reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(line)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
        return out


def proc_sockets(pid):
    """{inode: fd} of the socket fds of pid (from /proc/PID/fd)."""
    out = {}
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]$", t)
        if m:
            out[int(m.group(1))] = int(fd)
    return out


def net_table(name):
    """Rows of /proc/net/NAME (tcp, tcp6, udp, udp6, raw, raw6, unix) keyed by inode."""
    rows = {}
    try:
        with open("/proc/net/" + name) as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return rows
    for line in lines:
        parts = line.split()
        if name == "unix":
            # Num RefCount Protocol Flags Type St Inode [Path]
            if len(parts) >= 7:
                rows[int(parts[6])] = {"type": int(parts[4], 16),
                                       "path": parts[7] if len(parts) > 7 else ""}
        elif len(parts) >= 10:
            rows[int(parts[9])] = {"local": parts[1], "state": parts[3]}
    return rows


# SGP-NODE-7: the control socket is a Unix-domain stream socket, mode 0600, in an
# owner-only directory (a control dir open to group/others is refused at start), and the
# process has no network socket besides its UDP gossip port: no TCP socket at all, no
# raw socket, no other UDP port (checked from /proc/PID/fd against /proc/net/*).
# SGP-NODE-9: the control socket answers only the four read-only commands; every other
# request (injection, key, parameter and verdict changes, reload, shutdown, malformed
# lines) gets an error object and changes nothing: generation, own suspicion, every
# verdict, the roster-reload counters stay, and the node keeps running.
def t_ctl(bins):
    with sc.Cluster(bins, 3) as c:
        start_converged(c)
        nd = c.nodes[0]
        st = os.lstat(nd.socket)
        import stat as st_mod
        if not st_mod.S_ISSOCK(st.st_mode):
            fail("%s is not a socket" % nd.socket)
        if st_mod.S_IMODE(st.st_mode) != 0o600 or st.st_uid != os.geteuid():
            fail("control socket mode %04o uid %d, want 0600 uid %d" %
                 (st_mod.S_IMODE(st.st_mode), st.st_uid, os.geteuid()))
        dst = os.stat(os.path.dirname(nd.socket))
        if st_mod.S_IMODE(dst.st_mode) & 0o077 or dst.st_uid != os.geteuid():
            fail("control socket dir mode %04o uid %d is not owner-only" %
                 (st_mod.S_IMODE(dst.st_mode), dst.st_uid))
        ok("control socket %s: socket, mode 0600, uid %d; dir mode %04o" %
           (nd.socket, st.st_uid, st_mod.S_IMODE(dst.st_mode)))
        pid = nd.proc.pid
        socks = proc_sockets(pid)
        tables = {name: net_table(name) for name in
                  ("tcp", "tcp6", "udp", "udp6", "raw", "raw6", "unix")}
        unix_listen = [i for i in socks if i in tables["unix"] and
                       tables["unix"][i]["path"] == nd.socket]
        if len(unix_listen) != 1 or tables["unix"][unix_listen[0]]["type"] != 1:
            fail("no SOCK_STREAM unix socket at %s among the fds of sgpd: %s" %
                 (nd.socket, {i: tables["unix"].get(i) for i in socks}))
        port_hex = ":%04X" % nd.listen_port
        inet = []
        for name in ("tcp", "tcp6", "raw", "raw6", "udp", "udp6"):
            for i in socks:
                if i in tables[name]:
                    inet.append((name, tables[name][i]["local"]))
        bad = [x for x in inet if x[0] != "udp" or not x[1].endswith(port_hex)]
        if bad or not inet:
            fail("network sockets of sgpd: %s; want only udp on port %d" % (inet, nd.listen_port))
        unknown = [i for i in socks if not any(i in t for t in tables.values())]
        if unknown:
            fail("sgpd holds sockets of an unexpected family (inodes %s)" % unknown)
        ok("sgpd's sockets: %s + unix stream %s; no TCP, no raw, no other UDP port" %
           (inet, nd.socket))
        # Control dir open to group/others: refused at start (exit 2, SGP_ERR_PERMISSIONS).
        open_dir = os.path.join(c.dir, "run", "open")
        os.makedirs(open_dir)
        os.chmod(open_dir, 0o755)
        cfg = os.path.join(c.dir, "etc", "opendir.ini")
        with open(cfg, "w") as f:
            f.write(c.config_text(c.nodes[2], {
                ("node", "control_socket"): os.path.join(open_dir, "ctl.sock"),
                ("node", "state_dir"): os.path.join(c.dir, "state", "opendir"),
                ("node", "listen"): sc.fmt_addr(c.host, sc.free_udp_ports(1)[0])}))
        run_expect_2(bins, cfg, "control socket dir mode 0755", r"SGP_ERR_PERMISSIONS")
        if os.path.exists(os.path.join(open_dir, "ctl.sock")):
            fail("a control socket was created in the refused dir")

        # SGP-NODE-9
        def snapshot():
            s = c.status(0)
            series, _ = c.metrics(0)
            rel = {k: v for k, v in series.items() if k[0] == "sgp_roster_reloads_total"}
            return (s["generation"], s["suspicion"], s["n"],
                    tuple((r["id"], r["verdict"], r["gen"], r["suspicion"]) for r in s["nodes"]),
                    tuple(sorted(rel.items())))
        before = snapshot()
        for cmd in (b"status\n", b"verdicts\n", b"peers\n", b"metrics\n"):
            r = ctl_raw(nd.socket, cmd)
            if not r or b'"error"' in r[:200]:
                fail("read-only command %r not answered: %r" % (cmd, r[:200]))
        refused = [b"inject\n", b"set suspicion 5000\n", b"verdict 1 COMPROMISED\n",
                   b"set-verdict 1 CLEAN\n", b"report 1 0 0 0\n", b"key\n", b"rekey\n",
                   b"load-key /tmp/x\n", b"set t_gossip_ms 20\n", b"param theta_suspect 1\n",
                   b"reload\n", b"roster\n", b"stop\n", b"shutdown\n", b"quit\n", b"exit\n",
                   b"generation 99\n", b"debug\n", b"STATUS\n", b" status\n", b"status \n",
                   b"status extra\n", b"\n", b"metrics;stop\n",
                   b"help\n", b"%s\n" % (b"A" * 120)]
        answered = 0
        for cmd in refused:
            r = ctl_raw(nd.socket, cmd)
            if r and b'"error"' not in r:
                fail("command %r was answered like a valid one: %r" % (cmd, r[:200]))
            answered += bool(r)
        # A NUL ends the command for sgpd (C string compare): "status\0inject" is answered
        # as status.  Allowed (still read-only); what matters is that nothing changes.
        r = ctl_raw(nd.socket, b"status\x00inject\n")
        if r and b'"error"' not in r and not r.startswith(b'{"self":'):
            fail("status\\0inject answered with neither status nor an error: %r" % r[:200])
        if not c.alive(0):
            fail("sgpd died on a control request")
        time.sleep(1.0)
        after = snapshot()
        if after != before:
            fail("state changed under refused control requests:\n before %s\n after  %s" %
                 (before, after))
        if not c.alive(0):
            fail("sgpd stopped after control requests")
        ok("%d other requests refused (%d with an error object, the rest closed); "
           "generation, suspicion, verdicts, reload counters unchanged, node running" %
           (len(refused), answered))


# SGP-NODE-8: a control client whose SO_PEERCRED uid is neither sgpd's euid nor root is
# closed without a reply, counted (sgp_ctl_refused_total) and logged (event=ctl_refused).
# The client runs as uid/gid 65534 through setpriv, keeping CAP_DAC_OVERRIDE so it passes
# the file permissions of the 0700 dir and 0600 socket and really reaches the check.
# Needs root (to switch uid) and setpriv with ambient capabilities; otherwise SKIP (77).
def t_ctlcred(bins):
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        print("SKIP: needs root and setpriv to run a client as another uid")
        sys.exit(sc.SKIP)
    client = ("import socket,sys,os\n"
              "s=socket.socket(socket.AF_UNIX,socket.SOCK_STREAM); s.settimeout(5)\n"
              "s.connect(sys.argv[1]); print('uid', os.geteuid(), flush=True)\n"
              "out=b''\n"
              "try:\n"
              "  s.sendall(b'status\\n')\n"
              "  while True:\n"
              "    c=s.recv(65536)\n"
              "    if not c: break\n"
              "    out+=c\n"
              "except (ConnectionResetError, BrokenPipeError) as e: print('closed', e)\n"
              "print('reply', len(out), out[:80])\n")
    probe = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                            "--inh-caps=+dac_override", "--ambient-caps=+dac_override",
                            sys.executable, "-c", "import os; print(os.geteuid())"],
                           capture_output=True, text=True, timeout=20)
    if probe.returncode != 0 or probe.stdout.strip() != "65534":
        print("SKIP: setpriv cannot switch to uid 65534 with CAP_DAC_OVERRIDE here: %s" %
              probe.stderr.strip())
        sys.exit(sc.SKIP)
    with sc.Cluster(bins, 2) as c:
        c.setup().start([0])
        nd = c.nodes[0]
        _, tot0 = c.metrics(0)
        r = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                            "--inh-caps=+dac_override", "--ambient-caps=+dac_override",
                            sys.executable, "-c", client, nd.socket],
                           capture_output=True, text=True, timeout=20)
        print("client as uid 65534: rc %d out %r err %r" % (r.returncode, r.stdout, r.stderr))
        if r.returncode != 0 or "uid 65534" not in r.stdout:
            fail("the uid-65534 client could not connect (it must pass file permissions)")
        if "reply 0 " not in r.stdout:
            fail("the uid-65534 client got a reply: %r" % r.stdout)
        _, tot1 = c.metrics(0)
        if tot1.get("sgp_ctl_refused_total", 0) != tot0.get("sgp_ctl_refused_total", 0) + 1:
            fail("sgp_ctl_refused_total %s -> %s, want +1" %
                 (tot0.get("sgp_ctl_refused_total"), tot1.get("sgp_ctl_refused_total")))
        if not sc.wait_until(lambda: "event=ctl_refused" in sc._read(nd.log), 3.0):
            fail("no event=ctl_refused in the log:\n%s" % c.log_tail(0))
        ok("uid 65534: connected, closed without a reply, counted and logged")
        # Root and the daemon's own user (here both uid 0) are answered.
        if c.status(0) is None:
            fail("own-uid client refused")
        ok("own uid still answered; node running: %s" % c.alive(0))


# SGP-NODE-11: no secret material in the logs at any level.  Nodes run at log_level=debug
# through handshakes, convergence, a SIGKILL restart, a SIGTERM restart, an ok and a
# refused roster reload; sgpd is also started on a malformed key file whose bad line holds
# a real secret.  Then every log and error output is searched for each secret of the key
# files (sign-seed, dh-secret) and the derived secret keys (libsodium's Ed25519 secret key
# seed||pk, the expanded Ed25519 scalar and prefix, the clamped X25519 scalar): as raw
# bytes, as lower/upper hex of every 8-byte window, and as base64 / base64url at all three
# alignments.  Ephemeral, chaining and session keys and cookie secrets cannot be read from
# outside the process, so the logs are also checked to hold no hex run of 32+ characters
# and no base64 run of 40+ characters at all (other than a roster public key), which any
# printed 32-byte key would need.
def t_secrets(bins):
    import base64
    import hashlib
    with sc.Cluster(bins, 3, log_level="debug") as c:
        start_converged(c)
        c.restart(1, signal.SIGKILL)
        c.restart(2, signal.SIGTERM)
        if converge_time(c) is None:
            dump(c)
            fail("no convergence after the restarts")
        for i in range(3):
            c.hup(i)  # same roster: ok
        time.sleep(0.5)
        c.write_roster([c.roster_lines[i] for i in range(2)])  # n changed: refused
        for i in range(3):
            c.hup(i)
        time.sleep(0.5)
        c.write_roster()
        time.sleep(1.0)
        secrets = []
        for i in range(3):
            text = open(c.nodes[i].key).read()
            seed = bytes.fromhex(re.search(r"(?m)^sign-seed ([0-9a-f]{64})$", text).group(1))
            dh = bytes.fromhex(re.search(r"(?m)^dh-secret ([0-9a-f]{64})$", text).group(1))
            h = bytearray(hashlib.sha512(seed).digest())
            h[0] &= 248
            h[31] &= 127
            h[31] |= 64
            cl = bytearray(dh)
            cl[0] &= 248
            cl[31] &= 127
            cl[31] |= 64
            pk = bytes.fromhex(c.roster_lines[i].split()[2])
            secrets += [("node %d sign-seed" % i, seed), ("node %d dh-secret" % i, dh),
                        ("node %d ed25519 sk" % i, seed + pk),
                        ("node %d ed25519 scalar" % i, bytes(h[:32])),
                        ("node %d ed25519 prefix" % i, bytes(h[32:])),
                        ("node %d x25519 clamped" % i, bytes(cl))]
        # A malformed key file: the dh-secret line has a trailing bad character.
        kt = open(c.nodes[0].key).read()
        bad = os.path.join(c.dir, "keys", "bad.key")
        with open(bad, "w") as f:
            f.write(re.sub(r"(?m)^(dh-secret [0-9a-f]{64})$", r"\1Z", kt))
        os.chmod(bad, 0o600)
        cfg = os.path.join(c.dir, "etc", "badkey.ini")
        with open(cfg, "w") as f:
            f.write(open(c.nodes[0].config).read().replace("node-0.key", "bad.key"))
        r = subprocess.run([bins.sgpd, "-c", cfg], capture_output=True, timeout=20,
                           start_new_session=True)
        if r.returncode == 0:
            fail("sgpd accepted a malformed key file")
        outputs = [("malformed key start", r.stdout + r.stderr)]
        for nd in c.nodes:  # stop (and flush) every node, keep the work dir
            sc._stop_proc(nd.proc)
        for i in range(3):
            outputs.append(("node-%d.log" % i, open(c.nodes[i].log, "rb").read()))
        total = sum(len(b) for _, b in outputs)
        debug_lines = sum(b.count(b"level=debug") for _, b in outputs)
        if debug_lines == 0:
            fail("no debug lines logged: the test did not run at debug level")
        needles = []
        for what, sec in secrets:
            needles.append((what + " raw", sec))
            for k in range(0, len(sec) - 7):
                w = sec[k:k + 8]
                needles.append((what + " hex", w.hex().encode()))
                needles.append((what + " HEX", w.hex().upper().encode()))
            for a in range(3):
                for enc in (base64.b64encode, base64.urlsafe_b64encode):
                    b = enc(sec[a:]).rstrip(b"=")
                    needles.append((what + " base64", b[4:20]))
        for name, blob in outputs:
            for what, n in needles:
                if n in blob:
                    fail("%s contains %s (%r)" % (name, what, n))
        pks = set()
        for line in c.roster_lines.values():
            pks.update(line.split()[2:4])
        for name, blob in outputs:
            text = blob.decode("ascii", "replace")
            for m in re.finditer(r"[0-9a-fA-F]{32,}", text):
                if m.group(0).lower() not in pks:
                    fail("%s: a %d-digit hex run %r" % (name, len(m.group(0)), m.group(0)[:40]))
            for m in re.finditer(r"[A-Za-z0-9+/_-]{40,}={0,2}", text):
                if c.dir not in text[max(0, m.start() - len(c.dir)):m.end()]:  # not a path
                    fail("%s: a base64-like run %r" % (name, m.group(0)[:60]))
        ok("%d log bytes (%d debug lines, 3 nodes, restarts, reloads, a bad key file): none "
           "of %d secret encodings, no long hex or base64 run" %
           (total, debug_lines, len(needles)))


# SGP-NODE-14, SGP-STATE-5: a failed generation write after an own-origin jump ends the
# process with a nonzero status, and no report of the raised generation leaves it.
# Set-up (through chaosproxy, so nothing flows while the proxy is down): a twin of node 0
# (same key, its own state dir holding 50) runs with nodes 1 and 2 until both hold node
# 0's report at generation 51; the twin stops and node 1 restarts (see below).  The proxy
# pauses; the real node 0 starts on a
# fresh state dir (generation 1); its state dir's generation.tmp is then made a directory
# so the next persist fails (works as root too).  The proxy resumes: node 0 sees its own
# origin at 51, raises its generation to 52 (SGP-MERGE-9), cannot persist it, and must exit
# 1 with event=generation_write_failed while nodes 1, 2 never see generation 52.
# (The other half of SGP-NODE-14, a tick failing with SGP_ERR_EXHAUSTED, needs 2^32 rounds;
# ref/tests/test_req_node.c pins sgpd's handling of it in the source.  A persist failure
# at start is t_genfile.)
def t_genjump(bins):
    with sc.Cluster(bins, 3, proxy=[]) as c:
        c.setup()
        twin_state = os.path.join(c.dir, "state", "twin")
        os.makedirs(twin_state, mode=0o700)
        with open(os.path.join(twin_state, "generation"), "w") as f:
            f.write("50\n")
        os.makedirs(os.path.join(c.dir, "run", "twin"), mode=0o700)
        twin_cfg = os.path.join(c.dir, "etc", "twin.ini")
        with open(twin_cfg, "w") as f:
            f.write(c.config_text(c.nodes[0], {
                ("node", "state_dir"): twin_state,
                ("node", "control_socket"): os.path.join(c.dir, "run", "twin", "ctl.sock")}))
        twin_log = os.path.join(c.dir, "log", "twin.log")
        c.start_proxy()
        twin = sc.spawn([bins.sgpd, "-c", twin_cfg], twin_log)
        c.start([1, 2])

        def held(g):
            v = c.views()
            return all(i in v and v[i][0]["gen"] == g for i in (1, 2))
        if not sc.wait_until(lambda: held(51), 30.0, 0.1):
            print(sc._read(twin_log)[-800:])
            dump(c)
            fail("nodes 1, 2 did not adopt the twin's generation 51")
        ok("twin of node 0 at generation 51 adopted by nodes 1 and 2")
        sc._stop_proc(twin)
        # Node 2 now holds the twin's initiation stamp (generation 51), so it drops node 0's
        # initiations at generation 1 (SGP-REPLAY-5) and keeps a session node 0 cannot
        # decrypt.  Node 1 restarts (no stamp memory, no session) and learns node 0's
        # generation-51 report from node 2; node 0 will then reach it.
        c.restart(1, signal.SIGTERM)
        if not sc.wait_until(lambda: held(51), 30.0, 0.1):
            dump(c)
            fail("restarted node 1 did not learn node 0's generation 51 from node 2")
        ok("node 1 restarted and holds node 0 at generation 51 again (relayed by node 2)")
        # The proxy is paused (SIGSTOP keeps its ports bound; a restart could lose them to
        # another process), so node 0 reaches nobody until its persist is made to fail.
        os.kill(c.proxy.pid, signal.SIGSTOP)
        try:
            c.start([0])
            g = c.status(0)["generation"]
            gen = os.path.join(c.nodes[0].state_dir, "generation")
            os.mkdir(gen + ".tmp")
        finally:
            os.kill(c.proxy.pid, signal.SIGCONT)
        ok("node 0 started with generation %d; %s.tmp is now a directory" % (g, gen))
        p = c.nodes[0].proc
        try:
            rc = p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            dump(c)
            fail("node 0 still running 30 s after the proxy came back (generation jump not "
                 "seen or persist failure ignored)")
        log = sc._read(c.nodes[0].log)
        if rc == 0:
            fail("node 0 exited 0 after a failed generation write")
        if "event=generation_jump" not in log or "event=generation_write_failed" not in log:
            fail("node 0 log lacks generation_jump / generation_write_failed:\n%s" %
                 c.log_tail(0))
        if open(gen).read() != "%d\n" % g:
            fail("generation file changed: %r" % open(gen).read())
        ok("node 0 exited %d: %s" % (rc, [l for l in log.splitlines()
                                          if "generation_write_failed" in l][0]))
        time.sleep(1.0)
        v = c.views()
        if any(v[i][0]["gen"] > 51 for i in (1, 2) if i in v):
            fail("a report of the unpersisted generation reached a peer: %s" %
                 {i: v[i][0]["gen"] for i in v})
        ok("nodes 1, 2 still hold node 0 at generation <= 51: %s" %
           {i: v[i][0]["gen"] for i in v})


TESTS = {"demo": t_demo, "genfile": t_genfile, "converge": t_converge, "loss": t_loss,
         "rejoin": t_rejoin, "outsider": t_outsider,
         "reload": t_reload, "badinput": t_badinput, "lock": t_lock, "perms": t_perms,
         "ctl": t_ctl, "ctlcred": t_ctlcred, "secrets": t_secrets, "genjump": t_genjump}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sgpd")
    ap.add_argument("--sgpctl")
    ap.add_argument("--keygen")
    ap.add_argument("--chaosproxy")
    ap.add_argument("test", choices=sorted(TESTS))
    a = ap.parse_args()
    bins = sc.Bins(a.sgpd, a.sgpctl, a.keygen, a.chaosproxy)
    need = ("sgpd", "sgpctl", "sgp-keygen") + (("chaosproxy",) if a.test == "loss" else ())
    missing = bins.missing(need)
    if missing:
        print("SKIP: %s not built (paths: sgpd=%s sgpctl=%s); nothing was tested" %
              (", ".join(missing), a.sgpd, a.sgpctl))
        return sc.SKIP
    TESTS[a.test](bins)
    if sc.sanitizer_findings:
        print("\n".join(sc.sanitizer_findings[:20]))
        fail("sanitizer reports in the process logs")
    print("PASS: " + a.test)
    return 0


if __name__ == "__main__":
    sys.exit(main())
