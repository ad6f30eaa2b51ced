package reports

import (
	"regexp"
	"slices"
	"strings"
)

var (
	seedRef    = regexp.MustCompile(`seed (\d{3})`)
	sectionRef = regexp.MustCompile(`^\s*,?\s*(§[^\s,;)]+)`)
)

// Sections finds the source document sections a spec's texts cite:
// "LVS-DR (seed 003 §4.3)" gives "seed 003 §4.3"; "(seed 004 §四, §五;
// seed 000 §14)" gives three; a seed cited without a section gives
// "seed 002". In order of first mention, without repeats.
func Sections(texts ...string) []string {
	out := []string{}
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, t := range texts {
		for _, m := range seedRef.FindAllStringSubmatchIndex(t, -1) {
			seed := "seed " + t[m[2]:m[3]]
			rest, found := t[m[1]:], false
			for {
				sm := sectionRef.FindStringSubmatchIndex(rest)
				if sm == nil {
					break
				}
				add(seed + " " + strings.TrimRight(rest[sm[2]:sm[3]], "'’.:"))
				rest, found = rest[sm[1]:], true
			}
			if !found {
				add(seed)
			}
		}
	}
	return out
}
