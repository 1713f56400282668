#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_nonregular.sh - a file apikey reads that is not a regular file
# (issue 16, finding 8): the review put a FIFO nobody writes to as
# bind_pw_file and `apikey check-config` hung (open before fstat, blocking),
# in code the PAM module, the SASL plug-in and the daemon share. Every
# front end must refuse a FIFO, a socket, a device or a directory at once,
# naming the file and what it is. Each run is bounded by a timeout: a hang
# shows as exit 124.
#
# Run by meson through with-sasl-slapd.sh (slapd loads our SASL plug-in):
#   test_nonregular.sh APIKEY_CLI PAM_TEMPLATES LIBPAM_WRAPPER PAM_MODULE EXPIRYD
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
apikey=${1:?usage: $0 APIKEY_CLI PAM_TEMPLATES LIBPAM_WRAPPER PAM_MODULE EXPIRYD}
templates=${2:?} wrapper=${3:?} module=${4:?} expiryd=${5:?}
: "${AK_TEST_CONF:?run through tests/sasl/with-sasl-slapd.sh}"
export LDAPNOINIT=1 SASL_PATH=$AK_SASL_PLUGIN_DIR
umask 077
. "$top/tests/cli/lib.sh"
. "$top/tests/pam/pam-env.sh"
command -v pamtester >/dev/null || { echo "pamtester missing" >&2; exit 77; }
T=(timeout -k 2 10) # a hang is exit 124 after 10 s; every refusal is at once

# The things that are no regular file, each in its own directory.
mkdir -p odd/dir
chmod 755 odd "$PWD"
mkfifo odd/fifo                 # nobody ever writes to it
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' odd/sock
declare -A WHAT=([odd/fifo]="a FIFO \(named pipe\)" [odd/sock]="a socket"
    [/dev/null]="a character device" [odd/dir]="a directory")
path_of() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
# conf FILE KEY VALUE: AK_TEST_CONF with KEY set to VALUE (mode 644)
conf() {
    { grep -v "^$2 " "$AK_TEST_CONF"; echo "$2 $3"; } >"$1"
    chmod 644 "$1"
}
# quick DESC: the last run ended by itself, within the timeout
quick() { if [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ]; then ok "$1 (exit $rc)"; else bad "$1: hung (exit $rc)"; fi; }

printf 'admin-secret' >admin.pw
printf 'expiryd-secret' >expiryd.pw
chmod 600 admin.pw expiryd.pw
A=("${W[@]}" "$apikey")
ADMIN=("${A[@]}" -c "$AK_TEST_CONF" -D "$ROOTDN" -y "$PWD/admin.pw")
"${ADMIN[@]}" create alice --days 5 >alice.key 2>cli.log || { cat cli.log; exit 1; }
printf '%s' "$(cat alice.key)" >alice.nonl

# --- the CLI -------------------------------------------------------------------
for o in odd/fifo odd/sock /dev/null odd/dir; do
    p=$(path_of "$o") what=${WHAT[$o]}
    conf bad.conf bind_pw_file "$p"
    # the review's command, verbatim but for the path
    "${T[@]}" "${A[@]}" check-config -c "$PWD/bad.conf" >out.txt 2>err.txt </dev/null
    rc=$?
    quick "check-config, bind_pw_file $o"
    [ "$rc" -ne 0 ] && ok "check-config fails" || bad "check-config passes with bind_pw_file $o"
    has out.txt "^problem: files as root \(this process\): bind_pw_file $p is $what, not a regular file" \
        "check-config: the file line names $o and what it is"
    has err.txt "$p: is $what, not a regular file" "check-config: the bind says it too"
    "${T[@]}" "${A[@]}" check-config -c "$PWD/bad.conf" --host sshd,su,saslauthd --offline >out.txt 2>err.txt </dev/null
    rc=$?
    quick "check-config --host, bind_pw_file $o"
    has out.txt "^problem: sshd \(runs as root\): bind_pw_file $p is $what" "per host: sshd names it"
    "${T[@]}" "${A[@]}" -c "$PWD/bad.conf" verify alice <alice.key >out.txt 2>err.txt
    rc=$?
    quick "verify, bind_pw_file $o"
    [ "$rc" -eq 3 ] && ok "verify: a configuration fault (3)" || bad "verify: exit $rc, wanted 3"
    has err.txt "$p: is $what, not a regular file" "verify names it"
    "${T[@]}" "${A[@]}" -c "$p" list >out.txt 2>err.txt </dev/null
    rc=$?
    quick "-c $o"
    has err.txt "$p: is $what, not a regular file" "-c: names it"
    "${T[@]}" "${A[@]}" -c "$AK_TEST_CONF" -D "$ROOTDN" -y "$p" list alice >out.txt 2>err.txt </dev/null
    rc=$?
    quick "-y $o"
    has err.txt "$p: is $what, not a regular file" "-y: names it"
done
# TLS files are opened by libldap, by name: looked at first
for k in tls_cacert tls_cert; do
    { cat "$AK_TEST_CONF"; echo "start_tls yes"; echo "$k $PWD/odd/fifo"
      [ $k = tls_cert ] && echo "tls_key $PWD/odd/fifo"; } >tls.conf
    chmod 644 tls.conf
    "${T[@]}" "${A[@]}" -c "$PWD/tls.conf" verify alice <alice.key >out.txt 2>err.txt
    rc=$?
    quick "verify with $k a FIFO"
    has err.txt "$k $PWD/odd/fifo: is a FIFO \(named pipe\), not a regular file" "$k: named"
    "${T[@]}" "${A[@]}" check-config -c "$PWD/tls.conf" >out.txt 2>err.txt </dev/null
    rc=$?
    quick "check-config with $k a FIFO"
    has out.txt "^problem: files as root \(this process\): $k $PWD/odd/fifo is a FIFO" "check-config: $k named"
done
{ cat "$AK_TEST_CONF"; echo "start_tls yes"; echo "tls_cacertdir $PWD/odd/fifo"; } >tls.conf
"${T[@]}" "${A[@]}" -c "$PWD/tls.conf" verify alice <alice.key >out.txt 2>err.txt
rc=$?
quick "verify with tls_cacertdir a FIFO"
has err.txt "tls_cacertdir $PWD/odd/fifo: is a FIFO \(named pipe\), not a directory" "tls_cacertdir: named"
# a link to a FIFO inside the CA directory: libldap would read it, blocking;
# too costly to look for at every login, check-config names it
mkdir -p cadir
cp "$AK_TEST_CA" cadir/ca.pem
ln -s "$PWD/odd/fifo" cadir/evil.pem
{ cat "$AK_TEST_CONF"; echo "tls_cacertdir $PWD/cadir"; } >tls.conf
"${T[@]}" "${A[@]}" check-config -c "$PWD/tls.conf" --offline >out.txt 2>err.txt </dev/null
rc=$?
quick "check-config with a link to a FIFO in tls_cacertdir"
has out.txt "^problem: files as root \(this process\): tls_cacertdir $PWD/cadir holds evil.pem, which is a FIFO" \
    "check-config names the entry"

# --- PAM: pamtester, the module reading the config of its line -------------------
for o in odd/fifo /dev/null; do
    conf pam.conf bind_pw_file "$(path_of "$o")"
    AK_TEST_CONF=$PWD/pam.conf pam_env_setup "$templates" "$wrapper" "$module" apikey
    "${T[@]}" $PAM_RUN pamtester apikey alice authenticate <alice.key >pam.out 2>&1
    rc=$?
    quick "PAM with bind_pw_file $o"
    [ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] && ok "PAM refuses" || bad "PAM: exit $rc"
done
pam_env_setup "$templates" "$wrapper" "$module" apikey # the config itself
sed -i "s|config=[^ ]*|config=$PWD/odd/fifo|" pam.d/apikey
"${T[@]}" $PAM_RUN pamtester apikey alice authenticate <alice.key >pam.out 2>&1
rc=$?
quick "PAM with config= a FIFO"
[ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] && ok "PAM refuses" || bad "PAM: exit $rc"
pam_env_setup "$templates" "$wrapper" "$module" apikey
"${T[@]}" $PAM_RUN pamtester apikey alice authenticate <alice.key >pam.out 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "PAM with the good config accepts (the control)" || bad "PAM control: exit $rc"

# --- SASL: the plug-in inside slapd, reading its apikey_conf ----------------------
whoami() {
    if [ -n "${AK_SASL_PRELOAD:-}" ]; then
        LD_PRELOAD=$AK_SASL_PRELOAD ASAN_OPTIONS=detect_leaks=0 \
            "${T[@]}" ldapwhoami -Q -H "$AK_TEST_LDAPI" -Y APIKEY -U alice -y alice.nonl >sasl.out 2>&1
    else
        "${T[@]}" ldapwhoami -Q -H "$AK_TEST_LDAPI" -Y APIKEY -U alice -y alice.nonl >sasl.out 2>&1
    fi
}
cp "$AK_SASL_CONF_DIR/apikey.conf" sasl-good.conf
# before the first exchange: the plug-in reads its config then
conf "$AK_SASL_CONF_DIR/apikey.conf" bind_pw_file "$PWD/odd/fifo"
whoami
rc=$?
quick "SASL in slapd with bind_pw_file a FIFO"
[ "$rc" -ne 0 ] && ok "SASL refuses" || bad "SASL accepts: $(cat sasl.out)"
whoami
rc=$?
quick "SASL again (slapd did not get stuck)"
cp sasl-good.conf "$AK_SASL_CONF_DIR/apikey.conf"
sleep 1.1 # the plug-in looks at its config at most once a second
for _ in 1 2 3 4 5; do whoami && break; sleep 1; done
rc=$?
[ "$rc" -eq 0 ] && ok "SASL with the good config again accepts (the control)" ||
    { bad "SASL control: exit $rc"; cat sasl.out; }

# --- the daemon -------------------------------------------------------------------
mkdir -p state tmpl
dconf() { # dconf FILE [LINE...]: the daemon's config
    local f=$1; shift
    { cat "$AK_TEST_CONF"
      echo "notice_bind_dn cn=expiryd,ou=system,$SUFFIX"
      echo "notice_from apikey@example.org"
      echo "notice_sendmail /bin/true"
      echo "notice_state_dir $PWD/state"
      printf '%s\n' "$@"; } >"$f"
    chmod 644 "$f"
}
for o in odd/fifo /dev/null; do
    dconf d.conf "notice_bind_pw_file $(path_of "$o")"
    "${T[@]}" "${W[@]}" "$expiryd" -c "$PWD/d.conf" --once >out.txt 2>err.txt </dev/null
    rc=$?
    quick "expiryd --once with notice_bind_pw_file $o"
    [ "$rc" -ne 0 ] && ok "expiryd fails" || bad "expiryd passes"
    has err.txt "$(path_of "$o"): is ${WHAT[$o]}, not a regular file" "expiryd names it"
done
dconf d.conf "notice_bind_pw_file $PWD/expiryd.pw" "notice_template_dir $PWD/tmpl"
mkfifo tmpl/owner.txt
"${T[@]}" "${W[@]}" "$expiryd" -c "$PWD/d.conf" --once >out.txt 2>err.txt </dev/null
rc=$?
quick "expiryd --once with a FIFO template"
has err.txt "$PWD/tmpl/owner.txt: is a FIFO \(named pipe\), not a regular file" "expiryd names the template"
"${T[@]}" "${W[@]}" "$expiryd" -c "$PWD/odd/fifo" --once >out.txt 2>err.txt </dev/null
rc=$?
quick "expiryd -c FIFO"
# the state files of the daemon: the syncrepl index and the status file
rm -f tmpl/owner.txt state/state state/status
mkfifo state/state state/status
"${T[@]}" "${W[@]}" "$expiryd" -c "$PWD/d.conf" --status >out.txt 2>err.txt </dev/null
rc=$?
quick "expiryd --status with the status file a FIFO"
has err.txt "state/status: is a FIFO \(named pipe\), not a regular file" "--status names it"
"${W[@]}" "$expiryd" -c "$PWD/d.conf" -v >daemon.out 2>&1 </dev/null &
dpid=$!
for _ in $(seq 1 40); do
    grep -q "refresh done" daemon.out && break
    sleep 0.25
done
kill "$dpid" 2>/dev/null
sleep 1
kill -9 "$dpid" 2>/dev/null # one stuck in open() may not end on TERM
wait "$dpid" 2>/dev/null
has daemon.out "state/state.*not a regular file" "the daemon refuses a FIFO as its state file"
has daemon.out "syncrepl: refresh done" "and goes on with a full refresh"

done_tests
