package verify

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/lvslab/lvslab/director/sched"
	"github.com/lvslab/lvslab/topo"
)

// minRequests is the least a distribution check sends through a VIP.
const minRequests = 20

// Requests is how many one-request connections the distribution check
// sends through svc's VIP: the least multiple of the scheduler's cycle
// that is at least minRequests. rr's sequence repeats every live server,
// wrr's every sum(weights)/gcd(weights) connections; any run of whole
// cycles gives each server exactly its share, wherever the scheduler's
// position was.
func Requests(svc *topo.Service) int {
	cycle := 1
	switch scheduler(svc) {
	case "rr":
		cycle = 0
		for _, d := range sched.List(svc) {
			if d.Weight > 0 {
				cycle++
			}
		}
	case "wrr":
		sum, g := 0, 0
		for _, d := range sched.List(svc) {
			if d.Weight > 0 {
				sum += d.Weight
				g = gcd(g, d.Weight)
			}
		}
		if g > 0 {
			cycle = sum / g
		}
	}
	cycle = max(cycle, 1)
	return (minRequests + cycle - 1) / cycle * cycle
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// scheduler is svc's scheduler, keepalived's and ipvsadm's default wlc
// when unset.
func scheduler(svc *topo.Service) string {
	if svc.Scheduler == "" {
		return topo.DefaultScheduler
	}
	return svc.Scheduler
}

// Predict is who answers n one-request connections from client through
// svc's VIP by the model of its scheduler (director/sched), each
// connection closed before the next opens (an inactive connection on
// the director, as the kernel counts it), from a fresh table: a node
// name per connection and the tally. A scheduler without a model is
// sched.ErrNoModel.
func Predict(svc *topo.Service, client netip.Addr, n int) ([]string, map[string]int, error) {
	s, err := sched.New(scheduler(svc), sched.List(svc))
	if err != nil {
		return nil, nil, err
	}
	seq := sched.Requests(s, sched.Conn{Client: client, VIP: svc.VIP}, n)
	tally := map[string]int{}
	for _, node := range seq {
		if node != "" {
			tally[node]++
		}
	}
	return seq, tally, nil
}

// exactSchedulers are those whose prediction for one client's
// sequential connections does not depend on when the director saw each
// connection close: rr and wrr over whole cycles, and the ones that
// pick by address or by weight alone.
var exactSchedulers = []string{"rr", "wrr", "sh", "dh", "mh", "fo", "ovf"}

// Tolerance is how far from its prediction a server's count may be: 0
// for exactSchedulers; for the least-connection family (lc, wlc, sed,
// nq), which count inactive connections, a tenth of n (at least 1),
// since a connection the director has not yet seen close still counts
// as active there.
func Tolerance(schedName string, n int) int {
	if slices.Contains(exactSchedulers, schedName) {
		return 0
	}
	return max(1, n/10)
}

// JudgeTally holds got to want within tol per server, and says how it
// differs when it does not.
func JudgeTally(got, want map[string]int, tol int) error {
	var bad []string
	keys := slices.Sorted(maps.Keys(want))
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		d := got[k] - want[k]
		if d > tol || -d > tol {
			bad = append(bad, fmt.Sprintf("%s answered %d, predicted %d", k, got[k], want[k]))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return nil
}

// FormatTally prints a tally in a fixed order: "web01=10 web02=10".
func FormatTally(t map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(t)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, t[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// Without is the VRRP instance v with the member node gone (its
// keepalived stopped or crashed).
func Without(v *topo.VRRP, node string) *topo.VRRP {
	c := *v
	c.Members = nil
	for _, m := range v.Members {
		if m.Node != node {
			c.Members = append(c.Members, m)
		}
	}
	return &c
}

// Preempts tells whether member m, starting while holder is MASTER of
// v, takes the VIPs back: its priority is higher and it has no
// nopreempt (or it is the address owner, 255).
func Preempts(m, holder *topo.Member) bool {
	if m.Priority == 255 {
		return true
	}
	return m.Priority > holder.Priority && !m.NoPreempt
}

// advertInt is v's advert_int, keepalived's default 1 when unset.
func advertInt(v *topo.VRRP) int {
	if v.AdvertInt == 0 {
		return topo.DefaultAdvertInt
	}
	return v.AdvertInt
}
