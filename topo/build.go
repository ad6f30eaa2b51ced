package topo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// BuildOptions tune Build.
type BuildOptions struct {
	// Name overrides the lab file's name, so one file can be up twice
	// (tests give each spec its own name).
	Name string
	// Force tears down a lab of the same name first, instead of failing.
	Force bool
	// Owner is the pid of a test process that owns the lab; 0 for a lab
	// meant to outlive the command that built it.
	Owner int
}

// ErrLabExists means a lab of that name is already up.
var ErrLabExists = errors.New("lab is already up")

// Build stands up a validated spec's network: a switch namespace with a
// bridge per segment, a namespace per node, a veth pair per interface,
// addresses, routes and sysctls. It never touches the root namespace. If
// it fails or ctx ends half-way, everything built so far is removed.
func Build(ctx context.Context, spec *Spec, opts BuildOptions) (lab *Lab, err error) {
	name := opts.Name
	if name == "" {
		name = spec.Name
	}
	if err := CheckLabName(name); err != nil {
		return nil, err
	}
	st := &State{
		Name:       name,
		File:       spec.File,
		Namespaces: plannedNamespaces(name, spec),
		Created:    time.Now().UTC(),
		Owner:      opts.Owner,
	}
	if err := claim(st, opts.Force); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			if derr := Destroy(name); derr != nil {
				err = errors.Join(err, derr)
			}
		}
	}()
	if err := saveSpec(name, spec); err != nil {
		return nil, err
	}
	lab = newLab(name, spec, st)
	if err := lab.build(ctx); err != nil {
		return nil, fmt.Errorf("build lab %s: %w", name, err)
	}
	st.Complete = true
	if err := writeState(st); err != nil {
		return nil, err
	}
	return lab, nil
}

// CheckLabName rejects names that would not make usable namespace names.
func CheckLabName(name string) error {
	if name == "" || len(name) > 20 {
		return fmt.Errorf("lab name %q: must be 1 to 20 characters", name)
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return fmt.Errorf("lab name %q: only a-z, 0-9 and - are allowed", name)
		}
	}
	return nil
}

func plannedNamespaces(lab string, spec *Spec) []string {
	names := []string{SwitchNamespace(lab)}
	for _, n := range spec.Nodes {
		names = append(names, NamespaceName(lab, n.Name))
	}
	return names
}

// claim takes the lab's name: it creates the state directory (atomically,
// so two builders cannot both win) and records the plan. With force, a
// lab of that name is torn down first.
func claim(st *State, force bool) error {
	busy := false
	if _, err := os.Stat(StateDir(st.Name)); err == nil {
		busy = true
	}
	for _, ns := range st.Namespaces {
		if namespaceExists(ns) {
			busy = true
		}
	}
	if busy && !force {
		return fmt.Errorf("up lab %s: %w (lvslab down %s, or up --force)", st.Name, ErrLabExists, st.Name)
	}
	if busy {
		if err := Destroy(st.Name); err != nil && !errors.Is(err, ErrNoLab) {
			return fmt.Errorf("replace lab %s: %w", st.Name, err)
		}
		for _, ns := range st.Namespaces {
			if err := deleteNamespace(ns); err != nil {
				return fmt.Errorf("replace lab %s: %w", st.Name, err)
			}
		}
	}
	if err := os.MkdirAll(StateRoot, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", StateRoot, err)
	}
	if err := os.Mkdir(StateDir(st.Name), 0o755); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("up lab %s: %w", st.Name, ErrLabExists)
		}
		return fmt.Errorf("create state of lab %s: %w", st.Name, err)
	}
	return writeState(st)
}

func saveSpec(lab string, spec *Spec) error {
	src := spec.Source
	if len(src) == 0 {
		var err error
		if src, err = os.ReadFile(spec.File); err != nil {
			return fmt.Errorf("copy lab file: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(StateDir(lab), specFile), src, 0o644); err != nil {
		return fmt.Errorf("copy lab file: %w", err)
	}
	return nil
}

func (l *Lab) build(ctx context.Context) error {
	for _, ns := range l.State.Namespaces {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := createNamespace(ns); err != nil {
			return err
		}
	}
	sw, err := handleAt(namespacePath(SwitchNamespace(l.Name)))
	if err != nil {
		return err
	}
	defer sw.Close()
	bridges, err := l.buildSwitch(sw)
	if err != nil {
		return err
	}
	for _, h := range l.Hosts() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := l.buildHost(sw, h, bridges); err != nil {
			return fmt.Errorf("node %s: %w", h.Name(), err)
		}
	}
	return nil
}

// buildSwitch makes one bridge per segment in the switch namespace.
// Multicast snooping is off so VRRP adverts reach every port without an
// IGMP querier. Equivalent to:
// `ip -n SW link add br-SEG type bridge mcast_snooping 0 && ip -n SW link set br-SEG up`.
func (l *Lab) buildSwitch(nl *netlink.Handle) (map[string]int, error) {
	if err := linkUp(nl, "lo"); err != nil {
		return nil, err
	}
	off := false
	bridges := map[string]int{}
	for _, seg := range l.Spec.Segments {
		br := &netlink.Bridge{
			LinkAttrs:         netlink.LinkAttrs{Name: BridgeName(seg.Name), Flags: net.FlagUp},
			MulticastSnooping: &off,
		}
		if err := nl.LinkAdd(br); err != nil {
			return nil, fmt.Errorf("add bridge %s: %w", br.Name, err)
		}
		bridges[seg.Name] = br.Index
	}
	return bridges, nil
}

func (l *Lab) buildHost(sw *netlink.Handle, h *Host, bridges map[string]int) error {
	nl, err := h.Netlink()
	if err != nil {
		return err
	}
	defer nl.Close()
	if err := linkUp(nl, "lo"); err != nil {
		return err
	}
	target, err := netns.GetFromPath(h.NsPath())
	if err != nil {
		return fmt.Errorf("open namespace %s: %w", h.NsPath(), err)
	}
	defer target.Close()
	for _, ifc := range h.Spec.Interfaces {
		if err := cable(sw, nl, target, h.Spec.Name, ifc, bridges[ifc.Segment]); err != nil {
			return err
		}
	}
	if err := addRoutes(nl, h.Spec); err != nil {
		return err
	}
	return h.WriteSysctls(l.Spec.Sysctls(h.Spec))
}

// cable plugs one node interface into its segment's bridge: a veth pair
// created in the switch namespace whose peer is born inside the node's
// namespace with the document's name and a deterministic MAC. Equivalent
// to: `ip -n SW link add NODE-eth0 master br-SEG type veth peer name eth0
// netns NODE address MAC`, then addresses and `up` on both ends.
func cable(sw, nl *netlink.Handle, target netns.NsHandle, node string, ifc *Interface, bridge int) error {
	veth := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: PortName(node, ifc.Name), MasterIndex: bridge, Flags: net.FlagUp},
		PeerName:         ifc.Name,
		PeerHardwareAddr: MAC(node, ifc.Name),
		PeerNamespace:    netlink.NsFd(target),
	}
	if err := sw.LinkAdd(veth); err != nil {
		return fmt.Errorf("add veth %s: %w", veth.Name, err)
	}
	link, err := nl.LinkByName(ifc.Name)
	if err != nil {
		return fmt.Errorf("find %s: %w", ifc.Name, err)
	}
	for _, p := range ifc.Addresses {
		addr := &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}}
		if err := nl.AddrAdd(link, addr); err != nil {
			return fmt.Errorf("add address %s to %s: %w", p, ifc.Name, err)
		}
	}
	if err := nl.LinkSetUp(link); err != nil {
		return fmt.Errorf("set %s up: %w", ifc.Name, err)
	}
	return nil
}

// addRoutes adds the static routes, then the default route. Equivalent
// to: `ip route add TO via VIA` and `ip route add default via GW`.
func addRoutes(nl *netlink.Handle, n *Node) error {
	for _, r := range n.Routes {
		dst := &net.IPNet{IP: r.To.Addr().AsSlice(), Mask: net.CIDRMask(r.To.Bits(), r.To.Addr().BitLen())}
		if err := nl.RouteAdd(&netlink.Route{Dst: dst, Gw: r.Via.AsSlice()}); err != nil {
			return fmt.Errorf("add route %s via %s: %w", r.To, r.Via, err)
		}
	}
	if n.Gateway.IsValid() {
		if err := nl.RouteAdd(&netlink.Route{Gw: n.Gateway.AsSlice()}); err != nil {
			return fmt.Errorf("add default route via %s: %w", n.Gateway, err)
		}
	}
	return nil
}

func linkUp(nl *netlink.Handle, name string) error {
	link, err := nl.LinkByName(name)
	if err != nil {
		return fmt.Errorf("find %s: %w", name, err)
	}
	if err := nl.LinkSetUp(link); err != nil {
		return fmt.Errorf("set %s up: %w", name, err)
	}
	return nil
}
