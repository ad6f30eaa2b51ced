package verify

import (
	"maps"
	"net/netip"
	"strings"
	"testing"

	"github.com/lvslab/lvslab/topo"
)

func svcOf(sched string, weights ...int) *topo.Service {
	svc := &topo.Service{Name: "web", VIP: netip.MustParseAddr("192.168.10.30"), Port: 80, Scheduler: sched}
	for i, w := range weights {
		w := w
		svc.RealServers = append(svc.RealServers, &topo.RealServer{
			Node: "web0" + string(rune('1'+i)), RIP: netip.AddrFrom4([4]byte{192, 168, 10, byte(33 + i)}), Weight: &w,
		})
	}
	return svc
}

var clientAddr = netip.MustParseAddr("192.168.10.3")

func TestRequests(t *testing.T) {
	tests := []struct {
		name string
		svc  *topo.Service
		want int
	}{
		{"rr over two", svcOf("rr", 1, 1), 20},
		{"rr over three", svcOf("rr", 1, 1, 1), 21},
		{"rr skips a quiesced server", svcOf("rr", 1, 0, 1), 20},
		{"wrr 3:1", svcOf("wrr", 3, 1), 20},
		{"wrr 2:4 is 1:2", svcOf("wrr", 2, 4), 21},
		{"wrr 7:6", svcOf("wrr", 7, 6), 26},
		{"wlc", svcOf("wlc", 1, 1), 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Requests(tt.svc); got != tt.want {
				t.Errorf("Requests = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestPredictWholeCycles: for rr and wrr any run of Requests connections
// gives each server exactly its share of the weights.
func TestPredictWholeCycles(t *testing.T) {
	tests := []struct {
		svc  *topo.Service
		want map[string]int
	}{
		{svcOf("rr", 1, 1), map[string]int{"web01": 10, "web02": 10}},
		{svcOf("rr", 1, 5, 1), map[string]int{"web01": 7, "web02": 7, "web03": 7}},
		{svcOf("wrr", 3, 1), map[string]int{"web01": 15, "web02": 5}},
		{svcOf("wrr", 2, 4), map[string]int{"web01": 7, "web02": 14}},
		{svcOf("wrr", 0, 1), map[string]int{"web02": 20}},
	}
	for _, tt := range tests {
		t.Run(tt.svc.Scheduler+" "+weights(tt.svc), func(t *testing.T) {
			n := Requests(tt.svc)
			seq, got, err := Predict(tt.svc, clientAddr, n)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("Predict = %v, want %v", got, tt.want)
			}
			// Any window of n in a longer run has the same counts: the
			// scheduler's position at the start does not matter.
			long, _, _ := Predict(tt.svc, clientAddr, 3*n)
			for off := range n {
				win := map[string]int{}
				for _, s := range long[off : off+n] {
					win[s]++
				}
				if !maps.Equal(win, tt.want) {
					t.Fatalf("window at %d: %v, want %v", off, win, tt.want)
				}
			}
			if len(seq) != n {
				t.Errorf("%d predictions for %d requests", len(seq), n)
			}
		})
	}
}

func TestPredictHashesOneClient(t *testing.T) {
	for _, s := range []string{"sh", "dh", "mh"} {
		t.Run(s, func(t *testing.T) {
			_, got, err := Predict(svcOf(s, 1, 1, 1), clientAddr, 20)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Errorf("%s sent one client to %v, want one server", s, got)
			}
		})
	}
	if _, _, err := Predict(svcOf("lblc", 1, 1), clientAddr, 20); err == nil {
		t.Error("lblc has no model: want an error")
	}
}

func TestJudgeTally(t *testing.T) {
	want := map[string]int{"web01": 10, "web02": 10}
	tests := []struct {
		name string
		got  map[string]int
		tol  int
		fail string
	}{
		{"exact", map[string]int{"web01": 10, "web02": 10}, 0, ""},
		{"one off, exact scheduler", map[string]int{"web01": 11, "web02": 9}, 0, "web01 answered 11, predicted 10"},
		{"one off, within tolerance", map[string]int{"web01": 11, "web02": 9}, 2, ""},
		{"a stranger answered", map[string]int{"web01": 10, "web02": 9, "web03": 1}, 0, "web03 answered 1, predicted 0"},
		{"nobody", map[string]int{}, 2, "web01 answered 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := JudgeTally(tt.got, want, tt.tol)
			switch {
			case tt.fail == "" && err != nil:
				t.Errorf("JudgeTally: %v", err)
			case tt.fail != "" && (err == nil || !strings.Contains(err.Error(), tt.fail)):
				t.Errorf("JudgeTally = %v, want %q", err, tt.fail)
			}
		})
	}
	if Tolerance("rr", 20) != 0 || Tolerance("wlc", 20) != 2 || Tolerance("lc", 5) != 1 {
		t.Error("Tolerance: rr exact, wlc a tenth, at least 1")
	}
}

func pair(p1, p2 int, nopreempt bool) *topo.VRRP {
	return &topo.VRRP{Name: "VI_1", AdvertInt: 1, VIPs: []netip.Prefix{netip.MustParsePrefix("192.168.10.30/32")}, Members: []*topo.Member{
		{Node: "lvs01", State: "MASTER", Priority: p1, NoPreempt: nopreempt},
		{Node: "lvs02", State: "BACKUP", Priority: p2},
	}}
}

// TestFailoverPredictions: who becomes MASTER when one goes, and whether
// it takes the VIPs back, from the one rule in director/keepalived.
func TestFailoverPredictions(t *testing.T) {
	trio := pair(100, 90, false)
	trio.Members = append(trio.Members, &topo.Member{Node: "lvs03", State: "BACKUP", Priority: 95})
	tests := []struct {
		name     string
		v        *topo.VRRP
		next     string
		preempts bool
	}{
		{"MASTER 100 / BACKUP 90", pair(100, 90, false), "lvs02", true},
		{"nopreempt", pair(100, 90, true), "lvs02", false},
		{"equal priorities", pair(100, 100, false), "lvs02", false},
		{"address owner", pair(255, 254, true), "lvs02", true},
		{"three members: the highest BACKUP takes over", trio, "lvs03", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			members := len(tt.v.Members)
			next := successor(tt.v, "lvs01")
			if next == nil || next.Node != tt.next {
				t.Fatalf("successor of lvs01 = %+v, want %s", next, tt.next)
			}
			if len(tt.v.Members) != members || tt.v.Member("lvs01") == nil {
				t.Error("Without changed the instance it was given")
			}
			if got := Preempts(tt.v.Member("lvs01"), next); got != tt.preempts {
				t.Errorf("Preempts = %v, want %v", got, tt.preempts)
			}
		})
	}
}

func TestWantTable(t *testing.T) {
	svc := svcOf("rr", 1, 2)
	svc.Check = &topo.Check{Type: topo.CheckTCP}
	down := svc.RealServers[:1]
	tests := []struct {
		name string
		edit func(*topo.Service)
		down []*topo.RealServer
		want map[string]int
	}{
		{"all up", nil, nil, map[string]int{"192.168.10.33": 1, "192.168.10.34": 2}},
		{"one down", nil, down, map[string]int{"192.168.10.34": 2}},
		{"inhibit_on_failure", func(s *topo.Service) { s.Check.InhibitOnFailure = true }, down, map[string]int{"192.168.10.33": 0, "192.168.10.34": 2}},
		{"sorry server once all are down", func(s *topo.Service) {
			s.SorryServer = &topo.RealServer{Node: "sorry", RIP: netip.MustParseAddr("192.168.10.40")}
		}, svc.RealServers, map[string]int{"192.168.10.40": 1}},
		{"sorry server stays out while quorum 1 holds", func(s *topo.Service) {
			s.SorryServer = &topo.RealServer{Node: "sorry", RIP: netip.MustParseAddr("192.168.10.40")}
		}, down, map[string]int{"192.168.10.34": 2}},
		{"quorum 3 lost with one server down", func(s *topo.Service) {
			s.SorryServer = &topo.RealServer{Node: "sorry", RIP: netip.MustParseAddr("192.168.10.40")}
			s.Quorum = 3
		}, down, map[string]int{"192.168.10.40": 1}},
		{"quorum 3 hysteresis 1 still held with one server down", func(s *topo.Service) {
			s.SorryServer = &topo.RealServer{Node: "sorry", RIP: netip.MustParseAddr("192.168.10.40")}
			s.Quorum, s.Hysteresis = 3, 1
		}, down, map[string]int{"192.168.10.34": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := *svc
			c := *svc.Check
			s.Check = &c
			if tt.edit != nil {
				tt.edit(&s)
			}
			if got := wantTable(&s, tt.down); !maps.Equal(got, tt.want) {
				t.Errorf("wantTable = %v, want %v", got, tt.want)
			}
		})
	}
}
