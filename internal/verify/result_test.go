package verify

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvslab/lvslab/reports"
)

var sample = []Result{
	{Check: KindMaster, Name: "VI_1 192.168.10.30", Verdict: Pass, Figure: "192.168.10.30 held by lvs01", Rule: "exactly one director holds each VIP: lvs01", Took: time.Second},
	{Check: KindARP, Name: "192.168.10.30", Verdict: Fail, Figure: "client asked who has 192.168.10.30: lvs01, web01 answered",
		Rule: "LVS-DR: only the director holding the VIP answers ARP for it", Cause: "web01 answered ARP for the VIP: set arp_ignore=1 and arp_announce=2 on the real servers"},
	{Check: KindDistribution, Name: "vs1 tcp 192.168.10.30:80", Verdict: Pass, Figure: "20 requests: web01=10 web02=10", Tally: map[string]int{"web01": 10, "web02": 10}},
	{Check: KindHealth, Name: "checkers", Verdict: Skip, Figure: "no service has a health checker"},
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, sample); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"CHECK", "VERDICT", "FIGURE", "RULE",
		"master VI_1 192.168.10.30", "pass",
		"arp 192.168.10.30", "FAIL",
		"  cause: web01 answered ARP for the VIP: set arp_ignore=1 and arp_announce=2 on the real servers",
		"4 checks: 2 passed, 1 failed, 1 skipped",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if Failed(sample) != 1 || Failed(sample[:1]) != 0 {
		t.Error("Failed counts the FAIL verdicts")
	}
}

// TestReport: the suite's results.json and index.html, one spec per
// check, the cause as the failure; read back as the suite's.
func TestReport(t *testing.T) {
	start := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
	r := Report(nil, "s004", sample, start, start.Add(time.Minute))
	if r.Succeeded || len(r.Specs) != len(sample) || r.Failed() != 1 || r.Passed() != 2 {
		t.Fatalf("report: succeeded %v, %d specs, %d failed, %d passed", r.Succeeded, len(r.Specs), r.Failed(), r.Passed())
	}
	if f := r.Specs[1].Failure; f == nil || !strings.Contains(f.Message, "arp_ignore=1") {
		t.Errorf("the ARP spec's failure is %+v, want its cause", f)
	}
	if r.Specs[3].Verdict != "skipped" || r.Specs[0].Verdict != "passed" {
		t.Errorf("verdicts %q %q", r.Specs[0].Verdict, r.Specs[3].Verdict)
	}
	dir := t.TempDir()
	if err := WriteReport(r, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	back, err := reports.Read(filepath.Join(dir, "out", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if back.Failed() != 1 || back.Specs[2].Entries[2].Tally == nil {
		t.Errorf("read back: %d failed, entries %+v", back.Failed(), back.Specs[2].Entries)
	}
	html, err := os.ReadFile(filepath.Join(dir, "out", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "set arp_ignore=1 and arp_announce=2") {
		t.Error("index.html lacks the failure's cause")
	}
}
