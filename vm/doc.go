// Package vm runs commands under a kernel that has IPVS when the host's
// kernel does not.
//
// lvslab needs kernel IPVS (and, for LVS-TUN, ipip). Most Linux hosts have
// them as modules and lvslab runs natively there; [NeedsVM] tells which case
// applies. Where they are missing (a kernel built without CONFIG_IP_VS or
// without modules), [Run] boots Debian's generic kernel in qemu and runs one
// command inside it, as if it ran on the host: same files, same working
// directory, its stdio and exit status passed through.
//
// # The guest
//
// vm/provision.sh (run as root by `make deps`) downloads the kernel package
// and builds, in a cache directory ([DefaultCacheDir]), an uncompressed
// initramfs of busybox, vm/init.sh as /init and the few modules /init loads
// at boot, plus the tree of all the modules lvslab can use. The guest's root file
// system is the host's / shared read-only over 9p with a tmpfs overlay on
// top, so the guest sees the host's binaries and can still write anywhere;
// writes outside the work directory vanish when the guest powers off. The
// work directory ([Options.Dir], default the current one) is shared
// read-write at the same absolute path. The guest mounts its own /run over
// the host's (its namespaces and lab state are its own); the host's /tmp
// stays readable through the overlay. Share what must come back through
// the work directory. It has no
// network card; its network namespaces, links and IPVS tables are its own,
// so nothing a command does in the guest touches the host's network.
//
// The guest's /lib/modules/<version> is the image's module tree, read from
// the host through the 9p root, so modprobe works inside (moby/ipvs runs
// `modprobe ip_vs` itself) and the kernel autoloads the rest. IPVS and all
// its schedulers, ipip, veth, bridge and tun are loaded at boot.
//
// # Snapshots
//
// A boot under TCG takes seconds; restoring a saved guest takes a fraction
// of that. /init works in two stages. The first does what every run needs
// alike (modules, virtio-serial ports); then the guest says "ready" on its
// control port and waits for "go". The first run of a configuration
// (accelerator, memory, vCPUs, kernel command line, the qemu binary and the
// image) saves the guest's state at that wait through QMP — `migrate` to a
// file, then `cont` — beside the image (snapshots/, or the user's cache when
// that is not writable); later runs start qemu with `-incoming` on that file
// and send "go" at once. The guest then sets its clock from the host's,
// mounts the 9p trees and runs the command. qemu cannot migrate a guest
// that has a 9p tree mounted, which is why the wait comes before any
// mount; a vmgenid device makes the kernel reseed its random number
// generator in each restored guest, so they do not share their snapshot's
// random state. A snapshot that fails to restore is deleted and the guest
// booted afresh (saving a new one). [Options.NoSnapshot] or
// LVSLAB_VM_SNAPSHOT=0 boot every guest afresh. provision.sh deletes the
// snapshots when it rebuilds the image.
//
// # Plumbing
//
// Per run, a control directory in the host's temporary directory is shared
// as a third 9p tree: the host writes the command as a shell script there
// (argv, directory and environment never travel on the kernel command line),
// and the guest's init writes the exit status back. The command's stdin,
// stdout and stderr are virtio-serial ports wired to unix sockets, so the
// streams stay apart, carry bytes unchanged and see EOF properly; kernel and
// init messages stay on the serial console, which [Run] keeps only to
// explain a boot failure. An interactive shell ([Options.Interactive]) gets
// the serial console as its terminal instead (qemu's Ctrl-A x quits). Every
// guest has the same four ports (control, stdin, stdout, stderr; unused ones
// unconnected), as a snapshot needs the same devices. LVSLAB_VM_DEBUG=1
// shows the console and whether the guest was booted or restored, and how
// long that took.
//
// # Acceleration
//
// KVM is used where it works: "auto" (the default) boots `true` under KVM
// once with a deadline and caches the verdict, because nested KVM can hang
// rather than fail. Otherwise TCG (multi-threaded) is used. LVSLAB_VM_ACCEL
// (kvm, tcg, auto) overrides [Options.Accel].
//
// Equivalent to (roughly):
//
//	qemu-system-x86_64 -accel tcg,thread=multi -smp 2 -cpu max -m 1024 \
//	  -nographic -no-reboot -kernel vmlinux -initrd initrd \
//	  -append "console=ttyS0 quiet loglevel=0 panic=-1" -nic none \
//	  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
//	  -virtfs local,path=$PWD,mount_tag=work,security_model=none \
//	  -virtfs local,path=$CTL,mount_tag=lvslab,security_model=none \
//	  -device vmgenid -device virtio-serial-pci ... (control, stdin, stdout, stderr ports) \
//	  -qmp unix:$CTL/qmp.sock,server=on,wait=off [-incoming fd:3 3<SNAPSHOT]
package vm
