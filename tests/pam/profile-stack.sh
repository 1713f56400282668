#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# profile-stack.sh PROFILE OUTDIR - write the common-auth and common-account
# that Debian's pam-auth-update makes from PROFILE (packaging/pam-configs/
# apikey) and the system's pam_unix profile, after
# "pam-auth-update --enable apikey", into OUTDIR. It runs the real
# pam-auth-update in a throwaway root (--root) with a private debconf
# database, so neither /etc/pam.d nor the system's debconf answers are
# touched. Exit 77 when pam-auth-update or the pam_unix profile is missing
# (not Debian); 1 when pam-auth-update fails or leaves pam_apikey out.
set -eu
profile=$1 out=$2
unix=/usr/share/pam-configs/unix
command -v pam-auth-update >/dev/null 2>&1 || exit 77
[ -r "$unix" ] || exit 77
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc/pam.d" "$root/var/lib/pam" "$root/usr/share/pam-configs" \
    "$root/debconf" "$out"
cp "$unix" "$root/usr/share/pam-configs/unix"
cp "$profile" "$root/usr/share/pam-configs/apikey"
cat >"$root/debconf.conf" <<EOF
Config: configdb
Templates: templatedb

Name: configdb
Driver: File
Filename: $root/debconf/config.dat

Name: templatedb
Driver: File
Mode: 644
Filename: $root/debconf/templates.dat
EOF
export DEBCONF_SYSTEMRC="$root/debconf.conf" DEBIAN_FRONTEND=noninteractive
# The first run writes the default files (pam_unix only: the profile is
# Default: no), as on a fresh system; the second is what the admin runs.
pam-auth-update --root "$root" --force >"$root/log" 2>&1 &&
    pam-auth-update --root "$root" --enable apikey >>"$root/log" 2>&1 || {
    cat "$root/log" >&2
    exit 1
}
if [ -s "$root/log" ]; then
    echo "pam-auth-update said:" >&2
    cat "$root/log" >&2
    exit 1
fi
for f in common-auth common-account; do
    grep -q 'pam_apikey\.so' "$root/etc/pam.d/$f" || {
        echo "pam-auth-update left pam_apikey out of $f:" >&2
        cat "$root/etc/pam.d/$f" >&2
        exit 1
    }
    cp "$root/etc/pam.d/$f" "$out/$f"
done
