package reports

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// Entry kinds, as the "kind" field of a typed value's JSON.
const (
	KindText     = "text"
	KindTally    = "tally"
	KindTable    = "table"
	KindMasters  = "masters"
	KindLab      = "lab"
	KindArtifact = "artifacts"
)

// Tally is how many requests each real server answered, drawn as a bar
// chart, and how many got no answer, by kind (client.Classify's words).
type Tally struct {
	Title  string         `json:"title,omitempty"`
	Counts map[string]int `json:"counts"`
	Errors map[string]int `json:"errors,omitempty"`
}

// MarshalJSON adds the kind.
func (t Tally) MarshalJSON() ([]byte, error) {
	type plain Tally
	return json.Marshal(struct {
		Kind string `json:"kind"`
		plain
	}{KindTally, plain(t)})
}

// Servers are the tally's keys, sorted.
func (t Tally) Servers() []string {
	var out []string
	for k := range t.Counts {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// String is the tally in one line: "20 requests: web1=10 web2=10", with
// ", errors refused=2" when some failed.
func (t Tally) String() string {
	s := "no answer"
	if len(t.Counts) > 0 {
		s = counts(t.Counts)
	}
	if t.Title != "" {
		s = t.Title + ": " + s
	}
	if len(t.Errors) > 0 {
		s += ", errors " + counts(t.Errors)
	}
	return s
}

// counts is "a=1 b=2", sorted by key.
func counts(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// Table is preformatted text: an IPVS table (ipvsadm -Ln), a packet
// path's hop tables.
type Table struct {
	Title string `json:"title,omitempty"`
	Text  string `json:"text"`
}

// MarshalJSON adds the kind.
func (t Table) MarshalJSON() ([]byte, error) {
	type plain Table
	return json.Marshal(struct {
		Kind string `json:"kind"`
		plain
	}{KindTable, plain(t)})
}

func (t Table) String() string { return strings.TrimSpace(t.Title + "\n" + t.Text) }

// TimelineEvent is one moment of a Masters chart: "lvs02 MASTER",
// "the client's answers are back".
type TimelineEvent struct {
	At    Duration `json:"at"`
	Label string   `json:"label"`
}

// Masters is who was VRRP MASTER when, around an action at 0 (a
// SIGKILL, a stopped keepalived): one lane per director, the moments
// that matter, and the client's gap.
type Masters struct {
	Title string `json:"title,omitempty"`
	// Lanes: one per director, in the order given.
	Lanes []MasterLane `json:"lanes"`
	// Events are single moments (notify events, "SIGKILL to lvs01",
	// "client's first success").
	Events []TimelineEvent `json:"events,omitempty"`
	// GapFrom, GapTo: the span when the client got no answer; zero GapTo
	// means none.
	GapFrom Duration `json:"gap_from"`
	GapTo   Duration `json:"gap_to"`
}

// MasterLane is one director's spans as MASTER.
type MasterLane struct {
	Node  string       `json:"node"`
	Spans []MasterSpan `json:"spans"`
}

// MasterSpan is a time the node was MASTER, From..To relative to the
// action (negative: before it). Source says what saw it: "adverts",
// "vip", "notify".
type MasterSpan struct {
	From   Duration `json:"from"`
	To     Duration `json:"to"`
	Source string   `json:"source"`
	Label  string   `json:"label,omitempty"` // "priority 100"
}

// MarshalJSON adds the kind.
func (m Masters) MarshalJSON() ([]byte, error) {
	type plain Masters
	return json.Marshal(struct {
		Kind string `json:"kind"`
		plain
	}{KindMasters, plain(m)})
}

func (m Masters) String() string {
	var b strings.Builder
	b.WriteString(m.Title)
	for _, l := range m.Lanes {
		for _, s := range l.Spans {
			b.WriteString("\n  " + spanLine(l.Node, s))
		}
	}
	for _, e := range m.Events {
		fmt.Fprintf(&b, "\n  %8s %s", time.Duration(e.At).Round(time.Millisecond), e.Label)
	}
	if m.GapTo != 0 {
		b.WriteString("\n  " + m.gapText())
	}
	return strings.TrimSpace(b.String())
}

// gapText is the gap as "client gap 3220 ms".
func (m Masters) gapText() string {
	return fmt.Sprintf("client gap %d ms", time.Duration(m.GapTo-m.GapFrom).Round(time.Millisecond).Milliseconds())
}

// spanLine is one span as text: "lvs01 MASTER -2.000s..0.035s (adverts,
// priority 100)".
func spanLine(node string, s MasterSpan) string {
	what := " MASTER"
	if s.Source == SourceFault || s.Source == SourceClientFailed {
		what = "" // a lane of faults or of the client's failures
	}
	line := fmt.Sprintf("%s%s %.3fs..%.3fs", node, what, time.Duration(s.From).Seconds(), time.Duration(s.To).Seconds())
	about := slices.DeleteFunc([]string{s.Source, s.Label}, func(p string) bool { return p == "" })
	if len(about) > 0 {
		line += " (" + strings.Join(about, ", ") + ")"
	}
	return line
}

// AbsLane is a MasterLane in absolute times, for MastersFrom.
type AbsLane struct {
	Node  string
	Spans []AbsSpan
}

// AbsSpan is a MasterSpan in absolute times.
type AbsSpan struct {
	From, To      time.Time
	Source, Label string
}

// AbsEvent is a TimelineEvent at an absolute time.
type AbsEvent struct {
	At    time.Time
	Label string
}

// MastersFrom builds a Masters from absolute times: spans and events are
// made relative to origin (the action). Zero gapTo means no gap; zero
// gapFrom starts the gap at the action.
func MastersFrom(title string, origin time.Time, lanes []AbsLane, events []AbsEvent, gapFrom, gapTo time.Time) Masters {
	rel := func(t time.Time) Duration { return Duration(t.Sub(origin)) }
	m := Masters{Title: title}
	for _, l := range lanes {
		ml := MasterLane{Node: l.Node}
		for _, s := range l.Spans {
			ml.Spans = append(ml.Spans, MasterSpan{From: rel(s.From), To: rel(s.To), Source: s.Source, Label: s.Label})
		}
		m.Lanes = append(m.Lanes, ml)
	}
	for _, e := range events {
		m.Events = append(m.Events, TimelineEvent{At: rel(e.At), Label: e.Label})
	}
	if !gapTo.IsZero() {
		if gapFrom.IsZero() {
			gapFrom = origin
		}
		m.GapFrom, m.GapTo = rel(gapFrom), rel(gapTo)
	}
	return m
}

// Artifacts lists files kept from a failed spec, relative to the
// report's directory.
type Artifacts struct {
	Dir   string   `json:"dir"`
	Files []string `json:"files"`
}

// MarshalJSON adds the kind.
func (a Artifacts) MarshalJSON() ([]byte, error) {
	type plain Artifacts
	return json.Marshal(struct {
		Kind string `json:"kind"`
		plain
	}{KindArtifact, plain(a)})
}

func (a Artifacts) String() string { return fmt.Sprintf("%d files kept in %s", len(a.Files), a.Dir) }

// Duration is a time.Duration that reads and writes as seconds in JSON.
type Duration time.Duration

// MarshalJSON writes seconds.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).Seconds())
}

// UnmarshalJSON reads seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s float64
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("decode duration: %w", err)
	}
	*d = Duration(math.Round(s * float64(time.Second)))
	return nil
}

func (d Duration) String() string {
	t := time.Duration(d)
	switch {
	case t >= time.Minute:
		return t.Round(time.Second).String()
	case t >= time.Second:
		return t.Round(10 * time.Millisecond).String()
	default:
		return t.Round(time.Millisecond).String()
	}
}
