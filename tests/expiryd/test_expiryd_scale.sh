#!/bin/bash
# test_expiryd_scale.sh - RELIABILITY N-02 at scale: 1,000 keys on 1,000
# holders cross the policy's 3 stages (30, 7, 1 days), and at each stage
# 2, 5 or 10 daemons start at once (--once) against a throwaway slapd with
# the packaged access rules and limits: exactly 3,000 owner-class and 3,000
# admin-class notices per daemon count, counted in the captured mail (key
# lines by X-Apikey-Notice class) and in the directory (sent values).
# The daemons' clock is moved to each stage with the test clock file
# (apikey-expiryd-test, expiryd/testhook.h).
# Usage (from meson): test_expiryd_scale.sh with-slapd.sh apikey apikey-expiryd-test [N]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

. "$top/tests/expiryd/lib.sh"
ex_outer -- "$@"
APIKEY=${2:?path to apikey}
EXPIRYD=${3:?path to apikey-expiryd-test}
N=${4:-1000} # holders, one key each

ex_setup
export EX_TEST_CLOCK_FILE=$PWD/clock
A=("$APIKEY" -c "$AK_TEST_CONF")
ADMIN=("${A[@]}" -D "$ROOTDN" -y "$PWD/admin.pw")
D=("${W[@]}" "$EXPIRYD")
BASE=ou=scale,$PEOPLE

# The daemons bind as their own account (cn=expiryd), under the packaged
# rules: its size limit is lifted there, and N is above the default 500.
EX_TIMEOUT=20 ex_conf d.conf
# set_clock T: the daemons' clock reads the wall clock moved to time T
set_clock() { echo $(($1 - $(date +%s))) >clock.new && mv clock.new clock; }

expect_rc 0 "policy set" -- "${ADMIN[@]}" policy set --notice-days 30,7,1 \
    --recipients keys@example.org

# One real record (a key of alice's, 40 days left), copied onto N holders
# with its key id replaced: the daemon reads records, it never checks a
# secret. Alice's own key is then removed, so only the N keys are due.
expect_rc 0 "a key to copy" -- "${ADMIN[@]}" create alice --expires \
    "$(isotime $((40 * 86400)))" --label scale --json
rec=$(rootsearch -b "uid=alice,$PEOPLE" -s base apiKeyRecord |
    sed -n 's/^apiKeyRecord: //p' | head -1)
kid0=$(sed 's/^v1 id=\([a-z2-7]*\).*/\1/' <<<"$rec")
unkey "uid=alice,$PEOPLE"
t0=$(date +%s)
{ printf 'dn: %s\nobjectClass: organizationalUnit\nou: scale\n\n' "$BASE"
  for i in $(seq 1 "$N"); do
      id=$(id_of $((i + 1000000)))
      echo "$id" >>kids.txt
      cat <<LDIF
dn: uid=s$i,$BASE
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: apiKeyHolder
uid: s$i
cn: s$i
sn: s
uidNumber: $((40000 + i))
gidNumber: 40000
homeDirectory: /home/s$i
mail: s$i@example.org
apiKeyId: $id
apiKeyRecord: ${rec/id=$kid0/id=$id}

LDIF
  done
} >holders.ldif
ldapadd -x -H "$AK_TEST_URI" -D "$ROOTDN" -w admin-secret -f holders.ldif >/dev/null &&
    ok "$N holders loaded in $(($(date +%s) - t0)) s" || bad "ldapadd of the holders"
sort kids.txt >kids.sorted

# The effective expiry E, as the daemon will record it: a dry run at the
# first stage shows the notices' expiry in UTC; the stages come from E.
exp=$(sed -n 's/.* expires=\([0-9]\{14\}Z\).*/\1/p' <<<"$rec")
E=$(date -u -d "$(sed 's/\(....\)\(..\)\(..\)\(..\)\(..\)\(..\)Z/\1-\2-\3 \4:\5:\6 UTC/' <<<"$exp")" +%s)
[ -n "$E" ] && ok "the keys expire at $exp" || bad "no expiry in the record"

# keylines CLASS DIR: the key ids of the key lines in DIR's CLASS messages
keylines() {
    local f
    for f in "$2"/*.eml; do
        [ -e "$f" ] || continue
        grep -q "^X-Apikey-Notice: $1\$" "$f" && grep -o 'apikey rotate [a-z2-7]\{16\}' "$f"
    done | sed 's/^apikey rotate //'
}
# dircount STAGE CLASS STATE: values "STAGE CLASS STATE" under the base
dircount() {
    rootsearch -b "$BASE" -s one apiKeyNotice | grep -c "^apiKeyNotice: [a-z2-7]\{16\} $exp $1 $2 $3 " || true
}
clear_notices() { # every apiKeyNotice value of the N holders, as the rootdn
    for i in $(seq 1 "$N"); do
        printf 'dn: uid=s%s,%s\nchangetype: modify\ndelete: apiKeyNotice\n\n' "$i" "$BASE"
    done | ldapmodify -c -x -H "$AK_TEST_URI" -D "$ROOTDN" -w admin-secret >/dev/null 2>&1
    rm -rf state/*
}

report=()
for nd in 2 5 10; do
    clear_notices
    tot_owner=0 tot_admin=0 tot_lost=0 tot_twice=0 secs=()
    for stage in 30 7 1; do
        rm -rf mail && mkdir mail
        set_clock $((E - stage * 86400 + 120))
        t=$(date +%s%N)
        for i in $(seq 1 "$nd"); do
            "${D[@]}" -c "$PWD/d.conf" --once >"d$i.out" 2>"d$i.err" </dev/null &
        done
        rcs=0
        for job in $(jobs -p); do wait "$job" || rcs=$((rcs + 1)); done
        ms=$((($(date +%s%N) - t) / 1000000))
        secs+=("$stage:${ms}ms")
        [ "$rcs" -eq 0 ] && ok "$nd daemons, stage $stage: every daemon exits 0 (${ms} ms)" ||
            { bad "$nd daemons, stage $stage: $rcs daemons failed"; sed 's/^/#   /' d*.err | grep -v ' sent a notice' | head -20; }
        for cls in owner admin; do
            keylines "$cls" mail >lines.txt
            n=$(grep -c '' lines.txt)
            sort lines.txt >lines.sorted
            if [ "$n" -eq "$N" ] && cmp -s lines.sorted kids.sorted; then
                ok "$nd daemons, stage $stage: $N $cls key lines, each key once"
            else
                bad "$nd daemons, stage $stage: $n $cls key lines ($(uniq -d lines.sorted | wc -l) twice, $(comm -13 lines.sorted kids.sorted | wc -l) missing)"
            fi
            [ "$cls" = owner ] && tot_owner=$((tot_owner + n)) || tot_admin=$((tot_admin + n))
            s=$(dircount "$stage" "$cls" sent)
            [ "$s" -eq "$N" ] && ok "$nd daemons, stage $stage: $N $cls notices recorded as sent" ||
                bad "$nd daemons, stage $stage: $s $cls notices recorded as sent"
        done
        owner_msgs=$(grep -l '^X-Apikey-Notice: owner$' mail/*.eml | wc -l)
        [ "$owner_msgs" -eq "$N" ] && ok "$nd daemons, stage $stage: one owner message per holder" ||
            bad "$nd daemons, stage $stage: $owner_msgs owner messages"
        [ ! -e mail/attempts ] || ! grep -qv '^0 ' mail/attempts &&
            ok "$nd daemons, stage $stage: the mailer refused nothing" || bad "the mailer refused messages"
        hasnt <(rootsearch -b "$BASE" -s one apiKeyNotice) ' (claimed|skipped|deferred|failed) ' \
            "$nd daemons, stage $stage: no claim left, nothing skipped, deferred or failed"
        # how the work was shared: the notices each daemon lost to another
        lost=$(cat d*.err | sed -n 's/.*, \([0-9]*\) taken by another daemon.*/\1/p' | awk '{s += $1} END {print s + 0}')
        twice=$(cat d*.err | grep -c 'may go out twice' || true)
        tot_lost=$((tot_lost + lost)) tot_twice=$((tot_twice + twice))
    done
    [ "$tot_owner" -eq $((3 * N)) ] && [ "$tot_admin" -eq $((3 * N)) ] &&
        ok "$nd daemons: exactly $((3 * N)) owner and $((3 * N)) admin notices" ||
        bad "$nd daemons: $tot_owner owner and $tot_admin admin notices, wanted $((3 * N)) each"
    [ "$tot_twice" -eq 0 ] && ok "$nd daemons: no notice may have gone out twice" ||
        bad "$nd daemons: $tot_twice notices may have gone out twice"
    report+=("$nd daemons: owner $tot_owner, admin $tot_admin, claims lost to another daemon $tot_lost, times ${secs[*]}")
done
printf '# %s\n' "${report[@]}"
done_tests
