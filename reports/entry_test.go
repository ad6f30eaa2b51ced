package reports

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/onsi/ginkgo/v2/types"
)

// entry is a report entry as ginkgo hands it over from another process
// (ginkgo -p): the value survives only as JSON.
func entry(t *testing.T, name string, v any) types.ReportEntry {
	t.Helper()
	data, err := json.Marshal(types.WrapEntryValue(v))
	if err != nil {
		t.Fatal(err)
	}
	var val types.ReportEntryValue
	if err := json.Unmarshal(data, &val); err != nil {
		t.Fatal(err)
	}
	return types.ReportEntry{Name: name, Value: val}
}

func TestAddEntry(t *testing.T) {
	tally := Tally{Title: "20 requests", Counts: map[string]int{"web1": 10, "web2": 10}}
	table := Table{Text: "TCP  192.168.188.100:80 rr"}
	tl := Timeline{Events: []TimelineEvent{{At: Duration(time.Second), Label: "lvs02 MASTER"}}, GapTo: Duration(time.Second)}
	hops := "\nflow 192.168.10.6:40000 → 192.168.188.100:80\n\nrequest:\n  #  TIME\n"
	tests := []struct {
		name string
		in   types.ReportEntry
		want Entry
	}{
		{"typed tally", entry(t, "rr", tally), Entry{Name: "rr", Kind: KindTally, Tally: &tally}},
		{"typed table", entry(t, "ipvsadm", table), Entry{Name: "ipvsadm", Kind: KindTable, Table: &table}},
		{"typed timeline", entry(t, "failover", tl), Entry{Name: "failover", Kind: KindTimeline, Timeline: &tl}},
		{"tally printed with %v", entry(t, "nat", "100 requests to 192.168.10.100:80 in 2s: tally map[web1:50 web2:50], errors map[]"),
			Entry{Name: "nat", Kind: KindTally, Text: "100 requests to 192.168.10.100:80 in 2s: tally map[web1:50 web2:50], errors map[]",
				Tally: &Tally{Counts: map[string]int{"web1": 50, "web2": 50}}}},
		{"hop table", entry(t, "dr path", hops), Entry{Name: "dr path", Kind: KindTable, Table: &Table{Text: "flow 192.168.10.6:40000 → 192.168.188.100:80\n\nrequest:\n  #  TIME"}}},
		{"plain text", entry(t, "lc", "held [web1 web2 web1], then web2"), Entry{Name: "lc", Kind: KindText, Text: "held [web1 web2 web1], then web2"}},
		{"empty tally is text", entry(t, "none", "tally map[], errors map[refused:3]"), Entry{Name: "none", Kind: KindText, Text: "tally map[], errors map[refused:3]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Spec
			addEntry(&s, tt.in)
			if len(s.Entries) != 1 {
				t.Fatalf("got %d entries, want 1", len(s.Entries))
			}
			if diff := cmp.Diff(tt.want, s.Entries[0]); diff != "" {
				t.Errorf("addEntry (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("lab and artifacts go to the spec", func(t *testing.T) {
		var s Spec
		addEntry(&s, entry(t, "lab s1-1", Lab{Name: "s1-1", File: "dr.yaml"}))
		addEntry(&s, entry(t, "artifacts", Artifacts{Dir: "artifacts/x", Files: []string{"artifacts/x/s1-1/state.json"}}))
		if len(s.Entries) != 0 || len(s.Labs) != 1 || s.Labs[0].File != "dr.yaml" || s.Artifacts == nil {
			t.Errorf("spec = %+v", s)
		}
	})
}
