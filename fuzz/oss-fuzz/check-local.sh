#!/usr/bin/env bash
# Runs fuzz/oss-fuzz/build.sh the way OSS-Fuzz does, without Docker, so the OSS-Fuzz build
# cannot rot: scratch $SRC, $WORK and $OUT, OSS-Fuzz's compiler environment, then every
# produced target is run briefly over its seed corpus and for a few seconds of fuzzing.
#
# Usage: fuzz/oss-fuzz/check-local.sh [libfuzzer|afl|all]     (default: all)
#   libfuzzer  CC=clang CXX=clang++, CFLAGS with -fsanitize=address,fuzzer-no-link (OSS-Fuzz's
#              ASan flags), LIB_FUZZING_ENGINE=-fsanitize=fuzzer; each target: the unzipped
#              seed corpus once, then -max_total_time=$SGP_CHECK_SECONDS (default 5).
#   afl        CC=afl-clang-fast CXX=afl-clang-fast++, ASan, LIB_FUZZING_ENGINE=
#              /usr/lib/afl/libAFLDriver.a (as OSS-Fuzz's AFL++ builds link it); each target
#              runs its seed files (the driver executes file arguments once each).
# Environment: SGP_ROOT (source tree, default: this repository), KEEP=1 keeps the scratch dir.
# Exit status 0 only if every build and every run passed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${SGP_ROOT:-$(cd "$here/../.." && pwd)}
mode=${1:-all}
secs=${SGP_CHECK_SECONDS:-5}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/sgp-ossfuzz.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$scratch"' EXIT
fail=0

san="-fsanitize=address -fsanitize-address-use-after-scope"
common="-O1 -fno-omit-frame-pointer -gline-tables-only"

variant() { # name CC CXX extra-CFLAGS LIB_FUZZING_ENGINE
  local name=$1
  export SRC=$scratch/$name/src WORK=$scratch/$name/work OUT=$scratch/$name/out
  mkdir -p "$SRC" "$WORK" "$OUT"
  ln -s "$root" "$SRC/sgp"
  export CC=$2 CXX=$3 CFLAGS="$common $san $4" CXXFLAGS="$common $san $4" LIB_FUZZING_ENGINE=$5
  export SANITIZER=address FUZZING_ENGINE=$name ARCHITECTURE=x86_64 SGP_ROOT=$root
  echo "== $name: building into $OUT"
  if ! (cd "$SRC/sgp" && bash "$here/build.sh") >"$scratch/$name.build.log" 2>&1; then
    tail -n 30 "$scratch/$name.build.log" >&2
    echo "== $name: BUILD FAILED (log: $scratch/$name.build.log)" >&2
    fail=1
    return
  fi
  tail -n 1 "$scratch/$name.build.log"
  local t
  for t in $(cd "$OUT" && find . -maxdepth 1 -type f -perm -u+x -name 'fuzz_*' | sed 's|^\./||' | sort); do
    local seeds=$WORK/seeds-$t rc=0
    mkdir -p "$seeds"
    [ -f "$OUT/${t}_seed_corpus.zip" ] && unzip -q -o "$OUT/${t}_seed_corpus.zip" -d "$seeds"
    local n
    n=$(find "$seeds" -type f | wc -l)
    if [ "$name" = libfuzzer ]; then
      local opts=()
      [ -f "$OUT/$t.dict" ] && opts+=(-dict="$OUT/$t.dict")
      "$OUT/$t" "${opts[@]}" -max_total_time="$secs" -print_final_stats=1 "$seeds" \
        >"$scratch/$name-$t.log" 2>&1 || rc=$?
      local eps
      eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$scratch/$name-$t.log")
      printf '   %-20s seeds %4s  %ss  exec/s %-8s %s\n' "$t" "$n" "$secs" "${eps:-?}" \
        "$([ $rc = 0 ] && echo ok || echo "FAILED (rc $rc)")"
    else
      if [ "$n" -gt 0 ]; then
        find "$seeds" -type f -print0 | xargs -0 -n 64 "$OUT/$t" >"$scratch/$name-$t.log" 2>&1 || rc=$?
      else
        printf '\0' | "$OUT/$t" >"$scratch/$name-$t.log" 2>&1 || rc=$?
      fi
      printf '   %-20s seeds %4s  replayed     %s\n' "$t" "$n" \
        "$([ $rc = 0 ] && echo ok || echo "FAILED (rc $rc)")"
    fi
    if [ "$rc" != 0 ]; then tail -n 20 "$scratch/$name-$t.log" >&2; fail=1; fi
  done
}

case "$mode" in
  libfuzzer | all) variant libfuzzer clang clang++ "-fsanitize=fuzzer-no-link" "-fsanitize=fuzzer" ;;
esac
case "$mode" in
  afl | all)
    if command -v afl-clang-fast >/dev/null && [ -f /usr/lib/afl/libAFLDriver.a ]; then
      AFL_QUIET=1 variant afl afl-clang-fast afl-clang-fast++ "" "/usr/lib/afl/libAFLDriver.a"
    else
      echo "== afl: afl-clang-fast or libAFLDriver.a not installed: skipped" >&2
    fi
    ;;
esac
[ "$fail" = 0 ] && echo "check-local: OSS-Fuzz build and runs OK" || echo "check-local: FAILED" >&2
exit "$fail"
