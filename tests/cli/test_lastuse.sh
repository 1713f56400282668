#!/bin/bash
# test_lastuse.sh - last-use tracking: off by default (no writes at all);
# when on, the verifier writes a key's apiKeyLastUsed at most once per
# interval, counted in slapd's own log; a write it may not make never
# fails a login (that part is in test_manage.sh, without ACLs). Runs with the shipped ACLs, which let the verifier's bind
# write that attribute and nothing else.
# Usage (from meson): test_lastuse.sh /path/to/with-slapd.sh /path/to/apikey
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

if [ "${1:-}" != --inner ]; then
    AK_TEST_CONFIG_LDIF="$top/packaging/ldap/apikey-acl.ldif" "${1:?with-slapd.sh}" "$0" --inner "${2:?apikey}"
    exit $?
fi
APIKEY=${2:?path to apikey}
: "${AK_TEST_CONF:?run through tests/ldap/with-slapd.sh}"
export LDAPNOINIT=1
. "$here/lib.sh"

printf 'keyadmin-password' >keyadmin.pw
chmod 600 keyadmin.pw
A=("${W[@]}" "$APIKEY" -c "$AK_TEST_CONF")
ADMIN=("${A[@]}" -U keyadmin -y "$PWD/keyadmin.pw")
# the same config with tracking on (default interval: 15 minutes)
grep -v '^#' "$AK_TEST_CONF" >track.conf
echo track_last_use >>track.conf
grep -v '^#' "$AK_TEST_CONF" >track60.conf
printf 'track_last_use yes\nlast_use_interval 60\n' >>track60.conf
chmod 644 track.conf track60.conf
T=("${W[@]}" "$APIKEY" -c "$PWD/track.conf")
T60=("${W[@]}" "$APIKEY" -c "$PWD/track60.conf")
TADMIN=("${T[@]}" -U keyadmin -y "$PWD/keyadmin.pw") # -c is given once
ALICEDN=uid=alice,$PEOPLE

writes() { grep -c 'MOD attr=apiKeyLastUsed' "$AK_TEST_LOG"; }
# slapd logs an operation when it is done; give it a moment
settle() { sleep 0.2; }
lastused() { rootsearch -b "$ALICEDN" -s base apiKeyLastUsed | sed -n "s/^apiKeyLastUsed: $1 //p"; }
backdate() { # backdate KID SECONDS: rewrite the recorded last use, as root
    printf 'dn: %s\nchangetype: modify\nreplace: apiKeyLastUsed\napiKeyLastUsed: %s %s\n' "$ALICEDN" "$1" "$(gentime "-$2")" | rootmod
}

expect_rc 0 "a key for alice" -- "${ADMIN[@]}" create alice --days 30
cp out.txt a.key
K=$(kid a.key)
expect_rc 0 "a second key for alice, never used" -- "${ADMIN[@]}" create alice --days 30
K2=$(kid out.txt)

# off by default
n0=$(writes)
expect_rc 0 "verify, tracking off" -- sh -c '"$@" <a.key' x "${A[@]}" verify alice
expect_rc 0 "verify again, tracking off" -- sh -c '"$@" <a.key' x "${A[@]}" verify alice
settle
[ "$(writes)" -eq "$n0" ] && ok "off by default: no write at all" || bad "writes with tracking off: $(($(writes) - n0))"
[ -z "$(lastused "$K")" ] && ok "off by default: nothing recorded" || bad "recorded with tracking off"

# on: the first use is written, the next ones within the interval are not
expect_rc 0 "verify, tracking on" -- sh -c '"$@" <a.key' x "${T[@]}" verify alice
settle
[ "$(writes)" -eq $((n0 + 1)) ] && ok "first use: one write" || bad "first use: $(($(writes) - n0)) writes"
first=$(lastused "$K")
[[ $first =~ ^[0-9]{14}Z$ ]] && ok "recorded as '<keyid> <time>'" || bad "recorded value '$first'"
for i in 1 2 3; do
    sh -c '"$@" <a.key' x "${T[@]}" verify alice >/dev/null 2>&1 || bad "verify $i"
done
settle
[ "$(writes)" -eq $((n0 + 1)) ] && ok "three more uses within the interval: no write" || bad "within interval: $(($(writes) - n0)) writes"
[ "$(lastused "$K")" = "$first" ] && ok "the recorded time stays" || bad "recorded time moved"
backdate "$K" 600
settle
n1=$(writes)
# what if it were tomorrow (the key is valid for 30 days): no write either
expect_rc 0 "a what-if check (--at)" -- sh -c '"$@" <a.key' x "${T[@]}" verify alice --at "$(isotime 86400)"
WRONG=$(sed 's/^\(.\{30\}\)./\1a/' a.key)
[ "$WRONG" = "$(cat a.key)" ] && WRONG=$(sed 's/^\(.\{30\}\)./\1b/' a.key)
printf '%s\n' "$WRONG" >wrong.key
expect_rc 1 "a wrong key" -- sh -c '"$@" <wrong.key' x "${T[@]}" verify alice
expect_rc 0 "ten minutes later" -- sh -c '"$@" <a.key' x "${T[@]}" verify alice
settle
[ "$(writes)" -eq "$n1" ] && ok "--at, a wrong key and a use 10 min later: no write" || bad "$(($(writes) - n1)) writes"

# after the interval: one more write, with the current time
backdate "$K" 960
settle
n2=$(writes)
expect_rc 0 "sixteen minutes later" -- sh -c '"$@" <a.key' x "${T[@]}" verify alice
settle
[ "$(writes)" -eq $((n2 + 1)) ] && ok "after the interval: one write" || bad "after the interval: $(($(writes) - n2)) writes"
now_ts=$(lastused "$K")
age=$(( $(date +%s) - $(date -u -d "$(echo "$now_ts" | sed 's/\(....\)\(..\)\(..\)\(..\)\(..\)\(..\)Z/\1-\2-\3 \4:\5:\6/')" +%s) ))
[ "$age" -ge 0 ] && [ "$age" -lt 60 ] && ok "the new time is now" || bad "recorded $now_ts, ${age}s old"
[ "$(rootsearch -b "$ALICEDN" -s base apiKeyLastUsed | grep -c "^apiKeyLastUsed: $K ")" -eq 1 ] &&
    ok "one value per key" || bad "several values for one key"

# a configured interval
backdate "$K" 1800
settle
n3=$(writes)
expect_rc 0 "30 min later, interval 60" -- sh -c '"$@" <a.key' x "${T60[@]}" verify alice
settle
[ "$(writes)" -eq "$n3" ] && ok "interval 60: no write after 30 min" || bad "interval 60 wrote"
backdate "$K" 3700
settle
n3=$(writes)
expect_rc 0 "61 min later, interval 60" -- sh -c '"$@" <a.key' x "${T60[@]}" verify alice
settle
[ "$(writes)" -eq $((n3 + 1)) ] && ok "interval 60: a write after 61 min" || bad "interval 60: $(($(writes) - n3)) writes"

# two values for one key (two verifiers raced): the next write leaves one
printf 'dn: %s\nchangetype: modify\nreplace: apiKeyLastUsed\napiKeyLastUsed: %s %s\napiKeyLastUsed: %s %s\n' \
    "$ALICEDN" "$K" "$(gentime -172800)" "$K" "$(gentime -86400)" | rootmod
expect_rc 0 "verify with two stale values" -- sh -c '"$@" <a.key' x "${T[@]}" verify alice
[ "$(rootsearch -b "$ALICEDN" -s base apiKeyLastUsed | grep -c "^apiKeyLastUsed: $K ")" -eq 1 ] &&
    ok "duplicates are folded into one value" || bad "duplicates stay"

# the listing shows it and filters on it
expect_rc 0 "list with last use" -- "${TADMIN[@]}" list alice --json
jqt "last_used shown for the used key only" out.txt "(.[] | select(.id == \"$K\") | .last_used != null) and (.[] | select(.id == \"$K2\") | .last_used == null)"
expect_rc 0 "--never-used" -- "${TADMIN[@]}" list --all --never-used --json
jqt "--never-used: the unused key, not the used one" out.txt "([.[].id] | index(\"$K2\") != null and index(\"$K\") == null)"
backdate "$K" $((10 * 86400))
expect_rc 0 "--unused 5" -- "${TADMIN[@]}" list --all --unused 5 --json
jqt "--unused 5: the key last used 10 days ago; not the new unused one" out.txt "([.[].id] | index(\"$K\") != null and index(\"$K2\") == null)"
expect_rc 0 "list (table) shows LAST USED" -- "${TADMIN[@]}" list alice
has out.txt "10 days ago" "the table says when"

done_tests
