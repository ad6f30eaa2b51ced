package main

import (
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/internal/labup"
	"github.com/lvslab/lvslab/topo"
	"github.com/lvslab/lvslab/vm"
)

func newUpCmd() *cobra.Command {
	var opts labup.Options
	var noWait bool
	cmd := &cobra.Command{
		Use:   "up FILE",
		Short: "Stand up a lab from a lab file",
		Long: `Build the lab's network — a namespace per node, a bridge per segment, veth
pairs, addresses, routes and sysctls — and then its LVS pieces.

The LVS pieces need a kernel with IPVS. On a host without it, use
--topology-only for the network alone, or run lvslab inside the guest kernel
(make lab, or lvslab vm -- lvslab up FILE). A failure to build or start
leaves nothing behind.

Then it waits until the lab is ready for a first request, and prints how long
each kind of wait took: every backend listens; every director lists each
service's real servers (on keepalived's directors, once their first health
check passed); each VRRP instance's expected MASTER (the highest priority, or
with nopreempt or equal priorities any member no other preempts) holds its
VIPs alone. Each wait is bounded by the lab file's timers (Master_Down_Interval
= 3 × advert_int + skew, preempt_delay; warmup, delay_loop and
connect_timeout of the checks) plus 10 s; past that it fails, naming what is
not ready, and leaves the lab up to look at (lvslab status, lvslab logs).
--no-wait returns once everything is started, to watch it converge.`,
		Example: `  lvslab up labs/dr.yaml
  lvslab up --no-wait labs/dr-keepalived.yaml && lvslab logs -f lvs01 keepalived
  lvslab up --topology-only --name dr2 labs/dr.yaml
  lvslab vm -- lvslab up labs/dr-keepalived.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := topo.Load(args[0])
			if err != nil {
				return err
			}
			if !opts.TopologyOnly {
				needs, err := vm.NeedsVM()
				if err != nil {
					return err
				}
				if needs {
					return fmt.Errorf("up %s: this kernel has no IPVS; run it in the guest kernel (make lab, or lvslab vm -- lvslab up %s), or build just the network with --topology-only", args[0], args[0])
				}
			}
			start := time.Now()
			lab, err := labup.Up(cmd.Context(), spec, opts)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "lab %s is up: %d nodes, %d segments (%s)\n",
				lab.Name, len(spec.Nodes), len(spec.Segments), time.Since(start).Round(time.Millisecond))
			if !opts.TopologyOnly && !noWait {
				readies, err := labup.WaitReady(cmd.Context(), lab)
				for _, r := range readies {
					fmt.Fprintln(w, r)
				}
				if err != nil {
					return fmt.Errorf("lab %s is up but not ready (it stays up: lvslab status %s, lvslab logs -l %s NODE): %w", lab.Name, lab.Name, lab.Name, err)
				}
				fmt.Fprintf(w, "lab %s is ready (%s)\n", lab.Name, time.Since(start).Round(time.Millisecond))
			}
			printTry(w, lab)
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.Name, "name", "", "lab name (default: the file's name:)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "replace a lab of the same name that is up")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "return once everything is started, without waiting for VRRP, health checks and backends")
	cmd.Flags().BoolVar(&opts.TopologyOnly, "topology-only", false, "build the network only: no IPVS, no daemons (works on any kernel)")
	return cmd
}

func newDownCmd() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "down [NAME]",
		Short: "Tear a lab down",
		Long: `End every process inside the lab's namespaces, delete the namespaces (and
with them every veth and bridge) and the lab's state. Works on half-built
labs too.`,
		Example: `  lvslab down dr
  lvslab down --all`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var names []string
			switch {
			case all && len(args) > 0:
				return fmt.Errorf("down: give a NAME or --all, not both")
			case all:
				var err error
				if names, err = topo.List(); err != nil {
					return err
				}
			default:
				name := ""
				if len(args) == 1 {
					name = args[0]
				}
				name, err := pickLab(name)
				if err != nil {
					return err
				}
				names = []string{name}
			}
			for _, name := range names {
				if err := topo.Destroy(name); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "lab %s is down\n", name)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "tear down every lab that is up")
	return cmd
}

func newListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the labs that are up",
		Example: "  lvslab list",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			names, err := topo.List()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%-20s %-9s %-6s %-20s %s\n", "NAME", "STATE", "NODES", "CREATED", "FILE")
			for _, name := range names {
				st, err := topo.ReadState(name)
				if err != nil {
					return err
				}
				state := "up"
				switch {
				case st.Stale():
					state = "stale"
				case !st.Complete:
					state = "partial"
				}
				fmt.Fprintf(w, "%-20s %-9s %-6d %-20s %s\n", name, state, len(st.Namespaces)-1,
					st.Created.Local().Format("2006-01-02 15:04:05"), st.File)
			}
			return nil
		},
	}
}

// printTry suggests first commands for a lab that just came up.
func printTry(w io.Writer, lab *topo.Lab) {
	fmt.Fprintf(w, "try:\n  lvslab status %s\n", lab.Name)
	client := lab.Spec.Nodes[0].Name
	if n := lab.Spec.FirstOf(topo.RoleClient); n != nil {
		client = n.Name
	}
	for _, svc := range lab.Spec.Services {
		if svc.FWMark == 0 && svc.Port != 0 {
			url := "http://" + netip.AddrPortFrom(svc.VIP, svc.Port).String() + "/"
			if svc.Port == 80 {
				url = "http://" + svc.VIP.String() + "/"
			}
			fmt.Fprintf(w, "  lvslab exec -l %s %s -- curl -s %s\n", lab.Name, client, url)
			break
		}
	}
	for _, n := range lab.Spec.Nodes {
		if keepalived.Manages(lab.Spec, n.Name) {
			fmt.Fprintf(w, "  lvslab logs -l %s %s keepalived\n", lab.Name, n.Name)
			break
		}
	}
	fmt.Fprintf(w, "  lvslab exec -l %s %s -- ip addr\n  lvslab down %s\n", lab.Name, client, lab.Name)
}
