#!/usr/bin/env bash
# The one GPU check: builds tensorlet with CUDA for this machine's GPU only,
# runs the GPU tests, bench/gpu.py, then (informational) tests/keras and
# tests/autodiff with the GPU as the default device. Logs and the benchmark
# table go to OUTDIR. Fails loudly when nvcc or the GPU is missing. (The CPU
# suite runs in CI; a GPU run adds nothing to it.)
#
#   bash bench/gpu_check.sh OUTDIR        (from the repository root)
#
# About 2 minutes on an H100 machine (16 cores): build ~30 s, tests/cuda
# ~20 s, benchmarks ~40 s, the informational step ~15 s. The time limits
# below keep a hung step from eating the GPU budget.
set -uo pipefail
OUT=${1:?usage: bench/gpu_check.sh OUTDIR}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1
step() { echo "== $(date +%T) $*" | tee -a "$OUT/summary.txt"; }
fail() { step "FAILED: $*"; exit 1; }

command -v nvcc >/dev/null || fail "nvcc not found: the GPU build needs the CUDA compiler"
command -v nvidia-smi >/dev/null || fail "nvidia-smi not found: no NVIDIA driver"
CAP=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')
[ -n "$CAP" ] || fail "no GPU reported by nvidia-smi"
INC=$($PY -c "import sysconfig; print(sysconfig.get_paths()['include'])")
[ -f "$INC/Python.h" ] || fail "no Python.h under $INC: $PY cannot build extensions"
$PY -c "import pybind11, numpy" || fail "$PY lacks pybind11 or numpy"
nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv | tee "$OUT/gpu.txt"
step "build for sm_$CAP ($(nvcc --version | tail -1))"

# An in-place build (no wheel, no copy): the module lands in python/tensorlet.
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-16}
BUILD=build-gpu
SECONDS=0
GEN=$(command -v ninja >/dev/null && echo "-G Ninja")
cmake -S . -B $BUILD $GEN -DCMAKE_BUILD_TYPE=Release -DTENSORLET_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$CAP" -DPython_EXECUTABLE="$(command -v $PY)" \
  -Dpybind11_DIR="$($PY -m pybind11 --cmakedir)" >"$OUT/build.log" 2>&1 \
  && cmake --build $BUILD >>"$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; fail "build"; }
cp $BUILD/_core*.so python/tensorlet/ || fail "no module built"
step "built in ${SECONDS}s"
export PYTHONPATH="$PWD/python:$PWD${PYTHONPATH:+:$PYTHONPATH}"

$PY -c "from tensorlet import _core as c; import sys; sys.exit(0 if c.device_available(c.Device.GPU) else 1)" \
  || fail "tensorlet does not see the GPU"

step "tests/cuda"
# Every failure in one run (GPU time is scarce): no -x; with pytest-xdist a
# crashing kernel takes down one worker, not the run; a hung test times out.
PAR=$($PY -c "import xdist" 2>/dev/null && echo "-n 4")
TOUT=$($PY -c "import pytest_timeout" 2>/dev/null && echo "--timeout=60")
TL_CUDA_SYNC=1 timeout 90 $PY -m pytest tests/cuda -q -rfE $PAR $TOUT -p no:cacheprovider 2>&1 | tee "$OUT/tests_cuda.log" | tail -40
CUDA_RC=${PIPESTATUS[0]}
step "tests/cuda exit $CUDA_RC"

# A failing blocked GEMM (TL_CUDA_GEMM's default) must not take the benchmark
# down with it: the rest of the run then uses the tiled kernels.
KERNELS="blocked tiled"
if grep -E "^(FAILED|ERROR) .*blocked" "$OUT/tests_cuda.log" >/dev/null; then
  export TL_CUDA_GEMM=tiled KERNELS=tiled
  step "blocked GEMM failed its tests: benchmarks and the rest with TL_CUDA_GEMM=tiled"
fi

step "bench/gpu.py"
timeout 120 $PY bench/gpu.py --gemm-kernels $KERNELS 2>&1 | tee "$OUT/bench.log"
BENCH_RC=${PIPESTATUS[0]}
sed -n '/^\*\*GPU/,$p' "$OUT/bench.log" >"$OUT/table.md"
step "bench exit $BENCH_RC"

# The framework's own tests with the GPU as the default device: every
# tensor of tests/keras and tests/autodiff lands on the GPU. Informational
# (some assertions there are about host memory), so not part of the verdict.
step "tests/keras + tests/autodiff on the GPU (informational)"
timeout 60 $PY -m pytest tests/keras tests/autodiff -q $PAR $TOUT -p no:cacheprovider 2>&1 \
  | tee "$OUT/tests_gpu_default.log" | tail -15

cat "$OUT/summary.txt"
[ "$CUDA_RC" = 0 ] && [ "$BENCH_RC" = 0 ] || exit 1
