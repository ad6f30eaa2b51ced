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
		table := captures.SideBySide(l.Method.Title, l.Path, rt.Method.Title, rt.Path)
		b.WriteString(table)
		b.WriteString(beside(leftWidth(table), append([]string{""}, verdicts[0]...), append([]string{""}, verdicts[1]...)))
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

// leftWidth is the width of SideBySide's left side: where its "│" is.
func leftWidth(table string) int {
	first, _, _ := strings.Cut(table, "\n")
	i := strings.Index(first, " │ ")
	if i < 0 {
		return len([]rune(first))
	}
	return len([]rune(first[:i]))
}

// beside sets two columns of lines next to each other, as SideBySide
// does, the left one lw wide.
func beside(lw int, left, right []string) string {
	var b strings.Builder
	for i := range max(len(left), len(right)) {
		var l, r string
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		pad := max(lw-len([]rune(l)), 0)
		b.WriteString(strings.TrimRight(l+strings.Repeat(" ", pad)+" │ "+r, " ") + "\n")
	}
	return b.String()
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
