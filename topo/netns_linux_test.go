package topo

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lvslab/lvslab/internal/testutil"
)

// iprouteAdd does to dir what `ip netns add` does to /run/netns before it
// binds a namespace there (iproute2's netns_add): make it a shared mount,
// and where it is no mount point yet, bind it onto itself first.
func iprouteAdd(t *testing.T, dir string) {
	t.Helper()
	err := unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, "")
	if errors.Is(err, unix.EINVAL) {
		if err := unix.Mount(dir, dir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			t.Fatalf("bind %s onto itself: %v", dir, err)
		}
		err = unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, "")
	}
	if err != nil {
		t.Fatalf("make %s shared: %v", dir, err)
	}
}

// bindNamespace binds the test's own network namespace at path, the way
// netns.NewNamed binds a new one.
func bindNamespace(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("/proc/self/ns/net", path, "none", unix.MS_BIND, ""); err != nil {
		t.Fatalf("bind a namespace at %s: %v", path, err)
	}
}

// unbindNamespace is deleteNamespace's work on path: unmount, then remove.
func unbindNamespace(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil {
		return err
	}
	return os.Remove(path)
}

// unmountAll lazily unmounts dir until nothing is mounted there.
func unmountAll(dir string) {
	for unix.Unmount(dir, unix.MNT_DETACH) == nil {
	}
}

// TestShareNetnsDirSurvivesIPNetnsAdd is the regression test for labs
// that could no longer be deleted: a namespace bound while /run/netns was
// a plain directory was copied by a later `ip netns add`'s self-bind;
// deleting it unmounted the copy only, and the file stayed, busy. With
// the directory shared first (shareDir), iproute2 finds a mount point
// and binds nothing, so the namespace deletes cleanly. The negative
// control is the same sequence without shareDir.
func TestShareNetnsDirSurvivesIPNetnsAdd(t *testing.T) {
	testutil.NeedNetns(t)
	for _, tc := range []struct {
		name     string
		share    bool
		wantBusy bool
	}{
		{name: "shared first", share: true},
		{name: "plain directory (negative control)", wantBusy: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Cleanup(func() { unmountAll(dir); unmountAll(filepath.Join(dir, "ns")) })
			if tc.share {
				if err := shareDir(dir); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, "ns")
			bindNamespace(t, path)
			iprouteAdd(t, dir)
			err := unbindNamespace(path)
			if busy := errors.Is(err, unix.EBUSY); busy != tc.wantBusy {
				t.Fatalf("delete the namespace after ip netns add: %v; want busy %v", err, tc.wantBusy)
			}
			if !tc.wantBusy && err != nil {
				t.Fatal(err)
			}
		})
	}
}
