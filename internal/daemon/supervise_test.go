package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/topo"
)

const processLab = `name: proc
segments:
  - {name: lan, subnet: 10.9.0.0/24}
nodes:
  - name: n1
    role: client
    interfaces:
      - {name: eth0, segment: lan, addresses: [10.9.0.1/24]}
`

// processHost builds a one-node lab and returns its node.
func processHost(t *testing.T) *topo.Host {
	t.Helper()
	testutil.NeedNetns(t)
	file := filepath.Join(t.TempDir(), "proc.yaml")
	if err := os.WriteFile(file, []byte(processLab), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := topo.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("pr%d", os.Getpid()%100000)
	lab, err := topo.Build(context.Background(), spec, topo.BuildOptions{Name: name, Owner: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := topo.Destroy(lab.Name); err != nil && !errors.Is(err, topo.ErrNoLab) {
			t.Errorf("destroy: %v", err)
		}
	})
	h, err := lab.Host("n1")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// waitFor polls cond for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func logHas(h *topo.Host, name, s string) func() bool {
	return func() bool {
		data, _ := os.ReadFile(LogPath(h, name))
		return strings.Contains(string(data), s)
	}
}

// gone is true once a pid no longer exists at all: not even a zombie.
func gone(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return errors.Is(err, os.ErrNotExist)
}

func TestParseProcessStartTime(t *testing.T) {
	fields := func(comm string) string {
		f := make([]string, 0, 50)
		for i := 3; i <= 52; i++ {
			f = append(f, strconv.Itoa(i*10)) // field N holds N*10
		}
		return "1234 (" + comm + ") " + strings.Join(f, " ")
	}
	tests := []struct {
		name, stat string
		want       uint64
		wantErr    bool
	}{
		{name: "plain", stat: fields("sleep"), want: 220},
		{name: "spaces and parens in comm", stat: fields("a) (b c) 9"), want: 220},
		{name: "no comm", stat: "1234 sleep S 1", wantErr: true},
		{name: "short", stat: "1234 (sleep) S 1 2 3", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStartTime(tt.stat)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseStartTime: err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseStartTime = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestProcessSupervisor(t *testing.T) {
	h := processHost(t)
	// Test processes never leave an orphan behind: an init that does not
	// reap (as in some containers) would keep it as a zombie.
	loop := `trap "exit 0" TERM; echo ready; while :; do sleep 0.05; done`

	t.Run("start runs in the node's namespace", func(t *testing.T) {
		pid, err := Start(h, "sleeper", []string{"sleep", "30"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = Stop(h, "sleeper", 0) })
		if p, running, err := Status(h, "sleeper"); err != nil || !running || p != pid {
			t.Fatalf("Process = %d, %v, %v; want %d, true, nil", p, running, err, pid)
		}
		var st syscall.Stat_t
		if err := syscall.Stat(h.NsPath(), &st); err != nil {
			t.Fatal(err)
		}
		ino := st.Ino
		// Until `ip netns exec` has entered the namespace and exec'd
		// sleep, the pid is still ip's in the root namespace.
		want := fmt.Sprintf("net:[%d]", ino)
		waitFor(t, 5*time.Second, "the process to enter "+want, func() bool {
			link, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
			return link == want
		})
		if sid, err := syscall.Getpgid(pid); err != nil || sid != pid {
			t.Errorf("process group %d (%v), want its own session %d", sid, err, pid)
		}
	})

	// NetnsOnly: argv's process, in the node's network namespace from
	// the first moment (no wait for ip to enter it), in the caller's
	// mount namespace (no ip netns exec, which makes one to remount /sys),
	// in a session of its own; stopped and reaped as any other.
	t.Run("netns only runs in the node's network namespace alone", func(t *testing.T) {
		pid, err := Start(h, "netonly", []string{"sleep", "30"}, NetnsOnly)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = Stop(h, "netonly", 0) })
		const self = "/proc/thread-self/ns/" // a pool thread: the root namespace
		if !testutil.SameNamespace(t, pid, "net", h.NsPath()) {
			t.Errorf("pid %d is not in the node's network namespace %s", pid, h.NsPath())
		}
		if testutil.SameNamespace(t, pid, "net", self+"net") {
			t.Errorf("pid %d is in the caller's (root) network namespace", pid)
		}
		if !testutil.SameNamespace(t, pid, "mnt", self+"mnt") {
			t.Errorf("pid %d has a mount namespace of its own: started through ip netns exec?", pid)
		}
		if sid, err := unix.Getsid(pid); err != nil || sid != pid {
			t.Errorf("session %d (%v), want its own %d", sid, err, pid)
		}
		if rec, err := ReadRecord(h, "netonly"); err != nil || rec.PID != pid || rec.Argv[0] != "sleep" {
			t.Errorf("record %+v (%v), want pid %d running sleep", rec, err, pid)
		}
		if err := Stop(h, "netonly", time.Second); err != nil {
			t.Fatal(err)
		}
		if !gone(pid) {
			t.Errorf("pid %d still exists after stop (a zombie?)", pid)
		}
	})

	// The control for the checks above: without NetnsOnly, ip netns exec
	// gives the process a mount namespace of its own.
	t.Run("without netns only the mount namespace is ip's", func(t *testing.T) {
		pid, err := Start(h, "viaip", []string{"sleep", "30"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = Stop(h, "viaip", 0) })
		waitFor(t, 5*time.Second, "ip to enter the namespace and exec sleep", func() bool {
			return testutil.SameNamespace(t, pid, "net", h.NsPath())
		})
		if testutil.SameNamespace(t, pid, "mnt", "/proc/thread-self/ns/mnt") {
			t.Errorf("pid %d shares the caller's mount namespace after ip netns exec", pid)
		}
	})

	t.Run("starting a running name fails", func(t *testing.T) {
		if _, err := Start(h, "dup", []string{"sleep", "30"}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = Stop(h, "dup", 0) })
		_, err := Start(h, "dup", []string{"sleep", "30"})
		if !errors.Is(err, ErrRunning) {
			t.Fatalf("second start: err = %v, want ErrRunning", err)
		}
	})

	t.Run("signal reaches the process", func(t *testing.T) {
		if _, err := Start(h, "trapper", []string{"sh", "-c", `trap "echo got USR1" USR1; ` + loop}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := Stop(h, "trapper", 5*time.Second); err != nil {
				t.Error(err)
			}
		})
		waitFor(t, 5*time.Second, "ready in the log", logHas(h, "trapper", "ready"))
		if err := Signal(h, "trapper", syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "got USR1 in the log", logHas(h, "trapper", "got USR1"))
	})

	// The process that ignores SIGTERM is gone after Stop only if
	// it escalated to SIGKILL: that is the check, not how long it took.
	// The SIGTERM case has a minute's grace, so a stop that never sent
	// SIGTERM would wait it out and trip the 10 s bound, which otherwise
	// only catches a hang.
	tests := []struct {
		name  string
		argv  []string
		grace time.Duration
	}{
		{name: "stop ends with SIGTERM", argv: []string{"sh", "-c", `echo ready; exec sleep 300`}, grace: time.Minute},
		// An ignored signal stays ignored across exec.
		{name: "stop escalates to SIGKILL", argv: []string{"sh", "-c", `trap "" TERM; echo ready; exec sleep 30`}, grace: 300 * time.Millisecond},
		{name: "grace 0 kills at once", argv: []string{"sh", "-c", `trap "" TERM; echo ready; exec sleep 30`}, grace: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "stop" + strconv.Itoa(int(tt.grace/time.Millisecond))
			pid, err := Start(h, name, tt.argv)
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, 5*time.Second, "ready in the log", logHas(h, name, "ready"))
			begin := time.Now()
			if err := Stop(h, name, tt.grace); err != nil {
				t.Fatal(err)
			}
			if taken := time.Since(begin); taken > 10*time.Second {
				t.Errorf("stop took %s: it hung", taken)
			}
			if !gone(pid) {
				t.Errorf("pid %d still exists after stop (a zombie?)", pid)
			}
			if _, running, err := Status(h, name); err != nil || running {
				t.Errorf("Process after stop = running %v, err %v", running, err)
			}
			if err := Stop(h, name, tt.grace); err != nil {
				t.Errorf("second stop: %v", err)
			}
			if err := Signal(h, name, syscall.SIGTERM); !errors.Is(err, ErrNotRunning) {
				t.Errorf("signal after stop: err = %v, want ErrNotRunning", err)
			}
		})
	}

	t.Run("kill takes the process group", func(t *testing.T) {
		// keepalived's children would otherwise see their parent die and
		// react (a priority-0 advert) where `kill -9` must leave silence.
		if _, err := Start(h, "family", []string{"sh", "-c", `sleep 30 & echo "child $!"; echo ready; wait`}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "ready in the log", logHas(h, "family", "ready"))
		data, err := os.ReadFile(LogPath(h, "family"))
		if err != nil {
			t.Fatal(err)
		}
		var child int
		if _, err := fmt.Sscanf(string(data), "child %d", &child); err != nil {
			t.Fatalf("no child pid in the log %q: %v", data, err)
		}
		if err := Stop(h, "family", 0); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "the child to die", func() bool { return !topo.ProcessAlive(child) })
	})

	t.Run("restart after exit", func(t *testing.T) {
		pid, err := Start(h, "short", []string{"true"})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "the short process to be reaped", func() bool { return gone(pid) })
		if _, running, _ := Status(h, "short"); running {
			t.Fatal("an exited process is reported running")
		}
		if _, err := Start(h, "short", []string{"sleep", "30"}); err != nil {
			t.Fatalf("start after exit: %v", err)
		}
		if err := Stop(h, "short", time.Second); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("recycled pid is never signalled", func(t *testing.T) {
		// A live process the record's pid now belongs to: same pid, other
		// start time, as after the recorded process died and its pid was
		// reused.
		victim := exec.Command("sleep", "30")
		if err := victim.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = victim.Process.Kill(); _ = victim.Wait() })
		start, err := processStartTime(victim.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		rec := &Record{Node: h.Name(), Name: "recycled", Argv: []string{"sleep", "30"},
			PID: victim.Process.Pid, StartTime: start - 1}
		if err := writeRecord(h, rec); err != nil {
			t.Fatal(err)
		}
		if _, running, err := Status(h, "recycled"); err != nil || running {
			t.Errorf("Process = running %v, err %v; want not running", running, err)
		}
		if err := Signal(h, "recycled", syscall.SIGKILL); !errors.Is(err, ErrNotRunning) {
			t.Errorf("Signal: err = %v, want ErrNotRunning", err)
		}
		if err := Stop(h, "recycled", 0); err != nil {
			t.Errorf("Stop: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
		if !topo.ProcessAlive(victim.Process.Pid) {
			t.Fatal("the process that reused the pid was signalled")
		}
		if _, err := ReadRecord(h, "recycled"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale record left after stop: %v", err)
		}
	})

	t.Run("bad names are rejected", func(t *testing.T) {
		for _, name := range []string{"", "../x", "a.b", "a b"} {
			if _, err := Start(h, name, []string{"true"}); err == nil {
				t.Errorf("Start(%q) succeeded", name)
			}
		}
	})
}

func TestProcessNoLab(t *testing.T) {
	h := &topo.Host{Lab: fmt.Sprintf("gone%d", os.Getpid()%100000), Spec: &topo.Node{Name: "n1"}}
	if _, err := Start(h, "server", []string{"true"}); !errors.Is(err, topo.ErrNoLab) {
		t.Errorf("start on a lab that is not up: err = %v, want ErrNoLab", err)
	}
	if _, err := os.Stat(topo.StateDir(h.Lab)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("start on a lab that is not up made its state dir: %v", err)
	}
	if _, running, err := Status(h, "server"); err != nil || running {
		t.Errorf("Process = running %v, err %v; want false, nil", running, err)
	}
}
