package scenarios_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
)

// keepalived health checkers beyond TCP_CHECK (keepalived_test.go), each
// on its own copy of seed 004's lab (dr-keepalived.yaml) with the
// service's check changed as the spec says: HTTP_GET with a right and a
// wrong status_code, inhibit_on_failure, MISC_CHECK, and sorry_server
// with quorum. The check timers are shortened as in keepalived_test.go;
// VRRP's are the document's.

// healthTimers shortens a check's timers: delay_loop 3, connect_timeout 2,
// retry 1, delay_before_retry 1, warmup 0.
func healthTimers(c *topo.Check) {
	zero := 0
	c.DelayLoop, c.ConnectTimeout, c.Retry, c.DelayBeforeRetry, c.Warmup = 3, 2, 1, 1, &zero
}

// expectBack waits for the service's real servers on each of dirs to be
// want after a server came back, records how long each director took
// (as name DIRECTOR: "what DURATION after …") and holds it to keepalived.Readd.
func expectBack(name, what string, dirs []*topo.Host, target netip.AddrPort, want map[string]int, c *topo.Check) {
	GinkgoHelper()
	back := keepalived.Readd(c)
	took := waitRealServers(dirs, target, want, back+10*time.Second)
	for _, h := range dirs {
		record(name+" "+h.Name(), "%s %s after its server started; formula: one passing check, within delay_loop + connect_timeout = %s",
			what, took[h.Name()].Round(time.Millisecond), back)
		// No lower side: a check round may start at once.
		Expect(took[h.Name()]).To(BeNumerically("<=", back+keepalived.CheckerLate), "%s on %s", name, h.Name())
	}
}

var _ = Describe("keepalived health checkers: HTTP_GET, inhibit_on_failure, MISC_CHECK", Label("keepalived", "health"), func() {
	It("keeps both real servers with HTTP_GET url / status_code 200, and drops both from both directors with status_code 404 (the backends answer 200)", func() {
		spec, lab := kaLab("lvs01", func(s *topo.Spec) {
			c := s.Services[0].Check
			c.Type, c.URL, c.StatusCode = topo.CheckHTTP, "/", 200
			healthTimers(c)
		})
		check := lab.Spec.Services[0].Check
		target := serviceVIP(spec)
		dirs := []*topo.Host{host(lab, "lvs01"), host(lab, "lvs02")}
		rip01 := spec.Services[0].RealServers[0].RIP.String()
		rip02 := spec.Services[0].RealServers[1].RIP.String()
		both := map[string]int{rip01: 1, rip02: 1}

		By("status_code 200: both real servers stay in both tables past two check rounds")
		waitRealServers(dirs, target, both, 10*time.Second)
		hold := time.Duration(check.DelayLoop)*time.Second + 2*time.Second // a full check round and then some
		Consistently(func() []map[string]int {
			return []map[string]int{realServers(dirs[0], target), realServers(dirs[1], target)}
		}).WithTimeout(hold).WithPolling(200 * time.Millisecond).Should(Equal([]map[string]int{both, both}))
		res := send(host(lab, "client"), "HTTP_GET 200", client.Options{Target: target, Requests: 10})
		Expect(res.Errors).To(BeEmpty())
		expectAlternation(res)

		By("status_code 404 (systemctl reload keepalived on both directors): both real servers leave both tables")
		check.StatusCode = 404
		t := time.Now()
		for _, h := range dirs {
			Expect(keepalived.Reload(lab, h)).To(Succeed())
		}
		reloadTook := time.Since(t)
		formula, fast := keepalived.RemovalTimeout(check), keepalived.RemovalRefused(check)
		removed := waitRealServers(dirs, target, map[string]int{}, formula+10*time.Second)
		for _, h := range dirs {
			took := reloadTook + removed[h.Name()]
			record("HTTP_GET wrong status "+h.Name(),
				"both real servers left the table %s after the reload; formula: an answer with the wrong status fails at once, at most delay_loop + retry×delay_before_retry = %s (were it to wait out connect_timeout: %s)",
				took.Round(time.Millisecond), fast, formula)
			Expect(took).To(BeNumerically("<=", fast+keepalived.CheckerLate), "removal on %s", h.Name())
		}
	})

	It("sets a failed real server's weight to 0 with inhibit_on_failure instead of removing it, on both directors, and back to 1 once revived", func() {
		spec, lab := kaLab("lvs01", func(s *topo.Spec) {
			c := s.Services[0].Check
			c.InhibitOnFailure = true
			healthTimers(c)
		})
		check := lab.Spec.Services[0].Check
		target := serviceVIP(spec)
		dirs := []*topo.Host{host(lab, "lvs01"), host(lab, "lvs02")}
		web01 := host(lab, "web01")
		rip01 := spec.Services[0].RealServers[0].RIP.String()
		rip02 := spec.Services[0].RealServers[1].RIP.String()
		waitRealServers(dirs, target, map[string]int{rip01: 1, rip02: 1}, 10*time.Second)

		By("systemctl stop httpd on web01: its weight drops to 0, it stays in the table")
		// A stopped server refuses: connect_timeout never counts.
		formula := keepalived.RemovalRefused(check)
		t := time.Now()
		Expect(realserver.Stop(web01, 0)).To(Succeed())
		stopTook := time.Since(t)
		inhibited := waitRealServers(dirs, target, map[string]int{rip01: 0, rip02: 1}, keepalived.RemovalTimeout(check)+10*time.Second)
		for _, h := range dirs {
			took := stopTook + inhibited[h.Name()]
			record("inhibit_on_failure "+h.Name(),
				"web01's weight went to 0 %s after the stop command (which took %s); formula for a refused connection: at most delay_loop + retry×delay_before_retry = %s",
				took.Round(time.Millisecond), stopTook.Round(time.Millisecond), formula)
			Expect(took).To(BeNumerically("<=", stopTook+formula+keepalived.CheckerLate), "inhibit on %s", h.Name())
		}
		res := send(host(lab, "client"), "web01 inhibited", client.Options{Target: target, Requests: 10})
		Expect(res.Errors).To(BeEmpty())
		Expect(res.Tally).To(Equal(map[string]int{"web02": 10}))

		By("systemctl start httpd on web01: weight 1 again")
		Expect(realserver.Start(web01, realserver.ServiceOptions(spec, "web01"), lvslabBinary())).To(Succeed())
		expectBack("inhibit_on_failure restore", "web01's weight back to 1", dirs, target, map[string]int{rip01: 1, rip02: 1}, check)
	})

	It("removes the real servers on the director whose MISC_CHECK script exits 1, and takes them back when it exits 0", func() {
		// The script fails on a director that has an interface named
		// down0 (setDown0), as in the track_script spec: each director's
		// checker runs it in its own namespace, so only lvs01's table
		// changes.
		const flag = "/proc/sys/net/ipv4/conf/down0"
		spec, lab := kaLab("lvs01", func(s *topo.Spec) {
			c := s.Services[0].Check
			c.Type, c.Script = topo.CheckMisc, "/usr/bin/test ! -e "+flag
			healthTimers(c)
			// misc_timeout: process starts are slow in the TCG guest, and
			// slower with other labs beside it (a `test` past 3 s timed
			// out, and lvs02 dropped its servers too). The script exits at
			// once, so only the upper bound of removal grows with it.
			c.ConnectTimeout = 10
		})
		check := lab.Spec.Services[0].Check
		target := serviceVIP(spec)
		lvs01, lvs02 := host(lab, "lvs01"), host(lab, "lvs02")
		rip01 := spec.Services[0].RealServers[0].RIP.String()
		rip02 := spec.Services[0].RealServers[1].RIP.String()
		both := map[string]int{rip01: 1, rip02: 1}
		waitRealServers([]*topo.Host{lvs01, lvs02}, target, both, 10*time.Second)

		By("the script exits 1 on lvs01: lvs01's table loses both real servers, lvs02's keeps them")
		setDown0(lvs01, true)
		formula, fast := keepalived.RemovalTimeout(check), keepalived.RemovalRefused(check)
		removed := waitRealServers([]*topo.Host{lvs01}, target, map[string]int{}, formula+10*time.Second)
		record("MISC_CHECK exit 1",
			"both real servers left lvs01's table %s after the script began to fail; formula (at most): a script that exits 1 at once, delay_loop + retry×delay_before_retry = %s; bound with misc_timeout: %s",
			removed["lvs01"].Round(time.Millisecond), fast, formula)
		// Each run may take up to misc_timeout in the guest (a fork), so
		// the bound is the slow formula with misc_timeout.
		Expect(removed["lvs01"]).To(BeNumerically("<=", formula+keepalived.CheckerLate))
		Expect(realServers(lvs02, target)).To(Equal(both), "lvs02's script still exits 0")

		By("the script exits 0 again: lvs01's table has both real servers back")
		setDown0(lvs01, false)
		back := keepalived.Readd(check)
		added := waitRealServers([]*topo.Host{lvs01}, target, both, back+10*time.Second)
		record("MISC_CHECK exit 0", "both real servers back in lvs01's table %s after the script passed; formula: one passing check, within delay_loop + misc_timeout = %s",
			added["lvs01"].Round(time.Millisecond), back)
		Expect(added["lvs01"]).To(BeNumerically("<=", back+keepalived.CheckerLate))
		res := send(host(lab, "client"), "MISC_CHECK passes", client.Options{Target: target, Requests: 10})
		Expect(res.Errors).To(BeEmpty())
		expectEvenSplit(res)
	})
})

// withSorryServer adds a third web server, sorry (192.168.10.36), to
// seed 004's lab as the service's sorry_server; no document has one.
func withSorryServer(s *topo.Spec) {
	GinkgoHelper()
	_, err := s.AddNodeLike("web02", "sorry", netip.MustParsePrefix("192.168.10.36/24"))
	Expect(err).NotTo(HaveOccurred())
	svc := s.Services[0]
	svc.SorryServer = &topo.RealServer{Node: "sorry", RIP: netip.MustParseAddr("192.168.10.36"), Port: svc.Port}
	healthTimers(svc.Check)
}

var _ = Describe("keepalived sorry_server and quorum", Label("keepalived", "health"), func() {
	It("puts the sorry server in alone once every real server is down and takes it out when one revives; with quorum 2 it replaces web02 as soon as web01 is down", func() {
		spec, lab := kaLab("lvs01", withSorryServer)
		svc := lab.Spec.Services[0]
		target := serviceVIP(spec)
		dirs := []*topo.Host{host(lab, "lvs01"), host(lab, "lvs02")}
		cli, web01, web02 := host(lab, "client"), host(lab, "web01"), host(lab, "web02")
		rip01, rip02 := svc.RealServers[0].RIP.String(), svc.RealServers[1].RIP.String()
		sorry := svc.SorryServer.RIP.String()
		formula := keepalived.RemovalTimeout(svc.Check)
		back := keepalived.Readd(svc.Check)
		waitRealServers(dirs, target, map[string]int{rip01: 1, rip02: 1}, 10*time.Second)

		By("quorum 1 (keepalived's default): with web01 stopped, web02 serves alone and the sorry server stays out (the control of quorum 2 below)")
		Expect(realserver.Stop(web01, 0)).To(Succeed())
		waitRealServers(dirs, target, map[string]int{rip02: 1}, formula+keepalived.CheckerLate)
		res := send(cli, "web01 down, quorum 1", client.Options{Target: target, Requests: 10})
		Expect(res.Errors).To(BeEmpty())
		Expect(res.Tally).To(Equal(map[string]int{"web02": 10}))

		By("web02 stopped too: the sorry server is the table on both directors and answers every request")
		t := time.Now()
		Expect(realserver.Stop(web02, 0)).To(Succeed())
		stopTook := time.Since(t)
		in := waitRealServers(dirs, target, map[string]int{sorry: 1}, formula+keepalived.CheckerLate)
		for _, h := range dirs {
			record("sorry_server in "+h.Name(), "the sorry server replaced the last real server %s after web02's stop; formula: it goes in with the removal, within delay_loop + (retry+1)×connect_timeout + retry×delay_before_retry = %s",
				(stopTook + in[h.Name()]).Round(time.Millisecond), formula)
		}
		res = send(cli, "every real server down", client.Options{Target: target, Requests: 10})
		Expect(res.Errors).To(BeEmpty())
		Expect(res.Tally).To(Equal(map[string]int{"sorry": 10}))

		By("web01 started again: quorum is back, the sorry server leaves and web01 serves")
		Expect(realserver.Start(web01, realserver.ServiceOptions(spec, "web01"), lvslabBinary())).To(Succeed())
		out := waitRealServers(dirs, target, map[string]int{rip01: 1}, back+keepalived.CheckerLate)
		record("sorry_server out", "the sorry server left and web01 came back %s after its server started (lvs01) and %s (lvs02); formula: one passing check, within delay_loop + connect_timeout = %s",
			out["lvs01"].Round(time.Millisecond), out["lvs02"].Round(time.Millisecond), back)
		res = send(cli, "web01 revived", client.Options{Target: target, Requests: 10})
		Expect(res.Errors).To(BeEmpty())
		Expect(res.Tally).To(Equal(map[string]int{"web01": 10}))

		By("web02 started, then quorum 2 (systemctl reload keepalived on both directors): both real servers serve")
		Expect(realserver.Start(web02, realserver.ServiceOptions(spec, "web02"), lvslabBinary())).To(Succeed())
		waitRealServers(dirs, target, map[string]int{rip01: 1, rip02: 1}, back+keepalived.CheckerLate)
		svc.Quorum = 2
		for _, h := range dirs {
			Expect(keepalived.Reload(lab, h)).To(Succeed())
		}
		Consistently(func() []map[string]int {
			return []map[string]int{realServers(dirs[0], target), realServers(dirs[1], target)}
		}).WithTimeout(time.Duration(svc.Check.DelayLoop)*time.Second+time.Second).WithPolling(200*time.Millisecond).
			Should(Equal([]map[string]int{{rip01: 1, rip02: 1}, {rip01: 1, rip02: 1}}), "quorum 2 is met by two live servers of weight 1")

		By("quorum 2, web01 stopped: the live weight 1 is below quorum, so the sorry server replaces web02, which still runs")
		Expect(realserver.Stop(web01, 0)).To(Succeed())
		lost := waitRealServers(dirs, target, map[string]int{sorry: 1}, formula+keepalived.CheckerLate)
		record("quorum lost", "with quorum 2, the sorry server replaced web02 %s (lvs01) and %s (lvs02) after web01's stop; formula: %s",
			lost["lvs01"].Round(time.Millisecond), lost["lvs02"].Round(time.Millisecond), formula)
		running, err := realserver.Running(web02)
		Expect(err).NotTo(HaveOccurred())
		Expect(running).To(BeTrue(), "web02's server should still run")
		res = send(cli, "quorum 2 lost", client.Options{Target: target, Requests: 10})
		Expect(res.Errors).To(BeEmpty())
		Expect(res.Tally).To(Equal(map[string]int{"sorry": 10}))
	})
})

// blackhole makes the node drop (or, with on false, stop dropping) the
// TCP SYNs it receives for port, in a table of its own: a server that
// no longer answers rather than refuses. Equivalent to: `ip netns exec
// NS nft add rule inet lvslab_blackhole input tcp dport PORT tcp flags
// syn drop`.
func blackhole(h *topo.Host, port uint16, on bool) {
	GinkgoHelper()
	if !on {
		nft(h, "delete table inet lvslab_blackhole")
		return
	}
	nft(h, "add table inet lvslab_blackhole; "+
		"add chain inet lvslab_blackhole input { type filter hook input priority 0; policy accept; }; "+
		fmt.Sprintf("add rule inet lvslab_blackhole input tcp dport %d tcp flags syn drop", port))
}

var _ = Describe("keepalived TCP_CHECK of a blackholed real server", Label("keepalived", "health"), func() {
	It("drops a real server that stops answering SYNs after delay_loop + (retry+1)×connect_timeout + retry×delay_before_retry at most and (retry+1)×connect_timeout + retry×delay_before_retry at least, later than a refusing one can take", func() {
		spec, lab := kaLab("lvs01", func(s *topo.Spec) { healthTimers(s.Services[0].Check) })
		svc := lab.Spec.Services[0]
		check := svc.Check
		target := serviceVIP(spec)
		dirs := []*topo.Host{host(lab, "lvs01"), host(lab, "lvs02")}
		web01 := host(lab, "web01")
		rs := svc.RealServers[0]
		port := rs.Port
		if port == 0 {
			port = svc.Port
		}
		rip01, rip02 := rs.RIP.String(), svc.RealServers[1].RIP.String()
		waitRealServers(dirs, target, map[string]int{rip01: 1, rip02: 1}, 10*time.Second)

		By(fmt.Sprintf("web01 drops every SYN to port %d (nft ... tcp flags syn drop in its own namespace)", port))
		most, least := keepalived.RemovalTimeout(check), keepalived.RemovalTimeoutMin(check)
		refused := keepalived.RemovalRefused(check)
		t := time.Now()
		blackhole(web01, port, true)
		DeferCleanup(func() {
			c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, _ = web01.Command(c, "nft", "delete table inet lvslab_blackhole").CombinedOutput()
		})
		cmdTook := time.Since(t)
		removed := waitRealServers(dirs, target, map[string]int{rip02: 1}, most+keepalived.CheckerLate+10*time.Second)
		for _, h := range dirs {
			// From the rule in place (the command's end): every attempt
			// from then on waits out connect_timeout.
			took := removed[h.Name()]
			record("blackhole removal "+h.Name(),
				"web01 left the table %s after its SYNs were dropped (the nft command took %s); formula: at most delay_loop + (retry+1)×connect_timeout + retry×delay_before_retry = %d + %d×%d + %d×%d = %s, at least (retry+1)×connect_timeout + retry×delay_before_retry = %s; a refusing server is gone within %s",
				took.Round(time.Millisecond), cmdTook.Round(time.Millisecond), check.DelayLoop, check.Retry+1, check.ConnectTimeout, check.Retry, check.DelayBeforeRetry, most, least, refused)
			Expect(took).To(BeNumerically(">=", least-keepalived.CheckerEarly), "removal on %s before (retry+1)×connect_timeout + retry×delay_before_retry", h.Name())
			// To the command's start: the rule may have been in place as
			// soon as it began.
			Expect(cmdTook+took).To(BeNumerically("<=", most+keepalived.CheckerLate), "removal on %s", h.Name())
			// The negative control of the refusing specs: their formula
			// cannot pass for this one's, which waits out connect_timeout.
			Expect(took).To(BeNumerically(">", refused), "removal on %s within a refusing server's delay_loop + retry×delay_before_retry: connect_timeout did not count", h.Name())
		}
		res := send(host(lab, "client"), "web01 blackholed", client.Options{Target: target, Requests: 10})
		Expect(res.Errors).To(BeEmpty())
		Expect(res.Tally).To(Equal(map[string]int{"web02": 10}))

		By("the drop rule deleted: web01 is back on both directors")
		blackhole(web01, port, false)
		expectBack("blackhole re-add", "web01 back in the table", dirs, target, map[string]int{rip01: 1, rip02: 1}, check)
		res = send(host(lab, "client"), "web01 answers again", client.Options{Target: target, Requests: 10})
		Expect(res.Errors).To(BeEmpty())
		expectEvenSplit(res)
	})
})
