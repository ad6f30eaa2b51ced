#!/bin/sh
# /init of the lvslab guest (busybox sh, PID 1). Built into the initramfs by
# vm/provision.sh; the host side is vm/qemu.go.
#
# The host shares three 9p trees:
#   hostroot  the host's / (read-only)   -> lower layer of the guest's root
#   work      the work dir (read-write)  -> mounted at the same path
#   lvslab    a per-run control dir      -> config.sh, run.sh; we write status
# It prints nothing on success: the command's stdio goes through virtio-serial
# ports (stdin/stdout/stderr) or, for a shell, the console.
export PATH=/bin
ctl=/ctl
new=/newroot

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

modprobe -qa virtio_pci virtio_console 9p 9pnet_virtio overlay
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 lvslab "$ctl" ||
	fail "mount control share"
# shellcheck disable=SC1091
. "$ctl/config.sh" || fail "read config.sh"

# Preload what has no autoload alias (ip_vs: /proc/net/ip_vs, ipip: tunl0,
# tun: /dev/net/tun)
# and what every lab uses, in the background while the root is assembled.
# Everything else shipped (schedulers, nftables, gre, vxlan, ...) the
# kernel loads on first use through /sbin/modprobe.
# Every IPVS scheduler is loaded at boot: keepalived asks the kernel for
# one while IPVS holds its mutex, which can deadlock against namespace
# cleanup (see director/modules.go).
modprobe -qa crc32c_generic ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh ip_vs_sh ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh ipip veth bridge tun 2>/dev/null &
modpid=$!

# Root: overlay(tmpfs upper, 9p host root lower); fallback: read-only 9p root.
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro hostroot /lower ||
	fail "mount host root"
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

# Named virtio-serial ports -> /dev/virtio-ports/<name> (no udev here).
mkdir -p /dev/virtio-ports
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	n=0
	for p in /sys/class/virtio-ports/*; do
		[ -e "$p/name" ] || continue
		name=$(cat "$p/name")
		[ -n "$name" ] || continue
		ln -sf "/dev/${p##*/}" "/dev/virtio-ports/$name"
		n=$((n + 1))
	done
	[ "$n" -ge "$LVSLAB_PORTS" ] && break
	sleep 0.05
done

wait "$modpid"

in=/dev/null out=/dev/console err=/dev/console
[ -e /dev/virtio-ports/lvslab.stdin ] && in=/dev/virtio-ports/lvslab.stdin
[ -e /dev/virtio-ports/lvslab.stdout ] && out=/dev/virtio-ports/lvslab.stdout
[ -e /dev/virtio-ports/lvslab.stderr ] && err=/dev/virtio-ports/lvslab.stderr

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
