#!/usr/bin/env bash
# Leak check around a test run: `leakcheck.sh before` records the root
# namespace (links, addresses, routes, key sysctls) and the named network
# namespaces; `leakcheck.sh after` compares and fails naming what leaked:
# a namespace, a change to the root namespace, a lab left in /run/lvslab,
# or a lab process (backend, keepalived, qemu guest) still running.
set -euo pipefail
state=${LEAKCHECK_FILE:-bin/leakcheck.before}
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
  procs=$( (pgrep -af 'lvslab serve|keepalived' || true; pgrep -af "qemu-system.*path=$PWD[,/ ]" || true) | grep -v pgrep || true)
  if [ -n "$procs" ]; then
    echo "leak check: lab processes still running:" >&2
    echo "$procs" >&2
    fail=1
  fi
  [ $fail = 0 ] && echo "leak check: nothing leaked"
  exit $fail
  ;;
*) echo "usage: $0 before|after" >&2; exit 2 ;;
esac
