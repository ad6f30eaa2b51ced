// Package labtest builds lab networks for native integration tests (no
// IPVS needed), with a leak check after each: any lab file (BuildLab,
// BuildSpec), or seed 003's DR lab, labs/dr.yaml, with the addresses the
// client's and the real servers' tests name (DR), where a backend can run
// in the test process itself (ServeInProcess).
package labtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/lvslab/lvslab/internal/leakcheck"
	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/topo"
)

// LabPrefix starts the name of every lab a test process builds: a letter
// naming the package (so packages tested in parallel never share a name)
// and the pid.
func LabPrefix(letter string) string { return fmt.Sprintf("%s%d-", letter, os.Getpid()%100000) }

// BuildLab stands up a lab file's network under the name prefix+base,
// owned by this process, and registers its teardown followed by a check
// that the root namespace is as it was and no lab of this prefix is left
// (DestroyAtEnd, LeakCheck).
// It gates on being able to create namespaces.
func BuildLab(t testing.TB, file, prefix, base string) *topo.Lab {
	t.Helper()
	testutil.NeedNetns(t)
	spec, err := topo.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return BuildSpec(t, spec, prefix, base)
}

// BuildSpec is BuildLab for a lab file already loaded (and maybe edited).
func BuildSpec(t testing.TB, spec *topo.Spec, prefix, base string) *topo.Lab {
	t.Helper()
	testutil.NeedNetns(t)
	LeakCheck(t, prefix)
	lab, err := topo.Build(context.Background(), spec, topo.BuildOptions{Name: prefix + base, Owner: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	DestroyAtEnd(t, lab.Name)
	return lab
}

// LeakCheck snapshots the root namespace and the labs named prefix* now
// and registers a check, when t ends, that they are as they were. Cleanups
// run last first, so the teardowns a test registers after it run before
// the check.
func LeakCheck(t testing.TB, prefix string) {
	t.Helper()
	before, err := leakcheck.Take(prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		after, err := leakcheck.Take(prefix)
		if err != nil {
			t.Fatal(err)
		}
		if d := leakcheck.Diff(before, after); d != "" {
			t.Errorf("labs %s* left changes:\n%s", prefix, d)
		}
	})
}

// DestroyAtEnd registers the teardown of lab name (topo.Destroy) when t
// ends; a lab already gone is no error.
func DestroyAtEnd(t testing.TB, name string) {
	t.Cleanup(func() {
		if err := topo.Destroy(name); err != nil && !errors.Is(err, topo.ErrNoLab) {
			t.Errorf("destroy lab %s: %v", name, err)
		}
	})
}

// RunWithLvslab is a TestMain for packages whose tests start backends as
// a lab does: it builds the lvslab executable from cmdDir (relative to
// the test's package) and lvslab-serve from its sibling directory into a
// temporary directory, points *bin at lvslab, runs the tests, removes
// the directory and returns their exit code. Equivalent to:
// `go build -o TMP/lvslab CMDDIR; go build -o TMP/lvslab-serve CMDDIR/../lvslab-serve`.
func RunWithLvslab(m *testing.M, cmdDir string, bin *string) int {
	dir, err := os.MkdirTemp("", "lvslab-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, "build lvslab:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	*bin = filepath.Join(dir, "lvslab")
	// The backends run lvslab-serve, which lvslab finds beside itself.
	serve := filepath.Join(filepath.Dir(filepath.Clean(cmdDir)), "lvslab-serve")
	for _, b := range [][2]string{{*bin, cmdDir}, {filepath.Join(dir, "lvslab-serve"), serve}} {
		build := exec.Command("go", "build", "-o", b[0], b[1])
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n", filepath.Base(b[0]), err)
			return 1
		}
	}
	return m.Run()
}
