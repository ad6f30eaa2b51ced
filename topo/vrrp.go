package topo

import "net/netip"

// VRRPCarries reports whether a VRRP instance of the lab holds vip. Such a
// VIP is keepalived's to place, on the MASTER only; anything else that
// places VIPs must leave it alone, or two directors would both answer ARP
// for it.
func (s *Spec) VRRPCarries(vip netip.Addr) bool {
	for _, v := range s.VRRP {
		for _, p := range v.VIPs {
			if p.Addr() == vip {
				return true
			}
		}
	}
	return false
}
