package topo

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds Parse arbitrary bytes, seeded with the shipped labs and
// the broken files: it must never panic, and whatever it rejects it rejects
// with a *ValidationError whose problems all have a line.
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"../labs/*.yaml", "testdata/broken/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("a: &a [*a, *a]\nb: *a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("fuzz.yaml", data)
		if err == nil {
			return
		}
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("Parse error %T is not a *ValidationError: %v", err, err)
		}
		for _, p := range ve.Problems {
			if p.Line < 1 {
				t.Errorf("problem without a line: %s", p)
			}
		}
	})
}
