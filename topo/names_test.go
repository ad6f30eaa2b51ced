package topo

import "testing"

func TestPortName(t *testing.T) {
	tests := []struct {
		node, iface string
		want        string
	}{
		{"web1", "eth0", "web1-eth0"},
		{"lvs-151", "ens33", "lvs-151-ens33"},
		{"004-lvs01", "eno16777736", "004-lv-"}, // prefix; the hash follows
	}
	for _, tt := range tests {
		t.Run(tt.node+"/"+tt.iface, func(t *testing.T) {
			got := PortName(tt.node, tt.iface)
			if len(got) > MaxIfName {
				t.Fatalf("PortName = %q, longer than %d bytes", got, MaxIfName)
			}
			if len(tt.want) < len(tt.node)+1+len(tt.iface) && len(got) == MaxIfName && got[:len(tt.want)] == tt.want {
				return
			}
			if got != tt.want {
				t.Errorf("PortName = %q, want %q", got, tt.want)
			}
		})
	}
	if PortName("004-lvs01", "eno16777736") == PortName("004-lvs02", "eno16777736") {
		t.Error("two directors' long port names collide")
	}
}
