package scenarios_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lvslab/lvslab/director"
)

func ctx() context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	DeferCleanup(cancel)
	return c
}

// ipvsadm runs Debian's ipvsadm inside a node: the oracle our own
// reading of the table is compared with.
func ipvsadm(ns string, args ...string) string {
	GinkgoHelper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns, "ipvsadm"}, args...)...).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "ipvsadm %s in %s: %s", strings.Join(args, " "), ns, out)
	return string(out)
}

var _ = Describe("The kernel under the labs", Label("smoke"), func() {
	It("has IPVS, an empty table in a new director namespace, and takes a service (seed 003 §4.3)", func() {
		lab := upNetwork("dr.yaml")
		lvs := host(lab, "lvs")

		By("ip_vs is loaded: /proc/net/ip_vs exists inside the director")
		Expect(lvs.Do(func() error {
			_, err := os.Stat("/proc/thread-self/net/ip_vs")
			return err
		})).To(Succeed())

		By("moby/ipvs lists an empty table")
		table, err := director.Snapshot(lvs)
		Expect(err).NotTo(HaveOccurred())
		Expect(table.Services).To(BeEmpty())
		Expect(table.Header).To(HavePrefix("IP Virtual Server version"))

		By("programming the lab file's service and reading it back")
		Expect(director.Program(lvs, lab.Spec.Services)).To(Succeed())
		table, err = director.Snapshot(lvs)
		Expect(err).NotTo(HaveOccurred())
		Expect(table.Services).To(HaveLen(1))
		svc := table.Services[0]
		Expect(svc.Service.Address.String()).To(Equal("192.168.188.100"))
		Expect(svc.Service.Port).To(BeEquivalentTo(80))
		Expect(svc.Service.SchedName).To(Equal("rr"))
		Expect(svc.Destinations).To(HaveLen(2))

		By("ipvsadm -Ln in the same namespace agrees line for line")
		Expect(director.FormatTable(table)).To(Equal(ipvsadm(lvs.Namespace(), "-Ln")))
	})
})
