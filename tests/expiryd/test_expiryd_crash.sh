#!/bin/bash
# test_expiryd_crash.sh - N-01: the expiry daemon killed (SIGKILL) at each
# step of a notice, then a clean daemon after the lease: every notice goes
# out at least once, and more than once only when the kill came after the
# mailer accepted and before the daemon recorded it ("accepted"). Prints the
# measured duplicate rate of each crash point.
#
# The crash points are those of expiryd/testhook.h, in the test build of
# the daemon (apikey-expiryd-test, EX_TEST_CRASH_AT). Instead of waiting
# for notice_lease (at least 30 s) after each kill, the test ages the dead
# daemon's claims in the directory (their claim time moved an hour back):
# to the planner that is the lease having passed.
#
# AK_CRASH_RUNS (default 100): runs per crash point.
# Usage (from meson): test_expiryd_crash.sh with-slapd.sh apikey apikey-expiryd-test
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

. "$top/tests/expiryd/lib.sh"
ex_outer -- "$@"
APIKEY=${2:?path to apikey}
EXPIRYD=${3:?path to apikey-expiryd-test}
RUNS=${AK_CRASH_RUNS:-100}

ex_setup # each crash point has a mail dir of its own (AK_MAILDIR)
A=("$APIKEY" -c "$AK_TEST_CONF")
ADMIN=("${A[@]}" -D "$ROOTDN" -y "$PWD/admin.pw")
D=("${W[@]}" "$EXPIRYD" -c "$PWD/d.conf")
ex_conf d.conf
expect_rc 0 "policy set" -- "${ADMIN[@]}" policy set --notice-days 30,7,1 \
    --recipients keys@example.org

mkuser() { # mkuser NAME: a person with one valid mail
    rootmod -a <<LDIF
dn: uid=$1,$PEOPLE
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: apiKeyHolder
uid: $1
cn: $1
sn: Crash
mail: $1@example.org
uidNumber: $((20000 + RANDOM))
gidNumber: 10000
homeDirectory: /home/$1
LDIF
}
# age_claims DN: every claim in DN made an hour old (past any lease).
age_claims() {
    local dn=$1 t v
    t=$(gentime -3600)
    rootsearch -b "$dn" -s base apiKeyNotice |
        sed -n 's/^apiKeyNotice: \(.* claimed .*\)$/\1/p' >claims.txt
    [ -s claims.txt ] || return 0
    { echo "dn: $dn"
      echo "changetype: modify"
      while read -r v; do
          printf 'delete: apiKeyNotice\napiKeyNotice: %s\n-\n' "$v"
          printf 'add: apiKeyNotice\napiKeyNotice: %s\n-\n' \
              "$(echo "$v" | awk -v t="$t" '{ $6 = t; print }')"
      done <claims.txt; } | rootmod
}
# tally DIR: "<count> <class> <kid>" for every notice in DIR's messages
tally() {
    local f cls
    for f in "$1"/*.eml; do
        [ -e "$f" ] || continue
        cls=$(sed -n 's/^X-Apikey-Notice: //p' "$f" | head -1)
        grep -o 'apikey rotate [a-z2-7]*' "$f" | sort -u | sed "s/^apikey rotate /$cls /"
    done | sort | uniq -c
}

# One crash point: RUNS times a new key (its 7-day stage due, 30 skipped),
# a daemon killed at the point, its claims aged, a clean daemon.
crash_point() {
    local p=$1 user i kid rc crashed=0 cleanfail=0 total missing dups delay=
    local maildir=$PWD/mail-$p
    mkdir -p "$maildir"
    export AK_MAILDIR=$maildir
    # at "handed" the mailer has the message but has not accepted it yet
    [ "$p" = handed ] && delay=0.1
    : >"kids-$p.txt"
    : >"users-$p.txt"
    local t0
    t0=$(date +%s)
    for i in $(seq 1 "$RUNS"); do
        # a new holder every 20 runs: entries stay small
        if [ $(((i - 1) % 20)) -eq 0 ]; then
            user=crash-$p-$i
            mkuser "$user" || { bad "$p: cannot create $user"; return; }
            echo "$user" >>"users-$p.txt"
        fi
        kid=$(mkkey "$user" $((3 * 86400 + 600)) "$p-$i") || { bad "$p: mkkey"; return; }
        echo "$kid" >>"kids-$p.txt"
        if [ "$p" = stored ]; then
            # the syncrepl state is stored in persist mode only
            (EX_TEST_CRASH_AT=$p AK_MAILER_DELAY=$delay timeout 60 "${D[@]}" \
                >"crash-$p.log" 2>&1 </dev/null; exit $?) 2>/dev/null
        else
            (EX_TEST_CRASH_AT=$p AK_MAILER_DELAY=$delay "${D[@]}" --once \
                >"crash-$p.log" 2>&1 </dev/null; exit $?) 2>/dev/null
        fi
        rc=$?
        [ "$rc" -eq 137 ] && crashed=$((crashed + 1)) ||
            { echo "# $p run $i: exit $rc, not killed"; sed 's/^/#   /' "crash-$p.log" | tail -5; }
        age_claims "uid=$user,$PEOPLE"
        "${D[@]}" --once >"clean-$p.log" 2>&1 </dev/null ||
            { cleanfail=$((cleanfail + 1)); sed 's/^/#   /' "clean-$p.log" | tail -5; }
    done
    [ "$crashed" -eq "$RUNS" ] && ok "$p: killed at the point in $RUNS of $RUNS runs" ||
        bad "$p: killed in $crashed of $RUNS runs"
    [ "$cleanfail" -eq 0 ] && ok "$p: every clean daemon after a kill succeeds" ||
        bad "$p: $cleanfail clean runs failed"
    tally "$maildir" >"tally-$p.txt"
    total=0 missing=0 dups=0
    while read -r kid; do
        for c in owner admin; do
            total=$((total + 1))
            n=$(awk -v c="$c" -v k="$kid" '$2 == c && $3 == k { print $1 }' "tally-$p.txt")
            [ -n "$n" ] || { missing=$((missing + 1)); continue; }
            [ "$n" -le 1 ] || dups=$((dups + 1))
        done
    done <"kids-$p.txt"
    [ "$missing" -eq 0 ] && ok "$p: all $total notices sent" || bad "$p: $missing of $total notices never sent"
    echo "# $p: duplicate rate $dups/$total ($((dups * 100 / total))%) in $(($(date +%s) - t0)) s"
    if [ "$p" = accepted ]; then
        [ "$dups" -gt 0 ] && ok "$p: the one duplicate window is seen ($dups doubled)" ||
            bad "$p: no duplicate after a kill between accept and record?"
    else
        [ "$dups" -eq 0 ] && ok "$p: no notice twice" || bad "$p: $dups notices sent twice"
    fi
    while read -r user; do
        rootsearch -b "uid=$user,$PEOPLE" -s base apiKeyNotice
    done <"users-$p.txt" >"notices-$p.txt"
    hasnt "notices-$p.txt" ' claimed ' "$p: no claim is left behind"
    [ "$(grep -c ' 7 \(owner\|admin\) sent ' "notices-$p.txt")" -eq "$total" ] &&
        ok "$p: all $total notices recorded as sent" ||
        bad "$p: $(grep -c ' 7 \(owner\|admin\) sent ' "notices-$p.txt") of $total recorded as sent"
}

for p in ${AK_CRASH_POINTS-read claimed handed accepted recorded stored}; do
    crash_point "$p"
done

# --- a deferred notice's history survives a kill after its take-over ---
# (first failure and attempts ride in the claim: the 24-hour bound and the
# backoff go on counting whoever settles it)
export AK_MAILDIR=$PWD/mail-hist
mkdir -p "$AK_MAILDIR"
mkuser crash-hist
hist_dn=uid=crash-hist,$PEOPLE
# deferred DN KID EXPIRES FIRST N: put a deferred owner notice of stage 1
deferred() {
    rootmod <<LDIF
dn: $1
changetype: modify
add: apiKeyNotice
apiKeyNotice: $2 $3 1 owner deferred $4 $5
LDIF
}
t=$(($(date +%s) + 12 * 3600))
exp=$(date -u -d "@$t" +%Y%m%d%H%M%SZ)
kid=$(mkkey crash-hist "@$t" hist)
first=$(gentime -600) # retry due (2 minutes after one failure)
deferred "$hist_dn" "$kid" "$exp" "$first" 1
(EX_TEST_CRASH_AT=claimed "${D[@]}" --once >hist.log 2>&1 </dev/null; exit $?) 2>/dev/null
[ $? -eq 137 ] && ok "history: killed after taking over the deferred notice" || bad "history: not killed"
rootsearch -b "$hist_dn" -s base apiKeyNotice >n.txt
has n.txt "^apiKeyNotice: $kid $exp 1 owner claimed [0-9]{14}Z [A-Za-z0-9.-]+ $first 1\$" \
    "history: the claim carries the first failure and the attempts"
age_claims "$hist_dn"
echo 75 >"$AK_MAILDIR/exit"
expect_rc 1 "history: the mailer fails again after the take-over" -- "${D[@]}" --once
rootsearch -b "$hist_dn" -s base apiKeyNotice >n.txt
has n.txt "^apiKeyNotice: $kid $exp 1 owner deferred $first 2\$" \
    "history: deferred again from the first failure, attempt 2"
rm -f "$AK_MAILDIR/exit"

# A deferred notice whose 24 hours end while its claimer lies dead: given
# up, not sent (the crash does not restart the bound).
t=$(($(date +%s) + 12 * 3600 + 60))
exp=$(date -u -d "@$t" +%Y%m%d%H%M%SZ)
kid=$(mkkey crash-hist "@$t" hist24)
first=$(gentime $((-86400 + 4)))
deferred "$hist_dn" "$kid" "$exp" "$first" 1
(EX_TEST_CRASH_AT=claimed "${D[@]}" --once >hist.log 2>&1 </dev/null; exit $?) 2>/dev/null
[ $? -eq 137 ] && ok "history: killed after the take-over (4 s before the 24 hours)" || bad "history: not killed"
sleep 5
age_claims "$hist_dn"
"${D[@]}" --once >hist.log 2>&1 </dev/null
rootsearch -b "$hist_dn" -s base apiKeyNotice >n.txt
has n.txt "^apiKeyNotice: $kid $exp 1 owner failed [0-9]{14}Z tempfail-24h\$" \
    "history: 24 hours after the first failure the notice is given up"
[ -z "$(grep -l "apikey rotate $kid" "$AK_MAILDIR"/*.eml 2>/dev/null | xargs -r grep -l 'X-Apikey-Notice: owner')" ] &&
    ok "history: no owner mail after the 24 hours" || bad "history: the owner was mailed after the 24 hours"

done_tests
