// Package testutil holds the gates tests share: a test that needs a
// privilege or a kernel feature skips locally with the reason, but fails in
// CI (CI=true), where every such feature must be present.
package testutil

import (
	"fmt"
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// InCI is true when running under CI, where a missing feature is a failure.
func InCI() bool { return os.Getenv("CI") == "true" }

// Gate skips t with reason, or fails it in CI.
func Gate(t testing.TB, reason string) {
	t.Helper()
	if InCI() {
		t.Fatalf("cannot run in CI: %s", reason)
	}
	t.Skip(reason)
}

// NeedNetns gates a test on being able to create network namespaces. It
// tries the operation (an unshare on a throwaway thread) rather than
// checking the uid.
func NeedNetns(t testing.TB) {
	t.Helper()
	if err := tryUnshare(); err != nil {
		Gate(t, fmt.Sprintf("creating a network namespace failed (%v): run as root", err))
	}
}

func tryUnshare() error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with us
		errc <- unix.Unshare(unix.CLONE_NEWNET)
	}()
	return <-errc
}
