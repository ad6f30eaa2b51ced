package daemon

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"
)

// children are the daemons this process started: it reaps each once it
// exits, so that no zombie is left behind, and keeps how it ended. The
// table is process-wide because children are: a daemon started by one
// caller (lvslab up) may be stopped by another in the same process (a
// scenario). Others' children are reaped by their parent (or init), not
// here.
var children = &reaper{exits: map[int]*exit{}}

type reaper struct {
	mu    sync.Mutex
	exits map[int]*exit // by pid; a reused pid replaces the entry
}

// exit is how a child ended: state is set before done is closed.
type exit struct {
	done  chan struct{}
	state *os.ProcessState
}

// watch waits for the started cmd in the background.
func (r *reaper) watch(cmd *exec.Cmd) {
	e := &exit{done: make(chan struct{})}
	r.mu.Lock()
	r.exits[cmd.Process.Pid] = e
	r.mu.Unlock()
	go func() {
		_ = cmd.Wait()
		e.state = cmd.ProcessState
		close(e.done)
	}()
}

func (r *reaper) lookup(pid int) *exit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exits[pid]
}

// reaped waits up to d for a process this one started to be reaped; for
// any other pid it returns at once.
func (r *reaper) reaped(pid int, d time.Duration) error {
	e := r.lookup(pid)
	if e == nil {
		return nil
	}
	select {
	case <-e.done:
		return nil
	case <-time.After(d):
		return fmt.Errorf("reap pid %d: not reaped after %s", pid, d)
	}
}

// status says how a process this one started ended ("exit status 1",
// "signal: killed"), waiting up to d for it to be reaped; "" for a pid
// this process did not start.
func (r *reaper) status(pid int, d time.Duration) string {
	e := r.lookup(pid)
	if e == nil {
		return ""
	}
	select {
	case <-e.done:
		return e.state.String()
	case <-time.After(d):
		return "not reaped after " + d.String()
	}
}
