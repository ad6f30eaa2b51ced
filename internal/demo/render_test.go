package demo

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lvslab/lvslab/captures"
	"github.com/lvslab/lvslab/topo"
)

// side traces one of the captures package's synthetic pcaps, as Run
// would have captured it.
func side(t *testing.T, m Method, trace, flow string) *Side {
	t.Helper()
	spec, err := topo.Load(filepath.Join("..", "..", "labs", m.LabFile))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "captures", "testdata", trace, "*.pcap"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no pcaps for %s: %v", trace, err)
	}
	fl, err := captures.ParseFlow(flow)
	if err != nil {
		t.Fatal(err)
	}
	p, err := captures.Trace(files, fl, spec)
	if err != nil {
		t.Fatal(err)
	}
	return &Side{Method: m, Spec: spec, Server: "web1", Path: p, Verdict: m.Check(p, spec)}
}

func TestRender(t *testing.T) {
	for _, tc := range []struct {
		name  string
		res   func() *Result
		want  []string // lines that must be there, trimmed
		sides int
	}{
		{"nat-vs-dr", func() *Result {
			return &Result{Demo: Demos["nat-vs-dr"], Sides: []*Side{
				side(t, NAT, "nat", "192.168.10.200:40000-192.168.10.100:80"),
				side(t, DR, "dr", "192.168.10.6:40000-192.168.188.100:80"),
			}}
		}, []string{"CheckNAT: pass, the path is LVS-NAT", "CheckDR: pass, the path is LVS-DR"}, 2},
		{"tun", func() *Result {
			return &Result{Demo: Demos["tun"], Sides: []*Side{
				side(t, TUN, "tun", "192.168.10.6:40000-192.168.188.100:80"),
			}}
		}, []string{"CheckTUN: pass, the path is LVS-TUN"}, 1},
		{"broken DR", func() *Result {
			return &Result{Demo: Demos["nat-vs-dr"], Sides: []*Side{
				side(t, NAT, "nat", "192.168.10.200:40000-192.168.10.100:80"),
				side(t, DR, "dr-broken", "192.168.10.6:40000-192.168.188.100:80"),
			}}
		}, []string{"CheckDR: FAIL"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.res().Render()
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("no %q in:\n%s", want, out)
				}
			}
			for _, line := range strings.Split(out, "\n") {
				parts := strings.Split(line, " │ ")
				if len(parts) > tc.sides {
					t.Errorf("%d columns in %q", len(parts), line)
				}
				for _, p := range parts {
					if n := utf8.RuneCountInString(p); n > 82 {
						t.Errorf("%d columns wide: %q", n, p)
					}
				}
			}
		})
	}
}

func TestWrap(t *testing.T) {
	got := wrap("  one two three four", 10)
	want := []string{"  one two", "    three", "    four"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("wrap: %q, want %q", got, want)
	}
}
