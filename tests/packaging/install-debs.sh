#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# install-debs.sh DEBDIR - install the built apikey, libpam-apikey and
# libsasl2-modules-apikey .debs on this machine (root), check that each
# host finds its piece, then purge them and leave the system as it was:
#   - /etc/pam.d is byte-identical before and after installing, changes
#     only with "pam-auth-update --enable apikey", and is byte-identical
#     again after the purge (the prerm's pam-auth-update --remove);
#   - Linux-PAM loads pam_apikey.so by its plain name from its module
#     directory (a service in a private directory, pam_start_confdir(3):
#     no file in /etc/pam.d), and ldd finds every library;
#   - libsasl2 lists the plug-in's mechanisms (saslpluginviewer);
#   - man finds every page; systemd-analyze verify accepts the unit;
#   - postinst made the daemon's system user.
# What the packages leave by design is put back by this script: the
# apikey-expiryd user (Debian keeps system users on purge) and
# /var/lib/pam (pam-auth-update remembers profiles it has seen).
# Prints one "ok N - ..." / "not ok N - ..." line per check (TAP); exit 0
# when all passed, 1 otherwise, 77 when it cannot run here (not root, no
# dpkg, or the packages or /etc/apikey are already on the machine: it
# never touches an installation it did not make).
set -uo pipefail
debdir=$(cd "$1" && pwd)
pkgs=(apikey libpam-apikey libsasl2-modules-apikey)
skip() { echo "1..0 # skip $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "not root"
command -v dpkg >/dev/null || skip "no dpkg"
# One at a time on a machine (two test runs from two worktrees).
exec 9>/run/lock/apikey-install-debs.lock
flock -w 900 9 || skip "another install-debs.sh has run for 15 minutes"
for p in "${pkgs[@]}"; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || st=
    case $st in "" | *not-installed) ;; *) skip "$p is on this machine ($st)" ;; esac
    ls "$debdir/${p}_"*.deb >/dev/null 2>&1 || skip "no $p .deb in $debdir"
done
[ -e /etc/apikey ] && skip "/etc/apikey exists"

work=$(mktemp -d)
n=0 failed=0
check() { # check NAME COMMAND...: run it, print its TAP line
    local name=$1
    shift
    n=$((n + 1))
    if "$@" >"$work/out" 2>&1; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"
        sed 's/^/# /' "$work/out"
        failed=$((failed + 1))
    fi
}

# The state to come back to.
cp -a /etc/pam.d "$work/pam.d.before"
cp -a /var/lib/pam "$work/varlibpam.before"
had_user=0
getent passwd apikey-expiryd >/dev/null && had_user=1
getent group apikey-expiryd >/dev/null && had_user=1
installed=0
cleanup() {
    if [ $installed = 1 ]; then
        DEBIAN_FRONTEND=noninteractive dpkg --purge "${pkgs[@]}" >/dev/null 2>&1
    fi
    # Never leave /etc/pam.d changed, whatever failed above.
    if ! diff -r --no-dereference "$work/pam.d.before" /etc/pam.d >/dev/null 2>&1; then
        echo "# restoring /etc/pam.d from the copy made before installing"
        rm -rf /etc/pam.d && cp -a "$work/pam.d.before" /etc/pam.d
    fi
    if ! diff -r "$work/varlibpam.before" /var/lib/pam >/dev/null 2>&1; then
        echo "# restoring /var/lib/pam (pam-auth-update's memory of profiles)"
        rm -rf /var/lib/pam && cp -a "$work/varlibpam.before" /var/lib/pam
    fi
    if [ $had_user = 0 ]; then
        getent passwd apikey-expiryd >/dev/null && userdel apikey-expiryd
        getent group apikey-expiryd >/dev/null && groupdel apikey-expiryd
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Linux-PAM's module directory: where libpam-modules put pam_unix.so.
securedir=$(dirname "$(dpkg -L libpam-modules | grep '/pam_unix\.so$' | head -1)")
# A PAM application that reads its service from a private directory.
cat >"$work/pamload.c" <<'EOF'
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int conv(int n, const struct pam_message **m, struct pam_response **r,
                void *d)
{
    (void)m; (void)d;
    *r = calloc((size_t)n, sizeof(**r));
    for (int i = 0; i < n && *r; i++)
        (*r)[i].resp = strdup("a password, not an API key");
    return *r ? PAM_SUCCESS : PAM_BUF_ERR;
}
int main(int argc, char **argv)
{
    struct pam_conv c = {conv, NULL};
    pam_handle_t *h = NULL;
    int rc;
    if (argc != 3)
        return 2;
    rc = pam_start_confdir(argv[1], "nobody", &c, argv[2], &h);
    if (rc != PAM_SUCCESS)
        return 3;
    rc = pam_authenticate(h, PAM_SILENT);
    printf("%s: %s\n", argv[1], pam_strerror(h, rc));
    pam_end(h, rc);
    return rc == PAM_SUCCESS ? 0 : 1;
}
EOF
mkdir -p "$work/svc"
# pam_apikey with ignore_non_keys answers PAM_IGNORE to a password without
# reading a file: the stack succeeds only if libpam loaded and ran it (a
# module it cannot load fails a "required" line).
printf 'auth required pam_apikey.so ignore_non_keys\nauth required pam_permit.so\n' \
    >"$work/svc/apikey-load"
printf 'auth required pam_apikey_missing.so ignore_non_keys\nauth required pam_permit.so\n' \
    >"$work/svc/apikey-missing"
pamload_ok=0
gcc -o "$work/pamload" "$work/pamload.c" -lpam >"$work/gcc.log" 2>&1 && pamload_ok=1

sasl_mechs() { saslpluginviewer 2>&1 | tr -s ' \t' '\n\n'; }
has_mechs() { # has_mechs yes|no: APIKEY, OAUTHBEARER, XOAUTH2 listed or not
    local out m
    out=$(sasl_mechs)
    for m in APIKEY OAUTHBEARER XOAUTH2; do
        if grep -qx "$m" <<<"$out"; then [ "$1" = yes ] || return 1
        else [ "$1" = no ] || { echo "saslpluginviewer lists no $m"; return 1; }; fi
    done
}
pages=(apikey apikey.conf pam_apikey sasl_apikey apikey-expiryd)
man_finds() { # every page resolves to a file of ours
    local p f
    for p in "${pages[@]}"; do
        f=$(man -w "$p") || { echo "man -w $p: not found"; return 1; }
        dpkg -S "$f" | grep -q '^\(apikey\|libpam-apikey\|libsasl2-modules-apikey\):' ||
            { echo "man -w $p: $f is not ours"; return 1; }
    done
}
man_finds_none() {
    local p
    for p in "${pages[@]}"; do
        ! man -w "$p" >/dev/null 2>&1 || { echo "man -w $p before install"; return 1; }
    done
}
pamd_same() { diff -r --no-dereference "$work/pam.d.before" /etc/pam.d; }

# --- before: nothing of ours is found (the checks below can fail) ------
check "before install: libsasl2 lists none of the mechanisms" has_mechs no
check "before install: man finds none of the pages" man_finds_none
check "before install: libpam cannot load pam_apikey.so" \
    bash -c "[ $pamload_ok = 1 ] && ! '$work/pamload' apikey-load '$work/svc'"

# --- install -------------------------------------------------------------
debs=()
for p in "${pkgs[@]}"; do debs+=("$(ls "$debdir/${p}_"*.deb | grep -v dbgsym | head -1)"); done
installed=1
check "dpkg -i the three packages" \
    env DEBIAN_FRONTEND=noninteractive dpkg -i "${debs[@]}"
check "/etc/pam.d byte-identical after install" pamd_same
check "postinst made the system user apikey-expiryd" \
    bash -c 'getent passwd apikey-expiryd | grep -q ":/var/lib/apikey-expiryd:/usr/sbin/nologin$" && getent group apikey-expiryd >/dev/null'
check "pam_apikey.so in libpam's module directory $securedir, ldd finds every library" \
    bash -c "[ -f '$securedir/pam_apikey.so' ] && ldd '$securedir/pam_apikey.so' && ! ldd '$securedir/pam_apikey.so' | grep -q 'not found'"
check "Linux-PAM loads pam_apikey.so by name (and refuses a missing module)" \
    bash -c "[ $pamload_ok = 1 ] && '$work/pamload' apikey-load '$work/svc' && ! '$work/pamload' apikey-missing '$work/svc'"
check "libsasl2 lists APIKEY, OAUTHBEARER, XOAUTH2 (saslpluginviewer)" has_mechs yes
check "man -w finds ${pages[*]}" man_finds
unit=$(dpkg -L apikey | grep '/apikey-expiryd\.service$' | head -1)
if command -v systemd-analyze >/dev/null; then
    check "systemd-analyze verify accepts $unit" \
        bash -c "out=\$(systemd-analyze verify '$unit' 2>&1); echo \"\$out\"; ! grep -q . <<<\"\$out\""
else
    n=$((n + 1)); echo "ok $n - systemd-analyze verify # skip no systemd-analyze"
fi
check "the unit is installed, not enabled" \
    bash -c "[ ! -e /etc/systemd/system/multi-user.target.wants/apikey-expiryd.service ]"

# --- pam-auth-update -----------------------------------------------------
check "pam-auth-update --enable apikey changes common-auth and common-account" \
    bash -c "DEBIAN_FRONTEND=noninteractive pam-auth-update --enable apikey &&
        ! diff -q '$work/pam.d.before/common-auth' /etc/pam.d/common-auth &&
        grep -q 'default=die.*pam_apikey\\.so ignore_non_keys' /etc/pam.d/common-auth &&
        grep -q 'required.*pam_apikey\\.so' /etc/pam.d/common-account &&
        diff -r '$work/pam.d.before' /etc/pam.d | grep '^[<>]'"

# --- purge -----------------------------------------------------------------
check "dpkg --purge the three packages" \
    env DEBIAN_FRONTEND=noninteractive dpkg --purge "${pkgs[@]}"
installed=0
check "/etc/pam.d byte-identical after the purge" pamd_same
check "nothing left: packages, /etc/apikey, the module, the plug-in, the pages" \
    bash -c "! dpkg-query -W -f='\${Status}\\n' ${pkgs[*]} 2>/dev/null | grep -qv not-installed && [ ! -e /etc/apikey ] &&
        [ ! -e '$securedir/pam_apikey.so' ] && ! saslpluginviewer 2>&1 | grep -qw APIKEY &&
        ! man -w apikey >/dev/null 2>&1"
echo "1..$n"
[ $failed -eq 0 ]
