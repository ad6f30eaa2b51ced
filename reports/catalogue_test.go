package reports

import (
	"go/parser"
	"go/token"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBySteps(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "testdata/steps_test.go.txt", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		line int
		want []string
	}{
		{"literals and concatenation", 6, []string{"the client sends 20 requests", "web1 answers ‹n› times", "closure step"}},
		{"Sprintf", 13, []string{"‹sched›: not in this kernel (‹port›)"}},
		{"no steps", 17, nil},
		{"no It on the line", 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, bySteps(fset, f, tt.line)); diff != "" {
				t.Errorf("bySteps(line %d) (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}
