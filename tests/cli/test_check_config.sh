#!/bin/bash
# test_check_config.sh - apikey check-config: one "ok"/"problem:" line per
# finding, exit 0 only when all is well. The files (config, bind_pw_file,
# CA) are checked as each host's account reads them: root for sshd, su and
# saslauthd; the openldap account (there wherever slapd is installed) for
# a mode or group that only root gets past. postfix and cyrus are checked
# when those accounts exist, with a note when they do not.
# Usage (from meson): test_check_config.sh /path/to/apikey  (inside with-slapd.sh)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
APIKEY=${1:?path to apikey}
: "${AK_TEST_CONF:?run through tests/ldap/with-slapd.sh}"
export LDAPNOINIT=1
. "$here/lib.sh"
[ "$(id -u)" = 0 ] || { echo "# needs root (files owned by root and by another account)"; exit 77; }
LUSER=
for u in openldap ldap; do getent passwd "$u" >/dev/null && { LUSER=$u; break; }; done

# A directory every account may enter (the test's work dir is 0700).
CCD=$(mktemp -d /tmp/akcc.XXXXXX)
trap 'rm -rf "$CCD"' EXIT
chmod 755 "$CCD"
printf 'verifier-secret\n' >"$CCD/verifier.pw"
chmod 600 "$CCD/verifier.pw"
cp "$AK_TEST_CA" "$CCD/ca.pem"
chmod 644 "$CCD/ca.pem"
sed -e "s,^bind_pw_file .*,bind_pw_file $CCD/verifier.pw," "$AK_TEST_CONF" >"$CCD/apikey.conf"
echo "tls_cacert $CCD/ca.pem" >>"$CCD/apikey.conf"
chmod 644 "$CCD/apikey.conf"
A=("${W[@]}" "$APIKEY")
cc() { "${A[@]}" check-config -c "$CCD/apikey.conf" "$@"; }

expect_rc 0 "all is well: exit 0" -- cc --host sshd,su,saslauthd
has out.txt "^ok config $CCD/apikey.conf: syntax ok" "ok line for the syntax"
has out.txt "^ok sshd \(runs as root\): reads the configuration, bind_pw_file, tls_cacert$" "ok line for sshd, naming the files"
has out.txt "^ok su \(runs as root\)" "and su"
has out.txt "^ok saslauthd \(runs as root\)" "and saslauthd"
has out.txt "^ok directory: bind ok as cn=verifier" "binds as the verifier"
has out.txt "^ok policy cn=apikey-policy" "reads the policy"
hasnt out.txt "^problem" "no problem line"
expect_rc 0 "-c before the command works the same" -- "${A[@]}" -c "$CCD/apikey.conf" check-config --host sshd --offline
expect_rc 2 "an unknown host" -- cc --host sshd,smtp
has err.txt "'smtp' is not one of" "names it"

# --host all: whether it passes depends on the accounts of this machine
cc --host all --offline >out.txt 2>err.txt </dev/null
has out.txt "^ok sshd \(runs as root\)" "--host all checks sshd"
for hu in postfix:postfix cyrus:cyrus expiryd:apikey-expiryd; do
    h=${hu%%:*} u=${hu#*:}
    if getent passwd "$u" >/dev/null; then
        has out.txt "^(ok|problem:) $h \(runs as $u\)" "$h is checked (its account exists)"
    else
        has out.txt "^note: $h: no user $u on this system, not checked" "$h: a note, no account here"
    fi
done

if [ -n "$LUSER" ]; then
    expect_rc 3 "root:root 0600 is a problem for $LUSER" -- cc --host openldap --offline
    has out.txt "^problem: openldap \(runs as $LUSER\): cannot read bind_pw_file $CCD/verifier.pw \(root:root 0600\): for example chgrp $(id -gn "$LUSER") and chmod 0640" "says what to change"
    has out.txt "^ok config" "the other findings still print"
    chgrp "$(id -g "$LUSER")" "$CCD/verifier.pw"
    chmod 640 "$CCD/verifier.pw"
    expect_rc 0 "root:$(id -gn "$LUSER") 0640 is readable by $LUSER" -- cc --host openldap,sshd
    has out.txt "^ok openldap \(runs as $LUSER\): reads the configuration, bind_pw_file, tls_cacert" "ok line for openldap"
    chmod 700 "$CCD"
    expect_rc 3 "a directory on the way it cannot enter" -- cc --host openldap --offline
    has out.txt "^problem: openldap \(runs as $LUSER\): cannot enter $CCD \(root:root 0700\)" "names the directory"
    chmod 755 "$CCD"
    chown "$LUSER" "$CCD/verifier.pw"
    expect_rc 0 "owned by $LUSER: fine for $LUSER" -- cc --host openldap --offline
    expect_rc 3 "but not for sshd (root)" -- cc --host sshd --offline
    has out.txt "^problem: sshd \(runs as root\): bind_pw_file $CCD/verifier.pw \($LUSER:.* must be owned by root$" "owner must be root"
    chown root "$CCD/verifier.pw"
else
    echo "# no openldap or ldap account: the other account's view not checked"
fi

chmod 644 "$CCD/verifier.pw"
expect_rc 3 "a bind password readable by others" -- cc --offline
has out.txt "^problem: files as root \(this process\): bind_pw_file $CCD/verifier.pw \(root:.* 0644\) is readable by others" "is a problem even as this process"
chmod 600 "$CCD/verifier.pw"
ln -s "$CCD/verifier.pw" "$CCD/link.pw"
sed -i "s,^bind_pw_file .*,bind_pw_file $CCD/link.pw," "$CCD/apikey.conf"
expect_rc 3 "a bind password file that is a symlink" -- cc --host sshd --offline
has out.txt "^problem: sshd \(runs as root\): bind_pw_file $CCD/link.pw is a symbolic link" "is refused as the module refuses it"
sed -i "s,^bind_pw_file .*,bind_pw_file $CCD/verifier.pw," "$CCD/apikey.conf"
rm "$CCD/ca.pem"
expect_rc 3 "a missing CA file" -- cc --host sshd --offline
has out.txt "^problem: sshd \(runs as root\): tls_cacert $CCD/ca.pem: no such file" "names it"
cp "$AK_TEST_CA" "$CCD/ca.pem"
chmod 664 "$CCD/apikey.conf"
expect_rc 3 "a group-writable config" -- cc --offline
has err.txt "writable by group or others" "is refused when read"
has out.txt "^problem: config $CCD/apikey.conf: cannot be used" "with a problem line"
chmod 644 "$CCD/apikey.conf"
expect_rc 0 "fixed again: exit 0" -- cc --host sshd
# the bounds (issue 16): probed without writing anything
has out.txt "^ok bounds: the directory refuses more values, or larger ones, than apikey's bounds on all [0-9]+ attributes" "ok line for the bounds"
rootsearch -b "$SUFFIX" >before.ldif
cons() { # cons add|delete VALUE: change the constraint overlay (as root)
    local dn
    dn=$(ldapsearch -Q -LLL -o ldif-wrap=no -Y EXTERNAL -H "$AK_TEST_LDAPI" -b cn=config \
        '(objectClass=olcConstraintConfig)' dn | sed -n 's/^dn: //p')
    printf 'dn: %s\nchangetype: modify\n%s: olcConstraintAttribute\nolcConstraintAttribute: %s\n' \
        "$dn" "$1" "$2" | ldapmodify -Q -Y EXTERNAL -H "$AK_TEST_LDAPI" >/dev/null
}
cons delete "apiKeyRecord count 100" || bad "cannot change the constraint overlay"
expect_rc 3 "a bound missing: exit 3" -- cc --host sshd
has out.txt "^problem: bounds: apiKeyRecord: more than 100 values are accepted on one entry" "names the attribute and the bound"
hasnt out.txt "^ok bounds" "and says no ok for the bounds"
cons add "apiKeyRecord count 100"
cons delete "apiKeyNotice size 160"
expect_rc 3 "a size bound missing: exit 3" -- cc --host sshd
has out.txt "^problem: bounds: apiKeyNotice: values over 160 bytes are accepted" "names it"
cons add "apiKeyNotice size 160"
rootsearch -b "$SUFFIX" >after.ldif
cmp -s before.ldif after.ldif && ok "the probes wrote nothing" || { bad "the directory changed"; diff before.ldif after.ldif | head; }
if /usr/sbin/slapd -VV 2>&1 | grep -q 'slapd 2\.[56]\.'; then
    has out.txt "^note: bounds: a client that sends the relax control skips them" "slapd < 2.7: the relax gap is a note"
fi
pid=$AK_TEST_PID
kill -STOP "$pid"
expect_rc 4 "the directory does not answer: exit 4" -- cc --host sshd
has out.txt "^problem: directory: cannot bind as cn=verifier" "with a problem line"
has out.txt "^ok sshd" "after the file checks"
kill -CONT "$pid"
done_tests
