#!/bin/bash
# test_expiryd_cleanup.sh - apikey-expiryd's housekeeping
# (notice_cleanup_days) against a throwaway slapd with the packaged access
# rules, delivering to a capture mailer: off by default nothing goes; on,
# the apiKeyNotice values of keys gone or ended long ago go, one logged
# exact delete each, by the daemon's own account; live keys, keys ended
# within the grace, unreadable values and what an owner wrote (a garbage
# record, a fresh key id) stay; nothing is mailed again. The keys
# themselves stay here (key_cleanup_days 0: test_expiryd_prune.sh).
# Usage (from meson): test_expiryd_cleanup.sh with-slapd.sh apikey apikey-expiryd
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

. "$top/tests/expiryd/lib.sh"
ex_outer -- "$@"
APIKEY=${2:?path to apikey}
EXPIRYD=${3:?path to apikey-expiryd}

ex_setup
printf 'alice-password' >alice.pw
chmod 600 alice.pw
A=("$APIKEY" -c "$AK_TEST_CONF")
ADMIN=("${A[@]}" -D "$ROOTDN" -y "$PWD/admin.pw")
D=("${W[@]}" "$EXPIRYD")
ALICE=uid=alice,$PEOPLE
BOB=uid=bob,$PEOPLE
DAVE=uid=dave,$PEOPLE
SVC=uid=svc-backup,ou=services,$SUFFIX

EX_TIMEOUT=2 ex_conf off.conf "key_cleanup_days 0"
EX_TIMEOUT=2 ex_conf on.conf "notice_cleanup_days 60" "key_cleanup_days 0"
EX_TIMEOUT=2 ex_conf short.conf "notice_cleanup_days 10" "key_cleanup_days 0"
count() { ls mail/*.eml 2>/dev/null | wc -l; }
notices() { rootsearch -b "$1" -s base apiKeyNotice | sed -n 's/^apiKeyNotice: //p' | sort; }
allnotices() { for dn in "$ALICE" "$BOB" "$DAVE" "$SVC"; do notices "$dn" | sed "s|^|$dn: |"; done; }
newkid() { tr -dc 'a-z2-7' </dev/urandom | head -c 16; }
# Times are taken once: a value's expiry field must be its key's expiry
# to the second, or the planner would see a notice not yet taken.
D100=$((100 * 86400)) D10=$((10 * 86400)) D5=$((5 * 86400))
T400=$(gentime "-$((400 * 86400))") M100=$(gentime "-$D100") M10=$(gentime "-$D10")
M5=$(gentime "-$D5") P30=$(gentime "$((30 * 86400))") P100=$(gentime "$D100")
# nv KID EXPIRES STAGE CLASS: a sent value as the daemon writes them
nv() { printf '%s %s %s %s sent %s' "$1" "$2" "$3" "$4" "$T400"; }
addvals() { # addvals DN VALUE...: add apiKeyNotice values as the admin
    local dn=$1; shift
    { printf 'dn: %s\nchangetype: modify\nadd: apiKeyNotice\n' "$dn"
      for v in "$@"; do printf 'apiKeyNotice: %s\n' "$v"; done
    } | rootmod
}
addrec() { # addrec DN KID CREATED EXPIRES [REVOKED]
    { printf 'dn: %s\nchangetype: modify\nadd: apiKeyRecord\napiKeyRecord: %s\n-\nadd: apiKeyId\napiKeyId: %s\n' \
          "$1" "$(rec "$2" "$3" "$4")" "$2"
      [ -n "${5:-}" ] && printf -- '-\nadd: apiKeyRevoked\napiKeyRevoked: %s %s revoked\n' "$2" "$5"
    } | rootmod
}

expect_rc 0 "policy set" -- "${ADMIN[@]}" policy set --notice-days 30,7,1 \
    --recipients keys@example.org

# --- the keys ---
# alice: a live key whose notice goes out now (its values must stay)
kA=$(mkkey alice $((3 * 86400)) live)
expect_rc 0 "a first pass sends the live key's notice" -- "${D[@]}" -c "$PWD/off.conf" --once
[ "$(notices "$ALICE" | grep -c "^$kA ")" -ge 3 ] && ok "the live key has its values" || bad "no values for the live key"
# apikey list shows what the daemon recorded
expect_rc 0 "apikey list shows the notices" -- "${ADMIN[@]}" list alice
has out.txt "^$kA .* 30d skipped, 7d sent$" "the table: 30d skipped, 7d sent (owner and admin alike)"
expect_rc 0 "apikey list --json shows the notices" -- "${ADMIN[@]}" list alice --json
jqt "--json: the four notices of the current expiry" out.txt \
    "[.[] | select(.id == \"$kA\")][0].notices | length == 4 and all(.current) and ([.[] | select(.state == \"sent\" and .stage == 7)] | map(.class) | sort) == [\"admin\", \"owner\"]"
# alice: expired 100 days ago (goes), expired 10 days ago (stays: grace)
kE=$(newkid) kX=$(newkid)
addrec "$ALICE" "$kE" "$T400" "$M100"
addrec "$ALICE" "$kX" "$T400" "$M10"
addvals "$ALICE" "$(nv "$kE" "$M100" 0 owner)" "$(nv "$kE" "$M100" 0 admin)" \
    "$(nv "$kX" "$M10" 0 owner)" "$(nv "$kX" "$M10" 0 admin)"
# bob: revoked 100 days ago, expiry ahead (goes); revoked 5 days ago (stays)
kV=$(newkid) kW=$(newkid)
addrec "$BOB" "$kV" "$T400" "$P100" "$M100"
addrec "$BOB" "$kW" "$T400" "$P100" "$M5"
addvals "$BOB" "$(nv "$kV" "$P100" 30 owner)" "$(nv "$kW" "$P100" 30 owner)"
# bob: a key that is gone (no record, no id; a fresh id nobody holds)
kG=$(newkid)
addvals "$BOB" "$(nv "$kG" "$M5" 7 owner)" "$(nv "$kG" "$M5" 7 admin)"
# bob: values nobody can read (written by hand): warned about, left
addvals "$BOB" "garbage in the notices" "$kG 2026 7 owner sent" "$kG $M5 7 owner sent"
# dave: no key at all any more, one value left (the search must find it)
kD=$(newkid)
addvals "$DAVE" "$(nv "$kD" "$M100" 1 owner)"
# a service user with a gone key's value
kS=$(newkid)
addvals "$SVC" "$(nv "$kS" "$M100" 1 admin)"
# alice, the owner, writes what she may: a record of her own that is
# garbage, and a fresh key id with no record; values for both stay
kB=$(newkid) kF=$(newkid)
ldapmodify -x -H "$AK_TEST_URI" -D "$ALICE" -y alice.pw >/dev/null 2>owner.err <<LDIF
dn: $ALICE
changetype: modify
add: apiKeyRecord
apiKeyRecord: v1 id=$kB hash=nonsense created=$T400 expires=$M100
-
add: apiKeyId
apiKeyId: $kB
apiKeyId: $kF
LDIF
[ $? -eq 0 ] && ok "the owner may add a record and ids (the ACLs)" || { bad "the owner's write was refused"; cat owner.err; }
addvals "$ALICE" "$(nv "$kB" "$M100" 0 owner)" "$(nv "$kF" "$M100" 0 owner)"
# ... but may not touch apiKeyNotice herself
printf 'dn: %s\nchangetype: modify\ndelete: apiKeyNotice\napiKeyNotice: %s\n' "$ALICE" "$(nv "$kE" "$M100" 0 owner)" |
    ldapmodify -x -H "$AK_TEST_URI" -D "$ALICE" -y alice.pw >/dev/null 2>&1 &&
    bad "the owner deleted a notice value" || ok "the owner may not delete notice values"

allnotices >before.txt
gone=("$ALICE: $kE " "$BOB: $kV " "$BOB: $kG " "$DAVE: $kD " "$SVC: $kS ")
kept=("$ALICE: $kA " "$ALICE: $kX " "$ALICE: $kB " "$ALICE: $kF " "$BOB: $kW ")

# --- off by default: nothing goes ---
m0=$(count)
expect_rc 0 "a pass, housekeeping off (the default)" -- "${D[@]}" -c "$PWD/off.conf" --once
allnotices >after-off.txt
cmp -s before.txt after-off.txt && ok "off by default: no value removed" || { bad "off by default removed values"; diff before.txt after-off.txt | head; }
hasnt err.txt 'removed apiKeyNotice' "off by default: no removal logged"
[ "$(count)" -eq "$m0" ] && ok "nothing due: no mail" || bad "$(($(count) - m0)) mails"

# --- a grace shorter than notice_expired_days is refused ---
expect_rc 3 "notice_cleanup_days 10 < notice_expired_days 30 is refused" -- "${D[@]}" -c "$PWD/short.conf" --once
has err.txt 'notice_cleanup_days 10 is shorter than notice_expired_days 30' "the refusal says why"

# --- a dry run says what would go and removes nothing ---
expect_rc 0 "a dry run with housekeeping" -- "${D[@]}" -c "$PWD/on.conf" --dry-run
for g in "${gone[@]}"; do
    k=${g#*: }; k=${k% }
    has out.txt "would remove from .*: apiKeyNotice $k " "dry run: would remove ${g%%:*}'s ${k}"
done
allnotices >after-dry.txt
cmp -s before.txt after-dry.txt && ok "a dry run removes nothing" || bad "a dry run removed values"

# --- on: what can no longer matter goes, one logged delete each ---
expect_rc 0 "a pass with notice_cleanup_days 60" -- "${D[@]}" -c "$PWD/on.conf" --once
cp err.txt on.err
allnotices >after-on.txt
for g in "${gone[@]}"; do
    hasnt after-on.txt "^$g[0-9]{14}Z [0-9]+ (owner|admin) sent [0-9]{14}Z$" "removed: ${g}"
done
for k in "${kept[@]}"; do
    n0=$(grep -c "^$k" before.txt); n1=$(grep -c "^$k" after-on.txt)
    [ "$n0" -gt 0 ] && [ "$n0" -eq "$n1" ] && ok "kept: ${k}($n1 values)" || bad "${k}: $n0 values before, $n1 after"
done
for v in "garbage in the notices" "$kG 2026 7 owner sent" "$kG $M5 7 owner sent"; do
    grep -qF "$BOB: $v" after-on.txt && ok "an unreadable value stays: '${v:0:30}'" || bad "an unreadable value went: '$v'"
done
removed=$(($(wc -l <before.txt) - $(wc -l <after-on.txt)))
[ "$removed" -eq 7 ] && ok "7 values removed" || bad "$removed values removed, wanted 7"
[ "$(grep -c 'removed apiKeyNotice' on.err)" -eq 7 ] && ok "each removal logged once" || bad "$(grep -c 'removed apiKeyNotice' on.err) removals logged"
has on.err "uid=dave,ou=people,dc=example,dc=org: key $kD: removed apiKeyNotice '$kD [0-9]{14}Z 1 owner sent [0-9]{14}Z' \(the key is gone\)" \
    "the log line names the holder, the key and the value"
has on.err "uid=alice,ou=people,dc=example,dc=org: key $kE: removed .*ended longer ago" "an ended key's removal says why"
[ "$(grep -c 'cannot be read' on.err)" -ge 3 ] && ok "the unreadable values are warned about" || bad "no warning for unreadable values"
has on.err "apiKeyNotice value 'garbage in the notices' cannot be read" "the warning quotes the value"
[ "$(count)" -eq "$m0" ] && ok "housekeeping mails nobody" || bad "$(($(count) - m0)) mails after housekeeping"

# --- again: nothing more goes, nothing is sent ---
expect_rc 0 "a second pass with housekeeping" -- "${D[@]}" -c "$PWD/on.conf" --once
allnotices >after-2.txt
cmp -s after-on.txt after-2.txt && ok "a second pass removes nothing more" || bad "a second pass removed more"
hasnt err.txt 'removed apiKeyNotice' "nothing more logged as removed"
[ "$(count)" -eq "$m0" ] && ok "no notice sent again" || bad "$(($(count) - m0)) mails after the second pass"

# --- the key records themselves stay (key_cleanup_days 0), and no
# revocation is ever the daemon's to delete ---
rootsearch -b "$ALICE" -s base apiKeyRecord | grep -q "id=$kE " && ok "the ended key's record stays" || bad "the record went"
rv=$(rootsearch -b "$BOB" -s base apiKeyRevoked | sed -n "s/^apiKeyRevoked: \($kV .* revoked\)$/\1/p")
printf 'dn: %s\nchangetype: modify\ndelete: apiKeyRevoked\napiKeyRevoked: %s\n' "$BOB" "$rv" |
    ldapmodify -x -H "$AK_TEST_URI" -D "cn=expiryd,ou=system,$SUFFIX" -y expiryd.pw >/dev/null 2>acl.err
rc=$?
[ -n "$rv" ] && [ "$rc" -eq 50 ] && ok "the daemon's account may not delete a revocation (insufficient access)" ||
    { bad "the daemon's account: delete of a revocation gave $rc"; cat acl.err; }

# --- an admin prunes a live key's record: its values go at the next pass ---
printf 'dn: %s\nchangetype: modify\ndelete: apiKeyRecord\napiKeyRecord: %s\n-\ndelete: apiKeyId\napiKeyId: %s\n' "$ALICE" \
    "$(rootsearch -b "$ALICE" -s base apiKeyRecord | sed -n "s/^apiKeyRecord: \(v1 id=$kA .*\)/\1/p")" "$kA" | rootmod
expect_rc 0 "a pass after an admin removed a key" -- "${D[@]}" -c "$PWD/on.conf" --once
[ "$(notices "$ALICE" | grep -c "^$kA ")" -eq 0 ] && ok "the removed key's values go" || bad "the removed key's values stay"
[ "$(notices "$ALICE" | grep -c "^$kX ")" -eq 2 ] && ok "the other keys' values stay" || bad "other values went"

# --- the running daemon (syncrepl) sweeps too, at its first pass ---
kP=$(newkid)
addvals "$DAVE" "$(nv "$kP" "$M100" 1 owner)"
"${D[@]}" -c "$PWD/on.conf" >daemon.log 2>&1 &
dpid=$!
for _ in $(seq 1 $((${#W[@]} ? 150 : 50))); do
    [ -z "$(notices "$DAVE" | grep "^$kP ")" ] && break
    sleep 0.2
done
[ -z "$(notices "$DAVE" | grep "^$kP ")" ] && ok "the daemon removed a gone key's value" || bad "the daemon left it (see daemon.log)"
kill -TERM "$dpid"
wait "$dpid"
rc=$?
[ "$rc" -eq 0 ] && ok "SIGTERM stops the daemon cleanly" || bad "daemon exit $rc"
has daemon.log "uid=dave,ou=people,dc=example,dc=org: key $kP: removed apiKeyNotice" "the daemon logged the removal"
[ "$(count)" -eq "$m0" ] && ok "the daemon mailed nobody" || bad "$(($(count) - m0)) mails from the daemon"

done_tests
