package topo

import (
	"strings"
	"testing"
)

func TestNamespacesOfOtherLabs(t *testing.T) {
	old := StateRoot
	StateRoot = t.TempDir()
	t.Cleanup(func() { StateRoot = old })
	// Lab a's node b-web is the namespace a-b-web, as lab a-b's node web.
	up := &State{Name: "a", Namespaces: []string{"a-switch", "a-b-web"}}
	if err := claim(up, false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		st      *State
		wantErr string
	}{
		{name: "a namespace another lab has", st: &State{Name: "a-b", Namespaces: []string{"a-b-switch", "a-b-web"}}, wantErr: "namespace a-b-web is also lab a's"},
		{name: "no namespace in common", st: &State{Name: "c", Namespaces: []string{"c-switch", "c-web"}}},
		{name: "the lab itself again", st: &State{Name: "a", Namespaces: []string{"a-switch", "a-b-web"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := namespacesOfOtherLabs(tt.st)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("namespacesOfOtherLabs: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("namespacesOfOtherLabs = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
