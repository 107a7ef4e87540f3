#!/usr/bin/env bash
# Runs the Python test suite (python/tests, pytest) against the package a build
# assembled in <build>/python: scripts/test_python.sh BUILD [--asan] [pytest args].
# --asan: BUILD is a -DNABLA_SANITIZE=ON build; Debian's /usr/bin/python3 is not
# instrumented, so the ASan runtime is preloaded (LD_PRELOAD) and leak detection
# is off (the interpreter frees its objects only at exit, by design), and a
# huge allocation returns NULL as malloc does (a test asks for 16 GiB); UBSan
# findings still abort (-fno-sanitize-recover).
# Fails when the module was not built or when no test ran (pytest exit code 5).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/test_python.sh BUILD [--asan] [pytest args]}
shift
asan=0
if [ "${1:-}" = "--asan" ]; then asan=1; shift; fi
if ! ls "$build"/python/nabla/_nabla*.so >/dev/null 2>&1; then
  echo "test_python: $build/python/nabla/_nabla*.so is missing (python3-dev and python3-numpy installed? see scripts/setup.sh)" >&2
  exit 1
fi
export PYTHONPATH="$PWD/$build/python${PYTHONPATH:+:$PYTHONPATH}"
export MPLBACKEND=Agg
export PYTHONDONTWRITEBYTECODE=1
echo "== python tests against $build$([ $asan = 1 ] && echo ' (ASan/UBSan)') =="
rc=0
if [ $asan = 1 ]; then
  LD_PRELOAD="$(gcc -print-file-name=libasan.so)" \
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider python/tests "$@" || rc=$?
else
  /usr/bin/python3 -m pytest -q -p no:cacheprovider python/tests "$@" || rc=$?
fi
if [ $rc -eq 5 ]; then echo "test_python: no tests were collected" >&2; fi
exit $rc
