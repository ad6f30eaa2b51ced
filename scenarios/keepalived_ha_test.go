package scenarios_test

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

	"github.com/lvslab/lvslab/captures"
	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/internal/labup"
	"github.com/lvslab/lvslab/reports"
	"github.com/lvslab/lvslab/topo"
)

// keepalived specs beyond the plain MASTER/BACKUP pair, each on its own
// copy of seed 004's lab (dr-keepalived.yaml) changed as the spec says:
// nopreempt and preempt_delay, a tracked vrrp_script (seed 001), split
// brain (seed 001's warning) and the connection sync daemon.

// kaLab stands up dr-keepalived.yaml after change has edited it, starts
// keepalived, and waits for want to be MASTER.
func kaLab(want string, change func(*topo.Spec)) (*topo.Spec, *topo.Lab) {
	GinkgoHelper()
	spec := loadLab("dr-keepalived.yaml")
	// Not in the document: keepalived's notify events feed the report's
	// MASTER timeline.
	spec.VRRP[0].Notify = keepalived.NotifyCommand(lvslabBinary())
	if change != nil {
		change(spec)
	}
	Expect(spec.Validate()).To(Succeed())
	lab := upSpec(spec, labup.Options{})
	startKeepalived(lab)
	vrrp := spec.VRRP[0]
	waitMaster(lab, vrrp.VIPs[0].Addr(), want, masterDown(vrrp.AdvertInt, 1)+10*time.Second)
	// Every other member BACKUP too, so that a spec starts from the
	// steady state: a BACKUP still starting counts its
	// Master_Down_Interval from its own start, not from an advert (in a
	// loaded guest one entered BACKUP 6 s after the other's MASTER).
	for _, m := range vrrp.Members {
		if m.Node != want {
			eventuallyState(host(lab, m.Node), keepalived.StateBackup, masterDown(vrrp.AdvertInt, 1)+10*time.Second)
		}
	}
	return spec, lab
}

var _ = Describe("keepalived nopreempt and preempt_delay (seed 004 §二: both BACKUP, lvs01 nopreempt)", Label("keepalived", "failover"), func() {
	It("leaves the VIP with lvs02 when lvs01 comes back with nopreempt; with preempt_delay N lvs01 takes it back N s later than it would", func() {
		spec, lab := kaLab("lvs01", func(s *topo.Spec) {
			for _, m := range s.VRRP[0].Members {
				m.State = topo.StateBackup
			}
			s.VRRP[0].Members[0].NoPreempt = true
		})
		vrrp := spec.VRRP[0]
		vip, advert := vrrp.VIPs[0].Addr(), vrrp.AdvertInt
		lvs01, lvs02 := host(lab, "lvs01"), host(lab, "lvs02")
		prio01 := vrrp.Members[0].Priority

		By("systemctl stop keepalived on lvs01: lvs02 takes the VIP")
		Expect(keepalived.Stop(lvs01)).To(Succeed())
		waitMaster(lab, vip, "lvs02", masterDown(advert, vrrp.Members[1].Priority)+keepalived.Late)

		By("systemctl start keepalived on lvs01: with nopreempt it stays BACKUP past its Master_Down_Interval")
		Expect(keepalived.StartNode(lab, lvs01)).To(Succeed())
		hold := masterDown(advert, prio01) + time.Second
		holdersFor(lab, vip, []string{"lvs02"}, hold)
		Expect(vrrpState(lvs01)).To(Equal(keepalived.Instance{Name: vrrp.Name, State: keepalived.StateBackup, Priority: prio01, Configured: prio01}))
		record("nopreempt", "lvs01 (priority %d, nopreempt) stayed BACKUP for %s after its start, lvs02 (priority %d) kept the VIP; without nopreempt it would have taken it after Master_Down_Interval %s",
			prio01, hold, vrrp.Members[1].Priority, masterDown(advert, prio01).Round(time.Millisecond))

		By("restart lvs01 without nopreempt, with preempt_delay 3")
		const delay = 3
		m := lab.Spec.VRRP[0].Members[0]
		m.NoPreempt, m.PreemptDelay = false, delay
		Expect(keepalived.Stop(lvs01)).To(Succeed())
		start := time.Now()
		Expect(keepalived.StartNode(lab, lvs01)).To(Succeed())
		up := time.Since(start)
		formula := delay*time.Second + masterDown(advert, prio01)
		// keepalived's VRRP process is up before StartNode returns (it
		// also waits for the checker's table), so the takeback is
		// bounded by the time from either end of the start.
		afterUp := waitMaster(lab, vip, "lvs01", formula+10*time.Second)
		afterCmd := afterUp + up
		record("preempt_delay", "lvs01 took the VIP back %s after keepalived was up, %s after its start command (which took %s); formula: preempt_delay + Master_Down_Interval = %d s + %s = %s (without preempt_delay: %s)",
			afterUp.Round(time.Millisecond), afterCmd.Round(time.Millisecond), up.Round(time.Millisecond), delay,
			masterDown(advert, prio01).Round(time.Millisecond), formula.Round(time.Millisecond), masterDown(advert, prio01).Round(time.Millisecond))
		Expect(afterCmd).To(BeNumerically(">", formula-advertDuration(advert)), "the takeback was not delayed by preempt_delay")
		Expect(afterUp).To(BeNumerically("<", formula+advertDuration(advert)+keepalived.Late))
		eventuallyState(lvs02, keepalived.StateBackup, 5*time.Second)
	})
})

// advertDuration is advert_int as a duration.
func advertDuration(advert int) time.Duration { return time.Duration(advert) * time.Second }

// setDown0 adds (or deletes) a veth pair down0/down1 in the node's
// namespace. Equivalent to: `ip link add down0 type veth peer name down1`.
func setDown0(h *topo.Host, up bool) {
	GinkgoHelper()
	nl, err := h.Netlink()
	Expect(err).NotTo(HaveOccurred())
	defer nl.Close()
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "down0"}, PeerName: "down1"}
	if up {
		Expect(nl.LinkAdd(veth)).To(Succeed())
		return
	}
	Expect(nl.LinkDel(veth)).To(Succeed())
}

var _ = Describe("keepalived track_script (seed 001)", Label("keepalived", "failover", "health"), func() {
	It("moves the VIP to the BACKUP when the MASTER's vrrp_script fails and lowers its priority below the BACKUP's, and back when it passes", func() {
		// The check fails on a director that has an interface named
		// down0: a stand-in for seed 001's "killall -0 nginx" that is
		// local to each director's namespace (/proc/sys/net is).
		const flag = "/proc/sys/net/ipv4/conf/down0"
		spec, lab := kaLab("lvs01", func(s *topo.Spec) {
			// Process starts are slow in the TCG guest: a run may take
			// up to 3 s, and one slow run alone does not count.
			s.VRRPScripts = append(s.VRRPScripts, &topo.VRRPScript{
				Name: "chk_web", Script: "/usr/bin/test ! -e " + flag,
				Interval: 1, Timeout: 3, Weight: -20, Fall: 2, Rise: 1,
			})
			s.VRRP[0].TrackScripts = []string{"chk_web"}
		})
		vrrp, sc := spec.VRRP[0], spec.VRRPScripts[0]
		vip, advert := vrrp.VIPs[0].Addr(), vrrp.AdvertInt
		p01, p02 := vrrp.Members[0].Priority, vrrp.Members[1].Priority
		lvs01 := host(lab, "lvs01")
		Expect(p01+sc.Weight).To(BeNumerically("<", p02), "the lab must make the failed script matter")

		By("the check fails on lvs01")
		setDown0(lvs01, true)
		took := waitMaster(lab, vip, "lvs02", masterDown(advert, p02)+10*time.Second)
		formula := time.Duration(sc.Fall*sc.Interval)*time.Second + masterDown(advert, p02)
		// The fall-th failing run starts between (fall-1)×interval and
		// fall×interval after the flag and ends within the script's
		// timeout; lvs02 ignores lvs01's adverts at the lowered priority,
		// so its down timer runs from the last one at the old priority, up
		// to advert_int before the drop.
		least := time.Duration((sc.Fall-1)*sc.Interval)*time.Second + masterDown(advert, p02) - advertDuration(advert)
		most := formula + time.Duration(sc.Timeout)*time.Second
		record("track_script failover", "lvs02 held the VIP alone %s after lvs01's check began to fail; formula: up to fall×interval + lvs02's Master_Down_Interval = %d×%d s + %s = %s, plus the last run's timeout %d s; at least (fall-1)×interval + Master_Down_Interval - advert_int = %s",
			took.Round(time.Millisecond), sc.Fall, sc.Interval, masterDown(advert, p02).Round(time.Millisecond), formula.Round(time.Millisecond), sc.Timeout, least.Round(time.Millisecond))
		Expect(took).To(BeNumerically(">=", least-keepalived.PollEarly), "lvs02 took over before lvs01's check could have failed fall times")
		Expect(took).To(BeNumerically("<=", most+keepalived.Late), "lvs02 took over after fall×interval + timeout + Master_Down_Interval")
		Expect(vrrpState(lvs01)).To(Equal(keepalived.Instance{Name: vrrp.Name, State: keepalived.StateBackup, Priority: p01 + sc.Weight, Configured: p01}))

		By("the check passes again: lvs01's priority is back to " + fmt.Sprint(p01) + " and it preempts")
		setDown0(lvs01, false)
		took = waitMaster(lab, vip, "lvs01", masterDown(advert, p01)+10*time.Second)
		formula = time.Duration(sc.Rise*sc.Interval)*time.Second + masterDown(advert, p01)
		// lvs01, back to its priority, ignores lvs02's lower adverts: its
		// down timer runs from the last one it took, up to advert_int
		// before the rise-th passing run.
		least = time.Duration((sc.Rise-1)*sc.Interval)*time.Second + masterDown(advert, p01) - advertDuration(advert)
		most = formula + time.Duration(sc.Timeout)*time.Second
		record("track_script recovery", "lvs01 held the VIP alone again %s after its check passed; formula: up to rise×interval + lvs01's Master_Down_Interval = %s, plus the last run's timeout %d s; at least (rise-1)×interval + Master_Down_Interval - advert_int = %s",
			took.Round(time.Millisecond), formula.Round(time.Millisecond), sc.Timeout, least.Round(time.Millisecond))
		Expect(took).To(BeNumerically(">=", least-keepalived.PollEarly), "lvs01 preempted before its Master_Down_Interval")
		Expect(took).To(BeNumerically("<=", most+keepalived.Late), "lvs01 preempted after rise×interval + timeout + Master_Down_Interval")
		eventuallyState(lvs01, keepalived.StateMaster, 2*time.Second)
	})
})

// cutVRRP drops the VRRP adverts (IP protocol 112) the node receives, in
// a table of its own. Equivalent to: `ip netns exec NS nft add rule ip
// lvslab_cut input ip protocol vrrp drop`.
func cutVRRP(h *topo.Host) {
	GinkgoHelper()
	nft(h, "add table ip lvslab_cut; "+
		"add chain ip lvslab_cut input { type filter hook input priority 0; policy accept; }; "+
		"add rule ip lvslab_cut input ip protocol vrrp drop")
}

// healVRRP removes cutVRRP's table.
func healVRRP(h *topo.Host) { GinkgoHelper(); nft(h, "delete table ip lvslab_cut") }

func nft(h *topo.Host, cmds string) {
	GinkgoHelper()
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := h.Command(c, "nft", cmds).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "nft %s on %s: %s", cmds, h.Name(), out)
}

var _ = Describe("keepalived split brain (seed 001's warning)", Label("keepalived", "failover"), func() {
	It("makes both directors MASTER when the BACKUP stops hearing adverts, two MACs answer ARP for the VIP, and one MASTER is left once healed", func() {
		spec, lab := kaLab("lvs01", nil)
		vrrp := spec.VRRP[0]
		vip, advert := vrrp.VIPs[0].Addr(), vrrp.AdvertInt
		lvs02, cli := host(lab, "lvs02"), host(lab, "client")

		w := watchSegment(lab, time.Minute)
		By("lvs02 drops every VRRP packet it receives (nft ... ip protocol vrrp drop)")
		cut := time.Now()
		cutVRRP(lvs02)
		DeferCleanup(func() {
			c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, _ = lvs02.Command(c, "nft", "delete table ip lvslab_cut").CombinedOutput()
		})
		took := waitHolders(lab, vip, []string{"lvs01", "lvs02"}, masterDown(advert, vrrp.Members[1].Priority)+10*time.Second)
		record("split brain", "both directors held %s %s after the cut; formula: lvs02's Master_Down_Interval %s after the last advert it heard (up to advert_int before the cut)",
			vip, took.Round(time.Millisecond), masterDown(advert, vrrp.Members[1].Priority).Round(time.Millisecond))
		// lvs02's down timer runs from the last advert it took, up to
		// advert_int before the cut.
		mdi02 := masterDown(advert, vrrp.Members[1].Priority)
		Expect(took).To(BeNumerically(">=", mdi02-advertDuration(advert)-keepalived.PollEarly), "lvs02 became MASTER before its Master_Down_Interval from the last advert it heard")
		Expect(took).To(BeNumerically("<=", mdi02+keepalived.Late), "lvs02 became MASTER after its Master_Down_Interval from the cut")
		eventuallyState(lvs02, keepalived.StateMaster, 2*time.Second)
		Expect(vrrpState(host(lab, "lvs01")).State).To(Equal(keepalived.StateMaster))

		By("the client hears two MACs answer ARP for the VIP")
		macs := arpAnswers(cli, "eth0", vip)
		Expect(macs).To(Equal(slices.Sorted(slices.Values([]string{macOf("lvs01", "eth0"), macOf("lvs02", "eth0")}))))
		record("split brain ARP", "MACs answering ARP for %s: %v (lvs01 %s, lvs02 %s)", vip, macs, macOf("lvs01", "eth0"), macOf("lvs02", "eth0"))

		By("heal: lvs02 hears lvs01's higher priority and steps down")
		healed := time.Now()
		healVRRP(lvs02)
		took = waitMaster(lab, vip, "lvs01", advertDuration(advert)+10*time.Second)
		time.Sleep(advertDuration(advert)) // lvs01's next advert, for the chart
		adverts, _ := w.stop()
		recordMasters("split brain", lab, adverts, chart{Action: "lvs02 stops hearing VRRP", At: cut,
			Moments: []reports.AbsEvent{{At: healed, Label: "healed"}, {At: healed.Add(took), Label: "lvs01 alone holds the VIP"}}})
		Expect(overlap(captures.MasterSpans(adverts))).To(BeNumerically(">", advertDuration(advert)), "both directors advertised at once in the capture")
		record("split brain healed", "lvs01 alone held the VIP %s after the heal (formula: lvs01's next advert, within advert_int %d s); the client's neighbour entry for the VIP then: %q (lvs01 %s, lvs02 %s)",
			took.Round(time.Millisecond), advert, neighbourMAC(cli, vip), macOf("lvs01", "eth0"), macOf("lvs02", "eth0"))
		// No lower side: lvs01's next advert may come at once.
		Expect(took).To(BeNumerically("<=", advertDuration(advert)+keepalived.Late), "lvs02 stepped down after lvs01's next advert")
		eventuallyState(lvs02, keepalived.StateBackup, 2*time.Second)
	})
})

// connOf finds the entry of the connection from client in a director's
// connection table.
func connOf(h *topo.Host, from netip.AddrPort) (director.Conn, bool) {
	GinkgoHelper()
	return snapshot(h).ConnFrom(from)
}

// syncWait bounds the waits for the sync daemons and a synced entry: no
// formula is asserted there, and each look runs ipvsadm, which in a TCG
// guest busy with other labs has taken seconds.
const syncWait = 30 * time.Second

// syncDaemon waits for the node's kernel sync daemon of that kind
// (master, backup) to run. Equivalent to: `ipvsadm -L --daemon`.
func syncDaemon(h *topo.Host, kind string) {
	GinkgoHelper()
	Eventually(func() string {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		out, _ := h.Command(c, "ipvsadm", "-L", "--daemon").CombinedOutput()
		return string(out)
	}).WithTimeout(syncWait).WithPolling(200*time.Millisecond).
		Should(ContainSubstring(kind+" sync daemon"), "ipvsadm -L --daemon on %s", h.Name())
}

var _ = Describe("keepalived connection sync (lvs_sync_daemon)", Label("keepalived", "failover"), func() {
	DescribeTable("a connection held open across a graceful failover",
		func(sync bool) {
			_, lab := kaLab("lvs01", func(s *topo.Spec) {
				if sync {
					s.VRRP[0].SyncDaemon = "eth0"
				}
			})
			spec := lab.Spec
			vip := spec.VRRP[0].VIPs[0].Addr()
			target := serviceVIP(spec)
			lvs01, lvs02, cli := host(lab, "lvs01"), host(lab, "lvs02"), host(lab, "client")

			if sync {
				By("keepalived has started the kernel's master sync daemon on lvs01, the backup one on lvs02")
				// lvs01 starts its master daemon on becoming MASTER; a
				// connection that passes sync_threshold before that is
				// not synced until its next sync_period of packets.
				syncDaemon(lvs01, "master")
				syncDaemon(lvs02, "backup")
			}

			By("the client opens a keep-alive connection through lvs01 and asks on it a few times")
			hc, err := hold(cli, target)
			Expect(err).NotTo(HaveOccurred())
			for range 3 {
				Expect(hc.Ask()).To(Equal(hc.Server))
			}
			from := hc.Local()
			_, on01 := connOf(lvs01, from)
			Expect(on01).To(BeTrue(), "lvs01 has no entry for %s", from)

			if sync {
				By("the backup lvs02 has the connection in its table (the sync daemon)")
				start := time.Now()
				Eventually(func() bool { _, ok := connOf(lvs02, from); return ok }).
					WithTimeout(syncWait).WithPolling(100*time.Millisecond).Should(BeTrue(), "lvs02 never got %s", from)
				c, _ := connOf(lvs02, from)
				record("sync", "lvs02's table had %s → %s (%s) %s after the connection's third request", from, c.Dest, c.State, time.Since(start).Round(time.Millisecond))
			} else {
				_, on02 := connOf(lvs02, from)
				Expect(on02).To(BeFalse(), "lvs02 knows %s without a sync daemon", from)
			}

			By("systemctl stop keepalived on lvs01: lvs02 takes the VIP")
			Expect(keepalived.Stop(lvs01)).To(Succeed())
			waitMaster(lab, vip, "lvs02", 10*time.Second)
			Eventually(func() string { return neighbourMAC(cli, vip) }).WithTimeout(5 * time.Second).Should(Equal(macOf("lvs02", "eth0")))

			By("the held connection asks again")
			got, err := hc.Ask()
			if sync {
				Expect(err).NotTo(HaveOccurred(), "the synced connection broke")
				Expect(got).To(Equal(hc.Server))
				record("sync failover", "the held connection to %s kept working through lvs02", got)
			} else {
				Expect(err).To(HaveOccurred(), "the connection survived without sync: lvs02 must not know it")
				record("no sync failover", "the held connection broke as it should without sync: %s (%v)", client.Classify(err), err)
			}

			By("new connections go through lvs02")
			res := send(cli, "after failover", client.Options{Target: target, Requests: 4})
			Expect(res.Errors).To(BeEmpty())
		},
		Entry("with lvs_sync_daemon the backup knows it and it keeps working", true),
		Entry("without sync it breaks (negative control)", false),
	)
})
