#!/bin/bash
# test_manage.sh - key management as an admin (the rootdn) against the
# throwaway slapd without ACLs: rotate, service users, policy, the
# organisation-wide listing and its filters, the audit trail, two commands
# racing for one key (C-04), and a key that cannot be shown (F-14).
# Usage (from meson): with-slapd.sh test_manage.sh /path/to/apikey
set -uo pipefail
APIKEY=${1:?path to apikey}
: "${AK_TEST_CONF:?run through tests/ldap/with-slapd.sh}"
export LDAPNOINIT=1
. "$(dirname "$0")/lib.sh"

printf 'admin-secret' >admin.pw
chmod 600 admin.pw
export APIKEY_AUDIT_FILE=$PWD/audit.log
A=("${W[@]}" "$APIKEY" -c "$AK_TEST_CONF")
ADMIN=("${A[@]}" -D "$ROOTDN" -y "$PWD/admin.pw")
verify() { # verify KEYFILE ARGS...: apikey verify with the key on stdin
    local f=$1; shift
    "${A[@]}" verify "$@" <"$f"
}

# --- help everywhere, usage errors ---
for c in "create" "list" "revoke" "rotate" "service" "service create" \
    "service list" "service show" "service modify" "service disable" \
    "service enable" "service delete" "policy" "policy show" "policy set"; do
    expect_rc 0 "apikey $c --help" -- "${W[@]}" "$APIKEY" $c --help
    grep -q '^Usage: apikey' out.txt || bad "apikey $c --help prints usage"
done
expect_rc 2 "rotate without id" -- "${ADMIN[@]}" rotate
expect_rc 2 "rotate a bad id" -- "${ADMIN[@]}" rotate 'x*'
expect_rc 2 "rotate --grace nonsense" -- "${ADMIN[@]}" rotate aaaaaaaaaaaaaaaa --grace soon
expect_rc 2 "-D and -U together" -- "${A[@]}" -D "$ROOTDN" -U alice list
expect_rc 2 "-Y with another mechanism" -- "${A[@]}" -Y PLAIN list
expect_rc 2 "list USER and --all" -- "${ADMIN[@]}" list alice --all
expect_rc 2 "--unused without tracking" -- "${ADMIN[@]}" list --all --unused 30
has err.txt "track_last_use" "the refusal names track_last_use"
expect_rc 2 "--expires relative nonsense" -- "${ADMIN[@]}" create alice --expires +xd
expect_rc 2 "service create without --owner" -- "${ADMIN[@]}" service create svc-a
expect_rc 2 "service create with a bad name" -- "${ADMIN[@]}" service create 'svc a' --owner alice
expect_rc 2 "service create with a header in --mail" -- "${ADMIN[@]}" service create svc-a --owner alice --mail $'a@b.org\nBcc: x@y.org'
expect_rc 2 "service: unknown command" -- "${ADMIN[@]}" service frob
expect_rc 2 "policy: unknown command" -- "${ADMIN[@]}" policy frob
expect_rc 2 "policy set with nothing" -- "${ADMIN[@]}" policy set
expect_rc 2 "policy set --max-lifetime nonsense" -- "${ADMIN[@]}" policy set --max-lifetime long
expect_rc 2 "policy set --notice-days 0" -- "${ADMIN[@]}" policy set --notice-days 0,7
expect_rc 2 "policy set --notice-days twice" -- "${ADMIN[@]}" policy set --notice-days 7,7
expect_rc 2 "policy set --recipients not an address" -- "${ADMIN[@]}" policy set --recipients 'root'
expect_rc 2 "policy set --require-expiry maybe" -- "${ADMIN[@]}" policy set --require-expiry maybe
expect_rc 5 "create for yourself as the rootdn" -- "${ADMIN[@]}" create --days 1
has err.txt "no user or service user" "says the bound identity holds no keys"

# --- policy: show, set, JSON; a key beyond it is refused with the limit ---
expect_rc 0 "policy show --json" -- "${ADMIN[@]}" policy show --json
jqt "empty policy in JSON" out.txt '.require_expiry == false and .max_lifetime_days == null and .notice_days == [] and .recipients == []'
expect_rc 0 "policy set" -- "${ADMIN[@]}" policy set --require-expiry yes --max-lifetime 60 --notice-days 7,30,1 --recipients sec@example.org,ops@example.org
has out.txt "maximum lifetime: +60 days" "set shows the new policy"
expect_rc 0 "policy show --json" -- "${ADMIN[@]}" policy show --json
jqt "policy set as asked" out.txt '.require_expiry and .max_lifetime_days == 60 and .notice_days == [30,7,1] and (.recipients | sort) == ["ops@example.org","sec@example.org"]'
expect_rc 0 "policy show (table)" -- "${ADMIN[@]}" policy show
has out.txt "notice days: +30, 7, 1" "table lists notice days"
expect_rc 6 "no expiry under require-expiry" -- "${ADMIN[@]}" create alice --no-expiry
has err.txt "requires an expiry date, at most 60 days" "refusal states the limit"
expect_rc 6 "61 days under a 60-day maximum" -- "${ADMIN[@]}" create alice --days 61
has err.txt "at most 60 days" "refusal states the maximum"
expect_rc 6 "relative date beyond the maximum" -- "${ADMIN[@]}" create alice --expires +61d
expect_rc 6 "a date in the past" -- "${ADMIN[@]}" create alice --expires "$(isodate -86400)"
expect_rc 0 "60 days is within" -- "${ADMIN[@]}" create alice --expires +60d --json
jqt "create --json parses" out.txt '.key | test("^ak_")'

# --- service users ---
expect_rc 0 "service create" -- "${ADMIN[@]}" service create svc-ci --owner alice,bob --description "CI robot" --mail ci@example.org --json
jqt "service create --json" out.txt '.name == "svc-ci" and (.owners | length) == 2 and .disabled == false and .mail == "ci@example.org" and .keys == 0'
expect_rc 7 "service create: name taken by a service user" -- "${ADMIN[@]}" service create svc-ci --owner alice
expect_rc 7 "service create: name taken by a person" -- "${ADMIN[@]}" service create alice --owner bob
expect_rc 2 "a service user cannot be an owner" -- "${ADMIN[@]}" service create svc-z --owner svc-backup
expect_rc 5 "an unknown owner" -- "${ADMIN[@]}" service create svc-z --owner nosuchuser
expect_rc 0 "service list --json" -- "${ADMIN[@]}" service list --json
jqt "service list has both" out.txt '[.[].name] | sort == ["svc-backup","svc-ci"]'
expect_rc 0 "service list (table)" -- "${ADMIN[@]}" service list
has out.txt "^svc-ci +enabled +0/0 +alice,bob +CI robot" "service list table"
expect_rc 0 "a key for the service user" -- "${ADMIN[@]}" create svc-ci --days 30 --label "ci pipeline" --scope imap,smtp
cp out.txt svc.key
SVC_KID=$(kid svc.key)
expect_rc 0 "the service user's key authenticates" -- verify svc.key svc-ci --service imap
expect_rc 0 "service show --json" -- "${ADMIN[@]}" service show svc-ci --json
jq -e --arg k "$SVC_KID" '.key_list[0].id == $k and .key_list[0].service_user and .active_keys == 1' out.txt >/dev/null &&
    ok "service show --json lists its key" || bad "service show --json"
expect_rc 0 "service show (text)" -- "${ADMIN[@]}" service show svc-ci
has out.txt "^owner: +uid=bob" "show names the owners"
expect_rc 5 "service show of a person" -- "${ADMIN[@]}" service show alice
expect_rc 0 "service disable" -- "${ADMIN[@]}" service disable svc-ci
expect_rc 1 "a disabled service user's key is refused" -- verify svc.key svc-ci --service imap
has out.txt "disabled" "refusal says disabled"
expect_rc 0 "disable twice" -- "${ADMIN[@]}" service disable svc-ci
has out.txt "already disabled" "second disable says so"
expect_rc 0 "service show of a disabled service user" -- "${ADMIN[@]}" service show svc-ci
has out.txt "^state: +disabled$" "show says disabled"
expect_rc 0 "service enable" -- "${ADMIN[@]}" service enable svc-ci
expect_rc 0 "enabled again, the key works" -- verify svc.key svc-ci --service imap
# a lock of the owner state other than apiKeyDisabled (ppolicy) is shown
# as such, with the verifier's reason: the keys are refused all the same
SVC_DN=uid=svc-ci,ou=services,$SUFFIX
printf 'dn: %s\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n' "$SVC_DN" | rootmod &&
    ok "svc-ci locked with pwdAccountLockedTime" || bad "lock svc-ci"
expect_rc 1 "a locked service user's key is refused" -- verify svc.key svc-ci --service imap
expect_rc 0 "service show of a locked service user" -- "${ADMIN[@]}" service show svc-ci
has out.txt "^state: +locked \(account locked \(pwdAccountLockedTime\)\)$" "show says locked, with the reason"
expect_rc 0 "service list with a locked service user" -- "${ADMIN[@]}" service list
has out.txt "^svc-ci +locked \(account locked \(pwdAccountLockedTime\)\) +1/1 " "list says locked"
expect_rc 0 "service show --json of a locked service user" -- "${ADMIN[@]}" service show svc-ci --json
jqt "JSON: locked with the reason, not disabled" out.txt '.disabled == false and .locked == "account locked (pwdAccountLockedTime)"'
expect_rc 0 "service list --json with a locked service user" -- "${ADMIN[@]}" service list --json
jqt "list JSON: locked" out.txt '.[] | select(.name == "svc-ci") | .locked | test("pwdAccountLockedTime")'
printf 'dn: %s\nchangetype: modify\ndelete: pwdAccountLockedTime\n' "$SVC_DN" | rootmod &&
    ok "svc-ci unlocked" || bad "unlock svc-ci"
expect_rc 0 "service show --json after the unlock" -- "${ADMIN[@]}" service show svc-ci --json
jqt "JSON: neither locked nor disabled" out.txt '.disabled == false and .locked == null'
expect_rc 2 "service modify with nothing" -- "${ADMIN[@]}" service modify svc-ci
expect_rc 0 "service modify" -- "${ADMIN[@]}" service modify svc-ci --owner bob --description ""
expect_rc 0 "service show after modify" -- "${ADMIN[@]}" service show svc-ci --json
jqt "owners replaced, description removed" out.txt '(.owners | length) == 1 and (.owners[0] | test("^uid=bob,")) and .description == ""'
expect_rc 6 "delete refused while keys are active" -- "${ADMIN[@]}" service delete svc-ci
has err.txt "$SVC_KID" "refusal names the active key"
expect_rc 0 "delete --force" -- "${ADMIN[@]}" service delete svc-ci --force
expect_rc 1 "a deleted service user's key is refused" -- verify svc.key --service imap
expect_rc 5 "deleted: show says not found" -- "${ADMIN[@]}" service show svc-ci

# --- rotate ---
expect_rc 0 "a key to rotate" -- "${ADMIN[@]}" create bob --days 30 --label deploy --scope sshd --json
cp out.txt old.json
jq -r .key old.json >old.key
OLD=$(jq -r .id old.json)
expect_rc 0 "rotate" -- "${ADMIN[@]}" rotate "$OLD" --json
cp out.txt new.json
jq -r .key new.json >new.key
NEW=$(jq -r .id new.json)
jq -e --arg o "$OLD" '.replaces == $o and .label == "deploy" and .scope == ["sshd"] and .id != $o' new.json >/dev/null &&
    ok "new key has the old label and scope" || bad "rotate json"
exp_new=$(jq -r .expires new.json); cr_new=$(jq -r .created new.json)
[ $(( $(date -d "$exp_new" +%s) - $(date -d "$cr_new" +%s) )) -eq $((30 * 86400)) ] &&
    ok "new key has the old key's lifetime" || bad "new key lifetime $cr_new -> $exp_new"
expect_rc 0 "new key works" -- verify new.key bob --service sshd
expect_rc 0 "old key still works in the grace period" -- verify old.key bob --service sshd
expect_rc 0 "list bob --json" -- "${ADMIN[@]}" list bob --json
jq -e --arg o "$OLD" '.[] | select(.id == $o) | .expires_in_days == 6 or .expires_in_days == 7' out.txt >/dev/null &&
    ok "old key now expires in 7 days" || bad "old key expiry after rotate"
expect_rc 0 "rotate --grace 0" -- "${ADMIN[@]}" rotate "$NEW" --grace 0
cp out.txt newer.key
expect_rc 1 "with no grace the old key stops at once" -- verify new.key bob --service sshd
expect_rc 0 "and its successor works" -- verify newer.key bob --service sshd
expect_rc 6 "a rotation beyond the policy is refused" -- "${ADMIN[@]}" rotate "$(kid newer.key)" --days 90
has err.txt "at most 60 days" "rotation refusal states the limit"
expect_rc 0 "revoke" -- "${ADMIN[@]}" revoke "$(kid newer.key)"
expect_rc 6 "a revoked key is not rotated" -- "${ADMIN[@]}" rotate "$(kid newer.key)"
expect_rc 5 "rotate an unknown id" -- "${ADMIN[@]}" rotate aaaaaaaaaaaaaaaa

# --- C-04: two changes racing for one key: one wins, one conflicts ---
race() { # race DESC CMD1 -- CMD2: both read, wait, then write
    local d=$1; shift
    local a=() b=()
    while [ "$1" != -- ]; do a+=("$1"); shift; done
    shift
    b=("$@")
    APIKEY_TEST_DELAY_MS=$RACE_MS "${ADMIN[@]}" "${a[@]}" >r1.out 2>r1.err </dev/null &
    local p1=$!
    APIKEY_TEST_DELAY_MS=$RACE_MS "${ADMIN[@]}" "${b[@]}" >r2.out 2>r2.err </dev/null &
    local p2=$!
    wait $p1; local rc1=$?
    wait $p2; local rc2=$?
    local got
    got=$(printf '%s\n' $rc1 $rc2 | sort -n | tr '\n' ' ')
    if [ "$got" = "0 7 " ]; then ok "$d: one success, one conflict"; else
        bad "$d: exits $rc1 $rc2"; sed 's/^/#   /' r1.err r2.err; fi
    cat r1.err r2.err >race.err
}
n_records() { rootsearch -b "uid=$1,$PEOPLE" -s base apiKeyRecord | grep -c '^apiKeyRecord:'; }
expect_rc 0 "a key for the races" -- "${ADMIN[@]}" create bob --days 30 --label race
R1=$(kid out.txt)
race "two revokes" revoke "$R1" -- revoke "$R1"
has race.err "changed while being revoked" "the loser says the key changed"
expect_rc 0 "a second key for the races" -- "${ADMIN[@]}" create bob --days 30 --label race2
R2=$(kid out.txt)
before=$(n_records bob)
race "two rotates" rotate "$R2" -- rotate "$R2"
has race.err "changed while being rotated" "the loser says so"
after=$(n_records bob)
[ "$after" -eq $((before + 1)) ] && ok "exactly one successor was stored" || bad "records $before -> $after"
[ "$(grep -c '^ak_' r1.out r2.out | awk -F: '{s+=$2} END {print s}')" -eq 1 ] &&
    ok "exactly one new key was shown" || bad "keys shown: $(cat r1.out r2.out)"
expect_rc 0 "a third key" -- "${ADMIN[@]}" create bob --days 30 --label race3
R3=$(kid out.txt)
race "rotate against revoke" rotate "$R3" -- revoke "$R3"
expect_rc 0 "a key expiring within the grace period" -- "${ADMIN[@]}" create bob --days 2 --label race4
R4=$(kid out.txt)
race "two rotates of a key that ends within the grace" rotate "$R4" -- rotate "$R4"

# --- the organisation's keys, with filters ---
expect_rc 0 "a key for svc-backup (owned by alice)" -- "${ADMIN[@]}" create svc-backup --days 30 --label nightly
SB=$(kid out.txt)
expect_rc 0 "a key for alice" -- "${ADMIN[@]}" create alice --days 30 --label alice-laptop
AL=$(kid out.txt)
expect_rc 0 "a key for bob expiring soon" -- "${ADMIN[@]}" create bob --days 3 --label soon
SOON=$(kid out.txt)
expect_rc 0 "a key for bob to expire" -- "${ADMIN[@]}" create bob --days 30 --label gone
GONE=$(kid out.txt)
# make GONE expired: its record's expiry moved into the past (the record is
# text; the digest does not cover it)
rec=$(rootsearch -b "uid=bob,$PEOPLE" -s base apiKeyRecord | sed -n "s/^apiKeyRecord: \(v1 id=$GONE .*\)/\1/p")
newrec=$(printf '%s' "$rec" | sed "s/expires=[0-9]*Z/expires=$(gentime -86400)/")
printf 'dn: uid=bob,%s\nchangetype: modify\ndelete: apiKeyRecord\napiKeyRecord: %s\n-\nadd: apiKeyRecord\napiKeyRecord: %s\n' \
    "$PEOPLE" "$rec" "$newrec" | rootmod && ok "expired a key by hand" || bad "expire by hand"
expect_rc 0 "list --all --json" -- "${ADMIN[@]}" list --all --json
cp out.txt all.json
jq -e --arg a "$AL" --arg s "$SB" --arg g "$GONE" '([.[].id] | index($a) != null and index($s) != null and index($g) != null) and all(.[]; has("last_used") and has("expires_in_days") and has("state"))' all.json >/dev/null &&
    ok "list --all: alice's, bob's and svc-backup's keys, every field" || bad "list --all --json"
APIKEY_PAGE_SIZE=1 "${ADMIN[@]}" list --all --json >paged.json 2>/dev/null
jq -S 'map(del(.expires_in_days)) | sort_by(.id)' all.json >a.s; jq -S 'map(del(.expires_in_days)) | sort_by(.id)' paged.json >b.s
cmp -s a.s b.s && ok "one entry per page gives the same listing" || bad "paged listing differs"
expect_rc 0 "list --all (table)" -- "${ADMIN[@]}" list --all
has out.txt "^ID +USER +LABEL" "organisation table has a USER column"
expect_rc 0 "--service-users" -- "${ADMIN[@]}" list --service-users --json
jq -e --arg s "$SB" 'length >= 1 and all(.[]; .service_user) and ([.[].id] | index($s) != null)' out.txt >/dev/null &&
    ok "only service users' keys" || bad "--service-users"
expect_rc 0 "--owner alice" -- "${ADMIN[@]}" list --owner alice --json
jq -e --arg s "$SB" --arg a "$AL" '([.[].id] | index($s) != null and index($a) != null) and all(.[]; .user == "alice" or .user == "svc-backup")' out.txt >/dev/null &&
    ok "--owner: alice's keys and those of the service users she is responsible for" || bad "--owner"
expect_rc 0 "--expiring 5" -- "${ADMIN[@]}" list --all --expiring 5 --json
jq -e --arg s "$SOON" --arg a "$AL" '([.[].id] | index($s) != null and index($a) == null) and all(.[]; .state == "active" and .expires_in_days <= 5)' out.txt >/dev/null &&
    ok "--expiring: only keys ending within 5 days" || bad "--expiring"
expect_rc 0 "--expired" -- "${ADMIN[@]}" list --all --expired --json
jq -e --arg g "$GONE" '([.[].id] | index($g) != null) and all(.[]; .state == "expired")' out.txt >/dev/null &&
    ok "--expired: only expired keys" || bad "--expired"
expect_rc 0 "--revoked" -- "${ADMIN[@]}" list --all --revoked --json
jq -e --arg r "$R1" '([.[].id] | index($r) != null) and all(.[]; .state == "revoked" and .revoked != null)' out.txt >/dev/null &&
    ok "--revoked: only revoked keys" || bad "--revoked"
expect_rc 0 "--active" -- "${ADMIN[@]}" list --all --active --json
jqt "--active: only active keys" out.txt 'length > 0 and all(.[]; .state == "active")'
expect_rc 0 "last use is not tracked by default" -- "${ADMIN[@]}" list alice --json
jqt "last_used is null" out.txt 'all(.[]; .last_used == null)'

# --- impact of a policy change is announced ---
expect_rc 0 "policy relaxed" -- "${ADMIN[@]}" policy set --max-lifetime none --require-expiry no --notice-days none --recipients none
expect_rc 0 "policy show --json" -- "${ADMIN[@]}" policy show --json
jqt "values removed" out.txt '.require_expiry == false and .max_lifetime_days == null and .notice_days == [] and .recipients == []'
expect_rc 0 "a key that never expires" -- "${ADMIN[@]}" create alice --no-expiry --label forever
LONG=$(kid out.txt)
cp out.txt long.key
expect_rc 0 "policy: expiry required" -- "${ADMIN[@]}" policy set --require-expiry yes
has err.txt "warning: 1 key\\(s\\) stop working" "the change warns about the keys it stops"
has err.txt "$LONG" "the warning names the key"
expect_rc 1 "that key stops at once" -- verify long.key alice
has out.txt "requires one" "refusal says the policy requires an expiry"
expect_rc 0 "policy relaxed again" -- "${ADMIN[@]}" policy set --require-expiry no
hasnt err.txt "warning" "relaxing warns about nothing"
expect_rc 0 "relaxed: the key works again" -- verify long.key alice

# --- last use on, but the verifier may not write it (no ACLs: read-only) ---
grep -v '^#' "$AK_TEST_CONF" >track.conf
echo track_last_use >>track.conf
chmod 644 track.conf
expect_rc 0 "a login whose last-use write is refused" -- sh -c '"$@" <long.key' x "${W[@]}" "$APIKEY" -c "$PWD/track.conf" -vv verify alice
has out.txt "^ok: key $LONG" "is still accepted"
has err.txt "last use not recorded" "the refused write is only a note"
expect_rc 0 "the same login without -v" -- sh -c '"$@" <long.key' x "${W[@]}" "$APIKEY" -c "$PWD/track.conf" verify alice
[ ! -s err.txt ] && ok "says nothing about it on stderr" || { bad "stderr not empty"; sed 's/^/#   /' err.txt; }

# --- F-14: a key is never shown unstored, never stored unshown silently ---
n0=$(n_records alice)
expect_rc 8 "stdout closed: refused before anything" -- unfaked sh -c 'exec "$@" >&-' x "${ADMIN[@]}" create alice --days 5
has err.txt "standard output is closed" "says why"
[ "$(n_records alice)" -eq "$n0" ] && ok "nothing was stored" || bad "a record was stored"
expect_rc 8 "stdout full: key stored, then withdrawn" -- sh -c 'exec "$@" >/dev/full' x "${ADMIN[@]}" create alice --days 5 --label full
has err.txt "key [a-z2-7]{16} was stored but could not be written .* revoked" "names the key and says it was revoked"
FULL=$(sed -n 's/.*key \([a-z2-7]\{16\}\) was stored.*/\1/p' err.txt)
"${ADMIN[@]}" list alice --json >l.json 2>/dev/null
jq -e --arg k "$FULL" '.[] | select(.id == $k) | .state == "revoked"' l.json >/dev/null &&
    ok "the unshown key is revoked" || bad "unshown key state"
has audit.log "^create result=not-shown key=$FULL" "audit records the unshown key"
expect_rc 0 "a key to rotate into a full disk" -- "${ADMIN[@]}" create alice --days 20 --label rot
ROT=$(kid out.txt)
cp out.txt rot.key
before=$(rootsearch -b "uid=alice,$PEOPLE" -s base apiKeyRecord | grep "id=$ROT ")
expect_rc 8 "rotate into a full disk" -- sh -c 'exec "$@" >/dev/full' x "${ADMIN[@]}" rotate "$ROT"
has err.txt "could not be written .* revoked and the old key restored" "rotation undone"
after=$(rootsearch -b "uid=alice,$PEOPLE" -s base apiKeyRecord | grep "id=$ROT ")
[ "$before" = "$after" ] && ok "the old record is back, byte for byte" || bad "old record changed: $before / $after"
expect_rc 0 "the old key still works" -- verify rot.key alice
# the same when the --output file cannot take the key (RLIMIT_FSIZE 0:
# every write fails with EFBIG; stderr goes through a pipe, unlimited;
# valgrind, if it wraps apikey, must not need its vgdb file)
nofsize() { bash -c 'trap "" XFSZ; (ulimit -f 0; exec "$@") 2>&1 | cat >&2; exit "${PIPESTATUS[0]}"' x "$@"; }
if [ ${#W[@]} -gt 0 ]; then
    NOFS=("${W[0]}" --vgdb=no "${W[@]:1}" "$APIKEY" -c "$AK_TEST_CONF" -D "$ROOTDN" -y "$PWD/admin.pw")
else
    NOFS=("${ADMIN[@]}")
fi
expect_rc 8 "--output file that cannot grow: key stored, then withdrawn" -- nofsize "${NOFS[@]}" create alice --days 5 --label fullfile --output "$PWD/full.key"
has err.txt "key [a-z2-7]{16} was stored but could not be written to $PWD/full.key; it has been revoked" "names the key and the file, says it was revoked"
FULL=$(sed -n 's/.*key \([a-z2-7]\{16\}\) was stored.*/\1/p' err.txt)
"${ADMIN[@]}" list alice --json >l.json 2>/dev/null
jq -e --arg k "$FULL" '.[] | select(.id == $k) | .state == "revoked"' l.json >/dev/null &&
    ok "the unwritten key is revoked" || bad "unwritten key state"
[ ! -e full.key ] && ok "the file it could not write is removed" || bad "full.key left behind"
expect_rc 8 "rotate into a file that cannot grow" -- nofsize "${NOFS[@]}" rotate "$ROT" --output "$PWD/full.key"
has err.txt "could not be written to $PWD/full.key; it has been revoked and the old key restored" "rotation undone"
after=$(rootsearch -b "uid=alice,$PEOPLE" -s base apiKeyRecord | grep "id=$ROT ")
[ "$before" = "$after" ] && ok "the old record is back, byte for byte" || bad "old record changed: $before / $after"
[ ! -e full.key ] && ok "no file left behind" || bad "full.key left behind"

# --- the audit trail: who did what to which key, never a key ---
has audit.log "^policy-set result=ok target=\"cn=apikey-policy,ou=policies,dc=example,dc=org\" actor=\"cn=admin,dc=example,dc=org\" login=\"[^\"]+\" changes=" "policy change audited with actor"
has audit.log "^create result=ok key=$AL target=\"uid=alice,$PEOPLE\" actor=\"$ROOTDN\"" "create audited"
has audit.log "^rotate result=ok key=$OLD .*new_key=$NEW" "rotate audited with both ids"
has audit.log "^revoke result=ok key=$R1 " "revoke audited"
has audit.log "^revoke result=conflict key=$R1 " "the lost race is audited too"
has audit.log "^service-create result=ok target=\"uid=svc-ci,ou=services,$SUFFIX\"" "service create audited"
has audit.log "^service-disable result=ok" "disable audited"
has audit.log "^service-delete result=denied" "refused delete audited"
has audit.log "^service-delete result=ok .*keys=$SVC_KID" "delete audited with the keys it removed"
for f in svc.key old.key new.key newer.key long.key rot.key; do
    k=$(cat "$f")
    grep -qF -- "${k:20:24}" audit.log && bad "a secret from $f is in the audit log"
done
ok "no key secret in the audit log"

done_tests
