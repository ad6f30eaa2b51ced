package scenarios_test

// Helpers of the method and traffic specs: sending requests and printing
// what they measured, changing a loaded lab file before it goes up,
// holding connections open and asking who answers ARP. The specs compute
// what a scheduler does from the model in director/sched.

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/internal/arping"
	"github.com/lvslab/lvslab/reports"
	"github.com/lvslab/lvslab/topo"
)

// runDeadline bounds every request loop of these specs.
const runDeadline = 60 * time.Second

// send runs a bounded request loop from the node h and prints its tally.
func send(h *topo.Host, what string, opts client.Options) *client.Result {
	GinkgoHelper()
	if opts.Deadline == 0 {
		opts.Deadline = runDeadline
	}
	before := held(h, opts.Target)
	start := time.Now()
	res, err := client.Run(context.Background(), h, opts)
	Expect(err).NotTo(HaveOccurred())
	took := time.Since(start)
	heldBefore[res] = before
	recordFigure(what, reports.Tally{
		Title:  fmt.Sprintf("%d requests to %s in %s", res.Sent, opts.Target, took.Round(time.Millisecond)),
		Counts: res.Tally, Errors: res.Errors,
	})
	return res
}

// record prints a measured figure to the spec's log and its report.
func record(name, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(GinkgoWriter, "%s: %s\n", name, msg)
	AddReportEntry(name, msg)
}

// recordFigure is record for a typed figure (reports.Tally, Table;
// the MASTER chart goes through recordMasters), which the report draws.
func recordFigure(name string, v fmt.Stringer) {
	fmt.Fprintf(GinkgoWriter, "%s: %s\n", name, v)
	AddReportEntry(name, v)
}

// expectAlternation checks a strict alternation of who answered: no
// server twice in a row (rr over two real servers), over the connections
// the director scheduled; one that reused a source port the director
// still held must go to that entry's server (scheduled).
func expectAlternation(res *client.Result) {
	GinkgoHelper()
	seq, _ := ourScheduled(res)
	for i := 1; i < len(seq); i++ {
		Expect(seq[i]).NotTo(Equal(seq[i-1]), "reply %d repeats %s: %v", i, seq[i], seq)
	}
}

// expectEvenSplit checks that both real servers answered and rr kept them
// within two replies of each other. After a failover, preemption or a
// health change, a request can land on a connection entry the event left
// behind (or a half-learned neighbour), so strict alternation is not the
// claim there; the documents' claim is that both keep serving.
func expectEvenSplit(res *client.Result) {
	GinkgoHelper()
	Expect(res.Tally).To(HaveLen(2), "both real servers answer: %v", res.Tally)
	var counts []int
	for _, n := range res.Tally {
		counts = append(counts, n)
	}
	diff := counts[0] - counts[1]
	Expect(diff*diff).To(BeNumerically("<=", 4), "rr keeps the split even: %v", res.Tally)
}

// serviceVIP is where clients connect for the lab file's first service.
func serviceVIP(spec *topo.Spec) netip.AddrPort {
	svc := spec.Services[0]
	return netip.AddrPortFrom(svc.VIP, svc.Port)
}

// node is a node of a loaded lab file; the spec fails if it has none.
func node(spec *topo.Spec, name string) *topo.Node {
	GinkgoHelper()
	n := spec.Node(name)
	Expect(n).NotTo(BeNil(), "no node %s in %s", name, spec.Name)
	return n
}

// addAddresses gives a node's first interface secondary addresses (more
// client source addresses).
func addAddresses(spec *topo.Spec, name string, prefixes ...string) []netip.Addr {
	GinkgoHelper()
	var pfxs []netip.Prefix
	var addrs []netip.Addr
	for _, p := range prefixes {
		pfxs = append(pfxs, netip.MustParsePrefix(p))
		addrs = append(addrs, pfxs[len(pfxs)-1].Addr())
	}
	Expect(spec.AddAddresses(name, pfxs...)).To(Succeed())
	return addrs
}

// addRealServer adds a real-server node on the segment of an existing one
// (same gateway) and makes it a real server of the first service.
func addRealServer(spec *topo.Spec, like, name, addr string, weight int) {
	GinkgoHelper()
	pfx := netip.MustParsePrefix(addr)
	_, err := spec.AddNodeLike(like, name, pfx)
	Expect(err).NotTo(HaveOccurred())
	spec.Services[0].AddRealServer(name, pfx.Addr(), weight)
}

// setWeights sets the first service's real-server weights, in file order.
func setWeights(spec *topo.Spec, weights ...int) {
	GinkgoHelper()
	Expect(spec.Services[0].SetWeights(weights...)).To(Succeed())
}

// openDirector opens an IPVS handle on a director for the spec.
func openDirector(h *topo.Host) *director.Director {
	GinkgoHelper()
	d, err := director.Open(h)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(d.Close)
	return d
}

// snapshot reads a director's table.
func snapshot(h *topo.Host) *director.Table {
	GinkgoHelper()
	t, err := director.Snapshot(h)
	Expect(err).NotTo(HaveOccurred())
	return t
}

// destConns is a service's per-real-server connection totals
// (ipvsadm -Ln --stats, Conns column), keyed by RIP.
func destConns(t *director.Table, vip netip.AddrPort) map[string]int {
	out := map[string]int{}
	if e := t.ServiceAt(vip); e != nil {
		for rip, n := range e.Connections() {
			out[rip] = int(n)
		}
	}
	return out
}

// heldConn is an HTTP keep-alive connection a spec keeps open, so that
// the director counts it as active while the spec opens others.
type heldConn struct {
	*client.Conn
	Server string // who answered its first request
}

// hold opens a connection from the node h to target, asks once, and keeps
// it open until the spec ends. A refused or timed-out connection is
// returned as an error (classify it with client.Classify).
func hold(h *topo.Host, target netip.AddrPort) (*heldConn, error) {
	c, err := client.Dial(context.Background(), h, client.Options{Target: target, Timeout: 3 * time.Second})
	if err != nil {
		return nil, err
	}
	DeferCleanup(c.Close) // a spec may have closed it already: that does nothing
	hc := &heldConn{Conn: c}
	if hc.Server, err = hc.Ask(); err != nil {
		return nil, err
	}
	return hc, nil
}

// Ask sends GET / on the held connection and returns who answered.
func (hc *heldConn) Ask() (string, error) {
	ev, err := hc.Conn.Ask(context.Background())
	return ev.Server, err
}

// arpAnswers is who answers ARP for ip on the node h's interface: the
// MAC addresses, sorted, lower-case (arping.Probe).
func arpAnswers(h *topo.Host, iface string, ip netip.Addr) []string {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	macs, out, err := arping.Probe(ctx, h, iface, ip)
	Expect(err).NotTo(HaveOccurred(), "the ARP specs need arping (Debian iputils-arping)")
	fmt.Fprintf(GinkgoWriter, "arping %s from %s:\n%s", ip, h.Name(), out)
	return macs
}

// macOf is the MAC the builder gives a node's interface, as arping prints.
func macOf(node, iface string) string { return strings.ToLower(topo.MAC(node, iface).String()) }
