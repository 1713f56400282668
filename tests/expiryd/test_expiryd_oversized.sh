#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_expiryd_oversized.sh - issue 16, finding 2: one hostile holder hurts
# only itself. A person with only her own password and the relax control
# (which slapd before 2.7 lets anyone send, skipping slapo-constraint:
# ITS#9204) adds six 3 MB apiKeyRevoked values to her own entry, past the
# 16 MiB the client accepts. The review saw: --once log "Can't contact LDAP
# server" and mail no holder after her; abort in liblber
# (sb_rdahead_read) when a service user's notice was due earlier in the
# scan (exit 134: the failed connection went back to the pool); a
# syncrepl refresh fail forever; apikey list --all print part and exit 4.
# Now her entry is set aside, named with why, once a run; every other
# holder's notice goes out, in a pass and in persist mode; --once and list
# --all say "incomplete" (1, 9). Then the general form: an admin writes a
# service user past the size; another person does it while the daemon
# runs in persist mode.
# Usage (from meson): test_expiryd_oversized.sh with-slapd.sh apikey apikey-expiryd
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

. "$top/tests/expiryd/lib.sh"
ex_outer -- "$@"
APIKEY=${2:?path to apikey}
EXPIRYD=${3:?path to apikey-expiryd}

ex_setup
A=("${W[@]}" "$APIKEY" -c "$AK_TEST_CONF")
ADMIN=("${A[@]}" -D "$ROOTDN" -y "$PWD/admin.pw")
D=("${W[@]}" "$EXPIRYD")
DAY=86400
WAIT=$((${#W[@]} ? 1200 : 300)) # tenths of a second
ex_conf d.conf
t0=$(date +%s)
now_ms() { echo $(($(date +%s%N) / 1000000)); }
until_() { for _ in $(seq 1 "$WAIT"); do "$@" && return 0; sleep 0.1; done; return 1; }
# about KID: the owner messages about KID
about() { grep -l "apikey rotate $1" mail/*.eml 2>/dev/null | xargs -r grep -l '^X-Apikey-Notice: owner' | wc -l; }
mailed() { [ "$(about "$1")" -ge 1 ]; }

# person NAME: a person after the fixtures in the scan, with a mail and
# her own password (NAME.pw)
uidn=30000
person() {
    uidn=$((uidn + 1))
    printf '%s-password' "$1" >"$1.pw"
    chmod 600 "$1.pw"
    ldapadd -x -H "$AK_TEST_URI" -D "$ROOTDN" -w admin-secret >/dev/null <<LDIF
dn: uid=$1,$PEOPLE
objectClass: inetOrgPerson
objectClass: posixAccount
uid: $1
cn: $1
sn: $1
uidNumber: $uidn
gidNumber: 10000
homeDirectory: /home/$1
mail: $1@example.org
userPassword: $1-password
LDIF
}
# grow DN BINDDN PWFILE: six adds of a 3 MB apiKeyRevoked value to DN as
# BINDDN with the relax control (few large values: the test stays fast);
# prints how many went through
big=$(head -c 3000000 /dev/zero | tr '\0' x)
grow() {
    local n=0 i
    for i in 1 2 3 4 5 6; do
        printf 'dn: %s\nchangetype: modify\nadd: apiKeyRevoked\napiKeyRevoked: %s%s\n' "$1" "$i" "$big" |
            ldapmodify -x -H "$AK_TEST_URI" -D "$2" -y "$3" -e relax >/dev/null 2>grow.err && n=$((n + 1))
    done
    echo $n
}
# slapd 2.7 gates relax on manage access (ITS#9204); before, anyone's skips
# the bounds, and her own password is all she needs
ver=$(/usr/sbin/slapd -VV 2>&1 | sed -n 's/.*slapd \([0-9]*\)\.\([0-9]*\).*/\1 \2/p' | head -1)
relax_gap=0
[ -n "$ver" ] && [ "${ver% *}" -eq 2 ] && [ "${ver#* }" -lt 7 ] && relax_gap=1
# attack NAME: NAME pushes her own entry past 16 MiB; where slapd refuses
# her (2.7), the root DN does it, as an admin may
attack() {
    local dn=uid=$1,$PEOPLE n
    n=$(grow "$dn" "$dn" "$1.pw")
    if [ $relax_gap = 1 ]; then
        [ "$n" = 6 ] && ok "$1, with her own password and -e relax, adds six 3 MB values (slapd < 2.7)" ||
            bad "$1's relaxed adds: $n of 6 went through"
    else
        ok "slapd >= 2.7 refuses $1's relaxed adds ($n of 6); the root DN writes them instead"
        [ "$(grow "$dn" "$ROOTDN" admin.pw)" = 6 ] || bad "the root DN's adds"
    fi
}

expect_rc 0 "policy set" -- "${ADMIN[@]}" policy set --notice-days 30,7,1 \
    --recipients keys@example.org
person eve
person frank
expect_rc 0 "a service user after her in the scan" -- "${ADMIN[@]}" \
    service create svc-late --owner frank
# before her in the scan: alice, svc-backup (alice responsible); after:
# frank, svc-late; each key at the 7-day stage
ka=$(mkkey alice $((3 * DAY)) a)
ks=$(mkkey svc-backup $((3 * DAY)) backup)
ke=$(mkkey eve $((3 * DAY)) e)
kf=$(mkkey frank $((3 * DAY)) f)
kl=$(mkkey svc-late $((3 * DAY)) late)

echo "# --- verbatim: eve's own password and the relax control ---"
attack eve
rootsearch -b "uid=eve,$PEOPLE" -s base 1.1 >/dev/null && ok "her entry is there"
# run CMD...: stdout in out.txt, stderr in err.txt, status in RC, time in MS
run() {
    local t
    t=$(now_ms)
    "$@" >out.txt 2>err.txt </dev/null
    RC=$?
    MS=$(($(now_ms) - t))
}
run "${D[@]}" -c "$PWD/d.conf" --once
[ $RC = 1 ] && ok "--once: incomplete (1), not aborted (was 134) nor unavailable (4)" ||
    { bad "--once: exit $RC, wanted 1"; sed 's/^/#   /' err.txt | head; }
echo "# figure: --once exit $RC in $MS ms (was 134: liblber's assertion)"
cp err.txt once1.log
hasnt once1.log "Can't contact|Assertion" "no line blames the server; no assertion"
has once1.log "uid=eve,$PEOPLE: set aside: entry larger than the 16 MiB the client accepts" \
    "the log names her entry and why"
[ "$(grep -c 'set aside:' once1.log)" = 1 ] && ok "the admins are told once in the run" ||
    bad "$(grep -c 'set aside:' once1.log) set-aside lines"
n=0
for k in "$ka" "$ks" "$kf" "$kl"; do mailed "$k" && n=$((n + 1)); done
[ $n = 4 ] && ok "every other holder's notice went out, before and after her (4/4)" ||
    bad "$n of 4 other holders' notices went out"
n=0
for k in "$kf" "$kl"; do mailed "$k" && n=$((n + 1)); done
echo "# figure: holders after her mailed $n/2 (frank, svc-late; was 0/2)"
[ "$(about "$ke")" = 0 ] && ok "hers did not (her entry cannot be read)" || bad "eve was mailed"
mailed "$ks" && ok "the service user's notice due before her went out (the abort path)" ||
    bad "svc-backup's notice"
expect_rc 0 "--status" -- "${D[@]}" -c "$PWD/d.conf" --status
has out.txt '^set aside: 1$' "--status counts the entry set aside"
has out.txt "^set aside entry: uid=eve,$PEOPLE: entry larger than the 16 MiB" "--status names it"
before=$(ls mail/*.eml | wc -l)
expect_rc 1 "a second --once: incomplete again" -- "${D[@]}" -c "$PWD/d.conf" --once
[ "$(grep -c 'set aside:' err.txt)" = 1 ] && ok "named once in that run too" || bad "set-aside lines: $(grep -c 'set aside:' err.txt)"
[ "$(ls mail/*.eml | wc -l)" = "$before" ] && ok "nothing mailed twice" || bad "mail sent again"

echo "# --- apikey list --all ---"
run "${ADMIN[@]}" list --all
[ $RC = 9 ] && ok "list --all: incomplete (9, was 4)" || bad "list --all: exit $RC, wanted 9"
echo "# figure: list --all exit $RC in $MS ms (was 4 after part of the list)"
has err.txt "uid=eve,$PEOPLE: its keys are not listed: entry larger than the 16 MiB the client accepts" \
    "it names the entry and why"
hasnt err.txt "Can't contact" "and does not blame the server"
n=0
for k in "$ka" "$ks" "$kf" "$kl"; do grep -q "^$k " out.txt && n=$((n + 1)); done
[ $n = 4 ] && ok "every other key is listed (4/4)" || bad "$n of 4 other keys listed"
expect_rc 9 "list --all --json: 9 as well" -- "${ADMIN[@]}" list --all --json
jqt "the JSON is whole and holds the keys after her" out.txt \
    "map(.id) | index(\"$kf\") != null and index(\"$kl\") != null and index(\"$ke\") == null"

echo "# --- general form: an admin writes a service user past the size ---"
expect_rc 0 "another service user" -- "${ADMIN[@]}" service create svc-big --owner frank
kb=$(mkkey svc-big $((3 * DAY)) big)
[ "$(grow "uid=svc-big,ou=services,$SUFFIX" "$ROOTDN" admin.pw)" = 6 ] &&
    ok "the root DN, relaxed, writes six 3 MB values to svc-big" || bad "the admin's adds"
expect_rc 9 "service list: incomplete (9)" -- "${ADMIN[@]}" service list
has err.txt "uid=svc-big,ou=services,$SUFFIX: not listed: entry larger than the 16 MiB" "it names svc-big"
has out.txt "svc-late" "and lists the others"
expect_rc 9 "list --all --service-users: 9" -- "${ADMIN[@]}" list --all --service-users
grep -q "^$kl " out.txt && ok "svc-late's key listed" || bad "svc-late's key missing"
expect_rc 1 "--once with two entries set aside: incomplete (1)" -- "${D[@]}" -c "$PWD/d.conf" --once
[ "$(grep -c 'set aside:' err.txt)" = 2 ] && ok "each named once" || bad "$(grep -c 'set aside:' err.txt) set-aside lines"
expect_rc 0 "--status" -- "${D[@]}" -c "$PWD/d.conf" --status
has out.txt '^set aside: 2$' "--status: 2 set aside"

echo "# --- persist mode (syncrepl): the refresh meets them; then grace grows hers ---"
person grace
kg=$(mkkey grace $((20 * DAY)) g) # notice at the 30-day stage: tracked
rm -rf state && mkdir state
"${D[@]}" -c "$PWD/d.conf" >daemon.log 2>&1 </dev/null &
dpid=$!
trap 'kill "$dpid" 2>/dev/null' EXIT # a failed check must not leave it
t=$(now_ms)
if until_ grep -q "syncrepl: refresh done" daemon.log; then
    ok "the refresh completes, eve and svc-big left out (was: failed forever)"
    echo "# figure: refresh complete after $(($(now_ms) - t)) ms"
else
    bad "no complete refresh (see daemon.log)"
fi
until_ mailed "$kg" && ok "grace's notice went out" || bad "grace not mailed"
attack grace
kd=$(mkkey bob $((3 * DAY)) b)
t=$(now_ms)
if until_ mailed "$kd"; then
    ok "persist mode: another person's new key got its notice"
    echo "# figure: persist mode, bob's notice $(($(now_ms) - t)) ms after his key (was: never)"
else
    bad "bob's notice did not go out"
fi
until_ grep -q "uid=grace,$PEOPLE: set aside: entry larger" daemon.log &&
    ok "persist mode names grace's entry" || bad "grace not named"
kill -0 "$dpid" 2>/dev/null && ok "the daemon runs on" || bad "the daemon died"
until_ grep -q '^set aside: 3$' state/status && ok "the status file counts 3 set aside" ||
    bad "status: $(grep '^set aside' state/status)"
for who in eve svc-big grace; do
    [ "$(grep -c "$who,.*: set aside:" daemon.log)" = 1 ] && ok "$who named once" ||
        bad "$who named $(grep -c "$who,.*: set aside:" daemon.log) times"
done
hasnt daemon.log "Can't contact|Assertion|failed [0-9]+ times in a row" \
    "no line blames the server; the sessions did not fail in a loop"
kill -TERM "$dpid"
wait "$dpid"
[ $? -eq 0 ] && ok "SIGTERM stops it cleanly" || bad "the daemon's exit"

echo "# figure: the whole test in $(($(date +%s) - t0)) s"
done_tests
