#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The `xen` suite: boots Debian's Xen 4.17 with a Debian dom0 inside QEMU
# (software emulation, two NUMA nodes of 2 CPUs each) twice from one dom0
# image holding the built xadmit, its xadmit-xenguest and a tiny guest:
# the first boot checks xadmit's host and its builds (placement, a split,
# the failure paths: dom0-suite.sh), the second starts the same storm the
# way xenopsd does, then runs xadmit daemon with submit, status, explain
# and cancel. Then one table: each guest's planned nodes and its pages per
# node as Xen counts them, ours beside xenopsd's.
#
# Usage: xen-boot.sh XADMIT_BINARY XADMIT_XENGUEST_BINARY
# Env:   XADMIT_XEN_CACHE (default /var/cache/xadmit-xen-test): downloads and
#        the dom0 root file system, kept between runs
#        XADMIT_XEN_BOOT_TIMEOUT (default 330): seconds each QEMU may run
# Exit:  0 pass, 77 skip (one line says why), 1 fail.
set -Eeuo pipefail
trap 'echo "FAIL: xen-boot.sh:$LINENO: $BASH_COMMAND"; exit 1' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
XADMIT=${1:?usage: xen-boot.sh XADMIT_BINARY XADMIT_XENGUEST_BINARY}
XENGUEST=${2:?usage: xen-boot.sh XADMIT_BINARY XADMIT_XENGUEST_BINARY}
CACHE=${XADMIT_XEN_CACHE:-/var/cache/xadmit-xen-test}
BOOT_TIMEOUT=${XADMIT_XEN_BOOT_TIMEOUT:-330}
NEED_KIB=$((1536 * 1024))   # debootstrap, the root file system and its cpio
T0=$EPOCHREALTIME

skip() { echo "SKIP: $*" >&2; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
stage() { echo "STAGE $1: $(since "$2")s"; }

[ "$(id -u)" -eq 0 ] || skip "not root (debootstrap, chroot and apt-get need it)"
[ -x "$XADMIT" ] || fail "no xadmit binary at $XADMIT"
[ -x "$XENGUEST" ] || skip "no $XENGUEST: xadmit was built without libxen-dev"
mkdir -p "$CACHE/debs"
# one run at a time: two would write the same dom0 image and serial logs
exec 9> "$CACHE/lock"
flock 9
rm -rf "$CACHE"/tmp.*   # what a run stopped halfway left behind
avail=$(df --output=avail -k "$CACHE" | tail -1)
[ "$avail" -ge "$NEED_KIB" ] || skip "no space: $CACHE has $((avail / 1024)) MiB free, needs 1.5 GiB"

apt_updated=
apt_update() { [ -n "$apt_updated" ] || apt-get update -qq >&2; apt_updated=1; }

# The host's tools: installed once, then found on the PATH.
host_tools() {
  local t; t=$EPOCHREALTIME
  if ! command -v qemu-system-x86_64 >/dev/null || ! command -v debootstrap >/dev/null ||
     ! command -v cpio >/dev/null || ! command -v xz >/dev/null; then
    { apt_update && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        qemu-system-x86 debootstrap cpio xz-utils >/dev/null; } || skip "QEMU not installable (apt-get install failed)"
  fi
  command -v qemu-system-x86_64 >/dev/null || skip "QEMU not installable (no qemu-system-x86_64)"
  stage host-tools "$t"
}

# The hypervisor of the Xen release the host's libraries come from, so that
# the dom0 tools and the binary built here speak to the same Xen.
xen_version() {
  local v
  v=$(dpkg-query -W -f='${Version}' libxen-dev 2>/dev/null || true)
  [ -n "$v" ] || v=$(dpkg-query -W -f='${Version}' libxenctrl4.17 2>/dev/null || true)
  [ -n "$v" ] || v=$(apt-cache policy xen-hypervisor-4.17-amd64 | sed -n 's/^ *Candidate: //p')
  [ -n "$v" ] && [ "$v" != "(none)" ] || fail "cannot tell which Xen 4.17 to boot"
  echo "$v"
}

# Unpacks PACKAGE=VERSION into DIR, downloading it once: the .deb stays in
# the cache under the name apt-get gives it.
unpack() {
  local pkg=$1 ver=$2 dir=$3 deb
  deb="$CACHE/debs/${pkg}_${ver//:/%3a}_amd64.deb"
  if [ ! -s "$deb" ]; then
    apt_update
    (cd "$CACHE/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >/dev/null) ||
      fail "cannot download $pkg=$ver"
  fi
  dpkg-deb -x "$deb" "$dir"
}

vmlinux() {  # BZIMAGE: the ELF kernel inside it (Debian's are xz-compressed)
  local off
  off=$(LC_ALL=C grep -abo $'\xfd7zXZ' "$1" | awk -F: 'NR == 1 { print $1 }')
  [ -n "$off" ] || fail "no xz stream in $1"
  # xz stops at the stream's end, and tail may then die of SIGPIPE
  { tail -c +$((off + 1)) "$1" || true; } | xz -dc --single-stream
}

kernel_dependency() {
  apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

boot_files() {
  local t xver kpkg kver d k
  t=$EPOCHREALTIME
  xver=$(xen_version)
  # the kernel linux-image-amd64 depends on today: never a pinned version
  kpkg=$(kernel_dependency)
  [ -n "$kpkg" ] || { apt_update; kpkg=$(kernel_dependency); }
  [ -n "$kpkg" ] || fail "linux-image-amd64 depends on no kernel"
  kver=$(apt-cache policy "$kpkg" | sed -n 's/^ *Candidate: //p')
  XEN_DIR="$CACHE/xen-$xver"
  KERNEL_DIR="$CACHE/$kpkg-$kver"
  if [ ! -s "$XEN_DIR/xen.elf" ]; then
    d=$(mktemp -d "$CACHE/tmp.XXXXXX")
    unpack xen-hypervisor-4.17-amd64 "$xver" "$d"
    mkdir -p "$XEN_DIR"
    # QEMU's multiboot loader takes the plain ELF, not Debian's .gz
    zcat "$d"/boot/xen-4.17-amd64.gz > "$XEN_DIR/xen.elf.part" && mv "$XEN_DIR/xen.elf.part" "$XEN_DIR/xen.elf"
    rm -rf "$d"
  fi
  if [ ! -d "$KERNEL_DIR/lib" ]; then
    d=$(mktemp -d "$CACHE/tmp.XXXXXX")
    unpack "$kpkg" "$kver" "$d"
    # the kernel and the only modules dom0 loads: xenfs, evtchn, gntdev, privcmd
    k=$(ls "$d/lib/modules")
    mkdir -p "$d/keep/lib/modules/$k/kernel/drivers"
    cp "$d"/boot/vmlinuz-* "$d/keep/vmlinuz"
    mv "$d/lib/modules/$k/kernel/drivers/xen" "$d/keep/lib/modules/$k/kernel/drivers/"
    mv "$d/lib/modules/$k"/modules.{order,builtin,builtin.modinfo} "$d/keep/lib/modules/$k/"
    rm -rf "$KERNEL_DIR" && mv "$d/keep" "$KERNEL_DIR" && rm -rf "$d"
  fi
  if [ ! -s "$KERNEL_DIR/vmlinux" ]; then
    # the guests' kernel, uncompressed: libxenguest unpacks an xz bzImage
    # in dom0, seconds per guest under software emulation
    vmlinux "$KERNEL_DIR/vmlinuz" > "$KERNEL_DIR/vmlinux.part" && mv "$KERNEL_DIR/vmlinux.part" "$KERNEL_DIR/vmlinux"
  fi
  XEN_VERSION=$xver
  stage "boot-files (xen $xver, $kpkg $kver)" "$t"
}

# The Debian packages holding the libraries the built binaries link.
library_packages() {
  local libs
  libs=$(ldd "$XADMIT" "$XENGUEST" | awk '$3 ~ /^\// { print $3 }' | sort -u)
  # under both names: dpkg knows each by the path its package ships
  { dpkg -S $libs $(readlink -f $libs) 2>/dev/null || true; } |
    cut -d: -f1 | sort -u | tr '\n' ',' | sed 's/,$//'
}

apt_mirror() {  # the first URI of this host's apt sources whose path ends as $1
  { cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
    grep -oE "https?://[^ ]*$1/?( |$)" | head -1 | tr -d ' '
}

# debootstrap minbase with the Xen tools, updated to the hypervisor's point
# release (bookworm's main has an older one), with sqlite3 (the checks read
# the ledger) and the Xen kernel modules, packed once as a cpio: each run
# appends only its own archive.
root_cpio() {
  local t pkgs key mirror security d k
  t=$EPOCHREALTIME
  pkgs="xen-utils-4.17,xenstore-utils,kmod,sqlite3,$(library_packages)"
  k=$(ls "$KERNEL_DIR/lib/modules")
  key=$(echo "$pkgs $XEN_VERSION $k" | sha256sum | cut -c1-16)
  ROOT_CPIO="$CACHE/root-$key.cpio"
  if [ ! -s "$ROOT_CPIO" ]; then
    mirror=$(apt_mirror '/debian')
    security=$(apt_mirror '/debian-security')
    [ -n "$mirror" ] && [ -n "$security" ] || fail "no Debian mirror in this host's apt sources"
    d=$(mktemp -d "$CACHE/tmp.XXXXXX")
    debootstrap --variant=minbase --include="$pkgs" bookworm "$d/root" "$mirror" > "$CACHE/debootstrap.log" 2>&1 ||
      fail "debootstrap failed (see $CACHE/debootstrap.log)"
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
      "$mirror" "$mirror" "$security" > "$d/root/etc/apt/sources.list"
    cp /etc/resolv.conf "$d/root/etc/resolv.conf"
    { chroot "$d/root" apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive chroot "$d/root" apt-get -y -q -o Dpkg::Options::=--force-confold upgrade
    } >> "$CACHE/debootstrap.log" 2>&1 || fail "cannot upgrade the root file system (see $CACHE/debootstrap.log)"
    chroot "$d/root" apt-get clean
    rm -rf "$d"/root/var/lib/apt/lists/* "$d"/root/usr/share/{doc,man,info,locale}
    cp -a "$KERNEL_DIR/lib/modules" "$d/root/lib/"
    chroot "$d/root" depmod "$k"
    (cd "$d/root" && find . -print0 | cpio -o -0 -H newc --quiet) > "$ROOT_CPIO.part"
    mv "$ROOT_CPIO.part" "$ROOT_CPIO"
    rm -rf "$d"
  fi
  stage "root-cpio ($(du -m "$ROOT_CPIO" | cut -f1) MiB)" "$t"
}

# The cached root, then /init, the checks, the binaries under test and the
# tiny guest (the dom0 kernel and a one-binary initramfs): the kernel unpacks
# concatenated archives in order. Uncompressed, as gunzip is slow under TCG.
dom0_cpio() {
  local t top
  t=$EPOCHREALTIME
  top=$(mktemp -d)
  install -m755 "$HERE/dom0-init.sh" "$top/init"
  install -D -m644 -t "$top/test" "$HERE/dom0-lib.sh" "$HERE/dom0-suite.sh"
  install -D -m755 "$XADMIT" "$top/usr/local/bin/xadmit"
  install -D -m755 "$XENGUEST" "$top/usr/local/libexec/xadmit-xenguest"
  cp "$KERNEL_DIR/vmlinux" "$top/test/vmlinux"
  mkdir "$top/guest"
  ${CC:-cc} -static -nostdlib -fno-stack-protector -Os -o "$top/guest/init" "$HERE/guest-init.c"
  (cd "$top/guest" && echo init | cpio -o -H newc --quiet) > "$top/test/guest.cpio"
  rm -r "$top/guest"
  DOM0_CPIO="$CACHE/dom0.cpio"
  { cat "$ROOT_CPIO"; (cd "$top" && find . -print0 | cpio -o -0 -H newc --quiet); } > "$DOM0_CPIO"
  rm -rf "$top"
  stage dom0-cpio "$t"
}

stamp() {  # each line with the seconds since $1
  local line
  while IFS= read -r line; do printf '[%6s] %s\n' "$(since "$1")" "$line"; done
}

boot() {  # MODE: one boot of the hypervisor, dom0 running the checks of MODE
  local mode=$1 t log pid
  t=$EPOCHREALTIME
  log="$CACHE/serial-$mode.log"
  : > "$log"
  # -smap: QEMU 7.2's TCG checks SMAP on IRET's stack reads, so PV dom0
  # crashes at its first return to user mode. -fsgsbase: with it, PV
  # processes (in dom0 and in guests) died now and then reading
  # thread-local storage; without it fewer do (the boot says when).
  # conring_size: the ring holds the boot messages and the 'u' tables that
  # xadmit and the checks read.
  timeout "$BOOT_TIMEOUT" qemu-system-x86_64 -machine q35,accel=tcg -cpu max,-smap,-fsgsbase \
    -m 4096 -smp 4 \
    -object memory-backend-ram,id=m0,size=2048M -object memory-backend-ram,id=m1,size=2048M \
    -numa node,nodeid=0,memdev=m0,cpus=0-1 -numa node,nodeid=1,memdev=m1,cpus=2-3 \
    -numa dist,src=0,dst=1,val=20 \
    -nographic -no-reboot -display none -monitor none -serial stdio -net none \
    -kernel "$XEN_DIR/xen.elf" \
    -append "console=com1 com1=115200,8n1 conring_size=4M dom0_mem=1024M,max:1024M dom0_max_vcpus=2 loglvl=all noreboot" \
    -initrd "$KERNEL_DIR/vmlinuz console=hvc0 earlyprintk=xen panic=-1 loglevel=4 xadmit_suite=$mode,$DOM0_CPIO" \
    < /dev/null > >(stamp "$t" > "$log") 2>&1 &
  pid=$!   # timeout's: it passes a SIGTERM on to QEMU
  # dom0 powers off after its last marker (`timeout` bounds a wedged one),
  # but a crash never does: stop QEMU then.
  while kill -0 "$pid" 2>/dev/null; do
    grep -qE 'XADMIT_XEN_(PASS|FAIL)' "$log" && break
    if grep -qE 'Kernel panic|Hardware Dom0 (crashed|halted)' "$log"; then
      kill "$pid" 2>/dev/null || true
      break
    fi
    sleep 1
  done
  wait "$pid" 2>/dev/null || true
  stage "boot-$mode (serial log $log)" "$t"
  grep -E 'XADMIT_XEN_|XEN_JSON' "$log" | grep -v XADMIT_XEN_ROW | sed 's/^\[ *[0-9.]*\] //' || true
  # said, not failed: a check that a crash broke fails on its own
  grep -E 'Segmentation fault|Aborted|segfault at' "$log" | sed 's/^/NOTE: a process crashed in dom0: /' || true
  grep -q 'XADMIT_XEN_PASS' "$log" && return 0
  grep -E 'Kernel panic|Hardware Dom0|FATAL' "$log" | head -5 || true
  echo "FAIL: boot $mode: see the dom0 checks above and $log"
  return 1
}

# One line per guest and policy, the storm's guests ours beside xenopsd's,
# then the split VM: the planned nodes and the MiB per node of Xen's own
# page counts (the failure paths' rows are in the dom0 checks above).
table() {
  echo "guest   policy    planned  node 0 MiB  node 1 MiB   (Xen's 'u' table)"
  sed -n 's/^\[ *[0-9.]*\] XADMIT_XEN_ROW \(batch\|xenopsd\|split\) /\1 /p' "$CACHE"/serial-{ours,xenopsd}.log |
    awk '{ print ($1 == "split"), $2, ($1 != "batch"), $0 }' | sort -k1,1n -k2,2 -k3,3n | cut -d' ' -f4- |
    awk '{ printf "%-7s %-9s %-8s %10s  %10s\n", $2, $1, $3, $4, $5 }'
  sed -n 's/^\[ *[0-9.]*\] XADMIT_XEN_SPILL \(batch\|xenopsd\) \(.*\)/spilled (\1): \2/p' "$CACHE"/serial-{ours,xenopsd}.log
}

host_tools
boot_files
root_cpio
dom0_cpio
ok=1
boot ours || ok=0
boot xenopsd || ok=0
table
[ "$ok" -eq 1 ] || fail "(total $(since "$T0")s)"
echo "PASS: xadmit built guests on Xen where it planned them (total $(since "$T0")s)"
