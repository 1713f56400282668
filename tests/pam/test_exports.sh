#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# test_exports.sh - pam_apikey.so exports exactly libpam's four entry points
# (pam-u2f dlsym_check): common/, libsodium and libldap stay private, so a
# host that loads several modules sees no clashing ak_* symbols.
set -eu
mod=$1
got=$(nm -D --defined-only "$mod" | awk '{print $3}' | sort | tr '\n' ' ')
want="pam_sm_acct_mgmt pam_sm_authenticate pam_sm_chauthtok pam_sm_setcred "
if [ "$got" != "$want" ]; then
    echo "exported: $got" >&2
    echo "expected: $want" >&2
    exit 1
fi
# It links libpam itself (no reliance on the host for pam_syslog & co.).
readelf -d "$mod" | grep -q 'NEEDED.*libpam\.so' || {
    echo "pam_apikey.so does not link libpam" >&2
    exit 1
}
# Resident once loaded (-z nodelete): see pam_apikey/meson.build.
readelf -d "$mod" | grep -q 'FLAGS_1.*NODELETE' || {
    echo "pam_apikey.so is not linked with -z nodelete" >&2
    exit 1
}
echo "ok: exports are $got"
