package director

import (
	"net/netip"
	"slices"
	"syscall"
	"testing"

	"github.com/moby/ipvs"

	"github.com/lvslab/lvslab/topo"
)

func TestTableLacks(t *testing.T) {
	two := 2
	web := &topo.Service{
		Name: "web", VIP: netip.MustParseAddr("192.168.10.30"), Port: 80, Protocol: "tcp", Scheduler: "rr", Forward: topo.ForwardDR,
		RealServers: []*topo.RealServer{
			{Node: "web01", RIP: netip.MustParseAddr("192.168.10.33"), Port: 80},
			{Node: "web02", RIP: netip.MustParseAddr("192.168.10.34"), Port: 80, Weight: &two},
		},
		SorryServer: &topo.RealServer{Node: "sorry", RIP: netip.MustParseAddr("192.168.10.40"), Port: 80},
	}
	fwm := &topo.Service{
		Name: "fwm", VIP: netip.MustParseAddr("172.16.0.99"), FWMark: 3, Protocol: "tcp", Forward: topo.ForwardDR,
		RealServers: []*topo.RealServer{{Node: "rs1", RIP: netip.MustParseAddr("172.16.0.7")}},
	}
	dr := uint32(ipvs.ConnectionFlagDirectRoute)
	webEntry := func(dests ...*ipvs.Destination) ServiceEntry {
		return ServiceEntry{Service: svc(syscall.IPPROTO_TCP, "192.168.10.30", 80, "rr"), Destinations: dests}
	}
	fwmEntry := ServiceEntry{
		Service:      &ipvs.Service{AddressFamily: syscall.AF_INET, FWMark: 3, SchedName: "sh", Netmask: allOnes},
		Destinations: []*ipvs.Destination{dest("172.16.0.7", 0, dr, 1)},
	}
	tests := []struct {
		name  string
		svc   *topo.Service
		table []ServiceEntry
		want  []string
	}{
		{"both listed", web, []ServiceEntry{webEntry(dest("192.168.10.33", 80, dr, 1), dest("192.168.10.34", 80, dr, 2))}, nil},
		{"the sorry server does not count", web, []ServiceEntry{webEntry(dest("192.168.10.33", 80, dr, 1), dest("192.168.10.34", 80, dr, 2), dest("192.168.10.40", 80, dr, 1))}, nil},
		{"one removed by its check", web, []ServiceEntry{webEntry(dest("192.168.10.34", 80, dr, 2))}, []string{"web01"}},
		{"weight 0 (inhibit_on_failure)", web, []ServiceEntry{webEntry(dest("192.168.10.33", 80, dr, 0), dest("192.168.10.34", 80, dr, 2))}, []string{"web01"}},
		{"another port is another server", web, []ServiceEntry{webEntry(dest("192.168.10.33", 8080, dr, 1), dest("192.168.10.34", 80, dr, 2))}, []string{"web01"}},
		{"no service", web, []ServiceEntry{fwmEntry}, []string{"web01", "web02"}},
		{"another port's service", web, []ServiceEntry{{Service: svc(syscall.IPPROTO_TCP, "192.168.10.30", 443, "rr"), Destinations: []*ipvs.Destination{dest("192.168.10.33", 80, dr, 1)}}}, []string{"web01", "web02"}},
		{"firewall mark", fwm, []ServiceEntry{webEntry(), fwmEntry}, nil},
		{"firewall mark absent", fwm, []ServiceEntry{webEntry()}, []string{"rs1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := (&Table{Services: tt.table}).Lacks(tt.svc)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Lacks = %v, want %v", got, tt.want)
			}
		})
	}
}
