#!/bin/bash
# test.sh - install what is missing, build, and run every test of apikey:
# unit, integration (throwaway slapd), PAM, SASL, CLI, fuzz corpus replay;
# the same with the clock moved 400 days ahead (faketime); then the same
# under AddressSanitizer+UBSan, the unit and integration tests
# under valgrind, each libFuzzer target for a bounded time, and the style
# and hygiene checks. Ends with "N passed, N failed"; exit status 1 on any
# failure.
#
#   scripts/test.sh [--quick] [--no-asan] [--no-valgrind] [--no-fuzz]
#                   [--fuzz-seconds N]
#
# --quick runs only the normal build's tests, at today's date and 400 days
# later (for development).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
asan=1 valgrind=1 fuzz=1 fuzz_seconds=${AK_FUZZ_SECONDS:-30}
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) asan=0 valgrind=0 fuzz=0 ;;
    --no-asan) asan=0 ;;
    --no-valgrind) valgrind=0 ;;
    --no-fuzz) fuzz=0 ;;
    --fuzz-seconds) fuzz_seconds=$2; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

"$top/scripts/deps.sh" || exit 1
export LDAPNOINIT=1 # client tools in the tests ignore the host's ldap.conf

total_pass=0 total_fail=0
phase_results=()

# Count a finished meson test run from its JSON log.
count_meson() {
    local name=$1 json=$2 p f
    if [ ! -s "$json" ]; then
        total_fail=$((total_fail + 1))
        phase_results+=("$name: no test log")
        return
    fi
    p=$(jq -s '[.[] | select(.result == "OK" or .result == "SKIP" or .result == "EXPECTEDFAIL")] | length' "$json")
    f=$(jq -s '[.[] | select(.result != "OK" and .result != "SKIP" and .result != "EXPECTEDFAIL")] | length' "$json")
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    phase_results+=("$name: $p passed, $f failed")
}

# The checks of a script that prints TAP lines ("ok N - ...", "not ok N
# - ..."; exit 77: it could not run here).
count_tap() {
    local name=$1 log=$2 rc=$3 p f
    if [ "$rc" -eq 77 ]; then
        phase_results+=("$name: skipped ($(grep -m1 '^1\.\.0 # skip' "$log" | sed 's/^1\.\.0 # skip //'))")
        return
    fi
    p=$(grep -c '^ok ' "$log")
    f=$(grep -c '^not ok ' "$log")
    # a script that died before its plan counts as one failure more
    grep -q '^1\.\.[0-9]' "$log" || f=$((f + 1))
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    phase_results+=("$name: $p passed, $f failed")
}

# One check that is not a meson test.
count_one() {
    local name=$1 rc=$2
    if [ "$rc" -eq 0 ]; then
        total_pass=$((total_pass + 1))
        phase_results+=("$name: passed")
    else
        total_fail=$((total_fail + 1))
        phase_results+=("$name: FAILED")
    fi
}

build() { # build DIR [meson options...]
    local dir=$1; shift
    rm -rf "$dir"
    meson setup "$dir" -Dwerror=true "$@" >"$dir.setup.log" 2>&1 &&
        ninja -C "$dir" >"$dir.build.log" 2>&1
}

# 1. normal build, every suite
echo "== build and test (gcc, -Werror)"
if build build-test; then
    meson test -C build-test --print-errorlogs --num-processes 2
    count_meson "tests" build-test/meson-logs/testlog.json
else
    cat build-test.setup.log build-test.build.log | tail -40
    count_one "build" 1
fi

# 1b. the same tests 400 days later (issue 8: the suite passes on any date).
# meson test --setup future (tests/meson.build) runs each test under
# faketime(1): libfaketime is preloaded into the test and all it starts
# (test programs, date, openssl making the test certificates, slapd), so
# the whole test sees one clock, as on a later day; meson and ninja keep the
# real one. Every suite of the normal build runs this way. Not repeated
# under a moved clock: the ASan+UBSan build (the sanitizer runtime must come
# first among preloaded libraries, and libfaketime in front of it aborts the
# run) and the valgrind run (one setup per meson test run; valgrind looks
# for memory errors, which do not depend on the date); the libFuzzer
# targets use no clock. The 'clock' test proves the move: under this setup
# it requires a program's clock, the CA's notBefore and slapd's
# modifyTimestamp to be 400 days past the real clock (read by a date(1)
# without libfaketime).
if [ -d build-test ] && [ -s build-test/meson-logs/testlog.json ]; then
    echo "== the same tests with the clock 400 days ahead (faketime)"
    # The expiryd-heavy suite (crash points x 100, 1,000 keys x 10
    # daemons, 2,000 keys due at once: minutes of concurrency) runs in the
    # normal build and under ASan; its times all come from the clock, and
    # the daemon's clock handling is expiryd-clock's (integration), which
    # does run here.
    meson test -C build-test --setup future --print-errorlogs --num-processes 2 \
        --no-suite expiryd-heavy
    count_meson "clock +400 d" build-test/meson-logs/testlog-future.json
    moved=$(jq -rs '.[] | select(.name | test("/ clock$")) | .result' \
        build-test/meson-logs/testlog-future.json 2>/dev/null)
    jq -rs '.[] | select(.name | test("/ clock$")) | .stdout' \
        build-test/meson-logs/testlog-future.json 2>/dev/null | grep '^ok - ' || true
    [ "$moved" = OK ]
    count_one "clock +400 d seen by the tests" $?
fi

# 2. AddressSanitizer + UBSan
if [ $asan = 1 ]; then
    echo "== AddressSanitizer + UndefinedBehaviorSanitizer"
    if build build-asan -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fno-sanitize-recover=all -Dbench=false; then
        # (the crash test kills the daemon 25 times per step here, not
        # 100, and the two soaks, suite expiryd-soak, run only in the
        # normal build: the counts are the normal build's, ASan looks for
        # memory errors on the same paths, which the other expiryd tests
        # take; the CI's hour is the budget)
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
            UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
            AK_CRASH_RUNS=25 \
            meson test -C build-asan --print-errorlogs --num-processes 2 \
            --no-suite expiryd-soak
        count_meson "asan+ubsan" build-asan/meson-logs/testlog.json
    else
        tail -40 build-asan.build.log
        count_one "asan build" 1
    fi
fi

# 3. valgrind: unit and integration tests, leaks are errors
if [ $valgrind = 1 ] && [ -d build-test ]; then
    echo "== valgrind (unit, integration)"
    meson test -C build-test --setup valgrind --suite unit \
        --suite integration --print-errorlogs --num-processes 2
    count_meson "valgrind" build-test/meson-logs/testlog-valgrind.json
fi

# 4. libFuzzer, bounded
# run_fuzz ./path/fuzz_x: one target for fuzz_seconds from its seeds;
# its output in build-fuzz/fuzz_x.log, its exit status in fuzz_x.rc
run_fuzz() {
    local t=$1 name corpus_src src work rc
    name=$(basename "$t")
    # seeds: tests/fuzz/corpus/<name>, or corpus/ beside the source
    corpus_src=$top/tests/fuzz/corpus/${name#fuzz_}
    if [ ! -d "$corpus_src" ]; then
        src=$(find "$top/tests" -name "$name.c" | head -1)
        corpus_src=${src:+$(dirname "$src")/corpus}
    fi
    work=$(mktemp -d)
    [ -d "$corpus_src" ] && cp -r "$corpus_src/." "$work/"
    (cd "$work" && "$top/build-fuzz/$t" -max_total_time="$fuzz_seconds" \
        -max_len=65536 -timeout=10 -rss_limit_mb=2048 "$work" \
        >"$top/build-fuzz/$name.log" 2>&1)
    rc=$?
    echo $rc >"$top/build-fuzz/$name.rc"
    rm -rf "$work"
}
if [ $fuzz = 1 ]; then
    echo "== libFuzzer, $fuzz_seconds s per target"
    if CC=clang build build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dbench=false; then
        # two targets at a time (each uses one core), results in order
        targets=$(cd build-fuzz && find . -name 'fuzz_*' -type f -perm -u+x ! -name '*.p' | sort)
        pids=()
        for t in $targets; do
            run_fuzz "$t" &
            pids+=($!)
            if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
        done
        wait
        for t in $targets; do
            name=$(basename "$t")
            if [ "$(cat "build-fuzz/$name.rc")" = 0 ]; then
                count_one "fuzz $name ($(grep -o 'Done [0-9]* runs' "build-fuzz/$name.log"))" 0
            else
                tail -30 "build-fuzz/$name.log"
                count_one "fuzz $name" 1
            fi
        done
    else
        tail -40 build-fuzz.build.log
        count_one "fuzz build" 1
    fi
fi

# 5. the Debian packages build, hold what they should, and pass lintian
echo "== Debian packages"
debout=$(mktemp -d)
if packaging/build-deb.sh "$debout" >"$debout.log" 2>&1; then
    missing=
    for want in apikey:usr/bin/apikey apikey:etc/apikey/apikey.conf \
        apikey:usr/share/apikey/ldap/apikey.ldif \
        apikey:usr/share/apikey/ldap/apikey-bounds.ldif \
        apikey:usr/sbin/apikey-expiryd apikey:lib/systemd/system/apikey-expiryd.service \
        apikey:man8/apikey-expiryd.8.gz \
        libpam-apikey:security/pam_apikey.so \
        libpam-apikey:usr/share/pam-configs/apikey \
        libsasl2-modules-apikey:sasl2/libapikey.so \
        libsasl2-modules-apikey:man8/sasl_apikey.8.gz \
        libsasl2-modules-apikey:doc/libsasl2-modules-apikey/examples/smtpd.conf \
        libsasl2-modules-apikey:doc/libsasl2-modules-apikey/examples/imapd.conf \
        libsasl2-modules-apikey:doc/libsasl2-modules-apikey/examples/slapd.conf \
        libsasl2-modules-apikey:doc/libsasl2-modules-apikey/examples/slapd-authz.ldif \
        apikey:usr/share/doc/apikey/README.md \
        apikey:usr/share/doc/apikey/docs/architecture.md \
        apikey:doc/apikey/examples/fail2ban/filter.d/apikey.conf \
        apikey:doc/apikey/examples/secret-scanning/gitleaks.toml; do
        pkg=${want%%:*}
        # list first: grep -q would close the pipe under pipefail
        list=$(dpkg-deb -c "$debout/${pkg}_"*_*.deb)
        grep -q "${want#*:}" <<<"$list" || missing="$missing ${want}"
    done
    [ -z "$missing" ] || echo "missing from the packages:$missing"
    lintian --fail-on error,warning "$debout"/apikey_*.deb \
        "$debout"/libpam-apikey_*.deb "$debout"/libsasl2-modules-apikey_*.deb
    lint=$?
    [ -z "$missing" ] && [ $lint -eq 0 ]
    count_one "debian packages" $?
    # installed on this machine (root), checked, purged; the system is left
    # as it was (tests/packaging/install-debs.sh)
    echo "== Debian packages installed: PAM, SASL, man, systemd, /etc/pam.d"
    tests/packaging/install-debs.sh "$debout" >"$debout.install" 2>&1
    rc=$?
    cat "$debout.install"
    count_tap "debian install" "$debout.install" $rc
    rm -f "$debout.install"
else
    tail -30 "$debout.log"
    count_one "debian packages" 1
fi
rm -rf "$debout" "$debout.log"

# 5b. the RPMs (packaging/rpm/apikey.spec) build with rpmbuild where it is
# installed (Debian's rpm package has it) and put each file at its Fedora
# path
if command -v rpmbuild >/dev/null; then
    echo "== RPM packages"
    rpmout=$(mktemp -d)
    packaging/rpm/build-rpm.sh "$rpmout" >"$rpmout.log" 2>&1 &&
        tests/packaging/check-rpms.sh "$rpmout"
    rc=$?
    [ $rc -eq 0 ] || tail -30 "$rpmout.log"
    count_one "rpm packages" $rc
    rm -rf "$rpmout" "$rpmout.log"
fi

# 5b. the README's first command: scripts/demo.sh tells the whole story
# (each step is checked by its own "set -e"; the lines below are what a
# reader is promised to see)
echo "== scripts/demo.sh"
if "$top/scripts/demo.sh" >demo.log 2>&1; then
    missing=""
    for want in "logged in as dana" "slapd took the key as dana" \
        "server: login complete" "refused, the limit is stated" \
        "the owner is locked" "the old key still logs in" \
        "To: dana@example.org" "each notice goes out once" \
        "revocation is a value"; do
        grep -qF "$want" demo.log || missing="$missing [$want]"
    done
    [ -z "$missing" ] || echo "demo.sh: missing from its output:$missing"
    [ -z "$missing" ]
    count_one "demo" $?
else
    tail -30 demo.log
    count_one "demo" 1
fi
rm -f demo.log

# 6. style: clang-format on every C file we own
echo "== clang-format"
"$top/scripts/check-format.sh"
count_one "clang-format" $?

# 7. hygiene: the tests left nothing behind in the source tree
echo "== source tree clean"
if [ -d .git ]; then
    left=$(git status --porcelain --untracked-files=all | grep -v '^ M\|^M \|^A ' || true)
    if [ -n "$left" ]; then echo "$left"; fi
    [ -z "$left" ]
    count_one "no stray files" $?
fi

echo
printf '%s\n' "${phase_results[@]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
