#!/usr/bin/env bash
# provision.sh - prepare the guest kernel and initramfs that `lvslab vm` boots.
#
# Run as root (make deps). It installs the host tools the guest path needs,
# downloads Debian's generic kernel package, and builds
#
#   ${LVSLAB_CACHE:-/var/cache/lvslab}/vm/<kernel-version>/
#     vmlinuz, vmlinux   the kernel (vmlinux: uncompressed, booted via PVH)
#     initrd             an uncompressed initramfs: busybox-static, vm/init.sh
#                        as /init, and only the modules /init loads before the
#                        guest waits for its command (see init.sh's stage 1)
#     modules/           the kernel modules lvslab can use, with depmod's
#                        indexes: the guest's /lib/modules/<kernel-version>,
#                        read from the host through the 9p root
#     kernel-version, init.sha256, build.sha256
#   ${LVSLAB_CACHE:-/var/cache/lvslab}/vm/current -> <kernel-version>
#
# The initramfs is small and not compressed because unpacking is the
# largest single cost of a boot under TCG. A rebuild removes the guest
# snapshots (snapshots/) that `lvslab vm` saved from the old image.
#
# It is idempotent: with the kernel and initramfs cached and vm/init.sh
# and this script unchanged (their sha256 is stored), it does nothing.
#
# Environment:
#   LVSLAB_CACHE          cache root (default /var/cache/lvslab)
#   LVSLAB_VM_KERNEL_PKG  kernel package (default: what linux-image-amd64 depends on)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
init_script="$here/init.sh"
cache="${LVSLAB_CACHE:-/var/cache/lvslab}/vm"
steps=5

step() { printf 'lvslab: [%s/%s] %s\n' "$1" "$steps" "$2"; }
die() { printf 'lvslab: %s\n' "$*" >&2; exit 1; }

tools=(qemu-system-x86 busybox-static kmod cpio xz-utils)

# --- 1. host packages ------------------------------------------------------
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
	die "this is not a Debian/Ubuntu host; install by hand: qemu-system-x86_64, a static busybox, kmod (depmod), cpio, gzip, and put a kernel with 9p, virtio and ip_vs modules into $cache (see vm/provision.sh)"
fi
[ "$(id -u)" -eq 0 ] || die "run as root (make deps)"
[ -f "$init_script" ] || die "missing $init_script"

missing=()
for p in "${tools[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	step 1 "host packages already installed (${tools[*]})"
else
	step 1 "installing ${missing[*]} ..."
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- 2. kernel package ----------------------------------------------------
pkg="${LVSLAB_VM_KERNEL_PKG:-}"
if [ -z "$pkg" ]; then
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ && $2 !~ /cloud|rt-/ {print $2; exit}')
fi
[ -n "$pkg" ] || die "cannot resolve the kernel package: apt-cache depends linux-image-amd64 names none (run apt-get update)"
case "$pkg" in
*-cloud-*) die "$pkg is the cloud flavour, which lacks 9p; use the generic one" ;;
esac
kver=${pkg#linux-image-}
dir="$cache/$kver"
init_sum=$(sha256sum "$init_script" | cut -d' ' -f1)
build_sum=$(cat "$init_script" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)

if [ -s "$dir/vmlinuz" ] && [ -s "$dir/initrd" ] && [ -d "$dir/modules/kernel" ] && [ -f "$dir/build.sha256" ] &&
	[ "$(cat "$dir/build.sha256")" = "$build_sum" ]; then
	ln -sfn "$kver" "$cache/current"
	echo "lvslab: guest kernel $kver and initramfs are up to date in $dir; nothing to do"
	exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

step 2 "downloading $pkg ..."
(cd "$work" && apt-get download -qq "$pkg" 2>/dev/null) ||
	(cd "$work" && apt-get download "$pkg") || die "apt-get download $pkg failed"
deb=$(ls "$work"/*.deb)

# --- 3. unpack ------------------------------------------------------------
step 3 "unpacking $(basename "$deb") ..."
dpkg -x "$deb" "$work/pkg"
kmods="$work/pkg/lib/modules/$kver"
[ -f "$work/pkg/boot/vmlinuz-$kver" ] || die "$pkg has no /boot/vmlinuz-$kver"
[ -d "$kmods/kernel" ] || die "$pkg has no /lib/modules/$kver/kernel"

# --- 4. module tree and initramfs tree -------------------------------------
step 4 "collecting busybox and kernel modules ..."
# Modules: the subtrees lvslab can use (9p root, overlay, virtio, IPVS and
# its schedulers, netfilter/nftables, ipip/gre, veth/bridge/tun, qdiscs), and
# from the rest only what those depend on. drivers/net only its top level
# (veth, tun, dummy, macvlan, virtio_net, ...) and a few virtual-link
# families; the hardware drivers are 70 MB a guest with no NIC never loads.
# Everything here can be loaded on demand (the kernel autoloads through
# /sbin/modprobe), so /init preloads only a few.
wanted=(net/9p fs/9p fs/netfs fs/fscache fs/overlayfs drivers/virtio drivers/char/virtio_console.ko
	drivers/char/hw_random/virtio-rng.ko net/netfilter net/ipv4 net/ipv6 net/bridge net/802
	net/8021q net/llc net/sched net/core net/packet crypto arch/x86/crypto
	drivers/net/vxlan drivers/net/ipvlan drivers/net/bonding drivers/net/team)
# What /init preloads before it waits for its command (init.sh, stage 1);
# these and their dependencies are the initramfs's only modules, and
# /modules.boot names them for /init. The 9p root, overlay and the
# virtio-serial ports; what has no autoload alias (ip_vs: /proc/net/ip_vs,
# ipip: tunl0, tun: /dev/net/tun) and what every lab uses. Every IPVS
# scheduler is loaded at boot: keepalived asks the kernel for one while
# IPVS holds its mutex, which can deadlock against namespace cleanup (see
# director/modules.go). Everything else shipped (nftables, gre, vxlan, ...)
# the kernel loads on first use.
boot_modules=(virtio_pci virtio_console 9p 9pnet_virtio overlay
	crc32c_generic ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh
	ip_vs_sh ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh ipip veth bridge tun)

depmod -b "$work/pkg" "$kver"
{
	for w in "${wanted[@]}" drivers/net/; do
		case "$w" in
		drivers/net/) grep -E "^kernel/drivers/net/[^/]+\.ko[^:]*:" "$kmods/modules.dep" || true ;;
		*) grep -E "^kernel/$w[/:.]" "$kmods/modules.dep" || echo "lvslab: note: no module $w in $pkg" >&2 ;;
		esac
	done
} | tr -d ':' | tr ' ' '\n' | grep . | LC_ALL=C sort -u >"$work/modules.list"
# modules.dep lists every module's dependencies in full, so one line each.
for m in "${boot_modules[@]}"; do
	grep -E "^([^:]*/)?$m\.ko[^:]*:" "$kmods/modules.dep" | head -1 | grep . ||
		die "no module $m in $pkg"
done | tr -d ':' | tr ' ' '\n' | grep . | LC_ALL=C sort -u >"$work/boot-modules.list"

# copy_modules LIST ROOT: the listed modules, depmod'ed, as ROOT/lib/modules/$kver.
copy_modules() {
	local m
	while read -r m; do
		mkdir -p "$2/lib/modules/$kver/$(dirname "$m")"
		cp "$kmods/$m" "$2/lib/modules/$kver/$m"
	done <"$1"
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ -f "$kmods/$f" ] && cp "$kmods/$f" "$2/lib/modules/$kver/"
	done
	depmod -b "$2" "$kver"
}
copy_modules "$work/modules.list" "$work/full"

root="$work/root"
mkdir -p "$root"/{bin,dev,proc,sys,run,tmp,newroot,lower,upper,ctl}
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
install -m 0755 "$init_script" "$root/init"
mkdir -p "$root/sbin"
ln -s ../bin/busybox "$root/sbin/modprobe" # the kernel's autoloader calls it
copy_modules "$work/boot-modules.list" "$root"
printf '%s\n' "${boot_modules[@]}" >"$root/modules.boot"

# The kernel uncompressed: qemu boots its ELF through the PVH entry point,
# skipping the self-decompression that takes ~10 s under TCG.
vmlinux=""
if grep -q '^CONFIG_PVH=y' "$work/pkg/boot/config-$kver" 2>/dev/null; then
	off=$(LC_ALL=C grep -abo $'\xfd7zXZ\x00' "$work/pkg/boot/vmlinuz-$kver" | head -1 | cut -d: -f1 || true)
	if [ -n "$off" ]; then
		# xz complains about the bzImage's trailing bytes; the ELF magic decides.
		tail -c +$((off + 1)) "$work/pkg/boot/vmlinuz-$kver" | xz -dcq >"$work/vmlinux" 2>/dev/null || true
		[ "$(head -c 4 "$work/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] && vmlinux="$work/vmlinux"
	fi
fi

# --- 5. pack --------------------------------------------------------------
step 5 "packing initramfs ..."
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) >"$work/initrd"
mkdir -p "$dir"
rm -rf "$dir/snapshots" "$dir/modules" "$dir/initrd.gz"
install -m 0644 "$work/pkg/boot/vmlinuz-$kver" "$dir/vmlinuz"
install -m 0644 "$work/initrd" "$dir/initrd"
cp -a "$work/full/lib/modules/$kver" "$dir/modules"
rm -f "$dir/vmlinux"
[ -n "$vmlinux" ] && install -m 0644 "$vmlinux" "$dir/vmlinux"
printf '%s\n' "$kver" >"$dir/kernel-version"
printf '%s\n' "$init_sum" >"$dir/init.sha256"
printf '%s\n' "$build_sum" >"$dir/build.sha256"
rm -f "$dir/kvm-probe"
ln -sfn "$kver" "$cache/current"
echo "lvslab: guest ready: $dir ($(du -h "$dir/initrd" | cut -f1) initramfs, $(du -sh "$dir/modules" | cut -f1) modules)"
