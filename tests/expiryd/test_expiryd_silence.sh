#!/bin/bash
# test_expiryd_silence.sh - an owner cannot silence the expiry notices of a
# key that keeps working (issue 16, finding 5). Verbatim: alice adds
# "apiKeyRevoked: <kid> 99991231235959Z rotated" to her own entry; the key
# still verifies and lists as active, and the daemon sent neither her
# notice nor the admins'. Then generalised: an end a second after the
# expiry, on a service user's key by its responsible person, and the one
# end that does silence them (a rotation's, before the expiry: the key is
# replaced, as apikey rotate does).
# Usage (from meson): test_expiryd_silence.sh with-slapd.sh apikey apikey-expiryd
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

. "$top/tests/expiryd/lib.sh"
ex_outer -- "$@"
APIKEY=${2:?path to apikey}
EXPIRYD=${3:?path to apikey-expiryd}

ex_setup
printf 'alice-password' >alice.pw
chmod 600 alice.pw
A=("$APIKEY" -c "$AK_TEST_CONF")
ADMIN=("${A[@]}" -D "$ROOTDN" -y "$PWD/admin.pw")
D=("${W[@]}" "$EXPIRYD")
DAY=86400
ex_conf d.conf
ALICE=uid=alice,$PEOPLE
SVC=uid=svc-ci,ou=services,$SUFFIX
# as_alice DN: stdin's LDIF modify of DN, bound as alice with her password
as_alice() {
    { echo "dn: $1"; echo "changetype: modify"; cat; } |
        ldapmodify -x -H "$AK_TEST_URI" -D "$ALICE" -y alice.pw >/dev/null 2>mod.err
}
# mails KID CLASS: how many messages about KID of CLASS went out
mails() {
    grep -l "apikey rotate $1" mail/*.eml 2>/dev/null |
        xargs -r grep -l "^X-Apikey-Notice: $2" | wc -l
}
told() { # told DESC KID OWNER ADMIN: the counts of both classes
    local o a
    o=$(mails "$2" owner) a=$(mails "$2" admin)
    if [ "$o" -eq "$3" ] && [ "$a" -eq "$4" ]; then ok "$1 (owner $o, admin $a)"; else
        bad "$1: owner $o (wanted $3), admin $a (wanted $4)"; sed 's/^/#   /' err.txt | head -5; fi
}

setmail alice bob
expect_rc 0 "policy: notices 30, 7 and 1 days before, one admin recipient" -- \
    "${ADMIN[@]}" policy set --notice-days 30,7,1 --recipients keys@example.org
expect_rc 0 "a service user alice is responsible for" -- "${ADMIN[@]}" \
    service create svc-ci --owner alice
"${ADMIN[@]}" create alice --expires "$(isotime $((3 * DAY)))" --label laptop \
    --json >k1.json 2>err.txt || cat err.txt
k1=$(kid k1.json)
exp2=$(($(date +%s) + 3 * DAY))
k2=$(mkkey alice "@$exp2" desktop)
k3=$(mkkey svc-ci $((3 * DAY)) pipeline)
k4=$(mkkey alice $((3 * DAY)) replaced)

# --- verbatim: an end in 9999 written by the owner herself ---
printf 'add: apiKeyRevoked\napiKeyRevoked: %s 99991231235959Z rotated\n' "$k1" |
    as_alice "$ALICE" && ok "alice may write a rotation's end on her own key" ||
    { bad "alice's write refused"; cat mod.err; }
jq -r .key k1.json | "${A[@]}" verify alice --service sshd >/dev/null 2>&1
rc=$?
[ $rc -eq 0 ] && ok "the key still verifies" || bad "verify: exit $rc"
"${ADMIN[@]}" list alice >list.txt 2>&1
has list.txt "$k1.*active" "list shows the key active"

# --- generalised ---
# an end a second after the expiry
end2=$(date -u -d "@$((exp2 + 1))" +%Y%m%d%H%M%SZ)
printf 'add: apiKeyRevoked\napiKeyRevoked: %s %s rotated\n' "$k2" "$end2" |
    as_alice "$ALICE" && ok "an end a second after the expiry ($end2)" ||
    { bad "refused"; cat mod.err; }
# a service user's key, by its responsible person (or, if the rules keep
# her from writing there, by an admin: the planner is the same)
line="apiKeyRevoked: $k3 99991231235959Z rotated"
if printf 'add: apiKeyRevoked\n%s\n' "$line" | as_alice "$SVC"; then
    ok "alice wrote the end on the service user's key"
else
    printf 'dn: %s\nchangetype: modify\nadd: apiKeyRevoked\n%s\n' "$SVC" "$line" |
        rootmod && ok "an admin wrote the end on the service user's key" ||
        bad "the end on the service user's key"
fi
# a rotation's end before the expiry: replaced, nothing to tell
printf 'add: apiKeyRevoked\napiKeyRevoked: %s %s rotated\n' "$k4" "$(gentime $DAY)" |
    as_alice "$ALICE" || { bad "refused"; cat mod.err; }

"${D[@]}" -c "$PWD/d.conf" --once >out.txt 2>err.txt </dev/null
rc=$?
[ $rc -eq 0 ] && ok "one pass, exit 0" || { bad "one pass: exit $rc"; sed 's/^/#   /' err.txt | head; }
told "an end in 9999 written by the owner silences nothing" "$k1" 1 1
told "an end a second after the expiry silences nothing" "$k2" 1 1
told "the service user's key: its responsible person and the admins told" "$k3" 1 1
told "a rotation's end before the expiry: replaced, nobody told" "$k4" 0 0

done_tests
