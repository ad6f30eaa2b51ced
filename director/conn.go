package director

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Conn is one entry of the IPVS connection table: a connection, or a
// persistence template (client port 0).
type Conn struct {
	// Protocol as the kernel names it: TCP, UDP, SCTP, or IP for the
	// templates of a firewall-mark service.
	Protocol string
	// Client is the source (CIP:CPORT); Virtual the VIP:VPORT (for a
	// firewall-mark template, 0.0.0.MARK:0); Dest the real server.
	Client, Virtual, Dest netip.AddrPort
	// State is the protocol state (ESTABLISHED, SYN_RECV, FIN_WAIT,
	// TIME_WAIT, NONE for templates …).
	State string
	// Expires is the time left before the entry goes, in whole seconds.
	Expires time.Duration
	// PEName and PEData name a persistence engine (sip) and its data;
	// usually empty.
	PEName, PEData string
}

// Template reports whether c is a persistence template: an entry keyed by
// the client address alone, with client port 0.
func (c Conn) Template() bool { return c.Client.Port() == 0 }

// connHeader starts /proc/net/ip_vs_conn.
const connHeader = "Pro FromIP"

// ParseConns parses /proc/net/ip_vs_conn:
//
//	Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
//	TCP C0A80A06 9C40 C0A8BC64 0050 C0A8BC51 0050 SYN_RECV         59
//
// IPv4 addresses and all ports are hex; IPv6 addresses are written out
// with colons. Entries keep the file's order.
func ParseConns(r io.Reader) ([]Conn, error) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("parse ip_vs_conn: %w", err)
		}
		return nil, errors.New("parse ip_vs_conn: empty input")
	}
	if !strings.HasPrefix(sc.Text(), connHeader) {
		return nil, fmt.Errorf("parse ip_vs_conn: line 1: not the %q header: %q", connHeader, sc.Text())
	}
	conns := []Conn{}
	for line := 2; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		c, err := parseConn(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("parse ip_vs_conn: line %d: %w", line, err)
		}
		conns = append(conns, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("parse ip_vs_conn: %w", err)
	}
	return conns, nil
}

func parseConn(line string) (Conn, error) {
	f := strings.Fields(line)
	if len(f) < 9 || len(f) > 11 {
		return Conn{}, fmt.Errorf("want 9 to 11 fields, got %d: %q", len(f), line)
	}
	var c Conn
	var err error
	c.Protocol = f[0]
	if c.Client, err = hexAddrPort(f[1], f[2]); err != nil {
		return Conn{}, fmt.Errorf("client: %w", err)
	}
	if c.Virtual, err = hexAddrPort(f[3], f[4]); err != nil {
		return Conn{}, fmt.Errorf("virtual: %w", err)
	}
	if c.Dest, err = hexAddrPort(f[5], f[6]); err != nil {
		return Conn{}, fmt.Errorf("destination: %w", err)
	}
	c.State = f[7]
	secs, err := strconv.ParseUint(f[8], 10, 32)
	if err != nil {
		return Conn{}, fmt.Errorf("expires %q: %w", f[8], err)
	}
	c.Expires = time.Duration(secs) * time.Second
	if len(f) > 9 {
		c.PEName = f[9]
	}
	if len(f) > 10 {
		c.PEData = f[10]
	}
	return c, nil
}

// hexAddrPort reads an address (8 hex digits for IPv4, else an IPv6
// address) and a 4-hex-digit port.
func hexAddrPort(addr, port string) (netip.AddrPort, error) {
	var ip netip.Addr
	if len(addr) == 8 && !strings.Contains(addr, ":") {
		v, err := strconv.ParseUint(addr, 16, 32)
		if err != nil {
			return netip.AddrPort{}, fmt.Errorf("address %q: %w", addr, err)
		}
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(v))
		ip = netip.AddrFrom4(b)
	} else {
		var err error
		if ip, err = netip.ParseAddr(addr); err != nil || !ip.Is6() || ip.Zone() != "" {
			return netip.AddrPort{}, fmt.Errorf("address %q: want 8 hex digits or an IPv6 address", addr)
		}
	}
	if len(port) != 4 {
		return netip.AddrPort{}, fmt.Errorf("port %q: want 4 hex digits", port)
	}
	p, err := strconv.ParseUint(port, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port %q: %w", port, err)
	}
	return netip.AddrPortFrom(ip, uint16(p)), nil
}
