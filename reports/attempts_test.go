package reports

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
)

// attemptsReport is a suite report of three specs as ginkgo hands it over
// with FlakeAttempts(2): one passed at once, one passed on its second
// attempt, one failed both.
func attemptsReport() types.Report {
	loc := types.CodeLocation{FileName: "/w/scenarios/keepalived_test.go", LineNumber: 530}
	retried := func(msg string) types.AdditionalFailure {
		return types.AdditionalFailure{State: types.SpecStateFailed, Failure: types.Failure{
			Message: "Failure recorded during attempt 1:\n" + msg, Location: loc, FailureNodeType: types.NodeTypeIt,
		}}
	}
	spec := func(text string, state types.SpecState, attempts int) types.SpecReport {
		return types.SpecReport{
			ContainerHierarchyTexts: []string{"keepalived"}, LeafNodeText: text, LeafNodeType: types.NodeTypeIt,
			LeafNodeLocation: loc, State: state, NumAttempts: attempts,
		}
	}
	once := spec("once", types.SpecStatePassed, 1)
	flaky := spec("flaky", types.SpecStatePassed, 2)
	flaky.MaxFlakeAttempts = 2
	flaky.AdditionalFailures = []types.AdditionalFailure{retried("gap 4.1s, want < 3.8s")}
	failed := spec("failed", types.SpecStateFailed, 2)
	failed.MaxFlakeAttempts = 2
	failed.Failure = types.Failure{Message: "gap 4.3s, want < 3.8s", Location: loc, FailureNodeType: types.NodeTypeIt}
	failed.AdditionalFailures = []types.AdditionalFailure{
		retried("gap 4.2s, want < 3.8s"),
		// Not a retry: a cleanup that failed after the spec had.
		{State: types.SpecStateFailed, Failure: types.Failure{Message: "teardown failed", Location: loc, FailureNodeType: types.NodeTypeCleanupAfterEach}},
	}
	return types.Report{SuiteDescription: "lvslab scenarios", SpecReports: types.SpecReports{once, flaky, failed}}
}

func TestAttemptsResults(t *testing.T) {
	res := FromGinkgo(attemptsReport())
	type got struct {
		Verdict  string
		Attempts int
		Retries  []Failure
	}
	want := map[string]got{
		"once":   {"passed", 1, nil},
		"flaky":  {VerdictFlaky, 2, []Failure{{Attempt: 1, Message: "gap 4.1s, want < 3.8s", Location: "scenarios/keepalived_test.go:530"}}},
		"failed": {"failed", 2, []Failure{{Attempt: 1, Message: "gap 4.2s, want < 3.8s", Location: "scenarios/keepalived_test.go:530"}}},
	}
	for _, s := range res.Specs {
		t.Run(s.Text, func(t *testing.T) {
			if diff := cmp.Diff(want[s.Text], got{s.Verdict, s.Attempts, s.Retries}); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
		})
	}
	if p, f, fl, r := res.Passed(), res.Failed(), res.Flaky(), res.Retried(); p != 2 || f != 1 || fl != 1 || r != 2 {
		t.Errorf("passed %d failed %d flaky %d retried %d, want 2 1 1 2", p, f, fl, r)
	}

	t.Run("survive results.json", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "results.json")
		if err := res.Write(file); err != nil {
			t.Fatal(err)
		}
		back, err := Read(file)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(res.Specs, back.Specs); diff != "" {
			t.Errorf("read back (-want +got):\n%s", diff)
		}
	})

	t.Run("html summary shows the first failure of a flaky spec", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "index.html")
		if err := Render(res, file); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		page := string(data)
		summary, _, ok := strings.Cut(page[strings.Index(page, `id="summary"`):], "</table>")
		if !ok {
			t.Fatal("no summary table")
		}
		for _, want := range []string{
			`<td class="flaky">flaky</td><td class="attempts">2</td>`,
			"attempt 1 failed: scenarios/keepalived_test.go:530\ngap 4.1s, want &lt; 3.8s",
			`<td class="passed">passed</td><td class="attempts">1</td>`,
		} {
			if !strings.Contains(summary, want) {
				t.Errorf("summary lacks %q", want)
			}
		}
		if !strings.Contains(page, "2 passed (1 flaky), 1 failed, 3 specs; 2 needed a retry") {
			t.Error("the result line does not count flaky and retried specs")
		}
	})
}

func TestWriteJUnit(t *testing.T) {
	file := filepath.Join(t.TempDir(), "junit.xml")
	if err := WriteJUnit(attemptsReport(), file); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatal(err)
	}
	if suites.Tests != 3 || suites.Failures != 1 {
		t.Errorf("tests %d failures %d, want 3 1 (a flaky spec is no failure)", suites.Tests, suites.Failures)
	}
	tests := []struct {
		name, status, attempts, firstFailure string
		failed                               bool
	}{
		{"once", "passed", "1", "", false},
		{"flaky", VerdictFlaky, "2", "scenarios/keepalived_test.go:530\ngap 4.1s, want < 3.8s", false},
		{"failed", "failed", "2", "scenarios/keepalived_test.go:530\ngap 4.2s, want < 3.8s", true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := suites.TestSuites[0].TestCases[i]
			if !strings.HasSuffix(tc.Name, tt.name) {
				t.Fatalf("test case %d is %q", i, tc.Name)
			}
			if tc.Status != tt.status || (tc.Failure != nil) != tt.failed {
				t.Errorf("status %q failure %v, want %q %v", tc.Status, tc.Failure, tt.status, tt.failed)
			}
			if got := tc.Properties.WithName("attempts"); got != tt.attempts {
				t.Errorf("attempts property %q, want %q", got, tt.attempts)
			}
			if got := tc.Properties.WithName("attempt 1 failure"); got != tt.firstFailure {
				t.Errorf("attempt 1 failure property %q, want %q", got, tt.firstFailure)
			}
		})
	}
}

func TestSpeedup(t *testing.T) {
	serial := Run{Mode: "serial", Procs: 1, WallTime: sec(400)}
	two := Run{Mode: "parallel", Procs: 2, WallTime: sec(250)}
	four := Run{Mode: "parallel", Procs: 4, WallTime: sec(160)}
	tests := []struct {
		name  string
		runs  []Run
		ratio float64
		ok    bool
	}{
		{"serial and parallel", []Run{serial, four}, 2.5, true},
		{"the most processes", []Run{serial, four, two}, 2.5, true},
		{"serial only", []Run{serial}, 0, false},
		{"parallel only", []Run{two, four}, 0, false},
		{"a focused serial run is another suite", []Run{{Mode: "serial", Procs: 1, WallTime: sec(60), Specs: 1}, four}, 0, false},
		{"nothing", nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, ratio, ok := Speedup(tt.runs)
			if ratio != tt.ratio || ok != tt.ok {
				t.Errorf("Speedup = %v, %v; want %v, %v", ratio, ok, tt.ratio, tt.ok)
			}
		})
	}
}
