package topo

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
)

// star is a spec of one segment with hubs non-real-server nodes (the
// first a director, the rest clients) and rs real servers.
func star(hubs, rs int) *Spec {
	s := &Spec{Name: "star", Segments: []*Segment{{Name: "lan", Subnet: netip.MustParsePrefix("10.0.0.0/16")}}}
	add := func(name string, role Role) {
		s.Nodes = append(s.Nodes, &Node{Name: name, Role: role, Interfaces: []*Interface{{Name: "eth0", Segment: "lan"}}})
	}
	for i := range hubs {
		role := RoleClient
		if i == 0 {
			role = RoleDirector
		}
		add(fmt.Sprintf("hub%d", i), role)
	}
	for i := range rs {
		add(fmt.Sprintf("rs%d", i), RoleRealServer)
	}
	return s
}

func TestNeighbourEntries(t *testing.T) {
	tests := []struct {
		name     string
		hubs, rs int
		want     int64
	}{
		{name: "two hubs", hubs: 2, want: 2},
		{name: "director and client, 200 real servers", hubs: 2, rs: 200, want: 2*201 + 200*2},
		{name: "keepalived pair and client, 200 real servers", hubs: 3, rs: 200, want: 3*202 + 200*3},
		{name: "real servers alone resolve nobody", rs: 10, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := star(tt.hubs, tt.rs).NeighbourEntries(); got != tt.want {
				t.Errorf("NeighbourEntries = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestCheckLimits(t *testing.T) {
	thresh, ok := readSysctlInt("/proc/sys/net/ipv4/neigh/default/gc_thresh3")
	if !ok {
		t.Fatal("cannot read gc_thresh3")
	}
	avail, ok := memAvailable()
	if !ok {
		t.Fatal("cannot read MemAvailable")
	}
	tests := []struct {
		name       string
		spec       *Spec
		extraKiB   int64
		extraFiles int64
		wantLimit  string // "" for none
	}{
		{name: "a small lab fits", spec: star(2, 10)},
		{name: "more neighbour entries than gc_thresh3", spec: star(int(thresh/100)+2, 100), wantLimit: "gc_thresh3"},
		{name: "more memory than is available", spec: star(2, 2), extraKiB: avail + 1, wantLimit: "MemAvailable"},
		{name: "backends with more open files than allowed", spec: star(2, 2), extraFiles: 1 << 40, wantLimit: "RLIMIT_NOFILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckLimits(tt.spec, tt.extraKiB, tt.extraFiles)
			if tt.wantLimit == "" {
				if err != nil {
					t.Fatalf("CheckLimits: %v", err)
				}
				return
			}
			var le *LimitError
			if !errors.As(err, &le) || !errors.Is(err, ErrLimit) {
				t.Fatalf("CheckLimits = %v, want a *LimitError", err)
			}
			if !strings.Contains(le.Limit, tt.wantLimit) || le.Need <= le.Have || le.Raise == "" {
				t.Errorf("CheckLimits = %+v, want limit %s, need > have, and how to raise it", le, tt.wantLimit)
			}
		})
	}
}

func TestCheckLimitsOpenFiles(t *testing.T) {
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	low := old
	low.Cur = 100
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
			t.Fatal(err)
		}
	}()
	err := CheckLimits(star(2, 50), 0, 0)
	var le *LimitError
	if !errors.As(err, &le) || !strings.Contains(le.Limit, "RLIMIT_NOFILE") || !strings.Contains(le.Raise, "ulimit -n") {
		t.Errorf("CheckLimits with 100 open files for 52 nodes = %v, want RLIMIT_NOFILE named with ulimit -n", err)
	}
}

func TestLimitHint(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantLimit string // "" for the error unchanged
	}{
		{name: "too many open files", err: fmt.Errorf("open x: %w", &os.PathError{Op: "open", Path: "x", Err: syscall.EMFILE}), wantLimit: "RLIMIT_NOFILE"},
		{name: "file table full", err: syscall.ENFILE, wantLimit: "RLIMIT_NOFILE"},
		{name: "out of memory", err: fmt.Errorf("add veth: %w", syscall.ENOMEM), wantLimit: "memory"},
		{name: "anything else", err: syscall.EEXIST},
		{name: "nil", err: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := LimitHint(tt.err)
			var le *LimitError
			if tt.wantLimit == "" {
				if errors.As(got, &le) || !errors.Is(got, tt.err) {
					t.Errorf("LimitHint(%v) = %v, want it unchanged", tt.err, got)
				}
				return
			}
			if !errors.As(got, &le) || !strings.Contains(le.Limit, tt.wantLimit) || !errors.Is(got, tt.err) {
				t.Errorf("LimitHint(%v) = %v, want %s named, wrapping the error", tt.err, got, tt.wantLimit)
			}
			if !strings.Contains(got.Error(), "raise it:") {
				t.Errorf("%q does not say how to raise the limit", got)
			}
		})
	}
}

func TestValidatorMAC(t *testing.T) {
	tests := []struct {
		name    string
		entries [][3]string // segment, node, mac
		want    int         // problems
	}{
		{name: "distinct", entries: [][3]string{{"lan", "a", "02:00:00:00:00:01"}, {"lan", "b", "02:00:00:00:00:02"}}},
		{name: "same on two segments", entries: [][3]string{{"lan", "a", "02:00:00:00:00:01"}, {"wan", "b", "02:00:00:00:00:01"}}},
		{name: "same on one segment", entries: [][3]string{{"lan", "a", "02:00:00:00:00:01"}, {"lan", "b", "02:00:00:00:00:01"}}, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Spec{File: "x.yaml", lines: map[string]int{}}
			v := &validator{s: s, ps: newProblems(s), macs: map[string]string{}}
			for _, e := range tt.entries {
				v.mac("nodes."+e[1]+".interfaces.eth0", e[0], e[1], "eth0", e[2])
			}
			var n int
			if err := v.ps.err(); err != nil {
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("problems: %v", err)
				}
				n = len(ve.Problems)
			}
			if n != tt.want {
				t.Errorf("%d problems, want %d", n, tt.want)
			}
		})
	}
}
