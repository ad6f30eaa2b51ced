package topo

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A node's long-running processes (a real server's backend, keepalived)
// are supervised through files in the lab's state directory, so that the
// command that started one need not be the one that stops it:
//
//	procs/NODE.NAME.json   the record: pid, start time, argv, log path
//	logs/NODE.NAME.log     the process's stdout and stderr
//
// A pid alone is not an identity: the kernel recycles pids. The record
// keeps the process's start time (field 22 of /proc/PID/stat), and a pid
// whose start time differs is some other process, never signalled.

// ErrProcessRunning means a process of that name already runs on the node.
var ErrProcessRunning = errors.New("process is already running")

// ErrNotRunning means no process of that name runs on the node.
var ErrNotRunning = errors.New("process is not running")

// ProcessRecord is what the supervisor records about a started process.
type ProcessRecord struct {
	Node string   `json:"node"`
	Name string   `json:"name"`
	Argv []string `json:"argv"`
	PID  int      `json:"pid"`
	// StartTime is field 22 of /proc/PID/stat (clock ticks after boot).
	StartTime uint64    `json:"start_time"`
	Started   time.Time `json:"started"`
	Log       string    `json:"log"`
}

// children are the processes this process started and reaps: pid → a
// channel closed once Wait has returned.
var (
	childrenMu sync.Mutex
	children   = map[int]chan struct{}{}
)

// LogDir is the directory of the lab's process logs (ProcessLog).
func LogDir(lab string) string { return filepath.Join(StateDir(lab), "logs") }

// ProcessLog is the file a node's named process writes its output to.
func (h *Host) ProcessLog(name string) string {
	return filepath.Join(LogDir(h.Lab), h.Name()+"."+name+".log")
}

func (h *Host) processRecordPath(name string) string {
	return filepath.Join(StateDir(h.Lab), "procs", h.Name()+"."+name+".json")
}

// StartProcess starts argv inside the node's namespace, in a session of
// its own so that it outlives the caller, with stdout and stderr appended
// to ProcessLog(name). Equivalent to:
// `setsid ip netns exec NS ARGV… >>LOG 2>&1 </dev/null &`.
// When the caller lives on, it reaps the process once it exits. The pid
// is argv's own (`ip netns exec` execs it), though for a moment after the
// return it may still be ip entering the namespace: callers that need the
// process ready wait for a sign of it (a socket, a line in the log).
func (h *Host) StartProcess(name string, argv []string) (pid int, err error) {
	if err := checkProcessName(name); err != nil {
		return 0, fmt.Errorf("start %s on %s: %w", name, h.Name(), err)
	}
	if len(argv) == 0 {
		return 0, fmt.Errorf("start %s on %s: empty command", name, h.Name())
	}
	if _, err := ReadState(h.Lab); err != nil {
		return 0, fmt.Errorf("start %s on %s: %w", name, h.Name(), err)
	}
	unlock, err := h.lockProcess(name)
	if err != nil {
		return 0, fmt.Errorf("start %s on %s: %w", name, h.Name(), err)
	}
	defer unlock()
	if pid, running, err := h.Process(name); err != nil {
		return 0, fmt.Errorf("start %s on %s: %w", name, h.Name(), err)
	} else if running {
		return 0, fmt.Errorf("start %s on %s: pid %d: %w", name, h.Name(), pid, ErrProcessRunning)
	}
	logPath := h.ProcessLog(name)
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return 0, fmt.Errorf("start %s on %s: %w", name, h.Name(), err)
	}
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("start %s on %s: %w", name, h.Name(), err)
	}
	defer logFile.Close()
	args := append([]string{"netns", "exec", h.Namespace()}, argv...)
	cmd := exec.Command("ip", args...)
	cmd.Stdout = logFile // *os.File: handed to the child, no copying goroutine
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s on %s: %w", name, h.Name(), err)
	}
	pid = cmd.Process.Pid
	// Not yet waited for, so /proc/PID stays ours even if it exited.
	start, err := processStartTime(pid)
	done := make(chan struct{})
	childrenMu.Lock()
	children[pid] = done
	childrenMu.Unlock()
	go func() {
		_ = cmd.Wait()
		childrenMu.Lock()
		delete(children, pid)
		childrenMu.Unlock()
		close(done)
	}()
	if err != nil {
		_ = cmd.Process.Kill()
		return 0, fmt.Errorf("start %s on %s: %w", name, h.Name(), err)
	}
	rec := &ProcessRecord{
		Node: h.Name(), Name: name, Argv: argv, PID: pid,
		StartTime: start, Started: time.Now().UTC(), Log: logPath,
	}
	if err := h.writeProcessRecord(rec); err != nil {
		_ = cmd.Process.Kill()
		return 0, fmt.Errorf("start %s on %s: %w", name, h.Name(), err)
	}
	return pid, nil
}

// ProcessRecord reads what was recorded when the named process started;
// it wraps os.ErrNotExist if none was ever started (or it was stopped).
func (h *Host) ProcessRecord(name string) (*ProcessRecord, error) {
	data, err := os.ReadFile(h.processRecordPath(name))
	if err != nil {
		return nil, fmt.Errorf("read process record %s on %s: %w", name, h.Name(), err)
	}
	var rec ProcessRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("decode process record %s on %s: %w", name, h.Name(), err)
	}
	return &rec, nil
}

// Process reports the named process's pid and whether it runs: its pid is
// alive, not a zombie, and started when the record says (a recycled pid is
// reported as not running). A process never started is (0, false, nil).
func (h *Host) Process(name string) (pid int, running bool, err error) {
	rec, err := h.ProcessRecord(name)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return rec.PID, recordAlive(rec), nil
}

// SignalProcess sends sig to the named process, if it is the one recorded.
// Equivalent to: `kill -SIG PID`, with the pid checked against its start
// time through a pidfd so that a recycled pid is never signalled.
func (h *Host) SignalProcess(name string, sig syscall.Signal) error {
	rec, err := h.ProcessRecord(name)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("signal %s on %s: %w", name, h.Name(), ErrNotRunning)
	}
	if err != nil {
		return err
	}
	fd, err := openRecorded(rec)
	if err != nil {
		return fmt.Errorf("signal %s on %s: %w", name, h.Name(), err)
	}
	defer func() { _ = unix.Close(fd) }()
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil {
		if errors.Is(err, unix.ESRCH) {
			err = ErrNotRunning
		}
		return fmt.Errorf("signal %s on %s: %w", name, h.Name(), err)
	}
	return nil
}

// StopProcess ends the named process: SIGTERM to it, then SIGKILL to it
// and its process group if it is still there after grace; a grace of 0
// kills at once, as `kill -9` does. It
// returns once the process is gone (and reaped, if this process started
// it), and removes its record. Stopping a process that does not run is not
// an error.
func (h *Host) StopProcess(name string, grace time.Duration) error {
	rec, err := h.ProcessRecord(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	fd, err := openRecorded(rec)
	if errors.Is(err, ErrNotRunning) {
		return h.removeProcessRecord(name)
	}
	if err != nil {
		return fmt.Errorf("stop %s on %s: %w", name, h.Name(), err)
	}
	defer func() { _ = unix.Close(fd) }()
	gone := false
	if grace > 0 {
		if err := unix.PidfdSendSignal(fd, unix.SIGTERM, nil, 0); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("stop %s on %s: %w", name, h.Name(), err)
		}
		if gone, err = waitPidfd(fd, grace); err != nil {
			return fmt.Errorf("stop %s on %s: %w", name, h.Name(), err)
		}
	}
	if !gone {
		if err := killGroup(fd, rec); err != nil {
			return fmt.Errorf("stop %s on %s: %w", name, h.Name(), err)
		}
		if gone, err = waitPidfd(fd, killWait); err != nil {
			return fmt.Errorf("stop %s on %s: %w", name, h.Name(), err)
		}
		if !gone {
			return fmt.Errorf("stop %s on %s: pid %d still running %s after SIGKILL", name, h.Name(), rec.PID, killWait)
		}
	}
	if err := waitReaped(rec.PID, killWait); err != nil {
		return fmt.Errorf("stop %s on %s: %w", name, h.Name(), err)
	}
	return h.removeProcessRecord(name)
}

// killGroup SIGKILLs the recorded process and its process group — the
// session StartProcess made — so that no child (keepalived's VRRP and
// checker processes) outlives a kill and reacts to its parent's death.
// The group is signalled only while its leader is verified to be the
// recorded process.
func killGroup(fd int, rec *ProcessRecord) error {
	if recordAlive(rec) {
		if err := unix.Kill(-rec.PID, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("kill process group %d: %w", rec.PID, err)
		}
	}
	if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("kill pid %d: %w", rec.PID, err)
	}
	return nil
}

// killWait bounds how long a SIGKILLed process may take to go.
const killWait = 5 * time.Second

// openRecorded opens a pidfd for the recorded process, or fails with
// ErrNotRunning if the pid is gone, a zombie, or now someone else. Once
// the pidfd is open it names that process for good, so checking the start
// time after opening it closes the race with pid reuse.
func openRecorded(rec *ProcessRecord) (int, error) {
	fd, err := unix.PidfdOpen(rec.PID, 0)
	if errors.Is(err, unix.ESRCH) {
		return -1, ErrNotRunning
	}
	if err != nil {
		return -1, fmt.Errorf("open pidfd of %d: %w", rec.PID, err)
	}
	if !recordAlive(rec) {
		_ = unix.Close(fd)
		return -1, ErrNotRunning
	}
	return fd, nil
}

// waitPidfd waits up to d for the process to exit (the pidfd turns
// readable; a zombie counts as exited).
func waitPidfd(fd int, d time.Duration) (bool, error) {
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		ms := 0
		if left > 0 {
			ms = int((left + time.Millisecond - 1) / time.Millisecond) // round up
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, ms)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return false, fmt.Errorf("poll pidfd: %w", err)
		case n > 0:
			return true, nil
		case ms == 0 || !time.Now().Before(deadline):
			return false, nil
		}
	}
}

// waitReaped waits for a process this one started to be reaped by its Wait
// goroutine, so that no zombie is left behind. Others' children are reaped
// by their parent (or init), not here.
func waitReaped(pid int, d time.Duration) error {
	childrenMu.Lock()
	done, ok := children[pid]
	childrenMu.Unlock()
	if !ok {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-time.After(d):
		return fmt.Errorf("reap pid %d: not reaped after %s", pid, d)
	}
}

func recordAlive(rec *ProcessRecord) bool {
	if !processAlive(rec.PID) {
		return false
	}
	start, err := processStartTime(rec.PID)
	return err == nil && start == rec.StartTime
}

// processStartTime reads field 22 of /proc/PID/stat: when the process
// started, in clock ticks after boot.
func processStartTime(pid int) (uint64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("read start time of %d: %w", pid, err)
	}
	return parseStartTime(string(data))
}

func parseStartTime(stat string) (uint64, error) {
	// The command (field 2) may hold spaces and parentheses; it ends at
	// the last ')'. Fields from 3 on follow, space-separated.
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse /proc stat: no command field")
	}
	fields := strings.Fields(stat[i+1:])
	const idx = 22 - 3
	if len(fields) <= idx {
		return 0, fmt.Errorf("parse /proc stat: %d fields after the command, want > %d", len(fields), idx)
	}
	v, err := strconv.ParseUint(fields[idx], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse /proc stat start time: %w", err)
	}
	return v, nil
}

func (h *Host) writeProcessRecord(rec *ProcessRecord) error {
	path := h.processRecordPath(rec.Name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write process record: %w", err)
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("encode process record: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write process record: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write process record: %w", err)
	}
	return nil
}

func (h *Host) removeProcessRecord(name string) error {
	err := os.Remove(h.processRecordPath(name))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove process record %s on %s: %w", name, h.Name(), err)
	}
	return nil
}

// lockProcess serialises starts of one named process across processes.
func (h *Host) lockProcess(name string) (unlock func(), err error) {
	path := h.processRecordPath(name) + ".lock"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock process record: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock process record: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock process record: %w", err)
	}
	return func() { f.Close() }, nil
}

func checkProcessName(name string) error {
	if name == "" || strings.ContainsAny(name, "/. \t\n") || len(name) > 64 {
		return fmt.Errorf("process name %q: want 1 to 64 characters, no '/', '.' or spaces", name)
	}
	return nil
}
