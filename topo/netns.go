package topo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NetnsDir is where named network namespaces are bound, as iproute2 does.
const NetnsDir = "/run/netns"

// shareNetnsDir makes NetnsDir a shared mount point of its own, as
// iproute2 does before its first `ip netns add`: mkdir, then mount
// --make-rshared, and where that fails because the directory is no mount
// point, bind it onto itself first. Without it, an `ip netns add` run
// later on the host (by a user, a benchmark's ip(8) script or another
// tool) binds /run/netns onto itself at that moment and hides every
// namespace bound there before: the lab's names would then open the
// empty files underneath ("Peer netns reference is invalid") and could
// no longer be deleted. Only the mount table changes: no network
// namespace, link, address or route. Equivalent to: `mount --make-rshared
// /run/netns || { mount --bind /run/netns /run/netns && mount
// --make-rshared /run/netns; }`.
func shareNetnsDir() error {
	shareOnce.Do(func() { shareErr = shareDir(NetnsDir) })
	return shareErr
}

var (
	shareOnce sync.Once
	shareErr  error
)

func shareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("share %s: %w", dir, err)
	}
	err := unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, "")
	if errors.Is(err, unix.EINVAL) {
		if err := unix.Mount(dir, dir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("share %s: bind it onto itself: %w", dir, err)
		}
		err = unix.Mount("", dir, "none", unix.MS_SHARED|unix.MS_REC, "")
	}
	if err != nil {
		return fmt.Errorf("share %s: %w", dir, err)
	}
	return nil
}

// createNamespace makes a named network namespace without moving any
// thread the caller uses: it unshares on a throwaway locked goroutine whose
// thread dies with it, and runs setup on that thread, inside the new
// namespace, with a netlink handle bound to it. IPv6 is switched off
// inside first: the documents' labs are IPv4, and without it the links
// carry no router solicitations or DAD probes, so captures show only the
// lab's own traffic. Equivalent to: `ip netns add NAME` and `ip netns exec
// NAME sysctl -w net.ipv6.conf.{all,default}.disable_ipv6=1`.
func createNamespace(name string, setup func(*netlink.Handle) error) error {
	if err := shareNetnsDir(); err != nil {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread now lives in the new namespace and
		// must end with this goroutine.
		runtime.LockOSThread()
		h, err := netns.NewNamed(name)
		if errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EUSERS) {
			l := limitNamespaces // unshare(2): user.max_net_namespaces reached
			l.Err = err
			err = &l
		}
		if err != nil {
			errc <- err
			return
		}
		h.Close()
		if err := writeSysctls(noIPv6); err != nil {
			errc <- err
			return
		}
		nl, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			errc <- fmt.Errorf("open netlink: %w", err)
			return
		}
		defer nl.Close()
		errc <- setup(nl)
	}()
	if err := <-errc; err != nil {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	return nil
}

var noIPv6 = []Sysctl{
	{"net.ipv6.conf.all.disable_ipv6", "1"},
	{"net.ipv6.conf.default.disable_ipv6", "1"},
}

// deleteNamespace unbinds a named namespace; the kernel frees it once no
// process is left inside. A namespace that is already gone is not an error.
// Equivalent to: `ip netns delete NAME`.
func deleteNamespace(name string) error {
	err := netns.DeleteNamed(name)
	if err == nil || errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.EINVAL) {
		// EINVAL: the file exists but nothing is mounted there (a build
		// killed between creating the file and binding it).
		if rmErr := os.Remove(namespacePath(name)); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
			return fmt.Errorf("delete namespace %s: %w", name, rmErr)
		}
		return nil
	}
	return fmt.Errorf("delete namespace %s: %w", name, err)
}

func namespacePath(name string) string { return filepath.Join(NetnsDir, name) }

func namespaceExists(name string) bool {
	_, err := os.Stat(namespacePath(name))
	return err == nil
}

// namespaceInode identifies a namespace for matching /proc/PID/ns/net.
func namespaceInode(name string) (uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(namespacePath(name), &st); err != nil {
		return 0, fmt.Errorf("stat namespace %s: %w", name, err)
	}
	return st.Ino, nil
}

// inNamespace runs fn on a throwaway OS thread that has entered the
// namespace at path. The caller's thread is never moved; the worker thread
// is discarded afterwards instead of being restored.
func inNamespace(path string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with us
		h, err := netns.GetFromPath(path)
		if err != nil {
			errc <- fmt.Errorf("open namespace %s: %w", path, err)
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			errc <- fmt.Errorf("enter namespace %s: %w", path, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// Identify names the lab and node whose namespace the calling thread is
// in; both "" when it is in none. When lab names nest ("a" and "a-b"),
// the longest that matches wins. Equivalent to: `ip netns identify`, with
// the name split into lab and node.
func Identify() (lab, node string, err error) {
	var self syscall.Stat_t
	if err := syscall.Stat("/proc/thread-self/ns/net", &self); err != nil {
		return "", "", fmt.Errorf("identify namespace: %w", err)
	}
	entries, err := os.ReadDir(NetnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return "", "", nil // no named namespace at all
	}
	if err != nil {
		return "", "", fmt.Errorf("identify namespace: %w", err)
	}
	var ns string
	for _, e := range entries {
		var st syscall.Stat_t
		if syscall.Stat(namespacePath(e.Name()), &st) == nil && st.Dev == self.Dev && st.Ino == self.Ino {
			ns = e.Name()
			break
		}
	}
	if ns == "" {
		return "", "", nil
	}
	labs, err := List()
	if err != nil {
		return "", "", err
	}
	for _, l := range labs {
		if n, ok := strings.CutPrefix(ns, NamespaceName(l, "")); ok && n != "" && len(l) > len(lab) {
			lab, node = l, n
		}
	}
	return lab, node, nil
}
