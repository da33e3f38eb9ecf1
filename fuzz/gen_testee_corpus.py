#!/usr/bin/env python3
"""Seed corpus for fuzz_testee: every request the conformance runner sends.

Runs sgp-conformance over every vector file against the reference testee
wrapped in a recorder, then splits the recorded stdin stream (u32 big-endian
length + Request, spec §13) into one file per request frame (the fuzz
target takes a frame without its length prefix).

Usage: gen_testee_corpus.py RUNNER TESTEE VECTORS_DIR OUT_DIR
"""
import hashlib
import os
import shlex
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    runner, testee, vectors, out = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        rec = os.path.join(tmp, "stdin.bin")
        wrapper = f"sh -c {shlex.quote(f'tee -a {shlex.quote(rec)} | {shlex.quote(testee)}')}"
        subprocess.run([runner, "--testee", wrapper, "--vectors", vectors],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300,
                       check=False)
        data = open(rec, "rb").read() if os.path.exists(rec) else b""
    n = 0
    pos = 0
    while pos + 4 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        frame = data[pos + 4:pos + 4 + size]
        pos += 4 + size
        if len(frame) != size:
            break
        name = hashlib.sha1(frame).hexdigest()[:16]
        with open(os.path.join(out, name), "wb") as f:
            f.write(frame)
        n += 1
    if n == 0:
        sys.exit("gen_testee_corpus: recorded no request frames")
    print(f"gen_testee_corpus: {n} request frames into {out}")


if __name__ == "__main__":
    main()
