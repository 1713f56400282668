# lib.sh - shared by the tests/expiryd scripts (sourced, not run), on top
# of tests/cli/lib.sh (ok/bad/has/expect_rc, W, SUFFIX, rootmod, isotime,
# kid, ...), which it sources. A script starts:
#
#   here=$(cd "$(dirname "$0")" && pwd)
#   top=$(cd "$here/../.." && pwd)
#   . "$top/tests/expiryd/lib.sh"
#   ex_outer -- "$@"        # from meson: re-runs the script beside a slapd
#   APIKEY=${2:?path to apikey}
#   EXPIRYD=${3:?path to apikey-expiryd}
#   ex_setup                # in the slapd's work dir
#   ex_conf d.conf          # the daemon's config
#
# shellcheck shell=bash
. "${top:?set top before sourcing}/tests/cli/lib.sh"

# ex_outer [with-slapd.sh option...] -- ARG...: with ARG the script's own
# arguments. From meson (ARG: with-slapd.sh apikey apikey-expiryd ...):
# runs the script again as "$0 --inner apikey apikey-expiryd ..." through
# with-slapd.sh and the options (e.g. -n 2), beside a throwaway slapd
# configured with the packaged access rules
# (packaging/ldap/apikey-acl.ldif as AK_TEST_CONFIG_LDIF), and exits with
# its status. Variables assigned before the call (AK_TEST_NOSYNC_DB=1
# ex_outer ...) reach with-slapd.sh. In the inner run (ARG starts with
# --inner) it only checks that it runs under with-slapd.sh, exports
# LDAPNOINIT=1 (no ldap.conf or ldaprc of the machine) and returns.
ex_outer() {
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift
    if [ "${1:-}" = --inner ]; then
        : "${AK_TEST_CONF:?run through tests/ldap/with-slapd.sh}"
        export LDAPNOINIT=1
        return 0
    fi
    local with_slapd=${1:?path to with-slapd.sh}
    shift
    EX_TMP=$(mktemp -d "${TMPDIR:-/tmp}/akexd.XXXXXX")
    trap 'rm -rf "$EX_TMP"' EXIT
    cp "$top/packaging/ldap/apikey-acl.ldif" "$EX_TMP/config.ldif"
    AK_TEST_CONFIG_LDIF="$EX_TMP/config.ldif" "$with_slapd" "${opts[@]}" "$0" --inner "$@"
    exit $?
}

# ex_setup [DIR...]: in the work dir, the bind secrets admin.pw (the
# rootdn's) and expiryd.pw (cn=expiryd's), mode 600; the capture mailer's
# dir mail, exported as AK_MAILDIR; and the daemon's state dirs DIR
# (default: state).
ex_setup() {
    printf 'admin-secret' >admin.pw
    printf 'expiryd-secret' >expiryd.pw
    chmod 600 admin.pw expiryd.pw
    [ $# -gt 0 ] || set -- state
    mkdir -p mail "$@"
    export AK_MAILDIR=$PWD/mail
}

# ex_conf FILE [EXTRA LINE...]: the daemon's config in FILE (mode 644):
# $AK_TEST_CONF (the verifier's, from with-slapd.sh), then the notice
# options: the daemon's account cn=expiryd with expiryd.pw, notice_from,
# notice_sendmail (EX_SENDMAIL, default the capture mailer), the state dir
# (EX_STATE, default $PWD/state) and notice_timeout (EX_TIMEOUT, default
# 5), then each EXTRA as a line. EX_SENDMAIL= or EX_TIMEOUT= (empty)
# leaves that line out. Each may be set for one call:
# EX_TIMEOUT=2 ex_conf d.conf.
ex_conf() {
    local f=$1 sendmail=${EX_SENDMAIL-$top/tests/expiryd/capture-mailer.sh}
    local timeout=${EX_TIMEOUT-5}
    shift
    { cat "$AK_TEST_CONF"
      echo "notice_bind_dn cn=expiryd,ou=system,$SUFFIX"
      echo "notice_bind_pw_file $PWD/expiryd.pw"
      echo "notice_from apikey@example.org"
      [ -z "$sendmail" ] || echo "notice_sendmail $sendmail"
      echo "notice_state_dir ${EX_STATE:-$PWD/state}"
      [ -z "$timeout" ] || echo "notice_timeout $timeout"
      [ $# -eq 0 ] || printf '%s\n' "$@"
    } >"$f"
    chmod 644 "$f"
}

# setmail USER...: each USER (under $PEOPLE) gets the one mail
# USER@example.org, as the rootdn.
setmail() {
    local u
    for u in "$@"; do
        rootmod <<LDIF
dn: uid=$u,$PEOPLE
changetype: modify
replace: mail
mail: $u@example.org
LDIF
    done
}

# unkey DN: DN holds no key any more (every apiKeyRecord and apiKeyId
# value deleted, as the rootdn): for a key made only to be copied.
unkey() {
    rootmod <<LDIF
dn: $1
changetype: modify
delete: apiKeyRecord
-
delete: apiKeyId
LDIF
}

# id_of NUMBER: a 16-character base32 key id made from the number.
id_of() {
    local b32=abcdefghijklmnopqrstuvwxyz234567 x=$1 s="" _
    for _ in $(seq 1 16); do s=${b32:$((x % 32)):1}$s; x=$((x / 32)); done
    echo "$s"
}

# rec KID CREATED EXPIRES: a record as the command writes them, with a
# digest no key has (for keys the test never presents)
rec() {
    printf 'v1 id=%s hash=b2b256:%s:%s created=%s expires=%s' "$1" \
        "$(printf '1%.0s' $(seq 32))" "$(printf '2%.0s' $(seq 64))" "$2" "$3"
}

# mkkey USER SECONDS_LEFT|@EPOCH LABEL: a key created as the admin (the ADMIN
# command array), expiring SECONDS_LEFT from now; its id on stdout.
mkkey() {
    local when
    # @EPOCH: that moment exactly (a test that also writes the expiry
    # itself must not see the clock tick between the two)
    case $2 in
    @*) when=$(date -u -d "$2" +%Y-%m-%dT%H:%M:%SZ) ;;
    *) when=$(isotime "$2") ;;
    esac
    "${ADMIN[@]}" create "$1" --expires "$when" --label "$3" \
        --json >key.json 2>err.txt || { cat err.txt >&2; return 1; }
    kid key.json
}
