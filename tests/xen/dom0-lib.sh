# SPDX-License-Identifier: LGPL-2.1-or-later
# The xen suite's tools in dom0, sourced by /init (POSIX sh: dash, mawk, no
# jq): xadmit's JSON flattened to "path value" lines, Xen's own count of
# each domain's pages per node (the 'u' debug key), the ledger through
# sqlite3, and the checks built on them. XADMIT_XEN_* lines go to the
# serial console, where xen-boot.sh reads them.

now() { cut -d' ' -f1 /proc/uptime; }
since() { echo "$(now) $1" | awk '{ printf "%.1f", $1 - $2 }'; }
mark() { echo "XADMIT_XEN_MARK $* dom0_uptime=$(now)s"; }
bad() { echo "XADMIT_XEN_CHECK failed: $*"; failed=1; }
note() { echo "XADMIT_XEN_NOTE $*"; }
stage() { echo "XADMIT_XEN_STAGE $1 $(since "$2")s"; }

# Every xl call bounded: now and then an xl call in dom0 never returns
# (xenstored idle meanwhile); the line says which and how xenstored was,
# the check that needed its answer fails, and the boot goes on instead of
# QEMU's timeout ending it without a word.
xl() {
  timeout 60 xl "$@"
  xl_rc=$?
  [ $xl_rc -eq 124 ] || return $xl_rc
  xl_pid=$(cat /run/xenstored.pid)
  note "xl $* did not answer in 60 s (load $(cut -d' ' -f1-3 /proc/loadavg); xenstored $(grep State /proc/"$xl_pid"/status | tr -s '\t ' ' '), in $(cat /proc/"$xl_pid"/wchan))"
  return $xl_rc
}

# FILE.flat: one line per scalar of the JSON document FILE, its path (keys
# and indexes joined by dots: vm.0.planned_nodes.1) then its value; strings
# unquoted, escapes left as they are.
flatten() {
  awk '
    { doc = doc $0 "\n" }
    function path(   k, p) {
      p = ""
      for (k = 1; k <= d; k++) p = p (k > 1 ? "." : "") (kind[k] == "{" ? key[k] : idx[k])
      return p
    }
    END {
      n = length(doc); d = 0
      for (i = 1; i <= n; i++) {
        c = substr(doc, i, 1)
        if (c == "{" || c == "[") { d++; kind[d] = c; idx[d] = 0; want[d] = (c == "{"); continue }
        if (c == "}" || c == "]") { d--; continue }
        if (c == ",") { if (kind[d] == "[") idx[d]++; else want[d] = 1; continue }
        if (index(": \t\r\n", c) > 0) continue
        if (c == "\"") {
          s = ""
          for (i++; i <= n && (c = substr(doc, i, 1)) != "\""; i++) {
            if (c == "\\") { s = s substr(doc, i, 2); i++ } else s = s c
          }
          if (kind[d] == "{" && want[d]) { key[d] = s; want[d] = 0 } else print path() " " s
          continue
        }
        for (j = i; j <= n && index(",}] \t\r\n", substr(doc, j, 1)) == 0; j++) ;
        print path() " " substr(doc, i, j - i)
        i = j - 1
      }
    }' "$1" > "$1.flat"
}
jget() {  # FLAT PATH: the value at PATH
  awk -v p="$2" '$1 == p { sub(/^[^ ]* /, ""); print; exit }' "$1"
}
jlist() {  # FLAT PATH: the array at PATH's values, on one line
  awk -v p="$2." 'index($1, p) == 1 && substr($1, length(p) + 1) ~ /^[0-9]+$/ { printf "%s%s", s, $2; s = " " }
                  END { print "" }' "$1"
}
entry() {  # FLAT ARRAY NAME: ARRAY.I, the entry whose name is NAME
  awk -v a="$2." -v n="$3" 'index($1, a) == 1 && $1 ~ /^[a-z]+\.[0-9]+\.name$/ && $2 == n {
                              sub(/\.name$/, "", $1); print $1; exit }' "$1"
}

# /tmp/u.txt: Xen's newest table of each domain's pages per node, as lines
# "DOMID total PAGES" and "DOMID NODE PAGES" (Xen 4.17's format).
u_table() {
  xl debug-keys u || bad "xl debug-keys u failed"
  xl dmesg | awk '
    /Memory location of each domain/ { n = 0; next }
    { line[++n] = $0 }
    END {
      for (i = 1; i <= n; i++) {
        if (match(line[i], /Domain [0-9]+ \(total: [0-9]+\)/)) {
          split(substr(line[i], RSTART, RLENGTH), w, /[ ():]+/); dom = w[2]; print dom, "total", w[4]
        } else if (dom != "" && match(line[i], /Node [0-9]+: [0-9]+/)) {
          split(substr(line[i], RSTART, RLENGTH), w, /[ :]+/); print dom, w[2], w[3]
        }
      }
    }' > /tmp/u.txt
  grep -q '^0 total ' /tmp/u.txt || bad "no 'u' table in the console ring (no Domain 0 in it)"
}
# A manifest from SPEC's lines "NAME MIB [KERNEL]": PV guests of 1 vCPU
# booting the tiny guest (the dom0 kernel and a one-binary initramfs).
manifest() {  # SPEC > MANIFEST
  awk 'BEGIN { printf "{\"vms\": [" }
       { printf "%s\n  {\"name\": \"%s\", \"memory\": \"%sMiB\", \"vcpus\": 1, \"kernel\": \"%s\", ", s, $1, $2, ($3 == "" ? "/test/vmlinux" : $3)
         printf "\"ramdisk\": \"/test/guest.cpio\", \"cmdline\": \"console=hvc0 loglevel=4\"}"; s = "," }
       END { print "\n]}" }' "$1"
}

# `xadmit boot --host xen --json` of SPEC's guests into OUT (and OUT.flat);
# its exit code in $rc. FAULT ("" or NAME:die|hang) goes to the helper.
# Fails, and the domains go, when there is no run summary to check.
# Processes in this emulated dom0 die now and then of a corrupted thread
# state (xl too: "handlereg.c:38: lock: Assertion `!e' failed", and
# malloc's own checks), so a boot killed by SIGABRT or SIGSEGV, before or
# after its summary, is said and run once more from scratch; a second such
# death fails.
run_boot() {  # LABEL DB SPEC OUT FAULT [OPTION...]
  run_boot_once "$@" && return 0
  if [ "$rc" -eq 134 ] || [ "$rc" -eq 139 ]; then
    note "$1: xadmit boot died of signal $((rc - 128)); its domains went, and it runs once more"
    rm -f "$2" "$2-wal" "$2-shm"
    run_boot_once "$@" && return 0
  fi
  bad "$1: xadmit boot exited $rc without a run summary"
  return 1
}

run_boot_once() {  # LABEL DB SPEC OUT FAULT [OPTION...]
  rb_label=$1 rb_db=$2 rb_spec=$3 rb_out=$4 rb_fault=$5
  shift 5
  manifest "$rb_spec" > "$rb_spec.json"
  rb_t=$(now)
  # bounded as xl is: once a boot never returned after its builds
  timeout -k 10 150 env ${rb_fault:+XADMIT_XENGUEST_TEST_FAULT=$rb_fault} \
    xadmit boot --host xen --db "$rb_db" --json "$@" "$rb_spec.json" > "$rb_out" 2> "$rb_out.err"
  rc=$?
  [ $rc -ne 124 ] || bad "$rb_label: xadmit boot did not end in 150 s"
  echo "XADMIT_XEN_STAGE boot-$rb_label(exit $rc) $(since "$rb_t")s"
  sed "s/^/XADMIT_XEN_STDERR $rb_label: /" "$rb_out.err" | head -20
  flatten "$rb_out"
  calm_guests
  if grep -q '^vm\.0\.name ' "$rb_out.flat" && [ $rc -ne 134 ] && [ $rc -ne 139 ]; then
    return 0
  fi
  destroy_guests
  return 1
}

# A read of a ledger the suite polls: nothing until xadmit has made it, as
# sqlite3 would make it first (root, umask 022) and xadmit refuses a ledger
# others may read (docs/formats.md, Ledger).
ledger_read() {  # DB SQL
  [ -f "$1" ] || return 0
  sqlite3 "$1" "$2" 2>/dev/null
}

# Checks a run from Xen's newest table and its domain list, one awk pass
# (a process costs much in dom0 under software emulation): every guest of
# SPEC that must run (no KERNEL field) runs in xadmit's SUMMARY, once on
# Xen, neither paused nor dying when the boot ended (calm_guests' list), with all its MIB in Xen's table; the
# ledger's actual MiB per node are the table's (to 1 MiB); no other domain
# but dom0, no outstanding claim. CHECK says what its pages must follow:
# `strict` (all on its planned nodes, the summary's or else the ledger's
# planned MiB per node), `spill` (only reported) or `split`
# (strict, planned over 0 and 1, each node's pages the ledger's planned MiB
# to 4 MiB: the plan also holds Xen's overhead); with `spill`, a VM that
# ended otherwise than running is only reported too. Prints each guest's row
# "XADMIT_XEN_ROW LABEL NAME PLANNED MIB_NODE0 MIB_NODE1 ...".
check_run() {  # LABEL SUMMARY DB SPEC CHECK
  u_table
  cr_claims=$(xl info | awk -F: '$1 ~ /^outstanding_claims/ { gsub(/ /, "", $2); print $2 }')
  [ "$cr_claims" = 0 ] || bad "Xen has outstanding claims: '$cr_claims'"
  sqlite3 -separator ' ' "$3" "SELECT r.name, p.node, p.planned_mib, COALESCE(p.actual_mib, -1)
      FROM placements p JOIN requests r ON r.id = p.request_id
      WHERE r.id = (SELECT MAX(id) FROM requests WHERE name = r.name)
        AND p.batch_id = (SELECT MAX(batch_id) FROM placements WHERE request_id = r.id)
      ORDER BY r.name, p.node" > /tmp/ledger.txt ||
    bad "cannot read the ledger $3"
  awk -v label="$1" -v check="$5" '
    function fail(m) { print "XADMIT_XEN_CHECK failed: " m }
    function mib(pages) { return int((pages + 128) / 256) }
    { f = FILENAME == ARGV[1] ? 1 : FILENAME == ARGV[2] ? 2 : FILENAME == ARGV[3] ? 3 : FILENAME == ARGV[4] ? 4 : 5 }
    f == 1 { if ($3 == "") { want[$1] = $2; order[++n] = $1 } else gone[$1] = 1; next }
    f == 2 && FNR > 1 { domid[$1] = $2; state[$1] = $5; count[$1]++; next }
    f == 3 { if ($2 == "total") total[$1] = $3; else { pages[$1, $2] = $3; if ($2 + 1 > nodes) nodes = $2 + 1 }; next }
    f == 4 { split($1, k, "."); if (k[1] != "vm") next
             if (k[3] == "name") vm[$2] = k[2]
             else if (k[3] == "planned_nodes") planned[k[2]] = planned[k[2]] (planned[k[2]] == "" ? "" : ",") $2
             else if (k[3] == "state") st[k[2]] = $2
             else if (k[3] == "reason") { sub(/^[^ ]* /, ""); why[k[2]] = $0 }
             next }
    f == 5 { plan[$1, $2] = $3; actual[$1, $2] = $4
             if ($3 > 0) lplanned[$1] = lplanned[$1] (lplanned[$1] == "" ? "" : ",") $2
             next }
    END {
      for (d in domid) {
        if (d == "Domain-0") continue
        if (!(d in want)) fail("domain " d " (" state[d] ") is on Xen and no guest of this run that runs")
        if (state[d] ~ /[pscd]/) fail("domain " d " is " state[d] " (paused, shut down, crashed or dying)")
      }
      off_vms = 0; off_mib = 0
      for (i = 1; i <= n; i++) {
        g = order[i]; v = vm[g]
        if (!(g in vm) || st[v] != "running") {
          m = g " is " (g in vm ? st[v] ": " why[v] : "not in the run summary") ", not running"
          if (check == "spill" && (g in vm)) print "XADMIT_XEN_NOTE " m; else fail(m)
          continue
        }
        if (count[g] != 1) { fail(g " runs, says xadmit, but Xen has " count[g] + 0 " domains of that name"); continue }
        dom = domid[g]
        # a VM a second boot left alone, as it ran already, has no plan in
        # this summary: its plan is in the ledger
        if (planned[v] == "") planned[v] = lplanned[g]
        if (total[dom] != want[g] * 256)
          fail(g " (domain " dom ") holds " (dom in total ? total[dom] : "no") " pages in Xen'"'"'s table, not " want[g] * 256)
        row = ""; off = 0
        for (node = 0; node < nodes; node++) {
          p = pages[dom, node] + 0; row = row " " mib(p)
          if (index("," planned[v] ",", "," node ",") == 0) off += p
          a = ((g, node) in actual) ? actual[g, node] : 0
          if (a - mib(p) > 1 || mib(p) - a > 1) fail(g ": the ledger says " a " MiB on node " node ", Xen'"'"'s table " mib(p))
          if (check == "split" && (mib(p) - plan[g, node] > 4 || plan[g, node] - mib(p) > 4))
            fail(g ": " mib(p) " MiB on node " node ", its plan " plan[g, node] + 0 " MiB")
          if (check == "split") print "XADMIT_XEN_SPLIT " g " node " node ": planned " plan[g, node] + 0 " MiB, Xen'"'"'s table " mib(p) " MiB"
        }
        print "XADMIT_XEN_ROW " label " " g " " (planned[v] == "" ? "-" : planned[v]) row
        if (off > 0) { off_vms++; off_mib += mib(off) }
        if (off > 0 && check != "spill") fail(g ": " mib(off) " MiB outside its planned nodes " planned[v])
        if (check == "split" && planned[v] != "0,1") fail(g " is planned on nodes " planned[v] ", not 0,1")
      }
      for (g in gone) if (g in count) fail("domain " g " is on Xen, and its build failed")
      print "XADMIT_XEN_SPILL " label " " off_vms " VMs " off_mib " MiB"
    }' "$4" /tmp/xl-list.txt /tmp/u.txt "$2.flat" /tmp/ledger.txt > /tmp/check.txt
  cat /tmp/check.txt
  ! grep -q '^XADMIT_XEN_CHECK failed' /tmp/check.txt || failed=1
}

# Records the domain list as the boot left it (check_run reads it), then
# pauses every guest: their Linux boots, under software emulation on a
# 2-core machine, would slow dom0's checks down tenfold, and a credit2 cap
# instead crashed Xen 4.17 once (unpark_parked_units at the next destroy).
calm_guests() {  # one xl at a time: six at once hung once
  xl list > /tmp/xl-list.txt || bad "xl list failed"
  for cg_d in $(awk 'NR > 2 { print $2 }' /tmp/xl-list.txt); do xl pause "$cg_d"; done
}

destroy_guests() {  # every domain but dom0, and waits (bounded) until Xen has let them go
  for dg_d in $(xl list | awk 'NR > 2 { print $2 }'); do xl destroy "$dg_d"; done
  dg_i=0
  while [ "$(xl list | wc -l)" -gt 2 ] && [ $dg_i -lt 300 ]; do dg_i=$((dg_i + 1)); sleep 0.1; done
  [ "$(xl list | wc -l)" -eq 2 ] || bad "domains left after xl destroy: $(xl list | awk 'NR > 2 { printf "%s ", $1 }')"
}
