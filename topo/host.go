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

// StartProcess starts cmd inside the node's network namespace, and only
// that: it forks from a throwaway OS thread that has entered the
// namespace (Do), so the child inherits it, and the thread dies
// afterwards instead of returning to the pool. Unlike Command, no ip
// process runs first and no mount namespace is made: the child sees the
// host's mounts, so /sys/class/net lists the host's interfaces, not the
// node's; use it for processes that only open sockets (a real server's
// server), Command for those that read /sys (keepalived). Once it
// returns, cmd.Process is argv's process, already inside the namespace.
// Equivalent to: `nsenter --net=/run/netns/NS ARGV…`.
func (h *Host) StartProcess(cmd *exec.Cmd) error {
	if err := h.Do(cmd.Start); err != nil {
		return fmt.Errorf("start process in namespace %s: %w", h.Namespace(), err)
	}
	return nil
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

// SetLinks brings every interface the lab file gives the node up or down,
// as pulling its cables (or a power cut, with its processes killed) would
// look to its neighbours. Bringing them up restores the lab file's routes,
// which the kernel dropped with the links. Equivalent to: `ip link set dev
// IF up|down` for each interface, then `ip route replace` for each route,
// in the node's namespace.
func (h *Host) SetLinks(up bool) error {
	nl, err := h.Netlink()
	if err != nil {
		return err
	}
	defer nl.Close()
	for _, ifc := range h.Spec.Interfaces {
		link, err := nl.LinkByName(ifc.Name)
		if err != nil {
			return fmt.Errorf("find %s on %s: %w", ifc.Name, h.Name(), err)
		}
		set, state := nl.LinkSetDown, "down"
		if up {
			set, state = nl.LinkSetUp, "up"
		}
		if err := set(link); err != nil {
			return fmt.Errorf("set %s on %s %s: %w", ifc.Name, h.Name(), state, err)
		}
	}
	if !up {
		return nil
	}
	if err := addRoutes(nl.RouteReplace, h.Spec); err != nil {
		return fmt.Errorf("restore routes of %s: %w", h.Name(), err)
	}
	return nil
}
