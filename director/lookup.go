package director

import (
	"net/netip"

	"github.com/moby/ipvs"

	"github.com/lvslab/lvslab/topo"
)

// Service is the table's entry for the lab file's service svc (matched
// by firewall mark, or by protocol, VIP and port), or nil.
func (t *Table) Service(svc *topo.Service) *ServiceEntry {
	want, err := kernelService(svc)
	if err != nil {
		return nil
	}
	for i, e := range t.Services {
		s := e.Service
		if want.FWMark != 0 {
			if s.FWMark == want.FWMark {
				return &t.Services[i]
			}
			continue
		}
		if s.FWMark == 0 && s.Protocol == want.Protocol && s.Port == want.Port && s.Address.Equal(want.Address) {
			return &t.Services[i]
		}
	}
	return nil
}

// ServiceAt is the table's service on vip (an address and port service,
// of any protocol; not a firewall-mark one), or nil. Equivalent to:
// `ipvsadm -Ln -t VIP:PORT`.
func (t *Table) ServiceAt(vip netip.AddrPort) *ServiceEntry {
	for i, e := range t.Services {
		s := e.Service
		if s.FWMark != 0 || s.Port != vip.Port() {
			continue
		}
		if a, ok := netip.AddrFromSlice(s.Address); ok && a.Unmap() == vip.Addr().Unmap() {
			return &t.Services[i]
		}
	}
	return nil
}

// Weights are the service's real servers' weights, keyed by RIP: the
// Weight column of `ipvsadm -Ln`.
func (e *ServiceEntry) Weights() map[string]int {
	out := map[string]int{}
	for _, d := range e.Destinations {
		out[d.Address.String()] = d.Weight
	}
	return out
}

// Connections are the connections the service has sent each real server
// since it was added, keyed by RIP: the Conns column of `ipvsadm -Ln
// --stats`.
func (e *ServiceEntry) Connections() map[string]uint32 {
	out := map[string]uint32{}
	for _, d := range e.Destinations {
		out[d.Address.String()] = d.Stats.Connections
	}
	return out
}

// Active is the service's active connections, all its real servers
// together: the ActiveConn column of `ipvsadm -Ln`, summed.
func (e *ServiceEntry) Active() int {
	n := 0
	for _, d := range e.Destinations {
		n += d.ActiveConnections
	}
	return n
}

// ConnsWhere lists the entries of the connection table keep accepts
// (Conn.Template for the persistence templates), in the table's order.
func (t *Table) ConnsWhere(keep func(Conn) bool) []Conn {
	var out []Conn
	for _, c := range t.Conns {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// ConnFrom is the connection table's entry for the client's connection
// from the address and port from; ok false when there is none.
func (t *Table) ConnFrom(from netip.AddrPort) (c Conn, ok bool) {
	for _, c := range t.Conns {
		if c.Client == from {
			return c, true
		}
	}
	return Conn{}, false
}

// Lacks names the real servers of svc that the table does not list with
// their weight from the lab file: absent (never added, or removed by a
// failed health check), or at another weight (weight 0: quiesced, or
// inhibit_on_failure). It names them all when svc is not in the table.
// The sorry server is not counted. Equivalent to: comparing
// `ipvsadm -Ln -t VIP:PORT` with the lab file.
func (t *Table) Lacks(svc *topo.Service) []string {
	e := t.Service(svc)
	var out []string
	for _, rs := range svc.RealServers {
		want, err := kernelDestination(svc, rs)
		if err != nil || e == nil || !lists(e.Destinations, want) {
			out = append(out, rsName(rs))
		}
	}
	return out
}

func lists(dests []*ipvs.Destination, want *ipvs.Destination) bool {
	for _, d := range dests {
		if d.Address.Equal(want.Address) && d.Port == want.Port {
			return d.Weight == want.Weight
		}
	}
	return false
}

// Holds tells whether the director, holding entry c, sends a new SYN from
// c's client address and port to c's real server without scheduling it.
// Only a SYN schedules, and a SYN that matches an entry is scheduled
// anew only where net.ipv4.vs.conn_reuse_mode (default 1) allows: a TCP
// entry in TIME_WAIT or CLOSE is expired and the SYN scheduled; any other
// entry keeps it. Under DR and TUN the director sees only the client's
// half of a connection, so a finished one stays in FIN_WAIT (two minutes
// by default), and a client that picks the same source port again in that
// time reaches the same real server, whatever the scheduler would say
// (conn_reuse_mode's bit 2, value 2, would reschedule from FIN_WAIT
// too). A persistence template (port 0) never matches a connection.
func (c Conn) Holds() bool {
	return c.Protocol == "TCP" && c.Client.Port() != 0 && c.State != "TIME_WAIT" && c.State != "CLOSE"
}

// Held maps the client ports of the entries from client to vip that hold
// a new SYN (Conn.Holds) to their real servers.
func (t *Table) Held(client netip.Addr, vip netip.AddrPort) map[uint16]netip.AddrPort {
	out := map[uint16]netip.AddrPort{}
	for _, c := range t.Conns {
		if c.Client.Addr() == client && c.Virtual == vip && c.Holds() {
			out[c.Client.Port()] = c.Dest
		}
	}
	return out
}
