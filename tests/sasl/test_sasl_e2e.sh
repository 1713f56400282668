#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_sasl_e2e.sh - the plug-in in real programs: the throwaway slapd loads
# it (with-sasl-slapd.sh), keys are made with the apikey CLI, and
# ldapwhoami (which loads our client side through SASL_PATH) binds with
# -Y APIKEY, OAUTHBEARER and XOAUTH2.
#
#   with-sasl-slapd.sh --nowrap PLUGIN_DIR test_sasl_e2e.sh APIKEY_CLI
set -uo pipefail
apikey=${1:?usage: $0 APIKEY_CLI}
export LDAPNOINIT=1 SASL_PATH=$AK_SASL_PLUGIN_DIR
umask 077
printf '%s' "$AK_TEST_ROOTPW" >"$PWD/root.pw"
failures=0

cli() { "$apikey" -c "$AK_TEST_CONF" -D "$AK_TEST_ROOTDN" -y "$PWD/root.pw" "$@"; }

# expect DESC WANT_RC WANT_OUTPUT_SUBSTRING COMMAND...
expect() {
    local desc=$1 want_rc=$2 want_out=$3 out rc
    shift 3
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -ne "$want_rc" ] || [[ "$out" != *"$want_out"* ]]; then
        echo "FAIL: $desc: exit $rc (want $want_rc), output:" >&2
        printf '%s\n' "$out" | sed 's/^/    /' >&2
        failures=$((failures + 1))
    else
        echo "ok: $desc"
    fi
}

# ldapwhoami loads our client side; a sanitizer build needs its runtimes
# preloaded (with-sasl-slapd.sh sets AK_SASL_PRELOAD then).
ldapwhoami() {
    if [ -n "${AK_SASL_PRELOAD:-}" ]; then
        LD_PRELOAD=$AK_SASL_PRELOAD ASAN_OPTIONS=detect_leaks=0 \
            command ldapwhoami "$@"
    else
        command ldapwhoami "$@"
    fi
}
whoami() { ldapwhoami -Q -H "$AK_TEST_LDAPI" "$@"; }

KEY=$(cli create alice) || { echo "apikey create alice failed" >&2; exit 1; }
SVC=$(cli create svc-backup --scope ldap) || exit 1
OLD=$(cli create alice) || exit 1
old_id=$(printf '%s' "$OLD" | cut -d_ -f2)
cli revoke "$old_id" >/dev/null || exit 1
# a well-formed key whose secret is wrong: flip one secret character and
# keep the checksum valid is the unit tests' job; here the key of another
# user presented for alice, and a mangled copy, do.
BOB=$(cli create bob) || exit 1
MANGLED="${KEY%?????}zzzzz"
alice_dn="dn:uid=alice,ou=people,dc=example,dc=org"

for mech in APIKEY OAUTHBEARER XOAUTH2; do
    expect "$mech: alice's key gives alice's DN" 0 "$alice_dn" \
        whoami -Y "$mech" -U alice -w "$KEY"
    expect "$mech: a mangled key is refused (49)" 49 "Invalid credentials (49)" \
        whoami -Y "$mech" -U alice -w "$MANGLED"
    expect "$mech: a revoked key is refused (49)" 49 "Invalid credentials (49)" \
        whoami -Y "$mech" -U alice -w "$OLD"
    expect "$mech: the service user's key works" 0 \
        "dn:uid=svc-backup,ou=services,dc=example,dc=org" \
        whoami -Y "$mech" -U svc-backup -w "$SVC"
done
# the documented way: the key in a file (-y), not on the command line
printf '%s' "$KEY" >"$PWD/alice.key"
expect "OAUTHBEARER with -y keyfile" 0 "$alice_dn" \
    whoami -Y OAUTHBEARER -U alice -y "$PWD/alice.key"
# A mail server's login: Cyrus SASL's sample server for smtp and imap loads
# the plug-in as Postfix or Cyrus IMAP does (scripts/sasl-login.sh relays
# it and the sample client). Not under ASan: the sample programs would
# need the sanitizer runtimes preloaded in front of bash and script(1).
if [ -z "${AK_SASL_PRELOAD:-}" ]; then
    login=$(cd "$(dirname "$0")/../.." && pwd)/scripts/sasl-login.sh
    expect "smtp OAUTHBEARER login (sasl-sample-server)" 0 "logged in as alice" \
        "$login" "$AK_SASL_PLUGIN_DIR" "$AK_SASL_CONF_DIR/apikey.conf" smtp OAUTHBEARER alice "$PWD/alice.key"
    expect "imap APIKEY login (sasl-sample-server)" 0 "accepted key" \
        "$login" "$AK_SASL_PLUGIN_DIR" "$AK_SASL_CONF_DIR/apikey.conf" imap APIKEY alice "$PWD/alice.key"
    printf '%s' "$MANGLED" >"$PWD/mangled.key"
    expect "smtp login with a mangled key is refused" 1 "login refused" \
        "$login" "$AK_SASL_PLUGIN_DIR" "$AK_SASL_CONF_DIR/apikey.conf" smtp OAUTHBEARER alice "$PWD/mangled.key"
fi
expect "APIKEY: bob's key for alice is refused (49)" 49 \
    "Invalid credentials (49)" whoami -Y APIKEY -U alice -w "$BOB"
# BI-09: an authzid other than the key's owner needs slapd's authz policy.
expect "APIKEY: alice acting as bob is refused (50)" 50 \
    "Insufficient access (50)" whoami -Y APIKEY -U alice -X u:bob -w "$KEY"
expect "OAUTHBEARER: bob's key with a=alice is refused (50)" 50 \
    "Insufficient access (50)" whoami -Y OAUTHBEARER -U alice -w "$BOB"
# Plaintext over TCP without TLS is not offered; with StartTLS it is.
# libldap reads LDAPTLS_* only without LDAPNOINIT; LDAPCONF and LDAPRC keep
# the system's ldap.conf and any ldaprc out.
tls_whoami() {
    (
        unset LDAPNOINIT
        export LDAPCONF=/dev/null LDAPRC=no-such-ldaprc \
            LDAPTLS_CACERT="$AK_TEST_CA" LDAPTLS_REQCERT=demand
        ldapwhoami "$@"
    )
}
expect "APIKEY over ldap:// without TLS is not offered" 250 \
    "No worthy mechs found" \
    ldapwhoami -Q -H "$AK_TEST_URI" -Y APIKEY -U alice -w "$KEY"
if [ -z "${AK_SASL_PRELOAD:-}" ]; then
    expect "APIKEY over StartTLS gives alice's DN" 0 "$alice_dn" \
        tls_whoami -Q -ZZ -H "$AK_TEST_URI" -Y APIKEY -U alice -w "$KEY"
else
    # ldapwhoami with libasan preloaded hangs in GnuTLS after StartTLS,
    # even with -x and without our plug-in: not ours to test there.
    echo "skip: StartTLS under a sanitizer preload"
fi

# A fault on the server's side (issue 8: Postfix answered a bind password
# file it could not read with a permanent "535 ... error when parsing
# configuration file"): slapd answers unavailable (52), the client learns
# nothing of the configuration, slapd's log names the file. The plug-in
# notices the edit within a second.
sconf=$AK_SASL_CONF_DIR/apikey.conf
cp "$sconf" "$PWD/apikey.conf.good"
sed "s|^bind_pw_file .*|bind_pw_file $PWD/no-such-verifier.pw|" \
    "$PWD/apikey.conf.good" >"$sconf"
sleep 2
out=$(whoami -Y APIKEY -U alice -w "$KEY" 2>&1)
rc=$?
if [ "$rc" -ne 52 ] || [[ "$out" != *"Server is unavailable (52)"* ]]; then
    echo "FAIL: missing bind_pw_file: exit $rc (want 52), output:" >&2
    printf '%s\n' "$out" | sed 's/^/    /' >&2
    failures=$((failures + 1))
elif printf '%s' "$out" | grep -qiE 'conf|file|pars|verifier|/'; then
    echo "FAIL: missing bind_pw_file: the client's text tells too much:" >&2
    printf '%s\n' "$out" | sed 's/^/    /' >&2
    failures=$((failures + 1))
elif ! grep -q -- "$PWD/no-such-verifier.pw: no such file" "$AK_TEST_LOG"; then
    echo "FAIL: missing bind_pw_file: slapd's log does not name it" >&2
    failures=$((failures + 1))
else
    echo "ok: missing bind_pw_file is unavailable (52), named only in the log"
fi
cp "$PWD/apikey.conf.good" "$sconf"
sleep 2
expect "APIKEY: the fixed configuration works again" 0 "$alice_dn" \
    whoami -Y APIKEY -U alice -w "$KEY"

# slapd's log names the key id and never the secret.
secret=${KEY#*_*_}
if grep -q -- "${secret:0:12}" "$AK_TEST_LOG"; then
    echo "FAIL: a piece of the secret is in slapd's log" >&2
    failures=$((failures + 1))
fi

[ "$failures" -eq 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "all end-to-end checks passed"
