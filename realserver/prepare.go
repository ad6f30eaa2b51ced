package realserver

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/vishvananda/netlink"

	"github.com/lvslab/lvslab/topo"
)

// ErrNoIPIP means the kernel has no IPIP tunnel driver, so a TUN real
// server has no tunl0 to take the VIP (load the ipip module, or run the
// lab in the guest kernel).
var ErrNoIPIP = errors.New("kernel has no ipip tunnel driver (tunl0)")

// TunnelDevice is the IPIP fallback device TUN real servers receive on.
const TunnelDevice = "tunl0"

// Prepare sets a real server up for a forwarding method and its VIPs. It
// is idempotent: what is already in place is left as it is.
//
//   - DR: each VIP as a /32 on lo; arp_ignore=1, arp_announce=2 on all and
//     lo. Equivalent to: `ip addr add VIP/32 dev lo` and
//     `sysctl net.ipv4.conf.{all,lo}.arp_{ignore=1,announce=2}`.
//   - TUN: tunl0 up, each VIP as a /32 on it, rp_filter=0 on tunl0 and all.
//     Equivalent to: `ip link set tunl0 up`, `ip addr add VIP/32 dev
//     tunl0` and `sysctl net.ipv4.conf.{tunl0,all}.rp_filter=0`.
//   - NAT: nothing; the lab file's gateway already routes replies back
//     through the director.
func Prepare(h *topo.Host, forward topo.Forward, vips []netip.Addr) error {
	var err error
	switch forward {
	case topo.ForwardNAT:
		return nil
	case topo.ForwardDR:
		err = prepareDR(h, vips)
	case topo.ForwardTUN:
		err = prepareTUN(h, vips)
	default:
		err = fmt.Errorf("unknown forwarding method %q (want nat, dr or tun)", forward)
	}
	if err != nil {
		return fmt.Errorf("prepare %s for %s: %w", h.Name(), forward, err)
	}
	return nil
}

func prepareDR(h *topo.Host, vips []netip.Addr) error {
	nl, err := h.Netlink()
	if err != nil {
		return err
	}
	defer nl.Close()
	lo, err := nl.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("find lo: %w", err)
	}
	if err := addVIPs(nl, lo, vips); err != nil {
		return err
	}
	return h.WriteSysctls([]topo.Sysctl{
		{Key: "net.ipv4.conf.all.arp_ignore", Value: "1"},
		{Key: "net.ipv4.conf.all.arp_announce", Value: "2"},
		{Key: "net.ipv4.conf.lo.arp_ignore", Value: "1"},
		{Key: "net.ipv4.conf.lo.arp_announce", Value: "2"},
	})
}

func prepareTUN(h *topo.Host, vips []netip.Addr) error {
	nl, err := h.Netlink()
	if err != nil {
		return err
	}
	defer nl.Close()
	tun, err := nl.LinkByName(TunnelDevice)
	if err != nil {
		// tunl0 appears in every namespace once ipip is loaded; if it is
		// missing, try creating it, which works where the driver is
		// built in but fallback tunnels are kept out of new namespaces.
		if addErr := nl.LinkAdd(&netlink.Iptun{LinkAttrs: netlink.LinkAttrs{Name: TunnelDevice}}); addErr != nil {
			return fmt.Errorf("create %s: %w: %w", TunnelDevice, ErrNoIPIP, addErr)
		}
		if tun, err = nl.LinkByName(TunnelDevice); err != nil {
			return fmt.Errorf("find %s: %w", TunnelDevice, err)
		}
	}
	if err := nl.LinkSetUp(tun); err != nil {
		return fmt.Errorf("set %s up: %w", TunnelDevice, err)
	}
	if err := addVIPs(nl, tun, vips); err != nil {
		return err
	}
	return h.WriteSysctls([]topo.Sysctl{
		{Key: "net.ipv4.conf." + TunnelDevice + ".rp_filter", Value: "0"},
		{Key: "net.ipv4.conf.all.rp_filter", Value: "0"},
	})
}

// addVIPs puts each VIP on link as a host address (/32 or /128).
func addVIPs(nl *netlink.Handle, link netlink.Link, vips []netip.Addr) error {
	for _, vip := range vips {
		if !vip.IsValid() {
			return fmt.Errorf("add VIP: invalid address")
		}
		vip = vip.Unmap()
		if err := nl.AddrAdd(link, topo.NetlinkAddr(netip.PrefixFrom(vip, vip.BitLen()))); err != nil && !errors.Is(err, syscall.EEXIST) {
			return fmt.Errorf("add %s/%d to %s: %w", vip, vip.BitLen(), link.Attrs().Name, err)
		}
	}
	return nil
}
