package importer

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/lvslab/lvslab/topo"
)

// subnetOf is the subnet an address is placed in: the prefix a
// virtual_ipaddress line writes for it, else its /24.
func (b *builder) subnetOf(a netip.Addr) (netip.Prefix, string) {
	for _, v := range b.vrrp {
		for _, m := range v.members {
			for _, vip := range m.in.VIPs {
				if vip.Prefix.Addr() == a && vip.Prefix.Bits() < 32 && vip.Prefix.Bits() >= 8 {
					return vip.Prefix.Masked(), fmt.Sprintf("the prefix %s writes (%s)", vip.Prefix, vip.Pos)
				}
			}
		}
	}
	p, _ := a.Prefix(24)
	return p, "its /24: the configuration does not say the mask"
}

// segmentOf is the index of the segment holding a, or -1.
func (b *builder) segmentOf(a netip.Addr) int {
	for i, s := range b.segs {
		if s.subnet.Contains(a) {
			return i
		}
	}
	return -1
}

func (b *builder) addSegment(a netip.Addr, name, role string) int {
	if i := b.segmentOf(a); i >= 0 {
		return i
	}
	p, why := b.subnetOf(a)
	b.segs = append(b.segs, &segment{name: b.segmentName(name), subnet: p, why: fmt.Sprintf("%s %s: %s", role, a, why)})
	return len(b.segs) - 1
}

// segmentName is base, or base2, base3 … when a segment has that name.
func (b *builder) segmentName(base string) string {
	n := base
	for k := 2; slices.ContainsFunc(b.segs, func(s *segment) bool { return s.name == n }); k++ {
		n = fmt.Sprintf("%s%d", base, k)
	}
	return n
}

// alloc is the lowest free host address of segment i.
func (b *builder) alloc(i int) (netip.Addr, error) {
	p := b.segs[i].subnet
	a := p.Addr().Next()
	for ; p.Contains(a); a = a.Next() {
		if !b.used[a] && p.Contains(a.Next()) { // not the broadcast address
			b.used[a] = true
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("import: segment %s (%s) has no free address left", b.segs[i].name, p)
}

func (b *builder) place() error {
	// Every address the configuration names is taken.
	for _, svc := range b.services {
		b.used[svc.vip] = true
		for _, r := range svc.rss {
			b.used[r.addr] = true
		}
		if svc.sorry != nil {
			b.used[svc.sorry.addr] = true
		}
	}
	for _, v := range b.vrrp {
		for _, m := range v.members {
			for _, vip := range append(slices.Clone(m.in.VIPs), m.in.ExcludedVIPs...) {
				b.used[vip.Prefix.Addr()] = true
			}
			if m.in.UnicastSrcIP.IsValid() {
				b.used[m.in.UnicastSrcIP] = true
			}
			for _, p := range m.in.UnicastPeers {
				b.used[p] = true
			}
		}
	}
	// The client's network: the first VIP's.
	var lanVIP netip.Addr
	switch {
	case len(b.services) > 0:
		lanVIP = b.services[0].vip
	case len(b.vrrp) > 0 && len(b.vrrp[0].first.VIPs) > 0:
		lanVIP = b.vrrp[0].first.VIPs[0].Prefix.Addr()
	default:
		return errors.New("import: the files define no virtual_server, vrrp_instance VIP or ipvsadm service: nothing to stand up")
	}
	b.addSegment(lanVIP, "lan", "the client's network, the subnet of VIP")
	tunOnly := map[int]bool{}
	for _, svc := range b.services {
		for _, r := range append(slices.Clone(svc.rss), svc.sorry) {
			if r == nil {
				continue
			}
			known := b.segmentOf(r.addr) >= 0
			i := b.addSegment(r.addr, "rip", "the real servers' network, the subnet of RIP")
			if !known && svc.forward == topo.ForwardTUN {
				tunOnly[i] = true
			} else if svc.forward != topo.ForwardTUN {
				tunOnly[i] = false
			}
		}
	}
	for _, v := range b.vrrp {
		for _, m := range v.members {
			for _, vip := range m.in.VIPs {
				b.addSegment(vip.Prefix.Addr(), "vip", "the network of vrrp_instance "+v.name+"'s VIP")
			}
		}
	}
	for _, svc := range b.services {
		if svc.vip.Is6() {
			return fmt.Errorf("import: %s: IPv6 VIP %s: lvslab labs are IPv4 only", svc.pos, svc.vip)
		}
		if b.segmentOf(svc.vip) != 0 {
			return fmt.Errorf("import: %s: VIP %s is not on the client's network %s (the first VIP's): the import places one client network; import the files that serve it separately", svc.pos, svc.vip, b.segs[0].subnet)
		}
	}
	needRouter := false
	for i, t := range tunOnly {
		if t && i != 0 {
			needRouter = true
		}
	}
	if err := b.placeDirectors(tunOnly); err != nil {
		return err
	}
	if err := b.placeNamedInterfaces(); err != nil {
		return err
	}
	if needRouter {
		b.router = map[int]netip.Addr{}
		for i := range b.segs {
			if i == 0 || tunOnly[i] {
				a, err := b.alloc(i)
				if err != nil {
					return err
				}
				b.router[i] = a
			}
		}
	}
	if err := b.placeRealServers(tunOnly); err != nil {
		return err
	}
	a, err := b.alloc(0)
	if err != nil {
		return err
	}
	b.client = a
	return nil
}

func (b *builder) placeDirectors(tunOnly map[int]bool) error {
	for _, d := range b.dirs {
		var instIfaces []string
		if d.src.cfg != nil {
			for _, in := range d.src.cfg.Instances {
				if in.Interface != "" && !slices.Contains(instIfaces, in.Interface) {
					instIfaces = append(instIfaces, in.Interface)
				}
			}
		}
		var segs []int
		for i := range b.segs {
			if !tunOnly[i] {
				segs = append(segs, i)
			}
		}
		taken := map[string]bool{}
		// First: the interface of an instance whose VIP is on the segment.
		if d.src.cfg != nil {
			for _, i := range segs {
				for _, in := range d.src.cfg.Instances {
					if d.ifaces[i] != "" || in.Interface == "" || taken[in.Interface] {
						continue
					}
					for _, vip := range in.VIPs {
						if b.segs[i].subnet.Contains(vip.Prefix.Addr()) {
							d.ifaces[i] = in.Interface
							taken[in.Interface] = true
							d.why[i] = append(d.why[i], fmt.Sprintf("%s: vrrp_instance %s's interface, its VIP %s is on this network", in.At("interface"), in.Name, vip.Prefix.Addr()))
							break
						}
					}
				}
			}
		}
		// Then the instances' interfaces left, then eth0, eth1, ….
		for _, i := range segs {
			if d.ifaces[i] != "" {
				continue
			}
			for _, name := range instIfaces {
				if !taken[name] {
					d.ifaces[i], taken[name] = name, true
					d.why[i] = append(d.why[i], "an interface a vrrp_instance names (its VIPs are on no network of the lab), given to this network")
					break
				}
			}
			for k := 0; d.ifaces[i] == ""; k++ {
				if name := fmt.Sprintf("eth%d", k); !taken[name] {
					d.ifaces[i], taken[name] = name, true
					d.why[i] = append(d.why[i], "the configuration names no interface on this network; eth"+fmt.Sprint(k)+" is the import's")
				}
			}
		}
		for _, i := range segs {
			addr := netip.Addr{}
			if d.src.cfg != nil {
				for _, in := range d.src.cfg.Instances {
					if in.UnicastSrcIP.IsValid() && b.segs[i].subnet.Contains(in.UnicastSrcIP) {
						addr = in.UnicastSrcIP
						d.why[i] = append(d.why[i], fmt.Sprintf("address: unicast_src_ip (%s)", in.At("unicast_src_ip")))
					}
				}
			}
			if !addr.IsValid() {
				a, err := b.alloc(i)
				if err != nil {
					return err
				}
				addr = a
				d.why[i] = append(d.why[i], "address: the lowest free one on the network (the configuration does not give the director's own)")
			}
			d.addrs[i] = addr
		}
	}
	// A VIP of a keepalived director's virtual_server that none of its
	// vrrp_instances carries: IPVS needs it local, so the first such
	// director gets it as an address.
	for _, svc := range b.services {
		if b.carried(svc.vip) {
			continue
		}
		for _, d := range svc.dirs {
			if d.src.cfg == nil {
				break // lvslab places a programmed director's VIP itself
			}
			d.extra[0] = append(d.extra[0], svc.vip)
			d.why[0] = append(d.why[0], fmt.Sprintf("%s: no vrrp_instance carries VIP %s, which IPVS needs local: the lab gives it to %s alone as an address (in production something else must place it)", svc.pos, svc.vip, d.name))
			break
		}
	}
	return nil
}

// carried reports whether a vrrp_instance has a as a VIP.
func (b *builder) carried(a netip.Addr) bool {
	for _, v := range b.vrrp {
		for _, m := range v.members {
			for _, vip := range append(slices.Clone(m.in.VIPs), m.in.ExcludedVIPs...) {
				if vip.Prefix.Addr() == a {
					return true
				}
			}
		}
	}
	return false
}

func (b *builder) placeRealServers(tunOnly map[int]bool) error {
	byAddr := map[netip.Addr]*rsNode{}
	web, other := 0, 0
	for _, svc := range b.services {
		http := svc.proto == "tcp" && (svc.check != nil && svc.check.Type == "HTTP_GET" || svc.port == 80 || svc.port == 443 || svc.port == 8080)
		for _, r := range append(slices.Clone(svc.rss), svc.sorry) {
			if r == nil {
				continue
			}
			n := byAddr[r.addr]
			if n != nil {
				continue
			}
			n = &rsNode{addr: r.addr, seg: b.segmentOf(r.addr), http: http}
			if http {
				web++
				n.name = fmt.Sprintf("web%02d", web)
			} else {
				other++
				n.name = fmt.Sprintf("rs%02d", other)
			}
			byAddr[r.addr] = n
			b.rs = append(b.rs, n)
			b.gateway(n, svc, tunOnly)
		}
	}
	return nil
}

// gateway chooses how real server n's replies go back.
func (b *builder) gateway(n *rsNode, svc *service, tunOnly map[int]bool) {
	switch svc.forward {
	case topo.ForwardNAT:
		for _, v := range b.vrrp {
			for _, m := range v.members {
				if !slices.Contains(svc.dirs, m.d) {
					continue
				}
				for _, vip := range m.in.VIPs {
					if b.segs[n.seg].subnet.Contains(vip.Prefix.Addr()) {
						n.gw = vip.Prefix.Addr()
						n.gwWhy = fmt.Sprintf("NAT: replies go back through the directors: the internal VIP %s of vrrp_instance %s (%s), which follows the MASTER", n.gw, v.name, vip.Pos)
						return
					}
				}
			}
		}
		d := svc.dirs[0]
		n.gw = d.addrs[n.seg]
		n.gwWhy = fmt.Sprintf("NAT: replies go back through director %s's address here (no vrrp_instance carries an internal VIP on this network", d.name)
		if len(svc.dirs) > 1 {
			n.gwWhy += ", so after a failover replies bypass the new MASTER: lvslab lint says so"
		}
		n.gwWhy += ")"
	case topo.ForwardTUN:
		if tunOnly[n.seg] && n.seg != 0 {
			n.gw = b.router[n.seg]
			n.gwWhy = "TUN: the real server is on another network than the directors; the router joins them"
		}
	default:
		if n.seg != 0 {
			d := svc.dirs[0]
			n.gw = d.addrs[n.seg]
			n.gwWhy = fmt.Sprintf("DR: the real server answers clients from another network, through director %s (which forwards)", d.name)
		}
	}
}
