package scenarios_test

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lvslab/lvslab/captures"
	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/internal/labup"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/reports"
	"github.com/lvslab/lvslab/topo"
)

// keepalived specs: a MASTER/BACKUP pair of DR directors running Debian's
// keepalived, on the lab of seed 004 (dr-keepalived.yaml), following the
// document's own tests (§四 load balancing, §五 high availability) and
// seed 000 §14's five steps: the MASTER holds the VIP, requests alternate,
// stopping the master moves the VIP, starting it again takes it back, a
// stopped web server leaves the IPVS table and comes back when revived.
//
// Timings are measured and printed next to their formula (FACTS.md,
// director/keepalived's timers.go), counted from the event the formula
// counts from, and held on both sides where the formula has a lower one.
// Each side's slack is named below for what it covers.

// The slacks of the keepalived timing checks.
const (
	// captureJitter is the low side of a time between two adverts on
	// one capture. A backup's timer starts when its keepalived reads the
	// advert, which the bridge delivered to it and to the capturing link
	// in the same pass; the capture's timestamps are the kernel's (ns),
	// so it can only place the advert later than the backup read it by
	// the guest's softirq scheduling between the two bridge ports, a few
	// ms in the TCG guest. keepalived's timers are in µs and never fire
	// early, so nothing else makes a time shorter than its formula.
	captureJitter = 100 * time.Millisecond
	// keepalivedLate is the high side of a VRRP timer of keepalived and
	// of the advert or VIP change that shows it: how late the process
	// runs in the TCG guest with four labs on its two vCPUs. In the
	// lead's parallel runs the backup's first advert has come 2.585 s
	// after a priority-0 advert against a 0.648 s skew (1.94 s late).
	keepalivedLate = 2 * time.Second
	// pollEarly is the low side of a time read by polling (the VIP's
	// holders, the IPVS table) from a command's start: the command's own
	// run may overlap the formula's start by its fork, which this covers,
	// with the poll's own step (10–50 ms).
	pollEarly = 250 * time.Millisecond
	// clientProbe is what the client's gap may add to a takeover: a
	// request in flight when the service came back may still be lost,
	// and only the next one, 20 ms later, answers, each waiting at most
	// switchoverTimeout.
	clientProbe = switchoverTimeout + 20*time.Millisecond
	// checkerLate is the high side of a health checker's removal: the
	// checker's connect (or its HTTP request, or its script's fork) and
	// the table change run in processes the loaded TCG guest schedules
	// late, more so than VRRP's timer. In the lead's parallel runs an
	// inhibit_on_failure removal came 8.12 s after the stop command
	// against a 4 s formula for a refused connection.
	checkerLate = 4500 * time.Millisecond
	// checkerEarly is the low side of a health checker's removal: a
	// checker has dropped a refusing server 849 ms after the stop
	// command's start, 151 ms under the retry×delay_before_retry its
	// retry should take (cause not found; keepalived's timers count from
	// the time its loop last read the clock). Three times that.
	checkerEarly = 500 * time.Millisecond
)

// skew is VRRPv2's Skew_Time, (256 - priority) / 256 s.
func skew(priority int) time.Duration { return keepalived.Skew(priority) }

// masterDown is Master_Down_Interval, 3 × advert_int + skew.
func masterDown(advert, priority int) time.Duration {
	return keepalived.MasterDownInterval(advert, priority)
}

// expectWithin holds a measured time to [formula − low, formula + high],
// what naming what is measured.
func expectWithin(took, formula, low, high time.Duration, what string) {
	GinkgoHelper()
	Expect(took).To(BeNumerically(">=", formula-low), "%s: %s is below its formula %s less %s", what, took, formula, low)
	Expect(took).To(BeNumerically("<=", formula+high), "%s: %s is above its formula %s plus %s", what, took, formula, high)
}

// startKeepalived starts keepalived on the lab's directors (where it is
// not already running) and stops it first thing at cleanup, before the
// lab is torn down.
func startKeepalived(lab *topo.Lab) {
	GinkgoHelper()
	Expect(keepalived.StartLab(lab)).To(Succeed())
	DeferCleanup(func() {
		for _, h := range lab.Hosts() {
			if !keepalived.Manages(lab.Spec, h.Name()) {
				continue
			}
			if CurrentSpecReport().Failed() {
				if log, err := os.ReadFile(keepalived.Daemon{}.Log(h)); err == nil {
					AddReportEntry("keepalived log of "+h.Name(), reports.Table{Text: string(log)})
				}
			}
			Expect(keepalived.Kill(h)).To(Succeed())
		}
	})
}

// masterHoldsVIP is the check "the MASTER, and only it, holds the VIP".
func masterHoldsVIP(lab *topo.Lab, vip netip.Addr, master string) error {
	holders, err := keepalived.VIPHolder(lab, vip)
	if err != nil {
		return err
	}
	if !slices.Equal(holders, []string{master}) {
		return fmt.Errorf("VIP %s is held by %v, want %s alone", vip, holders, master)
	}
	return nil
}

// waitMaster waits, at most limit, for node to hold the VIP alone, and
// returns how long that took.
func waitMaster(lab *topo.Lab, vip netip.Addr, node string, limit time.Duration) time.Duration {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	took, err := keepalived.WaitMaster(ctx, lab, vip, node)
	Expect(err).NotTo(HaveOccurred())
	return took
}

// takeover does action and returns how long after its start node held
// vip alone, waiting (at most limit) alongside the action: a graceful
// stop returns only once keepalived has exited, which under load is well
// after the backup took over, so a wait begun after it would count the
// exit too.
func takeover(lab *topo.Lab, vip netip.Addr, node string, limit time.Duration, action func()) time.Duration {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	type waited struct {
		took time.Duration
		err  error
	}
	done := make(chan waited, 1)
	start := time.Now()
	go func() {
		_, err := keepalived.WaitMaster(ctx, lab, vip, node)
		done <- waited{time.Since(start), err}
	}()
	action()
	w := <-done
	Expect(w.err).NotTo(HaveOccurred())
	return w.took
}

// realServers is the service's real servers in a director's table, RIP →
// weight; nil when the service is not there.
func realServers(h *topo.Host, vip netip.AddrPort) map[string]int {
	GinkgoHelper()
	return realServersIn(snapshot(h), vip)
}

// realServersIn is realServers from a table read.
func realServersIn(t *director.Table, vip netip.AddrPort) map[string]int {
	if e := t.ServiceAt(vip); e != nil {
		return e.Weights()
	}
	return nil
}

// actionLimit bounds the action of a watched switchover (a stop or a
// start of keepalived): a limit on a wait, not a measured figure.
const actionLimit = time.Minute

// switchoverTimeout bounds each request of a client watching a
// switchover: a request lost while nobody holds the VIP fails this soon,
// so the gap it measures is at most this much longer than the outage.
// Requests take some 10–50 ms in the TCG guest.
const switchoverTimeout = 250 * time.Millisecond

// switchover is what a client saw while the VIP changed hands.
type switchover struct {
	// Takeover is from the action to the new master holding the VIP
	// alone (polled every 10 ms).
	Takeover time.Duration
	// Gap is from the action to the client's first answer after its
	// first failed request since the action: when the service was back.
	// Zero when no request failed. (Requests the old master answered
	// while the action was under way do not count as the service back.)
	Gap time.Duration
	// Down is from the action to the last answer before that first
	// failure: when the service was lost (negative: before the action).
	Down time.Duration
	// Failed counts the requests that failed from the first failure to
	// the answer that ends the gap.
	Failed int
	// Later counts failures that began more than a second after the
	// takeover, when the switchover was over: not part of its gap (after
	// a crash both directors answer ARP for the VIP, so a connection's
	// packets may change director halfway).
	Later  int
	Result *client.Result
}

// client says what the client saw, relative to the action.
func (sw switchover) client() string {
	later := ""
	if sw.Later > 0 {
		later = fmt.Sprintf("; %d later requests failed on their own", sw.Later)
	}
	if sw.Failed == 0 {
		return "the client missed no answer in the switchover" + later
	}
	return fmt.Sprintf("the client's answers stopped %s after the action and came back %s after it (%d requests failed)%s",
		sw.Down.Round(time.Millisecond), sw.Gap.Round(time.Millisecond), sw.Failed, later)
}

// watchSwitchover runs a client loop from the node c against target (a
// request every 20 ms, each bounded by switchoverTimeout, so that a lost
// SYN costs a quarter of a second, not a retransmission), does action
// after a second, and measures when newMaster holds the VIP and when the
// client's answers stop and come back.
func watchSwitchover(lab *topo.Lab, c *topo.Host, target netip.AddrPort, newMaster string, action func()) switchover {
	GinkgoHelper()
	return watchTakeover(c, target, newMaster, func(ctx context.Context) (time.Duration, error) {
		return keepalived.WaitMaster(ctx, lab, target.Addr(), newMaster)
	}, action)
}

// watchTakeover is watchSwitchover with its own wait for the new master
// (after a crash the dead master keeps the VIP: the new one holds it
// too, not alone).
func watchTakeover(c *topo.Host, target netip.AddrPort, newMaster string, wait func(context.Context) (time.Duration, error), action func()) switchover {
	GinkgoHelper()
	const run = 10 * time.Second
	type ran struct {
		res *client.Result
		err error
	}
	done := make(chan ran, 1)
	t0 := time.Now()
	go func() {
		defer GinkgoRecover()
		res, err := client.Run(context.Background(), c, client.Options{
			Target: target, Requests: client.MaxRequests, Deadline: run,
			Interval: 20 * time.Millisecond, Timeout: switchoverTimeout,
		})
		done <- ran{res, err}
	}()
	time.Sleep(time.Second)

	// The wait for the new master outlasts the client: the action itself
	// (a keepalived start that waits for its virtual services) has taken
	// most of run in a loaded guest, and the takeover comes after it.
	ctx, cancel := context.WithTimeout(context.Background(), run+actionLimit)
	defer cancel()
	took := make(chan time.Duration, 1)
	go func() {
		defer GinkgoRecover()
		d, err := wait(ctx)
		if err != nil {
			d = -1
		}
		took <- d
	}()
	at := time.Since(t0)
	action()

	var sw switchover
	Eventually(took).WithTimeout(run + actionLimit + 5*time.Second).Should(Receive(&sw.Takeover))
	Expect(sw.Takeover).To(BeNumerically(">=", 0), "%s never held %s alone", newMaster, target.Addr())
	var r ran
	Eventually(done).WithTimeout(run + 10*time.Second).Should(Receive(&r))
	Expect(r.err).NotTo(HaveOccurred())
	sw.Result = r.res
	Expect(slices.ContainsFunc(r.res.Timeline, func(e client.Event) bool { return e.At < at && e.Err == "" })).
		To(BeTrue(), "no success before the action: %v", r.res.Errors)
	over := at + sw.Takeover + time.Second
	lastOK, failing, back := time.Duration(0), false, false
	for _, e := range r.res.Timeline {
		switch {
		case back || (!failing && e.Err != "" && e.At > over):
			if e.Err != "" {
				sw.Later++
			}
		case e.Err == "" && failing:
			sw.Gap, back = e.At+e.Latency-at, true
		case e.Err == "":
			lastOK = e.At + e.Latency
		case e.At >= at:
			if !failing {
				failing, sw.Down = true, lastOK-at
			}
			sw.Failed++
		}
	}
	Expect(!failing || back).To(BeTrue(), "no success after the client's first failure since the action: %v", r.res.Errors)
	return sw
}

// ensureMaster waits, at most limit, for node to hold vip alone, first
// starting its keepalived if it does not run: a spec's second attempt
// starts from what its first left behind.
func ensureMaster(lab *topo.Lab, vip netip.Addr, node string, limit time.Duration) {
	GinkgoHelper()
	h := host(lab, node)
	running, err := keepalived.Running(h)
	Expect(err).NotTo(HaveOccurred())
	if !running {
		Expect(keepalived.StartNode(lab, h)).To(Succeed())
	}
	waitMaster(lab, vip, node, limit)
}

// crashTakeover waits, at most limit, for lvs01 to be MASTER alone with
// the client's neighbour entry for the VIP on its MAC; then it runs the
// client across action (which takes lvs01 down without a goodbye) while
// capturing the VRRP segment, until lvs02 holds the VIP (the dead master
// may keep it too).
func crashTakeover(lab *topo.Lab, cli *topo.Host, target netip.AddrPort, limit time.Duration, action func()) (switchover, []captures.Advert, []captures.GARP) {
	GinkgoHelper()
	vip := target.Addr()
	ensureMaster(lab, vip, "lvs01", limit)
	// A lab of its own has had no traffic yet: a request makes the client
	// learn the VIP's MAC.
	res := send(cli, "before the crash", client.Options{Target: target, Requests: 2})
	Expect(res.OK()).To(BeNumerically(">", 0), "no answer before the crash: %v", res.Errors)
	Eventually(func() string { return neighbourMAC(cli, vip) }).WithTimeout(5*time.Second).
		Should(Equal(topo.MAC("lvs01", "eth0").String()), "the client's neighbour entry for the VIP before lvs01 goes")
	w := watchVRRP(lab, "client", "eth0")
	sw := watchTakeover(cli, target, "lvs02", func(ctx context.Context) (time.Duration, error) {
		return keepalived.WaitHolds(ctx, lab, vip, "lvs02")
	}, action)
	adverts, garps := w.stop()
	return sw, adverts, garps
}

// waitRealServers polls both directors until the service's real servers
// are want on each, and returns how long each took (at most limit).
func waitRealServers(dirs []*topo.Host, target netip.AddrPort, want map[string]int, limit time.Duration) map[string]time.Duration {
	GinkgoHelper()
	start := time.Now()
	// One IPVS handle per director for the whole wait, reading the
	// services alone: several labs poll at once in the guest.
	ds := make([]*director.Director, len(dirs))
	for i, h := range dirs {
		ds[i] = openDirector(h)
	}
	took := map[string]time.Duration{}
	for len(took) < len(dirs) {
		for i, h := range dirs {
			if _, ok := took[h.Name()]; ok {
				continue
			}
			t, err := ds[i].Services()
			Expect(err).NotTo(HaveOccurred())
			// nil is a service that is gone: never the empty table.
			if got := realServersIn(t, target); got != nil && maps.Equal(got, want) {
				took[h.Name()] = time.Since(start)
			}
		}
		if time.Since(start) > limit {
			for _, h := range dirs {
				Expect(realServers(h, target)).To(Equal(want), "real servers of %s on %s after %s", target, h.Name(), limit)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return took
}

// The pair's specs are three ordered groups, each on a lab of its own, so
// that parallel processes share them out: the graceful stop and start
// (each step starts from the one before), the health checker, and the two
// crashes. Every group starts from lvs01 as MASTER.
var _ = Describe("keepalived MASTER/BACKUP pair (seed 004 §四, §五; seed 000 §14)", Label("keepalived"), func() {
	var (
		spec     *topo.Spec
		lab      *topo.Lab
		vip      netip.Addr
		target   netip.AddrPort
		lvs01    *topo.Host
		lvs02    *topo.Host
		dirs     []*topo.Host
		check    *topo.Check
		advert   int
		master   *topo.Member
		backup   *topo.Member
		rip01    string
		rip02    string
		cli      *topo.Host
		kaBinary string
		started  time.Duration // from keepalived up to lvs01 holding the VIP
	)

	// setUp stands up the group's lab with keepalived and waits for lvs01
	// to be MASTER.
	setUp := func() {
		spec = loadLab("dr-keepalived.yaml")
		// The document's checker (delay_loop 6, connect_timeout 3,
		// nb_get_retry 3, delay_before_retry 3) takes up to 27 s to drop
		// a server; smaller timers keep the health specs short. VRRP's
		// timers are the document's.
		check = spec.Services[0].Check
		check.DelayLoop, check.ConnectTimeout, check.Retry, check.DelayBeforeRetry = 3, 2, 1, 1
		// Not in the document: keepalived's notify events feed the
		// report's MASTER timeline.
		spec.VRRP[0].Notify = keepalived.NotifyCommand(lvslabBinary())
		// Not in the document either: the failover specs leave a few
		// thousand connection entries behind, and with the kernel's
		// default a new connection whose source port matches an entry to
		// a removed real server stalls (the expire_nodest_conn spec in
		// traffic_test.go shows it); with 1 the kernel forgets those
		// entries as the server goes.
		for _, n := range []string{"lvs01", "lvs02"} {
			node(spec, n).Sysctls = map[string]string{"net.ipv4.vs.expire_nodest_conn": "1"}
		}
		lab = upSpec(spec, labup.Options{})
		startKeepalived(lab)
		vip = spec.VRRP[0].VIPs[0].Addr()
		target = serviceVIP(spec)
		lvs01, lvs02 = host(lab, "lvs01"), host(lab, "lvs02")
		dirs = []*topo.Host{lvs01, lvs02}
		advert = spec.VRRP[0].AdvertInt
		master, backup = spec.VRRP[0].Master(), spec.VRRP[0].Backup()
		rip01 = spec.Services[0].RealServers[0].RIP.String()
		rip02 = spec.Services[0].RealServers[1].RIP.String()
		cli = host(lab, "client")
		kaBinary = lvslabBinary()
		// Every group starts from lvs01 as MASTER, even when focused alone.
		started = waitMaster(lab, vip, "lvs01", masterDown(advert, master.Priority)+10*time.Second)
	}

	Context("stopped and started", Ordered, func() {
		BeforeAll(setUp)

		It("starts with the MASTER holding the VIP, both directors holding keepalived's virtual server, requests alternating", func() {
			By("lvs01 (MASTER) holds the VIP, lvs02 (BACKUP) does not")
			Expect(masterHoldsVIP(lab, vip, "lvs01")).To(Succeed())
			record("keepalived start", "lvs01 held %s %s after keepalived was up (state MASTER, priority %d; its Master_Down_Interval is %s)",
				vip, started.Round(time.Millisecond), master.Priority, masterDown(advert, master.Priority).Round(time.Millisecond))

			By("both directors have the virtual server of keepalived.conf, web01 and web02 weight 1")
			want := map[string]int{rip01: 1, rip02: 1}
			waitRealServers(dirs, target, want, 10*time.Second)

			By("requests from the client alternate web01/web02")
			res := send(cli, "keepalived start", client.Options{Target: target, Requests: 20})
			Expect(res.Errors).To(BeEmpty())
			Expect(res.Tally).To(Equal(map[string]int{"web01": 10, "web02": 10}))
			expectAlternation(res)
		})

		// One retry, for timing: the client's gap is held to 0.5 s above the
		// backup's skew, measured by requests every 20 ms that each give up
		// after 250 ms; in a TCG guest shared with other labs one late
		// scheduling of the client or of keepalived costs more than that.
		It("moves the VIP to the BACKUP when the MASTER's keepalived is stopped (SIGTERM)", Label("failover"), FlakeAttempts(2), func() {
			ensureMaster(lab, vip, "lvs01", masterDown(advert, master.Priority)+10*time.Second)
			w := watchVRRP(lab, "client", "eth0")
			var stopped time.Time
			sw := watchSwitchover(lab, cli, target, "lvs02", func() {
				By("systemctl stop keepalived on lvs01")
				stopped = time.Now()
				Expect(keepalived.Stop(lvs01)).To(Succeed())
			})
			adverts, garps := w.stop()
			w.expectTsharkAgrees(adverts, garps)

			By("the capture holds lvs01's priority-0 advert, then lvs02's first advert about its skew later")
			var zero []time.Time
			for _, a := range advertsFrom(adverts, addressOf(spec, "lvs01", "eth0")) {
				if a.Priority == 0 && !a.Time.Before(stopped) {
					zero = append(zero, a.Time)
				}
			}
			Expect(zero).NotTo(BeEmpty(), "no priority-0 advert from lvs01 after SIGTERM in %d adverts", len(adverts))
			first, ok := firstAfter(advertsFrom(adverts, addressOf(spec, "lvs02", "eth0")), zero[0])
			Expect(ok).To(BeTrue(), "lvs02 sent no advert after lvs01's priority 0")
			record("graceful failover on the wire",
				"lvs01's priority-0 advert %s after SIGTERM; lvs02's first advert (priority %d) %s after it; formula: backup skew (256-%d)/256 = %s",
				zero[0].Sub(stopped).Round(time.Millisecond), first.Priority, first.Time.Sub(zero[0]).Round(time.Millisecond),
				backup.Priority, skew(backup.Priority).Round(time.Millisecond))
			expectWithin(first.Time.Sub(zero[0]), skew(backup.Priority), captureJitter, keepalivedLate,
				"lvs02's first advert after lvs01's priority-0 advert")
			formula := skew(backup.Priority)
			// The skew counts from lvs01's priority-0 advert, not from the
			// signal: how long keepalived takes to send it is no part of
			// the formula (under load it has taken over a second).
			said := zero[0].Sub(stopped)
			record("graceful failover",
				"VIP on lvs02 %s after SIGTERM, %s after lvs01's priority-0 advert; %s; formula: backup skew (256-%d)/256 = %s from that advert",
				sw.Takeover.Round(time.Millisecond), (sw.Takeover - said).Round(time.Millisecond), sw.client(), backup.Priority, formula.Round(time.Millisecond))
			recordMasters("graceful failover", lab, adverts, failoverChart("SIGTERM to lvs01's keepalived", stopped, "lvs02", sw))
			Expect(overlap(captures.MasterSpans(adverts))).To(BeZero(), "one MASTER advertised at a time (the control of the split brain's overlap)")
			Expect(sw.Takeover-said).To(BeNumerically("<", formula+keepalivedLate), "the VIP on lvs02, from lvs01's priority-0 advert")
			Expect(sw.Gap-said).To(BeNumerically("<", formula+500*time.Millisecond), "the issue's bound: answers back within the backup's skew + 0.5 s of lvs01's priority-0 advert")

			By("lvs02 alone holds the VIP; lvs01 has neither VIP nor virtual servers")
			Expect(masterHoldsVIP(lab, vip, "lvs02")).To(Succeed())
			Expect(snapshot(lvs01).Services).To(BeEmpty(), "keepalived deletes its virtual servers when it stops")

			By("both real servers still answer, through lvs02")
			res := send(cli, "after failover", client.Options{Target: target, Requests: 10})
			Expect(res.Errors).To(BeEmpty())
			expectEvenSplit(res)
			expectCurlEvenSplit(cli, target, res.Sent)
		})

		It("gives the VIP back to lvs01 when its keepalived starts again (preemption)", Label("failover"), func() {
			var startTook time.Duration
			sw := watchSwitchover(lab, cli, target, "lvs01", func() {
				By("systemctl start keepalived on lvs01")
				t := time.Now()
				Expect(keepalived.StartNode(lab, lvs01)).To(Succeed())
				startTook = time.Since(t)
			})
			formula := masterDown(advert, master.Priority)
			record("preemption",
				"VIP on lvs01 %s after the start command (keepalived up in %s); %s; formula: lvs01's Master_Down_Interval 3×%d + (256-%d)/256 = %s",
				sw.Takeover.Round(time.Millisecond), startTook.Round(time.Millisecond), sw.client(), advert, master.Priority, formula.Round(time.Millisecond))
			// lvs01 starts as a backup and preempts when its down timer,
			// started with keepalived, runs out: at the earliest the
			// formula from the command's start, at the latest from its end.
			Expect(sw.Takeover).To(BeNumerically(">=", formula-pollEarly), "lvs01 preempted before its Master_Down_Interval from the start command")
			Expect(sw.Takeover-startTook).To(BeNumerically("<=", formula+keepalivedLate), "lvs01 preempted later than its Master_Down_Interval after keepalived was up")

			By("lvs01 alone holds the VIP, with its virtual server back")
			Expect(masterHoldsVIP(lab, vip, "lvs01")).To(Succeed())
			waitRealServers(dirs, target, map[string]int{rip01: 1, rip02: 1}, 10*time.Second)
			res := send(cli, "after preemption", client.Options{Target: target, Requests: 10})
			Expect(res.Errors).To(BeEmpty())
			expectEvenSplit(res)
		})

	})

	Context("health-checked", Ordered, func() {
		BeforeAll(setUp)

		It("drops a stopped web server from both directors (TCP_CHECK) and takes it back once revived", Label("health"), func() {
			web01 := host(lab, "web01")
			// A stopped server refuses: every attempt fails at once, so
			// connect_timeout never counts (the blackhole spec in
			// keepalived_health_test.go is the one where it does).
			// No lower side: the checker has dropped a refusing server
			// 0.72 s after the stop command's end, under the 1 s of
			// retry×delay_before_retry that its retry would take.
			formula := keepalived.RemovalRefused(check)

			By("systemctl stop httpd on web01")
			// Measured from the stop command: the server closes its listener
			// on SIGTERM, before it has finished shutting down.
			t := time.Now()
			Expect(realserver.Stop(web01, 0)).To(Succeed())
			stopTook := time.Since(t)
			removed := waitRealServers(dirs, target, map[string]int{rip02: 1}, keepalived.RemovalTimeout(check)+10*time.Second)
			for _, h := range dirs {
				took := stopTook + removed[h.Name()]
				record("health removal "+h.Name(),
					"web01 left the table %s after the stop command (the server took %s to exit); formula for a refused connection: at most delay_loop + retry×delay_before_retry = %d + %d×%d = %s",
					took.Round(time.Millisecond), stopTook.Round(time.Millisecond), check.DelayLoop, check.Retry, check.DelayBeforeRetry, formula)
				// The listener closes somewhere inside the stop command: the
				// bound counts from its start.
				Expect(took).To(BeNumerically("<=", stopTook+formula+checkerLate), "removal on %s", h.Name())
			}

			By("the client sees only web02")
			res := send(cli, "web01 down", client.Options{Target: target, Requests: 10})
			Expect(res.Errors).To(BeEmpty())
			Expect(res.Tally).To(Equal(map[string]int{"web02": 10}))

			By("systemctl start httpd on web01")
			Expect(realserver.Start(web01, realserver.ServiceOptions(spec, "web01"), kaBinary)).To(Succeed())
			expectBack("health re-add", "web01 back in the table", dirs, target, map[string]int{rip01: 1, rip02: 1}, check)

			By("both real servers answer again")
			res = send(cli, "web01 revived", client.Options{Target: target, Requests: 20})
			Expect(res.Errors).To(BeEmpty())
			expectEvenSplit(res)
		})

	})

	Context("crashed", Ordered, func() {
		BeforeAll(setUp)

		It("moves the VIP to the BACKUP Master_Down_Interval after the MASTER's last advert when its keepalived crashes (SIGKILL)", Label("failover"), func() {
			By("lvs01 is MASTER")
			var killed time.Time
			sw, adverts, garps := crashTakeover(lab, cli, target, masterDown(advert, master.Priority)+10*time.Second, func() {
				By("pkill -9 keepalived on lvs01")
				killed = time.Now()
				Expect(keepalived.Kill(lvs01)).To(Succeed())
			})

			By("no priority-0 advert: SIGKILL sends nothing (the negative control of the graceful stop's)")
			from01 := advertsFrom(adverts, addressOf(spec, "lvs01", "eth0"))
			Expect(from01).NotTo(BeEmpty())
			for _, a := range from01 {
				Expect(a.Priority).NotTo(BeZero(), "lvs01 sent a priority-0 advert at %s though it was killed", a.Time)
			}

			By("lvs02's first advert comes Master_Down_Interval after lvs01's last one")
			last := from01[len(from01)-1]
			first, ok := firstAfter(advertsFrom(adverts, addressOf(spec, "lvs02", "eth0")), last.Time)
			Expect(ok).To(BeTrue(), "lvs02 never advertised after lvs01's last advert")
			took := first.Time.Sub(last.Time)
			formula := masterDown(advert, backup.Priority)
			record("crash failover",
				"lvs01's last advert %s before SIGKILL; lvs02's first advert %s after it (VIP on lvs02 %s after the kill); %s; formula: Master_Down_Interval 3×%d + (256-%d)/256 = %s",
				killed.Sub(last.Time).Round(time.Millisecond), took.Round(time.Millisecond), sw.Takeover.Round(time.Millisecond),
				sw.client(), advert, backup.Priority, formula.Round(time.Millisecond))
			recordMasters("crash failover", lab, adverts, failoverChart("SIGKILL to lvs01's keepalived", killed, "lvs02", sw))
			expectWithin(took, formula, captureJitter, keepalivedLate, "lvs02's first advert after lvs01's last")
			Expect(sw.Failed).To(BeZero(), "a crash of keepalived alone costs the client nothing: lvs01's kernel keeps the VIP and its table; %s", sw.client())

			By("lvs02 sent gratuitous ARPs for the VIP from its MAC; the client's neighbour entry now holds that MAC")
			mac02 := topo.MAC("lvs02", "eth0")
			g := garpsFor(garps, vip, mac02, last.Time)
			Expect(g).NotTo(BeEmpty(), "no gratuitous ARP for %s from %s in %d GARPs", vip, mac02, len(garps))
			record("crash failover GARP", "%d gratuitous ARPs for %s at %s, the first %s after lvs02's first advert (keepalived: 5 at once, 5 more after 5 s)",
				len(g), vip, mac02, g[0].Time.Sub(first.Time).Round(time.Millisecond))
			Eventually(func() string { return neighbourMAC(cli, vip) }).WithTimeout(2 * time.Second).Should(Equal(mac02.String()))

			By("the dead node keeps the VIP and its virtual server (nothing removed them)")
			holders, err := keepalived.VIPHolder(lab, vip)
			Expect(err).NotTo(HaveOccurred())
			Expect(holders).To(Equal([]string{"lvs01", "lvs02"}))
			Expect(realServers(lvs01, target)).NotTo(BeNil(), "lvs01's virtual server should outlive its keepalived")
			Expect(vrrpState(lvs01).State).To(Equal(keepalived.StateStopped))
			Expect(vrrpState(lvs02).State).To(Equal(keepalived.StateMaster))

			By("requests still succeed")
			// Not a strict alternation: lvs01's kernel still holds the VIP
			// and its IPVS table, answers ARP for the VIP, and forwards
			// whatever reaches it with its own rr position.
			res := send(cli, "after crash", client.Options{Target: target, Requests: 10})
			Expect(res.Errors).To(BeEmpty())
		})

		// One retry, for timing: the client's gap is held within
		// captureJitter below and keepalivedLate + clientProbe above
		// Master_Down_Interval from lvs01's last advert, measured by
		// requests every 20 ms that each give up after 250 ms; in a TCG
		// guest shared with other labs one late scheduling of the client
		// or of keepalived's timers moves it by more than that.
		It("moves the VIP to the BACKUP when the MASTER's host goes dark (keepalived killed, links down), and the client waits Master_Down_Interval, where a crash of keepalived alone cost it nothing", Label("failover"), FlakeAttempts(2), func() {
			By("lvs01 comes back as after a reboot and is MASTER again (preemption)")
			var off time.Time
			sw, adverts, garps := crashTakeover(lab, cli, target, masterDown(advert, master.Priority)+10*time.Second, func() {
				// The links first: killing keepalived takes a while, and
				// requests would go on being answered meanwhile.
				By("lvs01 loses power: ip link set eth0 down, pkill -9 keepalived")
				off = time.Now()
				Expect(lvs01.SetLinks(false)).To(Succeed())
				DeferCleanup(lvs01.SetLinks, true) // for a failed spec's second attempt
				Expect(keepalived.Kill(lvs01)).To(Succeed())
			})
			recordMasters("host crash", lab, adverts, failoverChart("lvs01 goes dark", off, "lvs02", sw))

			// lvs02's down timer starts at the last advert it heard from
			// lvs01, up to advert_int before the cut: the capture on the
			// client's link (the same bridge) saw that advert too.
			By("lvs02's first advert comes Master_Down_Interval after lvs01's last one before the cut")
			from01 := advertsFrom(adverts, addressOf(spec, "lvs01", "eth0"))
			Expect(from01).NotTo(BeEmpty(), "no advert from lvs01 in %d adverts", len(adverts))
			last := from01[len(from01)-1]
			first, ok := firstAfter(advertsFrom(adverts, addressOf(spec, "lvs02", "eth0")), last.Time)
			Expect(ok).To(BeTrue(), "lvs02 never advertised after lvs01's last advert")
			took := first.Time.Sub(last.Time)
			back := off.Add(sw.Gap).Sub(last.Time)
			formula := masterDown(advert, backup.Priority)
			record("host crash",
				"lvs01's last advert %s before the power cut; lvs02's first advert %s after it; VIP on lvs02 %s after the cut; %s (answers back %s after lvs01's last advert); formula: Master_Down_Interval 3×%d + (256-%d)/256 = %s from lvs01's last advert, then lvs02's gratuitous ARP",
				off.Sub(last.Time).Round(time.Millisecond), took.Round(time.Millisecond), sw.Takeover.Round(time.Millisecond),
				sw.client(), back.Round(time.Millisecond), advert, backup.Priority, formula.Round(time.Millisecond))
			expectWithin(took, formula, captureJitter, keepalivedLate, "lvs02's first advert after lvs01's last")

			By("the client waited for the takeover: nothing answered the VIP in between")
			Expect(sw.Failed).To(BeNumerically(">", 0))
			expectWithin(back, formula, captureJitter, keepalivedLate+clientProbe, "the client's answers back, from lvs01's last advert")

			By("lvs02's gratuitous ARPs moved the client's neighbour entry for the VIP to lvs02's MAC")
			mac02 := topo.MAC("lvs02", "eth0")
			Expect(garpsFor(garps, vip, mac02, off)).NotTo(BeEmpty())
			Expect(neighbourMAC(cli, vip)).To(Equal(mac02.String()))

			By("power back: lvs01's links up, keepalived started; it preempts")
			Expect(lvs01.SetLinks(true)).To(Succeed())
			Expect(keepalived.StartNode(lab, lvs01)).To(Succeed())
			waitMaster(lab, vip, "lvs01", masterDown(advert, master.Priority)+10*time.Second)
			res := send(cli, "after power back", client.Options{Target: target, Requests: 10})
			Expect(res.Errors).To(BeEmpty())
			expectEvenSplit(res)
		})
	})
})

var _ = Describe("keepalived negative control: no keepalived on either director", Label("keepalived"), func() {
	It("leaves the VIP with nobody, so the check \"the MASTER holds the VIP\" fails and requests fail", func() {
		spec := loadLab("dr-keepalived.yaml")
		lab := upSpec(spec, labup.Options{})
		vip := spec.VRRP[0].VIPs[0].Addr()
		// Once Up starts keepalived itself, stop it: this lab must run
		// without.
		Expect(keepalived.StopLab(lab)).To(Succeed())

		holders, err := keepalived.VIPHolder(lab, vip)
		Expect(err).NotTo(HaveOccurred())
		Expect(holders).To(BeEmpty())
		err = masterHoldsVIP(lab, vip, "lvs01")
		Expect(err).To(HaveOccurred(), "the check must fail without keepalived")
		record("negative control", "the MASTER check failed as intended: %v", err)

		res := send(host(lab, "client"), "no keepalived", client.Options{
			Target: serviceVIP(spec), Requests: 3, Timeout: 500 * time.Millisecond,
		})
		Expect(res.OK()).To(BeZero(), "a reply came though no director holds the VIP: %v", res.Tally)
	})
})
