package reports

import (
	"regexp"
	"strconv"
	"strings"
)

// goMap matches a tally printed with %v: "tally map[web1:50 web2:50]".
var goMap = regexp.MustCompile(`tally map\[([^\]]*)\]`)

// textEntry keeps a plain text entry, recognising what the specs print
// with record(): a tally in %v form becomes a Tally, a packet path's hop
// tables (starting "flow ") or other multi-line text a Table.
func textEntry(name, text string) Entry {
	if m := goMap.FindStringSubmatch(text); m != nil {
		if counts, ok := parseGoMap(m[1]); ok {
			return Entry{Name: name, Kind: KindTally, Text: text, Tally: &Tally{Counts: counts}}
		}
	}
	if strings.Contains(strings.TrimSpace(text), "\n") {
		return Entry{Name: name, Kind: KindTable, Table: &Table{Text: strings.Trim(text, "\n")}}
	}
	return Entry{Name: name, Kind: KindText, Text: text}
}

// parseGoMap parses the inside of a %v map[string]int: "web1:50 web2:50".
func parseGoMap(s string) (map[string]int, bool) {
	out := map[string]int{}
	for _, f := range strings.Fields(s) {
		i := strings.LastIndex(f, ":")
		if i <= 0 {
			return nil, false
		}
		n, err := strconv.Atoi(f[i+1:])
		if err != nil {
			return nil, false
		}
		out[f[:i]] = n
	}
	return out, len(out) > 0
}
