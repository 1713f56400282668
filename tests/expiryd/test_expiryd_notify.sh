#!/bin/bash
# test_expiryd_notify.sh - notify_command: one run per notice of either
# class (owner, admin), each recipient a value of its own in the JSON
# "recipients" array (a person, a service user's responsible people, the
# policy's admins, nobody: [] and the problem), its exit status only
# logged, and notice_rate bounding its runs as it bounds the mailer's.
# Issue 16: admin notices never ran it ("0 recipients (1 to 256)"), nor did
# a service user with two responsible people (the addresses were one
# space-joined string), and 300 runs in one pass were not throttled.
# Usage (from meson): test_expiryd_notify.sh with-slapd.sh apikey apikey-expiryd
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

. "$top/tests/expiryd/lib.sh"
ex_outer -- "$@"
APIKEY=${2:?path to apikey}
EXPIRYD=${3:?path to apikey-expiryd}

ex_setup
mkdir -p notify
A=("$APIKEY" -c "$AK_TEST_CONF")
ADMIN=("${A[@]}" -D "$ROOTDN" -y "$PWD/admin.pw")
D=("${W[@]}" "$EXPIRYD")
DAY=86400
# The capture mailer stands in for the notify command too, storing each
# JSON object as notify/<n>.eml (no shell: env sets its directory).
NOTIFY="notify_command /usr/bin/env AK_MAILDIR=$PWD/notify $top/tests/expiryd/capture-mailer.sh"
ex_conf d.conf "$NOTIFY"
once() { "${D[@]}" -c "$PWD/${1:-d.conf}" --once >out.txt 2>err.txt </dev/null; }
# all.json: every notify run's object, as one JSON array
slurp() { cat notify/*.eml 2>/dev/null | jq -s . >all.json; }
# of KID CLASS: the objects about KID in CLASS
of() { jq -c --arg k "$1" --arg c "$2" '[.[] | select(.key_id == $k and .class == $c)]' all.json; }
runs() { ls notify/*.eml 2>/dev/null | wc -l; }
# mail_of KID CLASS: the first message about KID of CLASS (none: empty)
mail_of() {
    grep -l "apikey rotate $1" mail/*.eml 2>/dev/null |
        xargs -r grep -l "^X-Apikey-Notice: $2" | head -1
}

expect_rc 0 "policy set, two admin recipients" -- "${ADMIN[@]}" policy set \
    --notice-days 30,7,1 --recipients keys@example.org,ops@example.org
setmail dave
expect_rc 0 "a service user with two responsible people" -- "${ADMIN[@]}" \
    service create svc-ci --owner alice,bob
k1=$(mkkey alice $((3 * DAY)) laptop)
k2=$(mkkey svc-ci $((3 * DAY)) pipeline)
k3=$(mkkey carol $((3 * DAY)) 'no "mail" \ here') # carol has no mail

# (exit 1: carol's own notice fails, "no-mail", and the admins are told)
expect_rc 1 "one pass" -- once
slurp
hasnt err.txt 'notify_command' "no notify_command failure is logged"
has <(rootsearch -b "uid=carol,$PEOPLE" -s base apiKeyNotice) " 7 owner failed [0-9]{14}Z no-mail$" \
    "carol's owner notice: failed, no-mail"
[ "$(runs)" -eq 6 ] && ok "3 keys x 2 classes: 6 runs" || { bad "$(runs) runs, wanted 6"; sed 's/^/#   /' err.txt | head; }
# Each: exactly one object, with the recipients as an array of addresses.
want() { # want DESC KID CLASS JQ: one object about KID in CLASS, JQ true on it
    local o
    o=$(of "$2" "$3")
    if jq -e "length == 1 and (.[0] | $4)" <<<"$o" >/dev/null; then ok "$1"; else
        bad "$1"; echo "#   $o" | head -c 600; echo; fi
}
want "a person's key: her address" "$k1" owner '.recipients == ["alice@example.org"] and .problem == null'
want "the admins' notice of it: the policy's two recipients, one value each" "$k1" admin \
    '(.recipients | sort) == ["keys@example.org", "ops@example.org"]'
want "a service user's key: both responsible people, one value each" "$k2" owner \
    '(.recipients | sort) == ["alice@example.org", "bob@example.org"] and .service == true'
want "the admins' notice of the service user's key" "$k2" admin \
    '(.recipients | sort) == ["keys@example.org", "ops@example.org"]'
want "an owner without mail: no recipient, and the problem says why" "$k3" owner \
    '.recipients == [] and (.problem | test("mail"))'
want "the admins' notice of it" "$k3" admin '(.recipients | length) == 2'
want "a label with quotes and a backslash stays one JSON string" "$k3" owner \
    '.label == "no \"mail\" \\ here"'

# --- addresses that are not one recipient each ---
# dave's mail is alice's in capitals (a second responsible person with the
# same mailbox); erin's holds two addresses with a space (not an address).
rootmod <<LDIF
dn: uid=dave,$PEOPLE
changetype: modify
replace: mail
mail: ALICE@EXAMPLE.ORG

dn: uid=erin,$PEOPLE
changetype: modify
replace: mail
mail: erin@example.org mallory@example.org
LDIF
expect_rc 0 "a service user owned by alice, dave and erin" -- "${ADMIN[@]}" \
    service create svc-odd --owner alice,dave,erin
rm -f notify/*.eml mail/*.eml
k4=$(mkkey svc-odd $((3 * DAY)) odd)
expect_rc 0 "a pass" -- once
slurp
want "the same mailbox in two cases is one recipient; a value with a space none" "$k4" owner \
    '(.recipients | map(ascii_downcase)) == ["alice@example.org"]'
m=$(mail_of "$k4" owner)
[ -n "$m" ] && ok "the owner mail went out too" || { bad "no owner mail about $k4"; sed 's/^/#   /' err.txt | head -5; }
hasnt <(grep -h '^To:' $m /dev/null) 'mallory' "nobody is added through a mail value with a space"

# --- recipients nobody can use ---
# A policy value written by hand that is not an address: the admins'
# mail and JSON go to the others. A service user whose one responsible
# person has no mail: [] and why.
rootmod <<LDIF
dn: cn=apikey-policy,ou=policies,$SUFFIX
changetype: modify
add: apiKeyNoticeRecipient
apiKeyNoticeRecipient: x y@example.org
LDIF
expect_rc 0 "a service user whose responsible person has no mail" -- "${ADMIN[@]}" \
    service create svc-nomail --owner carol
rm -f notify/*.eml mail/*.eml
k6=$(mkkey svc-nomail $((3 * DAY)) nomail)
expect_rc 1 "a pass (the owner notice fails: no-mail)" -- once
slurp
want "a service user without reachable people: [] and why" "$k6" owner \
    '.recipients == [] and (.problem | test("mail"))'
want "a bad policy value is left out of the admins' JSON" "$k6" admin \
    '(.recipients | sort) == ["keys@example.org", "ops@example.org"]'
has err.txt 'recipient 3 is not a mail address; left out' "the bad policy value is logged"
m=$(mail_of "$k6" admin)
[ -n "$m" ] && grep -q '^To: .*keys@example.org' "$m" && ok "the admins' mail still goes out" ||
    { bad "no admin mail about $k6"; sed 's/^/#   /' err.txt | head -5; }

# --- in persist mode (syncrepl): the same, as a change arrives ---
rm -f notify/*.eml
"${D[@]}" -c "$PWD/d.conf" >daemon.log 2>&1 </dev/null &
dpid=$!
for _ in $(seq 1 $((${#W[@]} ? 300 : 100))); do grep -q 'refresh done' daemon.log && break; sleep 0.1; done
k7=$(mkkey svc-ci $((3 * DAY)) live)
for _ in $(seq 1 $((${#W[@]} ? 300 : 100))); do [ "$(runs)" -ge 2 ] && break; sleep 0.1; done
kill -TERM "$dpid"
wait "$dpid" || bad "persist mode: daemon exit $?"
hasnt daemon.log 'Sanitizer|runtime error' "persist mode: no sanitizer report"
slurp
want "persist mode: the service user's notice, both people" "$k7" owner \
    '(.recipients | sort) == ["alice@example.org", "bob@example.org"]'
want "persist mode: the admins' notice" "$k7" admin '(.recipients | length) == 2'

# --- its exit status: logged, the bookkeeping is the mailer's ---
rm -f notify/*.eml
echo 1 >notify/exit
k5=$(mkkey alice $((3 * DAY)) exit1)
expect_rc 0 "a notify_command that fails: the pass is still complete" -- once
has err.txt "key $k5: notify_command: permanent \(exit-1\)" "its failure is logged with the key"
has <(rootsearch -b "uid=alice,$PEOPLE" -s base apiKeyNotice) "^apiKeyNotice: $k5 [0-9]{14}Z 7 owner sent " \
    "the notice is recorded as sent (by the mail)"
rm -f notify/exit

# --- notice_rate: notify_command runs are throttled as mail is ---
# N runs at R a second take at least (N - 1) / R seconds, whatever the
# machine's speed: the bound is a floor, so it cannot flake.
R=4 N=8
ex_conf r.conf "$NOTIFY" "notice_rate $R"
setmail nokeys
rm -f notify/*.eml mail/*.eml
for i in $(seq 1 $((N / 2))); do mkkey nokeys $((3 * DAY + i * 60)) "r$i" >/dev/null; done
t0=$(date +%s%N)
expect_rc 0 "a pass with notice_rate $R" -- once r.conf
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$(runs)" -eq "$N" ] && ok "$((N / 2)) keys x 2 classes: $N runs" || bad "$(runs) runs, wanted $N"
floor=$(((N - 1) * 1000 / R))
[ "$ms" -ge "$floor" ] && ok "$N runs at notice_rate $R took $ms ms (at least $floor)" ||
    bad "$N runs at notice_rate $R took $ms ms, less than $floor: not throttled"

done_tests
