package scenarios_test

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/topo"
)

// kernelHasModule reports whether the running kernel ships module name,
// built in or loadable: a scheduler that ships must work (a failure is a
// regression), one that does not must be reported as missing.
func kernelHasModule(name string) bool {
	GinkgoHelper()
	var u unix.Utsname
	Expect(unix.Uname(&u)).To(Succeed())
	dir := filepath.Join("/lib/modules", unix.ByteSliceToString(u.Release[:]))
	for _, f := range []string{"modules.dep", "modules.builtin"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err == nil && strings.Contains(string(data), "/"+name+".ko") {
			return true
		}
	}
	_, err := os.Stat(filepath.Join("/sys/module", name))
	return err == nil
}

var _ = Describe("IPVS schedulers", Label("sched", "director"), func() {
	It("programs every scheduler ipvsadm -s knows, and ipvsadm agrees line for line (seed 003 §4.3 lab)", func() {
		lab := upNetwork("dr.yaml")
		lvs, client := host(lab, "lvs"), host(lab, "client")
		web := service(lab, "web")
		d := openDirector(lvs)
		forwards := []topo.Forward{topo.ForwardDR, topo.ForwardNAT, topo.ForwardTUN}
		var programmed []uint16
		for i, sched := range topo.Schedulers {
			s := *web
			s.Port = uint16(8000 + i)
			s.Scheduler = sched
			s.Forward = forwards[i%len(forwards)]
			err := d.AddService(&s)
			if !kernelHasModule("ip_vs_" + sched) {
				By(fmt.Sprintf("%s: not in this kernel, so AddService must say so", sched))
				Expect(errors.Is(err, director.ErrSchedulerNotFound)).To(BeTrue(), "AddService(%s) = %v", sched, err)
				continue
			}
			Expect(err).NotTo(HaveOccurred(), "scheduler %s", sched)
			programmed = append(programmed, s.Port)
			w1, w2 := i+1, 1
			rs1 := *realServer(web, "web1")
			rs1.Weight, rs1.Port, rs1.Upper, rs1.Lower = &w1, s.Port, uint32(10*i), uint32(i)
			rs2 := *realServer(web, "web2")
			rs2.Weight, rs2.Port = &w2, s.Port
			Expect(d.AddRealServer(&s, &rs1)).To(Succeed())
			Expect(d.AddRealServer(&s, &rs2)).To(Succeed())
		}
		Expect(director.PlaceVIP(lvs, web)).To(Succeed())

		By("ipvsadm -Ln lists each scheduler the kernel has, on its port")
		Expect(programmed).NotTo(BeEmpty(), "this kernel must have IPVS schedulers")
		listing := ipvsadm(lvs.Namespace(), "-Ln")
		for i, sched := range topo.Schedulers {
			line := regexp.MustCompile(fmt.Sprintf(`(?m)^TCP  %s:%d %s\s*$`, regexp.QuoteMeta(web.VIP.String()), 8000+i, sched))
			if slices.Contains(programmed, uint16(8000+i)) {
				Expect(listing).To(MatchRegexp(line.String()), "scheduler %s is in the table", sched)
			} else {
				Expect(listing).NotTo(ContainSubstring(fmt.Sprintf(":%d ", 8000+i)), "scheduler %s was refused", sched)
			}
		}

		By("ipvsadm -Ln and -Ln --stats agree with no traffic yet")
		table := expectAllAgree(lvs)
		Expect(table.Services).To(HaveLen(len(programmed)))
		for _, e := range table.Services {
			Expect(e.Service.Netmask).To(BeEquivalentTo(0xffffffff), "never a zero netmask")
		}

		By("with SYNs scheduled by each: -Ln, --stats and -Lnc agree")
		for _, port := range programmed {
			knock(client, netip.AddrPortFrom(web.VIP, port), 2)
		}
		conns(lvs, 2*len(programmed), func(c director.Conn) bool { return !c.Template() })
		By("the counters show every scheduler's SYNs (the kernel sums them every 2 s)")
		Eventually(func(g Gomega) {
			for _, e := range snapshot(lvs).Services {
				g.Expect(e.Service.Stats.Connections).To(BeNumerically(">=", 2), "service %s scheduled its SYNs", e.Service.SchedName)
			}
		}).WithTimeout(10 * time.Second).WithPolling(500 * time.Millisecond).Should(Succeed())
		expectAllAgree(lvs)
	})
})
