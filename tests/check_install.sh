#!/usr/bin/env bash
# `cmake --install` into a temporary prefix that is not the one CMake was
# configured with, then build examples/hello.c as a user would, twice:
#   1. with pkg-config (nabla.pc is relocatable: its paths are ${pcfiledir}-relative);
#   2. with CMake's find_package(nabla) and target_link_libraries(app nabla::nabla),
#      and again against nabla::nabla_static.
# The prefix is then moved elsewhere and (1) is repeated: nothing may point back.
set -euo pipefail
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
configured=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
[ "$configured" != "$tmp/prefix" ] || { echo "the test prefix must differ from the configured one"; exit 1; }

with_pkgconfig() { # $1 = prefix
  local pcdir
  pcdir=$(dirname "$(find "$1" -name nabla.pc | head -1)")
  PKG_CONFIG_PATH="$pcdir" cc "$src/examples/hello.c" $(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags nabla) \
    $(PKG_CONFIG_PATH="$pcdir" pkg-config --libs --static nabla) -o "$tmp/hello_pc"
  LD_LIBRARY_PATH="$(PKG_CONFIG_PATH="$pcdir" pkg-config --variable=libdir nabla)" "$tmp/hello_pc" | grep -qF 'a + b = 5'
}
with_pkgconfig "$tmp/prefix"
echo "install + pkg-config: ok"

mkdir -p "$tmp/app"
cp "$src/examples/hello.c" "$tmp/app/hello.c"
cat > "$tmp/app/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(app C)
find_package(nabla 0.1 REQUIRED)
add_executable(hello_shared hello.c)
target_link_libraries(hello_shared nabla::nabla)
add_executable(hello_static hello.c)
target_link_libraries(hello_static nabla::nabla_static)
CM
cmake -S "$tmp/app" -B "$tmp/app/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/app/build" >/dev/null
LD_LIBRARY_PATH="$(dirname "$(find "$tmp/prefix" -name 'libnabla.so.0' | head -1)")" \
  "$tmp/app/build/hello_shared" | grep -qF 'a + b = 5'
"$tmp/app/build/hello_static" | grep -qF 'a + b = 5'
echo "install + find_package(nabla): ok"

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

mv "$tmp/prefix" "$tmp/moved"
with_pkgconfig "$tmp/moved"
echo "moved prefix + pkg-config: ok"
