#!/bin/sh
# /init of the lvslab guest (busybox sh, PID 1). Built into the initramfs by
# vm/provision.sh; the host side is vm/run.go.
#
# Stage 1 does what every run needs alike: load the modules, find the
# virtio-serial ports. Then the guest says "ready" on its control port and
# waits for "go SECONDS". The host may save the guest's state at that point
# (vm/snapshot.go) and later restore it instead of booting: a restored guest
# starts right there, so nothing before the wait may depend on the run, and
# no 9p tree may be mounted yet (qemu refuses to migrate a guest that has
# one mounted).
#
# Stage 2 mounts the three 9p trees the host shares:
#   lvslab    a per-run control dir      -> config.sh, run.sh; we write status
#   hostroot  the host's / (read-only)   -> lower layer of the guest's root
#   work      the work dir (read-write)  -> mounted at the same path
# and runs the command. It prints nothing on success: the command's stdio
# goes through virtio-serial ports (stdin/stdout/stderr) or, for a shell,
# the console.
export PATH=/bin
ctl=/ctl
new=/newroot
ports="lvslab.ctl lvslab.stdin lvslab.stdout lvslab.stderr"

fail() {
	echo "lvslab-init: $*" >&2
	[ -d "$ctl/." ] && echo "$*" >"$ctl/error" 2>/dev/null
	sync
	poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
kver=$(uname -r)
if grep -q lvslab.debug /proc/cmdline; then
	PS4='+ $(cut -d" " -f1 /proc/uptime) '
	set -x
fi

# --- stage 1 ---------------------------------------------------------------
# The initramfs holds only the modules named in /modules.boot (and what
# they depend on); provision.sh says why each is loaded at boot. The rest
# are on the host, bound in at stage 2.
modprobe -qa virtio_pci virtio_console
# shellcheck disable=SC2046
modprobe -qa $(cat /modules.boot) 2>/dev/null &
modpid=$!

# Named virtio-serial ports -> /dev/virtio-ports/<name> (no udev here).
mkdir -p /dev/virtio-ports
for i in $(seq 200); do
	for p in /sys/class/virtio-ports/*; do
		[ -e "$p/name" ] || continue
		name=$(cat "$p/name")
		[ -n "$name" ] && ln -sf "/dev/${p##*/}" "/dev/virtio-ports/$name"
	done
	missing=
	for name in $ports; do
		[ -e "/dev/virtio-ports/$name" ] || missing=1
	done
	[ -z "$missing" ] && break
	sleep 0.05
done
wait "$modpid"
[ -e /dev/virtio-ports/lvslab.ctl ] || fail "no control port"

# The wait. The clock is set from the host's: a restored guest's is as old
# as its snapshot.
exec 3<>/dev/virtio-ports/lvslab.ctl
echo ready >&3
read -r word secs <&3 || fail "read control port"
[ "$word" = go ] || fail "control port said $word"
date -s "@$secs" >/dev/null
echo ok >&3
exec 3>&-

# --- stage 2 ---------------------------------------------------------------
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 lvslab "$ctl" ||
	fail "mount control share"
# shellcheck disable=SC1091
. "$ctl/config.sh" || fail "read config.sh"

# Root: overlay(tmpfs upper, 9p host root lower); fallback: read-only 9p root.
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro hostroot /lower ||
	fail "mount host root"
# All the modules, from the image on the host: for the kernel's autoloader
# (/sbin/modprobe here) and for modprobe in the guest's root (below).
mount --bind "/lower$LVSLAB_MODULES" "/lib/modules/$kver" ||
	fail "bind modules $LVSLAB_MODULES"
mount -t tmpfs -o mode=0755 tmpfs /upper
mkdir -p /upper/upper /upper/work
if ! mount -t overlay -o lowerdir=/lower,upperdir=/upper/upper,workdir=/upper/work overlay "$new" 2>/dev/null; then
	mount --bind /lower "$new" || fail "bind host root"
	rw=0
else
	rw=1
fi

mount -t proc proc "$new/proc"
mount -t sysfs sysfs "$new/sys"
mount -t devtmpfs devtmpfs "$new/dev"
mkdir -p "$new/dev/pts" "$new/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$new/dev/pts"
mount -t tmpfs tmpfs "$new/dev/shm"
mount -t tmpfs -o mode=0755 tmpfs "$new/run"
# With the overlay the host's /tmp stays visible (a checkout or build
# there is readable; writes stay in the guest); without it /tmp must be
# writable, so the guest gets its own.
[ "$rw" = 1 ] || mount -t tmpfs -o mode=1777 tmpfs "$new/tmp"
mkdir -p "$new/run/netns" "$new/run/lvslab"
[ -d /sys/fs/cgroup ] && mount -t cgroup2 cgroup2 "$new/sys/fs/cgroup" 2>/dev/null

# This kernel's modules at /lib/modules/<kver>, so modprobe works in the guest.
if [ "$rw" = 0 ] && [ ! -d "$new/lib/modules/$kver" ]; then
	mount -t tmpfs tmpfs "$new/lib/modules" 2>/dev/null
fi
mkdir -p "$new/lib/modules/$kver" 2>/dev/null
mount --bind "/lib/modules/$kver" "$new/lib/modules/$kver" || fail "bind /lib/modules/$kver"

# The work dir, read-write, at the same path as on the host.
mkdir -p "$new$LVSLAB_WORKDIR" 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=mmap work "$new$LVSLAB_WORKDIR" ||
	fail "mount work dir $LVSLAB_WORKDIR"

cp "$ctl/run.sh" "$new/run/lvslab/run.sh" || fail "copy run.sh"

in=/dev/null out=/dev/virtio-ports/lvslab.stdout err=/dev/virtio-ports/lvslab.stderr
[ "$LVSLAB_STDIN" = 1 ] && in=/dev/virtio-ports/lvslab.stdin

if [ "$LVSLAB_MODE" = tty ]; then
	# A shell: the console is its controlling terminal (job control, ^C).
	setsid -c chroot "$new" /bin/sh /run/lvslab/run.sh </dev/ttyS0 >/dev/ttyS0 2>&1
else
	chroot "$new" /bin/sh /run/lvslab/run.sh <"$in" >"$out" 2>"$err"
fi
status=$?
echo "$status" >"$ctl/status"
sync
poweroff -f
