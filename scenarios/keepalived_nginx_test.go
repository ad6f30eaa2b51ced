package scenarios_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/internal/daemon"
	"github.com/lvslab/lvslab/internal/labup"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
)

// perSource is who answered each source address; a source answered by
// two servers maps to "" (persistence broken).
func perSource(res *client.Result) map[netip.Addr]string {
	out := map[netip.Addr]string{}
	for _, e := range res.Replies() {
		src := e.Source.Addr()
		if s, ok := out[src]; ok && s != e.Server {
			out[src] = ""
			continue
		}
		out[src] = e.Server
	}
	return out
}

// expectPersistentSplit checks seed 000's "-s rr -p 5" from several
// client addresses: each address sticks to one server, and the addresses
// are dealt round-robin, so the two servers get half of them each.
func expectPersistentSplit(res *client.Result, sources []netip.Addr) {
	GinkgoHelper()
	Expect(res.Errors).To(BeEmpty())
	got := perSource(res)
	Expect(got).To(HaveLen(len(sources)))
	count := map[string]int{}
	for src, s := range got {
		Expect(s).NotTo(BeEmpty(), "%s was answered by both servers: persistence broken", src)
		count[s]++
	}
	Expect(count).To(Equal(map[string]int{"nginx171": len(sources) / 2, "nginx172": len(sources) / 2}))
}

// expectNginx checks that the node's real server is Debian's nginx (the
// lab file's server: nginx), not lvslab's built-in backend: the
// supervised process is nginx, and its pid file, in the lab's state,
// names it.
func expectNginx(h *topo.Host) {
	GinkgoHelper()
	pid, running, err := daemon.Status(h, realserver.ProcessName)
	Expect(err).NotTo(HaveOccurred())
	Expect(running).To(BeTrue(), "no server runs on %s", h.Name())
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	Expect(err).NotTo(HaveOccurred())
	Expect(strings.TrimSpace(string(comm))).To(Equal("nginx"), "%s's server", h.Name())
	pidFile, err := os.ReadFile(filepath.Join(realserver.NginxDir(h.Lab, h.Name()), "nginx.pid"))
	Expect(err).NotTo(HaveOccurred())
	Expect(strings.TrimSpace(string(pidFile))).To(Equal(strconv.Itoa(pid)))
}

var _ = Describe("keepalived + nginx, seed 000 §14's five checks (lvs-nginx.yaml)", Label("keepalived", "failover", "health"), func() {
	It("balances rr with -p 5 persistence, survives the master's stop and start, drops a stopped nginx and takes it back", func() {
		spec := loadLab("lvs-nginx.yaml")
		// The document's checker (6, 3, 3, 3) takes up to 27 s to drop a
		// server; smaller timers keep the spec short.
		check := spec.Services[0].Check
		check.DelayLoop, check.ConnectTimeout, check.Retry, check.DelayBeforeRetry = 2, 1, 1, 1
		first := addAddresses(spec, "client", "192.168.1.21/24", "192.168.1.22/24", "192.168.1.23/24", "192.168.1.24/24")
		fresh := addAddresses(spec, "client", "192.168.1.25/24", "192.168.1.26/24", "192.168.1.27/24", "192.168.1.28/24")
		lab := upSpec(spec, labup.Options{})
		startKeepalived(lab)
		vrrp := spec.VRRP[0]
		vip, advert := vrrp.VIPs[0].Addr(), vrrp.AdvertInt
		target := serviceVIP(spec)
		master, backup := vrrp.Master(), vrrp.Backup()
		lvs151, cli := host(lab, "lvs151"), host(lab, "client")
		dirs := []*topo.Host{lvs151, host(lab, "lvs152")}
		rs := spec.Services[0].RealServers
		rip171, rip172 := rs[0].RIP.String(), rs[1].RIP.String()
		waitMaster(lab, vip, "lvs151", masterDown(advert, master.Priority)+10*time.Second)
		waitRealServers(dirs, target, map[string]int{rip171: 1, rip172: 1}, 10*time.Second)
		By("nginx171 and nginx172 run Debian's nginx (server: nginx in the lab file)")
		expectNginx(host(lab, "nginx171"))
		expectNginx(host(lab, "nginx172"))

		By("1. www.lvs.com answers from 171 and 172 in turn; each client address sticks to one (-p 5)")
		res := send(cli, "seed 000 step 1", client.Options{Target: target, Requests: 12, Sources: first})
		expectPersistentSplit(res, first)

		By("2. systemctl stop keepalived on lvs151: lvs152 holds the VIP and serves")
		took := takeover(lab, vip, "lvs152", skew(backup.Priority)+2*keepalived.Late+keepalived.StopGrace, func() error {
			return keepalived.Stop(lvs151)
		})
		record("seed 000 step 2", "lvs152 held the VIP alone %s after the stop command; formula: its skew (256-%d)/256 = %s",
			took.Round(time.Millisecond), backup.Priority, skew(backup.Priority).Round(time.Millisecond))
		// From the stop command: lvs151's priority-0 advert comes first,
		// so one late wake of each keepalived (lvs151's on SIGTERM,
		// lvs152's timer) may add up.
		expectWithin(took, skew(backup.Priority), keepalived.PollEarly, 2*keepalived.Late, "lvs152 holding the VIP after the stop command")
		res = send(cli, "seed 000 step 2", client.Options{Target: target, Requests: 8, Sources: first})
		Expect(res.Errors).To(BeEmpty())

		By("3. systemctl start keepalived on lvs151: it takes the VIP back")
		start := time.Now()
		Expect(keepalived.StartNode(lab, lvs151)).To(Succeed())
		up := time.Since(start)
		took = waitMaster(lab, vip, "lvs151", masterDown(advert, master.Priority)+10*time.Second)
		record("seed 000 step 3", "lvs151 held the VIP alone %s after keepalived was up (%s after the start command); formula: Master_Down_Interval %s",
			took.Round(time.Millisecond), (up + took).Round(time.Millisecond), masterDown(advert, master.Priority).Round(time.Millisecond))
		// lvs151 starts as a backup and preempts when its down timer,
		// started with keepalived, runs out: at the earliest from the
		// start command, at the latest from keepalived being up.
		Expect(up+took).To(BeNumerically(">=", masterDown(advert, master.Priority)-keepalived.PollEarly), "lvs151 preempted before its Master_Down_Interval from the start command")
		Expect(took).To(BeNumerically("<=", masterDown(advert, master.Priority)+keepalived.Late), "lvs151 preempted later than its Master_Down_Interval after keepalived was up")
		res = send(cli, "seed 000 step 3", client.Options{Target: target, Requests: 8, Sources: first})
		Expect(res.Errors).To(BeEmpty())

		By("4. stop nginx on 171: both directors drop it, every client address gets 172")
		Expect(realserver.Stop(host(lab, "nginx171"), 0)).To(Succeed())
		formula := keepalived.RemovalTimeout(check)
		removed := waitRealServers(dirs, target, map[string]int{rip172: 1}, formula+10*time.Second)
		record("seed 000 step 4", "171 left the tables %v after the stop; formula %s", removed, formula)
		res = send(cli, "seed 000 step 4", client.Options{Target: target, Requests: 8, Sources: first})
		Expect(res.Errors).To(BeEmpty())
		Expect(res.Tally).To(Equal(map[string]int{"nginx172": 8}))
		expectCurlAgrees(cli, target, res)

		By("5. start nginx on 171 again: it is back, and new client addresses are dealt to both")
		Expect(realserver.Start(host(lab, "nginx171"), realserver.ServiceOptions(spec, "nginx171"), lvslabBinary())).To(Succeed())
		waitRealServers(dirs, target, map[string]int{rip171: 1, rip172: 1}, keepalived.Readd(check)+10*time.Second)
		expectNginx(host(lab, "nginx171"))
		res = send(cli, "seed 000 step 5", client.Options{Target: target, Requests: 12, Sources: fresh})
		expectPersistentSplit(res, fresh)
	})
})
