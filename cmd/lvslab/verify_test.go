package main

import (
	"bytes"
	"errors"
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
		{"--peer with a lab file", []string{"../../labs/dr.yaml", "--peer", "90"}, -1, "--peer is for keepalived.conf files"},
		{"an unknown check", []string{"../../labs/dr.yaml", "--only", "dns"}, -1, "unknown check \"dns\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := newRootCmd()
			var stderr bytes.Buffer
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&stderr)
			cmd.SetArgs(append([]string{"verify", "--report", ""}, tt.args...))
			err := cmd.Execute()
			code := 0
			var exit *exitError
			switch {
			case errors.As(err, &exit):
				code = exit.code
			case err != nil:
				code = -1
				stderr.WriteString(err.Error())
			}
			if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, want %d with %q; stderr:\n%s", code, tt.code, tt.want, stderr.String())
			}
		})
	}
}
