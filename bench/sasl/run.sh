#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# run.sh - benchmark the SASL plug-in in one long-running process (the way
# slapd or smtpd use it) beside a bare libldap search on kept connections,
# at 1 and 2 threads, against a throwaway harness slapd.
#   bench/sasl/run.sh [BUILD_DIR [ROUNDS [SECONDS [MECH]]]]
#   (default: build, 15 rounds of 0.5 s per mode, APIKEY)
# Each round measures the bare search, ak_verify() called directly, and the
# SASL exchange back to back; sasl/bare is median/median, "paired" the
# median of the per-round ratios (steadier when other processes load the
# machine); sasl/verify is what the plug-in and libsasl2 add.
# Quote medians: the machine is shared and noisy.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
if [ "${1:-}" != --inner ]; then
    build=$(cd "${1:-$top/build}" && pwd)
    exec "$top/tests/ldap/with-slapd.sh" "$here/run.sh" --inner "$build" \
        "${2:-15}" "${3:-0.5}" "${4:-APIKEY}"
fi
build=$2 rounds=$3 secs=$4 mech=$5
for f in "$build/sasl_apikey/libapikey.so" "$build/cli/apikey" \
    "$build/bench/sasl/bench_sasl"; do
    [ -f "$f" ] || { echo "$f missing: build first" >&2; exit 1; }
done

# a key for alice, made as the directory admin would
printf '%s' "$AK_TEST_ROOTPW" >rootpw
chmod 600 rootpw
BENCH_KEY=$("$build/cli/apikey" -c "$AK_TEST_CONF" -D "$AK_TEST_ROOTDN" \
    -y "$PWD/rootpw" create alice 2>/dev/null)
export BENCH_KEY
export AK_SASL_PLUGIN_DIR="$build/sasl_apikey"
echo "slapd $(/usr/sbin/slapd -VV 2>&1 | sed -n 's/.*slapd \([0-9.]*\).*/\1/p' | head -1), $(nproc) CPUs, $(uname -r)"
exec "$build/bench/sasl/bench_sasl" --rounds "$rounds" --seconds "$secs" \
    --mech "$mech"
