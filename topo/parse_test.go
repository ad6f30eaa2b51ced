package topo

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the .err golden files in testdata/broken")

// TestBroken loads each testdata/broken/*.yaml and compares the problems
// with the sibling .err file, one problem a line; an empty .err means the
// file must load cleanly (the allow: cases). Run with -update to rewrite.
func TestBroken(t *testing.T) {
	files, err := filepath.Glob("testdata/broken/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no files in testdata/broken")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			got := ""
			_, err := Load(f)
			if err != nil {
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("Load(%s) = %v, want a *ValidationError", f, err)
				}
				checkProblems(t, ve)
				got = err.Error() + "\n"
			}
			golden := strings.TrimSuffix(f, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("problems in %s (-want +got):\n%s", f, diff)
			}
		})
	}
}

// checkProblems holds every problem to its contract: it names the file, a
// line and an object, and a field unless it is about the whole file or a
// whole object.
func checkProblems(t *testing.T, ve *ValidationError) {
	t.Helper()
	for i, p := range ve.Problems {
		if p.File == "" || p.Line < 1 || p.Object == "" || p.Reason == "" {
			t.Errorf("problem %d lacks file, line, object or reason: %#v", i, p)
		}
		if i > 0 && ve.Problems[i-1].Line > p.Line {
			t.Errorf("problems not sorted by line: %d after %d", p.Line, ve.Problems[i-1].Line)
		}
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		name string
		p    Problem
		want string
	}{
		{
			name: "field",
			p:    Problem{File: "labs/nat.yaml", Line: 12, Object: "node web1", Field: "gateway", Reason: "192.168.188.250 is not on any of its subnets"},
			want: "labs/nat.yaml:12: node web1: field gateway: 192.168.188.250 is not on any of its subnets",
		},
		{
			name: "object",
			p:    Problem{File: "x.yaml", Line: 1, Object: "lab", Reason: "the file is empty"},
			want: "x.yaml:1: lab: the file is empty",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.p.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLine(t *testing.T) {
	const src = `# a comment
name: lines
segments:
  - name: lan
    subnet: 192.168.10.0/24
nodes:
  - name: lvs
    role: director
    interfaces:
      - name: eth0
        segment: lan
        addresses: [192.168.10.8/24, 192.168.10.9/24]
    routes:
      - {to: 10.0.0.0/8, via: 192.168.10.1}
services:
  - name: web
    directors: [lvs]
    vip: 192.168.10.100
    port: 0
    persistence: {timeout: 5}
    realservers: []
`
	s, err := Parse("lines.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want int
	}{
		{"name", 2},
		{"segments.lan", 4},
		{"segments.lan.subnet", 5},
		{"nodes.lvs.interfaces.eth0", 10},
		{"nodes.lvs.interfaces.eth0.addresses[1]", 12},
		{"nodes.lvs.routes[0].via", 14},
		{"nodes.lvs.gateway", 7},                 // left out: the node's line
		{"services.web.persistence.netmask", 20}, // a default: the line of persistence
		{"services.web.scheduler", 16},
		{"vrrp", 2}, // no vrrp at all: the lab's first line
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := s.Line(tt.path); got != tt.want {
				t.Errorf("Line(%q) = %d, want %d", tt.path, got, tt.want)
			}
		})
	}
}

// TestValidateGo validates a Spec built in Go, with no lines: problems then
// carry line 0, and Validate alone finds them.
func TestValidateGo(t *testing.T) {
	s := &Spec{File: "go", Name: "go", Segments: []*Segment{{Name: "lan"}}}
	err := s.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate() = %v, want a *ValidationError", err)
	}
	want := []string{
		"go:0: lab: field nodes: a lab needs at least one node",
		"go:0: segment lan: field subnet: a subnet is required, e.g. 192.168.10.0/24",
	}
	var got []string
	for _, p := range ve.Problems {
		got = append(got, p.String())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
