#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# /init of the xen suite's dom0: starts what xl and the guests need
# (xenstored, dom0's entries, xenconsoled), checks `xadmit host --host xen
# --json`, then runs the checks of the mode the kernel command line names
# (xadmit_suite=ours|xenopsd, see dom0-suite.sh), prints XADMIT_XEN_*
# markers for xen-boot.sh, and powers off.
export PATH=/usr/lib/xen-4.17/bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export XADMIT_XENGUEST=/usr/local/libexec/xadmit-xenguest
. /test/dom0-lib.sh
. /test/dom0-suite.sh
failed=0

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts   # xenconsoled gives each guest console a pty
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mark userspace
for m in xenfs xen-evtchn xen-gntdev xen-privcmd; do modprobe "$m" || echo "modprobe $m failed"; done
mount -t xenfs xenfs /proc/xen
mkdir -p /run/xen /run/xenstored /var/lib/xenstored /var/log/xen/console
xenstored --pid-file /run/xenstored.pid
i=0
until xenstore-ls / >/dev/null 2>&1 || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.1; done
xenstore-ls / >/dev/null 2>&1 || bad "xenstored did not come up"
xen-init-dom0
# the guests' consoles, to /var/log/xen/console/guest-NAME.log
xenconsoled --pid-file /run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console
# dom0 before the guests: six guests booting Linux under software
# emulation would otherwise starve the checks (credit2, weight 256 each)
xl sched-credit2 -d Domain-0 -w 4096 || bad "cannot raise dom0's scheduling weight"
mark toolstack_up

mode=$(sed -n 's/.*xadmit_suite=\([a-z]*\).*/\1/p' /proc/cmdline)
echo "XADMIT_XEN_MARK mode=$mode"
check_host /tmp/host.json
case "$mode" in
  ours) suite_ours ;;
  xenopsd) suite_xenopsd ;;
  *) bad "no xadmit_suite=ours|xenopsd on the kernel command line" ;;
esac

mark checked
if [ "$failed" -eq 0 ]; then echo XADMIT_XEN_PASS; else echo XADMIT_XEN_FAIL; fi
echo o > /proc/sysrq-trigger
sleep 30
