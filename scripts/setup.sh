#!/usr/bin/env bash
# Installs the Debian packages nabla needs to build and test, only when one is
# missing (a second run is quick). Run as root or with sudo available.
set -euo pipefail
PKGS=(build-essential cmake pkg-config libopenblas-openmp-dev libcsv-dev python3-numpy
      libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libstb-dev
      libgraphviz-dev libplplot-dev plplot-driver-cairo
      zlib1g-dev libcjson-dev libpng-dev libjpeg62-turbo-dev
      libopenmpi-dev openmpi-bin)
# `setup.sh --fuzz` adds the fuzzing toolchain (clang 14 with libFuzzer), which
# only the fuzz build (fuzz/, -DNABLA_FUZZ=ON) needs.
if [ "${1:-}" = "--fuzz" ]; then PKGS+=(clang-14 libclang-rt-14-dev); fi
# `setup.sh --examples` adds Fashion-MNIST (under /usr/share/datasets/fashion-mnist/),
# which the course's programs train on; the tests do not need it.
if [ "${1:-}" = "--examples" ]; then PKGS+=(dataset-fashion-mnist); fi
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
