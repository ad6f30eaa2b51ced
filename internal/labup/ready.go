package labup

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/internal/daemon"
	"github.com/lvslab/lvslab/internal/workers"
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

// Ready is one kind of readiness WaitReady saw: what became ready, when
// it saw it, and the bound it had, both measured from the start of the
// processes it waited for (Since names them).
type Ready struct {
	Kind  string // "backends", "table" or "vrrp"
	What  string // e.g. "lvs01 MASTER of VI_1 holds 192.168.10.30"
	Since string // e.g. "lvs01's keepalived started"
	// Took is from the processes' start to WaitReady seeing it ready: the
	// time it took, or less, if it was ready at WaitReady's first look.
	Took  time.Duration
	Bound time.Duration
	// Waited is how long WaitReady waited for it.
	Waited time.Duration
	// First is true when it was ready at WaitReady's first look: then
	// Took is when WaitReady looked, an upper bound.
	First bool
}

// String is the line `lvslab up` prints, e.g. "ready: lvs01 MASTER of
// VI_1 holds 192.168.10.30 after 3.7 s (since lvs01's keepalived
// started; bound 13.6 s)".
func (r Ready) String() string {
	when := "after"
	if r.First {
		when = "already at the first look,"
	}
	return fmt.Sprintf("ready: %s %s %.1f s (since %s; bound %.1f s)", r.What, when, r.Took.Seconds(), r.Since, r.Bound.Seconds())
}

// started is when node h's supervised process name started; an error
// when it does not run.
func started(h *topo.Host, name string) (time.Time, error) {
	if _, running, err := daemon.Status(h, name); err != nil {
		return time.Time{}, err
	} else if !running {
		return time.Time{}, fmt.Errorf("%s on %s does not run (log %s)", name, h.Name(), daemon.LogPath(h, name))
	}
	rec, err := daemon.ReadRecord(h, name)
	if err != nil {
		return time.Time{}, err
	}
	return rec.Started, nil
}

// WaitReady waits until the lab Up started is ready for a user's first
// request, in three steps, each bounded by the lab file's timers plus
// ReadySlack, measured from the start of the processes it waits for:
//
//   - backends: every real server's backend still runs and listens on its
//     ports (realserver.NotListening), from the call (Up's
//     realserver.Start waited for the sockets already);
//   - table: every director of each service lists the service's real
//     servers with their weights (director.Table.Lacks); on a director
//     keepalived manages, its checker has also logged a pass of each
//     server's first TCP_CHECK or HTTP_GET (keepalived.Checks), and the
//     bound is keepalived.CheckBound of the service's check (warmup,
//     delay_loop, connect_timeout);
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
	start := time.Now() // the origin of a director whose table labup programmed
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
		r, err := waitVRRP(ctx, lab, v)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// until polls done until it says true, or bound after origin has
// passed, and returns the time from origin to then (at least 0), how
// long it polled and whether the first look saw it. done returns what is
// still missing, for the error.
func until(ctx context.Context, origin time.Time, bound time.Duration, what string, done func() (missing string, err error)) (took, waited time.Duration, first bool, err error) {
	begin := time.Now()
	ctx, cancel := context.WithDeadline(ctx, origin.Add(bound))
	defer cancel()
	for first = true; ; first = false {
		missing, err := done()
		if err != nil {
			return 0, 0, false, err
		}
		if missing == "" {
			return max(0, time.Since(origin)), time.Since(begin), first, nil
		}
		t := time.NewTimer(readyPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			if time.Now().Before(origin.Add(bound)) {
				return 0, 0, false, fmt.Errorf("%s: %s: %w", what, missing, ctx.Err())
			}
			return 0, 0, false, fmt.Errorf("%s: not %.1f s after they started: %s: %w", what, bound.Seconds(), missing, ctx.Err())
		case <-t.C:
		}
	}
}

// waitBackends checks that every real server's backend runs and listens,
// from start: realserver.Start waited for its sockets already, so this
// sees that none has died since. The nodes are looked at concurrently
// (workers.Each): each look enters the node's namespace, and 100 of them
// one after another took 0.9 s in the TCG guest.
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
	names, order := make([]string, len(hosts)), make([]int, len(hosts))
	for i, h := range hosts {
		names[i], order[i] = h.Name(), i
	}
	took, waited, first, err := until(ctx, start, ReadySlack, "wait for the servers to listen", func() (string, error) {
		missing := make([]string, len(hosts)) // by host, so the error lists them in order
		err := workers.Each(ctx, 0, order, func(_ context.Context, i int) error {
			h := hosts[i]
			if running, err := realserver.Running(h); err != nil {
				return err
			} else if !running {
				return fmt.Errorf("wait for the servers to listen: the server on %s does not run (log %s)", h.Name(), daemon.LogPath(h, realserver.ProcessName))
			}
			socks, err := realserver.NotListening(h, realserver.ServiceOptions(lab.Spec, h.Name()))
			if err == nil && len(socks) > 0 {
				missing[i] = h.Name() + " not on " + strings.Join(socks, ", ")
			}
			return err
		})
		return strings.Join(slices.DeleteFunc(missing, func(s string) bool { return s == "" }), "; "), err
	})
	if err != nil {
		return nil, err
	}
	return &Ready{Kind: "backends", What: strings.Join(names, ", ") + " listen", Since: "the wait began",
		Took: took, Waited: waited, First: first, Bound: ReadySlack}, nil
}

func waitTable(ctx context.Context, lab *topo.Lab, svc *topo.Service, start time.Time) (*Ready, error) {
	var dirs []*topo.Host
	checked := map[string]bool{} // directors whose checker's verdicts count
	bound := ReadySlack
	origin, since := start, "the wait began"
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
			checked[name] = loggedCheck(svc)
			t, err := started(h, keepalived.ProcessName)
			if err != nil {
				return nil, fmt.Errorf("wait for %s in the IPVS tables: %w", director.ServiceName(svc), err)
			}
			if since == "the wait began" || t.After(origin) {
				origin, since = t, name+"'s keepalived started"
			}
		}
		dirs = append(dirs, h)
	}
	if len(dirs) == 0 || len(svc.RealServers) == 0 {
		return nil, nil
	}
	what := "wait for " + director.ServiceName(svc) + " in the IPVS tables"
	took, waited, first, err := until(ctx, origin, bound, what, func() (string, error) {
		var missing []string
		for _, h := range dirs {
			t, err := director.Snapshot(h)
			if err != nil {
				return "", err
			}
			if lacks := t.Lacks(svc); len(lacks) > 0 {
				missing = append(missing, h.Name()+" lacks "+strings.Join(lacks, ", "))
				continue
			}
			if !checked[h.Name()] {
				continue
			}
			passed, err := keepalived.Checks(h)
			if err != nil {
				return "", err
			}
			var unchecked []string
			for _, rs := range svc.RealServers {
				if !passed[checkKey(svc, rs)] {
					unchecked = append(unchecked, rs.Node)
				}
			}
			if len(unchecked) > 0 {
				missing = append(missing, h.Name()+"'s checker has not passed "+strings.Join(unchecked, ", ")+" yet")
			}
		}
		return strings.Join(missing, "; "), nil
	})
	if err != nil {
		return nil, err
	}
	var names, rss []string
	passed := ""
	for _, h := range dirs {
		names = append(names, h.Name())
		if checked[h.Name()] {
			passed = ", their " + svc.Check.Type + " passed"
		}
	}
	for _, rs := range svc.RealServers {
		rss = append(rss, rs.Node)
	}
	return &Ready{
		Kind: "table", Took: took, Waited: waited, First: first, Bound: bound, Since: since,
		What: fmt.Sprintf("%s list %s for %s%s", strings.Join(names, ", "), strings.Join(rss, ", "), director.ServiceName(svc), passed),
	}, nil
}

// loggedCheck tells whether keepalived logs the first verdict of svc's
// check on each real server in a form keepalived.ReadChecks reads: TCP_CHECK
// and HTTP_GET on a service with a port.
func loggedCheck(svc *topo.Service) bool {
	if svc.Check == nil || svc.FWMark != 0 {
		return false
	}
	return svc.Check.Type == topo.CheckTCP || svc.Check.Type == topo.CheckHTTP
}

// checkKey is the name keepalived's log gives rs of svc.
func checkKey(svc *topo.Service, rs *topo.RealServer) string {
	port := rs.Port
	if port == 0 {
		port = svc.Port
	}
	return keepalived.CheckKey(netip.AddrPortFrom(rs.RIP, port), svc.Protocol)
}

func waitVRRP(ctx context.Context, lab *topo.Lab, v *topo.VRRP) (Ready, error) {
	// Every member's Master_Down timer starts with its keepalived: the
	// last member to start may still preempt.
	starts := map[string]time.Time{}
	var origin time.Time
	for _, m := range v.Members {
		h, err := lab.Host(m.Node)
		if err != nil {
			return Ready{}, err
		}
		t, err := started(h, keepalived.ProcessName)
		if err != nil {
			return Ready{}, fmt.Errorf("wait for the MASTER of %s: %w", v.Name, err)
		}
		starts[m.Node] = t
		if t.After(origin) {
			origin = t
		}
	}
	settle := keepalived.SettleBound(v)
	bound := settle + ReadySlack
	candidates := keepalived.ExpectedMasters(v)
	master, _, err := keepalived.InstanceMaster(lab, v, candidates)
	if err != nil {
		return Ready{}, err
	}
	first := master != ""
	var waited time.Duration
	if !first {
		ctx, cancel := context.WithDeadline(ctx, origin.Add(bound))
		defer cancel()
		master, waited, err = keepalived.WaitInstance(ctx, lab, v, candidates)
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && !time.Now().Before(origin.Add(bound)) {
			err = fmt.Errorf("%w; not %.1f s after the last member's keepalived started (Master_Down_Interval and preempt_delay %.1f s + %s)%s",
				err, bound.Seconds(), settle.Seconds(), ReadySlack, vrrpStates(lab, v))
		}
		return Ready{}, err
	}
	var vips []string
	for _, p := range v.VIPs {
		vips = append(vips, p.Addr().String())
	}
	return Ready{
		Kind: "vrrp", What: fmt.Sprintf("%s MASTER of %s holds %s", master, v.Name, strings.Join(vips, ", ")),
		Since: master + "'s keepalived started", Took: time.Since(starts[master]), Waited: waited, First: first,
		Bound: bound + origin.Sub(starts[master]),
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
		parts = append(parts, fmt.Sprintf("%s %s (log %s)", m.Node, state, daemon.LogPath(h, keepalived.ProcessName)))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, ", ")
}
