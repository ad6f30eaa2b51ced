package director

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/lvslab/lvslab/topo"
)

// saveOptions are one ipvsadm command line's options, long names folded
// to short ones.
type saveOptions struct {
	command string            // -A, -a, -C, …
	values  map[string]string // -t VIP:PORT, -s rr, …
	flags   map[string]bool   // -g, -o, -6, …
	// persistent is -p, whose timeout is optional.
	persistent bool
}

// Long options and their short names (ipvsadm.c's long_options).
var longOptions = map[string]string{
	"--add-service": "-A", "--edit-service": "-E", "--delete-service": "-D",
	"--clear": "-C", "--add-server": "-a", "--edit-server": "-e", "--delete-server": "-d",
	"--tcp-service": "-t", "--udp-service": "-u", "--sctp-service": "--sctp-service",
	"--fwmark-service": "-f", "--scheduler": "-s", "--persistent": "-p",
	"--netmask": "-M", "--real-server": "-r", "--masquerading": "-m",
	"--ipip": "-i", "--gatewaying": "-g", "--weight": "-w",
	"--u-threshold": "-x", "--l-threshold": "-y", "--ops": "-o",
	"--sched-flags": "-b", "--ipv6": "-6",
}

// Options that take a value, and flags that do not.
var (
	valueOptions = set("-t", "-u", "--sctp-service", "-f", "-s", "-M", "-r", "-w", "-x", "-y", "-b", "--pe", "--tun-type", "--tun-port")
	flagOptions  = set("-m", "-i", "-g", "-o", "-6", "--tun-nocsum", "--tun-csum", "--tun-remcsum")
	commands     = set("-A", "-E", "-D", "-C", "-a", "-e", "-d")
)

func set(words ...string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words {
		m[w] = true
	}
	return m
}

func parseSaveOptions(args []string) (*saveOptions, error) {
	o := &saveOptions{values: map[string]string{}, flags: map[string]bool{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if v, ok := longOptions[a]; ok {
			a = v
		}
		switch {
		case commands[a]:
			if o.command != "" {
				return nil, fmt.Errorf("two commands on one line: %s and %s", o.command, a)
			}
			o.command = a
		case a == "-p":
			o.persistent = true
			// The timeout is optional: the next word, if it is a number.
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				o.values["-p"] = args[i+1]
				i++
			}
		case valueOptions[a]:
			if i+1 >= len(args) {
				return nil, fmt.Errorf("%s needs a value", args[i])
			}
			if _, dup := o.values[a]; dup {
				return nil, fmt.Errorf("%s given twice", args[i])
			}
			o.values[a] = args[i+1]
			i++
		case flagOptions[a]:
			o.flags[a] = true
		default:
			return nil, fmt.Errorf("unknown option %q", args[i])
		}
	}
	if o.command == "" {
		return nil, errors.New("no command (-A, -a or -C)")
	}
	return o, nil
}

// service reads the service an -A or -a line names, and for -A its
// scheduler and persistence.
func (o *saveOptions) service(line int) (*SavedService, error) {
	s := &SavedService{Line: line, Scheduler: "wlc", IPv6: o.flags["-6"]}
	var kinds []string
	for _, k := range []string{"-t", "-u", "--sctp-service", "-f"} {
		if _, ok := o.values[k]; ok {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) != 1 {
		return nil, errors.New("needs exactly one of -t, -u, --sctp-service, -f")
	}
	if kinds[0] == "-f" {
		m, err := strconv.ParseUint(o.values["-f"], 10, 32)
		if err != nil || m == 0 {
			return nil, fmt.Errorf("-f %s: not a firewall mark (1 to 4294967295)", o.values["-f"])
		}
		s.FWMark = uint32(m)
	} else {
		s.Protocol = map[string]string{"-t": "tcp", "-u": "udp", "--sctp-service": "sctp"}[kinds[0]]
		ap, err := addrPort(o.values[kinds[0]], 0)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", kinds[0], o.values[kinds[0]], err)
		}
		s.VIP, s.Port = ap.Addr(), ap.Port()
		s.IPv6 = ap.Addr().Is6()
	}
	if o.command != "-A" {
		return s, nil
	}
	if v, ok := o.values["-s"]; ok {
		s.Scheduler = v
	}
	if o.persistent {
		s.Persistent, s.Timeout = true, 360
		if v, ok := o.values["-p"]; ok {
			t, err := strconv.ParseUint(v, 10, 32)
			if err != nil || t == 0 {
				return nil, fmt.Errorf("-p %s: not a timeout in seconds", v)
			}
			s.Timeout = uint32(t)
		}
	}
	if v, ok := o.values["-M"]; ok {
		if !s.Persistent {
			return nil, errors.New("-M without -p: a netmask is for persistence")
		}
		m, err := netmask(v, s.IPv6)
		if err != nil {
			return nil, fmt.Errorf("-M %s: %w", v, err)
		}
		s.Netmask = m
	}
	s.OPS = o.flags["-o"]
	if s.OPS && s.Protocol != "udp" {
		return nil, errors.New("-o (one-packet scheduling) is for UDP services only")
	}
	s.PE = o.values["--pe"]
	if v, ok := o.values["-b"]; ok {
		s.SchedFlags = strings.Split(v, ",")
	}
	for _, k := range []string{"-r", "-w", "-x", "-y", "-g", "-m", "-i"} {
		if _, ok := o.values[k]; ok || o.flags[k] {
			return nil, fmt.Errorf("%s belongs on an -a line, not -A", k)
		}
	}
	return s, nil
}

// realServer reads an -a line's real server of svc.
func (o *saveOptions) realServer(line int, svc *SavedService) (*SavedRealServer, error) {
	rs := &SavedRealServer{Line: line, Forward: topo.ForwardDR, Weight: 1}
	v, ok := o.values["-r"]
	if !ok {
		return nil, errors.New("needs -r RIP[:PORT]")
	}
	ap, err := addrPort(v, svc.Port)
	if err != nil {
		return nil, fmt.Errorf("-r %s: %w", v, err)
	}
	rs.RIP, rs.Port = ap.Addr(), ap.Port()
	n := 0
	for flag, fwd := range map[string]topo.Forward{"-g": topo.ForwardDR, "-m": topo.ForwardNAT, "-i": topo.ForwardTUN} {
		if o.flags[flag] {
			rs.Forward = fwd
			n++
		}
	}
	if n > 1 {
		return nil, errors.New("more than one of -g, -m, -i")
	}
	for _, f := range []struct {
		opt string
		dst *uint32
	}{{"-x", &rs.Upper}, {"-y", &rs.Lower}} {
		if v, ok := o.values[f.opt]; ok {
			x, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("%s %s: not a connection count", f.opt, v)
			}
			*f.dst = uint32(x)
		}
	}
	if v, ok := o.values["-w"]; ok {
		w, err := strconv.Atoi(v)
		if err != nil || w < 0 || w > 65535 {
			return nil, fmt.Errorf("-w %s: not a weight (0 to 65535)", v)
		}
		rs.Weight = w
	}
	if v, ok := o.values["--tun-type"]; ok {
		rs.Tunnel = append(rs.Tunnel, "--tun-type", v)
		if p, ok := o.values["--tun-port"]; ok {
			rs.Tunnel = append(rs.Tunnel, "--tun-port", p)
		}
	}
	for _, k := range []string{"-s", "-M", "-b", "--pe"} {
		if _, ok := o.values[k]; ok {
			return nil, fmt.Errorf("%s belongs on an -A line, not -a", k)
		}
	}
	return rs, nil
}

// addrPort reads ADDR[:PORT] or [ADDR6][:PORT]; a missing port is def.
// Host and service names (ipvsadm-save without -n) are refused.
func addrPort(s string, def uint16) (netip.AddrPort, error) {
	host, port := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.Index(s, "]")
		if end < 0 {
			return netip.AddrPort{}, errors.New("unclosed [")
		}
		host, port = s[1:end], strings.TrimPrefix(s[end+1:], ":")
	case strings.Count(s, ":") == 1:
		host, port, _ = strings.Cut(s, ":")
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%q is not a numeric address (save with ipvsadm -Sn)", host)
	}
	p := def
	if port != "" {
		x, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return netip.AddrPort{}, fmt.Errorf("%q is not a numeric port (save with ipvsadm -Sn)", port)
		}
		p = uint16(x)
	}
	return netip.AddrPortFrom(a, p), nil
}

// netmask reads -M: a dotted IPv4 mask, or an IPv6 prefix length
// (returned as the mask it stands for).
func netmask(s string, ipv6 bool) (netip.Addr, error) {
	if ipv6 {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 128 {
			return netip.Addr{}, errors.New("not an IPv6 prefix length")
		}
		var m [16]byte
		for i := range n {
			m[i/8] |= 0x80 >> (i % 8)
		}
		return netip.AddrFrom16(m), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, errors.New("not an IPv4 netmask")
	}
	return a, nil
}
