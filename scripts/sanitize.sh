#!/usr/bin/env bash
# Builds lmpipe with AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer included) in
# build-asan/ and runs the whole test binary under them. Any memory error, leak or UB fails the
# run. Not part of .ci/run (too slow for CI's time); run it by hand after touching loaders,
# tokenizers or kernels:
#
#   bash scripts/sanitize.sh                          # everything
#   bash scripts/sanitize.sh --gtest_filter='Robust*' # extra arguments go to lmpipe_tests
#
# JOBS=N sets the build parallelism (default: nproc). Leaks reported from the thread pools of
# OpenMP and oneDNN are suppressed by tests/lsan.supp, which explains each entry.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLMPIPE_SANITIZE=ON -DLMPIPE_BUILD_BENCH=OFF
cmake --build build-asan -j"${JOBS:-$(nproc)}" --target lmpipe_tests lmpipe_cli

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
./build-asan/tests/lmpipe_tests "$@"
echo "sanitize.sh: clean under ASan/UBSan/LSan"
