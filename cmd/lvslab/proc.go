package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
)

// procCmds are the commands that run things on a lab's nodes.
func procCmds() []*cobra.Command {
	return []*cobra.Command{newServeCmd(), newStartCmd(), newStopCmd(), newKillCmd(), newReloadCmd()}
}

// procKind is a kind of process lvslab supervises on a node.
type procKind struct {
	start func(lab *topo.Lab, h *topo.Host) error
	stop  func(h *topo.Host, grace time.Duration) error
	kill  func(h *topo.Host) error
	// reload makes the process re-read its configuration; nil for a kind
	// that has none.
	reload func(lab *topo.Lab, h *topo.Host) error
}

var procKinds = map[string]procKind{
	realserver.ProcessName: {
		start: func(lab *topo.Lab, h *topo.Host) error {
			return realserver.Start(h, realserver.ServiceOptions(lab.Spec, h.Name()), "")
		},
		stop: realserver.Stop,
		kill: realserver.Kill,
	},
	keepalived.ProcessName: {
		start: func(lab *topo.Lab, h *topo.Host) error {
			if h.Spec.Role != topo.RoleDirector {
				return fmt.Errorf("start keepalived on %s: a %s, not a director", h.Name(), h.Spec.Role)
			}
			return keepalived.StartNode(lab, h)
		},
		stop: func(h *topo.Host, grace time.Duration) error {
			return h.StopProcess(keepalived.ProcessName, grace)
		},
		kill:   keepalived.Kill,
		reload: keepalived.Reload,
	},
}

func kindNames() string {
	names := make([]string, 0, len(procKinds))
	for k := range procKinds {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// procTarget resolves NODE KIND on the chosen lab.
func procTarget(verb, labName string, args []string) (*topo.Lab, *topo.Host, procKind, error) {
	kind, ok := procKinds[args[1]]
	if !ok {
		return nil, nil, procKind{}, fmt.Errorf("%s: unknown process kind %q (kinds: %s)", verb, args[1], kindNames())
	}
	lab, h, err := openHost(labName, args[0])
	if err != nil {
		return nil, nil, procKind{}, err
	}
	return lab, h, kind, nil
}

func newStartCmd() *cobra.Command {
	var labName string
	cmd := &cobra.Command{
		Use:   "start NODE KIND",
		Short: "Start a supervised process on a node (KIND: server, keepalived)",
		Long: `Start a process on a node of a lab, detached, with its output in the lab's
state directory (logs/NODE.KIND.log). KIND server is the built-in backend:
HTTP on every port the lab file's services send to this node (80 if none),
echo on 7 over TCP and UDP. The documents' "systemctl start httpd".
KIND keepalived is Debian's keepalived on a director, with the
keepalived.conf rendered from the lab file (or the file the node names),
kept in the state directory as keepalived/NODE.conf. The documents'
"systemctl start keepalived".`,
		Example: `  lvslab start web1 server
  lvslab start -l dr web2 server
  lvslab start lvs01 keepalived`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			lab, h, kind, err := procTarget("start", labName, args)
			if err != nil {
				return err
			}
			if err := kind.start(lab, h); err != nil {
				return err
			}
			pid, _, err := h.Process(args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s started on %s (pid %d, log %s)\n", args[1], h.Name(), pid, h.ProcessLog(args[1]))
			return nil
		},
	}
	labFlag(cmd, &labName)
	return cmd
}

func newStopCmd() *cobra.Command {
	var labName string
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "stop NODE KIND",
		Short: "Stop a supervised process on a node: SIGTERM, then SIGKILL",
		Long: `Stop a process started with lvslab start: SIGTERM, and SIGKILL if it is
still running after --grace. The documents' "systemctl stop httpd" and
"systemctl stop keepalived" (SIGTERM: keepalived sends a priority-0
advert, drops its VIPs and deletes its virtual servers).
Stopping a process that does not run is not an error.`,
		Example: `  lvslab stop web1 server
  lvslab stop lvs01 keepalived`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, h, kind, err := procTarget("stop", labName, args)
			if err != nil {
				return err
			}
			if err := kind.stop(h, grace); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s stopped on %s\n", args[1], h.Name())
			return nil
		},
	}
	labFlag(cmd, &labName)
	cmd.Flags().DurationVar(&grace, "grace", 6*time.Second, "time between SIGTERM and SIGKILL")
	return cmd
}

func newKillCmd() *cobra.Command {
	var labName string
	cmd := &cobra.Command{
		Use:   "kill NODE KIND",
		Short: "Kill a supervised process on a node with SIGKILL",
		Long: `Kill a process started with lvslab start with SIGKILL, giving it no chance
to close its connections or say goodbye (for keepalived: no priority-0
advert). The documents' "kill -9".`,
		Example: `  lvslab kill web1 server
  lvslab kill lvs01 keepalived`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, h, kind, err := procTarget("kill", labName, args)
			if err != nil {
				return err
			}
			if err := kind.kill(h); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s killed on %s\n", args[1], h.Name())
			return nil
		},
	}
	labFlag(cmd, &labName)
	return cmd
}

func newReloadCmd() *cobra.Command {
	var labName string
	cmd := &cobra.Command{
		Use:   "reload NODE KIND",
		Short: "Make a supervised process re-read its configuration (KIND: keepalived)",
		Long: `Write the node's keepalived.conf again (rendered from the lab file, or copied
again from the file the node names) and send keepalived SIGHUP to re-read
it. The documents' "systemctl reload keepalived".`,
		Example: `  lvslab reload lvs01 keepalived`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			lab, h, kind, err := procTarget("reload", labName, args)
			if err != nil {
				return err
			}
			if kind.reload == nil {
				return fmt.Errorf("reload: process kind %q has no configuration to reload", args[1])
			}
			if err := kind.reload(lab, h); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s reloaded on %s\n", args[1], h.Name())
			return nil
		},
	}
	labFlag(cmd, &labName)
	return cmd
}
