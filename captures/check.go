package captures

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/lvslab/lvslab/topo"
)

// The checks below read a Path against the lab file: which nodes are the
// service's directors and real servers, and their addresses. Each returns
// nil, or an error listing every rule of the method the path breaks.

// TTLDecrement is how much IPVS lowers the TTL of a request it forwards
// to a real server: like a router, for every method (for TUN, the inner
// packet's TTL drops, and the outer header starts from the lowered value).
// Measured in the guest (Debian's Linux 6.1): DR 63 → 62, NAT 64 → 63,
// TUN inner 63 → 62 with an outer TTL of 62.
const TTLDecrement = 1

// service is what the checks need from the lab file about the flow's
// virtual service.
type service struct {
	svc       *topo.Service
	directors []string
	rips      map[string]netip.AddrPort // real-server node → RIP:port
	dips      []netip.Addr              // every address of every director
}

func serviceOf(p *Path, spec *topo.Spec) (*service, error) {
	if spec == nil {
		return nil, errors.New("no lab file to check against")
	}
	vip := p.Flow.VIP
	for _, svc := range spec.Services {
		if svc.VIP != vip.Addr() || (svc.Port != 0 && svc.Port != vip.Port()) {
			continue
		}
		s := &service{svc: svc, directors: svc.Directors, rips: map[string]netip.AddrPort{}}
		for _, rs := range svc.Backends() {
			port := rs.Port
			if port == 0 {
				port = vip.Port()
			}
			s.rips[rs.Node] = netip.AddrPortFrom(rs.RIP, port)
		}
		for _, n := range spec.Nodes {
			if !slices.Contains(svc.Directors, n.Name) {
				continue
			}
			for _, ifc := range n.Interfaces {
				for _, a := range ifc.Addresses {
					s.dips = append(s.dips, a.Addr())
				}
			}
		}
		return s, nil
	}
	return nil, fmt.Errorf("lab %s has no service on %s", spec.Name, vip)
}

func (s *service) isDirector(node string) bool { return slices.Contains(s.directors, node) }

func (s *service) isRealServer(node string) bool { _, ok := s.rips[node]; return ok }

// atDirector finds the request's hop into a director and the hop out of
// it (the first hop a director sends).
func (s *service) atDirector(p *Path) (in, out *Hop, err error) {
	for i := range p.Request {
		h := &p.Request[i]
		if !s.isDirector(h.Sender()) {
			continue
		}
		if i == 0 || !s.isDirector(p.Request[i-1].Receiver()) {
			return nil, nil, fmt.Errorf("the request left director %s without a hop into it", h.Sender())
		}
		return &p.Request[i-1], h, nil
	}
	return nil, nil, fmt.Errorf("the request never left a director (%s): %d hops, last %s",
		s.directors, len(p.Request), lastHop(p.Request))
}

func lastHop(hops []Hop) string {
	if len(hops) == 0 {
		return "none"
	}
	return hops[len(hops)-1].String()
}

// checkTTL compares the forwarded packet's TTL with the arriving one's.
func checkTTL(in, out *Hop) error {
	if want := in.TTL - TTLDecrement; out.TTL != want {
		return fmt.Errorf("TTL %d out of the director, want %d (%d in, minus %d)", out.TTL, want, in.TTL, TTLDecrement)
	}
	return nil
}

// checkDirectReply: the reply leaves a real server with the VIP as its
// source, unencapsulated, and no director sends, receives or sees it.
func (s *service) checkDirectReply(p *Path) []error {
	if len(p.Reply) == 0 {
		return []error{errors.New("no reply was captured")}
	}
	var errs []error
	first := &p.Reply[0]
	if !s.isRealServer(first.Sender()) {
		errs = append(errs, fmt.Errorf("the reply leaves %s, not a real server", first.Sender()))
	}
	if first.Src != p.Flow.VIP {
		errs = append(errs, fmt.Errorf("the reply leaves the real server from %s, want the VIP %s", first.Src, p.Flow.VIP))
	}
	for i := range p.Reply {
		h := &p.Reply[i]
		for _, d := range s.directors {
			if h.touches(d) {
				errs = append(errs, fmt.Errorf("reply hop %d crosses director %s: %s", i+1, d, h))
			}
		}
		if h.Encap != nil {
			errs = append(errs, fmt.Errorf("reply hop %d is encapsulated: %s", i+1, h))
		}
	}
	return errs
}

func verdict(method string, errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("not LVS-%s: %w", method, errors.Join(errs...))
}

// CheckDR proves direct routing: the director forwards the request to a
// real server with the IP header untouched (addresses, ports; TTL lowered
// by TTLDecrement), rewriting only the MACs — to its own as source and the
// real server's as destination — and the real server answers the client
// itself, from the VIP, without crossing the director.
func CheckDR(p *Path, spec *topo.Spec) error {
	s, err := serviceOf(p, spec)
	if err != nil {
		return fmt.Errorf("check DR: %w", err)
	}
	in, out, err := s.atDirector(p)
	if err != nil {
		return verdict("DR", []error{err})
	}
	var errs []error
	if out.Encap != nil {
		errs = append(errs, fmt.Errorf("the director tunnels the request (%s)", out.Encap))
	}
	if out.Src != in.Src || out.Dst != in.Dst {
		errs = append(errs, fmt.Errorf("the director rewrote the addresses: %s → %s in, %s → %s out", in.Src, in.Dst, out.Src, out.Dst))
	}
	if err := checkTTL(in, out); err != nil {
		errs = append(errs, err)
	}
	if out.SrcOwner.Node != out.Sender() {
		errs = append(errs, fmt.Errorf("source MAC %s out of the director is not its own", out.SrcMAC))
	}
	if !s.isRealServer(out.DstOwner.Node) {
		errs = append(errs, fmt.Errorf("destination MAC %s out of the director is not a real server's (owner %s)", out.DstMAC, linkOr(out.DstOwner, Link{})))
	}
	errs = append(errs, s.checkDirectReply(p)...)
	return verdict("DR", errs)
}

// CheckNAT proves masquerading: the director rewrites the request's
// destination VIP:vport to the real server's RIP:rport (the client's
// address stays), and the reply comes back through the director, which
// rewrites its source to VIP:vport.
func CheckNAT(p *Path, spec *topo.Spec) error {
	s, err := serviceOf(p, spec)
	if err != nil {
		return fmt.Errorf("check NAT: %w", err)
	}
	in, out, err := s.atDirector(p)
	if err != nil {
		return verdict("NAT", []error{err})
	}
	var errs []error
	if out.Encap != nil {
		errs = append(errs, fmt.Errorf("the director tunnels the request (%s)", out.Encap))
	}
	if in.Dst != p.Flow.VIP {
		errs = append(errs, fmt.Errorf("the request reaches the director for %s, want the VIP %s", in.Dst, p.Flow.VIP))
	}
	rs := out.Receiver()
	if rip, ok := s.rips[rs]; !ok {
		errs = append(errs, fmt.Errorf("the director sends the request to %s, not a real server", rs))
	} else if out.Dst != rip {
		errs = append(errs, fmt.Errorf("the director forwards to %s for %s, want its RIP:port %s", rs, out.Dst, rip))
	}
	if out.Src != in.Src {
		errs = append(errs, fmt.Errorf("the director changed the client's address %s to %s", in.Src, out.Src))
	}
	errs = append(errs, s.checkReplyThroughDirector(p, rs)...)
	return verdict("NAT", errs)
}

// checkReplyThroughDirector: the reply goes real server → director from
// RIP:rport, then leaves the director from VIP:vport.
func (s *service) checkReplyThroughDirector(p *Path, rs string) []error {
	if len(p.Reply) == 0 {
		return []error{errors.New("no reply was captured")}
	}
	var errs []error
	var back, onward *Hop
	for i := range p.Reply {
		h := &p.Reply[i]
		if back == nil && s.isDirector(h.Receiver()) {
			back = h
		}
		if back != nil && onward == nil && s.isDirector(h.Sender()) {
			onward = h
		}
	}
	switch {
	case back == nil:
		errs = append(errs, fmt.Errorf("the reply never reaches a director (first hop %s)", &p.Reply[0]))
	case s.rips[rs].IsValid() && back.Src != s.rips[rs]:
		errs = append(errs, fmt.Errorf("the reply reaches the director from %s, want the RIP:port %s", back.Src, s.rips[rs]))
	}
	switch {
	case onward == nil:
		errs = append(errs, errors.New("the reply never leaves a director"))
	case onward.Src != p.Flow.VIP:
		errs = append(errs, fmt.Errorf("the reply leaves the director from %s, want the VIP %s", onward.Src, p.Flow.VIP))
	}
	last := &p.Reply[len(p.Reply)-1]
	if last.Src != p.Flow.VIP {
		errs = append(errs, fmt.Errorf("the client gets the reply from %s, want the VIP %s", last.Src, p.Flow.VIP))
	}
	return errs
}

// CheckTUN proves tunnelling: the director wraps the request, unchanged
// but for its TTL, in an IPv4 header of protocol 4 from its DIP to the
// real server's RIP, the real server receives it so, and answers the
// client directly from the VIP.
func CheckTUN(p *Path, spec *topo.Spec) error {
	s, err := serviceOf(p, spec)
	if err != nil {
		return fmt.Errorf("check TUN: %w", err)
	}
	in, out, err := s.atDirector(p)
	if err != nil {
		return verdict("TUN", []error{err})
	}
	var errs []error
	if e := out.Encap; e == nil {
		errs = append(errs, fmt.Errorf("the director forwards the request without IPIP: %s", out))
	} else {
		if e.Protocol != 4 {
			errs = append(errs, fmt.Errorf("outer protocol %d, want 4 (IPIP)", e.Protocol))
		}
		if !slices.Contains(s.dips, e.Src) {
			errs = append(errs, fmt.Errorf("outer source %s is not a director address %v", e.Src, s.dips))
		}
		var rs string
		for node, rip := range s.rips {
			if rip.Addr() == e.Dst {
				rs = node
			}
		}
		if rs == "" {
			errs = append(errs, fmt.Errorf("outer destination %s is not a RIP", e.Dst))
		} else if !reaches(p.Request, rs, e) {
			errs = append(errs, fmt.Errorf("the tunnelled request never reaches %s", rs))
		}
	}
	if out.Src != in.Src || out.Dst != in.Dst {
		errs = append(errs, fmt.Errorf("the inner packet changed: %s → %s in, %s → %s out", in.Src, in.Dst, out.Src, out.Dst))
	}
	if err := checkTTL(in, out); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, s.checkDirectReply(p)...)
	return verdict("TUN", errs)
}

// reaches tells whether a hop delivers the tunnel e to node.
func reaches(hops []Hop, node string, e *Encap) bool {
	for i := range hops {
		h := &hops[i]
		if h.Receiver() == node && h.Encap != nil && h.Encap.Src == e.Src && h.Encap.Dst == e.Dst {
			return true
		}
	}
	return false
}
