#!/usr/bin/env python3
"""Self-test of chaosproxy without sgpd (ctest proc_chaosproxy_selftest).

usage: selftest.py PATH-TO-chaosproxy

Two fake nodes A and B (real sockets) behind roster ports RA, RB:
  1. clean relay: A->RB arrives at B from RA, in order, intact; B->RA arrives at A from RB;
  2. --loss 0.3: delivered fraction within 0.7 +- 0.06 (2000 datagrams), counters add up;
  3. --dup 0.2 / --corrupt 0.2 / --reorder 0.3: copies, flipped bits, out-of-order arrivals;
  4. bounded queue: with 500 ms delay and --queue 100, a 2000-datagram burst is held to
     100 and the rest counted as overflow;
  5. an outsider source is forwarded and counted as unknown_src;
  6. counters on SIGUSR1 (keeps running) and SIGTERM (exit 0); bad usage -> exit 1.
Every step is bounded in time; the proxy is always stopped.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PROXY = sys.argv[1]
HOST = "127.0.0.1"
procs = []


def ports(k):
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(k)]
    for s in socks:
        s.bind((HOST, 0))
    out = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return out


def udp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((HOST, port))
    s.settimeout(0.5)
    return s


def start(extra, log):
    ra, rb, la, lb = ports(4)
    argv = [PROXY, "--map", "%s:%d=%s:%d" % (HOST, ra, HOST, la),
            "--map", "%s:%d=%s:%d" % (HOST, rb, HOST, lb)] + extra
    f = open(log, "w")
    p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
    f.close()
    procs.append(p)
    deadline = time.monotonic() + 5
    while "ready" not in open(log).read():
        if p.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("FAIL: proxy did not start: " + open(log).read())
        time.sleep(0.02)
    return p, (ra, rb, la, lb)


def counters(p, log):
    before = open(log).read().count("rx=")
    p.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 3
    while open(log).read().count("rx=") == before:
        if time.monotonic() > deadline:
            raise SystemExit("FAIL: no counters on SIGUSR1")
        time.sleep(0.02)
    line = [l for l in open(log).read().splitlines() if "rx=" in l][-1]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        raise SystemExit("FAIL: proxy ignored SIGTERM")
    procs.remove(p)
    return rc


def drain(sock, quiet=0.4, limit=10.0):
    got = []
    sock.settimeout(quiet)
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            got.append(sock.recvfrom(65536))
        except socket.timeout:
            break
    return got


def check(cond, what):
    if not cond:
        raise SystemExit("FAIL: " + what)
    print("ok:", what)


def main(d):
    log = os.path.join(d, "proxy.log")

    # 1. clean relay, both directions, source rewriting.
    p, (ra, rb, la, lb) = start(["--seed", "1"], log)
    a, b = udp(la), udp(lb)
    for k in range(200):
        a.sendto(b"m%04d" % k, (HOST, rb))
        if k % 50 == 49:
            time.sleep(0.01)
    got = drain(b)
    check([m for m, _ in got] == [b"m%04d" % k for k in range(200)],
          "clean relay: all 200 in order")
    check(all(src == (HOST, ra) for _, src in got), "B sees A's roster address as source")
    b.sendto(b"reply", (HOST, ra))
    r = drain(a)
    check(r == [(b"reply", (HOST, rb))], "answer to RA reaches A from RB")
    c = counters(p, log)
    check(c["rx"] == 201 and c["tx"] == 201 and c["loss"] == 0, "counters rx=tx=201")
    check(p.poll() is None, "SIGUSR1 does not stop the proxy")
    check(stop(p) == 0, "SIGTERM exits 0")
    a.close(), b.close()

    # 2. loss 0.3
    p, (ra, rb, la, lb) = start(["--loss", "0.3", "--seed", "7"], log)
    a, b = udp(la), udp(lb)
    for k in range(2000):
        a.sendto(b"x%05d" % k, (HOST, rb))
        if k % 100 == 99:
            time.sleep(0.005)
    got = drain(b)
    frac = len(got) / 2000.0
    c = counters(p, log)
    check(0.64 <= frac <= 0.76, "loss 0.3: delivered %.3f" % frac)
    check(c["loss"] + c["tx"] == c["rx"] == 2000, "loss + tx = rx = 2000")
    stop(p)
    a.close(), b.close()

    # 3. dup, corrupt, reorder
    p, (ra, rb, la, lb) = start(["--dup", "0.2", "--corrupt", "0.2", "--reorder", "0.3",
                                 "--delay-ms", "0:5", "--seed", "3"], log)
    a, b = udp(la), udp(lb)
    sent = [b"payload-%04d" % k for k in range(500)]
    for k, m in enumerate(sent):
        a.sendto(m, (HOST, rb))
        if k % 50 == 49:
            time.sleep(0.01)
    got = [m for m, _ in drain(b, quiet=0.6)]
    c = counters(p, log)
    good = [m for m in got if m in set(sent)]
    check(len(got) == 500 + c["dup"] and c["dup"] > 50, "dup: %d extra copies" % c["dup"])
    check(len(got) - len(good) >= c["corrupt"] > 50, "corrupt: %d flipped" % c["corrupt"])
    idx = [sent.index(m) for m in good]
    inversions = sum(1 for x, y in zip(idx, idx[1:]) if y < x)
    check(c["reorder"] > 50 and inversions > 20, "reorder: %d held, %d inversions" %
          (c["reorder"], inversions))
    stop(p)
    a.close(), b.close()

    # 4. bounded queue under a flood
    p, (ra, rb, la, lb) = start(["--delay-ms", "500:500", "--queue", "100", "--seed", "1"], log)
    a, b = udp(la), udp(lb)
    for k in range(2000):
        a.sendto(b"f" * 1000, (HOST, rb))
    time.sleep(0.2)
    c = counters(p, log)
    # The kernel may drop part of the burst before the proxy reads it; whatever the proxy
    # read beyond its 100 slots must be counted as overflow.
    check(c["queue_peak"] <= 100 and c["rx"] > 200 and c["overflow"] >= c["rx"] - 100,
          "bounded queue: rx %d, peak %d, overflow %d" % (c["rx"], c["queue_peak"], c["overflow"]))
    got = drain(b, quiet=1.0)
    check(len(got) <= 100, "at most 100 delivered after the delay (%d)" % len(got))

    # 5. outsider
    o = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    o.bind((HOST, 0))
    o.sendto(b"outsider", (HOST, rb))
    got = drain(b, quiet=1.0)  # the 500 ms delay still applies
    c = counters(p, log)
    check([m for m, _ in got] == [b"outsider"] and c["unknown_src"] == 1,
          "outsider forwarded and counted")
    stop(p)
    o.close(), a.close(), b.close()

    # 6. usage errors
    for bad in (["--loss", "1.5", "--map", "127.0.0.1:1=127.0.0.1:2"], [],
                ["--map", "nonsense"], ["--delay-ms", "9:1", "--map", "127.0.0.1:1=127.0.0.1:2"]):
        r = subprocess.run([PROXY] + bad, capture_output=True, timeout=5)
        check(r.returncode == 1, "usage error exit 1: %s" % " ".join(bad))
    print("chaosproxy selftest: ok")


tmp = tempfile.mkdtemp(prefix="chaos-")
try:
    main(tmp)
finally:
    for pr in procs:
        pr.kill()
        pr.wait(timeout=5)
    shutil.rmtree(tmp, ignore_errors=True)
