package vm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lvslab/lvslab/internal/testutil"
)

// requireImage skips without a provisioned guest, except in CI, where the
// guest must be there (a skip must never hide a regression).
func requireImage(t testing.TB) {
	t.Helper()
	if _, err := FindImage(""); err != nil {
		testutil.Gate(t, fmt.Sprintf("guest image not provisioned (run `make deps`): %v", err))
	}
}

// TestNeedsVM holds NeedsVM's netlink probe against what the kernel shows
// in files: IPVS loaded (/proc/net/ip_vs), built in or shipped as a
// module (modules.builtin, modules.dep) means no guest is needed; none
// of them means one is.
func TestNeedsVM(t *testing.T) {
	need, err := NeedsVM()
	if err != nil {
		t.Fatal(err)
	}
	has, why := kernelShowsIPVS(t)
	t.Logf("NeedsVM() = %v; the kernel's files: %s", need, why)
	if need == has {
		t.Errorf("NeedsVM() = %v, but %s", need, why)
	}
}

// kernelShowsIPVS reads whether the running kernel has IPVS from its
// files, independently of the generic netlink probe.
func kernelShowsIPVS(t *testing.T) (bool, string) {
	t.Helper()
	if _, err := os.Stat("/proc/net/ip_vs"); err == nil {
		return true, "/proc/net/ip_vs exists (IPVS is loaded)"
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("/lib/modules", unix.ByteSliceToString(u.Release[:]))
	for _, f := range []string{"modules.builtin", "modules.dep"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err == nil && strings.Contains(string(data), "/ip_vs.ko") {
			return true, filepath.Join(dir, f) + " lists ip_vs.ko"
		}
	}
	return false, "no /proc/net/ip_vs and no ip_vs.ko in " + dir
}

func TestRunGuest(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a qemu guest (~10 s under TCG)")
	}
	requireImage(t)
	if os.Getenv(InVMEnv) == "1" {
		t.Skip("already in the guest")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	var out, errb bytes.Buffer
	start := time.Now()
	code, err := Run(ctx, Options{
		Argv:   []string{"sh", "-c", `cat; head -1 /proc/net/ip_vs; echo "$LVSLAB_IN_VM $PWD" >&2; echo x >file; exit 3`},
		Dir:    dir,
		Stdin:  strings.NewReader("from-stdin\n"),
		Stdout: &out, Stderr: &errb,
	})
	t.Logf("boot-to-exit %v", time.Since(start))
	if err != nil {
		t.Fatal(err)
	}
	if code != 3 {
		t.Errorf("exit status %d, want 3", code)
	}
	if want := "from-stdin\nIP Virtual Server version"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("stdout %q, want prefix %q", out.String(), want)
	}
	if want := "1 " + dir + "\n"; errb.String() != want {
		t.Errorf("stderr %q, want %q", errb.String(), want)
	}
	if b, err := os.ReadFile(dir + "/file"); err != nil || string(b) != "x\n" {
		t.Errorf("file written in guest: %q, %v", b, err)
	}
}

func TestRunCancel(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a qemu guest")
	}
	requireImage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := Run(ctx, Options{Argv: []string{"sleep", "60"}, Dir: t.TempDir(), Accel: "tcg"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run error = %v, want deadline exceeded", err)
	}
}

func TestRunNoImage(t *testing.T) {
	_, err := Run(context.Background(), Options{Argv: []string{"true"}, CacheDir: t.TempDir()})
	if !errors.Is(err, ErrNotProvisioned) {
		t.Errorf("Run error = %v, want ErrNotProvisioned", err)
	}
}

// BenchmarkBoot measures boot-to-command: a Run of `true`.
func BenchmarkBoot(b *testing.B) {
	requireImage(b)
	for b.Loop() {
		if _, err := BootTime(context.Background(), Options{Dir: b.TempDir()}); err != nil {
			b.Fatal(err)
		}
	}
}
