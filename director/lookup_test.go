package director

import (
	"maps"
	"net/netip"
	"slices"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
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

func TestServiceAt(t *testing.T) {
	tb := basicTable()
	tests := []struct {
		name        string
		vip         string
		wantWeights map[string]int // nil: no service
	}{
		{"tcp service", "10.0.0.100:80", map[string]int{"10.0.0.4": 100, "10.0.0.3": 0, "10.0.0.2": 2}},
		{"sctp service without real servers", "10.0.0.100:9", map[string]int{}},
		{"another port", "10.0.0.100:443", nil},
		{"another address", "10.0.0.101:80", nil},
		{"a firewall mark service has no address", "0.0.0.0:0", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tb.ServiceAt(netip.MustParseAddrPort(tt.vip))
			if (e != nil) != (tt.wantWeights != nil) {
				t.Fatalf("ServiceAt(%s) = %v, want found %v", tt.vip, e, tt.wantWeights != nil)
			}
			if e == nil {
				return
			}
			if d := cmp.Diff(tt.wantWeights, e.Weights()); d != "" {
				t.Errorf("Weights (-want +got):\n%s", d)
			}
		})
	}
}

func TestServiceConnections(t *testing.T) {
	d1, d2 := dest("10.0.0.2", 80, ipvs.ConnectionFlagDirectRoute, 1), dest("10.0.0.3", 80, ipvs.ConnectionFlagDirectRoute, 1)
	d1.Stats.Connections, d2.Stats.Connections = 51, 49
	e := &ServiceEntry{Service: svc(syscall.IPPROTO_TCP, "10.0.0.100", 80, "rr"), Destinations: []*ipvs.Destination{d1, d2}}
	if d := cmp.Diff(map[string]uint32{"10.0.0.2": 51, "10.0.0.3": 49}, e.Connections()); d != "" {
		t.Errorf("Connections (-want +got):\n%s", d)
	}
	d1.ActiveConnections, d2.ActiveConnections = 2, 1
	if got := e.Active(); got != 3 {
		t.Errorf("Active = %d, want 3 (2 + 1)", got)
	}
}

func TestConnLookups(t *testing.T) {
	ap := netip.MustParseAddrPort
	conn := func(client string) Conn {
		return Conn{Protocol: "TCP", Client: ap(client), Virtual: ap("10.0.0.100:80"), Dest: ap("10.0.0.2:80"), State: "ESTABLISHED"}
	}
	tb := &Table{Conns: []Conn{conn("10.0.1.5:40000"), conn("10.0.1.0:0"), conn("10.0.1.6:40001")}}
	tests := []struct {
		name   string
		from   string
		wantOK bool
	}{
		{"a client's connection", "10.0.1.6:40001", true},
		{"a template's key", "10.0.1.0:0", true},
		{"another port", "10.0.1.6:40002", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := tb.ConnFrom(ap(tt.from))
			if ok != tt.wantOK || (ok && c.Client != ap(tt.from)) {
				t.Errorf("ConnFrom(%s) = %v, %v; want found %v", tt.from, c, ok, tt.wantOK)
			}
		})
	}
	if got := tb.ConnsWhere(Conn.Template); len(got) != 1 || got[0].Client != ap("10.0.1.0:0") {
		t.Errorf("ConnsWhere(Template) = %v, want the one template", got)
	}
	if got := tb.ConnsWhere(func(c Conn) bool { return !c.Template() }); len(got) != 2 {
		t.Errorf("ConnsWhere(not Template) = %v, want the two connections", got)
	}
}

func TestHeld(t *testing.T) {
	vip := netip.MustParseAddrPort("192.168.188.100:80")
	cip := netip.MustParseAddr("192.168.10.6")
	web1, web2 := netip.MustParseAddrPort("192.168.188.2:80"), netip.MustParseAddrPort("192.168.188.3:80")
	entry := func(proto string, port uint16, state string, dest netip.AddrPort) Conn {
		return Conn{Protocol: proto, Client: netip.AddrPortFrom(cip, port), Virtual: vip, Dest: dest, State: state}
	}
	tab := &Table{Conns: []Conn{
		entry("TCP", 40000, "FIN_WAIT", web1),    // DR's last state: holds
		entry("TCP", 40002, "ESTABLISHED", web2), // holds
		entry("TCP", 40004, "TIME_WAIT", web1),   // NAT's last state: rescheduled
		entry("TCP", 40006, "CLOSE", web2),       // rescheduled
		entry("UDP", 40008, "UDP", web1),         // not a TCP entry
		entry("IP", 0, "NONE", web2),             // a persistence template
		{Protocol: "TCP", Client: netip.MustParseAddrPort("192.168.10.7:40010"), Virtual: vip, Dest: web1, State: "FIN_WAIT"},                             // another client
		{Protocol: "TCP", Client: netip.AddrPortFrom(cip, 40012), Virtual: netip.MustParseAddrPort("192.168.188.100:443"), Dest: web1, State: "FIN_WAIT"}, // another service
	}}
	want := map[uint16]netip.AddrPort{40000: web1, 40002: web2}
	if got := tab.Held(cip, vip); !maps.Equal(got, want) {
		t.Errorf("Held = %v, want %v", got, want)
	}
}
