package reports

import (
	"encoding/json"
	"testing"

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
	tallyErr := Tally{Title: "4 requests", Counts: map[string]int{"web1": 1}, Errors: map[string]int{"refused": 3}}
	table := Table{Text: "TCP  192.168.188.100:80 rr"}
	hops := "\nflow 192.168.10.6:40000 → 192.168.188.100:80\n\nrequest:\n  #  TIME\n"
	tests := []struct {
		name string
		in   types.ReportEntry
		want Entry
	}{
		{"typed tally", entry(t, "rr", tally), Entry{Name: "rr", Kind: KindTally, Tally: &tally}},
		{"typed table", entry(t, "ipvsadm", table), Entry{Name: "ipvsadm", Kind: KindTable, Table: &table}},
		{"typed tally with errors", entry(t, "after", tallyErr), Entry{Name: "after", Kind: KindTally, Tally: &tallyErr}},
		{"plain text", entry(t, "lc", "held [web1 web2 web1], then web2"), Entry{Name: "lc", Kind: KindText, Text: "held [web1 web2 web1], then web2"}},
		{"text is not parsed", entry(t, "nat", "100 requests: tally map[web1:50 web2:50]"), Entry{Name: "nat", Kind: KindText, Text: "100 requests: tally map[web1:50 web2:50]"}},
		{"lines of text stay text", entry(t, "dr path", hops), Entry{Name: "dr path", Kind: KindText, Text: hops}},
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

func TestTallyString(t *testing.T) {
	tests := []struct {
		name string
		in   Tally
		want string
	}{
		{"counts", Tally{Counts: map[string]int{"web2": 10, "web1": 9}}, "web1=9 web2=10"},
		{"title", Tally{Title: "20 requests to 192.168.188.100:80 in 1.2s", Counts: map[string]int{"web1": 10, "web2": 10}},
			"20 requests to 192.168.188.100:80 in 1.2s: web1=10 web2=10"},
		{"errors", Tally{Title: "4 requests", Counts: map[string]int{"web1": 1}, Errors: map[string]int{"timeout": 1, "refused": 2}},
			"4 requests: web1=1, errors refused=2 timeout=1"},
		{"no answer", Tally{Title: "3 requests", Counts: map[string]int{}, Errors: map[string]int{"refused": 3}},
			"3 requests: no answer, errors refused=3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
