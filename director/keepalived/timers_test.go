package keepalived

import (
	"slices"
	"testing"
	"time"

	"github.com/lvslab/lvslab/topo"
)

func TestExpectedMasters(t *testing.T) {
	m := func(node, state string, prio int, nopreempt bool) *topo.Member {
		return &topo.Member{Node: node, State: state, Priority: prio, NoPreempt: nopreempt}
	}
	tests := []struct {
		name    string
		members []*topo.Member
		want    []string
	}{
		{"MASTER 100, BACKUP 90 (seed 004)", []*topo.Member{m("lvs01", "MASTER", 100, false), m("lvs02", "BACKUP", 90, false)}, []string{"lvs01"}},
		{"the highest priority preempts a state MASTER", []*topo.Member{m("a", "MASTER", 90, false), m("b", "BACKUP", 100, false)}, []string{"b"}},
		{"listed order does not matter", []*topo.Member{m("b", "BACKUP", 50, false), m("a", "MASTER", 100, false)}, []string{"a"}},
		{"nopreempt on the highest: either may win", []*topo.Member{m("a", "BACKUP", 100, true), m("b", "BACKUP", 90, false)}, []string{"a", "b"}},
		{"nopreempt on the lower only: the highest", []*topo.Member{m("a", "BACKUP", 100, false), m("b", "BACKUP", 90, true)}, []string{"a"}},
		{"equal priorities: either, state MASTER first", []*topo.Member{m("a", "BACKUP", 100, false), m("b", "MASTER", 100, false)}, []string{"b", "a"}},
		{"equal top, a lower third never wins", []*topo.Member{m("a", "BACKUP", 100, false), m("b", "BACKUP", 100, false), m("c", "BACKUP", 80, false)}, []string{"a", "b"}},
		{"nopreempt top over a preempting middle", []*topo.Member{m("a", "BACKUP", 100, true), m("b", "BACKUP", 90, false), m("c", "BACKUP", 80, false)}, []string{"a", "b"}},
		{"address owner 255 alone", []*topo.Member{m("a", "MASTER", 255, false), m("b", "BACKUP", 100, false)}, []string{"a"}},
		{"one member", []*topo.Member{m("a", "BACKUP", 100, false)}, []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExpectedMasters(&topo.VRRP{Name: "VI_1", Members: tt.members})
			if !slices.Equal(got, tt.want) {
				t.Errorf("ExpectedMasters = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSettleBound(t *testing.T) {
	tests := []struct {
		name    string
		advert  int
		members []*topo.Member
		want    time.Duration
	}{
		// 3×1 + (256-100)/256 = 3.609375 s.
		{"MASTER 100 / BACKUP 90", 1, []*topo.Member{{Node: "a", State: "MASTER", Priority: 100}, {Node: "b", State: "BACKUP", Priority: 90}}, 3609375 * time.Microsecond},
		// advert 2: 6 + 156/256.
		{"advert_int 2", 2, []*topo.Member{{Node: "a", Priority: 100}, {Node: "b", Priority: 90}}, 6609375 * time.Microsecond},
		// nopreempt: b (90) may win; its interval is the longer.
		{"nopreempt: the slowest possible winner", 1, []*topo.Member{{Node: "a", Priority: 100, NoPreempt: true}, {Node: "b", Priority: 90}}, 3*time.Second + 166*time.Second/256},
		{"preempt_delay adds", 1, []*topo.Member{{Node: "a", Priority: 100, PreemptDelay: 5}, {Node: "b", Priority: 90}}, 8609375 * time.Microsecond},
		{"advert_int unset is 1", 0, []*topo.Member{{Node: "a", Priority: 100}}, 3609375 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SettleBound(&topo.VRRP{AdvertInt: tt.advert, Members: tt.members})
			if got != tt.want {
				t.Errorf("SettleBound = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCheckBound(t *testing.T) {
	zero, two := 0, 2
	tests := []struct {
		name  string
		check *topo.Check
		want  time.Duration
	}{
		{"no check", nil, 0},
		{"seed 004: warmup 0, delay_loop 6, connect_timeout 3", &topo.Check{DelayLoop: 6, ConnectTimeout: 3, Warmup: &zero}, 9 * time.Second},
		{"warmup 2", &topo.Check{DelayLoop: 6, ConnectTimeout: 3, Warmup: &two}, 11 * time.Second},
		{"no warmup: up to delay_loop", &topo.Check{DelayLoop: 6, ConnectTimeout: 3}, 15 * time.Second},
		{"keepalived's defaults", &topo.Check{Warmup: &zero}, 65 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckBound(tt.check); got != tt.want {
				t.Errorf("CheckBound = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestHealthFormulas(t *testing.T) {
	tests := []struct {
		name                                string
		check                               *topo.Check
		timeout, timeoutMin, refused, readd time.Duration
	}{
		// The scenarios' shortened timers: 3 + 2×2 + 1×1, 2×2 + 1, 3 + 1, 3 + 2.
		{"delay_loop 3, connect_timeout 2, retry 1, delay_before_retry 1", &topo.Check{DelayLoop: 3, ConnectTimeout: 2, Retry: 1, DelayBeforeRetry: 1},
			8 * time.Second, 5 * time.Second, 4 * time.Second, 5 * time.Second},
		// Seed 004's document: 6 + 4×3 + 3×3, 4×3 + 3×3, 6 + 3×3, 6 + 3.
		{"seed 004: delay_loop 6, connect_timeout 3, nb_get_retry 3, delay_before_retry 3", &topo.Check{DelayLoop: 6, ConnectTimeout: 3, Retry: 3, DelayBeforeRetry: 3},
			27 * time.Second, 21 * time.Second, 15 * time.Second, 9 * time.Second},
		// keepalived's defaults: delay_loop 60, connect_timeout 5, retry 1, delay_before_retry 1.
		{"keepalived's defaults", &topo.Check{}, 71 * time.Second, 11 * time.Second, 61 * time.Second, 65 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RemovalTimeout(tt.check); got != tt.timeout {
				t.Errorf("RemovalTimeout = %s, want %s", got, tt.timeout)
			}
			if got := RemovalTimeoutMin(tt.check); got != tt.timeoutMin {
				t.Errorf("RemovalTimeoutMin = %s, want %s", got, tt.timeoutMin)
			}
			if got := RemovalRefused(tt.check); got != tt.refused {
				t.Errorf("RemovalRefused = %s, want %s", got, tt.refused)
			}
			if got := Readd(tt.check); got != tt.readd {
				t.Errorf("Readd = %s, want %s", got, tt.readd)
			}
		})
	}
}
