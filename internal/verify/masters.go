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

// masters checks that each VRRP instance's VIPs are held by exactly one
// director, one keepalived.ExpectedMasters predicts, and still are two
// advert intervals later.
func (b *battery) masters(ctx context.Context) {
	if len(b.lab.Spec.VRRP) == 0 {
		b.skip(KindMaster, "VRRP", "the lab has no VRRP instance: its VIPs are the directors' own addresses")
		return
	}
	for _, v := range b.lab.Spec.VRRP {
		b.check(KindMaster, v.Name+" "+vipList(v), func(r *Result) error {
			return b.master(ctx, v, r)
		})
	}
}

func (b *battery) master(ctx context.Context, v *topo.VRRP, r *Result) error {
	expected := keepalived.ExpectedMasters(v)
	r.Rule = masterRule(v, expected, holdBound(v))
	if len(v.VIPs) == 0 {
		r.Verdict, r.Figure = Skip, "the instance has no VIPs"
		return nil
	}
	bound := keepalived.SettleBound(v) + keepalived.Late
	wctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	master, _, err := keepalived.WaitInstance(wctx, b.lab, v, expected)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		_, held, herr := keepalived.InstanceMaster(b.lab, v, nil)
		if herr != nil {
			return herr
		}
		r.Figure = heldFigure(v, held)
		return fail(r, "%s%s", masterCause(v, held, expected), b.states(v))
	}
	// Settled is not enough: a MASTER that does not hear its peer holds
	// the VIP alone only until the peer's own timer runs out, which may
	// have started just now (keepalived starts on one director after
	// another).
	if err := sleep(ctx, holdBound(v)); err != nil {
		return err
	}
	again, held, err := keepalived.InstanceMaster(b.lab, v, expected)
	if err != nil {
		return err
	}
	r.Figure = heldFigure(v, held)
	if again != master {
		return fail(r, "%s%s", masterCause(v, held, expected), b.states(v))
	}
	return nil
}

// vipList is the instance's VIPs, space-separated.
func vipList(v *topo.VRRP) string {
	var s []string
	for _, p := range v.VIPs {
		s = append(s, p.Addr().String())
	}
	return strings.Join(s, " ")
}

// masterRule says who should be MASTER and why.
func masterRule(v *topo.VRRP, expected []string, hold time.Duration) string {
	var ms []string
	for _, m := range v.Members {
		s := fmt.Sprintf("%s %s %d", m.Node, m.State, m.Priority)
		if m.NoPreempt {
			s += " nopreempt"
		}
		ms = append(ms, s)
	}
	return fmt.Sprintf("exactly one director holds each VIP, for %s (the longest Master_Down_Interval + advert_int + %s): %s (keepalived.ExpectedMasters of %s)",
		hold.Round(time.Millisecond), keepalived.Late, strings.Join(expected, " or "), strings.Join(ms, ", "))
}

// heldFigure says who holds each VIP.
func heldFigure(v *topo.VRRP, held [][]string) string {
	var s []string
	for i, p := range v.VIPs {
		who := "nobody"
		if len(held[i]) > 0 {
			who = strings.Join(held[i], " and ")
		}
		s = append(s, fmt.Sprintf("%s held by %s", p.Addr(), who))
	}
	return strings.Join(s, "; ")
}

// masterCause explains in plain words why v has not one expected MASTER.
func masterCause(v *topo.VRRP, held [][]string, expected []string) string {
	for i, h := range held {
		vip := v.VIPs[i].Addr()
		switch {
		case len(h) > 1:
			return fmt.Sprintf("%s is held by %s: %d MASTERs (split brain). The directors do not take each other's adverts: virtual_router_id, authentication (auth_type, auth_pass), advert_int and the VIPs of %s must be the same in every director's file, and VRRP (IP protocol 112) must pass between them",
				vip, strings.Join(h, " and "), len(h), v.Name)
		case len(h) == 0:
			return fmt.Sprintf("no director holds %s: keepalived is MASTER nowhere (read its log: lvslab logs NODE keepalived)", vip)
		}
	}
	for i, h := range held {
		if len(h) == 1 && !slices.Contains(expected, h[0]) {
			return fmt.Sprintf("%s is held by %s, but the priorities and states predict %s: a member with a higher priority and no nopreempt takes over after Master_Down_Interval",
				v.VIPs[i].Addr(), h[0], strings.Join(expected, " or "))
		}
	}
	return fmt.Sprintf("the VIPs of %s are held by different directors: one MASTER holds them all", v.Name)
}

// holdBound is how long the master check watches a settled MASTER: the
// longest Master_Down_Interval of the members (a member that does not
// hear the MASTER's adverts becomes MASTER too once it runs out) plus
// advert_int and keepalived.Late.
func holdBound(v *topo.VRRP) time.Duration {
	var mdi time.Duration
	for _, m := range v.Members {
		mdi = max(mdi, keepalived.MasterDownInterval(advertInt(v), m.Priority))
	}
	return mdi + time.Duration(advertInt(v))*time.Second + keepalived.Late
}

// states says in which state each member's keepalived last reported v,
// from its log: "; keepalived says: lvs01 FAULT, lvs02 BACKUP" (FAULT:
// a tracked script, interface or process is down).
func (b *battery) states(v *topo.VRRP) string {
	var out []string
	for _, m := range v.Members {
		h, err := b.lab.Host(m.Node)
		if err != nil {
			continue
		}
		insts, err := keepalived.States(h)
		if err != nil {
			continue
		}
		for _, in := range insts {
			if in.Name != v.Name {
				continue
			}
			st := in.State
			if st == "" {
				st = "no state yet"
			}
			if in.Priority != in.Configured {
				st += fmt.Sprintf(" (effective priority %d, configured %d)", in.Priority, in.Configured)
			}
			out = append(out, m.Node+" "+st)
		}
	}
	if len(out) == 0 {
		return ""
	}
	s := "; keepalived says: " + strings.Join(out, ", ")
	if strings.Contains(s, keepalived.StateFault) {
		s += " (FAULT: a tracked script, interface or process is down)"
	}
	if strings.Contains(s, keepalived.StateStopped) {
		s += " (STOPPED: keepalived is not running there; it exits on a configuration error such as a track_interface the node does not have: its log says which)"
	}
	return s
}
