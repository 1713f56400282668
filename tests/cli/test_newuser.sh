#!/bin/bash
# test_newuser.sh - the apikey command as a new user meets it (issue 11):
# arguments are checked before any password prompt or connection, -c and
# -y take relative paths, a global option after the command is explained,
# verify names its service and the key's scope, and an empty list is one
# line.
# Usage (from meson): with-slapd.sh test_newuser.sh /path/to/apikey
set -uo pipefail
APIKEY=${1:?path to apikey}
: "${AK_TEST_CONF:?run through tests/ldap/with-slapd.sh}"
export LDAPNOINIT=1

. "$(dirname "$0")/lib.sh"

printf 'admin-secret' >admin.pw
chmod 600 admin.pw
A=("${W[@]}" "$APIKEY" -c "$AK_TEST_CONF")
ADMIN=("${A[@]}" -D "$ROOTDN" -y "$PWD/admin.pw")
# one_line FILE DESC: FILE holds exactly one line
one_line() {
    if [ "$(wc -l <"$1")" -eq 1 ]; then ok "$2"; else
        bad "$2: $(wc -l <"$1") lines"; sed 's/^/#   /' "$1" | head -10; fi
}
accepts() { grep -c ' ACCEPT from ' "$AK_TEST_LOG"; }

# --- arguments first: no prompt, no connection ----------------------------
# setsid: no controlling terminal, so a password prompt could not hang the
# test: it would fail with "no terminal to ask" instead.
for cmd in "create alice" "rotate aaaaaaaaaaaaaaaa"; do
    before=$(accepts)
    expect_rc 2 "$cmd --expires tomorrow, unreachable URI, -W" -- \
        setsid -w "${A[@]}" -H ldap://127.0.0.1:1 -D "$ROOTDN" -W $cmd --expires tomorrow
    has err.txt "^apikey: --expires 'tomorrow': not a date" "$cmd: says 'not a date'"
    one_line err.txt "$cmd: that one line, no prompt and no directory error"
    expect_rc 2 "$cmd --expires tomorrow against the real server" -- \
        "${ADMIN[@]}" $cmd --expires tomorrow
    has err.txt "not a date" "$cmd: not a date (real server)"
    [ "$(accepts)" = "$before" ] && ok "$cmd: no connection reached slapd" ||
        bad "$cmd: slapd saw a connection for a bad date"
done
expect_rc 2 "create --expires +0x" -- setsid -w "${A[@]}" -H ldap://127.0.0.1:1 -W create alice --expires +0x
has err.txt "not a date" "+0x is not a date"
# a good date still goes on to the directory (here: unreachable)
expect_rc 4 "create with a good date reaches for the directory" -- \
    "${A[@]}" -H ldap://127.0.0.1:1 -D "$ROOTDN" -y "$PWD/admin.pw" create alice --expires "+3d"

# --- -c and -y relative to the working directory ---------------------------
mkdir -p here/sub
cp "$AK_TEST_CONF" here/rel.conf
cp admin.pw here/sub/pw
expect_rc 0 "relative -c and -y" -- sh -c 'cd here && "$@"' x \
    "${W[@]}" "$APIKEY" -c rel.conf -D "$ROOTDN" -y sub/pw create alice --days 3
KEY=$(cat out.txt)
[[ $KEY =~ ^ak_ ]] && ok "relative paths: a key was made" || bad "relative paths: no key"
expect_rc 0 "-c ./x" -- sh -c 'cd here && "$@"' x \
    "${W[@]}" "$APIKEY" -c ./rel.conf -D "$ROOTDN" -y ./sub/pw list alice
expect_rc 0 "--config=sub/../x" -- sh -c 'cd here && "$@"' x \
    "${W[@]}" "$APIKEY" --config=sub/../rel.conf -D "$ROOTDN" -y ./sub/pw list alice
expect_rc 3 "a relative -c that does not exist names the resolved file" -- \
    sh -c 'cd here && "$@"' x "${W[@]}" "$APIKEY" -c nope.conf check-config
has err.txt "$PWD/here/nope.conf: no such file" "the message names the absolute path"
expect_rc 2 "an empty -c" -- "${W[@]}" "$APIKEY" -c '' check-config
has err.txt "-c: give a file name" "an empty -c says so"
# the PAM module keeps refusing relative paths (tests/pam: apikey-relconf)

# --- a global option after the command -------------------------------------
expect_rc 2 "create alice -D cn=x" -- "${A[@]}" create alice -D cn=x
has err.txt "^apikey: option -D goes before the command: apikey -D cn=x create \.\.\.$" \
    "-D after the command: says where it goes"
one_line err.txt "-D after the command: one line, not the whole help"
expect_rc 2 "-D with a space in its value" -- "${A[@]}" list -D 'cn=a b,dc=x'
has err.txt "apikey -D 'cn=a b,dc=x' list \.\.\." "the value is quoted for the shell"
expect_rc 2 "--config after the command" -- "${A[@]}" verify --config=/x.conf
has err.txt "option --config goes before the command: apikey --config=/x.conf verify" "--config"
expect_rc 2 "-W after the command" -- "${A[@]}" service list -W
has err.txt "option -W goes before the command: apikey -W service \.\.\." "-W in a service subcommand"
expect_rc 2 "-y without its value after the command" -- "${A[@]}" policy set -y
has err.txt "option -y goes before the command: apikey -y FILE policy" "-y with a placeholder"
one_line err.txt "policy set -y: one line"
expect_rc 2 "-Dcn=x glued" -- "${A[@]}" revoke aaaaaaaaaaaaaaaa -Dcn=x
has err.txt "apikey -D cn=x revoke" "-Dcn=x"
# an option's value that looks like an option is still a value
expect_rc 0 "--label -D is a label" -- "${ADMIN[@]}" create alice --label -D --days 2
# unknown options still say so, with the usage
expect_rc 2 "an unknown option" -- "${A[@]}" list --frobnicate
has err.txt "^apikey: list: unknown option '--frobnicate'" "unknown option named"
has err.txt "^Usage: apikey list" "and the usage follows"
expect_rc 2 "a missing value" -- "${A[@]}" create --label
has err.txt "option '--label' needs a value" "missing value named"

# --- verify names its service; a scope refusal names the scope -----------
expect_rc 0 "create a scoped key" -- "${ADMIN[@]}" create alice --scope sshd,smtp --days 3
SCOPED=$(cat out.txt)
SKID=$(kid out.txt)
expect_rc 0 "create an unscoped key" -- "${ADMIN[@]}" create alice --days 3
FREE=$(cat out.txt)
printf '%s\n' "$FREE" >free.txt
printf '%s\n' "$SCOPED" >scoped.txt
expect_rc 0 "verify without --service" -- sh -c '"$@" < free.txt' x "${A[@]}" verify alice
has out.txt "^ok: key [a-z2-7]{16} of alice \(.*\) for service apikey \(the default; --service NAME checks another\)$" \
    "verify names the default service"
expect_rc 0 "verify --service sshd" -- sh -c '"$@" < scoped.txt' x "${A[@]}" verify alice --service sshd
has out.txt "^ok: key $SKID of alice \(.*\) for service sshd$" "verify names the service given"
expect_rc 1 "verify a scoped key without --service" -- sh -c '"$@" < scoped.txt' x "${A[@]}" verify alice
has out.txt "^refused: not valid for this service: service apikey \(the default; --service NAME checks another\) is not in the scope of key $SKID \(sshd, smtp\)$" \
    "scope refusal names the default service and the key's scope"
expect_rc 1 "verify --service imap" -- sh -c '"$@" < scoped.txt' x "${A[@]}" verify --service imap
has out.txt "^refused: not valid for this service: service imap is not in the scope of key $SKID \(sshd, smtp\)$" \
    "scope refusal names the service and the key's scope"
printf 'ak_aaaaaaaaaaaaaaaa_%s\n' "$(printf 'a%.0s' $(seq 59))" >bad.txt
expect_rc 1 "verify another refusal" -- sh -c '"$@" < bad.txt' x "${A[@]}" verify --service imap
has out.txt "^refused: .*\(service imap\)$" "other refusals name the service too"
grep -qF "${SCOPED#*_*_}" out.txt err.txt && bad "a key in verify's output" || ok "no key in verify's output"

# --- an empty list is one line ---------------------------------------------
expect_rc 0 "list a user without keys" -- "${ADMIN[@]}" list nokeys
[ -s out.txt ] && { bad "empty list: something on stdout"; sed 's/^/#   /' out.txt; } ||
    ok "empty list: no table header"
has err.txt "^apikey: nokeys has no keys \(or none that you may see\)$" "empty list: names the user"
one_line err.txt "empty list: one line"
expect_rc 0 "list --json of a user without keys" -- "${ADMIN[@]}" list nokeys --json
jqt "empty list --json is []" out.txt 'length == 0'
expect_rc 0 "list with a filter nothing matches" -- "${ADMIN[@]}" list alice --revoked
[ -s out.txt ] && bad "filtered empty list: a header" || ok "filtered empty list: no header"
has err.txt "^apikey: alice has no keys that match the filters \([0-9]+ in all\)$" "filtered empty list says so"
expect_rc 0 "a list with keys keeps its header" -- "${ADMIN[@]}" list alice
has out.txt "^ID +LABEL" "the table has its header"

done_tests
