package topo_test

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lvslab/lvslab/topo"
)

// lookupSpec is a small lab file in Go: a client with two addresses, a
// director with two interfaces, two real servers.
func lookupSpec() *topo.Spec {
	pfx := netip.MustParsePrefix
	return &topo.Spec{Name: "lookups", Nodes: []*topo.Node{
		{Name: "client", Role: topo.RoleClient, Interfaces: []*topo.Interface{
			{Name: "eth0", Segment: "wan", Addresses: []netip.Prefix{pfx("10.0.0.2/24"), pfx("10.0.0.3/24")}},
		}},
		{Name: "lvs", Role: topo.RoleDirector, Interfaces: []*topo.Interface{
			{Name: "eth0", Segment: "wan", Addresses: []netip.Prefix{pfx("10.0.0.1/24")}},
			{Name: "eth1", Segment: "lan"},
		}},
		{Name: "web1", Role: topo.RoleRealServer},
		{Name: "web2", Role: topo.RoleRealServer},
		{Name: "web1", Role: topo.RoleClient}, // a name used twice: the first counts
	}}
}

func names(ns []*topo.Node) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Name+"/"+string(n.Role))
	}
	return out
}

func TestNode(t *testing.T) {
	spec := lookupSpec()
	tests := []struct {
		name, node string
		want       string // the role found, "" for nil
	}{
		{"client", "client", "client"},
		{"director", "lvs", "director"},
		{"a name used twice: the first", "web1", "realserver"},
		{"unknown", "web9", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := spec.Node(tt.node)
			got := ""
			if n != nil {
				got = string(n.Role)
			}
			if got != tt.want {
				t.Errorf("Node(%q) has role %q, want %q", tt.node, got, tt.want)
			}
		})
	}
}

func TestNodesOf(t *testing.T) {
	spec := lookupSpec()
	tests := []struct {
		role      topo.Role
		want      []string
		wantFirst string
	}{
		{topo.RoleClient, []string{"client/client", "web1/client"}, "client"},
		{topo.RoleDirector, []string{"lvs/director"}, "lvs"},
		{topo.RoleRealServer, []string{"web1/realserver", "web2/realserver"}, "web1"},
		{topo.RoleRouter, nil, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			if d := cmp.Diff(tt.want, names(spec.NodesOf(tt.role))); d != "" {
				t.Errorf("NodesOf(%s) (-want +got):\n%s", tt.role, d)
			}
			first := ""
			if n := spec.FirstOf(tt.role); n != nil {
				first = n.Name
			}
			if first != tt.wantFirst {
				t.Errorf("FirstOf(%s) = %q, want %q", tt.role, first, tt.wantFirst)
			}
		})
	}
}

func TestAddressOn(t *testing.T) {
	spec := lookupSpec()
	tests := []struct {
		name, node, iface string
		want              string // "" for invalid
	}{
		{"the first of two addresses", "client", "eth0", "10.0.0.2"},
		{"a director's first interface", "lvs", "eth0", "10.0.0.1"},
		{"an interface without addresses", "lvs", "eth1", ""},
		{"no such interface", "lvs", "eth2", ""},
		{"a node without interfaces", "web2", "eth0", ""},
		{"no such node", "web9", "eth0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := spec.AddressOn(tt.node, tt.iface)
			if (tt.want == "" && got.IsValid()) || (tt.want != "" && got.String() != tt.want) {
				t.Errorf("AddressOn(%s, %s) = %v, want %q", tt.node, tt.iface, got, tt.want)
			}
			if n := spec.Node(tt.node); n != nil && n.AddressOn(tt.iface) != got {
				t.Errorf("Node(%s).AddressOn(%s) = %v, Spec.AddressOn %v", tt.node, tt.iface, n.AddressOn(tt.iface), got)
			}
		})
	}
	if ifc := spec.Node("lvs").Interface("eth1"); ifc == nil || ifc.Segment != "lan" {
		t.Errorf("Interface(eth1) of lvs = %+v, want the one on lan", ifc)
	}
}

func TestVRRPMembers(t *testing.T) {
	m := func(node, state string, prio int) *topo.Member {
		return &topo.Member{Node: node, State: state, Priority: prio}
	}
	tests := []struct {
		name           string
		members        []*topo.Member
		ranked         []string
		master, backup string
	}{
		{"MASTER 100, BACKUP 90 (seed 004)", []*topo.Member{m("lvs01", "MASTER", 100), m("lvs02", "BACKUP", 90)},
			[]string{"lvs01", "lvs02"}, "lvs01", "lvs02"},
		{"the highest priority wins over state MASTER", []*topo.Member{m("a", "MASTER", 90), m("b", "BACKUP", 100)},
			[]string{"b", "a"}, "b", "a"},
		{"equal priorities: state MASTER first", []*topo.Member{m("a", "BACKUP", 100), m("b", "MASTER", 100)},
			[]string{"b", "a"}, "b", "a"},
		{"equal priorities and states: file order", []*topo.Member{m("a", "BACKUP", 100), m("b", "BACKUP", 100), m("c", "BACKUP", 120)},
			[]string{"c", "a", "b"}, "c", "a"},
		{"one member: no backup", []*topo.Member{m("a", "MASTER", 100)}, []string{"a"}, "a", ""},
		{"no members", nil, nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &topo.VRRP{Name: "VI_1", Members: tt.members}
			var ranked []string
			for _, m := range v.Ranked() {
				ranked = append(ranked, m.Node)
			}
			if d := cmp.Diff(tt.ranked, ranked); d != "" {
				t.Errorf("Ranked (-want +got):\n%s", d)
			}
			nodeOf := func(m *topo.Member) string {
				if m == nil {
					return ""
				}
				return m.Node
			}
			if got := nodeOf(v.Master()); got != tt.master {
				t.Errorf("Master = %q, want %q", got, tt.master)
			}
			if got := nodeOf(v.Backup()); got != tt.backup {
				t.Errorf("Backup = %q, want %q", got, tt.backup)
			}
			for _, want := range tt.members {
				if got := v.Member(want.Node); got != want {
					t.Errorf("Member(%s) = %+v, want %+v", want.Node, got, want)
				}
			}
			if got := v.Member("nobody"); got != nil {
				t.Errorf("Member(nobody) = %+v, want nil", got)
			}
			for i, m := range v.Members {
				if m != tt.members[i] {
					t.Fatalf("Ranked reordered the lab file's members: %d is %s", i, m.Node)
				}
			}
		})
	}
}

func TestNetlinkAddr(t *testing.T) {
	tests := []struct {
		prefix string
		want   string // as ip(8) prints it
	}{
		{"192.168.10.31/24", "192.168.10.31/24"},
		{"192.168.10.30/32", "192.168.10.30/32"},
		{"2001:db8::1/64", "2001:db8::1/64"},
		{"2001:db8::30/128", "2001:db8::30/128"},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			p := netip.MustParsePrefix(tt.prefix)
			a := topo.NetlinkAddr(p)
			if got := a.IPNet.String(); got != tt.want {
				t.Errorf("NetlinkAddr(%s) = %s, want %s", p, got, tt.want)
			}
			if len(a.IP) != p.Addr().BitLen()/8 {
				t.Errorf("NetlinkAddr(%s) IP has %d bytes, want %d", p, len(a.IP), p.Addr().BitLen()/8)
			}
		})
	}
}

func TestServiceLookups(t *testing.T) {
	spec, err := topo.Load("../labs/dr-keepalived.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, service, node string
		wantService         bool
		wantRIP             string // "" for no real server
	}{
		{"a real server of seed 004", "web", "web01", true, "192.168.10.33"},
		{"the other", "web", "web02", true, "192.168.10.34"},
		{"a director is no real server", "web", "lvs01", true, ""},
		{"no such service", "mail", "web01", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := spec.Service(tt.service)
			if (svc != nil) != tt.wantService {
				t.Fatalf("Service(%q) = %v, want found %v", tt.service, svc, tt.wantService)
			}
			if svc == nil {
				return
			}
			rs := svc.RealServer(tt.node)
			got := ""
			if rs != nil {
				got = rs.RIP.String()
			}
			if got != tt.wantRIP {
				t.Errorf("RealServer(%s).RIP = %q, want %q", tt.node, got, tt.wantRIP)
			}
		})
	}
}
