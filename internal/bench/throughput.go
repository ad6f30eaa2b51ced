package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/lvslab/lvslab/internal/labup"
	"github.com/lvslab/lvslab/topo"
	"github.com/lvslab/lvslab/vm"
)

// ThroughputLabs are the labs [Throughput] measures when given no file:
// one per forwarding method.
var ThroughputLabs = []string{"labs/nat.yaml", "labs/dr.yaml", "labs/tun.yaml"}

// throughputLab is the name prefix each lab is stood up under while
// measured: bench-tp-nat, bench-tp-dr … (one name per lab, so that one
// lab's teardown never races the next one's build).
const throughputLab = "bench-tp-"

// ThroughputTarget is the least ours/wrk the throughput benchmark
// expects.
const ThroughputTarget = 0.8

// Target is one place requests go to, and what each tool made of it.
type Target struct {
	Label string // "VIP 192.168.10.100:80", "RIP web1 …"
	Addr  netip.AddrPort
	Ours  Rate
	Wrk   Rate
}

// Ratio is ours/wrk, ok false when wrk had no reply.
func (t Target) Ratio() (r float64, ok bool) {
	if t.Wrk.PerSec <= 0 {
		return 0, false
	}
	return t.Ours.PerSec / t.Wrk.PerSec, true
}

// ThroughputLab is one lab's measurement.
type ThroughputLab struct {
	File string
	// Name is the lab's name in its file.
	Name   string
	Method topo.Forward
	// Targets are the VIP, then the real server's RIP (the direct path).
	Targets []Target
	// Retried says why the lab was stood up a second time; "" when the
	// first went well.
	Retried string
	// Err is why the lab was not measured; nil when it was.
	Err error
}

// ThroughputResult is what [Throughput] measured.
type ThroughputResult struct {
	Duration time.Duration
	// Emulated: measured in lvslab's guest (TCG unless KVM), not at this
	// host's speed.
	Emulated bool
	Labs     []ThroughputLab
}

// Lowest is the lowest ours/wrk over every target, ok false when none
// had a ratio.
func (r *ThroughputResult) Lowest() (lowest float64, ok bool) {
	for _, l := range r.Labs {
		for _, t := range l.Targets {
			if q, has := t.Ratio(); has && (!ok || q < lowest) {
				lowest, ok = q, true
			}
		}
	}
	return lowest, ok
}

// Write prints one table: per lab and target both tools' requests/s,
// their ratio and ours next to ours on the direct path; then the lowest
// ratio against ThroughputTarget.
func (r *ThroughputResult) Write(w io.Writer) {
	where := "native (this host's kernel)"
	if r.Emulated {
		where = "EMULATED: in lvslab's guest (TCG unless KVM), not this host's speed; native client vs wrk: lvslab bench --client"
	}
	fmt.Fprintf(w, "requests/s through each method's VIP and to a RIP, %s\n", where)
	fmt.Fprintf(w, "%-6s %-32s %12s %12s %9s %18s   (%s each, new connection per request)\n",
		"method", "target", "ours req/s", "wrk req/s", "ours/wrk", "vs direct (ours)", r.Duration)
	for _, l := range r.Labs {
		if l.Retried != "" {
			fmt.Fprintf(w, "# %s: %s; trying once more\n", l.Name, l.Retried)
		}
		if l.Err != nil {
			fmt.Fprintf(w, "%-6s not measured: %v\n", l.Name, l.Err)
			continue
		}
		direct := l.Targets[len(l.Targets)-1].Ours.PerSec
		for _, t := range l.Targets {
			ratio := "-"
			if q, ok := t.Ratio(); ok {
				ratio = fmt.Sprintf("%.2f", q)
			}
			vsDirect := "-"
			if direct > 0 {
				vsDirect = fmt.Sprintf("%.2f", t.Ours.PerSec/direct)
			}
			fmt.Fprintf(w, "%-6s %-32s %12s %12s %9s %18s", l.Method, t.Label, t.Ours, t.Wrk, ratio, vsDirect)
			if t.Ours.Failed > 0 || t.Wrk.Failed > 0 {
				fmt.Fprintf(w, "   (failed: ours %d %v, wrk %d)", t.Ours.Failed, t.Ours.Kinds, t.Wrk.Failed)
			}
			fmt.Fprintln(w)
		}
	}
	if lowest, ok := r.Lowest(); ok {
		verdict := "ok"
		if lowest < ThroughputTarget {
			verdict = "BELOW TARGET"
		}
		fmt.Fprintf(w, "lowest ours/wrk: %.2f (target >= %.1f): %s\n", lowest, ThroughputTarget, verdict)
	}
}

// Throughput stands up each lab file in turn (ThroughputLabs when none)
// and measures requests/s through its VIP and directly to one real
// server's RIP, with lvslab's client (Ours) and with wrk (Wrk), both
// opening a new connection per request, for d each. One lab's failure
// leaves the others' figures standing: it is in its row, and in the
// error returned at the end. It needs a kernel with IPVS.
func Throughput(ctx context.Context, files []string, d time.Duration) (*ThroughputResult, error) {
	if d <= 0 || d > time.Minute {
		return nil, fmt.Errorf("bench: duration %s: want more than 0, up to 1m", d)
	}
	if len(files) == 0 {
		files = ThroughputLabs
	}
	res := &ThroughputResult{Duration: d, Emulated: os.Getenv(vm.InVMEnv) == "1"}
	var failed []error
	for _, file := range files {
		spec, err := topo.Load(file)
		if err != nil {
			return res, err
		}
		l := ThroughputLab{File: file, Name: spec.Name}
		if err := measureLab(ctx, spec, d, &l); err != nil {
			l.Err = fmt.Errorf("bench %s: %w", filepath.Base(file), err)
			failed = append(failed, l.Err)
		}
		res.Labs = append(res.Labs, l)
	}
	return res, errors.Join(failed...)
}

// measureLab stands spec's lab up, measures its first TCP service's VIP
// and its first real server's RIP into l, and tears the lab down.
func measureLab(ctx context.Context, spec *topo.Spec, d time.Duration, l *ThroughputLab) error {
	svc, err := HTTPService(spec)
	if err != nil {
		return err
	}
	cl := spec.FirstOf(topo.RoleClient)
	if cl == nil {
		return errors.New("no client node")
	}
	rs := svc.RealServers[0]
	port := rs.Port // SetDefaults made it the service's port if the file had none
	name := throughputLab + spec.Name
	opts := labup.Options{
		BuildOptions: topo.BuildOptions{Name: name, Owner: os.Getpid(), Force: true},
	}
	lab, err := labup.Up(ctx, spec, opts)
	if err != nil {
		// Under an emulated guest a backend has been seen to exit at
		// start now and then (labs/tun.yaml: "backend exited", empty
		// log); one more try, said out loud, then give up.
		l.Retried = err.Error()
		if lab, err = labup.Up(ctx, spec, opts); err != nil {
			return err
		}
	}
	defer func() { _ = topo.Destroy(name) }()
	h, err := lab.Host(cl.Name)
	if err != nil {
		return err
	}
	l.Method = svc.Forward
	vip, rip := netip.AddrPortFrom(svc.VIP, svc.Port), netip.AddrPortFrom(rs.RIP, port)
	targets := []Target{
		{Label: "VIP " + vip.String(), Addr: vip},
		{Label: "RIP " + rs.Node + " " + rip.String(), Addr: rip},
	}
	if err := routeToRIP(spec, h, svc, rs.RIP); err != nil {
		return err
	}
	for i := range targets {
		t := &targets[i]
		// Both tools first prove the path with a few requests, so that a
		// broken lab fails loudly instead of printing zeros.
		if err := WarmUp(ctx, h, t.Addr); err != nil {
			return fmt.Errorf("%s: %w", t.Label, err)
		}
		if t.Ours, err = Ours(ctx, h, t.Addr, d); err != nil {
			return fmt.Errorf("%s: %w", t.Label, err)
		}
		if t.Wrk, err = Wrk(ctx, h, t.Addr, d); err != nil {
			return fmt.Errorf("%s: %w", t.Label, err)
		}
	}
	l.Targets = targets
	return nil
}

// routeToRIP makes rip reachable from the client h for the direct
// measurement. In a NAT lab the client has no route to the real servers'
// network (that is the point of NAT): the bench lab's client gets a host
// route to rip through the director's address on the client's segment,
// so the direct path crosses the same hops, without IPVS. Equivalent to:
// `ip -n LAB-client route add RIP/32 via DIRECTOR`.
func routeToRIP(spec *topo.Spec, h *topo.Host, svc *topo.Service, rip netip.Addr) error {
	nl, err := h.Netlink()
	if err != nil {
		return err
	}
	defer nl.Close()
	if _, err := nl.RouteGet(rip.AsSlice()); err == nil {
		return nil
	}
	via, err := DirectorOnSegment(spec, h.Spec, svc)
	if err != nil {
		return fmt.Errorf("route to RIP %s: %w", rip, err)
	}
	route := &netlink.Route{Dst: topo.IPNet(netip.PrefixFrom(rip, rip.BitLen())), Gw: via.AsSlice()}
	if err := nl.RouteAdd(route); err != nil {
		return fmt.Errorf("add route to RIP %s via %s on %s: %w", rip, via, h.Name(), err)
	}
	return nil
}

// DirectorOnSegment is the address of the first of svc's directors with
// an address on a segment the client node cl is on.
func DirectorOnSegment(spec *topo.Spec, cl *topo.Node, svc *topo.Service) (netip.Addr, error) {
	segs := map[string]bool{}
	for _, i := range cl.Interfaces {
		segs[i.Segment] = true
	}
	for _, name := range svc.Directors {
		n := spec.Node(name)
		if n == nil {
			continue
		}
		for _, i := range n.Interfaces {
			if segs[i.Segment] && len(i.Addresses) > 0 {
				return i.Addresses[0].Addr(), nil
			}
		}
	}
	return netip.Addr{}, errors.New("no route, and no director on the client's segment")
}
