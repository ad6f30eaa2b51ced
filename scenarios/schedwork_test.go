package scenarios_test

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/lvslab/lvslab/client"
	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/director/sched"
	"github.com/lvslab/lvslab/internal/labup"
	"github.com/lvslab/lvslab/topo"
)

// A scheduler spec is a workload — connections held open, some closed
// again, short requests — and its verdict: the servers that answered,
// in order, must be the ones the model of the spec's scheduler
// (director/sched) predicts. Its swap control runs the same workload and
// verdict against the same service programmed with each other scheduler
// the kernel has: each must fail it, or the spec could not tell the
// scheduler it is about from that one.

// stepKind is what one step of a workload does.
type stepKind int

const (
	holdStep    stepKind = iota // open N keep-alive connections, one after the other, and keep them
	releaseStep                 // close the Index-th held connection (0-based, in opening order)
	requestStep                 // send N one-request connections, from the sources in turn
)

type step struct {
	Kind  stepKind
	N     int
	Index int
}

func holdN(n int) step        { return step{Kind: holdStep, N: n} }
func release(i int) step      { return step{Kind: releaseStep, Index: i} }
func requestsN(n int) step    { return step{Kind: requestStep, N: n} }
func refusedMark() string     { return "!" + client.Refused }
func (s step) String() string { return [...]string{"hold", "release", "requests"}[s.Kind] }

// schedSpec is one scheduler spec.
type schedSpec struct {
	Sched string
	Title string
	// Setup changes dr.yaml before it goes up: weights, real servers,
	// client addresses. It returns the request steps' source addresses
	// (nil: the client's own).
	Setup func(*topo.Spec) []netip.Addr
	Steps []step
	// Same names the schedulers this workload cannot tell from Sched,
	// with the reason; every other one must fail the verdict.
	Same map[string]string
}

// clientAddr is dr.yaml's client address, the source of held connections.
var clientAddr = netip.MustParseAddr("192.168.10.6")

// predict is the sequence of servers the model of sched gives the
// workload on svc: a node name per connection, "!refused" for one the
// kernel refuses.
func (w *schedSpec) predict(name string, svc *topo.Service, sources []netip.Addr) ([]string, error) {
	list := sched.List(svc)
	s, err := sched.New(name, list)
	if err != nil {
		return nil, err
	}
	var out []string
	var held []*sched.Dest
	mark := func(d *sched.Dest) string {
		if d == nil {
			return refusedMark()
		}
		return d.Node
	}
	for _, st := range w.Steps {
		switch st.Kind {
		case holdStep:
			for range st.N {
				d := sched.Open(s, sched.Conn{Client: clientAddr, VIP: svc.VIP})
				held = append(held, d)
				out = append(out, mark(d))
			}
		case releaseStep:
			if d := held[st.Index]; d != nil {
				sched.Close(d)
			}
		case requestStep:
			for i := range st.N {
				src := clientAddr
				if len(sources) > 0 {
					src = sources[i%len(sources)]
				}
				d := sched.Open(s, sched.Conn{Client: src, VIP: svc.VIP})
				out = append(out, mark(d))
				if d != nil {
					sched.Close(d)
				}
			}
		}
	}
	return out, nil
}

// observe runs the workload from the lab's client and returns who
// answered each connection, in order ("!kind" for a failed one), and
// the held connections, for closing.
func (w *schedSpec) observe(lab *topo.Lab, vip netip.AddrPort, sources []netip.Addr) ([]string, []*heldConn) {
	GinkgoHelper()
	cl, lvs := host(lab, "client"), openDirector(host(lab, "lvs"))
	var out []string
	var held []*heldConn
	open := 0 // held connections not yet closed
	for _, st := range w.Steps {
		switch st.Kind {
		case holdStep:
			for range st.N {
				hc, err := hold(cl, vip)
				if err != nil {
					out = append(out, "!"+client.Classify(err))
					held = append(held, nil)
					continue
				}
				out = append(out, hc.Server)
				held = append(held, hc)
				open++
			}
		case releaseStep:
			if hc := held[st.Index]; hc != nil {
				Expect(hc.Close()).To(Succeed())
				open--
				// The model's Close moves the connection out of the
				// active count at once; the director does so when it
				// forwards the client's FIN, which a loaded guest may
				// not have done before the next SYN (a swap control
				// once passed on that race).
				Eventually(func() int { return activeConns(lvs, vip) }).WithTimeout(5*time.Second).WithPolling(20*time.Millisecond).
					Should(Equal(open), "the director still counts the closed connection as active")
			}
		case requestStep:
			res, err := client.Run(ctx(), cl, client.Options{
				Target: vip, Requests: st.N, Sources: sources, Deadline: runDeadline, Timeout: 2 * time.Second,
			})
			Expect(err).NotTo(HaveOccurred())
			for _, e := range res.Timeline {
				if e.Err != "" {
					out = append(out, "!"+e.Err)
				} else {
					out = append(out, e.Server)
				}
			}
		}
	}
	return out, held
}

// activeConns is the director's active connections to the service at
// vip (director.ServiceEntry.Active), read without the connection table
// through d, a handle the caller keeps for its polls.
func activeConns(d *director.Director, vip netip.AddrPort) int {
	GinkgoHelper()
	t, err := d.Services()
	Expect(err).NotTo(HaveOccurred())
	e := t.ServiceAt(vip)
	Expect(e).NotTo(BeNil(), "no virtual service %s", vip)
	return e.Active()
}

// verdict is "" when got is want, else where they first differ.
func verdict(want, got []string) string {
	if slices.Equal(want, got) {
		return ""
	}
	for i := range min(len(want), len(got)) {
		if want[i] != got[i] {
			return fmt.Sprintf("connection %d went to %s, the model says %s (model %v, seen %v)", i+1, got[i], want[i], want, got)
		}
	}
	return fmt.Sprintf("%d connections seen, the model has %d (model %v, seen %v)", len(got), len(want), want, got)
}

// upSched stands dr.yaml up with the spec's changes and its scheduler,
// with FIN_WAIT entries expiring after 1 s (ipvsadm --set 900 1 300), so
// that closed connections leave the counts soon.
func (w *schedSpec) upSched() (*topo.Lab, *topo.Spec, []netip.Addr) {
	GinkgoHelper()
	spec := drWith(w.Sched)
	sources := w.Setup(spec)
	lab := upSpec(spec, labup.Options{})
	ipvsadm(host(lab, "lvs").Namespace(), "--set", "900", "1", "300")
	return lab, spec, sources
}

// drain closes the held connections and waits until the service's real
// servers count no connection, active or inactive: the next workload
// starts from the state the first one did.
func drain(lab *topo.Lab, vip netip.AddrPort, held []*heldConn) {
	GinkgoHelper()
	for _, hc := range held {
		if hc != nil {
			_ = hc.Close() // a released one is closed already: that does nothing
		}
	}
	lvs := host(lab, "lvs")
	Eventually(func(g Gomega) {
		t := snapshot(lvs)
		for _, e := range t.Services {
			for _, d := range e.Destinations {
				g.Expect(d.ActiveConnections+d.InactiveConnections).To(BeZero(),
					"%s still counts %d active, %d inactive", d.Address, d.ActiveConnections, d.InactiveConnections)
			}
		}
	}).WithTimeout(20 * time.Second).WithPolling(250 * time.Millisecond).Should(Succeed())
}

// describeSchedSpec declares a scheduler spec and its swap control.
func describeSchedSpec(w schedSpec) {
	It(w.Title, func() {
		lab, spec, sources := w.upSched()
		want, err := w.predict(w.Sched, spec.Services[0], sources)
		Expect(err).NotTo(HaveOccurred())
		By(fmt.Sprintf("the model of %s predicts %v", w.Sched, want))
		got, _ := w.observe(lab, serviceVIP(spec), sources)
		record(w.Sched, "model %v, seen %v", want, got)
		Expect(verdict(want, got)).To(BeEmpty())
	})

	It("swap control of the "+w.Sched+" spec: with any other scheduler the kernel has, the same workload fails its verdict", Label("swap"), func() {
		lab, spec, sources := w.upSched()
		svc := spec.Services[0]
		vip := serviceVIP(spec)
		want, err := w.predict(w.Sched, svc, sources)
		Expect(err).NotTo(HaveOccurred())
		d := openDirector(host(lab, "lvs"))
		var failed, passed []string
		for _, other := range topo.Schedulers {
			if other == w.Sched || !kernelHasModule("ip_vs_"+other) {
				continue
			}
			By("the same workload and verdict with the service on " + other + " (ipvsadm -E -s " + other + ")")
			swapped := *svc
			swapped.Scheduler = other
			Expect(d.EditService(&swapped)).To(Succeed())
			Expect(ipvsadm(host(lab, "lvs").Namespace(), "-Ln")).To(ContainSubstring(fmt.Sprintf("%s:%d %s", svc.VIP, svc.Port, other)))
			got, held := w.observe(lab, vip, sources)
			v := verdict(want, got)
			record("swap "+w.Sched+"→"+other, "%s", strings.TrimSpace(orPass(v)))
			if v == "" {
				passed = append(passed, other)
			} else {
				failed = append(failed, other)
			}
			drain(lab, vip, held)
		}
		record("swap control "+w.Sched, "fails with %v; passes with %v (documented: %v)", failed, passed, w.Same)
		var undocumented []string
		for _, p := range passed {
			if _, ok := w.Same[p]; !ok {
				undocumented = append(undocumented, p)
			}
		}
		Expect(undocumented).To(BeEmpty(), "the verdict of %q also passes with these schedulers", w.Title)
	})
}

func orPass(v string) string {
	if v == "" {
		return "passes (cannot tell them apart)"
	}
	return "fails as it should: " + v
}

var _ = Describe("The scheduler specs' workloads", Label("sched"), func() {
	It("tell each spec's scheduler from every other modelled one, by the model alone", func() {
		for _, w := range schedSpecs {
			spec := drWith(w.Sched)
			sources := w.Setup(spec)
			want, err := w.predict(w.Sched, spec.Services[0], sources)
			Expect(err).NotTo(HaveOccurred())
			for _, other := range topo.Schedulers {
				if other == w.Sched {
					continue
				}
				got, err := w.predict(other, spec.Services[0], sources)
				if errors.Is(err, sched.ErrNoModel) {
					continue // lblc, lblcr, twos: the swap control runs them in the kernel
				}
				Expect(err).NotTo(HaveOccurred())
				if _, ok := w.Same[other]; !ok {
					Expect(verdict(want, got)).NotTo(BeEmpty(), "%s's workload: the model of %s predicts the same %v", w.Sched, other, want)
				}
			}
		}
	})
})
