#!/bin/bash
# test_acl.sh - packaging/ldap/apikey-acl.ldif and apikey-unique.ldif loaded
# into the throwaway slapd (with ldapmodify, as an admin would): each rule
# proved through the apikey command and through raw LDAP as the wrong user.
# Personal flows bind as the user (-U with a password, -D, and SASL
# EXTERNAL over ldapi mapped to alice by olcAuthzRegexp).
# Usage (from meson): test_acl.sh /path/to/with-slapd.sh /path/to/apikey
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

if [ "${1:-}" != --inner ]; then
    with_slapd=${1:?path to with-slapd.sh}
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/akacl.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    {
        cat "$top/packaging/ldap/apikey-acl.ldif"
        echo
        cat "$top/packaging/ldap/apikey-unique.ldif"
        echo
        # SASL EXTERNAL over ldapi from this test's uid is alice
        printf 'dn: cn=config\nchangetype: modify\nadd: olcAuthzRegexp\n'
        printf 'olcAuthzRegexp: "gidNumber=%s\\+uidNumber=%s,cn=peercred,cn=external,cn=auth" "uid=alice,ou=people,dc=example,dc=org"\n' \
            "$(id -g)" "$(id -u)"
    } >"$tmp/config.ldif"
    AK_TEST_CONFIG_LDIF="$tmp/config.ldif" "$with_slapd" "$0" --inner "$2"
    exit $?
fi
APIKEY=${2:?path to apikey}
: "${AK_TEST_CONF:?run through tests/ldap/with-slapd.sh}"
export LDAPNOINIT=1
. "$here/lib.sh"

export APIKEY_AUDIT_FILE=$PWD/audit.log
for u in alice bob keyadmin nokeys; do
    printf '%s-password' "$u" >"$u.pw"
done
printf 'verifier-secret' >verifier.pw
printf 'expiryd-secret' >expiryd.pw
printf 'wrong' >wrong.pw
chmod 600 ./*.pw
A=("${W[@]}" "$APIKEY" -c "$AK_TEST_CONF")
as() { # as USER ARGS...: apikey bound as USER (-U, password from a file)
    local u=$1; shift
    "${A[@]}" -U "$u" -y "$PWD/$u.pw" "$@"
}
VERIFIER=cn=verifier,ou=system,$SUFFIX
EXPIRYD=cn=expiryd,ou=system,$SUFFIX
raw_mod() { # raw_mod BINDDN PWFILE: ldapmodify with LDIF on stdin; prints the code
    ldapmodify -x -H "$AK_TEST_URI" -D "$1" -y "$2" >/dev/null 2>raw.err
    echo $?
}
raw_search() { # raw_search BINDDN PWFILE ARGS...
    local d=$1 p=$2; shift 2
    ldapsearch -x -LLL -o ldif-wrap=no -H "$AK_TEST_URI" -D "$d" -y "$p" "$@" 2>/dev/null
}
verify() { local f=$1; shift; "${A[@]}" verify "$@" <"$f"; }

# --- personal keys, bound as yourself ---
expect_rc 0 "alice creates her own key (-U, password)" -- as alice create --days 30 --label laptop --scope sshd --json
cp out.txt alice1.json
jq -r .key alice1.json >alice1.key
AK1=$(jq -r .id alice1.json)
jqt "it is alice's" alice1.json '.user == "alice" and .service_user == false'
expect_rc 0 "alice lists her keys" -- as alice list --json
jqt "alice sees her key" out.txt "[.[].id] | index(\"$AK1\") != null"
expect_rc 0 "the verifier accepts it under the ACLs" -- verify alice1.key alice --service sshd
expect_rc 0 "and without a user name" -- verify alice1.key --service sshd
expect_rc 0 "alice binds with -D too" -- "${A[@]}" -D "uid=alice,$PEOPLE" -y "$PWD/alice.pw" create --days 5 --label d-bind
expect_rc 6 "a wrong password is refused" -- "${A[@]}" -U alice -y "$PWD/wrong.pw" list
has err.txt "cannot bind as uid=alice" "says the bind failed"
expect_rc 0 "SASL EXTERNAL over ldapi is alice (olcAuthzRegexp)" -- "${A[@]}" -H "$AK_TEST_LDAPI" -Y EXTERNAL create --days 5 --label external
cp out.txt ext.key
expect_rc 0 "the EXTERNAL key is alice's" -- verify ext.key alice
expect_rc 0 "EXTERNAL list" -- "${A[@]}" -H "$AK_TEST_LDAPI" -Y EXTERNAL list --json
jqt "EXTERNAL list shows alice's keys" out.txt 'length == 3 and all(.[]; .user == "alice")'
expect_rc 6 "-Y GSSAPI without a plugin or ticket fails cleanly" -- "${A[@]}" -Y GSSAPI list
has err.txt "GSSAPI" "and says what GSSAPI needs"
expect_rc 0 "alice rotates her key" -- as alice rotate "$AK1"
cp out.txt alice2.key
expect_rc 0 "the new key works" -- verify alice2.key alice --service sshd
expect_rc 0 "alice revokes her new key" -- as alice revoke "$(kid alice2.key)"
expect_rc 1 "revoked: refused" -- verify alice2.key alice --service sshd
expect_rc 0 "a person without apiKeyHolder adds the class with the first key" -- as nokeys create --days 5
cp out.txt nokeys.key
expect_rc 0 "nokeys' key works" -- verify nokeys.key nokeys
expect_rc 0 "policy is readable by users" -- as alice policy show --json

# --- what alice may not do, through the CLI ---
expect_rc 0 "bob's own key" -- as bob create --days 30 --label bob-key
cp out.txt bob.key
BK=$(kid bob.key)
# the sample rules let a person read her own entry only: to alice, bob is
# no more there than a name nobody has (issue 16, finding 4)
expect_rc 5 "alice cannot make a key for bob: to her he does not exist" -- as alice create bob --days 3
sed 's/bob/X/g' err.txt >bob.err
expect_rc 5 "the same as for a name nobody has" -- as alice create nosuchname --days 3
sed 's/nosuchname/X/g' err.txt >none.err
cmp -s bob.err none.err && ok "word for word" || { bad "the answers differ"; diff bob.err none.err; }
expect_rc 5 "alice cannot see bob's key to revoke it" -- as alice revoke "$BK"
expect_rc 5 "nor to rotate it" -- as alice rotate "$BK"
expect_rc 0 "bob's key still works" -- verify bob.key bob
expect_rc 5 "alice cannot list bob" -- as alice list bob --json
expect_rc 0 "alice lists everyone" -- as alice list --all --json
jqt "only her own keys" out.txt 'length > 0 and all(.[]; .user == "alice")'
expect_rc 6 "alice cannot create a service user" -- as alice service create svc-a --owner alice
expect_rc 6 "alice cannot disable a service user" -- as alice service disable svc-backup
expect_rc 6 "alice cannot delete a service user" -- as alice service delete svc-backup
expect_rc 6 "alice cannot change the policy" -- as alice policy set --max-lifetime 5
expect_rc 6 "the verifier's bind cannot create keys" -- "${A[@]}" -D "$VERIFIER" -y "$PWD/verifier.pw" create alice --days 1

# --- what the key admins may do ---
expect_rc 0 "keyadmin lists everyone's keys" -- as keyadmin list --all --json
jqt "alice's and bob's keys" out.txt "([.[].id] | index(\"$AK1\") != null and index(\"$BK\") != null)"
expect_rc 0 "keyadmin creates a key for bob" -- as keyadmin create bob --days 3 --label by-admin
expect_rc 0 "keyadmin rotates bob's key" -- as keyadmin rotate "$BK" --grace 0
expect_rc 1 "bob's old key stopped" -- verify bob.key bob
expect_rc 0 "keyadmin creates a service user" -- as keyadmin service create svc-ci --owner alice --description "CI"
expect_rc 0 "and its key" -- as keyadmin create svc-ci --days 10 --scope imap
cp out.txt svc.key
expect_rc 0 "which authenticates" -- verify svc.key svc-ci --service imap
expect_rc 0 "alice may read the service users" -- as alice service list --json
jqt "she sees svc-ci and who owns it" out.txt '[.[] | select(.name == "svc-ci")][0].owners[0] | test("^uid=alice,")'
expect_rc 0 "keyadmin disables it" -- as keyadmin service disable svc-ci
expect_rc 1 "its key stops" -- verify svc.key svc-ci --service imap
expect_rc 0 "keyadmin enables it" -- as keyadmin service enable svc-ci
expect_rc 0 "keyadmin sets the policy" -- as keyadmin policy set --max-lifetime 40 --recipients sec@example.org
expect_rc 6 "alice's key beyond it is refused" -- as alice create --days 41
has err.txt "at most 40 days" "with the limit"
expect_rc 0 "keyadmin deletes the service user" -- as keyadmin service delete svc-ci --force
expect_rc 0 "keyadmin lists service users" -- as keyadmin list --service-users --json

# --- raw LDAP as the wrong user: the directory itself refuses ---
BOBDN=uid=bob,$PEOPLE
ALICEDN=uid=alice,$PEOPLE
[ "$(printf 'dn: %s\nchangetype: modify\nadd: apiKeyRecord\napiKeyRecord: v1 id=aaaaaaaaaaaaaaaa\n' "$BOBDN" | raw_mod "$ALICEDN" alice.pw)" = 50 ] &&
    ok "raw: alice cannot add a record to bob (insufficient access)" || bad "raw: alice added to bob"
[ "$(printf 'dn: %s\nchangetype: modify\ndelete: apiKeyId\n' "$BOBDN" | raw_mod "$ALICEDN" alice.pw)" = 50 ] &&
    ok "raw: alice cannot remove bob's key ids" || bad "raw: alice removed bob's ids"
raw_search "$ALICEDN" alice.pw -b "$BOBDN" -s base apiKeyRecord apiKeyId apiKeyExpires apiKeyLastUsed uid >s.txt
hasnt s.txt "^uid: bob" "raw: alice cannot see bob's entry (the sample rules)"
hasnt s.txt "^apiKey" "raw: but none of his key attributes"
BID=$(rootsearch -b "$BOBDN" -s base apiKeyId | sed -n 's/^apiKeyId: //p' | head -1)
raw_search "$ALICEDN" alice.pw -b "$SUFFIX" "(apiKeyId=$BID)" dn >s.txt
hasnt s.txt "^dn:" "raw: a search for bob's key id finds nothing for alice"
[ "$(printf 'dn: %s\nchangetype: modify\nreplace: apiKeyDisabled\napiKeyDisabled: FALSE\n' "$ALICEDN" | raw_mod "$ALICEDN" alice.pw)" = 50 ] &&
    ok "raw: alice cannot set apiKeyDisabled on herself" || bad "raw: alice set apiKeyDisabled"
[ "$(printf 'dn: %s\nchangetype: modify\nadd: objectClass\nobjectClass: pilotPerson\n' "$ALICEDN" | raw_mod "$ALICEDN" alice.pw)" = 50 ] &&
    ok "raw: alice may add no other objectClass than apiKeyHolder" || bad "raw: alice added an objectClass"
[ "$(printf 'dn: uid=svc-backup,ou=services,%s\nchangetype: modify\nadd: apiKeyRecord\napiKeyRecord: v1 x\n' "$SUFFIX" | raw_mod "$ALICEDN" alice.pw)" = 50 ] &&
    ok "raw: alice cannot add a key to a service user, even one she owns" || bad "raw: alice wrote svc-backup keys"
[ "$(printf 'dn: uid=svc-backup,ou=services,%s\nchangetype: modify\nreplace: description\ndescription: mine\n' "$SUFFIX" | raw_mod "$ALICEDN" alice.pw)" = 50 ] &&
    ok "raw: alice cannot change a service user" || bad "raw: alice changed svc-backup"
[ "$(printf 'dn: uid=svc-evil,ou=services,%s\nchangetype: add\nobjectClass: apiKeyServiceUser\nuid: svc-evil\n' "$SUFFIX" | raw_mod "$ALICEDN" alice.pw)" = 50 ] &&
    ok "raw: alice cannot add a service user" || bad "raw: alice added a service user"
[ "$(printf 'dn: cn=apikey-policy,ou=policies,%s\nchangetype: modify\nreplace: apiKeyMaxLifetime\napiKeyMaxLifetime: 9999\n' "$SUFFIX" | raw_mod "$ALICEDN" alice.pw)" = 50 ] &&
    ok "raw: alice cannot change the policy" || bad "raw: alice changed the policy"
raw_search "$ALICEDN" alice.pw -b "cn=apikey-policy,ou=policies,$SUFFIX" -s base apiKeyMaxLifetime apiKeyNoticeRecipient >s.txt
has s.txt "^apiKeyMaxLifetime: 40" "raw: alice reads the policy values"
hasnt s.txt "^apiKeyNoticeRecipient" "raw: but not the admin recipients"
AID=$(rootsearch -b "$ALICEDN" -s base apiKeyId | sed -n 's/^apiKeyId: //p' | head -1)
printf 'dn: %s\nchangetype: modify\nadd: apiKeyId\napiKeyId: %s\n' "$ALICEDN" "$BID" | ldapmodify -x -H "$AK_TEST_URI" -D "$ALICEDN" -y alice.pw >/dev/null 2>&1
[ $? -eq 19 ] && ok "raw: alice cannot copy bob's key id onto her entry (slapo-unique)" || bad "raw: key id copied"
raw_search "$VERIFIER" verifier.pw -b "$ALICEDN" -s base '*' >s.txt
has s.txt "^apiKeyRecord: v1 id=" "raw: the verifier reads key records"
has s.txt "^uid: alice" "raw: and uid"
hasnt s.txt "^(mail|cn|sn|userPassword|apiKeyExpires|homeDirectory):" "raw: and nothing it does not need"
raw_search "$VERIFIER" verifier.pw -b "ou=system,$SUFFIX" >s.txt
hasnt s.txt "^dn:" "raw: the verifier sees nothing outside users, services and policy"
[ "$(printf 'dn: %s\nchangetype: modify\nadd: apiKeyRecord\napiKeyRecord: v1 x\n' "$ALICEDN" | raw_mod "$VERIFIER" verifier.pw)" = 50 ] &&
    ok "raw: the verifier cannot write key records" || bad "raw: verifier wrote a record"
[ "$(printf 'dn: %s\nchangetype: modify\nreplace: apiKeyDisabled\napiKeyDisabled: FALSE\n' "$ALICEDN" | raw_mod "$VERIFIER" verifier.pw)" = 50 ] &&
    ok "raw: the verifier cannot enable a disabled user" || bad "raw: verifier wrote apiKeyDisabled"
[ "$(printf 'dn: %s\nchangetype: modify\nadd: apiKeyLastUsed\napiKeyLastUsed: %s %s\n' "$ALICEDN" "$AID" "$(gentime 0)" | raw_mod "$VERIFIER" verifier.pw)" = 0 ] &&
    ok "raw: the verifier may write apiKeyLastUsed" || bad "raw: verifier cannot write last use"
raw_search "$ALICEDN" alice.pw -b "$ALICEDN" -s base apiKeyLastUsed >s.txt
has s.txt "^apiKeyLastUsed: $AID " "raw: alice reads her own last use"
raw_search "uid=bob,$PEOPLE" bob.pw -b "$ALICEDN" -s base apiKeyLastUsed >s.txt
hasnt s.txt "^apiKeyLastUsed" "raw: bob does not read alice's last use"
ldapsearch -x -LLL -H "$AK_TEST_URI" -b "$SUFFIX" '(apiKeyId=*)' apiKeyRecord >s.txt 2>/dev/null
hasnt s.txt "^apiKeyRecord" "raw: anonymous sees no key records"
# --- apiKeyNotice: the expiry daemon's bookkeeping, nobody else's ---
# mod DN OP ATTR VALUE: one-value modify LDIF on stdout
mod() { printf 'dn: %s\nchangetype: modify\n%s: %s\n%s: %s\n' "$1" "$2" "$3" "$3" "$4"; }
NEXP=$(gentime $((3 * 86400)))
NV="$AID $NEXP 7 owner sent $(gentime 0)"
[ "$(mod "$ALICEDN" add apiKeyNotice "$NV" | raw_mod "$ALICEDN" alice.pw)" = 50 ] &&
    ok "raw: alice cannot add an apiKeyNotice value to her entry" || bad "raw: alice wrote apiKeyNotice"
[ "$(mod "$ALICEDN" add apiKeyNotice "$NV" | raw_mod "$VERIFIER" verifier.pw)" = 50 ] &&
    ok "raw: the verifier cannot add apiKeyNotice" || bad "raw: verifier wrote apiKeyNotice"
[ "$(mod "$ALICEDN" add apiKeyNotice "$NV" | raw_mod "$EXPIRYD" expiryd.pw)" = 0 ] &&
    ok "raw: the daemon adds an apiKeyNotice value" || { bad "raw: the daemon cannot add apiKeyNotice"; cat raw.err; }
raw_search "$ALICEDN" alice.pw -b "$ALICEDN" -s base apiKeyNotice >s.txt
has s.txt "^apiKeyNotice: $AID $NEXP 7 owner sent " "raw: alice reads her own notices"
raw_search "uid=bob,$PEOPLE" bob.pw -b "$ALICEDN" -s base apiKeyNotice >s.txt
hasnt s.txt "^apiKeyNotice" "raw: bob does not read alice's notices"
raw_search "$VERIFIER" verifier.pw -b "$ALICEDN" -s base apiKeyNotice >s.txt
hasnt s.txt "^apiKeyNotice" "raw: nor does the verifier"
[ "$(mod "$ALICEDN" delete apiKeyNotice "$NV" | raw_mod "$ALICEDN" alice.pw)" = 50 ] &&
    ok "raw: alice cannot delete an apiKeyNotice value (so she is not mailed again)" || bad "raw: alice deleted apiKeyNotice"
[ "$(printf 'dn: %s\nchangetype: modify\ndelete: apiKeyNotice\n' "$ALICEDN" | raw_mod "$ALICEDN" alice.pw)" = 50 ] &&
    ok "raw: nor all of them" || bad "raw: alice deleted every apiKeyNotice"
[ "$(mod "$ALICEDN" delete apiKeyNotice "$NV" | raw_mod "$EXPIRYD" expiryd.pw)" = 0 ] &&
    ok "raw: the daemon deletes its exact value" || { bad "raw: the daemon cannot delete apiKeyNotice"; cat raw.err; }
[ "$(mod "uid=svc-backup,ou=services,$SUFFIX" add apiKeyNotice "$NV" | raw_mod "$EXPIRYD" expiryd.pw)" = 0 ] &&
    ok "raw: the daemon writes apiKeyNotice on service users" || { bad "raw: daemon on svc-backup"; cat raw.err; }
[ "$(mod "uid=svc-backup,ou=services,$SUFFIX" add apiKeyNotice "$NV x" | raw_mod "$ALICEDN" alice.pw)" = 50 ] &&
    ok "raw: alice does not, even on the service user she owns" || bad "raw: alice wrote svc-backup's notices"
[ "$(mod "$ALICEDN" add apiKeyNotice "$NV" | raw_mod "uid=keyadmin,$PEOPLE" keyadmin.pw)" = 0 ] &&
    ok "raw: a key admin writes apiKeyNotice" || { bad "raw: keyadmin cannot write apiKeyNotice"; cat raw.err; }
[ "$(mod "$ALICEDN" delete apiKeyNotice "$NV" | raw_mod "uid=keyadmin,$PEOPLE" keyadmin.pw)" = 0 ] &&
    ok "raw: and deletes it" || bad "raw: keyadmin cannot delete apiKeyNotice"
# --- apikey list shows which notices went out (the owner reads them) ---
as alice list --json >l.json 2>/dev/null
AEXP=$(date -u -d "$(jq -r --arg k "$AID" '.[] | select(.id == $k) | .expires' l.json)" +%Y%m%d%H%M%SZ)
NT=$(gentime -60)
NVS=("$AID $AEXP 30 owner skipped $NT" "$AID $AEXP 30 admin skipped $NT"
     "$AID $AEXP 7 owner sent $NT" "$AID $AEXP 7 admin failed $NT no-mail"
     "$AID $(gentime -$((400 * 86400))) 7 owner sent $NT" "$AID junk")
{ printf 'dn: %s\nchangetype: modify\nadd: apiKeyNotice\n' "$ALICEDN"
  for v in "${NVS[@]}"; do printf 'apiKeyNotice: %s\n' "$v"; done; } | raw_mod "$EXPIRYD" expiryd.pw >/dev/null
expect_rc 0 "alice lists her keys with their notices" -- as alice list --json
jqt "list --json: every notice of the key, the old expiry's too" out.txt \
    "[.[] | select(.id == \"$AID\")][0].notices | length == 5 and ([.[] | select(.current)] | length) == 4"
jqt "list --json: stage, class, state, time and the failure's reason" out.txt \
    "[.[] | select(.id == \"$AID\")][0].notices | any(.stage == 7 and .class == \"admin\" and .state == \"failed\" and .reason == \"no-mail\" and (.time | test(\"Z$\")))"
jqt "list --json: the unreadable value, apart" out.txt \
    "[.[] | select(.id == \"$AID\")][0].notices_unreadable == [{\"value\": \"$AID junk\", \"error\": \"too few fields\"}]"
jqt "list --json: keys without notices have none" out.txt \
    "[.[] | select(.id != \"$AID\")] | all(.notices == [] and .notices_unreadable == [])"
expect_rc 0 "alice lists her keys (table)" -- as alice list
has out.txt "^ID .* SCOPE +NOTICES$" "the table has a NOTICES column"
has out.txt "^$AID .* 30d skipped, 7d owner sent/admin failed, 1 unreadable$" "the table: the current expiry's notices, compact"
expect_rc 0 "keyadmin lists everyone's keys with notices" -- as keyadmin list --all --json
jqt "the admin sees them too" out.txt "[.[] | select(.id == \"$AID\")][0].notices | length == 5"
for v in "${NVS[@]}"; do mod "$ALICEDN" delete apiKeyNotice "$v" | raw_mod "$EXPIRYD" expiryd.pw >/dev/null; done
raw_search "$ALICEDN" alice.pw -b "$ALICEDN" -s base apiKeyNotice >s.txt
hasnt s.txt "^apiKeyNotice" "(the values removed again)"
for w in "add apiKeyRecord v1 id=aaaaaaaaaaaaaaaa" "add apiKeyRevoked $AID $(gentime 0) revoked" \
    "add apiKeyDisabled TRUE" "add mail daemon@example.org" "add apiKeyExpires $NEXP" \
    "add apiKeyLastUsed $AID $(gentime 0)" "add objectClass pilotPerson"; do
    set -- $w
    op=$1 at=$2; shift 2
    [ "$(mod "$ALICEDN" "$op" "$at" "$*" | raw_mod "$EXPIRYD" expiryd.pw)" = 50 ] &&
        ok "raw: the daemon cannot write $at" || bad "raw: the daemon wrote $at"
done
# housekeeping (key_cleanup_days): the daemon may delete key values, never
# add them, and of the ends only a rotation's, never a revocation
JUNK="v1 id=zzzzzzzzzzzzzzzz junk"
ROT="zzzzzzzzzzzzzzzz $(gentime -86400) rotated"
REV="zzzzzzzzzzzzzzzz $(gentime -86400) revoked"
for v in "apiKeyRecord:$JUNK" "apiKeyRevoked:$ROT" "apiKeyRevoked:$REV"; do
    mod "$ALICEDN" add "${v%%:*}" "${v#*:}" | rootmod || bad "root adds ${v%%:*}"
done
[ "$(mod "$ALICEDN" delete apiKeyRecord "$JUNK" | raw_mod "$EXPIRYD" expiryd.pw)" = 0 ] &&
    ok "raw: the daemon may delete a record (housekeeping)" || bad "raw: the daemon cannot delete a record"
[ "$(mod "$ALICEDN" delete apiKeyRevoked "$ROT" | raw_mod "$EXPIRYD" expiryd.pw)" = 0 ] &&
    ok "raw: and a rotation's end" || bad "raw: the daemon cannot delete a rotation's end"
[ "$(mod "$ALICEDN" delete apiKeyRevoked "$REV" | raw_mod "$EXPIRYD" expiryd.pw)" = 50 ] &&
    ok "raw: never a revocation" || bad "raw: the daemon deleted a revocation"
mod "$ALICEDN" delete apiKeyRevoked "$REV" | rootmod
[ "$(mod "cn=apikey-policy,ou=policies,$SUFFIX" replace apiKeyMaxLifetime 9999 | raw_mod "$EXPIRYD" expiryd.pw)" = 50 ] &&
    ok "raw: nor the policy" || bad "raw: the daemon changed the policy"
raw_search "$EXPIRYD" expiryd.pw -b "$ALICEDN" -s base '*' '+' >s.txt
has s.txt "^apiKeyRecord: v1 id=" "raw: the daemon reads key records"
has s.txt "^mail: alice@example.org" "raw: and mail"
has s.txt "^apiKeyExpires: " "raw: and the expiry index"
has s.txt "^entryUUID: " "raw: and entryUUID"
has s.txt "^entryCSN: " "raw: and entryCSN (a syncrepl resume filters on it)"
hasnt s.txt "^(userPassword|cn|sn|homeDirectory|uidNumber):" "raw: and nothing it does not need"
raw_search "$EXPIRYD" expiryd.pw -b "uid=svc-backup,ou=services,$SUFFIX" -s base apiKeyOwner apiKeyNotice >s.txt
has s.txt "^apiKeyOwner: uid=alice," "raw: the daemon reads who owns a service user"
has s.txt "^apiKeyNotice: $AID " "raw: and its notices"
raw_search "$EXPIRYD" expiryd.pw -b "cn=apikey-policy,ou=policies,$SUFFIX" -s base apiKeyNoticeDays apiKeyNoticeRecipient >s.txt
has s.txt "^apiKeyNoticeRecipient: sec@example.org" "raw: and the admin recipients"
raw_search "$EXPIRYD" expiryd.pw -b "ou=system,$SUFFIX" >s.txt
hasnt s.txt "^dn:" "raw: the daemon sees nothing outside users, services and policy"
raw_search "$EXPIRYD" expiryd.pw -b "$SUFFIX" '(objectClass=apiKeyHolder)' dn >s.txt
[ "$(grep -c '^dn:' s.txt)" -ge 6 ] && ok "raw: the daemon finds the key holders from the search base" || { bad "raw: the daemon's search"; cat s.txt; }
sed -e ':a' -e 'N' -e '$!ba' -e 's/\n //g' "$AK_TEST_DIR"/slapd.d/cn=config/olcDatabase=*mdb.ldif |
    grep -qs '^olcLimits: {[0-9]*}dn.exact="cn=expiryd,ou=system,dc=example,dc=org" size=unlimited time=unlimited' &&
    ok "the daemon's size limit is lifted (olcLimits loaded)" || bad "no olcLimits for the daemon in slapd's config"
# --- check-config: what the verifier's bind can read, seen by an admin ---
printf 'dn: uid=svc-backup,ou=services,%s\nchangetype: modify\nadd: objectClass\nobjectClass: shadowAccount\n-\nadd: shadowExpire\nshadowExpire: -1\n' "$SUFFIX" | rootmod
expect_rc 0 "check-config as the verifier" -- "${A[@]}" check-config
has out.txt "not compared" "without an identity it says it did not compare"
expect_rc 0 "check-config as keyadmin: the packaged ACLs hide nothing" -- as keyadmin check-config
has out.txt "pwdAccountLockedTime +people: the verifier reads it" "it reads pwdAccountLockedTime on people (carol)"
has out.txt "shadowExpire +service users: the verifier reads it" "it reads shadowExpire on service users"
has out.txt "apiKeyRevoked +people: the verifier reads it" "it reads the ends of keys"
sed "s/^/#   /" out.txt
hasnt out.txt "PROBLEM" "no problem reported"
# a site's rule in front that hides service users' locks from the verifier,
# as the first release's ACL did (cn=config changed offline: the test's
# EXTERNAL identity is alice)
cat >acl-v1.ldif <<LDIF
dn: olcDatabase={1}mdb,cn=config
changetype: modify
add: olcAccess
olcAccess: {14}to dn.subtree="ou=services,$SUFFIX" attrs=shadowExpire,pwdAccountLockedTime,pwdStartTime,pwdEndTime by dn.exact="$VERIFIER" none by * break
LDIF
"$AK_TEST_HARNESS" stop "$AK_TEST_DIR"
/usr/sbin/slapmodify -F "$AK_TEST_DIR/slapd.d" -n 0 -l acl-v1.ldif >slapmodify.out 2>&1 ||
    { bad "slapmodify the ACL"; cat slapmodify.out; }
"$AK_TEST_HARNESS" restart "$AK_TEST_DIR" || bad "slapd restarts"
expect_rc 6 "check-config finds what an older ACL hides" -- as keyadmin check-config
has out.txt "shadowExpire +service users: PROBLEM: the verifier cannot read it" "names the lock attribute and the kind of entry"
has err.txt "cannot read everything" "and says so on stderr"
rm -f s.txt
done_tests
