package topo

import (
	"cmp"
	"net/netip"
	"slices"
)

// Lookups in a lab file, for everything that reads one: the builder, the
// keepalived renderer, the scenarios, the benches and the CLI. Each
// returns nil (or an invalid address) when the lab file has no such
// thing; Validate is where a missing one is an error.

// Node is the node named name (the first, if the name is used twice), or
// nil.
func (s *Spec) Node(name string) *Node {
	for _, n := range s.Nodes {
		if n != nil && n.Name == name {
			return n
		}
	}
	return nil
}

// NodesOf lists the nodes of role r, in file order.
func (s *Spec) NodesOf(r Role) []*Node {
	var out []*Node
	for _, n := range s.Nodes {
		if n != nil && n.Role == r {
			out = append(out, n)
		}
	}
	return out
}

// FirstOf is the first node of role r in file order (the lab's client,
// say), or nil.
func (s *Spec) FirstOf(r Role) *Node {
	for _, n := range s.Nodes {
		if n != nil && n.Role == r {
			return n
		}
	}
	return nil
}

// AddressOn is the first address of node on its interface iface: the
// address keepalived's unicast_src_ip and unicast_peer name, and the
// source of what the node sends there. Invalid when the lab file has no
// such node, interface or address.
func (s *Spec) AddressOn(node, iface string) netip.Addr {
	if n := s.Node(node); n != nil {
		return n.AddressOn(iface)
	}
	return netip.Addr{}
}

// Service is the service named name, or nil.
func (s *Spec) Service(name string) *Service {
	for _, svc := range s.Services {
		if svc != nil && svc.Name == name {
			return svc
		}
	}
	return nil
}

// RealServer is the service's real server on node (not its sorry
// server), or nil.
func (svc *Service) RealServer(node string) *RealServer {
	for _, rs := range svc.RealServers {
		if rs != nil && rs.Node == node {
			return rs
		}
	}
	return nil
}

// Interface is the node's interface named name, or nil.
func (n *Node) Interface(name string) *Interface {
	for _, ifc := range n.Interfaces {
		if ifc != nil && ifc.Name == name {
			return ifc
		}
	}
	return nil
}

// AddressOn is the node's first address on its interface iface, invalid
// when it has no such interface or the interface no address.
func (n *Node) AddressOn(iface string) netip.Addr {
	if ifc := n.Interface(iface); ifc != nil && len(ifc.Addresses) > 0 {
		return ifc.Addresses[0].Addr()
	}
	return netip.Addr{}
}

// Member is node's entry in the instance, or nil.
func (v *VRRP) Member(node string) *Member {
	for _, m := range v.Members {
		if m != nil && m.Node == node {
			return m
		}
	}
	return nil
}

// Ranked lists the instance's members best first, as VRRP elects them
// once every member is up: the highest priority wins; between equal
// priorities the lab file's state MASTER goes first (that member starts
// as MASTER, and a backup of equal priority does not take over, RFC 3768
// §6.4.2); otherwise file order. Tracked scripts that change priorities
// at run time are not considered.
func (v *VRRP) Ranked() []*Member {
	members := slices.DeleteFunc(slices.Clone(v.Members), func(m *Member) bool { return m == nil })
	slices.SortStableFunc(members, func(a, b *Member) int {
		if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
			return c
		}
		return cmp.Compare(rank(b.State == StateMaster), rank(a.State == StateMaster))
	})
	return members
}

// Master is the member VRRP elects MASTER (the first of Ranked), nil
// when the instance has no members. With nopreempt or equal priorities
// another member may hold MASTER at run time; director/keepalived's
// ExpectedMasters names every member that may.
func (v *VRRP) Master() *Member {
	if r := v.Ranked(); len(r) > 0 {
		return r[0]
	}
	return nil
}

// Backup is the member that takes over when the Master stops (the second
// of Ranked), nil when the instance has fewer than two members.
func (v *VRRP) Backup() *Member {
	if r := v.Ranked(); len(r) > 1 {
		return r[1]
	}
	return nil
}

func rank(b bool) int {
	if b {
		return 1
	}
	return 0
}
