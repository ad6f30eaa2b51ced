package verify

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
)

// health checks, for each service with a health checker, that stopping
// its first real server's backend removes it from every director's
// table within keepalived.RemovalRefused, and starting it again puts it
// back within keepalived.Readd; with a sorry_server, that it alone is in
// the table once every real server is down.
func (b *battery) health(ctx context.Context) {
	checked := false
	for _, svc := range b.lab.Spec.Services {
		name := serviceName(svc)
		switch {
		case svc.Check == nil || svc.Check.Type == "":
			continue
		case svc.Check.Type == topo.CheckMisc:
			checked = true
			b.skip(KindHealth, name, "MISC_CHECK runs the file's own script: lvslab cannot tell what makes it fail")
			continue
		case len(svc.RealServers) == 0:
			continue
		}
		checked = true
		rs := svc.RealServers[0]
		if !b.skipDefeated(KindHealth, name+" "+rs.Node, svc, nil) {
			b.check(KindHealth, name+" "+rs.Node, func(r *Result) error { return b.removal(ctx, svc, []*topo.RealServer{rs}, r) })
		}
		if svc.SorryServer != nil && !b.skipDefeated(KindSorry, name+" "+svc.SorryServer.Node, svc, nil) {
			b.check(KindSorry, name+" "+svc.SorryServer.Node, func(r *Result) error { return b.removal(ctx, svc, svc.RealServers, r) })
		}
	}
	if !checked {
		b.skip(KindHealth, "checkers", "no service has a health checker: a real server without one is never removed")
	}
}

// removal stops the backends of down (real servers of svc), waits for
// every director to drop them (with the sorry server in when all are
// down and svc has one), starts them again and waits for them back.
func (b *battery) removal(ctx context.Context, svc *topo.Service, down []*topo.RealServer, r *Result) error {
	c := svc.Check
	gone, back := keepalived.RemovalRefused(c), keepalived.Readd(c)
	dirs, closeAll, err := b.directors(svc)
	if err != nil {
		return err
	}
	defer closeAll()
	full := wantTable(svc, nil)
	without := wantTable(svc, down)
	var names []string
	for _, rs := range down {
		names = append(names, rs.Node)
	}
	what := strings.Join(names, ", ")
	r.Rule = fmt.Sprintf("%s (delay_loop %d, retry %d, delay_before_retry %d, connect_timeout %d): a stopped server (connection refused) is out of the table within delay_loop + retry × delay_before_retry = %s, back within delay_loop + connect_timeout = %s (slack %s)",
		c.Type, c.DelayLoop, c.Retry, c.DelayBeforeRetry, c.ConnectTimeout, gone, back, keepalived.CheckerLate)
	if len(down) == len(svc.RealServers) && svc.SorryServer != nil {
		r.Rule = fmt.Sprintf("sorry_server %s: once every real server is down it alone is in the table, within %s; the real servers back within %s (slack %s)", svc.SorryServer.Node, gone, back, keepalived.CheckerLate)
	}

	// From the full table: a server an earlier check stopped must be back.
	if _, err := b.waitTable(ctx, dirs, svc, full, back+keepalived.CheckerLate); err != nil {
		return fail(r, "before the check: %v", err)
	}
	start := time.Now()
	for _, rs := range down {
		h, err := b.lab.Host(rs.Node)
		if err != nil {
			return err
		}
		if err := realserver.Stop(h, 0); err != nil {
			return err
		}
	}
	removed, rerr := b.waitTable(ctx, dirs, svc, without, gone+keepalived.CheckerLate)
	stopped := time.Since(start)
	binary := b.opts.Binary
	if binary == "" {
		if binary, err = realserver.Binary(); err != nil {
			return err
		}
	}
	restart := time.Now()
	for _, rs := range down {
		h, err := b.lab.Host(rs.Node)
		if err != nil {
			return err
		}
		if err := realserver.Start(h, realserver.ServiceOptions(b.lab.Spec, rs.Node), binary); err != nil {
			return err
		}
	}
	readded, aerr := b.waitTable(ctx, dirs, svc, full, back+keepalived.CheckerLate)
	r.Figure = fmt.Sprintf("%s stopped: out of the table after %s; started: back after %s",
		what, durations(removed), durations(readded))
	if rerr != nil {
		return fail(r, "%s stopped %s ago: %v; the checker does not remove it in time (is it checking the real server's own port?)", what, stopped.Round(time.Millisecond), rerr)
	}
	if aerr != nil {
		return fail(r, "%s started %s ago: %v; the checker does not take it back in time", what, time.Since(restart).Round(time.Millisecond), aerr)
	}
	return nil
}

// wantTable is what a director's table should list for svc, RIP →
// weight, with the real servers down stopped: they are gone, or at
// weight 0 with inhibit_on_failure; the sorry server alone once the
// live weight is below quorum − hysteresis (keepalived's quorum is 1 by
// default: when every real server is gone).
func wantTable(svc *topo.Service, down []*topo.RealServer) map[string]int {
	out := map[string]int{}
	isDown := map[string]bool{}
	for _, rs := range down {
		isDown[rs.Node] = true
	}
	live := 0
	for _, rs := range svc.RealServers {
		w := topo.DefaultWeight
		if rs.Weight != nil {
			w = *rs.Weight
		}
		switch {
		case !isDown[rs.Node]:
			out[rs.RIP.String()] = w
			live += w
		case svc.Check.InhibitOnFailure:
			out[rs.RIP.String()] = 0
		}
	}
	quorum := max(svc.Quorum, 1)
	if svc.SorryServer != nil && live < quorum-svc.Hysteresis {
		return map[string]int{svc.SorryServer.RIP.String(): 1}
	}
	return out
}

// directors opens an IPVS handle on each director of svc; closeAll
// closes them (the caller defers it).
func (b *battery) directors(svc *topo.Service) (dirs []*director.Director, closeAll func(), err error) {
	closeAll = func() {
		for _, d := range dirs {
			d.Close()
		}
	}
	for _, name := range svc.Directors {
		h, err := b.lab.Host(name)
		if err == nil {
			var d *director.Director
			if d, err = director.Open(h); err == nil {
				dirs = append(dirs, d)
				continue
			}
		}
		closeAll()
		return nil, func() {}, err
	}
	return dirs, closeAll, nil
}

// waitTable polls dirs until each lists want for target, and returns
// when each did, measured from the call.
// After limit it fails, naming each director's table.
func (b *battery) waitTable(ctx context.Context, dirs []*director.Director, svc *topo.Service, want map[string]int, limit time.Duration) (map[string]time.Duration, error) {
	start := time.Now()
	took := map[string]time.Duration{}
	last := map[string]map[string]int{}
	for {
		for _, d := range dirs {
			name := d.Host().Name()
			if _, ok := took[name]; ok {
				continue
			}
			tab, err := d.Services()
			if err != nil {
				return took, err
			}
			got := destsOf(tab, svc)
			last[name] = got
			if maps.Equal(got, want) {
				took[name] = time.Since(start)
			}
		}
		if len(took) == len(dirs) {
			return took, nil
		}
		if time.Since(start) > limit {
			var s []string
			for _, d := range dirs {
				if _, ok := took[d.Host().Name()]; !ok {
					s = append(s, fmt.Sprintf("%s lists %s", d.Host().Name(), FormatTally(last[d.Host().Name()])))
				}
			}
			return took, fmt.Errorf("after %s %s, want %s", limit.Round(time.Millisecond), strings.Join(s, ", "), FormatTally(want))
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return took, err
		}
	}
}

// destsOf is svc's real servers in a director's table, RIP → weight;
// empty when the service is not there.
func destsOf(tab *director.Table, svc *topo.Service) map[string]int {
	if e := tab.Service(svc); e != nil {
		return e.Weights()
	}
	return map[string]int{}
}

// durations prints per-director times: "lvs01 8.1s, lvs02 8.2s".
func durations(m map[string]time.Duration) string {
	if len(m) == 0 {
		return "never"
	}
	var s []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		s = append(s, fmt.Sprintf("%s %s", k, m[k].Round(10*time.Millisecond)))
	}
	return strings.Join(s, ", ")
}
