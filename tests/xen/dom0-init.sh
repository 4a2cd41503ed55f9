#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# /init of the xen suite's dom0: starts what xl needs (xenstored and the
# dom0 entries in xenstore), runs `xadmit host --host xen --json`, checks
# its document here (no jq in the image: grep and sed on the flattened
# JSON), prints XADMIT_XEN_* markers for xen-boot.sh, and powers off.
export PATH=/usr/lib/xen-4.17/bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
uptime_s() { cut -d' ' -f1 /proc/uptime; }
mark() { echo "XADMIT_XEN_MARK $1 dom0_uptime=$(uptime_s)s"; }
bad() { echo "XADMIT_XEN_CHECK failed: $*"; failed=1; }
failed=0

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mark userspace
for m in xenfs xen-evtchn xen-gntdev xen-privcmd; do modprobe "$m" || echo "modprobe $m failed"; done
mount -t xenfs xenfs /proc/xen
mkdir -p /run/xen /run/xenstored /var/lib/xenstored /var/log/xen
xenstored --pid-file /run/xenstored.pid
i=0
until xenstore-ls / >/dev/null 2>&1 || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.1; done
xenstore-ls / >/dev/null 2>&1 || bad "xenstored did not come up"
xen-init-dom0
mark toolstack_up

t0=$(uptime_s)
xadmit host --host xen --json > /tmp/host.json 2> /tmp/host.err
rc=$?
echo "XADMIT_XEN_MARK xadmit_host rc=$rc took=$(echo "$(uptime_s) $t0" | awk '{ printf "%.2f", $1 - $2 }')s"
sed 's/^/XEN_JSON /' /tmp/host.json
sed 's/^/XADMIT_XEN_STDERR /' /tmp/host.err

[ "$rc" -eq 0 ] || bad "xadmit exited $rc"
doc=$(tr -d ' \t\n' < /tmp/host.json)
nodes=$(echo "$doc" | sed -n 's/.*"nodes":\[\(.*\)\],"distances".*/\1/p')
n=$(echo "$nodes" | grep -o '"memory":[0-9]*' | wc -l)
[ "$n" -eq 2 ] || bad "$n nodes, not 2"
for mib in $(echo "$nodes" | grep -o '"memory":[0-9]*' | cut -d: -f2); do
  [ "$mib" -gt 1024 ] || bad "a node has $mib MiB, not its 2 GiB"
done
echo "$doc" | grep -q '"distances":\[\[10,20\],\[20,10\]\]' || bad "distances are not [[10,20],[20,10]]"
# dom0's own entry: its pages per node come from Xen's 'u' table, so it
# must not be marked estimated, and they must add up to its memory.
dom0=$(echo "$doc" | sed -n 's/.*"domains":\[\(.*\)\].*/\1/p' | sed 's/},{/}\n{/g' | grep '"name":"Domain-0"')
[ -n "$dom0" ] || bad "no Domain-0 among the domains"
case "$dom0" in *'"estimated":true'*) bad "dom0's memory per node is estimated: the 'u' table was not read" ;; esac
by_node=$(echo "$dom0" | sed -n 's/.*"memory_by_node":\[\([0-9]*\),\([0-9]*\)\].*/\1 \2/p')
echo "XADMIT_XEN_MARK dom0_memory_by_node_mib=${by_node:-none}"
set -- $by_node
[ $# -eq 2 ] && [ $(($1 + $2)) -gt 900 ] || bad "dom0's memory per node '${by_node}' is not two counts adding up to its 1 GiB"

mark checked
if [ "$failed" -eq 0 ]; then echo XADMIT_XEN_PASS; else echo XADMIT_XEN_FAIL; fi
echo o > /proc/sysrq-trigger
sleep 30
