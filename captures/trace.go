package captures

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/lvslab/lvslab/topo"
)

// Flow names a connection the way a client sees it.
type Flow struct {
	// Client is the client's address and port; a zero port means the
	// client's first connection to VIP, and a zero Client any client's.
	Client netip.AddrPort
	// VIP is where the client connected (a VIP:port, or a RIP:port).
	VIP netip.AddrPort
	// Proto is "tcp" (default) or "udp".
	Proto string
}

func (fl Flow) String() string {
	c := "*"
	if fl.Client.Addr().IsValid() {
		c = fl.Client.Addr().String()
		if fl.Client.Port() != 0 {
			c = fl.Client.String()
		}
	}
	return fmt.Sprintf("%s %s → %s", fl.proto(), c, fl.VIP)
}

func (fl Flow) proto() string {
	if fl.Proto == "" {
		return "tcp"
	}
	return fl.Proto
}

// ParseFlow reads CLIENT[:PORT]-VIP:PORT (192.168.10.6:40000-192.168.188.100:80)
// or just VIP:PORT (any client's first connection).
func ParseFlow(s string) (Flow, error) {
	var fl Flow
	client, vip, ok := strings.Cut(s, "-")
	if !ok {
		client, vip = "", s
	}
	v, err := netip.ParseAddrPort(vip)
	if err != nil {
		return fl, fmt.Errorf("parse flow %q: VIP: %w", s, err)
	}
	fl.VIP = v
	if client == "" {
		return fl, nil
	}
	if c, err := netip.ParseAddrPort(client); err == nil {
		fl.Client = c
	} else if a, aerr := netip.ParseAddr(client); aerr == nil {
		fl.Client = netip.AddrPortFrom(a, 0)
	} else {
		return fl, fmt.Errorf("parse flow %q: client: %w", s, err)
	}
	return fl, nil
}

// Encap is the IPIP outer header of a tunnelled packet.
type Encap struct {
	Src, Dst netip.Addr
	Protocol uint8 // 4: IP in IP
	TTL      uint8
}

func (e *Encap) String() string {
	if e == nil {
		return "-"
	}
	return fmt.Sprintf("ipip %s → %s ttl %d", e.Src, e.Dst, e.TTL)
}

// Hop is one transmission of the packet over one cable.
type Hop struct {
	// From and To are the sender's and receiver's interfaces (zero when
	// not captured there). Links are all the links the frame was seen on.
	From, To Link
	Links    []Link
	// Time is when the frame was first seen.
	Time time.Time
	// SrcMAC and DstMAC, with the links that own them (zero if unknown).
	SrcMAC, DstMAC     net.HardwareAddr
	SrcOwner, DstOwner Link
	// Src, Dst, TTL and IPID are the original packet's: the inner packet
	// when Encap is set.
	Src, Dst netip.AddrPort
	TTL      uint8
	IPID     uint16
	Encap    *Encap
	// Changed names the fields that differ from the previous hop: src-mac,
	// dst-mac, src-ip, src-port, dst-ip, dst-port, ttl, encap, outer-ttl.
	Changed []string
}

// Sender is the node that put the frame on the cable: the capturing end,
// else the owner of the source MAC.
func (h *Hop) Sender() string {
	if h.From.Node != "" {
		return h.From.Node
	}
	return h.SrcOwner.Node
}

// Receiver is the node the frame was for.
func (h *Hop) Receiver() string {
	if h.To.Node != "" {
		return h.To.Node
	}
	return h.DstOwner.Node
}

// touches tells whether the hop involves node: sent, received or seen
// on one of its links.
func (h *Hop) touches(node string) bool {
	if h.Sender() == node || h.Receiver() == node {
		return true
	}
	for _, l := range h.Links {
		if l.Node == node {
			return true
		}
	}
	return false
}

// Path is a flow's first request packet and its reply, hop by hop, in
// time order.
type Path struct {
	Flow Flow
	// What names the packets followed: "SYN" and "SYN-ACK" for TCP.
	RequestWhat, ReplyWhat string
	Request, Reply         []Hop
}

// ErrNoPacket means the pcaps hold no packet of the flow.
var ErrNoPacket = errors.New("packet not captured")

// Trace follows flow's first packet and its reply through the pcaps
// (files named <node>-<iface>.pcap, as Start writes them). spec, when
// given, names MACs of links that were not captured and settles file
// names; nil works for a full capture. A reply that was not captured is
// not an error: Path.Reply is then empty.
func Trace(files []string, flow Flow, spec *topo.Spec) (*Path, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("trace %s: no pcap files", flow)
	}
	var all []*frame
	var links []Link
	for _, file := range files {
		l, err := linkOfFile(file, spec)
		if err != nil {
			return nil, fmt.Errorf("trace %s: %w", flow, err)
		}
		fs, err := readFrames(file, l)
		if err != nil {
			return nil, fmt.Errorf("trace %s: %w", flow, err)
		}
		links = append(links, l)
		all = append(all, fs...)
	}
	slices.SortStableFunc(all, func(a, b *frame) int { return a.Time.Compare(b.Time) })
	names := macNames(spec, links)

	p := &Path{Flow: flow}
	req := firstRequest(all, flow)
	if req == nil {
		return nil, fmt.Errorf("trace %s: %w: no first packet in %d files", flow, ErrNoPacket, len(files))
	}
	p.Request = hops(matching(all, req, false), names)
	if rep := firstReply(all, flow, req); rep != nil {
		p.Reply = hops(matching(all, rep, true), names)
	}
	p.RequestWhat, p.ReplyWhat = "datagram", "reply datagram"
	if flow.proto() == "tcp" {
		p.RequestWhat, p.ReplyWhat = "SYN", "SYN-ACK"
	}
	return p, nil
}

// firstRequest is the earliest packet that opens the flow: a SYN (or a
// datagram) from the client to the VIP.
func firstRequest(all []*frame, fl Flow) *frame {
	for _, f := range all {
		if f.IP == nil || f.Proto != fl.proto() || f.Dst() != fl.VIP {
			continue
		}
		if f.Proto == "tcp" && (!f.SYN || f.ACK) {
			continue
		}
		if fl.Client.Addr().IsValid() && f.IP.Src != fl.Client.Addr() {
			continue
		}
		if fl.Client.Port() != 0 && f.SrcPort != fl.Client.Port() {
			continue
		}
		return f
	}
	return nil
}

// firstReply is the earliest answer to req: the SYN-ACK acknowledging its
// sequence number, or the first datagram back to the client's port.
func firstReply(all []*frame, fl Flow, req *frame) *frame {
	for _, f := range all {
		if f.IP == nil || f.Proto != req.Proto || f.Dst() != req.Src() || f.Time.Before(req.Time) {
			continue
		}
		if f.Proto == "tcp" && (!f.SYN || !f.ACK || f.Ack != req.Seq+1) {
			continue
		}
		return f
	}
	return nil
}

// matching keeps the copies of packet p on every link: no forwarding
// method changes the IP ID, the TCP sequence numbers or the payload of
// the original packet. For a reply the IP ID is 0 on SYN-ACKs, so the
// sequence numbers decide.
func matching(all []*frame, p *frame, reply bool) []*frame {
	var out []*frame
	for _, f := range all {
		if f.IP == nil || f.Proto != p.Proto || f.IP.ID != p.IP.ID || f.PayloadSum != p.PayloadSum {
			continue
		}
		if f.Proto == "tcp" && (f.Seq != p.Seq || f.Ack != p.Ack || f.SYN != p.SYN || f.ACK != p.ACK) {
			continue
		}
		if f.Proto == "udp" && !reply && f.SrcPort != p.SrcPort {
			continue
		}
		out = append(out, f)
	}
	return out
}

// hops groups the copies of one packet into transmissions: the copies
// that agree on every header field a hop shows are one frame, seen as it
// left one interface and as it entered another.
func hops(copies []*frame, names map[string]Link) []Hop {
	var out []Hop
	index := map[string]int{}
	for _, f := range copies {
		key := hopKey(f)
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, newHop(f, names))
		}
		h := &out[i]
		if !slices.Contains(h.Links, f.Link) {
			h.Links = append(h.Links, f.Link)
		}
		switch {
		case h.From.Node == "" && f.Link.MAC().String() == f.SrcMAC.String():
			h.From = f.Link
		case h.To.Node == "" && f.Link.MAC().String() == f.DstMAC.String():
			h.To = f.Link
		}
	}
	slices.SortStableFunc(out, func(a, b Hop) int { return a.Time.Compare(b.Time) })
	for i := 1; i < len(out); i++ {
		out[i].Changed = changed(&out[i-1], &out[i])
	}
	return out
}

func hopKey(f *frame) string {
	k := fmt.Sprintf("%s %s %s %s %d", f.SrcMAC, f.DstMAC, f.Src(), f.Dst(), f.IP.TTL)
	if f.Outer != nil {
		k += fmt.Sprintf(" %s %s %d %d", f.Outer.Src, f.Outer.Dst, f.Outer.Protocol, f.Outer.TTL)
	}
	return k
}

func newHop(f *frame, names map[string]Link) Hop {
	h := Hop{
		Time: f.Time, SrcMAC: f.SrcMAC, DstMAC: f.DstMAC,
		SrcOwner: names[f.SrcMAC.String()], DstOwner: names[f.DstMAC.String()],
		Src: f.Src(), Dst: f.Dst(), TTL: f.IP.TTL, IPID: f.IP.ID,
	}
	if f.Outer != nil {
		h.Encap = &Encap{Src: f.Outer.Src, Dst: f.Outer.Dst, Protocol: f.Outer.Protocol, TTL: f.Outer.TTL}
	}
	return h
}

// changed lists the fields of b that differ from a.
func changed(a, b *Hop) []string {
	var out []string
	add := func(diff bool, name string) {
		if diff {
			out = append(out, name)
		}
	}
	add(a.SrcMAC.String() != b.SrcMAC.String(), "src-mac")
	add(a.DstMAC.String() != b.DstMAC.String(), "dst-mac")
	add(a.Src.Addr() != b.Src.Addr(), "src-ip")
	add(a.Src.Port() != b.Src.Port(), "src-port")
	add(a.Dst.Addr() != b.Dst.Addr(), "dst-ip")
	add(a.Dst.Port() != b.Dst.Port(), "dst-port")
	add(a.TTL != b.TTL, "ttl")
	switch {
	case (a.Encap == nil) != (b.Encap == nil):
		add(true, "encap")
	case a.Encap != nil:
		add(a.Encap.Src != b.Encap.Src || a.Encap.Dst != b.Encap.Dst || a.Encap.Protocol != b.Encap.Protocol, "encap")
		add(a.Encap.TTL != b.Encap.TTL, "outer-ttl")
	}
	return out
}

// String describes the hop on one line, for messages.
func (h *Hop) String() string {
	s := fmt.Sprintf("%s → %s: %s → %s ttl %d", linkOr(h.From, h.SrcOwner), linkOr(h.To, h.DstOwner), h.Src, h.Dst, h.TTL)
	if h.Encap != nil {
		s += " in " + h.Encap.String()
	}
	return s
}

func linkOr(l, owner Link) string {
	if l.Node != "" {
		return l.String()
	}
	if owner.Node != "" {
		return owner.String()
	}
	return "?"
}
