package bench

import (
	"math"
	"testing"
)

func TestParseCPU(t *testing.T) {
	tests := []struct {
		name    string
		stat    string
		want    cpuTimes
		wantErr bool
	}{
		{name: "a kernel's line", stat: "cpu  100 5 50 800 20 1 2 3 0 0\ncpu0 50 2 25 400 10 0 1 1 0 0\n", want: cpuTimes{total: 981, idle: 820}},
		{name: "an old kernel's short line", stat: "cpu 10 0 10 80 0\n", want: cpuTimes{total: 100, idle: 80}},
		{name: "no cpu line", stat: "intr 1 2 3\n", wantErr: true},
		{name: "not a number", stat: "cpu 10 x 10 80 0\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCPU(tt.stat)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parseCPU = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestIdleShare(t *testing.T) {
	tests := []struct {
		name          string
		before, after cpuTimes
		want          float64
	}{
		{name: "idle", before: cpuTimes{100, 50}, after: cpuTimes{200, 150}, want: 1},
		{name: "busy", before: cpuTimes{100, 50}, after: cpuTimes{200, 50}, want: 0},
		{name: "a quarter idle", before: cpuTimes{0, 0}, after: cpuTimes{400, 100}, want: 0.25},
		{name: "no time passed", before: cpuTimes{100, 50}, after: cpuTimes{100, 50}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := idleShare(tt.before, tt.after); math.Abs(got-tt.want) > 1e-9 {
				t.Fatalf("idleShare = %v, want %v", got, tt.want)
			}
		})
	}
}
