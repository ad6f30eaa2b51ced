package main

import (
	"errors"
	"flag"
	"strings"
	"testing"
)

// TestRunRefuses: command lines refused before any socket opens.
func TestRunRefuses(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantIs  error
		wantErr string
	}{
		{name: "help", args: []string{"-h"}, wantIs: flag.ErrHelp},
		{name: "unknown flag", args: []string{"--bogus"}, wantIs: errUsage},
		{name: "no node", args: []string{"--http", "80"}, wantErr: "--node is required"},
		{name: "argument", args: []string{"--node", "web1", "extra"}, wantErr: `unexpected argument "extra"`},
		{name: "bad port", args: []string{"--node", "web1", "--tcp-echo", "7,x"}, wantErr: `--tcp-echo: "x" is not a port`},
		{name: "hub with node", args: []string{"--hub", "/tmp/x.sock", "--node", "web1"}, wantErr: "--hub takes no other flag"},
		{name: "bad bind", args: []string{"--node", "web1", "--http", "80", "--bind", "nowhere"}, wantErr: "--bind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(tt.args)
			switch {
			case err == nil:
				t.Fatalf("run(%q) = nil, want an error", tt.args)
			case tt.wantIs != nil && !errors.Is(err, tt.wantIs):
				t.Fatalf("run(%q) = %v, want %v", tt.args, err, tt.wantIs)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("run(%q) = %v, want an error containing %q", tt.args, err, tt.wantErr)
			}
		})
	}
}
