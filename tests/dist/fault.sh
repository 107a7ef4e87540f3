#!/usr/bin/env bash
# fault.sh MPIEXEC DIST_FAULT MODE: runs dist_fault with 3 ranks, rank 1 killed
# (MODE kill, kill_overlap) or stopped (MODE stop, stop_overlap) at step 3. The job must end, failing,
# within the bound (30 s; the collective timeout is 5 s) with a message that
# names rank 1: Open MPI's own for a killed process, nabla's ("no answer from
# rank 1") for a silent one.
set -u
mpiexec=$1 prog=$2 mode=$3
out=$(mktemp)
start=$(date +%s)
NABLA_DIST_TIMEOUT=5 timeout -k 5 60 "$mpiexec" --oversubscribe -np 3 "$prog" "$mode" >"$out" 2>&1
rc=$?
elapsed=$(( $(date +%s) - start ))
cat "$out"
fail=0
if [ "$rc" -eq 0 ]; then echo "FAIL: the job exited 0"; fail=1; fi
if [ "$rc" -eq 124 ] || [ "$elapsed" -ge 60 ]; then echo "FAIL: the job hung (stopped by the 60 s guard)"; fail=1; fi
if [ "$elapsed" -gt 30 ]; then echo "FAIL: took ${elapsed} s (bound 30 s)"; fail=1; fi
if [ "${mode%_overlap}" = kill ]; then
  grep -Eq "rank 1 .*(exited on signal|killed)|process rank 1|no answer from rank 1" "$out" || { echo "FAIL: no message names rank 1"; fail=1; }
else
  grep -q "no answer from rank 1 within 5 s" "$out" || { echo "FAIL: no 'no answer from rank 1' message"; fail=1; }
fi
rm -f "$out"
echo "fault $mode: exit $rc after ${elapsed} s"
exit $fail
