package topo

import (
	"context"
	"fmt"
	"os/exec"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Host is a live node of a lab: its network namespace and what the lab
// file says about it. Packages that run things on a node ask the lab for
// its Host rather than touching namespaces themselves.
type Host struct {
	Lab  string
	Spec *Node
}

// Name is the node's name in the lab file (web1, lvs01 …).
func (h *Host) Name() string { return h.Spec.Name }

// Namespace is the node's network namespace name, for `ip netns exec`.
func (h *Host) Namespace() string { return NamespaceName(h.Lab, h.Spec.Name) }

// NsPath is the node's namespace file, as taken by ipvs.New and
// netlink.NewHandleAt's callers.
func (h *Host) NsPath() string { return namespacePath(h.Namespace()) }

// Do runs fn with its OS thread inside the node's namespace (for
// /proc/sys/net, /proc/thread-self/net and sockets that must be created
// there). Sockets made inside keep the namespace after fn returns.
func (h *Host) Do(fn func() error) error { return inNamespace(h.NsPath(), fn) }

// Netlink returns a netlink handle bound to the node's namespace. The
// caller closes it.
func (h *Host) Netlink() (*netlink.Handle, error) {
	return handleAt(h.NsPath())
}

// Command prepares argv to run inside the node's namespace, with /sys
// remounted for it. Equivalent to: `ip netns exec NS ARGV…`. The process's
// pid is argv's own, since `ip netns exec` execs it.
func (h *Host) Command(ctx context.Context, argv ...string) *exec.Cmd {
	args := append([]string{"netns", "exec", h.Namespace()}, argv...)
	return exec.CommandContext(ctx, "ip", args...)
}

func handleAt(path string) (*netlink.Handle, error) {
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return nil, fmt.Errorf("open namespace %s: %w", path, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("open netlink in %s: %w", path, err)
	}
	return h, nil
}
