package captures_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/lvslab/lvslab/captures"
)

// maxSide is how wide one side of the teaching tables may be.
const maxSide = 80

func TestSideBySide(t *testing.T) {
	nat := tracePath(t, "nat", "nat", natFlow)
	dr := tracePath(t, "dr", "dr", drFlow)
	tun := tracePath(t, "tun", "tun", tunFlow)
	for _, tc := range []struct {
		name   string
		render func() string
	}{
		{"nat-vs-dr", func() string {
			return captures.SideBySide(captures.Column{Title: "LVS-NAT: seed 003 §4.1", Path: nat}, captures.Column{Title: "LVS-DR: seed 003 §4.3", Path: dr})
		}},
		{"dr-vs-tun", func() string {
			return captures.SideBySide(captures.Column{Title: "LVS-DR", Path: dr}, captures.Column{Title: "LVS-TUN", Path: tun})
		}},
		{"tun", func() string { return captures.Compact("LVS-TUN", tun) }},
		{"nil-right", func() string {
			return captures.SideBySide(captures.Column{Title: "LVS-NAT", Path: nat}, captures.Column{Title: "LVS-DR"})
		}},
		{"notes", func() string {
			// Notes level under both sides; a note wider than the left
			// side's tables runs over rather than moving the "│".
			return captures.SideBySide(
				captures.Column{Title: "LVS-NAT", Path: nat, Notes: []string{"CheckNAT: FAIL", "  " + strings.Repeat("a long reason ", 7), "  and another"}},
				captures.Column{Title: "LVS-DR", Path: dr, Notes: []string{"CheckDR: pass", "(web1 answered)"}})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.render()
			golden := filepath.Join("testdata", tc.name+".sidebyside")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test ./captures -run TestSideBySide -update)", err)
			}
			if d := cmp.Diff(string(want), got); d != "" {
				t.Errorf("rendering (-want +got):\n%s", d)
			}
		})
	}
}

// TestSideBySideWidth keeps each side of the NAT-vs-DR demo and the TUN
// table within maxSide columns.
func TestSideBySideWidth(t *testing.T) {
	nat := tracePath(t, "nat", "nat", natFlow)
	dr := tracePath(t, "dr", "dr", drFlow)
	tun := tracePath(t, "tun", "tun", tunFlow)
	for _, line := range strings.Split(captures.SideBySide(captures.Column{Title: "NAT", Path: nat}, captures.Column{Title: "DR", Path: dr}), "\n") {
		for i, side := range strings.Split(line, " │ ") {
			if n := utf8.RuneCountInString(side); n > maxSide {
				t.Errorf("side %d is %d columns wide: %q", i, n, side)
			}
		}
	}
	for _, line := range strings.Split(captures.Compact("TUN", tun), "\n") {
		if n := utf8.RuneCountInString(line); n > maxSide {
			t.Errorf("TUN line is %d columns wide: %q", n, line)
		}
	}
}

// TestSideBySideMarks checks the marks where the methods put them: NAT's
// director rewrites the destination, DR's only the MACs (and TTL).
func TestSideBySideMarks(t *testing.T) {
	for _, tc := range []struct {
		name, trace, lab, flow string
		hop                    int // request hop out of the director
		want                   []string
	}{
		{"NAT", "nat", "nat", natFlow, 1, []string{"2", "lvs:eth0* → web1:eth0*", "192.168.10.200:40000", "192.168.188.82:80*", "63*"}},
		{"DR", "dr", "dr", drFlow, 2, []string{"3", "lvs:eth0* → web1:eth0*", "192.168.10.6:40000", "192.168.188.100:80", "62*"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tracePath(t, tc.trace, tc.lab, tc.flow)
			out := captures.Compact(tc.name, p)
			var got []string
			for _, line := range strings.Split(out, "\n") {
				f := strings.Fields(line)
				if len(f) >= 7 && f[0] == tc.want[0] && f[2] == "→" {
					got = []string{f[0], strings.Join(f[1:4], " "), f[4], f[5], f[6]}
					break
				}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("hop %d (-want +got):\n%s\nin:\n%s", tc.hop+1, d, out)
			}
		})
	}
}
