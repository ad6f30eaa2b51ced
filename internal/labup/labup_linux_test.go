package labup

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/lvslab/lvslab/internal/labtest"
	"github.com/lvslab/lvslab/internal/leakcheck"
	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
)

// TestUpBackendFails: when backends fail to start (an executable that
// exits at once), Up returns the failure and leaves nothing: no lab state,
// no namespace, no process, the root namespace as it was.
func TestUpBackendFails(t *testing.T) {
	testutil.NeedNetns(t)
	prefix := labtest.LabPrefix("u")
	before, err := leakcheck.Take(prefix)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := topo.Load("testdata/realservers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	name := prefix + "fail"
	_, err = Up(context.Background(), spec, Options{
		BuildOptions: topo.BuildOptions{Name: name, Owner: os.Getpid()},
		Binary:       "/bin/false",
	})
	if err == nil || !strings.Contains(err.Error(), "start server on rs") {
		t.Fatalf("Up with a backend that exits = %v, want a start server error", err)
	}
	if _, err := topo.ReadState(name); !errors.Is(err, topo.ErrNoLab) {
		t.Errorf("lab %s's state after the failed Up: %v, want none", name, err)
	}
	after, err := leakcheck.Take(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if d := leakcheck.Diff(before, after); d != "" {
		t.Errorf("the failed Up left changes:\n%s", d)
	}
}

// TestUpRealServersConcurrently: every real server is prepared (DR needs
// no VIP without a service, so its sysctls are the role's) and its
// backend listens when Up returns.
func TestUpRealServersConcurrently(t *testing.T) {
	testutil.NeedNetns(t)
	prefix := labtest.LabPrefix("u")
	before, err := leakcheck.Take(prefix)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := topo.Load("testdata/realservers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lab, err := Up(context.Background(), spec, Options{
		BuildOptions: topo.BuildOptions{Name: prefix + "ok", Owner: os.Getpid()},
		Binary:       lvslabBin,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := topo.Destroy(lab.Name); err != nil {
			t.Errorf("destroy: %v", err)
		}
		after, err := leakcheck.Take(prefix)
		if err != nil {
			t.Fatal(err)
		}
		if d := leakcheck.Diff(before, after); d != "" {
			t.Errorf("lab %s left changes:\n%s", lab.Name, d)
		}
	})
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

// lvslabBin is the lvslab executable the backends run as, built by
// TestMain.
var lvslabBin string

func TestMain(m *testing.M) { os.Exit(labtest.RunWithLvslab(m, "../../cmd/lvslab", &lvslabBin)) }
