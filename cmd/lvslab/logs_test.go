package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while printLogs writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPrintLogs(t *testing.T) {
	dir := t.TempDir()
	ka := filepath.Join(dir, "lvs01.keepalived.log")
	srv := filepath.Join(dir, "lvs01.server.log")
	if err := os.WriteFile(ka, []byte("(VI_1) Entering BACKUP STATE (init)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(srv, []byte("serving as lvs01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("one file, no header", func(t *testing.T) {
		var b bytes.Buffer
		if err := printLogs(context.Background(), &b, []string{ka}, false); err != nil {
			t.Fatal(err)
		}
		if got, want := b.String(), "(VI_1) Entering BACKUP STATE (init)\n"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("several files, a header each", func(t *testing.T) {
		var b bytes.Buffer
		if err := printLogs(context.Background(), &b, []string{ka, srv}, false); err != nil {
			t.Fatal(err)
		}
		want := "==> " + ka + " <==\n(VI_1) Entering BACKUP STATE (init)\n\n==> " + srv + " <==\nserving as lvs01\n"
		if got := b.String(); got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		if err := printLogs(context.Background(), &bytes.Buffer{}, []string{filepath.Join(dir, "nosuch.log")}, false); err == nil {
			t.Error("printLogs of a missing file = nil error")
		}
	})
	t.Run("follow prints what is appended, until ctx ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var b syncBuffer
		done := make(chan error, 1)
		go func() { done <- printLogs(ctx, &b, []string{ka}, true) }()
		f, err := os.OpenFile(ka, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("(VI_1) Entering MASTER STATE\n"); err != nil {
			t.Fatal(err)
		}
		f.Close()
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(b.String(), "MASTER") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got, want := b.String(), "(VI_1) Entering BACKUP STATE (init)\n(VI_1) Entering MASTER STATE\n"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}
