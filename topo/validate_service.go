package topo

import (
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"strings"
)

// Schedulers are the IPVS schedulers ipvsadm -s accepts.
var Schedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"}

// Protocols a service may use.
var Protocols = []string{"tcp", "udp", "sctp"}

// Check types keepalived runs for real servers.
const (
	CheckTCP  = "TCP_CHECK"
	CheckHTTP = "HTTP_GET"
	CheckMisc = "MISC_CHECK"
)

// MaxWeight is the largest real-server weight ipvsadm accepts.
const MaxWeight = 65535

func (v *validator) services() {
	type svcID struct {
		proto string
		vip   netip.Addr
		port  uint16
	}
	seen := map[svcID]string{}
	marks := map[uint32]string{}
	for i, svc := range v.s.Services {
		base := join("services", v.svcKeys[i])
		if svc == nil {
			v.add(base, "empty service entry")
			continue
		}
		v.name("services", base, svc.Name, pathSafe, "service")
		v.serviceFields(svc, base)
		if svc.FWMark != 0 {
			if first, dup := marks[svc.FWMark]; dup {
				v.add(join(base, "fwmark"), "firewall mark %d is also used by the service on line %d", svc.FWMark, v.s.Line(first))
			}
			marks[svc.FWMark] = base
		} else if svc.VIP.IsValid() {
			id := svcID{svc.Protocol, svc.VIP, svc.Port}
			if first, dup := seen[id]; dup {
				v.add(join(base, "vip"), "%s %s is also the service on line %d", svc.Protocol, netip.AddrPortFrom(svc.VIP, svc.Port), v.s.Line(first))
			}
			seen[id] = base
		}
		dirs := v.directors(svc, base)
		v.realServers(svc, base, dirs)
		v.sorryServer(svc, base, dirs)
		v.quorum(svc, base)
		if svc.Check != nil {
			v.check(svc.Check, join(base, "check"))
		}
	}
	v.serversAgree()
}

// server checks what a real or sorry server runs: a known server, and
// nginx only for what it serves (HTTP over TCP).
func (v *validator) server(svc *Service, rs *RealServer, rb string) {
	switch rs.Server {
	case "", ServerBuiltin:
	case ServerNginx:
		if svc.Protocol != "tcp" {
			v.add(join(rb, "server"), "nginx serves HTTP over tcp, not %s: leave server out for the built-in backend", svc.Protocol)
		}
	default:
		v.add(join(rb, "server"), "unknown server %q; want one of %s", rs.Server, strings.Join(Servers, ", "))
	}
}

// serversAgree checks that the entries naming one node, in every
// service, ask for the same server: a node runs one.
func (v *validator) serversAgree() {
	type entry struct{ server, path string }
	first := map[string]entry{}
	for i, svc := range v.s.Services {
		if svc == nil {
			continue
		}
		base := join("services", v.svcKeys[i])
		keys := elemKeys(realServerNodes(svc.RealServers))
		paths := make([]string, 0, len(keys)+1)
		for _, k := range keys {
			paths = append(paths, join(join(base, "realservers"), k))
		}
		paths = append(paths, join(base, "sorry_server"))
		for j, rs := range svc.Backends() {
			if rs == nil || rs.Node == "" {
				continue
			}
			server := rs.Server
			if server == "" {
				server = ServerBuiltin
			}
			if !slices.Contains(Servers, server) {
				continue // reported by server
			}
			e, seen := first[rs.Node]
			if !seen {
				first[rs.Node] = entry{server, paths[j]}
				continue
			}
			if e.server != server {
				p := join(paths[j], "server")
				if rs.Server == "" {
					p = paths[j]
				}
				v.add(p, "%s runs one server: this entry asks for %s, the one on line %d for %s", rs.Node, server, v.s.Line(e.path), e.server)
			}
		}
	}
}

func (v *validator) serviceFields(svc *Service, base string) {
	if !svc.VIP.IsValid() {
		v.add(join(base, "vip"), "a VIP is required")
	}
	if !slices.Contains(Protocols, svc.Protocol) {
		v.add(join(base, "protocol"), "unknown protocol %q (want tcp, udp or sctp)", svc.Protocol)
	}
	if !slices.Contains(Schedulers, svc.Scheduler) {
		v.add(join(base, "scheduler"), "unknown scheduler %q (want one of %s)", svc.Scheduler, strings.Join(Schedulers, " "))
	}
	switch svc.Forward {
	case ForwardNAT, ForwardDR, ForwardTUN:
	default:
		v.add(join(base, "forward"), "unknown forwarding method %q (want nat, dr or tun)", svc.Forward)
	}
	switch {
	case svc.FWMark != 0:
		if svc.Port != 0 {
			v.add(join(base, "port"), "a firewall-mark service has no port of its own; list the ports to mark under ports")
		}
		if len(svc.Ports) == 0 {
			v.add(join(base, "ports"), "a firewall-mark service needs the ports to mark (seed 002: 80 and 443 as mark 3)")
		}
		for i, p := range svc.Ports {
			if p == 0 {
				v.add(index(join(base, "ports"), i), "port 0 cannot be marked; list real ports")
			}
		}
	case len(svc.Ports) > 0:
		v.add(join(base, "ports"), "ports are the ports a firewall mark selects; set fwmark too, or use port")
	case svc.Port == 0 && svc.Persistence == nil:
		if v.s.has(join(base, "port")) {
			v.add(join(base, "port"), "port 0 (every port) needs persistence, as ipvsadm -A -t VIP:0 needs -p (seed 002)")
		} else {
			v.add(join(base, "port"), "a port is required (or port 0 with persistence, or a fwmark)")
		}
	}
	if p := svc.Persistence; p != nil {
		pb := join(base, "persistence")
		if p.Timeout == 0 {
			v.add(join(pb, "timeout"), "a persistence timeout must be at least 1 second")
		}
		if !p.Netmask.IsValid() {
			v.add(join(pb, "netmask"), "a netmask is required, e.g. 255.255.255.0")
		} else if !isNetmask(p.Netmask) {
			v.add(join(pb, "netmask"), "%s is not a netmask (ones, then zeros)", p.Netmask)
		}
	}
}

func isNetmask(a netip.Addr) bool {
	b := a.As4()
	m := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	return bits.LeadingZeros32(^m) == bits.OnesCount32(m)
}

// directors checks a service's directors and returns the valid ones.
func (v *validator) directors(svc *Service, base string) []*Node {
	if len(svc.Directors) == 0 {
		v.add(join(base, "directors"), "a service needs at least one director")
	}
	var dirs []*Node
	for i, name := range svc.Directors {
		p := index(join(base, "directors"), i)
		n := v.s.Node(name)
		switch {
		case n == nil:
			v.add(p, "unknown node %q", name)
		case n.Role != RoleDirector:
			v.add(p, "%s, not a director", describe(n))
		case slices.Index(svc.Directors, name) < i:
			v.add(p, "director %s is listed twice", name)
		default:
			dirs = append(dirs, n)
		}
	}
	return dirs
}

func (v *validator) realServers(svc *Service, base string, dirs []*Node) {
	keys := elemKeys(realServerNodes(svc.RealServers))
	coll := join(base, "realservers")
	for i, rs := range svc.RealServers {
		rb := join(coll, keys[i])
		if rs == nil {
			v.add(rb, "empty real server entry")
			continue
		}
		n := v.backendNode(rs, rb)
		if n == nil {
			continue
		}
		if n.Role == RoleRealServer && strings.Contains(keys[i], "#") {
			v.add(join(rb, "node"), "real server %s is listed twice (first on line %d)", rs.Node, v.s.Line(join(coll, rs.Node)))
		}
		if rs.Weight != nil && (*rs.Weight < 0 || *rs.Weight > MaxWeight) {
			v.add(join(rb, "weight"), "weight %d is out of range 0..%d", *rs.Weight, MaxWeight)
		}
		if rs.Upper != 0 && rs.Lower > rs.Upper {
			v.add(join(rb, "lower"), "lower threshold %d is above upper threshold %d", rs.Lower, rs.Upper)
		}
		v.backendPath(svc, rs, n, rb, dirs)
	}
}

// backendNode checks the node a real or sorry server names and returns
// it; nil when there is none to check further.
func (v *validator) backendNode(rs *RealServer, rb string) *Node {
	np := join(rb, "node")
	n := v.s.Node(rs.Node)
	switch {
	case rs.Node == "":
		v.add(np, "a real server names its node")
		return nil
	case n == nil:
		v.add(np, "unknown node %q", rs.Node)
		return nil
	case n.Role != RoleRealServer:
		v.add(np, "%s, not a real server", describe(n))
	}
	return n
}

// backendPath checks what the forwarding method needs of a real or sorry
// server: its port, its RIP, and how it reaches the directors.
func (v *validator) backendPath(svc *Service, rs *RealServer, n *Node, rb string, dirs []*Node) {
	v.server(svc, rs, rb)
	if (svc.Forward == ForwardDR || svc.Forward == ForwardTUN) && rs.Port != svc.Port {
		v.add(join(rb, "port"), "%s cannot change the port: real server port %d differs from service port %d", strings.ToUpper(string(svc.Forward)), rs.Port, svc.Port)
	}
	// A RIP left out is derived; if that found nothing, the node's
	// own problems (no interfaces, no addresses) say why.
	if rs.RIP.IsValid() && !hasAddr(n, rs.RIP) {
		v.add(join(rb, "rip"), "RIP %s is not an address of node %s", rs.RIP, rs.Node)
	}
	switch svc.Forward {
	case ForwardDR:
		v.drSegment(rs, n, dirs, rb)
	case ForwardNAT:
		v.natGateway(rs, n, dirs, rb)
	}
}

// sorryServer checks keepalived's sorry_server: a real-server node that
// is not already one of the service's real servers, with only a node, a
// RIP and a port, on a service whose real servers are checked.
func (v *validator) sorryServer(svc *Service, base string, dirs []*Node) {
	ss := svc.SorryServer
	if ss == nil {
		return
	}
	sb := join(base, "sorry_server")
	if svc.Check == nil {
		v.add(sb, "a sorry server needs a check: keepalived puts it in only when checks fail")
	}
	if ss.Weight != nil || ss.Upper != 0 || ss.Lower != 0 {
		v.add(sb, "a sorry server has no weight, upper or lower: keepalived puts it in alone")
	}
	n := v.backendNode(ss, sb)
	if n == nil {
		return
	}
	if svc.RealServer(ss.Node) != nil {
		v.add(join(sb, "node"), "%s is already a real server of service %s (line %d); a sorry server stands in for them all", ss.Node, svc.Name, v.s.Line(join(join(base, "realservers"), ss.Node)))
	}
	v.backendPath(svc, ss, n, sb, dirs)
}

// totalWeight adds up the real servers' weights.
func (svc *Service) totalWeight() int {
	sum := 0
	for _, rs := range svc.RealServers {
		if rs != nil && rs.Weight != nil {
			sum += *rs.Weight
		}
	}
	return sum
}

// quorum checks keepalived's quorum and hysteresis: quorum at least 1
// when given, hysteresis below it, both only on a checked service.
func (v *validator) quorum(svc *Service, base string) {
	if svc.Quorum == 0 && svc.Hysteresis == 0 && !v.s.has(join(base, "quorum")) {
		return
	}
	qp := join(base, "quorum")
	switch {
	case !v.s.has(qp) && svc.Quorum == 0:
		v.add(join(base, "hysteresis"), "hysteresis needs a quorum: it widens the band around it")
	case svc.Check == nil:
		v.add(qp, "quorum needs a check: keepalived counts the weights of the real servers its checks find alive")
	case svc.Quorum < 1:
		v.add(qp, "quorum %d is below 1", svc.Quorum)
	case svc.Quorum > svc.totalWeight():
		v.add(qp, "quorum %d exceeds the real servers' total weight %d (keepalived lowers it to that)", svc.Quorum, svc.totalWeight())
	case svc.Hysteresis < 0 || svc.Hysteresis >= svc.Quorum:
		v.add(join(base, "hysteresis"), "hysteresis %d is out of range 0..%d (below quorum %d)", svc.Hysteresis, svc.Quorum-1, svc.Quorum)
	}
}

func hasAddr(n *Node, a netip.Addr) bool {
	for _, ifc := range n.Interfaces {
		if ifc == nil {
			continue
		}
		for _, p := range ifc.Addresses {
			if p.Addr() == a {
				return true
			}
		}
	}
	return false
}

// drSegment: DR rewrites only the destination MAC, so each director must
// reach the real server on a shared L2 segment (seed 002: "dip所属的网络接口与
// 各RS的RIP所属的网络接口要在同一个物理网络").
func (v *validator) drSegment(rs *RealServer, n *Node, dirs []*Node, rb string) {
	if v.s.allows(AllowDRCrossSegment) {
		return
	}
	for _, d := range dirs {
		if x, _ := sharedSegment(n, d); x == nil {
			v.add(rb, "DR real server %s shares no segment with director %s: DR only rewrites the destination MAC, so RIP and DIP must be on one network (allow: [%s] to keep it)", rs.Node, d.Name, AllowDRCrossSegment)
		}
	}
}

// natGateway: a NAT real server must send its replies back through the
// director, so its gateway is the director's DIP on their shared segment,
// or a VRRP VIP the directors hold (seed 003 §4.1: web1's gateway is lvs's
// 192.168.188.81).
func (v *validator) natGateway(rs *RealServer, n *Node, dirs []*Node, rb string) {
	if v.s.allows(AllowNATGateway) || len(dirs) == 0 {
		return
	}
	var dip netip.Addr
	var via *Node
	for _, d := range dirs {
		_, di := sharedSegment(n, d)
		if di == nil {
			continue
		}
		for _, a := range di.Addresses {
			if a.Addr() == n.Gateway {
				return
			}
		}
		if v.vrrpVIPOf(d, n.Gateway) {
			return
		}
		if !dip.IsValid() && len(di.Addresses) > 0 {
			dip, via = di.Addresses[0].Addr(), d
		}
	}
	gw := "no gateway"
	if n.Gateway.IsValid() {
		gw = fmt.Sprintf("gateway %s", n.Gateway)
	}
	if via == nil {
		v.add(rb, "NAT real server %s shares no segment with director %s, so its gateway cannot be the DIP: replies would bypass the director (allow: [%s] to keep it)", rs.Node, dirs[0].Name, AllowNATGateway)
		return
	}
	v.add(rb, "NAT real server %s has %s, not director %s's DIP %s: replies would bypass the director (allow: [%s] to keep it)", rs.Node, gw, via.Name, dip, AllowNATGateway)
}

// vrrpVIPOf reports whether a is a VIP of a VRRP instance director d is in.
func (v *validator) vrrpVIPOf(d *Node, a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, x := range v.s.VRRP {
		if x == nil || !slices.ContainsFunc(x.Members, func(m *Member) bool { return m != nil && m.Node == d.Name }) {
			continue
		}
		if slices.ContainsFunc(x.VIPs, func(p netip.Prefix) bool { return p.Addr() == a }) {
			return true
		}
	}
	return false
}

func (v *validator) check(c *Check, cb string) {
	switch c.Type {
	case CheckTCP, CheckHTTP, CheckMisc:
	case "":
		v.add(join(cb, "type"), "a check type is required (TCP_CHECK, HTTP_GET or MISC_CHECK)")
	default:
		v.add(join(cb, "type"), "unknown check type %q (want TCP_CHECK, HTTP_GET or MISC_CHECK)", c.Type)
	}
	switch {
	case c.Type == CheckMisc && c.Script == "":
		v.add(join(cb, "script"), "MISC_CHECK needs a script")
	case c.Type != CheckMisc && c.Script != "":
		v.add(join(cb, "script"), "script is only for MISC_CHECK")
	}
	switch {
	case c.Type == CheckHTTP && c.URL == "":
		v.add(join(cb, "url"), "HTTP_GET needs a url (a path such as /)")
	case c.Type == CheckHTTP && !strings.HasPrefix(c.URL, "/"):
		v.add(join(cb, "url"), "url %q must be a path starting with /", c.URL)
	case c.Type != CheckHTTP && c.URL != "":
		v.add(join(cb, "url"), "url is only for HTTP_GET")
	}
	if c.StatusCode != 0 && (c.Type != CheckHTTP || c.StatusCode < 100 || c.StatusCode > 599) {
		v.add(join(cb, "status_code"), "status_code %d needs HTTP_GET and a value in 100..599", c.StatusCode)
	}
	atLeast := func(field string, val, low int) {
		if val < low {
			v.add(join(cb, field), "%s %d is below %d", field, val, low)
		}
	}
	atLeast("connect_timeout", c.ConnectTimeout, 1)
	atLeast("delay_loop", c.DelayLoop, 1)
	atLeast("retry", c.Retry, 0)
	atLeast("delay_before_retry", c.DelayBeforeRetry, 0)
	if c.Warmup != nil {
		atLeast("warmup", *c.Warmup, 0)
	}
}
