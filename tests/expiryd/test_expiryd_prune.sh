#!/bin/bash
# test_expiryd_prune.sh - apikey-expiryd's housekeeping of ended keys
# (key_cleanup_days, default 30) against a throwaway slapd with the
# packaged access rules, the daemon's clock moved by its test hook
# (EX_TEST_CLOCK_FILE):
# - a person's keys that expired, were rotated or were revoked more than
#   30 days ago lose their records, ids, last uses, rotations' ends and
#   expiry times in one modify (their notices in the same sweep); the
#   revocations stay, so the owner cannot make the revoked key work again
#   by writing its record back; a key ended 29 days ago, a live key, a
#   record that does not parse and a key that ends only by the policy's
#   maximum lifetime stay; --dry-run and key_cleanup_days 0 remove nothing;
# - a robot (service user) that rotates daily for 120 simulated days stays
#   far below the bound of 100 records and can always rotate;
# - under the access rules of an older version (no delete right for the
#   daemon) one clear error a pass, and the pass goes on.
# Usage (from meson): test_expiryd_prune.sh with-slapd.sh apikey apikey-expiryd-test
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

. "$top/tests/expiryd/lib.sh"
ex_outer -- "$@"
APIKEY=${2:?path to apikey}
EXPIRYD=${3:?path to apikey-expiryd-test}

ex_setup
printf 'alice-password' >alice.pw
chmod 600 alice.pw
A=("$APIKEY" -c "$AK_TEST_CONF")
ADMIN=("${A[@]}" -D "$ROOTDN" -y "$PWD/admin.pw")
D=("${W[@]}" "$EXPIRYD")
ALICE=uid=alice,$PEOPLE
SVC=uid=svc-backup,ou=services,$SUFFIX
KEYADMIN=uid=keyadmin,$PEOPLE
DAY=86400
export EX_TEST_CLOCK_FILE=$PWD/clock
clock() { echo "$1" >clock.new && mv clock.new clock; } # clock SECONDS: the daemon's offset

# notices go 60 days after their key ended, or once it is gone: those of
# a key that goes at 31 days go with it
EX_TIMEOUT=2 ex_conf on.conf "notice_cleanup_days 60"
EX_TIMEOUT=2 ex_conf off.conf "notice_cleanup_days 60" "key_cleanup_days 0"
KEYATTRS=(apiKeyRecord apiKeyId apiKeyRevoked apiKeyLastUsed apiKeyExpires)
keyvals() { rootsearch -b "$1" -s base "${KEYATTRS[@]}" | grep -v '^dn:' | sort; }
count() { rootsearch -b "$1" -s base "$2" | grep -c "^$2: "; }
record_of() { rootsearch -b "$1" -s base apiKeyRecord | sed -n "s/^apiKeyRecord: \(v1 id=$2 .*\)/\1/p"; }
expires_of() { record_of "$1" "$2" | sed -n 's/.* expires=\([0-9]*Z\).*/\1/p'; }

expect_rc 0 "policy set (a year at most, notices 7 days ahead)" -- "${ADMIN[@]}" \
    policy set --notice-days 7 --recipients keys@example.org --max-lifetime 365

# --- alice's keys, made now; the daemon's clock then goes 32 days ahead ---
kE=$(mkkey alice $((1 * DAY)) expires-tomorrow) && cp key.json exp.json
kN=$(mkkey alice $((3 * DAY)) expires-in-3-days)  # ended 29 days ago then
kL=$(mkkey alice $((100 * DAY)) live)
kR=$(mkkey alice $((300 * DAY)) rotated) && jq -r .key key.json >rot.key
expect_rc 0 "rotate a key (1 day of grace)" -- "${ADMIN[@]}" rotate "$kR" --grace 1 --days 200 --json
kR2=$(kid out.txt)
kV=$(mkkey alice $((250 * DAY)) revoked) && jq -r .key key.json >rev.key
expect_rc 0 "an admin revokes a key" -- "${ADMIN[@]}" revoke "$kV"
# the owner ends a key of hers with a value that cannot be read (so it
# revokes, dated by its time) and holds filter syntax: the assertion on
# it must be escaped
kU=$(mkkey alice $((300 * DAY)) odd-end)
UEND="$kU $(gentime -60) revoked(*)\\"
printf 'dn: %s\nchangetype: modify\nadd: apiKeyRevoked\napiKeyRevoked: %s\n' "$ALICE" "$UEND" |
    ldapmodify -x -H "$AK_TEST_URI" -D "$ALICE" -y alice.pw >/dev/null 2>owner.err &&
    ok "the owner adds an end that cannot be read" || { bad "the owner's end"; cat owner.err; }
# a record the owner wrote that does not parse, with its id
kB=$(id_of 7001) kP=$(id_of 7002)
ldapmodify -x -H "$AK_TEST_URI" -D "$ALICE" -y alice.pw >/dev/null 2>owner.err <<LDIF
dn: $ALICE
changetype: modify
add: apiKeyRecord
apiKeyRecord: v1 id=$kB hash=nonsense created=$(gentime $((-400 * DAY))) expires=$(gentime $((-100 * DAY)))
-
add: apiKeyId
apiKeyId: $kB
LDIF
[ $? -eq 0 ] && ok "the owner adds a record that does not parse" || { bad "the owner's write"; cat owner.err; }
# a key that never expires, made 400 days ago: past the policy's year,
# by the policy only (an admin may yet lift it); written by an admin
printf 'dn: %s\nchangetype: modify\nadd: apiKeyRecord\napiKeyRecord: %s\n-\nadd: apiKeyId\napiKeyId: %s\n' \
    "$ALICE" "$(rec "$kP" "$(gentime $((-400 * DAY)))" never)" "$kP" | rootmod
# last uses, as the verifier would have written them
{ printf 'dn: %s\nchangetype: modify\nadd: apiKeyLastUsed\n' "$ALICE"
  for k in "$kE" "$kN" "$kL" "$kR" "$kV"; do printf 'apiKeyLastUsed: %s %s\n' "$k" "$(gentime -3600)"; done
} | rootmod
eE=$(expires_of "$ALICE" "$kE") eN=$(expires_of "$ALICE" "$kN") eL=$(expires_of "$ALICE" "$kL")
eR=$(expires_of "$ALICE" "$kR") eR2=$(expires_of "$ALICE" "$kR2") eV=$(expires_of "$ALICE" "$kV")
[ -n "$eE" ] && [ -n "$eR2" ] && [ -n "$eV" ] && ok "nine keys for alice" || bad "the keys were not made"

# notices now (the key of tomorrow's is due), so that some go with it
clock 0
expect_rc 0 "a pass now sends the due notices" -- "${D[@]}" -c "$PWD/on.conf" --once
rootsearch -b "$ALICE" -s base apiKeyNotice | grep -q "^apiKeyNotice: $kE " &&
    ok "the key expiring tomorrow has its notice values" || bad "no notice values for $kE"
keyvals "$ALICE" >before.txt
n_before=$(count "$ALICE" apiKeyRecord)

clock $((32 * DAY))
# --- off: nothing goes ---
expect_rc 0 "32 days later, key_cleanup_days 0" -- "${D[@]}" -c "$PWD/off.conf" --once
keyvals "$ALICE" >after-off.txt
cmp -s before.txt after-off.txt && ok "key_cleanup_days 0: no key value removed" ||
    { bad "key_cleanup_days 0 removed values"; diff before.txt after-off.txt | head; }
hasnt err.txt 'removed record' "key_cleanup_days 0: no removal logged"

# --- a dry run says what would go, and removes nothing ---
expect_rc 0 "32 days later, a dry run" -- "${D[@]}" -c "$PWD/on.conf" --dry-run
keyvals "$ALICE" >after-dry.txt
cmp -s before.txt after-dry.txt && ok "a dry run removes nothing" ||
    { bad "a dry run removed values"; diff before.txt after-dry.txt | head; }
has out.txt "would remove from $ALICE: key $kE: record, id, 1 last use, expiry time \(expired [0-9]{14}Z, 31 days ago\)" \
    "dry run: the expired key, what would go and why"
has out.txt "would remove from $ALICE: key $kR: record, id, 1 last use, 1 rotated end, expiry time \(rotated " \
    "dry run: the rotated key with its rotation's end"
has out.txt "would remove from $ALICE: key $kV: record, id, 1 last use, expiry time \(revoked " \
    "dry run: the revoked key (its revocation is not in the list)"
has out.txt "would remove from $ALICE: key $kU: record, id, expiry time \(revoked [0-9]{14}Z, 32 days ago\)" \
    "dry run: the key ended by a value that cannot be read (dated by its time)"
has err.txt "housekeeping: 4 ended keys would be removed" "dry run: the summary"

# --- on: the three ended keys go, one modify, each logged ---
expect_rc 0 "32 days later, key_cleanup_days 30 (the default)" -- "${D[@]}" -c "$PWD/on.conf" --once
cp err.txt on.err
keyvals "$ALICE" >after-on.txt
n_after=$(count "$ALICE" apiKeyRecord)
echo "# alice: $n_before records before, $n_after after"
for k in "$kE" "$kR" "$kV" "$kU"; do
    hasnt after-on.txt "^apiKeyRecord: v1 id=$k |^apiKeyId: $k$|^apiKeyLastUsed: $k " "$k: its record, id and last use went"
    has on.err "$ALICE: key $k: removed record, id" "$k: its removal logged at info"
done
grep -qxF "apiKeyRevoked: $UEND" after-on.txt && ok "the end that cannot be read stays (asserted, escaped)" ||
    bad "the end that cannot be read went"
hasnt after-on.txt "^apiKeyRevoked: $kR .* rotated$" "the rotation's end went"
has after-on.txt "^apiKeyRevoked: $kV [0-9]{14}Z revoked$" "the revocation stays (the tombstone)"
for k in "$kN" "$kL" "$kR2" "$kB" "$kP"; do
    has after-on.txt "^apiKeyRecord: v1 id=$k " "$k: its record stays"
    has after-on.txt "^apiKeyId: $k$" "$k: its id stays"
done
for k in "$kN" "$kL"; do has after-on.txt "^apiKeyLastUsed: $k " "$k: its last use stays"; done
for t in "$eE" "$eR" "$eV"; do hasnt after-on.txt "^apiKeyExpires: $t$" "the expiry time $t of a key that went went"; done
for t in "$eN" "$eL" "$eR2"; do has after-on.txt "^apiKeyExpires: $t$" "the expiry time $t of a key that stays stays"; done
[ "$n_before" -eq 9 ] && [ "$n_after" -eq 5 ] && ok "9 records before, 5 after" || bad "$n_before records before, $n_after after"
has on.err "housekeeping: 4 ended keys removed \([0-9]+ values\)" "the housekeeping summary counts them"
has on.err "pass complete: .*; 4 ended keys removed" "and the pass summary"
has on.err "$ALICE: key $kE: removed apiKeyNotice .*\(the key is gone\)" "the notices of a key that went go in the same sweep"
rootsearch -b "$ALICE" -s base apiKeyNotice | grep -q "^apiKeyNotice: $kE " &&
    bad "notice values of $kE stay" || ok "no notice value of $kE left"

expect_rc 0 "a second pass" -- "${D[@]}" -c "$PWD/on.conf" --once
keyvals "$ALICE" >after-2.txt
cmp -s after-on.txt after-2.txt && ok "a second pass removes nothing more" || bad "a second pass removed more"

# --- the owner writes the revoked key's record back: it stays revoked ---
old=$(sed -n "s/^apiKeyRecord: \(v1 id=$kV .*\)/\1/p" before.txt)
hash=$(echo "$old" | sed -n 's/.* \(hash=[^ ]*\) .*/\1/p')
fresh="v1 id=$kV $hash created=$(gentime -60) expires=$(gentime $((30 * DAY)))"
ldapmodify -x -H "$AK_TEST_URI" -D "$ALICE" -y alice.pw >/dev/null 2>owner.err <<LDIF
dn: $ALICE
changetype: modify
add: apiKeyRecord
apiKeyRecord: $fresh
-
add: apiKeyId
apiKeyId: $kV
LDIF
[ $? -eq 0 ] && ok "the owner may write a record for the revoked key id again" || { bad "the owner's write"; cat owner.err; }
expect_rc 1 "the revoked key is refused whatever the record says" -- sh -c '"$@" < rev.key' x "${A[@]}" verify alice
has out.txt "^refused: .*revoked" "refused: revoked"
printf 'dn: %s\nchangetype: modify\ndelete: apiKeyRevoked\napiKeyRevoked: %s\n' "$ALICE" \
    "$(sed -n "s/^apiKeyRevoked: \($kV .* revoked\)$/\1/p" after-on.txt)" |
    ldapmodify -x -H "$AK_TEST_URI" -D "$ALICE" -y alice.pw >/dev/null 2>&1 &&
    bad "the owner deleted the revocation" || ok "the owner may not delete the revocation"
# What housekeeping leaves to the owner (documented, not a guarantee): a
# rotated key whose record went may be written back, as any key of hers
old=$(sed -n "s/^apiKeyRecord: \(v1 id=$kR .*\)/\1/p" before.txt)
printf 'dn: %s\nchangetype: modify\nadd: apiKeyRecord\napiKeyRecord: %s\n-\nadd: apiKeyId\napiKeyId: %s\n' "$ALICE" "$old" "$kR" |
    ldapmodify -x -H "$AK_TEST_URI" -D "$ALICE" -y alice.pw >/dev/null 2>&1
sh -c '"$@" < rot.key' x "${A[@]}" verify alice >rot.out 2>&1
echo "# note: the rotated key's record written back by its owner: $(head -1 rot.out)"

# --- a robot rotating daily for 120 days (keys of a year, 7 days grace) ---
# Written as the key admin (as apikey rotate does: the old key's end, the
# new record, id, expiry time and last use in one modify), the simulated
# day d at 121 - d days ago, the daemon's clock moved to it after each.
printf 'keyadmin-password' >keyadmin.pw
chmod 600 keyadmin.pw
ka() { ldapmodify -x -H "$AK_TEST_URI" -D "$KEYADMIN" -y keyadmin.pw >/dev/null 2>ka.err; }
peak=0 peak_exp=0 peak_end=0 refused=0 every=1
[ ${#W[@]} -gt 0 ] && every=7 # under valgrind a daemon run takes seconds
for d in $(seq 0 120); do
    at=$(((d - 121) * DAY))
    k=$(id_of $((1000 + d))) prev=$(id_of $((999 + d)))
    now=$(gentime "$at") exp=$(gentime $((at + 365 * DAY))) # one second each
    { printf 'dn: %s\nchangetype: modify\n' "$SVC"
      [ "$d" -gt 0 ] && printf 'add: apiKeyRevoked\napiKeyRevoked: %s %s rotated\n-\nadd: apiKeyLastUsed\napiKeyLastUsed: %s %s\n-\n' \
          "$prev" "$(gentime $((at + 7 * DAY)))" "$prev" "$now"
      printf 'add: apiKeyRecord\napiKeyRecord: %s\n-\nadd: apiKeyId\napiKeyId: %s\n-\nadd: apiKeyExpires\napiKeyExpires: %s\n' \
          "$(rec "$k" "$now" "$exp")" "$k" "$exp"
    } | ka || { refused=$((refused + 1)); sed 's/^/#   /' ka.err; }
    if [ $((d % every)) -eq 0 ] || [ "$d" -eq 120 ]; then
        clock "$at"
        "${D[@]}" -c "$PWD/on.conf" --once >/dev/null 2>robot.err || { bad "day $d: the daemon failed"; cat robot.err; }
    fi
    n=$(count "$SVC" apiKeyRecord) ne=$(count "$SVC" apiKeyExpires) nr=$(count "$SVC" apiKeyRevoked)
    [ "$n" -gt "$peak" ] && peak=$n
    [ "$ne" -gt "$peak_exp" ] && peak_exp=$ne
    [ "$nr" -gt "$peak_end" ] && peak_end=$nr
done
echo "# robot: 121 keys in 120 days; peak $peak records, $peak_exp expiry times, $peak_end ends; $(count "$SVC" apiKeyRecord) records at the end"
[ "$refused" -eq 0 ] && ok "every daily rotation was accepted by the directory" || bad "$refused rotations refused"
[ "$peak" -lt 50 ] && ok "the robot's records peaked at $peak (bound 100)" || bad "the robot's records peaked at $peak"
[ "$peak_exp" -lt 50 ] && ok "its expiry times peaked at $peak_exp (bound 100)" || bad "its expiry times peaked at $peak_exp"
[ "$peak_end" -lt 50 ] && ok "its ends peaked at $peak_end (bound 1000)" || bad "its ends peaked at $peak_end"
expect_rc 0 "apikey rotates the robot's key on day 121" -- "${A[@]}" -U keyadmin -y "$PWD/keyadmin.pw" \
    rotate "$(id_of 1120)" --grace 1 --json

# --- an entry pushed far past its bounds (the relax control, OpenLDAP
# before 2.7) is an admin's: deleting from it would hold slapd's write lock
# long (each value deleted is compared with every value present) ---
CAROL=uid=carol,$PEOPLE
kC=$(id_of 9001) eC=$(gentime $((-100 * DAY)))
{ printf 'dn: %s\nchangetype: modify\nadd: apiKeyRecord\napiKeyRecord: %s\n-\nadd: apiKeyId\napiKeyId: %s\n-\nadd: apiKeyExpires\napiKeyExpires: %s\n-\nadd: apiKeyRevoked\n' \
      "$CAROL" "$(rec "$kC" "$(gentime $((-400 * DAY)))" "$eC")" "$kC" "$eC"
  awk -v t="$eC" 'BEGIN { b = "abcdefghijklmnopqrstuvwxyz234567"
      for (i = 1; i <= 6000; i++) { x = 20000 + i; k = ""
          for (j = 0; j < 16; j++) { k = substr(b, x % 32 + 1, 1) k; x = int(x / 32) }
          printf "apiKeyRevoked: %s %s rotated\n", k, t } }'
} | ldapmodify -x -H "$AK_TEST_URI" -D "$ROOTDN" -w admin-secret -e relax >/dev/null 2>relax.err ||
    { bad "relax: 6000 ends"; cat relax.err; }
clock 0
expect_rc 0 "a pass beside an entry of 6000 ends" -- "${D[@]}" -c "$PWD/on.conf" --once
has err.txt "$CAROL: holds far more key values than the directory's bounds allow" "it is left to an admin, said at warning"
has err.txt "1 past their bounds left alone" "and counted"
[ "$(count "$CAROL" apiKeyRecord)" -eq 1 ] && [ "$(count "$CAROL" apiKeyRevoked)" -eq 6000 ] &&
    ok "nothing removed from it" || bad "values went from the oversized entry"
printf 'dn: %s\nchangetype: modify\ndelete: apiKeyRevoked\n' "$CAROL" | rootmod -e relax

# --- a directory on the rules of an older version: one clear error a pass ---
for who in bob erin; do
    k=$(tr -dc 'a-z2-7' </dev/urandom | head -c 16)
    e=$(gentime $((-100 * DAY)))
    printf 'dn: uid=%s,%s\nchangetype: modify\nadd: apiKeyRecord\napiKeyRecord: %s\n-\nadd: apiKeyId\napiKeyId: %s\n-\nadd: apiKeyExpires\napiKeyExpires: %s\n' \
        "$who" "$PEOPLE" "$(rec "$k" "$(gentime $((-400 * DAY)))" "$e")" "$k" "$e" | rootmod
done
kG=$(tr -dc 'a-z2-7' </dev/urandom | head -c 16)
printf 'dn: uid=dave,%s\nchangetype: modify\nadd: apiKeyNotice\napiKeyNotice: %s %s 1 owner sent %s\n' \
    "$PEOPLE" "$kG" "$(gentime $((-100 * DAY)))" "$(gentime $((-101 * DAY)))" | rootmod
# slapmodify validates what it deletes: the rules {3} and {2} as stored
"$AK_TEST_HARNESS" stop "$AK_TEST_DIR"
sed -e ':a' -e 'N' -e '$!ba' -e 's/\n //g' "$AK_TEST_DIR"/slapd.d/cn=config/olcDatabase=*mdb.ldif >db.ldif
{ printf 'dn: olcDatabase={1}mdb,cn=config\nchangetype: modify\n'
  printf 'delete: olcAccess\n%s\n-\n' "$(grep '^olcAccess: {3}' db.ldif)"
  printf 'delete: olcAccess\n%s\n' "$(grep '^olcAccess: {2}' db.ldif)"
} >old-rules.ldif
/usr/sbin/slapmodify -F "$AK_TEST_DIR/slapd.d" -n 0 -l old-rules.ldif >slapmodify.out 2>&1 ||
    { bad "slapmodify the ACL"; cat slapmodify.out; }
"$AK_TEST_HARNESS" restart "$AK_TEST_DIR" || bad "slapd restarts"
sed -e ':a' -e 'N' -e '$!ba' -e 's/\n //g' "$AK_TEST_DIR"/slapd.d/cn=config/olcDatabase=*mdb.ldif |
    grep -qs '=rscdz' &&
    bad "the daemon's delete rules are still loaded" || ok "the rules of an older version (no delete right for the daemon)"
clock 0
for p in 1 2; do
    expect_rc 0 "pass $p on the old rules" -- "${D[@]}" -c "$PWD/on.conf" --once
    n=$(grep -c 'does not let .* delete the values of ended keys' err.txt)
    [ "$n" -eq 1 ] && ok "pass $p: one error for all the holders refused" || { bad "pass $p: $n errors"; sed 's/^/#   /' err.txt | head; }
    has err.txt "apikey-acl.ldif.*rules \{2\} and \{3\}.*or set key_cleanup_days 0" "pass $p: it says which rules to load"
    hasnt err.txt "Insufficient access" "pass $p: not once a holder in the server's words"
    has err.txt " ([2-9]|[1-9][0-9]+) refused by the access rules" "pass $p: the summary counts the holders refused (bob, erin, ...)"
done
rootsearch -b "uid=dave,$PEOPLE" -s base apiKeyNotice | grep -q "^apiKeyNotice: $kG " &&
    bad "the notice sweep stopped" || ok "the pass went on: the notice sweep removed a gone key's notice"
[ "$(count "uid=bob,$PEOPLE" apiKeyRecord)" -eq 1 ] && ok "nothing was removed" || bad "bob's record went"

done_tests
