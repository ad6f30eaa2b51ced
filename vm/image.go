package vm

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// initScript is the guest's /init; provision.sh stores its sha256 next to
// the initramfs so a stale image is caught before booting it.
//
//go:embed init.sh
var initScript []byte

// ErrNotProvisioned means the guest kernel or initramfs is missing or was
// built from another init script; `make deps` fixes it.
var ErrNotProvisioned = errors.New("guest image not provisioned: run `make deps` (as root: bash vm/provision.sh)")

// DefaultCacheDir is where provision.sh puts the guest image: $LVSLAB_CACHE,
// or /var/cache/lvslab.
func DefaultCacheDir() string {
	if d := os.Getenv("LVSLAB_CACHE"); d != "" {
		return d
	}
	return "/var/cache/lvslab"
}

// Image is one provisioned guest: a kernel, the initramfs built for it and
// its modules.
type Image struct {
	Dir     string // cacheDir/vm/<version>
	Version string // kernel release, e.g. 6.1.0-56-amd64
	Kernel  string // Dir/vmlinux (booted via PVH, fast under TCG), else Dir/vmlinuz
	Initrd  string // Dir/initrd: busybox, /init and the modules loaded at boot
	Modules string // Dir/modules: the guest's /lib/modules/<version>
}

// FindImage returns the current image under cacheDir ("" means
// [DefaultCacheDir]). The error wraps [ErrNotProvisioned] when it is missing
// or stale.
func FindImage(cacheDir string) (Image, error) {
	if cacheDir == "" {
		cacheDir = DefaultCacheDir()
	}
	dir, err := filepath.EvalSymlinks(filepath.Join(cacheDir, "vm", "current"))
	if err != nil {
		return Image{}, fmt.Errorf("find guest image in %s: %w", cacheDir, ErrNotProvisioned)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return Image{}, fmt.Errorf("find guest image in %s: %w", cacheDir, err)
	}
	img := Image{
		Dir:     dir,
		Kernel:  filepath.Join(dir, "vmlinuz"),
		Initrd:  filepath.Join(dir, "initrd"),
		Modules: filepath.Join(dir, "modules"),
	}
	if _, err := os.Stat(filepath.Join(dir, "vmlinux")); err == nil {
		img.Kernel = filepath.Join(dir, "vmlinux")
	}
	v, err := os.ReadFile(filepath.Join(dir, "kernel-version"))
	if err != nil {
		return Image{}, fmt.Errorf("read guest kernel version: %w", ErrNotProvisioned)
	}
	img.Version = strings.TrimSpace(string(v))
	for _, f := range []string{img.Kernel, img.Initrd, filepath.Join(img.Modules, "modules.dep")} {
		if _, err := os.Stat(f); err != nil {
			return Image{}, fmt.Errorf("find %s: %w", f, ErrNotProvisioned)
		}
	}
	sum, err := os.ReadFile(filepath.Join(dir, "init.sha256"))
	if err != nil || strings.TrimSpace(string(sum)) != initSum() {
		return Image{}, fmt.Errorf("check %s: built from another vm/init.sh: %w", img.Initrd, ErrNotProvisioned)
	}
	return img, nil
}

func initSum() string {
	s := sha256.Sum256(initScript)
	return hex.EncodeToString(s[:])
}
