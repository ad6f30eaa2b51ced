package labtest

import (
	"testing"

	"github.com/lvslab/lvslab/topo"
)

// TestDRAddresses holds the addresses DR's tests name to labs/dr.yaml.
func TestDRAddresses(t *testing.T) {
	spec, err := topo.Load(DRFile())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"Client", Client.String(), spec.AddressOn("client", "eth0").String()},
		{"VIP", VIP.String(), spec.Service("web").VIP.String()},
		{"RIP web1", RIP["web1"].String(), spec.Service("web").RealServer("web1").RIP.String()},
		{"RIP web2", RIP["web2"].String(), spec.Service("web").RealServer("web2").RIP.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("%s = %s, labs/dr.yaml says %s", tt.name, tt.got, tt.want)
			}
		})
	}
	if len(RIP) != len(spec.Service("web").RealServers) {
		t.Errorf("RIP names %d real servers, labs/dr.yaml %d", len(RIP), len(spec.Service("web").RealServers))
	}
	if pfx := spec.Node("client").Interfaces[0].Addresses[0]; !pfx.Contains(Client2) || Client2 == Client {
		t.Errorf("Client2 %s is not a second address on the client's subnet %s", Client2, pfx.Masked())
	}
}
