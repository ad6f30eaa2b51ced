#!/usr/bin/env bash
# The part of `make lab` that runs where IPVS is (see lab.sh). lvslab up
# returns once the lab is ready (VRRP settled, tables full, backends
# listening); daemons log only to the lab's state directory, so the shell
# stays quiet.
set -euo pipefail
lab=$1 tty=$2
export PATH="$PWD/bin:$PATH"
ready=1
lvslab up --force "$lab" || ready=0
name=$(lvslab list | awk 'NR==2 {print $1}')
if [ -z "$name" ]; then
  exit 1 # nothing came up; lvslab said why
fi
if [ "$tty" != 1 ]; then
  lvslab status "$name"
  [ "$ready" = 1 ]
  exit
fi
cat <<BANNER

  lab $name is $([ "$ready" = 1 ] && echo "up and ready" || echo "up but NOT ready (see above)") ($lab)${LVSLAB_IN_VM:+, inside the guest kernel}.
  Try the commands printed above, and lvslab --help.
  Daemon logs: lvslab logs NODE [keepalived|server]  (-f to follow).
  Leave with exit (or Ctrl-D).${LVSLAB_IN_VM:+ The guest and its lab go away then.}

BANNER
PS1="lvslab($name)# " bash --norc -i || true
[ -n "${LVSLAB_IN_VM:-}" ] || echo "lab $name is still up: make down, or lvslab down $name"
