#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# test_profile.sh - the pam-auth-update profile (packaging/pam-configs/
# apikey) has the fields pam-auth-update needs, and every argument it gives
# pam_apikey.so is one the module knows: a typo there would be logged and
# ignored on every login of every service.
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
[ $fail = 0 ] && echo "ok: $profile"
exit $fail
