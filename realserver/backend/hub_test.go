package backend

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHubRefuses: requests a hub refuses before any socket opens, and
// what they leave: no node reserved. Serving itself is tested in lab
// namespaces (package realserver).
func TestHubRefuses(t *testing.T) {
	opts := &Options{HTTP: []uint16{80}}
	tests := []struct {
		name    string
		req     HubRequest
		wantErr string
	}{
		{name: "no node", req: HubRequest{Op: OpStatus}, wantErr: "no node named"},
		{name: "unknown operation", req: HubRequest{Op: "restart", Node: "web1"}, wantErr: `unknown operation "restart"`},
		{name: "serve without options", req: HubRequest{Op: OpServe, Node: "web1"}, wantErr: "serve web1: no options"},
		{name: "serve in a namespace that is not there", req: HubRequest{Op: OpServe, Node: "web1", Netns: "/nonexistent/netns/web1", Options: opts}, wantErr: "open namespace /nonexistent/netns/web1"},
		{name: "serve with a log it cannot open", req: HubRequest{Op: OpServe, Node: "web1", Log: "/nonexistent/dir/web1.log", Options: opts}, wantErr: "open log"},
		{name: "serve with no port", req: HubRequest{Op: OpServe, Node: "web1", Options: &Options{}}, wantErr: "no port to serve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHub()
			rep := h.Do(tt.req)
			if !strings.Contains(rep.Error, tt.wantErr) || rep.Running {
				t.Fatalf("Do(%+v) = %+v, want a refusal containing %q", tt.req, rep, tt.wantErr)
			}
			if st := h.Do(HubRequest{Op: OpStatus, Node: "web1"}); st.Running || st.Error != "" {
				t.Errorf("after the refusal, web1's status = %+v, want not running", st)
			}
		})
	}
}

// TestHubEndsWhatIsNotServed: stopping or killing a node the hub does not
// serve is not an error, as stopping a stopped daemon is not.
func TestHubEndsWhatIsNotServed(t *testing.T) {
	h := NewHub()
	for _, op := range []Op{OpStop, OpKill, OpStatus} {
		if rep := h.Do(HubRequest{Op: op, Node: "web9"}); rep.Error != "" || rep.Running {
			t.Errorf("%s of a node not served = %+v, want not running and no error", op, rep)
		}
	}
}

// TestAsk: requests and replies over the hub's unix socket; a missing
// socket or one nobody accepts on is ErrNoHub, and a file a dead hub left
// is replaced.
func TestAsk(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "servers.sock")
	if _, err := Ask(sock, HubRequest{Op: OpStatus, Node: "web1"}, time.Second); !errors.Is(err, ErrNoHub) {
		t.Fatalf("Ask with no socket file: %v, want ErrNoHub", err)
	}
	if err := os.WriteFile(sock, nil, 0o644); err != nil { // left by a hub that died
		t.Fatal(err)
	}
	if _, err := Ask(sock, HubRequest{Op: OpStatus, Node: "web1"}, time.Second); !errors.Is(err, ErrNoHub) {
		t.Fatalf("Ask with a stale socket file: %v, want ErrNoHub", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- NewHub().ListenAndServe(ctx, sock) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		rep, err := Ask(sock, HubRequest{Op: OpStatus, Node: "web1"}, time.Second)
		if err == nil {
			if rep.Running {
				t.Errorf("status of a node never served = %+v", rep)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hub not answering after 5 s: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := Ask(sock, HubRequest{Op: "restart", Node: "web1"}, time.Second); err == nil || !strings.Contains(err.Error(), "unknown operation") {
		t.Errorf("Ask of an unknown operation: %v, want the hub's refusal", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ListenAndServe after its context ended: %v", err)
	}
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file left after the hub ended: %v", err)
	}
}
