package main

import (
	"strings"
	"testing"
	"time"

	"github.com/lvslab/lvslab/topo/impair"
)

func TestNetemFlags(t *testing.T) {
	tests := []struct {
		name                                         string
		loss, delay, jitter, dup, reorder, rate, dir string
		want                                         impair.Netem
		wantDir                                      impair.Direction
		wantErr                                      []string // each bad flag named
	}{
		{name: "loss", loss: "30%", dir: "out", want: impair.Netem{Loss: 30}, wantDir: impair.Out},
		{name: "delay and jitter", delay: "100ms", jitter: "10ms", want: impair.Netem{Delay: 100 * time.Millisecond, Jitter: 10 * time.Millisecond}, wantDir: impair.Both},
		{name: "rate", rate: "10mbit", want: impair.Netem{Rate: 10e6}, wantDir: impair.Both},
		{name: "every bad flag at once", loss: "120%", delay: "soon", rate: "fast", dir: "up",
			wantErr: []string{"--loss", "--delay", "--rate", "--dir"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, dir, err := netemFlags(tt.loss, tt.delay, tt.jitter, tt.dup, tt.reorder, tt.rate, tt.dir)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("netemFlags = %v, want errors naming %v", got, tt.wantErr)
				}
				for _, flag := range tt.wantErr {
					if !strings.Contains(err.Error(), flag) {
						t.Errorf("error %q does not name %s", err, flag)
					}
				}
				return
			}
			if err != nil || got != tt.want || dir != tt.wantDir {
				t.Errorf("netemFlags = %v, %v, %v; want %v, %v", got, dir, err, tt.want, tt.wantDir)
			}
		})
	}
}

// TestClearTakesNoSetting: --clear clears both ends of the cable, so a
// setting beside it (a direction, a jitter) is refused, not ignored.
func TestClearTakesNoSetting(t *testing.T) {
	for _, extra := range [][]string{{"--dir", "in"}, {"--jitter", "10ms"}, {"--loss", "5%"}} {
		t.Run(extra[0], func(t *testing.T) {
			code, _, stderr := runCLI(append([]string{"impair", "web1:eth0", "--clear"}, extra...)...)
			if code == 0 || !strings.Contains(stderr, "clear") || !strings.Contains(stderr, strings.TrimPrefix(extra[0], "--")) {
				t.Fatalf("impair --clear %v: exit %d, stderr %q; want a refusal naming both flags", extra, code, stderr)
			}
		})
	}
}
