package topo

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLabs loads every lab file shipped in labs/: each must parse and
// validate, be named after its file, and say which document it follows.
func TestLabs(t *testing.T) {
	files, err := filepath.Glob("../labs/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no lab files in ../labs")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			s, err := Load(f)
			if err != nil {
				t.Fatalf("Load(%s):\n%v", f, err)
			}
			if s.Name != name {
				t.Errorf("name = %q, want %q (labs are named by file)", s.Name, name)
			}
			if len(s.Name) > 14 {
				t.Errorf("lab name %q is longer than 14 characters", s.Name)
			}
			if s.Doc == "" {
				t.Error("doc is empty; name the source document and section")
			}
		})
	}
}

// TestLabDefaults checks the defaults and derived RIPs of the shipped labs.
func TestLabDefaults(t *testing.T) {
	type rs struct {
		Node   string
		RIP    string
		Port   uint16
		Weight int
	}
	tests := []struct {
		lab     string
		service string
		want    []rs
	}{
		{"nat", "web", []rs{{"web1", "192.168.188.82", 80, 1}, {"web2", "192.168.188.83", 80, 1}}},
		{"nat", "redis", []rs{{"web1", "192.168.188.82", 6379, 1}, {"web2", "192.168.188.83", 6379, 1}}},
		{"dr", "web", []rs{{"web1", "192.168.188.81", 80, 1}, {"web2", "192.168.188.82", 80, 1}}},
		{"dr-keepalived", "web", []rs{{"web01", "192.168.10.33", 80, 1}, {"web02", "192.168.10.34", 80, 1}}},
		{"lvs-nginx", "web", []rs{{"nginx171", "192.168.1.171", 80, 1}, {"nginx172", "192.168.1.172", 80, 1}}},
		{"fwmark", "web", []rs{{"rs1", "172.16.0.7", 0, 1}, {"rs2", "172.16.0.8", 0, 1}}},
		{"tun", "web", []rs{{"rs1", "192.168.66.81", 80, 1}, {"rs2", "192.168.66.82", 80, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.lab+"/"+tt.service, func(t *testing.T) {
			s, err := Load(filepath.Join("../labs", tt.lab+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			var svc *Service
			for _, x := range s.Services {
				if x.Name == tt.service {
					svc = x
				}
			}
			if svc == nil {
				t.Fatalf("no service %q", tt.service)
			}
			var got []rs
			for _, r := range svc.RealServers {
				got = append(got, rs{r.Node, r.RIP.String(), r.Port, *r.Weight})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("real servers (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDefaults checks each default on a minimal lab.
func TestDefaults(t *testing.T) {
	const src = `
name: defaults
segments: [{name: lan, subnet: 10.0.0.0/24}]
nodes:
  - {name: d, role: director, interfaces: [{name: eth0, segment: lan, addresses: [10.0.0.1/24]}]}
  - {name: r, role: realserver, interfaces: [{name: eth0, segment: lan, addresses: [10.0.0.2/24]}]}
services:
  - name: web
    directors: [d]
    vip: 10.0.0.100
    port: 8080
    persistence: {}
    realservers: [{node: r}]
    check: {type: TCP_CHECK}
vrrp:
  - {name: VI_1, vrid: 1, interface: eth0, vips: [10.0.0.100], members: [{node: d, state: MASTER, priority: 100}]}
`
	s, err := Parse("defaults.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	one := 1
	want := &Service{
		Name: "web", Directors: []string{"d"}, VIP: netip.MustParseAddr("10.0.0.100"), Port: 8080,
		Protocol: "tcp", Scheduler: "wlc", Forward: ForwardDR,
		Persistence: &Persistence{Timeout: 300, Netmask: netip.MustParseAddr("255.255.255.255")},
		RealServers: []*RealServer{{Node: "r", RIP: netip.MustParseAddr("10.0.0.2"), Port: 8080, Weight: &one}},
		Check:       &Check{Type: "TCP_CHECK", ConnectTimeout: 5, DelayLoop: 60, Retry: 1, DelayBeforeRetry: 1},
	}
	if diff := cmp.Diff(want, s.Services[0], cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("service (-want +got):\n%s", diff)
	}
	if got := s.VRRP[0].AdvertInt; got != 1 {
		t.Errorf("advert_int = %d, want 1", got)
	}
	if s.VRRP[0].Auth != nil {
		t.Errorf("auth = %+v, want none", s.VRRP[0].Auth)
	}
}
