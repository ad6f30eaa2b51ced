package scenarios_test

// Helpers of the keepalived specs that look at the VRRP segment: a
// capture of the adverts and gratuitous ARPs on one link, the client's
// neighbour entry for the VIP, and the state keepalived logged.

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/lvslab/lvslab/captures"
	"github.com/lvslab/lvslab/director/keepalived"
	wireshark "github.com/lvslab/lvslab/internal/tshark"
	"github.com/lvslab/lvslab/reports"
	"github.com/lvslab/lvslab/topo"
)

// vrrpWatch is a capture on one link of the VRRP segment: the bridge
// floods the adverts (multicast 224.0.0.18) and the gratuitous ARPs
// (broadcast) to every port, so the client's link sees them all.
type vrrpWatch struct {
	c *captures.Capture
	// file is the pcap, once stopped.
	file string
}

// watchSegment starts capturing the VRRP segment from the client's eth0
// (another port of the same bridge as the directors'), for at most
// limit.
func watchSegment(lab *topo.Lab, limit time.Duration) *vrrpWatch {
	GinkgoHelper()
	c, err := captures.Start(ctx(), lab, []captures.Link{{Node: "client", Interface: "eth0"}},
		captures.Options{Dir: GinkgoT().TempDir(), MaxDuration: limit})
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
	w.file = files[0]
	adverts, err := captures.VRRPAdverts(files[0])
	Expect(err).NotTo(HaveOccurred())
	garps, err := captures.GARPs(files[0])
	Expect(err).NotTo(HaveOccurred())
	return adverts, garps
}

// expectTsharkAgrees is the oracle of our VRRP decoding: on the stopped
// capture, tshark finds the same adverts (time, source, VRID, priority,
// interval, VIPs) and the same gratuitous ARPs as captures.VRRPAdverts
// and captures.GARPs did (adverts, garps), with a (-tshark +ours) diff
// when not. captures' TestTsharkDisagrees is its negative control.
func (w *vrrpWatch) expectTsharkAgrees(adverts []captures.Advert, garps []captures.GARP) {
	GinkgoHelper()
	Expect(w.file).NotTo(BeEmpty(), "stop the capture first")
	By("the oracle: tshark decodes the same VRRP adverts and gratuitous ARPs from " + filepath.Base(w.file))
	d, err := wireshark.CompareVRRP(w.file, adverts, garps)
	Expect(err).NotTo(HaveOccurred())
	Expect(d).To(BeEmpty(), "tshark disagrees with captures' decoding")
	record("tshark oracle", "%d adverts and %d gratuitous ARPs, decoded alike by tshark and by us", len(adverts), len(garps))
}

// addressOf is a node's first address on its interface iface (where it
// sends its adverts from); the spec fails if it has none.
func addressOf(spec *topo.Spec, name, iface string) netip.Addr {
	GinkgoHelper()
	a := spec.AddressOn(name, iface)
	Expect(a.IsValid()).To(BeTrue(), "no address on %s of %s in %s", iface, name, spec.Name)
	return a
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

// waitHolders waits, at most limit, until the VIP's holders are want
// (keepalived.WaitHolders), and returns how long that took.
func waitHolders(lab *topo.Lab, vip netip.Addr, want []string, limit time.Duration) time.Duration {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	took, err := keepalived.WaitHolders(ctx, lab, vip, want)
	Expect(err).NotTo(HaveOccurred())
	return took
}

// chart is what a "who is MASTER" chart shows besides the spans: the
// action at 0, the new master (its VIP span starts at Takeover; "" for
// none), the client's gap (from Down to Back after the action; Back 0 for
// none) and other moments.
type chart struct {
	Action     string
	At         time.Time
	NewMaster  string
	Takeover   time.Duration
	Down, Back time.Duration
	Moments    []reports.AbsEvent
	// Lanes are drawn below the directors' (the faults in force, the
	// client's failed requests); a lane named after a director adds its
	// spans to that director's.
	Lanes []reports.AbsLane
}

// failoverChart is the chart of a failover the client watched.
func failoverChart(action string, fo *keepalived.Failover) chart {
	c := chart{Action: action, At: fo.At, NewMaster: fo.NewMaster, Takeover: fo.Takeover}
	if fo.Failed > 0 {
		c.Down, c.Back = fo.Down, fo.Back
		c.Moments = []reports.AbsEvent{{At: fo.At.Add(fo.Back), Label: "the client's answers are back"}}
	}
	return c
}

// recordMasters adds the report's "who is MASTER" chart: each
// director's spans as MASTER from the adverts the capture saw (by its
// address on the VRRP interface), from its notify events (the lab file's
// notify: lvslab notify-log) and, for the new master, from the takeover
// on; the notify events and c's moments; the client's gap. Time 0 is
// the action.
func recordMasters(name string, lab *topo.Lab, adverts []captures.Advert, c chart) {
	GinkgoHelper()
	v := lab.Spec.VRRP[0]
	at := c.At
	// The chart spans the capture, and at least 2 s either side.
	start, end := at.Add(-2*time.Second), at.Add(c.Back+2*time.Second)
	if n := len(adverts); n > 0 {
		start, end = minTime(start, adverts[0].Time), maxTime(end, adverts[n-1].Time)
	}
	for _, l := range c.Lanes {
		for _, s := range l.Spans {
			start, end = minTime(start, s.From), maxTime(end, s.To)
		}
	}
	events, err := keepalived.Events(lab.Name)
	Expect(err).NotTo(HaveOccurred())
	spans := captures.MasterSpans(adverts)
	moments := append([]reports.AbsEvent{{At: at, Label: c.Action}}, c.Moments...)
	var lanes []reports.AbsLane
	for _, m := range v.Members {
		lane := reports.AbsLane{Node: m.Node}
		src := addressOf(lab.Spec, m.Node, v.Interface)
		for _, s := range spans {
			if s.SrcIP == src && s.VRID == v.VRID {
				label := fmt.Sprintf("priority %d", s.Priority)
				if s.Resigned {
					label += ", then 0"
				}
				lane.Spans = append(lane.Spans, reports.AbsSpan{From: s.From, To: s.To, Source: "adverts", Label: label})
			}
		}
		var since time.Time // MASTER by notify since, zero when not
		for _, e := range events {
			if e.Node != m.Node || e.Name != v.Name {
				continue
			}
			if !e.Time.Before(start) {
				moments = append(moments, reports.AbsEvent{At: e.Time, Label: m.Node + " notify " + e.State})
			}
			switch {
			case e.State == keepalived.StateMaster && since.IsZero():
				since = e.Time
			case e.State != keepalived.StateMaster && !since.IsZero():
				if e.Time.After(start) {
					lane.Spans = append(lane.Spans, reports.AbsSpan{From: maxTime(since, start), To: e.Time, Source: "notify"})
				}
				since = time.Time{}
			}
		}
		if !since.IsZero() {
			lane.Spans = append(lane.Spans, reports.AbsSpan{From: maxTime(since, start), To: end, Source: "notify", Label: "no notify since"})
		}
		if m.Node == c.NewMaster {
			lane.Spans = append(lane.Spans, reports.AbsSpan{From: at.Add(c.Takeover), To: end, Source: "vip", Label: "holds the VIP"})
		}
		lanes = append(lanes, lane)
	}
	for _, extra := range c.Lanes {
		// A director's extra spans (the VIP held, polled) join its lane.
		if i := slices.IndexFunc(lanes, func(l reports.AbsLane) bool { return l.Node == extra.Node }); i >= 0 {
			lanes[i].Spans = append(lanes[i].Spans, extra.Spans...)
			continue
		}
		lanes = append(lanes, extra)
	}
	slices.SortStableFunc(moments, func(a, b reports.AbsEvent) int { return a.At.Compare(b.At) })
	var gapTo time.Time
	if c.Back > 0 {
		gapTo = at.Add(c.Back)
	}
	AddReportEntry(name, reports.MastersFrom(name+": who is MASTER", at, lanes, moments, at.Add(c.Down), gapTo))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// overlap is the longest time two routers advertised at once in spans:
// zero when one MASTER followed another.
func overlap(spans []captures.MasterSpan) time.Duration {
	var most time.Duration
	for i, a := range spans {
		for _, b := range spans[i+1:] {
			if a.SrcIP != b.SrcIP && a.VRID == b.VRID {
				most = max(most, minTime(a.To, b.To).Sub(maxTime(a.From, b.From)))
			}
		}
	}
	return most
}
