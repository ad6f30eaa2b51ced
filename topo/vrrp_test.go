package topo_test

import (
	"net/netip"
	"testing"

	"github.com/lvslab/lvslab/topo"
)

func TestVRRPCarries(t *testing.T) {
	tests := []struct {
		name string
		file string
		vip  string
		want bool
	}{
		{"seed 004 VIP is keepalived's", "../labs/dr-keepalived.yaml", "192.168.10.30", true},
		{"seed 000 VIP is keepalived's", "../labs/lvs-nginx.yaml", "192.168.1.150", true},
		{"seed 003 DR VIP is placed by Up", "../labs/dr.yaml", "192.168.188.100", false},
		{"another address of a VRRP lab", "../labs/dr-keepalived.yaml", "192.168.10.31", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := topo.Load(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if got := spec.VRRPCarries(netip.MustParseAddr(tt.vip)); got != tt.want {
				t.Errorf("VRRPCarries(%s, %s) = %v, want %v", tt.file, tt.vip, got, tt.want)
			}
		})
	}
}
