package daemon

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/lvslab/lvslab/topo"
)

// poll is how often WaitReady looks again.
const poll = 20 * time.Millisecond

// logTailMax bounds how much of a log an error quotes.
const logTailMax = 2048

// WaitReady waits until node h's daemon name is ready: ready reports ""
// once it is, else what is not there yet ("not listening on tcp/80",
// "no lvs01.vrrp.pid"), or an error that ends the wait. It fails when the
// daemon exits first (saying how: "exit status 1") or after timeout
// (saying what the process is doing), and either failure quotes the end
// of the daemon's log. The caller names the node: "start server on web1:
// %w".
func WaitReady(h *topo.Host, name string, timeout time.Duration, ready func() (notYet string, err error)) error {
	deadline := time.Now().Add(timeout)
	for {
		notYet, err := ready()
		if err != nil {
			return err
		}
		if notYet == "" {
			return nil
		}
		rec, err := ReadRecord(h, name)
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s stopped before it was ready: %s: %w", name, notYet, ErrNotRunning)
		}
		if err != nil {
			return err
		}
		if !recordAlive(rec) {
			how := "exited"
			if s := children.status(rec.PID, killWait); s != "" {
				how = "ended, " + s + ","
			}
			return fmt.Errorf("%s (pid %d) %s before it was ready: %s%s", name, rec.PID, how, notYet, LogTail(h, name))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s after %s (%s)%s", notYet, timeout, topo.DescribeProcess(rec.PID), LogTail(h, name))
		}
		time.Sleep(poll)
	}
}

// LogTail quotes the end of node h's daemon log for an error message:
// " (log PATH: LINES)", or "" when the log is empty or missing.
func LogTail(h *topo.Host, name string) string {
	path := LogPath(h, name)
	data, err := os.ReadFile(path)
	if err != nil || len(data) == 0 {
		return ""
	}
	if len(data) > logTailMax {
		data = data[len(data)-logTailMax:]
	}
	return " (log " + path + ": " + strings.TrimSpace(string(data)) + ")"
}
