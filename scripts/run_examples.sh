#!/usr/bin/env bash
# The main job: builds nabla and runs the course's programs in order, from
# examples/: their TensorBoard logs go to examples/logs/<program>/ and their
# figures to examples/figures/. Then the same course in Python (examples/python/,
# `import nabla as tf`, the package the build assembled in build/python/).
set -euo pipefail
cd "$(dirname "$0")/.."
# No OMP_WAIT_POLICY is needed on a busy machine: nabla sizes its thread team
# to the cores other processes leave idle (include/nabla.h, nb_set_num_threads).
scripts/setup.sh --examples
scripts/build.sh build
cd examples
for prog in hello hw2 linear_regression logistic_regression softmax_classification xor learning_rate kmeans cross_validation fashion_mlp fashion_cnn image_folder_cnn; do
  echo
  echo "=== $prog ==="
  case "$prog" in
    linear_regression) ../build/$prog --check ;;
    logistic_regression) ../build/$prog --smoke ;;
    fashion_mlp) ../build/$prog --epochs 2 ;;
    fashion_cnn) ../build/$prog --epochs 1 --train-size 12800 ;;
    image_folder_cnn) ../build/$prog --smoke ;;  # no image folder ships; pass DIR to train on yours
    *) ../build/$prog ;;
  esac
done

# The course in Python: the programs as the course wrote them, but the import
# line. run_example.py runs one unchanged and saves its figures (MPLBACKEND=Agg)
# under examples/python/figures/.
cd python
export PYTHONPATH="$PWD/../../build/python${PYTHONPATH:+:$PYTHONPATH}" MPLBACKEND=Agg
for prog in hw2 linear_regression logistic_regression softmax_regression xor fashion_mlp fashion_cnn; do
  echo
  echo "=== python: $prog.py ==="
  case "$prog" in
    fashion_mlp) /usr/bin/python3 fashion_mlp.py /usr/share/datasets/fashion-mnist 2 ;;
    fashion_cnn) /usr/bin/python3 fashion_cnn.py /usr/share/datasets/fashion-mnist 1 12800 ;;
    *) /usr/bin/python3 run_example.py "$prog.py" ;;
  esac
done
