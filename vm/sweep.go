package vm

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ctlPrefix names control directories in the host's temporary directory.
const ctlPrefix = "lvslab-vm-"

// newCtlDir creates this run's control directory, recording our pid so a
// later run can remove it should we die without cleaning up (SIGKILL).
func newCtlDir() (string, error) {
	sweepCtlDirs()
	dir, err := os.MkdirTemp("", ctlPrefix)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// sweepCtlDirs removes control directories whose owner process is gone.
// Best effort: errors leave a directory for the next sweep.
func sweepCtlDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), ctlPrefix+"*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "owner"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 {
			continue
		}
		if err := unix.Kill(pid, 0); errors.Is(err, unix.ESRCH) {
			os.RemoveAll(d)
		}
	}
}
