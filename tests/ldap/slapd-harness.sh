#!/bin/bash
# slapd-harness.sh - a throwaway slapd for the tests: 127.0.0.1 on a free
# port plus an ldapi socket, in its own directory, with the apikey schema,
# test CA and fixtures. Never touches the system's slapd or /etc.
#
#   slapd-harness.sh start DIR   start; writes DIR/env (shell assignments)
#   slapd-harness.sh stop DIR    stop (SIGCONT first, in case a test paused it)
#   slapd-harness.sh restart DIR stop, then start again on the same port and
#                                database (updates AK_TEST_PID in DIR/env)
#   slapd-harness.sh relaunch DIR start again after a stop, same port and
#                                database (a server that was down a while)
#
# DIR/ctl (AK_TEST_SLAPD_CTL in DIR/env) is that server's control for a
# test: "$AK_TEST_SLAPD_CTL stop|start|restart" (start = relaunch).
#
# Optional inputs (environment):
#   AK_TEST_FIXTURES       LDIF to load instead of fixtures.ldif
#   AK_TEST_SCHEMA_LDIF    a schema entry (cn=config form) loaded after ours
#   AK_TEST_ACL_LDIF       olcAccess lines appended to the database entry
#   AK_TEST_CONFIG_LDIF    LDIF (changetype: modify) applied to cn=config
#                          over ldapi as root after start (olcAuthzRegexp...)
#   AK_SLAPD_SASL_PATH     SASL_PATH for slapd (our plugin's build dir)
#   AK_SLAPD_SASL_CONF_PATH SASL_CONF_PATH for slapd (its slapd.conf)
#   AK_TEST_SYNCPROV_SESSIONLOG N: syncprov keeps a session log of N
#                          operations (default: none, so a resume is a
#                          present phase)
#   AK_TEST_NOSYNC_DB=1    a second database, dc=nosync,dc=test (rootdn
#                          cn=admin,dc=nosync,dc=test, same password),
#                          WITHOUT syncprov: the sync control is still
#                          advertised, but refused there (12)
#
#   AK_TEST_BOUNDS=1       load apikey's bounds as a site would
#                          (packaging/ldap/apikey-bounds.ldif, the
#                          constraint overlay); tests/meson.build
#                          sets it for every test (not with AK_TEST_BARE:
#                          no apikey schema there)
#
#   AK_TEST_SUFFIX         the main database's suffix (default
#                          dc=example,dc=org; rootdn cn=admin,SUFFIX)
#   AK_TEST_BARE=1         a directory not yet prepared for apikey: no
#                          apikey schema and no apikey indexes (a test of
#                          apikey setup-directory loads them)
#
# The main database (dc=example,dc=org) always has the syncprov overlay
# (RFC 4533 provider, as the expiry daemon expects).
#
# DIR/env holds: AK_TEST_DIR AK_TEST_URI AK_TEST_PORT AK_TEST_LDAPI
# AK_TEST_PID AK_TEST_LOG AK_TEST_CA AK_TEST_OTHER_CA AK_TEST_SUFFIX
# AK_TEST_ROOTDN AK_TEST_ROOTPW AK_TEST_CONF (a verifier config)
# AK_TEST_HARNESS (this script, for restart) AK_TEST_SLAPD_CTL (DIR/ctl).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
schema_dir=${AK_SCHEMA_DIR:-/etc/ldap/schema}
slapd=${SLAPD:-/usr/sbin/slapd}
slapadd=${SLAPADD:-/usr/sbin/slapadd}
suffix=${AK_TEST_SUFFIX:-dc=example,dc=org}
export LDAPNOINIT=1 # our own ldapsearch calls ignore ldap.conf/ldaprc

die() { echo "slapd-harness: $*" >&2; exit 1; }

urlencode_path() { printf '%s' "$1" | sed 's,%,%25,g; s,/,%2F,g'; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

make_certs() {
    local d=$1/certs
    mkdir -p "$d"
    (
        cd "$d"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout ca.key -out ca.pem -days 2 -subj "/CN=apikey test CA" \
            2>/dev/null
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout other-ca.key -out other-ca.pem -days 2 \
            -subj "/CN=some other CA" 2>/dev/null
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
            -CAcreateserial -out server.pem -days 2 -extfile san.ext 2>/dev/null
        chmod 600 ./*.key
    )
}

write_config_ldif() {
    local dir=$1
    cat <<LDIF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $dir/slapd.pid
olcTLSCACertificateFile: $dir/certs/ca.pem
olcTLSCertificateFile: $dir/certs/server.pem
olcTLSCertificateKeyFile: $dir/certs/server.key

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: ppolicy
olcModuleLoad: syncprov

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

LDIF
    for s in core cosine inetorgperson nis; do
        grep -v '^#' "$schema_dir/$s.ldif"
        echo
    done
    [ "${AK_TEST_BARE:-}" = 1 ] || grep -v '^#' "$top/packaging/ldap/apikey.ldif"
    if [ -n "${AK_TEST_SCHEMA_LDIF:-}" ]; then
        echo
        grep -v '^#' "$AK_TEST_SCHEMA_LDIF"
    fi
    cat <<LDIF

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: 500

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by dn.exact=gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth manage by * break

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcDbDirectory: $dir/db
olcSuffix: $suffix
olcRootDN: cn=admin,$suffix
olcRootPW: admin-secret
olcDbMaxSize: 1073741824
olcDbIndex: objectClass eq
olcDbIndex: uid eq
olcDbIndex: entryUUID eq
olcDbIndex: entryCSN eq
LDIF
    [ "${AK_TEST_BARE:-}" = 1 ] || printf 'olcDbIndex: apiKeyId eq\nolcDbIndex: apiKeyExpires eq\n'
    if [ -n "${AK_TEST_ACL_LDIF:-}" ]; then
        grep -v '^#' "$AK_TEST_ACL_LDIF"
    fi
    cat <<LDIF

dn: olcOverlay={0}syncprov,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcSyncProvConfig
olcOverlay: {0}syncprov
LDIF
    if [ -n "${AK_TEST_SYNCPROV_SESSIONLOG:-}" ]; then
        echo "olcSpSessionlog: $AK_TEST_SYNCPROV_SESSIONLOG"
    fi
    if [ "${AK_TEST_NOSYNC_DB:-}" = 1 ]; then
        cat <<LDIF

dn: olcDatabase={2}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {2}mdb
olcDbDirectory: $dir/db-nosync
olcSuffix: dc=nosync,dc=test
olcRootDN: cn=admin,dc=nosync,dc=test
olcRootPW: admin-secret
olcDbMaxSize: 104857600
LDIF
    fi
}

write_verifier_config() {
    local dir=$1 uri=$2
    printf 'verifier-secret\n' >"$dir/verifier.pw"
    chmod 600 "$dir/verifier.pw"
    cat >"$dir/apikey.conf" <<CONF
# written by slapd-harness.sh for the tests
uri $uri
user_base ou=people,$suffix
service_base ou=services,$suffix
bind_dn cn=verifier,ou=system,$suffix
bind_pw_file $dir/verifier.pw
policy_dn cn=apikey-policy,ou=policies,$suffix
network_timeout 2
timeout 2
CONF
    chmod 644 "$dir/apikey.conf"
}

start() {
    local dir=$1 port ldapi pid tries=0
    [ -x "$slapd" ] || { echo "slapd-harness: $slapd missing" >&2; exit 77; }
    mkdir -p "$dir/slapd.d" "$dir/db"
    [ "${AK_TEST_NOSYNC_DB:-}" != 1 ] || mkdir -p "$dir/db-nosync"
    dir=$(cd "$dir" && pwd)
    make_certs "$dir"
    write_config_ldif "$dir" >"$dir/config.ldif"
    "$slapadd" -n 0 -F "$dir/slapd.d" -l "$dir/config.ldif" >"$dir/slapadd.log" 2>&1 ||
        { cat "$dir/slapadd.log" >&2; die "cn=config load failed"; }
    "$slapadd" -F "$dir/slapd.d" -b "$suffix" \
        -l "${AK_TEST_FIXTURES:-$here/fixtures.ldif}" >>"$dir/slapadd.log" 2>&1 ||
        { cat "$dir/slapadd.log" >&2; die "fixtures load failed"; }
    if [ "${AK_TEST_NOSYNC_DB:-}" = 1 ]; then
        printf 'dn: dc=nosync,dc=test\nobjectClass: dcObject\nobjectClass: organization\ndc: nosync\no: nosync\n' |
            "$slapadd" -F "$dir/slapd.d" -b dc=nosync,dc=test >>"$dir/slapadd.log" 2>&1 ||
            { cat "$dir/slapadd.log" >&2; die "nosync base load failed"; }
    fi
    ldapi="ldapi://$(urlencode_path "$dir/ldapi")"
    while :; do
        port=$((20000 + RANDOM % 40000))
        tries=$((tries + 1))
        if port_free "$port" && pid=$(launch "$dir" "$port"); then
            break
        fi
        [ "$tries" -lt 10 ] || { cat "$dir/slapd.log" >&2; die "slapd did not start"; }
    done
    if [ "${AK_TEST_BOUNDS:-}" = 1 ] && [ "${AK_TEST_BARE:-}" != 1 ]; then
        grep -v '^#' "$top/packaging/ldap/apikey-bounds.ldif" >"$dir/bounds.ldif"
        ldapmodify -Q -Y EXTERNAL -H "$ldapi" -f "$dir/bounds.ldif" \
            >>"$dir/slapadd.log" 2>&1 ||
            { cat "$dir/slapadd.log" >&2; die "AK_TEST_BOUNDS failed"; }
    fi
    if [ -n "${AK_TEST_CONFIG_LDIF:-}" ]; then
        ldapmodify -Q -Y EXTERNAL -H "$ldapi" -f "$AK_TEST_CONFIG_LDIF" \
            >>"$dir/slapadd.log" 2>&1 ||
            { cat "$dir/slapadd.log" >&2; die "AK_TEST_CONFIG_LDIF failed"; }
    fi
    write_verifier_config "$dir" "ldap://127.0.0.1:$port"
    cat >"$dir/env" <<ENV
AK_TEST_DIR=$dir
AK_TEST_PORT=$port
AK_TEST_URI=ldap://127.0.0.1:$port
AK_TEST_LDAPI=$ldapi
AK_TEST_PID=$pid
AK_TEST_LOG=$dir/slapd.log
AK_TEST_CA=$dir/certs/ca.pem
AK_TEST_OTHER_CA=$dir/certs/other-ca.pem
AK_TEST_SUFFIX=$suffix
AK_TEST_ROOTDN=cn=admin,$suffix
AK_TEST_ROOTPW=admin-secret
AK_TEST_CONF=$dir/apikey.conf
AK_TEST_HARNESS=$here/slapd-harness.sh
AK_TEST_SLAPD_CTL=$dir/ctl
ENV
    printf '#!/bin/sh\n# stop|start|restart this test server\ncase "${1:-}" in\nstart) set -- relaunch ;;\nstop | restart) ;;\n*) echo "usage: $0 stop|start|restart" >&2; exit 2 ;;\nesac\nexec "%s" "$1" "%s"\n' \
        "$here/slapd-harness.sh" "$dir" >"$dir/ctl"
    chmod 755 "$dir/ctl"
}

stop() {
    local dir=$1 pid
    [ -f "$dir/env" ] || return 0
    pid=$(sed -n 's/^AK_TEST_PID=//p' "$dir/env")
    [ -n "$pid" ] || return 0
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
}

launch() {
    # launch DIR PORT: run slapd in the foreground (-d keeps it there and
    # writes the stats log), wait until it answers. Prints the pid.
    local dir=$1 port=$2 ldapi pid
    ldapi="ldapi://$(urlencode_path "$dir/ldapi")"
    # SASL plugins for slapd come only from where a test points it
    # (AK_SLAPD_SASL_PATH / AK_SLAPD_SASL_CONF_PATH), never the system's.
    env ${AK_SLAPD_SASL_PATH:+SASL_PATH="$AK_SLAPD_SASL_PATH"} \
        ${AK_SLAPD_SASL_CONF_PATH:+SASL_CONF_PATH="$AK_SLAPD_SASL_CONF_PATH"} \
        "$slapd" -F "$dir/slapd.d" -h "ldap://127.0.0.1:$port/ $ldapi" \
        -d stats >>"$dir/slapd.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 200); do
        if ldapsearch -x -H "ldap://127.0.0.1:$port" -b "" -s base \
            >/dev/null 2>&1; then
            echo "$pid"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return 1
}

restart() {
    stop "$1"
    relaunch "$1"
}

relaunch() {
    local dir=$1 port pid
    dir=$(cd "$dir" && pwd)
    port=$(sed -n 's/^AK_TEST_PORT=//p' "$dir/env")
    rm -f "$dir/ldapi"
    for _ in $(seq 1 40); do
        port_free "$port" && break
        sleep 0.05
    done
    pid=$(launch "$dir" "$port") || die "slapd did not restart"
    sed -i "s/^AK_TEST_PID=.*/AK_TEST_PID=$pid/" "$dir/env"
}

case "${1:-}" in
start) start "${2:?DIR}" ;;
restart) restart "${2:?DIR}" ;;
relaunch) relaunch "${2:?DIR}" ;;
stop) stop "${2:?DIR}" ;;
*) echo "usage: $0 start|stop|restart|relaunch DIR" >&2; exit 2 ;;
esac
