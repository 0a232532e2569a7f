#!/usr/bin/env bash
# Builds the extension with AddressSanitizer + UndefinedBehaviorSanitizer
# (CMake option TENSORLET_SANITIZE=ON) into its own virtual environment and
# build folder, then runs the test suite under it (extra pytest arguments
# are passed on: tools/sanitize.sh tests/ops -x).
#
# Python itself is not built with ASan, so the runtime is preloaded; leak
# checking is off (the interpreter keeps its arenas until exit); an
# impossible allocation returns null (the kernels report it as
# ResourceExhaustedError, which tests check) instead of aborting. pytest runs
# with -s: a report aborts the process before pytest could print what it
# captured.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv-sanitize}
[ -d "$VENV" ] || python3 -m venv --system-site-packages "$VENV"
. "$VENV/bin/activate"
TENSORLET_CUDA=OFF pip install -q --no-build-isolation -Cbuild-dir=build-sanitize \
  -Ccmake.define.TENSORLET_SANITIZE=ON -Ccmake.build-type=RelWithDebInfo \
  ${CMAKE_CXX_COMPILER_LAUNCHER:+-Ccmake.define.CMAKE_CXX_COMPILER_LAUNCHER=$CMAKE_CXX_COMPILER_LAUNCHER} -e ".[test]"
ASAN_LIB=$(${CXX:-c++} -print-file-name=libasan.so)
UBSAN_LIB=$(${CXX:-c++} -print-file-name=libubsan.so)
export LD_PRELOAD="$ASAN_LIB $UBSAN_LIB"
# A small quarantine of freed blocks (1 MiB, 64 KiB per thread; the default
# is 256 MiB) still catches a use soon after free, and keeps the process's
# memory as flat as the memory-bound tests require.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:allocator_may_return_null=1:quarantine_size_mb=1:thread_local_quarantine_size_kb=64}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
python -m pytest -q -s -p no:cacheprovider "$@"
