#!/usr/bin/env bash
# The runner against hostile testees and its own list semantics.
# usage: test_hostile.sh RUNNER HOSTILE REFERENCE_TESTEE WORKDIR
# Every hostile mode must end in clean failures ("0 passed, K failed", exit
# status 1) within the time limit: no crash, no hang, no unexpected pass.
# Hostile runs use a 300 ms deadline per request; runs against the
# reference testee override it with 5 s so a loaded machine cannot flake.
set -u
R=$1 H=$2 REF=$3 W=$4
mkdir -p "$W"
fails=0
start=$(date +%s.%N)
run() { timeout 60 "$R" --file codec --filter ':codec#1' --timeout-ms 300 "$@" >"$W/out.txt" 2>&1; }
check() { # name expected_rc last_line_regex
  local name=$1 want=$2 re=$3 rc=$4
  local last
  last=$(tail -n 1 "$W/out.txt")
  if [ "$rc" -ne "$want" ] || ! [[ "$last" =~ $re ]]; then
    echo "FAIL $name: exit $rc (want $want), last line: $last"
    fails=$((fails + 1))
  else
    echo "ok   $name: exit $rc, $last"
  fi
}
for m in hang exit early-eof zero-length huge-length over-length garbage truncated dribble flood \
         wrong-id bad-request wrong-answer; do
  run --testee "$H $m"
  check "hostile $m" 1 '^0 passed, 11 failed$' $?
done
run --testee "$H unsupported"
check "hostile unsupported (all skipped)" 0 '^0 passed, 0 failed$' $?

# Failure list: a listed test that fails is expected; an unlisted failure or a listed pass is not.
printf 'codec#1\ncodec#10  # comment\n' >"$W/fl1.txt"
run --testee "$REF" --timeout-ms 5000 --failure-list "$W/fl1.txt"
check "listed tests that pass fail the run" 1 '^9 passed, 2 failed$' $?
for k in 1 10 11 12 13 14 15 16 17 18 19; do echo "codec#$k"; done >"$W/fl2.txt"
run --testee "$H wrong-answer" --failure-list "$W/fl2.txt"
check "every failure listed" 0 '^11 passed, 0 failed$' $?
head -n 5 "$W/fl2.txt" >"$W/fl3.txt"
run --testee "$H wrong-answer" --failure-list "$W/fl3.txt"
check "unlisted failures fail the run" 1 '^5 passed, 6 failed$' $?

# Config: disabled tests are skipped with their reason; a line without a reason is refused.
echo 'disable *:codec#1 not implemented by this testee' >"$W/c1.conf"
run --testee "$REF" --timeout-ms 5000 --config "$W/c1.conf" --json "$W/r.json" --junit "$W/r.xml"
check "disabled test skipped" 0 '^10 passed, 0 failed$' $?
if ! grep -q 'disabled: not implemented by this testee' "$W/r.json" ||
   ! python3 -c "import json,sys,xml.dom.minidom as m; json.load(open(sys.argv[1])); m.parse(sys.argv[2])" \
     "$W/r.json" "$W/r.xml"; then
  echo "FAIL reports: JSON or JUnit missing or malformed"; fails=$((fails + 1))
else
  echo "ok   reports: JSON and JUnit parse, skip reason recorded"
fi
echo 'disable *:codec#1' >"$W/c2.conf"
run --testee "$REF" --timeout-ms 5000 --config "$W/c2.conf"
rc=$?
if [ $rc -ne 2 ]; then echo "FAIL config without a reason: exit $rc"; fails=$((fails + 1)); else echo "ok   config without a reason refused"; fi

# SGP-CONF-11: the reference testee exits 0 at end of input, answers an unparseable frame
# with STATUS_BAD_REQUEST and an unknown op with STATUS_UNSUPPORTED, one reply per frame.
if ! python3 - "$REF" <<'PY'
import subprocess, sys
def frame(b): return len(b).to_bytes(4, "big") + b
def fields(b):
    out, i = {}, 0
    while i < len(b):
        key = b[i]; i += 1
        if key & 7 != 0: return None   # id and status are varints; stop at the first other field
        v, s = 0, 0
        while True:
            c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
            if not c & 0x80: break
        out[key >> 3] = v
    return out
p = subprocess.run([sys.argv[1]], input=b"", capture_output=True, timeout=10)
assert p.returncode == 0 and p.stdout == b"", "EOF"
req = frame(b"\xff\xff\xff") + frame(bytes([0x08, 7, 0x10, 99]))  # garbage; {id 7, op 99}
p = subprocess.run([sys.argv[1]], input=req, capture_output=True, timeout=10)
out, replies = p.stdout, []
while out:
    n = int.from_bytes(out[:4], "big"); replies.append(fields(out[4:4 + n])); out = out[4 + n:]
assert p.returncode == 0 and len(replies) == 2, replies
assert replies[0].get(2) == 2, replies       # STATUS_BAD_REQUEST
assert replies[1].get(1) == 7 and replies[1].get(2) == 1, replies  # id echoed, STATUS_UNSUPPORTED
PY
then echo "FAIL reference testee framing (EOF, bad request, unsupported op)"; fails=$((fails + 1))
else echo "ok   reference testee: exit 0 at EOF, BAD_REQUEST, UNSUPPORTED"; fi

end=$(date +%s.%N)
printf 'hostile suite: %d failures, %.1f s\n' "$fails" "$(echo "$end - $start" | bc)"
[ "$fails" -eq 0 ]
