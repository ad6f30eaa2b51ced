package lint

import (
	"fmt"
	"strings"

	"github.com/lvslab/lvslab/director/keepalived/conf"
)

// Level grades a Finding.
type Level int

// Levels.
const (
	// Advice: something the file alone cannot settle; worth checking.
	Advice Level = iota
	// Problem: goes wrong in production as written.
	Problem
)

// Finding is one mistake at one line.
type Finding struct {
	Pos   conf.Pos
	Rule  string // short name, e.g. "vrid-mismatch"
	Level Level
	// Msg says what is wrong, Impact what it does in production, Fix
	// what to write instead.
	Msg, Impact, Fix string
}

func (f Finding) String() string {
	var b strings.Builder
	tag := f.Rule
	if f.Level == Advice {
		tag += ", advice"
	}
	fmt.Fprintf(&b, "%s: [%s] %s", f.Pos, tag, f.Msg)
	if f.Impact != "" {
		fmt.Fprintf(&b, "\n    in production: %s", f.Impact)
	}
	if f.Fix != "" {
		fmt.Fprintf(&b, "\n    fix: %s", f.Fix)
	}
	return b.String()
}

// Problems counts the findings at level Problem.
func Problems(fs []Finding) int {
	n := 0
	for _, f := range fs {
		if f.Level == Problem {
			n++
		}
	}
	return n
}
