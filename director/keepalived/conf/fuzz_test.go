package conf

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary text to the parser and the typed view: they
// must never panic, and a result must come back with or without errors.
// Includes resolve to nothing (no file system access).
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.conf*")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("$A=$A\n$A x\n"))
	f.Add([]byte("@x\n@^y a {\n}\n}}{{"))
	opt := Options{
		Glob:     func(string) ([]string, error) { return []string{"/inc"}, nil },
		ReadFile: func(string) ([]byte, error) { return []byte("include /inc\n"), nil },
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _ := Load("fuzz.conf", data, opt)
		if c == nil {
			t.Fatal("Load returned no Config")
		}
		_ = c.Facts()
	})
}
