package scenarios_test

import (
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lvslab/lvslab/captures"
	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/internal/verify"
	"github.com/lvslab/lvslab/reports"
	"github.com/lvslab/lvslab/topo"
)

// tracedRequest captures on every link of lab while the client node
// sends one request to the first service's VIP, and traces it
// (verify.TracedRequest, the path check of lvslab verify).
func tracedRequest(lab *topo.Lab, clientNode string) (*captures.Path, string) {
	GinkgoHelper()
	dir := GinkgoT().TempDir()
	p, err := verify.TracedRequest(ctx(), lab, host(lab, clientNode), lab.Spec.Services[0], dir)
	Expect(err).NotTo(HaveOccurred())
	recordFigure(lab.Spec.Name+" path", reports.Table{Text: p.Table()})
	return p, dir
}

// checks are the three methods' proofs, by name, for the negative controls.
var checks = map[string]func(*captures.Path, *topo.Spec) error{
	"DR": captures.CheckDR, "NAT": captures.CheckNAT, "TUN": captures.CheckTUN,
}

// expectOnly runs every method's check on p: method's passes, and the
// others fail (the negative controls: a path proves one method only).
func expectOnly(p *captures.Path, spec *topo.Spec, method string) {
	GinkgoHelper()
	Expect(checks[method](p, spec)).To(Succeed())
	for name, check := range checks {
		if name == method {
			continue
		}
		err := check(p, spec)
		Expect(err).To(HaveOccurred(), "the %s path passed the %s check", method, name)
		record("negative control "+name+" on "+method, "%v", err)
	}
}

// hopInto finds the request hop sent by from and received by to.
func hopInto(p *captures.Path, from, to string) captures.Hop {
	GinkgoHelper()
	for _, h := range p.Request {
		if h.Sender() == from && h.Receiver() == to {
			return h
		}
	}
	Fail(fmt.Sprintf("no request hop %s → %s in\n%s", from, to, p.Table()))
	return captures.Hop{}
}

var _ = Describe("Packet paths", Label("capture"), func() {
	It("DR: the director rewrites only the MACs; the RS answers from the VIP past the director (seed 003 §4.3)", Label("dr"), func() {
		tshark := testutil.NeedTool(GinkgoTB(), "tshark", "it is the oracle of our decoding of the director → RS frame (apt-get install tshark)")
		lab := upLab("dr.yaml")
		p, dir := tracedRequest(lab, "client")

		By("the request crosses client → router → lvs → a real server; the reply RS → router → client")
		Expect(p.Request).To(HaveLen(3))
		Expect(p.Reply).To(HaveLen(2))

		By("CheckDR passes; CheckNAT and CheckTUN fail on the same path")
		expectOnly(p, lab.Spec, "DR")

		By("tshark reads the director → RS frame as we do: destination MAC the RS's, destination IP the VIP")
		out := hopInto(p, "lvs", p.Request[2].Receiver())
		file := filepath.Join(dir, out.To.FileName())
		got, err := exec.Command(tshark, "-r", file,
			"-Y", fmt.Sprintf("ip.id == %d && tcp.flags.syn == 1 && tcp.flags.ack == 0", out.IPID),
			"-T", "fields", "-e", "eth.dst", "-e", "ip.dst").Output()
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.TrimSpace(string(got))).To(Equal(out.DstMAC.String() + "\t" + out.Dst.Addr().String()))
		Expect(out.DstMAC.String()).To(Equal(topo.MAC(out.Receiver(), "eth0").String()))
	})

	It("NAT: the director rewrites the destination to RIP:rport and the reply's source back to VIP:vport (seed 003 §4.1)", Label("nat"), func() {
		lab := upLab("nat.yaml")
		p, _ := tracedRequest(lab, "internet")

		By("the request crosses internet → lvs → a real server, the reply comes back through lvs")
		Expect(p.Request).To(HaveLen(2))
		Expect(p.Reply).To(HaveLen(2))
		Expect(p.Request[1].Changed).To(ContainElements("dst-ip"))
		Expect(p.Reply[1].Changed).To(ContainElements("src-ip"))

		By("CheckNAT passes; CheckDR and CheckTUN fail on the same path")
		expectOnly(p, lab.Spec, "NAT")
	})

	It("TUN: the director wraps the request in IPIP from DIP to RIP; the RS answers directly", Label("tun"), func() {
		lab := upLab("tun.yaml")
		p, _ := tracedRequest(lab, "client")

		By("the director → router hop carries IPIP 192.168.188.8 → a RIP with the client's packet inside")
		out := hopInto(p, "director", "router")
		Expect(out.Encap).NotTo(BeNil())
		Expect(out.Encap.Src).To(Equal(netip.MustParseAddr("192.168.188.8")))
		Expect(out.Dst).To(Equal(serviceVIP(lab.Spec)))

		By("CheckTUN passes; CheckDR and CheckNAT fail on the same path")
		expectOnly(p, lab.Spec, "TUN")
	})
})
