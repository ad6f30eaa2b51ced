package vm

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// InVMEnv is set to 1 in the environment of every command [Run] starts.
const InVMEnv = "LVSLAB_IN_VM"

// NeedsVM reports whether IPVS work must go through [Run]: true when the
// running kernel has no IPVS generic netlink family (not built in, and no
// module the kernel could load on request). Inside the guest (LVSLAB_IN_VM=1)
// it is false, or an error if the guest kernel lacks IPVS too.
//
// The probe runs in a throwaway network namespace on a thread that is
// discarded afterwards; resolving the family may make the kernel load ip_vs.
// Without the privilege to create a namespace it asks in the current one,
// which only reads.
func NeedsVM() (bool, error) {
	ok, err := ipvsResolves()
	if err != nil {
		return false, fmt.Errorf("probe IPVS: %w", err)
	}
	if os.Getenv(InVMEnv) == "1" && !ok {
		return false, errors.New("probe IPVS: no IPVS inside the lvslab guest (rebuild it: make deps)")
	}
	return !ok, nil
}

// ipvsResolves looks up the "IPVS" generic netlink family.
func ipvsResolves() (bool, error) {
	type result struct {
		ok  bool
		err error
	}
	done := make(chan result, 1)
	go func() {
		// Never unlocked: the thread may sit in a throwaway namespace, and a
		// goroutine that exits locked takes its thread with it.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil && !errors.Is(err, unix.EPERM) {
			done <- result{err: fmt.Errorf("unshare network namespace: %w", err)}
			return
		}
		h, err := netlink.NewHandle(unix.NETLINK_GENERIC)
		if err != nil {
			done <- result{err: fmt.Errorf("open generic netlink: %w", err)}
			return
		}
		defer h.Close()
		_, err = h.GenlFamilyGet("IPVS")
		switch {
		case err == nil:
			done <- result{ok: true}
		case errors.Is(err, unix.ENOENT):
			done <- result{}
		default:
			done <- result{err: fmt.Errorf("resolve generic netlink family IPVS: %w", err)}
		}
	}()
	r := <-done
	return r.ok, r.err
}
