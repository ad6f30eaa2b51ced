package director

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/ipvs"
)

const header = "IP Virtual Server version 1.2.1 (size=4096)"

func svc(proto uint16, addr string, port uint16, sched string) *ipvs.Service {
	return &ipvs.Service{AddressFamily: syscall.AF_INET, Protocol: proto, Address: net.ParseIP(addr).To4(),
		Port: port, SchedName: sched, Netmask: allOnes, Flags: hashedFlag}
}

func persistent(s *ipvs.Service, timeout uint32, mask string) *ipvs.Service {
	s.Flags |= persistentFlag
	s.Timeout = timeout
	if mask != "" {
		s.Netmask = kernelMask(netip.MustParseAddr(mask))
	}
	return s
}

func dest(addr string, port uint16, fwd uint32, weight int) *ipvs.Destination {
	return &ipvs.Destination{AddressFamily: syscall.AF_INET, Address: net.ParseIP(addr).To4(), Port: port,
		ConnectionFlags: fwd, Weight: weight}
}

// basicTable is the table of testdata/format/basic.rules, from which the
// real ipvsadm printed basic.*.golden (Debian 12's ipvsadm 1.31 on Linux
// 6.1), given in an order other than ipvsadm's.
func basicTable() *Table {
	fwm := &ipvs.Service{AddressFamily: syscall.AF_INET, FWMark: 3, SchedName: "sh", Netmask: allOnes}
	web := persistent(svc(syscall.IPPROTO_TCP, "10.0.0.100", 80, "rr"), 5, "255.255.255.0")
	return &Table{Header: header, Services: []ServiceEntry{
		{Service: fwm, Destinations: []*ipvs.Destination{dest("172.16.0.7", 0, ipvs.ConnectionFlagDirectRoute, 1)}},
		{Service: svc(syscall.IPPROTO_SCTP, "10.0.0.100", 9, "lc")},
		{Service: web, Destinations: []*ipvs.Destination{
			dest("10.0.0.4", 80, ipvs.ConnectionFlagTunnel, 100),
			dest("10.0.0.3", 8080, ipvs.ConnectionFlagMasq, 0),
			dest("10.0.0.2", 80, ipvs.ConnectionFlagDirectRoute, 2),
		}},
		{Service: svc(syscall.IPPROTO_UDP, "10.0.0.100", 53, "wlc")},
		{Service: persistent(svc(syscall.IPPROTO_TCP, "10.0.0.100", 0, "rr"), 300, "")},
	}}
}

// wrapTable (testdata/format/wrap.rules) shows ipvsadm's wrap-around
// order: 10.x sorts after 200.x.
func wrapTable() *Table {
	return &Table{Header: header, Services: []ServiceEntry{
		{Service: svc(syscall.IPPROTO_TCP, "10.0.0.1", 80, "rr")},
		{Service: svc(syscall.IPPROTO_TCP, "200.0.0.1", 80, "rr")},
		{Service: svc(syscall.IPPROTO_TCP, "192.168.0.1", 80, "rr"), Destinations: []*ipvs.Destination{
			dest("10.0.0.2", 81, ipvs.ConnectionFlagMasq, 1),
			dest("200.0.0.2", 80, ipvs.ConnectionFlagMasq, 1),
			dest("10.0.0.2", 80, ipvs.ConnectionFlagMasq, 1),
			dest("172.16.0.2", 80, ipvs.ConnectionFlagMasq, 1),
		}},
	}}
}

// busyTable has counters in every magnitude ipvsadm abbreviates.
func busyTable() *Table {
	web := svc(syscall.IPPROTO_TCP, "192.168.188.100", 80, "wlc")
	web.Stats = ipvs.SvcStats{Connections: 99_999_999, PacketsIn: 100_000_000, PacketsOut: 4_000_000_000,
		BytesIn: 99_999_999_999, BytesOut: 123_456_789_012_345_678}
	d1 := dest("192.168.188.81", 80, ipvs.ConnectionFlagDirectRoute, 3)
	d1.ActiveConnections, d1.InactiveConnections = 12, 3456
	d1.Stats = ipvs.DstStats{Connections: 7, PacketsIn: 21, PacketsOut: 0, BytesIn: 1134, BytesOut: 0}
	d2 := dest("192.168.188.82", 80, ipvs.ConnectionFlagDirectRoute, 1)
	d2.UpperThreshold, d2.LowerThreshold = 100, 10
	d2.Stats = ipvs.DstStats{Connections: 1_000_000_000, PacketsIn: 1, BytesIn: 100_000_000_000_000}
	return &Table{Header: header, Services: []ServiceEntry{{Service: web, Destinations: []*ipvs.Destination{d2, d1}}}}
}

func TestFormat(t *testing.T) {
	conns := func(file string) func() *Table {
		return func() *Table {
			f, err := os.Open(filepath.Join("testdata", "conn", file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			cs, err := ParseConns(f)
			if err != nil {
				t.Fatal(err)
			}
			return &Table{Header: header, Conns: cs}
		}
	}
	// The goldens are ipvsadm's output, never ours: there is no -update.
	// testdata/format/README.md says where each comes from; a scenario
	// checks them against the real ipvsadm where IPVS is.
	tests := []struct {
		golden string
		table  func() *Table
		format func(*Table) string
	}{
		{"basic.Ln", basicTable, FormatTable},
		{"basic.stats", basicTable, FormatStats},
		{"wrap.Ln", wrapTable, FormatTable},
		{"busy.Ln", busyTable, FormatTable},
		{"busy.stats", busyTable, FormatStats},
		{"empty.Lnc", conns("empty.txt"), func(t *Table) string { return FormatConns(t.Conns) }},
		{"dr.Lnc", conns("dr.txt"), func(t *Table) string { return FormatConns(t.Conns) }},
		{"persistent.Lnc", conns("persistent.txt"), func(t *Table) string { return FormatConns(t.Conns) }},
		{"ipv6.Lnc", conns("ipv6.txt"), func(t *Table) string { return FormatConns(t.Conns) }},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			table := tt.table()
			table.Sort()
			got := tt.format(table)
			path := filepath.Join("testdata", "format", tt.golden+".golden")
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.golden, diff)
			}
		})
	}
}

func TestLargeNum(t *testing.T) {
	tests := []struct {
		in   uint64
		want string
	}{
		{0, "        0"},
		{99_999_999, " 99999999"},
		{100_000_000, "  100000K"},
		{999_999_999, "  999999K"},
		{1_000_000_000, "    1000M"},
		{99_999_999_999, "   99999M"},
		{100_000_000_000, "     100G"},
		{100_000_000_000_000, "     100T"},
	}
	for _, tt := range tests {
		t.Run(strconv.FormatUint(tt.in, 10), func(t *testing.T) {
			if got := largeNum(tt.in); got != tt.want {
				t.Errorf("largeNum(%d) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
