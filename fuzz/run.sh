#!/usr/bin/env bash
# Builds the `fuzz` preset and fuzzes each target for <seconds>, then prints a summary table:
# executions, execs/s, final coverage (cov: / ft: of libFuzzer's last status line), corpus size
# and crashes (artefacts written by this run).
#
# Usage: fuzz/run.sh <seconds> [target...]      (default: every target in build/fuzz/fuzz)
# Logs:  build/fuzz/fuzz-logs/<target>.log; crash artefacts: build/fuzz/fuzz-artifacts/<target>/
# Exit:  0 if no target crashed, 1 otherwise.
#
# A crash is a finding: minimise it (<binary> -minimize_crash=1 -runs=10000 <artefact>), copy the
# minimised input to fuzz/regressions/<target>/finding-NNN-<short>.bin (not crash-*: .gitignore
# drops those), and the ctest test fuzz_replay_<target> replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] && [[ $1 =~ ^[0-9]+$ ]] || { echo "usage: $0 <seconds> [target...]" >&2; exit 2; }
secs=$1
shift
build=build/fuzz
jobs=$(nproc 2>/dev/null || echo 2)

# Two run.sh at once would regenerate the corpus under each other: serialise the build step.
mkdir -p "$build"
exec 9>"$build/.run.lock"
flock 9
cmake --preset fuzz >/dev/null
if [ $# -gt 0 ]; then
  targets=("$@")
else
  # The targets this configuration enabled (fuzz/CMakeLists.txt writes the list).
  read -r -a targets <"$build/fuzz/targets.txt"
fi
cmake --build "$build" -j"$jobs" --target "${targets[@]}" fuzz_dict fuzz_corpus >/dev/null
flock -u 9

mkdir -p "$build/fuzz-logs"
start="$build/fuzz-logs/.start"
touch "$start"
rows=()
failed=0
for t in "${targets[@]}"; do
  log="$build/fuzz-logs/$t.log"
  art="$build/fuzz-artifacts/$t"
  mkdir -p "$art"
  before=$(find "$art" -type f | wc -l)
  echo "fuzzing $t for ${secs}s (log: $log)"
  rc=0
  SGP_FUZZ_SECONDS=$secs bash fuzz/run_target.sh short "$build/fuzz/$t" fuzz "$build" >"$log" 2>&1 || rc=$?
  after=$(find "$art" -type f | wc -l)
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n1; }
  last=$(grep -E '^#[0-9]+' "$log" | tail -n1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
  crashes=$((after - before))
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes="?(rc $rc)"; fi
  [ "$rc" -ne 0 ] && failed=1
  rows+=("$(printf '%-20s %10s %8s %6s %7s %6s %s' "$t" "$(stat number_of_executed_units)" \
    "$(stat average_exec_per_sec)" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes")")
done

echo
printf '%-20s %10s %8s %6s %7s %6s %s\n' target execs exec/s cov ft corpus crashes
for r in "${rows[@]}"; do echo "$r"; done
if [ "$failed" -ne 0 ]; then
  echo
  echo "crash artefacts:"
  find "$build/fuzz-artifacts" -type f -newer "$start" 2>/dev/null | sed 's/^/  /' || true
fi
exit "$failed"
