#!/usr/bin/env bash
# Runs the GPU kernels of cuda/conv.cu, pool.cu, batchnorm.cu and training.cu on the host,
# without a GPU, against the CPU slots: each block as blockDim.x threads with
# real barriers (common.cuh here stands in for cuda/common.cuh), so index
# arithmetic, tiling, shared-memory staging, grid-stride loops and warp
# reductions are checked where no GPU is available. Needs the CPU build
# (build/libtensorlet_kernels.a: the editable install with -Cbuild-dir=build).
# A few minutes (thousands of threads are started).
#
#   bash tools/cuda_host_check/run.sh            (from the repository root)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LIB=${LIB:-$ROOT/build/libtensorlet_kernels.a}
[ -f "$LIB" ] || { echo "no $LIB: build tensorlet first (-Cbuild-dir=build)"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cp "$HERE/common.cuh" "$TMP/"
for f in conv pool batchnorm training; do
  # kernel<T><<<grid, block, 0, stream()>>>(args) -> emu::run(emu::Cfg(grid, block, ...), kernel<T>)(args)
  python3 -c "import re,sys; s=open(sys.argv[1]).read(); \
print(re.sub(r'(\w+<T>)<<<(.*?)>>>\(', r'emu::run(emu::Cfg(\2), \1)(', s))" "$ROOT/cuda/$f.cu" >"$TMP/$f.cpp"
done
g++ -std=c++20 -O2 -fopenmp -w -I"$TMP" -I"$ROOT/csrc" "$HERE/check_conv.cpp" "$TMP"/{conv,pool,batchnorm}.cpp \
  "$LIB" -lpthread -o "$TMP/check"
g++ -std=c++20 -O2 -fopenmp -ffp-contract=off -w -I"$TMP" -I"$ROOT/csrc" "$HERE/check_training.cpp" "$TMP/training.cpp" \
  "$LIB" -lpthread -o "$TMP/check_training"
"$TMP/check"
"$TMP/check_training"
