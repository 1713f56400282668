#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# test_exports.sh - the plug-in exports exactly libsasl2's two entry points
# (common/, libsodium and libldap internals stay hidden inside the host).
set -eu
mod=${1:?usage: $0 libapikey.so}
syms=$(nm -D --defined-only "$mod" | awk '{print $3}' | sort | tr '\n' ' ')
want="sasl_client_plug_init sasl_server_plug_init "
if [ "$syms" != "$want" ]; then
    echo "exported: $syms" >&2
    echo "wanted:   $want" >&2
    exit 1
fi
echo "exports: $syms"
