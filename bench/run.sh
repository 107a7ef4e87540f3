#!/bin/sh
# run.sh — nabla's benchmark room: builds nabla (Release) in build-bench and runs
# each benchmark next to its peer in the same run, printing both figures, the
# ratio and the thread settings of both sides. Never part of the tests.
#
# Usage: bench/run.sh [overhead|matmul|linreg|mlp|cnn|conv|events ...]   (default: all)
# Environment: REPEAT=n (default 2) runs each nabla/peer pair n times, alternating,
# and keeps each side's best figure, so a burst of load on the shared machine
# hits both sides alike; NB_BENCH_NO_BUILD=1 skips the cmake step; CNN_BATCHES=n
# (default 157 of 938, 10,048 images) is how many batches the cnn pair times
# before extrapolating to the epoch (0: the whole epoch); WARMUP=w (default 5)
# untimed batches run first on both sides (PyTorch builds its oneDNN primitives
# there). The mlp pair times whole epochs.
#
# Physical limit (mlp, cnn): bench/peak_fma measures the float32 FMA peak at the
# same thread count in the same run, just before each pair; the model's FLOPs per
# trained image are counted from the layer shapes (a multiply-add = 2 FLOP;
# forward + weight gradients + input gradients of every layer but the first;
# biases, activations, pooling, softmax and the optimizer update left out, so the
# limit is a little optimistic); limit = FLOPs per epoch / peak, and each side's
# "% of limit" = limit / its epoch time. The CNN's count is the direct (im2col)
# one; nabla's Winograd F(2x2,5x5) does the second conv layer and its two
# gradients with 36/100 of those multiplies, which the line also states.
#
# Thread settings (see /work/shared/reference/peers.md): every run exports
# OMP_NUM_THREADS and OPENBLAS_NUM_THREADS explicitly and passes --threads,
# which nabla turns into nb_set_num_threads and the peers into
# torch.set_num_threads. "1 thread" compares 1 vs 1; "2 threads" compares
# nabla at 2 (OMP=2, BLAS=2) with the peer's best 2-thread setting
# (OMP=2, BLAS=1; for the matmul the peer is raw OpenBLAS at 2 threads).
# Absolute times drift on shared machines: the ratios are what matter.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD="${NB_BENCH_BUILD:-$ROOT/build-bench}"  # NB_BENCH_BUILD=DIR: another build directory
PY=/usr/bin/python3    # Debian's interpreter, never the python3 first on PATH

# Peers: Debian's torch and numpy.
if ! "$PY" -c 'import torch, numpy' >/dev/null 2>&1; then
    echo "== installing python3-torch python3-numpy from Debian"
    SUDO=
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO=sudo
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-torch python3-numpy
fi

REPEAT=${REPEAT:-2}
if [ "${NB_BENCH_NO_BUILD:-0}" = 1 ]; then
    echo "== NB_BENCH_NO_BUILD=1: using the binaries already in $BUILD"
else
    echo "== building nabla (Release) in $BUILD"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" -j2 --target peak_fma bench_overhead bench_matmul bench_linreg bench_events bench_mlp bench_cnn bench_conv >/dev/null
fi

# field KEY FILE: the value of KEY=... on the first RESULT line of FILE.
field() {
    grep '^RESULT' "$2" | head -1 | tr ' ' '\n' | sed -n "s/^$1=//p"
}
# fmin KEY FILE: the smallest value of KEY=... over every RESULT line of FILE.
fmin() {
    grep '^RESULT' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | sort -g | head -1
}
# mfield THREADS KEY FILE: as field, on the RESULT line with threads=THREADS.
mfield() {
    grep "^RESULT threads=$1 " "$3" | head -1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
SUMMARY="$TMP/summary"
: >"$SUMMARY"
row() { printf '%-34s | %-26s | %-30s | %-9s | %s\n' "$@" | tee -a "$SUMMARY"; }

overhead() {
    for t in 1 2; do
        if [ "$t" = 1 ]; then p_omp=1; p_blas=1; else p_omp=2; p_blas=1; fi
        echo "== per-op overhead, $t thread(s): nabla OMP=$t BLAS=$t nb_set_num_threads($t);" \
             "PyTorch OMP=$p_omp BLAS=$p_blas torch.set_num_threads($t)"
        : >"$TMP/nb_ovh_$t"
        : >"$TMP/pt_ovh_$t"
        for _ in $(seq "$REPEAT"); do
            OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t "$BUILD/bench_overhead" --threads "$t" \
                | tee -a "$TMP/nb_ovh_$t"
            OMP_NUM_THREADS=$p_omp OPENBLAS_NUM_THREADS=$p_blas "$PY" "$ROOT/bench/peer_overhead.py" \
                --threads "$t" | tee -a "$TMP/pt_ovh_$t"
        done
        nb=$(fmin overhead_ns_per_op "$TMP/nb_ovh_$t")
        ng=$(fmin nograd_us_per_op "$TMP/pt_ovh_$t")
        ag=$(fmin autograd_us_per_op "$TMP/pt_ovh_$t")
        ngns=$(awk -v u="$ng" 'BEGIN { printf "%.1f", u * 1000 }')
        agns=$(awk -v u="$ag" 'BEGIN { printf "%.1f", u * 1000 }')
        row "1000-Add chain, ns/op, ${t}T" "nabla $nb" "torch no_grad $ngns" \
            "x$(div "$ngns" "$nb")" "nabla OMP=$t BLAS=$t; torch OMP=$p_omp BLAS=$p_blas set_num_threads($t)"
        row "  (reference: autograd on)" "nabla $nb" "torch autograd $agns" \
            "x$(div "$agns" "$nb")" ""
    done
}

matmul() {
    for t in 1 2; do
        echo "== float32 1024^3 matmul, $t thread(s): OMP=$t BLAS=$t, nb_set_num_threads($t)" \
             "vs openblas_set_num_threads($t)"
        OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t "$BUILD/bench_matmul" --threads "$t" --reps 10 \
            | tee "$TMP/mm_$t"
        row "matmul 1024^3 GFLOP/s, ${t}T" "nabla $(mfield "$t" nabla_gflops "$TMP/mm_$t")" \
            "raw cblas_sgemm $(mfield "$t" raw_gflops "$TMP/mm_$t")" \
            "$(mfield "$t" ratio "$TMP/mm_$t")" "both OMP=$t BLAS=$t, $t OpenBLAS threads"
    done
}

linreg() {
    for t in 1 2; do
        if [ "$t" = 1 ]; then p_omp=1; p_blas=1; else p_omp=2; p_blas=1; fi
        echo "== linear regression, 10,000 steps, $t thread(s): nabla OMP=$t BLAS=$t;" \
             "PyTorch OMP=$p_omp BLAS=$p_blas torch.set_num_threads($t)"
        : >"$TMP/nb_lr_$t"
        : >"$TMP/pt_lr_$t"
        for _ in $(seq "$REPEAT"); do
            OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t "$BUILD/bench_linreg" --threads "$t" \
                | tee -a "$TMP/nb_lr_$t"
            OMP_NUM_THREADS=$p_omp OPENBLAS_NUM_THREADS=$p_blas "$PY" "$ROOT/bench/peer_linreg.py" \
                --threads "$t" | tee -a "$TMP/pt_lr_$t"
        done
        nb=$(fmin us_per_step "$TMP/nb_lr_$t")
        pt=$(fmin us_per_step "$TMP/pt_lr_$t")
        row "linreg us/step, ${t}T" "nabla $nb" "torch SGD $pt" "x$(div "$pt" "$nb")" \
            "nabla OMP=$t BLAS=$t; torch OMP=$p_omp BLAS=$p_blas set_num_threads($t)"
        row "  final W0 W1 b" \
            "$(field W0 "$TMP/nb_lr_$t") $(field W1 "$TMP/nb_lr_$t") $(field b "$TMP/nb_lr_$t")" \
            "$(field W0 "$TMP/pt_lr_$t") $(field W1 "$TMP/pt_lr_$t") $(field b "$TMP/pt_lr_$t")" "" ""
    done
}

events() {
    echo "== 100,000 scalar events: nabla's writer vs python3-protobuf + pure-Python CRC32C (1 thread each)"
    if ! "$PY" -c 'import google.protobuf' >/dev/null 2>&1; then
        SUDO=
        [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO=sudo
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-protobuf
    fi
    [ -x "$BUILD/bench_events" ] || cmake --build "$BUILD" -j2 --target bench_events >/dev/null
    OMP_NUM_THREADS=1 "$BUILD/bench_events" | tee "$TMP/nb_ev"
    "$PY" "$ROOT/bench/peer_events.py" | tee "$TMP/py_ev"
    nb=$(field events_per_s "$TMP/nb_ev")
    py=$(field events_per_s "$TMP/py_ev")
    row "scalar events/s (bytes/event)" "nabla $nb ($(field bytes_per_event "$TMP/nb_ev"))" \
        "python3-protobuf $py ($(field bytes_per_event "$TMP/py_ev"))" "x$(div "$nb" "$py")" "1 thread each"
}

# flops_per_image NAME: the model's float32 FLOPs per trained image (see the header).
# mlp 784-256-256-10: forward 2*sum(in*out), weight gradients the same, input
# gradients for layers 2 and 3. cnn (28x28x1 -> conv5x5x32 SAME -> pool ->
# conv5x5x64 SAME -> pool -> 3136x1024 -> 1024x10): conv1 2*28*28*32*25*1,
# conv2 2*14*14*64*25*32, dense 2*3136*1024 and 2*1024*10; forward + weight
# gradients + input gradients of all but conv1. "cnn_wino" is the same with
# conv2's three products at 36/100 (F(2x2,5x5): 36 multiplies per 2x2 tile
# against 100; transforms left out).
flops_per_image() {
    awk -v m="$1" 'BEGIN {
        if (m == "mlp") { l1 = 2*784*256; l2 = 2*256*256; l3 = 2*256*10; print 3*(l1+l2+l3) - l1; exit }
        c1 = 2*28*28*32*25; c2 = 2*14*14*64*25*32; d1 = 2*3136*1024; d2 = 2*1024*10
        if (m == "cnn_wino") c2 = c2 * 36 / 100
        print 3*(c1+c2+d1+d2) - c1 }'
}
# pct LIMIT_S TIME_S: LIMIT_S / TIME_S in percent.
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.0f%%", 100 * a / b }'; }

# fashion NAME BATCHES: a Fashion-MNIST training epoch (bench_NAME vs peer_NAME.py):
# epoch seconds (extrapolated when BATCHES > 0) and peak RSS, best of REPEAT each,
# with the FMA peak measured in the same run and each side's fraction of the limit.
fashion() {
    fpi=$(flops_per_image "$1")
    for t in 1 2; do
        if [ "$t" = 1 ]; then p_omp=1; p_blas=1; else p_omp=2; p_blas=1; fi
        echo "== Fashion-MNIST $1 epoch, $t thread(s), warm-up ${WARMUP:-5} batches, timed batches ${2} (0: all):" \
             "nabla OMP=$t BLAS=$t nb_set_num_threads($t); PyTorch OMP=$p_omp BLAS=$p_blas torch.set_num_threads($t);" \
             "load $(cut -d' ' -f1-3 /proc/loadavg)"
        : >"$TMP/nb_$1_$t"
        : >"$TMP/pt_$1_$t"
        : >"$TMP/pk_$1_$t"
        for _ in $(seq "$REPEAT"); do
            "$BUILD/peak_fma" --threads "$t" | tee -a "$TMP/pk_$1_$t"
            OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t "$BUILD/bench_$1" --threads "$t" --batches "$2" \
                --warmup "${WARMUP:-5}" | tee -a "$TMP/nb_$1_$t"
            OMP_NUM_THREADS=$p_omp OPENBLAS_NUM_THREADS=$p_blas "$PY" "$ROOT/bench/peer_$1.py" \
                --threads "$t" --batches "$2" --warmup "${WARMUP:-5}" | tee -a "$TMP/pt_$1_$t"
        done
        nb=$(fmin epoch_s "$TMP/nb_$1_$t")
        pt=$(fmin epoch_s "$TMP/pt_$1_$t")
        pk=$(grep '^RESULT' "$TMP/pk_$1_$t" | tr ' ' '\n' | sed -n 's/^gflops=//p' | sort -g | tail -1)
        lim=$(awk -v f="$fpi" -v p="$pk" 'BEGIN { printf "%.3f", f * 60000 / (p * 1e9) }')
        ex=""
        [ "$(field extrapolated "$TMP/nb_$1_$t")" = 1 ] && ex=" (extrap.)"
        row "$1 epoch s${ex}, ${t}T" "nabla $nb" "torch $pt" "x$(div "$pt" "$nb")" \
            "nabla OMP=$t BLAS=$t; torch OMP=$p_omp BLAS=$p_blas set_num_threads($t)"
        row "  $1 s per 10,000 images, ${t}T" "nabla $(fmin per10k_s "$TMP/nb_$1_$t")" \
            "torch $(fmin per10k_s "$TMP/pt_$1_$t")" "" \
            "window halves differ (1st run): nabla $(field halves_pct "$TMP/nb_$1_$t")%, torch $(field halves_pct "$TMP/pt_$1_$t")%"
        row "  $1 limit s/epoch, ${t}T" "nabla $(pct "$lim" "$nb") of it" "torch $(pct "$lim" "$pt") of it" \
            "$lim s" "$(awk -v f="$fpi" 'BEGIN { printf "%.2f", f / 1e6 }') MFLOP/image direct count / peak_fma $pk GFLOP/s"
        if [ "$1" = cnn ]; then
            fw=$(flops_per_image cnn_wino)
            lw=$(awk -v f="$fw" -v p="$pk" 'BEGIN { printf "%.3f", f * 60000 / (p * 1e9) }')
            row "  cnn limit, Winograd count, ${t}T" "nabla $(pct "$lw" "$nb") of it" "torch $(pct "$lw" "$pt") of it" \
                "$lw s" "$(awk -v f="$fw" 'BEGIN { printf "%.2f", f / 1e6 }') MFLOP/image with conv2 at 36/100"
        fi
        nr=$(fmin maxrss_mib "$TMP/nb_$1_$t")
        pr=$(fmin maxrss_mib "$TMP/pt_$1_$t")
        row "  $1 peak RSS MiB, ${t}T" "nabla $nr" "torch $pr" "x$(div "$pr" "$nr")" \
            "acc nabla $(field acc "$TMP/nb_$1_$t"), torch $(field acc "$TMP/pt_$1_$t"); load $(cut -d' ' -f1-3 /proc/loadavg)"
    done
}
# conv: the CNN's two convolution layers alone, forward and forward+backward
# (bench_conv runs its peer, bench/peer_conv.py, itself, with OMP=T BLAS=1 and
# nabla with nb_set_num_threads(T)); the best step time of REPEAT runs each.
conv() {
    echo "== the CNN's two conv layers (5x5x1x32, 5x5x32x64 SAME + ReLU + max-pool), batch 64:" \
         "nabla nb_set_num_threads(T); PyTorch OMP=T BLAS=1 torch.set_num_threads(T)"
    : >"$TMP/conv"
    for _ in $(seq "$REPEAT"); do
        (cd "$ROOT" && "$BUILD/bench_conv" --threads 1,2) | tee -a "$TMP/conv"
    done
    for t in 1 2; do
        grep "^RESULT threads=$t " "$TMP/conv" >"$TMP/conv_$t"
        nb=$(fmin nabla_step_ms "$TMP/conv_$t")
        pt=$(fmin torch_step_ms "$TMP/conv_$t")
        row "conv layers fwd+bwd ms, ${t}T" "nabla $nb" "torch $pt" "x$(div "$pt" "$nb")" \
            "nabla T=$t; torch OMP=$t BLAS=1 set_num_threads($t)"
    done
}
mlp() { fashion mlp 0; }
cnn() { fashion cnn "${CNN_BATCHES:-157}"; }

[ $# -eq 0 ] && set -- overhead matmul linreg mlp cnn conv events
for b in "$@"; do
    case "$b" in
        overhead|matmul|linreg|mlp|cnn|conv|events) "$b" ;;
        *) echo "unknown benchmark '$b' (overhead, matmul, linreg, mlp, cnn, conv, events)" >&2; exit 2 ;;
    esac
done

echo
echo "== summary ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "ratio: peer time / nabla time (overhead, linreg, mlp, cnn, conv: higher is better for nabla; peak RSS: peer / nabla); nabla/raw GFLOP/s (matmul)"
printf '%-34s | %-26s | %-30s | %-9s | %s\n' "benchmark" "nabla" "peer" "ratio" "threads"
cat "$SUMMARY"
