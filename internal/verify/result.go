package verify

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Verdict is a check's outcome.
type Verdict string

// The verdicts.
const (
	Pass Verdict = "pass"
	Fail Verdict = "FAIL"
	// Skip is a check that does not apply to the lab (no VRRP instance,
	// not DR, no health checker) or that lvslab cannot judge; Figure says
	// why.
	Skip Verdict = "skip"
)

// Result is one check's verdict.
type Result struct {
	// Check is the kind of check: master, distribution, persistence,
	// arp, path, health, sorry, failover.
	Check string `json:"check"`
	// Name says what was checked, in the lab's words: "VI_1 192.168.10.30".
	Name    string  `json:"name"`
	Verdict Verdict `json:"verdict"`
	// Figure is what was measured: a tally, a time, who answered ARP.
	Figure string `json:"figure"`
	// Rule is the formula or rule the figure was held to.
	Rule string `json:"rule"`
	// Cause is, on failure, why in plain words and what to change.
	Cause string `json:"cause,omitempty"`
	// Detail is a longer account for the report (a packet path's hop
	// tables), not printed in the terminal table.
	Detail string `json:"detail,omitempty"`
	// Tally is, for a check that sent requests, who answered how many.
	Tally map[string]int `json:"tally,omitempty"`
	// Took is how long the check ran.
	Took time.Duration `json:"took"`
}

// Failed counts the results that failed.
func Failed(rs []Result) int {
	n := 0
	for _, r := range rs {
		if r.Verdict == Fail {
			n++
		}
	}
	return n
}

// WriteTable prints the results as a terminal table — check, verdict,
// figure, rule — with each failure's cause on a line of its own below
// its row, and a count at the end.
func WriteTable(w io.Writer, rs []Result) error {
	rows := [][]string{{"CHECK", "VERDICT", "FIGURE", "RULE"}}
	for _, r := range rs {
		rows = append(rows, []string{r.Check + " " + r.Name, string(r.Verdict), oneLine(r.Figure), oneLine(r.Rule)})
	}
	width := make([]int, 3)
	for _, row := range rows {
		for i := range width {
			width[i] = max(width[i], utf8.RuneCountInString(row[i]))
		}
	}
	var b strings.Builder
	for i, row := range rows {
		for j := range width {
			b.WriteString(row[j] + strings.Repeat(" ", width[j]-utf8.RuneCountInString(row[j])+2))
		}
		b.WriteString(row[3] + "\n")
		if i > 0 && rs[i-1].Cause != "" {
			b.WriteString("  cause: " + oneLine(rs[i-1].Cause) + "\n")
		}
	}
	pass, skip := 0, 0
	for _, r := range rs {
		switch r.Verdict {
		case Pass:
			pass++
		case Skip:
			skip++
		}
	}
	fmt.Fprintf(&b, "%d checks: %d passed, %d failed, %d skipped\n", len(rs), pass, Failed(rs), skip)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
