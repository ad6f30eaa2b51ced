package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/vishvananda/netlink"

	"github.com/lvslab/lvslab/director"
	"github.com/lvslab/lvslab/director/keepalived"
	"github.com/lvslab/lvslab/realserver"
	"github.com/lvslab/lvslab/topo"
	"github.com/lvslab/lvslab/vm"
)

func newStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status [NAME]",
		Short: "Show a lab's nodes, interfaces, addresses, MACs and routes",
		Long: `Show each node of a lab as the kernel sees it: interfaces with their MAC,
state and addresses, and routes. For directors, the IPVS table too when the
kernel has IPVS, and each VRRP instance's state and effective priority as
the director's keepalived last logged them (STOPPED when it does not run).
Each node's daemon logs are named too: they are only in the lab's state
directory, and lvslab logs prints them.`,
		Example: `  lvslab status
  lvslab status dr`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			lab, err := openLab(name)
			if err != nil {
				return err
			}
			needsVM, err := vm.NeedsVM()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "lab %s (%s)\n", lab.Name, lab.State.File)
			fmt.Fprintf(w, "logs in %s (lvslab logs [-f] NODE [KIND])\n", topo.LogDir(lab.Name))
			for _, h := range lab.Hosts() {
				if err := printHost(w, h, !needsVM); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func printHost(w io.Writer, h *topo.Host, ipvs bool) error {
	fmt.Fprintf(w, "\n%s (%s)  netns %s\n", h.Name(), h.Spec.Role, h.Namespace())
	nl, err := h.Netlink()
	if err != nil {
		return err
	}
	defer nl.Close()
	links, err := nl.LinkList()
	if err != nil {
		return fmt.Errorf("list links of %s: %w", h.Name(), err)
	}
	for _, l := range links {
		attrs := l.Attrs()
		addrs, err := nl.AddrList(l, netlink.FAMILY_V4)
		if err != nil {
			return fmt.Errorf("list addresses of %s %s: %w", h.Name(), attrs.Name, err)
		}
		var list []string
		for _, a := range addrs {
			list = append(list, a.IPNet.String())
		}
		if !inLabFile(h, attrs.Name) && (len(list) == 0 || attrs.Name == "lo" && len(list) == 1) {
			continue // plain loopback, or a fallback device (tunl0) nobody uses
		}
		fmt.Fprintf(w, "  %-8s %-17s %-5s %s\n", attrs.Name, macOf(attrs.HardwareAddr),
			strings.ToLower(attrs.OperState.String()), strings.Join(list, " "))
	}
	routes, err := nl.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("list routes of %s: %w", h.Name(), err)
	}
	for _, r := range routes {
		fmt.Fprintf(w, "  route %s\n", routeString(nl, r))
	}
	if h.Spec.Role == topo.RoleDirector {
		insts, err := keepalived.States(h)
		if err != nil {
			return err
		}
		for _, in := range insts {
			state := in.State
			if state == "" {
				state = "starting"
			}
			fmt.Fprintf(w, "  vrrp %-8s %-8s priority %d", in.Name, state, in.Priority)
			if in.Priority != in.Configured {
				fmt.Fprintf(w, " (configured %d)", in.Configured)
			}
			fmt.Fprintln(w)
		}
	}
	for _, kind := range []string{keepalived.ProcessName, realserver.ProcessName} {
		if p := h.ProcessLog(kind); fileExists(p) {
			fmt.Fprintf(w, "  log %-10s %s\n", kind, p)
		}
	}
	if ipvs && h.Spec.Role == topo.RoleDirector {
		snap, err := director.Snapshot(h)
		if err != nil {
			return err
		}
		fmt.Fprint(w, indent(director.FormatTable(snap), "  "))
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func macOf(hw net.HardwareAddr) string {
	if len(hw) == 0 {
		return "-"
	}
	return hw.String()
}

func routeString(nl *netlink.Handle, r netlink.Route) string {
	dst := "default"
	if ones, _ := maskSize(r.Dst); r.Dst != nil && (ones > 0 || !r.Dst.IP.IsUnspecified()) {
		dst = r.Dst.String()
	}
	var b strings.Builder
	b.WriteString(dst)
	if r.Gw != nil {
		fmt.Fprintf(&b, " via %s", r.Gw)
	}
	if link, err := nl.LinkByIndex(r.LinkIndex); err == nil {
		fmt.Fprintf(&b, " dev %s", link.Attrs().Name)
	}
	if r.Src != nil {
		fmt.Fprintf(&b, " src %s", r.Src)
	}
	return b.String()
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "")
}

func maskSize(n *net.IPNet) (int, int) {
	if n == nil {
		return 0, 0
	}
	return n.Mask.Size()
}

// inLabFile tells whether the lab file names this interface of the node.
func inLabFile(h *topo.Host, name string) bool { return h.Spec.Interface(name) != nil }
