package reports

import (
	"encoding/xml"
	"fmt"
	"os"
	"strconv"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
)

// WriteJUnit writes the JUnit XML of ginkgo's suite report r to file, as
// ginkgo's --junit-report does, with every spec's attempts recorded: each
// test case has the property "attempts"; one retried has a property
// "attempt N failure" per attempt that failed before its last, and one
// that passed only on a later attempt has the status "flaky" (its
// outcome stays a pass: no <failure> element).
func WriteJUnit(r types.Report, file string) error {
	if err := reporters.GenerateJUnitReportWithConfig(r, file, reporters.JunitReportConfig{}); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		return fmt.Errorf("decode junit %s: %w", file, err)
	}
	if len(suites.TestSuites) != 1 || len(suites.TestSuites[0].TestCases) != len(r.SpecReports) {
		return fmt.Errorf("write junit: ginkgo wrote %d suites, want 1 with %d test cases", len(suites.TestSuites), len(r.SpecReports))
	}
	cases := suites.TestSuites[0].TestCases
	for i, sr := range r.SpecReports {
		addAttempts(&cases[i], sr)
	}
	out, err := xml.MarshalIndent(suites, "  ", "    ")
	if err != nil {
		return fmt.Errorf("encode junit: %w", err)
	}
	if err := os.WriteFile(file, append([]byte(xml.Header), append(out, '\n')...), 0o644); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

// addAttempts records a spec's attempts in its JUnit test case.
func addAttempts(tc *reporters.JUnitTestCase, sr types.SpecReport) {
	if tc.Properties == nil {
		tc.Properties = &reporters.JUnitProperties{}
	}
	props := []reporters.JUnitProperty{{Name: "attempts", Value: strconv.Itoa(sr.NumAttempts)}}
	for _, f := range retries(sr) {
		props = append(props, reporters.JUnitProperty{
			Name:  fmt.Sprintf("attempt %d failure", f.Attempt),
			Value: f.Location + "\n" + f.Message,
		})
	}
	tc.Properties.Properties = append(props, tc.Properties.Properties...)
	if sr.State == types.SpecStatePassed && sr.NumAttempts > 1 {
		tc.Status = VerdictFlaky
	}
}
