package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lvslab/lvslab/topo"
)

// Cost is what a lab that is up costs the machine: its processes (every
// process in its namespaces: backends, keepalived), their memory, and the
// kernel's memory that grew while it was built.
type Cost struct {
	Processes int
	// RSS is the processes' resident memory summed, KiB (a shared
	// executable's pages counted once per process); PSS shares them out
	// (/proc/PID/smaps_rollup), the fairer figure for many copies of one
	// binary.
	RSS, PSS int64
	// Slab and Used are /proc/meminfo's Slab and MemTotal-MemAvailable,
	// KiB, after the lab was up minus before: the kernel's objects
	// (namespaces, devices, sockets), and everything. On a shared host
	// they include whatever else changed meanwhile.
	Slab, Used int64
}

// MemInfo is the part of /proc/meminfo the cost reads, KiB.
type MemInfo struct{ Slab, Used int64 }

// ReadMemInfo reads /proc/meminfo.
func ReadMemInfo() (MemInfo, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return MemInfo{}, fmt.Errorf("read memory use: %w", err)
	}
	defer f.Close()
	v := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64); err == nil {
			v[k] = n
		}
	}
	if err := sc.Err(); err != nil {
		return MemInfo{}, fmt.Errorf("read memory use: %w", err)
	}
	return MemInfo{Slab: v["Slab"], Used: v["MemTotal"] - v["MemAvailable"]}, nil
}

// LabCost reads what lab costs now, its kernel memory against before
// (read just before it was built).
func LabCost(lab *topo.Lab, before MemInfo) (Cost, error) {
	pids, err := topo.Processes(lab.State.Namespaces)
	if err != nil {
		return Cost{}, err
	}
	c := Cost{Processes: len(pids)}
	for _, pid := range pids {
		status := readKiB(fmt.Sprintf("/proc/%d/status", pid), "VmRSS")
		c.RSS += status
		c.PSS += readKiB(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss")
	}
	now, err := ReadMemInfo()
	if err != nil {
		return c, err
	}
	c.Slab, c.Used = now.Slab-before.Slab, now.Used-before.Used
	return c, nil
}

// readKiB reads the "key: N kB" line of a /proc file; 0 if the process
// is gone or has no such line.
func readKiB(path, key string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// cpuTicks is utime+stime of a process in clock ticks (USER_HZ, 100 on
// Linux), from /proc/PID/stat; 0 if it is gone.
func cpuTicks(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')') // comm may hold spaces
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64) // field 14, utime
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}

// userHZ is the kernel's clock tick for /proc's CPU times.
const userHZ = 100

// keepalivedCPU is the CPU time the lab's keepalived processes (every
// process named keepalived in its namespaces) used over window, per
// second of wall time.
func keepalivedCPU(ctx context.Context, lab *topo.Lab, window time.Duration) (float64, error) {
	pids, err := topo.Processes(lab.State.Namespaces)
	if err != nil {
		return 0, err
	}
	pids = slices.DeleteFunc(pids, func(pid int) bool {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		return err != nil || strings.TrimSpace(string(comm)) != "keepalived"
	})
	if len(pids) == 0 {
		return 0, fmt.Errorf("measure keepalived's CPU on lab %s: no keepalived runs", lab.Name)
	}
	sum := func() (t int64) {
		for _, pid := range pids {
			t += cpuTicks(pid)
		}
		return t
	}
	start, t0 := time.Now(), sum()
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(window):
	}
	return float64(sum()-t0) / userHZ / time.Since(start).Seconds(), nil
}
