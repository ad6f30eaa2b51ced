package sched

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lvslab/lvslab/topo"
)

// dests builds a kernel-order list from name:weight pairs; RIPs
// 10.0.0.1, .2, … in that order, port 80.
func dests(spec ...any) []*Dest {
	var out []*Dest
	for i := 0; i < len(spec); i += 2 {
		out = append(out, &Dest{
			Node: spec[i].(string), Weight: spec[i+1].(int), Port: 80,
			RIP: netip.AddrFrom4([4]byte{10, 0, 0, byte(i/2 + 1)}),
		})
	}
	return out
}

var (
	client = netip.MustParseAddr("192.168.10.6")
	vip    = netip.MustParseAddr("192.168.188.100")
	conn   = Conn{Client: client, VIP: vip}
)

func mustNew(t *testing.T, name string, list []*Dest) Scheduler {
	t.Helper()
	s, err := New(name, list)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestList(t *testing.T) {
	w3 := 3
	svc := &topo.Service{Port: 80, RealServers: []*topo.RealServer{
		{Node: "web1", RIP: netip.MustParseAddr("10.0.0.1")},
		{Node: "web2", RIP: netip.MustParseAddr("10.0.0.2"), Port: 8080, Weight: &w3},
	}}
	want := []*Dest{
		{Node: "web2", RIP: netip.MustParseAddr("10.0.0.2"), Port: 8080, Weight: 3},
		{Node: "web1", RIP: netip.MustParseAddr("10.0.0.1"), Port: 80, Weight: topo.DefaultWeight},
	}
	if diff := cmp.Diff(want, List(svc), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("List: the lab file's order reversed, as list_add_rcu adds at the head (-want +got):\n%s", diff)
	}
}

// TestSequences holds the worked sequences, each computed by hand from
// the kernel function the scheduler's rule cites.
func TestSequences(t *testing.T) {
	tests := []struct {
		name  string
		sched string
		list  []*Dest
		hold  bool // connections stay open (else each closes first)
		n     int
		want  []string
	}{
		{"rr: around the list from its head", "rr", dests("a", 1, "b", 5, "c", 1), true, 4,
			[]string{"a", "b", "c", "a"}},
		{"rr: a quiesced server is passed over", "rr", dests("a", 1, "b", 0, "c", 1), false, 4,
			[]string{"a", "c", "a", "c"}},
		// web1 (1) added, then web2 (3): dest_changed leaves cw at 1, so
		// the first pass takes both; then cw wraps to 3 and steps down.
		{"wrr 3:1: cw from the adds, steps down on passing the end", "wrr", dests("web2", 3, "web1", 1), false, 7,
			[]string{"web2", "web1", "web2", "web2", "web2", "web1", "web2"}},
		// b (2) then a (4): di 2, mw = 4 - (2 - 1) = 3, cw = (1/2)*2 + 1 = 1.
		{"wrr 4:2: cw steps by the gcd", "wrr", dests("a", 4, "b", 2), false, 6,
			[]string{"a", "b", "a", "a", "b", "a"}},
		{"wrr: a quiesced server never reaches cw >= 1", "wrr", dests("a", 1, "b", 0, "c", 1), false, 4,
			[]string{"a", "c", "a", "c"}},
		{"wrr: all quiesced, nothing", "wrr", dests("a", 0), false, 1,
			[]string{""}},
		{"lc: least active, first of equals, weights ignored", "lc", dests("b", 1, "a", 5), true, 4,
			[]string{"b", "a", "b", "a"}},
		{"lc: an inactive connection breaks the tie", "lc", dests("b", 1, "a", 1), false, 4,
			[]string{"b", "a", "b", "a"}},
		{"wlc 3:1 held", "wlc", dests("web2", 3, "web1", 1), true, 6,
			[]string{"web2", "web1", "web2", "web2", "web2", "web1"}},
		{"sed 3,2,1 held (seed 000's example: weight 3 first)", "sed", dests("web3", 3, "web2", 2, "web1", 1), true, 6,
			[]string{"web3", "web2", "web3", "web3", "web2", "web1"}},
		{"nq 3,2,1 held: every idle server first", "nq", dests("web3", 3, "web2", 2, "web1", 1), true, 6,
			[]string{"web3", "web2", "web1", "web3", "web3", "web2"}},
		{"fo: the highest weight, always", "fo", dests("web2", 3, "web1", 1), true, 3,
			[]string{"web2", "web2", "web2"}},
		{"fo: first of equal weights", "fo", dests("b", 2, "a", 2), true, 2,
			[]string{"b", "b"}},
		{"ovf 2,1: fill to the weight, then the next, then refuse", "ovf", dests("web2", 2, "web1", 1), true, 6,
			[]string{"web2", "web2", "web2", "web1", "web1", ""}},
		{"lc: a quiesced server gets nothing", "lc", dests("a", 0, "b", 1), true, 2,
			[]string{"b", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustNew(t, tt.sched, tt.list)
			var got []string
			if tt.hold {
				got = Hold(s, conn, tt.n)
			} else {
				got = Requests(s, conn, tt.n)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.sched, diff)
			}
		})
	}
}

func TestWRRTally(t *testing.T) {
	s := mustNew(t, "wrr", dests("web2", 3, "web1", 1))
	got := map[string]int{}
	for _, n := range Requests(s, conn, 400) {
		got[n]++
	}
	if want := map[string]int{"web1": 100, "web2": 300}; !cmp.Equal(want, got) {
		t.Errorf("wrr 3:1 over 400: %v, want %v", got, want)
	}
}

func TestNoModel(t *testing.T) {
	for _, name := range []string{"lblc", "lblcr", "twos", "nope"} {
		if _, err := New(name, nil); !errors.Is(err, ErrNoModel) {
			t.Errorf("New(%q) error %v, want ErrNoModel", name, err)
		}
	}
}

func TestEmptyList(t *testing.T) {
	for _, name := range []string{"rr", "wrr", "lc", "wlc", "sed", "nq", "fo", "ovf", "sh", "dh", "mh"} {
		t.Run(name, func(t *testing.T) {
			if d := mustNew(t, name, nil).Schedule(conn); d != nil {
				t.Errorf("scheduled %v with no real server", d)
			}
		})
	}
}
