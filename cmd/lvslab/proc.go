package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/internal/daemon"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
)

// kinds are the daemons lvslab runs on a lab's nodes, in the order
// lvslab logs prints them.
var kinds = []daemon.Kind{keepalived.Daemon{}, realserver.Daemon{}}

// kindNamed is the Kind the command line names (KIND).
func kindNamed(verb, name string) (daemon.Kind, error) {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		if k.Name() == name {
			return k, nil
		}
		names[i] = k.Name()
	}
	return nil, fmt.Errorf("%s: unknown process kind %q (kinds: %s)", verb, name, strings.Join(names, ", "))
}

// procVerb is a command over a daemon.Kind: `lvslab VERB NODE KIND`.
type procVerb struct {
	use, short, long, example string
	// done is what the command says it did: "stopped".
	done string
	// act does the verb to kind k on node h; detail is added to what the
	// command says.
	act func(k daemon.Kind, lab *topo.Lab, h *topo.Host) (detail string, err error)
}

// procCmds are the commands that run things on a lab's nodes.
func procCmds() []*cobra.Command {
	var grace time.Duration
	stop := newProcCmd(procVerb{
		use:   "stop NODE KIND",
		short: "Stop a supervised process on a node: SIGTERM, then SIGKILL",
		long: `Stop a process started with lvslab start: SIGTERM, and SIGKILL if it is
still running after --grace. The documents' "systemctl stop httpd" and
"systemctl stop keepalived" (SIGTERM: keepalived sends a priority-0
advert, drops its VIPs and deletes its virtual servers).
Stopping a process that does not run is not an error.`,
		example: `  lvslab stop web1 server
  lvslab stop lvs01 keepalived`,
		done: "stopped",
		act: func(k daemon.Kind, _ *topo.Lab, h *topo.Host) (string, error) {
			return "", k.Stop(h, grace)
		},
	})
	stop.Flags().DurationVar(&grace, "grace", 6*time.Second, "time between SIGTERM and SIGKILL")
	return []*cobra.Command{newServeCmd(), newProcCmd(startVerb), stop, newProcCmd(killVerb), newProcCmd(reloadVerb)}
}

var startVerb = procVerb{
	use:   "start NODE KIND",
	short: "Start a supervised process on a node (KIND: server, keepalived)",
	long: `Start a process on a node of a lab, detached, with its output in the lab's
state directory (logs/NODE.KIND.log). KIND server is the built-in server:
HTTP on every port the lab file's services send to this node (80 if none),
echo on 7 over TCP and UDP (or nginx, where the lab file says so). The
documents' "systemctl start httpd".
KIND keepalived is Debian's keepalived on a director, with the
keepalived.conf rendered from the lab file (or the file the node names),
kept in the state directory as keepalived/NODE.conf. The documents'
"systemctl start keepalived".`,
	example: `  lvslab start web1 server
  lvslab start -l dr web2 server
  lvslab start lvs01 keepalived`,
	done: "started",
	act: func(k daemon.Kind, lab *topo.Lab, h *topo.Host) (string, error) {
		if err := k.Start(lab, h); err != nil {
			return "", err
		}
		pid, _, err := k.Status(h)
		return fmt.Sprintf(" (pid %d, log %s)", pid, k.Log(h)), err
	},
}

var killVerb = procVerb{
	use:   "kill NODE KIND",
	short: "Kill a supervised process on a node with SIGKILL",
	long: `Kill a process started with lvslab start with SIGKILL, giving it no chance
to close its connections or say goodbye (for keepalived: no priority-0
advert). The documents' "kill -9".`,
	example: `  lvslab kill web1 server
  lvslab kill lvs01 keepalived`,
	done: "killed",
	act: func(k daemon.Kind, _ *topo.Lab, h *topo.Host) (string, error) {
		return "", k.Kill(h)
	},
}

var reloadVerb = procVerb{
	use:   "reload NODE KIND",
	short: "Make a supervised process re-read its configuration (KIND: keepalived)",
	long: `Write the node's keepalived.conf again (rendered from the lab file, or copied
again from the file the node names) and send keepalived SIGHUP to re-read
it. The documents' "systemctl reload keepalived".`,
	example: `  lvslab reload lvs01 keepalived`,
	done:    "reloaded",
	act: func(k daemon.Kind, lab *topo.Lab, h *topo.Host) (string, error) {
		r, ok := k.(daemon.Reloader)
		if !ok {
			return "", fmt.Errorf("reload: process kind %q has no configuration to reload", k.Name())
		}
		return "", r.Reload(lab, h)
	},
}

// newProcCmd is the command `lvslab VERB [-l LAB] NODE KIND`: it does
// the verb to the node's daemon of that kind and says what it did
// ("server stopped on web1").
func newProcCmd(v procVerb) *cobra.Command {
	var labName string
	verb, _, _ := strings.Cut(v.use, " ")
	cmd := &cobra.Command{
		Use:     v.use,
		Short:   v.short,
		Long:    v.long,
		Example: v.example,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := kindNamed(verb, args[1])
			if err != nil {
				return err
			}
			lab, h, err := openHost(labName, args[0])
			if err != nil {
				return err
			}
			detail, err := v.act(k, lab, h)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s on %s%s\n", k.Name(), v.done, h.Name(), detail)
			return nil
		},
	}
	labFlag(cmd, &labName)
	return cmd
}
