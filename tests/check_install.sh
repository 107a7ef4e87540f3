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
# The Python package, when the build made it: installed under the prefix's
# site directory (lib/python3.X/dist-packages), importable from there alone.
so=$(find "$tmp/prefix" -name '_nabla*.so' | head -1)
if [ -n "$so" ]; then
  site=$(dirname "$(dirname "$so")")
  case "$site" in "$tmp/prefix"/lib/python3*/dist-packages) ;; *) echo "python package in $site" >&2; exit 1 ;; esac
  (cd "$tmp" && PYTHONPATH="$site" /usr/bin/python3 -c '
import nabla, nabla._nabla as n
assert nabla.__file__.startswith("'"$site"'"), nabla.__file__
g = n.Graph()
import numpy as np
y = n.add(g, n.constant(g, np.float32(2)), n.constant(g, np.float32(3)))
assert n.Session(g).run([y])[0] == 5
')
  echo "install + python package: ok"
fi
