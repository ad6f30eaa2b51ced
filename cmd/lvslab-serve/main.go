// Command lvslab-serve is a lab real server's built-in backend, the
// program `lvslab start NODE server` runs in the node's namespace: the
// same code and flags as `lvslab serve`, in an executable that imports
// only what serving needs (package realserver/backend).
//
//	lvslab-serve --node web1 --http 80,8080 --tcp-echo 7 --udp-echo 7
//
// With --hub SOCKET it serves many nodes instead, each in its own
// namespace, as a lab's real servers (backend.Hub): realserver.Start
// asks it over SOCKET to serve a node, stop and kill ask it to end one.
//
//	lvslab-serve --hub /run/lvslab/dr/servers.sock
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"

	"github.com/lvslab/lvslab/realserver/backend"
)

// init keeps the main goroutine on the main thread, and so every other
// goroutine off it. A hub's goroutine that opens a node's sockets enters
// the node's namespace and ends locked to its thread, which then ends;
// but the runtime cannot end the main thread, and would leave it parked
// in that namespace, where /proc/PID/ns/net (the main thread's) would
// then place the whole hub (seen in the guest: the hub "in" an RS's
// namespace rather than the switch's).
func init() { runtime.LockOSThread() }

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
	var f backend.Flags
	var httpPorts, tcpPorts, udpPorts ports
	fs.StringVar(&f.Node, "node", "", "name to answer with (the node's name in the lab file; required)")
	fs.Var(&httpPorts, "http", "HTTP ports")
	fs.Var(&tcpPorts, "tcp-echo", "TCP echo ports")
	fs.Var(&udpPorts, "udp-echo", "UDP echo ports")
	fs.StringVar(&f.Bind, "bind", "", "address to listen on (default 0.0.0.0, which includes a VIP on lo or tunl0)")
	hub := fs.String("hub", "", "serve many nodes, driven over this unix socket (no other flag)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *hub != "" {
		if fs.NFlag() > 1 {
			return errors.New("--hub takes no other flag")
		}
		return backend.RunHubUntilSignal(*hub, os.Stdout)
	}
	f.HTTP, f.TCPEcho, f.UDPEcho = httpPorts, tcpPorts, udpPorts
	opts, err := f.Options()
	if err != nil {
		return err
	}
	return backend.RunUntilSignal(opts, os.Stdout)
}
