package topo

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Destroy tears a lab down: it ends every process still inside the lab's
// namespaces (by pid: SIGTERM, then SIGKILL after a grace period), deletes
// the namespaces — which takes their veths and bridges with them — and
// removes the state directory. It works on half-built labs too.
func Destroy(name string) error {
	st, err := ReadState(name)
	if err != nil {
		return err
	}
	var errs []error
	if err := endProcesses(st.Namespaces, 2*time.Second); err != nil {
		errs = append(errs, err)
	}
	for i := len(st.Namespaces) - 1; i >= 0; i-- {
		if err := deleteNamespace(st.Namespaces[i]); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		if err := os.RemoveAll(StateDir(name)); err != nil {
			errs = append(errs, fmt.Errorf("remove state of lab %s: %w", name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("destroy lab %s: %w", name, err)
	}
	return nil
}

// Processes lists the pids of processes whose network namespace is one of
// the named ones (the lab's daemons, backends and anything run with exec).
func Processes(namespaces []string) ([]int, error) {
	inodes := map[string]bool{}
	for _, ns := range namespaces {
		ino, err := namespaceInode(ns)
		if err != nil {
			continue // not created yet, or already gone
		}
		inodes["net:["+strconv.FormatUint(ino, 10)+"]"] = true
	}
	if len(inodes) == 0 {
		return nil, nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		link, err := os.Readlink("/proc/" + e.Name() + "/ns/net")
		if err == nil && inodes[link] {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

func endProcesses(namespaces []string, grace time.Duration) error {
	pids, err := Processes(namespaces)
	if err != nil || len(pids) == 0 {
		return err
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if pids = alive(pids); len(pids) == 0 {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	deadline = time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if pids = alive(pids); len(pids) == 0 {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("end processes: still running after SIGKILL: %v", pids)
}

func alive(pids []int) []int {
	var out []int
	for _, pid := range pids {
		if ProcessAlive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// DescribeProcess says what a process is doing, for an error about it:
// its pid, command, state and the kernel function it waits in.
func DescribeProcess(pid int) string {
	read := func(name string) string {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, name))
		if err != nil {
			return "?"
		}
		return strings.TrimSpace(string(data))
	}
	state := "?"
	for _, line := range strings.Split(read("status"), "\n") {
		if v, ok := strings.CutPrefix(line, "State:"); ok {
			state = strings.TrimSpace(v)
		}
	}
	return fmt.Sprintf("pid %d %s, state %s, waiting in %s", pid, read("comm"), state, read("wchan"))
}

// ProcessAlive is true for a running process; a zombie counts as gone.
func ProcessAlive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
