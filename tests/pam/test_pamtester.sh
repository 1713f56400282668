#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# test_pamtester.sh - end to end with a real PAM application: pamtester
# under pam_wrapper with a private service dir logs in with a key made by
# the apikey CLI, gets the expiry warning, and is refused a wrong key.
#   test_pamtester.sh APIKEY_CLI TEMPLATES LIBPAM_WRAPPER MODULE
set -u
cli=$1 templates=$2 wrapper=$3 module=$4
here=$(cd "$(dirname "$0")" && pwd)
command -v pamtester >/dev/null || { echo "pamtester missing" >&2; exit 77; }
: "${AK_TEST_CONF:?run through tests/ldap/with-slapd.sh}"
. "$here/pam-env.sh"
pam_env_setup "$templates" "$wrapper" "$module" apikey
fail=0
check() { # check WANT_STATUS PATTERN KEY USER [OPS...]
    want=$1 pattern=$2 key=$3 user=$4
    shift 4
    out=$(printf '%s\n' "$key" | $PAM_RUN pamtester apikey "$user" "$@" 2>&1)
    st=$?
    if [ "$st" != "$want" ] || ! printf '%s' "$out" | grep -q "$pattern"; then
        echo "FAIL: pamtester $user $*: status $st, want $want" \
            "and /$pattern/:" >&2
        printf '%s\n' "$out" >&2
        fail=1
    else
        echo "ok: pamtester $user $* -> $pattern"
    fi
    # never the key, not even in pam_wrapper's copy of the syslog lines
    secret=${key#*_*_}
    if [ ${#secret} -ge 8 ] && printf '%s' "$out" | grep -qF -- "$secret"; then
        echo "FAIL: the key appears in the output" >&2
        fail=1
    fi
}
key=$(new_key "$cli" alice --days 3) || { cat cli.log >&2; exit 1; }
bob=$(new_key "$cli" bob) || { cat cli.log >&2; exit 1; }
check 0 "successfully authenticated" "$key" alice authenticate
check 0 "expires in 3 days" "$key" alice authenticate acct_mgmt
check 0 "account management done" "$key" alice authenticate acct_mgmt
check 1 "Authentication failure" "$bob" alice authenticate
check 1 "Authentication failure" "hunter2" alice authenticate
check 1 "Authentication failure" "$key" nosuchuser authenticate
exit $fail
