package keepalived

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lvslab/lvslab/captures"
	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/topo"
)

const ms = time.Millisecond

// ok and fail are a client's answered and failed requests, started at
// the given ms of its run, each taking 10 ms (a failure takes the
// client's 250 ms timeout).
func ok(at int) client.Event {
	return client.Event{At: time.Duration(at) * ms, Server: "web01", Latency: 10 * ms}
}
func fail(at int) client.Event {
	return client.Event{At: time.Duration(at) * ms, Err: client.Timeout, Latency: 250 * ms}
}

func TestOutageOf(t *testing.T) {
	// The action is at 1000 ms of the client's run; the new MASTER held
	// the VIP 700 ms later.
	const at, takeover = 1000 * ms, 700 * ms
	tests := []struct {
		name     string
		timeline []client.Event
		want     Outage
		wantErr  string
	}{
		{
			name:     "no failure: no gap (a crash of keepalived alone)",
			timeline: []client.Event{ok(960), ok(980), ok(1000), ok(1020)},
			want:     Outage{},
		},
		{
			name:     "graceful: answers stop after the action and come back",
			timeline: []client.Event{ok(960), ok(980), ok(1000), ok(1020), fail(1040), fail(1300), fail(1560), ok(1820), ok(1840)},
			// Down: ok(1020) ended at 1030; Back: ok(1820) ended at 1830.
			want: Outage{Down: 30 * ms, Back: 830 * ms, Failed: 3},
		},
		{
			name:     "a failure before the action is not the failover's",
			timeline: []client.Event{ok(900), fail(920), ok(1180), ok(1200), fail(1220), ok(1480)},
			want:     Outage{Down: 210 * ms, Back: 490 * ms, Failed: 1},
		},
		{
			name:     "answers stop before the action (the power cut's links first)",
			timeline: []client.Event{ok(980), fail(1000), fail(1260), ok(1520)},
			want:     Outage{Down: -10 * ms, Back: 530 * ms, Failed: 2},
		},
		{
			name: "failures well after the takeover are counted apart",
			// over = 1000 + 700 + 1000 = 2700 ms.
			timeline: []client.Event{ok(980), ok(1000), fail(2800), ok(3060), fail(3080)},
			want:     Outage{Later: 2},
		},
		{
			name:     "failures after the gap ended are counted apart",
			timeline: []client.Event{ok(980), fail(1000), ok(1260), fail(1280), ok(1540)},
			want:     Outage{Down: -10 * ms, Back: 270 * ms, Failed: 1, Later: 1},
		},
		{
			name:     "negative: no answer before the action",
			timeline: []client.Event{fail(980), ok(1300)},
			wantErr:  "no answer before the action",
		},
		{
			name:     "negative: no answer after the action",
			timeline: []client.Event{ok(980)},
			wantErr:  "no answer after the action",
		},
		{
			name:     "negative: the answers never come back",
			timeline: []client.Event{ok(980), ok(1000), fail(1020), fail(1280)},
			wantErr:  "no answer after the client's first failure",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OutageOf(tt.timeline, at, takeover)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("OutageOf: error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("OutageOf: %v", err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("OutageOf (-want +got):\n%s", d)
			}
		})
	}
}

func TestGap(t *testing.T) {
	tests := []struct {
		name string
		o    Outage
		want time.Duration
	}{
		{"no failure", Outage{Down: 30 * ms, Back: 830 * ms}, 0},
		{"graceful", Outage{Down: 30 * ms, Back: 830 * ms, Failed: 3}, 800 * ms},
		{"lost before the action", Outage{Down: -10 * ms, Back: 3200 * ms, Failed: 12}, 3210 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.o.Gap(); got != tt.want {
				t.Errorf("Gap() = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestWireOf(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
	at := func(d int) time.Time { return t0.Add(time.Duration(d) * ms) }
	lvs01, lvs02 := netip.MustParseAddr("192.168.10.11"), netip.MustParseAddr("192.168.10.12")
	vip := netip.MustParseAddr("192.168.10.30")
	mac01 := net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	mac02 := net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
	adv := func(src netip.Addr, prio uint8, d int) captures.Advert {
		return captures.Advert{Time: at(d), SrcIP: src, VRID: 52, Priority: prio, AdvertInt: time.Second}
	}
	garp := func(mac net.HardwareAddr, d int) captures.GARP { return captures.GARP{Time: at(d), IP: vip, MAC: mac} }
	// The action is at 1000 ms.
	tests := []struct {
		name    string
		adverts []captures.Advert
		garps   []captures.GARP
		want    Wire
		anchor  time.Time
		took    time.Duration
		wantErr string
	}{
		{
			name:    "graceful: from the priority-0 advert to the backup's first",
			adverts: []captures.Advert{adv(lvs01, 100, 0), adv(lvs01, 100, 1000-200), adv(lvs01, 0, 1050), adv(lvs02, 90, 1700), adv(lvs02, 90, 2700)},
			garps:   []captures.GARP{garp(mac01, 300), garp(mac02, 1700), garp(mac02, 1701)},
			want: Wire{Resign: at(1050), Last: at(800), First: at(1700), FirstPriority: 90,
				GARPs: []captures.GARP{garp(mac02, 1700), garp(mac02, 1701)}},
			anchor: at(1050), took: 650 * ms,
		},
		{
			name: "crash: from the last advert, before the action, to the backup's first",
			adverts: []captures.Advert{adv(lvs01, 100, -1600), adv(lvs01, 100, -600), adv(lvs01, 100, 400),
				adv(lvs02, 90, 400+3648), adv(lvs02, 90, 400+4648)},
			garps:  []captures.GARP{garp(mac02, 400+3650)},
			want:   Wire{Last: at(400), First: at(4048), FirstPriority: 90, GARPs: []captures.GARP{garp(mac02, 4050)}},
			anchor: at(400), took: 3648 * ms,
		},
		{
			name: "a priority-0 advert before the action is not this failover's",
			adverts: []captures.Advert{adv(lvs01, 0, -5000), adv(lvs02, 90, -4300), adv(lvs01, 100, -3000),
				adv(lvs01, 100, 500), adv(lvs02, 90, 4148)},
			want:   Wire{Last: at(500), First: at(4148), FirstPriority: 90},
			anchor: at(500), took: 3648 * ms,
		},
		{
			name:    "negative: the backup never advertised",
			adverts: []captures.Advert{adv(lvs01, 100, 0), adv(lvs01, 0, 1050)},
			wantErr: "no advert from 192.168.10.12 after the action",
		},
		{
			name:    "negative: nothing from the old MASTER",
			adverts: []captures.Advert{adv(lvs02, 90, 1700)},
			wantErr: "no advert from 192.168.10.11 before",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := WireOf(tt.adverts, tt.garps, lvs01, lvs02, vip, mac02, at(1000))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("WireOf: error %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("WireOf: %v", err)
			}
			if d := cmp.Diff(tt.want, got, cmpopts.EquateComparable(netip.Addr{})); d != "" {
				t.Errorf("WireOf (-want +got):\n%s", d)
			}
			if !got.Anchor().Equal(tt.anchor) {
				t.Errorf("Anchor() = %s, want %s", got.Anchor(), tt.anchor)
			}
			if got.Took() != tt.took {
				t.Errorf("Took() = %s, want %s", got.Took(), tt.took)
			}
		})
	}
}

func TestBackFromAnchor(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		f    Failover
		want time.Duration
	}{
		{
			name: "graceful: the priority-0 advert came 50 ms after SIGTERM",
			f:    Failover{At: t0, Outage: Outage{Down: 30 * ms, Back: 830 * ms, Failed: 3}, Wire: Wire{Resign: t0.Add(50 * ms)}},
			want: 780 * ms,
		},
		{
			name: "power: the last advert came 600 ms before the cut",
			f:    Failover{At: t0, Outage: Outage{Down: -10 * ms, Back: 3100 * ms, Failed: 12}, Wire: Wire{Last: t0.Add(-600 * ms)}},
			want: 3700 * ms,
		},
		{
			name: "no failure: nothing to count",
			f:    Failover{At: t0, Wire: Wire{Last: t0.Add(-600 * ms)}},
			want: 0,
		},
		{
			name: "no capture: no anchor",
			f:    Failover{At: t0, Outage: Outage{Back: 830 * ms, Failed: 3}},
			want: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.BackFromAnchor(); got != tt.want {
				t.Errorf("BackFromAnchor() = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestKindFormula(t *testing.T) {
	backup := &topo.Member{Node: "lvs02", Priority: 90}
	delayed := &topo.Member{Node: "lvs01", Priority: 100, PreemptDelay: 5}
	tests := []struct {
		kind  Kind
		m     *topo.Member
		want  time.Duration
		alone bool
	}{
		{Graceful, backup, 648437500 * time.Nanosecond, true},
		{Crash, backup, 3648437500 * time.Nanosecond, false},
		{Power, backup, 3648437500 * time.Nanosecond, false},
		{Preempt, delayed, 3609375000*time.Nanosecond + 5*time.Second, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			if got := tt.kind.Formula(1, tt.m); got != tt.want {
				t.Errorf("Formula(1, priority %d) = %s, want %s", tt.m.Priority, got, tt.want)
			}
			if got := tt.kind.Alone(); got != tt.alone {
				t.Errorf("Alone() = %v, want %v", got, tt.alone)
			}
		})
	}
}

func TestPreemptDelay(t *testing.T) {
	tests := []struct {
		name string
		m    topo.Member
		want time.Duration
	}{
		{"none", topo.Member{}, 0},
		{"preempt_delay 5", topo.Member{PreemptDelay: 5}, 5 * time.Second},
		{"nopreempt never preempts", topo.Member{PreemptDelay: 5, NoPreempt: true}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PreemptDelay(&tt.m); got != tt.want {
				t.Errorf("PreemptDelay = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestContainsOnly(t *testing.T) {
	tests := []struct {
		name    string
		holders []string
		alone   bool
		want    bool
	}{
		{"alone", []string{"lvs02"}, true, true},
		{"beside the dead master, alone wanted", []string{"lvs01", "lvs02"}, true, false},
		{"beside the dead master", []string{"lvs01", "lvs02"}, false, true},
		{"not there", []string{"lvs01"}, false, false},
		{"nobody", nil, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := containsOnly(tt.holders, "lvs02", tt.alone); got != tt.want {
				t.Errorf("containsOnly(%v, lvs02, %v) = %v, want %v", tt.holders, tt.alone, got, tt.want)
			}
		})
	}
}

func TestFailedAcross(t *testing.T) {
	start := time.Date(2026, 11, 30, 21, 0, 0, 0, time.UTC)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	at := func(n int) time.Time { return start.Add(ms(n)) }
	f := &Failover{At: at(1000), ClientStart: start, Result: &client.Result{Timeline: []client.Event{
		{At: ms(500), Err: client.Refused, Latency: ms(10)},   // before the action: neither
		{At: ms(1100), Server: "web01", Latency: ms(10)},      // answered: neither
		{At: ms(3000), Err: client.Refused, Latency: ms(300)}, // in flight at 3.2 s
		{At: ms(3400), Err: client.Timeout, Latency: ms(250)}, // after it
	}}}
	tests := []struct {
		name          string
		times         []time.Time
		slack         time.Duration
		across, other int
	}{
		{"a GARP inside the failed connection", []time.Time{at(3200)}, 0, 1, 1},
		{"within the slack", []time.Time{at(3350)}, ms(100), 2, 0},
		{"no GARP: every failure is other", nil, ms(100), 0, 2},
		{"a GARP before any failure (negative control)", []time.Time{at(2000)}, ms(100), 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			across, other := f.FailedAcross(tt.times, tt.slack)
			if len(across) != tt.across || len(other) != tt.other {
				t.Errorf("FailedAcross = %d across, %d other; want %d, %d", len(across), len(other), tt.across, tt.other)
			}
		})
	}
}
