#!/usr/bin/env bash
# Runs every fuzz target of a NABLA_FUZZ build for FUZZ_SECONDS each (default 60),
# on a copy of its seed corpus (fuzz/corpus/<target>/) so the committed seeds stay
# small, with fuzz/<target>.dict as libFuzzer's dictionary when there is one.
# Usage: fuzz/run.sh BUILD_DIR [target...]. Exits non-zero on any crash,
# leak or sanitizer report; the reproducer is left in BUILD_DIR/fuzz-artifacts/.
#
#   FUZZ_RUNS=20000 fuzz/run.sh build-fuzz    # CI's short pass: fixed inputs, seed 1
#   FUZZ_SECONDS=600 fuzz/run.sh build-fuzz fuzz_events   # a long run of one target
#
# After a long run, fold what it found into the committed seeds, minimized:
#   build-fuzz/fuzz_events -merge=1 fuzz/corpus/fuzz_events build-fuzz/fuzz-corpus/fuzz_events
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: fuzz/run.sh BUILD_DIR [target...]}"
shift
secs="${FUZZ_SECONDS:-60}"
# FUZZ_RUNS=N: a fixed number of inputs from a fixed seed instead of a time
# budget, so a run is repeatable (CI uses this: what passes here passes there).
if [ -n "${FUZZ_RUNS:-}" ]; then budget=(-runs="$FUZZ_RUNS" -seed=1); else budget=(-max_total_time="$secs"); fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$here"/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi
mkdir -p "$build/fuzz-artifacts" "$build/fuzz-corpus"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
for t in "${targets[@]}"; do
  work="$build/fuzz-corpus/$t"
  mkdir -p "$work"
  seeds="$here/corpus/$t"
  [ -d "$seeds" ] || seeds=""
  if [ -n "${FUZZ_RUNS:-}" ]; then echo "== $t: $FUZZ_RUNS runs from seed 1 =="; else echo "== $t: ${secs}s =="; fi
  dict=()
  [ -f "$here/$t.dict" ] && dict=(-dict="$here/$t.dict")
  if ! "$build/$t" "${budget[@]}" ${dict[@]+"${dict[@]}"} -max_len=65536 -rss_limit_mb=2048 -timeout=20 \
        -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-" \
        "$work" ${seeds:+"$seeds"} 2>"$build/fuzz-artifacts/$t.log"; then
    echo "FAIL: $t (log: $build/fuzz-artifacts/$t.log)"
    tail -n 40 "$build/fuzz-artifacts/$t.log"
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/fuzz-artifacts/$t.log" | sed "s/^/  $t /" || true
  # the last coverage line: cov (edges) and ft (features) reached
  grep -oE "cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*" "$build/fuzz-artifacts/$t.log" | tail -1 | sed "s/^/  $t /" || true
done
exit $status
