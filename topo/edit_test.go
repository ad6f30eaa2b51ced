package topo_test

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lvslab/lvslab/topo"
)

func TestAddAddresses(t *testing.T) {
	pfx := netip.MustParsePrefix
	tests := []struct {
		name, node string
		add        []netip.Prefix
		want       []netip.Prefix // the node's first interface after
		wantErr    bool
	}{
		{"two more client addresses", "client", []netip.Prefix{pfx("10.0.0.11/24"), pfx("10.0.0.12/24")},
			[]netip.Prefix{pfx("10.0.0.2/24"), pfx("10.0.0.3/24"), pfx("10.0.0.11/24"), pfx("10.0.0.12/24")}, false},
		{"none", "lvs", nil, []netip.Prefix{pfx("10.0.0.1/24")}, false},
		{"a node without interfaces", "web2", []netip.Prefix{pfx("10.0.0.9/24")}, nil, true},
		{"no such node", "web9", []netip.Prefix{pfx("10.0.0.9/24")}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := lookupSpec()
			err := spec.AddAddresses(tt.node, tt.add...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("AddAddresses(%s) error %v, want error %v", tt.node, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if d := cmp.Diff(tt.want, spec.Node(tt.node).Interfaces[0].Addresses, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
				t.Errorf("addresses (-want +got):\n%s", d)
			}
		})
	}
}

func TestAddNodeLike(t *testing.T) {
	spec, err := topo.Load("../labs/dr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParsePrefix("192.168.188.83/24")
	n, err := spec.AddNodeLike("web1", "web3", addr)
	if err != nil {
		t.Fatal(err)
	}
	model := spec.Node("web1")
	if spec.Node("web3") != n || n.Role != model.Role || n.Gateway != model.Gateway {
		t.Errorf("web3 = %+v, want a node like web1 %+v", n, model)
	}
	if ifc := n.Interfaces[0]; ifc.Name != model.Interfaces[0].Name || ifc.Segment != model.Interfaces[0].Segment || ifc.Addresses[0] != addr {
		t.Errorf("web3's interface = %+v, want %s on %s with %s", ifc, model.Interfaces[0].Name, model.Interfaces[0].Segment, addr)
	}
	svc := spec.Services[0]
	rs := svc.AddRealServer("web3", addr.Addr(), 3)
	if svc.RealServer("web3") != rs || rs.Port != svc.Port || *rs.Weight != 3 {
		t.Errorf("AddRealServer = %+v, want web3 on port %d at weight 3", rs, svc.Port)
	}
	if err := spec.Validate(); err != nil {
		t.Errorf("the edited lab does not validate: %v", err)
	}
	for _, bad := range []struct{ like, name string }{{"web9", "web4"}, {"web1", "web3"}} {
		if _, err := spec.AddNodeLike(bad.like, bad.name, addr); err == nil {
			t.Errorf("AddNodeLike(%s, %s) succeeded, want an error", bad.like, bad.name)
		}
	}
}

func TestSetWeights(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
		wantErr bool
	}{
		{"one per real server", []int{1, 3}, false},
		{"zero quiesces", []int{0, 1}, false},
		{"too few", []int{1}, true},
		{"too many", []int{1, 2, 3}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := topo.Load("../labs/dr.yaml")
			if err != nil {
				t.Fatal(err)
			}
			svc := spec.Services[0]
			err = svc.SetWeights(tt.weights...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("SetWeights(%v) error %v, want error %v", tt.weights, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			var got []int
			for _, rs := range svc.RealServers {
				got = append(got, *rs.Weight)
			}
			if d := cmp.Diff(tt.weights, got); d != "" {
				t.Errorf("weights (-want +got):\n%s", d)
			}
		})
	}
}
