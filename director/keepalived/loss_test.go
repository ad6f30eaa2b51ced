package keepalived

import (
	"math"
	"testing"
	"time"
)

func TestLossTakeoverMin(t *testing.T) {
	tests := []struct{ advert, prio, want int }{
		{1, 90, 3}, {1, 100, 3}, {2, 1, 3}, {1, 255, 3},
	}
	for _, tt := range tests {
		if got := LossTakeoverMin(tt.advert, tt.prio); got != tt.want {
			t.Errorf("LossTakeoverMin(%d, %d) = %d, want %d", tt.advert, tt.prio, got, tt.want)
		}
	}
}

func TestLossTakeovers(t *testing.T) {
	tests := []struct {
		name   string
		window time.Duration
		p      float64
		want   float64
	}{
		{name: "no loss", window: time.Minute, p: 0, want: 0},
		{name: "half", window: time.Minute, p: 0.5, want: 60 * 0.5 * 0.125},
		{name: "all lost", window: time.Minute, p: 1, want: 0},
		{name: "70%", window: 100 * time.Second, p: 0.7, want: 100 * 0.3 * 0.343},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LossTakeovers(tt.window, 1, 90, tt.p); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("LossTakeovers = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLossTakeoverInterval(t *testing.T) {
	tests := []struct {
		name   string
		p      float64
		lo, hi int
	}{
		{name: "no loss: none", p: 0, lo: 0, hi: 0},
		// The mean, 60 × 0.5 × 0.125 = 3.75, lies well inside.
		{name: "half", p: 0.5, lo: 0, hi: 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := LossTakeoverInterval(time.Minute, 1, 90, tt.p, 0.99)
			if lo < tt.lo || hi > tt.hi || lo > hi {
				t.Errorf("interval [%d, %d], want within [%d, %d]", lo, hi, tt.lo, tt.hi)
			}
			mean := LossTakeovers(time.Minute, 1, 90, tt.p)
			if float64(lo) > mean || float64(hi) < mean {
				t.Errorf("interval [%d, %d] misses the mean %.2f", lo, hi, mean)
			}
		})
	}
	// The simulation is the formula's: its mean over many windows agrees.
	lo, hi := LossTakeoverInterval(10*time.Minute, 1, 90, 0.5, 0.99)
	if mean := LossTakeovers(10*time.Minute, 1, 90, 0.5); float64(lo) > mean || float64(hi) < mean {
		t.Errorf("ten minutes at 50%%: interval [%d, %d] misses the mean %.1f", lo, hi, mean)
	}
}

func TestDownTimeouts(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s ...float64) []time.Time {
		var out []time.Time
		for _, x := range s {
			out = append(out, t0.Add(time.Duration(x*float64(time.Second))))
		}
		return out
	}
	mdi := 3390 * time.Millisecond
	tests := []struct {
		name  string
		heard []time.Time
		want  []time.Time
	}{
		{name: "every advert", heard: at(1, 2, 3, 4, 5, 6, 7, 8, 9), want: nil},
		{name: "two lost", heard: at(1, 4, 5, 6, 7, 8, 9), want: nil},
		{name: "three lost", heard: at(1, 5, 6, 7, 8, 9), want: at(4.39)},
		{name: "six lost is one takeover", heard: at(1, 8, 9), want: at(4.39)},
		{name: "silent to the end", heard: at(1, 2), want: at(5.39)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DownTimeouts(tt.heard, t0, t0.Add(10*time.Second), mdi)
			if len(got) != len(tt.want) {
				t.Fatalf("DownTimeouts = %v, want %v", got, tt.want)
			}
			for i := range got {
				if !got[i].Equal(tt.want[i]) {
					t.Errorf("takeover %d at %v, want %v", i, got[i].Sub(t0), tt.want[i].Sub(t0))
				}
			}
		})
	}
}
