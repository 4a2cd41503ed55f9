#!/usr/bin/env bash
# The built .deb in a clean Debian 12 chroot (debootstrap, minbase): apt
# installs it with its dependencies, no service starts (policy-rc.d says
# 101), and there xadmit plans a shipped example as the build tree's xadmit
# does; its man pages, completion, unit and group are there.
# test-deb-chroot.sh SOURCE_ROOT BUILD_ROOT XADMIT
#
# The package is build/package's if built from HEAD (tests/package/build.sh
# notes which commit), else built now. The minbase tree and apt's downloads
# are kept in build/package/chroot-cache, so a rerun takes seconds; the
# chroot itself is new each run.
set -euo pipefail

src=$1 build=$2 xadmit=$3
mirror=${XADMIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: not root (debootstrap and chroot need it)"
    exit 77
fi
if ! command -v debootstrap >/dev/null; then
    echo "SKIP: no debootstrap (.ci/run installs it)"
    exit 77
fi
if ! getent hosts "$(sed 's|^[a-z]*://\([^/:]*\).*|\1|' <<<"$mirror")" >/dev/null; then
    echo "SKIP: no network: $mirror cannot be resolved"
    exit 77
fi

out=$build/package
cache=$out/chroot-cache
head=$(git -C "$src" rev-parse HEAD)
if [ "$(cat "$out/HEAD" 2>/dev/null)" != "$head" ]; then
    "$src/tests/package/build.sh" "$out" >"$out.log" 2>&1 || { tail -n 40 "$out.log"; exit 1; }
fi
deb=$(ls "$out"/xadmit_*.deb)

mkdir -p "$cache/archives/partial"
if [ ! -f "$cache/minbase.tar" ]; then
    rm -rf "$cache/minbase"
    debootstrap --variant=minbase bookworm "$cache/minbase" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
        { tail -n 20 "$cache/debootstrap.log"; exit 1; }
    tar -C "$cache/minbase" -cf "$cache/minbase.tar.part" . && mv "$cache/minbase.tar.part" "$cache/minbase.tar"
    rm -rf "$cache/minbase"
fi

root=$(mktemp -d "$build/package/chroot.XXXXXX")
cleanup() {
    umount "$root/var/cache/apt/archives" 2>/dev/null || true
    umount "$root/proc" 2>/dev/null || true
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT
tar -C "$root" -xf "$cache/minbase.tar"
mount -t proc proc "$root/proc"
mount --bind "$cache/archives" "$root/var/cache/apt/archives"
# as a Debian 12 system has them: the package's Xen libraries come from the
# point releases and security updates its build host had
cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${XADMIT_DEBIAN_SECURITY_MIRROR:-$mirror-security} bookworm-security main
SOURCES
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
cp "$deb" "$root/tmp/"
chroot "$root" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends /tmp/$(basename "$deb")" >"$root.apt.log" 2>&1 ||
    { tail -n 30 "$root.apt.log"; rm -f "$root.apt.log"; exit 1; }
rm -f "$root.apt.log"

failed=0
fail() {
    echo "FAIL: $*"
    failed=1
}
examples=/usr/share/doc/xadmit/examples
# the packaged xadmit plans a shipped example as the build tree's does
args=(plan --host "sim:$examples/hosts/8node.json" "$examples/manifests/demo.json")
# all but the time planning took
untimed() { sed 's/; planning took .*//'; }
packaged=$(chroot "$root" xadmit "${args[@]}" | untimed) || fail "xadmit plan in the chroot"
built=$("$xadmit" plan --host "sim:$src/data/hosts/8node.json" "$src/data/manifests/demo.json" |
    untimed)
[ "$packaged" = "$built" ] || fail "xadmit plan in the chroot printed something else: $packaged"
grep -q '^24 planned (24 on one node, 0 split), 0 deferred, 0 rejected$' <<<"$packaged" || fail "xadmit plan did not plan the demo's 24 VMs"
for f in /usr/share/man/man1/xadmit.1.gz /usr/share/man/man1/xadmit-daemon.1.gz \
    /usr/share/bash-completion/completions/xadmit /lib/systemd/system/xadmit.service \
    /usr/libexec/xadmit-xenguest /lib/systemd/system/xadmit.service; do
    [ -e "$root$f" ] || fail "$f is not installed"
done
# the default configuration, once the tree has one, is a conffile
if [ -f "$src/data/xadmit.conf" ]; then
    grep -qx /etc/xadmit/xadmit.conf "$root/var/lib/dpkg/info/xadmit.conffiles" ||
        fail "/etc/xadmit/xadmit.conf is not a conffile"
fi
chroot "$root" getent group xadmit >/dev/null || fail "no xadmit group"
# enabled by the package, but not started: policy-rc.d refused it
[ -L "$root/etc/systemd/system/multi-user.target.wants/xadmit.service" ] ||
    fail "xadmit.service is not enabled"
[ $failed -eq 0 ] && echo "ok: $(basename "$deb") installs in a bookworm chroot and plans there"
exit $failed
