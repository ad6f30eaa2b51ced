package keepalived

import (
	"maps"
	"net/netip"
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

func TestReadChecks(t *testing.T) {
	const start = "Keepalived[234]: Starting Keepalived v2.2.7 (01/16,2022)\n"
	tests := []struct {
		name string
		log  string
		want map[string]bool
	}{
		{"first checks pass (keepalived 2.2.7 in the guest)", start +
			"Keepalived_healthcheckers[236]: Gained quorum 1+0=1 <= 2 for VS [192.168.10.30]:tcp:80\n" +
			"Keepalived_healthcheckers[236]: Activating healthchecker for service [192.168.10.33]:tcp:80 for VS [192.168.10.30]:tcp:80\n" +
			"Keepalived_healthcheckers[236]: TCP connection to [192.168.10.33]:tcp:80 success.\n" +
			"Keepalived_healthcheckers[236]: TCP connection to [192.168.10.34]:tcp:80 success.\n",
			map[string]bool{"[192.168.10.33]:tcp:80": true, "[192.168.10.34]:tcp:80": true}},
		{"a failure, then removal", start +
			"TCP connection to [192.168.10.33]:tcp:80 success.\n" +
			"TCP connection to [192.168.10.33]:tcp:80 failed.\n" +
			"Check on service [192.168.10.33]:tcp:80 failed after 3 retries.\n" +
			"Removing service [192.168.10.33]:tcp:80 to VS [192.168.10.30]:tcp:80\n",
			map[string]bool{"[192.168.10.33]:tcp:80": false}},
		{"back after a success", start +
			"Timeout connecting [192.168.10.34]:tcp:80.\n" +
			"HTTP status code success to [192.168.10.34]:tcp:80 url(1).\n" +
			"Adding service [192.168.10.34]:tcp:80 to VS [192.168.10.30]:tcp:80\n",
			map[string]bool{"[192.168.10.34]:tcp:80": true}},
		{"HTTP_GET's first pass (keepalived 2.2)", start +
			"Remote Web server [192.168.10.33]:tcp:80 succeed on service.\n",
			map[string]bool{"[192.168.10.33]:tcp:80": true}},
		{"a restart forgets", start + "TCP connection to [192.168.10.33]:tcp:80 success.\n" + start,
			map[string]bool{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadChecks(strings.NewReader(tt.log))
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("ReadChecks = %v, want %v", got, tt.want)
			}
		})
	}
	if k := CheckKey(netip.MustParseAddrPort("192.168.10.33:80"), ""); k != "[192.168.10.33]:tcp:80" {
		t.Errorf("CheckKey = %q", k)
	}
}
