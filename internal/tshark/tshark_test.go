package tshark

import (
	"testing"
	"time"
)

func TestEpoch(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"1795341603.160000000", time.Unix(1795341603, 160000000), true},
		{"1795341603.000005", time.Unix(1795341603, 5000), true},
		{"1795341603", time.Unix(1795341603, 0), true},
		{"1795341603.123456789123", time.Unix(1795341603, 123456789), true},
		{"x.1", time.Time{}, false},
		{"1.x", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := epoch(tt.in)
			if (err == nil) != tt.ok || !got.Equal(tt.want) {
				t.Errorf("epoch(%q) = %v, %v; want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}
