#!/bin/bash
# test_expiryd_backoff.sh - a notice the mailer keeps deferring (exit 75)
# is retried as apikey-expiryd(8) and docs/key-records.md say: the pauses
# min(2^n minutes, 1 hour) add up from the FIRST FAILURE (retries 2, 6, 14,
# 30, 62 minutes after it, then every hour), and it is given up 24 hours
# after that failure. Issue 16: the first failure recorded was the claim's
# moment, so a mailer that took long shortened (or skipped) the pauses and
# the 24 hours. The daemon's clock is the test clock of
# apikey-expiryd-test (expiryd/testhook.h), stepped between --once runs.
# Usage (from meson): test_expiryd_backoff.sh with-slapd.sh apikey apikey-expiryd-test
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

. "$top/tests/expiryd/lib.sh"
ex_outer -- "$@"
APIKEY=${2:?path to apikey}
EXPIRYD=${3:?path to apikey-expiryd-test}

ex_setup
export EX_TEST_CLOCK_FILE=$PWD/clock
A=("$APIKEY" -c "$AK_TEST_CONF")
ADMIN=("${A[@]}" -D "$ROOTDN" -y "$PWD/admin.pw")
D=("${W[@]}" "$EXPIRYD")
DAY=86400 MIN=60

# at T: the daemon's clock reads T (it runs on from there in real time, so
# a step meant to come before a due moment keeps a margin of SLACK s)
at() { echo $(($1 - $(date +%s))) >clock.new && mv clock.new clock; }
SLACK=$((${#W[@]} ? 120 : 30))
once() { "${D[@]}" -c "$PWD/${1:-d.conf}" --once >out.txt 2>err.txt </dev/null; }
value() { rootsearch -b "uid=alice,$PEOPLE" -s base apiKeyNotice | sed -n "s/^apiKeyNotice: \($k .* owner .*\)/\1/p"; }
epoch() { date -u -d "${1:0:8} ${1:8:2}:${1:10:2}:${1:12:2} UTC" +%s; }
tries() { grep -c '' mail/attempts 2>/dev/null || echo 0; }

# A mailer that takes an hour (it steps the daemon's clock) and then
# defers the message.
cat >slow-tempfail.sh <<EOF
#!/bin/sh
cat >/dev/null
echo \$((\$(cat "$PWD/clock") + 3600)) >"$PWD/clock.new" && mv "$PWD/clock.new" "$PWD/clock"
exit 75
EOF
chmod 755 slow-tempfail.sh
EX_SENDMAIL=$PWD/slow-tempfail.sh ex_conf slow.conf
ex_conf d.conf

expect_rc 0 "policy set (no admin recipients: one notice to follow)" -- \
    "${ADMIN[@]}" policy set --notice-days 7,1
T0=$(date +%s)
at "$T0"
k=$(mkkey alice $((3 * DAY)) backoff)
expect_rc 1 "the mailer takes an hour, then defers" -- once slow.conf
v=$(value)
set -- $v
if [ "${5:-}" = deferred ]; then
    F=$(epoch "$6")
    [ "$F" -ge $((T0 + 3600)) ] && ok "the first failure is when the mailer failed, $((F - T0)) s after the claim" ||
        bad "the first failure recorded is $((F - T0)) s after the claim, not the failure's moment (>= 3600): '$v'"
else
    bad "no deferred value: '$v'"
    F=$T0
fi

# The retries: each pause min(2^n minutes, 1 hour), counted from F.
echo 75 >mail/exit
rm -f mail/attempts
at $((T0 + 3600 + MIN))
once
[ "$(tries)" -eq 0 ] && ok "a minute after the failure: no retry yet" ||
    bad "a minute after the failure: retried already (the pause counted from the claim)"
rm -f mail/attempts
n=0
for due in 2 6 14 30 62 122 182; do
    at $((F + due * MIN - SLACK))
    once
    [ "$(tries)" -eq "$n" ] && ok "$SLACK s before F + $due min: no retry" ||
        bad "$SLACK s before F + $due min: $(tries) attempts, wanted $n (value: $(value))"
    at $((F + due * MIN))
    once
    n=$((n + 1))
    [ "$(tries)" -eq "$n" ] && ok "at F + $due min: retry $n" ||
        bad "at F + $due min: $(tries) attempts, wanted $n (value: $(value))"
    set -- $(value)
    [ "${5:-}" = deferred ] && [ "$(epoch "$6")" -eq "$F" ] && [ "$7" -eq $((n + 1)) ] ||
        bad "after retry $n: '$(value)' (wanted deferred at F, $((n + 1)) attempts)"
done
# hourly from here on: the retry of the hour before the 24 hours are up
at $((F + DAY - SLACK))
once
[ "$(tries)" -eq $((n + 1)) ] && ok "$SLACK s before F + 24 h: still retried" ||
    bad "$SLACK s before F + 24 h: $(tries) attempts, wanted $((n + 1))"
at $((F + DAY))
once
[ "$(tries)" -eq $((n + 1)) ] && ok "at F + 24 h: no more attempts" || bad "at F + 24 h: $(tries) attempts"
has <(value) " 7 owner failed [0-9]{14}Z tempfail-24h$" "at F + 24 h: given up (tempfail-24h)"

done_tests
