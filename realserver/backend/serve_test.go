package backend

import (
	"slices"
	"strings"
	"testing"
)

func TestParsePorts(t *testing.T) {
	tests := []struct {
		name    string
		values  []string
		want    []uint16
		wantErr string
	}{
		{name: "none", values: nil, want: nil},
		{name: "one", values: []string{"80"}, want: []uint16{80}},
		{name: "comma list", values: []string{"80,8080"}, want: []uint16{80, 8080}},
		{name: "repeated", values: []string{"7", "70,700"}, want: []uint16{7, 70, 700}},
		{name: "zero", values: []string{"0"}, wantErr: `--http: "0" is not a port`},
		{name: "too large", values: []string{"80,65536"}, wantErr: `--http: "65536" is not a port`},
		{name: "empty item", values: []string{"80,"}, wantErr: `--http: "" is not a port`},
		{name: "name", values: []string{"http"}, wantErr: `--http: "http" is not a port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePorts("--http", tt.values)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParsePorts(%q) error = %v, want one containing %q", tt.values, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ParsePorts(%q) = %v, %v; want %v", tt.values, got, err, tt.want)
			}
		})
	}
}
