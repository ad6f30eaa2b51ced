package lint

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/lvslab/lvslab/director/keepalived/conf"
)

// subnets are the director's subnets as far as the file shows them: the
// prefixes of VIPs written with a length shorter than /32, else the /24
// around each VIP and unicast_src_ip. The second result says which.
func subnets(c *conf.Config) ([]netip.Prefix, string) {
	var exact, guessed []netip.Prefix
	addGuess := func(a netip.Addr) {
		if a.IsValid() {
			p, _ := a.Prefix(24)
			guessed = appendNew(guessed, p)
		}
	}
	for _, in := range c.Instances {
		for _, v := range in.VIPs {
			if v.Prefix.Bits() < 32 {
				exact = appendNew(exact, v.Prefix.Masked())
			}
			addGuess(v.Prefix.Addr())
		}
		addGuess(in.UnicastSrcIP)
	}
	if len(exact) > 0 {
		return exact, "the VIPs' prefix lengths"
	}
	return guessed, "a /24 around the VIPs and unicast_src_ip, as the file gives no prefix lengths"
}

func appendNew(list []netip.Prefix, p netip.Prefix) []netip.Prefix {
	for _, x := range list {
		if x == p {
			return list
		}
	}
	return append(list, p)
}

func inAny(list []netip.Prefix, a netip.Addr) bool {
	for _, p := range list {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func prefixes(list []netip.Prefix) string {
	s := make([]string, len(list))
	for i, p := range list {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// forward is the forwarding method a real server gets.
func forward(vs *conf.VirtualServer, rs *conf.RealServer) string {
	if rs.Forward != "" {
		return rs.Forward
	}
	return vs.Forward
}

// drOffSubnet: LVS-DR rewrites only the MAC, so a DR real server must
// share an L2 segment with the director.
func drOffSubnet(c *conf.Config) []Finding {
	nets, how := subnets(c)
	if len(nets) == 0 {
		return nil
	}
	var out []Finding
	for _, vs := range c.Services {
		for _, rs := range vs.RealServers {
			if forward(vs, rs) != "DR" || inAny(nets, rs.Addr) {
				continue
			}
			out = append(out, Finding{Pos: rs.Node.Pos, Rule: "dr-off-subnet", Level: Problem,
				Msg: fmt.Sprintf("DR real_server %s of %s is not on the director's subnets %s (inferred from %s)",
					rs.Addr, vs.Name(), prefixes(nets), how),
				Impact: "LVS-DR changes only the destination MAC: the director must reach the real server on one L2 segment, or the packet goes to a router and never arrives as meant",
				Fix:    "put the real server on the director's segment, or use lb_kind TUN (or NAT) for a server behind a router"})
		}
	}
	return out
}

// natWayBack: LVS-NAT needs the replies back through the director to be
// rewritten. The file cannot show the real servers' routes; what it can
// show is whether a VIP sits on their subnet, to serve as a gateway that
// moves with the MASTER.
func natWayBack(c *conf.Config) []Finding {
	nets, how := subnets(c)
	var out []Finding
	for _, vs := range c.Services {
		for _, rs := range vs.RealServers {
			if forward(vs, rs) != "NAT" {
				continue
			}
			f := Finding{Pos: vs.Node.Pos, Rule: "nat-way-back", Level: Advice,
				Msg: fmt.Sprintf("NAT virtual_server %s: the file cannot show its real servers' default gateway", vs.Name()),
				Impact: "LVS-NAT rewrites the replies on their way back through the director; a real server whose gateway is not this director answers clients " +
					"from its own address, and they drop the reply",
				Fix: "make the director's address on the real servers' subnet their default gateway"}
			switch {
			case len(c.Instances) > 0 && !inAny(nets, rs.Addr):
				f.Pos, f.Level = rs.Node.Pos, Problem
				f.Msg = fmt.Sprintf("NAT real_server %s of %s: no VIP of this file is on its subnet (director's subnets %s, inferred from %s)",
					rs.Addr, vs.Name(), prefixes(nets), how)
				f.Impact = "with a director pair, the real servers' gateway can then only be one director's own address: after a failover their replies go to the " +
					"director that no longer has the connections, and every connection through the new MASTER hangs"
				f.Fix = "add an internal VIP on the real servers' subnet to the vrrp_instance (virtual_ipaddress { ADDR/LEN dev INTERNAL_IF }), " +
					"ideally in a vrrp_sync_group with the external one, and make it the real servers' default gateway"
			case len(c.Instances) > 0:
				continue // a VIP on their subnet can be the gateway
			}
			out = append(out, f)
			if f.Level == Advice {
				break // once per virtual_server
			}
		}
	}
	return out
}
