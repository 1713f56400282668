#!/bin/bash
# demo.sh - the product doc's story on this machine, in a minute: installs
# what is missing, builds, starts a throwaway slapd on 127.0.0.1 (never
# the system's) set up with the shipped bootstrap and access rules, and
# walks through it: a policy, a personal key, PAM and SASL logins, a
# service user, the policy and an owner lock enforced, rotation, an
# expiry notice, revocation. Each step prints the real command lines
# (marked with who runs them) and one line of what happened.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
[ "${1:-}" = --inner ] || cd "$top"
export LDAPNOINIT=1 # our ldap tools ignore the host's ldap.conf

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
said() { printf '   -> %s\n' "$*"; }

if [ "${1:-}" != --inner ]; then
    step "Installing packages and building"
    scripts/deps.sh
    if [ -d build-demo ]; then
        meson setup --reconfigure build-demo >/dev/null
    else
        meson setup build-demo >/dev/null
    fi
    ninja -C build-demo >/dev/null
    # The directory starts with only its base and the people in it (the
    # bootstrap adds the rest). Run the story beside a throwaway slapd
    # that loads our SASL plugin when this machine can give it a private
    # /etc/ldap/sasl2 (a mount namespace, as root), else a plain one.
    export AK_TEST_BARE=1 AK_TEST_FIXTURES=$top/scripts/demo-people.ldif
    if unshare --mount --propagation private true 2>/dev/null &&
        [ -d /etc/ldap/sasl2 ]; then
        exec tests/sasl/with-sasl-slapd.sh --nowrap build-demo/sasl_apikey \
            "$0" --inner
    fi
    exec tests/ldap/with-slapd.sh "$0" --inner
fi

bin=$top/build-demo
work=$PWD # the harness's work dir, removed when the demo succeeds
SUFFIX=dc=example,dc=org
ROOT=(-H "$AK_TEST_LDAPI" -x -D "cn=admin,$SUFFIX" -w admin-secret)
umask 077
printf 'admin-secret' >admin.pw
printf 'dana-password' >dana.pw
printf 'verifier-secret' >verifier.pw
printf 'expiryd-secret' >expiryd.pw
# The site's apikey.conf: what /etc/apikey/apikey.conf holds on a host.
sed "s|^bind_pw_file .*|bind_pw_file $work/verifier.pw|" "$AK_TEST_CONF" >apikey.conf
chmod 644 apikey.conf
[ -z "${AK_SASL_CONF_DIR:-}" ] || cp apikey.conf "$AK_SASL_CONF_DIR/apikey.conf"

# show WHO TEXT: a command line as that person types it on a host;
# as WHO CMD...: show it (build paths, the work dir and the demo's -c
# left out), then run it.
exec 3>&1 # commands are shown here even where a step captures stdout
show() { printf '\033[2m%-6s$\033[0m %s\n' "$1" "$2" >&3; }
as() {
    local who=$1 shown
    shift
    shown=$(for a in "$@"; do
        case $a in *[\ \"\$]*) printf "'%s' " "$a" ;; *) printf '%s ' "$a" ;; esac
    done | sed "s|$bin/[a-z_-]*/||g; s|$work/||g; s|$top/||g; s| -c apikey.conf||")
    show "$who" "${shown% }"
    "$@"
}
apikey() { "$bin/cli/apikey" -c "$work/apikey.conf" "$@"; }
# The admin of this demo is the directory's rootdn; on a real site, a
# member of the apikey admin group binds with -U.
ADMIN=(-D "cn=admin,$SUFFIX" -y "$work/admin.pw")
DANA=(-U dana -y "$work/dana.pw")
status() { said "$1 (exit status $2)"; }

step "1. The directory: schema, indexes, access rules and accounts, from the shipped bootstrap"
# (this slapd already loads the ppolicy module: skipped here)
as admin apikey setup-directory --suffix "$SUFFIX" --part config --skip-module ppolicy --print >config.ldif
show admin "ldapmodify -Y EXTERNAL -H ldapi:/// -f config.ldif"
ldapmodify -Q -Y EXTERNAL -H "$AK_TEST_LDAPI" -f config.ldif >/dev/null
as admin apikey setup-directory --suffix "$SUFFIX" --part entries --print >entries.ldif
show admin "ldapmodify -x -D cn=admin,$SUFFIX -W -f entries.ldif"
ldapmodify "${ROOT[@]}" -f entries.ldif >/dev/null
for a in verifier expiryd; do
    show admin "ldappasswd -x -D cn=admin,$SUFFIX -W -T $a.pw cn=$a,ou=system,$SUFFIX"
    ldappasswd "${ROOT[@]}" -T "$work/$a.pw" "cn=$a,ou=system,$SUFFIX" >/dev/null
done
said "schema, $(grep -c '^olcAccess:' config.ldif) access rules and limits in cn=config; $(grep -c '^dn: ' entries.ldif) entries: the verifier and daemon accounts, ou=services, the admin group, the policy"
as admin apikey check-config
said "the verifier binds and reads the policy"

step "2. The admin sets the organisation's policy: keys must expire, within 90 days"
as admin apikey "${ADMIN[@]}" policy set --require-expiry yes --max-lifetime 90 \
    --notice-days 14,7,1 --recipients security@example.org >/dev/null
said "every key now needs an expiry at most 90 days away; notices 14, 7 and 1 day before"

step "3. Dana creates a personal key, bound as herself with her own password"
KEY=$(as dana apikey "${DANA[@]}" create --label laptop --days 30)
KID=$(cut -d_ -f2 <<<"$KEY")
echo "$KEY"
said "key $KID: shown once; the directory keeps only a keyed BLAKE2b digest"
as dana apikey "${DANA[@]}" list

step "4. She logs in through PAM with it (pamtester, sshd's stack in a private pam.d)"
PAM_WRAPPER_LIB="$(dirname "$(pkg-config --variable=modules pam_wrapper)")/libpam_wrapper.so"
mkdir -p pam.d
cat >pam.d/sshd <<PAMCONF
auth     [success=done default=die]  $bin/pam_apikey/pam_apikey.so config=$work/apikey.conf
account  required                    $bin/pam_apikey/pam_apikey.so config=$work/apikey.conf
PAMCONF
printf 'auth required pam_deny.so\naccount required pam_deny.so\n' >pam.d/other
# pam KEY USER: pamtester's answer, indented (its prompt on a line of its own)
pam() {
    local out rc=0
    out=$(echo "$1" | LD_PRELOAD="$PAM_WRAPPER_LIB" PAM_WRAPPER=1 \
        PAM_WRAPPER_SERVICE_DIR="$work/pam.d" pamtester sshd "$2" authenticate acct_mgmt 2>&1) || rc=$?
    printf '%s\n' "$out" | sed 's/^API key: /API key: \n/' | sed 's/^/   /'
    return $rc
}
echo "   (pam.d/sshd: auth [success=done default=die] pam_apikey.so)"
show dana 'pamtester sshd dana authenticate acct_mgmt <<<"$KEY"'
pam "$KEY" dana && said "logged in as dana"
c=${KEY: -1}; [ "$c" = a ] && r=b || r=a
WRONG="${KEY%?}$r"
show dana 'pamtester sshd dana authenticate <<<"<the key, one character changed>"'
pam "$WRONG" dana || true
said "refused at once: the checksum fails, no LDAP traffic"

step "5. The same key for a SASL bind to slapd and a mail login"
if [ -n "${AK_SASL_PLUGIN_DIR:-}" ]; then
    printf '%s' "$KEY" >dana.key
    show dana "ldapwhoami -H ldapi:/// -Y APIKEY -U dana -y dana.key"
    SASL_PATH="$AK_SASL_PLUGIN_DIR" ldapwhoami -Q -H "$AK_TEST_LDAPI" \
        -Y APIKEY -U dana -y "$work/dana.key"
    said "slapd took the key as dana (our plug-in, loaded by slapd)"
    show dana "scripts/sasl-login.sh ... smtp OAUTHBEARER dana dana.key   # Cyrus SASL's sample server and client"
    "$top/scripts/sasl-login.sh" "$AK_SASL_PLUGIN_DIR" "$work/apikey.conf" \
        smtp OAUTHBEARER dana "$work/dana.key" | sed 's/^/   /'
    said "a mail server's login (Cyrus SASL, service smtp, OAUTHBEARER) accepted it"
else
    echo "   (skipped: slapd cannot get a private SASL configuration here; run as root)"
fi

step "6. The admin creates a service user for the CI robot, with Dana responsible"
as admin apikey "${ADMIN[@]}" service create svc-ci --owner dana --description "CI pipeline"
SVC=$(as admin apikey "${ADMIN[@]}" create svc-ci --days 30 --label pipeline)
echo "$SVC"
if [ -n "${AK_SASL_PLUGIN_DIR:-}" ]; then
    printf '%s' "$SVC" >svc.key
    show robot "ldapwhoami -H ldapi:/// -Y APIKEY -U svc-ci -y svc.key"
    SASL_PATH="$AK_SASL_PLUGIN_DIR" ldapwhoami -Q -H "$AK_TEST_LDAPI" \
        -Y APIKEY -U svc-ci -y "$work/svc.key"
fi
echo "$SVC" | as robot apikey verify svc-ci --service ldap
said "the service user's key works; its expiry notices go to Dana"

step "7. A key beyond the policy is refused"
rc=0
as dana apikey "${DANA[@]}" create --days 365 >/dev/null 2>err.txt || rc=$?
sed 's/^/   /' err.txt
status "refused, the limit is stated" "$rc"

step "8. The admin locks Dana's account: her key stops with it"
show admin "ldapmodify   # uid=dana: add pwdAccountLockedTime: 000001010000Z (ppolicy's permanent lock)"
printf 'dn: uid=dana,ou=people,%s\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n' \
    "$SUFFIX" | ldapmodify "${ROOT[@]}" >/dev/null
show dana 'pamtester sshd dana authenticate acct_mgmt <<<"$KEY"'
pam "$KEY" dana || true
said "refused: a key acts as its owner, and the owner is locked"
printf 'dn: uid=dana,ou=people,%s\nchangetype: modify\ndelete: pwdAccountLockedTime\n' \
    "$SUFFIX" | ldapmodify "${ROOT[@]}" >/dev/null
show admin "ldapmodify   # uid=dana: delete pwdAccountLockedTime (unlocked again)"

step "9. Dana rotates her key: the old one keeps working for the grace period"
NEW=$(as dana apikey "${DANA[@]}" rotate "$KID" --grace 2)
NEW_ID=$(cut -d_ -f2 <<<"$NEW")
echo "$NEW"
pam "$NEW" dana >/dev/null && said "the new key logs in"
pam "$KEY" dana >/dev/null && said "the old key still logs in, for 2 more days"
echo "$KEY" | as dana apikey verify dana --service sshd --at "$(date -u -d '+3 days' +%Y-%m-%d)" 2>&1 | sed 's/^/   /' || true
said "judged 3 days from now, the old key is refused"

step "10. A key near its expiry: apikey-expiryd mails Dana and the admins"
SOON=$(as dana apikey "${DANA[@]}" create --label "build box" --days 5)
SOON_ID=$(cut -d_ -f2 <<<"$SOON")
mkdir -p mail state
{ cat apikey.conf
  echo "notice_bind_dn cn=expiryd,ou=system,$SUFFIX"
  echo "notice_bind_pw_file $work/expiryd.pw"
  echo "notice_from apikey@example.org"
  echo "notice_sendmail $top/tests/expiryd/capture-mailer.sh"
  echo "notice_state_dir $work/state"
} >expiryd.conf
chmod 644 expiryd.conf
echo "   (apikey.conf gets notice_from, the daemon's account, and a sendmail"
echo "    that keeps each message in a file here)"
expiryd() { AK_MAILDIR="$work/mail" "$bin/expiryd/apikey-expiryd" -c "$work/expiryd.conf" "$@"; }
show admin "apikey-expiryd --once"
expiryd --once 2>&1 | sed 's/^/   /'
for m in mail/*.eml; do
    grep -q "apikey rotate $SOON_ID" "$m" && grep -q '^To: .*dana@example.org' "$m" || continue
    echo "   (the message Dana received:)"
    sed 's/^/   | /' "$m"
done
show admin "apikey-expiryd --once   # again"
expiryd --once 2>&1 | sed 's/^/   /'
said "still $(ls mail/*.eml | wc -l) messages: each notice goes out once, whatever runs again"
as dana apikey "${DANA[@]}" list

step "11. The admin revokes a key: it stops at once"
as admin apikey "${ADMIN[@]}" revoke "$NEW_ID"
show dana 'pamtester sshd dana authenticate acct_mgmt <<<"$NEW"'
pam "$NEW" dana || true
said "refused: the revocation is a value Dana could add but never remove"
as admin apikey "${ADMIN[@]}" list --all --revoked

step "Done. Where to go next"
cat <<'NEXT'
   README.md "Deploy": install the packages, bootstrap your directory
   (apikey setup-directory), write /etc/apikey/apikey.conf, run
   apikey check-config, then enable PAM (pam-auth-update --enable apikey)
   and SASL per service; docs/deploy-*.md has one page per integration.
   man apikey, apikey.conf(5), pam_apikey(8), sasl_apikey(8), apikey-expiryd(8).
   The throwaway slapd is stopped and its directory removed on exit.
NEXT
