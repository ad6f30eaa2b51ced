package bench

import (
	"strings"
	"testing"
	"time"
)

func TestClientResultMedian(t *testing.T) {
	run := func(ours, wrk float64) ClientRun {
		return ClientRun{Ours: Rate{PerSec: ours, OK: 1}, Wrk: Rate{PerSec: wrk, OK: 1}}
	}
	tests := []struct {
		name             string
		runs             []ClientRun
		ours, wrk, ratio float64
		ok               bool
	}{
		{name: "odd", runs: []ClientRun{run(900, 1000), run(500, 1000), run(800, 800)}, ours: 800, wrk: 1000, ratio: 0.9, ok: true},
		{name: "even", runs: []ClientRun{run(400, 1000), run(600, 1000)}, ours: 500, wrk: 1000, ratio: 0.5, ok: false},
		{name: "at the target", runs: []ClientRun{run(800, 1000)}, ours: 800, wrk: 1000, ratio: 0.8, ok: true},
		{name: "wrk had no reply", runs: []ClientRun{run(800, 0)}, ours: 800, wrk: 0, ratio: 0, ok: false},
		{name: "no runs", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &ClientResult{Runs: tt.runs}
			ours, wrk, ratio := res.Median()
			if ours != tt.ours || wrk != tt.wrk || !near(ratio, tt.ratio) {
				t.Errorf("Median = %v, %v, %v; want %v, %v, %v", ours, wrk, ratio, tt.ours, tt.wrk, tt.ratio)
			}
			if got := res.OK(); got != tt.ok {
				t.Errorf("OK = %v, want %v", got, tt.ok)
			}
		})
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestClientOptionsCheck(t *testing.T) {
	tests := []struct {
		name    string
		opts    ClientOptions
		want    ClientOptions
		wantErr string
	}{
		{name: "defaults", want: ClientOptions{Runs: 5, Duration: 2 * time.Second, Name: ClientLab}},
		{name: "given", opts: ClientOptions{Runs: 3, Duration: 5 * time.Second, Name: "x"}, want: ClientOptions{Runs: 3, Duration: 5 * time.Second, Name: "x"}},
		{name: "too many runs", opts: ClientOptions{Runs: 101}, wantErr: "runs 101"},
		{name: "negative runs", opts: ClientOptions{Runs: -1}, wantErr: "runs -1"},
		{name: "part of a second", opts: ClientOptions{Duration: 1500 * time.Millisecond}, wantErr: "duration 1.5s"},
		{name: "too long", opts: ClientOptions{Duration: 2 * time.Minute}, wantErr: "duration 2m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			err := o.check()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o != tt.want {
				t.Errorf("options = %+v, want %+v", o, tt.want)
			}
		})
	}
}
