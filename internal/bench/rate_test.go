package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseWrk(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		name    string
		out     string
		want    Rate
		wantErr string
	}{
		{name: "clean run", out: read("wrk-ok.txt"), want: Rate{PerSec: 5488.60, OK: 6033}},
		{name: "socket errors and non-2xx", out: read("wrk-errors.txt"), want: Rate{PerSec: 5488.60, OK: 6033, Failed: 10}},
		{name: "no summary", out: "unable to connect to 192.168.188.81:81 Connection refused\n", wantErr: "no Requests/sec line"},
		{name: "bad rate", out: "Requests/sec:   many\n", wantErr: `parse wrk "Requests/sec:   many"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseWrk(tt.out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.PerSec != tt.want.PerSec || got.OK != tt.want.OK || got.Failed != tt.want.Failed {
				t.Errorf("ParseWrk = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRateCPUPerRequest(t *testing.T) {
	tests := []struct {
		name string
		r    Rate
		want time.Duration
	}{
		{name: "replies", r: Rate{OK: 4, CPU: time.Millisecond}, want: 250 * time.Microsecond},
		{name: "no reply", r: Rate{CPU: time.Millisecond}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.CPUPerRequest(); got != tt.want {
				t.Errorf("CPUPerRequest = %s, want %s", got, tt.want)
			}
		})
	}
}
