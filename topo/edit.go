package topo

import (
	"fmt"
	"net/netip"
)

// Edits of a loaded lab file, for the labs a scenario or a teaching
// session derives from a shipped one (another real server, more client
// addresses, other weights) before it goes up. Each edits the Spec in
// place and says what it could not do; Build validates the result.

// AddAddresses gives node's first interface secondary addresses (a
// client's extra source addresses, say), after the ones it has.
func (s *Spec) AddAddresses(node string, prefixes ...netip.Prefix) error {
	n := s.Node(node)
	if n == nil {
		return fmt.Errorf("add addresses: lab %s has no node %q", s.Name, node)
	}
	if len(n.Interfaces) == 0 || n.Interfaces[0] == nil {
		return fmt.Errorf("add addresses to %s: it has no interface", node)
	}
	ifc := n.Interfaces[0]
	ifc.Addresses = append(ifc.Addresses, prefixes...)
	return nil
}

// AddNodeLike adds a node named name with like's role and gateway and
// one interface, named as like's first and on its segment, with address
// addr: another real server beside an existing one.
func (s *Spec) AddNodeLike(like, name string, addr netip.Prefix) (*Node, error) {
	model := s.Node(like)
	if model == nil {
		return nil, fmt.Errorf("add node %s: lab %s has no node %q", name, s.Name, like)
	}
	if len(model.Interfaces) == 0 || model.Interfaces[0] == nil {
		return nil, fmt.Errorf("add node %s like %s: %s has no interface", name, like, like)
	}
	if s.Node(name) != nil {
		return nil, fmt.Errorf("add node %s: lab %s has one already", name, s.Name)
	}
	first := model.Interfaces[0]
	n := &Node{
		Name:    name,
		Role:    model.Role,
		Gateway: model.Gateway,
		Interfaces: []*Interface{{
			Name: first.Name, Segment: first.Segment, Addresses: []netip.Prefix{addr},
		}},
	}
	s.Nodes = append(s.Nodes, n)
	return n, nil
}

// AddRealServer makes node a real server of the service with the given
// RIP and weight, on the service's port, after the ones it has.
func (svc *Service) AddRealServer(node string, rip netip.Addr, weight int) *RealServer {
	rs := &RealServer{Node: node, RIP: rip, Port: svc.Port, Weight: &weight}
	svc.RealServers = append(svc.RealServers, rs)
	return rs
}

// SetWeights sets the weights of the service's real servers, in file
// order; it needs one weight per real server.
func (svc *Service) SetWeights(weights ...int) error {
	if len(weights) != len(svc.RealServers) {
		return fmt.Errorf("set weights of %s: %d weights for %d real servers", svc.Name, len(weights), len(svc.RealServers))
	}
	for i, rs := range svc.RealServers {
		w := weights[i]
		rs.Weight = &w
	}
	return nil
}
