#!/usr/bin/env bash
# run_dist.sh BUILD_DIR: the distributed benchmarks (reported, never gating).
# 1. Throughput of fashion_mlp and fashion_cnn (images/s of the first epoch):
#    1 process x 1 thread, 2 processes x 1 thread (mpirun), 1 process x 2 threads.
# 2. All-reduce bandwidth, nabla vs MPI_Allreduce, 2 ranks, 4 KiB .. 256 MiB.
set -u
b=${1:-build}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cd "$(dirname "$0")/../../examples"
for ex in "fashion_mlp --train-size 12800" "fashion_cnn --train-size 2560"; do
  set -- $ex
  echo "== $1 ($3 images, 1 epoch)"
  echo -n "1 process, 1 thread:    "; "../$b/$1" $2 $3 --epochs 1 --threads 1 --logdir /tmp/nb_bench_log | grep '^epoch'
  echo -n "2 processes, 1 thread:  "; mpirun --oversubscribe -np 2 "../$b/$1" $2 $3 --epochs 1 --threads 1 --distributed --logdir /tmp/nb_bench_log | grep '^epoch'
  echo -n "1 process, 2 threads:   "; "../$b/$1" $2 $3 --epochs 1 --threads 2 --logdir /tmp/nb_bench_log | grep '^epoch'
done
rm -rf /tmp/nb_bench_log
mpirun --oversubscribe -np 2 "../$b/bench_allreduce" 256
