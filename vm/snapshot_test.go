package vm

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSnapshotKey(t *testing.T) {
	dir := t.TempDir()
	qemu := filepath.Join(dir, "qemu")
	img := Image{Dir: dir, Kernel: filepath.Join(dir, "vmlinux"), Initrd: filepath.Join(dir, "initrd")}
	for _, f := range []string{qemu, img.Kernel, img.Initrd} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := qemuConfig{Image: img, Accel: "tcg", Memory: 1024, CPUs: 2, Dir: "/a", Ctl: "/c1",
		Sockets: map[string]string{portCtl: "/c1/ctl.sock"}}
	key := func(t *testing.T, c qemuConfig) string {
		t.Helper()
		k, err := snapshotKey(qemu, c)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	want := key(t, base)

	same := []struct {
		name   string
		change func(*qemuConfig)
	}{
		{"another work dir", func(c *qemuConfig) { c.Dir = "/b" }},
		{"another control dir and sockets", func(c *qemuConfig) {
			c.Ctl, c.QMP = "/c2", "/c2/q.sock"
			c.Sockets = map[string]string{portCtl: "/c2/ctl.sock", portStdout: "/c2/o.sock"}
		}},
		{"interactive", func(c *qemuConfig) { c.Interactive = true }},
		{"restoring", func(c *qemuConfig) { c.Restore = true }},
	}
	for _, tt := range same {
		t.Run("same: "+tt.name, func(t *testing.T) {
			c := base
			tt.change(&c)
			if got := key(t, c); got != want {
				t.Errorf("key %s, want %s", got, want)
			}
		})
	}

	other := []struct {
		name   string
		change func(*qemuConfig)
	}{
		{"memory", func(c *qemuConfig) { c.Memory = 2048 }},
		{"vCPUs", func(c *qemuConfig) { c.CPUs = 1 }},
		{"accelerator", func(c *qemuConfig) { c.Accel = "kvm" }},
		{"kernel command line", func(c *qemuConfig) { c.Debug = true }},
	}
	for _, tt := range other {
		t.Run("other: "+tt.name, func(t *testing.T) {
			c := base
			tt.change(&c)
			if got := key(t, c); got == want {
				t.Errorf("key %s unchanged", got)
			}
		})
	}

	t.Run("missing qemu", func(t *testing.T) {
		if _, err := snapshotKey(filepath.Join(dir, "none"), base); err == nil {
			t.Error("no error for a missing qemu binary")
		}
	})
}

func TestSnapshotKeyFollowsFiles(t *testing.T) {
	dir := t.TempDir()
	qemu := filepath.Join(dir, "qemu")
	img := Image{Dir: dir, Kernel: filepath.Join(dir, "vmlinux"), Initrd: filepath.Join(dir, "initrd")}
	for _, f := range []string{qemu, img.Kernel, img.Initrd} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := qemuConfig{Image: img, Accel: "tcg", Memory: 1024, CPUs: 2}
	for _, f := range []string{qemu, img.Kernel, img.Initrd} {
		t.Run(filepath.Base(f), func(t *testing.T) {
			before, err := snapshotKey(qemu, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f, []byte("rebuilt"), 0o644); err != nil {
				t.Fatal(err)
			}
			after, err := snapshotKey(qemu, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if before == after {
				t.Errorf("key %s unchanged after %s changed", after, f)
			}
		})
	}
}

func TestClaimSnapshot(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	img := Image{Dir: t.TempDir(), Version: "v"}
	if got := findSnapshot(img, "k"); got != "" {
		t.Fatalf("findSnapshot on an empty cache = %q", got)
	}
	s := claimSnapshot(img, "k")
	if s == nil {
		t.Fatal("no saver for a free key")
	}
	if want := filepath.Join(img.Dir, "snapshots", "k.vmstate"); s.path != want {
		t.Errorf("saver writes %s, want %s", s.path, want)
	}
	if other := claimSnapshot(img, "k"); other != nil {
		other.release()
		t.Error("a second saver for a key being saved")
	}
	if other := claimSnapshot(img, "k2"); other == nil {
		t.Error("no saver for another key")
	} else {
		other.release()
	}
	if err := os.WriteFile(s.path, []byte("state"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.release()
	if got := findSnapshot(img, "k"); got != s.path {
		t.Errorf("findSnapshot = %q, want %q", got, s.path)
	}
	if again := claimSnapshot(img, "k"); again == nil {
		t.Error("no saver once the first released the key")
	} else {
		again.release()
	}
	var none *snapshotSaver
	none.release() // a nil saver is fine
}

func TestClaimSnapshotFallsBackToUserCache(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	// An image directory below a regular file: no snapshots directory can
	// be made there, even by root (a read-only directory would not stop
	// root).
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	img := Image{Dir: filepath.Join(file, "image"), Version: "v"}
	s := claimSnapshot(img, "k")
	if s == nil {
		t.Fatal("no saver")
	}
	defer s.release()
	if want := filepath.Join(cache, "lvslab", "snapshots-v", "k.vmstate"); s.path != want {
		t.Errorf("saver writes %s, want %s", s.path, want)
	}
}

func TestSnapshotsEnabled(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		env  string
		want bool
	}{
		{name: "default", want: true},
		{name: "option", opts: Options{NoSnapshot: true}},
		{name: "env", env: "0"},
		{name: "env other than 0", env: "1", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(SnapshotEnv, tt.env)
			if got := snapshotsEnabled(tt.opts); got != tt.want {
				t.Errorf("snapshotsEnabled = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPruneSnapshots(t *testing.T) {
	dir := t.TempDir()
	old, used := filepath.Join(dir, "old.vmstate"), filepath.Join(dir, "used.vmstate")
	for _, f := range []string{old, used, filepath.Join(dir, "old.lock"), filepath.Join(dir, "other")} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-30 * 24 * time.Hour)
	for _, f := range []string{old, used, filepath.Join(dir, "other")} {
		if err := os.Chtimes(f, long, long); err != nil {
			t.Fatal(err)
		}
	}
	markUsed(used)
	pruneSnapshots(dir, time.Now().Add(-snapshotUnused))
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if diff := cmp.Diff([]string{"other", "used.vmstate"}, left); diff != "" {
		t.Errorf("files left (-want +got):\n%s", diff)
	}
}
