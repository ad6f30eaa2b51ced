package sched

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/lvslab/lvslab/topo"
)

// ErrNoModel is returned by [New] for a scheduler this package does not
// model (lblc, lblcr, twos).
var ErrNoModel = errors.New("no model of this scheduler")

// Dest is one real server as a scheduler sees it.
type Dest struct {
	Node string
	RIP  netip.Addr
	Port uint16
	// Weight is the server's weight; 0 quiesces it.
	Weight int
	// Active and Inactive are its connection counts (ipvsadm -Ln's
	// ActiveConn and InActConn).
	Active, Inactive int
}

// Overhead is ip_vs_dest_conn_overhead: (active << 8) + inactive.
func (d *Dest) Overhead() int64 { return int64(d.Active)<<8 + int64(d.Inactive) }

// available is what every scheduler checks first: a weight above 0
// (IP_VS_DEST_F_OVERLOAD, set by an upper threshold, is not modelled).
func (d *Dest) available() bool { return d.Weight > 0 }

// List is svc's real servers in the kernel's list order: the lab file's,
// reversed, as __ip_vs_update_dest adds a new real server at the head of
// the service's list (list_add_rcu).
func List(svc *topo.Service) []*Dest {
	var out []*Dest
	for _, rs := range slices.Backward(svc.RealServers) {
		w := topo.DefaultWeight
		if rs.Weight != nil {
			w = *rs.Weight
		}
		port := rs.Port
		if port == 0 {
			port = svc.Port
		}
		out = append(out, &Dest{Node: rs.Node, RIP: rs.RIP, Port: port, Weight: w})
	}
	return out
}

// Conn is what a scheduler may look at in a new connection's first packet.
type Conn struct {
	Client netip.Addr // the source address (sh, mh)
	VIP    netip.Addr // the destination address (dh)
}

// Scheduler is the model of one kernel scheduler over a service's list.
type Scheduler interface {
	// Schedule picks the real server of a new connection; nil when none
	// is available (the kernel then answers ICMP port unreachable).
	Schedule(c Conn) *Dest
}

// New returns the model of the scheduler named as ipvsadm -s names it,
// over list (in the kernel's order, see [List]). The model reads the
// Dests' weights and counts each time it schedules.
func New(name string, list []*Dest) (Scheduler, error) {
	switch name {
	case "rr":
		return &rr{list: list, last: -1}, nil
	case "wrr":
		return newWRR(list), nil
	case "lc":
		return schedFunc(func(Conn) *Dest { return leastConn(list) }), nil
	case "wlc":
		return schedFunc(func(Conn) *Dest { return weightedLeast(list, (*Dest).Overhead) }), nil
	case "sed":
		return schedFunc(func(Conn) *Dest { return weightedLeast(list, sedOverhead) }), nil
	case "nq":
		return schedFunc(func(Conn) *Dest { return neverQueue(list) }), nil
	case "fo":
		return schedFunc(func(Conn) *Dest { return failover(list) }), nil
	case "ovf":
		return schedFunc(func(Conn) *Dest { return overflow(list) }), nil
	case "sh":
		return newSH(list), nil
	case "dh":
		return newDH(list), nil
	case "mh":
		return newMH(list), nil
	}
	return nil, fmt.Errorf("model scheduler %q: %w", name, ErrNoModel)
}

type schedFunc func(Conn) *Dest

func (f schedFunc) Schedule(c Conn) *Dest { return f(c) }

// rr is ip_vs_rr_schedule: starting after the server chosen last (at
// first, the list's head), the next one with a weight above 0.
type rr struct {
	list []*Dest
	last int
}

func (s *rr) Schedule(Conn) *Dest {
	n := len(s.list)
	for i := 1; i <= n; i++ {
		j := (s.last + i + n) % n
		if s.last < 0 {
			j = i - 1
		}
		if s.list[j].available() {
			s.last = j
			return s.list[j]
		}
	}
	return nil
}

// leastConn is ip_vs_lc_schedule: the least overhead, the first of equals.
func leastConn(list []*Dest) *Dest {
	var least *Dest
	for _, d := range list {
		if !d.available() {
			continue
		}
		if least == nil || d.Overhead() < least.Overhead() {
			least = d
		}
	}
	return least
}

// sedOverhead is ip_vs_sed_dest_overhead: active + 1.
func sedOverhead(d *Dest) int64 { return int64(d.Active) + 1 }

// weightedLeast is ip_vs_wlc_schedule (with ip_vs_dest_conn_overhead) and
// ip_vs_sed_schedule (with active + 1): the least overhead per weight,
// compared crosswise as loh * dweight > doh * lweight, the first of equals.
func weightedLeast(list []*Dest, overhead func(*Dest) int64) *Dest {
	var least *Dest
	for _, d := range list {
		if !d.available() {
			continue
		}
		if least == nil || overhead(least)*int64(d.Weight) > overhead(d)*int64(least.Weight) {
			least = d
		}
	}
	return least
}

// neverQueue is ip_vs_nq_schedule: the first idle server (no active
// connections) at once, else as sed.
func neverQueue(list []*Dest) *Dest {
	var least *Dest
	for _, d := range list {
		if !d.available() {
			continue
		}
		if d.Active == 0 {
			return d
		}
		if least == nil || sedOverhead(least)*int64(d.Weight) > sedOverhead(d)*int64(least.Weight) {
			least = d
		}
	}
	return least
}

// failover is ip_vs_fo_schedule: the highest weight, the first of equals.
func failover(list []*Dest) *Dest {
	var high *Dest
	for _, d := range list {
		if d.available() && (high == nil || d.Weight > high.Weight) {
			high = d
		}
	}
	return high
}

// overflow is ip_vs_ovf_schedule: the highest weight among the servers
// whose active connections do not exceed their weight.
func overflow(list []*Dest) *Dest {
	var high *Dest
	for _, d := range list {
		if !d.available() || d.Active > d.Weight {
			continue
		}
		if high == nil || d.Weight > high.Weight {
			high = d
		}
	}
	return high
}
