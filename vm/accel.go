package vm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// AccelEnv overrides [Options.Accel]: kvm, tcg or auto.
const AccelEnv = "LVSLAB_VM_ACCEL"

// kvmProbeDeadline bounds the one-off KVM test boot. A working KVM boots
// in a couple of seconds; nested KVM on some hosts hangs instead of failing.
const kvmProbeDeadline = 20 * time.Second

// resolveAccel applies the environment override and validates the value.
func resolveAccel(opt string) (string, error) {
	if env := os.Getenv(AccelEnv); env != "" {
		opt = env
	}
	switch opt {
	case "", "auto":
		return "auto", nil
	case "kvm", "tcg":
		return opt, nil
	}
	return "", fmt.Errorf("choose accelerator: %q is not kvm, tcg or auto", opt)
}

// chooseAccel resolves "auto": KVM when /dev/kvm opens and a test boot
// under it finishes within the deadline (verdict cached per image and host
// kernel), else TCG.
func chooseAccel(ctx context.Context, img Image, opts Options) (string, error) {
	a, err := resolveAccel(opts.Accel)
	if err != nil || a != "auto" {
		return a, err
	}
	if !kvmUsable() {
		return "tcg", nil
	}
	key := hostRelease()
	cache := kvmVerdictFiles(img)
	for _, f := range cache {
		if b, err := os.ReadFile(f); err == nil {
			if verdict, k, ok := strings.Cut(strings.TrimSpace(string(b)), " "); ok && k == key {
				return verdict, nil
			}
		}
	}
	verdict := "tcg"
	pctx, cancel := context.WithTimeout(ctx, kvmProbeDeadline)
	defer cancel()
	code, err := boot(pctx, img, "kvm", Options{Argv: []string{"true"}, Dir: os.TempDir(), Memory: opts.Memory, CPUs: opts.CPUs, NoSnapshot: true})
	if ctx.Err() != nil {
		return "", fmt.Errorf("probe kvm: %w", ctx.Err())
	}
	if err == nil && code == 0 {
		verdict = "kvm"
	}
	for _, f := range cache {
		if os.MkdirAll(filepath.Dir(f), 0o755) == nil && os.WriteFile(f, []byte(verdict+" "+key+"\n"), 0o644) == nil {
			break
		}
	}
	return verdict, nil
}

// kvmUsable reports whether /dev/kvm opens for reading and writing.
func kvmUsable() bool {
	fd, err := unix.Open("/dev/kvm", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// kvmVerdictFiles are where the probe's verdict is cached: beside the image,
// or in the user's cache when the image directory is not writable.
func kvmVerdictFiles(img Image) []string {
	files := []string{filepath.Join(img.Dir, "kvm-probe")}
	if d, err := os.UserCacheDir(); err == nil {
		files = append(files, filepath.Join(d, "lvslab", "kvm-probe-"+img.Version))
	}
	return files
}

func hostRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}
