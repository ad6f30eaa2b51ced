package realserver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServeBinary(t *testing.T) {
	dir := t.TempDir()
	serve := filepath.Join(dir, ServeName)
	if err := os.WriteFile(serve, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	tests := []struct {
		name    string
		binary  string
		want    string
		wantErr string
	}{
		{name: "beside lvslab", binary: filepath.Join(dir, "lvslab"), want: serve},
		{name: "itself", binary: serve, want: serve},
		{name: "missing", binary: filepath.Join(empty, "lvslab"), wantErr: filepath.Join(empty, ServeName)},
		{name: "itself missing", binary: filepath.Join(empty, ServeName), wantErr: filepath.Join(empty, ServeName)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ServeBinary(tt.binary)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ServeBinary(%s) = %q, %v; want an error naming %s", tt.binary, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ServeBinary(%s) = %q, %v; want %q", tt.binary, got, err, tt.want)
			}
		})
	}
}
