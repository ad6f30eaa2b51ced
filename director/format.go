package director

import (
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/moby/ipvs"
)

// The printers below follow ipvsadm 1.31 (ipvsadm.c print_title,
// print_service_entry, list_conn, print_conn) byte for byte, numeric
// format (-n), so a table and ipvsadm's output can be compared as strings.

// FormatTable prints t as `ipvsadm -Ln` does.
func FormatTable(t *Table) string {
	var b strings.Builder
	b.WriteString(t.Header + "\n")
	b.WriteString("Prot LocalAddress:Port Scheduler Flags\n")
	b.WriteString("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
	for _, e := range t.Services {
		s := e.Service
		b.WriteString(serviceString(s) + " " + s.SchedName)
		if s.Flags&persistentFlag != 0 {
			fmt.Fprintf(&b, " persistent %d", s.Timeout)
			if s.AddressFamily == syscall.AF_INET6 {
				if s.Netmask != 128 {
					fmt.Fprintf(&b, " mask %d", s.Netmask)
				}
			} else if s.Netmask != allOnes {
				fmt.Fprintf(&b, " mask %s", maskAddr(s.Netmask))
			}
			if s.PEName != "" {
				fmt.Fprintf(&b, " pe %s", s.PEName)
			}
		}
		b.WriteString("\n")
		for _, d := range e.Destinations {
			fmt.Fprintf(&b, "  -> %-28s %-7s %-6d %-10d %-10d\n",
				destString(s, d), forwardName(d.ConnectionFlags),
				d.Weight, d.ActiveConnections, d.InactiveConnections)
		}
	}
	return b.String()
}

// FormatStats prints t as `ipvsadm -Ln --stats` does: totals since the
// service or real server was added.
func FormatStats(t *Table) string {
	var b strings.Builder
	b.WriteString(t.Header + "\n")
	fmt.Fprintf(&b, "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n",
		"Prot LocalAddress:Port", "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes")
	for _, e := range t.Services {
		fmt.Fprintf(&b, "%-33s", serviceString(e.Service))
		writeStats(&b, e.Service.Stats)
		for _, d := range e.Destinations {
			fmt.Fprintf(&b, "  -> %-28s", destString(e.Service, d))
			writeStats(&b, ipvs.SvcStats(d.Stats))
		}
	}
	return b.String()
}

// FormatConns prints a connection table as `ipvsadm -Lnc` does.
func FormatConns(conns []Conn) string {
	var b strings.Builder
	b.WriteString("IPVS connection entries\n")
	fmt.Fprintf(&b, "pro expire %-11s %-18s %-18s %s\n", "state", "source", "virtual", "destination")
	for _, c := range conns {
		secs := int64(c.Expires / time.Second)
		expire := fmt.Sprintf("%02d:%02d", secs/60, secs%60)
		fmt.Fprintf(&b, "%-3s %-6s %-11s %-18s %-18s %s\n",
			c.Protocol, expire, c.State, c.Client, c.Virtual, c.Dest)
	}
	return b.String()
}

func writeStats(b *strings.Builder, st ipvs.SvcStats) {
	for _, v := range []uint64{uint64(st.Connections), uint64(st.PacketsIn), uint64(st.PacketsOut), st.BytesIn, st.BytesOut} {
		b.WriteString(largeNum(v))
	}
	b.WriteString("\n")
}

// largeNum is ipvsadm's print_largenum: 9 columns, K/M/G/T past 10^8.
func largeNum(i uint64) string {
	switch {
	case i < 100_000_000:
		return fmt.Sprintf("%9d", i)
	case i < 1_000_000_000:
		return fmt.Sprintf("%8dK", i/1_000)
	case i < 100_000_000_000:
		return fmt.Sprintf("%8dM", i/1_000_000)
	case i < 100_000_000_000_000:
		return fmt.Sprintf("%8dG", i/1_000_000_000)
	}
	return fmt.Sprintf("%8dT", i/1_000_000_000_000)
}

// serviceString is ipvsadm's service name: "TCP  VIP:PORT" or "FWM  MARK",
// cut at 33 bytes for IPv4 as ipvsadm cuts it.
func serviceString(s *ipvs.Service) string {
	if s.FWMark != 0 {
		if s.AddressFamily == syscall.AF_INET6 {
			return fmt.Sprintf("FWM  %d IPv6", s.FWMark)
		}
		return fmt.Sprintf("FWM  %d", s.FWMark)
	}
	name := fmt.Sprintf("%-4s %s", protocolName(s.Protocol), hostPort(s.Address, s.Port, s.AddressFamily))
	if s.AddressFamily != syscall.AF_INET6 && len(name) > 33 {
		name = name[:33]
	}
	return name
}

// destString is a real server's RIP:PORT, cut at 28 bytes for IPv4.
func destString(s *ipvs.Service, d *ipvs.Destination) string {
	name := hostPort(d.Address, d.Port, s.AddressFamily)
	if s.AddressFamily != syscall.AF_INET6 && len(name) > 28 {
		name = name[:28]
	}
	return name
}

func hostPort(ip net.IP, port uint16, family uint16) string {
	if family == syscall.AF_INET6 {
		return fmt.Sprintf("[%s]:%d", ip, port)
	}
	return fmt.Sprintf("%s:%d", ip, port)
}

func protocolName(p uint16) string {
	switch p {
	case syscall.IPPROTO_TCP:
		return "TCP"
	case syscall.IPPROTO_UDP:
		return "UDP"
	case syscall.IPPROTO_SCTP:
		return "SCTP"
	}
	return fmt.Sprintf("%d", p)
}

func forwardName(flags uint32) string {
	switch flags & ipvs.ConnectionFlagFwdMask {
	case ipvs.ConnectionFlagMasq:
		return "Masq"
	case ipvs.ConnectionFlagLocalNode:
		return "Local"
	case ipvs.ConnectionFlagTunnel:
		return "Tunnel"
	case ipvs.ConnectionFlagDirectRoute:
		return "Route"
	}
	return "?"
}
