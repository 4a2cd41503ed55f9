# SPDX-License-Identifier: LGPL-2.1-or-later
# The xen suite's checks in dom0, sourced by /init after dom0-lib.sh. Mode
# `ours` (the first boot of the hypervisor): the host, a 6-guest storm with
# the batch policy, a VM split over both nodes, and the failure paths.
# Mode `xenopsd` (a fresh boot): the same storm the way xenopsd starts it.
# Every check reads Xen's own page counts, never xadmit's output alone.

# `xadmit host --host xen --json` into HOSTJSON (and its .flat): 2 nodes,
# their memory and distances, dom0's pages per node counted by Xen.
check_host() {  # HOSTJSON
  ch_t=$(now)
  xadmit host --host xen --json > "$1" 2> "$1.err"
  ch_rc=$?
  stage "xadmit-host(exit $ch_rc)" "$ch_t"
  echo "XEN_JSON $(tr -d ' \n' < "$1")"
  sed 's/^/XADMIT_XEN_STDERR host: /' "$1.err"
  [ "$ch_rc" -eq 0 ] || bad "xadmit host exited $ch_rc"
  flatten "$1"
  ch_f=$1.flat
  ch_n=$(grep -c '^nodes\.[0-9]*\.memory ' "$ch_f")
  [ "$ch_n" -eq 2 ] || bad "$ch_n nodes, not 2"
  for ch_mib in $(awk '$1 ~ /^nodes\.[0-9]+\.memory$/ { print $2 }' "$ch_f"); do
    [ "$ch_mib" -gt 1024 ] || bad "a node has $ch_mib MiB, not its 2 GiB"
  done
  [ "$(jlist "$ch_f" distances.0) $(jlist "$ch_f" distances.1)" = "10 20 20 10" ] ||
    bad "distances are not [[10,20],[20,10]]"
  ch_d0=$(entry "$ch_f" domains Domain-0)
  [ -n "$ch_d0" ] || bad "no Domain-0 among the domains"
  # the 'u' table was read: dom0's pages per node are Xen's count
  [ "$(jget "$ch_f" "$ch_d0.estimated")" != true ] || bad "dom0's memory per node is estimated: the 'u' table was not read"
  ch_by_node=$(jlist "$ch_f" "$ch_d0.memory_by_node")
  echo "XADMIT_XEN_MARK dom0_memory_by_node_mib=${ch_by_node:-none} free_mib=$(jget "$ch_f" nodes.0.free),$(jget "$ch_f" nodes.1.free)"
  # shellcheck disable=SC2086
  set -- $ch_by_node
  [ $# -eq 2 ] && [ $(($1 + $2)) -gt 900 ] || bad "dom0's memory per node '$ch_by_node' is not two counts adding up to its 1 GiB"
}

# SPEC: six guests, three a node, filling ~90 % of each node's free memory
# (node 0's size and node 1's in turn), so that only a placement that packs
# both nodes right keeps every guest on one node.
size_storm() {  # HOSTJSON SPEC
  ss_f=$1.flat
  ss_over=$(($(jget "$ss_f" overhead_mib_per_vm) + ($(jget "$ss_f" overhead_kib_per_vcpu) + 1023) / 1024))
  ss_a=$((($(jget "$ss_f" nodes.0.free) * 9 / 30 - ss_over) / 4 * 4))
  ss_b=$((($(jget "$ss_f" nodes.1.free) * 9 / 30 - ss_over) / 4 * 4))
  [ "$ss_a" -ge 128 ] && [ "$ss_b" -ge 128 ] || bad "too little free memory for 3 guests of 128 MiB a node: $ss_a, $ss_b MiB"
  printf 'g1 %s\ng2 %s\ng3 %s\ng4 %s\ng5 %s\ng6 %s\n' "$ss_a" "$ss_b" "$ss_a" "$ss_b" "$ss_a" "$ss_b" > "$2"
  mark "storm of 6 guests: 3 x $ss_a MiB, 3 x $ss_b MiB"
}

storm() {  # POLICY CHECK [OPTION...]: the 6-guest storm, checked from Xen's table (check_run)
  sm_policy=$1 sm_check=$2
  shift 2
  sm_t=$(now)
  size_storm /tmp/host.json /tmp/storm.spec
  run_boot "storm-$sm_policy" /tmp/storm.db /tmp/storm.spec /tmp/storm.out "" "$@" || return
  # xenopsd's way may also fail a start (exit 3): check_run reports it
  [ "$rc" -eq 0 ] || { [ "$sm_check" = spill ] && [ "$rc" -eq 3 ]; } || bad "the storm's boot exited $rc, not 0"
  check_run "$sm_policy" /tmp/storm.out /tmp/storm.db /tmp/storm.spec "$sm_check"
  destroy_guests
  stage "storm-$sm_policy" "$sm_t"
}

# One VM larger than any node's free memory: planned over both nodes, its
# pages per node must follow the plan's MiB per node (which hold Xen's few
# MiB of overhead besides the guest's pages).
split_vm() {
  sv_t=$(now)
  xadmit host --host xen --json > /tmp/free.json
  flatten /tmp/free.json
  sv_a=$(jget /tmp/free.json.flat nodes.0.free) sv_b=$(jget /tmp/free.json.flat nodes.1.free)
  echo "wide $(((${sv_a:-0} > ${sv_b:-0} ? sv_a : sv_b) / 4 * 4 + 256))" > /tmp/split.spec
  run_boot split /tmp/split.db /tmp/split.spec /tmp/split.out "" || return
  [ "$rc" -eq 0 ] || bad "the split VM's boot exited $rc, not 0"
  check_run split /tmp/split.out /tmp/split.db /tmp/split.spec split
  destroy_guests
  stage split "$sv_t"
}

missing_kernel() {  # one guest's kernel is not there: it fails, the others run, no claim is left
  mk_t=$(now)
  printf 'k1 128\nk2 128 /test/no-such-vmlinux\nk3 128\n' > /tmp/kernel.spec
  run_boot kernel /tmp/kernel.db /tmp/kernel.spec /tmp/kernel.out "" || return
  [ "$rc" -eq 3 ] || bad "a boot with a missing kernel exited $rc, not 3"
  mk_vp=$(entry /tmp/kernel.out.flat vm k2)
  mk_reason=$(jget /tmp/kernel.out.flat "$mk_vp.reason")
  echo "XADMIT_XEN_MARK k2 is $(jget /tmp/kernel.out.flat "$mk_vp.state"): $mk_reason"
  [ "$(jget /tmp/kernel.out.flat "$mk_vp.state")" = failed ] || bad "k2, whose kernel is missing, did not end failed"
  case "$mk_reason" in *no-such-vmlinux*) ;; *) bad "k2's reason does not name its kernel: $mk_reason" ;; esac
  check_run kernel /tmp/kernel.out /tmp/kernel.db /tmp/kernel.spec strict
  destroy_guests
  stage missing-kernel "$mk_t"
}

helper_dies() {  # d2's helper kills itself once populate ran: d2 runs after 2 attempts
  hd_t=$(now)
  printf 'd1 128\nd2 128\nd3 128\n' > /tmp/die.spec
  run_boot die /tmp/die.db /tmp/die.spec /tmp/die.out d2:die || return
  [ "$rc" -eq 0 ] || bad "the boot whose d2 helper died exited $rc, not 0"
  for hd_vm in d1:1 d2:2 d3:1; do
    hd_got=$(jget /tmp/die.out.flat "$(entry /tmp/die.out.flat vm "${hd_vm%:*}").attempts")
    [ "$hd_got" = "${hd_vm#*:}" ] || bad "${hd_vm%:*} took $hd_got attempts, not ${hd_vm#*:}"
  done
  check_run die /tmp/die.out /tmp/die.db /tmp/die.spec strict
  destroy_guests
  stage helper-dies "$hd_t"
}

helpers_running() { grep -l 'xadmit-xengues[t]' /proc/[0-9]*/cmdline 2>/dev/null | wc -l; }

# PAGES: h2's domain's pages (populate ran), 0 before it exists. Its
# handle is its request's UUID; `xl list -v` prints it after the time.
hung_pages() {
  hp_uuid=$(ledger_read /tmp/hang.db "SELECT uuid FROM requests WHERE name = 'h2'")
  [ -n "$hp_uuid" ] || { echo 0; return; }
  xl list -v | awk -v u="$hp_uuid" '{ for (k = 5; k <= NF; k++) if (tolower($k) == tolower(u)) { print $(k - 4); exit } }
                                    END { print 0 }' | head -1
}

boot_killed() {  # kill -9 of a boot whose h2 build hangs, then the same boot again
  bk_t=$(now)
  printf 'h1 128\nh2 128\nh3 128\n' > /tmp/hang.spec
  manifest /tmp/hang.spec > /tmp/hang.spec.json
  XADMIT_XENGUEST_TEST_FAULT=h2:hang xadmit boot --host xen --db /tmp/hang.db --json /tmp/hang.spec.json \
    > /tmp/hang-killed.out 2> /tmp/hang-killed.err &
  bk_pid=$!
  bk_i=0
  while [ "$(hung_pages)" -lt 128 ] && [ $bk_i -lt 600 ] && kill -0 $bk_pid 2>/dev/null; do
    bk_i=$((bk_i + 1))
    sleep 0.1
  done
  echo "XADMIT_XEN_MARK h2 holds $(hung_pages) MiB after $(since "$bk_t")s; helpers running: $(helpers_running)"
  [ "$(hung_pages)" -ge 128 ] || bad "h2's domain never held its memory while its helper hung"
  kill -9 $bk_pid 2>/dev/null
  wait $bk_pid
  bk_i=0
  while [ "$(helpers_running)" -gt 0 ] && [ $bk_i -lt 100 ]; do bk_i=$((bk_i + 1)); sleep 0.1; done
  [ "$(helpers_running)" -eq 0 ] || bad "xadmit-xenguest outlived the boot killed with -9"
  note "after kill -9: $(xl list | awk 'NR > 2 { printf "%s(%s) ", $1, $5 }')"
  run_boot hang-again /tmp/hang.db /tmp/hang.spec /tmp/hang.out "" || return
  [ "$rc" -eq 0 ] || bad "the boot after kill -9 exited $rc, not 0"
  check_run restart /tmp/hang.out /tmp/hang.db /tmp/hang.spec strict
  destroy_guests
  stage boot-killed "$bk_t"
}

# Waits (bounded, as xl is) until FILE holds TEXT: 0 if it did.
wait_for_text() {  # FILE TEXT SECONDS
  wt_i=0
  while ! grep -q "$2" "$1" 2>/dev/null && [ $wt_i -lt $(($3 * 10)) ]; do
    wt_i=$((wt_i + 1))
    sleep 0.1
  done
  grep -q "$2" "$1" 2>/dev/null
}

# The request's state in the daemon's ledger.
queue_state() { ledger_read /tmp/queue.db "SELECT state FROM requests WHERE name = '$1'"; }

# The daemon counts where its VMs' memory went once its builds are over:
# the ledger's actual MiB per node of NAME are Xen's table's (to 1 MiB).
queue_counted() {  # NAME
  qc_domid=$(xl domid "$1" 2>/dev/null)
  [ -n "$qc_domid" ] || { bad "$1 has no domain to count"; return; }
  u_table
  ledger_read /tmp/queue.db "SELECT p.node, p.actual_mib FROM placements p JOIN requests r
    ON p.request_id = r.id AND p.batch_id = r.batch_id WHERE r.name = '$1'" |
    tr '|' ' ' > /tmp/queue-actual.txt
  awk -v d="$qc_domid" -v n="$1" '
    NR == FNR { got[$1] = $2; next }
    $1 == d && $2 != "total" { xen[$2] = int(($3 + 255) / 256) }
    END { for (k in xen) if (xen[k] - got[k] > 1 || got[k] - xen[k] > 1)
            print "XADMIT_XEN_CHECK failed: " n ": the daemon'"'"'s ledger says " got[k] " MiB on node " k ", Xen'"'"'s table " xen[k] }
  ' /tmp/queue-actual.txt /tmp/u.txt | tee /tmp/queue-check.txt
  ! grep -q failed /tmp/queue-check.txt || failed=1
}

# xadmit daemon on Xen: two guests submitted with --wait run, the ledger
# counting their memory as Xen does; status sees the daemon, explain says
# where q1 went, cancel leaves a running VM alone
# (exit 1); q1 destroyed by xl ends in the ledger (the @releaseDomain
# watch); SIGTERM stops the daemon, exit 0.
daemon_queue() {
  dq_t=$(now)
  printf 'q1 128\nq2 128\n' > /tmp/queue.spec
  manifest /tmp/queue.spec > /tmp/queue.json
  xadmit daemon --host xen --db /tmp/queue.db > /tmp/daemon.out 2> /tmp/daemon.err &
  dq_pid=$!
  wait_for_text /tmp/daemon.err "admitting for" 30 || bad "xadmit daemon did not start: $(head -3 /tmp/daemon.err)"
  timeout -k 10 150 xadmit submit --host xen --db /tmp/queue.db --wait /tmp/queue.json \
    > /tmp/submit.out 2> /tmp/submit.err
  dq_rc=$?
  [ $dq_rc -eq 0 ] || bad "submit --wait against the daemon exited $dq_rc: $(head -3 /tmp/submit.err)"
  xadmit status --host xen --db /tmp/queue.db --json > /tmp/status.json 2> /dev/null || bad "status failed"
  grep -q '"running": *true' /tmp/status.json || bad "status does not see the daemon"
  xadmit explain --host xen --db /tmp/queue.db q1 > /tmp/explain.txt 2> /dev/null || bad "explain q1 failed"
  grep -q "placed it on node" /tmp/explain.txt || bad "explain q1 does not say where it went"
  queue_counted q1
  queue_counted q2
  xadmit cancel --host xen --db /tmp/queue.db q2 > /dev/null 2>&1
  dq_rc=$?
  [ $dq_rc -eq 1 ] || bad "cancel of a running VM exited $dq_rc, not 1"
  xl destroy q1 || bad "xl destroy q1 failed"
  dq_i=0
  while [ "$(queue_state q1)" != ended ] && [ $dq_i -lt 300 ]; do dq_i=$((dq_i + 1)); sleep 0.1; done
  [ "$(queue_state q1)" = ended ] || bad "q1, destroyed by xl, is $(queue_state q1) in the ledger, not ended"
  dq_why=$(ledger_read /tmp/queue.db "SELECT reason FROM requests WHERE name = 'q1'")
  [ "$dq_why" = "its domain was destroyed by another tool" ] || bad "q1 ended saying: $dq_why"
  kill -TERM $dq_pid
  wait $dq_pid
  dq_rc=$?
  [ $dq_rc -eq 0 ] || bad "the daemon exited $dq_rc on SIGTERM, not 0"
  sed "s/^/XADMIT_XEN_STDERR daemon: /" /tmp/daemon.err | head -10
  destroy_guests
  stage daemon "$dq_t"
}

suite_ours() {
  storm batch strict
  split_vm
  missing_kernel
  helper_dies
  boot_killed
}

suite_xenopsd() {
  storm xenopsd spill --policy xenopsd
  daemon_queue
}
