package vm

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestQemuArgs(t *testing.T) {
	img := Image{Kernel: "/c/vmlinux", Initrd: "/c/initrd"}
	tests := []struct {
		name string
		cfg  qemuConfig
		want []string // must appear, in order, as adjacent pairs
		not  []string
	}{
		{
			name: "tcg",
			cfg:  qemuConfig{Image: img, Accel: "tcg", Memory: 1024, CPUs: 2, Dir: "/work", Ctl: "/tmp/c"},
			want: []string{
				"-accel", "tcg,thread=multi", "-cpu", "max", "-smp", "2", "-m", "1024",
				"-kernel", "/c/vmlinux", "-initrd", "/c/initrd",
				"-append", "console=ttyS0 quiet loglevel=0 panic=-1", "-nic", "none",
				"-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
				"-virtfs", "local,path=/work,mount_tag=work,security_model=none,multidevs=remap",
				"-virtfs", "local,path=/tmp/c,mount_tag=lvslab,security_model=none",
				"-device", "vmgenid",
			},
			not: []string{"-incoming", "-qmp"},
		},
		{
			name: "kvm",
			cfg:  qemuConfig{Image: img, Accel: "kvm", Memory: 512, CPUs: 1, Dir: "/w", Ctl: "/c"},
			want: []string{"-accel", "kvm", "-cpu", "host", "-smp", "1", "-m", "512"},
		},
		{
			name: "comma in path",
			cfg:  qemuConfig{Image: img, Accel: "tcg", Memory: 1, CPUs: 1, Dir: "/a,b", Ctl: "/c"},
			want: []string{"-virtfs", "local,path=/a,,b,mount_tag=work,security_model=none,multidevs=remap"},
		},
		{
			name: "every port, connected or not",
			cfg: qemuConfig{Image: img, Accel: "tcg", Memory: 1, CPUs: 1, Dir: "/w", Ctl: "/c",
				Sockets: map[string]string{portCtl: "/c/ctl.sock", portStdout: "/c/o,.sock"}},
			want: []string{
				"-device", "virtio-serial-pci,id=vser",
				"-chardev", "socket,id=port0,path=/c/ctl.sock",
				"-device", "virtserialport,bus=vser.0,chardev=port0,name=lvslab.ctl",
				"-chardev", "null,id=port1",
				"-device", "virtserialport,bus=vser.0,chardev=port1,name=lvslab.stdin",
				"-chardev", "socket,id=port2,path=/c/o,,.sock",
				"-device", "virtserialport,bus=vser.0,chardev=port2,name=lvslab.stdout",
				"-chardev", "null,id=port3",
				"-device", "virtserialport,bus=vser.0,chardev=port3,name=lvslab.stderr",
			},
		},
		{
			name: "restore",
			cfg:  qemuConfig{Image: img, Accel: "tcg", Memory: 1, CPUs: 1, Dir: "/w", Ctl: "/c", QMP: "/c/q.sock", Restore: true},
			want: []string{"-qmp", "unix:/c/q.sock,server=on,wait=off", "-incoming", "fd:3"},
		},
		{
			name: "debug",
			cfg:  qemuConfig{Image: img, Accel: "tcg", Memory: 1, CPUs: 1, Dir: "/w", Ctl: "/c", Debug: true},
			want: []string{"-append", "console=ttyS0 panic=-1 printk.time=1 lvslab.debug"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cfg.args()
			joined := "\x00" + strings.Join(got, "\x00") + "\x00"
			for i := 0; i < len(tt.want); i += 2 {
				pair := "\x00" + tt.want[i] + "\x00" + tt.want[i+1] + "\x00"
				if !strings.Contains(joined, pair) {
					t.Errorf("missing %q %q in\n%q", tt.want[i], tt.want[i+1], got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(joined, n) {
					t.Errorf("unexpected %q in %q", n, got)
				}
			}
		})
	}
}

func TestResolveAccel(t *testing.T) {
	tests := []struct {
		name, opt, env, want string
		wantErr              bool
	}{
		{name: "default", want: "auto"},
		{name: "option", opt: "tcg", want: "tcg"},
		{name: "env wins", opt: "tcg", env: "kvm", want: "kvm"},
		{name: "bad", opt: "hvf", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(AccelEnv, tt.env)
			got, err := resolveAccel(tt.opt)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("resolveAccel (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 4}
	_, _ = b.Write([]byte("ab"))
	_, _ = b.Write([]byte("cdef"))
	if got := b.String(); got != "cdef" {
		t.Errorf("got %q, want %q", got, "cdef")
	}
}
