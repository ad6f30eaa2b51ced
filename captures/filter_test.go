package captures_test

import (
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/lvslab/lvslab/captures"
)

func TestFilter(t *testing.T) {
	syn := tcpFrame(link("client:eth0").MAC(), link("router:eth1").MAC(),
		tcp{src: "192.168.10.6:40000", dst: "192.168.188.100:80", ttl: 64, syn: true})
	tunnelled := tcpFrame(link("director:eth0").MAC(), link("router:eth0").MAC(),
		tcp{src: "192.168.10.6:40000", dst: "192.168.188.100:80", ttl: 62, syn: true,
			outer: &captures.Encap{Src: netip.MustParseAddr("192.168.188.8"), Dst: netip.MustParseAddr("192.168.66.81"), Protocol: 4, TTL: 62}})
	arp := arpFrame(link("router:eth0").MAC(), layers.EthernetBroadcast, 1,
		netip.MustParseAddr("192.168.188.200"), netip.MustParseAddr("192.168.188.100"))
	host := func(s ...string) []netip.Addr {
		var out []netip.Addr
		for _, a := range s {
			out = append(out, netip.MustParseAddr(a))
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		filter captures.Filter
		frame  []byte
		want   bool
	}{
		{"empty keeps all", captures.Filter{}, arp, true},
		{"port 80", captures.Filter{Ports: []uint16{80}}, syn, true},
		{"port 443", captures.Filter{Ports: []uint16{443}}, syn, false},
		{"ports drop ARP", captures.Filter{Ports: []uint16{80}}, arp, false},
		{"host VIP", captures.Filter{Hosts: host("192.168.188.100")}, syn, true},
		{"host other", captures.Filter{Hosts: host("10.0.0.1")}, syn, false},
		{"host ARP target", captures.Filter{Hosts: host("192.168.188.100")}, arp, true},
		{"host outer RIP", captures.Filter{Hosts: host("192.168.66.81")}, tunnelled, true},
		{"inner port in IPIP", captures.Filter{Ports: []uint16{80}}, tunnelled, true},
		{"host and port", captures.Filter{Hosts: host("192.168.188.100"), Ports: []uint16{443}}, syn, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.filter.Match(tc.frame); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}
