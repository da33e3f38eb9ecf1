#!/usr/bin/env bash
# tools/demo.sh: the README main job. A real SGP cluster on loopback detects a compromised
# host and a crashed one, and every node agrees within T_consensus.
#
# Starts 6 sgpd processes on 127.0.0.1 (keys and roster from sgp-keygen --seed: demo keys
# only). Node 2's agent replays the real NjRAT capture from ../shared/data/stratosphere/
# (host 192.168.1.115, x60) when it is present, else reports fixed:4600; the demo prints
# which. Node 4 is killed with SIGKILL. One table line per second shows each node's
# verdicts; the demo prints when every live node agrees on COMPROMISED (node 2) and SILENT
# (node 4), how long it took, and the spec §6.4 bounds for its parameters (T_gossip 200 ms,
# H 3, T_cleanup 20 rounds), then stops every process it started. Exit 0 only if every live
# node ends with COMPROMISED for 2, SILENT for 4 and CLEAN for the rest. Logic:
# tools/cluster/demo.py (on the tools/cluster/sgpcluster.py harness).
#
#   tools/demo.sh                     the cluster demo (options go to demo.py, e.g.
#                                     --source fixed, --speed 30, --chaos '--loss 0.3')
#   tools/demo.sh --sim [ARGS]        the 32-node simulator demo (tools/sgpsim) as before
#
# Works from a fresh clone: builds what it needs in build/default (running tools/setup.sh
# first when the nanopb source is not unpacked yet). SGP_BUILD_DIR overrides the build dir.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${SGP_BUILD_DIR:-$REPO/build/default}"

build() { # build TARGET... in $BUILD (default preset when $BUILD is build/default)
  if [[ ! -f "$REPO/.deps/nanopb-0.4.7/pb_decode.c" ]] || ! command -v cmake >/dev/null; then
    bash "$REPO/tools/setup.sh"
  fi
  if [[ "$BUILD" == "$REPO/build/default" ]]; then
    (cd "$REPO" && cmake --preset default >/dev/null && cmake --build --preset default -j2 --target "$@")
  else
    cmake -S "$REPO" -B "$BUILD" >/dev/null && cmake --build "$BUILD" -j2 --target "$@"
  fi
}

if [[ "${1:-}" == "--sim" ]]; then
  shift
  SIM="$BUILD/tools/sgpsim/sgpsim"
  if [[ ! -x "$SIM" ]]; then
    echo "demo: building the simulator ($BUILD)" >&2
    build sgpsim
  fi
  # 32 nodes in one process on the real library; node 7 turns compromised and node 19
  # crashes at round 5; exit 0 only if every live node ends with the right verdicts.
  exec "$SIM" --n 32 --seed 1 --compromise 7@5 --crash 19@5 --expect-verdicts "$@"
fi

need=()
for t in ref/sgpd/sgpd tools/sgpctl/sgpctl tools/sgp-keygen/sgp-keygen tools/chaosproxy/chaosproxy; do
  [[ -x "$BUILD/$t" ]] || need+=("$(basename "$t")")
done
if ((${#need[@]})); then
  echo "demo: building ${need[*]} ($BUILD)" >&2
  build "${need[@]}"
fi
exec python3 "$REPO/tools/cluster/demo.py" --build "$BUILD" "$@"
