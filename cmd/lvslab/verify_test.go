package main

import (
	"strings"
	"testing"
)

// TestVerifyRefuses: lvslab verify builds nothing from a configuration
// the import refuses, and says why, before it looks for IPVS.
func TestVerifyRefuses(t *testing.T) {
	const data = "../../director/keepalived/conf/testdata/"
	tests := []struct {
		name string
		args []string
		code int // exit status; -1: an error
		want string
	}{
		{"out of scope", []string{data + "debian/keepalived.conf.SSL_GET"}, 1, "out of lvslab's scope; nothing built"},
		{"--peer with a lab file", []string{"../../labs/dr.yaml", "--peer", "90"}, 1, "--peer is for keepalived.conf files"},
		{"an unknown check", []string{"../../labs/dr.yaml", "--only", "dns"}, 1, "unknown check \"dns\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(append([]string{"verify", "--report", ""}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want %d with %q; stderr:\n%s", code, tt.code, tt.want, stderr)
			}
		})
	}
}
