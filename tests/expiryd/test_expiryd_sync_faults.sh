#!/bin/bash
# test_expiryd_sync_faults.sh - N-04 and N-09: the daemon in persist mode
# (RFC 4533 against the harness slapd, syncprov without a session log)
# while the directory goes away and comes back:
#   - slapd stopped 10 s and started again mid-run: the daemon reconnects
#     and converges, notices for keys made after the restart arrive, no
#     mail while it is down, none twice; it alerts (a line at error level)
#     after consecutive failures, and a second outage is not paid for with
#     the first one's backoff;
#   - --once while slapd is down or paused: nothing concluded, no mail;
#   - the daemon stopped and started: it resumes from its cookie;
#   - a key holder deleted and a key revoked while the daemon is down: it
#     converges (the deleted entry leaves its state) and sends nothing more
#     for them;
#   - e-syncRefreshRequired (4096; the search base renamed away and back):
#     a full refresh, the later notices arrive, none twice.
# Log levels are read as the journal would: with JOURNAL_STREAM naming its
# stderr the daemon prefixes each line with <priority> (sd-daemon(3)).
# Usage (from meson): test_expiryd_sync_faults.sh with-slapd.sh apikey apikey-expiryd
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

. "$top/tests/expiryd/lib.sh"
ex_outer -- "$@"
APIKEY=${2:?path to apikey}
EXPIRYD=${3:?path to apikey-expiryd}
: "${AK_TEST_SLAPD_CTL:?the harness gives no server control}"

ex_setup state state-rr
A=("$APIKEY" -c "$AK_TEST_CONF")
ADMIN=("${A[@]}" -D "$ROOTDN" -y "$PWD/admin.pw")
D=("${W[@]}" "$EXPIRYD")
SLAPD=$AK_TEST_SLAPD_CTL

conf() { # conf FILE STATE_DIR [EXTRA LINE...]
    local f=$1 s=$2; shift 2
    # notice_interval 3600: only syncrepl drives it
    EX_STATE=$s ex_conf "$f" "notice_interval 3600" "$@"
}
conf d.conf "$PWD/state"
count() { ls mail/*.eml 2>/dev/null | wc -l; }
# mails CLASS KID: how many CLASS messages name KID
mails() {
    local n=0 f
    for f in mail/*.eml; do
        [ -e "$f" ] || continue
        grep -q "^X-Apikey-Notice: $1\$" "$f" && grep -q "apikey rotate $2\$" "$f" && n=$((n + 1))
    done
    echo "$n"
}
# wait_until SECONDS CMD...: poll CMD every 0.2 s; false on timeout
wait_until() {
    local lim=$1 _; shift
    for _ in $(seq 1 $((lim * 5))); do "$@" && return 0; sleep 0.2; done
    return 1
}
both_sent() { [ "$(mails owner "$1")" -ge 1 ] && [ "$(mails admin "$1")" -ge 1 ]; }
logged() { grep -qE -- "$1" "${2:-daemon.log}"; }
start_daemon() { # start_daemon CONF LOG: in the background, pid in $dpid
    : >>"$2"
    JOURNAL_STREAM=$(stat -c %d:%i "$2") "${D[@]}" -c "$1" >>"$2" 2>&1 </dev/null &
    dpid=$!
}
stop_daemon() {
    kill -TERM "$dpid"
    wait "$dpid"
    local rc=$?
    [ "$rc" -eq 0 ] && ok "the daemon stops cleanly" || bad "daemon exit $rc"
}
uuid_hex() { # the entryUUID of DN as 32 hex digits
    rootsearch -b "$1" -s base entryUUID | sed -n 's/^entryUUID: //p' | tr -d '-'
}
tracked() { # tracked UUIDHEX [STATEFILE]: the daemon's state holds it
    od -An -v -tx1 "${2:-state/state}" | tr -d ' \n' | grep -q "$1"
}

expect_rc 0 "policy set" -- "${ADMIN[@]}" policy set --notice-days 30,7,1 \
    --recipients keys@example.org

# --- LDAP down for a --once run: nothing concluded, no mail -------------
k0=$(mkkey alice $((3 * 86400)) before-outage)
"$SLAPD" stop
start=$(date +%s)
expect_rc 4 "--once with slapd down: unavailable" -- "${D[@]}" -c "$PWD/d.conf" --once
[ "$(count)" -eq 0 ] && ok "slapd down: no mail" || bad "slapd down: $(count) mails"
has err.txt 'INCOMPLETE' "slapd down: the pass says it is incomplete"
"$SLAPD" start
kill -STOP "$(sed -n 's/^AK_TEST_PID=//p' "$AK_TEST_DIR/env")"
start=$(date +%s)
expect_rc 4 "--once with slapd paused (slow): unavailable" -- "${D[@]}" -c "$PWD/d.conf" --once
kill -CONT "$(sed -n 's/^AK_TEST_PID=//p' "$AK_TEST_DIR/env")"
[ $(($(date +%s) - start)) -lt 30 ] && ok "slapd paused: the pass gives up in $(($(date +%s) - start)) s" ||
    bad "slapd paused: the pass took $(($(date +%s) - start)) s"
[ "$(count)" -eq 0 ] && ok "slapd paused: no mail" || bad "slapd paused: $(count) mails"

# --- persist mode; slapd stopped 10 s and started again ------------------
start_daemon "$PWD/d.conf" daemon.log
wait_until 20 both_sent "$k0" && ok "persist mode: the notices due at start go out" ||
    bad "persist mode: no notice for $k0"
wait_until 20 logged 'syncrepl: full refresh' || bad "no syncrepl session"
k1=$(mkkey bob $((3 * 86400)) live)
wait_until 10 both_sent "$k1" && ok "persist mode: a new key's notices arrive" || bad "no notice for $k1"
expect_rc 0 "a service user owned by bob" -- "${ADMIN[@]}" service create svc-live --owner bob
before=$(count)
"$SLAPD" stop
sleep 10
[ "$(count)" -eq "$before" ] && ok "slapd down 10 s: no mail meanwhile" || bad "slapd down: $(($(count) - before)) mails"
kill -0 "$dpid" 2>/dev/null && ok "slapd down 10 s: the daemon waits it out" || bad "the daemon died"
logged '^<3>.*syncrepl.*failed [0-9]+ times in a row' &&
    ok "slapd down: an alert at error level after consecutive failures" ||
    { bad "slapd down: no error-level alert"; grep syncrepl daemon.log | tail -5 | sed 's/^/#   /'; }
"$SLAPD" start
t1=$(date +%s)
k2=$(mkkey alice $((3 * 86400 + 60)) after-restart)
ks=$(mkkey svc-live $((3 * 86400 + 90)) service-after-restart)
wait_until 40 both_sent "$k2" &&
    ok "slapd back: a key made after the restart is notified $(($(date +%s) - t1)) s later" ||
    bad "slapd back: no notice for $k2"
# the first reads and writes after the restart meet the daemon's pooled
# connections to the old server: a fault there is no verdict on the mail
wait_until 20 both_sent "$ks" && grep -l "apikey rotate $ks\$" mail/*.eml |
    xargs grep -l 'X-Apikey-Notice: owner' | xargs grep -q '^To: .*bob@example.org' &&
    ok "slapd back: a service user's key reaches its responsible person" ||
    { bad "slapd back: no owner notice for the service user's key $ks";
      rootsearch -b "uid=svc-live,ou=services,$SUFFIX" -s base apiKeyNotice | grep "$ks" | sed 's/^/#   /'; }
logged '^<5>.*syncrepl: the directory answers again' &&
    ok "slapd back: the recovery is logged" || bad "slapd back: no recovery line"
[ "$(grep -E 'syncrepl: (resumed|full refresh)$' daemon.log | tail -1)" = "<6>syncrepl: resumed" ] &&
    ok "slapd back: the session resumes from the cookie (no full refresh)" ||
    bad "slapd back: the cookie was lost in the outage ($(grep -E 'syncrepl: (resumed|full refresh)$' daemon.log | tail -1))"

# A second, short outage: the backoff starts again from 1 s.
"$SLAPD" stop
sleep 1
"$SLAPD" start
t1=$(date +%s)
k3=$(mkkey bob $((3 * 86400 + 120)) second-outage)
wait_until 30 both_sent "$k3"
el=$(($(date +%s) - t1))
[ "$el" -le 8 ] && both_sent "$k3" && ok "a second outage: notified $el s after slapd is back" ||
    bad "a second outage: $el s before the notice (the first outage's backoff kept?)"

# --- the daemon stopped while keys change: it resumes from its cookie ----
stop_daemon
k4=$(mkkey alice $((3 * 86400 + 180)) while-stopped)
start_daemon "$PWD/d.conf" daemon2.log
wait_until 20 both_sent "$k4" && ok "restart: a key made while the daemon was stopped is notified" ||
    bad "restart: no notice for $k4"
wait_until 10 logged 'syncrepl: resumed' daemon2.log && ok "restart: syncrepl resumed from the cookie" ||
    bad "restart: no resume"

# --- deleted and revoked while the daemon is down (no session log) -------
# Two keys whose 7-day stage falls due in 40 s: their 30-day one goes out
# now, and the daemon tracks them for the next.
due=$(($(date +%s) + 40))
expect_rc 0 "a service user" -- "${ADMIN[@]}" service create svc-gone --owner alice
kd=$(mkkey svc-gone $((7 * 86400 + 40)) doomed)
kr=$(mkkey bob $((7 * 86400 + 40)) revoked)
wait_until 20 both_sent "$kd" && wait_until 20 both_sent "$kr" &&
    ok "two keys notified at 30 days" || bad "no 30-day notices for $kd $kr"
gone=$(uuid_hex "uid=svc-gone,ou=services,$SUFFIX")
wait_until 10 tracked "$gone" && ok "the service user is tracked" || bad "the service user is not in the state"
stop_daemon
expect_rc 0 "the service user deleted" -- "${ADMIN[@]}" service delete svc-gone --force
expect_rc 0 "a key revoked" -- "${ADMIN[@]}" revoke "$kr"
start_daemon "$PWD/d.conf" daemon3.log
wait_until 20 logged 'syncrepl: resumed' daemon3.log || bad "no resume after the deletes"
while [ "$(date +%s)" -lt $((due + 5)) ]; do sleep 1; done
kill -0 "$dpid" 2>/dev/null || bad "the daemon died"
[ "$(mails owner "$kd")" -eq 1 ] && [ "$(mails admin "$kd")" -eq 1 ] &&
    ok "deleted while down: nothing more sent for its key" ||
    bad "deleted while down: $(mails owner "$kd") owner, $(mails admin "$kd") admin mails for $kd"
[ "$(mails owner "$kr")" -eq 1 ] && [ "$(mails admin "$kr")" -eq 1 ] &&
    ok "revoked while down: nothing more sent" ||
    bad "revoked while down: $(mails owner "$kr") owner, $(mails admin "$kr") admin mails for $kr"
wait_until 10 eval '! tracked "$gone"' && ok "deleted while down: it leaves the daemon's state (converged)" ||
    bad "deleted while down: still tracked"
stop_daemon

# --- e-syncRefreshRequired: the search base renamed away and back --------
rootmod -a <<LDIF
dn: ou=rr,$PEOPLE
objectClass: organizationalUnit
ou: rr

dn: uid=rita,ou=rr,$PEOPLE
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: apiKeyHolder
uid: rita
cn: Rita
sn: Rr
mail: rita@example.org
uidNumber: 10077
gidNumber: 10000
homeDirectory: /home/rita
LDIF
sed "s|^user_base .*|user_base ou=rr,$PEOPLE|; s|^service_base .*|service_base ou=rr,$PEOPLE|" \
    "$AK_TEST_CONF" >rr-base.conf
AK_TEST_CONF=$PWD/rr-base.conf conf rr.conf "$PWD/state-rr"
k5=$(mkkey rita $((3 * 86400)) rr-1)
start_daemon "$PWD/rr.conf" daemon-rr.log
wait_until 20 both_sent "$k5" && ok "refresh required: the first key is notified" || bad "no notice for $k5"
wait_until 20 logged 'syncrepl: full refresh' daemon-rr.log
ldapmodrdn -x -H "$AK_TEST_URI" -D "$ROOTDN" -w admin-secret -r "ou=rr,$PEOPLE" ou=rr2 >/dev/null
# syncprov notices at its next write (one outside the renamed subtree: a
# write inside it while the persistent search is there hangs slapd 2.5).
# Now and then slapd 2.5 hangs on that write all the same: then it is
# restarted and the 4096 check is skipped (said so below); the client's
# handling of 4096 against slapd is test_sync.c's, and the daemon must
# still converge here.
if timeout 20 ldapmodify -x -H "$AK_TEST_URI" -D "$ROOTDN" -w admin-secret >/dev/null <<LDIF
dn: uid=alice,$PEOPLE
changetype: modify
replace: description
description: after the rename
LDIF
then
    wait_until 10 logged 'syncrepl: full refresh required' daemon-rr.log &&
        ok "refresh required: seen (4096)" || bad "refresh required: not seen"
else
    ok "(skipped: slapd hung on the write after renaming the search base; restarted)"
    "$SLAPD" restart
fi
ldapmodrdn -x -H "$AK_TEST_URI" -D "$ROOTDN" -w admin-secret -r "ou=rr2,$PEOPLE" ou=rr >/dev/null
k6=$(mkkey rita $((3 * 86400 + 60)) rr-2)
wait_until 40 both_sent "$k6" && ok "refresh required: a full refresh, the next key is notified" ||
    { bad "refresh required: no notice for $k6"; tail -5 daemon-rr.log | sed 's/^/#   /'; }
kill -0 "$dpid" 2>/dev/null && ok "refresh required: the daemon is still there" || bad "the daemon died"
stop_daemon

# --- one connection in the pool (pool_size 1) ------------------------------
# The persistent search holds a connection for as long as it runs: the
# reads beside it (a service user's responsible people, a tracked holder
# falling due) must still get one, and a read that cannot happen is no
# verdict on anyone's mail address.
mkdir -p state-p1
conf p1.conf "$PWD/state-p1" "pool_size 1"
expect_rc 0 "a service user for the small pool" -- "${ADMIN[@]}" service create svc-pool --owner bob
start_daemon "$PWD/p1.conf" daemon-p1.log
wait_until 20 logged 'syncrepl: (full refresh|resumed)' daemon-p1.log || bad "pool_size 1: no syncrepl session"
kp=$(mkkey svc-pool $((3 * 86400 + 240)) small-pool)
wait_until 20 both_sent "$kp" && grep -l "apikey rotate $kp\$" mail/*.eml |
    xargs grep -l 'X-Apikey-Notice: owner' | xargs grep -q '^To: .*bob@example.org' &&
    ok "pool_size 1: a service user's key reaches its responsible person" ||
    bad "pool_size 1: no owner notice to bob for $kp"
rootsearch -b "uid=svc-pool,ou=services,$SUFFIX" -s base apiKeyNotice >n.txt
hasnt n.txt "$kp .* owner failed" "pool_size 1: the owner notice is not recorded as failed"
stop_daemon

# --- none twice, none lost -------------------------------------------------
wrong=0
for k in "$k0" "$k1" "$k2" "$ks" "$k3" "$k4" "$kd" "$kr" "$k5" "$k6" "$kp"; do
    o=$(mails owner "$k") a=$(mails admin "$k")
    [ "$o" -eq 1 ] && [ "$a" -eq 1 ] || { wrong=$((wrong + 1)); echo "# key $k: $o owner and $a admin notices"; }
done
[ "$wrong" -eq 0 ] && ok "each key's notices once per class (11 keys)" || bad "$wrong keys not notified exactly once per class"
hasnt <(cat daemon*.log) 'may go out twice' "no notice in the duplicate window"

done_tests
