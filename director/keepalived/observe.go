package keepalived

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/lvslab/lvslab/topo"
)

// VIPHolder lists the directors of the lab that hold vip as an address
// right now, sorted: one name when a single MASTER has it, none when no
// keepalived is MASTER, two in a split brain.
//
// Equivalent to: `ip -4 addr show to VIP` in each director's namespace.
func VIPHolder(lab *topo.Lab, vip netip.Addr) ([]string, error) {
	w, err := newHolderWatch(lab)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	return w.holders(vip)
}

// holderWatch keeps a netlink handle open in each director of a lab, so
// that polling who holds a VIP costs one address dump per director and
// round, not a handle opened inside each namespace every 10 ms (which
// several labs polling at once in an emulated guest feel).
type holderWatch struct {
	names []string
	nls   []*netlink.Handle
}

func newHolderWatch(lab *topo.Lab) (*holderWatch, error) {
	w := &holderWatch{}
	for _, h := range lab.Hosts() {
		if h.Spec.Role != topo.RoleDirector {
			continue
		}
		nl, err := h.Netlink()
		if err != nil {
			w.Close()
			return nil, err
		}
		w.names, w.nls = append(w.names, h.Name()), append(w.nls, nl)
	}
	return w, nil
}

// Close closes the handles.
func (w *holderWatch) Close() {
	for _, nl := range w.nls {
		nl.Close()
	}
}

// holders lists the directors holding vip, sorted.
func (w *holderWatch) holders(vip netip.Addr) ([]string, error) {
	var holders []string
	for i, nl := range w.nls {
		has, err := holds(nl, w.names[i], vip)
		if err != nil {
			return nil, err
		}
		if has {
			holders = append(holders, w.names[i])
		}
	}
	slices.Sort(holders)
	return holders, nil
}

func holds(nl *netlink.Handle, name string, vip netip.Addr) (bool, error) {
	family := netlink.FAMILY_V4
	if vip.Is6() {
		family = netlink.FAMILY_V6
	}
	addrs, err := nl.AddrList(nil, family)
	if err != nil {
		return false, fmt.Errorf("list addresses of %s: %w", name, err)
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap() == vip {
			return true, nil
		}
	}
	return false, nil
}

// pollInterval is how often WaitMaster looks.
const pollInterval = 10 * time.Millisecond

// WaitMaster waits until node is the only director of the lab holding
// vip, and returns when it saw that, measured from the call. It fails
// when ctx ends first, naming who held the VIP last.
func WaitMaster(ctx context.Context, lab *topo.Lab, vip netip.Addr, node string) (time.Duration, error) {
	return waitHolders(ctx, lab, vip, node+" to hold "+vip.String()+" alone", func(holders []string) bool {
		return len(holders) == 1 && holders[0] == node
	})
}

// WaitHolds waits until node is one of the directors holding vip (after
// a crash the dead master keeps it too), and returns when it saw that,
// measured from the call.
func WaitHolds(ctx context.Context, lab *topo.Lab, vip netip.Addr, node string) (time.Duration, error) {
	return waitHolders(ctx, lab, vip, node+" to hold "+vip.String(), func(holders []string) bool {
		return slices.Contains(holders, node)
	})
}

// WaitHolders waits until the directors holding vip are exactly want
// (sorted; none for nobody, two for a split brain), and returns when it
// saw that, measured from the call.
func WaitHolders(ctx context.Context, lab *topo.Lab, vip netip.Addr, want []string) (time.Duration, error) {
	what := fmt.Sprintf("%s to be held by %v", vip, want)
	return waitHolders(ctx, lab, vip, what, func(holders []string) bool { return slices.Equal(holders, want) })
}

// waitHolders polls who holds vip until done says so, or ctx ends.
func waitHolders(ctx context.Context, lab *topo.Lab, vip netip.Addr, what string, done func([]string) bool) (time.Duration, error) {
	start := time.Now()
	w, err := newHolderWatch(lab)
	if err != nil {
		return 0, err
	}
	defer w.Close()
	_, at, err := w.poll(ctx, vip, what, done)
	if err != nil {
		return 0, err
	}
	return at.Sub(start), nil
}

// poll reads who holds vip every pollInterval until done says so, and
// returns the holders and when it read them; it fails when ctx ends
// first, naming who held vip last.
func (w *holderWatch) poll(ctx context.Context, vip netip.Addr, what string, done func([]string) bool) ([]string, time.Time, error) {
	for {
		holders, err := w.holders(vip)
		if err != nil {
			return nil, time.Time{}, err
		}
		if done(holders) {
			return holders, time.Now(), nil
		}
		t := time.NewTimer(pollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, time.Time{}, fmt.Errorf("wait for %s: %w (held by %v)", what, ctx.Err(), holders)
		case <-t.C:
		}
	}
}

// InstanceMaster looks once at who holds the VIPs of the VRRP instance
// v: the one of candidates that holds every VIP alone, or "", with the
// holders of each VIP in v.VIPs's order.
func InstanceMaster(lab *topo.Lab, v *topo.VRRP, candidates []string) (string, [][]string, error) {
	held := make([][]string, len(v.VIPs))
	master := ""
	for i, p := range v.VIPs {
		holders, err := VIPHolder(lab, p.Addr())
		if err != nil {
			return "", nil, err
		}
		held[i] = holders
		switch {
		case len(holders) != 1 || !slices.Contains(candidates, holders[0]):
			master = "-"
		case master == "":
			master = holders[0]
		case master != holders[0]:
			master = "-"
		}
	}
	if master == "-" {
		master = ""
	}
	return master, held, nil
}

// WaitInstance waits until one of candidates (ExpectedMasters of v) holds
// every VIP of the VRRP instance v alone (InstanceMaster), and returns
// that director and when it saw that, measured from the call. It fails
// when ctx ends first, naming who held each VIP last.
func WaitInstance(ctx context.Context, lab *topo.Lab, v *topo.VRRP, candidates []string) (string, time.Duration, error) {
	if len(v.VIPs) == 0 {
		return "", 0, fmt.Errorf("wait for the MASTER of %s: it has no VIPs", v.Name)
	}
	start := time.Now()
	for {
		master, held, err := InstanceMaster(lab, v, candidates)
		if err != nil {
			return "", 0, err
		}
		if master != "" {
			return master, time.Since(start), nil
		}
		t := time.NewTimer(pollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			var last []string
			for i, p := range v.VIPs {
				last = append(last, fmt.Sprintf("%s held by %v", p.Addr(), held[i]))
			}
			return "", 0, fmt.Errorf("wait for %s to hold the VIPs of %s alone: %w (%s)",
				strings.Join(candidates, " or "), v.Name, ctx.Err(), strings.Join(last, ", "))
		case <-t.C:
		}
	}
}
