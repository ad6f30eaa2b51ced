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

func TestHubFiles(t *testing.T) {
	tests := []struct {
		name string
		opts ServeOptions
		want int64
	}{
		{name: "http and echo", opts: ServeOptions{HTTP: []uint16{80}, TCPEcho: []uint16{7}, UDPEcho: []uint16{7}}, want: 4},
		{name: "two web ports", opts: ServeOptions{HTTP: []uint16{80, 443}}, want: 3},
		{name: "nginx runs apart", opts: ServeOptions{Server: "nginx", HTTP: []uint16{80}}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HubFiles(tt.opts); got != tt.want {
				t.Fatalf("HubFiles = %d, want %d", got, tt.want)
			}
		})
	}
}
