#!/usr/bin/env bash
# The part of `make lab` that runs where IPVS is (see lab.sh).
set -euo pipefail
lab=$1 tty=$2
export PATH="$PWD/bin:$PATH"
lvslab up --force "$lab"
name=$(lvslab list | awk 'NR==2 {print $1}')
if [ "$tty" != 1 ]; then
  lvslab status "$name"
  exit 0
fi
cat <<BANNER

  lab $name is up ($lab)${LVSLAB_IN_VM:+, inside the guest kernel}.
  Try the commands printed above, and lvslab --help.
  Leave with exit (or Ctrl-D).${LVSLAB_IN_VM:+ The guest and its lab go away then.}

BANNER
PS1="lvslab($name)# " bash --norc -i || true
[ -n "${LVSLAB_IN_VM:-}" ] || echo "lab $name is still up: make down, or lvslab down $name"
