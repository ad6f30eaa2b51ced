// Package testutil holds the gates and checks tests share: a test that needs a
// privilege or a kernel feature skips locally with the reason, but fails in
// CI (CI=true), where every such feature must be present.
package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
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

// NeedTool returns the path of the program name, or gates t (skips
// locally, fails in CI) saying why it is needed and how to install it.
// Call it before the test asserts anything, so that a skip never follows
// checks that ran.
func NeedTool(t testing.TB, name, why string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Gate(t, fmt.Sprintf("%s is not installed: %s", name, why))
	}
	return path
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

// KernelModule reads from the kernel's own files whether the running
// kernel has the module name: present is a path that exists once it is
// loaded (/sys/module/ipip, /proc/net/ip_vs); otherwise it is built in or
// shipped as a module when its release's modules.builtin or modules.dep
// lists name.ko. It returns the evidence with the answer: an oracle for
// probes that find a feature another way.
func KernelModule(t testing.TB, name, present string) (bool, string) {
	t.Helper()
	if _, err := os.Stat(present); err == nil {
		return true, present + " exists"
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("/lib/modules", unix.ByteSliceToString(u.Release[:]))
	for _, f := range []string{"modules.builtin", "modules.dep"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err == nil && strings.Contains(string(data), "/"+name+".ko") {
			return true, filepath.Join(dir, f) + " lists " + name + ".ko"
		}
	}
	return false, "no " + present + " and no " + name + ".ko in " + dir
}
