#!/usr/bin/env bash
# make lab: stand up a lab where the kernel has IPVS — natively when the host
# has it, else inside the guest kernel — and, with a terminal, leave the user
# at a shell in it. Without a terminal: print the status and exit 0.
set -euo pipefail
cd "$(dirname "$0")/.."
lab=${1:-labs/dr-keepalived.yaml}
tty=0
if [ -t 0 ] && [ -t 1 ]; then tty=1; fi
flags=(--auto)
[ "$tty" = 1 ] && flags+=(--tty)
exec bin/lvslab vm "${flags[@]}" -- bash scripts/lab-inner.sh "$lab" "$tty"
