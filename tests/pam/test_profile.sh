#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# test_profile.sh - the pam-auth-update profile (packaging/pam-configs/
# apikey) has the fields pam-auth-update needs, and every argument it gives
# pam_apikey.so is one the module knows: a typo there would be logged and
# ignored on every login of every service; with the README as second
# argument, the profile's auth control is the README's recommended line.
set -u
profile=$1
fail=0
for field in Name Default Priority Auth-Type Auth Auth-Initial Account-Type \
    Account; do
    grep -q "^$field:" "$profile" || {
        echo "missing field $field" >&2
        fail=1
    }
done
grep -q '^Default: no$' "$profile" || {
    echo "the profile must be off by default (it needs apikey.conf)" >&2
    fail=1
}
# arguments after pam_apikey.so; a [bracketed arg with spaces] is one
grep 'pam_apikey\.so' "$profile" | sed 's/.*pam_apikey\.so//' |
    sed 's/\[[^]]*\]/BRACKETED/g' | tr ' \t' '\n\n' | grep -v '^$' |
    sort -u >args.txt
while read -r arg; do
    case $arg in
    debug | use_first_pass | try_first_pass | ignore_non_keys | BRACKETED) ;;
    config=/* | warn_days=[0-9]*) ;;
    *) echo "unknown pam_apikey argument in profile: $arg" >&2; fail=1 ;;
    esac
done <args.txt
rm -f args.txt
# The profile's auth control is the README's recommended line, with
# pam-auth-update's success=end for success=done.
if [ $# -ge 2 ]; then
    want=$(grep -m1 '^auth  *\[success=done.*pam_apikey\.so ignore_non_keys' "$2" |
        sed 's/^auth *\(\[[^]]*\]\).*/\1/; s/success=done/success=end/')
    [ -n "$want" ] || { echo "no recommended line in $2" >&2; fail=1; }
    for field in Auth Auth-Initial; do
        got=$(sed -n "/^$field:/{n;p}" "$profile" | sed 's/^[[:space:]]*\(\[[^]]*\]\).*/\1/')
        [ "$got" = "$want" ] || {
            echo "$field: control $got, the README recommends $want" >&2
            fail=1
        }
    done
fi
[ $fail = 0 ] && echo "ok: $profile"
exit $fail
