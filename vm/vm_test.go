package vm

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// requireImage skips without a provisioned guest, except in CI, where the
// guest must be there (a skip must never hide a regression).
func requireImage(t *testing.T) {
	t.Helper()
	if _, err := FindImage(""); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("guest image required in CI: %v", err)
		}
		t.Skipf("guest image not provisioned (run `make deps`): %v", err)
	}
}

func TestNeedsVM(t *testing.T) {
	need, err := NeedsVM()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("NeedsVM() = %v", need)
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
	if _, err := FindImage(""); err != nil {
		b.Skipf("guest image not provisioned: %v", err)
	}
	for b.Loop() {
		if _, err := BootTime(context.Background(), Options{Dir: b.TempDir()}); err != nil {
			b.Fatal(err)
		}
	}
}
