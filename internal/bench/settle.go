package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// The machine settles before each measured build: the kernel frees a
// deleted lab's namespaces asynchronously (a kernel worker, seconds of
// CPU for a hundred of them under TCG), and that work competes with the
// next build. The scale benchmark settles before each build. In one guest boot a 100-real-server network took 2.2 s to
// build after a quiet pause and 3.8 s 250 ms after the last lab's
// teardown.
const (
	// quietIdle is the share of CPU time idle over one sample that counts
	// as quiet.
	quietIdle = 0.8
	// quietSample is how long one sample of /proc/stat spans.
	quietSample = 200 * time.Millisecond
	// quietBound bounds the wait: a machine busy with something else
	// never settles, and the run then goes on, counted as busy. The
	// kernel freed a 200-real-server lab in the guest within it.
	quietBound = 5 * time.Second
)

// settle sleeps pause, then waits until the CPUs are idle (quietIdle over
// a quietSample), at most quietBound; it tells whether the machine was
// quiet at the end.
func settle(ctx context.Context, pause time.Duration) (quiet bool) {
	start := time.Now()
	sleep := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	if !sleep(pause) {
		return false
	}
	for time.Since(start) < quietBound {
		before, err := readCPU()
		if err != nil || !sleep(quietSample) {
			return false
		}
		after, err := readCPU()
		if err != nil {
			return false
		}
		if idleShare(before, after) >= quietIdle {
			return true
		}
	}
	return false
}

// cpuTimes is the first line of /proc/stat: every CPU's time summed, in
// clock ticks, and the idle part of it (idle and iowait).
type cpuTimes struct{ total, idle int64 }

func readCPU() (cpuTimes, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}, fmt.Errorf("read CPU times: %w", err)
	}
	return parseCPU(string(data))
}

// parseCPU reads the "cpu" line of /proc/stat's text: user nice system
// idle iowait irq softirq steal ... (guest time is already in user).
func parseCPU(stat string) (cpuTimes, error) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return cpuTimes{}, fmt.Errorf("read CPU times: no cpu line in /proc/stat")
	}
	var t cpuTimes
	for i, s := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return cpuTimes{}, fmt.Errorf("read CPU times: %q: %w", s, err)
		}
		t.total += n
		if i == 3 || i == 4 {
			t.idle += n
		}
	}
	return t, nil
}

// idleShare is the share of CPU time idle between two readings.
func idleShare(before, after cpuTimes) float64 {
	total := after.total - before.total
	if total <= 0 {
		return 0
	}
	return float64(after.idle-before.idle) / float64(total)
}
