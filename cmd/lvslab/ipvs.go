package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/topo"
)

func newIPVSCmd() *cobra.Command {
	var labName string
	var stats, conns bool
	cmd := &cobra.Command{
		Use:   "ipvs NODE",
		Short: "Show a director's IPVS table as ipvsadm -Ln prints it",
		Long: `Show the IPVS table of one node of a lab, read through netlink and
/proc/net/ip_vs_conn inside the node's namespace, in exactly the layout of
ipvsadm: -Ln by default, -Ln --stats with --stats, -Lnc with -c. The kernel
must have IPVS (inside the guest kernel: lvslab vm -- lvslab ipvs …).`,
		Example: `  lvslab ipvs lvs                 # ipvsadm -Ln
  lvslab ipvs -l dr lvs --stats   # ipvsadm -Ln --stats
  lvslab ipvs lvs -c              # ipvsadm -Lnc: connections and templates
  lvslab vm -- lvslab ipvs lvs    # where the host kernel has no IPVS`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, h, err := openHost(labName, args[0])
			if err != nil {
				return err
			}
			if h.Spec.Role != topo.RoleDirector {
				fmt.Fprintf(cmd.ErrOrStderr(), "lvslab: note: %s is a %s, not a director\n", h.Name(), h.Spec.Role)
			}
			table, err := director.Snapshot(h)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			switch {
			case conns:
				fmt.Fprint(w, director.FormatConns(table.Conns))
			case stats:
				fmt.Fprint(w, director.FormatStats(table))
			default:
				fmt.Fprint(w, director.FormatTable(table))
			}
			return nil
		},
	}
	labFlag(cmd, &labName)
	cmd.Flags().BoolVar(&stats, "stats", false, "counters since each entry was added (ipvsadm -Ln --stats)")
	cmd.Flags().BoolVarP(&conns, "connection", "c", false, "the connection table (ipvsadm -Lnc)")
	cmd.MarkFlagsMutuallyExclusive("stats", "connection")
	return cmd
}
