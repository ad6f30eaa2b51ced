package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/topo"
)

func newScriptCmd() *cobra.Command {
	var name string
	var down bool
	cmd := &cobra.Command{
		Use:   "script FILE",
		Short: "Print the ip(8) commands equivalent to up --topology-only",
		Long: `Print a shell script of ip(8) commands that builds the same network as
lvslab up --topology-only (or, with --down, removes it). lvslab itself builds
through netlink in-process; the script shows what that amounts to, and is
the baseline lvslab bench compares against.`,
		Example: `  lvslab script labs/dr.yaml
  lvslab script --name drsh labs/dr.yaml | sh`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := topo.Load(args[0])
			if err != nil {
				return err
			}
			if name == "" {
				name = spec.Name
			}
			if err := topo.CheckLabName(name); err != nil {
				return err
			}
			if down {
				fmt.Fprint(cmd.OutOrStdout(), topo.ShellTeardown(spec, name))
			} else {
				fmt.Fprint(cmd.OutOrStdout(), topo.ShellScript(spec, name))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "lab name (default: the file's name:)")
	cmd.Flags().BoolVar(&down, "down", false, "print the teardown instead")
	return cmd
}
