package director

import (
	"testing"

	"github.com/lvslab/lvslab/topo"
)

// TestVIPInterface picks the VIP's interface on the lab files' directors.
func TestVIPInterface(t *testing.T) {
	tests := []struct {
		lab, node, service, want string
	}{
		{"dr.yaml", "lvs", "web", "eth0"},           // DR: on the real servers' segment
		{"nat.yaml", "lvs", "web", "eth1"},          // NAT: the outside interface (holds the VIP already)
		{"tun.yaml", "director", "web", "eth0"},     // TUN: the VIP's subnet
		{"fwmark.yaml", "director", "web", "eth0"},  // DR with a mark
		{"lvs-nginx.yaml", "lvs151", "web", "eth0"}, // DR
		{"dr-keepalived.yaml", "lvs02", "web", "eth0"},
	}
	for _, tt := range tests {
		t.Run(tt.lab, func(t *testing.T) {
			spec, err := topo.Load("../labs/" + tt.lab)
			if err != nil {
				t.Fatal(err)
			}
			node, svc := spec.Node(tt.node), spec.Service(tt.service)
			if node == nil || svc == nil {
				t.Fatalf("%s has no node %s or service %s", tt.lab, tt.node, tt.service)
			}
			if got := vipInterface(node, svc); got != tt.want {
				t.Errorf("vipInterface = %q, want %q", got, tt.want)
			}
		})
	}
}
