package vm

import (
	"strconv"
	"strings"
)

// Port names the guest's /init looks for under /dev/virtio-ports.
const (
	portCtl    = "lvslab.ctl"
	portStdin  = "lvslab.stdin"
	portStdout = "lvslab.stdout"
	portStderr = "lvslab.stderr"
)

// guestPorts are the virtio-serial ports of every guest, in this order. A
// port a run does not use has a null backend: the devices stay the same
// from run to run, as restoring a snapshot requires.
var guestPorts = []string{portCtl, portStdin, portStdout, portStderr}

// qemuConfig is everything that shapes the qemu command line.
type qemuConfig struct {
	Image       Image
	Accel       string // "kvm" or "tcg"
	Memory      int    // MiB
	CPUs        int
	Dir         string // work dir, shared read-write as "work"
	Ctl         string // control dir, shared read-write as "lvslab"
	Interactive bool
	Debug       bool // kernel and init messages on the console
	// Sockets maps a port of guestPorts to the host unix socket qemu
	// connects it to; a port not in it is left unconnected.
	Sockets map[string]string
	// QMP is the unix socket qemu listens on for QMP commands ("": none).
	QMP string
	// Restore starts the guest from the snapshot open as qemu's fd 3
	// instead of booting it.
	Restore bool
}

// restoreFD is the descriptor qemu reads a snapshot from.
const restoreFD = 3

// qemuOptValue escapes a value for qemu's comma-separated option syntax.
func qemuOptValue(s string) string { return strings.ReplaceAll(s, ",", ",,") }

// args renders the qemu-system-x86_64 arguments (without the program name).
func (c qemuConfig) args() []string {
	a := []string{}
	switch c.Accel {
	case "kvm":
		a = append(a, "-accel", "kvm", "-cpu", "host")
	default:
		a = append(a, "-accel", "tcg,thread=multi", "-cpu", "max")
	}
	a = append(a,
		"-smp", strconv.Itoa(c.CPUs),
		"-m", strconv.Itoa(c.Memory),
		// -nographic without the VGA card, so SeaBIOS prints nothing; the
		// console and monitor share stdio (Ctrl-A x quits), and ^C goes to
		// the guest.
		"-display", "none", "-vga", "none",
		"-chardev", "stdio,id=con,mux=on,signal=off",
		"-serial", "chardev:con", "-mon", "chardev=con,mode=readline",
		"-no-reboot", "-no-user-config",
		"-kernel", c.Image.Kernel,
		"-initrd", c.Image.Initrd,
		"-append", c.cmdline(),
		"-nic", "none",
		"-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
		"-virtfs", "local,path="+qemuOptValue(c.Dir)+",mount_tag=work,security_model=none,multidevs=remap",
		"-virtfs", "local,path="+qemuOptValue(c.Ctl)+",mount_tag=lvslab,security_model=none",
		// A new generation ID on every start: a restored guest reseeds its
		// random number generator instead of repeating its snapshot's.
		"-device", "vmgenid",
		"-device", "virtio-serial-pci,id=vser",
	)
	for i, name := range guestPorts {
		id := "port" + strconv.Itoa(i)
		backend := "null,id=" + id
		if s, ok := c.Sockets[name]; ok {
			backend = "socket,id=" + id + ",path=" + qemuOptValue(s)
		}
		a = append(a,
			"-chardev", backend,
			"-device", "virtserialport,bus=vser.0,chardev="+id+",name="+name,
		)
	}
	if c.QMP != "" {
		a = append(a, "-qmp", "unix:"+qemuOptValue(c.QMP)+",server=on,wait=off")
	}
	if c.Restore {
		a = append(a, "-incoming", "fd:"+strconv.Itoa(restoreFD))
	}
	return a
}

// cmdline is the guest kernel's command line. Nothing on it comes from the
// command being run.
func (c qemuConfig) cmdline() string {
	if c.Debug {
		return "console=ttyS0 panic=-1 printk.time=1 lvslab.debug"
	}
	return "console=ttyS0 quiet loglevel=0 panic=-1"
}
