#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# run.sh - benchmark apikey-expiryd against a throwaway harness slapd, in
# one run over N key holders (one key each, nothing due):
#  - the initial syncrepl refresh (persist mode, no state file): from the
#    search to "refresh done" (the daemon's own log line, index complete),
#    and from the daemon's start to that line, beside a bare paged search
#    of the same entries and attributes (ldapsearch -E pr=500) and a bare
#    refreshOnly search (ldapsearch -E sync=ro);
#  - one --once pass (paged scan and planning) beside the same bare search;
#  - resident memory per key: the persist daemon's RSS after its refresh,
#    less its RSS with no holders, over N (and a pass's peak RSS);
#  - change-to-notice latency in persist mode: M changes, one at a time,
#    each a new key 2 days from expiry, until its first notice is mailed.
#   bench/expiryd/run.sh [BUILD_DIR [N [M [R]]]]
#   (default: build, 100000 holders, 100 changes, 5 repetitions)
# Ratios are of medians over R repetitions, interleaved with their bare
# searches; the machine is shared and noisy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
if [ "${1:-}" != --inner ]; then
    build=$(cd "${1:-$top/build}" && pwd)
    # A throwaway database: no fsync per write, so loading is quick. Reads
    # (everything measured) are the same.
    export AK_TEST_CONFIG_LDIF=$here/slapd-nosync.ldif
    exec "$top/tests/ldap/with-slapd.sh" "$here/run.sh" --inner "$build" \
        "${2:-100000}" "${3:-100}" "${4:-5}"
fi
build=$2 n=$3 m=$4 reps=$5
export LDAPNOINIT=1
daemon=$build/expiryd/apikey-expiryd
apikey=$build/cli/apikey
for f in "$daemon" "$apikey"; do
    [ -x "$f" ] || { echo "$f missing: build first" >&2; exit 1; }
done
ROOT=(-H "$AK_TEST_LDAPI" -x -D "$AK_TEST_ROOTDN" -w "$AK_TEST_ROOTPW")
printf '%s' "$AK_TEST_ROOTPW" >root.pw
chmod 600 root.pw
mkdir -p mail state
export AK_MAILDIR=$PWD/mail
# The daemon binds as the rootdn here: no size limit, and no ACLs to load.
{ sed "s|^uri .*|uri $AK_TEST_LDAPI|" "$AK_TEST_CONF"
  echo "notice_bind_dn $AK_TEST_ROOTDN"
  echo "notice_bind_pw_file $PWD/root.pw"
  echo "notice_from apikey@example.org"
  echo "notice_sendmail $top/tests/expiryd/capture-mailer.sh"
  echo "notice_state_dir $PWD/state"
} >d.conf
chmod 644 d.conf
"$apikey" -c "$PWD/d.conf" -D "$AK_TEST_ROOTDN" -y "$PWD/root.pw" policy set \
    --notice-days 30,7,1 --recipients keys@example.org >/dev/null

# The record is a real one with its key id replaced: the daemon reads
# records, it never checks a secret.
"$apikey" -c "$PWD/d.conf" -D "$AK_TEST_ROOTDN" -y "$PWD/root.pw" create \
    alice --days 60 >/dev/null 2>&1
rec=$(ldapsearch "${ROOT[@]}" -LLL -o ldif-wrap=no -b \
    uid=alice,ou=people,dc=example,dc=org -s base apiKeyRecord |
    sed -n 's/^apiKeyRecord: //p' | head -1)
kid0=$(sed 's/^v1 id=\([a-z2-7]*\).*/\1/' <<<"$rec")
b32=abcdefghijklmnopqrstuvwxyz234567
id_of() { # a 16-character base32 key id from a number
    local x=$1 s="" i
    for i in $(seq 1 16); do s=${b32:$((x % 32)):1}$s; x=$((x / 32)); done
    echo "$s"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
rss_of() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

# Persist mode from an empty state directory until the daemon logs that
# its refresh is done; sets rss (VmRSS, KiB), hwm (VmHWM), start_ms (from
# the start to the line, as seen here) and refresh_ms (the daemon's own).
dpid=
trap '[ -z "$dpid" ] || kill "$dpid" 2>/dev/null || true' EXIT
refresh_run() {
    local log=$1 t
    rm -f state/state state/status
    : >"$log"
    t=$(now_ms)
    "$daemon" -c "$PWD/d.conf" 2>"$log" &
    dpid=$!
    until grep -q 'refresh done' "$log"; do
        kill -0 "$dpid" 2>/dev/null || { cat "$log" >&2; exit 1; }
        [ $(($(now_ms) - t)) -lt 600000 ] || { echo "no refresh" >&2; exit 1; }
        sleep 0.01
    done
    start_ms=$(($(now_ms) - t))
    refresh_ms=$(sed -n 's/.*refresh done in \([0-9]*\) ms.*/\1/p' "$log")
    sleep 0.5 # the state file is written after the line
    rss=$(rss_of "$dpid" VmRSS) hwm=$(rss_of "$dpid" VmHWM)
}
refresh_stop() {
    kill -TERM "$dpid"
    wait "$dpid" || true
    dpid=
}

echo "apikey-expiryd benchmark: $(nproc) CPUs, $n holders, $reps repetitions, $(date -u +%Y-%m-%dT%H:%MZ)"
# The daemon's own size, before the holders exist.
/usr/bin/time -f %M -o rss0.txt "$daemon" -c "$PWD/d.conf" --once 2>/dev/null
once0=$(cat rss0.txt)
refresh_run empty.log
refresh_stop
rss0=$rss

t0=$(now_ms)
awk -v n="$n" -v rec="$rec" -v kid0="$kid0" -v b32="$b32" '
function id(x,   s, i) {
    s = ""
    for (i = 0; i < 16; i++) { s = substr(b32, x % 32 + 1, 1) s; x = int(x / 32) }
    return s
}
BEGIN {
    print "dn: ou=bench,ou=people,dc=example,dc=org"
    print "objectClass: organizationalUnit"
    print "ou: bench\n"
    for (i = 1; i <= n; i++) {
        k = id(i + 1000000); r = rec; sub("id=" kid0, "id=" k, r)
        printf "dn: uid=b%d,ou=bench,ou=people,dc=example,dc=org\n", i
        print "objectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: apiKeyHolder"
        printf "uid: b%d\ncn: b%d\nsn: b\nuidNumber: %d\ngidNumber: 30000\n", i, i, 30000 + i
        printf "homeDirectory: /home/b%d\nmail: b%d@example.org\n", i, i
        printf "apiKeyId: %s\napiKeyRecord: %s\n\n", k, r
    }
}' >holders.ldif
ldapadd "${ROOT[@]}" -f holders.ldif >/dev/null
echo "loaded in $((($(now_ms) - t0) / 1000)) s (one ldapadd)"

# What the daemon reads: its filter and attribute list (ex_filter,
# ex_attrs), as slapd's log shows them.
attrs=(objectClass apiKeyId apiKeyRecord apiKeyRevoked apiKeyExpires
    apiKeyOwner apiKeyLastUsed apiKeyNotice mail uid pwdAccountLockedTime
    pwdStartTime pwdEndTime shadowExpire apiKeyDisabled nsAccountLock
    userAccountControl)
filter="(&(objectClass=apiKeyHolder)(apiKeyRecord=*)(|(objectClass=posixAccount)(objectClass=apiKeyServiceUser)))"
bare_paged() {
    local t
    t=$(now_ms)
    ldapsearch "${ROOT[@]}" -LLL -E pr=500/noprompt -b dc=example,dc=org \
        "$filter" "${attrs[@]}" >/dev/null
    echo $(($(now_ms) - t))
}

# (a) the initial refresh, and (b) its memory.
bare=() sro=() start=() refresh=() rssk=() hwmk=()
for r in $(seq 1 "$reps"); do
    bare+=($(bare_paged))
    t=$(now_ms)
    ldapsearch "${ROOT[@]}" -LLL -E sync=ro -b dc=example,dc=org \
        "$filter" "${attrs[@]}" >/dev/null
    sro+=($(($(now_ms) - t)))
    refresh_run "refresh$r.log"
    start+=("$start_ms") refresh+=("$refresh_ms") rssk+=("$rss") hwmk+=("$hwm")
    [ "$r" = "$reps" ] || refresh_stop
done
b=$(printf '%s\n' "${bare[@]}" | median)
s=$(printf '%s\n' "${sro[@]}" | median)
rf=$(printf '%s\n' "${refresh[@]}" | median)
st=$(printf '%s\n' "${start[@]}" | median)
k=$(printf '%s\n' "${rssk[@]}" | median)
h=$(printf '%s\n' "${hwmk[@]}" | median)
grep -h 'refresh done' refresh1.log | sed 's/^/  daemon: /'
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a / b}'; }
echo "  runs (ms): paged ${bare[*]}; refreshOnly ${sro[*]}; refresh ${refresh[*]}; start to done ${start[*]}"
echo "bare paged search of the same entries and attributes:   ${b} ms (median of $reps)"
echo "bare refreshOnly search (ldapsearch -E sync=ro), same:   ${s} ms"
echo "initial refresh, search to index complete (daemon log):  ${rf} ms: $(ratio "$rf" "$b") the paged search [target <= 1.2x], $(ratio "$rf" "$s") the refreshOnly search"
echo "daemon start to refresh done (start, policy, refresh):  ${st} ms: $(ratio "$st" "$b")"
echo "resident memory after the refresh: ${k} KiB (${rss0} KiB with no holders): $(awk -v k="$k" -v z="$rss0" -v n="$n" 'BEGIN {printf "%.0f", (k - z) * 1024 / n}') bytes per key [target < 64]; peak ${h} KiB"

# (c) change to notice, on the last refreshed daemon.
lat=()
for i in $(seq 1 "$m"); do
    id=$(id_of $((i + 5000000)))
    soon=$(date -u -d "@$(($(date +%s) + 2 * 86400))" +%Y%m%d%H%M%SZ)
    r=${rec/id=$kid0/id=$id}
    r=$(sed "s/ expires=[0-9]*Z/ expires=$soon/" <<<"$r")
    before=$(find mail -name '*.eml' | wc -l)
    t=$(now_ms)
    ldapmodify "${ROOT[@]}" >/dev/null <<LDIF
dn: uid=b$i,ou=bench,ou=people,dc=example,dc=org
changetype: modify
add: apiKeyId
apiKeyId: $id
-
add: apiKeyRecord
apiKeyRecord: $r
LDIF
    while [ "$(find mail -name '*.eml' | wc -l)" -le "$before" ]; do
        [ $(($(now_ms) - t)) -lt 10000 ] || break
        sleep 0.005
    done
    lat+=($(($(now_ms) - t)))
done
refresh_stop
printf '%s\n' "${lat[@]}" | sort -n | awk -v m="$m" '
    {a[NR]=$1} END {q=int(NR * 0.99 + 0.5); if (q < 1) q = 1;
        printf "change to notice in persist mode over %d changes: p50 %d ms, p99 %d ms  [target p50 < 1000 ms]\n", m, a[int((NR + 1) / 2)], a[q]}'

# (a) one --once pass: the paged scan and planning (the 100 changed
# holders now carry claimed notices; nothing else is due).
bare=() pass=() rss=()
for r in $(seq 1 "$reps"); do
    bare+=($(bare_paged))
    t=$(now_ms)
    /usr/bin/time -f %M -o rss.txt "$daemon" -c "$PWD/d.conf" --once \
        2>/dev/null
    pass+=($(($(now_ms) - t)))
    rss+=($(cat rss.txt))
done
b=$(printf '%s\n' "${bare[@]}" | median)
p=$(printf '%s\n' "${pass[@]}" | median)
k=$(printf '%s\n' "${rss[@]}" | median)
echo "  runs (ms): paged ${bare[*]}; --once ${pass[*]}"
echo "bare paged search of the same entries and attributes:   ${b} ms (median of $reps)"
echo "apikey-expiryd --once (scan, plan, nothing due):         ${p} ms: $(ratio "$p" "$b") [target <= 1.2x]"
echo "peak RSS of a pass: ${k} KiB, ${once0} KiB without the holders (a pass streams 500-entry pages)"
