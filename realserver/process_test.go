package realserver

import (
	"os"
	"path/filepath"
	"slices"
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

func TestArgv(t *testing.T) {
	tests := []struct {
		name string
		opts ServeOptions
		want []string
	}{
		{
			name: "echo and http",
			opts: ServeOptions{Node: "web1", HTTP: []uint16{80, 8080}, TCPEcho: []uint16{7}, UDPEcho: []uint16{7, 53}},
			want: []string{"/b/lvslab-serve", "--node", "web1", "--http", "80,8080", "--tcp-echo", "7", "--udp-echo", "7,53"},
		},
		{
			name: "http only",
			opts: ServeOptions{Node: "web2", HTTP: []uint16{80}},
			want: []string{"/b/lvslab-serve", "--node", "web2", "--http", "80"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Argv("/b/lvslab-serve", tt.opts); !slices.Equal(got, tt.want) {
				t.Fatalf("Argv = %q, want %q", got, tt.want)
			}
		})
	}
}
