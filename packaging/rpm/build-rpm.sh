#!/bin/bash
# build-rpm.sh - build the RPMs (apikey, pam_apikey, cyrus-sasl-apikey) of
# packaging/rpm/apikey.spec from a tarball of this tree's tracked files (as
# build-deb.sh copies them: uncommitted edits included) into
# packaging/out-rpm/, or into the directory given.
# With Debian's rpm package the spec's BuildRequires are not in the rpm
# database (the build tools are dpkg's): there rpmbuild runs with --nodeps.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/packaging/out-rpm}
command -v rpmbuild >/dev/null || { echo "build-rpm.sh: no rpmbuild" >&2; exit 77; }
version=$(sed -n "s/^Version: *//p" "$top/packaging/rpm/apikey.spec")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/SOURCES" "$work/apikey-$version" "$out"
git -C "$top" ls-files -z | (cd "$top" && xargs -0 cp --parents -t "$work/apikey-$version")
tar -C "$work" -czf "$work/SOURCES/apikey-$version.tar.gz" "apikey-$version"
nodeps=()
if command -v dpkg >/dev/null && ! rpm -q rpm >/dev/null 2>&1; then
    nodeps=(--nodeps)
fi
rpmbuild -bb "${nodeps[@]}" --define "_topdir $work" \
    "$top/packaging/rpm/apikey.spec" >"$work/build.log" 2>&1 ||
    { tail -40 "$work/build.log"; exit 1; }
find "$work/RPMS" -name '*.rpm' -exec mv -t "$out" {} +
ls "$out"/*.rpm
