#!/usr/bin/env bash
# include/nabla.h compiles alone as C99 -pedantic and as C++.
set -euo pipefail
hdr=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include "%s"\nint main(void) { return nb_output_is_nil(nb_nil) ? 0 : 1; }\n' "$hdr" > "$tmp/a.c"
cc -std=c99 -pedantic -Wall -Wextra -Werror -c "$tmp/a.c" -o "$tmp/a.o"
if command -v c++ >/dev/null 2>&1; then
  cp "$tmp/a.c" "$tmp/b.cpp"
  c++ -Wall -Wextra -Werror -c "$tmp/b.cpp" -o "$tmp/b.o"
  echo "header: ok (C99 pedantic and C++)"
else
  echo "header: ok (C99 pedantic; no C++ compiler here)"
fi
