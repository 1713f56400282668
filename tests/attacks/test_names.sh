#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_names.sh - nobody but the admins learns whether a name exists
# (issue 16, finding 4; RELIABILITY U-06), against a directory set up as
# shipped (apikey-acl.ldif, apikey-unique.ldif) with a slapd that loads
# our SASL plug-in:
#
#   ldapcompare -x uid=dana,ou=people,... uid:dana answered 50 for a person
#   who exists and 32 with a matchedDN for one who does not ("anonymous
#   auth" includes disclose); base searches did the same.
#
# Anonymous and an ordinary person (bob, responsible for no service user)
# ask about present and absent people and service users by compare, base
# search, subtree search and simple bind: code, matchedDN and text must be
# the same, and so (within 2 ms, medians) the time. slapd's SASL name
# mapping, which the rules serve with "=x", still finds the holder.
#
# Run by meson through with-sasl-slapd.sh: test_names.sh APIKEY_CLI
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
apikey=${1:?usage: $0 APIKEY_CLI}
: "${AK_TEST_CONF:?run through tests/sasl/with-sasl-slapd.sh}"
export LDAPNOINIT=1
umask 077
. "$top/tests/cli/lib.sh"

for u in alice bob keyadmin; do printf '%s-password' "$u" >"$u.pw"; done
A=("${W[@]}" "$apikey" -c "$AK_TEST_CONF")
as() { local u=$1; shift; "${A[@]}" -U "$u" -y "$PWD/$u.pw" "$@"; }
SERVICES=ou=services,$SUFFIX

# who: "anon" or a user; the answer of each tool, with the DN asked about
# replaced by X so that two answers can be compared
creds() { [ "$1" = anon ] && echo "-x" || echo "-x -D uid=$1,$PEOPLE -y $PWD/$1.pw"; }
compare_as() { # compare_as WHO DN ATTR:VALUE
    # shellcheck disable=SC2046 # creds is a list of options
    ldapcompare $(creds "$1") -H "$AK_TEST_URI" "$2" "$3" 2>&1
    echo "exit $?"
}
search_as() { # search_as WHO BASE SCOPE FILTER
    # shellcheck disable=SC2046
    ldapsearch $(creds "$1") -H "$AK_TEST_URI" -b "$2" -s "$3" "$4" uid 2>&1 |
        grep -v '^#'
    echo "exit ${PIPESTATUS[0]}"
}
bind_as() { # bind_as DN: a simple bind with a wrong password
    ldapwhoami -x -H "$AK_TEST_URI" -D "$1" -w wrong-password 2>&1
    echo "exit $?"
}
same() { # same DESC ANSWER1 ANSWER2 (each with its own name replaced by X)
    if [ "$2" = "$3" ]; then ok "$1: $(echo "$2" | tr '\n' ' ' | cut -c1-80)"; else
        bad "$1 differ"; diff <(echo "$2") <(echo "$3") | sed 's/^/#   /'; fi
}

# alice exists, nobody does not; svc-backup exists (alice answers for it),
# svc-nobody does not
for who in anon bob; do
    for kind in people services; do
        if [ $kind = people ]; then base=$PEOPLE here_=alice gone=nobody; else
            base=$SERVICES here_=svc-backup gone=svc-nobody; fi
        d="$who, $kind"
        a=$(compare_as $who "uid=$here_,$base" "uid:$here_" | sed "s/$here_/X/g")
        b=$(compare_as $who "uid=$gone,$base" "uid:$gone" | sed "s/$gone/X/g")
        same "$d: compare" "$a" "$b"
        a=$(search_as $who "uid=$here_,$base" base "(objectClass=*)" | sed "s/$here_/X/g")
        b=$(search_as $who "uid=$gone,$base" base "(objectClass=*)" | sed "s/$gone/X/g")
        same "$d: base search" "$a" "$b"
        a=$(search_as $who "$SUFFIX" sub "(uid=$here_)" | sed "s/$here_/X/g")
        b=$(search_as $who "$SUFFIX" sub "(uid=$gone)" | sed "s/$gone/X/g")
        same "$d: subtree search by name" "$a" "$b"
    done
done
for kind in people services; do
    if [ $kind = people ]; then base=$PEOPLE here_=alice gone=nobody; else
        base=$SERVICES here_=svc-backup gone=svc-nobody; fi
    a=$(bind_as "uid=$here_,$base" | sed "s/$here_/X/g")
    b=$(bind_as "uid=$gone,$base" | sed "s/$gone/X/g")
    same "$kind: a simple bind with a wrong password" "$a" "$b"
done

# The one the rules let see a service user: its responsible person, and
# admins; the verifier and the daemon by their own rules.
a=$(search_as alice "uid=svc-backup,$SERVICES" base "(objectClass=*)")
echo "$a" | grep -q "^uid: svc-backup" && ok "alice, responsible for svc-backup, reads it" ||
    bad "alice cannot read the service user she answers for: $a"

# The answers take the same time: slapd's own time for each compare (its
# log's etime, free of the client's start-up), medians of 60 each, taken in
# turn so that the machine's load falls on both alike.
for _ in $(seq 1 60); do
    ldapcompare -x -H "$AK_TEST_URI" "uid=alice,$PEOPLE" uid:x >/dev/null 2>&1
    ldapcompare -x -H "$AK_TEST_URI" "uid=nobody,$PEOPLE" uid:x >/dev/null 2>&1
done
etimes() { # etimes DN: microseconds of each compare of DN in slapd's log
    awk -v dn="dn=\"$1\"" '
        index($0, " CMP " dn) { split($0, f, " "); want[f[3] " " f[4]] = 1; next }
        / RESULT tag=111 / {
            split($0, f, " ")
            if ((f[3] " " f[4]) in want && match($0, /etime=[0-9.]+/))
                print int(substr($0, RSTART + 6, RLENGTH - 6) * 1000000)
        }' "$AK_TEST_LOG"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int(NR / 2) + 1] + 0 }'; }
np=$(etimes "uid=alice,$PEOPLE" | wc -l) na=$(etimes "uid=nobody,$PEOPLE" | wc -l)
mp=$(etimes "uid=alice,$PEOPLE" | median) ma=$(etimes "uid=nobody,$PEOPLE" | median)
diff_us=$((mp > ma ? mp - ma : ma - mp))
echo "# figure: anonymous compare in slapd, median $mp us ($np) for a person who exists, $ma us ($na) for one who does not"
[ "$np" -ge 60 ] && [ "$na" -ge 60 ] && [ "$diff_us" -lt 2000 ] &&
    ok "the answers take the same time (medians $diff_us us apart)" ||
    bad "medians $mp and $ma us ($np and $na compares)"

# slapd's SASL name mapping still finds the holder through "=x"
as alice create --days 5 >key.tmp 2>cli.err || bad "alice makes a key: $(cat cli.err)"
printf '%s' "$(cat key.tmp)" >alice.key
# (only this client loads our plug-in: with the sanitizer runtimes it was
# built with, when it was)
if [ -n "${AK_SASL_PRELOAD:-}" ]; then
    SASL_PATH=$AK_SASL_PLUGIN_DIR LD_PRELOAD=$AK_SASL_PRELOAD ASAN_OPTIONS=detect_leaks=0 \
        ldapwhoami -Q -H "$AK_TEST_LDAPI" -Y APIKEY -U alice -y alice.key >who.out 2>&1
else
    SASL_PATH=$AK_SASL_PLUGIN_DIR \
        ldapwhoami -Q -H "$AK_TEST_LDAPI" -Y APIKEY -U alice -y alice.key >who.out 2>&1
fi
has who.out "^dn:uid=alice,ou=people,dc=example,dc=org$" "a SASL APIKEY bind maps to alice's entry"
done_tests
