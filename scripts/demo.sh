#!/bin/bash
# demo.sh - see apikey do its job on this machine in a minute: installs what
# is missing, builds, starts a throwaway slapd on 127.0.0.1 (never the
# system's), creates a user and an API key, and shows the key accepted, a
# wrong key and an expired key refused, and a revoked key stopping at once.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
[ "${1:-}" = --inner ] || cd "$top"
export LDAPNOINIT=1 # our ldap tools ignore the host's ldap.conf

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; }

if [ "${1:-}" != --inner ]; then
    step "Installing packages and building"
    scripts/deps.sh
    if [ -d build-demo ]; then
        meson setup --reconfigure build-demo >/dev/null
    else
        meson setup build-demo >/dev/null
    fi
    ninja -C build-demo >/dev/null
    # Run the rest beside a throwaway slapd (tests/ldap/with-slapd.sh):
    # one that loads our SASL plugin when this machine can give it a
    # private /etc/ldap/sasl2 (a mount namespace, as root), else a plain one.
    if unshare --mount --propagation private true 2>/dev/null &&
        [ -d /etc/ldap/sasl2 ]; then
        exec tests/sasl/with-sasl-slapd.sh --nowrap build-demo/sasl_apikey \
            "$0" --inner
    fi
    exec tests/ldap/with-slapd.sh "$0" --inner
fi

APIKEY_BIN="$top/build-demo/cli/apikey"
work=$PWD # the harness's work dir, removed when the demo succeeds
printf 'admin-secret' >"$work/admin.pw"
chmod 600 "$work/admin.pw"
apikey() { "$APIKEY_BIN" -c "$AK_TEST_CONF" "$@"; }
admin() { apikey -D cn=admin,dc=example,dc=org -y "$work/admin.pw" "$@"; }

step "A directory with the apikey schema: slapd on $AK_TEST_URI"
echo "config: $AK_TEST_CONF"
sed 's/^/    /' "$AK_TEST_CONF"

step "Create a user (an ordinary posixAccount) and an API key for her"
ldapadd -x -H "$AK_TEST_URI" -D cn=admin,dc=example,dc=org -w admin-secret \
    >/dev/null <<'LDIF'
dn: uid=dana,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
objectClass: posixAccount
uid: dana
cn: Dana Demo
sn: Demo
uidNumber: 20001
gidNumber: 20000
homeDirectory: /home/dana
mail: dana@example.org
LDIF
show "apikey create dana --label 'demo laptop' --days 30"
KEY=$(admin create dana --label "demo laptop" --days 30)
echo "$KEY"
KID=${KEY:3:16}
show "apikey list dana"
admin list dana
echo "(the directory holds only a salted BLAKE2b digest:)"
ldapsearch -x -H "$AK_TEST_URI" -b uid=dana,ou=people,dc=example,dc=org \
    -s base -LLL apiKeyRecord apiKeyId apiKeyExpires | sed 's/^/    /'

step "The key is accepted"
show "echo \$KEY | apikey verify dana --service sshd"
echo "$KEY" | apikey verify dana --service sshd

step "A wrong key is refused"
c=${KEY:40:1}; [ "$c" = x ] && r=y || r=x   # a different character
WRONG="${KEY:0:40}$r${KEY:41}"
show "echo <key with one character changed> | apikey verify dana"
echo "$WRONG" | apikey verify dana --service sshd || echo "(exit status $?)"
echo "(a mistyped key fails its checksum offline: no LDAP traffic at all)"
show "echo <a real key, but bob's> | apikey verify dana"
OTHER=$(admin create bob --days 1 2>/dev/null)
echo "$OTHER" | apikey verify dana --service sshd || echo "(exit status $?)"

step "Log in through PAM with the key (pamtester under pam_wrapper, a private service dir)"
PAM_MODULE="$top/build-demo/pam_apikey/pam_apikey.so"
PAM_WRAPPER_LIB="$(dirname "$(pkg-config --variable=modules pam_wrapper)")/libpam_wrapper.so"
mkdir -p "$work/pam.d"
cat >"$work/pam.d/apikey-demo" <<PAMCONF
auth     required  $PAM_MODULE config=$AK_TEST_CONF
account  required  $PAM_MODULE config=$AK_TEST_CONF warn_days=31
PAMCONF
printf 'auth required pam_deny.so\naccount required pam_deny.so\n' >"$work/pam.d/other"
pam() {
    LD_PRELOAD="$PAM_WRAPPER_LIB" PAM_WRAPPER=1 \
        PAM_WRAPPER_SERVICE_DIR="$work/pam.d" pamtester "$@"
}
show "cat /etc/pam.d/apikey-demo   (a private copy: $work/pam.d)"
sed 's/^/    /' "$work/pam.d/apikey-demo"
show "echo \$KEY | pamtester apikey-demo dana authenticate acct_mgmt"
echo "$KEY" | pam apikey-demo dana authenticate acct_mgmt
show "echo <key with one character changed> | pamtester apikey-demo dana authenticate"
echo "$WRONG" | pam apikey-demo dana authenticate || echo "(exit status $?)"
show "echo <bob's key> | pamtester apikey-demo dana authenticate"
echo "$OTHER" | pam apikey-demo dana authenticate || echo "(exit status $?)"

step "A SASL bind with the key: ldapwhoami to slapd, which loads our plugin"
if [ -n "${AK_SASL_PLUGIN_DIR:-}" ]; then
    printf '%s' "$KEY" >"$work/key.txt"
    chmod 600 "$work/key.txt"
    for mech in APIKEY OAUTHBEARER; do
        show "ldapwhoami -H ldapi://... -Y $mech -U dana -y key.txt"
        SASL_PATH="$AK_SASL_PLUGIN_DIR" ldapwhoami -Q -H "$AK_TEST_LDAPI" \
            -Y "$mech" -U dana -y "$work/key.txt" || echo "(exit status $?)"
    done
    printf '%s' "$WRONG" >"$work/key.txt"
    show "ldapwhoami -Y APIKEY -U dana -y <a wrong key>"
    SASL_PATH="$AK_SASL_PLUGIN_DIR" ldapwhoami -Q -H "$AK_TEST_LDAPI" \
        -Y APIKEY -U dana -y "$work/key.txt" 2>&1 || echo "(exit status $?)"
    rm -f "$work/key.txt"
else
    echo "(skipped: slapd cannot get a private SASL configuration here; run as root)"
fi

step "An expired key is refused (the same key, judged 31 days from now)"
LATER=$(date -u -d '+31 days' +%Y-%m-%d)
show "echo \$KEY | apikey verify dana --at $LATER"
echo "$KEY" | apikey verify dana --service sshd --at "$LATER" || echo "(exit status $?)"

step "A revoked key stops working at once"
show "apikey revoke $KID"
admin revoke "$KID"
echo "$KEY" | apikey verify dana --service sshd || echo "(exit status $?)"
echo "(the record is untouched; the revocation is a value beside it that dana"
echo " could add herself but never delete:)"
ldapsearch -x -H "$AK_TEST_URI" -b uid=dana,ou=people,dc=example,dc=org \
    -s base -LLL apiKeyRevoked | sed 's/^/    /'

step "The organisation's policy: keys must expire, within 90 days"
show "apikey policy set --require-expiry yes --max-lifetime 90 --notice-days 30,7,1 --recipients security@example.org"
admin policy set --require-expiry yes --max-lifetime 90 --notice-days 30,7,1 \
    --recipients security@example.org
show "apikey create dana --days 365   # beyond the policy"
admin create dana --days 365 || echo "(exit status $?: refused, the limit is stated)"
show "apikey create dana --no-expiry"
admin create dana --no-expiry || echo "(exit status $?)"

step "A service user for the CI robot, with the person responsible"
show "apikey service create svc-ci --owner dana --description 'CI pipeline'"
admin service create svc-ci --owner dana --description "CI pipeline"
show "apikey create svc-ci --days 30 --label pipeline --scope imap"
SVC_KEY=$(admin create svc-ci --days 30 --label pipeline --scope imap)
SVC_KID=${SVC_KEY:3:16}
admin service show svc-ci
show "echo \$SVC_KEY | apikey verify svc-ci --service imap"
echo "$SVC_KEY" | apikey verify svc-ci --service imap

step "Revoked: the service user's key stops at once"
show "apikey revoke $SVC_KID"
admin revoke "$SVC_KID"
echo "$SVC_KEY" | apikey verify svc-ci --service imap || echo "(exit status $?)"
show "apikey list --all --revoked"
admin list --all --revoked

step "An expiry notice: a key that ends in 5 days, mailed by apikey-expiryd"
show "apikey create dana --days 5 --label 'build box'"
SOON=$(admin create dana --days 5 --label "build box")
mkdir -p "$work/mail" "$work/state"
{ cat "$AK_TEST_CONF"
  echo "notice_bind_dn cn=admin,dc=example,dc=org"
  echo "notice_bind_pw_file $work/admin.pw"
  echo "notice_from apikey@example.org"
  echo "notice_sendmail $top/tests/expiryd/capture-mailer.sh"
  echo "notice_state_dir $work/state"
} >"$work/expiryd.conf"
echo "(apikey.conf gets notice_from, the daemon's bind and a sendmail that"
echo " captures the mail here)"
show "apikey-expiryd --once"
AK_MAILDIR="$work/mail" "$top/build-demo/expiryd/apikey-expiryd" \
    -c "$work/expiryd.conf" --once 2>&1 | sed 's/^/    /'
for m in "$work"/mail/*.eml; do
    grep -q '^To: dana@example.org' "$m" || continue
    echo "(the message dana received:)"
    sed 's/^/    /' "$m"
done
show "apikey-expiryd --once   # again: each notice only once"
AK_MAILDIR="$work/mail" "$top/build-demo/expiryd/apikey-expiryd" \
    -c "$work/expiryd.conf" --once 2>&1 | sed 's/^/    /'
echo "(still $(ls "$work"/mail/*.eml | wc -l) messages: the fixtures' keys, dana's, and the admins' one)"
: "${SOON:?}"

step "What the verifier logged (apikey -v): key ids, never keys"
echo "$WRONG" | apikey -v verify dana --service sshd 2>&1 >/dev/null | sed 's/^/    /' || true

step "Done"
echo "The throwaway slapd is stopped and its directory removed on exit."
