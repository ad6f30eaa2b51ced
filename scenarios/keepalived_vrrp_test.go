package scenarios_test

// Helpers of the keepalived specs that look at the VRRP segment: a
// capture of the adverts and gratuitous ARPs on one link, the client's
// neighbour entry for the VIP, and the state keepalived logged.

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/lvslab/lvslab/captures"
	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/topo"
)

// vrrpWatch is a capture on one link of the VRRP segment: the bridge
// floods the adverts (multicast 224.0.0.18) and the gratuitous ARPs
// (broadcast) to every port, so the client's link sees them all.
type vrrpWatch struct {
	c *captures.Capture
}

// watchVRRP starts capturing on the node's interface.
func watchVRRP(lab *topo.Lab, node, iface string) *vrrpWatch {
	GinkgoHelper()
	c, err := captures.Start(ctx(), lab, []captures.Link{{Node: node, Interface: iface}},
		captures.Options{Dir: GinkgoT().TempDir(), MaxDuration: time.Minute})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Stop)
	return &vrrpWatch{c: c}
}

// stop ends the capture and decodes its adverts and gratuitous ARPs.
func (w *vrrpWatch) stop() ([]captures.Advert, []captures.GARP) {
	GinkgoHelper()
	files, err := w.c.Stop()
	Expect(err).NotTo(HaveOccurred())
	Expect(files).To(HaveLen(1))
	adverts, err := captures.VRRPAdverts(files[0])
	Expect(err).NotTo(HaveOccurred())
	garps, err := captures.GARPs(files[0])
	Expect(err).NotTo(HaveOccurred())
	return adverts, garps
}

// addressOf is a node's first address on its interface iface.
func addressOf(spec *topo.Spec, name, iface string) netip.Addr {
	GinkgoHelper()
	for _, ifc := range node(spec, name).Interfaces {
		if ifc.Name == iface {
			return ifc.Addresses[0].Addr()
		}
	}
	Fail("no interface " + iface + " on " + name)
	return netip.Addr{}
}

// advertsFrom are the adverts src sent, in capture order.
func advertsFrom(adverts []captures.Advert, src netip.Addr) []captures.Advert {
	var out []captures.Advert
	for _, a := range adverts {
		if a.SrcIP == src {
			out = append(out, a)
		}
	}
	return out
}

// firstAfter is the first advert at or after t, ok false when none.
func firstAfter(adverts []captures.Advert, t time.Time) (captures.Advert, bool) {
	for _, a := range adverts {
		if !a.Time.Before(t) {
			return a, true
		}
	}
	return captures.Advert{}, false
}

// garpsFor are the gratuitous ARPs announcing ip at mac, at or after t.
func garpsFor(garps []captures.GARP, ip netip.Addr, mac net.HardwareAddr, t time.Time) []captures.GARP {
	var out []captures.GARP
	for _, g := range garps {
		if g.IP == ip && g.MAC.String() == mac.String() && !g.Time.Before(t) {
			out = append(out, g)
		}
	}
	return out
}

// neighbourMAC is the node's neighbour-table entry for ip ("" if none).
// Equivalent to: `ip netns exec NS ip neigh show IP`.
func neighbourMAC(h *topo.Host, ip netip.Addr) string {
	GinkgoHelper()
	nl, err := h.Netlink()
	Expect(err).NotTo(HaveOccurred())
	defer nl.Close()
	neighs, err := nl.NeighList(0, netlink.FAMILY_V4)
	Expect(err).NotTo(HaveOccurred())
	for _, n := range neighs {
		if a, ok := netip.AddrFromSlice(n.IP); ok && a.Unmap() == ip && len(n.HardwareAddr) > 0 {
			return n.HardwareAddr.String()
		}
	}
	return ""
}

// vrrpState is the state and effective priority of the director's first
// VRRP instance, as its keepalived logged them (keepalived.States).
func vrrpState(h *topo.Host) keepalived.Instance {
	GinkgoHelper()
	insts, err := keepalived.States(h)
	Expect(err).NotTo(HaveOccurred())
	Expect(insts).NotTo(BeEmpty(), "no VRRP instance in the keepalived.conf of %s", h.Name())
	return insts[0]
}

// eventuallyState waits, at most limit, for the director's first
// instance to be logged in state.
func eventuallyState(h *topo.Host, state string, limit time.Duration) {
	GinkgoHelper()
	Eventually(func() string { return vrrpState(h).State }).WithTimeout(limit).WithPolling(100*time.Millisecond).
		Should(Equal(state), "VRRP state of %s", h.Name())
}

// holdersFor polls, for d, that the VIP's holders stay want; it fails at
// the first other reading.
func holdersFor(lab *topo.Lab, vip netip.Addr, want []string, d time.Duration) {
	GinkgoHelper()
	Consistently(func() []string {
		h, err := keepalived.VIPHolder(lab, vip)
		Expect(err).NotTo(HaveOccurred())
		return h
	}).WithTimeout(d).WithPolling(100 * time.Millisecond).Should(Equal(want))
}

// waitHolders waits, at most limit, until the VIP's holders are want,
// and returns how long that took.
func waitHolders(lab *topo.Lab, vip netip.Addr, want []string, limit time.Duration) time.Duration {
	GinkgoHelper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		h, err := keepalived.VIPHolder(lab, vip)
		Expect(err).NotTo(HaveOccurred())
		if slices.Equal(h, want) {
			return time.Since(start)
		}
		select {
		case <-ctx.Done():
			Fail("VIP " + vip.String() + " held by " + join(h) + ", want " + join(want) + " after " + limit.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func join(l []string) string {
	if len(l) == 0 {
		return "nobody"
	}
	out := l[0]
	for _, s := range l[1:] {
		out += " and " + s
	}
	return out
}
