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
echo "== sanitizer build (address, undefined) =="
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DNABLA_SANITIZE=ON
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j"$jobs")
