package verify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/topo"
)

// actionLimit bounds a keepalived stop or start that a failover check
// waits alongside: a limit on a wait, not a measured figure.
const actionLimit = time.Minute

// failover checks each VRRP instance of two members or more: a graceful
// stop of its MASTER, its start again, and a crash of the MASTER then.
func (b *battery) failover(ctx context.Context) {
	n := 0
	for _, v := range b.lab.Spec.VRRP {
		if len(v.Members) < 2 || len(v.VIPs) == 0 {
			continue
		}
		n++
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

// priorities are the members' priorities, lowest and highest.
func priorities(v *topo.VRRP, nodes []string) (lo, hi int) {
	lo, hi = 256, 0
	for _, n := range nodes {
		if m := Member(v, n); m != nil {
			lo, hi = min(lo, m.Priority), max(hi, m.Priority)
		}
	}
	return lo, hi
}

// waited is the outcome of a wait run alongside an action.
type waited struct {
	who  string
	took time.Duration
	err  error
}

// alongside starts wait, does action, and returns what the wait saw,
// its time measured from the action's start, and how long the action
// took.
func alongside(ctx context.Context, limit time.Duration, wait func(context.Context) (string, error), action func() error) (waited, time.Duration, error) {
	wctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	done := make(chan waited, 1)
	start := time.Now()
	go func() {
		who, err := wait(wctx)
		done <- waited{who, time.Since(start), err}
	}()
	err := action()
	acted := time.Since(start)
	if err != nil {
		cancel()
		<-done
		return waited{}, acted, err
	}
	return <-done, acted, nil
}

// graceful stops v's MASTER master with SIGTERM and holds the takeover
// to the new MASTER's Skew_Time; it returns the new MASTER.
func (b *battery) graceful(ctx context.Context, v *topo.VRRP, master string, r *Result) (string, error) {
	next := keepalived.ExpectedMasters(Without(v, master))
	lo, _ := priorities(v, next)
	skew := keepalived.Skew(lo)
	bound := skew + stopLate + keepalivedLate
	r.Rule = fmt.Sprintf("systemctl stop keepalived (SIGTERM) on %s: its priority-0 advert makes %s MASTER after Skew_Time (256-%d)/256 = %s; within %s of the stop (+%s for the advert to leave, +%s keepalived late)",
		master, strings.Join(next, " or "), lo, skew.Round(time.Millisecond), bound.Round(time.Millisecond), stopLate, keepalivedLate)
	h, err := b.lab.Host(master)
	if err != nil {
		return "", err
	}
	w, _, err := alongside(ctx, bound+actionLimit, func(ctx context.Context) (string, error) {
		who, _, err := keepalived.WaitInstance(ctx, b.lab, v, next)
		return who, err
	}, func() error { return keepalived.Stop(h) })
	if err != nil {
		return "", err
	}
	if w.err != nil {
		_, held, _ := keepalived.InstanceMaster(b.lab, v, nil)
		r.Figure = heldFigure(v, held)
		return "", fail(r, "after the graceful stop of %s no single expected MASTER took the VIPs: %s", master, heldFigure(v, held))
	}
	r.Figure = fmt.Sprintf("%s held %s alone %s after the stop", w.who, vipList(v), w.took.Round(time.Millisecond))
	if w.took > bound {
		return w.who, fail(r, "%s took over after %s, not within its Skew_Time: it did not take %s's priority-0 advert and waited Master_Down_Interval instead (adverts lost, or a different virtual_router_id or authentication)",
			w.who, w.took.Round(time.Millisecond), master)
	}
	return w.who, nil
}

// comeBack starts master's keepalived again while next is MASTER: it
// takes the VIPs back within Master_Down_Interval + preempt_delay when
// it preempts, else next keeps them.
func (b *battery) comeBack(ctx context.Context, v *topo.VRRP, master, next string, r *Result) error {
	m, nm := Member(v, master), Member(v, next)
	if m == nil || nm == nil {
		return fmt.Errorf("%s or %s is not a member of %s", master, next, v.Name)
	}
	h, err := b.lab.Host(master)
	if err != nil {
		return err
	}
	advert := time.Duration(advertInt(v)) * time.Second
	mdi := keepalived.MasterDownInterval(advertInt(v), m.Priority)
	start := func() error { return keepalived.StartNode(b.lab, h) }
	if !Preempts(m, nm) {
		why := "nopreempt"
		if !m.NoPreempt {
			why = fmt.Sprintf("priority %d not above %s's %d", m.Priority, next, nm.Priority)
		}
		hold := mdi + advert + time.Second
		r.Rule = fmt.Sprintf("%s starts and does not preempt (%s): %s keeps the VIPs past %s's Master_Down_Interval %s", master, why, next, master, mdi.Round(time.Millisecond))
		if err := start(); err != nil {
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
	delay := time.Duration(m.PreemptDelay) * time.Second
	formula := mdi + delay
	r.Rule = fmt.Sprintf("%s (priority %d) preempts %s (%d): MASTER again Master_Down_Interval 3×%d + (256-%d)/256 + preempt_delay %d s = %s after its keepalived starts (at least that less advert_int, at most plus the start's own time and %s late)",
		master, m.Priority, next, nm.Priority, advertInt(v), m.Priority, m.PreemptDelay, formula.Round(time.Millisecond), keepalivedLate)
	w, acted, err := alongside(ctx, formula+actionLimit, func(ctx context.Context) (string, error) {
		who, _, err := keepalived.WaitInstance(ctx, b.lab, v, []string{master})
		return who, err
	}, start)
	if err != nil {
		return err
	}
	if w.err != nil {
		_, held, _ := keepalived.InstanceMaster(b.lab, v, nil)
		r.Figure = heldFigure(v, held)
		return fail(r, "%s did not take the VIPs back: %v", master, w.err)
	}
	r.Figure = fmt.Sprintf("%s held %s alone again %s after its start command (which took %s)", master, vipList(v), w.took.Round(time.Millisecond), acted.Round(time.Millisecond))
	if low := formula - advert - pollEarly; w.took < low {
		return fail(r, "%s took the VIPs back after %s, before Master_Down_Interval + preempt_delay less advert_int = %s", master, w.took.Round(time.Millisecond), low.Round(time.Millisecond))
	}
	if high := formula + acted + advert + keepalivedLate; w.took > high {
		return fail(r, "%s took the VIPs back after %s, later than %s", master, w.took.Round(time.Millisecond), high.Round(time.Millisecond))
	}
	return nil
}

// crash kills v's MASTER master (SIGKILL: no advert, its VIPs stay in
// its namespace) and holds the takeover to Master_Down_Interval.
func (b *battery) crash(ctx context.Context, v *topo.VRRP, master string, r *Result) error {
	next := keepalived.ExpectedMasters(Without(v, master))
	lo, hi := priorities(v, next)
	advert := time.Duration(advertInt(v)) * time.Second
	longest, shortest := keepalived.MasterDownInterval(advertInt(v), lo), keepalived.MasterDownInterval(advertInt(v), hi)
	r.Rule = fmt.Sprintf("kill -9 of %s's keepalived: no advert; %s MASTER after Master_Down_Interval 3×%d + (256-%d)/256 = %s from %s's last advert (up to advert_int before the kill; +%s keepalived late)",
		master, strings.Join(next, " or "), advertInt(v), lo, longest.Round(time.Millisecond), master, keepalivedLate)
	h, err := b.lab.Host(master)
	if err != nil {
		return err
	}
	w, _, err := alongside(ctx, longest+actionLimit, func(ctx context.Context) (string, error) {
		return b.waitHeld(ctx, v, next)
	}, func() error { return keepalived.Kill(h) })
	if err != nil {
		return err
	}
	if w.err != nil {
		return fail(r, "after the crash of %s no expected MASTER took the VIPs: %v", master, w.err)
	}
	r.Figure = fmt.Sprintf("%s held %s %s after the kill (%s keeps them too: nothing removed them)", w.who, vipList(v), w.took.Round(time.Millisecond), master)
	if low := shortest - advert - pollEarly; w.took < low {
		return fail(r, "%s took over %s after the crash, before Master_Down_Interval less advert_int = %s", w.who, w.took.Round(time.Millisecond), low.Round(time.Millisecond))
	}
	if high := longest + keepalivedLate; w.took > high {
		return fail(r, "%s took over %s after the crash, later than Master_Down_Interval + %s = %s", w.who, w.took.Round(time.Millisecond), keepalivedLate, high.Round(time.Millisecond))
	}
	return nil
}

// waitHeld waits until one of candidates holds every VIP of v (others
// may hold them too: a crashed MASTER keeps its VIPs), and names it.
func (b *battery) waitHeld(ctx context.Context, v *topo.VRRP, candidates []string) (string, error) {
	if len(candidates) == 1 {
		for _, p := range v.VIPs {
			if _, err := keepalived.WaitHolds(ctx, b.lab, p.Addr(), candidates[0]); err != nil {
				return "", err
			}
		}
		return candidates[0], nil
	}
	for {
		for _, c := range candidates {
			all := true
			for _, p := range v.VIPs {
				holders, err := keepalived.VIPHolder(b.lab, p.Addr())
				if err != nil {
					return "", err
				}
				all = all && slices.Contains(holders, c)
			}
			if all {
				return c, nil
			}
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return "", fmt.Errorf("wait for %s to hold %s: %w", strings.Join(candidates, " or "), vipList(v), err)
		}
	}
}
