package main

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/lvslab/lvslab/captures"
	"github.com/lvslab/lvslab/topo"
)

func newCaptureCmd() *cobra.Command {
	var labName, links, out string
	var ports []uint
	var hosts []string
	var maxDuration time.Duration
	var maxPackets int
	cmd := &cobra.Command{
		Use:   "capture [-l LAB] [--links node:if,...] [--out DIR] -- CMD...",
		Short: "Run a command while capturing on the lab's links",
		Long: `Capture on the chosen links of a lab (default: every interface of every
node) while CMD runs, then print the pcap files, one per link, named
NODE-IFACE.pcap. CMD runs in the root namespace: reach the lab's nodes
with lvslab exec. The files open in Wireshark and tshark; lvslab path
reads them back as a hop table. Without --out they go to the lab's state
directory, which lvslab down removes. lvslab exits as CMD did.`,
		Example: `  lvslab capture -- lvslab exec client -- curl -s http://192.168.188.100/
  lvslab capture --links lvs:eth0,web1:eth0 --out /tmp/dr -- sleep 5`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 0 {
				return errors.New("capture: usage: lvslab capture [flags] -- CMD")
			}
			lab, err := openLab(labName)
			if err != nil {
				return err
			}
			ls, err := captures.ParseLinks(links)
			if err != nil {
				return err
			}
			opts := captures.Options{Dir: out, MaxDuration: maxDuration, MaxPackets: maxPackets}
			for _, p := range ports {
				if p > 65535 {
					return fmt.Errorf("capture: --port %d: not a port", p)
				}
				opts.Filter.Ports = append(opts.Filter.Ports, uint16(p))
			}
			for _, h := range hosts {
				a, err := netip.ParseAddr(h)
				if err != nil {
					return fmt.Errorf("capture: --host: %w", err)
				}
				opts.Filter.Hosts = append(opts.Filter.Hosts, a)
			}
			c, err := captures.Start(cmd.Context(), lab, ls, opts)
			if err != nil {
				return err
			}
			runErr := runForeground(args)
			files, err := c.Stop()
			for _, f := range files {
				fmt.Fprintln(cmd.OutOrStdout(), f)
			}
			if err != nil {
				return err
			}
			return runErr
		},
	}
	labFlag(cmd, &labName)
	cmd.Flags().StringVar(&links, "links", "", "links to capture on, node:if,... (default: all)")
	cmd.Flags().StringVarP(&out, "out", "o", "", "directory for the pcaps (default: the lab's state directory)")
	cmd.Flags().UintSliceVar(&ports, "port", nil, "keep only TCP/UDP frames from or to these ports")
	cmd.Flags().StringSliceVar(&hosts, "host", nil, "keep only frames from or to these IPv4 addresses (ARP too)")
	cmd.Flags().DurationVar(&maxDuration, "max-duration", captures.DefaultMaxDuration, "stop capturing after this long")
	cmd.Flags().IntVar(&maxPackets, "max-packets", captures.DefaultMaxPackets, "stop a link's capture after this many frames")
	return cmd
}

// runForeground runs argv with the terminal, and returns its exit status
// as an *exitError. lvslab ignores the interrupt the terminal sends to
// both, so that it outlives CMD and closes the pcaps.
func runForeground(argv []string) error {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	c := exec.Command(argv[0], argv[1:]...)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := c.Start(); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	go func() {
		for s := range sigs {
			if s == syscall.SIGTERM {
				_ = c.Process.Signal(s)
			}
		}
	}()
	err := c.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code := exit.ExitCode()
		if code < 0 {
			code = 128 + int(exit.Sys().(syscall.WaitStatus).Signal())
		}
		return &exitError{code: code}
	}
	return err
}

func newPathCmd() *cobra.Command {
	var labName, labFile, flow, check string
	cmd := &cobra.Command{
		Use:   "path [--flow CLIENT:PORT-VIP:PORT] [--lab-file FILE] DIR",
		Short: "Print a connection's hops from saved pcaps",
		Long: `Read the pcaps lvslab capture left in DIR and print the hop table of one
connection: its SYN and its SYN-ACK on every cable they crossed, with the
MACs' owners, addresses, ports, TTL, IPIP outer header and the fields
each hop changed. The flow defaults to the first connection to the lab's
first service. MACs are named from the lab file: --lab-file, else the
copy kept by the lab that is up (-l, or the only one), else from the
pcaps' own links. With --check dr|nat|tun, also prove the forwarding
method and exit 1 if the path breaks it.`,
		Example: `  lvslab path /tmp/dr
  lvslab path --flow 192.168.10.6:40000-192.168.188.100:80 --lab-file labs/dr.yaml --check dr /tmp/dr`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := filepath.Glob(filepath.Join(args[0], "*.pcap"))
			if err != nil || len(files) == 0 {
				return fmt.Errorf("path: no pcaps in %s", args[0])
			}
			spec, err := pathSpec(labName, labFile)
			if err != nil {
				return err
			}
			fl, err := pathFlow(flow, spec)
			if err != nil {
				return err
			}
			p, err := captures.Trace(files, fl, spec)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), p.Table())
			if check == "" {
				return nil
			}
			checks := map[string]func(*captures.Path, *topo.Spec) error{
				"dr": captures.CheckDR, "nat": captures.CheckNAT, "tun": captures.CheckTUN,
			}
			fn, ok := checks[strings.ToLower(check)]
			if !ok {
				return fmt.Errorf("path: --check %s: want dr, nat or tun", check)
			}
			if err := fn(p, spec); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "\nLVS-%s: the path is as the method says\n", strings.ToUpper(check))
			return nil
		},
	}
	labFlag(cmd, &labName)
	cmd.Flags().StringVar(&labFile, "lab-file", "", "lab file naming the MACs (default: the running lab's)")
	cmd.Flags().StringVar(&flow, "flow", "", "connection to follow: CLIENT[:PORT]-VIP:PORT, or VIP:PORT")
	cmd.Flags().StringVar(&check, "check", "", "prove a forwarding method on the path: dr, nat or tun")
	return cmd
}

// pathSpec finds the lab file that names the MACs: the one given, else
// the lab that is up; nil when neither is there.
func pathSpec(labName, labFile string) (*topo.Spec, error) {
	if labFile != "" {
		return topo.Load(labFile)
	}
	if labName == "" {
		labs, err := topo.List()
		if err != nil || len(labs) != 1 {
			return nil, nil
		}
		labName = labs[0]
	}
	lab, err := topo.Open(labName)
	if err != nil {
		return nil, err
	}
	return lab.Spec, nil
}

func pathFlow(flow string, spec *topo.Spec) (captures.Flow, error) {
	if flow != "" {
		return captures.ParseFlow(flow)
	}
	if spec == nil || len(spec.Services) == 0 {
		return captures.Flow{}, errors.New("path: give --flow (no lab file names a service)")
	}
	svc := spec.Services[0]
	return captures.Flow{VIP: netip.AddrPortFrom(svc.VIP, svc.Port), Proto: svc.Protocol}, nil
}
