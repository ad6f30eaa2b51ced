package keepalived

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lvslab/lvslab/internal/labtest"
)

// TestNotifyEvents logs notify calls from inside two directors'
// namespaces of a real lab network (no keepalived: LogEvent is what
// `lvslab notify-log` runs) and reads them back with their nodes.
func TestNotifyEvents(t *testing.T) {
	lab := labtest.BuildLab(t, filepath.Join("..", "..", "labs", "dr-keepalived.yaml"), labtest.LabPrefix("k"), "notify")
	if got, err := Events(lab.Name); err != nil || got != nil {
		t.Fatalf("Events before any call = %v, %v; want none", got, err)
	}
	t0 := time.Date(2026, 11, 24, 2, 10, 0, 123456789, time.UTC)
	calls := []struct {
		node string
		args []string
	}{
		{"lvs02", []string{"INSTANCE", "VI_1", "BACKUP", "90"}},
		{"lvs01", []string{"INSTANCE", "VI_1", "MASTER", "100"}},
		{"lvs02", []string{"GROUP", "G1", "FAULT"}},
	}
	for i, c := range calls {
		h, err := lab.Host(c.node)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Do(func() error { return LogEvent(c.args, t0.Add(time.Duration(i)*time.Second)) }); err != nil {
			t.Fatalf("LogEvent(%v) on %s: %v", c.args, c.node, err)
		}
	}
	got, err := Events(lab.Name)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{t0, "lvs02", "INSTANCE", "VI_1", "BACKUP", 90},
		{t0.Add(time.Second), "lvs01", "INSTANCE", "VI_1", "MASTER", 100},
		{t0.Add(2 * time.Second), "lvs02", "GROUP", "G1", "FAULT", 0},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}

	lvs01, err := lab.Host("lvs01")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{{"INSTANCE", "VI_1"}, {"INSTANCE", "VI_1", "MASTER", "high"}, {"INSTANCE", "VI 1", "MASTER", "1"}} {
		if err := lvs01.Do(func() error { return LogEvent(bad, t0) }); err == nil || !strings.HasPrefix(err.Error(), "log notify event: ") {
			t.Errorf("LogEvent(%q) = %v, want an error", bad, err)
		}
	}
	// Outside every lab's namespace there is no lab to log to.
	if err := LogEvent(calls[0].args, t0); err == nil || !strings.Contains(err.Error(), "not in the namespace of a lab's node") {
		t.Errorf("LogEvent from the root namespace = %v, want an error", err)
	}
}

func TestNotifyCommand(t *testing.T) {
	if got := NotifyCommand("/usr/local/bin/lvslab"); got != "/usr/local/bin/lvslab notify-log" {
		t.Errorf("NotifyCommand = %q", got)
	}
}
