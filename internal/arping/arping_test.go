package arping

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAnswers(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		// Two hosts answer each of three probes (a real server without
		// arp_ignore): each MAC once, lower-case, sorted.
		{"two-answer.txt", []string{"02:4c:56:1e:2a:01", "02:4c:56:1e:2a:0b"}},
		// Only the director: a broadcast reply counts, a request does not.
		{"director.txt", []string{"02:4c:56:1e:2a:01"}},
		{"none.txt", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			out, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, Answers(string(out))); d != "" {
				t.Errorf("Answers (-want +got):\n%s", d)
			}
		})
	}
}
