package verify

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lvslab/lvslab/reports"
	"github.com/lvslab/lvslab/topo"
)

// Report is the results in the suite's own form (package reports): one
// spec per check, its figure and rule as entries, its cause as the
// failure, the lab drawn once on the first. WriteReport writes it as the
// suite writes its own: results.json and index.html.
func Report(lab *topo.Spec, labName string, rs []Result, start, end time.Time) *reports.Results {
	r := &reports.Results{
		Suite: "lvslab verify " + labName, Start: start, End: end,
		WallTime: reports.Duration(end.Sub(start)), Procs: 1, Succeeded: Failed(rs) == 0,
	}
	for i, res := range rs {
		s := reports.Spec{
			Name:      res.Check + " " + res.Name,
			Container: []string{"verify " + labName},
			Text:      res.Check + " " + res.Name,
			Labels:    []string{"verify", res.Check},
			Verdict:   specVerdict(res.Verdict),
			Duration:  reports.Duration(res.Took),
			Attempts:  1,
			Location:  "lvslab verify",
			Entries: []reports.Entry{
				{Name: "figure", Kind: reports.KindText, Text: res.Figure},
				{Name: "rule", Kind: reports.KindText, Text: res.Rule},
			},
		}
		if res.Detail != "" {
			s.Entries = append(s.Entries, reports.Entry{Name: "detail", Kind: reports.KindTable,
				Table: &reports.Table{Title: res.Name, Text: res.Detail}})
		}
		if res.Tally != nil {
			s.Entries = append(s.Entries, reports.Entry{Name: "who answered", Kind: reports.KindTally,
				Tally: &reports.Tally{Title: res.Name, Counts: res.Tally}})
		}
		if res.Verdict == Fail {
			s.Failure = &reports.Failure{Message: res.Cause, Location: "lvslab verify"}
		}
		if i == 0 && lab != nil {
			s.Labs = []reports.Lab{reports.LabOf(lab, labName, lab.File)}
		}
		r.Specs = append(r.Specs, s)
	}
	return r
}

func specVerdict(v Verdict) string {
	switch v {
	case Pass:
		return "passed"
	case Skip:
		return "skipped"
	}
	return "failed"
}

// WriteReport writes r to dir as results.json and index.html.
func WriteReport(r *reports.Results, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write verify report: %w", err)
	}
	if err := r.Write(filepath.Join(dir, "results.json")); err != nil {
		return fmt.Errorf("write verify report: %w", err)
	}
	if err := reports.Render(r, filepath.Join(dir, "index.html")); err != nil {
		return fmt.Errorf("write verify report: %w", err)
	}
	return nil
}
