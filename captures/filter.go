package captures

import (
	"net/netip"
	"slices"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Filter keeps the frames that concern some hosts or ports, as tcpdump's
// `host A or host B` and `port P` would, decided in Go for each frame. An
// empty Filter keeps everything.
type Filter struct {
	// Hosts keeps frames whose IPv4 source or destination — outer or
	// inner, for IPIP — or ARP sender or target is one of these.
	Hosts []netip.Addr
	// Ports keeps TCP and UDP segments from or to one of these ports (of
	// the innermost header). With Ports set, frames without ports (ARP,
	// VRRP) are dropped.
	Ports []uint16
}

// Match tells whether the filter keeps an Ethernet frame.
func (f Filter) Match(data []byte) bool {
	if len(f.Hosts) == 0 && len(f.Ports) == 0 {
		return true
	}
	pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	hostOK, portOK := len(f.Hosts) == 0, len(f.Ports) == 0
	for _, l := range pkt.Layers() {
		switch l := l.(type) {
		case *layers.IPv4:
			hostOK = hostOK || f.host(l.SrcIP) || f.host(l.DstIP)
		case *layers.ARP:
			hostOK = hostOK || f.host(l.SourceProtAddress) || f.host(l.DstProtAddress)
		case *layers.TCP:
			portOK = portOK || f.port(uint16(l.SrcPort)) || f.port(uint16(l.DstPort))
		case *layers.UDP:
			portOK = portOK || f.port(uint16(l.SrcPort)) || f.port(uint16(l.DstPort))
		}
	}
	return hostOK && portOK
}

func (f Filter) host(ip []byte) bool {
	a, ok := netip.AddrFromSlice(ip)
	return ok && slices.Contains(f.Hosts, a.Unmap())
}

func (f Filter) port(p uint16) bool { return slices.Contains(f.Ports, p) }
