package backend

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestFlagsOptions(t *testing.T) {
	tests := []struct {
		name    string
		flags   Flags
		http    []uint16
		bind    netip.Addr
		wantErr string
	}{
		{"ports repeated and comma-separated", Flags{Node: "web1", HTTP: []string{"80,8080", "81"}, Bind: "10.0.0.1"}, []uint16{80, 8080, 81}, netip.MustParseAddr("10.0.0.1"), ""},
		{"no node", Flags{HTTP: []string{"80"}}, nil, netip.Addr{}, "--node is required"},
		{"a bad port names its flag", Flags{Node: "web1", TCPEcho: []string{"7,x"}}, nil, netip.Addr{}, "--tcp-echo"},
		{"a bad bind names its flag", Flags{Node: "web1", Bind: "10.0.0"}, nil, netip.Addr{}, "--bind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := tt.flags.Options()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Options() error = %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if opts.Node != tt.flags.Node || !slices.Equal(opts.HTTP, tt.http) || opts.Bind != tt.bind {
				t.Errorf("Options() = %+v, want node %s, HTTP %v, bind %s", opts, tt.flags.Node, tt.http, tt.bind)
			}
		})
	}
}
