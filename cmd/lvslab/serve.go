package main

import (
	"context"
	"fmt"
	"net/netip"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/realserver"
)

func newServeCmd() *cobra.Command {
	var opts realserver.ServeOptions
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
it on a node of a lab, with the ports of the lab file's services.`,
		Example: `  lvslab start web1 server
  lvslab exec web1 -- lvslab serve --node web1 --http 80,8080 --tcp-echo 7 --udp-echo 7`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.HTTP, err = parsePorts("--http", httpPorts); err != nil {
				return err
			}
			if opts.TCPEcho, err = parsePorts("--tcp-echo", tcpPorts); err != nil {
				return err
			}
			if opts.UDPEcho, err = parsePorts("--udp-echo", udpPorts); err != nil {
				return err
			}
			if bind != "" {
				if opts.Bind, err = netip.ParseAddr(bind); err != nil {
					return fmt.Errorf("serve: --bind: %w", err)
				}
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			s, err := realserver.Listen(opts)
			if err != nil {
				return fmt.Errorf("serve: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "serving as %s: http %v, tcp echo %v, udp echo %v\n",
				opts.Node, opts.HTTP, opts.TCPEcho, opts.UDPEcho)
			if err := s.Serve(ctx); err != nil {
				return fmt.Errorf("serve: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s shut down\n", opts.Node)
			return nil
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

func parsePorts(flag string, values []string) ([]uint16, error) {
	ports := make([]uint16, 0, len(values))
	for _, v := range values {
		p, err := strconv.ParseUint(v, 10, 16)
		if err != nil || p == 0 {
			return nil, fmt.Errorf("serve: %s: %q is not a port (1-65535)", flag, v)
		}
		ports = append(ports, uint16(p))
	}
	return ports, nil
}
