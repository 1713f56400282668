# lib.sh - shared by the tests/cli scripts (sourced, not run).
# ok/bad count checks; expect_rc runs a command with stdout in out.txt and
# stderr in err.txt and checks its exit status. W is the wrapper (valgrind
# under meson's valgrind setup) that every apikey run goes through.
# shellcheck shell=bash
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { # check DESC CMD...: the command must succeed
    local d=$1; shift
    if "$@"; then ok "$d"; else bad "$d"; fi
}
expect_rc() { # expect_rc WANT DESC -- CMD...
    local want=$1 d=$2; shift 3
    "$@" >out.txt 2>err.txt </dev/null
    local rc=$?
    if [ "$rc" -eq "$want" ]; then ok "$d (exit $rc)"; else
        bad "$d: exit $rc, wanted $want"; sed 's/^/#   /' err.txt out.txt | head -20; fi
}
# has FILE REGEX DESC: FILE matches REGEX (grep -E)
has() { if grep -qE -- "$2" "$1"; then ok "$3"; else bad "$3"; echo "#   no /$2/ in $1:"; sed 's/^/#   /' "$1" | head -10; fi; }
hasnt() { if grep -qE -- "$2" "$1"; then bad "$3"; grep -E -- "$2" "$1" | sed 's/^/#   /' | head -5; else ok "$3"; fi; }
# jqt DESC FILE FILTER: the jq filter is true on FILE
jqt() {
    if jq -e "$3" "$2" >/dev/null 2>&1; then ok "$1"; else bad "$1"; echo "#   jq '$3' false on:"; head -c 600 "$2" | sed 's/^/#   /'; echo; fi
}
done_tests() { echo "# $pass passed, $fail failed"; [ "$fail" -eq 0 ]; }

W=(${AK_TEST_WRAPPER:-})
# Under valgrind every apikey run takes seconds: stretch the races' delay.
if [ ${#W[@]} -gt 0 ]; then RACE_MS=8000; else RACE_MS=3000; fi
SUFFIX=dc=example,dc=org
PEOPLE=ou=people,$SUFFIX
ROOTDN=cn=admin,$SUFFIX
rootmod() { ldapmodify -x -H "$AK_TEST_URI" -D "$ROOTDN" -w admin-secret "$@" >/dev/null; }
rootsearch() { ldapsearch -x -LLL -o ldif-wrap=no -H "$AK_TEST_URI" -D "$ROOTDN" -w admin-secret "$@"; }
# Times from the clock, never literal dates (the tests pass on any day).
# gentime SECONDS: now + SECONDS (negative: ago) as a record time
# (YYYYMMDDHHMMSSZ); isotime SECONDS: the same as YYYY-MM-DDTHH:MM:SSZ;
# isodate SECONDS: the same day as YYYY-MM-DD.
gentime() { date -u -d "@$(($(date +%s) + $1))" +%Y%m%d%H%M%SZ; }
isotime() { date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%SZ; }
isodate() { date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%d; }
# unfaked CMD...: CMD without libfaketime (preloaded under meson test
# --setup future). libfaketime opens a shared-memory file in each process
# it is loaded into, which takes the lowest free descriptor: a program
# started with stdout closed would find that file as its stdout.
unfaked() { env -u LD_PRELOAD -u FAKETIME "$@"; }
# kid KEYFILE: the key id of the key (or JSON object with .key) in KEYFILE
kid() { local k; k=$(jq -r .key "$1" 2>/dev/null || cat "$1"); k=${k#*_}; echo "${k%%_*}"; }
