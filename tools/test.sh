#!/usr/bin/env bash
# The README's test command: set-up, build, every test, the ASan+UBSan run,
# the spin model check, requirement coverage and short fuzz runs.
# Usage: bash tools/test.sh            (everything)
#        SGP_FUZZ_SECONDS=0 bash tools/test.sh   (skip the fuzz runs)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
fuzz_seconds=${SGP_FUZZ_SECONDS:-20}
t0=$(date +%s)
step() { printf '\n=== %s (%ss)\n' "$1" "$(($(date +%s) - t0))"; }

step "set-up"
bash tools/setup.sh

for preset in default asan; do
  step "build: $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$jobs"
  step "tests: $preset"
  ctest --preset "$preset" -j"$jobs"
done

step "lint: clang-format, clang-tidy, cppcheck on ref/"
bash tools/lint.sh

step "formal model (spin)"
bash spec/model/check.sh

step "requirement coverage"
python3 tools/reqcov/reqcov.py

if [ "$fuzz_seconds" != 0 ] && [ -f fuzz/CMakeLists.txt ]; then
  step "fuzz: build, replay regressions, ${fuzz_seconds}s per target"
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j"$jobs"
  SGP_FUZZ_SECONDS="$fuzz_seconds" ctest --test-dir build/fuzz -j"$jobs" --output-on-failure -R '^fuzz_'
  step "fuzz: OSS-Fuzz build.sh as OSS-Fuzz runs it (libFuzzer and AFL++), every target briefly"
  SGP_CHECK_SECONDS=3 bash fuzz/oss-fuzz/check-local.sh all
fi

step "all tests passed"
