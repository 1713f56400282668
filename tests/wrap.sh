#!/bin/sh
# wrap.sh - run a test binary under $AK_TEST_WRAPPER (e.g. valgrind), as
# with-slapd.sh does for the tests that need a server.
exec ${AK_TEST_WRAPPER:-} "$@"
