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

// parseFindings are the parser's errors and unknown keywords: lines
// keepalived rejects or ignores. nb_get_retry has its own rule.
func parseFindings(files []*conf.Config) []Finding {
	var out []Finding
	for _, c := range files {
		for _, d := range c.Diagnostics {
			switch d.Severity {
			case conf.Error:
				out = append(out, Finding{Pos: d.Pos, Rule: "syntax", Level: Problem, Msg: d.Msg,
					Impact: "keepalived rejects the line or reads something else than meant"})
			case conf.Unknown:
				if isNbGetRetry(c, d.Pos) {
					continue
				}
				out = append(out, Finding{Pos: d.Pos, Rule: "unknown-keyword", Level: Problem, Msg: d.Msg,
					Impact: "keepalived ignores the line: the setting it was meant to make does not apply",
					Fix:    "check the keyword's spelling and block against keepalived.conf(5)"})
			case conf.Warning:
				out = append(out, Finding{Pos: d.Pos, Rule: "include", Level: Problem, Msg: d.Msg,
					Impact: "keepalived starts without the included configuration"})
			}
		}
	}
	return out
}

func isNbGetRetry(c *conf.Config, p conf.Pos) bool {
	for _, vs := range c.Services {
		for _, rs := range vs.RealServers {
			for _, ch := range rs.Checks {
				if ch.OldRetry != nil && *ch.OldRetry == p {
					return true
				}
			}
		}
	}
	return false
}
