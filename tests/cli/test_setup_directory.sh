#!/bin/bash
# test_setup_directory.sh - apikey setup-directory: its LDIF, applied as an
# admin would (ldapmodify -Y EXTERNAL for cn=config, the root DN for the
# entries) to a throwaway slapd that knows nothing of apikey (no schema, no
# indexes, no rules) under another suffix than the fixtures' (dc=corp,
# dc=test); then real operations prove the rules: an owner makes her own
# key but cannot write apiKeyNotice or another's entry, the verifier reads
# what it needs, the admin group manages, key ids are unique.
# Usage (from meson): test_setup_directory.sh /path/to/with-slapd.sh /path/to/apikey
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
SUF=dc=corp,dc=test

if [ "${1:-}" != --inner ]; then
    with_slapd=${1:?path to with-slapd.sh}
    # cn=config is written over ldapi as root (peercred uid 0), as on a server
    [ "$(id -u)" = 0 ] || { echo "# needs root (ldapmodify -Y EXTERNAL on cn=config)"; exit 77; }
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/aksetup.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    {
        printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: corp\no: Corp\n\n' "$SUF"
        printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$SUF"
        n=20000
        for u in ann ben boss; do
            n=$((n + 1))
            printf 'dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n' "$u" "$SUF"
            printf 'uid: %s\ncn: %s\nsn: %s\nmail: %s@corp.test\nuidNumber: %s\ngidNumber: %s\n' "$u" "$u" "$u" "$u" "$n" "$n"
            printf 'homeDirectory: /home/%s\nuserPassword: %s-password\n\n' "$u" "$u"
        done
    } >"$tmp/fixtures.ldif"
    AK_TEST_BARE=1 AK_TEST_SUFFIX=$SUF AK_TEST_FIXTURES="$tmp/fixtures.ldif" \
        "$with_slapd" "$0" --inner "$2"
    exit $?
fi
APIKEY=${2:?path to apikey}
: "${AK_TEST_CONF:?run through tests/ldap/with-slapd.sh}"
export LDAPNOINIT=1
. "$here/lib.sh"
SUFFIX=$AK_TEST_SUFFIX
PEOPLE=ou=people,$SUFFIX
ROOTDN=$AK_TEST_ROOTDN
[ "$SUFFIX" = "$SUF" ] && ok "the harness runs under $SUF" || bad "harness suffix $SUFFIX"
A=("${W[@]}" "$APIKEY" -c "$AK_TEST_CONF")
for u in ann ben boss; do printf '%s-password' "$u" >"$u.pw"; done
printf 'verifier-secret' >verifier.pw
printf 'expiryd-secret' >expiryd.pw
chmod 600 ./*.pw
as() { local u=$1; shift; "${A[@]}" -U "$u" -y "$PWD/$u.pw" "$@"; }
raw_mod() { # raw_mod BINDDN PWFILE: ldapmodify with LDIF on stdin; prints the code
    ldapmodify -x -H "$AK_TEST_URI" -D "$1" -y "$2" >/dev/null 2>raw.err
    echo $?
}
raw_search() { # raw_search BINDDN PWFILE ARGS...
    local d=$1 p=$2; shift 2
    ldapsearch -x -LLL -o ldif-wrap=no -H "$AK_TEST_URI" -D "$d" -y "$p" "$@" 2>/dev/null
}
verify() { local f=$1; shift; "${A[@]}" verify "$@" <"$f"; }
VERIFIER=cn=verifier,ou=system,$SUFFIX
EXPIRYD=cn=expiryd,ou=system,$SUFFIX

# --- the command line ---
expect_rc 2 "--suffix that is no DN" -- "${A[@]}" setup-directory --suffix example.org --print
has err.txt "not a DN" "says it is not a DN"
expect_rc 2 "--suffix missing" -- "${A[@]}" setup-directory --print
has err.txt "suffix DN is required" "says --suffix is required"
expect_rc 2 "a quote in a DN" -- "${A[@]}" setup-directory --suffix 'o=a"b' --print
expect_rc 2 "a name outside the suffix" -- "${A[@]}" setup-directory --suffix "$SUFFIX" --policy cn=p,dc=other --print
has err.txt "not below --suffix" "says it is outside"
expect_rc 2 "without --print" -- "${A[@]}" setup-directory --suffix "$SUFFIX"
has err.txt "add --print" "says to add --print"
expect_rc 2 "a bad --part" -- "${A[@]}" setup-directory --suffix "$SUFFIX" --part acl --print

# --- the same rules as the shipped apikey-acl.ldif (one table) ---
rules() { grep -E '^(olcAccess|olcLimits|  )' "$1" | grep -v '^  #'; }
expect_rc 0 "print for the example suffix" -- "${A[@]}" setup-directory --suffix "dc=example, dc=org" --part config --print
cp out.txt example.ldif
rules "$top/packaging/ldap/apikey-acl.ldif" >a.rules
rules example.ldif >b.rules
[ "$(wc -l <a.rules)" -gt 40 ] && cmp -s a.rules b.rules &&
    ok "its rules and limits are apikey-acl.ldif's" || { bad "rules differ from apikey-acl.ldif"; diff a.rules b.rules | head; }
grep -q '^olcUniqueURI: ldap:///dc=example,dc=org?apiKeyId?sub$' example.ldif &&
    ok "the unique overlay of apikey-unique.ldif" || bad "no olcUniqueURI"
expect_rc 0 "--no-catch-all" -- "${A[@]}" setup-directory --suffix "$SUFFIX" --part config --no-catch-all --skip-module unique --print
hasnt out.txt "^olcAccess: \{2[34]\}" "leaves out the sample last rules"
hasnt out.txt "olcModuleLoad: unique" "and the module given to --skip-module"
has out.txt "^olcAccess: \{22\}to \*" "keeps the others"

# --- apply it, as an admin would ---
expect_rc 0 "print part config" -- "${A[@]}" setup-directory --suffix "$SUFFIX" --part config --skip-module ppolicy --print
cp out.txt config.ldif
has config.ldif "^dn: cn=apikey,cn=schema,cn=config" "part config has the schema"
hasnt config.ldif "^dn: cn=verifier" "part config has no entries"
hasnt config.ldif "dc=example" "and no example names"
expect_rc 0 "print part entries" -- "${A[@]}" setup-directory --suffix "$SUFFIX" --part entries --admin "uid=boss,$PEOPLE" --print
cp out.txt entries.ldif
hasnt entries.ldif "^olcAccess" "part entries has no rules"
expect_rc 0 "ldapmodify -Y EXTERNAL applies part config" -- ldapmodify -Q -Y EXTERNAL -H "$AK_TEST_LDAPI" -f config.ldif
expect_rc 0 "the root DN applies part entries" -- ldapmodify -x -H "$AK_TEST_URI" -D "$ROOTDN" -w admin-secret -f entries.ldif
expect_rc 0 "ldappasswd gives the verifier its password" -- ldappasswd -x -H "$AK_TEST_URI" -D "$ROOTDN" -w admin-secret -T verifier.pw "$VERIFIER"
expect_rc 0 "and the expiry daemon" -- ldappasswd -x -H "$AK_TEST_URI" -D "$ROOTDN" -w admin-secret -T expiryd.pw "$EXPIRYD"
ldapsearch -Q -LLL -o ldif-wrap=no -Y EXTERNAL -H "$AK_TEST_LDAPI" -b cn=config '(olcSuffix=*)' olcDbIndex olcAccess >cfg.txt 2>/dev/null
has cfg.txt "^olcDbIndex: apiKeyNotice eq,sub" "the indexes are in slapd's config"
has cfg.txt "^olcAccess: \{24\}to \*" "and the 25 rules"
ldapsearch -Q -LLL -o ldif-wrap=no -Y EXTERNAL -H "$AK_TEST_LDAPI" -b cn=config '(objectClass=olcConstraintConfig)' olcConstraintAttribute >cons.txt 2>/dev/null
[ "$(grep -c '^olcConstraintAttribute: ' cons.txt)" -eq "$(( $(python3 "$top/scripts/gen-acl.py" --bounds | cut -d' ' -f1 | sort -u | wc -l) * 2 ))" ] &&
    ok "and a count and a size bound for each attribute of gen-acl.py's table" ||
    { bad "the constraint overlay's bounds"; cat cons.txt; }

# --- the rules at work ---
expect_rc 0 "ann creates her own key (bound as herself)" -- as ann create --days 5 --label laptop
cp out.txt ann.key
AID=$(kid ann.key)
expect_rc 0 "the verifier accepts it (it reads her record)" -- verify ann.key ann
expect_rc 0 "without a user name too (it finds the key id)" -- verify ann.key
raw_search "$VERIFIER" verifier.pw -b "uid=ann,$PEOPLE" -s base '*' >s.txt
has s.txt "^apiKeyId: $AID" "raw: the verifier reads her key ids"
hasnt s.txt "^(mail|userPassword|apiKeyExpires):" "raw: and nothing it does not need"
mod() { printf 'dn: %s\nchangetype: modify\n%s: %s\n%s: %s\n' "$1" "$2" "$3" "$3" "$4"; }
NV="$AID $(gentime $((3 * 86400))) 7 owner sent $(gentime 0)"
[ "$(mod "uid=ann,$PEOPLE" add apiKeyNotice "$NV" | raw_mod "uid=ann,$PEOPLE" ann.pw)" = 50 ] &&
    ok "raw: ann cannot write apiKeyNotice on her entry" || bad "raw: ann wrote apiKeyNotice"
[ "$(mod "uid=ann,$PEOPLE" add apiKeyNotice "$NV" | raw_mod "$EXPIRYD" expiryd.pw)" = 0 ] &&
    ok "raw: the expiry daemon can" || { bad "raw: the daemon cannot write apiKeyNotice"; cat raw.err; }
[ "$(mod "uid=ben,$PEOPLE" add apiKeyRecord "v1 id=aaaaaaaaaaaaaaaa" | raw_mod "uid=ann,$PEOPLE" ann.pw)" = 50 ] &&
    ok "raw: ann cannot add a record to ben" || bad "raw: ann wrote ben's entry"
expect_rc 0 "ben makes a key of his own" -- as ben create --days 5
printf 'dn: uid=ben,%s\nchangetype: modify\nadd: apiKeyId\napiKeyId: %s\n' "$PEOPLE" "$AID" |
    ldapmodify -x -H "$AK_TEST_URI" -D "uid=ben,$PEOPLE" -y ben.pw >/dev/null 2>&1
[ $? -eq 19 ] && ok "raw: ben cannot copy ann's key id (slapo-unique)" || bad "raw: key id copied"
ldapsearch -x -LLL -H "$AK_TEST_URI" -b "$PEOPLE" '(uid=*)' uid >s.txt 2>/dev/null
hasnt s.txt "^uid:" "anonymous reads no people (the last rule)"
expect_rc 0 "boss, of the admin group, lists everyone's keys" -- as boss list --all --json
jqt "and sees ann's" out.txt "[.[].id] | index(\"$AID\") != null"
expect_rc 0 "boss sets the policy" -- as boss policy set --max-lifetime 30
expect_rc 6 "ann's key beyond it is refused" -- as ann create --days 31
expect_rc 6 "ann cannot set the policy" -- as ann policy set --max-lifetime 300
expect_rc 0 "boss creates a service user in ou=services" -- as boss service create svc-ci --owner ann
expect_rc 0 "and its key" -- as boss create svc-ci --days 10
cp out.txt svc.key
expect_rc 0 "which the verifier accepts" -- verify svc.key svc-ci
expect_rc 0 "check-config binds as the verifier and reads the policy" -- "${A[@]}" check-config
has out.txt "maximum lifetime 30 days" "with the policy boss set"
done_tests
