#!/usr/bin/env python3
"""sgpcluster: build and drive a loopback SGP cluster of real sgpd processes.

Library (used by tools/demo.sh, tools/cluster/proc_tests.py, tools/cluster/rss.py) and a
small CLI (`sgpcluster.py --n 5 --seconds 20`: start, print a status table, stop).
Python 3 standard library only.

What a Cluster does (every wait is bounded in time):
  - keys: `sgp-keygen --node i --out DIR --addr ADDR --seed HEX` for each node (--seed makes
    the keys reproducible: TEST KEYS ONLY, anyone with the seed has them all);
  - a roster (`sgp-roster v1` + the printed lines) and one INI config per node in the
    session-2 contract: [node] id roster key state_dir control_socket listen log_level,
    [protocol], [transport], [agent];
  - unique loopback ports: free ports chosen by the kernel (or base_port, base_port+1, ...);
    with a chaos proxy every node has a roster port (what peers send to, bound by the
    proxy) and a real `listen=` port, and the proxy maps one to the other;
  - starts sgpd processes (each in its own process group, stderr to DIR/log/node-i.log),
    kills them (SIGKILL/SIGTERM), restarts them, sends SIGHUP (roster reload);
  - polls `sgpctl -s SOCK status --json` / `metrics`;
  - always stops what it started: Cluster.stop(), a context manager, and a module-level
    registry cleaned by atexit and by SIGTERM/SIGINT/SIGHUP handlers (SIGTERM, then
    SIGKILL after a grace period, to the whole process group); if the harness itself is
    SIGKILLed (a ctest TIMEOUT), PR_SET_PDEATHSIG makes the kernel send SIGTERM to every
    child (its temporary work dir is then left behind under /tmp/sgpc-*).
"""

import atexit
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

VERDICTS = ("CLEAN", "SUSPECT", "COMPROMISED", "SILENT", "UNKNOWN")
TEST_SEED = "5347502d636c75737465722d746573742d6b6579732d6f6e6c792d2d2d2d2d21"  # tests only
SKIP = 77  # ctest SKIP_RETURN_CODE


def skip(msg):
    """Ends a test script as skipped (ctest SKIP_RETURN_CODE)."""
    print("SKIP: " + msg)
    sys.exit(SKIP)


def fail(msg):
    """Ends a test script as failed."""
    print("FAIL: " + msg)
    sys.exit(1)

# ---------------------------------------------------------------- process registry
_procs = []  # every Popen this module started and has not reaped
_tmpdirs = []  # work dirs this module created and must remove on exit


def _stop_proc(p, grace=3.0):
    """SIGTERM the process group, SIGKILL it after `grace` seconds; reap. Bounded."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    # The group may hold children even after the leader exited.
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    if p in _procs:
        _procs.remove(p)


def stop_all_started():
    """Stops every process this module started (atexit and signal handlers call this)."""
    for p in list(_procs):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
    deadline = time.monotonic() + 3.0
    for p in list(_procs):
        try:
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for p in list(_procs):
        _stop_proc(p, grace=0.0)
    for d in list(_tmpdirs):
        shutil.rmtree(d, ignore_errors=True)
        _tmpdirs.remove(d)


def _on_signal(sig, _frame):
    stop_all_started()
    sys.stderr.write("sgpcluster: stopped every process after signal %d\n" % sig)
    os._exit(128 + sig)


atexit.register(stop_all_started)
for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    try:
        signal.signal(_s, _on_signal)
    except (ValueError, OSError):  # not the main thread
        pass


def _die_with_parent():
    """In the child: ask Linux for SIGTERM when the harness dies, even by SIGKILL (e.g. a
    ctest TIMEOUT), so no sgpd outlives it.  Best effort (prctl PR_SET_PDEATHSIG = 1)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def spawn(argv, log_path, env=None):
    """Starts argv in its own process group with stdout+stderr appended to log_path."""
    log = open(log_path, "ab")
    try:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True, env=env, preexec_fn=_die_with_parent)
    finally:
        log.close()
    _procs.append(p)
    return p


# Lines of AddressSanitizer / LeakSanitizer / UBSan reports found in the logs of stopped
# clusters (Cluster.stop appends; proc_tests.py fails on any).
SANITIZER_RE = re.compile(r"ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: \w+Sanitizer")
sanitizer_findings = []


# ---------------------------------------------------------------- helpers
def wait_until(pred, timeout, interval=0.1):
    """Calls pred() until it returns a truthy value or timeout seconds pass; returns the
    last value (falsy on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))


def free_udp_ports(count, host="127.0.0.1", base=None):
    """count distinct UDP ports free on host: kernel-chosen, or base, base+1, ... skipping
    ports in use.  The sockets are held until all are chosen so no port repeats."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    held, ports = [], []
    try:
        port = base
        while len(ports) < count:
            s = socket.socket(fam, socket.SOCK_DGRAM)
            try:
                s.bind((host, port if base is not None else 0))
            except OSError:
                s.close()
                if base is None:
                    raise
                port += 1
                if port > 65535:
                    raise RuntimeError("no free UDP ports above base %d" % base)
                continue
            held.append(s)
            ports.append(s.getsockname()[1])
            if base is not None:
                port += 1
    finally:
        for s in held:
            s.close()
    return ports


def fmt_addr(host, port):
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


def d_rounds(n):
    """D(n) of spec §6.4 without the O(1) term: log3 n + ln ln n (0 for n < 3)."""
    if n < 3:
        return 1.0 if n == 2 else 0.0
    return math.log(n, 3) + math.log(math.log(n))


def t_consensus_compromised(n):
    """Spec §6.4: T_consensus(COMPROMISED) <= 1 + D(n) rounds."""
    return 1.0 + d_rounds(n)


def t_consensus_silent(n, t_cleanup, heartbeat):
    """Spec §6.4: T_consensus(SILENT) <= T_cleanup + H + 2 D(n) rounds."""
    return t_cleanup + heartbeat + 2.0 * d_rounds(n)


def parse_metrics(text):
    """Prometheus text -> {(name, frozenset(labels)): value} and a name -> total sum."""
    series, totals = {}, {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)', line)
        if not m:
            continue
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        try:
            v = float(m.group(3))
        except ValueError:
            continue
        series[(m.group(1), labels)] = v
        totals[m.group(1)] = totals.get(m.group(1), 0.0) + v
    return series, totals


def rss_kib(pid):
    """VmRSS of pid in KiB from /proc/PID/status, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


# ---------------------------------------------------------------- binaries
class Bins:
    """Paths of the four executables.  find() looks in the given build dir(s)."""

    NAMES = ("sgpd", "sgpctl", "sgp-keygen", "chaosproxy")

    def __init__(self, sgpd=None, sgpctl=None, keygen=None, chaosproxy=None):
        self.sgpd, self.sgpctl, self.keygen, self.chaosproxy = sgpd, sgpctl, keygen, chaosproxy

    @classmethod
    def find(cls, build_dirs):
        found = {}
        for name in cls.NAMES:
            for b in build_dirs:
                for sub in ("ref/sgpd", "tools/" + name, "sgpd", ""):
                    p = os.path.join(b, sub, name)
                    if os.path.isfile(p) and os.access(p, os.X_OK):
                        found.setdefault(name, p)
        return cls(found.get("sgpd"), found.get("sgpctl"), found.get("sgp-keygen"),
                   found.get("chaosproxy"))

    def missing(self, need=("sgpd", "sgpctl", "sgp-keygen")):
        attr = {"sgpd": self.sgpd, "sgpctl": self.sgpctl, "sgp-keygen": self.keygen,
                "chaosproxy": self.chaosproxy}
        return [n for n in need if not attr[n] or not os.access(attr[n], os.X_OK)]


# ---------------------------------------------------------------- the cluster
DEFAULT_PROTOCOL = {"t_gossip_ms": 200, "heartbeat": 3, "t_cleanup": 20}


class Node:
    def __init__(self, nid, roster_port, listen_port):
        self.id, self.roster_port, self.listen_port = nid, roster_port, listen_port
        self.proc = None
        self.config = self.socket = self.state_dir = self.log = self.key = None
        self.agent = "fixed:0"
        self.agent_extra = {}


class Cluster:
    """A loopback cluster of n sgpd.  Use as a context manager or call stop()."""

    def __init__(self, bins, n, workdir=None, host="127.0.0.1", base_port=None, proxy=None,
                 protocol=None, transport=None, agents=None, seed=TEST_SEED, log_level="info",
                 keep=False):
        self.bins, self.n, self.host = bins, n, host
        self.own_workdir = workdir is None
        # Short paths: unix socket paths are limited to 107 bytes and config values to 175.
        self.dir = workdir or tempfile.mkdtemp(prefix="sgpc-", dir="/tmp")
        if self.own_workdir and not keep:
            _tmpdirs.append(self.dir)
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o700)
        self.proxy_opts = proxy  # None, or chaosproxy options as a list of strings
        self.protocol = dict(DEFAULT_PROTOCOL)
        self.protocol.update(protocol or {})
        self.transport = dict(transport or {})
        self.seed, self.log_level, self.keep = seed, log_level, keep
        self.proxy = None
        nports = 2 * n if proxy is not None else n
        ports = free_udp_ports(nports, host, base_port)
        self.nodes = []
        for i in range(n):
            rp = ports[i]
            lp = ports[n + i] if proxy is not None else rp
            self.nodes.append(Node(i, rp, lp))
        for i, a in (agents or {}).items():
            self.nodes[i].agent = a
        self.roster_path = os.path.join(self.dir, "roster")
        self.roster_lines = {}

    # -- files
    def roster_addr(self, i):
        return fmt_addr(self.host, self.nodes[i].roster_port)

    def keygen(self, nid, outdir, addr, seed=None):
        """Runs sgp-keygen; returns the roster line.  Raises on failure."""
        os.makedirs(outdir, mode=0o700, exist_ok=True)
        argv = [self.bins.keygen, "--node", str(nid), "--out", outdir, "--addr", addr]
        if seed:
            argv += ["--seed", seed]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        if r.returncode != 0:
            raise RuntimeError("sgp-keygen failed: %s" % r.stderr.strip())
        return r.stdout.strip()

    def write_roster(self, lines=None, path=None):
        lines = lines if lines is not None else [self.roster_lines[i] for i in range(self.n)]
        path = path or self.roster_path
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write("sgp-roster v1\n" + "".join(l + "\n" for l in lines))
        os.replace(tmp, path)
        return path

    def config_text(self, node, overrides=None):
        """The INI text for node (overrides: {(section, key): value or None to drop})."""
        sections = {
            "node": {
                "id": node.id,
                "roster": os.path.relpath(self.roster_path, os.path.dirname(node.config)),
                "key": os.path.relpath(node.key, os.path.dirname(node.config)),
                "state_dir": os.path.relpath(node.state_dir, os.path.dirname(node.config)),
                "control_socket": node.socket,
                "log_level": self.log_level,
            },
            "protocol": dict(self.protocol),
            "transport": dict(self.transport),
            "agent": {"source": node.agent},
        }
        sections["agent"].update(node.agent_extra)
        if node.listen_port != node.roster_port:
            sections["node"]["listen"] = fmt_addr(self.host, node.listen_port)
        for (sec, key), val in (overrides or {}).items():
            sections.setdefault(sec, {})
            if val is None:
                sections[sec].pop(key, None)
            else:
                sections[sec][key] = val
        out = []
        for sec, kv in sections.items():
            if not kv:
                continue
            out.append("[%s]" % sec)
            out += ["%s = %s" % (k, v) for k, v in kv.items()]
            out.append("")
        return "\n".join(out)

    def write_config(self, i, overrides=None):
        node = self.nodes[i]
        with open(node.config, "w") as f:
            f.write(self.config_text(node, overrides))
        return node.config

    def setup(self):
        """Keys, roster and configs for every node."""
        for sub in ("keys", "state", "run", "log", "etc"):
            os.makedirs(os.path.join(self.dir, sub), mode=0o700, exist_ok=True)
        for node in self.nodes:
            i = node.id
            node.key = os.path.join(self.dir, "keys", "node-%d.key" % i)
            if not os.path.exists(node.key):
                self.roster_lines[i] = self.keygen(i, os.path.join(self.dir, "keys"),
                                                   self.roster_addr(i), self.seed)
            node.state_dir = os.path.join(self.dir, "state", str(i))
            rundir = os.path.join(self.dir, "run", str(i))
            os.makedirs(rundir, mode=0o700, exist_ok=True)
            node.socket = os.path.join(rundir, "ctl.sock")
            node.log = os.path.join(self.dir, "log", "node-%d.log" % i)
            node.config = os.path.join(self.dir, "etc", "node-%d.ini" % i)
        self.write_roster()
        for node in self.nodes:
            self.write_config(node.id)
        return self

    # -- processes
    def start_proxy(self, ready_timeout=10.0):
        argv = [self.bins.chaosproxy]
        for node in self.nodes:
            argv += ["--map", "%s=%s" % (self.roster_addr(node.id),
                                         fmt_addr(self.host, node.listen_port))]
        argv += list(self.proxy_opts)
        self.proxy_log = os.path.join(self.dir, "log", "chaosproxy.log")
        self.proxy = spawn(argv, self.proxy_log)
        ok = wait_until(lambda: "chaosproxy: ready" in _read(self.proxy_log)
                        or self.proxy.poll() is not None, ready_timeout)
        if not ok or self.proxy.poll() is not None:
            raise RuntimeError("chaosproxy did not start: %s" % _read(self.proxy_log)[-500:])

    def proxy_counters(self, timeout=3.0):
        """Asks the proxy for its counters (SIGUSR1) and returns the last counter line."""
        if not self.proxy or self.proxy.poll() is not None:
            return _last_counter_line(_read(getattr(self, "proxy_log", "")))
        before = _read(self.proxy_log).count("chaosproxy: rx=")
        os.kill(self.proxy.pid, signal.SIGUSR1)
        wait_until(lambda: _read(self.proxy_log).count("chaosproxy: rx=") > before, timeout, 0.05)
        return _last_counter_line(_read(self.proxy_log))

    def start_node(self, i, config=None, extra_args=()):
        node = self.nodes[i]
        if node.proc is not None and node.proc.poll() is None:
            raise RuntimeError("node %d already running" % i)
        with open(node.log, "ab") as f:
            f.write(b"--- sgpcluster: start %.3f\n" % time.time())
        node.proc = spawn([self.bins.sgpd, "-c", config or node.config] + list(extra_args),
                          node.log)
        return node.proc

    def start(self, ids=None, ready_timeout=20.0):
        """Starts the proxy (if any) and the nodes; waits until each answers status."""
        if self.proxy_opts is not None and self.proxy is None:
            self.start_proxy()
        ids = list(range(self.n)) if ids is None else list(ids)
        for i in ids:
            self.start_node(i)
        bad = [i for i in ids if not self.wait_ready(i, ready_timeout)]
        if bad:
            raise RuntimeError("node(s) %s did not come up; log tail of %d:\n%s" %
                               (bad, bad[0], self.log_tail(bad[0])))
        return self

    def wait_ready(self, i, timeout=20.0):
        node = self.nodes[i]
        return wait_until(lambda: node.proc.poll() is not None or self.status(i) is not None,
                          timeout) and node.proc.poll() is None

    def alive(self, i):
        p = self.nodes[i].proc
        return p is not None and p.poll() is None

    def live_ids(self):
        return [i for i in range(self.n) if self.alive(i)]

    def kill(self, i, sig=signal.SIGKILL, timeout=10.0):
        """Sends sig to node i and waits (bounded) for it to exit; returns the exit code."""
        p = self.nodes[i].proc
        if p is None or p.poll() is not None:
            return None if p is None else p.returncode
        os.kill(p.pid, sig)
        try:
            return p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop_proc(p, grace=0.0)
            return p.returncode
        finally:
            if p.poll() is not None and p in _procs:
                _procs.remove(p)

    def restart(self, i, sig=signal.SIGKILL, ready_timeout=20.0):
        self.kill(i, sig)
        self.start_node(i)
        if not self.wait_ready(i, ready_timeout):
            raise RuntimeError("node %d did not come back:\n%s" % (i, self.log_tail(i)))

    def hup(self, i):
        os.kill(self.nodes[i].proc.pid, signal.SIGHUP)

    def stop(self):
        for node in self.nodes:
            if node.proc is not None:
                _stop_proc(node.proc)
        if self.proxy is not None:
            _stop_proc(self.proxy)
        # Sanitizer builds (asan preset): a report in any log is a finding for the caller.
        for path in [nd.log for nd in self.nodes if nd.log] + [getattr(self, "proxy_log", "")]:
            for line in _read(path).splitlines():
                if SANITIZER_RE.search(line):
                    sanitizer_findings.append("%s: %s" % (os.path.basename(path), line.strip()))
        if self.own_workdir and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
            if self.dir in _tmpdirs:
                _tmpdirs.remove(self.dir)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- observation
    def ctl(self, i, *args, timeout=3.0):
        """Runs sgpctl against node i; (returncode, stdout, stderr)."""
        try:
            r = subprocess.run([self.bins.sgpctl, "-s", self.nodes[i].socket] + list(args),
                               capture_output=True, text=True, timeout=timeout)
            return r.returncode, r.stdout, r.stderr
        except subprocess.TimeoutExpired:
            return -1, "", "timeout"

    def status(self, i):
        """Node i's `status --json` as a dict, or None if it does not answer."""
        if not self.alive(i):
            return None
        rc, out, _ = self.ctl(i, "status", "--json")
        if rc != 0:
            return None
        try:
            return json.loads(out)
        except ValueError:
            return None

    def metrics(self, i):
        rc, out, _ = self.ctl(i, "metrics")
        return parse_metrics(out) if rc == 0 else ({}, {})

    def views(self):
        """{i: {j: row}} for every live node that answers (row = the status 'nodes' entry)."""
        out = {}
        for i in self.live_ids():
            st = self.status(i)
            if st is not None:
                out[i] = {row["id"]: row for row in st.get("nodes", [])}
                out[i]["_self"] = st
        return out

    def verdict_matrix(self):
        return {i: {j: v[j].get("verdict") for j in v if j != "_self"}
                for i, v in self.views().items()}

    def all_agree(self, expect, live=None, timeout=0.0, interval=0.2):
        """True when every live node i (in `live`) sees, for every j, the verdict
        expect(i, j) (None = don't care).  Waits up to timeout seconds."""
        def check():
            ids = live if live is not None else self.live_ids()
            m = self.verdict_matrix()
            for i in ids:
                if i not in m:
                    return False
                for j in range(self.n):
                    want = expect(i, j)
                    if want is not None and m[i].get(j) != want:
                        return False
            return True
        return wait_until(check, timeout, interval)

    def log_tail(self, i, lines=15):
        return "\n".join(_read(self.nodes[i].log).splitlines()[-lines:])

    def rounds_to_s(self, rounds):
        return rounds * self.protocol["t_gossip_ms"] / 1000.0


def dissemination_lags(c, seconds, interval=0.05):
    """Steady-state spread time of new versions: for `seconds`, polls every live node's
    status; for each version (gen, seq) of node j first seen in j's own row at t0, the lag
    is when the last other live node first held j at that version or newer, minus t0.
    Returns the list of lags in seconds (versions not seen everywhere before the end are
    left out; the polling sweep adds up to one sweep of error)."""
    first_own = {}     # (j, ver) -> t
    first_held = {}    # (i, j, ver) -> t, i != j
    held_max = {}      # (i, j) -> highest version seen so far
    end = time.monotonic() + seconds
    live = c.live_ids()
    while time.monotonic() < end:
        for i in live:
            st = c.status(i)
            now = time.monotonic()
            if st is None:
                continue
            for row in st["nodes"]:
                j, ver = row["id"], (row.get("gen", 0), row.get("seq", 0))
                if row.get("verdict") == "UNKNOWN":
                    continue
                if j == i:
                    first_own.setdefault((j, ver), now)
                elif ver > held_max.get((i, j), (0, 0)):
                    held_max[(i, j)] = ver
                    first_held[(i, j, ver)] = now
        time.sleep(interval)
    lags = []
    for (j, ver), t0 in first_own.items():
        ts = []
        for i in live:
            if i == j:
                continue
            cand = [t for (a, b, v), t in first_held.items() if a == i and b == j and v >= ver]
            if not cand:
                break
            ts.append(min(cand))
        else:
            if ts:
                lags.append(max(0.0, max(ts) - t0))
    return lags


class CaptureUnavailable(Exception):
    """dumpcap may not capture on lo here (no permission or capability): a skip, not a failure."""


def capture_cluster(c, pcap, seconds, log_path, extra_args=()):
    """Captures the UDP traffic of cluster c on lo into pcap while its nodes run.

    Starts `dumpcap -i lo -f 'udp portrange A-B' -a duration:seconds` over the cluster's roster
    ports, waits until it captures, starts the cluster and waits for dumpcap to stop; the nodes
    are left running (the caller stops them).  Raises CaptureUnavailable when capturing is not
    permitted and RuntimeError when dumpcap fails otherwise.
    """
    ports = [nd.roster_port for nd in c.nodes]
    cap = spawn(["dumpcap", "-q"] + list(extra_args) +
                ["-i", "lo", "-f", "udp portrange %d-%d" % (min(ports), max(ports)),
                 "-a", "duration:%d" % seconds, "-w", pcap], log_path)
    started = wait_until(lambda: "Capturing on" in _read(log_path) or cap.poll() is not None, 10)
    if cap.poll() is not None or not started:
        msg = _read(log_path).strip()
        _stop_proc(cap)
        if any(w in msg.lower() for w in ("permission", "operation not permitted",
                                         "don't have permission", "capabilit")):
            raise CaptureUnavailable("capture on lo not permitted: %s" % msg[-300:])
        raise RuntimeError("dumpcap did not start: %s" % msg[-300:])
    c.start()
    try:
        cap.wait(timeout=seconds + 15)
    except subprocess.TimeoutExpired:
        _stop_proc(cap)
        raise RuntimeError("dumpcap did not stop after %d s" % seconds)


def _read(path):
    try:
        with open(path, "r", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _last_counter_line(text):
    lines = [l for l in text.splitlines() if l.startswith("chaosproxy: rx=")]
    return lines[-1] if lines else ""


def proxy_counter_dict(line):
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


# ---------------------------------------------------------------- CLI
def _cli():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", action="append", default=[],
                    help="build dir(s) to find sgpd, sgpctl, sgp-keygen, chaosproxy")
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--base-port", type=int)
    ap.add_argument("--proxy", default=None, help="chaosproxy options, e.g. '--loss 0.3'")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    a = ap.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    bins = Bins.find(a.build or [os.path.join(repo, "build", d)
                                 for d in ("cluster", "default")])
    need = ("sgpd", "sgpctl", "sgp-keygen") + (("chaosproxy",) if a.proxy else ())
    if bins.missing(need):
        print("sgpcluster: missing %s" % ", ".join(bins.missing(need)), file=sys.stderr)
        return 2
    with Cluster(bins, a.n, base_port=a.base_port, keep=a.keep,
                 proxy=a.proxy.split() if a.proxy else None) as c:
        c.setup().start()
        print("work dir", c.dir)
        end = time.monotonic() + a.seconds
        while time.monotonic() < end:
            m = c.verdict_matrix()
            print(" ".join("%d:%s" % (i, "".join((m[i].get(j) or "?")[0] for j in range(c.n)))
                           for i in sorted(m)))
            time.sleep(1.0)
    return 0


if __name__ == "__main__":
    sys.exit(_cli())
