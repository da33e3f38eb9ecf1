#!/usr/bin/env bash
# Source-based coverage of the fuzz targets: builds them with -fprofile-instr-generate
# -fcoverage-mapping (clang; ASan+UBSan as in the fuzz build, whose runtime also provides the
# coverage callbacks the corpus generator needs), runs each target over its merged corpora, merges
# the profiles and prints llvm-cov line coverage per ref/src module, the ref/ total, and writes
# an HTML report.
#
# Usage: fuzz/coverage.sh [targets...]            (default: every target the build enables)
# Corpora per target <t>, merged (libFuzzer -merge=1) into <build>/merged/<t>:
#   <build>/corpus/<t> (generated seeds), fuzz/regressions/<t>, build/fuzz/fuzz-work/<t> (the
#   work corpora of ctest/run.sh), build/fuzz/corpus/<t>, and every directory of
#   $SGP_COV_CORPORA (colon-separated patterns, %t = target name), e.g.
#   SGP_COV_CORPORA=/tmp/long-run/%t fuzz/coverage.sh   (copied to <build>/snap first, so a
#   campaign may keep writing to them)
# Output: <build>/report/index.html, <build>/report.txt; <build> = $SGP_COV_BUILD or
#   build/fuzz-cov.  Environment: SGP_SRC (source tree, default this repository), JOBS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${SGP_SRC:-$(cd "$here/.." && pwd)}
repo=$(cd "$here/.." && pwd)
b=${SGP_COV_BUILD:-$repo/build/fuzz-cov}
jobs=${JOBS:-2}
profdata=$(command -v llvm-profdata || ls /usr/lib/llvm-*/bin/llvm-profdata 2>/dev/null | tail -n1)
llvmcov=$(command -v llvm-cov || ls /usr/lib/llvm-*/bin/llvm-cov 2>/dev/null | tail -n1)
[ -n "$profdata" ] && [ -n "$llvmcov" ] || { echo "coverage.sh: llvm-profdata/llvm-cov missing" >&2; exit 2; }

flags="-fprofile-instr-generate -fcoverage-mapping"
cmake -S "$src" -B "$b" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=Debug -DSGP_FUZZ=ON -DSGP_SANITIZE=ON -DSGP_FUZZ_OPT=-O1 \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >"$b.configure.log" 2>&1 ||
  { cat "$b.configure.log" >&2; exit 1; }
if [ $# -gt 0 ]; then targets=("$@"); else read -r -a targets <"$b/fuzz/targets.txt"; fi
cmake --build "$b" -j"$jobs" --target "${targets[@]}" fuzz_corpus >"$b.build.log" 2>&1 ||
  { tail -n 40 "$b.build.log" >&2; exit 1; }

rm -rf "$b/prof" "$b/merged" "$b/snap"
mkdir -p "$b/prof"
objects=()
for t in "${targets[@]}"; do
  dirs=()
  for d in "$b/corpus/$t" "$repo/fuzz/regressions/$t" "$repo/build/fuzz/fuzz-work/$t" \
           "$repo/build/fuzz/corpus/$t"; do
    [ -d "$d" ] && dirs+=("$d")
  done
  IFS=: read -r -a extra <<<"${SGP_COV_CORPORA:-}"
  k=0
  for p in "${extra[@]}"; do
    d=${p//%t/$t}
    [ -n "$d" ] && [ -d "$d" ] || continue
    # A running campaign changes its corpus under us (libFuzzer's merge gives up on a file that
    # vanished and retries without end): merge a snapshot instead.
    k=$((k + 1))
    mkdir -p "$b/snap/$t/$k"
    find "$d" -maxdepth 1 -type f -exec cp -t "$b/snap/$t/$k" {} + 2>/dev/null || true
    dirs+=("$b/snap/$t/$k")
  done
  mkdir -p "$b/merged/$t"
  # -merge=1 runs every input (in child processes, each writing its own profile).
  LLVM_PROFILE_FILE="$b/prof/$t.%p-%m.profraw" "$b/fuzz/$t" -merge=1 -rss_limit_mb=4096 \
    "$b/merged/$t" "${dirs[@]}" >"$b/prof/$t.log" 2>&1 || {
      echo "coverage.sh: $t failed on its corpus (see $b/prof/$t.log)" >&2; exit 1; }
  LLVM_PROFILE_FILE="$b/prof/$t.replay.%p-%m.profraw" "$b/fuzz/$t" -runs=0 "$b/merged/$t" \
    >>"$b/prof/$t.log" 2>&1 || true
  printf '%-20s %5s inputs (from %s)\n' "$t" "$(ls "$b/merged/$t" | wc -l)" "${dirs[*]}"
  objects+=(-object "$b/fuzz/$t")
done
"$profdata" merge -sparse "$b"/prof/*.profraw -o "$b/merged.profdata"
first=${objects[1]}
"$llvmcov" report "$first" "${objects[@]:2}" -instr-profile="$b/merged.profdata" \
  "$src/ref/src" >"$b/report.txt"
# Code outside ref/ that a target fuzzes (sgpctl's reply checks): its own lines, not in the total.
"$llvmcov" report "$first" "${objects[@]:2}" -instr-profile="$b/merged.profdata" \
  "$src/tools/sgpctl" >"$b/report-tools.txt" 2>/dev/null || : >"$b/report-tools.txt"
"$llvmcov" show "$first" "${objects[@]:2}" -instr-profile="$b/merged.profdata" \
  -format=html -output-dir="$b/report" "$src/ref/src" "$src/tools/sgpctl" >/dev/null

echo
printf '%-16s %8s %8s %7s\n' module lines missed cover
awk '/\.c / && $1 !~ /^-/ {
  n = split($1, p, "/"); f = p[n];
  # columns: regions missed cover functions missed executed lines missed cover ...
  printf "%-16s %8s %8s %7s\n", f, $8, $9, $10; tl += $8; tm += $9 }
  END { if (tl) printf "%-16s %8d %8d %6.2f%%\n", "ref/ (all)", tl, tm, 100 * (tl - tm) / tl }' \
  "$b/report.txt"
awk '/\.c / && $1 !~ /^-/ { n = split($1, p, "/");
  printf "%-16s %8s %8s %7s  (tools/sgpctl, not in the total)\n", p[n], $8, $9, $10 }' \
  "$b/report-tools.txt"
# "All of ref/" includes modules no target links; name them rather than hide them.
unlinked=()
reported=$(awk '/\.c / { n = split($1, p, "/"); print p[n] }' "$b/report.txt")
for f in "$src"/ref/src/*.c; do
  grep -qx "$(basename "$f")" <<<"$reported" || unlinked+=("$(basename "$f")")
done
[ ${#unlinked[@]} -eq 0 ] || echo "linked by no target (not in the total): ${unlinked[*]}"
echo
echo "HTML report: $b/report/index.html"
