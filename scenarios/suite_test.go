package scenarios_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/sirupsen/logrus"

	"github.com/lvslab/lvslab/internal/labup"
	"github.com/lvslab/lvslab/internal/testutil"
	"github.com/lvslab/lvslab/topo"
	"github.com/lvslab/lvslab/vm"
)

func TestScenarios(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "lvslab scenarios")
}

// labsDir is where the lab files are, relative to this package.
const labsDir = "../labs/"

var _ = SynchronizedBeforeSuite(func() []byte {
	// moby/ipvs logs through logrus when its modprobe fails; the guest
	// and most hosts load ip_vs some other way.
	logrus.SetOutput(GinkgoWriter)
	needs, err := vm.NeedsVM()
	Expect(err).NotTo(HaveOccurred())
	if needs {
		testutil.Gate(GinkgoTB(), "this kernel has no IPVS: run the scenarios with `make scenarios`, which uses the guest kernel")
	}
	sweepStaleLabs()
	return nil
}, func([]byte) {
	logrus.SetOutput(GinkgoWriter)
})

// sweepStaleLabs tears down labs left by test processes that died (a
// killed run): their owner pid is gone, so nothing else would.
func sweepStaleLabs() {
	names, err := topo.List()
	Expect(err).NotTo(HaveOccurred())
	for _, name := range names {
		st, err := topo.ReadState(name)
		if err != nil || !st.Stale() {
			continue
		}
		fmt.Fprintf(GinkgoWriter, "tearing down stale lab %s (owner %d is gone)\n", name, st.Owner)
		Expect(topo.Destroy(name)).To(Succeed())
	}
}

var labCount atomic.Int32

// upLab stands up a whole lab file — network, IPVS, real servers and
// their backends — under a name unique to this spec, and registers its
// teardown.
func upLab(file string) *topo.Lab {
	GinkgoHelper()
	return up(file, labup.Options{})
}

// upNetwork stands up only a lab file's network.
func upNetwork(file string) *topo.Lab {
	GinkgoHelper()
	return up(file, labup.Options{TopologyOnly: true})
}

// upSpec is upLab for a spec a test has loaded and changed (to break it
// on purpose, say).
func upSpec(spec *topo.Spec, opts labup.Options) *topo.Lab {
	GinkgoHelper()
	opts.Name = fmt.Sprintf("s%d-%d", GinkgoParallelProcess(), labCount.Add(1))
	opts.Owner = os.Getpid()
	opts.Binary = lvslabBinary()
	lab, err := labup.Up(ctx(), spec, opts)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(topo.Destroy, lab.Name)
	if !opts.TopologyOnly {
		// Registered after the teardown, so it runs before it.
		DeferCleanup(expectOracleAgrees, lab)
	}
	return lab
}

// expectOracleAgrees ends every spec that ran IPVS: on each director of
// its lab, our reading of the table must equal Debian's ipvsadm -Ln run in
// the same namespace. A spec that already failed, or tore its lab down,
// is left alone.
func expectOracleAgrees(lab *topo.Lab) {
	if CurrentSpecReport().Failed() {
		return
	}
	if _, err := topo.ReadState(lab.Name); err != nil {
		return
	}
	for _, h := range lab.Hosts() {
		if h.Spec.Role == topo.RoleDirector {
			By("the oracle: ipvsadm -Ln on " + h.Name() + " agrees with our table")
			expectAgrees(h, listView, "-Ln")
		}
	}
}

func up(file string, opts labup.Options) *topo.Lab {
	GinkgoHelper()
	return upSpec(loadLab(file), opts)
}

func loadLab(file string) *topo.Spec {
	GinkgoHelper()
	spec, err := topo.Load(labsDir + file)
	Expect(err).NotTo(HaveOccurred())
	return spec
}

// lvslabBinary is the lvslab executable the backends run as: $LVSLAB_BIN,
// or the one `make build` leaves in ../bin.
func lvslabBinary() string {
	GinkgoHelper()
	bin := os.Getenv("LVSLAB_BIN")
	if bin == "" {
		var err error
		bin, err = filepath.Abs("../bin/lvslab")
		Expect(err).NotTo(HaveOccurred())
	}
	_, err := os.Stat(bin)
	Expect(err).NotTo(HaveOccurred(), "the backends need the lvslab binary: run make build, or set LVSLAB_BIN")
	return bin
}

func host(lab *topo.Lab, node string) *topo.Host {
	GinkgoHelper()
	h, err := lab.Host(node)
	Expect(err).NotTo(HaveOccurred())
	return h
}
