#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# run-valgrind.sh - R-01/R-03: run a PAM test program under valgrind
# memcheck (leaks and errors are failures), following its re-exec into
# pam_wrapper. Skipped in ASan builds (two instrumentations do not mix).
#   run-valgrind.sh VALGRIND SUPPRESSIONS PROGRAM [ARGS...]
set -u
vg=$1 supp=$2
shift 2
if [ "${AKTP_ASAN:-0}" = 1 ]; then
    echo "ASan build: valgrind skipped" >&2
    exit 77
fi
export AKTP_VALGRIND=1 # aktp_init: PAM_WRAPPER_DISABLE_DEEPBIND=1
unset AK_TEST_WRAPPER  # --setup valgrind: this script is the wrapper
exec "$vg" --quiet --error-exitcode=1 --leak-check=full \
    --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible \
    --trace-children=yes --child-silent-after-fork=yes \
    --suppressions="$supp" "$@"
