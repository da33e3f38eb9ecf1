#!/usr/bin/env bash
# Mutation score of the conformance suite (issue 6, spec §13).
#
# usage: conformance/mutate.sh [MUTANTS_FILE]        (default conformance/mutants.txt)
#        conformance/mutate.sh --resync [MUTANTS_FILE]   rewrite the LINE of every mutant to the
#                                   nearest line of ref/ that now holds its FROM text, and exit
# env:   SGP_MUTATE_DIR  scratch directory (default: a new mktemp dir, removed at the end)
#        SGP_MUTATE_ONLY only mutants whose line in the file contains this substring
#
# Copies the sources the reference testee needs (ref/, proto/, conformance/,
# the top CMakeLists.txt) into a scratch directory, builds the unmutated
# runner and testee there and checks the suite passes, then for every
# mutant: applies the one edit, rebuilds the testee (incrementally), runs
# the whole suite against it, restores the file.  A mutant is killed when
# the runner exits non-zero, stillborn when it does not compile (not
# counted).  Prints the score and the survivors; exit 0 if the score is at
# least 95 %.  The repository itself is never modified.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = "--resync" ]; then
  python3 - "$ROOT" "${2:-$ROOT/conformance/mutants.txt}" <<'PY'
import sys
root, path = sys.argv[1], sys.argv[2]
out, moved = [], 0
for raw in open(path).read().split("\n"):
    body = raw.split("  #")[0]
    if not body.strip() or body.startswith("#"):
        out.append(raw); continue
    f, ln, spec = body.split(":", 2)
    lines = open(f"{root}/{f}").read().split("\n")
    text = "\n".join(lines)
    cut = [i for i in range(len(spec)) if spec.startswith("->", i) and spec[:i] and spec[:i] in text]
    if not cut:
        sys.exit(f"resync: {raw}: FROM not found")
    frm, ln = spec[:cut[-1]], int(ln)
    hits = [k + 1 for k, l in enumerate(lines) if frm in l]
    best = min(hits, key=lambda k: abs(k - ln))
    moved += best != ln
    out.append(raw.replace(f"{f}:{ln}:", f"{f}:{best}:", 1))
open(path, "w").write("\n".join(out))
print(f"resync: {moved} mutants moved")
PY
  exit 0
fi
LIST=${1:-$ROOT/conformance/mutants.txt}
OWN_DIR=0
if [ -z "${SGP_MUTATE_DIR:-}" ]; then
  SGP_MUTATE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sgp-mutate.XXXXXX")
  OWN_DIR=1
fi
S=$SGP_MUTATE_DIR
SRC=$S/src B=$S/build
start=$(date +%s)
mkdir -p "$SRC"
rm -rf "${SRC:?}/ref" "$SRC/proto" "$SRC/conformance"
cp -r "$ROOT/ref" "$ROOT/proto" "$ROOT/conformance" "$ROOT/CMakeLists.txt" "$SRC/"
echo "mutate: scratch $S"
cmake -S "$SRC" -B "$B" -DSGP_NANOPB_SRC="$ROOT/.deps/nanopb-0.4.7" \
      -DSGP_SHARED_DIR="$ROOT/../shared" >"$S/configure.log" 2>&1 ||
  { echo "mutate: configure failed (see $S/configure.log)"; exit 2; }
build() { cmake --build "$B" -j1 --target "$@" >"$S/build.log" 2>&1; }
build sgp-conformance sgp-testee || { echo "mutate: baseline build failed (see $S/build.log)"; exit 2; }
RUNNER=$S/sgp-conformance
cp "$B/conformance/runner/sgp-conformance" "$RUNNER"
TESTEE=$B/conformance/sgp-testee
suite() {
  "$RUNNER" --testee "$TESTEE" --vectors "$SRC/conformance/vectors" --timeout-ms 3000 >"$S/run.log" 2>&1
}
suite || { echo "mutate: the unmutated testee fails the suite (see $S/run.log)"; exit 2; }

# apply FILE LINE FROM TO: edit the first occurrence of FROM on LINE (or the
# nearest line within 30 that has it); prints the line used, fails if none.
apply() {
  python3 - "$@" <<'PY'
import sys
path, line, frm, to = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
lines = open(path).read().split("\n")
cands = [line] + [line + d * s for d in range(1, 31) for s in (1, -1)]
for ln in cands:
    if 1 <= ln <= len(lines) and frm in lines[ln - 1]:
        lines[ln - 1] = lines[ln - 1].replace(frm, to, 1)
        open(path, "w").write("\n".join(lines))
        print(ln)
        sys.exit(0)
sys.exit(1)
PY
}

# split "FROM->TO" at the "->" giving the longest FROM that occurs in FILE.
split() {
  python3 - "$@" <<'PY'
import sys
path, spec = sys.argv[1], sys.argv[2]
text = open(path).read()
best = None
i = spec.find("->")
while i >= 0:
    if spec[:i] and spec[:i] in text:
        best = i
    i = spec.find("->", i + 1)
if best is None:
    sys.exit(1)
print(spec[:best])
print(spec[best + 2:])
PY
}

total=0 killed=0 stillborn=0 missing=0
survivors=() born_dead=() absent=()
while IFS= read -r raw; do
  line=${raw%%  #*}
  [[ -z "${line// }" || "$line" == \#* ]] && continue
  if [ -n "${SGP_MUTATE_ONLY:-}" ] && [[ "$raw" != *"$SGP_MUTATE_ONLY"* ]]; then continue; fi
  file=${line%%:*}; rest=${line#*:}; ln=${rest%%:*}; spec=${rest#*:}
  f=$SRC/$file
  cp "$f" "$S/orig.c"
  if ! parts=$(split "$f" "$spec") || ! used=$(apply "$f" "$ln" "$(sed -n 1p <<<"$parts")" \
      "$(sed -n '2,$p' <<<"$parts")"); then
    absent+=("$raw"); missing=$((missing + 1)); continue
  fi
  if ! build sgp-testee; then
    born_dead+=("$raw"); stillborn=$((stillborn + 1))
    cp "$S/orig.c" "$f"; continue
  fi
  total=$((total + 1))
  if suite; then
    survivors+=("$file:$used: ${raw#*:*:}"); verdict=SURVIVED
  else
    killed=$((killed + 1)); verdict=killed
  fi
  printf '%-9s %s\n' "$verdict" "$raw"
  cp "$S/orig.c" "$f"
done <"$LIST"
build sgp-testee || true

end=$(date +%s)
echo
[ $missing -gt 0 ] && { echo "mutants that no longer apply ($missing):"; printf '  %s\n' "${absent[@]}"; }
[ $stillborn -gt 0 ] && { echo "stillborn (do not compile, not counted: $stillborn):"; printf '  %s\n' "${born_dead[@]}"; }
if [ ${#survivors[@]} -gt 0 ]; then
  echo "survivors (${#survivors[@]}):"; printf '  %s\n' "${survivors[@]}"
fi
score=$(( total > 0 ? 1000 * killed / total : 0 ))
printf 'mutation score: %d/%d killed = %d.%d %% (%d s)\n' "$killed" "$total" $((score / 10)) \
  $((score % 10)) $((end - start))
[ $OWN_DIR -eq 1 ] && rm -rf "$S"
[ $total -gt 0 ] && [ $((100 * killed)) -ge $((95 * total)) ]
