#!/usr/bin/env bash
# overlap_ab.sh BUILD_DIR [ROUNDS]: throughput (images/s of the first epoch) of
# fashion_mlp and fashion_cnn, the four set-ups alternated round after round
# (the machine is shared: A/B in the same command): 1 process x 1 thread;
# 2 processes x 1 thread with the overlapped all-reduce (NABLA_DIST_OVERLAP,
# default 1 MiB buckets) and with the blocking one (NABLA_DIST_OVERLAP=0);
# 1 process x 2 threads. Prints the load average before each round.
set -u
b=${1:-build}
rounds=${2:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
cd "$(dirname "$0")/../../examples"
log=$(mktemp -d)
ips() { grep -o '([0-9]* images/s)' | tr -d '(' | cut -d' ' -f1; }
for r in $(seq "$rounds"); do
  echo "== round $r, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  for ex in "fashion_mlp 12800" "fashion_cnn 2560"; do
    set -- $ex
    a=$("../$b/$1" --train-size $2 --epochs 1 --threads 1 --logdir "$log" | ips)
    o=$(mpirun --oversubscribe -np 2 "../$b/$1" --train-size $2 --epochs 1 --threads 1 --distributed --logdir "$log" | ips)
    n=$(NABLA_DIST_OVERLAP=0 mpirun --oversubscribe -x NABLA_DIST_OVERLAP -np 2 "../$b/$1" --train-size $2 --epochs 1 --threads 1 --distributed --logdir "$log" | ips)
    t=$("../$b/$1" --train-size $2 --epochs 1 --threads 2 --logdir "$log" | ips)
    printf '%-12s 1p x 1t %7s | 2p x 1t overlap %7s | 2p x 1t blocking %7s | 1p x 2t %7s  images/s\n' "$1" "$a" "$o" "$n" "$t"
  done
done
rm -rf "$log"
