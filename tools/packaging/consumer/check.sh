#!/bin/sh
# pkg_consumer (ctest): install the build into a scratch prefix, then build and run
# consumer.c against it three ways: pkg-config (shared if installed), pkg-config --static
# against libsgp.a, and find_package(sgp) with sgp::sgp and sgp::sgp_static.
#   check.sh BUILD_DIR SCRATCH CC EXTRA_CFLAGS CMAKE
set -eu
build=$1 scratch=$2 cc=$3 extra=$4 cmake=$5
here=$(cd "$(dirname "$0")" && pwd)
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config not installed"; exit 77; }
rm -rf "$scratch"
mkdir -p "$scratch"
prefix=$scratch/prefix
"$cmake" --install "$build" --prefix "$prefix" >"$scratch/install.log" 2>&1 ||
  { cat "$scratch/install.log"; echo "FAIL: cmake --install"; exit 1; }
libdir=$(cd "$(dirname "$(find "$prefix" -name sgp.pc | head -n 1)")/.." && pwd)
for f in include/sgp/codec.h include/sgp/proto/sgp.pb.h include/sgp/nanopb/pb.h \
         sbin/sgpd bin/sgpctl bin/sgp-keygen share/man/man8/sgpd.8 share/man/man5/sgpd.conf.5 \
         lib/systemd/system/sgpd@.service; do
  [ -e "$prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
ls "$libdir"/libsgp.a >/dev/null
shared=0
if ls "$libdir"/libsgp.so.* >/dev/null 2>&1; then shared=1; fi
echo "installed: $(cd "$prefix" && find . -type f | wc -l) files, shared library: $shared"

export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "pkg-config --cflags --libs sgp: $(pkg-config --cflags --libs sgp)"
pkg-config --cflags sgp | grep -q -- '-DPB_FIELD_32BIT=1' || { echo "FAIL: Cflags lack PB_FIELD_32BIT"; exit 1; }

# 1. pkg-config, default (shared when installed)
# shellcheck disable=SC2046,SC2086
"$cc" $extra -std=c11 -Wall -Werror -o "$scratch/consumer_pc" "$here/consumer.c" $(pkg-config --cflags --libs sgp)
"$scratch/consumer_pc"
if [ "$shared" = 1 ]; then
  ldd "$scratch/consumer_pc" | grep -q "$libdir/libsgp.so" ||
    { ldd "$scratch/consumer_pc"; echo "FAIL: consumer_pc not linked to the installed libsgp.so"; exit 1; }
  # nanopb is inside libsgp.so (no libprotobuf-nanopb dependency)
  nm -D --defined-only "$libdir"/libsgp.so | grep -q ' pb_decode$' || { echo "FAIL: pb_decode not in libsgp.so"; exit 1; }
fi
# 2. pkg-config --static against the archive
# shellcheck disable=SC2046,SC2086
"$cc" $extra -std=c11 -Wall -Werror -o "$scratch/consumer_pc_static" "$here/consumer.c" \
  $(pkg-config --cflags sgp) "$libdir/libsgp.a" $(pkg-config --static --libs-only-l sgp | sed 's/-lsgp//')
"$scratch/consumer_pc_static"

# 3. find_package(sgp)
"$cmake" -S "$here" -B "$scratch/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$extra" >"$scratch/cmake.log" 2>&1 ||
  { cat "$scratch/cmake.log"; echo "FAIL: configure with find_package(sgp)"; exit 1; }
"$cmake" --build "$scratch/cmake-build" >>"$scratch/cmake.log" 2>&1 ||
  { cat "$scratch/cmake.log"; echo "FAIL: build with find_package(sgp)"; exit 1; }
"$scratch/cmake-build/consumer_cmake"
"$scratch/cmake-build/consumer_cmake_static"
# 4. the installed systemd unit (its ExecStart points into the prefix) and man pages
if command -v systemd-analyze >/dev/null 2>&1; then
  unit=$prefix/lib/systemd/system/sgpd@.service
  sed "s|[^ =]*/sbin/sgpd|$prefix/sbin/sgpd|g" "$unit" >"$scratch/sgpd@.service"
  MANPATH=$prefix/share/man: systemd-analyze verify "$scratch/sgpd@.service" ||
    { echo "FAIL: systemd-analyze verify sgpd@.service"; exit 1; }
  echo "systemd-analyze verify sgpd@.service: ok"
else
  echo "note: systemd-analyze not installed, unit not verified"
fi
echo "pkg_consumer: ok"
