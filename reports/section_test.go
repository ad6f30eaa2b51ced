package reports

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSections(t *testing.T) {
	tests := []struct {
		name  string
		texts []string
		want  []string
	}{
		{"one section", []string{"LVS-DR (seed 003 §4.3)", "alternates under rr"}, []string{"seed 003 §4.3"}},
		{"two sections of one seed", []string{"places the VIP (seed 003 §4.1, §4.3)"}, []string{"seed 003 §4.1", "seed 003 §4.3"}},
		{"two seeds", []string{"keepalived pair (seed 004 §四, §五; seed 000 §14)"}, []string{"seed 004 §四", "seed 004 §五", "seed 000 §14"}},
		{"seed without section", []string{"Firewall marks (seed 002)"}, []string{"seed 002"}},
		{"seed with a flag after it", []string{"persistence (seed 000 -p 5, with -M)"}, []string{"seed 000"}},
		{"possessive", []string{"(seed 000's worked example)"}, []string{"seed 000"}},
		{"colon after the section", []string{"nopreempt (seed 004 §四: both BACKUP)"}, []string{"seed 004 §四"}},
		{"repeat across container and leaf", []string{"LVS-NAT (seed 003 §4.1)", "NAT (seed 003 §4.1) again"}, []string{"seed 003 §4.1"}},
		{"none", []string{"sorts services as ipvsadm does"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Sections(tt.texts...)); diff != "" {
				t.Errorf("Sections(%q) (-want +got):\n%s", tt.texts, diff)
			}
		})
	}
}
