#!/bin/bash
# test_cli.sh - the apikey command against the throwaway slapd: every
# command, exit codes, JSON through a real parser (jq), policy refusals,
# bad input, the key shown once on stdout only or in a new 0600 file
# (--output), and the warning for a key printed into a readable file.
# Usage (from meson): with-slapd.sh test_cli.sh /path/to/apikey
set -uo pipefail
APIKEY=${1:?path to apikey}
: "${AK_TEST_CONF:?run through tests/ldap/with-slapd.sh}"
export LDAPNOINIT=1

. "$(dirname "$0")/lib.sh"

printf 'admin-secret' >admin.pw
chmod 600 admin.pw
# W (lib.sh): under meson's valgrind setup every apikey run is checked by
# valgrind (a finding exits 99, which no expectation below accepts).
A=("${W[@]}" "$APIKEY" -c "$AK_TEST_CONF")
ADMIN=("${A[@]}" -D cn=admin,dc=example,dc=org -y "$PWD/admin.pw")

# --help everywhere, and usage errors
for c in "" create list revoke verify check-config; do
    expect_rc 0 "apikey $c --help" -- "${W[@]}" "$APIKEY" $c --help
    grep -q '^Usage: apikey' out.txt || bad "apikey $c --help prints usage"
done
expect_rc 2 "unknown command" -- "${A[@]}" frobnicate
# the rootdn is no key holder: create without USER (for yourself) says so
expect_rc 5 "create for yourself as the rootdn" -- "${ADMIN[@]}" create
expect_rc 2 "--days and --expires together" -- "${ADMIN[@]}" create alice --days 3 --expires "$(isodate $((10 * 86400)))"
expect_rc 2 "bad date" -- "${ADMIN[@]}" create alice --expires "$(($(date -u +%Y) + 1))-02-30"
grep -q "not a date" err.txt && ok "bad date message says what" || bad "bad date message"
expect_rc 2 "bad --days" -- "${ADMIN[@]}" create alice --days 0
expect_rc 2 "bad scope" -- "${ADMIN[@]}" create alice --scope 'ssh d'
expect_rc 2 "label with a newline" -- "${ADMIN[@]}" create alice --label $'a\nb'
expect_rc 2 "bad key id" -- "${ADMIN[@]}" revoke 'not-an-id'
expect_rc 3 "missing config" -- "${W[@]}" "$APIKEY" -c /nonexistent/apikey.conf list alice
expect_rc 0 "check-config" -- "${A[@]}" check-config
grep -q "bind ok" out.txt && ok "check-config binds" || bad "check-config output"
expect_rc 0 "check-config --dump --offline" -- "${A[@]}" check-config --dump --offline
grep -q '^bind_pw_file /' out.txt && ! grep -q verifier-secret out.txt &&
    ok "dump names the password file, never the password" || bad "dump"

# create: the key on stdout only, its digest in the directory
expect_rc 0 "create" -- "${ADMIN[@]}" create alice --label "laptop é" --scope sshd,smtp --days 30
KEY=$(cat out.txt)
[[ $KEY =~ ^ak_[a-z2-7]{16}_[a-z2-7]{59}$ ]] && ok "key has the documented shape" || bad "key shape: $KEY"
KID=${KEY:3:16}
grep -q "only time the key is shown" err.txt && ok "create says the key is shown once" || bad "create message"
grep -qF "$KEY" err.txt && bad "key on stderr" || ok "key not on stderr"
ldapsearch -x -H "$AK_TEST_URI" -b dc=example,dc=org -LLL "(apiKeyId=$KID)" apiKeyRecord apiKeyExpires >ldap.txt
grep -qF "${KEY:20:40}" ldap.txt && bad "secret stored in LDAP" || ok "only a digest is stored"
grep -q "^apiKeyExpires:" ldap.txt && ok "apiKeyExpires kept for the daemon" || bad "apiKeyExpires missing"

# verify reads the key from stdin, never argv
printf '%s\n' "$KEY" >key.txt
expect_rc 0 "verify ok" -- sh -c '"$@" < key.txt' x "${A[@]}" verify alice --service sshd
grep -q "^ok: key $KID of alice" out.txt && ok "verify names key and owner" || bad "verify output"
expect_rc 1 "verify outside scope" -- sh -c '"$@" < key.txt' x "${A[@]}" verify alice --service imap
grep -q "not valid for this service" out.txt && ok "refusal says why" || bad "scope refusal text"
expect_rc 0 "verify without user" -- sh -c '"$@" < key.txt' x "${A[@]}" verify --service smtp
expect_rc 1 "verify as someone else" -- sh -c '"$@" < key.txt' x "${A[@]}" verify bob --service sshd
printf 'ak_garbage\n' >bad.txt
expect_rc 1 "verify a non-key" -- sh -c '"$@" < bad.txt' x "${A[@]}" verify alice

# list, as a table and as JSON through a real parser
expect_rc 0 "list" -- "${ADMIN[@]}" list alice
grep -q "^ID " out.txt && grep -q "$KID" out.txt && ok "list shows the key" || bad "list table"
expect_rc 0 "list --json" -- "${ADMIN[@]}" list alice --json
if jq -e --arg k "$KID" '.[] | select(.id == $k) | .state == "active" and .label == "laptop é" and (.scope | index("smtp")) != null and .user == "alice"' out.txt >/dev/null; then
    ok "list --json parses and is right"; else bad "list --json"; cat out.txt; fi
expect_rc 0 "create --json" -- "${ADMIN[@]}" create svc-backup --json --no-expiry
jq -e '.key | test("^ak_")' out.txt >/dev/null && jq -e '.service_user == true and .expires == null' out.txt >/dev/null &&
    ok "create --json parses" || bad "create --json"

# --output: the key in a new file of mode 0600, nothing secret on stdout
active() { "${ADMIN[@]}" list alice --json 2>/dev/null | jq '[.[] | select(.state == "active")] | length'; }
expect_rc 0 "create --output" -- "${ADMIN[@]}" create alice --days 10 --label file --output "$PWD/new.key"
[ "$(stat -c %a new.key 2>/dev/null)" = 600 ] && ok "the file has mode 0600" || bad "--output file mode $(stat -c %a new.key 2>&1)"
[ ! -s out.txt ] && ok "nothing on stdout" || bad "stdout not empty with --output"
has err.txt "key is in .*/new\\.key \\(mode 0600\\)" "says where the key is"
hasnt err.txt "warning" "no warning with --output"
grep -qF "$(cat new.key)" err.txt && bad "key on stderr" || ok "key not on stderr"
[[ $(cat new.key) =~ ^ak_[a-z2-7]{16}_[a-z2-7]{59}$ ]] && ok "the file holds the key alone on its line" || bad "file content"
expect_rc 0 "the key from the file verifies" -- sh -c '"$@" < new.key' x "${A[@]}" verify alice
expect_rc 0 "create --json --output (a relative name)" -- "${ADMIN[@]}" create alice --days 10 --json --output new.json
jqt "the file holds the JSON object" new.json '(.key | test("^ak_")) and .user == "alice"'
[ ! -s out.txt ] && ok "nothing on stdout with --json either" || bad "stdout not empty with --json --output"
expect_rc 0 "that key verifies" -- sh -c 'jq -r .key new.json | "$@"' x "${A[@]}" verify alice
# an existing file or a symlink: refused before anything, left as it was
n0=$(active)
printf 'precious\n' >exists.key
chmod 644 exists.key
expect_rc 8 "--output onto an existing file" -- "${ADMIN[@]}" create alice --days 10 --output exists.key
has err.txt "exists.key: already exists; it is never overwritten" "says it never overwrites a file"
[ "$(cat exists.key)" = precious ] && [ "$(stat -c %a exists.key)" = 644 ] &&
    ok "the existing file is untouched" || bad "existing file changed"
[ "$(active)" = "$n0" ] && ok "no key left active" || bad "active keys $n0 -> $(active)"
ln -s "$PWD/nowhere.key" dangling.key
expect_rc 8 "--output onto a dangling symlink" -- "${ADMIN[@]}" create alice --days 10 --output dangling.key
has err.txt "dangling.key: is a symbolic link, refused" "says it is a symbolic link"
[ ! -e nowhere.key ] && ok "nothing created through the link" || bad "a file was created through the link"
ln -s "$PWD/exists.key" link.key
expect_rc 8 "--output onto a symlink to a file" -- "${ADMIN[@]}" rotate "$(kid new.key)" --output link.key
[ "$(cat exists.key)" = precious ] && ok "its target is untouched" || bad "symlink target changed"
expect_rc 8 "--output into a missing directory" -- "${ADMIN[@]}" create alice --days 10 --output "$PWD/nodir/x.key"
has err.txt "cannot create it: No such file or directory \\(no key was made\\)" "says it cannot create it"
[ "$(active)" = "$n0" ] && ok "still no key left active" || bad "active keys $n0 -> $(active)"
expect_rc 0 "the key whose rotation was refused still works" -- sh -c '"$@" < new.key' x "${A[@]}" verify alice
# the file appears after the early check (while rotate waits): O_EXCL refuses
export APIKEY_TEST_DELAY_MS=$RACE_MS
"${ADMIN[@]}" rotate "$(kid new.key)" --output late.key >late.out 2>late.err &
sleep 1
printf 'theirs\n' >late.key
wait $! && rc=0 || rc=$?
unset APIKEY_TEST_DELAY_MS
[ "$rc" -eq 8 ] && ok "a file made meanwhile is refused (exit 8)" || bad "late file: exit $rc"
[ "$(cat late.key)" = theirs ] && ok "and not overwritten" || bad "late file overwritten"
has late.err "already exists" "says it exists"
[ "$(active)" = "$n0" ] && ok "nothing rotated" || bad "active keys $n0 -> $(active)"
expect_rc 0 "rotate --output" -- "${ADMIN[@]}" rotate "$(kid new.key)" --output rotated.key
[ "$(stat -c %a rotated.key 2>/dev/null)" = 600 ] && [ ! -s out.txt ] && ok "rotate writes a 0600 file, no stdout" || bad "rotate --output"
expect_rc 0 "the rotated key verifies" -- sh -c '"$@" < rotated.key' x "${A[@]}" verify alice

# a key printed into a file others can read: a warning, not a refusal
chmod 644 out.txt
expect_rc 0 "create into a 0644 file" -- "${ADMIN[@]}" create alice --days 10
has err.txt "warning: standard output is a file that can be read by others \\(mode 0644\\).*--output" "warns and suggests --output"
[[ $(cat out.txt) =~ ^ak_ ]] && ok "the key is still printed" || bad "no key printed"
chmod 640 out.txt
expect_rc 0 "create into a 0640 file" -- "${ADMIN[@]}" create alice --days 10
has err.txt "can be read by its group \\(mode 0640\\)" "warns about the group"
chmod 600 out.txt
expect_rc 0 "create into a 0600 file" -- "${ADMIN[@]}" create alice --days 10
hasnt err.txt "warning" "no warning for a file only we can read"
expect_rc 0 "create into a pipe" -- bash -o pipefail -c '"$@" | cat >piped.key' x "${ADMIN[@]}" create alice --days 10
hasnt err.txt "warning" "no warning for a pipe"
[[ $(cat piped.key) =~ ^ak_ ]] && ok "the key went through the pipe" || bad "pipe"
if [ "$(id -u)" -eq 0 ]; then
    chown 65534 out.txt
    expect_rc 0 "create into a file owned by someone else" -- "${ADMIN[@]}" create alice --days 10
    has err.txt "warning: standard output is a file that is owned by uid 65534" "warns about the owner"
    chown 0 out.txt
fi
chmod 644 out.txt
expect_rc 5 "list unknown user" -- "${ADMIN[@]}" list nosuchuser
expect_rc 5 "create for unknown user" -- "${ADMIN[@]}" create nosuchuser

# policy: refused with the limit stated
ldapmodify -x -H "$AK_TEST_URI" -D cn=admin,dc=example,dc=org -w admin-secret >/dev/null <<'LDIF'
dn: cn=apikey-policy,ou=policies,dc=example,dc=org
changetype: modify
replace: apiKeyRequireExpiry
apiKeyRequireExpiry: TRUE
-
replace: apiKeyMaxLifetime
apiKeyMaxLifetime: 90
LDIF
expect_rc 6 "no expiry under require-expiry" -- "${ADMIN[@]}" create bob --no-expiry
grep -q "requires an expiry date, at most 90 days" err.txt && ok "message states the limit" || bad "policy message"
expect_rc 6 "beyond the maximum lifetime" -- "${ADMIN[@]}" create bob --days 91
grep -q "at most 90 days" err.txt && ok "lifetime message states the limit" || bad "lifetime message"
expect_rc 0 "within the policy" -- "${ADMIN[@]}" create bob --days 90
expect_rc 0 "default expiry follows the policy" -- "${ADMIN[@]}" create bob --json
exp=$(jq -r .expires out.txt); cr=$(jq -r .created out.txt)
[ $(( $(date -d "$exp" +%s) - $(date -d "$cr" +%s) )) -eq $((90 * 86400)) ] &&
    ok "default expiry capped at 90 days" || bad "default expiry $cr -> $exp"

# rights: the verifier's bind cannot write keys
printf 'verifier-secret' >verifier.pw
chmod 600 verifier.pw
expect_rc 6 "verifier bind cannot create keys" -- "${A[@]}" -D cn=verifier,ou=system,dc=example,dc=org -y "$PWD/verifier.pw" create alice

# revoke: effective at once, idempotent
expect_rc 0 "revoke" -- "${ADMIN[@]}" revoke "$KID"
expect_rc 1 "revoked key refused" -- sh -c '"$@" < key.txt' x "${A[@]}" verify alice --service sshd
grep -q "revoked" out.txt && ok "refusal says revoked" || bad "revoked text"
expect_rc 0 "revoke again" -- "${ADMIN[@]}" revoke "$KID"
grep -q "already revoked" out.txt && ok "second revoke says so" || bad "second revoke"
expect_rc 5 "revoke unknown id" -- "${ADMIN[@]}" revoke aaaaaaaaaaaaaaaa
"${ADMIN[@]}" list alice --json | jq -e --arg k "$KID" '.[] | select(.id == $k) | .state == "revoked"' >/dev/null &&
    ok "list shows revoked" || bad "list revoked"

# unreachable directory
expect_rc 4 "directory down" -- "${A[@]}" -H ldap://127.0.0.1:1 check-config

done_tests
