package lint

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/director/keepalived/conf"
)

// Interfaces are the network interfaces c names: the instances', their
// VIPs' dev, track_interface and the sync daemon's.
func Interfaces(c *conf.Config) []string {
	var out []string
	add := func(name string) {
		if name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	for _, in := range c.Instances {
		add(in.Interface)
		for _, v := range in.VIPs {
			add(v.Dev)
		}
		for _, v := range in.ExcludedVIPs {
			add(v.Dev)
		}
		for _, t := range in.TrackIfaces {
			add(t.Name)
		}
		add(in.SyncDaemonInterface)
	}
	if sd := c.Global.LVSSyncDaemon; sd != nil {
		add(sd.Interface)
	}
	return out
}

// ConfigTest runs `keepalived --config-test -f path [-i configID]` and returns what
// keepalived reports, as findings. keepalived checks that the interfaces
// a file names exist; to judge the file rather than this machine, it runs
// in a scratch network namespace holding a veth end named after each of
// ifaces (Interfaces). Where no namespace can be made (not root), it runs
// here, and missing interfaces are reported as keepalived sees them.
// Without a configID keepalived takes the host name's first part for it
// (for `@ID` lines).
//
// Equivalent to: `unshare --net sh -c 'ip link add IF type veth peer
// name lint-pN; …; keepalived --config-test -f PATH'`.
func ConfigTest(ctx context.Context, path string, ifaces []string, configID string) ([]Finding, error) {
	argv := keepalived.ConfigTestArgv(path)
	if configID != "" {
		argv = append(argv, "--config-id", configID)
	}
	cmd := keepalived.ScratchCommand(ctx, ifaces, argv)
	if probe := keepalived.ScratchCommand(ctx, nil, []string{"true"}); probe.Run() != nil {
		cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	}
	diag, err := keepalived.RunConfigTest(cmd, path)
	if err != nil && !errors.Is(err, keepalived.ErrConfig) {
		return nil, fmt.Errorf("config test of %s: %w", path, err)
	}
	fs := configTestFindings(path, diag)
	if err != nil && len(fs) == 0 {
		fs = append(fs, Finding{Pos: conf.Pos{File: path}, Rule: "keepalived", Level: Problem,
			Msg: "keepalived --config-test rejects the file: " + err.Error()})
	}
	return fs, nil
}

// keepalived 2.2 prints "(FILE: Line N) message", or "(Line N) message"
// for the main file, once per process that parses the file.
var configTestLine = regexp.MustCompile(`^\((?:(.*): )?Line (\d+)\) (.*)$`)

// configTestFindings turns keepalived's diagnostics into findings, each
// once.
func configTestFindings(path, diag string) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for _, l := range strings.Split(diag, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		pos, msg := conf.Pos{File: path}, l
		if m := configTestLine.FindStringSubmatch(l); m != nil {
			pos.Line, _ = strconv.Atoi(m[2])
			msg = m[3]
			if m[1] != "" && !strings.HasSuffix(path, m[1]) {
				pos.File = m[1]
			}
		}
		key := pos.String() + msg
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, Finding{Pos: pos, Rule: "keepalived", Level: Problem, Msg: "keepalived --config-test: " + msg})
	}
	return out
}
