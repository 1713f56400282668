#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# check-rpms.sh DIR - the RPMs build-rpm.sh left in DIR put each file at
# its Fedora path (rpm -qlp), as the spec's macros say on this rpm:
# %{_libdir}/security, %{_libdir}/sasl2, %{_unitdir} (Fedora's
# /usr/lib/systemd/system), %{_bindir}, %{_sbindir}, %{_mandir},
# %{_sysconfdir}/apikey, %{_docdir}; the config is %config; %pre makes the
# daemon's user; nothing Debian-only (multiarch dirs, pam-configs, /lib).
set -uo pipefail
dir=$1
ev() { rpm --eval "$1"; }
libdir=$(ev %{_libdir}) bindir=$(ev %{_bindir}) sbindir=$(ev %{_sbindir})
mandir=$(ev %{_mandir}) sysconfdir=$(ev %{_sysconfdir})
datadir=$(ev %{_datadir}) docdir=$(ev %{_defaultdocdir})
unitdir=/usr/lib/systemd/system
fail=0
pkgfile() { ls "$dir/$1"-[0-9]*.rpm 2>/dev/null | head -1; }
want() { # want PACKAGE REGEX...
    local pkg=$1 f list
    shift
    f=$(pkgfile "$pkg")
    [ -n "$f" ] || { echo "not built: $pkg" >&2; fail=1; return; }
    list=$(rpm -qlp "$f")
    for re in "$@"; do
        grep -qE "^$re\$" <<<"$list" || {
            echo "$pkg: nothing matches $re" >&2
            fail=1
        }
    done
}
man='(\.gz|\.bz2|\.xz|\.zst)?'
doc() { echo "$docdir/$1(-[0-9.]+)?"; } # Fedora: name; upstream rpm: name-version
want apikey "$bindir/apikey" "$sbindir/apikey-expiryd" \
    "$unitdir/apikey-expiryd.service" "$sysconfdir/apikey/apikey.conf" \
    "$datadir/apikey/ldap/apikey.ldif" "$datadir/apikey/ldap/apikey-acl.ldif" \
    "$datadir/apikey/ldap/apikey-bounds.ldif" \
    "$mandir/man1/apikey.1$man" "$mandir/man5/apikey.conf.5$man" \
    "$mandir/man8/apikey-expiryd.8$man" \
    "$(doc apikey)/README.md" "$(doc apikey)/docs/architecture.md"
want pam_apikey "$libdir/security/pam_apikey.so" "$mandir/man8/pam_apikey.8$man"
sasl_doc=$(doc cyrus-sasl-apikey)/examples
want cyrus-sasl-apikey "$libdir/sasl2/libapikey.so" \
    "$mandir/man8/sasl_apikey.8$man" "$sasl_doc/smtpd.conf" \
    "$sasl_doc/imapd.conf" "$sasl_doc/slapd.conf" "$sasl_doc/slapd-authz.ldif"
for f in "$dir"/*.rpm; do
    bad=$(rpm -qlp "$f" | grep -E '^/lib/|-linux-gnu/|/pam-configs/' || true)
    [ -z "$bad" ] || { echo "$(basename "$f"): Debian paths: $bad" >&2; fail=1; }
done
a=$(pkgfile apikey)
if [ -n "$a" ]; then
    rpm -qcp "$a" | grep -qx "$sysconfdir/apikey/apikey.conf" ||
        { echo "apikey.conf is not %config" >&2; fail=1; }
    rpm -qp --scripts "$a" | grep -q 'useradd -r .*apikey-expiryd' ||
        { echo "apikey: %pre does not make the apikey-expiryd user" >&2; fail=1; }
fi
[ $fail = 0 ] && echo "ok: $(ls "$dir"/*.rpm | wc -l) RPMs, every file at its path"
exit $fail
