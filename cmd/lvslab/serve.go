package main

import (
	"context"
	"fmt"
	"net/netip"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/realserver/backend"
)

func newServeCmd() *cobra.Command {
	var opts backend.Options
	var httpPorts, tcpPorts, udpPorts []string
	var bind string
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
			var err error
			if opts.HTTP, err = backend.ParsePorts("--http", httpPorts); err != nil {
				return err
			}
			if opts.TCPEcho, err = backend.ParsePorts("--tcp-echo", tcpPorts); err != nil {
				return err
			}
			if opts.UDPEcho, err = backend.ParsePorts("--udp-echo", udpPorts); err != nil {
				return err
			}
			if bind != "" {
				if opts.Bind, err = netip.ParseAddr(bind); err != nil {
					return fmt.Errorf("serve: --bind: %w", err)
				}
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			return backend.Run(ctx, opts, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Node, "node", "", "name to answer with (the node's name in the lab file)")
	f.StringSliceVar(&httpPorts, "http", nil, "HTTP ports")
	f.StringSliceVar(&tcpPorts, "tcp-echo", nil, "TCP echo ports")
	f.StringSliceVar(&udpPorts, "udp-echo", nil, "UDP echo ports")
	f.StringVar(&bind, "bind", "", "address to listen on (default 0.0.0.0, which includes a VIP on lo or tunl0)")
	_ = cmd.MarkFlagRequired("node")
	return cmd
}
