package lint

import (
	"cmp"
	"slices"

	"github.com/lvslab/lvslab/director/keepalived/conf"
)

// Rule is one check over the files of a setup (one per director).
type Rule struct {
	Name string
	// Check returns the rule's findings in files.
	Check func(files []*conf.Config) []Finding
}

// Rules are the checks Check applies, in the order they report.
var Rules = []Rule{
	{"parse", parseFindings},
	{"no-protocol", noProtocol},
	{"pair-mismatch", pairMismatch},
	{"equal-priority", equalPriority},
	{"nopreempt-master", perFile(nopreemptMaster)},
	{"vip-not-carried", perFile(vipNotCarried)},
	{"weight-zero", perFile(weightZero)},
	{"nb-get-retry", perFile(nbGetRetry)},
	{"slow-check", perFile(slowCheck)},
	{"dr-off-subnet", perFile(drOffSubnet)},
	{"nat-way-back", perFile(natWayBack)},
	{"vrid-shared", perFile(vridShared)},
	{"auth-pass-long", perFile(authPassLong)},
	{"vrrp-strict", perFile(vrrpStrict)},
}

// Check applies every rule to files, one parsed keepalived.conf per
// director of one setup, and returns the findings ordered by file (in
// the order given) and line.
func Check(files []*conf.Config) []Finding {
	var out []Finding
	for _, r := range Rules {
		out = append(out, r.Check(files)...)
	}
	order := map[string]int{}
	for i, c := range files {
		for _, f := range c.Files {
			if _, ok := order[f]; !ok {
				order[f] = i
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		if c := cmp.Compare(order[a.Pos.File], order[b.Pos.File]); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Pos.File, b.Pos.File); c != 0 {
			return c
		}
		return cmp.Compare(a.Pos.Line, b.Pos.Line)
	})
	return out
}

// perFile makes a rule over each file alone.
func perFile(check func(*conf.Config) []Finding) func([]*conf.Config) []Finding {
	return func(files []*conf.Config) []Finding {
		var out []Finding
		for _, c := range files {
			out = append(out, check(c)...)
		}
		return out
	}
}

// parseFindings are the parser's remarks that matter in production:
// errors (lines keepalived rejects or misreads), unknown keywords (lines
// it ignores), and what keepalived changes from what is written. An
// unwritten protocol and nb_get_retry have rules of their own.
func parseFindings(files []*conf.Config) []Finding {
	var out []Finding
	for _, c := range files {
		for _, d := range c.Diagnostics {
			f := Finding{Pos: d.Pos, Level: Problem, Msg: d.Msg}
			switch {
			case d.Key == conf.KeyNbGetRetry, d.Key == conf.KeyNoProtocol:
				continue
			case d.Key == conf.KeyIncludeMissing:
				f.Rule, f.Impact = "include", "keepalived starts without the included configuration"
				f.Fix = "correct the path (relative paths are taken from the including file's directory) or remove the include"
			case d.Severity == conf.Error:
				f.Rule, f.Impact = "syntax", "keepalived rejects the line or reads something else than meant"
			case d.Severity == conf.Unknown:
				f.Rule, f.Impact = "unknown-keyword", "keepalived ignores the line: the setting it was meant to make does not apply"
				f.Fix = "check the keyword's spelling and block against keepalived.conf(5)"
			case d.Severity == conf.Warning:
				f.Rule, f.Impact = "overridden", "keepalived runs something other than what the file says"
				f.Fix = "write what keepalived will run, so the file says what happens"
			default:
				continue
			}
			out = append(out, f)
		}
	}
	return out
}

// noProtocol: keepalived 2.2 makes an address virtual_server without a
// protocol line UDP.
func noProtocol(files []*conf.Config) []Finding {
	var out []Finding
	for _, c := range files {
		for _, d := range c.Diagnostics {
			if d.Key != conf.KeyNoProtocol {
				continue
			}
			out = append(out, Finding{Pos: d.Pos, Rule: "no-protocol", Level: Problem, Msg: d.Msg,
				Impact: "the IPVS service is UDP: TCP clients of the VIP get no answer",
				Fix:    "protocol TCP"})
		}
	}
	return out
}
