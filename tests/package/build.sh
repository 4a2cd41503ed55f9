#!/usr/bin/env bash
# tests/package/build.sh [OUTDIR]: the Debian package, built by
# `dpkg-buildpackage -us -uc -b` from a clean export of the committed tree
# (git archive HEAD: dpkg-buildpackage writes beside and inside debian/,
# never in this checkout), then checked by lintian. The .deb, .buildinfo,
# .changes, lintian's report and the commit built (HEAD) land in OUTDIR
# (default build/package).
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mkdir -p "${1:-$src/build/package}" && cd "${1:-$src/build/package}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! git -C "$src" diff --quiet HEAD -- 2>/dev/null; then
    echo "note: uncommitted changes are not in the package (it is built from HEAD)" >&2
fi
head=$(git -C "$src" rev-parse HEAD)
git -C "$src" archive --format=tar --prefix=xadmit/ "$head" | tar -x -C "$work"
dpkg-checkbuilddeps "$work/xadmit/debian/control"
(
    cd "$work/xadmit"
    DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -us -uc -b
)
rm -f "$out"/xadmit_* "$out"/xadmit-dbgsym_*
cp "$work"/*.deb "$work"/xadmit_*.buildinfo "$work"/xadmit_*.changes "$out/"
echo "$head" >"$out/HEAD"
echo "built $(ls "$out"/xadmit_*.deb)"
# lintian exits non-zero on an error; warnings are listed, and kept
lintian --info --display-info "$out"/xadmit_*.changes | tee "$out/lintian.txt"
