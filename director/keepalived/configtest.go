package keepalived

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/lvslab/lvslab/topo"
)

// ErrConfig is wrapped by ConfigTest when keepalived rejects a file.
var ErrConfig = errors.New("keepalived rejects the configuration")

// ConfigTest asks keepalived whether it accepts the configuration at
// path, inside the director h's namespace (so that the interfaces it
// names are the node's). It returns keepalived's diagnostics, which may
// be non-empty (warnings) for a file it accepts. Equivalent to:
// `ip netns exec NS keepalived --config-test -f PATH`.
func ConfigTest(ctx context.Context, h *topo.Host, path string) (string, error) {
	return RunConfigTest(h.Command(ctx, ConfigTestArgv(path)...), path)
}

// ConfigTestArgv is `keepalived --config-test -f path`.
func ConfigTestArgv(path string) []string {
	return []string{Binary(), "--config-test", "-f", path}
}

// ScratchCommand is argv run in a new network namespace of its own, gone
// when argv exits, holding a veth end named after each of ifaces: where a
// configuration test of a file can see the interfaces the file names
// without a lab (keepalived refuses an instance on a missing interface).
// Equivalent to: `unshare --net sh -c 'ip link add IF type veth peer name
// …; exec ARGV'`.
func ScratchCommand(ctx context.Context, ifaces, argv []string) *exec.Cmd {
	var script strings.Builder
	script.WriteString("set -e\n")
	for i, ifc := range ifaces {
		fmt.Fprintf(&script, "ip link add %q type veth peer name scratch-p%d\n", ifc, i)
	}
	script.WriteString(`exec "$@"` + "\n")
	args := append([]string{"--net", "--", "sh", "-c", script.String(), "sh"}, argv...)
	return exec.CommandContext(ctx, "unshare", args...)
}

// RunConfigTest runs cmd, a ConfigTestArgv command however wrapped (in a
// namespace, say), and judges its result. keepalived 2.2.7 exits 0 for a
// missing file, so the file's existence is checked first.
func RunConfigTest(cmd *exec.Cmd, path string) (string, error) {
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("config test: %w", err)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	diag := strings.TrimSpace(out.String())
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return diag, fmt.Errorf("config test of %s: exit status %d: %w: %s", path, exit.ExitCode(), ErrConfig, diag)
	case err != nil:
		return diag, fmt.Errorf("config test of %s: %w", path, err)
	}
	return diag, nil
}
