package topo

import (
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// IPNet is p as the standard library's net.IPNet (address and mask, the
// address not masked): what netlink's addresses and routes take.
func IPNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// NetlinkAddr is p as an address to add to, replace on or delete from a
// link: `ip addr add P dev IF`. A host address (a VIP) is
// netip.PrefixFrom(vip, vip.BitLen()).
func NetlinkAddr(p netip.Prefix) *netlink.Addr {
	return &netlink.Addr{IPNet: IPNet(p)}
}
