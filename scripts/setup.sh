#!/usr/bin/env bash
# Installs the Debian packages nabla needs to build and test, only when one is
# missing (a second run is quick). Run as root or with sudo available.
set -euo pipefail
PKGS=(build-essential cmake pkg-config libopenblas-openmp-dev libcsv-dev python3-numpy
      python3-dev python3-pytest python3-matplotlib
      libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libstb-dev
      libgraphviz-dev libplplot-dev plplot-driver-cairo
      zlib1g-dev libcjson-dev libpng-dev libjpeg62-turbo-dev
      libmicrohttpd-dev libopenmpi-dev openmpi-bin)
# libmicrohttpd-dev: `nabla board`'s server. Open MPI: the distributed library
# (libnabla_dist, src/dist/) and its mpirun tests.
# Options (any number of them):
#   --fuzz      the fuzzing toolchain (clang 14 with libFuzzer) for the fuzz build
#               (fuzz/, -DNABLA_FUZZ=ON);
#   --examples  Fashion-MNIST (under /usr/share/datasets/fashion-mnist/), which the
#               course's programs train on (the tests do not need it);
#   --tests     what only the test suite needs: chromium for `nabla board`'s browser
#               test (headless; as root it runs with --no-sandbox, which the test adds).
for opt in "$@"; do
  case "$opt" in
    --fuzz) PKGS+=(clang-14 libclang-rt-14-dev) ;;
    --examples) PKGS+=(dataset-fashion-mnist) ;;
    --tests) PKGS+=(chromium) ;;
    *) echo "setup.sh: unknown option '$opt' (known: --fuzz --examples --tests)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
