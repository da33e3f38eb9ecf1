#!/bin/bash -eu
# ClusterFuzzLite build: the same script as OSS-Fuzz (fuzz/oss-fuzz/build.sh).
exec bash "$SRC/sgp/fuzz/oss-fuzz/build.sh"
