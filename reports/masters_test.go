package reports

import (
	"encoding/xml"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sec(s float64) Duration { return Duration(s * float64(time.Second)) }

// failover is a SIGKILL to lvs01's keepalived: lvs02 takes over in 3.2s.
var failover = Masters{
	Title: "SIGKILL to lvs01's keepalived at 0",
	Lanes: []MasterLane{
		{Node: "lvs01", Spans: []MasterSpan{
			{From: sec(-2), To: sec(0.035), Source: "adverts", Label: "priority 100"},
			{From: sec(-2), To: 0, Source: "vip"},
		}},
		{Node: "lvs02", Spans: []MasterSpan{
			{From: sec(3.1), To: sec(6), Source: "adverts", Label: "priority 90"},
			{From: sec(3.15), To: sec(6), Source: "notify"},
			{From: sec(3.2), To: sec(6), Source: "vip"},
		}},
	},
	Events: []TimelineEvent{
		{At: 0, Label: "SIGKILL to lvs01"},
		{At: sec(3.15), Label: "lvs02 notify MASTER"},
		{At: sec(3.26), Label: "the client's first success"},
	},
	GapFrom: sec(0.04),
	GapTo:   sec(3.26),
}

func TestMastersJSON(t *testing.T) {
	var s Spec
	addEntry(&s, entry(t, "who is MASTER", failover))
	want := []Entry{{Name: "who is MASTER", Kind: KindMasters, Masters: &failover}}
	if diff := cmp.Diff(want, s.Entries); diff != "" {
		t.Fatalf("addEntry (-want +got):\n%s", diff)
	}
	file := filepath.Join(t.TempDir(), "results.json")
	if err := (&Results{Specs: []Spec{s}}).Write(file); err != nil {
		t.Fatal(err)
	}
	r, err := Read(file)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, r.Specs[0].Entries); diff != "" {
		t.Errorf("results file (-want +got):\n%s", diff)
	}
}

func TestMastersString(t *testing.T) {
	want := `SIGKILL to lvs01's keepalived at 0
  lvs01 MASTER -2.000s..0.035s (adverts, priority 100)
  lvs01 MASTER -2.000s..0.000s (vip)
  lvs02 MASTER 3.100s..6.000s (adverts, priority 90)
  lvs02 MASTER 3.150s..6.000s (notify)
  lvs02 MASTER 3.200s..6.000s (vip)
        0s SIGKILL to lvs01
     3.15s lvs02 notify MASTER
     3.26s the client's first success
  client gap 3220 ms`
	if diff := cmp.Diff(want, failover.String()); diff != "" {
		t.Errorf("String (-want +got):\n%s", diff)
	}
}

// wellFormed fails unless svg parses as XML.
func wellFormed(t *testing.T, svg string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
	}
}

func TestMastersSVG(t *testing.T) {
	svg := string(MastersSVG(failover))
	wellFormed(t, svg)
	if !strings.HasPrefix(svg, `<svg xmlns="http://www.w3.org/2000/svg" class="masters" `) || !strings.Contains(svg, ` role="img" aria-label="VRRP MASTER timeline: SIGKILL to lvs01&#39;s keepalived at 0"`) {
		t.Errorf("svg root: %.200s", svg)
	}
	if got := strings.Count(svg, `<rect class="span"`); got != 5 {
		t.Errorf("%d span rects, want 5", got)
	}
	for _, want := range []string{
		`>lvs01</text>`, `>lvs02</text>`,
		`<rect class="gap"`, `>client gap 3220 ms</text>`,
		`>3.15s lvs02 notify MASTER</text>`,
		`>-2s</text>`, `>6s</text>`, // the axis covers the spans
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("svg lacks %s", want)
		}
	}
	// lvs02's three spans overlap: three sub-rows, three different y.
	ys := map[string]bool{}
	for _, r := range strings.Split(svg, `<rect class="span"`)[1:] {
		if strings.Contains(r, "lvs02 MASTER") {
			ys[strings.Fields(r)[1]] = true
		}
	}
	if len(ys) != 3 {
		t.Errorf("lvs02's overlapping spans on rows %v, want 3 sub-rows", ys)
	}

	t.Run("escapes text", func(t *testing.T) {
		m := Masters{Title: `<"&'>`, Lanes: []MasterLane{{Node: "a<b&c", Spans: []MasterSpan{{To: sec(1), Source: "x&y", Label: "<p>"}}}},
			Events: []TimelineEvent{{At: sec(0.5), Label: "</svg>"}}}
		svg := string(MastersSVG(m))
		wellFormed(t, svg)
		if !strings.Contains(svg, ">a&lt;b&amp;c</text>") || strings.Contains(svg, `class="gap"`) {
			t.Errorf("svg: %s", svg)
		}
	})
	t.Run("empty", func(t *testing.T) {
		wellFormed(t, string(MastersSVG(Masters{})))
	})
}

func TestMastersFrom(t *testing.T) {
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	rel := func(s float64) time.Time { return at.Add(time.Duration(sec(s))) }
	lanes := []AbsLane{
		{Node: "lvs01", Spans: []AbsSpan{
			{From: rel(-2), To: rel(0.035), Source: "adverts", Label: "priority 100"},
			{From: rel(-2), To: at, Source: "vip"},
		}},
		{Node: "lvs02", Spans: []AbsSpan{
			{From: rel(3.1), To: rel(6), Source: "adverts", Label: "priority 90"},
			{From: rel(3.15), To: rel(6), Source: "notify"},
			{From: rel(3.2), To: rel(6), Source: "vip"},
		}},
	}
	events := []AbsEvent{
		{At: at, Label: "SIGKILL to lvs01"},
		{At: rel(3.15), Label: "lvs02 notify MASTER"},
		{At: rel(3.26), Label: "the client's first success"},
	}
	got := MastersFrom(failover.Title, at, lanes, events, rel(0.04), rel(3.26))
	if diff := cmp.Diff(failover, got); diff != "" {
		t.Errorf("MastersFrom (-want +got):\n%s", diff)
	}

	noGap := MastersFrom("", at, nil, nil, rel(1), time.Time{})
	if diff := cmp.Diff(Masters{}, noGap); diff != "" {
		t.Errorf("MastersFrom without a gap (-want +got):\n%s", diff)
	}
}
