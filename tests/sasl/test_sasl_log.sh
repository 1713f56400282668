#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_sasl_log.sh - which key logged in, in the logs an operator reads.
# slapd runs at its usual "-d stats" (the harness's) with
# tests/lib/syslog_capture.c preloaded, so that the syslog(3) lines of the
# process land in a file.
# After SASL binds with keys (ldapwhoami -Y APIKEY, OAUTHBEARER):
#   - the refusal shows in slapd's stats log (SASL_LOG_FAIL: LDAP_DEBUG_ANY);
#   - the accepted line does not (SASL_LOG_NOTE is slapd's trace level),
#     which is why the plug-in also writes it to syslog, authpriv.info
#     (sasl_syslog, default yes): that line names the key id and the user;
#   - sasl_syslog no: no syslog line; the secret is in neither log.
#
#   test_sasl_log.sh SHIM.so WITH_SASL_SLAPD PLUGIN_DIR APIKEY_CLI
set -uo pipefail
if [ "${1:-}" != --inner ]; then
    shim=${1:?usage: $0 SHIM.so WITH_SASL_SLAPD PLUGIN_DIR APIKEY_CLI}
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/aksyslog.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    chmod 755 "$tmp" # slapd may run as another user elsewhere
    AK_SLAPD_PRELOAD=$shim AK_TEST_SYSLOG_FILE=$tmp/syslog \
        "$2" --nowrap "$3" "$0" --inner "$4"
    exit $?
fi
apikey=${2:?}
export LDAPNOINIT=1 SASL_PATH=$AK_SASL_PLUGIN_DIR
umask 077
printf '%s' "$AK_TEST_ROOTPW" >"$PWD/root.pw"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
cli() { "$apikey" -c "$AK_TEST_CONF" -D "$AK_TEST_ROOTDN" -y "$PWD/root.pw" "$@"; }
ldapwhoami() {
    if [ -n "${AK_SASL_PRELOAD:-}" ]; then
        LD_PRELOAD=$AK_SASL_PRELOAD ASAN_OPTIONS=detect_leaks=0 \
            command ldapwhoami "$@"
    else
        command ldapwhoami "$@"
    fi
}
whoami() { ldapwhoami -Q -H "$AK_TEST_LDAPI" "$@" >/dev/null 2>&1; }
SYSLOG=$AK_TEST_SYSLOG_FILE
# LOG_AUTHPRIV is facility 10, LOG_INFO level 6
AUTHPRIV_INFO='^10\.6 '

KEY=$(cli create alice) || { echo "apikey create alice failed" >&2; exit 1; }
kid=$(printf '%s' "$KEY" | cut -d_ -f2)
BOB=$(cli create bob) || exit 1
bob_kid=$(printf '%s' "$BOB" | cut -d_ -f2)

whoami -Y APIKEY -U alice -w "$KEY" && ok "alice binds with her key (APIKEY)" || bad "APIKEY bind"
whoami -Y OAUTHBEARER -U alice -w "$KEY" && ok "and with OAUTHBEARER" || bad "OAUTHBEARER bind"
whoami -Y APIKEY -U alice -w "$BOB"
[ $? -eq 49 ] && ok "bob's key for alice is refused" || bad "bob's key was not refused"
sleep 0.2

grep -qE "SASL \[conn=[0-9]+\] Failure: APIKEY: refused key $bob_kid" "$AK_TEST_LOG" &&
    ok "the refusal is in slapd's stats log" || { bad "no refusal line in slapd's log"; grep -n SASL "$AK_TEST_LOG" | tail -5; }
if grep -q "accepted key $kid" "$AK_TEST_LOG"; then
    bad "the accepted line is in the stats log: sasl_apikey(8) and apikey.conf(5) say it is not (update them)"
else
    ok "the accepted line is not in the stats log (slapd shows SASL_LOG_NOTE at trace only)"
fi
[ "$(grep -cE "${AUTHPRIV_INFO}sasl_apikey: APIKEY: accepted key $kid of user=alice \(uid=alice,ou=people,dc=example,dc=org\) service=ldap mech=APIKEY" "$SYSLOG" 2>/dev/null)" = 1 ] &&
    ok "syslog authpriv.info has the APIKEY login: key id, user, DN, service" ||
    { bad "no accepted APIKEY line in syslog"; sed 's/^/#   /' "$SYSLOG" 2>/dev/null | tail -5; }
grep -qE "${AUTHPRIV_INFO}sasl_apikey: OAUTHBEARER: accepted key $kid of user=alice" "$SYSLOG" &&
    ok "and the OAUTHBEARER login" || bad "no accepted OAUTHBEARER line in syslog"
if grep -E "${AUTHPRIV_INFO}sasl_apikey: " "$SYSLOG" | grep -q "$bob_kid"; then
    bad "the plug-in wrote a refusal to syslog (only acceptances)"
    grep "$bob_kid" "$SYSLOG" | sed 's/^/#   /'
else
    ok "the plug-in writes no refusal to syslog (they are in the host's log)"
fi
secret=${KEY#*_*_}
if grep -q -- "${secret:0:12}" "$SYSLOG" "$AK_TEST_LOG"; then
    bad "a piece of the secret is in a log"
else
    ok "no piece of the secret in either log"
fi

# sasl_syslog no: the host's log only. The plug-in sees the edit within a second.
echo "sasl_syslog no" >>"$AK_SASL_CONF_DIR/apikey.conf"
sleep 1.5
before=$(grep -c "accepted key" "$SYSLOG")
whoami -Y APIKEY -U alice -w "$KEY" && ok "alice binds again (sasl_syslog no)" || bad "bind with sasl_syslog no"
sleep 0.2
[ "$(grep -c "accepted key" "$SYSLOG")" = "$before" ] &&
    ok "sasl_syslog no: no syslog line" || bad "sasl_syslog no still wrote to syslog"

echo "# $pass passed, $fail failed"
[ "$fail" -eq 0 ]
