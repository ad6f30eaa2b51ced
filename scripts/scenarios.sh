#!/usr/bin/env bash
# make scenarios: run the compiled scenarios (scenarios/scenarios.test)
# under a kernel with IPVS — natively when the host has it, else in the
# qemu guest — through ginkgo's CLI, serially (PROCS=1) or in PROCS
# parallel processes. Writes reports/out/{junit.xml,results.json,
# index.html}, records the run's wall time (guest boot included) in
# reports/out/walltimes.json and exits with the suite's status.
#
# usage: scripts/scenarios.sh [PROCS]
# env:   SCENARIOS_FLAGS  extra ginkgo flags, e.g. --label-filter=smoke
#        VM_MEMORY, VM_CPUS  guest size (default 4096 MiB, 2 vCPUs: room
#                            for a lab per parallel process)
set -uo pipefail
cd "$(dirname "$0")/.."
procs=${1:-1}
out=$PWD/reports/out
if [ "${2:-}" = --inner ]; then
  # In the guest (or natively): ginkgo runs the binary in its directory,
  # scenarios/, where the specs find ../labs and testdata.
  # No suite-wide retry: only a spec that names its timing reason has
  # ginkgo's FlakeAttempts decorator, and the reports (junit.xml too,
  # written by the suite itself) record every attempt. A spec that hangs
  # prints where it waits after 90 s, and the suite gives up well inside
  # CI's limit.
  flags=(-v --output-dir="$out" --procs="$procs"
    --timeout=20m --poll-progress-after=90s --poll-progress-interval=90s)
  if [ "$procs" -gt 1 ]; then
    # ginkgo's processes talk over 127.0.0.1; the guest's lo starts down.
    ip link set lo up
    flags+=(-p)
  fi
  # The leak check runs here too, where the labs ran: its verdict goes to
  # $out/leakcheck-guest.{txt,status} for the report and make test.
  guest_state=$(mktemp)
  LEAKCHECK_FILE=$guest_state bash scripts/leakcheck.sh guest-before
  # shellcheck disable=SC2086
  bin/ginkgo "${flags[@]}" ${SCENARIOS_FLAGS:-} scenarios/scenarios.test
  rc=$?
  lc=0
  LEAKCHECK_FILE=$guest_state bash scripts/leakcheck.sh guest-after > "$out/leakcheck-guest.txt" 2>&1 || lc=$?
  echo "$lc" > "$out/leakcheck-guest.status"
  cat "$out/leakcheck-guest.txt"
  exit $rc
fi
mkdir -p "$out"
rm -rf "$out/artifacts" "$out/results.json" "$out/index.html" "$out/junit.xml" "$out"/leakcheck-guest.*
env=(-e LVSLAB_REPORTS="$out")
[ -n "${SCENARIOS_FLAGS:-}" ] && env+=(-e SCENARIOS_FLAGS="$SCENARIOS_FLAGS")
start=$(date +%s%N)
bin/lvslab vm --auto --memory "${VM_MEMORY:-4096}" --cpus "${VM_CPUS:-2}" "${env[@]}" \
  -- bash scripts/scenarios.sh "$procs" --inner
rc=$?
wall_ms=$(( ($(date +%s%N) - start) / 1000000 ))
mode=serial
[ "$procs" -gt 1 ] && mode=parallel
echo "scenarios: $mode ($procs processes): exit $rc in $((wall_ms / 1000)) s"
leak=()
if [ -f "$out/leakcheck-guest.status" ]; then
  lc=$(cat "$out/leakcheck-guest.status")
  leak=(--leak-check "$out/leakcheck-guest.txt" --leak-status "$lc")
  [ "$lc" = 0 ] || { echo "scenarios: the leak check in the guest failed" >&2; [ $rc = 0 ] && rc=1; }
else
  echo "scenarios: no leak check verdict from the guest" >&2
  [ $rc = 0 ] && rc=1
fi
if [ -f "$out/results.json" ]; then
  # More than one spec that needed a retry fails the run, green or not.
  bin/lvslab report --dir "$out" --run "$mode:$procs:${wall_ms}ms" --max-retried 1 "${leak[@]}" || { [ $rc = 0 ] && rc=1; }
else
  echo "scenarios: no $out/results.json: the suite did not finish" >&2
  [ $rc = 0 ] && rc=1
fi
exit $rc
