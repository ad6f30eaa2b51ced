package vm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// SnapshotEnv, set to 0, makes every run boot its guest afresh: no
// snapshot is restored or saved (as [Options.NoSnapshot]).
const SnapshotEnv = "LVSLAB_VM_SNAPSHOT"

// snapshotFormat changes when what a snapshot holds changes in a way its
// key would not show.
const snapshotFormat = "lvslab guest snapshot 1"

const (
	// restoreDeadline bounds a restore, from qemu's start to the guest's
	// "ok"; past it the snapshot counts as broken and the guest is booted.
	restoreDeadline = time.Minute
	// saveDeadline bounds writing a snapshot; past it the run goes on
	// without one.
	saveDeadline = 2 * time.Minute
	// qmpTimeout bounds connecting to qemu's QMP socket.
	qmpTimeout = 10 * time.Second
	// snapshotUnused is how long a snapshot may go unrestored before a
	// save beside it deletes it (one of another qemu, say); a restore
	// marks it used at most once per snapshotTouch.
	snapshotUnused = 14 * 24 * time.Hour
	snapshotTouch  = 24 * time.Hour
)

// snapshotsEnabled says whether this run may restore and save snapshots.
func snapshotsEnabled(opts Options) bool {
	return !opts.NoSnapshot && os.Getenv(SnapshotEnv) != "0"
}

// snapshotKey names the guest state a snapshot of this configuration
// holds: a digest of qemu's command line without the per-run paths (so
// the accelerator, memory, vCPUs, devices and kernel command line count),
// of the qemu binary and of the image's kernel and initramfs (size and
// modification time), and under KVM of the host's kernel and CPU.
func snapshotKey(qemu string, cfg qemuConfig) (string, error) {
	c := cfg
	c.Dir, c.Ctl, c.Interactive, c.QMP, c.Restore = "/work", "/ctl", false, "", false
	c.Sockets = map[string]string{}
	for _, p := range guestPorts {
		c.Sockets[p] = "/ctl/" + p + ".sock"
	}
	h := sha256.New()
	fmt.Fprintln(h, snapshotFormat)
	for _, a := range c.args() {
		fmt.Fprintf(h, "%q\n", a)
	}
	for _, f := range []string{qemu, cfg.Image.Kernel, cfg.Image.Initrd} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", fmt.Errorf("name guest snapshot: %w", err)
		}
		fmt.Fprintf(h, "%s %d %d\n", f, fi.Size(), fi.ModTime().UnixNano())
	}
	if cfg.Accel == "kvm" {
		// -cpu host: the guest's CPU is the host's, under its kernel.
		fmt.Fprintln(h, hostRelease())
		fmt.Fprintln(h, hostCPU())
	}
	return hex.EncodeToString(h.Sum(nil))[:24], nil
}

// hostCPU is the host's CPU model and features, from /proc/cpuinfo.
func hostCPU() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	var model, flags string
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		switch strings.TrimSpace(k) {
		case "model name":
			model = v
		case "flags":
			flags = v
		}
		if model != "" && flags != "" {
			break
		}
	}
	return model + "|" + flags
}

// snapshotDirs are where snapshots are kept, first choice first: beside
// the image (provision.sh empties it when it rebuilds the image), or the
// user's cache when the image directory is not writable.
func snapshotDirs(img Image) []string {
	dirs := []string{filepath.Join(img.Dir, "snapshots")}
	if d, err := os.UserCacheDir(); err == nil {
		dirs = append(dirs, filepath.Join(d, "lvslab", "snapshots-"+img.Version))
	}
	return dirs
}

func snapshotFile(dir, key string) string { return filepath.Join(dir, key+".vmstate") }

// findSnapshot returns the snapshot saved under key, or "".
func findSnapshot(img Image, key string) string {
	for _, dir := range snapshotDirs(img) {
		f := snapshotFile(dir, key)
		if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
			return f
		}
	}
	return ""
}

// snapshotSaver writes one snapshot; it holds the key's lock file so that
// guests booting at the same time do not all write it.
type snapshotSaver struct {
	path string
	lock *os.File
}

// claimSnapshot returns a saver for key, or nil when none can save it: no
// writable directory, or another run is saving it.
func claimSnapshot(img Image, key string) *snapshotSaver {
	for _, dir := range snapshotDirs(img) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			continue
		}
		lock, err := os.OpenFile(filepath.Join(dir, key+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			continue
		}
		if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			lock.Close()
			return nil
		}
		return &snapshotSaver{path: snapshotFile(dir, key), lock: lock}
	}
	return nil
}

// release gives up the lock; a nil saver is fine.
func (s *snapshotSaver) release() {
	if s != nil && s.lock != nil {
		_ = s.lock.Close()
		s.lock = nil
	}
}

// save writes the state of the guest, which waits on its control port,
// into the snapshot (through a temporary file and a rename), then lets
// the guest run on. saveErr says why no snapshot was written, which does
// not stop the run; resumeErr, that the guest could not be resumed, does.
// Equivalent to, in qemu's monitor: `migrate "exec:cat > FILE"`, `cont`.
func (s *snapshotSaver) save(ctx context.Context, qmpPath string) (saveErr, resumeErr error) {
	defer s.release()
	q, err := dialQMP(qmpPath, qmpTimeout)
	if err != nil {
		return err, nil // nothing happened to the guest
	}
	defer q.Close()
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("create guest snapshot: %w", err), nil
	}
	saveErr = migrateTo(ctx, q, f)
	// A completed migration leaves the guest paused, a failed one
	// running; either way it goes on.
	if err := q.execute("cont", nil, nil); err != nil {
		resumeErr = fmt.Errorf("resume guest after its snapshot: %w", err)
	}
	if err := f.Close(); saveErr == nil && err != nil {
		saveErr = fmt.Errorf("write guest snapshot: %w", err)
	}
	if saveErr == nil {
		saveErr = os.Rename(tmp, s.path)
	}
	if saveErr == nil {
		pruneSnapshots(filepath.Dir(s.path), time.Now().Add(-snapshotUnused))
	}
	if saveErr != nil {
		_ = os.Remove(tmp)
	}
	return saveErr, resumeErr
}

// migrateTo streams the guest's state into f and waits until it is all
// written.
func migrateTo(ctx context.Context, q *qmp, f *os.File) error {
	// Unthrottled: the default limit (128 MiB/s) would make a save of
	// ~100 MB take a second.
	if err := q.execute("migrate-set-parameters", map[string]any{"max-bandwidth": int64(1) << 40}, nil); err != nil {
		return err
	}
	if err := q.executeFD("getfd", map[string]any{"fdname": "snapshot"}, f); err != nil {
		return err
	}
	if err := q.execute("migrate", map[string]any{"uri": "fd:snapshot"}, nil); err != nil {
		return err
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(saveDeadline)
	defer deadline.Stop()
	for {
		var st struct {
			Status    string `json:"status"`
			ErrorDesc string `json:"error-desc"`
		}
		if err := q.execute("query-migrate", nil, &st); err != nil {
			return err
		}
		switch st.Status {
		case "completed":
			return nil
		case "failed", "cancelled":
			return fmt.Errorf("save guest state: migration %s: %s", st.Status, st.ErrorDesc)
		}
		select {
		case <-ctx.Done():
			_ = q.execute("migrate_cancel", nil, nil)
			return fmt.Errorf("save guest state: %w", ctx.Err())
		case <-deadline.C:
			_ = q.execute("migrate_cancel", nil, nil)
			return errors.New("save guest state: took longer than " + saveDeadline.String())
		case <-tick.C:
		}
	}
}

// markUsed sets a restored snapshot's modification time to now, at most
// once per snapshotTouch; best effort (the file may not be ours).
func markUsed(snap string) {
	if fi, err := os.Stat(snap); err == nil && time.Since(fi.ModTime()) > snapshotTouch {
		now := time.Now()
		_ = os.Chtimes(snap, now, now)
	}
}

// pruneSnapshots deletes the snapshots in dir last used before cutoff, and
// their lock files; best effort.
func pruneSnapshots(dir string, cutoff time.Time) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.vmstate"))
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.ModTime().Before(cutoff) {
			_ = os.Remove(f)
			_ = os.Remove(strings.TrimSuffix(f, ".vmstate") + ".lock")
		}
	}
}
