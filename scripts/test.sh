#!/usr/bin/env bash
# Builds and runs the whole test suite twice: a normal build and one with
# AddressSanitizer + UndefinedBehaviorSanitizer (-fno-sanitize-recover).
# The examples run as tests too (in --smoke mode).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs=$(nproc)
echo "== normal build =="
scripts/build.sh build
(cd build && ctest --output-on-failure -j"$jobs")
scripts/test_python.sh build
echo "== sanitizer build (address, undefined) =="
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DNABLA_SANITIZE=ON
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j"$jobs")
# The Python module's C code under ASan/UBSan: Debian's python3 is not
# instrumented, so the ASan runtime is preloaded; leak checking is off because
# the interpreter keeps its objects until exit by design.
scripts/test_python.sh build-asan --asan
# A short, repeatable fuzz pass: a fixed number of inputs from a fixed seed per
# target (fuzz/run.sh with FUZZ_RUNS); run longer by hand with FUZZ_SECONDS.
echo "== fuzz build (clang-14, libFuzzer + ASan/UBSan), ${FUZZ_RUNS:=20000} runs per target =="
scripts/setup.sh --fuzz
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DNABLA_FUZZ=ON -DCMAKE_C_COMPILER=clang-14 >/dev/null
fuzzers=$(cd fuzz && ls fuzz_*.c | sed 's/\.c$//')
cmake --build build-fuzz -j"$jobs" --target $fuzzers
FUZZ_RUNS=$FUZZ_RUNS fuzz/run.sh build-fuzz
