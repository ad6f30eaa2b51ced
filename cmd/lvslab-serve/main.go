// Command lvslab-serve is a lab real server's built-in backend, the
// program `lvslab start NODE server` runs in the node's namespace: the
// same code and flags as `lvslab serve`, in an executable that imports
// only what serving needs (package realserver/backend), so that one
// start costs little where a lab starts a hundred of them.
//
//	lvslab-serve --node web1 --http 80,8080 --tcp-echo 7 --udp-echo 7
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"syscall"

	"github.com/lvslab/lvslab/realserver/backend"
)

// ports collects a port-list flag's values, repeated or comma-separated.
type ports []string

func (p *ports) String() string     { return fmt.Sprint(*p) }
func (p *ports) Set(v string) error { *p = append(*p, v); return nil }

func main() {
	err := run(os.Args[1:])
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2) // the flag package said what is wrong
	default:
		fmt.Fprintln(os.Stderr, "lvslab-serve:", err)
		os.Exit(1)
	}
}

// errUsage is a command line the flag package refused.
var errUsage = errors.New("usage")

func run(args []string) error {
	fs := flag.NewFlagSet("lvslab-serve", flag.ContinueOnError)
	var opts backend.Options
	var httpPorts, tcpPorts, udpPorts ports
	var bind string
	fs.StringVar(&opts.Node, "node", "", "name to answer with (the node's name in the lab file; required)")
	fs.Var(&httpPorts, "http", "HTTP ports")
	fs.Var(&tcpPorts, "tcp-echo", "TCP echo ports")
	fs.Var(&udpPorts, "udp-echo", "UDP echo ports")
	fs.StringVar(&bind, "bind", "", "address to listen on (default 0.0.0.0, which includes a VIP on lo or tunl0)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if opts.Node == "" {
		return fmt.Errorf("--node is required")
	}
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
	return backend.Run(ctx, opts, os.Stdout)
}
