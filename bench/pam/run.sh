#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# run.sh - benchmark pam_apikey beside a bare libldap baseline, over
# ldap:// and ldapi://, against a throwaway harness slapd; prints auth/s,
# p50/p99, the ratios and LDAP operations per authentication.
#   bench/pam/run.sh [BUILD_DIR [N]]     (default: build, 2000)
# Quote medians: the machine is shared and noisy.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
if [ "${1:-}" != --inner ]; then
    build=$(cd "${1:-$top/build}" && pwd)
    exec "$top/tests/ldap/with-slapd.sh" "$here/run.sh" --inner "$build" \
        "${2:-2000}"
fi
build=$2 n=$3
module=$build/pam_apikey/pam_apikey.so
wrapper=$(pkg-config --variable=modules pam_wrapper 2>/dev/null || true)
wrapper=${wrapper%/pam_wrapper}/libpam_wrapper.so
[ -f "$wrapper" ] || { echo "pam_wrapper missing" >&2; exit 77; }
for f in "$module" "$build/cli/apikey" "$build/bench/pam/bench_pam"; do
    [ -x "$f" ] || [ -f "$f" ] || { echo "$f missing: build first" >&2; exit 1; }
done

# a key for alice, made as the directory admin would
printf '%s' "$AK_TEST_ROOTPW" >rootpw
chmod 600 rootpw
BENCH_KEY=$("$build/cli/apikey" -c "$AK_TEST_CONF" -D "$AK_TEST_ROOTDN" \
    -y "$PWD/rootpw" create alice 2>/dev/null)
BENCH_KEY_ID=$(printf '%s' "$BENCH_KEY" | cut -d_ -f2)
export BENCH_KEY BENCH_KEY_ID

# the same verifier config over ldapi://
sed "s|^uri .*|uri $AK_TEST_LDAPI|" "$AK_TEST_CONF" >"$PWD/apikey-ldapi.conf"
chmod 644 "$PWD/apikey-ldapi.conf"
mkdir -p pam.d
echo "auth required $module config=$AK_TEST_CONF" >pam.d/bench-ldap
echo "auth required $module config=$PWD/apikey-ldapi.conf" >pam.d/bench-ldapi
echo "auth required pam_permit.so" >pam.d/bench-permit
echo "auth required pam_deny.so" >pam.d/other

echo "pam_apikey benchmark: $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
LD_PRELOAD=$wrapper PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$PWD/pam.d \
    "$build/bench/pam/bench_pam" "$n"
