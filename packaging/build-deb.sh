#!/bin/bash
# build-deb.sh - build the Debian packages (apikey, libpam-apikey,
# libsasl2-modules-apikey) from this tree into packaging/out/.
# debian/ lives in packaging/debian so the source root stays distribution-
# neutral; this script copies the tree and puts it in place.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/packaging/out}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src="$work/apikey-0.1.0"
mkdir -p "$src" "$out"
git -C "$top" ls-files -z | (cd "$top" && xargs -0 cp --parents -t "$src")
cp -r "$top/packaging/debian" "$src/debian"
(cd "$src" && dpkg-buildpackage -b -us -uc -j2 >"$work/build.log" 2>&1) ||
    { tail -40 "$work/build.log"; exit 1; }
mv "$work"/*.deb "$out/"
ls "$out"/*.deb
