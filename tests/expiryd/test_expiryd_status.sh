#!/bin/bash
# test_expiryd_status.sh - one daemon in syncrepl mode says what it does:
# --status shows "mode: syncrepl" and the notices it sent (since it
# started), also after a restart that resumed from its cookie; a queued
# snapshot older than its own writes (a claim, a retry's take-over) is
# not planned, so no write of its own is refused, logged as a race
# ("Assertion Failed", "no such value") or counted as lost; a real race
# with a second daemon still is. Issue 16: "mode: syncrepl, sent: 0" after notices went out,
# "mode: scan" after a resume, and a single daemon's log read as races.
# Usage (from meson): test_expiryd_status.sh with-slapd.sh apikey apikey-expiryd-test
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

. "$top/tests/expiryd/lib.sh"
ex_outer -- "$@"
APIKEY=${2:?path to apikey}
EXPIRYD=${3:?path to apikey-expiryd-test}

ex_setup state state2
export EX_TEST_CLOCK_FILE=$PWD/clock
echo 0 >clock
A=("$APIKEY" -c "$AK_TEST_CONF")
ADMIN=("${A[@]}" -D "$ROOTDN" -y "$PWD/admin.pw")
D=("${W[@]}" "$EXPIRYD")
DAY=86400
WAIT=$((${#W[@]} ? 600 : 150)) # tenths of a second

ex_conf d.conf
EX_STATE=$PWD/state2 ex_conf d2.conf
setmail carol dave
expect_rc 0 "policy set" -- "${ADMIN[@]}" policy set --notice-days 30,7,1 \
    --recipients keys@example.org

count() { grep -l "apikey rotate $1" mail/*.eml 2>/dev/null | wc -l; }
tries() { grep -c '' mail/attempts 2>/dev/null || echo 0; }
# until CMD...: wait (at most WAIT tenths of a second) until CMD succeeds
until_() { for _ in $(seq 1 "$WAIT"); do "$@" && return 0; sleep 0.1; done; return 1; }
mails_are() { [ "$(count "$1")" -ge "$2" ]; }
status() { "${D[@]}" -c "$PWD/${1:-d.conf}" --status >status.txt 2>&1; }
# refused: modify results assertionFailed (122) or noSuchAttribute (16) in
# slapd's log, so far (the daemon's refused writes: the root's never are)
refused() { grep -cE 'RESULT tag=103 err=(122|16) ' "$AK_TEST_LOG" || true; }
# touch_entry USER: one more change of USER's entry (a syncrepl message)
n_touch=0
touch_entry() {
    n_touch=$((n_touch + 1))
    rootmod <<LDIF
dn: uid=$1,$PEOPLE
changetype: modify
replace: displayName
displayName: touched $n_touch
LDIF
}
start() {
    "${D[@]}" -c "$PWD/d.conf" >>daemon.log 2>&1 </dev/null &
    dpid=$!
    until_ grep -q "syncrepl: $1" daemon.log || bad "the daemon did not start ($1)"
}

# --- notices sent in persist mode are in --status ---
start 'refresh done'
k1=$(mkkey alice $((3 * DAY)) one)
until_ mails_are "$k1" 2 && ok "persist mode: the notices of a new key went out" || bad "no notice about $k1"
until_ grep -q '^sent: 2$' state/status
status
has status.txt '^mode: syncrepl$' "--status: mode syncrepl"
has status.txt '^sent: 2$' "--status: the 2 notices sent in persist mode"
has status.txt '^started: [0-9]{4}-' "--status: when the daemon started"

# replay USER KID WHAT: with the daemon stopped, two more changes of USER
# queue behind the one before (snapshots without what the daemon is about
# to write); then it runs on: KID's 2 notices go out once each. REFUSED:
# how many writes of its own the directory refused meanwhile.
replay() {
    local r
    r=$(refused)
    touch_entry "$1"
    touch_entry "$1"
    kill -CONT "$dpid"
    until_ mails_are "$2" 2 && ok "queued snapshots: $3 went out" || bad "no notice about $2"
    sleep 2
    [ "$(count "$2")" -eq 2 ] && ok "queued snapshots: each once" || bad "$(count "$2") messages about $2"
    REFUSED=$(($(refused) - r))
}

# --- its own claims, planned again from queued snapshots ---
kill -STOP "$dpid"
k2=$(mkkey bob $((3 * DAY)) stale)
replay bob "$k2" "the new key's notices"
n1=$REFUSED

# --- its own retry, planned again from queued snapshots ---
echo 75 >mail/exit
rm -f mail/attempts
k3=$(mkkey carol $((3 * DAY)) retry)
until_ eval '[ "$(tries)" -ge 2 ]' && ok "the mailer defers the notices of a third key" || bad "no attempt about $k3"
sleep 1
kill -STOP "$dpid"
rm -f mail/exit
echo 300 >clock # their retry is due (2 minutes after the failure)
replay carol "$k3" "the retries"
n2=$REFUSED
# Issue 16: a copy of the entry older than the daemon's own last write
# to it is not planned (expiryd/written.h): no claim of its own from a
# queued snapshot reaches the directory at all.
[ $((n1 + n2)) -eq 0 ] &&
    ok "no write of its own from a queued copy reached the directory" ||
    bad "the directory refused writes of its own: $n1 claims, $n2 take-overs"

hasnt daemon.log 'Assertion Failed|No such attribute|no such value' \
    "one daemon: no refused write of its own logged as a race"
hasnt daemon.log 'was taken by another daemon|had been taken over' "one daemon: no race reported"
status
has status.txt '^lost to another daemon: 0$' "--status: nothing lost to another daemon"
has status.txt '^sent: 6$' "--status: the 6 notices sent since it started"

# --- a real race: a second daemon sends while the first one waits ---
kill -STOP "$dpid"
k4=$(mkkey dave $((3 * DAY)) race)
expect_rc 0 "a second daemon sends the new key's notices" -- "${D[@]}" -c "$PWD/d2.conf" --once
kill -CONT "$dpid"
until_ grep -q "key $k4: the admin notice of stage 7 was taken by another daemon" daemon.log
has daemon.log "key $k4: the owner notice of stage 7 was taken by another daemon" \
    "a real race is reported"
sleep 1
[ "$(count "$k4")" -eq 2 ] && ok "the race: each notice once" || bad "$(count "$k4") messages about $k4"
# (each snapshot the second daemon's writes left, planned and refused,
# counts: at least the 2 notices)
until_ grep -qE '^lost to another daemon: ([2-9]|[1-9][0-9]+)$' state/status
status
has status.txt '^lost to another daemon: ([2-9]|[1-9][0-9]+)$' "--status: the notices lost to the second daemon"
status d2.conf
has status.txt '^mode: scan$' "--status of the --once run: mode scan"
has status.txt '^sent: 2$' "--status of the --once run: its 2 notices"

# --- a restart resumes from the cookie: still syncrepl ---
kill -TERM "$dpid"
wait "$dpid" || bad "daemon exit $?"
rm -f state/status
start resumed
until_ grep -q '^mode: ' state/status
sleep 1
status
has status.txt '^mode: syncrepl$' "after a restart that resumed syncrepl: mode syncrepl"
kill -TERM "$dpid"
wait "$dpid" && ok "SIGTERM stops it (exit 0)" || bad "daemon exit $?"
hasnt daemon.log 'Sanitizer|runtime error' "no sanitizer report"

done_tests
