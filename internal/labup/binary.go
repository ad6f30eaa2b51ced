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

// localBinary is the executable the lab's backends run: binary itself,
// or, when it lives on a 9p file system (in the guest, the work
// directory shared with the host), a copy of it in the lab's state
// directory, which is on tmpfs and goes with the lab at down. Over 9p
// (cache=mmap) the backends' text pages were neither shared nor quick
// to read: in the TCG guest each backend cost about 11 MiB (PSS) and
// its start waited on the host; from tmpfs they share one page cache.
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
