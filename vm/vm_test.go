package vm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

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
	has, why := testutil.KernelModule(t, "ip_vs", "/proc/net/ip_vs")
	t.Logf("NeedsVM() = %v; the kernel's files: %s", need, why)
	if need == has {
		t.Errorf("NeedsVM() = %v, but %s", need, why)
	}
}

// needBoot gates a test that boots a guest: it needs the provisioned
// image, a run without -short (a guest boot takes seconds under TCG) and
// a host rather than a guest (a guest cannot boot one). Each is a skip
// saying why locally, and a failure in CI, where these tests must run.
func needBoot(t *testing.T) {
	t.Helper()
	if testing.Short() {
		testutil.Gate(t, "boots a qemu guest (seconds under TCG): run without -short")
	}
	if os.Getenv(InVMEnv) == "1" {
		testutil.Gate(t, "already in the guest, which cannot boot a guest of its own")
	}
	requireImage(t)
}

func TestRunGuest(t *testing.T) {
	needBoot(t)
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
	needBoot(t)
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

// TestRunSnapshot boots a guest of a configuration no other test uses
// (768 MiB), so that it owns its snapshot: the snapshot is saved, then
// restored, and a damaged one is replaced by a boot that still delivers
// the run's stdin.
func TestRunSnapshot(t *testing.T) {
	needBoot(t)
	t.Setenv(SnapshotEnv, "")
	t.Setenv(DebugEnv, "1") // says booted or restored, and where it saved
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	opts := Options{
		Argv:   []string{"sh", "-c", "cat; cat /proc/sys/kernel/random/uuid; date +%s"},
		Memory: 768, CPUs: 2, Accel: "tcg",
	}
	img, err := FindImage("")
	if err != nil {
		t.Fatal(err)
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Fatal(err)
	}
	key, err := snapshotKey(qemu, newQemuConfig(img, "tcg", opts))
	if err != nil {
		t.Fatal(err)
	}
	if old := findSnapshot(img, key); old != "" {
		if err := os.Remove(old); err != nil {
			t.Fatal(err)
		}
	}
	run := func(t *testing.T, stdin string) (stdout []string, stderr string) {
		t.Helper()
		var out, errb bytes.Buffer
		o := opts
		o.Dir, o.Stdin, o.Stdout, o.Stderr = t.TempDir(), strings.NewReader(stdin+"\n"), &out, &errb
		code, err := Run(ctx, o)
		if err != nil || code != 0 {
			t.Fatalf("Run = %d, %v; stderr:\n%s", code, err, errb.String())
		}
		stdout = strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(stdout) != 3 || stdout[0] != stdin {
			t.Fatalf("stdout %q, want the input %q, a uuid and the time", out.String(), stdin)
		}
		if secs, err := strconv.ParseInt(stdout[2], 10, 64); err != nil || time.Since(time.Unix(secs, 0)).Abs() > time.Minute {
			t.Errorf("guest clock %q, host's %d", stdout[2], time.Now().Unix())
		}
		return stdout, errb.String()
	}
	saved := func(t *testing.T, stderr string) string {
		t.Helper()
		m := regexp.MustCompile(`lvslab: guest snapshot saved in \S+: (\S+)`).FindStringSubmatch(stderr)
		if m == nil || !strings.Contains(stderr, "lvslab: guest booted") {
			t.Fatalf("not booted and saved:\n%s", stderr)
		}
		return m[1]
	}

	_, stderr := run(t, "first")
	snap := saved(t, stderr)
	if got := findSnapshot(img, key); got != snap {
		t.Fatalf("saved %s, found %q", snap, got)
	}

	var uuids []string
	for i := range 2 {
		stdout, stderr := run(t, "restored")
		if !strings.Contains(stderr, "lvslab: guest restored") {
			t.Fatalf("run %d not restored:\n%s", i, stderr)
		}
		// The vmgenid device tells the kernel, which says so.
		if !strings.Contains(stderr, "crng reseeded due to virtual machine fork") {
			t.Errorf("run %d: the restored guest did not reseed its random number generator", i)
		}
		uuids = append(uuids, stdout[1])
	}
	if uuids[0] == uuids[1] {
		t.Errorf("two restored guests drew the same random uuid %s", uuids[0])
	}

	tmp := snap + ".damaged"
	if err := os.WriteFile(tmp, []byte("not a snapshot"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, snap); err != nil {
		t.Fatal(err)
	}
	_, stderr = run(t, "still here") // the input must survive the failed restore
	if got := saved(t, stderr); got != snap {
		t.Errorf("saved %s, want the damaged %s replaced", got, snap)
	}
}
