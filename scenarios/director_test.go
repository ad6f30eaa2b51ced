package scenarios_test

import (
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/topo"
)

// Our views of a table, and the ipvsadm arguments printing the same.
var (
	listView  = director.FormatTable
	statsView = director.FormatStats
	connView  = func(t *director.Table) string { return director.FormatConns(t.Conns) }
)

// expectAgrees checks view of the director's table against `ipvsadm
// ARGS`, line for line. Expiry timers and counters move while the two
// tools read (ipvsadm takes ~0.1 s to start under TCG), so we read our
// table just before and just after ipvsadm, and each of ipvsadm's lines
// must equal the same line of one of our two reads. It tries a few times
// before failing (a gomega failure, so that the negative control can
// intercept it).
func expectAgrees(h *topo.Host, view func(*director.Table) string, args ...string) *director.Table {
	GinkgoHelper()
	var diff string
	for range 5 {
		before := snapshot(h)
		oracle := ipvsadm(h.Namespace(), args...)
		after := snapshot(h)
		if diff = bracketDiff(view(before), oracle, view(after)); diff == "" {
			return after
		}
		time.Sleep(300 * time.Millisecond)
	}
	Expect(diff).To(BeEmpty(), "ipvsadm %s disagrees with our table (-ipvsadm +ours)", strings.Join(args, " "))
	return nil
}

// bracketDiff is "" when every line of oracle equals the same line of
// before or of after, or lies between them, else a (-oracle +ours) diff.
func bracketDiff(before, oracle, after string) string {
	b, o, a := strings.Split(before, "\n"), strings.Split(oracle, "\n"), strings.Split(after, "\n")
	if len(o) != len(b) || len(o) != len(a) {
		if len(o) == len(a) {
			return cmp.Diff(oracle, after)
		}
		return cmp.Diff(oracle, before)
	}
	for i := range o {
		if o[i] != b[i] && o[i] != a[i] && !between(b[i], o[i], a[i]) {
			return cmp.Diff(oracle, after)
		}
	}
	return ""
}

// between tells whether the oracle's line o reads as a moment between
// our reads b and a: the same fields, and where b and a differ (a
// connection's expiry counting down, a counter going up) o's field lies
// between theirs. Under load a second can pass between each read, so o
// may equal neither.
func between(b, o, a string) bool {
	bf, of, af := strings.Fields(b), strings.Fields(o), strings.Fields(a)
	if len(of) != len(bf) || len(of) != len(af) {
		return false
	}
	for j := range of {
		if of[j] == bf[j] && of[j] == af[j] {
			continue
		}
		if bf[j] == af[j] || len(of[j]) != len(bf[j]) || len(of[j]) != len(af[j]) {
			return false
		}
		// Equal lengths: digits, and mm:ss, order as strings.
		lo, hi := min(bf[j], af[j]), max(bf[j], af[j])
		if of[j] < lo || of[j] > hi {
			return false
		}
	}
	return true
}

// expectAllAgree checks -Ln and -Ln --stats, and -Lnc when there are
// connections.
func expectAllAgree(h *topo.Host) *director.Table {
	GinkgoHelper()
	expectAgrees(h, statsView, "-Ln", "--stats")
	t := expectAgrees(h, listView, "-Ln")
	if len(t.Conns) > 0 {
		t = expectAgrees(h, connView, "-Lnc")
	}
	return t
}

// knock opens n TCP connections from node h to vip without waiting: each
// sends a SYN, which IPVS schedules and enters in its connection table.
// Nothing answers in these labs yet (no backends), so the entries stay in
// SYN_RECV; the sockets close when the spec ends.
func knock(h *topo.Host, vip netip.AddrPort, n int) {
	GinkgoHelper()
	var fds []int
	DeferCleanup(func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	})
	Expect(h.Do(func() error {
		for range n {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return err
			}
			fds = append(fds, fd)
			sa := &unix.SockaddrInet4{Port: int(vip.Port()), Addr: vip.Addr().As4()}
			if err := unix.Connect(fd, sa); err != nil && !errors.Is(err, unix.EINPROGRESS) {
				return err
			}
		}
		return nil
	})).To(Succeed())
}

// conns waits until the director's connection table has at least n
// entries matching keep, and returns the table.
func conns(h *topo.Host, n int, keep func(director.Conn) bool) *director.Table {
	GinkgoHelper()
	var table *director.Table
	Eventually(func(g Gomega) {
		var err error
		table, err = director.Snapshot(h)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(len(table.ConnsWhere(keep))).To(BeNumerically(">=", n), "connection table:\n%s", director.FormatConns(table.Conns))
	}).WithTimeout(10 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())
	return table
}

// service returns a lab file's service by name.
func service(lab *topo.Lab, name string) *topo.Service {
	GinkgoHelper()
	svc := lab.Spec.Service(name)
	Expect(svc).NotTo(BeNil(), "lab %s has no service %q", lab.Name, name)
	return svc
}

func realServer(svc *topo.Service, node string) *topo.RealServer {
	GinkgoHelper()
	rs := svc.RealServer(node)
	Expect(rs).NotTo(BeNil(), "service %s has no real server %q", svc.Name, node)
	return rs
}

// inNode runs a command in a node's namespace and returns its output.
func inNode(h *topo.Host, argv ...string) string {
	GinkgoHelper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", h.Namespace()}, argv...)...).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "%s: %s", strings.Join(argv, " "), out)
	return string(out)
}

var _ = Describe("A director's IPVS table", Label("director"), func() {
	It("places the VIP where each forwarding method needs it (seed 003 §4.1, §4.3)", func() {
		By("DR: VIP/32 on the director's interface on the real servers' segment")
		dr := upNetwork("dr.yaml")
		lvs := host(dr, "lvs")
		Expect(director.Program(lvs, dr.Spec.Services)).To(Succeed())
		Expect(inNode(lvs, "ip", "-4", "-o", "addr", "show", "dev", "eth0")).To(ContainSubstring("inet 192.168.188.100/32"))
		By("placing it again changes nothing")
		Expect(director.PlaceVIP(lvs, service(dr, "web"))).To(Succeed())
		Expect(strings.Count(inNode(lvs, "ip", "-4", "-o", "addr", "show"), "192.168.188.100/")).To(Equal(1))

		By("NAT: the VIP is lvs's eth1 address already, so nothing is added; ip_forward is on")
		nat := upNetwork("nat.yaml")
		natLVS := host(nat, "lvs")
		Expect(director.Program(natLVS, nat.Spec.Services)).To(Succeed())
		addrs := inNode(natLVS, "ip", "-4", "-o", "addr", "show")
		Expect(strings.Count(addrs, "192.168.10.100/")).To(Equal(1), addrs)
		Expect(addrs).To(MatchRegexp(`eth1\s+inet 192\.168\.10\.100/24`))
		Expect(inNode(natLVS, "cat", "/proc/sys/net/ipv4/ip_forward")).To(Equal("1\n"))
		expectAgrees(natLVS, listView, "-Ln")
	})

	It("shows persistence with timeout and netmask as ipvsadm does (seed 000 -p 5, with -M)", Label("persistence"), func() {
		lab := upNetwork("dr.yaml")
		lvs, client := host(lab, "lvs"), host(lab, "client")
		web := *service(lab, "web")
		web.Persistence = &topo.Persistence{Timeout: 5, Netmask: netip.MustParseAddr("255.255.255.0")}
		Expect(director.Program(lvs, []*topo.Service{&web})).To(Succeed())

		By("ipvsadm -Ln: persistent 5 mask 255.255.255.0, in both")
		table := expectAgrees(lvs, listView, "-Ln")
		Expect(director.FormatTable(table)).To(ContainSubstring("TCP  192.168.188.100:80 rr persistent 5 mask 255.255.255.0\n"))
		Expect(ipvsadm(lvs.Namespace(), "-Ln")).To(ContainSubstring("TCP  192.168.188.100:80 rr persistent 5 mask 255.255.255.0\n"))

		By("a client's SYNs leave a template (client port 0) keyed by its /24 and the connections")
		knock(client, netip.MustParseAddrPort("192.168.188.100:80"), 3)
		table = conns(lvs, 1, director.Conn.Template)
		var tmpl director.Conn
		for _, c := range table.Conns {
			if c.Template() {
				tmpl = c
			}
		}
		Expect(tmpl.Client.Addr().String()).To(Equal("192.168.10.0"), "the template's key is saddr & netmask")
		Expect(tmpl.Expires).To(BeNumerically("<=", 5*time.Second))
		table = conns(lvs, 3, func(c director.Conn) bool { return !c.Template() })
		for _, c := range table.Conns {
			Expect(c.Dest).To(Equal(tmpl.Dest), "persistence sends every connection of the /24 to one real server")
		}
		expectAllAgree(lvs)
	})

	It("edits, quiesces and deletes as ipvsadm -E, -e -w 0, -d and -D do (seed 002)", Label("fwmark"), func() {
		lab := upNetwork("fwmark.yaml")
		lvs := host(lab, "director")
		web := service(lab, "web")
		Expect(director.Program(lvs, lab.Spec.Services)).To(Succeed())
		Expect(director.FormatTable(expectAgrees(lvs, listView, "-Ln"))).To(ContainSubstring("FWM  3 sh\n"))
		d := openDirector(lvs)

		By("ipvsadm -E -f 3 -s rr")
		rr := *web
		rr.Scheduler = "rr"
		Expect(d.EditService(&rr)).To(Succeed())
		Expect(director.FormatTable(expectAgrees(lvs, listView, "-Ln"))).To(ContainSubstring("FWM  3 rr\n"))

		By("ipvsadm -E -f 3 -s rr -p 600: persistence added by an edit")
		sticky := rr
		sticky.Persistence = &topo.Persistence{Timeout: 600}
		Expect(d.EditService(&sticky)).To(Succeed())
		Expect(director.FormatTable(expectAgrees(lvs, listView, "-Ln"))).To(ContainSubstring("FWM  3 rr persistent 600\n"))

		By("quiescing rs1: weight 0")
		Expect(d.Quiesce(&sticky, realServer(web, "rs1"))).To(Succeed())
		Expect(director.FormatTable(expectAgrees(lvs, listView, "-Ln"))).To(MatchRegexp(`-> 172\.16\.0\.7:0 +Route +0 `))

		By("ipvsadm -d -f 3 -r 172.16.0.8")
		Expect(d.DeleteRealServer(&sticky, realServer(web, "rs2"))).To(Succeed())
		table := expectAgrees(lvs, listView, "-Ln")
		Expect(table.Services).To(HaveLen(1))
		Expect(table.Services[0].Destinations).To(HaveLen(1))

		By("ipvsadm -D -f 3")
		Expect(d.DeleteService(&sticky)).To(Succeed())
		Expect(expectAgrees(lvs, listView, "-Ln").Services).To(BeEmpty())

		By("ipvsadm -C")
		Expect(director.Program(lvs, lab.Spec.Services)).To(Succeed())
		Expect(d.Flush()).To(Succeed())
		Expect(expectAgrees(lvs, listView, "-Ln").Services).To(BeEmpty())
	})

	It("marks http and https of the VIP with 3 in nftables and serves them as FWM 3 (seed 002)", Label("fwmark"), func() {
		nft := testutil.NeedTool(GinkgoTB(), "nft", "it is the oracle for the firewall marks (package nftables)")
		lab := upNetwork("fwmark.yaml")
		lvs, client := host(lab, "director"), host(lab, "client")
		web := service(lab, "web")
		Expect(director.Program(lvs, lab.Spec.Services)).To(Succeed())

		By("nft list ruleset shows the mark rule; ipvsadm -Ln shows FWM  3 sh")
		const rule = "ip daddr 172.16.0.99 tcp dport { 80, 443 } meta mark set 0x00000003"
		ruleset := inNode(lvs, nft, "list", "ruleset")
		Expect(ruleset).To(ContainSubstring("table ip lvslab {"))
		Expect(ruleset).To(ContainSubstring("type filter hook prerouting priority mangle; policy accept;"))
		Expect(ruleset).To(ContainSubstring(rule))
		Expect(director.FormatTable(expectAgrees(lvs, listView, "-Ln"))).To(ContainSubstring("FWM  3 sh\n"))

		By("marking again replaces the rule rather than adding a second")
		Expect(director.Mark(lvs, web)).To(Succeed())
		Expect(strings.Count(inNode(lvs, nft, "list", "ruleset"), "meta mark set")).To(Equal(1))

		By("SYNs to :80 and :443 of the VIP go through the FWM 3 service; one to :22, sent first, is not marked and not scheduled")
		knock(client, netip.MustParseAddrPort("172.16.0.99:22"), 1)
		knock(client, netip.MustParseAddrPort("172.16.0.99:80"), 1)
		knock(client, netip.MustParseAddrPort("172.16.0.99:443"), 1)
		table := conns(lvs, 2, func(c director.Conn) bool { return c.Virtual.Addr().String() == "172.16.0.99" })
		Expect(table.Conns).To(ContainElement(HaveField("Virtual", netip.MustParseAddrPort("172.16.0.99:80"))))
		Expect(table.Conns).To(ContainElement(HaveField("Virtual", netip.MustParseAddrPort("172.16.0.99:443"))))
		Expect(table.Conns).NotTo(ContainElement(HaveField("Virtual", netip.MustParseAddrPort("172.16.0.99:22"))))
		Eventually(func() uint32 { return snapshot(lvs).Services[0].Service.Stats.Connections }).
			WithTimeout(10*time.Second).WithPolling(500*time.Millisecond).Should(BeNumerically(">=", 2),
			"the kernel sums the counters every 2 s")
		expectAllAgree(lvs)

		By("after Unmark the rule and the table are gone")
		Expect(director.Unmark(lvs, web)).To(Succeed())
		Expect(inNode(lvs, nft, "list", "ruleset")).NotTo(ContainSubstring("lvslab"))
		Expect(director.Unmark(lvs, web)).To(Succeed(), "unmarking twice is no error")
	})

	It("notices a table changed behind its back (negative control for the oracle)", func() {
		lab := upNetwork("dr.yaml")
		lvs := host(lab, "lvs")
		Expect(director.Program(lvs, lab.Spec.Services)).To(Succeed())
		stale := expectAgrees(lvs, listView, "-Ln")

		By("ipvsadm -a adds a real server our snapshot does not have")
		ipvsadm(lvs.Namespace(), "-a", "-t", "192.168.188.100:80", "-r", "192.168.188.83:80", "-g")

		By("expectAgrees, the comparison every real check makes, fails on a view that prints the stale snapshot")
		staleView := func(*director.Table) string { return director.FormatTable(stale) }
		failures := InterceptGomegaFailures(func() { expectAgrees(lvs, staleView, "-Ln") })
		Expect(failures).To(HaveLen(1), "expectAgrees must fail once, after its retries")
		Expect(failures[0]).To(ContainSubstring("ipvsadm -Ln disagrees with our table"))
		// (go-cmp varies its diff's layout on purpose, so the diff is not
		// matched as text.)

		By("and its line rule fails when a line differs from both reads, not only when the lengths differ")
		fresh := director.FormatTable(snapshot(lvs))
		oracle := ipvsadm(lvs.Namespace(), "-Ln")
		Expect(bracketDiff(fresh, oracle, fresh)).To(BeEmpty())
		changed := strings.Replace(fresh, "192.168.188.83:80", "192.168.188.84:80", 1)
		Expect(bracketDiff(changed, oracle, changed)).NotTo(BeEmpty())
		Expect(bracketDiff(changed, oracle, fresh)).To(BeEmpty(), "a line may match either read")

		By("a fresh snapshot agrees again")
		Expect(expectAgrees(lvs, listView, "-Ln").Services[0].Destinations).To(HaveLen(3))
	})

	It("sorts services and real servers as ipvsadm does, wrap-around included", func() {
		lab := upNetwork("dr.yaml")
		lvs := host(lab, "lvs")
		d := openDirector(lvs)
		web := service(lab, "web")
		for _, vip := range []string{"192.168.188.100", "1.0.0.1", "10.0.0.1", "100.0.0.1", "200.0.0.1", "172.16.0.1"} {
			s := *web
			s.VIP = netip.MustParseAddr(vip)
			Expect(d.AddService(&s)).To(Succeed())
			for _, rip := range []string{"172.16.0.2", "10.0.0.2", "200.0.0.2", "192.168.188.81"} {
				Expect(d.AddRealServer(&s, &topo.RealServer{Node: rip, RIP: netip.MustParseAddr(rip), Port: 80})).To(Succeed())
			}
		}
		expectAgrees(lvs, listView, "-Ln")
	})
})

// formatDir holds director's format goldens: what the real ipvsadm
// printed (README.md there says how each was made).
const formatDir = "../director/testdata/format/"

// updateGoldens, set by LVSLAB_UPDATE_GOLDENS=1, makes the goldens spec
// write the real ipvsadm's output to director/testdata/format instead of
// comparing: the one way to regenerate them, and never from our output.
var updateGoldens = os.Getenv("LVSLAB_UPDATE_GOLDENS") == "1"

// expectGolden compares the real ipvsadm's output with the golden file
// name, or writes it there when updating.
func expectGolden(name, ipvsadmOut string) {
	GinkgoHelper()
	if updateGoldens {
		Expect(os.WriteFile(formatDir+name+".golden", []byte(ipvsadmOut), 0o644)).To(Succeed())
		record("golden", "%s written from ipvsadm's output", name)
		return
	}
	expectMatchesGolden(name, ipvsadmOut)
}

// expectMatchesGolden fails with a (-golden +ipvsadm) diff when the real
// ipvsadm printed something other than the golden file name.
func expectMatchesGolden(name, ipvsadmOut string) {
	GinkgoHelper()
	want, err := os.ReadFile(formatDir + name + ".golden")
	Expect(err).NotTo(HaveOccurred())
	Expect(cmp.Diff(string(want), ipvsadmOut)).To(BeEmpty(), "%s.golden differs from the real ipvsadm's output (-golden +ipvsadm)", name)
}

// ipvsadmRestore programs a director's IPVS table from a rules file, as
// ipvsadm-restore does. Equivalent to: `ip netns exec NS ipvsadm -R < FILE`.
func ipvsadmRestore(h *topo.Host, file string) {
	GinkgoHelper()
	f, err := os.Open(file)
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	cmd := h.Command(ctx(), "ipvsadm", "-R")
	cmd.Stdin = f
	out, err := cmd.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "ipvsadm -R < %s: %s", file, out)
}

// ipvsadmConns is what the real ipvsadm -Lnc prints for a connection
// table given as the text of /proc/net/ip_vs_conn: ipvsadm reads that
// file, so a private /proc (a tmpfs in a mount namespace of its own)
// holding the fixture stands in for the kernel's. Equivalent to:
// `ip netns exec NS unshare -m sh -c 'mount -t tmpfs none /proc; …;
// ipvsadm -Lnc'`.
func ipvsadmConns(h *topo.Host, fixture string) string {
	GinkgoHelper()
	f, err := os.Open(fixture)
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	cmd := h.Command(ctx(), "unshare", "--mount", "--propagation", "private", "sh", "-c",
		"mount -t tmpfs lvslab-proc /proc && mkdir /proc/net && cat > /proc/net/ip_vs_conn && exec ipvsadm -Lnc")
	cmd.Stdin = f
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	Expect(err).NotTo(HaveOccurred(), "ipvsadm -Lnc on %s: %s", fixture, stderr.String())
	return string(out)
}

var _ = Describe("director's format goldens", Label("director", "oracle"), func() {
	It("are what the real ipvsadm prints, for the table our reading of the kernel formats alike (director/testdata/format)", func() {
		lab := upNetwork("dr.yaml")
		lvs := host(lab, "lvs")
		for _, g := range []struct {
			golden, rules string
			args          []string
			view          func(*director.Table) string
		}{
			{"basic.Ln", "basic.rules", []string{"-Ln"}, listView},
			{"basic.stats", "basic.rules", []string{"-Ln", "--stats"}, statsView},
			{"wrap.Ln", "wrap.rules", []string{"-Ln"}, listView},
		} {
			By("ipvsadm -R < " + g.rules + "; ipvsadm " + strings.Join(g.args, " ") + " is " + g.golden + ".golden")
			ipvsadm(lvs.Namespace(), "-C")
			ipvsadmRestore(lvs, formatDir+g.rules)
			out := ipvsadm(lvs.Namespace(), g.args...)
			expectGolden(g.golden, out)
			Expect(g.view(snapshot(lvs))).To(Equal(out), "our reading of the table ipvsadm printed")
		}
		for _, name := range []string{"empty", "dr", "persistent", "ipv6"} {
			By("ipvsadm -Lnc reading conn/" + name + ".txt as /proc/net/ip_vs_conn is " + name + ".Lnc.golden")
			expectGolden(name+".Lnc", ipvsadmConns(lvs, "../director/testdata/conn/"+name+".txt"))
		}
	})

	It("fail when the table ipvsadm prints is not the golden's (negative control for the golden oracle)", func() {
		lab := upNetwork("dr.yaml")
		lvs := host(lab, "lvs")
		ipvsadmRestore(lvs, formatDir+"basic.rules")
		expectMatchesGolden("basic.Ln", ipvsadm(lvs.Namespace(), "-Ln"))

		By("ipvsadm -e gives 10.0.0.2:80 weight 3: the golden check must fail, naming it")
		ipvsadm(lvs.Namespace(), "-e", "-t", "10.0.0.100:80", "-r", "10.0.0.2:80", "-g", "-w", "3")
		failures := InterceptGomegaFailures(func() { expectMatchesGolden("basic.Ln", ipvsadm(lvs.Namespace(), "-Ln")) })
		Expect(failures).To(HaveLen(1), "the golden check passed a different table")
		Expect(failures[0]).To(ContainSubstring("10.0.0.2:80"))

		By("a connection table other than the golden's fails too")
		failures = InterceptGomegaFailures(func() {
			expectMatchesGolden("dr.Lnc", ipvsadmConns(lvs, "../director/testdata/conn/persistent.txt"))
		})
		Expect(failures).To(HaveLen(1), "the golden check passed a different connection table")
	})
})
