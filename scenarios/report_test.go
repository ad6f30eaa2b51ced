package scenarios_test

// Suite-level reporting: per spec, the labs it stood up (drawn in the HTML
// report) and, when it failed, a copy of their state directories (logs,
// keepalived.conf, process records); at the end, results.json, junit.xml
// and index.html, each with every spec's attempts. See package reports.

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/reports"
	"github.com/lvslab/lvslab/topo"
)

// reportsDir is where results.json, index.html and the artifacts of
// failed specs go: $LVSLAB_REPORTS, or ../reports/out.
func reportsDir() string {
	if d := os.Getenv("LVSLAB_REPORTS"); d != "" {
		return d
	}
	return "../reports/out"
}

// This AfterEach runs before the spec's DeferCleanup callbacks, so the
// spec's labs (this process's s<proc>-*) are still up.
var _ = AfterEach(func() {
	labs := processLabs()
	for _, name := range labs {
		st, err := topo.ReadState(name)
		if err != nil {
			continue
		}
		spec, err := topo.Load(filepath.Join(topo.StateDir(name), "lab.yaml"))
		if err != nil {
			continue
		}
		AddReportEntry("lab "+name, reports.LabOf(spec, name, filepath.Base(st.File)), ReportEntryVisibilityNever)
	}
	if CurrentSpecReport().Failed() && len(labs) > 0 {
		keepArtifacts(labs)
	}
})

// processLabs names the labs of this test process that are up.
func processLabs() []string {
	names, err := topo.List()
	if err != nil {
		return nil
	}
	prefix := fmt.Sprintf("s%d-", GinkgoParallelProcess())
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// keepArtifacts copies the labs' state directories into
// artifacts/<spec>/<lab>/ under the reports directory and records the
// files kept.
func keepArtifacts(labs []string) {
	rel := filepath.Join("artifacts", reports.Anchor(CurrentSpecReport().FullText()))
	dst := filepath.Join(reportsDir(), rel)
	var files []string
	for _, name := range labs {
		src := topo.StateDir(name)
		err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil // sockets, fifos and vanished files are not kept
			}
			r, err := filepath.Rel(topo.StateRoot, path)
			if err != nil {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			out := filepath.Join(dst, r)
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return err
			}
			files = append(files, filepath.Join(rel, r))
			return nil
		})
		if err != nil {
			fmt.Fprintf(GinkgoWriter, "keep artifacts of %s: %v\n", name, err)
		}
		files = append(files, keepIPVS(name, dst, rel)...)
	}
	AddReportEntry("artifacts", reports.Artifacts{Dir: rel, Files: files}, ReportEntryVisibilityNever)
}

// keepIPVS writes each director's IPVS table of the lab as ipvsadm -Ln,
// --stats and -Lnc print them to <lab>/ipvs-<node>.txt under dst, and
// returns the files' paths under rel. A kernel without IPVS writes none.
func keepIPVS(name, dst, rel string) []string {
	lab, err := topo.Open(name)
	if err != nil {
		return nil
	}
	var files []string
	for _, h := range lab.Hosts() {
		if h.Spec.Role != topo.RoleDirector {
			continue
		}
		t, err := director.Snapshot(h)
		if err != nil {
			fmt.Fprintf(GinkgoWriter, "keep the IPVS table of %s: %v\n", h.Name(), err)
			continue
		}
		text := "# ipvsadm -Ln\n" + director.FormatTable(t) + "\n# ipvsadm -Ln --stats\n" + director.FormatStats(t) +
			"\n# ipvsadm -Lnc\n" + director.FormatConns(t.Conns)
		r := filepath.Join(name, "ipvs-"+h.Name()+".txt")
		err = os.MkdirAll(filepath.Join(dst, name), 0o755)
		if err == nil {
			err = os.WriteFile(filepath.Join(dst, r), []byte(text), 0o644)
		}
		if err != nil {
			fmt.Fprintf(GinkgoWriter, "keep the IPVS table of %s: %v\n", h.Name(), err)
			continue
		}
		files = append(files, filepath.Join(rel, r))
	}
	return files
}

// ReportAfterSuite runs once, on process 1, with every process's specs.
var _ = ReportAfterSuite("results.json, junit.xml and index.html", func(r types.Report) {
	if r.SuiteConfig.DryRun {
		return // the catalogue's dry run: nothing ran
	}
	dir := reportsDir()
	res := reports.FromGinkgo(r)
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	Expect(res.Write(filepath.Join(dir, "results.json"))).To(Succeed())
	// Not ginkgo's --junit-report: ours records every spec's attempts.
	Expect(reports.WriteJUnit(r, filepath.Join(dir, "junit.xml"))).To(Succeed())
	Expect(reports.Render(res, filepath.Join(dir, "index.html"))).To(Succeed())
})
