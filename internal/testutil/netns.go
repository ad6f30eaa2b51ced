package testutil

import (
	"fmt"
	"testing"

	"golang.org/x/sys/unix"
)

// SameNamespace tells whether process pid's namespace of kind ("net",
// "mnt") is the one at path: a node's namespace file
// (topo.Host.NsPath) or another /proc/…/ns/KIND, such as
// /proc/thread-self/ns/net for the caller's own. It compares the nsfs
// inodes both name. Equivalent to: `[ "$(stat -Lc %d:%i /proc/PID/ns/KIND)"
// = "$(stat -Lc %d:%i PATH)" ]`.
func SameNamespace(t testing.TB, pid int, kind, path string) bool {
	t.Helper()
	var proc, want unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d/ns/%s", pid, kind), &proc); err != nil {
		t.Fatalf("read %s namespace of pid %d: %v", kind, pid, err)
	}
	if err := unix.Stat(path, &want); err != nil {
		t.Fatalf("stat namespace %s: %v", path, err)
	}
	return proc.Dev == want.Dev && proc.Ino == want.Ino
}
