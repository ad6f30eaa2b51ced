package verify

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/lvslab/lvslab/internal/importer"
	"github.com/lvslab/lvslab/topo"
)

// requestTimeout bounds each request of the distribution and path
// checks: a lab answers in tens of ms, but a loaded TCG guest has let
// one of 20 wait past a second. (The slacks on keepalived's formulas are
// director/keepalived's, the scenarios' too.)
const requestTimeout = 3 * time.Second

// Options tune Run.
type Options struct {
	// Client is the node requests leave from; "" is the lab's first
	// client node.
	Client string
	// CaptureDir is where the path check's pcaps go; "" is the lab's
	// state directory.
	CaptureDir string
	// Binary is the lvslab executable the health check restarts backends
	// with; "" is realserver.Binary() (this program).
	Binary string
	// Only runs the checks of these kinds (master, distribution, arp,
	// path, health, failover); empty runs them all.
	Only []string
	// Caveats are the lines of the user's configuration that cannot run
	// in the lab as written (importer.Result.Caveats, or
	// importer.CaveatsOf a lab file): the checks of a service whose
	// health check one defeats are skipped with its FILE:LINE, not
	// failed.
	Caveats []importer.Caveat
	// Progress, if set, is called with each result as it is made.
	Progress func(Result)
}

// The kinds of check, in Run's order.
const (
	KindMaster       = "master"
	KindDistribution = "distribution"
	KindPersistence  = "persistence"
	KindARP          = "arp"
	KindPath         = "path"
	KindHealth       = "health"
	KindSorry        = "sorry"
	KindFailover     = "failover"
)

// Kinds are the values Options.Only takes.
var Kinds = []string{KindMaster, KindDistribution, KindARP, KindPath, KindHealth, KindFailover}

// Run makes the battery's checks on lab, which must be up (labup.Up;
// best after labup.WaitReady), and returns their results in order. It
// fails only when it cannot start (no client node, an unknown kind) or
// when ctx ends; a check that cannot be made is a failed result with its
// cause. The checks stop and start backends and keepalived: tear the lab
// down after.
func Run(ctx context.Context, lab *topo.Lab, opts Options) ([]Result, error) {
	if err := CheckKinds(opts.Only); err != nil {
		return nil, err
	}
	b, err := newBattery(lab, opts)
	if err != nil {
		return nil, err
	}
	b.ctx = ctx
	steps := []struct {
		kind string
		run  func(context.Context)
	}{
		{KindMaster, b.masters},
		{KindDistribution, b.distribution},
		{KindARP, b.arp},
		{KindPath, b.paths},
		{KindHealth, b.health},
		{KindFailover, b.failover},
	}
	for _, s := range steps {
		if len(opts.Only) > 0 && !slices.Contains(opts.Only, s.kind) {
			continue
		}
		s.run(ctx)
		if err := ctx.Err(); err != nil {
			return b.results, fmt.Errorf("verify %s: %w", lab.Name, err)
		}
	}
	return b.results, nil
}

// CheckKinds fails on a kind of check that is not one of Kinds.
func CheckKinds(only []string) error {
	for _, k := range only {
		if !slices.Contains(Kinds, k) {
			return fmt.Errorf("verify: unknown check %q (want one of %s)", k, strings.Join(Kinds, ", "))
		}
	}
	return nil
}

// battery is one run of the checks over a lab.
type battery struct {
	ctx     context.Context // Run's: a check it ended is not recorded
	lab     *topo.Lab
	opts    Options
	client  *topo.Host
	source  netip.Addr // the client's own address
	results []Result
}

func newBattery(lab *topo.Lab, opts Options) (*battery, error) {
	name := opts.Client
	if n := lab.Spec.FirstOf(topo.RoleClient); name == "" && n != nil {
		name = n.Name
	}
	if name == "" {
		return nil, fmt.Errorf("verify %s: the lab has no client node to send requests from", lab.Name)
	}
	h, err := lab.Host(name)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", lab.Name, err)
	}
	b := &battery{lab: lab, opts: opts, client: h}
	for _, ifc := range h.Spec.Interfaces {
		if len(ifc.Addresses) > 0 {
			b.source = ifc.Addresses[0].Addr()
			break
		}
	}
	return b, nil
}

// check makes one check: f fills in the result; an error from f is a
// failure with the error as its cause (unless f already gave one).
func (b *battery) check(kind, name string, f func(r *Result) error) {
	r := Result{Check: kind, Name: name, Verdict: Pass}
	start := time.Now()
	if err := f(&r); err != nil {
		r.Verdict = Fail
		if r.Cause == "" {
			r.Cause = err.Error()
		}
	}
	r.Took = time.Since(start)
	if b.ctx != nil && b.ctx.Err() != nil {
		return // interrupted (Ctrl-C): no verdict
	}
	b.results = append(b.results, r)
	if b.opts.Progress != nil {
		b.opts.Progress(r)
	}
}

// skip records a check that does not apply, saying why.
func (b *battery) skip(kind, name, why string) {
	b.check(kind, name, func(r *Result) error {
		r.Verdict, r.Figure = Skip, why
		return nil
	})
}

// errCause marks a failure whose Result.Cause was set by the check.
var errCause = errors.New("see the cause")

// fail sets r's cause and returns errCause.
func fail(r *Result, format string, args ...any) error {
	r.Cause = fmt.Sprintf(format, args...)
	return errCause
}

// target is where clients connect for svc: VIP:port, or for a
// firewall-mark service its first port; false for one without a port.
func target(svc *topo.Service) (netip.AddrPort, bool) {
	port := svc.Port
	if port == 0 && len(svc.Ports) > 0 {
		port = svc.Ports[0]
	}
	return netip.AddrPortFrom(svc.VIP, port), port != 0
}

// serviceName names svc in results: "vs1 tcp 192.168.10.30:80".
func serviceName(svc *topo.Service) string {
	t, _ := target(svc)
	proto := svc.Protocol
	if proto == "" {
		proto = topo.DefaultProtocol
	}
	if svc.FWMark != 0 {
		return fmt.Sprintf("%s fwmark %d (%s)", svc.Name, svc.FWMark, t)
	}
	return fmt.Sprintf("%s %s %s", svc.Name, proto, t)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
