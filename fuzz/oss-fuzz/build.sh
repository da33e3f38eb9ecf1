#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script for SGP (runs in $SRC/sgp of the base-builder image).
#
# Conventions (https://google.github.io/oss-fuzz/getting-started/new-project-guide/):
#   compile with $CC $CFLAGS, link with $CXX $CXXFLAGS ... $LIB_FUZZING_ENGINE, write to $OUT:
#   every target, <target>_seed_corpus.zip, the dictionaries and <target>.options.
# No CMake: the top-level build requires test-only packages (criterion); the library is small
# enough to compile directly, which keeps this script independent of the CMake layout.
# Inputs from the environment besides OSS-Fuzz's: NANOPB_SRC (nanopb 0.4.7 source tree;
# default $SRC/nanopb, else the repository's .deps/nanopb-0.4.7 from tools/setup.sh);
# SGP_DATA_DIR (labelled Zeek logs for fuzz_flowlog seeds, read at build time only; the seeds
# are skipped when absent).
# libsodium (and protobuf-c for fuzz_diff_decode) are linked statically: the runner images
# do not have them.  fuzz_diff_decode is skipped when protoc-c or libprotobuf-c.a is missing.
# bash -eu in the shebang is lost when a caller runs `bash build.sh`: set it here too.
set -euo pipefail

# The source tree: SGP_ROOT, else the tree this script sits in (fuzz/oss-fuzz/), else $SRC/sgp
# (OSS-Fuzz copies build.sh to $SRC/build.sh).
ROOT=${SGP_ROOT:-}
if [ -z "$ROOT" ]; then
  ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." 2>/dev/null && pwd || true)
  [ -f "$ROOT/proto/sgp.proto" ] || ROOT=$SRC/sgp
fi
NANOPB_SRC=${NANOPB_SRC:-}
if [ -z "$NANOPB_SRC" ]; then
  for d in "$SRC/nanopb" "$ROOT/.deps/nanopb-0.4.7"; do
    if [ -f "$d/pb_decode.c" ]; then NANOPB_SRC=$d; break; fi
  done
fi
[ -f "${NANOPB_SRC:-/nonexistent}/pb_decode.c" ] || { echo "build.sh: nanopb 0.4.7 source not found (NANOPB_SRC)" >&2; exit 1; }
GEN=$WORK/sgp-gen
OBJ=$WORK/sgp-obj
HOST=$WORK/sgp-host
rm -rf "$GEN" "$OBJ" "$HOST"
mkdir -p "$GEN" "$OBJ" "$HOST" "$OUT"

# ---- generated protobuf code (nanopb; protobuf-c for the differential target) ----------
NANOPB_GEN=$(command -v nanopb_generator.py || command -v nanopb_generator || true)
[ -n "$NANOPB_GEN" ] || NANOPB_GEN="python3 $NANOPB_SRC/generator/nanopb_generator.py"
$NANOPB_GEN -q -f "$ROOT/proto/sgp.options" -I "$ROOT/proto" -D "$GEN" "$ROOT/proto/sgp.proto"
$NANOPB_GEN -q -f "$ROOT/proto/sgp_testee.options" -I "$ROOT/proto" -D "$GEN" "$ROOT/proto/sgp_testee.proto"
HAVE_PBC=0
PBC_A=$(find /usr/lib /usr/local/lib -name libprotobuf-c.a 2>/dev/null | head -n1 || true)
if command -v protoc-c >/dev/null && [ -n "$PBC_A" ]; then
  protoc-c --c_out="$GEN" -I "$ROOT/proto" "$ROOT/proto/sgp.proto"
  HAVE_PBC=1
fi
SODIUM_A=$(find /usr/lib /usr/local/lib -name libsodium.a 2>/dev/null | head -n1 || true)
[ -n "$SODIUM_A" ] || { echo "build.sh: libsodium.a not found (libsodium-dev)" >&2; exit 1; }

INC=(-I "$ROOT/ref/include" -I "$GEN" -I "$NANOPB_SRC" -I "$ROOT/fuzz")
DEFS=(-DPB_FIELD_32BIT=1)
# The library: every ref/src/*.c.  A module that needs libinih (the INI config parser) is
# left out when ini.h is not installed (no fuzz target of this script links it then).
HAVE_INIH=0
echo '#include <ini.h>' | $CC -E -x c - >/dev/null 2>&1 && HAVE_INIH=1
lib_sources() {
  for f in "$ROOT"/ref/src/*.c; do
    if [ "$HAVE_INIH" = 0 ] && grep -q '^#include <ini.h>' "$f"; then
      echo "build.sh: $(basename "$f") needs libinih-dev: left out" >&2
      continue
    fi
    echo "$f"
  done
}
mapfile -t LIB < <(lib_sources)

# ---- the instrumented library ($CC $CFLAGS) ---------------------------------------------
NOCMP=()
case "$CFLAGS" in *fuzzer-no-link*) NOCMP=(-fno-sanitize-coverage=trace-cmp) ;; esac
objs=()
for f in "${LIB[@]}" "$GEN/sgp.pb.c" "$NANOPB_SRC/pb_decode.c" "$NANOPB_SRC/pb_encode.c"; do
  o=$OBJ/$(basename "$f" .c).o
  $CC $CFLAGS -std=c11 "${DEFS[@]}" "${INC[@]}" -c "$f" -o "$o"
  objs+=("$o")
done
# nanopb's field iterator: edge coverage only (see fuzz/CMakeLists.txt)
$CC $CFLAGS "${NOCMP[@]}" -std=c11 "${DEFS[@]}" "${INC[@]}" -c "$NANOPB_SRC/pb_common.c" -o "$OBJ/pb_common.o"
objs+=("$OBJ/pb_common.o")
$CC $CFLAGS -std=c11 "${DEFS[@]}" "${INC[@]}" -c "$ROOT/fuzz/fuzz_common.c" -o "$OBJ/fuzz_common.o"
objs+=("$OBJ/fuzz_common.o")
rm -f "$WORK/libsgp_fuzz.a"
ar rcs "$WORK/libsgp_fuzz.a" "${objs[@]}"

# ---- targets ----------------------------------------------------------------------------
TARGETS=(fuzz_packet_decode fuzz_report_verify fuzz_merge fuzz_consensus fuzz_session fuzz_reasm
         fuzz_carrier)
GENDEFS=()
if [ -f "$ROOT/ref/src/keys.c" ]; then TARGETS+=(fuzz_keyfile); GENDEFS+=(-DSGP_FUZZ_HAVE_KEYS=1); fi
if [ -f "$ROOT/ref/src/roster.c" ]; then TARGETS+=(fuzz_roster); GENDEFS+=(-DSGP_FUZZ_HAVE_ROSTER=1); fi
# Modules of later changes: fuzzed when they are there (fuzz/CMakeLists.txt does the same).
[ -f "$ROOT/ref/src/flowlog.c" ] && [ -f "$ROOT/fuzz/fuzz_flowlog.c" ] && TARGETS+=(fuzz_flowlog)
[ -f "$ROOT/ref/src/node.c" ] && [ -f "$ROOT/fuzz/fuzz_node.c" ] && TARGETS+=(fuzz_node)
TARGETS+=(fuzz_procnet)
# The agent's thin file readers (agentsrc.c, flowfile.c, agentlive.c; files in a temp dir).
[ -f "$ROOT/fuzz/fuzz_agentsrc.c" ] && TARGETS+=(fuzz_agentsrc)
INIH_A=$(find /usr/lib /usr/local/lib -name libinih.a 2>/dev/null | head -n1 || true)
EXTRA_fuzz_config=()
if [ -f "$ROOT/ref/src/config.c" ] && [ "$HAVE_INIH" = 1 ] && [ -n "$INIH_A" ]; then
  TARGETS+=(fuzz_config)
  EXTRA_fuzz_config=("$INIH_A")
fi
for t in "${TARGETS[@]}"; do
  extra=()
  [ "$t" = fuzz_config ] && extra=("${EXTRA_fuzz_config[@]}")
  $CC $CFLAGS -std=c11 "${DEFS[@]}" "${INC[@]}" -c "$ROOT/fuzz/$t.c" -o "$OBJ/$t.o"
  $CXX $CXXFLAGS "$OBJ/$t.o" "$WORK/libsgp_fuzz.a" -o "$OUT/$t" $LIB_FUZZING_ENGINE \
    "${extra[@]}" "$SODIUM_A"
done
# The conformance testee's request parser and handlers (conformance/testee, no I/O).
TESTEE_SRC=("$GEN/sgp_testee.pb.c" "$ROOT"/conformance/testee/handle.c "$ROOT"/conformance/testee/t_*.c
            "$ROOT"/conformance/common/*.c)
TINC=(-I "$ROOT/conformance/testee" -I "$ROOT/conformance/common")
tobjs=()
for f in "${TESTEE_SRC[@]}" "$ROOT/fuzz/fuzz_testee.c"; do
  o=$OBJ/testee-$(basename "$f" .c).o
  $CC $CFLAGS -std=c11 "${DEFS[@]}" "${INC[@]}" "${TINC[@]}" -c "$f" -o "$o"
  tobjs+=("$o")
done
$CXX $CXXFLAGS "${tobjs[@]}" "$WORK/libsgp_fuzz.a" -o "$OUT/fuzz_testee" $LIB_FUZZING_ENGINE "$SODIUM_A"
TARGETS+=(fuzz_testee)
# sgpctl's reply checks and tables (tools/sgpctl/reply.c), with jansson linked statically.
JANSSON_A=$(find /usr/lib /usr/local/lib -name libjansson.a 2>/dev/null | head -n1 || true)
if [ -f "$ROOT/tools/sgpctl/reply.c" ] && [ -f "$ROOT/fuzz/fuzz_ctlreply.c" ] && [ -n "$JANSSON_A" ]; then
  CINC=(-I "$ROOT/tools/sgpctl")
  $CC $CFLAGS -std=c11 -D_GNU_SOURCE "${DEFS[@]}" "${INC[@]}" "${CINC[@]}" \
    -c "$ROOT/tools/sgpctl/reply.c" -o "$OBJ/sgpctl-reply.o"
  $CC $CFLAGS -std=c11 -D_GNU_SOURCE "${DEFS[@]}" "${INC[@]}" "${CINC[@]}" \
    -c "$ROOT/fuzz/fuzz_ctlreply.c" -o "$OBJ/fuzz_ctlreply.o"
  $CXX $CXXFLAGS "$OBJ/fuzz_ctlreply.o" "$OBJ/sgpctl-reply.o" "$WORK/libsgp_fuzz.a" \
    -o "$OUT/fuzz_ctlreply" $LIB_FUZZING_ENGINE "$JANSSON_A" "$SODIUM_A"
  TARGETS+=(fuzz_ctlreply)
else
  echo "build.sh: libjansson.a (or tools/sgpctl/reply.c) missing: fuzz_ctlreply skipped" >&2
fi
# sgp inspect's capture and key-log parsers (tools/sgpinspect/capture.c, keylog.c).
if [ -f "$ROOT/fuzz/fuzz_inspect.c" ]; then
  IINC=(-I "$ROOT/tools/sgpinspect")
  iobjs=()
  for f in "$ROOT/tools/sgpinspect/capture.c" "$ROOT/tools/sgpinspect/keylog.c" \
           "$ROOT/fuzz/fuzz_inspect.c"; do
    o=$OBJ/inspect-$(basename "$f" .c).o
    $CC $CFLAGS -std=c11 "${DEFS[@]}" "${INC[@]}" "${IINC[@]}" -c "$f" -o "$o"
    iobjs+=("$o")
  done
  $CXX $CXXFLAGS "${iobjs[@]}" "$WORK/libsgp_fuzz.a" -o "$OUT/fuzz_inspect" $LIB_FUZZING_ENGINE \
    "$SODIUM_A"
  TARGETS+=(fuzz_inspect)
fi
if [ "$HAVE_PBC" = 1 ]; then
  $CC $CFLAGS -std=c11 "${DEFS[@]}" "${INC[@]}" -c "$GEN/sgp.pb-c.c" -o "$OBJ/sgp.pb-c.o"
  $CC $CFLAGS -std=c11 "${DEFS[@]}" "${INC[@]}" -c "$ROOT/fuzz/fuzz_diff_decode.c" -o "$OBJ/fuzz_diff_decode.o"
  $CXX $CXXFLAGS "$OBJ/fuzz_diff_decode.o" "$OBJ/sgp.pb-c.o" "$WORK/libsgp_fuzz.a" \
    -o "$OUT/fuzz_diff_decode" $LIB_FUZZING_ENGINE "$PBC_A" "$SODIUM_A"
  TARGETS+=(fuzz_diff_decode)
else
  echo "build.sh: protoc-c / libprotobuf-c.a missing: fuzz_diff_decode skipped" >&2
fi

# ---- seeds: the corpus generator, built uninstrumented for the build machine ------------
HCC=${HOST_CC:-clang}
hobjs=()
for f in "${LIB[@]}" "$GEN/sgp.pb.c" "$NANOPB_SRC/pb_decode.c" "$NANOPB_SRC/pb_encode.c" \
         "$NANOPB_SRC/pb_common.c" "$ROOT/fuzz/fuzz_common.c"; do
  o=$HOST/$(basename "$f" .c).o
  $HCC -O1 -std=c11 "${DEFS[@]}" "${INC[@]}" -c "$f" -o "$o"
  hobjs+=("$o")
done
$HCC -O1 -std=c11 "${DEFS[@]}" "${GENDEFS[@]}" "${INC[@]}" \
  -DSGP_FUZZ_VECTORS_DIR="\"$ROOT/conformance/vectors\"" \
  -DSGP_FUZZ_DATA_DIR="\"${SGP_DATA_DIR:-$ROOT/../shared/data/stratosphere}\"" \
  "$ROOT/fuzz/gen_corpus.c" "${hobjs[@]}" -o "$HOST/gen_corpus" -lsodium -ljansson \
  $([ "$HAVE_INIH" = 1 ] && echo -linih)
rm -rf "$WORK/corpus"
"$HOST/gen_corpus" "$WORK/corpus" "$ROOT/conformance/vectors"
# fuzz_testee's seeds: the requests the conformance runner sends, recorded between a host
# build of the runner and of the reference testee (fuzz/gen_testee_corpus.py).
thobjs=()
for f in "${TESTEE_SRC[@]}"; do
  o=$HOST/testee-$(basename "$f" .c).o
  $HCC -O1 -std=c11 "${DEFS[@]}" "${INC[@]}" "${TINC[@]}" -c "$f" -o "$o"
  thobjs+=("$o")
done
$HCC -O1 -std=c11 "${DEFS[@]}" "${INC[@]}" "${TINC[@]}" "$ROOT/conformance/testee/main.c" \
  "${thobjs[@]}" "${hobjs[@]}" -o "$HOST/sgp-testee" -lsodium $([ "$HAVE_INIH" = 1 ] && echo -linih)
rsrc=()
for f in "$ROOT"/conformance/runner/*.c; do [ "$(basename "$f")" = hostile.c ] || rsrc+=("$f"); done
$HCC -O1 -std=c11 "${DEFS[@]}" "${INC[@]}" -I "$ROOT/conformance/runner" \
  -DSGP_VECTOR_DIR="\"$ROOT/conformance/vectors\"" "${rsrc[@]}" \
  "$HOST/testee-sgp_testee.pb.o" "${hobjs[@]}" -o "$HOST/sgp-conformance" -lsodium -ljansson \
  $([ "$HAVE_INIH" = 1 ] && echo -linih)
python3 "$ROOT/fuzz/gen_testee_corpus.py" "$HOST/sgp-conformance" "$HOST/sgp-testee" \
  "$ROOT/conformance/vectors" "$WORK/corpus/fuzz_testee"
python3 "$ROOT/fuzz/gen_inspect_corpus.py" "$WORK/corpus/fuzz_inspect"

# ---- per target: seed corpus zip (+ regressions), options, dictionaries ------------------
python3 "$ROOT/fuzz/gen_dict.py" "$ROOT/proto/sgp.proto" -o "$OUT/sgp.dict" \
  --headers "$ROOT/ref/include/sgp" --session-out "$OUT/session.dict" --carrier-out "$OUT/carrier.dict"
cp "$ROOT"/fuzz/*.dict "$OUT/" 2>/dev/null || true
for t in "${TARGETS[@]}"; do
  rm -f "$OUT/${t}_seed_corpus.zip"
  files=()
  [ -d "$WORK/corpus/$t" ] && files+=("$WORK/corpus/$t"/*)
  if [ -d "$ROOT/fuzz/regressions/$t" ]; then
    while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$ROOT/fuzz/regressions/$t" -type f ! -name 'README*' ! -name '.*' -print0)
  fi
  [ ${#files[@]} -gt 0 ] && zip -q -j "$OUT/${t}_seed_corpus.zip" "${files[@]}"
  if [ -f "$ROOT/fuzz/$t.options" ]; then
    cp "$ROOT/fuzz/$t.options" "$OUT/$t.options"
    d=$(sed -n 's/^dict *= *//p' "$ROOT/fuzz/$t.options" | tr -d '[:space:]')
    [ -n "$d" ] && [ -f "$OUT/$d" ] && cp "$OUT/$d" "$OUT/$t.dict"
  fi
done
echo "build.sh: ${#TARGETS[@]} targets in $OUT: ${TARGETS[*]}"
