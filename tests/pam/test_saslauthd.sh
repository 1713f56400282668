#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# test_saslauthd.sh - end to end the way Postfix and Cyrus IMAP use PAM:
# saslauthd -a pam (its own socket dir, under pam_wrapper) asked by
# testsaslauthd for the smtp and imap services; a key scoped to smtp works
# for smtp only. saslauthd is stopped by its PID at the end.
#   test_saslauthd.sh APIKEY_CLI TEMPLATES LIBPAM_WRAPPER MODULE
set -u
cli=$1 templates=$2 wrapper=$3 module=$4
here=$(cd "$(dirname "$0")" && pwd)
for p in saslauthd testsaslauthd; do
    command -v $p >/dev/null || PATH=$PATH:/usr/sbin
    command -v $p >/dev/null || { echo "$p missing" >&2; exit 77; }
done
: "${AK_TEST_CONF:?run through tests/ldap/with-slapd.sh}"
. "$here/pam-env.sh"
pam_env_setup "$templates" "$wrapper" "$module" smtp imap
key=$(new_key "$cli" alice) || { cat cli.log >&2; exit 1; }
smtp_only=$(new_key "$cli" bob --scope smtp) || { cat cli.log >&2; exit 1; }

mkdir -p mux
# -d: foreground (so $! is its PID), -n 0: a process per request. Its own
# session: on SIGTERM saslauthd signals its whole process group, which
# would otherwise be this script and with-slapd.sh.
$PAM_RUN setsid saslauthd -a pam -m "$PWD/mux" -n 0 -d >saslauthd.log 2>&1 &
pid=$!
stop() {
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
trap stop EXIT
i=0
while [ ! -S mux/mux ]; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
        echo "saslauthd did not start:" >&2
        cat saslauthd.log >&2
        exit 1
    fi
    sleep 0.05
done

fail=0
ask() { # ask WANT USER PASSWORD SERVICE
    out=$(testsaslauthd -u "$2" -p "$3" -s "$4" -f "$PWD/mux/mux" 2>&1)
    case $out in
    *"0: $1"*) echo "ok: $2 via $4 -> $1" ;;
    *) echo "FAIL: $2 via $4: $out (want $1)" >&2; fail=1 ;;
    esac
}
ask OK alice "$key" smtp
ask OK alice "$key" imap
ask NO alice "$smtp_only" smtp
ask OK bob "$smtp_only" smtp
ask NO bob "$smtp_only" imap
ask NO alice hunter2 smtp
ask NO nosuchuser "$key" imap
stop
trap - EXIT
for k in "$key" "$smtp_only"; do
    if grep -qF -- "${k#*_*_}" saslauthd.log; then
        echo "FAIL: a key appears in saslauthd's log" >&2
        fail=1
    fi
done
grep -q "accepted key" saslauthd.log || {
    echo "FAIL: no module log line reached saslauthd's log" >&2
    fail=1
}
[ $fail = 0 ] || cat saslauthd.log >&2
exit $fail
