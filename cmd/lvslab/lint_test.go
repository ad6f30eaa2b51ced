package main

import (
	"strings"
	"testing"
)

// TestLintExitStatus: lvslab lint exits 1 when it finds a problem and 0
// when it finds none (keepalived --config-test left out: the lint
// package tests it).
func TestLintExitStatus(t *testing.T) {
	const rules = "../../director/keepalived/lint/testdata/rules/"
	tests := []struct {
		name  string
		files []string
		code  int
		want  string
	}{
		{"problem", []string{rules + "pair-mismatch-vrid/bad.lvs01.conf", rules + "pair-mismatch-vrid/bad.lvs02.conf"}, 1, "[pair-mismatch] vrrp_instance VI_1: virtual_router_id 51 here"},
		{"clean", []string{rules + "pair-mismatch-vrid/fixed.lvs01.conf", rules + "pair-mismatch-vrid/fixed.lvs02.conf"}, 0, "lvslab lint: 0 problem(s), 0 advice, in 2 file(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCLI(append([]string{"lint", "--no-config-test"}, tt.files...)...)
			if code == 1 && stderr != "" {
				t.Fatal(stderr)
			}
			if code != tt.code {
				t.Errorf("exit status %d, want %d; output:\n%s", code, tt.code, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
		})
	}
}
