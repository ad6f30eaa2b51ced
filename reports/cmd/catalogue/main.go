// Command catalogue writes docs/scenarios.md, the scenario catalogue,
// from the specs: a dry run of the scenarios suite lists them (no lab is
// built, no IPVS needed), their source gives the By steps.
//
//	go run ./reports/cmd/catalogue            # rewrite docs/scenarios.md
//	go run ./reports/cmd/catalogue -check     # fail if it is stale
//
// Run it from the module root.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/lvslab/lvslab/reports"
)

func main() {
	out := flag.String("o", "docs/scenarios.md", "the catalogue to write")
	check := flag.Bool("check", false, "do not write; fail if the catalogue differs from what the specs give")
	flag.Parse()
	if err := run(*out, *check); err != nil {
		fmt.Fprintln(os.Stderr, "catalogue:", err)
		os.Exit(1)
	}
}

func run(out string, check bool) error {
	tmp, err := os.MkdirTemp("", "catalogue")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	report := filepath.Join(tmp, "dry-run.json")
	// Equivalent to: go test ./scenarios -args -ginkgo.dry-run -ginkgo.json-report=FILE
	cmd := exec.Command("go", "test", "-count=1", "./scenarios", "-args", "-ginkgo.dry-run", "-ginkgo.json-report="+report)
	cmd.Env = append(os.Environ(), "LVSLAB_REPORTS="+tmp)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("dry run of the scenarios: %w\n%s", err, b)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		return fmt.Errorf("read dry run report: %w", err)
	}
	var rs []types.Report
	if err := json.Unmarshal(data, &rs); err != nil {
		return fmt.Errorf("decode dry run report: %w", err)
	}
	if len(rs) != 1 {
		return fmt.Errorf("decode dry run report: %d suites, want 1", len(rs))
	}
	specs, err := reports.CatalogueSpecs(rs[0], "scenarios")
	if err != nil {
		return err
	}
	text := []byte(reports.Catalogue(specs))
	if check {
		old, err := os.ReadFile(out)
		if err != nil {
			return fmt.Errorf("%w (run make catalogue)", err)
		}
		if !bytes.Equal(old, text) {
			return fmt.Errorf("%s is stale: run make catalogue and commit it", out)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(out, text, 0o644)
}
