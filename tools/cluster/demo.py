#!/usr/bin/env python3
"""The loopback cluster demo (README main job; run through tools/demo.sh).

usage: demo.py --build DIR [--n 6] [--bot 2] [--kill 4] [--source auto|zeek|fixed]
               [--speed 60] [--t-gossip-ms 200] [--heartbeat 3] [--t-cleanup 20]
               [--chaos 'chaosproxy options'] [--base-port P] [--timeout 100] [--keep]

Starts n sgpd processes on 127.0.0.1 (keys from sgp-keygen --seed: demo keys only).
Node BOT's agent is fed flows that make it compromised:
  zeek   the real NjRAT capture ../shared/data/stratosphere/njrat-ctu-230-1.conn.log.labeled
         (Stratosphere CTU-Malware-Capture-Botnet-230-1, host 192.168.1.115), replayed
         SPEED times faster through `[agent] source = zeek:PATH:192.168.1.115`;
  fixed  `source = fixed:4600` (the paper's alarming value) when the log is absent (or,
         with --source auto, when this sgpd refuses the zeek source).
Every other node reports fixed:0.  Once every node holds a report of every node, node KILL
is killed with SIGKILL.  One table line per second shows, for each live node, its verdicts
(C CLEAN, s SUSPECT, X COMPROMISED, - SILENT, ? UNKNOWN), how many live nodes see the bot
COMPROMISED and the killed node SILENT, and the bot's own suspicion.  The demo prints when
every live node agrees, how long that took, and the spec §6.4 bounds for its parameters:
  COMPROMISED: T_consensus <= (1 + D(n)) rounds after the agent's first high report
  SILENT:      T_consensus <= (T_cleanup + H + 2 D(n)) rounds after the kill
with D(n) = log3 n + ln ln n (the O(1) term left out, as in the spec's table) and a round
of T_gossip.  Two measurements are printed: live, from `sgpctl status` polled about every
100 ms (the first high report = the first poll where the bot's own suspicion is >=
theta_compromised; ~0.1 s polling error), and afterwards from the nodes' own logs
(`event=verdict` lines with ms timestamps; the bot's own COMPROMISED line is when it signed
its first high report; the kill time is taken when SIGKILL is sent).  Exit 0 only if, at
the end, every live node shows COMPROMISED for the bot, SILENT for the killed node and
CLEAN for every other node.  Every process started is stopped (also on Ctrl-C, SIGTERM or
timeout).
"""
import argparse
import os
import re
import signal
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sgpcluster as sc  # noqa: E402

LETTER = {"CLEAN": "C", "SUSPECT": "s", "COMPROMISED": "X", "SILENT": "-", "UNKNOWN": "?"}
THETA_C = 4000
NJRAT_IP = "192.168.1.115"


def main():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--n", type=int, default=6)
    ap.add_argument("--bot", type=int, default=2)
    ap.add_argument("--kill", type=int, default=4)
    ap.add_argument("--source", choices=("auto", "zeek", "fixed"), default="auto")
    ap.add_argument("--speed", type=int, default=60)
    ap.add_argument("--t-gossip-ms", type=int, default=200)
    ap.add_argument("--heartbeat", type=int, default=3)
    ap.add_argument("--t-cleanup", type=int, default=20)
    ap.add_argument("--chaos", default=None)
    ap.add_argument("--base-port", type=int, help="UDP ports from here (default: free ports)")
    ap.add_argument("--timeout", type=float, default=100.0)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    if not (0 <= a.bot < a.n and 0 <= a.kill < a.n and a.bot != a.kill and a.n >= 4):
        ap.error("need n >= 4 and two different node ids below n")

    bins = sc.Bins.find([a.build])
    need = ("sgpd", "sgpctl", "sgp-keygen") + (("chaosproxy",) if a.chaos else ())
    if bins.missing(need):
        print("demo: missing %s in %s" % (", ".join(bins.missing(need)), a.build))
        return 2

    shared = os.environ.get("SGP_SHARED_DIR", os.path.join(repo, "..", "shared"))
    njrat = os.path.realpath(os.path.join(shared, "data", "stratosphere",
                                          "njrat-ctu-230-1.conn.log.labeled"))
    use_zeek = a.source == "zeek" or (a.source == "auto" and os.path.isfile(njrat))
    if a.source == "zeek" and not os.path.isfile(njrat):
        print("demo: %s not found" % njrat)
        return 2
    if use_zeek:
        bot_source = "zeek:%s:%s" % (njrat, NJRAT_IP)
        src_text = ("the real NjRAT log %s (host %s), replayed x%d" % (njrat, NJRAT_IP, a.speed))
    else:
        bot_source = "fixed:4600"
        src_text = "fixed:4600 (the NjRAT log was not found at %s)" % njrat

    proto = {"t_gossip_ms": a.t_gossip_ms, "heartbeat": a.heartbeat, "t_cleanup": a.t_cleanup}
    d = sc.d_rounds(a.n)
    tg = a.t_gossip_ms / 1000.0
    bound_c = sc.t_consensus_compromised(a.n) * tg
    bound_s = sc.t_consensus_silent(a.n, a.t_cleanup, a.heartbeat) * tg
    agents = {i: "fixed:0" for i in range(a.n)}
    agents[a.bot] = bot_source

    print("SGP loopback demo: %d sgpd on 127.0.0.1, T_gossip %d ms, H %d, T_cleanup %d rounds"
          % (a.n, a.t_gossip_ms, a.heartbeat, a.t_cleanup))
    print("  bot: node %d, agent source %s" % (a.bot, src_text))
    print("  node %d will be killed with SIGKILL once every node holds every report" % a.kill)
    if a.chaos:
        print("  through chaosproxy %s" % a.chaos)
    print("  spec 6.4 with n=%d: D(n) = log3 n + ln ln n = %.2f rounds" % (a.n, d))
    print("    T_consensus(COMPROMISED) <= 1 + D(n) = %.2f rounds = %.2f s" %
          (1 + d, bound_c))
    print("    T_consensus(SILENT) <= T_cleanup + H + 2 D(n) = %.2f rounds = %.2f s" %
          (a.t_cleanup + a.heartbeat + 2 * d, bound_s))

    c = sc.Cluster(bins, a.n, protocol=proto, agents=agents, keep=a.keep, base_port=a.base_port,
                   proxy=a.chaos.split() if a.chaos else None)
    if use_zeek:
        c.nodes[a.bot].agent_extra = {"speed": a.speed}
    try:
        return run(a, c, bound_c, bound_s)
    finally:
        c.stop()
        print("demo: stopped every process it started%s" %
              (" (work dir kept: %s)" % c.dir if a.keep else ""))


def run(a, c, bound_c, bound_s):
    c.setup()
    t0 = time.monotonic()
    if c.proxy_opts is not None:
        c.start_proxy()
    for i in range(a.n):
        c.start_node(i)
    for i in range(a.n):
        if c.wait_ready(i, 20.0):
            continue
        if i == a.bot and a.source == "auto" and c.nodes[i].agent != "fixed:4600":
            # This sgpd cannot replay the log (e.g. its agent has no zeek reader yet):
            # say so and fall back to the fixed value.
            print("  bot's sgpd refused source %s:\n    %s\n  falling back to fixed:4600" %
                  (c.nodes[i].agent, c.log_tail(i, 1)))
            c.nodes[i].agent, c.nodes[i].agent_extra = "fixed:4600", {}
            c.write_config(i)
            c.kill(i)
            c.start_node(i)
            if c.wait_ready(i, 20.0):
                continue
        print("demo: node %d did not start:\n%s" % (i, c.log_tail(i)))
        return 2
    print("  work dir %s; all %d nodes answer sgpctl after %.2f s" % (c.dir, a.n,
                                                                      time.monotonic() - t0))
    print()
    print("   time | verdicts per live node (column j = node j)          | bot X  killed - "
          "| bot's own suspicion")

    t_high = t_kill = t_all_c = t_all_s = t_kill_wall = None
    first_c, first_s = {}, {}
    last_print = -1.0
    deadline = t0 + a.timeout
    final_ok = False
    while time.monotonic() < deadline:
        now = time.monotonic()
        views, tq = {}, {}  # tq[i]: when node i's answer arrived (its observation time)
        for i in c.live_ids():
            st = c.status(i)
            tq[i] = time.monotonic()
            if st is not None:
                views[i] = {row["id"]: row for row in st.get("nodes", [])}
                views[i]["_self"] = st
        live = c.live_ids()
        # the bot's own report: the agent's first high value
        bot_self = views.get(a.bot, {}).get("_self")
        if t_high is None and bot_self and bot_self.get("suspicion", 0) >= THETA_C:
            t_high = tq[a.bot]
            print("%6.1fs | bot node %d reports suspicion %d (>= %d): agent's first high report"
                  % (t_high - t0, a.bot, bot_self["suspicion"], THETA_C))
        seen_c = [i for i in live if views.get(i, {}).get(a.bot, {}).get("verdict") ==
                  "COMPROMISED"]
        seen_s = [i for i in live if i != a.kill and views.get(i, {}).get(a.kill, {}).get(
            "verdict") == "SILENT"]
        for i in seen_c:
            first_c.setdefault(i, tq[i])
        for i in seen_s:
            first_s.setdefault(i, tq[i])
        # kill once every node holds a report of every node
        if t_kill is None and len(views) == a.n and all(
                views[i][j]["verdict"] != "UNKNOWN" for i in views for j in range(a.n)):
            c.kill(a.kill, signal.SIGKILL)
            t_kill = time.monotonic()
            t_kill_wall = time.time()
            print("%6.1fs | every node holds every report; node %d killed (SIGKILL)" %
                  (t_kill - t0, a.kill))
            continue
        live_n = len(live)
        if t_high is not None and t_all_c is None and len(seen_c) == live_n:
            t_all_c = max(first_c[i] for i in live)  # the sweep where the last one turned
            print("%6.1fs | ALL %d live nodes see node %d COMPROMISED: %.2f s after the first "
                  "high report (T_consensus bound %.2f s: %s)" %
                  (t_all_c - t0, live_n, a.bot, t_all_c - t_high, bound_c,
                   "within" if t_all_c - t_high <= bound_c else "EXCEEDED"))
        if t_kill is not None and t_all_s is None and len(seen_s) == live_n:
            t_all_s = max(first_s[i] for i in live)
            print("%6.1fs | ALL %d live nodes see node %d SILENT: %.2f s after the kill "
                  "(T_cleanup + H + 2 D(n) bound %.2f s: %s)" %
                  (t_all_s - t0, live_n, a.kill, t_all_s - t_kill, bound_s,
                   "within" if t_all_s - t_kill <= bound_s else "EXCEEDED"))
        if now - last_print >= 1.0:
            last_print = now
            row = " ".join("n%d:%s" % (i, "".join(
                LETTER.get(views[i].get(j, {}).get("verdict"), "?") for j in range(a.n)))
                if i in views else "n%d:%s" % (i, " " * a.n) for i in range(a.n))
            susp = bot_self.get("suspicion") if bot_self else None
            print("%6.1fs | %-54s| %d/%d   %d/%d    | %s" %
                  (time.monotonic() - t0, row, len(seen_c), live_n, len(seen_s), live_n,
                   "-" if susp is None else susp))
            sys.stdout.flush()
        if t_all_c is not None and t_all_s is not None:
            final_ok = verdicts_right(c, a)
            if final_ok:
                break
        time.sleep(max(0.0, 0.1 - (time.monotonic() - now)))

    print()
    ok = final_ok and verdicts_right(c, a)
    if t_high is None:
        print("RESULT: the bot never reported suspicion >= %d within %.0f s" % (THETA_C,
                                                                                a.timeout))
    if t_all_c is not None and t_high is not None:
        per = sorted(max(0.0, t - t_high) for i, t in first_c.items() if i != a.bot)
        print("COMPROMISED(node %d): all live nodes after %.2f s (per node: median %.2f, max "
              "%.2f); bound 1 + D(n) rounds = %.2f s -> %s" %
              (a.bot, t_all_c - t_high, statistics.median(per) if per else 0.0,
               max(per) if per else 0.0, bound_c,
               "within" if t_all_c - t_high <= bound_c else "exceeded"))
    if t_all_s is not None:
        per = sorted(t - t_kill for t in first_s.values())
        print("SILENT(node %d): all live nodes after %.2f s (per node: median %.2f, max %.2f); "
              "bound T_cleanup + H + 2 D(n) rounds = %.2f s -> %s" %
              (a.kill, t_all_s - t_kill, statistics.median(per), max(per), bound_s,
               "within" if t_all_s - t_kill <= bound_s else "exceeded"))
    log_times(c, a, t_kill_wall, bound_c, bound_s)
    m = c.verdict_matrix()
    print("final verdicts (row = observer):")
    for i in sorted(m):
        print("  node %d: %s" % (i, " ".join("%d=%s" % (j, m[i].get(j)) for j in range(a.n))))
    print("RESULT: %s" % ("PASS: every live node shows COMPROMISED for node %d, SILENT for node "
                          "%d, CLEAN for the others" % (a.bot, a.kill) if ok else
                          "FAIL: verdicts not right within %.0f s" % a.timeout))
    return 0 if ok else 1


VERDICT_LOG = re.compile(r"^ts=(\d+\.\d+) .*event=verdict node=(\d+) old=\w+ new=(\w+)")


def first_change(path, node, verdict):
    """Wall time (s) of the first `event=verdict node=NODE ... new=VERDICT` line in a
    node's log (sgpd's structured log, ms resolution), or None."""
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = VERDICT_LOG.match(line)
                if m and int(m.group(2)) == node and m.group(3) == verdict:
                    return float(m.group(1))
    except OSError:
        pass
    return None


def log_times(c, a, t_kill_wall, bound_c, bound_s):
    """The same two delays from the nodes' own logs (ms timestamps, one clock: loopback).
    The bot's own COMPROMISED line is when it signed its first high report."""
    live = [i for i in c.live_ids()]
    t_bot = first_change(c.nodes[a.bot].log, a.bot, "COMPROMISED")
    seen = [first_change(c.nodes[i].log, a.bot, "COMPROMISED") for i in live if i != a.bot]
    if t_bot is not None and seen and None not in seen:
        d = max(seen) - t_bot
        print("from the sgpd logs: COMPROMISED(node %d) at every live node %.3f s after the bot "
              "signed its first high report (bound %.2f s -> %s)" %
              (a.bot, d, bound_c, "within" if d <= bound_c else "exceeded"))
    seen = [first_change(c.nodes[i].log, a.kill, "SILENT") for i in live]
    if t_kill_wall is not None and seen and None not in seen:
        d = max(seen) - t_kill_wall
        print("from the sgpd logs: SILENT(node %d) at every live node %.3f s after the kill "
              "(bound %.2f s -> %s)" % (a.kill, d, bound_s, "within" if d <= bound_s else
                                        "exceeded"))


def verdicts_right(c, a):
    def want(i, j):
        if j == a.bot:
            return "COMPROMISED"
        if j == a.kill:
            return "SILENT"
        return "CLEAN"
    return c.all_agree(want)


if __name__ == "__main__":
    sys.exit(main())
