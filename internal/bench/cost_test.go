package bench

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func TestProcReaders(t *testing.T) {
	self := os.Getpid()
	// Burn CPU until the process has a tick to count (a busy host may
	// give it little), at most 10 s.
	for end := time.Now().Add(10 * time.Second); cpuTicks(self) == 0 && time.Now().Before(end); {
	}
	tests := []struct {
		name string
		got  int64
	}{
		{name: "VmRSS of this process", got: readKiB(fmt.Sprintf("/proc/%d/status", self), "VmRSS")},
		{name: "Pss of this process", got: readKiB(fmt.Sprintf("/proc/%d/smaps_rollup", self), "Pss")},
		{name: "CPU ticks of this process", got: cpuTicks(self)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got <= 0 {
				t.Errorf("got %d, want more than 0", tt.got)
			}
		})
	}
	if got := readKiB("/proc/self/status", "NoSuchKey"); got != 0 {
		t.Errorf("readKiB of a missing key = %d, want 0", got)
	}
	if got := cpuTicks(1 << 30); got != 0 {
		t.Errorf("cpuTicks of no process = %d, want 0", got)
	}
	m, err := ReadMemInfo()
	if err != nil {
		t.Fatal(err)
	}
	if m.Slab <= 0 || m.Used <= 0 {
		t.Errorf("ReadMemInfo = %+v, want Slab and Used above 0", m)
	}
}
