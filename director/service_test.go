package director

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"syscall"
	"testing"

	"github.com/lvslab/lvslab/topo"
)

func TestKernelServiceNetmask(t *testing.T) {
	mask := func(s string) []byte {
		var b [4]byte
		binary.NativeEndian.PutUint32(b[:], must(kernelService(&topo.Service{
			VIP: netip.MustParseAddr("10.0.0.1"), Port: 80,
			Persistence: persistenceOf(s),
		})).Netmask)
		return b[:]
	}
	tests := []struct {
		name, mask string
		want       []byte // in memory, as the kernel's __be32 reads it
	}{
		{"no persistence", "none", []byte{255, 255, 255, 255}},
		{"persistence without netmask", "", []byte{255, 255, 255, 255}},
		{"/24", "255.255.255.0", []byte{255, 255, 255, 0}},
		{"/16", "255.255.0.0", []byte{255, 255, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mask(tt.mask); string(got) != string(tt.want) {
				t.Errorf("netmask bytes = %v, want %v", got, tt.want)
			}
		})
	}
}

func persistenceOf(mask string) *topo.Persistence {
	switch mask {
	case "none":
		return nil
	case "":
		return &topo.Persistence{Timeout: 5}
	}
	return &topo.Persistence{Timeout: 5, Netmask: netip.MustParseAddr(mask)}
}

func TestMaskRoundTrip(t *testing.T) {
	for _, m := range []string{"255.255.255.255", "255.255.255.0", "255.0.0.0", "0.0.0.0"} {
		t.Run(m, func(t *testing.T) {
			a := netip.MustParseAddr(m)
			if got := maskAddr(kernelMask(a)); got != a {
				t.Errorf("maskAddr(kernelMask(%v)) = %v", a, got)
			}
		})
	}
}

func TestKernelService(t *testing.T) {
	tests := []struct {
		name    string
		svc     topo.Service
		wantErr bool
		check   func(t *testing.T, proto uint16, fwmark, flags, timeout uint32, sched string)
	}{
		{name: "defaults", svc: topo.Service{VIP: netip.MustParseAddr("10.0.0.1"), Port: 80},
			check: func(t *testing.T, proto uint16, fwmark, flags, timeout uint32, sched string) {
				if proto != syscall.IPPROTO_TCP || sched != "wlc" || flags != 0 {
					t.Errorf("proto %d sched %q flags %#x, want tcp wlc 0", proto, sched, flags)
				}
			}},
		{name: "fwmark persistent", svc: topo.Service{FWMark: 3, Scheduler: "sh", Persistence: &topo.Persistence{}},
			check: func(t *testing.T, proto uint16, fwmark, flags, timeout uint32, sched string) {
				if fwmark != 3 || flags != persistentFlag || timeout != topo.DefaultPersistenceTimeout {
					t.Errorf("fwmark %d flags %#x timeout %d", fwmark, flags, timeout)
				}
			}},
		{name: "udp", svc: topo.Service{VIP: netip.MustParseAddr("10.0.0.1"), Port: 53, Protocol: "udp"},
			check: func(t *testing.T, proto uint16, _, _, _ uint32, _ string) {
				if proto != syscall.IPPROTO_UDP {
					t.Errorf("proto %d, want udp", proto)
				}
			}},
		{name: "unknown protocol", svc: topo.Service{VIP: netip.MustParseAddr("10.0.0.1"), Protocol: "icmp"}, wantErr: true},
		{name: "ipv6 vip", svc: topo.Service{VIP: netip.MustParseAddr("2001:db8::1"), Port: 80}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := kernelService(&tt.svc)
			if (err != nil) != tt.wantErr {
				t.Fatalf("kernelService error = %v, want error %v", err, tt.wantErr)
			}
			if err == nil {
				tt.check(t, s.Protocol, s.FWMark, s.Flags, s.Timeout, s.SchedName)
			}
		})
	}
}

func TestSchedulerError(t *testing.T) {
	svc := &topo.Service{Scheduler: "twos"}
	err := schedulerError(svc, syscall.ENOENT)
	if !errors.Is(err, ErrSchedulerNotFound) || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("schedulerError(ENOENT) = %v: want ErrSchedulerNotFound wrapping ENOENT", err)
	}
	if err := schedulerError(svc, syscall.EEXIST); errors.Is(err, ErrSchedulerNotFound) {
		t.Errorf("schedulerError(EEXIST) = %v: not a missing scheduler", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
