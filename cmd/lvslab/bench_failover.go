package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/vishvananda/netlink"

	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/internal/bench"
	"github.com/lvslab/lvslab/internal/labup"
	"github.com/lvslab/lvslab/topo"
	"github.com/lvslab/lvslab/vm"
)

// failoverLab is the lab --failover measures, and the name it stands up
// under.
const (
	failoverFile = "labs/dr-keepalived.yaml"
	failoverLab  = "bench-fo"
	// failoverRuns is --runs' default with --failover: small enough that
	// the three kinds finish in about 4 minutes in the TCG guest.
	failoverRuns = 5
)

// hookFailover adds --failover to the bench command: it then runs
// benchFailover instead of the build benchmark.
func hookFailover(cmd *cobra.Command) {
	var failover bool
	cmd.Flags().BoolVar(&failover, "failover", false,
		"measure the client-visible gap of keepalived failovers on labs/dr-keepalived.yaml, RUNS each of graceful (SIGTERM), crash (SIGKILL) and power (links cut, then SIGKILL) (default 5; needs IPVS)")
	cmd.Example += "\n  lvslab vm -- lvslab bench --failover --runs 20"
	next := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if !failover {
			return next(c, args)
		}
		runs, err := c.Flags().GetInt("runs")
		if err != nil {
			return err
		}
		if !c.Flags().Changed("runs") {
			runs = failoverRuns
		}
		if runs < 1 || runs > 100 {
			return fmt.Errorf("bench --failover: --runs %d: want 1 to 100", runs)
		}
		file := failoverFile
		if len(args) > 0 {
			file = args[0]
		}
		return benchFailover(c.Context(), c.OutOrStdout(), file, runs)
	}
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

// benchFailover stands up the keepalived pair once, then fails its
// MASTER over runs times gracefully (SIGTERM), runs times by crash
// (SIGKILL) and runs times by a power cut (links down, then SIGKILL),
// restarting it after each, and prints the median and worst
// client-visible gap of each kind next to the formula.
func benchFailover(ctx context.Context, w io.Writer, file string, runs int) error {
	need, err := vm.NeedsVM()
	if err != nil {
		return err
	}
	if need {
		return errors.New("bench --failover: this kernel has no IPVS; run it in the guest kernel: lvslab vm -- lvslab bench --failover")
	}
	spec, err := topo.Load(file)
	if err != nil {
		return err
	}
	if len(spec.VRRP) == 0 || len(spec.VRRP[0].Members) < 2 || len(spec.VRRP[0].VIPs) == 0 {
		return fmt.Errorf("bench --failover: %s has no VRRP pair", file)
	}
	vrrp := spec.VRRP[0]
	var master, backup *topo.Member
	for _, m := range vrrp.Members {
		if master == nil || m.Priority > master.Priority {
			master = m
		}
	}
	for _, m := range vrrp.Members {
		if m != master && (backup == nil || m.Priority > backup.Priority) {
			backup = m
		}
	}
	svc, err := bench.HTTPService(spec)
	if err != nil {
		return err
	}
	cl := tpFirstNode(spec, topo.RoleClient)
	if cl == nil {
		return errors.New("bench --failover: no client node")
	}
	lab, err := labup.Up(ctx, spec, labup.Options{
		BuildOptions: topo.BuildOptions{Name: failoverLab, Owner: os.Getpid(), Force: true},
	})
	if err != nil {
		return err
	}
	defer func() {
		for _, h := range lab.Hosts() {
			if keepalived.Manages(lab.Spec, h.Name()) {
				_ = keepalived.Kill(h)
			}
		}
		_ = topo.Destroy(failoverLab)
	}()
	if err := keepalived.StartLab(lab); err != nil {
		return err
	}
	mh, err := lab.Host(master.Node)
	if err != nil {
		return err
	}
	c, err := lab.Host(cl.Name)
	if err != nil {
		return err
	}
	vip := vrrp.VIPs[0]
	target := netip.AddrPortFrom(svc.VIP, svc.Port)
	masterBack := keepalived.MasterDownInterval(vrrp.AdvertInt, master.Priority) + 15*time.Second
	if err := waitFor(ctx, lab, vip.Addr(), master.Node, masterBack); err != nil {
		return err
	}

	fmt.Fprintf(w, "%s: %s (priority %d) fails over to %s (priority %d), advert_int %d; client %s → %s every 20 ms, 300 ms timeout\n",
		spec.Name, master.Node, master.Priority, backup.Node, backup.Priority, vrrp.AdvertInt, cl.Name, target)
	fmt.Fprintf(w, "%-9s %5s %12s %12s %16s %16s %10s\n", "kind", "runs", "gap median", "gap worst", "takeover median", "takeover worst", "formula")
	for _, k := range failoverKinds {
		var gaps, takeovers []time.Duration
		for i := range runs {
			fo, err := keepalived.Watch(ctx, lab, k.kind, keepalived.WatchOptions{
				VIP: vip.Addr(), NewMaster: backup.Node, Alone: k.kind.Alone(),
				Client: c, Target: target, Lead: time.Second, Run: k.watch, Timeout: 300 * time.Millisecond,
				Limit: time.Second + k.watch,
			}, func() error { return k.act(mh) })
			if err != nil {
				return fmt.Errorf("bench --failover: %s run %d: %w", k.kind, i+1, err)
			}
			gaps, takeovers = append(gaps, fo.Gap()), append(takeovers, fo.Takeover)
			if k.revive != nil {
				if err := k.revive(mh); err != nil {
					return err
				}
			}
			// Bring the master back as after a reboot: a crashed
			// keepalived leaves its VIP and virtual servers behind.
			if err := cleanDirector(mh, vrrp); err != nil {
				return err
			}
			if err := keepalived.StartNode(lab, mh); err != nil {
				return err
			}
			if err := waitFor(ctx, lab, vip.Addr(), master.Node, masterBack); err != nil {
				return fmt.Errorf("bench --failover: %s run %d: %w", k.kind, i+1, err)
			}
		}
		f := k.kind.Formula(vrrp.AdvertInt, backup)
		ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
		fmt.Fprintf(w, "%-9s %5d %12s %12s %16s %16s %10s   (%s)\n", k.kind, runs,
			ms(median(gaps)), ms(slices.Max(gaps)), ms(median(takeovers)), ms(slices.Max(takeovers)), ms(f), k.kind.Explain())
	}
	return nil
}

// waitFor waits, at most limit, for node to hold vip alone.
func waitFor(ctx context.Context, lab *topo.Lab, vip netip.Addr, node string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	_, err := keepalived.WaitMaster(ctx, lab, vip, node)
	return err
}

// cleanDirector empties h's IPVS table and takes the VRRP VIPs off its
// interface, as a reboot would.
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
		return fmt.Errorf("%s: %w", h.Name(), err)
	}
	for _, p := range v.VIPs {
		bits := 32
		if p.Addr().Is6() {
			bits = 128
		}
		a := &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), bits)}}
		if err := nl.AddrDel(link, a); err != nil && !isNoAddr(err) {
			return fmt.Errorf("remove VIP %s from %s: %w", p, h.Name(), err)
		}
	}
	return nil
}

// isNoAddr tells whether a netlink delete failed because the address was
// not there.
func isNoAddr(err error) bool { return errors.Is(err, syscall.EADDRNOTAVAIL) }
