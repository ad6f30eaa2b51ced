package scenarios_test

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lvslab/lvslab/internal/importer"
	"github.com/lvslab/lvslab/internal/labup"
	"github.com/lvslab/lvslab/internal/verify"
	"github.com/lvslab/lvslab/topo"
)

// lvslab verify's battery (internal/verify) on labs imported from
// keepalived.conf files, as a user's own would be: the seed 004 pair
// passes every check; each negative control breaks the lab the way
// users do (FACTS.md, "What users get wrong") and the check that should
// see it fails, with its cause.

// confDir holds the keepalived.conf fixtures of the seeds.
const confDir = "../director/keepalived/conf/testdata/"

// importFiles imports keepalived.conf files as lvslab import does.
func importFiles(files ...string) *topo.Spec {
	GinkgoHelper()
	res, err := importer.Import(files, importer.Options{})
	Expect(err).NotTo(HaveOccurred())
	return res.Spec
}

// runVerify stands spec up, waits for it to be ready (or not: a broken
// lab may never be), runs the checks of the kinds only (all when none)
// and prints the table.
func runVerify(spec *topo.Spec, ready bool, only ...string) []verify.Result {
	GinkgoHelper()
	start := time.Now()
	lab := upSpec(spec, labup.Options{})
	readies, err := labup.WaitReady(ctx(), lab)
	for _, r := range readies {
		record("ready", "%s", r)
	}
	if ready {
		Expect(err).NotTo(HaveOccurred())
	}
	// The whole battery: its failovers and health checks take a minute
	// or more in a loaded guest.
	c, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	results, err := verify.Run(c, lab, verify.Options{Only: only, Binary: lvslabBinary(), CaptureDir: GinkgoT().TempDir()})
	Expect(err).NotTo(HaveOccurred())
	var b strings.Builder
	Expect(verify.WriteTable(&b, results)).To(Succeed())
	record("verify "+spec.Name, "%s in %s\n%s", strings.Join(only, ","), time.Since(start).Round(time.Millisecond), b.String())
	return results
}

// resultOf is the one result of kind.
func resultOf(results []verify.Result, kind string) verify.Result {
	GinkgoHelper()
	var found []verify.Result
	for _, r := range results {
		if r.Check == kind {
			found = append(found, r)
		}
	}
	Expect(found).To(HaveLen(1), "results of %s: %+v", kind, results)
	return found[0]
}

var _ = Describe("lvslab verify on imported keepalived.conf files (issue 10)", Label("verify", "keepalived"), func() {
	It("passes every check on the seed 004 pair (lvslab import 004-lvs01.conf 004-lvs02.conf)", Label("dr", "failover", "health"), func() {
		spec := importFiles(confDir+"seeds/004-lvs01.conf", confDir+"seeds/004-lvs02.conf")
		results := runVerify(spec, true)

		By("every kind of check ran, and none failed or was skipped")
		var kinds []string
		for _, r := range results {
			Expect(r.Verdict).To(Equal(verify.Pass), "%s %s: %s; cause: %s", r.Check, r.Name, r.Figure, r.Cause)
			kinds = append(kinds, r.Check)
		}
		Expect(kinds).To(Equal([]string{"master", "distribution", "arp", "path", "health", "failover", "failover", "failover"}))
	})

	It("sees two MASTERs when the pair's virtual_router_id differ (negative control)", Label("failover"), func() {
		By("lvs02's file with virtual_router_id 53, lvs01's 52")
		data, err := os.ReadFile(confDir + "seeds/004-lvs02.conf")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).To(ContainSubstring("virtual_router_id 52"))
		lvs02 := filepath.Join(GinkgoT().TempDir(), "004-lvs02.conf")
		Expect(os.WriteFile(lvs02, []byte(strings.Replace(string(data), "virtual_router_id 52", "virtual_router_id 53", 1)), 0o644)).To(Succeed())
		spec := importFiles(confDir+"seeds/004-lvs01.conf", lvs02)

		r := resultOf(runVerify(spec, false, verify.KindMaster), verify.KindMaster)
		Expect(r.Verdict).To(Equal(verify.Fail))
		Expect(r.Figure).To(ContainSubstring("held by 004-lvs01 and 004-lvs02"))
		Expect(r.Cause).To(ContainSubstring("2 MASTERs"))
		Expect(r.Cause).To(ContainSubstring("virtual_router_id"))
	})

	It("fails the ARP check, saying what to set, when a DR real server answers ARP for the VIP (negative control)", Label("dr"), func() {
		spec := importFiles(confDir+"seeds/004-lvs01.conf", confDir+"seeds/004-lvs02.conf")
		By("web01 keeps arp_ignore and arp_announce at 0 (the VIP stays on its lo)")
		node(spec, "web01").Sysctls = map[string]string{
			"net.ipv4.conf.all.arp_ignore":       "0",
			"net.ipv4.conf.all.arp_announce":     "0",
			"net.ipv4.conf.lo.arp_ignore":        "0",
			"net.ipv4.conf.lo.arp_announce":      "0",
			"net.ipv4.conf.eth0.arp_ignore":      "0",
			"net.ipv4.conf.eth0.arp_announce":    "0",
			"net.ipv4.conf.default.arp_ignore":   "0",
			"net.ipv4.conf.default.arp_announce": "0",
		}
		r := resultOf(runVerify(spec, true, verify.KindARP), verify.KindARP)
		Expect(r.Verdict).To(Equal(verify.Fail))
		Expect(r.Cause).To(Equal("web01 answered ARP for the VIP: set arp_ignore=1 and arp_announce=2 on the real servers"))
	})

	It("fails the distribution check when the NAT real servers have no gateway through the directors (negative control)", Label("nat"), func() {
		spec := importFiles("../internal/importer/testdata/conf/nat-lvs1.conf", "../internal/importer/testdata/conf/nat-lvs2.conf")
		By("rs01 and rs02 without their default route via the internal VIP")
		for _, n := range spec.Nodes {
			if n.Role == topo.RoleRealServer {
				n.Gateway = netip.Addr{}
			}
		}
		spec.Allow = append(spec.Allow, topo.AllowNATGateway)
		results := runVerify(spec, false, verify.KindDistribution)
		Expect(results).NotTo(BeEmpty())
		for _, r := range results {
			Expect(r.Verdict).To(Equal(verify.Fail), "%s %s: %s", r.Check, r.Name, r.Figure)
			Expect(r.Cause).To(ContainSubstring("default gateway"))
		}
	})

	It("holds each health checker to its formula and puts a sorry_server in alone once every real server is down", Label("dr", "health"), func() {
		By("seed 004's lab with a sorry server (192.168.10.36) for its service")
		spec := loadLab("dr-keepalived.yaml")
		withSorryServer(spec)
		results := runVerify(spec, true, verify.KindHealth)
		var kinds []string
		for _, r := range results {
			Expect(r.Verdict).To(Equal(verify.Pass), "%s %s: %s; cause: %s", r.Check, r.Name, r.Figure, r.Cause)
			kinds = append(kinds, r.Check)
		}
		Expect(kinds).To(Equal([]string{verify.KindHealth, verify.KindSorry}))
	})
})
