package labup

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/lvslab/lvslab/topo"
)

// localBinary is the executable the lab's backends run (lvslab-serve,
// realserver.ServeBinary): binary itself,
// or, when it lives on a 9p file system (in the guest, the work
// directory shared with the host), a copy of it in the lab's state
// directory, which is on tmpfs and goes with the lab at down: each
// backend's exec then faults its pages in from guest memory rather than
// through 9p from the host. In the TCG guest `lvslab --help` took
// 0.6-2.2 s from the copy against 0.9-2.8 s over 9p (a busy host: a
// weak signal); the cost is one copy per lab (a few MiB of tmpfs).
func localBinary(lab, binary string) (string, error) {
	var fs unix.Statfs_t
	if err := unix.Statfs(binary, &fs); err != nil {
		return "", fmt.Errorf("stat backend executable: %w", err)
	}
	if fs.Type != unix.V9FS_MAGIC {
		return binary, nil
	}
	dst := filepath.Join(topo.StateDir(lab), "bin", filepath.Base(binary))
	if err := copyExecutable(binary, dst); err != nil {
		return "", fmt.Errorf("copy backend executable off 9p: %w", err)
	}
	return dst, nil
}

func copyExecutable(src, dst string) (err error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if errors.Is(err, os.ErrExist) {
		return nil // copied for an earlier start of this lab
	}
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, out.Close()) }()
	_, err = io.Copy(out, in)
	return err
}

// noHugePages turns transparent huge pages off for the calling process
// and, as prctl(2) keeps the setting across fork and execve, for every
// process it starts from now on: the backends. Under a kernel whose huge
// pages are "always" (the TCG guest's), each backend's Go runtime had
// 10 MiB of them before its first line ran (AnonHugePages, in the
// runtime's own data), where the host's "madvise" leaves about 2.4 MiB
// of anonymous memory; Go's GODEBUG=disablethp cannot be built into the
// binary, and a backend that disabled them itself would be too late.
// Only memory is at stake, so a failure is ignored. Equivalent to:
// `prctl --thp-disable` before starting them (util-linux setarch has no
// such flag; systemd's MemoryTHP= does the same for a unit).
func noHugePages() {
	_ = unix.Prctl(unix.PR_SET_THP_DISABLE, 1, 0, 0, 0)
}
