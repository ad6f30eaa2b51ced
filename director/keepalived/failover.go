package keepalived

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/lvslab/lvslab/captures"
	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/topo"
)

// Kind is how a failover takes the VIP from one director to another.
type Kind string

const (
	// Graceful is `systemctl stop keepalived` on the MASTER (SIGTERM):
	// it sends a priority-0 advert and drops its VIPs; the backup takes
	// over its Skew after that advert.
	Graceful Kind = "graceful"
	// Crash is `pkill -9 keepalived` on the MASTER (SIGKILL): nothing is
	// sent; the backup takes over its Master_Down_Interval after the
	// MASTER's last advert. The dead MASTER's kernel keeps the VIP and
	// its IPVS table, and goes on answering.
	Crash Kind = "crash"
	// Power is a power cut of the MASTER (its links down, then SIGKILL):
	// as Crash on the wire, but the dead MASTER no longer answers, so
	// the client waits for the takeover.
	Power Kind = "power"
	// Preempt is a higher-priority member's keepalived starting while a
	// lower one is MASTER: it starts as a backup and takes over when its
	// Master_Down_Interval, started with keepalived, runs out, after its
	// preempt_delay.
	Preempt Kind = "preempt"
)

// Formula is the VRRP time a failover of kind k takes, for the member m
// that takes the VIP over, in an instance advertising every advertInt
// seconds: from the event [Kind.Anchor] names to m's first advert as
// MASTER.
//
//   - Graceful: Skew(m.Priority), (256 - priority) / 256 s.
//   - Crash, Power: MasterDownInterval(advertInt, m.Priority).
//   - Preempt: MasterDownInterval(advertInt, m.Priority) + PreemptDelay(m).
func (k Kind) Formula(advertInt int, m *topo.Member) time.Duration {
	if advertInt == 0 {
		advertInt = topo.DefaultAdvertInt
	}
	switch k {
	case Graceful:
		return Skew(m.Priority)
	case Preempt:
		return MasterDownInterval(advertInt, m.Priority) + PreemptDelay(m)
	default:
		return MasterDownInterval(advertInt, m.Priority)
	}
}

// Explain gives the formula of k in words, with the event it counts
// from.
func (k Kind) Explain() string {
	switch k {
	case Graceful:
		return "backup skew (256-prio)/256 from the MASTER's priority-0 advert"
	case Preempt:
		return "3×advert_int + skew + preempt_delay from keepalived's start"
	default:
		return "3×advert_int + skew from the MASTER's last advert: up to advert_int before the action"
	}
}

// Alone tells whether the new MASTER ends up holding the VIP alone
// (Graceful, Preempt), rather than beside a dead MASTER's kernel that
// keeps it (Crash, Power).
func (k Kind) Alone() bool { return k == Graceful || k == Preempt }

// PreemptDelay is a member's preempt_delay: how long after its start
// (or after it saw a lower-priority MASTER) it waits before preempting.
// Zero with nopreempt, which never preempts.
func PreemptDelay(m *topo.Member) time.Duration {
	if m.NoPreempt {
		return 0
	}
	return time.Duration(m.PreemptDelay) * time.Second
}

// WatchOptions say what [Watch] watches.
type WatchOptions struct {
	// VIP is the address that changes hands.
	VIP netip.Addr
	// NewMaster is the director that takes it.
	NewMaster string
	// Alone waits for NewMaster to hold the VIP alone (Kind.Alone),
	// rather than to hold it at all.
	Alone bool
	// Client, when set, is the node whose requests to Target show what
	// a client saw: one request every Interval, each given up after
	// Timeout (so that a lost SYN costs Timeout, not a retransmission),
	// from Lead before the action to Run after it. Nil watches the
	// takeover alone.
	Client *topo.Host
	Target netip.AddrPort
	// Lead is how long the client runs before the action (default 1 s):
	// it must have had answers first.
	Lead time.Duration
	// Run is how long the client runs after the action starts (default
	// 3 s).
	Run time.Duration
	// Interval and Timeout are the client's (defaults 20 ms and 250 ms).
	Interval, Timeout time.Duration
	// Limit bounds the wait for the takeover, from the action (default
	// Run). It is a limit, not a measured figure.
	Limit time.Duration
}

func (o *WatchOptions) defaults() {
	if o.Lead == 0 {
		o.Lead = time.Second
	}
	if o.Run == 0 {
		o.Run = 3 * time.Second
	}
	if o.Interval == 0 {
		o.Interval = 20 * time.Millisecond
	}
	if o.Timeout == 0 {
		o.Timeout = 250 * time.Millisecond
	}
	if o.Limit == 0 {
		o.Limit = o.Run
	}
}

// Failover is what [Watch] saw of one failover. Its times are relative
// to the action (the signal sent, the links cut, the start command),
// except where named.
//
// # The gap
//
// The gap is the one figure a failover is held to: the interval the
// service went unanswered, from the client's last answer before the
// first request that failed after the action (Down) to its first answer
// after that failure (Back), both read at the reply's end. Clients were
// unserved from when the old MASTER stopped answering for the VIP (its
// priority-0 advert and the VIPs dropped; its links cut) to when the new
// one held it and its gratuitous ARP reached them; Down and Back bracket
// that by at most one request's Interval and Timeout. [Outage.Gap] is
// Back − Down. With no failed request there was no gap (a crash of
// keepalived alone: the dead MASTER's kernel goes on answering).
//
// A VRRP formula does not count from Down but from an event on the wire
// ([Wire.Anchor]: the old MASTER's priority-0 advert, or its last advert
// before it went dark, up to advert_int before the action); where a
// capture gave that event ([Failover.SetWire]), [Failover.BackFromAnchor]
// is the gap's end counted from it, the figure the formula bounds from
// above (plus the client's probe: one Interval and Timeout).
type Failover struct {
	// Kind is the failover's kind, as the caller said.
	Kind Kind
	// NewMaster is the director that took the VIP.
	NewMaster string
	// At is when the action started (wall clock).
	At time.Time
	// Takeover is from the action to NewMaster holding the VIP (alone,
	// with WatchOptions.Alone), polled every 10 ms.
	Takeover time.Duration
	// Holders are the VIP's holders when the takeover was seen, sorted.
	Holders []string
	// Outage is what the client saw; zero without a client.
	Outage
	// Wire is what a capture of the VRRP segment saw; zero until
	// SetWire.
	Wire Wire
	// Result is the client's run; nil without a client.
	Result *client.Result
	// ClientStart is when the client's run began: its Timeline's At
	// counts from here (a few ms early: the run starts in a goroutine).
	ClientStart time.Time
}

// FailedAcross splits the client's requests that failed since the
// action by whether each was in flight at one of times, within slack:
// across are those whose [start, end] holds one (a gratuitous ARP that
// moved the client's neighbour entry to the new MASTER: the rest of such
// a connection reaches a director without its IPVS entry, which resets
// it); other are the rest.
func (f *Failover) FailedAcross(times []time.Time, slack time.Duration) (across, other []client.Event) {
	if f.Result == nil {
		return nil, nil
	}
	for _, e := range f.Result.Timeline {
		start := f.ClientStart.Add(e.At)
		if e.Err == "" || start.Before(f.At) {
			continue
		}
		end := start.Add(e.Latency)
		if slices.ContainsFunc(times, func(t time.Time) bool {
			return !t.Before(start.Add(-slack)) && !t.After(end.Add(slack))
		}) {
			across = append(across, e)
		} else {
			other = append(other, e)
		}
	}
	return across, other
}

// Outage is what a client saw of a failover, relative to the action.
type Outage struct {
	// Down is the end of the client's last answer before its first
	// request that failed since the action: when the service was lost
	// (negative: before the action).
	Down time.Duration
	// Back is the end of its first answer after that failure: when the
	// service was back. Requests the old MASTER answered while the
	// action was under way do not count. Zero when no request failed.
	Back time.Duration
	// Failed counts the requests that failed from the first failure to
	// the answer that ends the gap.
	Failed int
	// Later counts failures that began more than a second after the
	// takeover, when the failover was over: no part of its gap (after a
	// crash both directors answer ARP for the VIP, so a connection's
	// packets may change director halfway).
	Later int
}

// Gap is the interval the client went unanswered (see [Failover]):
// Back − Down, zero when no request failed.
func (o Outage) Gap() time.Duration {
	if o.Failed == 0 {
		return 0
	}
	return o.Back - o.Down
}

// String says what the client saw, relative to the action.
func (o Outage) String() string {
	later := ""
	if o.Later > 0 {
		later = fmt.Sprintf("; %d later requests failed on their own", o.Later)
	}
	if o.Failed == 0 {
		return "the client missed no answer in the failover" + later
	}
	return fmt.Sprintf("the client's answers stopped %s after the action and came back %s after it (gap %s, %d requests failed)%s",
		o.Down.Round(time.Millisecond), o.Back.Round(time.Millisecond), o.Gap().Round(time.Millisecond), o.Failed, later)
}

// afterTakeover is how long after the takeover a failure still belongs
// to the failover's gap.
const afterTakeover = time.Second

// OutageOf reads what a client saw of a failover from its timeline: at
// is the action's offset in the client's run (client.Event.At's clock),
// takeover the time from the action to the new MASTER holding the VIP.
// It fails when the client had no answer before the action, none after
// it, or none after its first failure since the action.
func OutageOf(timeline []client.Event, at, takeover time.Duration) (Outage, error) {
	var o Outage
	over := at + takeover + afterTakeover
	var lastOK time.Duration
	before, after, failing, back := false, false, false, false
	for _, e := range timeline {
		if e.Err == "" {
			if e.At < at {
				before = true
			} else {
				after = true
			}
		}
		switch {
		case back || (!failing && e.Err != "" && e.At > over):
			if e.Err != "" {
				o.Later++
			}
		case e.Err == "" && failing:
			o.Back, back = e.At+e.Latency-at, true
		case e.Err == "":
			lastOK = e.At + e.Latency
		case e.At >= at:
			if !failing {
				failing, o.Down = true, lastOK-at
			}
			o.Failed++
		}
	}
	switch {
	case !before:
		return o, errors.New("no answer before the action")
	case !after:
		return o, errors.New("no answer after the action")
	case failing && !back:
		return o, fmt.Errorf("no answer after the client's first failure since the action (%s after it)", o.Down.Round(time.Millisecond))
	}
	return o, nil
}

// Wire is what a capture of the VRRP segment (adverts and gratuitous
// ARPs, captures.VRRPAdverts and captures.GARPs) saw of a failover.
type Wire struct {
	// Resign is the old MASTER's first priority-0 advert at or after the
	// action; zero when it sent none (a crash, a power cut).
	Resign time.Time
	// Last is the old MASTER's last advert of non-zero priority before
	// the new MASTER's first.
	Last time.Time
	// First is the new MASTER's first advert at or after Resign (or
	// after the action when there is none), FirstPriority its priority.
	First         time.Time
	FirstPriority int
	// GARPs are the new MASTER's gratuitous ARPs for the VIP from its
	// MAC, at or after the anchor.
	GARPs []captures.GARP
}

// Anchor is the event a VRRP formula (Kind.Formula) counts from: the old
// MASTER's priority-0 advert when it sent one (a backup hearing it waits
// only its skew), else its last advert (a backup's down timer starts at
// the last advert it heard).
func (w Wire) Anchor() time.Time {
	if !w.Resign.IsZero() {
		return w.Resign
	}
	return w.Last
}

// Took is from the anchor to the new MASTER's first advert: the figure
// Kind.Formula gives.
func (w Wire) Took() time.Duration { return w.First.Sub(w.Anchor()) }

// WireOf reads a failover from a capture's adverts and gratuitous ARPs,
// in capture order: old and new are the two directors' addresses on the
// VRRP interface, vip and mac the VIP and the new MASTER's MAC, at the
// action's time. It fails when the new MASTER sent no advert after the
// action, or the old one none before that.
func WireOf(adverts []captures.Advert, garps []captures.GARP, old, new netip.Addr, vip netip.Addr, mac net.HardwareAddr, at time.Time) (Wire, error) {
	var w Wire
	for _, a := range adverts {
		if a.SrcIP == old && a.Priority == 0 && !a.Time.Before(at) {
			w.Resign = a.Time
			break
		}
	}
	from := at
	if !w.Resign.IsZero() {
		from = w.Resign
	}
	for _, a := range adverts {
		if a.SrcIP == new && !a.Time.Before(from) {
			w.First, w.FirstPriority = a.Time, int(a.Priority)
			break
		}
	}
	if w.First.IsZero() {
		return w, fmt.Errorf("no advert from %s after the action in %d adverts", new, len(adverts))
	}
	for _, a := range adverts {
		if a.SrcIP == old && a.Priority != 0 && a.Time.Before(w.First) {
			w.Last = a.Time
		}
	}
	if w.Last.IsZero() {
		return w, fmt.Errorf("no advert from %s before %s's first in %d adverts", old, new, len(adverts))
	}
	for _, g := range garps {
		if g.IP == vip && g.MAC.String() == mac.String() && !g.Time.Before(w.Anchor()) {
			w.GARPs = append(w.GARPs, g)
		}
	}
	return w, nil
}

// SetWire reads the failover's Wire from a capture (see [WireOf]).
func (f *Failover) SetWire(adverts []captures.Advert, garps []captures.GARP, old, new netip.Addr, vip netip.Addr, mac net.HardwareAddr) error {
	w, err := WireOf(adverts, garps, old, new, vip, mac, f.At)
	f.Wire = w
	return err
}

// BackFromAnchor is the gap's end counted from the formula's anchor
// (Wire.Anchor): Back less the anchor's offset from the action. It is
// what Kind.Formula bounds from above, less the client's probe. Zero
// when no request failed or no capture gave the anchor.
func (f *Failover) BackFromAnchor() time.Duration {
	if f.Failed == 0 || f.Wire.Anchor().IsZero() {
		return 0
	}
	return f.At.Add(f.Back).Sub(f.Wire.Anchor())
}

// Watch does action (which takes the VIP from one director to
// o.NewMaster) while watching who holds o.VIP and, with o.Client, what a
// client saw, and returns the [Failover]. The wait for the takeover runs
// alongside the action: a graceful stop returns only once keepalived
// has exited, which under load is well after the backup took over.
func Watch(ctx context.Context, lab *topo.Lab, kind Kind, o WatchOptions, action func() error) (*Failover, error) {
	o.defaults()
	type ran struct {
		res *client.Result
		err error
	}
	var done chan ran
	var t0 time.Time
	if o.Client != nil {
		done = make(chan ran, 1)
		t0 = time.Now()
		go func() {
			res, err := client.Run(ctx, o.Client, client.Options{
				Target: o.Target, Requests: client.MaxRequests, Deadline: o.Lead + o.Run,
				Interval: o.Interval, Timeout: o.Timeout,
			})
			done <- ran{res, err}
		}()
		t := time.NewTimer(o.Lead)
		select {
		case <-ctx.Done():
			t.Stop()
			r := <-done
			return nil, errors.Join(ctx.Err(), r.err)
		case <-t.C:
		}
	}
	w, err := newHolderWatch(lab)
	if err != nil {
		if done != nil {
			<-done
		}
		return nil, err
	}
	defer w.Close()
	wctx, cancel := context.WithTimeout(ctx, o.Limit)
	defer cancel()
	type seen struct {
		holders []string
		at      time.Time
		err     error
	}
	taken := make(chan seen, 1)
	what := o.NewMaster + " to hold " + o.VIP.String()
	want := func(h []string) bool { return containsOnly(h, o.NewMaster, o.Alone) }
	if o.Alone {
		what += " alone"
	}
	f := &Failover{Kind: kind, NewMaster: o.NewMaster, At: time.Now()}
	go func() {
		h, at, err := w.poll(wctx, o.VIP, what, want)
		taken <- seen{h, at, err}
	}()
	actErr := action()
	if actErr != nil {
		cancel()
	}
	s := <-taken
	var r ran
	if done != nil {
		r = <-done
	}
	switch {
	case actErr != nil:
		return nil, actErr
	case s.err != nil:
		return nil, fmt.Errorf("takeover by %s: %w", o.NewMaster, s.err)
	case r.err != nil:
		return nil, r.err
	}
	f.Takeover, f.Holders = s.at.Sub(f.At), s.holders
	if r.res != nil {
		f.Result, f.ClientStart = r.res, t0
		f.Outage, err = OutageOf(r.res.Timeline, f.At.Sub(t0), f.Takeover)
		if err != nil {
			return f, fmt.Errorf("client %s: %w: %v", o.Client.Name(), err, r.res.Errors)
		}
	}
	return f, nil
}

// containsOnly tells whether node is among holders, and alone there
// when alone says so.
func containsOnly(holders []string, node string, alone bool) bool {
	if alone {
		return len(holders) == 1 && holders[0] == node
	}
	for _, h := range holders {
		if h == node {
			return true
		}
	}
	return false
}
