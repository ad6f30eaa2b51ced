package scenarios_test

// Source-port reuse: only a SYN that matches no entry the director holds
// is scheduled (director.Conn.Holds). Under DR and TUN a finished
// connection's entry stays in FIN_WAIT for two minutes, and the client's
// kernel can pick the same source port again before that (in the guest,
// 8 of 400 curl connections from one client did, within a minute): that
// connection goes to the server the entry names, and the scheduler does
// not move. The rr checks below hold the scheduled connections to rr and
// each reused one to its entry, and record every reuse.

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/topo"
)

// heldEntries is what a client's next SYN to a service would follow
// instead of the scheduler: its source ports the directors hold, with the
// server each goes to, and whether the service's finished connections go
// on holding their ports (DR, TUN: the director never sees the server's
// FIN).
type heldEntries struct {
	ports map[uint16]string
	keeps bool
}

// heldBefore is what the directors held before each send's run began.
var heldBefore = map[*client.Result]heldEntries{}

// held reads, from every director of the service at target, the entries
// that hold a SYN from client node h's addresses (director.Table.Held),
// by client port, with the server's node name. A target that is no
// service of the lab (a RIP) holds nothing.
func held(h *topo.Host, target netip.AddrPort) heldEntries {
	GinkgoHelper()
	out := heldEntries{ports: map[uint16]string{}}
	lab, err := topo.Open(h.Lab)
	Expect(err).NotTo(HaveOccurred())
	for _, svc := range lab.Spec.Services {
		if svc.VIP != target.Addr() || (svc.Port != target.Port() && !slices.Contains(svc.Ports, target.Port())) || svc.Protocol == "udp" {
			continue
		}
		out.keeps = svc.Forward == topo.ForwardDR || svc.Forward == topo.ForwardTUN
		nodes := map[netip.Addr]string{}
		for _, rs := range svc.Backends() {
			nodes[rs.RIP] = rs.Node
		}
		for _, name := range svc.Directors {
			t, err := director.Snapshot(host(lab, name))
			Expect(err).NotTo(HaveOccurred(), "read %s's connection table", name)
			for _, ifc := range h.Spec.Interfaces {
				for _, p := range ifc.Addresses {
					for port, dest := range t.Held(p.Addr(), target) {
						out.ports[port] = nodes[dest.Addr()]
					}
				}
			}
		}
	}
	return out
}

// sourceConn is one answered connection: its source port, who answered.
type sourceConn struct {
	port   uint16
	server string
}

// answered are a run's answered connections, in order.
func answered(res *client.Result) []sourceConn {
	var out []sourceConn
	for _, e := range res.Replies() {
		out = append(out, sourceConn{port: e.Source.Port(), server: e.Server})
	}
	return out
}

// scheduled splits conns, in the order they were made, into the servers
// of those the director scheduled and a description of each that reused
// a held source port, and records those; it fails the spec if a reused
// one did not go to the server its entry names. who names the client in
// the descriptions.
func scheduled(before heldEntries, conns []sourceConn, who string) (seq, reused []string) {
	GinkgoHelper()
	ports := maps.Clone(before.ports)
	if ports == nil {
		ports = map[uint16]string{}
	}
	for i, c := range conns {
		if s, ok := ports[c.port]; ok {
			Expect(c.server).To(Equal(s), "%s's request %d reused source port %d, whose entry the director still held for %s: it goes there, unscheduled", who, i+1, c.port, s)
			reused = append(reused, fmt.Sprintf("%s's request %d from port %d went to %s, the server of the entry the director still held for that port, unscheduled", who, i+1, c.port, s))
			continue
		}
		seq = append(seq, c.server)
		if before.keeps {
			ports[c.port] = c.server
		}
	}
	if len(reused) > 0 {
		record("source port reused", "%s", strings.Join(reused, "; "))
	}
	return seq, reused
}

// ourScheduled is scheduled for a run of send, worked out (and recorded)
// once per run.
func ourScheduled(res *client.Result) (seq, reused []string) {
	GinkgoHelper()
	if s, ok := scheduledRuns[res]; ok {
		return s.seq, s.reused
	}
	seq, reused = scheduled(heldBefore[res], answered(res), "our client")
	scheduledRuns[res] = struct{ seq, reused []string }{seq, reused}
	return seq, reused
}

var scheduledRuns = map[*client.Result]struct{ seq, reused []string }{}

// expectTally checks who answered a run of send against want, the tally
// when the director schedules every request. Where a request reused a
// source port the director still held, it went to that entry's server
// unscheduled (ourScheduled holds it to that); the scheduled requests
// must then split as want does over fewer requests, each server within
// one.
func expectTally(res *client.Result, want map[string]int) {
	GinkgoHelper()
	seq, reused := ourScheduled(res)
	if len(reused) == 0 {
		Expect(res.Tally).To(Equal(want))
		return
	}
	got, total := countOf(seq), 0
	for _, n := range want {
		total += n
	}
	for s, n := range got {
		Expect(want).To(HaveKey(s), "a scheduled request reached %s (scheduled: %v)", s, got)
		share := float64(want[s]) * float64(len(seq)) / float64(total)
		Expect(float64(n)).To(BeNumerically("~", share, 1),
			"%s answered %d of the %d scheduled requests, want %.1f of them (%v of %d; %d reused a held port)", s, n, len(seq), share, want, total, len(reused))
	}
}
