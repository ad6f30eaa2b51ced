package keepalived

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
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
	var holders []string
	for _, h := range lab.Hosts() {
		if h.Spec.Role != topo.RoleDirector {
			continue
		}
		has, err := holds(h, vip)
		if err != nil {
			return nil, err
		}
		if has {
			holders = append(holders, h.Name())
		}
	}
	slices.Sort(holders)
	return holders, nil
}

func holds(h *topo.Host, vip netip.Addr) (bool, error) {
	nl, err := h.Netlink()
	if err != nil {
		return false, err
	}
	defer nl.Close()
	family := netlink.FAMILY_V4
	if vip.Is6() {
		family = netlink.FAMILY_V6
	}
	addrs, err := nl.AddrList(nil, family)
	if err != nil {
		return false, fmt.Errorf("list addresses of %s: %w", h.Name(), err)
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

// waitHolders polls who holds vip until done says so, or ctx ends.
func waitHolders(ctx context.Context, lab *topo.Lab, vip netip.Addr, what string, done func([]string) bool) (time.Duration, error) {
	start := time.Now()
	for {
		holders, err := VIPHolder(lab, vip)
		if err != nil {
			return 0, err
		}
		if done(holders) {
			return time.Since(start), nil
		}
		t := time.NewTimer(pollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, fmt.Errorf("wait for %s: %w (held by %v)", what, ctx.Err(), holders)
		case <-t.C:
		}
	}
}
