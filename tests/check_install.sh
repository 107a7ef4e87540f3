#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then build examples/hello.c the way a
# user would: with pkg-config, against the installed header and library.
set -euo pipefail
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
pcdir=$(dirname "$(find "$tmp/prefix" -name nabla.pc | head -1)")
export PKG_CONFIG_PATH="$pcdir"
# the .pc file names the prefix CMake was configured with; point it at the temporary one
sed -i "s|^prefix=.*|prefix=$tmp/prefix|" "$pcdir/nabla.pc"
cc "$src/examples/hello.c" $(pkg-config --cflags nabla) $(pkg-config --libs --static nabla) -o "$tmp/hello"
LD_LIBRARY_PATH="$(pkg-config --variable=libdir nabla)" "$tmp/hello"
echo "install + pkg-config: ok"
