#!/usr/bin/env bash
# Runs an AFL++ campaign on one target: a main instance (-M, with the CmpLog binary: -c) plus
# CORES-1 secondaries (-S, alternating with and without CmpLog), for SECONDS, then prints a
# summary from every instance's fuzzer_stats: execs/s, corpus count (paths), crashes, hangs.
#
# Usage: fuzz/afl/campaign.sh TARGET CORES SECONDS [AFL_BUILD_DIR]   (default dir: build/afl)
#   needs fuzz/afl/build.sh first.  Output: <dir>/campaigns/<TARGET>/ (afl-fuzz -o);
#   crashes: <dir>/campaigns/<TARGET>/<instance>/crashes/.  Exit 1 if any instance crashed.
#   Minimise a crash with the libFuzzer build (fuzz/regressions/README.md) and commit it there.
# Environment passed to afl-fuzz: AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 (shared machines),
#   AFL_NO_UI=1, AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1; override any of them as usual.
set -euo pipefail
[ $# -ge 3 ] && [[ $2 =~ ^[0-9]+$ ]] && [[ $3 =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] ||
  { echo "usage: $0 TARGET CORES SECONDS [AFL_BUILD_DIR]" >&2; exit 2; }
t=$1 cores=$2 secs=$3
here=$(cd "$(dirname "$0")" && pwd)
dir=${4:-$(cd "$here/../.." && pwd)/build/afl}
bin=$dir/asan/fuzz/$t cmp=$dir/cmplog/fuzz/$t
[ -x "$bin" ] && [ -x "$cmp" ] || { echo "campaign: $bin or $cmp missing: run fuzz/afl/build.sh" >&2; exit 2; }
seeds=$dir/asan/corpus/$t
out=$dir/campaigns/$t
mkdir -p "$out"
if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds" 2>/dev/null)" ]; then
  seeds=$out/seed0; mkdir -p "$seeds"; printf '\0' >"$seeds/zero"
fi

# Options of <target>.options: dictionary (generated next to the binary, or committed in fuzz/).
dictarg=()
opt=$here/../$t.options
if [ -f "$opt" ]; then
  d=$(sed -n 's/^dict *= *//p' "$opt" | tr -d '[:space:]')
  if [ -n "$d" ]; then
    if [ -f "$dir/asan/fuzz/$d" ]; then dictarg=(-x "$dir/asan/fuzz/$d")
    elif [ -f "$here/../$d" ]; then dictarg=(-x "$here/../$d"); fi
  fi
fi

# max_len of <target>.options as afl-fuzz -G (largest generated input).
lenarg=()
if [ -f "$opt" ]; then
  ml=$(sed -n 's/^max_len *= *//p' "$opt" | tr -d '[:space:]')
  [ -n "$ml" ] && lenarg=(-G "$ml")
fi

export AFL_SKIP_CPUFREQ=${AFL_SKIP_CPUFREQ:-1} AFL_NO_AFFINITY=${AFL_NO_AFFINITY:-1}
export AFL_NO_UI=${AFL_NO_UI:-1} AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=${AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES:-1}
export AFL_SUPPRESS_LIB_WARNINGS=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:symbolize=0:detect_leaks=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1}

pids=()
for i in $(seq 0 $((cores - 1))); do
  if [ "$i" -eq 0 ]; then role=(-M main); name=main; else role=(-S "sec$i"); name=sec$i; fi
  cmpl=()
  if [ "$i" -eq 0 ] || [ $((i % 2)) -eq 0 ]; then cmpl=(-c "$cmp"); fi
  afl-fuzz "${role[@]}" -i "$seeds" -o "$out" "${cmpl[@]}" "${dictarg[@]}" "${lenarg[@]}" -V "$secs" \
    -t 2000 -m none -- "$bin" >"$out/$name.log" 2>&1 &
  pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$?; done

printf '\n%-22s %10s %10s %8s %8s %6s\n' instance execs execs/s paths crashes hangs
tot_e=0 tot_x=0 tot_c=0 failed=0
for s in "$out"/*/fuzzer_stats; do
  [ -f "$s" ] || continue
  g() { sed -n "s/^$1 *: *//p" "$s" | head -n1; }
  inst=$(basename "$(dirname "$s")")
  crashes=$(g saved_crashes); [ -n "$crashes" ] || crashes=$(g unique_crashes)
  hangs=$(g saved_hangs); [ -n "$hangs" ] || hangs=$(g unique_hangs)
  printf '%-22s %10s %10s %8s %8s %6s\n' "$t/$inst" "$(g execs_done)" "$(g execs_per_sec)" \
    "$(g corpus_count)" "${crashes:-0}" "${hangs:-0}"
  tot_e=$((tot_e + $(g execs_done)))
  tot_c=$((tot_c + ${crashes:-0}))
done
printf '%-22s %10s %10s\n' "$t/total" "$tot_e" "$((tot_e / (secs > 0 ? secs : 1)))"
if [ "$tot_c" -gt 0 ]; then
  echo "crashes:"; ls "$out"/*/crashes/id:* 2>/dev/null | sed 's/^/  /'
  failed=1
fi
if [ "$rc" -ne 0 ] && [ "$tot_e" -eq 0 ]; then
  echo "campaign: afl-fuzz failed, see $out/*.log" >&2; tail -n 20 "$out/main.log" >&2; exit 1
fi
exit "$failed"
