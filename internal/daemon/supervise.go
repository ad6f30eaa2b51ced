package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lvslab/lvslab/topo"
)

// ErrRunning means a daemon of that name already runs on the node.
var ErrRunning = errors.New("already running")

// ErrNotRunning means no daemon of that name runs on the node.
var ErrNotRunning = errors.New("not running")

// Record is what the supervisor records about a started daemon, in
// procs/NODE.NAME.json.
type Record struct {
	Node string   `json:"node"`
	Name string   `json:"name"`
	Argv []string `json:"argv"`
	PID  int      `json:"pid"`
	// StartTime is field 22 of /proc/PID/stat (clock ticks after boot).
	StartTime uint64    `json:"start_time"`
	Started   time.Time `json:"started"`
	Log       string    `json:"log"`
}

// LogDir is the directory of the lab's daemon logs (LogPath).
func LogDir(lab string) string { return filepath.Join(topo.StateDir(lab), "logs") }

// LogPath is the file node h's daemon name writes its output to.
func LogPath(h *topo.Host, name string) string {
	return filepath.Join(LogDir(h.Lab), h.Name()+"."+name+".log")
}

func recordPath(h *topo.Host, name string) string {
	return filepath.Join(topo.StateDir(h.Lab), "procs", h.Name()+"."+name+".json")
}

// Option changes how Start puts a daemon into its node.
type Option int

// NetnsOnly starts the daemon in the node's network namespace alone,
// forked from a thread inside it (topo.Host.StartProcess), instead of
// through `ip netns exec`: no ip process runs first and no mount
// namespace is made with /sys remounted, so /sys/class/net shows the
// host's interfaces to it. For daemons that only open sockets (a real
// server's server); keepalived, which reads /sys, goes without it. In the
// TCG guest `ip netns exec NS true` alone costs 0.4–1.3 s of CPU.
const NetnsOnly Option = 1

// Start starts argv as node h's daemon name: inside the node's namespace,
// in a session of its own so that it outlives the caller, with stdout and
// stderr appended to LogPath(h, name). Equivalent to:
// `setsid ip netns exec NS ARGV… >>LOG 2>&1 </dev/null &` (with NetnsOnly:
// `setsid nsenter --net=/run/netns/NS ARGV…`).
// When the caller lives on, it reaps the process once it exits. The pid
// is argv's own (`ip netns exec` execs it), though for a moment after the
// return it may still be ip entering the namespace (with NetnsOnly it is
// argv's process, inside the namespace, from the start): callers that
// need the daemon ready wait for a sign of it (WaitReady: a socket, a pid
// file).
func Start(h *topo.Host, name string, argv []string, opts ...Option) (pid int, err error) {
	if err := checkProcessName(name); err != nil {
		return 0, fmt.Errorf("start %s on %s: %w", name, h.Name(), err)
	}
	if len(argv) == 0 {
		return 0, fmt.Errorf("start %s on %s: empty command", name, h.Name())
	}
	if _, err := topo.ReadState(h.Lab); err != nil {
		return 0, fmt.Errorf("start %s on %s: %w", name, h.Name(), err)
	}
	unlock, err := lock(h, name)
	if err != nil {
		return 0, fmt.Errorf("start %s on %s: %w", name, h.Name(), err)
	}
	defer unlock()
	if pid, running, err := Status(h, name); err != nil {
		return 0, fmt.Errorf("start %s on %s: %w", name, h.Name(), err)
	} else if running {
		return 0, fmt.Errorf("start %s on %s: pid %d: %w", name, h.Name(), pid, ErrRunning)
	}
	logPath := LogPath(h, name)
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return 0, fmt.Errorf("start %s on %s: %w", name, h.Name(), err)
	}
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("start %s on %s: %w", name, h.Name(), err)
	}
	defer logFile.Close()
	var cmd *exec.Cmd
	netnsOnly := slices.Contains(opts, NetnsOnly)
	if netnsOnly {
		cmd = exec.Command(argv[0], argv[1:]...)
	} else {
		cmd = h.Command(context.Background(), argv...)
	}
	cmd.Stdout = logFile // *os.File: handed to the child, no copying goroutine
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if netnsOnly {
		err = h.StartProcess(cmd)
	} else {
		err = cmd.Start()
	}
	if err != nil {
		return 0, fmt.Errorf("start %s on %s: %w", name, h.Name(), err)
	}
	pid = cmd.Process.Pid
	// Not yet waited for, so /proc/PID stays ours even if it exited.
	start, err := processStartTime(pid)
	children.watch(cmd)
	if err != nil {
		_ = cmd.Process.Kill()
		return 0, fmt.Errorf("start %s on %s: %w", name, h.Name(), err)
	}
	rec := &Record{
		Node: h.Name(), Name: name, Argv: argv, PID: pid,
		StartTime: start, Started: time.Now().UTC(), Log: logPath,
	}
	if err := writeRecord(h, rec); err != nil {
		_ = cmd.Process.Kill()
		return 0, fmt.Errorf("start %s on %s: %w", name, h.Name(), err)
	}
	return pid, nil
}

// ReadRecord reads what was recorded when node h's daemon name started;
// it wraps os.ErrNotExist if none was ever started (or it was stopped).
func ReadRecord(h *topo.Host, name string) (*Record, error) {
	data, err := os.ReadFile(recordPath(h, name))
	if err != nil {
		return nil, fmt.Errorf("read process record %s on %s: %w", name, h.Name(), err)
	}
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("decode process record %s on %s: %w", name, h.Name(), err)
	}
	return &rec, nil
}

// Status reports the pid of node h's daemon name and whether it runs: its pid is
// alive, not a zombie, and started when the record says (a recycled pid is
// reported as not running). A process never started is (0, false, nil).
func Status(h *topo.Host, name string) (pid int, running bool, err error) {
	rec, err := ReadRecord(h, name)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return rec.PID, recordAlive(rec), nil
}

// Signal sends sig to node h's daemon name, if it is the one recorded.
// Equivalent to: `kill -SIG PID`, with the pid checked against its start
// time through a pidfd so that a recycled pid is never signalled.
func Signal(h *topo.Host, name string, sig syscall.Signal) error {
	rec, err := ReadRecord(h, name)
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

// Stop ends node h's daemon name: SIGTERM to it, then SIGKILL to it
// and its process group if it is still there after grace; a grace of 0
// kills at once, as `kill -9` does. It
// returns once the process is gone (and reaped, if this process started
// it), and removes its record. Stopping a process that does not run is not
// an error.
func Stop(h *topo.Host, name string, grace time.Duration) error {
	rec, err := ReadRecord(h, name)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	fd, err := openRecorded(rec)
	if errors.Is(err, ErrNotRunning) {
		return removeRecord(h, name)
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
	if err := children.reaped(rec.PID, killWait); err != nil {
		return fmt.Errorf("stop %s on %s: %w", name, h.Name(), err)
	}
	return removeRecord(h, name)
}

// killGroup SIGKILLs the recorded process and its process group — the
// session Start made — so that no child (keepalived's VRRP and
// checker processes) outlives a kill and reacts to its parent's death.
// The group is signalled only while its leader is verified to be the
// recorded process.
func killGroup(fd int, rec *Record) error {
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
func openRecorded(rec *Record) (int, error) {
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

func recordAlive(rec *Record) bool {
	if !topo.ProcessAlive(rec.PID) {
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

func writeRecord(h *topo.Host, rec *Record) error {
	path := recordPath(h, rec.Name)
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

func removeRecord(h *topo.Host, name string) error {
	err := os.Remove(recordPath(h, name))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove process record %s on %s: %w", name, h.Name(), err)
	}
	return nil
}

// lock serialises starts of one daemon across processes.
func lock(h *topo.Host, name string) (unlock func(), err error) {
	path := recordPath(h, name) + ".lock"
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
