package keepalived

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lvslab/lvslab/topo"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// labFiles are the shipped labs and this package's fixtures.
func labFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"../../labs/*.yaml", "testdata/labs/*.yaml"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no lab files")
	}
	return files
}

// rendered is one director's rendered keepalived.conf.
type rendered struct {
	spec      *topo.Spec
	lab, node string
	ifaces    []string
	golden    string
}

// directors lists every director of every lab with its golden file.
func directors(t *testing.T) []rendered {
	t.Helper()
	var out []rendered
	for _, f := range labFiles(t) {
		spec, err := topo.Load(f)
		if err != nil {
			t.Fatalf("load %s: %v", f, err)
		}
		for _, n := range spec.NodesOf(topo.RoleDirector) {
			r := rendered{spec: spec, lab: spec.Name, node: n.Name,
				golden: filepath.Join("testdata", "golden", spec.Name+"."+n.Name+".conf")}
			for _, ifc := range n.Interfaces {
				r.ifaces = append(r.ifaces, ifc.Name)
			}
			out = append(out, r)
		}
	}
	return out
}

// TestRenderGolden renders every director of every lab and compares it
// with its golden file (go test -update rewrites them).
func TestRenderGolden(t *testing.T) {
	for _, r := range directors(t) {
		t.Run(r.lab+"/"+r.node, func(t *testing.T) {
			spec, f, n := r.spec, r.spec.File, r
			got, err := Render(spec, n.node)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if *update {
				if err := os.MkdirAll(filepath.Dir(r.golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(r.golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(r.golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("Render(%s, %s) differs from %s (-want +got):\n%s", f, n.node, r.golden, diff)
			}
		})
	}
}

func TestRenderVerbatim(t *testing.T) {
	spec, err := topo.Load("testdata/labs/verbatim.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Render(spec, "lvs")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/labs/verbatim.conf")
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("Render(verbatim, lvs) is not the node's own file (-want +got):\n%s", cmp.Diff(string(want), got))
	}
	if !Manages(spec, "lvs") {
		t.Error("Manages(verbatim, lvs) = false for a node that names its keepalived.conf")
	}
}

func TestRenderErrors(t *testing.T) {
	spec, err := topo.Load("../../labs/dr-keepalived.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, node, want string
	}{
		{"unknown node", "nosuch", `has no node "nosuch"`},
		{"not a director", "web01", "not a director"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(spec, tt.node)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Render(%s) error = %v, want one containing %q", tt.node, err, tt.want)
			}
		})
	}
}

func TestManages(t *testing.T) {
	tests := []struct {
		lab, node string
		want      bool
	}{
		{"dr-keepalived", "lvs01", true},
		{"dr-keepalived", "lvs02", true},
		{"dr-keepalived", "web01", false},
		{"lvs-nginx", "lvs151", true},
		{"dr", "lvs", false},
		{"nat", "lvs", false},
	}
	for _, tt := range tests {
		t.Run(tt.lab+"/"+tt.node, func(t *testing.T) {
			spec, err := topo.Load("../../labs/" + tt.lab + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			if got := Manages(spec, tt.node); got != tt.want {
				t.Errorf("Manages(%s, %s) = %v, want %v", tt.lab, tt.node, got, tt.want)
			}
		})
	}
}
