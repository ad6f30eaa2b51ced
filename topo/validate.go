package topo

import (
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// Validate checks a spec and returns every problem it finds as a
// *ValidationError, or nil. It does not apply defaults: a Spec built in Go
// should go through SetDefaults first, as Parse does.
func (s *Spec) Validate() error {
	ps := newProblems(s)
	s.validate(ps)
	return ps.err()
}

// MaxLabName is the longest lab name: it prefixes every namespace name.
const MaxLabName = 20

// MaxNodeName is the longest node name: a host name's label (RFC 1035),
// well within what the names made of it take (the namespace LAB-NODE,
// the files NODE.PROCESS.json and .log, keepalived's router_id).
const MaxNodeName = 63

var (
	labNameRe  = regexp.MustCompile(`^[a-z0-9-]+$`)
	hostNameRe = labNameRe // segments and nodes
	// ifNameRe admits the names hosts give their interfaces (ens192,
	// eno16777736, eth0.100, bond_1), which an imported lab keeps.
	ifNameRe = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	sysctlRe = regexp.MustCompile(`^net(\.[A-Za-z0-9_-]+)+$`)
)

// validator holds what the checks share: the spec, its problems, and the
// path key of every named object.
type validator struct {
	s  *Spec
	ps *problems

	segKeys, nodeKeys, svcKeys, vrrpKeys []string
	nodeKey                              map[*Node]string
	// ports are the switch port names given so far, to the node and
	// interface that has each.
	ports map[string]string
	// macs are the hardware addresses given so far on each segment
	// (segment/MAC), to the node and interface that has each.
	macs map[string]string
}

func (s *Spec) validate(ps *problems) {
	v := &validator{
		s:        s,
		ps:       ps,
		segKeys:  elemKeys(names(s.Segments, func(g *Segment) string { return g.Name })),
		nodeKeys: elemKeys(names(s.Nodes, func(n *Node) string { return n.Name })),
		svcKeys:  elemKeys(serviceNames(s.Services)),
		vrrpKeys: elemKeys(vrrpNames(s.VRRP)),
		nodeKey:  map[*Node]string{},
		ports:    map[string]string{},
		macs:     map[string]string{},
	}
	for i, n := range s.Nodes {
		v.nodeKey[n] = join("nodes", v.nodeKeys[i])
	}
	v.lab()
	v.segments()
	v.nodes()
	v.addresses()
	v.services()
	v.vrrps()
}

func names[T any](l []*T, name func(*T) string) []string {
	out := make([]string, len(l))
	for i, x := range l {
		if x != nil {
			out[i] = name(x)
		}
	}
	return out
}

func (v *validator) add(path, format string, args ...any) { v.ps.add(path, format, args...) }

func (v *validator) lab() {
	s := v.s
	switch {
	case s.Name == "":
		v.add("name", "a lab name is required")
	case !labNameRe.MatchString(s.Name):
		v.add("name", "%q may only contain a-z, 0-9 and -", s.Name)
	case len(s.Name) > MaxLabName:
		v.add("name", "%q is longer than %d characters", s.Name, MaxLabName)
	}
	for i, a := range s.Allow {
		if a != AllowDRCrossSegment && a != AllowNATGateway {
			v.add(index("allow", i), "unknown allow value %q (want %s or %s)", a, AllowDRCrossSegment, AllowNATGateway)
		}
	}
	if len(s.Segments) == 0 {
		v.add("segments", "a lab needs at least one segment")
	}
	if len(s.Nodes) == 0 {
		v.add("nodes", "a lab needs at least one node")
	}
}

func (s *Spec) allows(what string) bool { return slices.Contains(s.Allow, what) }

// name checks the name of a list element at base (e.g. "nodes.web1").
func (v *validator) name(coll, base, name string, re *regexp.Regexp, what string) bool {
	p := join(base, "name")
	switch {
	case name == "":
		v.add(p, "a %s needs a name", what)
	case !re.MatchString(name):
		v.add(p, "%q may only contain %s", name, charsOf(re))
	case strings.Contains(base[len(coll)+1:], "#"):
		v.add(p, "%s %s is defined twice (first on line %d)", what, name, v.s.Line(join(coll, name)))
	default:
		return true
	}
	return false
}

func charsOf(re *regexp.Regexp) string {
	switch re {
	case labNameRe:
		return "a-z, 0-9 and -"
	case ifNameRe:
		return "A-Z, a-z, 0-9, _, . and -"
	}
	return "A-Z, a-z, 0-9, _ and -"
}

func (v *validator) segments() {
	for i, g := range v.s.Segments {
		base := join("segments", v.segKeys[i])
		if g == nil {
			v.add(base, "empty segment entry")
			continue
		}
		if v.name("segments", base, g.Name, hostNameRe, "segment") {
			if b := BridgeName(g.Name); len(b) > MaxIfName {
				v.add(join(base, "name"), "bridge name %q is longer than %d bytes; keep segment names to %d", b, MaxIfName, MaxIfName-len(BridgeName("")))
			}
		}
		p := join(base, "subnet")
		switch {
		case !g.Subnet.IsValid():
			v.add(p, "a subnet is required, e.g. 192.168.10.0/24")
		case g.Subnet != g.Subnet.Masked():
			v.add(p, "%s has host bits set; write %s", g.Subnet, g.Subnet.Masked())
		}
	}
}

var roles = []Role{RoleClient, RoleRouter, RoleDirector, RoleRealServer}

func (v *validator) nodes() {
	for i, n := range v.s.Nodes {
		base := join("nodes", v.nodeKeys[i])
		if n == nil {
			v.add(base, "empty node entry")
			continue
		}
		nameOK := v.name("nodes", base, n.Name, hostNameRe, "node")
		if nameOK && len(n.Name) > MaxNodeName {
			v.add(join(base, "name"), "node name %q is longer than %d bytes", n.Name, MaxNodeName)
			nameOK = false
		}
		if n.Name == SwitchNode {
			v.add(join(base, "name"), "%q is reserved for the lab's switch namespace", SwitchNode)
		}
		switch {
		case n.Role == "":
			v.add(join(base, "role"), "a role is required (client, router, director or realserver)")
		case !slices.Contains(roles, n.Role):
			v.add(join(base, "role"), "unknown role %q (want client, router, director or realserver)", n.Role)
		}
		if len(n.Interfaces) == 0 {
			v.add(join(base, "interfaces"), "node %s has no interfaces", n.Name)
		}
		v.interfaces(n, base, nameOK)
		v.gatewayAndRoutes(n, base)
		for _, k := range slices.Sorted(maps.Keys(n.Sysctls)) {
			val := n.Sysctls[k]
			p := join(join(base, "sysctls"), k)
			switch {
			case !sysctlRe.MatchString(k) || strings.Contains(k, ".."):
				v.add(p, "sysctl key %q does not look like net.ipv4.ip_forward", k)
			case val == "":
				v.add(p, "sysctl %s has no value", k)
			}
		}
		if n.Keepalived != "" && n.Role != RoleDirector {
			v.add(join(base, "keepalived"), "only a director runs keepalived; node %s is a %s", n.Name, n.Role)
		}
	}
}

// reservedIfNames are names the lab's own code gives interfaces.
var reservedIfNames = []string{"lo", "tunl0"}

func (v *validator) interfaces(n *Node, base string, nodeNameOK bool) {
	keys := elemKeys(names(n.Interfaces, func(x *Interface) string { return x.Name }))
	coll := join(base, "interfaces")
	for i, ifc := range n.Interfaces {
		ib := join(coll, keys[i])
		if ifc == nil {
			v.add(ib, "empty interface entry")
			continue
		}
		ifOK := v.name(coll, ib, ifc.Name, ifNameRe, "interface")
		if ifOK {
			port := PortName(n.Name, ifc.Name)
			switch {
			case slices.Contains(reservedIfNames, ifc.Name), ifc.Name == "." || ifc.Name == "..":
				v.add(join(ib, "name"), "interface name %q is reserved", ifc.Name)
			case len(ifc.Name) > MaxIfName:
				v.add(join(ib, "name"), "interface name %q is longer than %d bytes", ifc.Name, MaxIfName)
			case nodeNameOK && v.ports[port] != "":
				v.add(join(ib, "name"), "switch port name %q is also %s's; rename the node or interface", port, v.ports[port])
			case nodeNameOK:
				v.ports[port] = n.Name + " " + ifc.Name
			}
		}
		seg := v.s.segment(ifc.Segment)
		if ifc.Segment == "" {
			v.add(join(ib, "segment"), "a segment is required")
		} else if seg == nil {
			v.add(join(ib, "segment"), "unknown segment %q", ifc.Segment)
		} else if nodeNameOK && ifOK {
			v.mac(ib, seg.Name, n.Name, ifc.Name, MAC(n.Name, ifc.Name).String())
		}
		if len(ifc.Addresses) == 0 {
			v.add(join(ib, "addresses"), "interface %s has no addresses", ifc.Name)
		}
		for j, a := range ifc.Addresses {
			p := index(join(ib, "addresses"), j)
			switch {
			case !a.IsValid():
				v.add(p, "an address is required")
			case seg == nil || !seg.Subnet.IsValid():
			case !seg.Subnet.Contains(a.Addr()):
				v.add(p, "%s is not inside segment %s (%s)", a, seg.Name, seg.Subnet)
			case a.Bits() != seg.Subnet.Bits():
				v.add(p, "%s has prefix length /%d but segment %s is %s", a, a.Bits(), seg.Name, seg.Subnet)
			case a.Addr() == seg.Subnet.Addr():
				v.add(p, "%s is the network address of segment %s", a, seg.Name)
			}
		}
	}
}

// mac records the hardware address MAC gives an interface on a segment
// and refuses one another interface there has: MAC keeps 40 bits of a
// hash of the names, so two may collide, however rarely, and two
// interfaces with one address on a bridge would steal each other's
// frames.
func (v *validator) mac(ib, segment, node, iface, mac string) {
	key := segment + "/" + mac
	if other := v.macs[key]; other != "" {
		v.add(join(ib, "name"), "hardware address %s (derived from the names) is also %s's on segment %s; rename the node or interface", mac, other, segment)
		return
	}
	v.macs[key] = node + " " + iface
}

// onSubnet reports whether a is on the subnet of one of n's interfaces.
func (s *Spec) onSubnet(n *Node, a netip.Addr) bool {
	for _, ifc := range n.Interfaces {
		if ifc == nil {
			continue
		}
		for _, p := range ifc.Addresses {
			if p.IsValid() && p.Masked().Contains(a) {
				return true
			}
		}
		if g := s.segment(ifc.Segment); g != nil && g.Subnet.IsValid() && g.Subnet.Contains(a) {
			return true
		}
	}
	return false
}

func (v *validator) gatewayAndRoutes(n *Node, base string) {
	if n.Gateway.IsValid() && !v.s.onSubnet(n, n.Gateway) {
		v.add(join(base, "gateway"), "%s is not on any of its subnets", n.Gateway)
	}
	for i, r := range n.Routes {
		rb := index(join(base, "routes"), i)
		if r == nil {
			v.add(rb, "empty route entry")
			continue
		}
		if !r.To.IsValid() {
			v.add(join(rb, "to"), "a destination is required, e.g. 192.168.66.0/24")
		} else if r.To != r.To.Masked() {
			v.add(join(rb, "to"), "%s has host bits set; write %s", r.To, r.To.Masked())
		}
		switch {
		case !r.Via.IsValid():
			v.add(join(rb, "via"), "a next hop (via) is required")
		case !v.s.onSubnet(n, r.Via):
			v.add(join(rb, "via"), "%s is not on any of its subnets", r.Via)
		}
	}
}

// addresses checks that no address is used twice: interface addresses are
// unique across the lab; a VRRP VIP belongs to no interface (keepalived adds
// it) and to one instance; a service VIP is on no interface but its own
// director's (seed 003's NAT director listens on its eth1 address).
func (v *validator) addresses() {
	type owner struct {
		node *Node
		path string
	}
	ifAddr := map[netip.Addr]owner{}
	for _, n := range v.s.Nodes {
		if n == nil {
			continue
		}
		keys := elemKeys(names(n.Interfaces, func(x *Interface) string { return x.Name }))
		for i, ifc := range n.Interfaces {
			if ifc == nil {
				continue
			}
			for j, a := range ifc.Addresses {
				if !a.IsValid() {
					continue
				}
				p := index(join(join(join(v.nodeKey[n], "interfaces"), keys[i]), "addresses"), j)
				if o, dup := ifAddr[a.Addr()]; dup {
					v.add(p, "address %s is also on node %s (line %d)", a.Addr(), o.node.Name, v.s.Line(o.path))
					continue
				}
				ifAddr[a.Addr()] = owner{n, p}
			}
		}
	}
	vrrpVIP := map[netip.Addr]string{}
	for i, x := range v.s.VRRP {
		if x == nil {
			continue
		}
		for j, vip := range x.VIPs {
			if !vip.IsValid() {
				continue
			}
			p := index(join(join("vrrp", v.vrrpKeys[i]), "vips"), j)
			if o, ok := ifAddr[vip.Addr()]; ok {
				v.add(p, "VIP %s is already an address of node %s (line %d); keepalived adds the VIP, no interface may hold it", vip.Addr(), o.node.Name, v.s.Line(o.path))
			}
			if first, dup := vrrpVIP[vip.Addr()]; dup {
				v.add(p, "VIP %s is also in another vrrp instance (line %d)", vip.Addr(), v.s.Line(first))
				continue
			}
			vrrpVIP[vip.Addr()] = p
		}
	}
	for i, svc := range v.s.Services {
		if svc == nil || !svc.VIP.IsValid() {
			continue
		}
		if o, ok := ifAddr[svc.VIP]; ok && !slices.Contains(svc.Directors, o.node.Name) {
			v.add(join(join("services", v.svcKeys[i]), "vip"), "VIP %s is already an address of node %s (line %d), which is not a director of this service", svc.VIP, o.node.Name, v.s.Line(o.path))
		}
	}
}

// describe names a node with its role, for "node web1 is a client, not …".
func describe(n *Node) string {
	if n.Role == "" {
		return fmt.Sprintf("node %s has no role", n.Name)
	}
	return fmt.Sprintf("node %s is a %s", n.Name, n.Role)
}
