package labup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
)

// ReadySlack is added to every bound WaitReady computes from the lab
// file's timers: the time keepalived takes to start and read its
// configuration, and the emulated guest kernel's slowness on a busy
// machine.
const ReadySlack = 10 * time.Second

// readyPoll is how often WaitReady looks again.
const readyPoll = 20 * time.Millisecond

// Ready is one kind of readiness WaitReady saw: what became ready, how
// long after WaitReady began, and the bound it had.
type Ready struct {
	Kind  string // "backends", "table" or "vrrp"
	What  string // e.g. "lvs01 MASTER of VI_1 holds 192.168.10.30"
	Took  time.Duration
	Bound time.Duration
}

// String is the line `lvslab up` prints, e.g. "ready: lvs01 MASTER of
// VI_1 holds 192.168.10.30 after 3.4 s".
func (r Ready) String() string {
	return fmt.Sprintf("ready: %s after %.1f s", r.What, r.Took.Seconds())
}

// WaitReady waits until the lab Up started is ready for a user's first
// request, in three steps, each bounded by the lab file's timers plus
// ReadySlack, measured from the call:
//
//   - backends: every real server's backend listens on its ports
//     (realserver.NotListening);
//   - table: every director of each service lists the service's real
//     servers with their weights (director.Table.Lacks); on a director
//     keepalived manages that is after its health checks kept them, so
//     the bound is keepalived.CheckBound of the service's check;
//   - vrrp: each VRRP instance has one MASTER holding all its VIPs alone,
//     a member keepalived.ExpectedMasters names, bounded by
//     keepalived.SettleBound (Master_Down_Interval, preempt_delay).
//
// It returns what it saw, one Ready per real-server group, service and
// instance, or an error naming what never became ready. A director with
// its own keepalived.conf (`keepalived: PATH`) is not checked for tables:
// the lab file does not say what that file programs. Call it after Up,
// with backends (Options.NoBackends unset).
func WaitReady(ctx context.Context, lab *topo.Lab) ([]Ready, error) {
	start := time.Now()
	var out []Ready
	r, err := waitBackends(ctx, lab, start)
	if err != nil {
		return out, err
	}
	if r != nil {
		out = append(out, *r)
	}
	for _, svc := range lab.Spec.Services {
		r, err := waitTable(ctx, lab, svc, start)
		if err != nil {
			return out, err
		}
		if r != nil {
			out = append(out, *r)
		}
	}
	for _, v := range lab.Spec.VRRP {
		r, err := waitVRRP(ctx, lab, v, start)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// until polls done until it says true, or bound after start has passed.
// done returns what is still missing, for the error.
func until(ctx context.Context, start time.Time, bound time.Duration, what string, done func() (missing string, err error)) (time.Duration, error) {
	ctx, cancel := context.WithDeadline(ctx, start.Add(bound))
	defer cancel()
	for {
		missing, err := done()
		if err != nil {
			return 0, err
		}
		if missing == "" {
			return time.Since(start), nil
		}
		t := time.NewTimer(readyPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, fmt.Errorf("%s: not after %.1f s: %s: %w", what, bound.Seconds(), missing, ctx.Err())
		case <-t.C:
		}
	}
}

func waitBackends(ctx context.Context, lab *topo.Lab, start time.Time) (*Ready, error) {
	var hosts []*topo.Host
	for _, h := range lab.Hosts() {
		if h.Spec.Role == topo.RoleRealServer {
			hosts = append(hosts, h)
		}
	}
	if len(hosts) == 0 {
		return nil, nil
	}
	var names []string
	took, err := until(ctx, start, ReadySlack, "wait for the backends to listen", func() (string, error) {
		names = names[:0]
		var missing []string
		for _, h := range hosts {
			names = append(names, h.Name())
			if running, err := realserver.Running(h); err != nil {
				return "", err
			} else if !running {
				return "", fmt.Errorf("wait for the backends to listen: the backend on %s does not run (log %s)", h.Name(), h.ProcessLog(realserver.ProcessName))
			}
			socks, err := realserver.NotListening(h, realserver.ServiceOptions(lab.Spec, h.Name()))
			if err != nil {
				return "", err
			}
			if len(socks) > 0 {
				missing = append(missing, h.Name()+" not on "+strings.Join(socks, ", "))
			}
		}
		return strings.Join(missing, "; "), nil
	})
	if err != nil {
		return nil, err
	}
	return &Ready{Kind: "backends", What: strings.Join(names, ", ") + " listen", Took: took, Bound: ReadySlack}, nil
}

func waitTable(ctx context.Context, lab *topo.Lab, svc *topo.Service, start time.Time) (*Ready, error) {
	var dirs []*topo.Host
	bound := ReadySlack
	for _, name := range svc.Directors {
		h, err := lab.Host(name)
		if err != nil {
			return nil, err
		}
		if h.Spec.Keepalived != "" {
			continue // its own keepalived.conf: the lab file does not say
		}
		if keepalived.Manages(lab.Spec, name) {
			bound = max(bound, keepalived.CheckBound(svc.Check)+ReadySlack)
		}
		dirs = append(dirs, h)
	}
	if len(dirs) == 0 || len(svc.RealServers) == 0 {
		return nil, nil
	}
	what := "wait for " + director.ServiceName(svc) + " in the IPVS tables"
	took, err := until(ctx, start, bound, what, func() (string, error) {
		var missing []string
		for _, h := range dirs {
			t, err := director.Snapshot(h)
			if err != nil {
				return "", err
			}
			if lacks := t.Lacks(svc); len(lacks) > 0 {
				missing = append(missing, h.Name()+" lacks "+strings.Join(lacks, ", "))
			}
		}
		return strings.Join(missing, "; "), nil
	})
	if err != nil {
		return nil, err
	}
	var names, rss []string
	for _, h := range dirs {
		names = append(names, h.Name())
	}
	for _, rs := range svc.RealServers {
		rss = append(rss, rs.Node)
	}
	return &Ready{
		Kind: "table", Took: took, Bound: bound,
		What: fmt.Sprintf("%s list %s for %s", strings.Join(names, ", "), strings.Join(rss, ", "), director.ServiceName(svc)),
	}, nil
}

func waitVRRP(ctx context.Context, lab *topo.Lab, v *topo.VRRP, start time.Time) (Ready, error) {
	bound := keepalived.SettleBound(v) + ReadySlack
	candidates := keepalived.ExpectedMasters(v)
	ctx, cancel := context.WithDeadline(ctx, start.Add(bound))
	defer cancel()
	master, _, err := keepalived.WaitInstance(ctx, lab, v, candidates)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w; not after %.1f s (Master_Down_Interval and preempt_delay %.1f s + %s)%s",
				err, bound.Seconds(), keepalived.SettleBound(v).Seconds(), ReadySlack, vrrpStates(lab, v))
		}
		return Ready{}, err
	}
	var vips []string
	for _, p := range v.VIPs {
		vips = append(vips, p.Addr().String())
	}
	return Ready{
		Kind: "vrrp", Took: time.Since(start), Bound: bound,
		What: fmt.Sprintf("%s MASTER of %s holds %s", master, v.Name, strings.Join(vips, ", ")),
	}, nil
}

// vrrpStates says what each member's keepalived last logged about the
// instance, for an error.
func vrrpStates(lab *topo.Lab, v *topo.VRRP) string {
	var parts []string
	for _, m := range v.Members {
		h, err := lab.Host(m.Node)
		if err != nil {
			continue
		}
		insts, err := keepalived.States(h)
		if err != nil {
			continue
		}
		state := "no state logged"
		for _, in := range insts {
			if in.Name == v.Name && in.State != "" {
				state = in.State
			}
		}
		parts = append(parts, fmt.Sprintf("%s %s (log %s)", m.Node, state, h.ProcessLog(keepalived.ProcessName)))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, ", ")
}
