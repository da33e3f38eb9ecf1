#!/usr/bin/env bash
# Static checks on ref/ (library, sgpd, tests): clang-format (no diff), clang-tidy (.clang-tidy,
# warnings are errors) and cppcheck.  Needs build/default (compile commands).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t srcs < <(ls ref/src/*.c ref/sgpd/*.c)
mapfile -t all < <(ls ref/src/*.c ref/sgpd/*.[ch] ref/include/sgp/*.h ref/tests/*.c ref/tests/*.h)
echo "lint: clang-format on ${#all[@]} files"
clang-format --dry-run -Werror "${all[@]}"
echo "lint: clang-tidy on ${#srcs[@]} files"
# One file per job on every core; a file's findings print as a block and
# fail the run (WarningsAsErrors in .clang-tidy).
printf '%s\n' "${srcs[@]}" | xargs -P "$(nproc)" -n 1 sh -c \
  'out=$(clang-tidy --quiet -p build/default "$0" 2>&1) || { printf "%s\n" "$out" | grep -v "warnings generated"; exit 1; }'
echo "lint: cppcheck"
cppcheck --quiet --enable=warning,performance,portability --std=c11 --error-exitcode=1 \
  --inline-suppr -I ref/include -I build/default/gen --suppress=missingIncludeSystem "${srcs[@]}"
echo "lint: OK"
