#!/bin/sh
# check-format.sh - every C file follows .clang-format (clang-format 14).
# With --fix, rewrite them instead.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
[ -n "$files" ] || exit 0
if [ "${1:-}" = --fix ]; then
    clang-format -i $files
    exit 0
fi
clang-format --dry-run --Werror $files
