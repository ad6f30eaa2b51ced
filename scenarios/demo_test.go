package scenarios_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lvslab/lvslab/captures"
	"github.com/lvslab/lvslab/internal/demo"
	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/reports"
	"github.com/lvslab/lvslab/topo"
)

// demoGolden is what `lvslab demo nat-vs-dr` prints above its pcap list.
// Regenerate it in the guest with LVSLAB_UPDATE_GOLDEN=1, e.g.:
//
//	cd scenarios && ../bin/lvslab vm -e LVSLAB_UPDATE_GOLDEN=1 -- ../bin/scenarios.test -ginkgo.label-filter=demo
const demoGolden = "testdata/demo-nat-vs-dr.golden"

var _ = Describe("The teaching demo", Label("demo", "capture"), func() {
	It("prints NAT (seed 003 §4.1) and DR (seed 003 §4.3) side by side, the same every run", func() {
		tshark := testutil.NeedTool(GinkgoTB(), "tshark", "the demo's pcaps are for Wireshark and tshark, and the spec reads one with it (apt-get install tshark)")
		out := GinkgoT().TempDir()
		res, err := demo.Run(ctx(), demo.Demos["nat-vs-dr"], demo.Options{
			LabsDir: labsDir,
			Prefix:  fmt.Sprintf("s%d-demo-", GinkgoParallelProcess()),
			Out:     out,
			Binary:  lvslabBinary(),
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Sides).To(HaveLen(2))
		nat, dr := res.Sides[0], res.Sides[1]
		got := res.Render()
		recordFigure("demo nat-vs-dr", reports.Table{Text: got})

		By("each path proves its method: CheckNAT on NAT, CheckDR on DR")
		Expect(nat.Verdict).NotTo(HaveOccurred())
		Expect(dr.Verdict).NotTo(HaveOccurred())

		By("DR shows seed 003 §4.3's three hops: router → lvs, lvs → RS with only the MACs (and TTL) changed, RS → router from the VIP")
		vip := serviceVIP(dr.Spec)
		in := hopInto(dr.Path, "router", "lvs")
		Expect(in.Dst).To(Equal(vip))
		rs := dr.Path.Request[len(dr.Path.Request)-1]
		Expect(rs.Sender()).To(Equal("lvs"))
		Expect(rs.Receiver()).To(Equal(dr.Server))
		Expect(rs.Changed).To(ConsistOf("src-mac", "dst-mac", "ttl"))
		Expect(rs.TTL).To(Equal(in.TTL - captures.TTLDecrement))
		Expect(rs.DstMAC.String()).To(Equal(topo.MAC(dr.Server, "eth0").String()))
		Expect(dr.Path.Reply).NotTo(BeEmpty())
		back := dr.Path.Reply[0]
		Expect(back.Sender()).To(Equal(dr.Server))
		Expect(back.Receiver()).To(Equal("router"))
		Expect(back.Src).To(Equal(vip))

		By("the pcaps are kept, one per link, and tshark reads them")
		Expect(nat.Files).To(HaveLen(len(captures.AllLinks(nat.Spec))))
		Expect(dr.Files).To(HaveLen(len(captures.AllLinks(dr.Spec))))
		file := filepath.Join(dr.Dir, rs.To.FileName())
		tout, err := exec.Command(tshark, "-r", file, "-c", "1").CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(tout))

		By("the text is " + demoGolden + "'s")
		if os.Getenv("LVSLAB_UPDATE_GOLDEN") == "1" {
			Expect(os.WriteFile(demoGolden, []byte(got), 0o644)).To(Succeed())
		}
		want, err := os.ReadFile(demoGolden)
		Expect(err).NotTo(HaveOccurred(), "regenerate it with LVSLAB_UPDATE_GOLDEN=1")
		Expect(got).To(Equal(string(want)))
	})
})
