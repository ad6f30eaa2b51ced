package captures

import (
	"net"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Advert is one VRRP advertisement as keepalived sends it.
type Advert struct {
	Time   time.Time
	SrcIP  netip.Addr
	SrcMAC net.HardwareAddr
	// Version is 2 (keepalived's default) or 3.
	Version  uint8
	VRID     uint8
	Priority uint8 // 0: the master is leaving (graceful stop)
	// AdvertInt is the advertisement interval the sender announces.
	AdvertInt time.Duration
	VIPs      []netip.Addr
}

// VRRPAdverts decodes the VRRP advertisements (IP protocol 112) of a
// pcap, in capture order. Equivalent to: `tshark -r FILE -Y vrrp`.
func VRRPAdverts(file string) ([]Advert, error) {
	var out []Advert
	err := eachPacket(file, func(data []byte, ci gopacket.CaptureInfo) {
		pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
		ip, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if !ok || ip.Protocol != layers.IPProtocolVRRP {
			return
		}
		a, ok := decodeAdvert(ip.Payload)
		if !ok {
			return
		}
		a.Time = ci.Timestamp
		a.SrcIP, _ = netip.AddrFromSlice(ip.SrcIP.To4())
		if eth, ok := pkt.LinkLayer().(*layers.Ethernet); ok {
			a.SrcMAC = append(net.HardwareAddr(nil), eth.SrcMAC...)
		}
		out = append(out, a)
	})
	return out, err
}

// decodeAdvert reads a VRRPv2 advert with gopacket's layer, and a VRRPv3
// one (RFC 5798: a 12-bit interval in centiseconds, no auth fields) by hand.
func decodeAdvert(b []byte) (Advert, bool) {
	if len(b) < 8 {
		return Advert{}, false
	}
	switch b[0] >> 4 {
	case 2:
		var v layers.VRRPv2
		if err := v.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
			return Advert{}, false
		}
		a := Advert{Version: 2, VRID: v.VirtualRtrID, Priority: v.Priority, AdvertInt: time.Duration(v.AdverInt) * time.Second}
		for _, ip := range v.IPAddress {
			if addr, ok := netip.AddrFromSlice(ip); ok {
				a.VIPs = append(a.VIPs, addr)
			}
		}
		return a, true
	case 3:
		if b[0]&0x0f != 1 {
			return Advert{}, false
		}
		n := int(b[3])
		cs := int(b[4]&0x0f)<<8 | int(b[5])
		a := Advert{Version: 3, VRID: b[1], Priority: b[2], AdvertInt: time.Duration(cs) * 10 * time.Millisecond}
		for i := 0; i < n && 8+4*i+4 <= len(b); i++ {
			addr, _ := netip.AddrFromSlice(b[8+4*i : 12+4*i])
			a.VIPs = append(a.VIPs, addr)
		}
		return a, true
	}
	return Advert{}, false
}

// GARP is one gratuitous ARP: a node announcing that IP is at MAC.
type GARP struct {
	Time time.Time
	IP   netip.Addr
	MAC  net.HardwareAddr
}

// GARPs decodes the gratuitous ARPs of a pcap — ARP requests or replies
// whose sender and target addresses are the same — in capture order, as
// keepalived sends them for its VIPs on becoming master. Equivalent to:
// `tshark -r FILE -Y arp.isgratuitous`.
func GARPs(file string) ([]GARP, error) {
	var out []GARP
	err := eachPacket(file, func(data []byte, ci gopacket.CaptureInfo) {
		pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
		arp, ok := pkt.Layer(layers.LayerTypeARP).(*layers.ARP)
		if !ok || arp.Protocol != layers.EthernetTypeIPv4 || len(arp.SourceProtAddress) != 4 {
			return
		}
		src, _ := netip.AddrFromSlice(arp.SourceProtAddress)
		dst, _ := netip.AddrFromSlice(arp.DstProtAddress)
		if src != dst {
			return
		}
		out = append(out, GARP{Time: ci.Timestamp, IP: src, MAC: append(net.HardwareAddr(nil), arp.SourceHwAddress...)})
	})
	return out, err
}

// MasterSpan is a time one router advertised a VRID without a break: as
// VRRP has only the MASTER advertise, the time it was MASTER as the
// segment saw it.
type MasterSpan struct {
	VRID  uint8
	SrcIP netip.Addr
	// From is its first advert of the run, To its last; a priority-0
	// advert (a graceful stop) ends the run and is its last.
	From, To time.Time
	// Priority is the priority of the run's last non-zero advert.
	Priority uint8
	// Resigned: the run ended with a priority-0 advert.
	Resigned bool
}

// MasterSpans groups adverts, in capture order, into runs per VRID and
// source: a run ends at a priority-0 advert, or when the next advert from
// the same source comes more than three announced intervals later (a
// backup declares the master down after three). Spans are in order of
// their start. Two spans of one VRID that overlap by more than an
// interval are a split brain.
func MasterSpans(adverts []Advert) []MasterSpan {
	type key struct {
		vrid uint8
		src  netip.Addr
	}
	open := map[key]int{} // index into out of the source's open run
	var out []MasterSpan
	for _, a := range adverts {
		k := key{a.VRID, a.SrcIP}
		i, ok := open[k]
		if ok && a.Time.Sub(out[i].To) > 3*max(a.AdvertInt, time.Second/100) {
			ok = false
		}
		if !ok {
			out = append(out, MasterSpan{VRID: a.VRID, SrcIP: a.SrcIP, From: a.Time, To: a.Time, Priority: a.Priority})
			i = len(out) - 1
			open[k] = i
		}
		out[i].To = a.Time
		if a.Priority == 0 {
			out[i].Resigned = true
			delete(open, k)
			continue
		}
		out[i].Priority = a.Priority
	}
	return out
}
