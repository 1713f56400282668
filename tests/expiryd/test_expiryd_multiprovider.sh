#!/bin/bash
# test_expiryd_multiprovider.sh - apikey-expiryd beside a multi-provider
# pair of throwaway slapds (syncrepl both ways, olcMultiProvider): the
# supported set-up, where every daemon reads from its own provider but
# claims on one and the same provider (notice_write_uri), sends each
# notice exactly once; the daemon warns when it sees several providers
# and no notice_write_uri. Claims sent to two providers can both win (an
# add on each side before replication): that set-up is measured and
# reported, never relied on.
# Usage (from meson): test_expiryd_multiprovider.sh with-slapd.sh apikey apikey-expiryd
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

. "$top/tests/expiryd/lib.sh"
ex_outer -n 2 -- "$@"
APIKEY=${2:?path to apikey}
EXPIRYD=${3:?path to apikey-expiryd}
: "${AK_TEST2_DIR:?run through tests/ldap/with-slapd.sh -n 2}"
H=$AK_TEST_HARNESS

# --- make the two servers one multi-provider pair ---
# The second server starts from a copy of the first (slapcat keeps
# entryUUID and entryCSN), so both hold the same entries before they
# replicate; then each gets a server id and a consumer of the other.
"$H" stop "$AK_TEST2_DIR"
slapcat -F "$AK_TEST_DIR/slapd.d" -b "$SUFFIX" >copy.ldif 2>slapcat.err ||
    { cat slapcat.err; bad "slapcat of the first server"; done_tests; exit 1; }
rm -rf "$AK_TEST2_DIR/db" && mkdir "$AK_TEST2_DIR/db"
slapadd -F "$AK_TEST2_DIR/slapd.d" -b "$SUFFIX" -l copy.ldif >slapadd.err 2>&1 ||
    { cat slapadd.err; bad "slapadd of the copy"; done_tests; exit 1; }
"$H" restart "$AK_TEST2_DIR" || { bad "the second server restarts"; done_tests; exit 1; }
. <(sed 's/^AK_TEST_/AK_TEST2_/' "$AK_TEST2_DIR/env")

pair() { # pair LDAPI SID OTHER_URI: provider and consumer of the other
    ldapmodify -Q -Y EXTERNAL -H "$1" >/dev/null <<LDIF
dn: cn=config
changetype: modify
replace: olcServerID
olcServerID: $2

dn: olcDatabase={1}mdb,cn=config
changetype: modify
add: olcSyncrepl
olcSyncrepl: rid=00$2 provider=$3 bindmethod=simple binddn="$ROOTDN" credentials=admin-secret searchbase="$SUFFIX" type=refreshAndPersist retry="1 +" timeout=3 network-timeout=3
-
add: olcMultiProvider
olcMultiProvider: TRUE
LDIF
}
check "server 1 joins the pair" pair "$AK_TEST_LDAPI" 1 "$AK_TEST2_URI"
check "server 2 joins the pair" pair "$AK_TEST2_LDAPI" 2 "$AK_TEST_URI"

S1=$AK_TEST_URI S2=$AK_TEST2_URI
search_on() { # search_on URI ARGS...: as the rootdn
    local u=$1; shift
    ldapsearch -x -LLL -o ldif-wrap=no -H "$u" -D "$ROOTDN" -w admin-secret "$@"
}
# wait_for URI BASE ATTR VALUE: until the value shows on that server
wait_for() {
    for _ in $(seq 1 100); do
        search_on "$1" -b "$2" -s base "$3" 2>/dev/null | grep -qF "$3: $4" && return 0
        sleep 0.1
    done
    return 1
}

ex_setup state1 state2 state3

# conf FILE URI STATE [EXTRA...]: a daemon (and CLI) config on one server
conf() {
    local f=$1 u=$2 st=$3; shift 3
    EX_STATE=$PWD/$st ex_conf "$f" "$@"
    sed -i "s|^uri .*|uri $u|" "$f"
}
conf on1.conf "$S1" state1 "notice_write_uri $S1"
conf on2.conf "$S2" state2 "notice_write_uri $S1"
conf own2.conf "$S2" state3 "notice_write_uri $S2"
conf nowrite.conf "$S1 $S2" state3
D=("${W[@]}" "$EXPIRYD")
A1=("$APIKEY" -c "$PWD/on1.conf" -D "$ROOTDN" -y "$PWD/admin.pw")
A2=("$APIKEY" -c "$PWD/on2.conf" -D "$ROOTDN" -y "$PWD/admin.pw")

# Replication works both ways before anything is measured.
expect_rc 0 "policy set on server 2" -- "${A2[@]}" policy set --notice-days 30,7,1 \
    --recipients keys@example.org
check "the policy replicates to server 1" wait_for "$S1" \
    "cn=apikey-policy,ou=policies,$SUFFIX" apiKeyNoticeDays 30

users=(alice bob carol dave erin)
for u in "${users[@]}"; do # (setmail writes to server 1, $AK_TEST_URI)
    search_on "$S1" -b "uid=$u,$PEOPLE" -s base mail | grep -q '^mail:' || setmail "$u"
done

# mkkeys ROUND: one key on each user, half created on each server, all
# due at the 7-day stage; waits until server 1 holds every one.
mkkeys() {
    local i=0 u a kid
    : >"keys$1.txt"
    for u in "${users[@]}"; do
        i=$((i + 1))
        if [ $((i % 2)) -eq 0 ]; then a=("${A2[@]}"); else a=("${A1[@]}"); fi
        "${a[@]}" create "$u" --expires "$(isotime $((3 * 86400 + i * 60)))" \
            --label "r$1-$i" --json >key.json 2>err.txt || { cat err.txt; return 1; }
        kid=$(kid key.json)
        echo "$u $kid" >>"keys$1.txt"
        wait_for "$S1" "uid=$u,$PEOPLE" apiKeyId "$kid" || return 1
        wait_for "$S2" "uid=$u,$PEOPLE" apiKeyId "$kid" || return 1
    done
}
# mails KID CLASS: how many captured messages of that class name the key
mails() { grep -l "apikey rotate $1\b" mail/*.eml 2>/dev/null |
    xargs -r grep -l "X-Apikey-Notice: $2" | wc -l; }

# --- supported: two daemons on two providers, claims on one ---
rounds=5 doubled=0 missing=0
for r in $(seq 1 $rounds); do
    mkkeys "$r" || { bad "round $r: keys did not replicate"; break; }
    "${D[@]}" -c "$PWD/on1.conf" --once >"d1.$r.out" 2>"d1.$r.err" &
    p1=$!
    "${D[@]}" -c "$PWD/on2.conf" --once >"d2.$r.out" 2>"d2.$r.err" &
    p2=$!
    wait "$p1"; wait "$p2"
    while read -r u kid; do
        for c in owner admin; do
            n=$(mails "$kid" "$c")
            [ "$n" -eq 1 ] || { [ "$n" -eq 0 ] && missing=$((missing + 1)) || doubled=$((doubled + 1)); }
        done
    done <"keys$r.txt"
done
total=$((rounds * ${#users[@]} * 2))
[ "$doubled" -eq 0 ] && ok "claims on one provider: no notice twice ($total notices, $rounds rounds)" ||
    bad "claims on one provider: $doubled of $total notices sent twice"
[ "$missing" -eq 0 ] && ok "claims on one provider: no notice missing" ||
    bad "claims on one provider: $missing of $total notices missing"
hasnt <(cat d2.*.err) 'several providers' "no warning when notice_write_uri is set"

# The records the second daemon wrote went to server 1 and replicated.
u=alice kid=$(awk '$1 == "alice" { print $2 }' keys1.txt)
check "a claim made through server 1 replicates to server 2" wait_for "$S2" \
    "uid=alice,$PEOPLE" apiKeyNotice "$kid"

# --- without notice_write_uri on a pair: the daemon says what to set ---
"${A1[@]}" create erin --expires "$(isotime $((86400 / 2)))" --label nowrite >/dev/null 2>&1
expect_rc 0 "a pass without notice_write_uri" -- "${D[@]}" -c "$PWD/nowrite.conf" --once --dry-run
has err.txt 'several providers.*notice_write_uri' "the daemon warns that claims need one provider"

# --- measured, not supported: claims on two providers ---
rm -f mail/*.eml
dbl=0 n2=0
for r in 11 12 13; do
    mkkeys "$r" || break
    "${D[@]}" -c "$PWD/on1.conf" --once >/dev/null 2>&1 &
    p1=$!
    "${D[@]}" -c "$PWD/own2.conf" --once >/dev/null 2>&1 &
    p2=$!
    wait "$p1"; wait "$p2"
    while read -r u kid; do
        for c in owner admin; do
            n2=$((n2 + 1))
            [ "$(mails "$kid" "$c")" -gt 1 ] && dbl=$((dbl + 1))
        done
    done <"keys$r.txt"
done
ok "(claims on two providers: $dbl of $n2 notices sent twice; unsupported, documented)"

done_tests
