package verify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lvslab/lvslab/captures"
	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/topo"
)

// actionLimit bounds a keepalived stop or start that a failover check
// waits alongside: a limit on a wait, not a measured figure.
const actionLimit = time.Minute

// failover checks each VRRP instance of two members or more: a graceful
// stop of its MASTER, its start again, and a crash of the MASTER then.
// Each is watched by keepalived.Watch (who holds the VIP, and what a
// client sending to a service on it saw) with the VRRP segment captured,
// and held to keepalived's formula (Kind.Formula) from the event on the
// wire it counts from.
func (b *battery) failover(ctx context.Context) {
	n := 0
	for _, v := range b.lab.Spec.VRRP {
		if len(v.Members) < 2 || len(v.VIPs) == 0 {
			continue
		}
		n++
		// An earlier instance's crash check killed a director that may
		// be a member here too: every member's keepalived runs, and
		// every instance has its MASTER, before this one's checks.
		if err := b.restore(ctx, v); err != nil {
			b.check(KindFailover, v.Name, func(*Result) error { return err })
			continue
		}
		master, _, err := keepalived.InstanceMaster(b.lab, v, members(v))
		if err != nil || master == "" {
			b.check(KindFailover, v.Name, func(r *Result) error {
				if err != nil {
					return err
				}
				return fail(r, "no single director holds the VIPs of %s: nothing to fail over from (see the master check)", v.Name)
			})
			continue
		}
		next := ""
		b.check(KindFailover, fmt.Sprintf("%s graceful stop of %s", v.Name, master), func(r *Result) error {
			var err error
			next, err = b.graceful(ctx, v, master, r)
			return err
		})
		if next == "" {
			continue
		}
		b.check(KindFailover, fmt.Sprintf("%s start of %s", v.Name, master), func(r *Result) error {
			return b.comeBack(ctx, v, master, next, r)
		})
		cur, _, err := keepalived.InstanceMaster(b.lab, v, members(v))
		if err != nil || cur == "" {
			continue
		}
		b.check(KindFailover, fmt.Sprintf("%s crash of %s", v.Name, cur), func(r *Result) error {
			return b.crash(ctx, v, cur, r)
		})
	}
	if n == 0 {
		b.skip(KindFailover, "VRRP", "no VRRP instance with two members or more")
	}
}

// members names v's members.
func members(v *topo.VRRP) []string {
	var out []string
	for _, m := range v.Members {
		out = append(out, m.Node)
	}
	return out
}

// successor is the member of v that takes over when gone goes: the best
// of keepalived.ExpectedMasters without it (with equal priorities any
// of them may; the first is watched).
func successor(v *topo.VRRP, gone string) *topo.Member {
	next := keepalived.ExpectedMasters(Without(v, gone))
	if len(next) == 0 {
		return nil
	}
	return v.Member(next[0])
}

// watched is one failover as keepalived.Watch and the capture saw it.
type watched struct {
	fo      *keepalived.Failover
	wire    bool  // fo.Wire was read from a capture
	wireErr error // why not
	took    time.Duration
}

// watch does action, which takes v's VIPs from old to new, under
// keepalived.Watch, with a client sending to a service on v's first VIP
// where there is one, and the VRRP segment captured where a client or
// router is on it.
func (b *battery) watch(ctx context.Context, v *topo.VRRP, kind keepalived.Kind, old, new string, action func() error) (*watched, error) {
	vip := v.VIPs[0].Addr()
	const run = 10 * time.Second
	o := keepalived.WatchOptions{VIP: vip, NewMaster: new, Alone: kind.Alone(), Limit: run + actionLimit}
	for _, svc := range b.lab.Spec.Services {
		if t, ok := target(svc); ok && svc.VIP == vip && svc.Protocol != "udp" && protocol(b.lab.Spec, svc) == client.HTTP {
			o.Client, o.Target, o.Lead, o.Run = b.client, t, time.Second, run-time.Second
			break
		}
	}
	// The new MASTER's own VRRP interface hears the old one's adverts
	// and sends its own: every lab has it.
	cp, err := captures.Start(ctx, b.lab, []captures.Link{{Node: new, Interface: v.Interface}},
		captures.Options{Dir: b.opts.CaptureDir, MaxDuration: 2 * actionLimit})
	if err != nil {
		return nil, err
	}
	fo, err := keepalived.Watch(ctx, b.lab, kind, o, action)
	w := &watched{fo: fo}
	files, serr := cp.Stop()
	switch {
	case err != nil:
	case serr != nil:
		w.wireErr = serr
	case len(files) != 1:
		w.wireErr = fmt.Errorf("%d capture files", len(files))
	default:
		all, aerr := captures.VRRPAdverts(files[0])
		garps, gerr := captures.GARPs(files[0])
		// Other instances share the interface: only v's adverts.
		var adverts []captures.Advert
		for _, a := range all {
			if a.VRID == v.VRID {
				adverts = append(adverts, a)
			}
		}
		if w.wireErr = errors.Join(aerr, gerr); w.wireErr == nil {
			oldIP, newIP := b.lab.Spec.AddressOn(old, v.Interface), b.lab.Spec.AddressOn(new, v.Interface)
			w.wireErr = fo.SetWire(adverts, garps, oldIP, newIP, vip, topo.MAC(new, v.Interface))
			w.wire = w.wireErr == nil
		}
	}
	if err != nil {
		return w, err
	}
	w.took = fo.Takeover
	if w.wire {
		w.took = fo.Wire.Took()
	}
	return w, nil
}

// figure says what a watched failover measured.
func (w *watched) figure(old, new string) string {
	fo := w.fo
	s := fmt.Sprintf("%s held the VIP %s after the action", new, fo.Takeover.Round(time.Millisecond))
	if w.wire {
		from := "last advert"
		if !fo.Wire.Resign.IsZero() {
			from = "priority-0 advert"
		}
		s = fmt.Sprintf("%s's first advert %s after %s's %s; %s", new, fo.Wire.Took().Round(time.Millisecond), old, from, s)
		if len(fo.Wire.GARPs) > 0 {
			s += fmt.Sprintf("; %d gratuitous ARPs", len(fo.Wire.GARPs))
		}
	}
	if fo.Result != nil {
		s += "; " + fo.String()
	}
	return s
}

// graceful stops v's MASTER master with SIGTERM and holds the takeover
// to the new MASTER's Skew_Time; it returns the new MASTER.
func (b *battery) graceful(ctx context.Context, v *topo.VRRP, master string, r *Result) (string, error) {
	next := successor(v, master)
	if next == nil {
		return "", fmt.Errorf("no member of %s would take over from %s", v.Name, master)
	}
	formula := keepalived.Graceful.Formula(advertInt(v), next)
	r.Rule = fmt.Sprintf("systemctl stop keepalived (SIGTERM) on %s: %s MASTER after Skew_Time (256-%d)/256 = %s from %s's priority-0 advert (-%s, +%s)",
		master, next.Node, next.Priority, formula.Round(time.Millisecond), master, keepalived.CaptureJitter, keepalived.Late)
	h, err := b.lab.Host(master)
	if err != nil {
		return "", err
	}
	w, err := b.watch(ctx, v, keepalived.Graceful, master, next.Node, func() error { return keepalived.Stop(h) })
	if err != nil {
		_, held, _ := keepalived.InstanceMaster(b.lab, v, nil)
		r.Figure = heldFigure(v, held)
		return "", fail(r, "after the graceful stop of %s, %s did not take the VIPs: %v", master, next.Node, err)
	}
	r.Figure = w.figure(master, next.Node)
	low, high := keepalived.CaptureJitter, keepalived.Late
	if !w.wire {
		r.Rule += fmt.Sprintf("; no advert read (%v): held from the stop, +%s", w.wireErr, keepalived.StopLate)
		low, high = keepalived.PollEarly, high+keepalived.StopLate
	}
	if err := within(r, w.took, formula, low, high, next.Node+" took over"); err != nil {
		return next.Node, err
	}
	return next.Node, nil
}

// within holds took to [formula − low, formula + high].
func within(r *Result, took, formula, low, high time.Duration, what string) error {
	if took < formula-low {
		return fail(r, "%s after %s, before its formula %s less %s", what, took.Round(time.Millisecond), formula.Round(time.Millisecond), low)
	}
	if took > formula+high {
		return fail(r, "%s after %s, later than its formula %s plus %s: a backup that missed the adverts waits Master_Down_Interval instead (adverts lost, or another virtual_router_id or authentication)",
			what, took.Round(time.Millisecond), formula.Round(time.Millisecond), high)
	}
	return nil
}

// comeBack starts master's keepalived again while next is MASTER: it
// takes the VIPs back within Master_Down_Interval + preempt_delay when
// it preempts, else next keeps them.
func (b *battery) comeBack(ctx context.Context, v *topo.VRRP, master, next string, r *Result) error {
	m, nm := v.Member(master), v.Member(next)
	if m == nil || nm == nil {
		return fmt.Errorf("%s or %s is not a member of %s", master, next, v.Name)
	}
	h, err := b.lab.Host(master)
	if err != nil {
		return err
	}
	advert := time.Duration(advertInt(v)) * time.Second
	mdi := keepalived.MasterDownInterval(advertInt(v), m.Priority)
	if !Preempts(m, nm) {
		why := "nopreempt"
		if !m.NoPreempt {
			why = fmt.Sprintf("priority %d not above %s's %d", m.Priority, next, nm.Priority)
		}
		hold := mdi + advert + time.Second
		r.Rule = fmt.Sprintf("%s starts and does not preempt (%s): %s keeps the VIPs past %s's Master_Down_Interval %s", master, why, next, master, mdi.Round(time.Millisecond))
		if err := keepalived.StartNode(b.lab, h); err != nil {
			return err
		}
		deadline := time.Now().Add(hold)
		for time.Now().Before(deadline) {
			who, held, err := keepalived.InstanceMaster(b.lab, v, []string{next})
			if err != nil {
				return err
			}
			if who != next {
				r.Figure = heldFigure(v, held)
				return fail(r, "%s took the VIPs although it should not preempt %s (%s)", master, next, why)
			}
			if err := sleep(ctx, 200*time.Millisecond); err != nil {
				return err
			}
		}
		r.Figure = fmt.Sprintf("%s kept %s for %s after %s started", next, vipList(v), hold.Round(time.Millisecond), master)
		return nil
	}
	formula := keepalived.Preempt.Formula(advertInt(v), m)
	r.Rule = fmt.Sprintf("%s (priority %d) preempts %s (%d): MASTER again Master_Down_Interval 3×%d + (256-%d)/256 + preempt_delay %d s = %s after its keepalived starts: at least that from the start command (-%s), at most from its end (+%s)",
		master, m.Priority, next, nm.Priority, advertInt(v), m.Priority, m.PreemptDelay, formula.Round(time.Millisecond), keepalived.PollEarly, keepalived.Late)
	var startTook time.Duration
	w, err := b.watch(ctx, v, keepalived.Preempt, next, master, func() error {
		t := time.Now()
		err := keepalived.StartNode(b.lab, h)
		startTook = time.Since(t)
		return err
	})
	if err != nil {
		_, held, _ := keepalived.InstanceMaster(b.lab, v, nil)
		r.Figure = heldFigure(v, held)
		return fail(r, "%s did not take the VIPs back: %v", master, err)
	}
	fo := w.fo
	r.Figure = fmt.Sprintf("%s held the VIP alone again %s after its start command (which took %s)", master, fo.Takeover.Round(time.Millisecond), startTook.Round(time.Millisecond))
	if fo.Result != nil {
		r.Figure += "; " + fo.String()
	}
	if fo.Takeover < formula-keepalived.PollEarly {
		return fail(r, "%s took the VIPs back %s after its start command, before Master_Down_Interval + preempt_delay %s", master, fo.Takeover.Round(time.Millisecond), formula.Round(time.Millisecond))
	}
	if fo.Takeover-startTook > formula+keepalived.Late {
		return fail(r, "%s took the VIPs back %s after its keepalived was up, later than Master_Down_Interval + preempt_delay %s plus %s", master, (fo.Takeover - startTook).Round(time.Millisecond), formula.Round(time.Millisecond), keepalived.Late)
	}
	return nil
}

// crash kills v's MASTER master (SIGKILL: no advert, its VIPs stay in
// its namespace) and holds the takeover to Master_Down_Interval from its
// last advert.
func (b *battery) crash(ctx context.Context, v *topo.VRRP, master string, r *Result) error {
	next := successor(v, master)
	if next == nil {
		return fmt.Errorf("no member of %s would take over from %s", v.Name, master)
	}
	formula := keepalived.Crash.Formula(advertInt(v), next)
	r.Rule = fmt.Sprintf("kill -9 of %s's keepalived: no advert; %s MASTER after Master_Down_Interval 3×%d + (256-%d)/256 = %s from %s's last advert (-%s, +%s)",
		master, next.Node, advertInt(v), next.Priority, formula.Round(time.Millisecond), master, keepalived.CaptureJitter, keepalived.Late)
	h, err := b.lab.Host(master)
	if err != nil {
		return err
	}
	w, err := b.watch(ctx, v, keepalived.Crash, master, next.Node, func() error { return keepalived.Kill(h) })
	if err != nil {
		return fail(r, "after the crash of %s, %s did not take the VIPs: %v", master, next.Node, err)
	}
	r.Figure = w.figure(master, next.Node) + fmt.Sprintf(" (%s keeps the VIPs too: nothing removed them)", master)
	low, high := keepalived.CaptureJitter, keepalived.Late
	if !w.wire {
		// From the kill: the last advert was up to advert_int before it.
		r.Rule += fmt.Sprintf("; no advert read (%v): held from the kill", w.wireErr)
		low += time.Duration(advertInt(v))*time.Second + keepalived.PollEarly
	}
	return within(r, w.took, formula, low, high, next.Node+" took over")
}

// restore starts keepalived again on every director that manages it and
// does not run it (a crash check killed it), and waits until the VRRP
// instance v has one of its expected MASTERs holding its VIPs alone.
func (b *battery) restore(ctx context.Context, v *topo.VRRP) error {
	for _, h := range b.lab.Hosts() {
		if !keepalived.Manages(b.lab.Spec, h.Name()) {
			continue
		}
		running, err := keepalived.Running(h)
		if err != nil {
			return err
		}
		if !running {
			if err := keepalived.StartNode(b.lab, h); err != nil {
				return err
			}
		}
	}
	wctx, cancel := context.WithTimeout(ctx, keepalived.SettleBound(v)+keepalived.Late+actionLimit)
	defer cancel()
	if _, _, err := keepalived.WaitInstance(wctx, b.lab, v, keepalived.ExpectedMasters(v)); err != nil {
		return fmt.Errorf("no MASTER of %s to fail over from: %w", v.Name, err)
	}
	return nil
}
