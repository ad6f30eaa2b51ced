package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvslab/lvslab/topo"
)

func TestWaitReady(t *testing.T) {
	h := processHost(t)
	errProbe := errors.New("probe failed")
	tests := []struct {
		name    string
		argv    []string
		timeout time.Duration
		// logFirst is a line to wait for in the log before WaitReady.
		logFirst string
		ready    func(h *topo.Host, name string) func() (string, error)
		// want are substrings of the error; nil wants no error.
		want    []string
		wantErr error
	}{
		{
			name: "ready at once",
			argv: []string{"sleep", "30"},
			ready: func(*topo.Host, string) func() (string, error) {
				return func() (string, error) { return "", nil }
			},
		},
		{
			name: "ready once the log says so",
			argv: []string{"sh", "-c", `sleep 0.2; echo ready; exec sleep 30`},
			ready: func(h *topo.Host, name string) func() (string, error) {
				return func() (string, error) {
					if logHas(h, name, "ready")() {
						return "", nil
					}
					return "no ready line", nil
				}
			},
		},
		{
			name: "exit before ready names the status and quotes the log",
			argv: []string{"sh", "-c", `echo cannot bind; exit 3`},
			ready: func(*topo.Host, string) func() (string, error) {
				return func() (string, error) { return "not listening on tcp/80", nil }
			},
			want: []string{"ended, exit status 3, before it was ready: not listening on tcp/80", "cannot bind"},
		},
		{
			name:     "timeout says what is missing and what the process does",
			argv:     []string{"sh", "-c", `echo starting; exec sleep 30`},
			timeout:  300 * time.Millisecond,
			logFirst: "starting",
			ready: func(*topo.Host, string) func() (string, error) {
				return func() (string, error) { return "no pid file", nil }
			},
			want: []string{"no pid file after 300ms (pid ", "sleep", "starting"},
		},
		{
			name: "a failing probe ends the wait",
			argv: []string{"sleep", "30"},
			ready: func(*topo.Host, string) func() (string, error) {
				return func() (string, error) { return "", errProbe }
			},
			wantErr: errProbe,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "ready" + string(rune('a'+i))
			if _, err := Start(h, name, tt.argv); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = Stop(h, name, 0) })
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			if tt.logFirst != "" {
				waitFor(t, 5*time.Second, tt.logFirst+" in the log", logHas(h, name, tt.logFirst))
			}
			err := WaitReady(h, name, timeout, tt.ready(h, name))
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("WaitReady: err = %v, want %v", err, tt.wantErr)
				}
			case tt.want == nil:
				if err != nil {
					t.Fatalf("WaitReady: %v", err)
				}
			default:
				if err == nil {
					t.Fatal("WaitReady = nil error")
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("WaitReady: err = %q, want it to contain %q", err, w)
					}
				}
			}
		})
	}

	t.Run("a stopped daemon is not running", func(t *testing.T) {
		err := WaitReady(h, "neverstarted", time.Second, func() (string, error) { return "no socket", nil })
		if !errors.Is(err, ErrNotRunning) {
			t.Errorf("WaitReady: err = %v, want ErrNotRunning", err)
		}
	})
}

func TestLogTail(t *testing.T) {
	lab := fmt.Sprintf("tail%d", os.Getpid()%100000)
	h := &topo.Host{Lab: lab, Spec: &topo.Node{Name: "n1"}}
	path := LogPath(h, "server")
	t.Cleanup(func() { _ = os.RemoveAll(topo.StateDir(lab)) })
	long := strings.Repeat("x", 3*logTailMax) + "\nthe last line\n"
	tests := []struct {
		name, log string
		write     bool
		want      string
	}{
		{name: "no log", want: ""},
		{name: "empty log", write: true, want: ""},
		{name: "short log, trimmed", write: true, log: "listen tcp :80: address in use\n", want: " (log " + path + ": listen tcp :80: address in use)"},
		{name: "long log, its end", write: true, log: long, want: " (log " + path + ": " + strings.TrimSpace(long[len(long)-logTailMax:]) + ")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_ = os.Remove(path)
			if tt.write {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(tt.log), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := LogTail(h, "server"); got != tt.want {
				t.Errorf("LogTail = %q, want %q", got, tt.want)
			}
		})
	}
}
