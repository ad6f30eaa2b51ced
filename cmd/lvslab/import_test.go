package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestImport: lvslab import writes the lab (and the --peer copy) on
// success, and nothing on out-of-scope or malformed input.
func TestImport(t *testing.T) {
	const data = "../../director/keepalived/conf/testdata/"
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.conf")
	if err := os.WriteFile(bad, []byte("vrrp_instance VI_1 {\n  state MASTR\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int    // exit status; -1: an error
		want   string // in stderr or the error
		writes []string
	}{
		{"pair", []string{data + "seeds/004-lvs01.conf", data + "seeds/004-lvs02.conf"}, 0, "wrote", []string{"lab.yaml"}},
		{"peer", []string{data + "seeds/000-lvs151.conf", "--peer", "90"}, 0, "the BACKUP peer (--peer 90", []string{"lab.yaml", "000-lvs151-peer.conf"}},
		{"out of scope", []string{data + "debian/keepalived.conf.SSL_GET"}, 1, "keepalived.conf.SSL_GET:39: out of scope: SSL_GET", nil},
		{"malformed", []string{bad}, 1, "bad.conf:2: state:", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "lab.yaml")
			code, _, stderr := runCLI(append([]string{"import", "-o", out}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want %d with %q; stderr:\n%s", code, tt.code, tt.want, stderr)
			}
			entries, _ := os.ReadDir(filepath.Dir(out))
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			if strings.Join(got, " ") != strings.Join(slices.Sorted(slices.Values(tt.writes)), " ") {
				t.Errorf("wrote %v, want %v", got, tt.writes)
			}
		})
	}
}
