#!/usr/bin/env python3
"""Requirement coverage: every MUST in spec/ must be cited by a test.

A requirement is a spec line that starts (after an optional bullet) with
"[SGP-AREA-N]".  Its level is the first RFC 2119 keyword on it.  A citation
is any "SGP-AREA-N" (or a range "SGP-AREA-N..M") in a test, vector, fuzz
target or the formal model: ref/tests, fuzz, conformance, spec/model, and
the CMakeLists.txt of tools (simulator tests).  spec/coverage-exempt.txt
lists "PATTERN reason" lines (fnmatch patterns) for MUSTs deliberately not
covered yet, each with its reason.

Exit status: 1 if a MUST is neither covered nor exempt, or a test cites an
ID the spec does not define; 0 otherwise.  --list prints every requirement.
"""
import fnmatch
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REQ = re.compile(r"^\s*(?:[-*]\s*)?\[(SGP-[A-Z]+-\d+)\]\s*(.*)$")
LEVEL = re.compile(r"\b(MUST NOT|MUST|SHOULD NOT|SHOULD|MAY)\b")
CITE = re.compile(r"SGP-([A-Z]+)-(\d+)(?:\s*\.\.\s*(\d+))?")
TEST_DIRS = ["ref/tests", "fuzz", "conformance", "spec/model"]
EXTS = (".c", ".h", ".py", ".sh", ".json", ".pml", ".md", ".txt", ".cmake", ".options")


def spec_requirements():
    reqs = {}
    spec_dir = os.path.join(ROOT, "spec")
    for name in sorted(os.listdir(spec_dir)):
        if not name.endswith(".md"):
            continue
        with open(os.path.join(spec_dir, name), encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                m = REQ.match(line)
                if not m:
                    continue
                rid, text = m.group(1), m.group(2)
                lv = LEVEL.search(text)
                if rid in reqs:
                    sys.exit(f"reqcov: {name}:{lineno}: {rid} defined twice")
                reqs[rid] = (lv.group(1) if lv else "NONE", f"{name}:{lineno}")
    return reqs


def test_files():
    for d in TEST_DIRS:
        top = os.path.join(ROOT, d)
        for dirpath, _, files in os.walk(top):
            for fn in files:
                if fn.endswith(EXTS) or fn == "CMakeLists.txt":
                    yield os.path.join(dirpath, fn)
    tools = os.path.join(ROOT, "tools")
    for dirpath, _, files in os.walk(tools):
        if "reqcov" in dirpath:
            continue
        for fn in files:
            if fn == "CMakeLists.txt" or fn.startswith("test"):
                yield os.path.join(dirpath, fn)


def citations():
    cited = {}
    for path in test_files():
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        rel = os.path.relpath(path, ROOT)
        for m in CITE.finditer(text):
            area, lo = m.group(1), int(m.group(2))
            hi = int(m.group(3)) if m.group(3) else lo
            for k in range(lo, min(hi, lo + 200) + 1):
                cited.setdefault(f"SGP-{area}-{k}", set()).add(rel)
    return cited


def exemptions():
    path = os.path.join(ROOT, "spec", "coverage-exempt.txt")
    out = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                parts = line.split(None, 1)
                if len(parts) < 2:
                    sys.exit(f"reqcov: coverage-exempt.txt:{lineno}: an exemption needs a reason")
                out.append((parts[0], parts[1]))
    return out


def main():
    reqs = spec_requirements()
    cited = citations()
    exempt = exemptions()
    areas = {}
    uncovered, unknown = [], sorted(set(cited) - set(reqs), key=sort_key)
    for rid in sorted(reqs, key=sort_key):
        level, where = reqs[rid]
        area = rid.split("-")[1]
        a = areas.setdefault(area, {"MUST": 0, "covered": 0, "exempt": 0, "other": 0})
        if not level.startswith("MUST"):
            a["other"] += 1
            continue
        a["MUST"] += 1
        if rid in cited:
            a["covered"] += 1
        elif any(fnmatch.fnmatch(rid, pat) for pat, _ in exempt):
            a["exempt"] += 1
        else:
            uncovered.append((rid, where))
        if "--list" in sys.argv:
            print(f"{rid:16} {level:10} {where:24} {', '.join(sorted(cited.get(rid, [])))}")
    print(f"{'area':8} {'MUST':>5} {'covered':>8} {'exempt':>7} {'SHOULD/MAY':>11}")
    tot = {"MUST": 0, "covered": 0, "exempt": 0, "other": 0}
    for area in sorted(areas):
        a = areas[area]
        for k in tot:
            tot[k] += a[k]
        print(f"{area:8} {a['MUST']:5} {a['covered']:8} {a['exempt']:7} {a['other']:11}")
    print(f"{'total':8} {tot['MUST']:5} {tot['covered']:8} {tot['exempt']:7} {tot['other']:11}"
          f"   ({len(reqs)} requirement IDs)")
    for rid, where in uncovered:
        print(f"UNCOVERED {rid} ({where})")
    for rid in unknown:
        print(f"UNKNOWN-ID {rid} cited by {', '.join(sorted(cited[rid]))}")
    if uncovered or unknown:
        print(f"reqcov: FAIL ({len(uncovered)} uncovered MUST, {len(unknown)} unknown IDs)")
        return 1
    print("reqcov: OK")
    return 0


def sort_key(rid):
    _, area, num = rid.split("-")
    return (area, int(num))


if __name__ == "__main__":
    sys.exit(main())
