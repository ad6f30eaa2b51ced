package captures

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ipHeader is the part of an IPv4 header a hop shows.
type ipHeader struct {
	Src, Dst netip.Addr
	Protocol uint8
	TTL      uint8
	ID       uint16
}

// frame is one captured Ethernet frame, decoded as far as paths need.
type frame struct {
	Link   Link
	Time   time.Time
	SrcMAC net.HardwareAddr
	DstMAC net.HardwareAddr
	// IP is the original packet's header: the inner one of an IPIP
	// packet. Outer is the IPIP header, nil without encapsulation.
	IP    *ipHeader
	Outer *ipHeader
	// Proto is "tcp" or "udp"; empty for anything else over IPv4.
	Proto            string
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	SYN, ACK         bool
	PayloadSum       uint64 // FNV-1a of the transport payload (UDP matching)
}

// Src and Dst are the original packet's addresses and ports.
func (f *frame) Src() netip.AddrPort { return netip.AddrPortFrom(f.IP.Src, f.SrcPort) }
func (f *frame) Dst() netip.AddrPort { return netip.AddrPortFrom(f.IP.Dst, f.DstPort) }

// decodeFrame decodes an Ethernet frame; IP is nil for non-IPv4 frames.
func decodeFrame(data []byte) *frame {
	pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	f := &frame{}
	if eth, ok := pkt.LinkLayer().(*layers.Ethernet); ok {
		f.SrcMAC, f.DstMAC = eth.SrcMAC, eth.DstMAC
	}
	var ips []*ipHeader
	for _, l := range pkt.Layers() {
		switch l := l.(type) {
		case *layers.IPv4:
			src, _ := netip.AddrFromSlice(l.SrcIP.To4())
			dst, _ := netip.AddrFromSlice(l.DstIP.To4())
			ips = append(ips, &ipHeader{Src: src, Dst: dst, Protocol: uint8(l.Protocol), TTL: l.TTL, ID: l.Id})
		case *layers.TCP:
			f.Proto, f.SrcPort, f.DstPort = "tcp", uint16(l.SrcPort), uint16(l.DstPort)
			f.Seq, f.Ack, f.SYN, f.ACK = l.Seq, l.Ack, l.SYN, l.ACK
			f.PayloadSum = sum(l.Payload)
		case *layers.UDP:
			f.Proto, f.SrcPort, f.DstPort = "udp", uint16(l.SrcPort), uint16(l.DstPort)
			f.PayloadSum = sum(l.Payload)
		}
	}
	switch len(ips) {
	case 0:
	case 1:
		f.IP = ips[0]
	default:
		f.Outer, f.IP = ips[0], ips[len(ips)-1]
	}
	return f
}

func sum(b []byte) uint64 {
	h := fnv.New64a()
	_, _ = h.Write(b)
	return h.Sum64()
}

// readFrames reads a pcap and decodes every frame, tagged with link.
func readFrames(path string, link Link) ([]*frame, error) {
	var out []*frame
	err := eachPacket(path, func(data []byte, ci gopacket.CaptureInfo) {
		f := decodeFrame(data)
		f.Link, f.Time = link, ci.Timestamp
		out = append(out, f)
	})
	return out, err
}

// eachPacket calls fn for every packet of a pcap file (either timestamp
// resolution). A file cut short — a capture killed mid-write — yields
// what it holds.
func eachPacket(path string, fn func([]byte, gopacket.CaptureInfo)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read pcap: %w", err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return fmt.Errorf("read pcap %s: %w", path, err)
	}
	if lt := r.LinkType(); lt != layers.LinkTypeEthernet {
		return fmt.Errorf("read pcap %s: link type %s, want Ethernet", path, lt)
	}
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read pcap %s: %w", path, err)
		}
		fn(data, ci)
	}
}
