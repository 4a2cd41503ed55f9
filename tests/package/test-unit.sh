#!/usr/bin/env bash
# `meson install --destdir DIR`, then `systemd-analyze verify --root=DIR` of
# the installed xadmit.service: its syntax, its options, that its ExecStart
# exists under DIR and that its man pages (Documentation=) are there.
# test-unit.sh BUILD_ROOT
set -euo pipefail

build=$1
if ! command -v systemd-analyze >/dev/null; then
    echo "SKIP: no systemd-analyze (Debian's systemd package)"
    exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
meson install -C "$build" --destdir "$dir" --no-rebuild --quiet >/dev/null
unit=$(find "$dir" -name xadmit.service -path '*/systemd/system/*')
units=$(dirname "$unit")
# What every system has and the unit leans on: the targets its default
# dependencies name, and kill for ExecReload.
for target in sysinit basic multi-user shutdown; do
    cp "/lib/systemd/system/$target.target" "$units/"
done
mkdir -p "$dir/bin"
cp /bin/kill "$dir/bin/"
# Documentation= is checked against the pages installed, if built (help2man)
page=$(find "$dir" -name xadmit.1 -path '*/man1/*' | head -n 1)
if [ -n "$page" ]; then
    MANPATH=$(dirname "$(dirname "$page")") systemd-analyze verify --root="$dir" "$unit"
else
    systemd-analyze verify --man=no --root="$dir" "$unit"
fi
echo "ok: ${unit#"$dir"} verifies under systemd $(systemd-analyze --version | sed -n '1s/[^0-9]*\([0-9]*\).*/\1/p')"
