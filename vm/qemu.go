package vm

import (
	"strconv"
	"strings"
)

// Port names the guest's /init looks for under /dev/virtio-ports.
const (
	portStdin  = "lvslab.stdin"
	portStdout = "lvslab.stdout"
	portStderr = "lvslab.stderr"
)

// chardevPort is a virtio-serial port backed by a unix socket qemu
// connects to.
type chardevPort struct {
	Name   string // port name in the guest
	Socket string // host unix socket path
}

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
	Ports       []chardevPort
}

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
	)
	if len(c.Ports) > 0 {
		a = append(a, "-device", "virtio-serial-pci,id=vser")
		for i, p := range c.Ports {
			id := "port" + strconv.Itoa(i)
			a = append(a,
				"-chardev", "socket,id="+id+",path="+qemuOptValue(p.Socket),
				"-device", "virtserialport,bus=vser.0,chardev="+id+",name="+p.Name,
			)
		}
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
