package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/realserver/backend"
)

func newServeCmd() *cobra.Command {
	var f backend.Flags
	cmd := &cobra.Command{
		Use:   "serve --node NAME [--http PORT,...] [--tcp-echo PORT,...] [--udp-echo PORT,...]",
		Short: "Run the built-in real-server backend (inside a node's namespace)",
		Long: `Run the backend a lab's real servers use. Every HTTP GET is answered with
the node's name, then "client IP:PORT" and "local IP:PORT" lines: the address
the server saw the request from and the one it arrived on. TCP and UDP echo
answer with "NAME " and what was received. SIGTERM or SIGINT shut it down
gracefully.

It serves in the namespace it is started in: lvslab start NODE server runs
it on a node of a lab, with the ports of the lab file's services, as the
small executable lvslab-serve beside lvslab (same code, same flags).`,
		Example: `  lvslab start web1 server
  lvslab exec web1 -- lvslab serve --node web1 --http 80,8080 --tcp-echo 7 --udp-echo 7`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := f.Options()
			if err != nil {
				return fmt.Errorf("serve: %w", err)
			}
			return backend.RunUntilSignal(opts, cmd.OutOrStdout())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Node, "node", "", "name to answer with (the node's name in the lab file)")
	fl.StringSliceVar(&f.HTTP, "http", nil, "HTTP ports")
	fl.StringSliceVar(&f.TCPEcho, "tcp-echo", nil, "TCP echo ports")
	fl.StringSliceVar(&f.UDPEcho, "udp-echo", nil, "UDP echo ports")
	fl.StringVar(&f.Bind, "bind", "", "address to listen on (default 0.0.0.0, which includes a VIP on lo or tunl0)")
	_ = cmd.MarkFlagRequired("node")
	return cmd
}
