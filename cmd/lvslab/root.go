package main

import (
	"github.com/spf13/cobra"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "lvslab",
		Short: "Stand up LVS / keepalived labs in network namespaces",
		Long: `lvslab builds the LVS-NAT, LVS-DR, LVS-TUN and keepalived topologies of
its lab files from network namespaces and veth pairs, runs the real
pieces inside them, and lets you poke at them.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newUpCmd(), newDownCmd(), newListCmd(), newStatusCmd(), newExecCmd(), newVMCmd(), newScriptCmd(), newBenchCmd(), newIPVSCmd(), newCaptureCmd(), newPathCmd(), newDemoCmd(), newReportCmd(), newNotifyLogCmd(), newLogsCmd(), newLintCmd(), newImportCmd(), newVerifyCmd())
	root.AddCommand(procCmds()...)
	root.AddCommand(faultCmds()...)
	return root
}
