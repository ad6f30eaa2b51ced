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
// and builds an initramfs of busybox, the needed modules and vm/init.sh as
// /init into a cache directory ([DefaultCacheDir]). The guest's root file
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
// The guest's /lib/modules/<version> holds the guest kernel's modules, so
// modprobe works inside (moby/ipvs runs `modprobe ip_vs` itself). IPVS, its
// schedulers, ipip, veth, bridge and the nftables modules are loaded at boot.
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
// the serial console as its terminal instead (qemu's Ctrl-A x quits).
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
//	  -nographic -no-reboot -kernel vmlinuz -initrd initrd.gz \
//	  -append "console=ttyS0 quiet loglevel=0 panic=-1" -nic none \
//	  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
//	  -virtfs local,path=$PWD,mount_tag=work,security_model=none \
//	  -virtfs local,path=$CTL,mount_tag=lvslab,security_model=none \
//	  -device virtio-serial-pci ... (stdin/stdout/stderr ports)
package vm
