package keepalived

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfiguredInstances(t *testing.T) {
	conf, err := os.ReadFile("testdata/golden/features.d2.conf")
	if err != nil {
		t.Fatal(err)
	}
	want := []Instance{
		{Name: "VI_OUT", Priority: 100, Configured: 100},
		{Name: "VI_IN", Priority: 90, Configured: 90},
	}
	if diff := cmp.Diff(want, ConfiguredInstances(string(conf))); diff != "" {
		t.Errorf("ConfiguredInstances(features.d2.conf) (-want +got):\n%s", diff)
	}
}

// TestReadStates replays a recorded keepalived 2.2.7 log (a BACKUP with
// priority 100 becoming MASTER, its tracked script failing with weight
// -20 and recovering, then SIGTERM) cut after a given line.
func TestReadStates(t *testing.T) {
	data, err := os.ReadFile("testdata/logs/track-script.log")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		upTo  string // the last line replayed contains this
		state string
		prio  int
	}{
		{"started", "Entering BACKUP STATE (init)", StateBackup, 100},
		{"master", "Entering MASTER STATE", StateMaster, 100},
		{"script failed", "from 100 to 80", StateMaster, 80},
		{"script recovered", "from 80 to 100", StateMaster, 100},
		{"stopped", "sent 0 priority", StateStopped, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := string(data)
			i := strings.Index(text, tt.upTo)
			if i < 0 {
				t.Fatalf("log has no %q", tt.upTo)
			}
			insts := []Instance{{Name: "VI_1", Priority: 100, Configured: 100}}
			if err := ReadStates(strings.NewReader(text[:i+len(tt.upTo)]), insts); err != nil {
				t.Fatal(err)
			}
			want := Instance{Name: "VI_1", State: tt.state, Priority: tt.prio, Configured: 100}
			if diff := cmp.Diff(want, insts[0]); diff != "" {
				t.Errorf("state after %q (-want +got):\n%s", tt.upTo, diff)
			}
		})
	}
}
