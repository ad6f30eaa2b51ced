package keepalived

import (
	"slices"
	"testing"
)

// TestArgvQuiet: keepalived logs to its console (the lab's log file) and
// never to syslog, which without a syslog daemon lands on /dev/console
// (LOG_CONS), over the user's shell.
func TestArgvQuiet(t *testing.T) {
	argv := Argv(Files{Config: "c", PID: "p", VRRPPID: "v", CheckersPID: "k"})
	for _, tt := range []struct{ name, flag string }{
		{"no fork", "-n"},
		{"log to the console (stderr: the log file)", "-l"},
		{"not to syslog", "--no-syslog"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !slices.Contains(argv, tt.flag) {
				t.Errorf("Argv = %q, want %s", argv, tt.flag)
			}
		})
	}
}
