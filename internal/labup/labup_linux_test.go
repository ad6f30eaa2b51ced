package labup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lvslab/lvslab/internal/labtest"
	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
)

// TestUpBackendFails: when backends fail to start (an executable that
// exits at once, or none beside lvslab), Up returns the failure and leaves
// nothing: no lab state, no namespace, no process, the root namespace as
// it was.
func TestUpBackendFails(t *testing.T) {
	exits := filepath.Join(t.TempDir(), realserver.ServeName)
	if err := os.WriteFile(exits, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "lvslab")
	tests := []struct {
		name    string
		binary  string
		wantErr string
	}{
		{name: "exits", binary: exits, wantErr: "start server on rs"},
		{name: "missing", binary: missing, wantErr: filepath.Join(filepath.Dir(missing), realserver.ServeName)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, prefix := realServersLab(t)
			name := prefix + "fail"
			_, err := Up(context.Background(), spec, Options{
				BuildOptions: topo.BuildOptions{Name: name, Owner: os.Getpid()},
				Binary:       tt.binary,
			})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Up with backend %s = %v, want an error containing %q", tt.binary, err, tt.wantErr)
			}
			if _, err := topo.ReadState(name); !errors.Is(err, topo.ErrNoLab) {
				t.Errorf("lab %s's state after the failed Up: %v, want none", name, err)
			}
		})
	}
}

// TestUpRealServersConcurrently: every real server is prepared (DR needs
// no VIP without a service, so its sysctls are the role's) and its
// backend listens when Up returns.
func TestUpRealServersConcurrently(t *testing.T) {
	spec, prefix := realServersLab(t)
	lab, err := Up(context.Background(), spec, Options{
		BuildOptions: topo.BuildOptions{Name: prefix + "ok", Owner: os.Getpid()},
		Binary:       lvslabBin,
	})
	if err != nil {
		t.Fatal(err)
	}
	labtest.DestroyAtEnd(t, lab.Name)
	for _, h := range lab.Hosts() {
		if h.Spec.Role != topo.RoleRealServer {
			continue
		}
		missing, err := realserver.NotListening(h, realserver.ServiceOptions(spec, h.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if len(missing) > 0 {
			t.Errorf("%s does not listen on %v after Up", h.Name(), missing)
		}
	}
}

// realServersLab gates on namespaces, loads testdata/realservers.yaml and
// returns it with the prefix for the test's lab names, whose leftovers
// labtest.LeakCheck fails the test on.
func realServersLab(t *testing.T) (*topo.Spec, string) {
	t.Helper()
	testutil.NeedNetns(t)
	prefix := labtest.LabPrefix("u")
	labtest.LeakCheck(t, prefix)
	spec, err := topo.Load("testdata/realservers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return spec, prefix
}

// lvslabBin is the lvslab executable the backends run as, built by
// TestMain.
var lvslabBin string

func TestMain(m *testing.M) { os.Exit(labtest.RunWithLvslab(m, "../../cmd/lvslab", &lvslabBin)) }
