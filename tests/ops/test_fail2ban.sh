#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_fail2ban.sh - packaging/fail2ban/filter.d/apikey.conf against the
# lines pam_apikey and sasl_apikey really write:
#   - PAM: pamtester under pam_wrapper runs the real module with
#     PAM_WRAPPER_USE_SYSLOG=1, so libpam's pam_syslog calls syslog(3);
#     syslog_capture.so (preloaded) writes each line as rsyslog's file
#     format would, with the daemon's name (sshd, su) as the ident;
#   - SASL: ldapwhoami binds over TCP to the throwaway slapd that loads the
#     real plug-in (with-sasl-slapd.sh); slapd's own log lines ("SASL
#     [conn=N] Failure: <plug-in message>") are taken from its -d log and
#     put in syslog form, and each plug-in message is also written the way
#     Postfix (xsasl_cyrus_log: "warning: SASL authentication failure: ")
#     and Cyrus IMAP (libsasl2's syslog: the message alone) log it.
# fail2ban-regex must match exactly the refusals, each with the client's
# address, and no accepted login, no local (su) refusal, no line without a
# client address.
#   with-sasl-slapd.sh --nowrap PLUGIN_DIR test_fail2ban.sh \
#       APIKEY_CLI TEMPLATES LIBPAM_WRAPPER MODULE CAPTURE_SO FILTER
set -uo pipefail
cli=$1 templates=$2 wrapper=$3 module=$4 capture=$5 filter=$6
here=$(cd "$(dirname "$0")" && pwd)
f2b=$(command -v fail2ban-regex) || {
    echo "fail2ban-regex missing (Debian package fail2ban): skipped" >&2
    exit 77
}
command -v pamtester >/dev/null || { echo "pamtester missing: skipped" >&2; exit 77; }
: "${AK_TEST_CONF:?run through tests/sasl/with-sasl-slapd.sh}"
. "$here/../pam/pam-env.sh"
# the syslog capture goes into pamtester only (an ASan build's copy would
# abort every uninstrumented program it were preloaded into)
PAM_EXTRA_PRELOAD=$capture
pam_env_setup "$templates" "$wrapper" "$module" sshd
sed 's/sshd/su/' pam.d/sshd >pam.d/su
log=$PWD/auth.log
: >"$log"
fail=0

alice=$(new_key "$cli" alice) || { cat cli.log >&2; exit 1; }
bob=$(new_key "$cli" bob) || { cat cli.log >&2; exit 1; }
gone=$(new_key "$cli" alice) || { cat cli.log >&2; exit 1; }
"$cli" -c "$AK_TEST_CONF" -D "$AK_TEST_ROOTDN" -y "$PWD/rootpw" \
    revoke "$(printf '%s' "$gone" | cut -d_ -f2)" >/dev/null 2>>cli.log ||
    { cat cli.log >&2; exit 1; }
mangled="${alice%?????}zzzzz"

# pam IDENT WANT_STATUS KEY USER [pamtester -I ...]
pam() {
    local ident=$1 want=$2 key=$3 user=$4 st
    shift 4
    printf '%s\n' "$key" | $PAM_RUN PAM_WRAPPER_USE_SYSLOG=1 \
        AK_TEST_SYSLOG_FILE="$log" AK_TEST_SYSLOG_IDENT="$ident" \
        AK_TEST_SYSLOG_FORMAT=rsyslog \
        pamtester "$@" "$ident" "$user" authenticate >>pam.out 2>&1
    st=$?
    if [ "$st" != "$want" ]; then
        echo "FAIL: pamtester $ident $user $*: status $st, want $want" >&2
        fail=1
    fi
}
# sshd sets PAM_RHOST to the client's address
pam sshd 0 "$alice" alice -I rhost=127.0.2.10
pam sshd 1 "$bob" alice -I rhost=127.0.2.10
pam sshd 1 "$mangled" alice -I rhost=127.0.2.11
pam sshd 1 "hunter2" alice -I rhost=127.0.2.12
pam sshd 1 "$gone" alice -I rhost=::1
pam sshd 1 "$alice" nosuchuser -I rhost=127.0.100.3
pam sshd 0 "$bob" bob -I rhost=127.0.100.4
# su: a local login, no remote host
pam su 1 "$bob" alice
pam su 0 "$alice" alice

# SASL over TCP, so that slapd gives the plug-in the client's address
export LDAPNOINIT=1 SASL_PATH=$AK_SASL_PLUGIN_DIR
# StartTLS (plaintext mechanisms are not offered without it); libldap reads
# LDAPTLS_* only without LDAPNOINIT, LDAPCONF/LDAPRC keep the system's out.
sasl_bind() { # sasl_bind WANT_RC MECH USER KEY
    local want=$1 rc
    shift
    (
        unset LDAPNOINIT
        export LDAPCONF=/dev/null LDAPRC=no-such-ldaprc \
            LDAPTLS_CACERT="$AK_TEST_CA" LDAPTLS_REQCERT=demand
        ldapwhoami -ZZ -Q -H "$AK_TEST_URI" -Y "$1" -U "$2" -w "$3"
    ) >>sasl.out 2>&1
    rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL: ldapwhoami -Y $1 -U $2: exit $rc, want $want" >&2
        fail=1
    fi
}
# ldapwhoami with a sanitizer runtime preloaded hangs in GnuTLS after
# StartTLS (tests/sasl/test_sasl_e2e.sh): the SASL half is skipped there.
sasl=1
[ -z "${AK_SASL_PRELOAD:-}" ] || { sasl=0; echo "skip: SASL lines under a sanitizer preload"; }
sasl_before=$(grep -c 'SASL \[conn=' "$AK_TEST_LOG")
[ $sasl = 1 ] && {
sasl_bind 0 APIKEY alice "$alice"
sasl_bind 49 APIKEY alice "$bob"
sasl_bind 49 APIKEY alice "$mangled"
sasl_bind 49 OAUTHBEARER alice "$gone"
sasl_bind 49 XOAUTH2 alice "hunter2"
sasl_bind 0 OAUTHBEARER bob "$bob"
}
sleep 0.2 # slapd writes its log from its own threads
# slapd -d writes "<time> <thread> SASL [conn=N] ..."; syslog has
# "<date> <host> slapd[<pid>]: SASL [conn=N] ...".
stamp=$(date '+%b %e %H:%M:%S')
tail -n +"$((sasl_before + 1))" <(grep 'SASL \[conn=' "$AK_TEST_LOG") |
    sed -n 's/^[0-9a-f.]* 0x[0-9a-f]* \(SASL \[conn=.*\)$/\1/p' >sasl.lines
while IFS= read -r line; do
    printf '%s localhost slapd[%s]: %s\n' "$stamp" "$AK_TEST_PID" "$line"
    msg=${line#*\] }        # "Failure: MECH: ..."
    label=${msg%%: *} msg=${msg#*: }
    case $label in
    Failure) word=failure ;;
    *) word=problem ;;
    esac
    printf '%s localhost postfix/smtpd[4242]: warning: SASL authentication %s: %s\n' \
        "$stamp" "$word" "$msg"
    printf '%s localhost imaps[4343]: %s\n' "$stamp" "$msg"
done <sasl.lines >>"$log"

echo "--- captured log lines:"
cat "$log"
echo "---"
# never a key in the log
for k in "$alice" "$bob" "$gone"; do
    secret=${k#*_*_}
    if grep -qF -- "$secret" "$log"; then
        echo "FAIL: a key's secret appears in the log" >&2
        fail=1
    fi
done

# What the filter must find: one failure per refused login, with its host.
want="127.0.2.10
127.0.2.11
127.0.2.12
::1
127.0.100.3"
[ $sasl = 1 ] && for _ in 1 2 3; do # slapd, Postfix, Cyrus: 4 SASL refusals from 127.0.0.1
    want="$want
127.0.0.1
127.0.0.1
127.0.0.1
127.0.0.1"
done
# sanity: the log holds what the filter is tested on
pats=('pam_apikey(sshd:auth): accepted key' 'pam_apikey(su:auth): refused key'
    'pam_apikey(sshd:auth): refused a token that is not an API key')
[ $sasl = 1 ] && pats+=(
    'slapd\[[0-9]*\]: SASL \[conn=[0-9]*\] Failure: APIKEY: refused key'
    'OAUTHBEARER: refused key' 'XOAUTH2: refused a token that is not an API key'
    'postfix/smtpd\[4242\]: warning: SASL authentication failure: APIKEY: refused'
    'imaps\[4343\]: APIKEY: refused' 'rhost=127\.0\.0\.1;[0-9]*$')
for pat in "${pats[@]}"; do
    grep -q -- "$pat" "$log" || { echo "FAIL: no line /$pat/ in the log" >&2; fail=1; }
done

# fail2ban reads "before = common.conf" beside the filter: the system's
common=${AKT_F2B_COMMON:-/etc/fail2ban/filter.d/common.conf}
[ -f "$common" ] || { echo "no $common (fail2ban's): skipped" >&2; exit 77; }
mkdir -p f2b/filter.d
cp "$filter" f2b/filter.d/apikey.conf
ln -sf "$common" f2b/filter.d/common.conf
filter=$PWD/f2b/filter.d/apikey.conf
got=$("$f2b" --raw -o ip "$log" "$filter" 2>f2b.err)
rc=$?
if [ $rc -ne 0 ]; then
    echo "FAIL: fail2ban-regex exit $rc" >&2
    cat f2b.err >&2
    fail=1
fi
if [ "$(printf '%s\n' "$got" | sort)" != "$(printf '%s\n' "$want" | sort)" ]; then
    echo "FAIL: fail2ban-regex found these hosts:" >&2
    printf '%s\n' "$got" | sort | uniq -c >&2
    echo "want:" >&2
    printf '%s\n' "$want" | sort | uniq -c >&2
    fail=1
else
    echo "ok: fail2ban-regex matched $(printf '%s\n' "$got" | wc -l) refusals, each with its host"
fi
# and the lines it matched are refusals, never an acceptance or su
matched=$("$f2b" --raw -o row "$log" "$filter" 2>/dev/null)
if printf '%s\n' "$matched" | grep -q -e 'accepted' -e '(su:auth)'; then
    echo "FAIL: the filter matched an accepted or a local line:" >&2
    printf '%s\n' "$matched" | grep -e 'accepted' -e '(su:auth)' >&2
    fail=1
fi
"$f2b" "$log" "$filter" | sed -n '/^Lines:/p'
exit $fail
