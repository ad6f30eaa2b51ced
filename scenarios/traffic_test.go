package scenarios_test

import (
	"net/netip"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/director/sched"
	"github.com/lvslab/lvslab/internal/labup"
	"github.com/lvslab/lvslab/topo"
)

// Traffic specs: what each scheduler, persistence and firewall marks do
// to a stream of requests. Every expectation is computed from the
// kernel's rule (the model in director/sched, FACTS.md), not written
// down as a tally; each scheduler spec has a swap control
// (schedwork_test.go). They run on the DR lab of seed 003 §4.3 (dr.yaml) and
// the firewall-mark lab of seed 002 (fwmark.yaml), changed before they go
// up.

// drWith loads dr.yaml with the service's scheduler set.
func drWith(sched string) *topo.Spec {
	GinkgoHelper()
	spec := loadLab("dr.yaml")
	spec.Services[0].Scheduler = sched
	return spec
}

// holdOne holds a keep-alive connection from cl to vip and returns it
// with the real server of svc that answered it.
func holdOne(cl *topo.Host, vip netip.AddrPort, svc *topo.Service) (*heldConn, *topo.RealServer) {
	GinkgoHelper()
	By("holding a keep-alive connection")
	hc, err := hold(cl, vip)
	Expect(err).NotTo(HaveOccurred())
	rs := svc.RealServer(hc.Server)
	Expect(rs).NotTo(BeNil(), "%s answered, and it is no real server of %s", hc.Server, svc.Name)
	return hc, rs
}

// eightSources gives the client eight more addresses, 192.168.10.11-18,
// and returns them: the source-hashing specs spread over them.
func eightSources(spec *topo.Spec) []netip.Addr {
	return addAddresses(spec, "client",
		"192.168.10.11/24", "192.168.10.12/24", "192.168.10.13/24", "192.168.10.14/24",
		"192.168.10.15/24", "192.168.10.16/24", "192.168.10.17/24", "192.168.10.18/24")
}

// weights returns a Setup that sets the real servers' weights, in file
// order (web1, web2, …), with the client's own address as the source.
func weights(ws ...int) func(*topo.Spec) []netip.Addr {
	return func(spec *topo.Spec) []netip.Addr {
		setWeights(spec, ws...)
		return nil
	}
}

// The scheduler specs. The kernel's list is the file's order reversed:
// [web2, web1] (and [web3, web2, web1] with a third server). Each
// workload is chosen so that the model of every other modelled scheduler
// predicts another sequence (TestSchedSpecsSeparate checks that without
// root), and the swap control shows the kernel agrees, lblc and lblcr
// included.
var schedSpecs = []schedSpec{
	{
		Sched: "rr", Title: "rr gives each new connection to the next RS of the list, whatever the weights (1:3) and the load",
		Setup: weights(1, 3),
		// After web1's connection closes, lc, wlc and nq send the next
		// one to web1 (fewer active); rr goes on to web2.
		Steps: []step{holdN(2), release(1), holdN(2)},
	},
	{
		Sched: "wrr", Title: "wrr with weights 1:3 gives 10/30 of 40 requests in ip_vs_wrr_schedule's order, and keeps its order when a held connection closes",
		Setup: weights(1, 3),
		// Over short requests wlc's least overhead per weight picks the
		// very same sequence (the inactive counts play the part of cw);
		// wrr ignores a connection closing, wlc sends the next one to the
		// server it freed.
		Steps: []step{requestsN(40), holdN(4), release(1), holdN(4)},
	},
	{
		Sched: "lc", Title: "lc sends a new connection to the RS with the fewest active connections, whatever the weights (1:3)",
		Setup: weights(1, 3),
		// Four held connections alternate (wlc would give web2 three of
		// four); closing the fourth (web1's) sends the fifth to web1,
		// where rr would go on to web2.
		Steps: []step{holdN(4), release(3), holdN(1)},
	},
	{
		Sched: "wlc", Title: "wlc weighs the held connections by weight (1:3), and fills the place a closed one leaves",
		Setup: weights(1, 3),
		// Held only, wlc's sequence is wrr's; closing web1's connection
		// sends the next one there, where wrr goes on with web2.
		Steps: []step{holdN(4), release(1), holdN(3)},
	},
	{
		Sched: "sed", Title: "sed with weights 1,2,3 sends the first connection to the weight-3 server (seed 000's worked example)",
		Setup: func(spec *topo.Spec) []netip.Addr {
			addRealServer(spec, "web2", "web3", "192.168.188.83/24", 3)
			setWeights(spec, 1, 2, 3)
			return nil
		},
		Steps: []step{holdN(6)},
	},
	{
		Sched: "nq", Title: "nq with weights 1,2,3 gives an idle server the next connection at once, else goes as sed (seed 000)",
		Setup: func(spec *topo.Spec) []netip.Addr {
			addRealServer(spec, "web2", "web3", "192.168.188.83/24", 3)
			setWeights(spec, 1, 2, 3)
			return nil
		},
		// Held only, nq's first six are wrr's too; web1 idle again after
		// its connection closes gets the next one at once.
		Steps: []step{holdN(3), release(2), holdN(3)},
	},
	{
		Sched: "fo", Title: "fo sends everything to the highest weight (1:3), held or not, from any source",
		Setup: func(spec *topo.Spec) []netip.Addr {
			setWeights(spec, 1, 3)
			return eightSources(spec)
		},
		// Six held connections tell it from sed, nq, ovf and lblc (which
		// move on once web2 is loaded); eight sources from sh and mh
		// (which send some of them to web1).
		Steps: []step{holdN(6), requestsN(8)},
	},
	{
		Sched: "ovf", Title: "ovf fills the highest weight up to its weight in active connections, then the next, then refuses",
		Setup: weights(1, 2),
		Steps: []step{holdN(6)},
	},
	{
		Sched: "sh", Title: "sh keeps each client address on the RS its hash bucket names, spread over both",
		Setup: eightSources,
		Steps: []step{requestsN(32)},
	},
	{
		Sched: "dh", Title: "dh sends every request for the VIP to the one RS the VIP hashes to, from any source",
		Setup: eightSources,
		Steps: []step{requestsN(16)},
	},
	{
		Sched: "mh", Title: "mh keeps each client address on the RS its Maglev lookup entry names",
		Setup: eightSources,
		Steps: []step{requestsN(32)},
	},
}

var _ = Describe("Schedulers (seed 000 scheduler list, seed 003 formulas)", Label("sched"), func() {
	for _, w := range schedSpecs {
		describeSchedSpec(w)
	}

	It("keeps an open connection to a weight-0 RS working and sends new ones elsewhere", func() {
		spec := drWith("rr")
		lab := upSpec(spec, labup.Options{})
		cl, vip := host(lab, "client"), serviceVIP(spec)
		svc := spec.Services[0]

		hc, rs := holdOne(cl, vip, svc)
		quiesced := hc.Server

		By("setting " + quiesced + "'s weight to 0 (ipvsadm -e … -w 0)")
		Expect(openDirector(host(lab, "lvs")).Quiesce(svc, rs)).To(Succeed())

		By("the open connection still gets answers from " + quiesced)
		for range 3 {
			Expect(hc.Ask()).To(Equal(quiesced))
		}

		By("new connections all go to the other RS")
		res := send(cl, "weight 0", client.Options{Target: vip, Requests: 10})
		Expect(res.Errors).To(BeEmpty())
		Expect(res.Tally).NotTo(HaveKey(quiesced))
		Expect(res.OK()).To(Equal(10))
	})

	DescribeTable("a held connection to a deleted RS (ipvsadm -d): expire_nodest_conn",
		func(expire string, want string) {
			spec := drWith("rr")
			node(spec, "lvs").Sysctls = map[string]string{"net.ipv4.vs.expire_nodest_conn": expire}
			lab := upSpec(spec, labup.Options{})
			cl, vip := host(lab, "client"), serviceVIP(spec)
			svc := spec.Services[0]

			hc, rs := holdOne(cl, vip, svc)

			By("deleting " + hc.Server + " from the service (ipvsadm -d)")
			Expect(openDirector(host(lab, "lvs")).DeleteRealServer(svc, rs)).To(Succeed())

			By("asking again on the held connection")
			start := time.Now()
			_, err := hc.Ask()
			took := time.Since(start)
			record("expire_nodest_conn "+expire, "the held connection's next request: %s after %s (%v)",
				client.Classify(err), took.Round(time.Millisecond), err)
			Expect(client.Classify(err)).To(Equal(want))

			By("new connections go to the RS that is left")
			res := send(cl, "after ipvsadm -d", client.Options{Target: vip, Requests: 4})
			Expect(res.Errors).To(BeEmpty())
			Expect(res.Tally).NotTo(HaveKey(hc.Server))
		},
		Entry("0 (the default): it stalls, as the director drops its packets", "0", client.Timeout),
		Entry("1: the director forgets the connection and its own stack resets it", "1", client.Reset),
	)

	It("refuses a client at once when the service has no real server", func() {
		spec := drWith("rr")
		spec.Services[0].RealServers = nil
		lab := upSpec(spec, labup.Options{})

		By("the director answers ICMP port unreachable: ECONNREFUSED, not a hang")
		res := send(host(lab, "client"), "no destination", client.Options{
			Target: serviceVIP(spec), Requests: 3, Timeout: 2 * time.Second,
		})
		Expect(res.Errors).To(Equal(map[string]int{client.Refused: 3}))
		for _, e := range res.Timeline {
			Expect(e.Latency).To(BeNumerically("<", time.Second))
		}
	})
})

var _ = Describe("Persistence (seed 000 -p 5, seed 002)", Label("persistence"), func() {
	It("-p 5 keeps a client on one RS, and after the template expires it moves on", func() {
		spec := drWith("rr")
		spec.Services[0].Persistence = &topo.Persistence{Timeout: 5, Netmask: topo.DefaultNetmask}
		lab := upSpec(spec, labup.Options{})
		cl, lvs, vip := host(lab, "client"), host(lab, "lvs"), serviceVIP(spec)
		clientAddr := netip.MustParseAddr("192.168.10.6")
		rr := sched.List(spec.Services[0])

		By("shortening the FIN_WAIT timeout to 2 s (ipvsadm --set 900 2 300), so the template is freed soon")
		ipvsadm(lvs.Namespace(), "--set", "900", "2", "300")

		By("20 requests all go to the RS rr picks first")
		res := send(cl, "persistence", client.Options{Target: vip, Requests: 20})
		Expect(res.Tally).To(Equal(map[string]int{rr[0].Node: 20}))

		By("the template (client port 0) is in the connection table")
		tmpl := func() []director.Conn {
			return snapshot(lvs).ConnsWhere(func(c director.Conn) bool { return c.Template() && c.Client.Addr() == clientAddr })
		}
		Expect(tmpl()).To(HaveLen(1))

		By("waiting for the connections, then the template, to expire")
		start := time.Now()
		Eventually(tmpl).WithTimeout(20 * time.Second).WithPolling(250 * time.Millisecond).Should(BeEmpty())
		record("persistence", "template gone %s after the last request", time.Since(start).Round(100*time.Millisecond))

		By("the next request is scheduled afresh: rr moves on to the other RS")
		res = send(cl, "persistence after expiry", client.Options{Target: vip, Requests: 5})
		Expect(res.Tally).To(Equal(map[string]int{rr[1].Node: 5}))
	})

	It("-M 255.255.255.0 puts two client addresses of one /24 on one RS", func() {
		spec := drWith("rr")
		spec.Services[0].Persistence = &topo.Persistence{Timeout: 60, Netmask: netip.MustParseAddr("255.255.255.0")}
		sources := addAddresses(spec, "client", "192.168.10.11/24", "192.168.10.12/24")
		lab := upSpec(spec, labup.Options{})
		cl, vip := host(lab, "client"), serviceVIP(spec)

		By("20 requests alternating between 192.168.10.11 and .12")
		res := send(cl, "persistence /24", client.Options{Target: vip, Requests: 20, Sources: sources})
		Expect(res.Errors).To(BeEmpty())
		Expect(res.Tally).To(HaveLen(1))

		By("control: with -M 255.255.255.255 the two addresses get a template each, and rr splits them")
		svc := *spec.Services[0]
		svc.Persistence = &topo.Persistence{Timeout: 60, Netmask: topo.DefaultNetmask}
		Expect(openDirector(host(lab, "lvs")).EditService(&svc)).To(Succeed())
		res = send(cl, "persistence /32", client.Options{Target: vip, Requests: 20, Sources: sources})
		Expect(res.Tally).To(HaveLen(2))
		for _, src := range sources {
			var on []string
			for _, e := range res.Replies() {
				if e.Source.Addr() == src && !slices.Contains(on, e.Server) {
					on = append(on, e.Server)
				}
			}
			Expect(on).To(HaveLen(1), "source %s stays on one RS", src)
		}
	})

	It("a port-0 persistent service sends every port of one client to one RS (seed 002, -A -t VIP:0 -s rr -p)", func() {
		spec := loadLab("fwmark.yaml")
		svc := spec.Services[0]
		svc.FWMark, svc.Ports, svc.Port = 0, nil, 0
		svc.Scheduler = "rr"
		svc.Persistence = &topo.Persistence{Timeout: 60, Netmask: topo.DefaultNetmask}
		for _, rs := range svc.RealServers {
			rs.Port = 0
		}
		lab := upSpec(spec, labup.Options{})
		cl := host(lab, "client")

		By("HTTP to VIP:80 and echo to VIP:7 from 172.16.0.67")
		web := send(cl, "port 0 http", client.Options{Target: netip.AddrPortFrom(svc.VIP, 80), Requests: 6})
		echo := send(cl, "port 0 echo", client.Options{Target: netip.AddrPortFrom(svc.VIP, 7), Protocol: client.TCPEcho, Requests: 6})
		Expect(web.Errors).To(BeEmpty())
		Expect(echo.Errors).To(BeEmpty())

		By("both ports went to the same RS")
		Expect(web.Tally).To(HaveLen(1))
		Expect(echo.Tally).To(Equal(web.Tally))
	})
})

var _ = Describe("Firewall marks (seed 002)", Label("fwmark"), func() {
	// The claim here is the mark's: :80 and :443 are one service, so what
	// sh does to a client holds for both ports. That sh is what the
	// kernel runs is the sh spec's claim, with its swap control; with one
	// client address, dh, mh or fo would also keep it on one RS.
	It("sh keeps 80 and 443 of one client on one RS; after -E -s rr they alternate", func() {
		lab := upLab("fwmark.yaml")
		svc := lab.Spec.Services[0]
		cl, dir := host(lab, "client"), host(lab, "director")
		clientAddr := netip.MustParseAddr("172.16.0.67")
		http := netip.AddrPortFrom(svc.VIP, 80)
		https := netip.AddrPortFrom(svc.VIP, 443)

		By("the mark rule and the FWM 3 service are in place (ipvsadm -Ln)")
		Expect(ipvsadm(dir.Namespace(), "-Ln")).To(ContainSubstring("FWM  3 sh"))

		By("10 requests to :80 and 10 to :443 all go to the RS 172.16.0.67 hashes to")
		sh, err := sched.New("sh", sched.List(svc))
		Expect(err).NotTo(HaveOccurred())
		want := sh.Schedule(sched.Conn{Client: clientAddr, VIP: svc.VIP}).Node
		a := send(cl, "fwmark sh :80", client.Options{Target: http, Requests: 10})
		b := send(cl, "fwmark sh :443", client.Options{Target: https, Requests: 10})
		Expect(a.Tally).To(Equal(map[string]int{want: 10}))
		Expect(b.Tally).To(Equal(map[string]int{want: 10}))

		By("ipvsadm -E -f 3 -s rr")
		rr := *svc
		rr.Scheduler = "rr"
		Expect(openDirector(dir).EditService(&rr)).To(Succeed())
		Expect(ipvsadm(dir.Namespace(), "-Ln")).To(ContainSubstring("FWM  3 rr"))

		By("now both ports alternate between rs1 and rs2")
		a = send(cl, "fwmark rr :80", client.Options{Target: http, Requests: 10})
		b = send(cl, "fwmark rr :443", client.Options{Target: https, Requests: 10})
		expectTally(a, map[string]int{"rs1": 5, "rs2": 5})
		expectTally(b, map[string]int{"rs1": 5, "rs2": 5})
		expectAlternation(a)
		expectAlternation(b)
	})
})
