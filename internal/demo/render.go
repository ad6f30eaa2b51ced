package demo

import (
	"fmt"
	"strings"

	"github.com/lvslab/lvslab/captures"
)

// Render is the demo's text: a heading, the hop tables (side by side for
// two methods), each method's verdict under its table, and the legend.
// It holds no time and no file path, so it is the same every run.
func (r *Result) Render() string {
	var b strings.Builder
	through := "the VIP"
	if len(r.Sides) > 1 {
		through = "each VIP"
	}
	fmt.Fprintf(&b, "lvslab demo %s: one HTTP request through %s, from client port %d\n\n", r.Demo.Name, through, SourcePort)
	var verdicts [][]string
	for _, s := range r.Sides {
		verdicts = append(verdicts, s.verdictLines())
	}
	switch len(r.Sides) {
	case 1:
		s := r.Sides[0]
		b.WriteString(captures.Compact(s.Method.Title, s.Path))
		b.WriteString("\n" + strings.Join(verdicts[0], "\n") + "\n")
	case 2:
		l, rt := r.Sides[0], r.Sides[1]
		b.WriteString(captures.SideBySide(
			captures.Column{Title: l.Method.Title, Path: l.Path, Notes: verdicts[0]},
			captures.Column{Title: rt.Method.Title, Path: rt.Path, Notes: verdicts[1]}))
	default:
		for i, s := range r.Sides {
			b.WriteString(captures.Compact(s.Method.Title, s.Path))
			b.WriteString("\n" + strings.Join(verdicts[i], "\n") + "\n\n")
		}
	}
	b.WriteString("\n")
	for _, line := range append(append([]string{}, r.Demo.Legend...), commonLegend...) {
		b.WriteString(line + "\n")
	}
	return b.String()
}

// verdictLines is the side's verdict: the check passed, with who
// answered, or every rule the path breaks, one a line.
func (s *Side) verdictLines() []string {
	if s.Verdict == nil {
		return []string{
			fmt.Sprintf("%s: pass, the path is LVS-%s", s.Method.CheckName, strings.ToUpper(s.Method.Name)),
			fmt.Sprintf("(%s answered)", s.Server),
		}
	}
	out := []string{s.Method.CheckName + ": FAIL"}
	for _, line := range strings.Split(s.Verdict.Error(), "\n") {
		out = append(out, wrap("  "+line, 76)...)
	}
	return out
}

// wrap breaks a line at spaces so that no piece is wider than n, pieces
// after the first indented like the first.
func wrap(line string, n int) []string {
	indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
	var out []string
	cur := ""
	for _, w := range strings.Fields(line) {
		switch {
		case cur == "":
			cur = indent + w
		case len([]rune(cur))+1+len([]rune(w)) > n:
			out = append(out, cur)
			cur = indent + "  " + w
		default:
			cur += " " + w
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}
