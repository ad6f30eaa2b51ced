package reports

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// Results is the JSON results file of one scenario run.
type Results struct {
	Suite     string    `json:"suite"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	WallTime  Duration  `json:"wall_time"` // the suite's, as ginkgo measured it
	Procs     int       `json:"procs"`     // parallel processes (1: serial)
	Succeeded bool      `json:"succeeded"`
	Specs     []Spec    `json:"specs"`
	// Runs are measured wall times of whole runs (guest boot included),
	// serial and parallel, from walltimes.json beside the results.
	Runs []Run `json:"runs,omitempty"`
	// LeakCheck is scripts/leakcheck.sh's verdict after the run.
	LeakCheck *LeakCheck `json:"leak_check,omitempty"`
}

// Spec is one scenario's result.
type Spec struct {
	Name      string   `json:"name"` // containers and leaf, joined by spaces
	Container []string `json:"container"`
	Text      string   `json:"text"`
	Labels    []string `json:"labels"`
	Sections  []string `json:"sections"` // source document sections: "seed 003 §4.3"
	Verdict   string   `json:"verdict"`  // passed, flaky, failed, skipped, panicked …
	Duration  Duration `json:"duration"` // all its attempts
	// Attempts is how many times the spec ran (0: not run); more than one
	// only for a spec with ginkgo's FlakeAttempts decorator.
	Attempts int `json:"attempts"`
	// Retries are the failures of the attempts before the last, in order:
	// why each attempt that was retried failed.
	Retries   []Failure  `json:"retries,omitempty"`
	Location  string     `json:"location"`
	Steps     []string   `json:"steps,omitempty"` // By() texts, as run
	Entries   []Entry    `json:"entries,omitempty"`
	Failure   *Failure   `json:"failure,omitempty"`
	Labs      []Lab      `json:"labs,omitempty"`
	Artifacts *Artifacts `json:"artifacts,omitempty"`
}

// Entry is one report entry (a recorded figure); exactly one of its
// values is set, as Kind says.
type Entry struct {
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Text    string   `json:"text,omitempty"`
	Tally   *Tally   `json:"tally,omitempty"`
	Table   *Table   `json:"table,omitempty"`
	Masters *Masters `json:"masters,omitempty"`
}

// Failure is why a spec failed.
type Failure struct {
	Attempt  int    `json:"attempt,omitempty"` // of a retried attempt: which one (from 1)
	Message  string `json:"message"`
	Location string `json:"location"`
	Node     string `json:"node,omitempty"` // the node that failed, if not the It
}

// Run is one whole run's wall time.
type Run struct {
	Mode     string    `json:"mode"` // serial or parallel
	Procs    int       `json:"procs"`
	WallTime Duration  `json:"wall_time"`
	Specs    int       `json:"specs"`
	Failed   int       `json:"failed"`
	When     time.Time `json:"when"`
}

// LeakCheck is the leak check's verdict.
type LeakCheck struct {
	Passed bool   `json:"passed"`
	Output string `json:"output"`
}

// The verdicts this package adds to ginkgo's spec states.
const (
	// VerdictFlaky is a spec that passed on a later attempt after failing
	// an earlier one.
	VerdictFlaky = "flaky"
)

// Passed counts the specs that passed, on their first attempt or a later
// one (flaky).
func (r *Results) Passed() int { return r.count("passed") + r.Flaky() }

// Flaky counts the specs that passed only on a later attempt.
func (r *Results) Flaky() int { return r.count(VerdictFlaky) }

// Retried counts the specs that ran more than once, whatever their
// verdict.
func (r *Results) Retried() int {
	n := 0
	for _, s := range r.Specs {
		if s.Attempts > 1 {
			n++
		}
	}
	return n
}

// Failed counts the specs that failed in any way.
func (r *Results) Failed() int {
	n := 0
	for _, s := range r.Specs {
		if s.Failed() {
			n++
		}
	}
	return n
}

func (r *Results) count(verdict string) int {
	n := 0
	for _, s := range r.Specs {
		if s.Verdict == verdict {
			n++
		}
	}
	return n
}

// Failed tells whether the spec failed (failed, panicked, timed out …).
func (s *Spec) Failed() bool {
	switch s.Verdict {
	case "passed", VerdictFlaky, "skipped", "pending":
		return false
	}
	return true
}

// FromGinkgo turns ginkgo's suite report into results: one Spec per It,
// plus any suite-level node that failed.
func FromGinkgo(r types.Report) *Results {
	res := &Results{
		Suite: r.SuiteDescription, Start: r.StartTime, End: r.EndTime,
		WallTime: Duration(r.RunTime), Procs: max(r.SuiteConfig.ParallelTotal, 1),
		Succeeded: r.SuiteSucceeded,
	}
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt && !sr.Failed() {
			continue
		}
		res.Specs = append(res.Specs, specOf(sr))
	}
	res.Sort()
	return res
}

// Sort orders the specs by source file and line.
func (r *Results) Sort() {
	slices.SortStableFunc(r.Specs, func(a, b Spec) int { return compareLocation(a.Location, b.Location) })
}

// compareLocation orders file:line locations by file, then line.
func compareLocation(a, b string) int {
	fa, la, _ := strings.Cut(a, ":")
	fb, lb, _ := strings.Cut(b, ":")
	na, _ := strconv.Atoi(la)
	nb, _ := strconv.Atoi(lb)
	return cmp.Or(cmp.Compare(fa, fb), cmp.Compare(na, nb))
}

func specOf(sr types.SpecReport) Spec {
	s := Spec{
		Container: sr.ContainerHierarchyTexts,
		Text:      sr.LeafNodeText,
		Labels:    sr.Labels(),
		Verdict:   sr.State.String(),
		Duration:  Duration(sr.RunTime),
		Location:  relLocation(sr.LeafNodeLocation),
		Attempts:  sr.NumAttempts,
	}
	s.Retries = retries(sr)
	if sr.State == types.SpecStatePassed && sr.NumAttempts > 1 {
		s.Verdict = VerdictFlaky
	}
	if sr.LeafNodeType != types.NodeTypeIt {
		s.Text = sr.LeafNodeType.String()
	}
	s.Name = sr.FullText()
	if s.Name == "" {
		s.Name = s.Text
	}
	if s.Labels == nil {
		s.Labels = []string{}
	}
	s.Sections = Sections(append(append([]string{}, s.Container...), s.Text)...)
	for _, ev := range sr.SpecEvents {
		if ev.SpecEventType == types.SpecEventByStart {
			s.Steps = append(s.Steps, ev.Message)
		}
	}
	if sr.Failed() {
		s.Failure = &Failure{Message: sr.Failure.Message, Location: relLocation(sr.Failure.Location)}
		if sr.Failure.FailureNodeType != types.NodeTypeIt && sr.Failure.FailureNodeType != types.NodeTypeInvalid {
			s.Failure.Node = sr.Failure.FailureNodeType.String()
		}
	}
	for _, re := range sr.ReportEntries {
		addEntry(&s, re)
	}
	return s
}

// retryPrefix is how ginkgo words the failure of an attempt it retried,
// kept among the spec's additional failures: "Failure recorded during
// attempt N:\n" and the attempt's failure message.
var retryPrefix = regexp.MustCompile(`^Failure recorded during attempt (\d+):\n`)

// retries are the failures of a spec's attempts before its last.
func retries(sr types.SpecReport) []Failure {
	var out []Failure
	for _, af := range sr.AdditionalFailures {
		m := retryPrefix.FindStringSubmatch(af.Failure.Message)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		f := Failure{Attempt: n, Message: af.Failure.Message[len(m[0]):], Location: relLocation(af.Failure.Location)}
		if af.Failure.FailureNodeType != types.NodeTypeIt && af.Failure.FailureNodeType != types.NodeTypeInvalid {
			f.Node = af.Failure.FailureNodeType.String()
		}
		out = append(out, f)
	}
	return out
}

// addEntry decodes a report entry by the kind its value carries.
func addEntry(s *Spec, re types.ReportEntry) {
	raw, err := json.Marshal(re.Value)
	var wrapped struct{ AsJSON, Representation string }
	if err == nil {
		err = json.Unmarshal(raw, &wrapped)
	}
	var kind struct {
		Kind string `json:"kind"`
	}
	if err == nil && wrapped.AsJSON != "" {
		_ = json.Unmarshal([]byte(wrapped.AsJSON), &kind)
	}
	data := []byte(wrapped.AsJSON)
	e := Entry{Name: re.Name, Kind: kind.Kind}
	switch kind.Kind {
	case KindTally:
		e.Tally = new(Tally)
		err = json.Unmarshal(data, e.Tally)
	case KindTable:
		e.Table = new(Table)
		err = json.Unmarshal(data, e.Table)
	case KindMasters:
		e.Masters = new(Masters)
		err = json.Unmarshal(data, e.Masters)
	case KindLab:
		var l Lab
		if json.Unmarshal(data, &l) == nil {
			s.Labs = append(s.Labs, l)
			return
		}
	case KindArtifact:
		var a Artifacts
		if json.Unmarshal(data, &a) == nil {
			s.Artifacts = &a
			return
		}
	}
	if e.Kind == "" || err != nil {
		// Plain text, as a spec's record() gives it.
		e = Entry{Name: re.Name, Kind: KindText, Text: re.StringRepresentation()}
	}
	s.Entries = append(s.Entries, e)
}

// relLocation is file:line with the file relative to the module root
// when it is under it.
func relLocation(l types.CodeLocation) string {
	if l.FileName == "" {
		return ""
	}
	f := l.FileName
	if i := strings.LastIndex(f, "/scenarios/"); i >= 0 {
		f = f[i+1:]
	} else {
		f = filepath.Base(f)
	}
	return fmt.Sprintf("%s:%d", f, l.LineNumber)
}

// Write writes the results as indented JSON.
func (r *Results) Write(file string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	if err := os.WriteFile(file, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

// Read reads a results file.
func Read(file string) (*Results, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	var r Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode results %s: %w", file, err)
	}
	return &r, nil
}
