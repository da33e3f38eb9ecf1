#!/usr/bin/env python3
"""scalebench: the issue-8 performance figures in one run, side by side, with PNG plots.

  scalebench.py --sgpbench PATH --sgpsim PATH --out DIR [--quick] [--sim-n 16,32,...]
                [--rounds R] [--diss-n 16,64,...] [--timeout S] [--big]
                [--model-n 16,...] [--model-rounds R] [--model-diss-n 1000,...]

1. Receive path vs crypto floor, per gossip packet, n = 16, 64, 256, 1024
   (`sgpbench --scale`, see tools/sgpbench/scale.c), and memory per node.
2. Cost per round in the simulator (`sgpsim --n N --rounds R --quiet`): bytes per node per
   round in steady state (sgpsim's second-half mean) and CPU per node per round (the
   simulator's user+sys CPU / (rounds * n); memoized verification, so this is a lower bound
   for a real node, whose per-round receive cost is the `steady` row of step 1).
   Least-squares fit bytes/node/round = a + b*n + c*n^2 with standard errors; c is called
   significant when |c / se(c)| exceeds the two-sided 95 % t quantile.
3. Dissemination: `sgpsim --dissemination` (rounds until every node holds a new report)
   against the ideal push-pull model at the same n, without loss and at 20 % loss.
4. Validation of the reduced-state model (`sgpsim --merge model`, tools/sgpsim/model.c)
   against the full simulator: the same runs as steps 2 and 3 with --merge model; the
   differences are printed (the model is exact by construction, and the ctests
   sim_model_matches_sgp_* require identical per-round bytes).
5. The model at large n:
   a. cost per round at the large-cluster parameters H = 50, T_cleanup = 88, B = 65536
      (SGP-PARAM-7/8 hold for every n <= 10000 with them) for --model-n, --model-rounds
      rounds, steady state = second half; exact byte breakdown (headers, digest entries,
      reports); fits over all of them; and the default-parameter series of step 2 split into
      digest and report bytes, which explains its small n^2 term;
   b. dissemination at --model-diss-n with the parameters SGP-PARAM-7/8 recommend for each n
      (H = max(10, ceil(n/200)), T_cleanup = max(40, H + 2*ceil(log2 n) + 10),
      B = max(65536, 110*n/H)) against ideal push-pull: no loss and 20 % loss per message, and
      20 % loss per sealed datagram (a message dies unless all its fragments arrive) without
      and with jigsaw parity, with the delivered share of each message kind.
   --big adds n = 10000 to both (about 10 more minutes on two shared cores).
6. gnuplot PNGs in DIR: rxpath.png, cost_bytes.png, cost_cpu.png, memory.png,
   dissemination.png, model_bytes.png, model_dissemination.png.
Every sgpsim run has a CPU-time cap (--timeout, default 115 s; --model-timeout for the model
rows, default 1200 s) enforced with RLIMIT_CPU, and a wall-clock guard of 20 times that; an n
that does not finish is reported as not measured, never extrapolated.  (The cap used to be
wall-clock time, which on two shared cores measured the machine's load: the full simulator's
n = 1024 row needs about 64 CPU-s for 30 rounds but took 166 s of wall time at load 7.)  Exit 0 (figures printed even when a target is missed),
1 on a tool failure.
"""
import argparse
import math
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time

T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26,
       10: 2.23, 12: 2.18, 15: 2.13, 20: 2.09, 30: 2.04}


def t95(df):
    for k in sorted(T95):
        if df <= k:
            return T95[k]
    return 1.96


def lstsq(xs, ys, deg):
    """Polynomial least squares by the normal equations (small, well-scaled problems:
    x is divided by its maximum first).  Returns (coefs, std errors, residual ss)."""
    s = max(xs)
    X = [[(x / s) ** j for j in range(deg + 1)] for x in xs]
    m = deg + 1
    A = [[sum(r[i] * r[j] for r in X) for j in range(m)] for i in range(m)]
    bvec = [sum(r[i] * y for r, y in zip(X, ys)) for i in range(m)]
    inv = invert(A)
    beta = [sum(inv[i][j] * bvec[j] for j in range(m)) for i in range(m)]
    rss = sum((y - sum(beta[j] * r[j] for j in range(m))) ** 2 for r, y in zip(X, ys))
    df = len(xs) - m
    sigma2 = rss / df if df > 0 else float("nan")
    se = [math.sqrt(max(inv[i][i] * sigma2, 0.0)) if df > 0 else float("nan") for i in range(m)]
    # undo the scaling of x
    coefs = [beta[j] / s ** j for j in range(m)]
    ses = [se[j] / s ** j for j in range(m)]
    return coefs, ses, rss


def invert(A):
    n = len(A)
    M = [row[:] + [1.0 if i == j else 0.0 for j in range(n)] for i, row in enumerate(A)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(M[r][c]))
        M[c], M[p] = M[p], M[c]
        piv = M[c][c]
        if piv == 0:
            raise ZeroDivisionError("singular fit")
        M[c] = [v / piv for v in M[c]]
        for r in range(n):
            if r != c:
                f = M[r][c]
                M[r] = [a - f * b for a, b in zip(M[r], M[c])]
    return [row[n:] for row in M]


def run_rss(argv, timeout):
    """(returncode, stdout, stderr, cpu seconds, wall seconds, peak RSS in MiB) of one child;
    timeout is its CPU-time cap; returncode None when the wall-clock guard fired."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        p = subprocess.Popen(argv, stdout=fo, stderr=fe, preexec_fn=cpu_cap(timeout))
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - t0 > WALL_FACTOR * timeout:
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                status = None
                break
            time.sleep(0.2)
        p.returncode = 0  # reaped here; keep Popen from waiting again
        fo.seek(0)
        fe.seek(0)
        out = fo.read().decode(errors="replace")
        err = fe.read().decode(errors="replace")
    rc = None if status is None else os.waitstatus_to_exitcode(status)
    if rc is None:
        err += "\nwall-clock guard of %d s reached" % (WALL_FACTOR * timeout)
    elif rc == -signal.SIGXCPU:
        err += "\nCPU-time cap of %d s reached" % timeout
    return rc, out, err, ru.ru_utime + ru.ru_stime, time.monotonic() - t0, ru.ru_maxrss / 1024.0


def rec_params(n):
    """H, T_cleanup and B as SGP-PARAM-7/8 recommend for n (defaults where they suffice)."""
    h = max(10, -(-n // 200))
    t = max(40, h + 2 * math.ceil(math.log2(n)) + 10)
    b = min(262144, max(65536, -(-110 * n // h)))
    return h, t, b


def fit_text(xs, ys, label):
    """Quadratic and linear least-squares fits with standard errors, as printable lines."""
    (a0, b1, c2), (sa, sb, sc), rss = lstsq(xs, ys, 2)
    df = len(xs) - 3
    tq = t95(df)
    tc = c2 / sc if sc > 0 else float("inf")
    (la, lb), (lsa, lsb), lrss = lstsq(xs, ys, 1)
    tss = sum((y - sum(ys) / len(ys)) ** 2 for y in ys)
    share = abs(c2) * max(xs) ** 2 / max(ys[xs.index(max(xs))], 1e-9)
    lines = [
        "%s: fit over %d points, n = %d..%d: a + b*n + c*n^2" % (label, len(xs), min(xs), max(xs)),
        "  a = %.1f (se %.1f)   b = %.4f (se %.4f)   c = %.3g (se %.3g)" % (a0, sa, b1, sb, c2, sc),
        "  t(c) = %.2f, 95 %% two-sided critical t(df=%d) = %.2f: c is %s; c*n^2 at n=%d is "
        "%.2f %% of the bytes" % (tc, df, tq, "SIGNIFICANT" if abs(tc) > tq else "not significant",
                                  max(xs), 100 * share),
        "  linear fit: %.1f (se %.1f) + %.4f (se %.4f)*n, R^2 = %.6f" %
        (la, lsa, lb, lsb, 1 - lrss / tss if tss > 0 else 1.0),
    ]
    return lines, (a0, b1, c2, la, lb)


BYTES_RE = re.compile(r"bytes per node per round: ([0-9.]+) mean in steady state")
PART_RE = re.compile(r"headers ([0-9.]+) B, digest entries ([0-9.]+) B, reports ([0-9.]+) B; "
                     r"reports merged ([0-9.]+) newer \+ ([0-9.]+) redundant")
DISS_RE = re.compile(r"\s*(\d+)\s+([0-9.]+)\s+\|\s+([0-9.]+)\s+(\d+)\s+\|\s+([0-9.]+)\s+(\d+)")
TRIALS_RE = re.compile(r"^dissemination: (\d+) trials.*?(?:mean ([0-9.]+) max (\d+) rounds)?"
                       r"(?:;? ?(\d+) not complete)?$", re.M)
NET_RE = re.compile(r"SYN (\d+)/\d+ \(([0-9.]+) %\), (\d+), \d+; ACK (\d+)/\d+ \(([0-9.]+) %\), "
                    r"(\d+), \d+; DELTA (\d+)/\d+ \(([0-9.]+) %\), (\d+)")
PASS_RE = re.compile(r"loss=([0-9.]+): \d+ rounds in ([0-9.]+) s")


def cpu_cap(seconds):
    """preexec_fn: the child gets `seconds` of CPU time (SIGXCPU after that).  The caps are
    CPU time, not wall time, so a loaded machine (two shared cores) slows a run without
    cutting it short; WALL_FACTOR times the cap is the wall-clock hang guard."""
    def apply():
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    return apply


WALL_FACTOR = 20


def run(argv, timeout):
    """(returncode, stdout, stderr, cpu seconds of the child, wall seconds); timeout is the
    child's CPU-time cap."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=WALL_FACTOR * timeout,
                           preexec_fn=cpu_cap(timeout))
        rc, out, err = p.returncode, p.stdout, p.stderr
        if rc == -signal.SIGXCPU:
            err += "\nCPU-time cap of %d s reached" % timeout
    except subprocess.TimeoutExpired as e:
        rc, out, err = None, e.stdout or "", "wall-clock guard of %d s reached" % (
            WALL_FACTOR * timeout)
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return rc, out, err, cpu, time.monotonic() - t0


def gnuplot(script, out_dir):
    p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True, cwd=out_dir,
                       timeout=60)
    if p.returncode != 0:
        print("gnuplot failed: %s" % p.stderr.strip()[-400:])
        return False
    return True


def write(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(" ".join(str(v) for v in r) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sgpbench", required=True)
    ap.add_argument("--sgpsim", required=True)
    ap.add_argument("--out", required=True, help="directory for the PNGs and data files")
    ap.add_argument("--quick", action="store_true", help="small n only (smoke test)")
    ap.add_argument("--rx-n", default="16,64,256,1024")
    ap.add_argument("--sim-n", default="16,32,64,128,256,512,1024")
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--diss-n", default="16,64,256")
    ap.add_argument("--timeout", type=int, default=115)
    ap.add_argument("--model-n", default="16,32,64,128,256,512,1000,2000,5000")
    ap.add_argument("--model-rounds", type=int, default=80)
    ap.add_argument("--model-diss-n", default="1000,2000,5000")
    ap.add_argument("--model-timeout", type=int, default=1200)
    ap.add_argument("--big", action="store_true", help="add n = 10000 to the model rows")
    a = ap.parse_args()
    if a.quick:
        a.rx_n, a.sim_n, a.diss_n, a.rounds = "16,64", "16,24,32,48", "16,32", 24
        a.model_n, a.model_rounds, a.model_diss_n = "16,32,64,128,256", 40, "200"
    if a.big:
        a.model_n += ",10000"
        a.model_diss_n += ",10000"
    os.makedirs(a.out, exist_ok=True)
    out_dir = os.path.abspath(a.out)

    # ---- 1. receive path and memory
    print("== 1. receive path vs crypto floor (sgpbench --scale --n-list %s)" % a.rx_n)
    rc, out, err, _, wall = run([a.sgpbench, "--scale", "--n-list", a.rx_n] +
                                (["--quick"] if a.quick else []), 600)
    if rc not in (0, 3):
        print("sgpbench failed (%s): %s" % (rc, err.strip()[-400:]))
        return 1
    rx, mem = [], []
    for line in out.splitlines():
        if line.startswith("rx,"):
            f = line.split(",")
            rx.append((int(f[1]), f[2], int(f[3]), int(f[4]), int(f[5]), float(f[6]),
                       float(f[7]), float(f[10])))
        elif line.startswith("mem,"):
            mem.append(tuple(int(v) for v in line.split(",")[1:]))
        else:
            print(line)
    print("(%.1f s)" % wall)

    # ---- 2. cost per round
    print("\n== 2. cost per round in the simulator (sgpsim --n N --rounds %d --quiet; steady "
          "state = second half)" % a.rounds)
    print("%6s | %14s | %14s | %8s | %s" % ("n", "bytes/node/rnd", "CPU us/node/rnd", "wall s",
                                           "note"))
    cost = []
    skipped = []
    for n in [int(x) for x in a.sim_n.split(",")]:
        rc, sout, serr, cpu, wall = run([a.sgpsim, "--n", str(n), "--rounds", str(a.rounds),
                                         "--quiet"], a.timeout)
        m = re.search(r"bytes per node per round: ([0-9.]+) mean in steady state", sout or "")
        if rc != 0 or not m:
            print("%6d | %14s | %14s | %8.1f | not measured: %s" %
                  (n, "-", "-", wall, (serr or "").strip().splitlines()[-1:] or rc))
            skipped.append(n)
            break  # larger n only take longer
        b = float(m.group(1))
        cpu_us = 1e6 * cpu / (a.rounds * n)
        cost.append((n, b, cpu_us))
        print("%6d | %14.1f | %14.2f | %8.1f |" % (n, b, cpu_us, wall))
        sys.stdout.flush()
    last = skipped[-1] if skipped else (cost[-1][0] if cost else 0)
    untried = [n for n in [int(x) for x in a.sim_n.split(",")] if n > last]
    if len(cost) >= 4:
        lines, fit_fn = fit_text([c[0] for c in cost], [c[1] for c in cost],
                                 "full simulator, default parameters")
        print("\n".join(lines))
        print("  (bytes per node per round linear in n means the whole cluster sends O(n^2) "
              "bytes per round: the digests carry one entry per node)")
        write(os.path.join(out_dir, "cost.dat"), cost)
    else:
        print("fit: fewer than 4 measured n, no fit")
        fit_fn = None
    if skipped or untried:
        print("not measured by the full simulator: n = %s (each run is capped at %d CPU-s; its time "
              "grows ~n^2 per round, the codec dominates); step 5 measures larger n with the "
              "model" % (", ".join(str(n) for n in skipped + untried), a.timeout))

    # ---- 3. dissemination
    print("\n== 3. dissemination vs ideal push-pull (sgpsim --dissemination --n-list %s)" %
          a.diss_n)
    diss, wall, dout = [], 0.0, ""
    for n in [int(x) for x in a.diss_n.split(",")]:
        rc, o, derr, _, w = run([a.sgpsim, "--dissemination", "--n-list", str(n),
                                 "--ideal-trials", "300"], a.timeout)
        wall += w
        if rc != 0:
            print("n = %d: not measured (%s)" % (n, (derr or "").strip()[-200:] or rc))
            break  # larger n only take longer
        if not dout:
            print("\n".join(l for l in o.splitlines() if not re.match(r"\s*\d+\s+0\.", l)))
        dout += o
    for line in dout.splitlines():
        m = re.match(r"\s*(\d+)\s+([0-9.]+)\s+\|\s+([0-9.]+)\s+(\d+)\s+\|\s+([0-9.]+)\s+(\d+)",
                     line)
        if m:
            n, loss, sm, smax, im, imax = m.groups()
            diss.append((int(n), float(loss), float(sm), float(im)))
            print(line + "   sim/ideal = %.2f%s" % (float(sm) / float(im),
                                                    "" if float(sm) <= 1.1 * float(im)
                                                    else "  (> +10 %)"))
    print("(%.1f s; the issue's targets are at n = 1000 and 10000: step 5)" % wall)

    # ---- 3b. validation of the reduced-state model
    print("\n== 4. reduced-state model (sgpsim --merge model) vs the full simulator: the runs of "
          "steps 2 and 3 again, same seeds and options")
    print("%6s | %12s | %12s | %8s | %s" % ("n", "full B/n/r", "model B/n/r", "diff", "model breakdown"))
    parts_def = []
    worst = 0.0
    for n, b, _ in cost:
        rc, mo, me, _, _ = run([a.sgpsim, "--n", str(n), "--rounds", str(a.rounds), "--quiet",
                                "--merge", "model"], a.timeout)
        m, pm = BYTES_RE.search(mo or ""), PART_RE.search(mo or "")
        if rc != 0 or not m or not pm:
            print("%6d | %12.1f | not measured (%s)" % (n, b, (me or "").strip()[-200:]))
            continue
        mb = float(m.group(1))
        parts_def.append((n, mb) + tuple(float(x) for x in pm.groups()))
        worst = max(worst, abs(mb - b) / b)
        print("%6d | %12.1f | %12.1f | %7.3f%% | headers %s, digest %s, reports %s" %
              (n, b, mb, 100 * (mb - b) / b, pm.group(1), pm.group(2), pm.group(3)))
    mdiss = []
    for n in sorted({d[0] for d in diss}):
        rc, mo, me, _, _ = run([a.sgpsim, "--dissemination", "--n-list", str(n), "--ideal-trials",
                                "300", "--merge", "model"], a.timeout)
        for line in (mo or "").splitlines():
            m = DISS_RE.match(line)
            if m:
                mdiss.append((int(m.group(1)), float(m.group(2)), float(m.group(3))))
    print("%6s %5s | %10s | %10s | %s" % ("n", "loss", "full mean", "model mean", "diff"))
    for n, loss, sm, _ in diss:
        mm = [x[2] for x in mdiss if x[0] == n and x[1] == loss]
        if not mm:
            print("%6d %5.2f | %10.2f | not measured" % (n, loss, sm))
            continue
        worst = max(worst, abs(mm[0] - sm) / sm if sm else 0.0)
        print("%6d %5.2f | %10.2f | %10.2f | %+.2f rounds" % (n, loss, sm, mm[0], mm[0] - sm))
    print("largest relative difference: %.3f %% (the model takes the same decisions as the full "
          "simulator; sim_model_matches_sgp_* require identical per-round bytes)" % (100 * worst))

    # ---- 5a. the model's cost per round at large n
    print("\n== 5a. model: cost per round at H = 50, T_cleanup = 88, B = 65536 (SGP-PARAM-7/8 "
          "hold for n <= 10000), %d rounds, steady state = second half" % a.model_rounds)
    print("%6s | %10s | %7s %9s %9s | %8s %8s | %9s | %7s | %7s" %
          ("n", "B/node/rnd", "headers", "digest", "reports", "new rep", "redund", "CPU us/n/r",
           "wall s", "RSS MiB"))
    mcost = []
    for n in [int(x) for x in a.model_n.split(",")]:
        rc, mo, me, cpu, wall, rss = run_rss(
            [a.sgpsim, "--merge", "model", "--n", str(n), "--rounds", str(a.model_rounds),
             "--quiet", "--heartbeat", "50", "--t-cleanup", "88", "--budget", "65536"],
            a.model_timeout)
        m, pm = BYTES_RE.search(mo or ""), PART_RE.search(mo or "")
        if rc != 0 or not m or not pm:
            print("%6d | not measured (%s)" % (n, (me or "").strip()[-200:]))
            continue
        p = [float(x) for x in pm.groups()]
        cpu_us = 1e6 * cpu / (a.model_rounds * n)
        mcost.append((n, float(m.group(1)), p[0], p[1], p[2], p[3], p[4], cpu_us, wall, rss))
        print("%6d | %10.1f | %7.1f %9.1f %9.1f | %8.2f %8.2f | %9.2f | %7.1f | %7.1f" %
              mcost[-1])
        sys.stdout.flush()
    mfit = None
    if len(mcost) >= 4:
        xs = [c[0] for c in mcost]
        lines, mfit = fit_text(xs, [c[1] for c in mcost], "bytes/node/round (model, H=50)")
        print("\n".join(lines))
        lines, _ = fit_text(xs, [c[3] for c in mcost], "  of which digest entries")
        print("\n".join(lines))
        lines, _ = fit_text(xs, [c[2] + c[4] for c in mcost], "  of which headers + reports")
        print("\n".join(lines))
        write(os.path.join(out_dir, "model_cost.dat"), mcost)
    if len(parts_def) >= 4:
        print("\nthe n^2 term of the default-parameter series (step 2), split by exact size "
              "accounting (model breakdown, identical bytes):")
        xs = [p[0] for p in parts_def]
        for label, ys in (("  digest entries", [p[3] for p in parts_def]),
                          ("  headers + reports", [p[2] + p[4] for p in parts_def]),
                          ("  total - 2*max(0, n-128)", [p[1] - 2 * max(0, p[0] - 128)
                                                         for p in parts_def])):
            print("\n".join(fit_text(xs, ys, label)[0][:3]))
        dev = max(abs(p[3] - 2 * (17 * p[0] - 2 + max(0, p[0] - 128))) for p in parts_def)
        print("  digest bytes per node per round = 2 digests (SYN, ACK) x (17 B per entry, 15 B for "
              "origin 0, 18 B for origins >= 128, whose id is a 2-byte varint) = 34n - 4 up to "
              "n = 128 and 36n - 260 above: largest deviation from the measurement %.1f B" % dev)

    # ---- 5b. the model's dissemination at large n
    print("\n== 5b. model: rounds until every node holds a new report (16 trials) vs ideal "
          "push-pull (300 trials), parameters per SGP-PARAM-7/8")
    print("%6s %3s %3s %6s | %-24s | %10s | %10s | %9s | %-28s | %6s | %6s" %
          ("n", "H", "T", "B", "loss", "model mean", "ideal mean", "ratio", "delivered SYN/ACK/DELTA %",
           "wall s", "RSS MiB"))
    mrows = []
    for n in [int(x) for x in a.model_diss_n.split(",")]:
        h, t, b = rec_params(n)
        common = ["--merge", "model", "--heartbeat", str(h), "--t-cleanup", str(t), "--budget",
                  str(b), "--trials", "16", "--trial-stride", "1"]
        rc, mo, me, cpu, wall, rss = run_rss(
            [a.sgpsim, "--dissemination", "--n-list", str(n), "--loss", "0.2", "--ideal-trials",
             "300"] + common, a.model_timeout)
        ideal20 = None
        for line in (mo or "").splitlines():
            m = DISS_RE.match(line)
            if not m:
                continue
            loss, sm, im = float(m.group(2)), float(m.group(3)), float(m.group(5))
            inc = re.search(r"\((\d+) trials incomplete\)", line)
            dl = re.search(r"delivered SYN ([0-9.]+) % ACK ([0-9.]+) % DELTA ([0-9.]+) %", line)
            if loss > 0:
                ideal20 = im
            pw = [float(w) for l, w in PASS_RE.findall(me or "") if float(l) == loss]
            row = (n, h, t, b, "%.0f %% per message" % (100 * loss), sm if not inc or sm else None,
                   im, dl.groups() if dl else ("100", "100", "100"), pw[0] if pw else wall, rss)
            mrows.append(row + (inc.group(1) if inc else "0",))
        if rc != 0:
            print("%6d: not measured (%s)" % (n, (me or "").strip()[-200:]))
            continue
        for jig in ("off", "aont-parity"):
            rc, mo, me, cpu, wall, rss = run_rss(
                [a.sgpsim, "--n", str(n), "--quiet", "--loss", "0.2", "--loss-unit", "datagram",
                 "--jigsaw", jig] + common, a.model_timeout)
            mm = re.search(r"^dissemination: .*?mean ([0-9.]+) max (\d+) rounds", mo or "", re.M)
            inc = re.search(r"(\d+) not complete by the last round", mo or "")
            net = NET_RE.search(mo or "")
            frag = ""
            if net:
                g = net.groups()
                frag = "  mean fragments per SYN/ACK/DELTA %s" % "/".join(
                    "%.1f" % (int(g[3 * k + 2]) / max(int(g[3 * k]), 1)) for k in range(3))
            mrows.append((n, h, t, b, "20 %% per datagram%s" % (", parity" if jig != "off" else ""),
                          float(mm.group(1)) if mm else None, ideal20,
                          tuple(net.group(k) for k in (2, 5, 8)) if net else ("-",) * 3, wall, rss,
                          inc.group(1) if inc else "0") + ((frag,) if frag else ()))
    for r in mrows:
        mean = "%.2f" % r[5] if r[5] is not None else "none done"
        ratio = r[5] / r[6] if r[5] is not None and r[6] else None
        verdict = ("" if ratio is None else
                   (" ok" if ratio <= 1.10 else " MISSED"))
        print("%6d %3d %3d %6d | %-24s | %10s | %10s | %9s | %-28s | %6.1f | %6.0f%s%s" %
              (r[0], r[1], r[2], r[3], r[4], mean, "%.2f" % r[6] if r[6] else "-",
               "%.3f%s" % (ratio, verdict) if ratio else "-", "/".join(r[7]), r[8], r[9],
               "  %s of 16 trials incomplete" % r[10] if r[10] != "0" else "",
               r[11] if len(r) > 11 else ""))
    print("target: model mean within 10 % of ideal push-pull (ratio <= 1.10) at n = 1000 and "
          "10000, without loss and at 20 % loss; the ideal model drops whole messages, so the "
          "per-datagram rows compare a harsher network with it (a message of k fragments "
          "survives with 0.8^k)")
    write(os.path.join(out_dir, "model_diss0.dat"),
          [(r[0], r[5], r[6]) for r in mrows if r[4].startswith("0 ") and r[5] is not None])
    write(os.path.join(out_dir, "model_diss20.dat"),
          [(r[0], r[5], r[6]) for r in mrows if r[4].startswith("20 % per message") and
           r[5] is not None])

    # ---- 4. memory
    print("\n== 6. memory per node (from step 1)")
    print("%6s | %12s | %18s | %18s" % ("n", "state B", "node B (default rb)", "node B (1 MiB rb)"))
    for n, s, d, m in mem:
        print("%6d | %12d | %18d | %18d" % (n, s, d, m))
    at1024 = [d for n, s, d, m in mem if n == 1024]
    if at1024:
        print("target (<= 16 MiB at n=1024): %s with the default reasm_global_bytes; "
              "%s with reasm_global_bytes = 1 MiB" %
              ("met" if at1024[0] <= 16 << 20 else "MISSED (%.1f MiB)" % (at1024[0] / 2**20),
               "met" if [m for n, s, d, m in mem if n == 1024][0] <= 16 << 20 else "missed"))

    # ---- 5. plots
    write(os.path.join(out_dir, "rx_steady.dat"), [r[:1] + r[5:] for r in rx if r[1] == "steady"])
    write(os.path.join(out_dir, "rx_full.dat"), [r[:1] + r[5:] for r in rx if r[1] == "full"])
    write(os.path.join(out_dir, "mem.dat"), mem)
    write(os.path.join(out_dir, "diss0.dat"), [d for d in diss if d[1] == 0.0])
    write(os.path.join(out_dir, "diss20.dat"), [d for d in diss if d[1] > 0.0])
    head = "set terminal pngcairo size 900,600 noenhanced\nset grid\nset key left top\n"
    ok = gnuplot(head + """set output 'rxpath.png'
set title 'receive path vs crypto floor per gossip packet (sgpbench --scale)'
set logscale xy
set xlabel 'n (roster size)'
set ylabel 'microseconds per packet (median)'
plot 'rx_steady.dat' u 1:2 w lp t 'path, steady (n/10 reports)', \\
     'rx_steady.dat' u 1:3 w lp dt 2 t 'floor, steady', \\
     'rx_full.dat' u 1:2 w lp t 'path, full (budget)', \\
     'rx_full.dat' u 1:3 w lp dt 2 t 'floor, full'
""", out_dir)
    if fit_fn and cost:
        a0, b1, c2, la, lb = fit_fn
        ok &= gnuplot(head + """set output 'cost_bytes.png'
set title 'steady-state bytes per node per round (sgpsim)'
set xlabel 'n'
set ylabel 'bytes per node per round'
f(x) = %r + %r*x + %r*x*x
g(x) = %r + %r*x
plot 'cost.dat' u 1:2 w p pt 7 ps 1.5 t 'measured', f(x) t 'fit a+bn+cn^2', g(x) dt 2 t 'linear fit'
""" % (a0, b1, c2, la, lb), out_dir)
        ok &= gnuplot(head + """set output 'cost_cpu.png'
set title 'simulator CPU per node per round (memoized verification)'
set xlabel 'n'
set ylabel 'CPU microseconds per node per round'
plot 'cost.dat' u 1:3 w lp pt 7 t 'sgpsim CPU / (rounds * n)', \\
     'rx_steady.dat' u 1:2 w lp t 'real node: receive path for n/10 new reports (sgpbench)'
""", out_dir)
    ok &= gnuplot(head + """set output 'memory.png'
set title 'memory per node'
set logscale xy
set xlabel 'n'
set ylabel 'bytes'
plot 'mem.dat' u 1:2 w lp t 'sgp_state_mem_size', 'mem.dat' u 1:3 w lp t 'sgp_node_mem_size (default reasm)', \\
     'mem.dat' u 1:4 w lp t 'sgp_node_mem_size (reasm 1 MiB)', 16*1024*1024 dt 2 t '16 MiB'
""", out_dir)
    if diss:
        ok &= gnuplot(head + """set output 'dissemination.png'
set title 'rounds until every node holds a new report: SGP (sgpsim) vs ideal push-pull'
set logscale x
set xlabel 'n'
set ylabel 'mean rounds'
plot 'diss0.dat' u 1:3 w lp t 'sgpsim, no loss', 'diss0.dat' u 1:4 w lp dt 2 t 'ideal, no loss', \\
     'diss20.dat' u 1:3 w lp t 'sgpsim, 20% loss', 'diss20.dat' u 1:4 w lp dt 2 t 'ideal, 20% loss'
""", out_dir)
    if mfit and mcost:
        a0, b1, c2, la, lb = mfit
        ok &= gnuplot(head + """set output 'model_bytes.png'
set title 'steady-state bytes per node per round, model (H=50, T_cleanup=88, B=65536)'
set logscale xy
set xlabel 'n'
set ylabel 'bytes per node per round'
f(x) = %r + %r*x + %r*x*x
g(x) = %r + %r*x
plot 'model_cost.dat' u 1:2 w p pt 7 ps 1.5 t 'measured (model)', \\
     'model_cost.dat' u 1:4 w lp t 'digest entries', 'model_cost.dat' u 1:5 w lp t 'reports', \\
     'cost.dat' u 1:2 w p pt 6 ps 2 t 'full simulator, defaults (H=10)', \\
     f(x) t 'fit a+bn+cn^2', g(x) dt 2 t 'linear fit'
""" % (a0, b1, c2, la, lb), out_dir)
    if mrows:
        ok &= gnuplot(head + """set output 'model_dissemination.png'
set title 'rounds until every node holds a new report: model vs ideal push-pull'
set logscale x
set xlabel 'n'
set ylabel 'mean rounds'
set yrange [0:*]
plot 'model_diss0.dat' u 1:2 w lp t 'model, no loss', 'model_diss0.dat' u 1:3 w lp dt 2 t 'ideal, no loss', \\
     'model_diss20.dat' u 1:2 w lp t 'model, 20% loss per message', \\
     'model_diss20.dat' u 1:3 w lp dt 2 t 'ideal, 20% loss per message'
""", out_dir)
    pngs = sorted(f for f in os.listdir(out_dir) if f.endswith(".png"))
    print("\nplots in %s: %s%s" % (out_dir, ", ".join(pngs), "" if ok else " (some failed)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
