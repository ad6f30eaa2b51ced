package conf

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// The readers of keyword values: each reports a malformed value as an
// error at its line and says whether it read one.

// value is the single argument of a keyword line.
func (v *viewer) value(n *Node) (string, bool) {
	if len(n.Args) == 0 {
		v.errorf(n, "needs a value")
		return "", false
	}
	if len(n.Args) > 1 {
		v.d.add(n.Pos, Unknown, "%s: extra words %q ignored", n.Keyword, strings.Join(n.Args[1:], " "))
	}
	return n.Args[0], true
}

// int reads a whole number in [lo, hi].
func (v *viewer) int(n *Node, lo, hi int) (int, bool) {
	s, ok := v.value(n)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(s)
	if err != nil || i < lo || i > hi {
		v.errorf(n, "%q is not a whole number from %d to %d", s, lo, hi)
		return 0, false
	}
	return i, true
}

// timer reads a TIMER: seconds, possibly with decimals (keepalived 2).
func (v *viewer) timer(n *Node) (time.Duration, bool) {
	s, ok := v.value(n)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1e9 {
		v.errorf(n, "%q is not a number of seconds", s)
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// addr reads an IPv4 address; IPv6 is out of scope.
func (v *viewer) addr(n *Node, s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		v.errorf(n, "%q is not an IP address", s)
		return netip.Addr{}, false
	}
	if !a.Is4() {
		v.d.add(n.Pos, Unsupported, "%s: IPv6 address %s: lvslab labs are IPv4 only", n.Keyword, s)
		return netip.Addr{}, false
	}
	return a, true
}

// port reads a TCP/UDP port.
func (v *viewer) port(n *Node, s string) (uint16, bool) {
	p, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		v.errorf(n, "%q is not a port number", s)
		return 0, false
	}
	return uint16(p), true
}

// flag reads a keyword that is on when written (an optional BOOL may
// follow in keepalived 2: "true"/"false", "on"/"off", "yes"/"no").
func (v *viewer) flag(n *Node) bool {
	switch strings.ToLower(n.Arg(0)) {
	case "", "true", "on", "yes":
		return true
	case "false", "off", "no":
		return false
	}
	v.errorf(n, "%q is not a boolean", n.Arg(0))
	return false
}
