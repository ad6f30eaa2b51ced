package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/spf13/cobra"
)

func newExecCmd() *cobra.Command {
	var labName string
	cmd := &cobra.Command{
		Use:   "exec NODE -- CMD...",
		Short: "Run a command inside a node's namespace",
		Long: `Run CMD inside the node's network namespace, as ip netns exec does (with
/sys remounted for it). Standard input and output pass through, and the
command's exit status becomes lvslab's.`,
		Example: `  lvslab exec client -- curl -s http://192.168.10.30/
  lvslab exec -l dr web1 -- ip addr show lo`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 1 {
				return errors.New("exec: usage: lvslab exec NODE -- CMD")
			}
			_, host, err := openHost(labName, args[0])
			if err != nil {
				return err
			}
			ip, err := exec.LookPath("ip")
			if err != nil {
				return fmt.Errorf("exec: iproute2's ip is needed: %w", err)
			}
			c := host.Command(cmd.Context(), args[1:]...)
			// Replace lvslab with `ip netns exec`, which execs CMD: signals,
			// the terminal and the exit status are then CMD's own.
			return syscall.Exec(ip, c.Args, os.Environ())
		},
	}
	labFlag(cmd, &labName)
	return cmd
}
