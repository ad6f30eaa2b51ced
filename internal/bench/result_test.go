package bench

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/topo"
)

const ms = time.Millisecond

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		ds   []time.Duration
		want time.Duration
	}{
		{"none", nil, 0},
		{"one", []time.Duration{5 * ms}, 5 * ms},
		{"odd, unsorted", []time.Duration{9 * ms, 1 * ms, 5 * ms}, 5 * ms},
		{"even: the upper middle", []time.Duration{4 * ms, 1 * ms, 2 * ms, 3 * ms}, 3 * ms},
		{"rounded to 10 µs", []time.Duration{1234567 * time.Nanosecond}, 1230 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Median(tt.ds); got != tt.want {
				t.Errorf("Median(%v) = %s, want %s", tt.ds, got, tt.want)
			}
		})
	}
}

func TestBuildRowRatio(t *testing.T) {
	tests := []struct {
		name     string
		row      BuildRow
		up, down float64
	}{
		{"no script", BuildRow{Times: Times{Up: []time.Duration{10 * ms}, Down: []time.Duration{ms}}}, 0, 0},
		{
			name: "a tenth of the script's",
			row: BuildRow{Times: Times{Up: []time.Duration{10 * ms, 12 * ms, 11 * ms}, Down: []time.Duration{ms, ms, ms}},
				Script: &Times{Up: []time.Duration{110 * ms, 100 * ms, 120 * ms}, Down: []time.Duration{4 * ms, 4 * ms, 4 * ms}}},
			up: 0.1, down: 0.25,
		},
		{"the script took no time", BuildRow{Times: Times{Up: []time.Duration{ms}, Down: []time.Duration{ms}}, Script: &Times{Up: []time.Duration{0}, Down: []time.Duration{0}}}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up, down := tt.row.Ratio()
			if !near(up, tt.up) || !near(down, tt.down) {
				t.Errorf("Ratio() = %v, %v; want %v, %v", up, down, tt.up, tt.down)
			}
		})
	}
}

func TestBuildResultWrite(t *testing.T) {
	res := &BuildResult{Runs: 3, Rows: []BuildRow{
		{File: "labs/dr.yaml", Times: Times{Up: []time.Duration{10 * ms, 12 * ms, 11 * ms}, Down: []time.Duration{ms, ms, ms}},
			Script: &Times{Up: []time.Duration{110 * ms, 100 * ms, 120 * ms}, Down: []time.Duration{4 * ms, 4 * ms, 4 * ms}}},
		{File: "labs/nat.yaml", Times: Times{Up: []time.Duration{9 * ms, 8 * ms, 7 * ms}, Down: []time.Duration{2 * ms, 2 * ms, 2 * ms}}},
	}}
	want := `lab                                    up         down   (median of 3)
dr.yaml                              11ms          1ms
dr.yaml as ip(8) script             110ms          4ms
ratio lvslab/script                0.100x       0.250x   (target up <= 0.1x)
nat.yaml                              8ms          2ms
`
	var b strings.Builder
	res.Write(&b)
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("Write (-want +got):\n%s", d)
	}
}

func TestGuestResultWrite(t *testing.T) {
	tests := []struct {
		name string
		res  GuestResult
		want string
	}{
		{
			name: "measured",
			res:  GuestResult{Restored: []time.Duration{3100 * ms, 2900 * ms, 3000 * ms}, Cold: []time.Duration{9 * time.Second, 10 * time.Second, 11 * time.Second}},
			want: "guest boot-to-command (true), median of 3: 3s with snapshots (target <= 4s), 10s booted afresh\n",
		},
		{
			name: "no guest image",
			res:  GuestResult{NotMeasured: errors.New("no guest image")},
			want: "guest boot-to-command: not measured (no guest image)\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			tt.res.Write(&b)
			if d := cmp.Diff(tt.want, b.String()); d != "" {
				t.Errorf("Write (-want +got):\n%s", d)
			}
		})
	}
}

func TestThroughputLowest(t *testing.T) {
	target := func(ours, wrk float64) Target {
		return Target{Ours: Rate{PerSec: ours, OK: 1}, Wrk: Rate{PerSec: wrk, OK: 1}}
	}
	tests := []struct {
		name string
		labs []ThroughputLab
		want float64
		ok   bool
	}{
		{"none", nil, 0, false},
		{"wrk had no reply anywhere", []ThroughputLab{{Targets: []Target{target(100, 0)}}}, 0, false},
		{
			name: "the lowest across labs",
			labs: []ThroughputLab{{Targets: []Target{target(900, 1000), target(700, 1000)}}, {Targets: []Target{target(100, 0), target(800, 1000)}}},
			want: 0.7, ok: true,
		},
		{"a lab not measured has no ratio", []ThroughputLab{{Err: errors.New("down")}, {Targets: []Target{target(500, 1000)}}}, 0.5, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := (&ThroughputResult{Labs: tt.labs}).Lowest()
			if ok != tt.ok || !near(got, tt.want) {
				t.Errorf("Lowest() = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestThroughputResultWrite(t *testing.T) {
	vip, rip := netip.MustParseAddrPort("192.168.10.100:80"), netip.MustParseAddrPort("192.168.188.81:80")
	res := &ThroughputResult{Duration: 3 * time.Second, Emulated: true, Labs: []ThroughputLab{
		{File: "labs/nat.yaml", Name: "nat", Method: topo.ForwardNAT, Retried: "backend exited", Targets: []Target{
			{Label: "VIP " + vip.String(), Addr: vip, Ours: Rate{PerSec: 700, OK: 2100}, Wrk: Rate{PerSec: 1000, OK: 3000}},
			{Label: "RIP web1 " + rip.String(), Addr: rip, Ours: Rate{PerSec: 1000, OK: 3000, Failed: 2, Kinds: map[string]int{"timeout": 2}}, Wrk: Rate{PerSec: 1100, OK: 3300}},
		}},
		{File: "labs/tun.yaml", Name: "tun", Err: errors.New("bench tun.yaml: no ipip")},
	}}
	want := `requests/s through each method's VIP and to a RIP, EMULATED: in lvslab's guest (TCG unless KVM), not this host's speed; native client vs wrk: lvslab bench --client
method target                             ours req/s    wrk req/s  ours/wrk   vs direct (ours)   (3s each, new connection per request)
# nat: backend exited; trying once more
nat    VIP 192.168.10.100:80                     700         1000      0.70               0.70
nat    RIP web1 192.168.188.81:80               1000         1100      0.91               1.00   (failed: ours 2 map[timeout:2], wrk 0)
tun    not measured: bench tun.yaml: no ipip
lowest ours/wrk: 0.70 (target >= 0.8): BELOW TARGET
`
	var b strings.Builder
	res.Write(&b)
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("Write (-want +got):\n%s", d)
	}
}

func TestFailoverResultWrite(t *testing.T) {
	backup := &topo.Member{Node: "lvs02", Priority: 90}
	res := &FailoverResult{
		Lab: "dr-keepalived", AdvertInt: 1,
		Master: topo.Member{Node: "lvs01", Priority: 100}, Backup: *backup,
		Client: "client", Target: netip.MustParseAddrPort("192.168.10.30:80"),
		Interval: 20 * ms, Timeout: 300 * ms, Runs: 3,
		Rows: []FailoverRow{
			{Kind: keepalived.Graceful, Gaps: []time.Duration{900 * ms, 800 * ms, 1200 * ms}, Takeovers: []time.Duration{ms * 1100, ms * 1000, ms * 1300},
				Formula: keepalived.Graceful.Formula(1, backup)},
			{Kind: keepalived.Crash, Gaps: []time.Duration{0, 0, 0}, Takeovers: []time.Duration{3 * time.Second, 3500 * ms, 3200 * ms},
				Formula: keepalived.Crash.Formula(1, backup)},
			// A kind with no run (the benchmark failed first) prints nothing.
			{Kind: keepalived.Power, Formula: keepalived.Power.Formula(1, backup)},
		},
	}
	want := `dr-keepalived: lvs01 (priority 100) fails over to lvs02 (priority 90), advert_int 1; client client → 192.168.10.30:80 every 20ms, 300ms timeout
kind       runs   gap median    gap worst  takeover median   takeover worst    formula
graceful      3        900ms         1.2s             1.1s             1.3s      648ms   (backup skew (256-prio)/256 from the MASTER's priority-0 advert)
crash         3           0s           0s             3.2s             3.5s     3.648s   (3×advert_int + skew from the MASTER's last advert: up to advert_int before the action)
`
	var b strings.Builder
	res.Write(&b)
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("Write (-want +got):\n%s", d)
	}
}

func TestFailoverOptionsCheck(t *testing.T) {
	tests := []struct {
		name    string
		opts    FailoverOptions
		want    FailoverOptions
		wantErr bool
	}{
		{"defaults", FailoverOptions{}, FailoverOptions{Runs: FailoverRuns, Name: FailoverLab}, false},
		{"given", FailoverOptions{Runs: 20, Name: "fo"}, FailoverOptions{Runs: 20, Name: "fo"}, false},
		{"too many runs", FailoverOptions{Runs: 101}, FailoverOptions{}, true},
		{"negative runs", FailoverOptions{Runs: -1}, FailoverOptions{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.check()
			if (err != nil) != tt.wantErr {
				t.Fatalf("check() = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && tt.opts != tt.want {
				t.Errorf("check() left %+v, want %+v", tt.opts, tt.want)
			}
		})
	}
}

func TestDirectorOnSegment(t *testing.T) {
	spec, err := topo.Load("../../labs/nat.yaml")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := HTTPService(spec)
	if err != nil {
		t.Fatal(err)
	}
	cl := spec.FirstOf(topo.RoleClient)
	got, err := DirectorOnSegment(spec, cl, svc)
	if err != nil {
		t.Fatalf("DirectorOnSegment: %v", err)
	}
	// labs/nat.yaml: the client reaches lvs at 192.168.10.100 (seed 003 §4.1).
	if want := netip.MustParseAddr("192.168.10.100"); got != want {
		t.Errorf("DirectorOnSegment = %s, want %s", got, want)
	}

	t.Run("no director on the client's segment", func(t *testing.T) {
		lone := &topo.Node{Name: "far", Interfaces: []*topo.Interface{{Name: "eth0", Segment: "elsewhere"}}}
		if _, err := DirectorOnSegment(spec, lone, svc); err == nil {
			t.Error("DirectorOnSegment found a director for a node on no director's segment")
		}
	})
}

func TestClientResultWrite(t *testing.T) {
	res := &ClientResult{
		Target: netip.MustParseAddrPort("192.168.188.10:80"), RealServer: "rs1", Client: "client", Duration: 2 * time.Second,
		Runs: []ClientRun{
			{Ours: Rate{PerSec: 900, OK: 1800, CPU: 180 * ms}, Wrk: Rate{PerSec: 1000, OK: 2000, CPU: 100 * ms}},
			{Ours: Rate{PerSec: 700, OK: 1400, CPU: 140 * ms, Failed: 1, Kinds: map[string]int{"refused": 1}}, Wrk: Rate{PerSec: 1000, OK: 2000, CPU: 100 * ms}, WrkFirst: true},
		},
	}
	want := `client vs wrk, native (no IPVS, this host's kernel): labs/dr.yaml client -> RIP rs1 192.168.188.10:80, new connection per request, 2s each
run  first   ours req/s    wrk req/s  ours/wrk   ours CPU/req    wrk CPU/req
1    ours           900         1000      0.90          100µs           50µs
2    wrk            700         1000      0.70          100µs           50µs   (failed: ours 1 map[refused:1], wrk 0)
median              800         1000      0.80   (target >= 0.8): ok
`
	var b strings.Builder
	res.Write(&b, "labs/dr.yaml")
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("Write (-want +got):\n%s", d)
	}
}
