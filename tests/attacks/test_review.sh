#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_review.sh - the attacks of a security review, verbatim, against a
# directory set up as README.md says (packaging/ldap/apikey-acl.ldif and
# apikey-unique.ldif loaded), with a slapd that also loads our SASL plug-in.
# The attacker has nothing but their own password (or key) and ldapmodify.
# Every key is then tried through `apikey verify`, a real PAM application
# (pamtester under pam_wrapper, authenticate + acct_mgmt) and a real SASL
# client (ldapwhoami -Y APIKEY / OAUTHBEARER / XOAUTH2 against slapd).
#
#   1  too many (tagged) attributes hide a lock
#   2  identity by loose matching (case, spaces, Unicode width)
#   3  the owner undoes what an admin or the policy decided
#   4  locks the verifier cannot read (service users, ppolicy 2.5)
#
# Run by meson through with-sasl-slapd.sh:
#   test_review.sh APIKEY_CLI PAM_TEMPLATES LIBPAM_WRAPPER PAM_MODULE
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
apikey=${1:?usage: $0 APIKEY_CLI PAM_TEMPLATES LIBPAM_WRAPPER PAM_MODULE}
templates=${2:?} wrapper=${3:?} module=${4:?}
: "${AK_TEST_CONF:?run through tests/sasl/with-sasl-slapd.sh}"
export LDAPNOINIT=1 SASL_PATH=$AK_SASL_PLUGIN_DIR
umask 077
. "$top/tests/cli/lib.sh"
. "$top/tests/pam/pam-env.sh"
command -v pamtester >/dev/null || { echo "pamtester missing" >&2; exit 77; }
pam_env_setup "$templates" "$wrapper" "$module" apikey

for u in alice bob keyadmin; do printf '%s-password' "$u" >"$u.pw"; done
A=("${W[@]}" "$apikey" -c "$AK_TEST_CONF")
as() { local u=$1; shift; "${A[@]}" -U "$u" -y "$PWD/$u.pw" "$@"; }
dn_of() { case "$1" in svc-*) echo "uid=$1,ou=services,$SUFFIX" ;; *) echo "uid=$1,$PEOPLE" ;; esac; }
# raw ldapmodify bound as USER with her own password; prints the code
owner_mod() {
    ldapmodify -x -H "$AK_TEST_URI" -D "$(dn_of "$1")" -y "$PWD/$1.pw" >/dev/null 2>raw.err
    echo $?
}
now_plus() { date -u -d "@$(($(date +%s) + $1))" +%Y%m%d%H%M%SZ; }
record_of() { # record_of DN KID: the record value of KID on DN (as root)
    rootsearch -b "$1" -s base apiKeyRecord | sed -n "s/^apiKeyRecord: \(v1 id=$2 .*\)/\1/p"
}

# --- one key, every path ---------------------------------------------
pam() { # pam USER KEYFILE: pamtester authenticate + acct_mgmt; its status
    $PAM_RUN pamtester apikey "$1" authenticate acct_mgmt <"$2" >pam.out 2>&1
}
whoami_as() { # whoami_as MECH USER KEYFILE: ldapwhoami's status
    local mech=$1 user=$2 kf=$3
    if [ -n "${AK_SASL_PRELOAD:-}" ]; then
        LD_PRELOAD=$AK_SASL_PRELOAD ASAN_OPTIONS=detect_leaks=0 \
            ldapwhoami -Q -H "$AK_TEST_LDAPI" -Y "$mech" -U "$user" -y "$kf" >sasl.out 2>&1
    else
        ldapwhoami -Q -H "$AK_TEST_LDAPI" -Y "$mech" -U "$user" -y "$kf" >sasl.out 2>&1
    fi
}
# refused DESC KEYFILE USER [SERVICE]: every path refuses the key for USER
refused() {
    local d=$1 kf=$2 user=$3 svc=${4:-sshd} rc
    "${A[@]}" verify "$user" --service "$svc" <"$kf" >out.txt 2>err.txt
    rc=$?
    if [ $rc -ne 0 ]; then ok "$d: apikey verify refuses (exit $rc)"; else
        bad "$d: apikey verify accepts"; fi
    pam "$user" "$kf"
    rc=$?
    if [ $rc -ne 0 ]; then ok "$d: PAM refuses (pamtester exit $rc)"; else
        bad "$d: PAM accepts"; sed 's/^/#   /' pam.out | head -5; fi
    for mech in APIKEY OAUTHBEARER XOAUTH2; do
        whoami_as "$mech" "$user" "$kf"
        rc=$?
        if [ $rc -ne 0 ]; then ok "$d: SASL $mech refuses (exit $rc)"; else
            bad "$d: SASL $mech accepts as $(cat sasl.out)"; fi
    done
}
# accepted DESC KEYFILE USER [SERVICE]: every path accepts (the control)
accepted() {
    local d=$1 kf=$2 user=$3 svc=${4:-sshd} rc
    "${A[@]}" verify "$user" --service "$svc" <"$kf" >out.txt 2>err.txt
    rc=$?
    if [ $rc -eq 0 ]; then ok "$d: apikey verify accepts"; else
        bad "$d: apikey verify refuses (exit $rc)"; sed 's/^/#   /' out.txt err.txt | head -5; fi
    pam "$user" "$kf"
    rc=$?
    if [ $rc -eq 0 ]; then ok "$d: PAM accepts"; else
        bad "$d: PAM refuses (exit $rc)"; sed 's/^/#   /' pam.out | head -5; fi
    for mech in APIKEY OAUTHBEARER XOAUTH2; do
        whoami_as "$mech" "$user" "$kf"
        rc=$?
        if [ $rc -eq 0 ]; then ok "$d: SASL $mech accepts"; else
            bad "$d: SASL $mech refuses (exit $rc)"; sed 's/^/#   /' sasl.out | head -3; fi
        # slapd maps the SASL name to the holder's entry (olcAuthzRegexp's
        # search, which the packaged rules must let run), so that the
        # rules' "self" and the admin group apply to the bind
        # (ldapwhoami shows slapd's normalised DN: case and width folded)
        if [ $rc -eq 0 ] && ! grep -qE "^dn:uid=[^,]+,ou=(people|services),dc=example,dc=org$" sasl.out; then
            bad "$d: SASL $mech binds as $(cat sasl.out), not the holder's entry"; fi
    done
}
# a key for USER: made by the user herself, or by keyadmin for others
own_key() { # own_key USER FILE [create options]
    local u=$1 f=$2; shift 2
    as "$u" create "$@" >"$f.tmp" 2>>cli.log || { bad "create a key for $u"; cat cli.log; }
    nonl "$f"
}
admin_key() { # admin_key USER FILE [create options]
    local u=$1 f=$2; shift 2
    as keyadmin create "$u" "$@" >"$f.tmp" 2>>cli.log || { bad "keyadmin creates a key for $u"; cat cli.log; }
    nonl "$f"
}
# ldapwhoami -y sends the whole file: keep the key without its newline
nonl() { printf '%s' "$(cat "$1.tmp")" >"$1"; rm -f "$1.tmp"; }

# The policy the attacks run under: every key must expire, 30 days at most.
as keyadmin policy set --require-expiry yes --max-lifetime 30 >/dev/null 2>>cli.log ||
    bad "keyadmin sets the policy"

echo "# --- 1. too many attributes hide a lock ---"
own_key alice alice1.key --days 10
accepted "alice's key" alice1.key alice
# alice plants 40 tagged subtypes of her own attribute on her entry
{
    echo "dn: $(dn_of alice)"
    echo "changetype: modify"
    for i in $(seq 1 40); do
        echo "add: apiKeyRecord;lang-x$i"
        echo "apiKeyRecord;lang-x$i: junk $i"
        echo "-"
    done
} >tagged.ldif
rc=$(owner_mod alice <tagged.ldif)
[ "$rc" = 50 ] && ok "alice may not write tagged subtypes (50)" ||
    bad "alice wrote 40 tagged subtypes (exit $rc)"
# the same 40 values, planted by someone the ACLs do not stop (an older ACL,
# an import): the verifier must still see every lock that follows them
rootmod <tagged.ldif || bad "root plants tagged subtypes"
for lock in "apiKeyDisabled: TRUE" "pwdAccountLockedTime: 000001010000Z" "shadowExpire: 1"; do
    attr=${lock%%:*}
    printf 'dn: %s\nchangetype: modify\nreplace: %s\n%s\n' "$(dn_of alice)" "$attr" "$lock" | rootmod
    refused "behind 40 tagged values, $attr" alice1.key alice
    printf 'dn: %s\nchangetype: modify\ndelete: %s\n' "$(dn_of alice)" "$attr" | rootmod
done
# a tagged copy of a lock attribute counts as the lock (fail closed);
# a tagged record or key id is not a record or a key id
printf 'dn: %s\nchangetype: modify\nadd: apiKeyId;lang-x1\napiKeyId;lang-x1: %s\n' \
    "$(dn_of bob)" "$(kid alice1.key)" | rootmod
accepted "alice's key id copied onto bob as a tagged apiKeyId" alice1.key alice
expect_rc 1 "and it is not bob's key" -- "${A[@]}" verify bob <alice1.key
printf 'dn: %s\nchangetype: modify\ndelete: apiKeyId;lang-x1\n' "$(dn_of bob)" | rootmod
# clean up alice's entry for what follows
{
    echo "dn: $(dn_of alice)"
    echo "changetype: modify"
    for i in $(seq 1 40); do printf 'delete: apiKeyRecord;lang-x%s\n-\n' "$i"; done
} | rootmod

echo "# --- 2. identity by loose matching ---"
# Directory users whose names differ from others only in case or width.
cat >users.ldif <<LDIF
dn: uid=ｒｏｏｔ,$PEOPLE
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: apiKeyHolder
uid: ｒｏｏｔ
uidNumber: 10100
gidNumber: 10000
homeDirectory: /home/x10100
cn: Fullwidth root
sn: Root
userPassword: fw-password

dn: uid=Admin,$PEOPLE
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: apiKeyHolder
uid: Admin
uidNumber: 10101
gidNumber: 10000
homeDirectory: /home/x10101
cn: Admin with a capital A
sn: Admin
userPassword: admin-password
LDIF
ldapadd -x -H "$AK_TEST_URI" -D "$ROOTDN" -w admin-secret -f users.ldif >/dev/null ||
    bad "add the look-alike users"
admin_key "ｒｏｏｔ" fw.key --days 5
admin_key Admin admin.key --days 5
accepted "the key of ｒｏｏｔ as ｒｏｏｔ" fw.key "ｒｏｏｔ"
refused "the key of ｒｏｏｔ as root" fw.key root
accepted "Admin's key as Admin" admin.key Admin
for name in admin ADMIN "admin " " admin" "Admin " "ａｄｍｉｎ"; do
    refused "Admin's key as '$name'" admin.key "$name"
done
# without a user name the owner is the entry's own value
"${A[@]}" verify <admin.key >out.txt 2>&1
has out.txt "user=Admin\b|Admin" "without a name the key is Admin's"

echo "# --- 3. the owner undoes what an admin or the policy decided ---"
# (a) an admin's revocation
own_key alice revoked.key --days 10
RK=$(kid revoked.key)
as keyadmin revoke "$RK" >/dev/null 2>>cli.log || bad "keyadmin revokes alice's key"
refused "revoked by the admin" revoked.key alice
REC=$(record_of "$(dn_of alice)" "$RK")
CLEAN=$(printf '%s' "$REC" | sed 's/ revoked=[0-9Z]*//')
rc=$(printf 'dn: %s\nchangetype: modify\ndelete: apiKeyRecord\napiKeyRecord: %s\n-\nadd: apiKeyRecord\napiKeyRecord: %s\n' \
    "$(dn_of alice)" "$REC" "$CLEAN" | owner_mod alice)
[ "$rc" != 0 ] && ok "alice cannot rewrite her revoked record (exit $rc)" ||
    bad "alice rewrote her revoked record"
for v in $(rootsearch -b "$(dn_of alice)" -s base apiKeyRevoked | sed -n "s/^apiKeyRevoked: \($RK .*\)/\1/p" | tr ' ' '+'); do
    v=${v//+/ }
    rc=$(printf 'dn: %s\nchangetype: modify\ndelete: apiKeyRevoked\napiKeyRevoked: %s\n' "$(dn_of alice)" "$v" | owner_mod alice)
    [ "$rc" != 0 ] && ok "alice cannot delete the revocation '$v' (exit $rc)" ||
        bad "alice deleted the revocation"
done
refused "after alice's attempts, the revoked key" revoked.key alice
# a second record with the same id (add, no delete) is refused by the verifier
rc=$(printf 'dn: %s\nchangetype: modify\nadd: apiKeyRecord\napiKeyRecord: %s\n' "$(dn_of alice)" "$CLEAN" | owner_mod alice)
refused "an unrevoked second record for the revoked id (add exit $rc)" revoked.key alice

# (b) created reset again and again: one secret outliving the maximum lifetime
# An old key of alice's, made 40 days ago when there was no cap (planted by
# root, as an import would): the policy's 30 days have passed.
now=$(date +%s)
own_key alice old.key --days 30
OK=$(kid old.key)
OREC=$(record_of "$(dn_of alice)" "$OK")
AGED=$(printf '%s' "$OREC" | sed "s/ created=[0-9Z]*/ created=$(date -u -d "@$((now - 40 * 86400))" +%Y%m%d%H%M%SZ)/; s/ expires=[0-9Z]*/ expires=$(now_plus 86400)/")
printf 'dn: %s\nchangetype: modify\ndelete: apiKeyRecord\napiKeyRecord: %s\n-\nadd: apiKeyRecord\napiKeyRecord: %s\n' \
    "$(dn_of alice)" "$OREC" "$AGED" | rootmod || bad "root ages alice's key"
refused "past the policy's maximum lifetime" old.key alice
FRESH=$(printf '%s' "$AGED" | sed "s/ created=[0-9Z]*/ created=$(now_plus 0)/")
rc=$(printf 'dn: %s\nchangetype: modify\ndelete: apiKeyRecord\napiKeyRecord: %s\n-\nadd: apiKeyRecord\napiKeyRecord: %s\n' \
    "$(dn_of alice)" "$AGED" "$FRESH" | owner_mod alice)
[ "$rc" != 0 ] && ok "alice cannot reset created (exit $rc)" || bad "alice reset created"
refused "after resetting created" old.key alice
# (c) expires=never under require-expiry
NEVER=$(printf '%s' "$FRESH" | sed "s/ expires=[0-9Z]*/ expires=never/")
rc=$(printf 'dn: %s\nchangetype: modify\ndelete: apiKeyRecord\napiKeyRecord: %s\n-\nadd: apiKeyRecord\napiKeyRecord: %s\n' \
    "$(dn_of alice)" "$AGED" "$NEVER" | owner_mod alice)
[ "$rc" != 0 ] && ok "alice cannot set expires=never (exit $rc)" || bad "alice set expires=never"
refused "after expires=never" old.key alice

# (d) a scope an admin set
admin_key alice scoped.key --days 5 --scope smtp
SK=$(kid scoped.key)
refused "outside the admin's scope" scoped.key alice sshd
SREC=$(record_of "$(dn_of alice)" "$SK")
WIDE=$(printf '%s' "$SREC" | sed 's/ scope=[a-z0-9.,_-]*//')
rc=$(printf 'dn: %s\nchangetype: modify\ndelete: apiKeyRecord\napiKeyRecord: %s\n-\nadd: apiKeyRecord\napiKeyRecord: %s\n' \
    "$(dn_of alice)" "$SREC" "$WIDE" | owner_mod alice)
[ "$rc" != 0 ] && ok "alice cannot widen the scope (exit $rc)" || bad "alice widened the scope"
refused "after widening the scope" scoped.key alice sshd

# (e) an admin's rotation with no grace, undone by the owner
own_key alice rot.key --days 10
TK=$(kid rot.key)
as keyadmin rotate "$TK" --grace 0 >/dev/null 2>>cli.log || bad "keyadmin rotates alice's key"
refused "rotated away by the admin" rot.key alice
TREC=$(record_of "$(dn_of alice)" "$TK")
BACK=$(printf '%s' "$TREC" | sed "s/ expires=[0-9Z]*/ expires=$(now_plus $((10 * 86400)))/")
rc=$(printf 'dn: %s\nchangetype: modify\ndelete: apiKeyRecord\napiKeyRecord: %s\n-\nadd: apiKeyRecord\napiKeyRecord: %s\n' \
    "$(dn_of alice)" "$TREC" "$BACK" | owner_mod alice)
[ "$rc" != 0 ] && ok "alice cannot undo the rotation (exit $rc)" || bad "alice undid the rotation"
refused "after undoing the rotation" rot.key alice

# the flows the owner keeps: create, rotate with grace, revoke, all her own
own_key alice mine.key --days 10
accepted "a new key of alice's" mine.key alice
MK=$(kid mine.key)
as alice rotate "$MK" --grace 2 >mine2.key.tmp 2>>cli.log || bad "alice rotates her key"
nonl mine2.key
accepted "the old key in its grace period" mine.key alice
accepted "its successor" mine2.key alice
as alice revoke "$(kid mine2.key)" >/dev/null 2>>cli.log || bad "alice revokes the successor"
refused "the revoked successor" mine2.key alice
as alice revoke "$MK" >/dev/null 2>>cli.log || bad "alice revokes the old key in its grace"
refused "the old key, revoked in its grace" mine.key alice

echo "# --- 4. locks the verifier cannot see ---"
as keyadmin service create svc-locked --owner alice >/dev/null 2>>cli.log || bad "service user"
admin_key svc-locked svc.key --days 5
accepted "the service user's key" svc.key svc-locked
SVC=$(dn_of svc-locked)
printf 'dn: %s\nchangetype: modify\nadd: objectClass\nobjectClass: shadowAccount\n-\nadd: shadowExpire\nshadowExpire: 1\n' "$SVC" | rootmod
refused "a service user with shadowExpire in the past" svc.key svc-locked
printf 'dn: %s\nchangetype: modify\ndelete: shadowExpire\n-\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n' "$SVC" | rootmod
refused "a service user locked by ppolicy" svc.key svc-locked
printf 'dn: %s\nchangetype: modify\ndelete: pwdAccountLockedTime\n-\nadd: pwdEndTime\npwdEndTime: %s\n' "$SVC" "$(now_plus -60)" | rootmod
refused "a service user past pwdEndTime" svc.key svc-locked
printf 'dn: %s\nchangetype: modify\ndelete: pwdEndTime\n-\nadd: pwdStartTime\npwdStartTime: %s\n' "$SVC" "$(now_plus 3600)" | rootmod
refused "a service user before pwdStartTime" svc.key svc-locked
printf 'dn: %s\nchangetype: modify\nreplace: pwdStartTime\npwdStartTime: %s\n' "$SVC" "$(now_plus -60)" | rootmod
accepted "a service user after pwdStartTime" svc.key svc-locked
own_key bob bob.key --days 5
printf 'dn: %s\nchangetype: modify\nadd: pwdEndTime\npwdEndTime: %s\n' "$(dn_of bob)" "$(now_plus -60)" | rootmod
refused "a person past pwdEndTime" bob.key bob

# No secret reached any log
for f in alice1.key fw.key admin.key revoked.key old.key scoped.key rot.key mine.key svc.key; do
    s=$(tr -d '\n' <"$f"); s=${s#*_*_}
    if grep -qF -- "${s:0:12}" "$AK_TEST_LOG" pam.out sasl.out cli.log 2>/dev/null; then
        bad "a piece of the secret of $f is in a log"
    fi
done
done_tests
