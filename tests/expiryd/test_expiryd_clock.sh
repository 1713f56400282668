#!/bin/bash
# test_expiryd_clock.sh - RELIABILITY N-06: time. The daemon's clock is
# stepped (the test clock file of apikey-expiryd-test, expiryd/testhook.h)
# by +-1 hour and +-1 day around each stage, under TZ=America/New_York and
# TZ=Australia/Lord_Howe and across a daylight-saving change: each stage is
# sent once, at its UTC moment (checked to a minute with --once), and never
# again after a backward step. A renewed key starts its stages again, a
# revoked key gets no more mail, and a RUNNING daemon whose clock is
# stepped past a due moment sends within its poll interval, both driven by
# syncrepl and scanning (a database without syncprov).
# Usage (from meson): test_expiryd_clock.sh with-slapd.sh apikey apikey-expiryd-test apikey-expiryd
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

. "$top/tests/expiryd/lib.sh"
# (AK_TEST_NOSYNC_DB: a second database, without syncprov, for the scan)
AK_TEST_NOSYNC_DB=1 ex_outer -- "$@"
APIKEY=${2:?path to apikey}
EXPIRYD=${3:?path to apikey-expiryd-test}
PRODUCT=${4:?path to apikey-expiryd}

ex_setup state state2
export EX_TEST_CLOCK_FILE=$PWD/clock
A=("$APIKEY" -c "$AK_TEST_CONF")
ADMIN=("${A[@]}" -D "$ROOTDN" -y "$PWD/admin.pw")
D=("${W[@]}" "$EXPIRYD")
DAY=86400

ex_conf d.conf

# The product binary has no hooks: it reads no test variable.
if strings "$PRODUCT" | grep -q EX_TEST_; then bad "apikey-expiryd carries a test hook"; else
    ok "apikey-expiryd carries no test hook"; fi

# at T: the daemon's clock reads T (seconds since the epoch, UTC); the file
# is replaced whole (rename), so a running daemon never reads half of it.
at() { echo $(($1 - $(date +%s))) >clock.new && mv clock.new clock; }
once() { # once [TZ]: one pass under that TZ (default UTC)
    TZ=${1:-UTC} "${D[@]}" -c "$PWD/d.conf" --once >out.txt 2>err.txt </dev/null
}
mails() { grep -l "apikey rotate $1\b" mail/*.eml 2>/dev/null | wc -l; }
values() { rootsearch -b "$PEOPLE" apiKeyNotice | grep "^apiKeyNotice: $1 " || true; }
sent() { values "$1" | grep -c " $2 $3 sent " || true; }
# expiry KID: the key's expiry, in seconds since the epoch, from its record
expiry() {
    local z
    z=$(rootsearch -b "$PEOPLE" "(apiKeyId=$1)" apiKeyRecord |
        sed -n "s/^apiKeyRecord: v1 id=$1 .*expires=\([0-9]\{14\}\)Z.*/\1/p")
    date -u -d "${z:0:8} ${z:8:2}:${z:10:2}:${z:12:2} UTC" +%s
}
setmail carol dave erin nokeys
# step DESC T WANT KID [TZ]: a pass at T leaves WANT messages about KID
step() {
    at "$2"
    once "${5:-}"
    local n
    n=$(mails "$4")
    [ "$n" -eq "$3" ] && ok "$1: $n messages" || { bad "$1: $n messages, wanted $3"; sed 's/^/#   /' err.txt | head -5; }
}

expect_rc 0 "policy set" -- "${ADMIN[@]}" policy set --notice-days 30,7,1 \
    --recipients keys@example.org

# --- each stage at its UTC moment, once, whatever the steps and the TZ ---
k1=$(mkkey alice $((40 * DAY)) clock)
E=$(expiry "$k1")
NY=America/New_York LH=Australia/Lord_Howe
step "now, New York" "$(date +%s)" 0 "$k1" $NY
step "1 h 1 min before the 30-day stage" $((E - 30 * DAY - 3660)) 0 "$k1" $NY
step "stepped +1 h: 1 min before it" $((E - 30 * DAY - 60)) 0 "$k1" $NY
step "1 min after the 30-day stage" $((E - 30 * DAY + 60)) 2 "$k1" $NY
step "stepped -1 h" $((E - 30 * DAY + 60 - 3600)) 2 "$k1" $NY
step "stepped +1 h again" $((E - 30 * DAY + 60)) 2 "$k1" $NY
step "stepped -1 day" $((E - 31 * DAY + 60)) 2 "$k1" $NY
step "1 min before the 7-day stage" $((E - 7 * DAY - 60)) 2 "$k1" $NY
step "1 min after the 7-day stage" $((E - 7 * DAY + 60)) 4 "$k1" $NY
step "stepped -1 day" $((E - 8 * DAY + 60)) 4 "$k1" $NY
step "stepped +1 day again" $((E - 7 * DAY + 60)) 4 "$k1" $NY
step "stepped +1 day more" $((E - 6 * DAY + 60)) 4 "$k1" $NY
step "Lord Howe: 1 min before the 1-day stage" $((E - DAY - 60)) 4 "$k1" $LH
step "Lord Howe: 1 min after it" $((E - DAY + 60)) 6 "$k1" $LH
step "Lord Howe: stepped -1 h" $((E - DAY + 60 - 3600)) 6 "$k1" $LH
step "Lord Howe: stepped -1 day" $((E - 2 * DAY + 60)) 6 "$k1" $LH
step "1 min before it expires" $((E - 60)) 6 "$k1" $LH
step "1 min after it expired" $((E + 60)) 8 "$k1"
step "stepped -1 day after the last stage" $((E - DAY + 60)) 8 "$k1" $NY
for s in 30 7 1 0; do
    for c in owner admin; do
        [ "$(sent "$k1" $s $c)" -eq 1 ] || bad "stage $s $c: $(sent "$k1" $s $c) sent values"
    done
done
[ "$(values "$k1" | grep -c ' sent ')" -eq 8 ] && ok "4 stages x 2 classes: 8 sent values" ||
    { bad "sent values:"; values "$k1" | sed 's/^/#   /'; }
hasnt <(values "$k1") ' (skipped|claimed) ' "no stage skipped, no claim left"
m=$(grep -l "apikey rotate $k1\b" mail/*.eml | xargs grep -l '^X-Apikey-Notice: owner' | head -1)
has "$m" "expires:  $(date -u -d "@$E" '+%Y-%m-%d %H:%M:%S') UTC" "the expiry is shown in UTC under a non-UTC TZ"

# --- across a daylight-saving change (New York): the 1-day stage is 86400
# UTC seconds before the expiry, not "the same local time the day before"
now=$(date +%s)
y=$(date -u +%Y)
T=$(zdump -v -c "$y,$((y + 3))" $NY | sed -n 's/^[^ ]* *\(.* UT\) = .*/\1/p' |
    while read -r t; do date -u -d "${t% UT} UTC" +%s; done |
    awk -v min=$((now + 3 * DAY)) '$1 % 60 == 0 && $1 > min {print; exit}')
if [ -z "$T" ]; then bad "no daylight-saving change found for $NY"; else
    k2=$(mkkey bob $((T + 12 * 3600 - now)) dst)
    E2=$(expiry "$k2")
    ok "a key expiring 12 h after the change of $(TZ=$NY date -d "@$T" '+%F %T %Z')"
    step "DST: the wider stage, at once" "$((E2 - DAY - 4 * 3600))" 2 "$k2" $NY
    step "DST: 1 min before the 1-day stage (UTC)" $((E2 - DAY - 60)) 2 "$k2" $NY
    step "DST: 1 min after it" $((E2 - DAY + 60)) 4 "$k2" $NY
    [ "$(sent "$k2" 1 owner)" -eq 1 ] && ok "DST: the 1-day stage recorded once" || bad "DST: the 1-day stage $(sent "$k2" 1 owner) times"
fi

# --- a renewed key starts again; a revoked key gets no more mail ---
k3=$(mkkey carol $((40 * DAY)) renewed)
E3=$(expiry "$k3")
step "renewal: the 7-day stage" $((E3 - 7 * DAY + 60)) 2 "$k3"
rec=$(rootsearch -b "uid=carol,$PEOPLE" -s base apiKeyRecord | sed -n "s/^apiKeyRecord: \(v1 id=$k3 .*\)/\1/p")
old=$(date -u -d "@$E3" +%Y%m%d%H%M%SZ)
E3b=$((E3 + 30 * DAY))
new=$(date -u -d "@$E3b" +%Y%m%d%H%M%SZ)
rootmod <<LDIF
dn: uid=carol,$PEOPLE
changetype: modify
delete: apiKeyRecord
apiKeyRecord: $rec
-
add: apiKeyRecord
apiKeyRecord: ${rec/expires=$old/expires=$new}
-
replace: apiKeyExpires
apiKeyExpires: $new
LDIF
[ "$(expiry "$k3")" -eq "$E3b" ] && ok "the key is renewed by 30 days" || bad "renewal failed"
step "renewed: nothing at the old 1-day stage" $((E3 - DAY + 60)) 2 "$k3"
step "renewed: the 30-day stage of the new expiry" $((E3b - 30 * DAY + 60)) 4 "$k3"
has <(values "$k3") "^apiKeyNotice: $k3 $new 30 owner sent " "the notice names the new expiry"
step "renewed: the new 7-day stage" $((E3b - 7 * DAY + 60)) 6 "$k3"

k4=$(mkkey dave $((40 * DAY)) revoked)
E4=$(expiry "$k4")
step "revocation: the 30-day stage" $((E4 - 30 * DAY + 60)) 2 "$k4"
expect_rc 0 "revoke" -- "${ADMIN[@]}" revoke "$k4"
step "revoked: no 7-day notice" $((E4 - 7 * DAY + 60)) 2 "$k4"
step "revoked: no 1-day notice" $((E4 - DAY + 60)) 2 "$k4"
step "revoked: no expired notice" $((E4 + 60)) 2 "$k4"

# --- a running daemon (syncrepl): its clock stepped past a due moment ---
# poll_for KID N SECS: wait until N messages are about KID; the ms taken
wait_mail() {
    local t0 end
    t0=$(date +%s%N)
    end=$(($(date +%s) + $3))
    while [ "$(mails "$1")" -lt "$2" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
    echo $((($(date +%s%N) - t0) / 1000000))
}
LIMIT=$((${#W[@]} ? 60 : 5)) # the poll interval is 1 s; slack for a busy machine
at "$(date +%s)"
k5=$(mkkey erin $((40 * DAY)) running)
E5=$(expiry "$k5")
TZ=$LH "${D[@]}" -c "$PWD/d.conf" >daemon.log 2>&1 </dev/null &
dpid=$!
for _ in $(seq 1 $((${#W[@]} ? 300 : 100))); do grep -q 'syncrepl: ' daemon.log && break; sleep 0.1; done
sleep 1
[ "$(mails "$k5")" -eq 0 ] && ok "running: nothing due yet" || bad "running: mail before the stage"
at $((E5 - 30 * DAY + 30))
ms=$(wait_mail "$k5" 2 "$LIMIT")
[ "$(mails "$k5")" -eq 2 ] && ok "running: stepped past the 30-day stage, the notices came in $ms ms" ||
    bad "running: no notice within $LIMIT s of the step (see daemon.log)"
at $((E5 - 30 * DAY + 30 - 3600))
sleep 3
at $((E5 - 30 * DAY + 30))
sleep 3
[ "$(mails "$k5")" -eq 2 ] && ok "running: stepped back and forth by an hour, nothing twice" || bad "running: $(mails "$k5") messages"
at $((E5 - 7 * DAY + 30))
ms=$(wait_mail "$k5" 4 "$LIMIT")
[ "$(mails "$k5")" -eq 4 ] && ok "running: stepped weeks ahead, the 7-day notices came in $ms ms" ||
    bad "running: no 7-day notice within $LIMIT s (see daemon.log)"
kill -TERM "$dpid"
wait "$dpid" && ok "running: SIGTERM stops it" || bad "running: daemon exit $?"
has daemon.log 'syncrepl' "running: the daemon used syncrepl"

# --- a running daemon that scans (no syncprov): the same ---
NOSYNC=dc=nosync,dc=test
printf 'admin-secret' >nosync.pw
chmod 600 nosync.pw
rec=$(rootsearch -b "uid=erin,$PEOPLE" -s base apiKeyRecord | sed -n "s/^apiKeyRecord: \(v1 id=$k5 .*\)/\1/p")
k6=abcdefghijk23456
ldapadd -x -H "$AK_TEST_URI" -D "cn=admin,$NOSYNC" -w admin-secret >/dev/null <<LDIF &&
dn: ou=people,$NOSYNC
objectClass: organizationalUnit
ou: people

dn: uid=scan,ou=people,$NOSYNC
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: apiKeyHolder
uid: scan
cn: scan
sn: scan
uidNumber: 50001
gidNumber: 50001
homeDirectory: /home/scan
mail: scan@example.org
apiKeyId: $k6
apiKeyRecord: ${rec/id=$k5/id=$k6}
LDIF
    ok "a holder in a database without syncprov" || bad "ldapadd in $NOSYNC"
sed -e "s|^user_base .*|user_base ou=people,$NOSYNC|" -e "s|^service_base .*|service_base ou=people,$NOSYNC|" \
    -e "s|^notice_bind_dn .*|notice_bind_dn cn=admin,$NOSYNC|" -e "s|^notice_bind_pw_file .*|notice_bind_pw_file $PWD/nosync.pw|" \
    -e "s|^notice_state_dir .*|notice_state_dir $PWD/state2|" d.conf >s.conf
at "$(date +%s)"
TZ=$NY "${D[@]}" -c "$PWD/s.conf" >scan.log 2>&1 </dev/null &
dpid=$!
for _ in $(seq 1 $((${#W[@]} ? 300 : 100))); do grep -q 'pass complete' scan.log && break; sleep 0.1; done
has scan.log 'scanning every 300 s' "scanning: the daemon scans (every notice_interval, 300 s)"
at $((E5 - 30 * DAY + 30))
ms=$(wait_mail "$k6" 1 "$LIMIT")
[ "$(mails "$k6")" -eq 1 ] && ok "scanning: stepped past the 30-day stage, the notice came in $ms ms" ||
    bad "scanning: no notice within $LIMIT s of the step (see scan.log)"
at $((E5 - 30 * DAY + 30 - DAY))
sleep 3
[ "$(mails "$k6")" -eq 1 ] && ok "scanning: stepped back a day, nothing twice" || bad "scanning: $(mails "$k6") messages"
kill -TERM "$dpid"
wait "$dpid" && ok "scanning: SIGTERM stops it" || bad "scanning: daemon exit $?"
sed 's/^/# scan.log: /' scan.log | grep -v 'sent a notice' | tail -5

done_tests
