#!/bin/sh
# ctest wireshark_dissector: see check.py (exit 77 = skip, e.g. capture not permitted).
#   check.sh SGPD SGPCTL SGP_KEYGEN [check.py options]
here=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
sgpd=$1 sgpctl=$2 keygen=$3
shift 3
exec python3 "$here/check.py" --sgpd "$sgpd" --sgpctl "$sgpctl" --keygen "$keygen" \
  --lua "$here/sgp.lua" "$@"
