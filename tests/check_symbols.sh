#!/usr/bin/env bash
# Every symbol the library exports starts with nb_ or nbi_ (cairo's check-def.sh).
set -euo pipefail
lib=$1
bad=$(nm -g --defined-only "$lib" | awk 'NF==3 {print $3}' | grep -vE '^(nb_|nbi_|__odr_asan)' | sort -u || true)
if [ -n "$bad" ]; then
  echo "exported symbols without the nb_/nbi_ prefix:"; echo "$bad"; exit 1
fi
echo "symbol prefixes: ok ($(nm -g --defined-only "$lib" | awk 'NF==3' | wc -l) symbols)"
