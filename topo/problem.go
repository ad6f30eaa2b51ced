package topo

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a lab file, located by file and line and
// named by the object (node web1, service web, lab) and field it is in.
type Problem struct {
	File   string
	Line   int
	Object string // "node web1", "service web", "vrrp VI_1", "lab"
	Field  string // "gateway", "interfaces.eth0.addresses[0]"; empty for the object itself
	Reason string
}

// String formats the problem as FILE:LINE: OBJECT: field FIELD: REASON, the
// form editors and CI logs recognise.
func (p Problem) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: %s: ", p.File, p.Line, p.Object)
	if p.Field != "" {
		fmt.Fprintf(&b, "field %s: ", p.Field)
	}
	b.WriteString(p.Reason)
	return b.String()
}

// ValidationError is every problem found in a lab file, sorted by line.
// Parse, Load and Validate return it; use errors.As to reach the problems.
type ValidationError struct {
	Problems []Problem
}

// Error lists the problems, one a line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects the problems of one spec as they are found.
type problems struct {
	s    *Spec
	list []Problem
	// bad holds paths whose value failed to decode: later checks stay
	// quiet about them rather than repeat the same fault in other words.
	bad map[string]bool
}

func newProblems(s *Spec) *problems {
	return &problems{s: s, bad: map[string]bool{}}
}

// add records a problem at path (see Spec.Line), naming its object and field
// from the path.
func (ps *problems) add(path, format string, args ...any) {
	ps.addAt(ps.s.Line(path), path, format, args...)
}

// addAt records a problem about path found at a given line.
func (ps *problems) addAt(line int, path, format string, args ...any) {
	if ps.bad[path] {
		return
	}
	obj, field := objectField(path)
	ps.list = append(ps.list, Problem{
		File:   ps.s.File,
		Line:   line,
		Object: obj,
		Field:  field,
		Reason: fmt.Sprintf(format, args...),
	})
}

// err returns the problems as a *ValidationError sorted by line, or nil.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	list := append([]Problem(nil), ps.list...)
	sort.SliceStable(list, func(i, j int) bool { return list[i].Line < list[j].Line })
	return &ValidationError{Problems: list}
}
