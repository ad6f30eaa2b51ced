#!/usr/bin/env bash
# Leak check around a test run: `leakcheck.sh before` records the root
# namespace (links, addresses, routes, key sysctls) and the named network
# namespaces; `leakcheck.sh after` compares and fails naming what leaked:
# a namespace, a change to the root namespace, a lab left in /run/lvslab,
# or a lab process (backend, keepalived, qemu guest) still running. When
# the scenarios ran in the guest, `after` also states the guest's own
# verdict (reports/out/leakcheck-guest.{txt,status}) and fails with it.
#
# `leakcheck.sh guest-before` and `guest-after` are the same check where
# the scenarios run, in the guest kernel (scripts/scenarios.sh calls
# them around ginkgo): the namespaces, /run/lvslab, the lab processes,
# and the root namespace's IPVS table (ipvsadm -Ln) and nftables ruleset.
# LEAKCHECK_PREFIX limits the namespaces and labs looked at, and
# LEAKCHECK_PROCS is the process pattern (for the negative control in
# internal/leakcheck, which leaks on purpose).
set -euo pipefail
state=${LEAKCHECK_FILE:-bin/leakcheck.before}
prefix=${LEAKCHECK_PREFIX:-}
procs_pattern=${LEAKCHECK_PROCS:-lvslab[- ]serve|keepalived}
guest_verdict=${LEAKCHECK_GUEST:-reports/out/leakcheck-guest}
guest_snapshot() {
  echo "== ip netns list"; ip netns list | grep "^$prefix" || true
  echo "== /run/lvslab"; { ls -A /run/lvslab 2>/dev/null || true; } | grep "^$prefix" || true
  echo "== lab processes"; { pgrep -af "$procs_pattern" || true; } | grep -v pgrep || true
  echo "== ipvsadm -Ln (root namespace)"
  if [ -e /proc/net/ip_vs ]; then ipvsadm -Ln; else echo "(no IPVS in this kernel)"; fi
  echo "== nft list ruleset (root namespace)"; nft list ruleset 2>&1 || true
}
snapshot() {
  echo "== ip -o link"; ip -o link | sed 's/ state [A-Z]* / /'
  echo "== ip -o addr"; ip -o addr
  echo "== ip route"; ip route
  echo "== ip netns list"; ip netns list
  echo "== sysctls"
  for k in net/ipv4/ip_forward net/ipv4/conf/all/arp_ignore net/ipv4/conf/all/arp_announce net/ipv4/conf/all/rp_filter; do
    echo "$k=$(cat /proc/sys/$k)"
  done
}
case ${1:-} in
before)
  mkdir -p "$(dirname "$state")"
  snapshot > "$state"
  rm -f "$guest_verdict.txt" "$guest_verdict.status" # a verdict of an earlier run
  ;;
after)
  fail=0
  if ! diff -u "$state" <(snapshot) > bin/leakcheck.diff; then
    echo "leak check: the root namespace or the namespace list changed during the run:" >&2
    cat bin/leakcheck.diff >&2
    fail=1
  fi
  if [ -d /run/lvslab ] && [ -n "$(ls -A /run/lvslab)" ]; then
    echo "leak check: labs left in /run/lvslab: $(ls /run/lvslab | tr '\n' ' ')" >&2
    fail=1
  fi
  # Detection by name is fine here; ending processes is done by pid, in
  # topo.Destroy and the vm runner.
  # A guest counts when it shares this checkout (other checkouts' guests
  # are someone else's).
  procs=$( (pgrep -af 'lvslab[- ]serve|keepalived' || true; pgrep -af "qemu-system.*path=$PWD[,/ ]" || true) | grep -v pgrep || true)
  if [ -n "$procs" ]; then
    echo "leak check: lab processes still running:" >&2
    echo "$procs" >&2
    fail=1
  fi
  if [ -f "$guest_verdict.status" ]; then
    echo "leak check in the guest (exit $(cat "$guest_verdict.status")):"
    cat "$guest_verdict.txt" 2>/dev/null || true
    [ "$(cat "$guest_verdict.status")" = 0 ] || fail=1
  fi
  [ $fail = 0 ] && echo "leak check: nothing leaked"
  exit $fail
  ;;
guest-before)
  mkdir -p "$(dirname "$state")"
  guest_snapshot > "$state"
  ;;
guest-after)
  # The lab processes a spec stops are reaped within a moment: look again
  # for a few seconds before calling anything a leak.
  # (Files, not <(...): the guest has no /dev/fd.)
  for _ in 1 2 3 4 5; do
    guest_snapshot > "$state.now"
    rc=0
    diff -u "$state" "$state.now" > "$state.diff" || rc=$?
    [ $rc = 0 ] && break
    if [ $rc -gt 1 ]; then
      echo "leak check (guest): cannot compare $state with $state.now" >&2
      exit 2
    fi
    sleep 1
  done
  if [ $rc != 0 ]; then
    echo "leak check (guest): the scenarios left something behind:" >&2
    cat "$state.diff" >&2
    exit 1
  fi
  echo "leak check (guest): nothing leaked (namespaces, /run/lvslab, processes, IPVS table, nft ruleset)"
  ;;
*) echo "usage: $0 before|after|guest-before|guest-after" >&2; exit 2 ;;
esac
