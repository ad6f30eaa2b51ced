package topo

import "net/netip"

// Defaults, as the tools the lab stands in for have them.
const (
	DefaultProtocol           = "tcp"
	DefaultScheduler          = "wlc" // ipvsadm -s
	DefaultForward            = ForwardDR
	DefaultWeight             = 1
	DefaultPersistenceTimeout = 300 // ipvsadm -p without a value
	DefaultAdvertInt          = 1
	DefaultConnectTimeout     = 5
	DefaultDelayLoop          = 60
	DefaultRetry              = 1
	DefaultDelayBeforeRetry   = 1
	DefaultScriptInterval     = 1 // vrrp_script interval
	DefaultScriptFall         = 1
	DefaultScriptRise         = 1
)

// DefaultNetmask is the persistence granularity when none is given
// (ipvsadm -M default: one template per client address).
var DefaultNetmask = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// SetDefaults fills what a lab file may leave out. Parse calls it; a Spec
// built in Go should call it before Validate. A field written in the file is
// never replaced, so "priority: 0" stays 0 and Validate rejects it.
//
//   - service: protocol tcp, scheduler wlc and forward dr (ipvsadm's
//     defaults); persistence timeout 300 s (ipvsadm -p) and netmask
//     255.255.255.255 (-M)
//   - real server: weight 1, port = the service port, RIP = the node's
//     address on a segment it shares with the service's first director
//     (NAT, DR) or its primary address (TUN); a sorry server's port and
//     RIP likewise (it has no weight); quorum stays 0 (keepalived's 1)
//   - check: connect_timeout 5, delay_loop 60, retry 1,
//     delay_before_retry 1 (keepalived's); warmup stays unset
//   - vrrp: advert_int 1; no auth unless given
//   - vrrp_scripts: interval 1, fall 1, rise 1 (keepalived's); weight
//     stays 0 unless given
func (s *Spec) SetDefaults() {
	svcKeys := elemKeys(serviceNames(s.Services))
	for i, svc := range s.Services {
		if svc == nil {
			continue
		}
		base := join("services", svcKeys[i])
		setString(s, join(base, "protocol"), &svc.Protocol, DefaultProtocol)
		setString(s, join(base, "scheduler"), &svc.Scheduler, DefaultScheduler)
		if svc.Forward == "" && !s.has(join(base, "forward")) {
			svc.Forward = DefaultForward
		}
		if p := svc.Persistence; p != nil {
			if p.Timeout == 0 && !s.has(join(base, "persistence.timeout")) {
				p.Timeout = DefaultPersistenceTimeout
			}
			if !p.Netmask.IsValid() && !s.has(join(base, "persistence.netmask")) {
				p.Netmask = DefaultNetmask
			}
		}
		rsKeys := elemKeys(realServerNodes(svc.RealServers))
		for j, rs := range svc.RealServers {
			if rs == nil {
				continue
			}
			rbase := join(join(base, "realservers"), rsKeys[j])
			if rs.Weight == nil && !s.has(join(rbase, "weight")) {
				w := DefaultWeight
				rs.Weight = &w
			}
			s.backendDefaults(svc, rs, rbase)
		}
		if svc.SorryServer != nil {
			s.backendDefaults(svc, svc.SorryServer, join(base, "sorry_server"))
		}
		if c := svc.Check; c != nil {
			cbase := join(base, "check")
			setInt(s, join(cbase, "connect_timeout"), &c.ConnectTimeout, DefaultConnectTimeout)
			setInt(s, join(cbase, "delay_loop"), &c.DelayLoop, DefaultDelayLoop)
			setInt(s, join(cbase, "retry"), &c.Retry, DefaultRetry)
			setInt(s, join(cbase, "delay_before_retry"), &c.DelayBeforeRetry, DefaultDelayBeforeRetry)
		}
	}
	vKeys := elemKeys(vrrpNames(s.VRRP))
	for i, v := range s.VRRP {
		if v == nil {
			continue
		}
		setInt(s, join(join("vrrp", vKeys[i]), "advert_int"), &v.AdvertInt, DefaultAdvertInt)
	}
	scKeys := elemKeys(scriptNames(s.VRRPScripts))
	for i, sc := range s.VRRPScripts {
		if sc == nil {
			continue
		}
		base := join("vrrp_scripts", scKeys[i])
		setInt(s, join(base, "interval"), &sc.Interval, DefaultScriptInterval)
		setInt(s, join(base, "fall"), &sc.Fall, DefaultScriptFall)
		setInt(s, join(base, "rise"), &sc.Rise, DefaultScriptRise)
	}
}

// backendDefaults fills a real or sorry server's port (the service's)
// and RIP (deriveRIP) when the file leaves them out.
func (s *Spec) backendDefaults(svc *Service, rs *RealServer, base string) {
	if rs.Port == 0 && !s.has(join(base, "port")) {
		rs.Port = svc.Port
	}
	if !rs.RIP.IsValid() && !s.has(join(base, "rip")) {
		rs.RIP = s.deriveRIP(svc, rs)
	}
}

func scriptNames(l []*VRRPScript) []string {
	return names(l, func(x *VRRPScript) string { return x.Name })
}

func setString(s *Spec, path string, f *string, def string) {
	if *f == "" && !s.has(path) {
		*f = def
	}
}

func setInt(s *Spec, path string, f *int, def int) {
	if *f == 0 && !s.has(path) {
		*f = def
	}
}

// deriveRIP is the address a director reaches real server rs at: for NAT and
// DR the node's address on a segment shared with the service's first
// director, for TUN (and when no segment is shared) its primary address.
// Invalid when the node is unknown or has no address; Validate says why.
func (s *Spec) deriveRIP(svc *Service, rs *RealServer) netip.Addr {
	n := s.Node(rs.Node)
	if n == nil {
		return netip.Addr{}
	}
	if svc.Forward != ForwardTUN && len(svc.Directors) > 0 {
		if dir := s.Node(svc.Directors[0]); dir != nil {
			if ifc, _ := sharedSegment(n, dir); ifc != nil && len(ifc.Addresses) > 0 {
				return ifc.Addresses[0].Addr()
			}
		}
	}
	return primaryAddr(n)
}

// primaryAddr is a node's first address.
func primaryAddr(n *Node) netip.Addr {
	for _, ifc := range n.Interfaces {
		if ifc != nil && len(ifc.Addresses) > 0 {
			return ifc.Addresses[0].Addr()
		}
	}
	return netip.Addr{}
}

// sharedSegment finds the first interface of a on a segment b is also on,
// with b's interface there.
func sharedSegment(a, b *Node) (ai, bi *Interface) {
	for _, x := range a.Interfaces {
		if x == nil || x.Segment == "" {
			continue
		}
		for _, y := range b.Interfaces {
			if y != nil && y.Segment == x.Segment {
				return x, y
			}
		}
	}
	return nil, nil
}

// segment finds a segment by name.
func (s *Spec) segment(name string) *Segment {
	for _, g := range s.Segments {
		if g != nil && g.Name == name {
			return g
		}
	}
	return nil
}

func serviceNames(l []*Service) []string {
	names := make([]string, len(l))
	for i, x := range l {
		if x != nil {
			names[i] = x.Name
		}
	}
	return names
}

func realServerNodes(l []*RealServer) []string {
	names := make([]string, len(l))
	for i, x := range l {
		if x != nil {
			names[i] = x.Node
		}
	}
	return names
}

func vrrpNames(l []*VRRP) []string {
	names := make([]string, len(l))
	for i, x := range l {
		if x != nil {
			names[i] = x.Name
		}
	}
	return names
}
