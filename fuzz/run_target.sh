#!/usr/bin/env bash
# Runs one fuzz target the way the ctest tests and fuzz/run.sh need it.
#
# Usage: run_target.sh replay|short|options <target binary> <fuzz source dir> <build dir>
#   replay  runs every file of <src>/regressions/<target>/ and <build>/corpus/<target>/ once
#           (libFuzzer executes files given as arguments and exits); fails on any crash.
#   short   fuzzes for $SGP_FUZZ_SECONDS seconds (default 20) with the options of
#           <src>/<target>.options, starting from a work corpus in <build>/fuzz-work/<target>/
#           (kept between runs) plus the generated corpus; crash artefacts go to
#           <build>/fuzz-artifacts/<target>/.  Prints libFuzzer's final stats.
#   options prints the libFuzzer flags of <src>/<target>.options, one a line (fuzz/campaign.sh
#           reads them this way, so the .options format is parsed in one place only).
# The .options file is OSS-Fuzz style ([libfuzzer] then "key = value" lines); a dict value is
# looked up next to the binary first (generated dicts), then in the source dir (committed ones).
set -euo pipefail

mode=$1 bin=$2 src=$3 build=$4
t=$(basename "$bin")
corpus="$build/corpus/$t"
regress="$src/regressions/$t"

inputs() { # every input file for replay, NUL-separated (README and dot files excluded)
  for d in "$regress" "$corpus"; do
    [ -d "$d" ] && find "$d" -type f ! -name 'README*' ! -name '.*' -print0
  done
  return 0
}

options() { # libFuzzer flags from <target>.options
  local f="$src/$t.options" key val
  [ -f "$f" ] || return 0
  while IFS='=' read -r key val; do
    key=$(echo "$key" | tr -d '[:space:]')
    val=$(echo "$val" | sed 's/^[[:space:]]*//;s/[[:space:]]*$//')
    case "$key" in
      '' | \#* | \[*) continue ;;
      dict)
        if [ -f "$(dirname "$bin")/$val" ]; then val="$(dirname "$bin")/$val"; else val="$src/$val"; fi ;;
    esac
    printf -- '-%s=%s\n' "$key" "$val"
  done <"$f"
}

case "$mode" in
  replay)
    n=$(inputs | tr -cd '\0' | wc -c)
    echo "replaying $n inputs through $t"
    [ "$n" -gt 0 ] || exit 0
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    rc=0
    inputs | xargs -0 -n 256 "$bin" >"$log" 2>&1 || rc=$?
    grep -v '^Executed ' "$log" | tail -n 80 || true  # the last 'Running:' names a failing input
    if [ "$rc" -ne 0 ]; then
      echo "replay of $t FAILED (status $rc): an input above crashed or broke an invariant" >&2
      exit 1
    fi
    echo "replay of $n inputs: no crash"
    ;;
  short)
    secs=${SGP_FUZZ_SECONDS:-20}
    work="$build/fuzz-work/$t"
    art="$build/fuzz-artifacts/$t"
    mkdir -p "$work" "$art"
    mapfile -t opts < <(options)
    # Not the regressions: fuzz_replay_<target> covers them, and a known unfixed finding
    # would stop every short run before it explores anything.
    dirs=("$work")
    [ -d "$corpus" ] && dirs+=("$corpus")
    exec "$bin" "${opts[@]}" -max_total_time="$secs" -print_final_stats=1 \
      -artifact_prefix="$art/" "${dirs[@]}"
    ;;
  options)
    options
    ;;
  *)
    echo "usage: $0 replay|short|options <binary> <fuzz source dir> <build dir>" >&2
    exit 2
    ;;
esac
