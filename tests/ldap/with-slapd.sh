#!/bin/bash
# with-slapd.sh - run one test command beside its own throwaway slapd(s).
#
#   with-slapd.sh [-n N] COMMAND [ARG...]
#
# Starts N (default 1) servers with slapd-harness.sh in a fresh temp dir,
# exports the first one's DIR/env (the second one's as AK_TEST2_*, ...),
# runs COMMAND in that dir, stops the servers. The temp dir is removed when
# the command passes and kept (its path printed) when it fails, so slapd's
# logs can be read. Exit status is the command's; 77 means skipped.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=1
if [ "${1:-}" = -n ]; then n=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: $0 [-n N] COMMAND [ARG...]" >&2; exit 2; }

# The command runs in a work dir of its own: make a relative path absolute.
case "$1" in
*/*) cmd="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; shift; set -- "$cmd" "$@" ;;
esac

base=$(mktemp -d "${TMPDIR:-/tmp}/akt.XXXXXX")
cleanup() {
    for i in $(seq 1 "$n"); do "$here/slapd-harness.sh" stop "$base/s$i"; done
}
trap 'cleanup; exit 130' INT TERM

for i in $(seq 1 "$n"); do
    "$here/slapd-harness.sh" start "$base/s$i"
    rc=$?
    if [ $rc -ne 0 ]; then cleanup; rm -rf "$base"; exit $rc; fi
    if [ "$i" = 1 ]; then
        set -a; . "$base/s$i/env"; set +a
    else
        while IFS='=' read -r k v; do
            export "AK_TEST${i}_${k#AK_TEST_}=$v"
        done <"$base/s$i/env"
    fi
done

mkdir -p "$base/work"
# AK_TEST_WRAPPER (e.g. valgrind) wraps a test program, never a script:
# test scripts wrap the programs they run themselves.
wrapper=${AK_TEST_WRAPPER:-}
[ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] || wrapper=
(cd "$base/work" && $wrapper "$@")
rc=$?
cleanup
if [ $rc -eq 0 ] || [ $rc -eq 77 ]; then
    rm -rf "$base"
else
    echo "with-slapd: test failed (status $rc); logs kept in $base" >&2
fi
exit $rc
