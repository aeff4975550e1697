#!/usr/bin/env bash
# code_report.sh: the shape of the C code, for a reader and for reviews.
#
#   bash scripts/code_report.sh [N]
#
# Prints the lines of C per folder, the N (default 10) longest functions
# with their lengths (from the opening to the closing brace at column 0,
# the way the code is indented), and the include graph between the layers.
# It reads the source only: no build, no server.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:-10}

echo "== lines of C per folder"
for d in src/base src/engine src/api src; do
    if [ "$d" = src ]; then files=(src/*.c); else files=("$d"/*.c "$d"/*.h); fi
    printf '%-12s %6d\n' "$d" "$(cat "${files[@]}" 2>/dev/null | wc -l)"
done
printf '%-12s %6d\n' total "$(find src -name '*.[ch]' -print0 | xargs -0 cat | wc -l)"

echo
echo "== the $n longest functions (lines)"
for f in $(find src -name '*.c' | sort); do
    awk -v F="$f" '
        /^[A-Za-z_].*\(/ && !/;[[:space:]]*$/ { name = $0; sub(/\(.*/, "", name) }
        /^\{/ { start = NR }
        /^\}/ && start { printf "%5d  %s  %s\n", NR - start + 1, F, name; start = 0 }
    ' "$f"
done | sort -rn | head -n "$n"

echo
echo "== include graph (file -> header of api/, engine/ or base/)"
grep -rHoE '^#include "(api|engine|base)/[a-z_]+\.h"' src --include=*.c --include=*.h \
    | sed 's/:#include "/ -> /; s/"$//' | sort
