#!/usr/bin/env bash
# Static checks on ref/: clang-format (no diff), clang-tidy (.clang-tidy,
# warnings are errors) and cppcheck.  Needs build/default (compile commands).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t srcs < <(ls ref/src/*.c)
mapfile -t all < <(ls ref/src/*.c ref/include/sgp/*.h ref/tests/*.c ref/tests/*.h)
echo "lint: clang-format on ${#all[@]} files"
clang-format --dry-run -Werror "${all[@]}"
echo "lint: clang-tidy on ${#srcs[@]} files"
clang-tidy --quiet -p build/default "${srcs[@]}" 2>&1 | grep -v "warnings generated" || true
clang-tidy --quiet -p build/default "${srcs[@]}" >/dev/null 2>&1
echo "lint: cppcheck"
cppcheck --quiet --enable=warning,performance,portability --std=c11 --error-exitcode=1 \
  --inline-suppr -I ref/include -I build/default/gen --suppress=missingIncludeSystem "${srcs[@]}"
echo "lint: OK"
