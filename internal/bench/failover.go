package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/internal/labup"
	"github.com/lvslab/lvslab/topo"
)

// FailoverFile is the lab the failover benchmark measures when given no
// file, and FailoverLab the name it stands it up under.
const (
	FailoverFile = "labs/dr-keepalived.yaml"
	FailoverLab  = "bench-fo"
	// FailoverRuns is the default of FailoverOptions.Runs: small enough
	// that the three kinds finish in about 4 minutes in the TCG guest.
	FailoverRuns = 5
)

// FailoverOptions tune [Failover].
type FailoverOptions struct {
	// Runs is how many failovers of each kind (default FailoverRuns, at
	// most 100).
	Runs int
	// Name is the lab's name (default FailoverLab).
	Name string
}

func (o *FailoverOptions) check() error {
	if o.Runs == 0 {
		o.Runs = FailoverRuns
	}
	if o.Name == "" {
		o.Name = FailoverLab
	}
	if o.Runs < 1 || o.Runs > 100 {
		return fmt.Errorf("runs %d: want 1 to 100", o.Runs)
	}
	return nil
}

// failoverKind is one way of taking the MASTER's keepalived away.
type failoverKind struct {
	kind keepalived.Kind
	act  func(*topo.Host) error
	// revive undoes what act did besides stopping keepalived; nil when
	// nothing else needs undoing.
	revive func(*topo.Host) error
	watch  time.Duration // how long the client runs after the action
}

var failoverKinds = []failoverKind{
	{kind: keepalived.Graceful, act: keepalived.Stop, watch: 3 * time.Second},
	{kind: keepalived.Crash, act: keepalived.Kill, watch: 6 * time.Second},
	{
		// A power cut: the links go dark first, so the dead master's
		// kernel no longer forwards, and the client waits for the
		// takeover and the backup's gratuitous ARP.
		kind: keepalived.Power, act: powerOff, revive: func(h *topo.Host) error { return h.SetLinks(true) },
		watch: 6 * time.Second,
	},
}

// powerOff cuts the director's links, then kills its keepalived.
func powerOff(h *topo.Host) error {
	if err := h.SetLinks(false); err != nil {
		return err
	}
	return keepalived.Kill(h)
}

// FailoverRow is one kind's failovers.
type FailoverRow struct {
	Kind keepalived.Kind
	// Gaps are the client's gaps (keepalived.Failover.Gap) and Takeovers
	// the times from the action to the backup holding the VIP, one per
	// run.
	Gaps, Takeovers []time.Duration
	// Formula is Kind.Formula for the backup.
	Formula time.Duration
}

// FailoverResult is what [Failover] measured.
type FailoverResult struct {
	// Lab is the lab's name in its file; AdvertInt its instance's.
	Lab       string
	AdvertInt int
	// Master and Backup are the instance's MASTER and BACKUP.
	Master, Backup topo.Member
	// Client is the client node, Target the service it asks.
	Client string
	Target netip.AddrPort
	// Interval and Timeout are the client's.
	Interval, Timeout time.Duration
	Runs              int
	Rows              []FailoverRow
}

// Write prints the lab's pair and, per kind, the median and worst gap
// and takeover next to the formula.
func (r *FailoverResult) Write(w io.Writer) {
	fmt.Fprintf(w, "%s: %s (priority %d) fails over to %s (priority %d), advert_int %d; client %s → %s every %s, %s timeout\n",
		r.Lab, r.Master.Node, r.Master.Priority, r.Backup.Node, r.Backup.Priority, r.AdvertInt, r.Client, r.Target, r.Interval, r.Timeout)
	fmt.Fprintf(w, "%-9s %5s %12s %12s %16s %16s %10s\n", "kind", "runs", "gap median", "gap worst", "takeover median", "takeover worst", "formula")
	ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	for _, row := range r.Rows {
		if len(row.Gaps) == 0 {
			continue
		}
		fmt.Fprintf(w, "%-9s %5d %12s %12s %16s %16s %10s   (%s)\n", row.Kind, len(row.Gaps),
			ms(Median(row.Gaps)), ms(slices.Max(row.Gaps)), ms(Median(row.Takeovers)), ms(slices.Max(row.Takeovers)), ms(row.Formula), row.Kind.Explain())
	}
}

// The client's pace in the failover benchmark.
const (
	failoverInterval = 20 * time.Millisecond
	failoverTimeout  = 300 * time.Millisecond
)

// Failover stands up spec's keepalived pair (its first VRRP instance)
// once, then fails its MASTER over opts.Runs times gracefully (SIGTERM),
// opts.Runs times by crash (SIGKILL) and opts.Runs times by a power cut
// (links down, then SIGKILL), each watched by keepalived.Watch with a
// client against spec's HTTP service, restarting the MASTER after each
// as after a reboot. It returns the rows measured so far with an error.
// It needs a kernel with IPVS.
func Failover(ctx context.Context, spec *topo.Spec, opts FailoverOptions) (res *FailoverResult, err error) {
	if err := opts.check(); err != nil {
		return nil, fmt.Errorf("bench failover: %w", err)
	}
	if len(spec.VRRP) == 0 || len(spec.VRRP[0].Members) < 2 || len(spec.VRRP[0].VIPs) == 0 {
		return nil, fmt.Errorf("bench failover: %s has no VRRP pair", spec.Name)
	}
	vrrp := spec.VRRP[0]
	master, backup := vrrp.Master(), vrrp.Backup()
	svc, err := HTTPService(spec)
	if err != nil {
		return nil, fmt.Errorf("bench failover on %s: %w", spec.Name, err)
	}
	cl := spec.FirstOf(topo.RoleClient)
	if cl == nil {
		return nil, fmt.Errorf("bench failover on %s: no client node", spec.Name)
	}
	res = &FailoverResult{
		Lab: spec.Name, AdvertInt: vrrp.AdvertInt, Master: *master, Backup: *backup,
		Client: cl.Name, Target: netip.AddrPortFrom(svc.VIP, svc.Port),
		Interval: failoverInterval, Timeout: failoverTimeout, Runs: opts.Runs,
	}
	lab, err := labup.Up(ctx, spec, labup.Options{
		BuildOptions: topo.BuildOptions{Name: opts.Name, Owner: os.Getpid(), Force: true},
	})
	if err != nil {
		return nil, fmt.Errorf("bench failover: %w", err)
	}
	defer func() {
		for _, h := range lab.Hosts() {
			if keepalived.Manages(lab.Spec, h.Name()) {
				_ = keepalived.Kill(h)
			}
		}
		if derr := topo.Destroy(opts.Name); derr != nil {
			err = errors.Join(err, fmt.Errorf("bench failover: %w", derr))
		}
	}()
	if err := keepalived.StartLab(lab); err != nil {
		return nil, fmt.Errorf("bench failover: %w", err)
	}
	mh, err := lab.Host(master.Node)
	if err != nil {
		return nil, fmt.Errorf("bench failover: %w", err)
	}
	c, err := lab.Host(cl.Name)
	if err != nil {
		return nil, fmt.Errorf("bench failover: %w", err)
	}
	vip := vrrp.VIPs[0].Addr()
	masterBack := keepalived.MasterDownInterval(vrrp.AdvertInt, master.Priority) + 15*time.Second
	if err := waitMaster(ctx, lab, vip, master.Node, masterBack); err != nil {
		return nil, fmt.Errorf("bench failover: %w", err)
	}
	for _, k := range failoverKinds {
		row := FailoverRow{Kind: k.kind, Formula: k.kind.Formula(vrrp.AdvertInt, backup)}
		for i := range opts.Runs {
			fo, err := keepalived.Watch(ctx, lab, k.kind, keepalived.WatchOptions{
				VIP: vip, NewMaster: backup.Node, Alone: k.kind.Alone(),
				Client: c, Target: res.Target, Lead: time.Second, Run: k.watch,
				Interval: failoverInterval, Timeout: failoverTimeout, Limit: time.Second + k.watch,
			}, func() error { return k.act(mh) })
			if err != nil {
				return res, fmt.Errorf("bench failover: %s run %d: %w", k.kind, i+1, err)
			}
			row.Gaps, row.Takeovers = append(row.Gaps, fo.Gap()), append(row.Takeovers, fo.Takeover)
			if err := bringBack(ctx, lab, mh, vrrp, k, masterBack); err != nil {
				return res, fmt.Errorf("bench failover: %s run %d: %w", k.kind, i+1, err)
			}
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

// bringBack undoes k on the old MASTER mh and restarts its keepalived as
// after a reboot (a crashed keepalived leaves its VIP and virtual
// servers behind), and waits, at most limit, for it to be MASTER again.
func bringBack(ctx context.Context, lab *topo.Lab, mh *topo.Host, v *topo.VRRP, k failoverKind, limit time.Duration) error {
	if k.revive != nil {
		if err := k.revive(mh); err != nil {
			return err
		}
	}
	if err := cleanDirector(mh, v); err != nil {
		return err
	}
	if err := keepalived.StartNode(lab, mh); err != nil {
		return err
	}
	return waitMaster(ctx, lab, v.VIPs[0].Addr(), mh.Name(), limit)
}

// waitMaster waits, at most limit, for node to hold vip alone.
func waitMaster(ctx context.Context, lab *topo.Lab, vip netip.Addr, node string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	_, err := keepalived.WaitMaster(ctx, lab, vip, node)
	return err
}

// cleanDirector empties h's IPVS table and takes the VRRP VIPs off its
// interface, as a reboot would. Equivalent to: `ipvsadm -C; ip addr del
// VIP/32 dev IF`.
func cleanDirector(h *topo.Host, v *topo.VRRP) error {
	if err := director.Clear(h); err != nil {
		return err
	}
	nl, err := h.Netlink()
	if err != nil {
		return err
	}
	defer nl.Close()
	link, err := nl.LinkByName(v.Interface)
	if err != nil {
		return fmt.Errorf("find link %s of %s: %w", v.Interface, h.Name(), err)
	}
	for _, p := range v.VIPs {
		if err := nl.AddrDel(link, topo.NetlinkAddr(p)); err != nil && !errors.Is(err, syscall.EADDRNOTAVAIL) {
			return fmt.Errorf("remove VIP %s from %s: %w", p, h.Name(), err)
		}
	}
	return nil
}
