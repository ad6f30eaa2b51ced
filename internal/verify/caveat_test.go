package verify

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/lvslab/lvslab/internal/importer"
	"github.com/lvslab/lvslab/topo"
)

// caveatLab is a lab with one HTTP service on two real servers and a
// sorry server, none of them up: the checks below must not touch it.
func caveatLab() *topo.Lab {
	node := func(name, addr string) *topo.Node {
		return &topo.Node{Name: name, Role: topo.RoleRealServer, Interfaces: []*topo.Interface{{Name: "eth0", Segment: "lan",
			Addresses: []netip.Prefix{netip.MustParsePrefix(addr + "/24")}}}}
	}
	spec := &topo.Spec{
		Nodes: []*topo.Node{node("web01", "192.168.201.100"), node("web02", "192.168.201.101"), node("web03", "192.168.200.200")},
		Services: []*topo.Service{{Name: "vs1", VIP: netip.MustParseAddr("10.10.10.2"), Port: 1358, Protocol: "tcp",
			RealServers: []*topo.RealServer{{Node: "web01"}, {Node: "web02"}},
			SorryServer: &topo.RealServer{Node: "web03"},
			Check:       &topo.Check{Type: "HTTP_GET"}}},
	}
	return &topo.Lab{Name: "t", Spec: spec}
}

func digest(at, rs string, port uint16) importer.Caveat {
	return importer.Caveat{At: at, Text: "HTTP_GET url /testurl/test.jsp digest …",
		Defeats: &importer.Defeat{VIP: netip.MustParseAddr("10.10.10.2"), Port: port, Protocol: "tcp",
			RealServer: netip.MustParseAddr(rs), What: "the HTTP_GET digest of url /testurl/test.jsp"}}
}

// TestDefeatedSkips: a service whose health check a line of the file
// defeats gets skips that name the line, never FAIL, so verify's exit
// status is not 1 for that alone; a caveat on another service or with
// nothing defeated (a missing notify script) changes nothing, and a real
// failure still FAILs.
func TestDefeatedSkips(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name    string
		caveats []importer.Caveat
		skipped bool
		want    []string
	}{
		{"digest on both", []importer.Caveat{digest("sample.conf:52", "192.168.201.100", 1358), digest("sample.conf:68", "192.168.201.101", 1358)}, true,
			[]string{"your HTTP_GET digest of url /testurl/test.jsp at sample.conf:52 cannot be matched by a lab backend", "sample.conf:68", "web01, web02", "the health check of these servers is not verified"}},
		{"digest on one", []importer.Caveat{digest("inhibit.conf:40", "192.168.201.100", 1358)}, true,
			[]string{"at inhibit.conf:40", "keeps web01 out"}},
		{"another port", []importer.Caveat{digest("sample.conf:52", "192.168.201.100", 80)}, false, nil},
		{"another address", []importer.Caveat{digest("sample.conf:52", "192.168.201.9", 1358)}, false, nil},
		{"nothing defeated", []importer.Caveat{{At: "sample.conf:7", Text: "smtp_server: the lab has no mail server"}}, false, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := &battery{lab: caveatLab(), opts: Options{Caveats: tt.caveats}}
			svc := b.lab.Spec.Services[0]
			if !tt.skipped {
				for _, kind := range []string{KindDistribution, KindHealth, KindSorry, KindPath} {
					if b.skipDefeated(kind, "x", svc, nil) {
						t.Errorf("%s skipped: %+v", kind, b.results)
					}
				}
				// The negative control: a real failure is a FAIL.
				b.check(KindHealth, "vs1 web01", func(*Result) error { return errors.New("web01 never came back") })
				if len(b.results) != 1 || b.results[0].Verdict != Fail || Failed(b.results) != 1 {
					t.Errorf("a real failure gave %+v, want one FAIL", b.results)
				}
				return
			}
			b.distribution(ctx)
			b.health(ctx)
			if len(b.results) != 3 {
				t.Fatalf("got %d results, want distribution, health, sorry skipped: %+v", len(b.results), b.results)
			}
			for _, r := range b.results {
				if r.Verdict != Skip {
					t.Errorf("%s %s: %s, want skip", r.Check, r.Name, r.Verdict)
				}
				for _, w := range tt.want {
					if !strings.Contains(r.Figure, w) {
						t.Errorf("%s %s: reason %q lacks %q", r.Check, r.Name, r.Figure, w)
					}
				}
			}
			if Failed(b.results) != 0 {
				t.Error("a skip counted as a failure")
			}
			if got := b.allDefeated(svc); got != (tt.name == "digest on both") {
				t.Errorf("allDefeated = %v", got)
			}
		})
	}
}
