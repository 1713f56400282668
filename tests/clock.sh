#!/bin/bash
# clock.sh - the clock the tests see is the real one moved ahead by
# AK_TEST_CLOCK_AHEAD seconds (0 unless meson test --setup future), and the
# same for everything a test starts: a program (date), openssl (the test
# CA made by slapd-harness.sh) and slapd (the modifyTimestamp it writes).
# The real clock is read by a date(1) without the preloaded libfaketime.
# Run through tests/ldap/with-slapd.sh.
set -uo pipefail
: "${AK_TEST_URI:?run through tests/ldap/with-slapd.sh}"
export LDAPNOINIT=1
ahead=${AK_TEST_CLOCK_AHEAD:-0}
fail=0

real=$(env -u LD_PRELOAD -u FAKETIME date +%s)
# near WHAT EPOCH: EPOCH is AHEAD seconds past the real time, give or take
# a minute (the slapd was started a moment before this script)
near() {
    local d=$(($2 - real - ahead))
    if [ "${d#-}" -le 60 ]; then
        echo "ok - $1: $(date -u -d "@$2" '+%F %T') (real clock + ${ahead}s, off by ${d}s)"
    else
        echo "not ok - $1: $(date -u -d "@$2" '+%F %T'), wanted the real clock + ${ahead}s (off by ${d}s)"
        fail=1
    fi
}

near "a program's clock" "$(date +%s)"

start=$(openssl x509 -in "$AK_TEST_CA" -noout -startdate | sed 's/^notBefore=//')
near "the test CA's notBefore (openssl)" "$(date -u -d "$start" +%s)"

printf 'dn: %s\nchangetype: modify\nreplace: description\ndescription: clock\n' \
    "$AK_TEST_SUFFIX" |
    ldapmodify -x -H "$AK_TEST_URI" -D "$AK_TEST_ROOTDN" -w "$AK_TEST_ROOTPW" >/dev/null ||
    { echo "not ok - ldapmodify"; exit 1; }
ts=$(ldapsearch -x -LLL -H "$AK_TEST_URI" -D "$AK_TEST_ROOTDN" -w "$AK_TEST_ROOTPW" \
    -b "$AK_TEST_SUFFIX" -s base modifyTimestamp |
    sed -n 's/^modifyTimestamp: \([0-9]\{8\}\)\([0-9]\{2\}\)\([0-9]\{2\}\)\([0-9]\{2\}\)Z$/\1 \2:\3:\4/p')
[ -n "$ts" ] || { echo "not ok - no modifyTimestamp"; exit 1; }
near "slapd's clock (modifyTimestamp)" "$(date -u -d "$ts" +%s)"

exit $fail
