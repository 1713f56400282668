#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# sasl-login.sh - one SASL login the way a mail server does it: Cyrus
# SASL's own sample server (sasl-sample-server, from sasl2-bin) for a
# service such as smtp or imap, loading the plug-in from PLUGIN_DIR as
# Postfix or Cyrus IMAP would, and the sample client presenting the key.
# The two exchange base64 lines ("S: ..." / "C: ..."), relayed here; the
# client reads the key at its password prompt (a pty from script(1)).
#
#   sasl-login.sh PLUGIN_DIR APIKEY_CONF SERVICE MECH USER KEY_FILE
#
# Prints the server's verdict (the plug-in's log line and the name it
# authenticated) and exits 0 when the server completed the login, 1 when
# it refused, 2 on a usage error. Never prints the key.
set -uo pipefail
[ $# -eq 6 ] || { sed -n 's/^#   //p' "$0" >&2; exit 2; }
plugins=$(cd "$1" && pwd) conf=$2 service=$3 mech=$4 user=$5 keyfile=$6
for p in sasl-sample-server sasl-sample-client script; do
    command -v "$p" >/dev/null || { echo "sasl-login: $p missing (sasl2-bin, util-linux)" >&2; exit 2; }
done
key=$(cat "$keyfile") || exit 2

d=$(mktemp -d "${TMPDIR:-/tmp}/aklogin.XXXXXX")
pids=()
cleanup() {
    [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null
    wait "${pids[@]}" 2>/dev/null
    rm -rf "$d"
}
trap cleanup EXIT
# The sample programs name their SASL application "sample": sample.conf
# is their config, found through SASL_CONF_PATH (they are not setuid).
printf 'apikey_conf: %s\n' "$conf" >"$d/sample.conf"
export SASL_CONF_PATH=$d SASL_PATH=$plugins
mkfifo "$d/s.in" "$d/c.in"
: >"$d/s.out"
: >"$d/c.out"
stdbuf -o0 sasl-sample-server -s "$service" -m "$mech" -p "$plugins" \
    <"$d/s.in" >"$d/s.out" 2>&1 &
spid=$!
pids+=("$spid")
exec 7>"$d/s.in"
script -q -f -c "sasl-sample-client -s $service -m $mech -p $plugins -u $user -a $user" \
    /dev/null <"$d/c.in" >"$d/c.out" 2>&1 &
pids+=($!)
exec 8>"$d/c.in"

# Relay until the server ends or 10 s pass: S: lines to the client, C:
# lines to the server, the key at the client's password prompt.
exec 5< <(exec tail -n +1 -f "$d/s.out")
pids+=($!)
exec 6< <(exec tail -n +1 -f "$d/c.out")
pids+=($!)
verdict=1
for _ in $(seq 1 50); do
    while read -t 0.1 -r l <&5; do
        case $l in
        "S: "*) echo "$l" >&8 ;;
        *"SASL "*": $mech: "*) echo "server: ${l#*SASL }" ;;
        "Negotiation complete"*) verdict=0 ;;
        "Username: "*) echo "server: logged in as ${l#Username: }" ;;
        esac
    done
    while :; do
        read -t 0.1 -r l <&6
        r=$?
        [ -n "$l" ] || break
        case $l in
        "C: "*) echo "${l%$'\r'}" >&7 ;;
        *assword*) printf '%s\n' "$key" >&8 ;;
        esac
        [ $r -eq 0 ] || break
    done
    [ $verdict -eq 0 ] && break
    kill -0 "$spid" 2>/dev/null || break
done
[ $verdict -eq 0 ] && echo "server: login complete" || echo "server: login refused"
exit $verdict
