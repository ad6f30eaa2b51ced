// Package labtest builds lab networks for native integration tests, with
// a leak check after each.
package labtest

import (
	"context"
	"errors"
	"fmt"
	"os"
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
// that the root namespace is as it was and no lab of this prefix is left.
// It gates on being able to create namespaces.
func BuildLab(t testing.TB, file, prefix, base string) *topo.Lab {
	t.Helper()
	testutil.NeedNetns(t)
	before, err := leakcheck.Take(prefix)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := topo.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	lab, err := topo.Build(context.Background(), spec, topo.BuildOptions{Name: prefix + base, Owner: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := topo.Destroy(lab.Name); err != nil && !errors.Is(err, topo.ErrNoLab) {
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
	return lab
}
