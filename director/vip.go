package director

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/vishvananda/netlink"

	"github.com/lvslab/lvslab/topo"
)

// PlaceVIP puts the service's VIP on the director h where its forwarding
// method needs it, and does nothing when the VIP is already one of h's
// addresses (seed 003 NAT: the VIP is the director's outside address). It
// is idempotent.
//
//   - DR: VIP/32 on the director's interface on the real servers' segment
//     (the documents' `ifconfig eth0:0 VIP netmask 255.255.255.255`).
//   - NAT: VIP/32 on the outside interface (the one on the VIP's subnet,
//     else the first one on no real server's subnet), and
//     `sysctl -w net.ipv4.ip_forward=1`.
//   - TUN: VIP/32 on the interface on the VIP's subnet, else the first one.
//
// Equivalent to: `ip addr replace VIP/32 dev IF`.
func PlaceVIP(h *topo.Host, svc *topo.Service) error {
	if !svc.VIP.Is4() {
		return fmt.Errorf("place vip of %s on %s: no IPv4 vip", ServiceName(svc), h.Name())
	}
	nl, err := h.Netlink()
	if err != nil {
		return err
	}
	defer nl.Close()
	if svc.Forward == topo.ForwardNAT {
		if err := h.WriteSysctls([]topo.Sysctl{{Key: "net.ipv4.ip_forward", Value: "1"}}); err != nil {
			return err
		}
	}
	addrs, err := nl.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("list addresses of %s: %w", h.Name(), err)
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap() == svc.VIP {
			return nil
		}
	}
	ifc := vipInterface(h.Spec, svc)
	if ifc == "" {
		return fmt.Errorf("place vip %v on %s: the node has no interface", svc.VIP, h.Name())
	}
	link, err := nl.LinkByName(ifc)
	if err != nil {
		return fmt.Errorf("place vip %v on %s: find %s: %w", svc.VIP, h.Name(), ifc, err)
	}
	addr := topo.NetlinkAddr(netip.PrefixFrom(svc.VIP, svc.VIP.BitLen()))
	if err := nl.AddrReplace(link, addr); err != nil {
		return fmt.Errorf("place vip %v on %s %s: %w", svc.VIP, h.Name(), ifc, err)
	}
	return nil
}

// RemoveVIP takes the service's VIP/32 off the director h, if PlaceVIP put
// it there; an address the lab file gives the node is left alone.
//
// Equivalent to: `ip addr del VIP/32 dev IF`.
func RemoveVIP(h *topo.Host, svc *topo.Service) error {
	ifc := vipInterface(h.Spec, svc)
	if ifc == "" || onInterfaceOf(h.Spec, svc.VIP) {
		return nil
	}
	nl, err := h.Netlink()
	if err != nil {
		return err
	}
	defer nl.Close()
	link, err := nl.LinkByName(ifc)
	if err != nil {
		return fmt.Errorf("remove vip %v from %s: find %s: %w", svc.VIP, h.Name(), ifc, err)
	}
	addr := topo.NetlinkAddr(netip.PrefixFrom(svc.VIP, svc.VIP.BitLen()))
	if err := nl.AddrDel(link, addr); err != nil && !errors.Is(err, syscall.EADDRNOTAVAIL) {
		return fmt.Errorf("remove vip %v from %s %s: %w", svc.VIP, h.Name(), ifc, err)
	}
	return nil
}

// vipInterface picks the director interface that gets the VIP, from the lab
// file's view of the node.
func vipInterface(n *topo.Node, svc *topo.Service) string {
	if len(n.Interfaces) == 0 {
		return ""
	}
	onSubnet := func(pred func(netip.Prefix) bool) string {
		for _, ifc := range n.Interfaces {
			for _, p := range ifc.Addresses {
				if pred(p) {
					return ifc.Name
				}
			}
		}
		return ""
	}
	hasVIP := func(p netip.Prefix) bool { return p.Masked().Contains(svc.VIP) }
	hasRIP := func(p netip.Prefix) bool {
		for _, rs := range svc.Backends() {
			if p.Masked().Contains(rs.RIP) {
				return true
			}
		}
		return false
	}
	var pick string
	switch svc.Forward {
	case topo.ForwardNAT:
		if pick = onSubnet(hasVIP); pick == "" {
			for _, ifc := range n.Interfaces {
				if !slicesAny(ifc.Addresses, hasRIP) {
					pick = ifc.Name
					break
				}
			}
		}
	case topo.ForwardTUN:
		pick = onSubnet(hasVIP)
	default: // DR
		if pick = onSubnet(hasRIP); pick == "" {
			pick = onSubnet(hasVIP)
		}
	}
	if pick == "" {
		pick = n.Interfaces[0].Name
	}
	return pick
}

// onInterfaceOf reports whether the lab file gives the node ip itself.
func onInterfaceOf(n *topo.Node, ip netip.Addr) bool {
	for _, ifc := range n.Interfaces {
		for _, p := range ifc.Addresses {
			if p.Addr() == ip {
				return true
			}
		}
	}
	return false
}

func slicesAny(ps []netip.Prefix, pred func(netip.Prefix) bool) bool {
	for _, p := range ps {
		if pred(p) {
			return true
		}
	}
	return false
}
