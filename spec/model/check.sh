#!/usr/bin/env bash
# check.sh -- model-check spec/model/sgp.pml with Spin (see README.md).
#
# In a temp dir: spin -a, gcc -O2, then every LTL property verified on its own
# (safety: ./pan -a -N name; liveness: ./pan -a -f -N name, weak fairness), a
# plain assertion/deadlock run (-DSAFETY -DNOCLAIM), mutants that must FAIL a
# property (the properties have teeth) and witnesses that must be reachable
# (the properties are not vacuous).  One line per check:
#   PASS <name> (states=..., depth=..., time=...)   or   FAIL <name> (...)
# Exit status 0 only if every check passed.  At most two pan runs at a time.
#
# Configurations (spin -D, see README.md "Configurations"):
#   safety   NET_BUDGET=2; forger on; one equivocation; suspicion rises at nodes 0, 2
#   liveness NET_BUDGET=1; no forger (its steps are self-loops, asserted in the
#            safety runs); one equivocation; suspicion rises at node 2 only; -f
#   witness  NET_BUDGET=0 (a subset of the safety behaviours) with ghost flags
# Flag strings ($PANFLAGS, spin -D lists) are split into words on purpose.
# shellcheck disable=SC2086
set -u -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
model="$here/sgp.pml"
SPIN=${SPIN:-spin}
command -v "$SPIN" >/dev/null || { echo "FAIL setup (spin not found: apt-get install -y spin)"; exit 2; }
command -v gcc >/dev/null || { echo "FAIL setup (gcc not found)"; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sgp-model.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
t0=$(date +%s)

# Overridable, e.g. LIVE_DEFS="-DNET_BUDGET=2 -DSUSP_MASK=4 -DNO_FORGER" for two
# network faults in the liveness runs (about 4x the time, see README.md).
SAFETY_DEFS=${SAFETY_DEFS:-"-DNET_BUDGET=2"}
LIVE_DEFS=${LIVE_DEFS:-"-DNET_BUDGET=1 -DSUSP_MASK=4 -DNO_FORGER"}
# Per run: at most 900 MB (two runs in parallel stay under 2 GiB); the depth
# bound is far above the deepest path (< 150 steps).
CFLAGS_COMMON="-O2 -w -DVECTORSZ=1024 -DMEMLIM=900"
MAXDEPTH=100000
PANFLAGS="-m$MAXDEPTH -w24"

# mutants: key|spin define|property that must fail|binary config|pan flags
MUTANTS=(
  "BUG_SKIP_VERIFY|no_unverified_verdict|safety|-a"
  "BUG_SENDER_KEY|no_unverified_verdict|safety|-a"
  "BUG_TIE_UNVERIFIED|no_unverified_verdict|safety|-a"
  "BUG_ADOPT_OLDER|monotone_versions|safety|-a"
  "BUG_ONE_VOTE|no_false_silent|safety|-a"
  "BUG_NO_TIEBREAK|eventual_agreement|live|-a -f"
  "BUG_NO_ROW_RESIGN|silent_eventually|live|-a -f"
)
# non-vacuity witnesses (compiled with -DWITNESS): "[] !situation" must FAIL,
# i.e. the situation the properties are about is actually reached
WITNESSES="w_tiebreak_adopted w_packet_rejected w_older_report_ignored w_equivocation_split
  w_compromised_verdict w_silent_verdict w_restart_learned w_own_jump"

slot() { while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n || true; done; }

# build <dir> <spin defs> <extra cc flags>: leaves $work/<dir>/pan or build.err
build() {
  local dir="$work/$1"
  mkdir -p "$dir" && cp "$model" "$dir/sgp.pml" || return 1
  if ! (cd "$dir" && "$SPIN" $2 -a sgp.pml >spin.log 2>&1 &&
        gcc $CFLAGS_COMMON $3 -o pan pan.c >cc.log 2>&1); then
    cat "$dir/spin.log" "$dir/cc.log" 2>/dev/null | tail -20 >"$dir/build.err"
    rm -f "$dir/pan"
  fi
}

# first error of a pan run, short: a claim violation prints as an assertion
# on the negated formula
cex() {
  local m
  m=$(grep -m1 '^pan:[0-9]' "$1" | sed 's/^pan:[0-9]*: //; s/ (at depth \([0-9]*\))/ at depth \1/')
  case "$m" in
    "assertion violated  !( !("*) echo "property violated at depth ${m##* }" ;;
    *) echo "$m" ;;
  esac
}

# check <key> <label> <dir> <expect pass|fail> <pan args...>: writes $work/res.<key>
check() {
  local key=$1 label=$2 dir="$work/$3" expect=$4
  shift 4
  local out="$work/out.$key" s e secs errs states depth why="" info
  s=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then
    (cd "$dir" && /usr/bin/time -f "%U %S" -o "$work/cpu.$key" ./pan "$@" >"$out" 2>&1)
  else
    (cd "$dir" && ./pan "$@" >"$out" 2>&1)
  fi
  e=$(date +%s.%N)
  secs=$(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.1fs", b - a }')
  [ -s "$work/cpu.$key" ] && secs="$secs, cpu=$(awk '{ printf "%.1fs", $1 + $2 }' "$work/cpu.$key")"
  errs=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$out" | tail -1)
  states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*$/\1/p' "$out" | tail -1)
  depth=$(sed -n 's/.*depth reached \([0-9][0-9]*\).*/\1/p' "$out" | tail -1)
  if [ -z "$errs" ]; then
    why="no result, pan output: $(tail -3 "$out" | tr '\n' ' ')"
  elif grep -q -i -e "max search depth too small" -e "out of memory" -e "MEMLIM" "$out" ||
       [ "${depth:-0}" -ge $((MAXDEPTH - 1)) ]; then
    why="search incomplete (depth or memory bound)"
  elif [ "$expect" = pass ] && [ "$errs" -ne 0 ]; then
    why="errors: $errs: $(grep -m1 -e '^pan:[0-9]' "$out")"
  elif [ "$expect" = pass ] && grep -q "Search not completed" "$out"; then
    why="search not completed"
  elif [ "$expect" = fail ] && [ "$errs" -eq 0 ]; then
    why="expected a counterexample, got errors: 0"
  elif [ "$expect" = fail ] &&
       ! grep -m1 '^pan:[0-9]' "$out" | grep -q -e 'acceptance cycle' -e 'assertion violated  !( !('; then
    why="failed, but not on the property: $(grep -m1 '^pan:[0-9]' "$out")"
  fi
  mem=$(sed -n 's/^ *\([0-9.]*\).*total actual memory usage.*/\1/p' "$out" | tail -1)
  info="states=${states:-?}, depth=${depth:-?}, time=${secs}, mem=${mem:-?}MB"
  if [ -z "$why" ]; then
    [ "$expect" = fail ] && info="$info, counterexample: $(cex "$out")"
    echo "PASS $label ($info)" >"$work/res.$key"
  else
    echo "FAIL $label ($info; $why)" >"$work/res.$key"
  fi
}

# ---- builds ----
slot; build plain "$SAFETY_DEFS" "-DSAFETY -DNOCLAIM" &
slot; build safety "$SAFETY_DEFS" "-DNFAIR=3" &
slot; build live "$LIVE_DEFS" "-DNFAIR=3" &
# witnesses need no network fault; a behaviour with budget 0 is one of budget 2
slot; build witness "-DNET_BUDGET=0 -DWITNESS" "-DNFAIR=3" &
for m in "${MUTANTS[@]}"; do
  IFS='|' read -r def prop cfg flags <<<"$m"
  if [ "$cfg" = live ]; then defs=$LIVE_DEFS; else defs=$SAFETY_DEFS; fi
  slot; build "m_$def" "$defs -D$def" "-DNFAIR=3" &
done
wait
rc=0
for d in "$work"/*/; do
  if [ ! -x "$d/pan" ]; then
    echo "FAIL build $(basename "$d"): $(cat "$d/build.err" 2>/dev/null)"; rc=1
  fi
done
[ "$rc" -eq 0 ] || exit 1

# ---- runs, longest first ----
slot; check eventual_agreement eventual_agreement live pass $PANFLAGS -a -f -N eventual_agreement &
slot; check silent_eventually silent_eventually live pass $PANFLAGS -a -f -N silent_eventually &
slot; check plain safety-assertions plain pass $PANFLAGS &
SAFETY_PROPS="monotone_versions no_unverified_verdict compromised_from_own_report no_false_silent"
for p in $SAFETY_PROPS; do
  slot; check "$p" "$p" safety pass $PANFLAGS -a -N "$p" &
done
for m in "${MUTANTS[@]}"; do
  IFS='|' read -r def prop cfg flags <<<"$m"
  slot; check "m_$def" "mutant-detected [$def fails $prop]" "m_$def" fail $PANFLAGS $flags -N "$prop" &
done
for w in $WITNESSES; do
  slot; check "$w" "witness-reachable [$w]" witness fail $PANFLAGS -a -N "$w" &
done
wait

for key in plain $SAFETY_PROPS eventual_agreement silent_eventually; do
  cat "$work/res.$key" 2>/dev/null || echo "FAIL $key (no result)"
done
for m in "${MUTANTS[@]}"; do
  IFS='|' read -r def _ <<<"$m"
  cat "$work/res.m_$def" 2>/dev/null || echo "FAIL mutant $def (no result)"
done
nw=0
for w in $WITNESSES; do
  nw=$((nw + 1))
  cat "$work/res.$w" 2>/dev/null || echo "FAIL witness $w (no result)"
done
results=("$work"/res.*)
if grep -q "^FAIL" "$work"/res.* || [ "${#results[@]}" -ne $((7 + ${#MUTANTS[@]} + nw)) ]; then
  rc=1
fi
echo "total $(($(date +%s) - t0))s: $([ $rc -eq 0 ] && echo ALL PASS || echo FAILURES)"
exit $rc
