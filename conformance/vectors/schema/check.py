#!/usr/bin/env python3
"""Validates conformance vector files against their JSON schemas.

Usage: check.py VECTOR.json...   Each file names its schema in "schema";
the schema file is schema/<name>.json next to this script.  Also checks
that numberOfTests equals the number of tests and that tcIds are unique.
Exit 0 if every file is valid; 77 (ctest skip) if jsonschema is missing.
"""
import json
import os
import sys

try:
    import jsonschema
    from referencing import Registry, Resource
except ImportError:
    print("check.py: python3-jsonschema not installed, skipping")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))


def registry():
    res = []
    for fn in os.listdir(HERE):
        if fn.endswith(".json"):
            with open(os.path.join(HERE, fn)) as f:
                doc = json.load(f)
            res.append((fn, Resource.from_contents(doc)))
            res.append((doc["$id"], Resource.from_contents(doc)))
    return Registry().with_resources(res)


def main():
    reg = registry()
    bad = 0
    for path in sys.argv[1:]:
        with open(path) as f:
            doc = json.load(f)
        with open(os.path.join(HERE, doc["schema"] + ".json")) as f:
            schema = json.load(f)
        v = jsonschema.Draft202012Validator(schema, registry=reg)
        errs = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
        tests = [t for g in doc["testGroups"] for t in g["tests"]]
        ids = [t["tcId"] for t in tests]
        if len(ids) != len(set(ids)):
            errs.append("duplicate tcId")
        if doc["numberOfTests"] != len(tests):
            errs.append("numberOfTests mismatch")
        for e in errs[:10]:
            print(f"{path}: {getattr(e, 'message', e)} at {list(getattr(e, 'path', []))}")
        bad += len(errs) > 0
        print(f"{os.path.basename(path)}: {len(tests)} tests, {'OK' if not errs else 'INVALID'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
