package conf

import (
	"fmt"
	"strings"
)

// Pos is where a line of a configuration is: its file and 1-based line.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	if p.File == "" {
		return fmt.Sprintf("line %d", p.Line)
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Severity grades a Diagnostic.
type Severity int

// Severities, mildest first.
const (
	// Note: a fact worth knowing that changes nothing (a conditional
	// line, a keyword kept verbatim but not modelled).
	Note Severity = iota
	// Warning: keepalived goes on, without what the line meant (an
	// include that matches nothing).
	Warning
	// Unsupported: keepalived knows it, lvslab cannot stand it up.
	Unsupported
	// Unknown: keepalived 2.2 does not know the keyword (it warns and
	// ignores it).
	Unknown
	// Error: the file is malformed; keepalived would reject or misread it.
	Error
)

func (s Severity) String() string {
	switch s {
	case Note:
		return "note"
	case Warning:
		return "warning"
	case Unsupported:
		return "out of scope"
	case Unknown:
		return "unknown"
	}
	return "error"
}

// Diagnostic is one remark about one line.
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Msg      string
	// Key names the kind of remark for callers that treat some apart
	// (lint): KeyNoProtocol, KeyNbGetRetry, KeyIncludeMissing; "" for
	// the rest.
	Key string
}

// Diagnostic keys.
const (
	KeyNoProtocol     = "no-protocol"
	KeyNbGetRetry     = "nb-get-retry"
	KeyIncludeMissing = "include-missing"
)

func (d Diagnostic) String() string {
	return fmt.Sprintf("%s: %s: %s", d.Pos, d.Severity, d.Msg)
}

// Errors are the malformed lines of a configuration, all of them. It is
// the error Parse and Load return.
type Errors []Diagnostic

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, d := range e {
		lines[i] = fmt.Sprintf("%s: %s", d.Pos, d.Msg)
	}
	return strings.Join(lines, "\n")
}

// diags collects diagnostics.
type diags struct{ list []Diagnostic }

func (d *diags) add(p Pos, s Severity, format string, args ...any) {
	d.list = append(d.list, Diagnostic{Pos: p, Severity: s, Msg: fmt.Sprintf(format, args...)})
}

// addKey is add for a diagnostic with a Key.
func (d *diags) addKey(p Pos, s Severity, key, format string, args ...any) {
	d.add(p, s, format, args...)
	d.list[len(d.list)-1].Key = key
}

// err is the Errors among the diagnostics, or nil.
func (d *diags) err() error {
	var e Errors
	for _, x := range d.list {
		if x.Severity == Error {
			e = append(e, x)
		}
	}
	if len(e) == 0 {
		return nil
	}
	return e
}
