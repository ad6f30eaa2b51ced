package director

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/lvslab/lvslab/topo"
)

// SaveLines prints s as `ipvsadm -Sn` (ipvsadm 1.31) does: the -A line,
// then an -a line per real server. ipvsadm 1.31 does not save the
// thresholds (-x, -y), and neither does this.
func (s *SavedService) SaveLines() []string {
	var b strings.Builder
	fmt.Fprintf(&b, "-A %s -s %s", s.saveName(), s.Scheduler)
	if s.Persistent {
		fmt.Fprintf(&b, " -p %d", s.Timeout)
		if s.Netmask.IsValid() && s.Netmask != allOnesMask(s.IPv6) {
			if s.IPv6 {
				fmt.Fprintf(&b, " -M %d", maskBits(s.Netmask))
			} else {
				fmt.Fprintf(&b, " -M %s", s.Netmask)
			}
		}
		if s.PE != "" {
			fmt.Fprintf(&b, " --pe %s", s.PE)
		}
	}
	if s.OPS {
		b.WriteString(" -o")
	}
	if len(s.SchedFlags) > 0 {
		fmt.Fprintf(&b, " -b %s", strings.Join(s.SchedFlags, ","))
	}
	out := []string{b.String()}
	for _, rs := range s.RealServers {
		line := fmt.Sprintf("-a %s -r %s %s -w %d", s.saveName(), saveAddr(rs.RIP, rs.Port), forwardSwitch[rs.Forward], rs.Weight)
		if len(rs.Tunnel) > 0 {
			line += " " + strings.Join(rs.Tunnel, " ")
		}
		out = append(out, line)
	}
	return out
}

var forwardSwitch = map[topo.Forward]string{topo.ForwardDR: "-g", topo.ForwardNAT: "-m", topo.ForwardTUN: "-i"}

// saveName is the service's option as ipvsadm -S writes it.
func (s *SavedService) saveName() string {
	if s.FWMark != 0 {
		if s.IPv6 {
			return fmt.Sprintf("-f %d -6", s.FWMark)
		}
		return fmt.Sprintf("-f %d", s.FWMark)
	}
	flag := map[string]string{"tcp": "-t", "udp": "-u", "sctp": "--sctp-service"}[s.Protocol]
	return flag + " " + saveAddr(s.VIP, s.Port)
}

func saveAddr(a netip.Addr, port uint16) string {
	if a.Is6() {
		return fmt.Sprintf("[%s]:%d", a, port)
	}
	return fmt.Sprintf("%s:%d", a, port)
}

func allOnesMask(ipv6 bool) netip.Addr {
	if ipv6 {
		return netip.AddrFrom16([16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	}
	return netip.AddrFrom4([4]byte{0xff, 0xff, 0xff, 0xff})
}

func maskBits(m netip.Addr) int {
	n := 0
	for _, b := range m.AsSlice() {
		for ; b&0x80 != 0; b <<= 1 {
			n++
		}
	}
	return n
}
