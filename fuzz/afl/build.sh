#!/usr/bin/env bash
# Builds the SGP fuzz harnesses for AFL++ (the same LLVMFuzzerTestOneInput files as libFuzzer).
#
# Usage: fuzz/afl/build.sh [OUT]        (default OUT: build/afl)
#   OUT/asan/fuzz/<target>     afl-clang-fast, ASan+UBSan, persistent mode with shared-memory
#                              input: `-fsanitize=fuzzer` under afl-clang-fast links AFL++'s
#                              libAFLDriver, which runs LLVMFuzzerTestOneInput in a
#                              __AFL_LOOP persistent loop reading __AFL_FUZZ_TESTCASE_BUF
#   OUT/cmplog/fuzz/<target>   AFL_LLVM_CMPLOG=1 build (no sanitizers) for afl-fuzz -c
#   OUT/asan/corpus/<target>/  the generated seeds; OUT/asan/fuzz/*.dict the dictionaries
# Environment: SGP_SRC (source tree, default: this repository), JOBS (default 2),
#              AFL_CC (default afl-clang-fast).
# The library and nanopb are instrumented too (SGP_FUZZ=ON adds -fsanitize=fuzzer-no-link,
# which afl-clang-fast maps to its own instrumentation).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${SGP_SRC:-$(cd "$here/../.." && pwd)}
out=${1:-$src/build/afl}
jobs=${JOBS:-2}
cc=${AFL_CC:-afl-clang-fast}
command -v "$cc" >/dev/null || { echo "afl/build.sh: $cc not found (Debian: apt install afl++)" >&2; exit 2; }
cxx=${cc/clang-fast/clang-fast++}
mkdir -p "$out"

configure() { # dir, extra cmake args...
  local dir=$1
  shift
  cmake -S "$src" -B "$dir" -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_BUILD_TYPE=Debug -DSGP_FUZZ=ON -DSGP_FUZZ_OPT=-O2 "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log" >&2; exit 1; }
}

mkdir -p "$out/asan" "$out/cmplog"
configure "$out/asan" -DSGP_SANITIZE=ON
read -r -a targets <"$out/asan/fuzz/targets.txt"
echo "afl/build.sh: ASan build of ${targets[*]}"
AFL_QUIET=1 cmake --build "$out/asan" -j"$jobs" --target "${targets[@]}" fuzz_dict fuzz_corpus \
  >"$out/asan.build.log" 2>&1 || { tail -n 40 "$out/asan.build.log" >&2; exit 1; }

configure "$out/cmplog" -DSGP_SANITIZE=OFF
echo "afl/build.sh: CmpLog build"
AFL_LLVM_CMPLOG=1 AFL_QUIET=1 cmake --build "$out/cmplog" -j"$jobs" --target "${targets[@]}" \
  >"$out/cmplog.build.log" 2>&1 || { tail -n 40 "$out/cmplog.build.log" >&2; exit 1; }

for t in "${targets[@]}"; do
  for v in asan cmplog; do
    [ -x "$out/$v/fuzz/$t" ] || { echo "afl/build.sh: $v/$t missing" >&2; exit 1; }
  done
done
echo "afl/build.sh: built ${#targets[@]} targets in $out/{asan,cmplog}/fuzz/"
