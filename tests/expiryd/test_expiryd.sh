#!/bin/bash
# test_expiryd.sh - apikey-expiryd against a throwaway slapd with the
# packaged access rules and syncprov, delivering to a capture mailer:
# who gets what, each notice once (restarts, several daemons at once),
# catch-up, mailer failures, service users, and notices in persist mode.
# Usage (from meson): test_expiryd.sh with-slapd.sh apikey apikey-expiryd
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

. "$top/tests/expiryd/lib.sh"
ex_outer -- "$@"
APIKEY=${2:?path to apikey}
EXPIRYD=${3:?path to apikey-expiryd}

ex_setup
A=("$APIKEY" -c "$AK_TEST_CONF")
ADMIN=("${A[@]}" -D "$ROOTDN" -y "$PWD/admin.pw")
D=("${W[@]}" "$EXPIRYD")

# The daemon's config: the verifier's plus the notice options.
EX_TIMEOUT=2 ex_conf d.conf
count() { ls mail/*.eml 2>/dev/null | wc -l; }
to_count() { grep -l "^To: .*$1" mail/*.eml 2>/dev/null | wc -l; }
notices() { rootsearch -b "$1" -s base apiKeyNotice | grep '^apiKeyNotice:' || true; }

expect_rc 0 "apikey-expiryd --help" -- "${D[@]}" --help
has out.txt '^Usage: apikey-expiryd' "--help prints usage"
expect_rc 2 "an unknown option" -- "${D[@]}" --bogus
expect_rc 3 "no notice_from" -- "${D[@]}" -c "$AK_TEST_CONF" --once

# The policy: notices 30, 7 and 1 day before; one admin recipient.
expect_rc 0 "policy set" -- "${ADMIN[@]}" policy set --notice-days 30,7,1 \
    --recipients keys@example.org

# --- a key expiring in 3 days: its tightest due stage is 7 ---
k1=$(mkkey alice $((3 * 86400 + 600)) laptop)
expect_rc 0 "a dry run" -- "${D[@]}" -c "$PWD/d.conf" --dry-run
has out.txt "would send to alice@example.org" "the dry run shows the owner's notice"
[ "$(count)" -eq 0 ] && ok "a dry run sends nothing" || bad "a dry run sent mail"
[ -z "$(notices "uid=alice,$PEOPLE")" ] && ok "a dry run claims nothing" || bad "a dry run claimed"
expect_rc 0 "one pass" -- "${D[@]}" -c "$PWD/d.conf" --once
[ "$(to_count alice@example.org)" -eq 1 ] && ok "one notice to the owner" || bad "owner got $(to_count alice@example.org)"
[ "$(to_count keys@example.org)" -eq 1 ] && ok "one notice to the admins" || bad "admins got $(to_count keys@example.org)"
m=$(grep -l '^To: .*alice@example.org' mail/*.eml | head -1)
has "$m" "$k1" "the notice names the key id"
has "$m" "apikey rotate $k1" "the notice gives the rotate command"
hasnt "$m" '^Bcc:' "no Bcc header"
notices "uid=alice,$PEOPLE" >n.txt
has n.txt "^apiKeyNotice: $k1 [0-9]{14}Z 7 owner sent " "the owner notice is recorded as sent"
has n.txt "^apiKeyNotice: $k1 [0-9]{14}Z 7 admin sent " "the admin notice is recorded as sent"
has n.txt "^apiKeyNotice: $k1 [0-9]{14}Z 30 owner skipped " "the wider stage is recorded as skipped"
hasnt n.txt "claimed" "no claim is left behind"

# --- again, and a restart: no duplicate ---
expect_rc 0 "a second pass" -- "${D[@]}" -c "$PWD/d.conf" --once
expect_rc 0 "a third pass (a restart)" -- "${D[@]}" -c "$PWD/d.conf" --once
[ "$(count)" -eq 2 ] && ok "no notice twice" || bad "$(count) messages after three passes"
expect_rc 0 "--status" -- "${D[@]}" -c "$PWD/d.conf" --status
has out.txt '^last complete pass: [0-9]' "--status shows the last pass"

# -c takes a path relative to where it is typed, as apikey -c does (one
# rule, common/directory/ak_path.c); issue 16: "path must be absolute".
expect_rc 0 "-c with a relative path" -- "${D[@]}" -c d.conf --status
has out.txt '^last complete pass: [0-9]' "-c d.conf: the same status"
mkdir -p sub
expect_rc 0 "-c ../d.conf from a subdirectory" -- sh -c 'cd sub && exec "$@"' sh "${D[@]}" -c ../d.conf --dry-run
hasnt err.txt 'must be absolute' "no refusal of the relative path"
expect_rc 0 "apikey -c d.conf reads the same file" -- "$APIKEY" -c d.conf check-config --offline --dump
has out.txt '^notice_from apikey@example.org' "apikey -c d.conf: the daemon's file"
expect_rc 0 "apikey check-config -c d.conf too" -- "$APIKEY" check-config -c d.conf --offline --dump
has out.txt '^notice_from apikey@example.org' "check-config -c d.conf: the daemon's file"
expect_rc 2 "-c with an empty path" -- "${D[@]}" -c '' --status

# --- an admin's template replaces the built-in text; a bad one does not ---
mkdir -p tmpl
printf 'Dear {recipient}, {count} key(s) of yours:\n{keys}\nCustom text.\n' >tmpl/owner.txt
printf 'Broken {nosuch}\n{keys}\n' >tmpl/admin.txt
EX_TIMEOUT=2 ex_conf t.conf "notice_template_dir $PWD/tmpl"
mkkey alice $((2 * 86400)) templated >/dev/null
expect_rc 0 "a dry run with templates" -- "${D[@]}" -c "$PWD/t.conf" --dry-run
has out.txt '^Custom text\.$' "the owner's template is used"
has err.txt 'admin.txt: .*placeholder' "a bad template is refused with where and what"
hasnt out.txt 'Broken' "a bad template is never sent"

# --- several daemons at once: each notice exactly once ---
rm -f mail/*.eml
for i in $(seq 1 8); do mkkey bob $((2 * 86400 + i * 60)) "k$i" >/dev/null; done
for i in 1 2 3 4 5; do "${D[@]}" -c "$PWD/d.conf" --once >/dev/null 2>"d$i.err" & done
wait
# Each daemon mails what it won: the keys may come in several messages,
# but each key's notice exactly once per recipient class.
once_each() { # once_each CLASS ADDR: every key of bob once in CLASS mail
    local f n bad_kids=0
    f=$(grep -l "^To: .*$2" mail/*.eml | xargs grep -l "X-Apikey-Notice: $1")
    for k in $(rootsearch -b "uid=bob,$PEOPLE" -s base apiKeyId | sed -n 's/^apiKeyId: //p'); do
        n=$(cat $f | grep -c "apikey rotate $k\b")
        [ "$n" -eq 1 ] || bad_kids=$((bad_kids + 1))
    done
    [ "$bad_kids" -eq 0 ]
}
check "5 daemons: each key once in the owner's mail" once_each owner bob@example.org
check "5 daemons: each key once in the admins' mail" once_each admin keys@example.org
notices "uid=bob,$PEOPLE" | grep -c ' 7 owner sent ' >c.txt
[ "$(cat c.txt)" -eq 8 ] && ok "8 keys, 8 owner notices recorded" || bad "$(cat c.txt) owner notices recorded"
lost=$(cat d*.err | grep -o 'taken by another daemon' | wc -l)
ok "($lost passes lost claims to another daemon)"

# --- the mailer fails ---
setmail carol dave erin
rm -f mail/*.eml mail/*.rej mail/attempts
k3=$(mkkey carol $((86400 / 2)) tempfail)
echo 75 >mail/exit
expect_rc 1 "mailer exit 75: the pass says some were deferred" -- "${D[@]}" -c "$PWD/d.conf" --once
notices "uid=carol,$PEOPLE" >n.txt
has n.txt "^apiKeyNotice: $k3 [0-9]{14}Z 1 owner deferred [0-9]{14}Z 1$" "a temporary failure is recorded as deferred"
hasnt n.txt "sent" "nothing is recorded as sent"
expect_rc 0 "the next pass waits for the retry time" -- "${D[@]}" -c "$PWD/d.conf" --once
[ "$(grep -c '' mail/attempts)" -eq 2 ] && ok "no retry before the backoff" || bad "$(grep -c '' mail/attempts) attempts"
rm -f mail/exit mail/attempts
# ... and deferred for 24 hours: given up, and the admins are told (N-03).
# The first failure is moved back 25 hours (the exact values, as root).
notices "uid=carol,$PEOPLE" | sed -n 's/^apiKeyNotice: //p' | grep " deferred " >deferred.txt
{ printf 'dn: uid=carol,%s\nchangetype: modify\n' "$PEOPLE"
  while read -r v; do
      set -- $v
      printf 'delete: apiKeyNotice\napiKeyNotice: %s\n-\nadd: apiKeyNotice\napiKeyNotice: %s %s %s %s deferred %s %s\n-\n' \
          "$v" "$1" "$2" "$3" "$4" "$(gentime -$((25 * 3600)))" "$7"
  done <deferred.txt; } | rootmod
rm -f mail/*.eml
expect_rc 1 "a notice deferred for 24 hours: the pass says one failed" -- "${D[@]}" -c "$PWD/d.conf" --once
notices "uid=carol,$PEOPLE" >n.txt
has n.txt "^apiKeyNotice: $k3 [0-9]{14}Z 1 owner failed [0-9]{14}Z tempfail-24h$" "given up after 24 hours"
m=$(grep -l '^To: .*keys@example.org' mail/*.eml 2>/dev/null | head -1)
[ -n "$m" ] && grep -q "$k3" "$m" && ok "the admins are told of the notice given up" ||
    bad "no admin message about the notice given up"
[ "$(to_count carol@example.org)" -eq 0 ] && ok "the owner is not mailed by the give-up" || bad "carol got mail"
rm -f mail/*.eml

k4=$(mkkey dave $((86400 / 2)) permfail)
echo 1 >mail/exit
expect_rc 1 "mailer exit 1" -- "${D[@]}" -c "$PWD/d.conf" --once
notices "uid=dave,$PEOPLE" >n.txt
has n.txt "^apiKeyNotice: $k4 [0-9]{14}Z 1 owner failed [0-9]{14}Z exit-1$" "a permanent failure is recorded with its reason"
rm -f mail/exit

k5=$(mkkey erin $((86400 / 2)) hang)
touch mail/hang
start=$(date +%s)
expect_rc 1 "a mailer that hangs" -- "${D[@]}" -c "$PWD/d.conf" --once
[ $(($(date +%s) - start)) -lt 20 ] && ok "the hang is cut by notice_timeout" || bad "the pass took $(($(date +%s) - start)) s"
rm -f mail/hang
has <(notices "uid=erin,$PEOPLE") "$k5 [0-9]{14}Z 1 owner deferred" "a hang is a temporary failure"

# --- a service user's key reaches its responsible people ---
rm -f mail/*.eml
expect_rc 0 "service create" -- "${ADMIN[@]}" service create svc-ci --owner alice,bob
k6=$(mkkey svc-ci $((86400 / 2)) pipeline)
expect_rc 0 "a pass with a service user's key" -- "${D[@]}" -c "$PWD/d.conf" --once
m=$(grep -l "$k6" mail/*.eml | xargs grep -l 'X-Apikey-Notice: owner' | head -1)
[ -n "$m" ] && grep -q '^To: .*alice@example.org' "$m" && grep -q 'bob@example.org' "$m" &&
    ok "the service user's notice goes to alice and bob" || bad "no owner notice to alice and bob"

# --- driven by syncrepl: a new key's notice within seconds ---
rm -f mail/*.eml
"${D[@]}" -c "$PWD/d.conf" >daemon.log 2>&1 &
dpid=$!
sleep $((${#W[@]} ? 10 : 2))
rootmod <<LDIF
dn: uid=nokeys,$PEOPLE
changetype: modify
replace: mail
mail: nokeys@example.org
LDIF
t0=$(date +%s%N)
k7=$(mkkey nokeys $((3 * 86400)) live)
for _ in $(seq 1 $((${#W[@]} ? 300 : 50))); do [ "$(to_count nokeys@example.org)" -ge 1 ] && break; sleep 0.2; done
[ "$(to_count nokeys@example.org)" -eq 1 ] &&
    ok "persist mode: the notice arrives in $((($(date +%s%N) - t0) / 1000000)) ms" ||
    bad "persist mode: no notice (see daemon.log)"
has <(grep -l "$k7" mail/*.eml | head -1 | xargs cat) "apikey rotate $k7" "persist mode: the notice names the new key"
kill -TERM "$dpid"
wait "$dpid"
rc=$?
[ "$rc" -eq 0 ] && ok "SIGTERM stops the daemon cleanly" || bad "daemon exit $rc"
has daemon.log 'syncrepl' "the daemon used syncrepl"
[ -s state/state ] && ok "the syncrepl state is saved" || bad "no state file"

done_tests
