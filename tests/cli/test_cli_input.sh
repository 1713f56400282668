#!/bin/bash
# test_cli_input.sh - what people type into apikey, and what the directory
# hands back to a terminal (issue 16, findings 7 and 8):
#   1  a label or service text with terminal-active code points (C1
#      controls, bidi overrides, ...) is refused, saying which and where;
#      the same text written by hand with ldapmodify is shown escaped by
#      list, service list/show, verify (and JSON), and the key still works
#   2  an option given twice is never dropped silently: list options
#      (--owner of service create/modify, --scope) take every value, the
#      others are refused naming the option
#   3  an over-long value is blamed on the option that carries it
# Usage (from meson): with-slapd.sh test_cli_input.sh /path/to/apikey
set -uo pipefail
APIKEY=${1:?path to apikey}
: "${AK_TEST_CONF:?run through tests/ldap/with-slapd.sh}"
export LDAPNOINIT=1

. "$(dirname "$0")/lib.sh"

printf 'admin-secret' >admin.pw
chmod 600 admin.pw
A=("${W[@]}" "$APIKEY" -c "$AK_TEST_CONF")
ADMIN=("${A[@]}" -D "$ROOTDN" -y "$PWD/admin.pw")
# raw FILE DESC: no terminal-active byte sequence in FILE: ESC, CSI (C1 in
# UTF-8: c2 80-9f), the bidi controls, LS/PS (e2 80 a8-ae, e2 81 a6-a9)
raw() {
    if LC_ALL=C grep -qaP '\x1b|\xc2[\x80-\x9f]|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]|\xd8\x9c' "$1"; then
        bad "$2"; LC_ALL=C grep -naP '\x1b|\xc2[\x80-\x9f]|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]' "$1" | od -c | head -5
    else ok "$2"; fi
}

# --- 1. terminal-active text ------------------------------------------------
# The review's label, verbatim: CSI "2J" (clear the screen) and an RLO.
EVIL=$'ok\xc2\x9b2J\xe2\x80\xaeevil'
expect_rc 2 "create --label with a C1 CSI and an RLO is refused" -- \
    "${ADMIN[@]}" create alice --label "$EVIL"
has err.txt "^apikey: --label: U\+009B \(a C1 control character\) at byte 3" "names the code point and where it is"
raw err.txt "the refusal itself shows nothing raw"
# every class, each alone in an otherwise plain label
for cp in 1b 7f c285 c29d d89c e2808e e2808f e280aa e280ab e280ac e280ad e280ae \
    e281a6 e281a7 e281a8 e281a9 e280a8 e280a9 efbbbf e281aa efbfb9; do
    l="a$(printf '%s' "$cp" | sed 's/../\\x&/g')b"
    expect_rc 2 "create --label with ${cp} is refused" -- "${ADMIN[@]}" create alice --label "$(printf "$l")"
done
# what people do write still goes in
for l in "Laptop (Zürich)" "ノートパソコン" "CI 🚀" "שלום עולם" "a\\b"; do
    expect_rc 0 "create --label '$l'" -- "${ADMIN[@]}" create alice --days 5 --label "$l"
done
expect_rc 2 "rotate --label refuses it too" -- "${ADMIN[@]}" rotate aaaaaaaaaaaaaaaa --label "$EVIL"
has err.txt "^apikey: --label: U\+009B" "rotate: names the code point"
# service users' free text, the same rule
expect_rc 2 "service create --description with an RLO" -- \
    "${ADMIN[@]}" service create svc-evil --owner alice --description "$EVIL"
has err.txt "^apikey: --description: U\+009B \(a C1 control character\) at byte 3" "names it"
expect_rc 2 "service create --display-name with an RLO" -- \
    "${ADMIN[@]}" service create svc-evil --owner alice --display-name $'x\xe2\x80\xaey'
has err.txt "^apikey: --display-name: U\+202E \(a bidirectional control\) at byte 2" "names it"
expect_rc 2 "service modify --description with ESC" -- \
    "${ADMIN[@]}" service modify svc-backup --description $'x\e[2Jy'
has err.txt "^apikey: --description: U\+001B \(a C0 control character\) at byte 2" "names it"
expect_rc 2 "a label that is not UTF-8" -- "${ADMIN[@]}" create alice --label $'a\xffb'
has err.txt "^apikey: --label: not UTF-8 at byte 2" "says so"

# The same label written by hand (raw ldapmodify, as root): the key works
# as before, and nothing of it reaches the terminal raw.
expect_rc 0 "a key to deface" -- "${ADMIN[@]}" create bob --days 30 --label plain --json
cp out.txt evil.json
KID=$(jq -r .id evil.json)
OLD=$(rootsearch -b "uid=bob,$PEOPLE" -s base apiKeyRecord | sed -n "s/^apiKeyRecord: \(v1 id=$KID .*\)/\1/p")
NEW=${OLD/label=plain/label=ok%C2%9B2J%E2%80%AEevil}
rootmod <<EOF
dn: uid=bob,$PEOPLE
changetype: modify
delete: apiKeyRecord
apiKeyRecord: $OLD
-
add: apiKeyRecord
apiKeyRecord: $NEW
EOF
[ "$NEW" != "$OLD" ] && rootsearch -b "uid=bob,$PEOPLE" -s base apiKeyRecord | grep -qF "$NEW" &&
    ok "the record holds the raw label" || bad "could not write the label by hand"
jq -r .key evil.json >evil.key
expect_rc 0 "verify: the key still works (the verifier is unchanged)" -- \
    sh -c '"$@" <evil.key' sh "${A[@]}" verify bob
for cmd in "list bob" "list --all" "service show svc-backup"; do
    expect_rc 0 "$cmd" -- "${ADMIN[@]}" $cmd
    raw out.txt "$cmd: nothing raw on stdout"
    raw err.txt "$cmd: nothing raw on stderr"
done
"${ADMIN[@]}" list bob >out.txt 2>&1
has out.txt 'ok\\u009b2J\\u202eevil' "list bob: the label escaped, readable"
expect_rc 0 "list --json" -- "${ADMIN[@]}" --json list bob
raw out.txt "list --json: nothing raw"
jqt "list --json: the label decodes to what the directory holds" out.txt \
    "any(.[]; .label == \"ok\\u009b2J\\u202eevil\")"
# A C0 control in a hand-written label stays malformed, as docs/key-records.md says
OLD2=$NEW
NEW2=${OLD2/label=ok%C2%9B2J%E2%80%AEevil/label=a%1B%5B2Jb}
rootmod <<EOF
dn: uid=bob,$PEOPLE
changetype: modify
delete: apiKeyRecord
apiKeyRecord: $OLD2
-
add: apiKeyRecord
apiKeyRecord: $NEW2
EOF
expect_rc 1 "verify: a label with ESC is still a malformed record" -- \
    sh -c '"$@" <evil.key' sh "${A[@]}" verify bob
expect_rc 0 "list bob with a malformed record" -- "${ADMIN[@]}" list bob
has err.txt "key $KID: malformed record \(bad label\)" "list: says malformed, as before"

# Service user text written by hand: display name, description, an owner
# DN and the user name, each with its own terminal-active code points.
rootmod <<EOF
dn: uid=svc-backup,ou=services,$SUFFIX
changetype: modify
replace: description
description: $(printf 'night\xe2\x80\xaely\xc2\x9b2J')
-
replace: cn
cn: $(printf 'Backup\xe2\x81\xa6robot')
EOF
for cmd in "service list" "service show svc-backup" "--json service list" "--json service show svc-backup"; do
    expect_rc 0 "$cmd" -- "${ADMIN[@]}" $cmd
    raw out.txt "$cmd: nothing raw"
done
"${ADMIN[@]}" service show svc-backup >out.txt 2>&1
has out.txt '^description: +night\\u202ely\\u009b2J$' "service show: the description escaped"
has out.txt '^display name: +Backup\\u2066robot$' "service show: the display name escaped"
"${ADMIN[@]}" --json service show svc-backup >out.txt 2>&1
jqt "service show --json: the description decodes to the stored value" out.txt \
    '.description == "night\u202ely\u009b2J"'

# A person whose very name (uid, and so the DN) holds an RLO, added by hand:
# create, list and list --all name her escaped.
RLO=$'\xe2\x80\xae'
ldapadd -x -H "$AK_TEST_URI" -D "$ROOTDN" -w admin-secret >/dev/null <<EOF
dn: uid=eve${RLO}lyn,$PEOPLE
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: apiKeyHolder
uid: eve${RLO}lyn
cn: Eve
sn: Eve
uidNumber: 10099
gidNumber: 10000
homeDirectory: /home/evelyn
EOF
expect_rc 0 "create for a name with an RLO" -- "${ADMIN[@]}" create "eve${RLO}lyn" --days 5
raw err.txt "create: the name and DN reach stderr escaped"
has err.txt 'for eve\\u202elyn \(uid=eve\\u202elyn,' "create: names her escaped"
cp out.txt eve.key
expect_rc 0 "verify her key" -- sh -c '"$@" <eve.key' sh "${A[@]}" verify
raw out.txt "verify: nothing raw"
has out.txt '^ok: key [a-z2-7]{16} of eve\\u202elyn \(uid=eve\\u202elyn,' "verify names her escaped"
for cmd in "list eve${RLO}lyn" "list --all"; do
    expect_rc 0 "$cmd" -- "${ADMIN[@]}" $cmd
    raw out.txt "$cmd: nothing raw on stdout"
    raw err.txt "$cmd: nothing raw on stderr"
done
has out.txt '^[a-z2-7]{16}  eve\\u202elyn ' "list --all: the USER column escaped"

# --- 2. an option given twice -----------------------------------------------
expect_rc 0 "service create --owner a --owner b" -- \
    "${ADMIN[@]}" service create svc-two --owner alice --owner bob --json
jqt "both owners kept" out.txt '(.owners | length) == 2'
expect_rc 0 "service modify --owner a --owner carol,bob" -- \
    "${ADMIN[@]}" service modify svc-two --owner alice --owner carol,bob
"${ADMIN[@]}" --json service show svc-two >out.txt 2>&1
jqt "modify kept all three" out.txt '(.owners | length) == 3'
expect_rc 2 "the same owner in two --owner options" -- \
    "${ADMIN[@]}" service create svc-three --owner alice --owner alice
has err.txt "alice given twice" "says so"
expect_rc 0 "create --scope sshd --scope imap" -- \
    "${ADMIN[@]}" create alice --days 5 --scope sshd --scope imap --json
jqt "both scopes kept" out.txt '.scope == ["sshd","imap"]'
expect_rc 2 "--scope sshd --scope sshd" -- "${ADMIN[@]}" create alice --scope sshd --scope sshd
# single values: refused, naming the option, before any connection
for args in "create alice --label a --label b" \
    "rotate aaaaaaaaaaaaaaaa --grace 1 --grace 2" \
    "service create svc-x --owner alice --description a --description b" \
    "service create svc-x --owner alice --display-name a --display-name b" \
    "service create svc-x --owner alice --mail a@example.org --mail b@example.org" \
    "list --owner alice --owner bob" \
    "list --expiring 3 --expiring 5" \
    "list --unused 3 --unused 5" \
    "verify --service sshd --service imap" \
    "verify --at 2030-01-01 --at 2031-01-01" \
    "policy set --max-lifetime 30 --max-lifetime 60" \
    "policy set --require-expiry yes --require-expiry no" \
    "policy set --notice-days 7 --notice-days 30" \
    "policy set --recipients a@example.org --recipients b@example.org" \
    "check-config --offline -c /x -c /y"; do
    set -- $args
    opt=$(printf '%s\n' "$@" | grep -E '^--?[a-z-]+$' | sort | uniq -d | head -1)
    expect_rc 2 "$args: refused" -- "${A[@]}" -H ldap://127.0.0.1:1 $args
    has err.txt "^apikey: $opt given twice" "$args: names $opt"
done
for args in "-H ldap://a -H ldap://b" "-D cn=a -D cn=b" "-U a -U b" "-y /a -y /b" \
    "-Y EXTERNAL -Y GSSAPI" "-c /a -c /b" "--config=/a --config=/b"; do
    expect_rc 2 "apikey $args list: refused" -- "${W[@]}" "$APIKEY" $args list
    o=${args%% *}; o=${o%%=*}
    has err.txt "^apikey: $o given twice" "apikey $args: names $o"
done
expect_rc 2 "apikey -c /a check-config -c /b: refused" -- "${W[@]}" "$APIKEY" -c /a check-config -c /b
has err.txt "^apikey: -c given twice \(before and after check-config\)" "names -c"
# setup-directory (its own parser)
SD=("${W[@]}" "$APIKEY" setup-directory --print)
expect_rc 2 "setup-directory --suffix twice" -- "${SD[@]}" --suffix dc=a --suffix dc=b
has err.txt "^apikey: --suffix given twice" "names --suffix"
expect_rc 2 "setup-directory --part twice" -- "${SD[@]}" --suffix dc=a --part config --part entries
has err.txt "^apikey: --part given twice" "names --part"
expect_rc 2 "setup-directory --people twice" -- "${SD[@]}" --suffix dc=a --people ou=p,dc=a --people ou=q,dc=a
has err.txt "^apikey: --people given twice" "names --people"

# --- 3. over-long values --------------------------------------------------------
# The review's suffix: about 500 characters, and no --people given.
LONG=$(printf 'dc=%s,' $(for i in $(seq 1 40); do echo "long$i$i$i"; done))dc=org
[ ${#LONG} -ge 480 ] && ok "a suffix of ${#LONG} characters" || bad "suffix too short: ${#LONG}"
"${SD[@]}" --suffix "$LONG" >out.txt 2>err.txt
rc=$?
hasnt err.txt "--people" "a long --suffix never blames --people"
if [ $rc -eq 0 ]; then
    has out.txt "^dn: ou=services,$LONG$" "or it simply works: ou=services under it"
else
    has err.txt "^apikey: --suffix" "the error names --suffix"
fi
expect_rc 2 "a label of 65 bytes" -- "${ADMIN[@]}" create alice --label "$(printf 'x%.0s' $(seq 1 65))"
has err.txt "^apikey: --label: 65 bytes, at most 64" "says how long it is and may be"
expect_rc 2 "a description of 1025 bytes" -- "${ADMIN[@]}" service create svc-x --owner alice \
    --description "$(head -c 1025 /dev/zero | tr '\0' d)"
has err.txt "^apikey: --description: 1025 bytes, at most" "says how long it is and may be"

done_tests
