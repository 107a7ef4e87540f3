#!/usr/bin/env bash
# Builds and runs the whole test suite twice: a normal build and one with
# AddressSanitizer + UndefinedBehaviorSanitizer (-fno-sanitize-recover).
# The examples run as tests too (in --smoke mode).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
jobs=$(nproc)
echo "== normal build =="
scripts/build.sh build
(cd build && ctest --output-on-failure -j"$jobs")
scripts/test_python.sh build
echo "== sanitizer build (address, undefined) =="
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DNABLA_SANITIZE=ON
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j"$jobs")
# ThreadSanitizer, on the thread tests only (tests/test_threads.c: sessions on one
# graph from 8 threads, one session from 8 threads, outputs dropped on other
# threads): a small build, about a minute. libgomp (the kernels' and OpenBLAS's
# OpenMP) is not TSan-instrumented, so its barriers would show up as races:
# under TSan the test calls nb_set_num_threads(1), and OMP_NUM_THREADS=1 keeps
# OpenMP from starting a thread team before that, so every thread TSan sees is
# one of the test's own pthreads and no suppressions are needed.
echo "== thread sanitizer build (test_threads only) =="
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DNABLA_TSAN=ON >/dev/null
cmake --build build-tsan -j"$jobs" --target test_threads
# setarch -R (no address randomization): GCC 12's TSan aborts with "unexpected
# memory mapping" on kernels that randomize with more bits (vm.mmap_rnd_bits=32).
(cd build-tsan && OMP_NUM_THREADS=1 TSAN_OPTIONS=halt_on_error=1 \
   setarch "$(uname -m)" -R ctest -R '^test_threads$' --output-on-failure)
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
