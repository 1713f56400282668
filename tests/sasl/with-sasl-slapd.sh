#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# with-sasl-slapd.sh - run a command beside a throwaway slapd that loads our
# SASL plug-in: tests/ldap/with-slapd.sh with the harness hooks set.
#
#   with-sasl-slapd.sh [--nowrap] PLUGIN_DIR COMMAND [ARG...]
#
# slapd gets SASL_PATH=PLUGIN_DIR (never the system's plug-ins) and
# SASL_CONF_PATH=<tmp> holding slapd.conf with "apikey_conf: <tmp>/apikey.conf";
# that file is a copy of the harness's verifier config (AK_TEST_CONF), made
# before COMMAND runs (the plug-in reads it at the first exchange). An
# olcAuthzRegexp maps uid=<user>,cn=<mech>,cn=auth to the key holder's entry.
# COMMAND also sees AK_SASL_PLUGIN_DIR and AK_SASL_CONF_DIR.
#
# AK_TEST_WRAPPER (meson test --setup valgrind) wraps COMMAND, never the
# scripts around it; --nowrap leaves COMMAND unwrapped (a shell script that
# runs system programs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" = --inner ]; then
    shift
    cp "$AK_TEST_CONF" "$AK_SASL_CONF_DIR/apikey.conf"
    chmod 644 "$AK_SASL_CONF_DIR/apikey.conf"
    # shellcheck disable=SC2086 # the wrapper is a command line
    exec ${AK_SASL_WRAPPER:-} "$@"
fi

wrap=${AK_TEST_WRAPPER:-}
if [ "${1:-}" = --nowrap ]; then
    wrap=
    shift
fi
[ $# -ge 2 ] || { echo "usage: $0 [--nowrap] PLUGIN_DIR COMMAND [ARG...]" >&2; exit 2; }
plugin_dir=$(cd "$1" && pwd)
shift
case "$1" in
*/*) cmd="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; shift; set -- "$cmd" "$@" ;;
esac

# The private mount namespace needs root (CAP_SYS_ADMIN): skip otherwise.
if ! unshare --mount --propagation private true 2>/dev/null ||
    [ ! -d /etc/ldap/sasl2 ]; then
    echo "with-sasl-slapd: cannot give slapd a private /etc/ldap/sasl2; skipped" >&2
    exit 77
fi

conf=$(mktemp -d "${TMPDIR:-/tmp}/aksasl.XXXXXX")
trap 'rm -rf "$conf"' EXIT
cat >"$conf/slapd.conf" <<CONF
# SASL configuration of the test slapd (found through SASL_CONF_PATH)
apikey_conf: $conf/apikey.conf
CONF
# slapd names a SASL identity uid=<user>[,cn=<realm>],cn=<mech>,cn=auth.
cat >"$conf/authz.ldif" <<'LDIF'
dn: cn=config
changetype: modify
add: olcAuthzRegexp
olcAuthzRegexp: {0}"^uid=([^,]+),(cn=[^,]+,)?cn=(apikey|oauthbearer|xoauth2),cn=auth$" "ldap:///dc=example,dc=org??sub?(&(objectClass=apiKeyHolder)(uid=$1))"
LDIF
# Further cn=config changes a test asks for (colon-separated LDIF files:
# the packaged ACLs, the uniqueness overlay), applied after the mapping.
IFS=: read -r -a extra <<<"${AK_SASL_EXTRA_CONFIG_LDIF:-}"
for f in "${extra[@]}"; do
    { echo; grep -v '^#' "$f"; } >>"$conf/authz.ldif"
done

# A plug-in built with -Db_sanitize needs its sanitizer runtimes loaded
# first by the (uninstrumented) programs that dlopen it: slapd and the
# client tools. COMMAND sees them as AK_SASL_PRELOAD.
preload=$(ldd "$plugin_dir/libapikey.so" 2>/dev/null |
    awk '$1 ~ /^lib(asan|ubsan)\.so/ {print $3}' | tr '\n' ' ')
export AK_SASL_PRELOAD=${preload% }
export SLAPD=$here/slapd-sasl.sh
export AK_SLAPD_SASL_PATH=$plugin_dir
export AK_SLAPD_SASL_CONF_PATH=$conf
export AK_TEST_CONFIG_LDIF=$conf/authz.ldif
export AK_SASL_PLUGIN_DIR=$plugin_dir
export AK_SASL_CONF_DIR=$conf
export AK_SASL_WRAPPER=$wrap
unset AK_TEST_WRAPPER
rc=0
"$here/../ldap/with-slapd.sh" "$here/with-sasl-slapd.sh" --inner "$@" || rc=$?
exit $rc
