#!/usr/bin/env bash
# tools/demo.sh: the paper's scenario on the SGP simulator (main job until sgpd exists).
#
# 32 nodes run the real SGP library in one process (tools/sgpsim: Ed25519-signed reports,
# canonical protobuf packets, merge, tick, consensus; only the transport is left out).
# Node 7 turns compromised at round 5 (its agent reports suspicion 4.6); node 19 falls
# silent (crashes) at round 5. Prints one line per round (how many nodes see
# COMPROMISED for 7 and SILENT for 19, bytes sent), then the final verdict table.
# Exit status 0 only if at the end every live node shows COMPROMISED for 7, SILENT for
# 19 and CLEAN for everyone else.
#
# Works from a fresh clone: builds the default preset first if the simulator is missing
# (running tools/setup.sh when the nanopb source is not unpacked yet).
# Extra arguments go to sgpsim, e.g.:  tools/demo.sh --seed 2 --csv demo.csv --plot demo.png
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIM="$REPO/build/default/tools/sgpsim/sgpsim"

if [[ ! -x "$SIM" ]]; then
  echo "demo: building the simulator (build/default)" >&2
  if [[ ! -f "$REPO/.deps/nanopb-0.4.7/pb_decode.c" ]] || ! command -v cmake >/dev/null; then
    bash "$REPO/tools/setup.sh"
  fi
  (cd "$REPO" && cmake --preset default >/dev/null && cmake --build --preset default -j2 --target sgpsim)
fi

exec "$SIM" --n 32 --seed 1 --compromise 7@5 --crash 19@5 --expect-verdicts "$@"
