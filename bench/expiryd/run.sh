#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# run.sh - benchmark apikey-expiryd against a throwaway harness slapd:
# one pass over N key holders beside a bare paged search of the same
# entries and attributes (the ratio), the daemon's peak memory per key,
# and change-to-notice latency in persist mode (syncrepl) over M changes.
#   bench/expiryd/run.sh [BUILD_DIR [N [M]]]   (default: build, 20000, 20)
# Quote medians: the machine is shared and noisy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
if [ "${1:-}" != --inner ]; then
    build=$(cd "${1:-$top/build}" && pwd)
    exec "$top/tests/ldap/with-slapd.sh" "$here/run.sh" --inner "$build" \
        "${2:-20000}" "${3:-20}"
fi
build=$2 n=$3 m=$4
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

# N holders with one key each, 60 days from expiry (nothing due: the pass
# is the scan). The record is a real one with its key id replaced: the
# daemon reads records, it never checks a secret.
"$apikey" -c "$PWD/d.conf" -D "$AK_TEST_ROOTDN" -y "$PWD/root.pw" create \
    alice --days 60 >/dev/null
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
echo "apikey-expiryd benchmark: $(nproc) CPUs, $n holders, $(date -u +%Y-%m-%dT%H:%MZ)"
# the daemon's own size, before the holders exist
/usr/bin/time -f %M -o rss0.txt "$daemon" -c "$PWD/d.conf" --once 2>/dev/null
rss0=$(cat rss0.txt)
t0=$(date +%s)
{ echo "dn: ou=bench,ou=people,dc=example,dc=org"
  echo "objectClass: organizationalUnit"
  echo "ou: bench"
  echo
  for i in $(seq 1 "$n"); do
      id=$(id_of $((i + 1000000)))
      cat <<LDIF
dn: uid=b$i,ou=bench,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: apiKeyHolder
uid: b$i
cn: b$i
sn: b
uidNumber: $((30000 + i))
gidNumber: 30000
homeDirectory: /home/b$i
mail: b$i@example.org
apiKeyId: $id
apiKeyRecord: ${rec/id=$kid0/id=$id}

LDIF
  done
} >holders.ldif
ldapadd "${ROOT[@]}" -f holders.ldif >/dev/null
echo "loaded in $(($(date +%s) - t0)) s"

attrs=(uid objectClass apiKeyId apiKeyRecord apiKeyRevoked apiKeyExpires
    apiKeyOwner apiKeyNotice mail apiKeyLastUsed pwdAccountLockedTime
    pwdStartTime pwdEndTime shadowExpire apiKeyDisabled nsAccountLock
    userAccountControl)
filter="(&(objectClass=apiKeyHolder)(apiKeyRecord=*)(|(objectClass=posixAccount)(objectClass=apiKeyServiceUser)))"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
bare=() pass=() rss=()
for r in 1 2 3 4 5; do
    t=$(now_ms)
    ldapsearch "${ROOT[@]}" -LLL -E pr=500/noprompt -b dc=example,dc=org \
        "$filter" "${attrs[@]}" >/dev/null
    bare+=($(($(now_ms) - t)))
    t=$(now_ms)
    /usr/bin/time -f %M -o rss.txt "$daemon" -c "$PWD/d.conf" --once \
        2>/dev/null
    pass+=($(($(now_ms) - t)))
    rss+=($(cat rss.txt))
done
b=$(printf '%s\n' "${bare[@]}" | median)
p=$(printf '%s\n' "${pass[@]}" | median)
k=$(printf '%s\n' "${rss[@]}" | median)
echo "bare paged search of the same entries and attributes: ${b} ms (median of 5)"
echo "apikey-expiryd --once (scan, plan, nothing due):      ${p} ms"
awk -v p="$p" -v b="$b" 'BEGIN {printf "ratio (p50): %.2fx  [target <= 1.2x]\n", p / b}'
echo "peak RSS of a pass: ${k} KiB, ${rss0} KiB without the holders: $(awk -v k="$k" -v z="$rss0" -v n="$n" 'BEGIN {printf "%.0f", (k - z) * 1024 / n}') bytes per key (a pass streams 500-entry pages; the persist-mode index is 33 bytes per holder)"

# Persist mode: one new key at a time, the time until its notice is mailed.
"$daemon" -c "$PWD/d.conf" 2>daemon.log &
dpid=$!
trap 'kill $dpid 2>/dev/null || true' EXIT
sleep 3
lat=()
for i in $(seq 1 "$m"); do
    id=$(id_of $((i + 5000000)))
    soon=$(date -u -d "@$(($(date +%s) + 2 * 86400))" +%Y%m%d%H%M%SZ)
    r=${rec/id=$kid0/id=$id}
    r=$(sed "s/ expires=[0-9]*Z/ expires=$soon/" <<<"$r")
    before=$(ls mail | wc -l)
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
    while [ "$(ls mail | wc -l)" -le "$before" ]; do
        [ $(($(now_ms) - t)) -lt 10000 ] || break
        sleep 0.01
    done
    lat+=($(($(now_ms) - t)))
done
kill -TERM "$dpid"
wait "$dpid" || true
printf '%s\n' "${lat[@]}" | sort -n | awk -v m="$m" '
    {a[NR]=$1} END {q=int(NR * 0.99 + 0.5); if (q < 1) q = 1;
        printf "change to notice in persist mode over %d changes: p50 %d ms, p99 %d ms  [target p50 < 1000 ms]\n", m, a[int((NR + 1) / 2)], a[q]}'
