#!/bin/sh
# Smoke test for sgp-keygen (run by ctest): usage: smoke-test.sh PATH-TO-sgp-keygen
set -u
k=$1
d=$(mktemp -d)
trap 'chmod -R u+rwx "$d"; rm -rf "$d"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_rc() { want=$1; shift; "$@" >"$d/out" 2>"$d/err"; rc=$?; [ "$rc" = "$want" ] || { cat "$d/err" >&2; fail "rc $rc (want $want): $*"; }; }

SEED=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

# Generate two nodes; the second already exists -> refused (rc 1), file untouched.
expect_rc 0 "$k" --node 0 --out "$d" --addr 10.0.0.1:7000 --seed $SEED; cp "$d/out" "$d/r0"
expect_rc 0 "$k" --node 1 --out "$d" --addr '[2001:db8::1]:7000'; cp "$d/out" "$d/r1"
[ "$(stat -c %a "$d/node-0.key")" = 600 ] || fail "mode of node-0.key"
cp "$d/node-1.key" "$d/keep"
expect_rc 1 "$k" --node 1 --out "$d"
cmp -s "$d/node-1.key" "$d/keep" || fail "existing key was modified"

# --seed derivation is pinned (BLAKE2b-256 keyed by the seed, see sgp-keygen.c).
[ "$(cat "$d/r0")" = "node 0 0f0434d0e2e65f11eaf29e6fc7660f4c47e803f36838515c53c1050acc058554 6e2153af8fbd0d9ba81ef9bed08b5e0c01cd2326d07533476f656b107434b33d 10.0.0.1:7000" ] || fail "--seed derivation changed"

# --seed is deterministic (test keys only): same seed, same line.
mkdir "$d/again"
expect_rc 0 "$k" --node 0 --out "$d/again" --addr 10.0.0.1:7000 --seed $SEED
cmp -s "$d/out" "$d/r0" || fail "--seed not deterministic"
cmp -s "$d/node-0.key" "$d/again/node-0.key" || fail "--seed key files differ"

# Roster from the printed lines.
{ echo "sgp-roster v1"; cat "$d/r0" "$d/r1"; } >"$d/roster"
expect_rc 0 "$k" --roster "$d/roster"
[ "$(cat "$d/out")" = "ok n=2" ] || fail "roster output: $(cat "$d/out")"

# --check prints the same line (address from --addr or from the roster).
expect_rc 0 "$k" --check "$d/node-1.key" --roster "$d/roster"
cmp -s "$d/out" "$d/r1" || fail "--check with roster"
expect_rc 0 "$k" --check "$d/node-0.key" --addr 10.0.0.1:7000
cmp -s "$d/out" "$d/r0" || fail "--check with addr"
expect_rc 1 "$k" --check "$d/node-0.key" --roster "$d/missing-roster"

# Key of node 0 against a roster listing other keys for node 0 -> mismatch.
{ echo "sgp-roster v1"; sed 's/^node 1 /node 0 /' "$d/r1"; } >"$d/other"
expect_rc 2 "$k" --check "$d/node-0.key" --roster "$d/other"
grep -q SGP_ERR_KEY_MISMATCH "$d/err" || fail "mismatch message"

# Permissions: group-readable key is refused.
chmod 640 "$d/node-0.key"
expect_rc 2 "$k" --check "$d/node-0.key"
grep -q SGP_ERR_PERMISSIONS "$d/err" || fail "permissions message"
chmod 600 "$d/node-0.key"

# Broken key file: error names file and line.
printf 'sgp-secret-key v1\nnode 01\n' >"$d/bad.key"; chmod 600 "$d/bad.key"
expect_rc 2 "$k" --check "$d/bad.key"
grep -qx "$d/bad.key:2: SGP_ERR_RANGE: value out of range" "$d/err" || fail "bad key message: $(cat "$d/err")"

# Broken roster: duplicate line -> FILE:LINE: SGP_ERR_X: text, rc 2.
{ echo "sgp-roster v1"; cat "$d/r0" "$d/r0"; } >"$d/dup"
expect_rc 2 "$k" --roster "$d/dup"
grep -qx "$d/dup:3: SGP_ERR_DUP_ENTRY: duplicate or conflicting entry" "$d/err" || fail "dup message: $(cat "$d/err")"

# Usage errors.
expect_rc 1 "$k"
expect_rc 1 "$k" --node 16384 --out "$d"
expect_rc 1 "$k" --node 2 --out "$d" --addr 10.0.0.01:1
expect_rc 1 "$k" --roster "$d/does-not-exist"
echo "sgp-keygen smoke test: ok"
