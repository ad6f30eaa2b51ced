package bench

import (
	"testing"

	"github.com/lvslab/lvslab/topo"
)

func TestScaleLabGenerate(t *testing.T) {
	tests := []struct {
		name          string
		lab           ScaleLab
		wantName      string
		wantNodes     int
		wantDirectors int
		wantVRRP      int
	}{
		{name: "one real server", lab: ScaleLab{RealServers: 1}, wantName: "scale-1", wantNodes: 3, wantDirectors: 1},
		{name: "200 real servers", lab: ScaleLab{RealServers: 200}, wantName: "scale-200", wantNodes: 202, wantDirectors: 1},
		{name: "past one /24 of real servers", lab: ScaleLab{RealServers: 600}, wantName: "scale-600", wantNodes: 602, wantDirectors: 1},
		{name: "keepalived pair, 4 VIPs", lab: ScaleLab{RealServers: 100, VIPs: 4, Keepalived: true}, wantName: "scale-100-4v-ka", wantNodes: 103, wantDirectors: 2, wantVRRP: 1},
		{name: "named", lab: ScaleLab{RealServers: 10, Name: "s10"}, wantName: "s10", wantNodes: 12, wantDirectors: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := tt.lab.Generate()
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			if spec.Name != tt.wantName {
				t.Errorf("name %q, want %q", spec.Name, tt.wantName)
			}
			if len(spec.Nodes) != tt.wantNodes {
				t.Errorf("%d nodes, want %d", len(spec.Nodes), tt.wantNodes)
			}
			if len(spec.Source) == 0 {
				t.Error("no Source: a built lab could not keep a copy of its file")
			}
			vips := max(tt.lab.VIPs, 1)
			if len(spec.Services) != vips {
				t.Fatalf("%d services, want %d", len(spec.Services), vips)
			}
			rips := map[string]bool{}
			for _, svc := range spec.Services {
				if svc.Forward != topo.ForwardDR || svc.Scheduler != "rr" {
					t.Errorf("service %s: %s %s, want dr rr", svc.Name, svc.Forward, svc.Scheduler)
				}
				if len(svc.Directors) != tt.wantDirectors {
					t.Errorf("service %s: %d directors, want %d", svc.Name, len(svc.Directors), tt.wantDirectors)
				}
				if len(svc.RealServers) != tt.lab.RealServers {
					t.Errorf("service %s: %d real servers, want %d", svc.Name, len(svc.RealServers), tt.lab.RealServers)
				}
				if (svc.Check != nil) != tt.lab.Keepalived {
					t.Errorf("service %s: check %v, want one: %v", svc.Name, svc.Check, tt.lab.Keepalived)
				}
			}
			for _, n := range spec.Nodes {
				a := n.Interfaces[0].Addresses[0].Addr().String()
				if rips[a] {
					t.Errorf("address %s given twice", a)
				}
				rips[a] = true
			}
			if len(spec.VRRP) != tt.wantVRRP {
				t.Errorf("%d VRRP instances, want %d", len(spec.VRRP), tt.wantVRRP)
			}
		})
	}
}

func TestScaleLabGenerateRefuses(t *testing.T) {
	tests := []struct {
		name string
		lab  ScaleLab
	}{
		{name: "no real servers", lab: ScaleLab{}},
		{name: "too many real servers", lab: ScaleLab{RealServers: MaxScaleRealServers + 1}},
		{name: "too many VIPs", lab: ScaleLab{RealServers: 2, VIPs: 17}},
		{name: "a name the validator refuses", lab: ScaleLab{RealServers: 2, Name: "Scale_2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.lab.Generate(); err == nil {
				t.Error("Generate: no error")
			}
		})
	}
}
