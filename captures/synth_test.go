package captures_test

// The pcaps in testdata/ are made here, from the packets the guest
// kernel's IPVS was seen to send (TTLs, IP IDs of SYN-ACKs, IPIP outer
// TTL), on the lab files' addresses and the builder's MACs. Regenerate
// them with: go test ./captures -run TestTestdata -update

import (
	"encoding/binary"
	"flag"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/lvslab/lvslab/captures"
	"github.com/lvslab/lvslab/topo"
)

var update = flag.Bool("update", false, "rewrite testdata/ (pcaps and golden tables)")

// t0 is when every synthetic trace starts.
var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// pkt is one frame on one cable: sent from one link, received on another.
type pkt struct {
	at       time.Duration
	from, to captures.Link // to's zero value: a broadcast
	data     []byte
}

// trace collects frames and writes one pcap per link that saw any.
type trace struct {
	pkts  []pkt
	links []captures.Link // every link that gets a file, even empty
}

func link(s string) captures.Link {
	l, err := captures.ParseLink(s)
	if err != nil {
		panic(err)
	}
	return l
}

// tcp describes a TCP/IPv4 segment, optionally inside IPIP.
type tcp struct {
	src, dst     string // addr:port
	ttl          uint8
	id           uint16
	seq, ack     uint32
	syn, ackFlag bool
	outer        *captures.Encap
}

func (tr *trace) add(at time.Duration, from, to string, seg tcp) {
	f, t := link(from), link(to)
	tr.pkts = append(tr.pkts, pkt{at: at, from: f, to: t, data: tcpFrame(f.MAC(), t.MAC(), seg)})
}

func tcpFrame(srcMAC, dstMAC net.HardwareAddr, seg tcp) []byte {
	src, dst := netip.MustParseAddrPort(seg.src), netip.MustParseAddrPort(seg.dst)
	eth := &layers.Ethernet{SrcMAC: srcMAC, DstMAC: dstMAC, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: seg.ttl, Id: seg.id, Flags: layers.IPv4DontFragment,
		Protocol: layers.IPProtocolTCP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
	t := &layers.TCP{SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()),
		Seq: seg.seq, Ack: seg.ack, SYN: seg.syn, ACK: seg.ackFlag, Window: 64240}
	_ = t.SetNetworkLayerForChecksum(ip)
	ls := []gopacket.SerializableLayer{eth}
	if e := seg.outer; e != nil {
		ls = append(ls, &layers.IPv4{Version: 4, IHL: 5, TTL: e.TTL, Flags: layers.IPv4DontFragment,
			Protocol: layers.IPProtocolIPv4, SrcIP: e.Src.AsSlice(), DstIP: e.Dst.AsSlice()})
	}
	return serialize(append(ls, ip, t)...)
}

func serialize(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// arp adds an ARP request from a link (broadcast) and its reply.
func (tr *trace) arp(at time.Duration, from, to string, ask, answer string) {
	f, t := link(from), link(to)
	req := arpFrame(f.MAC(), layers.EthernetBroadcast, 1, netip.MustParseAddr(answer), netip.MustParseAddr(ask))
	rep := arpFrame(t.MAC(), f.MAC(), 2, netip.MustParseAddr(ask), netip.MustParseAddr(answer))
	tr.pkts = append(tr.pkts, pkt{at: at, from: f, to: t, data: req}, pkt{at: at + 20*time.Microsecond, from: t, to: f, data: rep})
}

// arpFrame: op 1 asks who has target (from sender); op 2 answers it.
func arpFrame(src, dst net.HardwareAddr, op uint16, sender, target netip.Addr) []byte {
	tha := net.HardwareAddr{0, 0, 0, 0, 0, 0}
	if op == 2 {
		tha = dst
	}
	return serialize(
		&layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: op, SourceHwAddress: src, SourceProtAddress: sender.AsSlice(), DstHwAddress: tha, DstProtAddress: target.AsSlice()})
}

// write puts every frame in the sender's and the receiver's pcap (5 µs
// later), as the two ends of a veth see it.
func (tr *trace) write(t *testing.T, dir string) {
	t.Helper()
	type rec struct {
		at   time.Duration
		data []byte
	}
	per := map[captures.Link][]rec{}
	for _, l := range tr.links {
		per[l] = nil
	}
	for _, p := range tr.pkts {
		per[p.from] = append(per[p.from], rec{p.at, p.data})
		if p.to.Node != "" {
			per[p.to] = append(per[p.to], rec{p.at + 5*time.Microsecond, p.data})
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for l, recs := range per {
		slices.SortStableFunc(recs, func(a, b rec) int { return int(a.at - b.at) })
		f, err := os.Create(filepath.Join(dir, l.FileName()))
		if err != nil {
			t.Fatal(err)
		}
		w := pcapgo.NewWriterNanos(f)
		if err := w.WriteFileHeader(captures.Snaplen, layers.LinkTypeEthernet); err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			ci := gopacket.CaptureInfo{Timestamp: t0.Add(r.at), CaptureLength: len(r.data), Length: len(r.data)}
			if err := w.WritePacket(ci, r.data); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

const us = time.Microsecond

func links(ls ...string) []captures.Link {
	var out []captures.Link
	for _, s := range ls {
		out = append(out, link(s))
	}
	return out
}

// drTrace is labs/dr.yaml: client → router → lvs → web1, web1 → router →
// client. broken sends the reply through the director (web1's gateway
// set to the DIP: a lab that must fail CheckDR).
func drTrace(broken bool) *trace {
	tr := &trace{links: links("client:eth0", "router:eth1", "router:eth0", "lvs:eth0", "web1:eth0", "web2:eth0")}
	syn := tcp{src: "192.168.10.6:40000", dst: "192.168.188.100:80", ttl: 64, id: 0x3a41, seq: 1000, syn: true}
	tr.arp(0, "router:eth0", "lvs:eth0", "192.168.188.200", "192.168.188.100")
	tr.add(100*us, "client:eth0", "router:eth1", syn)
	syn.ttl = 63
	tr.add(170*us, "router:eth0", "lvs:eth0", syn)
	syn.ttl = 62 // IPVS lowers the TTL as a router does
	tr.add(900*us, "lvs:eth0", "web1:eth0", syn)
	synack := tcp{src: "192.168.188.100:80", dst: "192.168.10.6:40000", ttl: 64, id: 0, seq: 7000, ack: 1001, syn: true, ackFlag: true}
	if broken {
		tr.add(1100*us, "web1:eth0", "lvs:eth0", synack)
		synack.ttl = 63
		tr.add(1200*us, "lvs:eth0", "router:eth0", synack)
		synack.ttl = 62
	} else {
		tr.add(1100*us, "web1:eth0", "router:eth0", synack)
		synack.ttl = 63
	}
	tr.add(1300*us, "router:eth1", "client:eth0", synack)
	// The client's ACK, and a retransmitted SYN of another connection:
	// neither is part of the path.
	tr.add(1400*us, "client:eth0", "router:eth1", tcp{src: "192.168.10.6:40000", dst: "192.168.188.100:80", ttl: 64, id: 0x3a42, seq: 1001, ack: 7001, ackFlag: true})
	tr.add(2000*us, "client:eth0", "router:eth1", tcp{src: "192.168.10.6:40002", dst: "192.168.188.100:80", ttl: 64, id: 0x1111, seq: 555, syn: true})
	return tr
}

// natTrace is labs/nat.yaml: internet → lvs → web1 (destination
// rewritten to the RIP), web1 → lvs → internet (source back to the VIP).
// broken has web1 answer straight to the client's segment from its RIP,
// as an RS whose gateway is not the director does (must fail CheckNAT).
func natTrace(broken bool) *trace {
	tr := &trace{links: links("internet:eth0", "lvs:eth1", "lvs:eth0", "web1:eth0", "web2:eth0")}
	syn := tcp{src: "192.168.10.200:40000", dst: "192.168.10.100:80", ttl: 64, id: 0x5001, seq: 2000, syn: true}
	tr.add(100*us, "internet:eth0", "lvs:eth1", syn)
	syn.ttl, syn.dst = 63, "192.168.188.82:80"
	tr.add(1600*us, "lvs:eth0", "web1:eth0", syn)
	synack := tcp{src: "192.168.188.82:80", dst: "192.168.10.200:40000", ttl: 64, seq: 9000, ack: 2001, syn: true, ackFlag: true}
	if broken {
		tr.add(1800*us, "web1:eth0", "lvs:eth0", synack) // to its gateway, forwarded as is
		synack.ttl = 63
		tr.add(1900*us, "lvs:eth1", "internet:eth0", synack)
		return tr
	}
	tr.add(1800*us, "web1:eth0", "lvs:eth0", synack)
	synack.ttl, synack.src = 63, "192.168.10.100:80"
	tr.add(6000*us, "lvs:eth1", "internet:eth0", synack)
	return tr
}

// tunTrace is labs/tun.yaml: client → router → director, director →
// router → rs1 in IPIP 192.168.188.8 → 192.168.66.81, rs1 → router →
// client from the VIP.
func tunTrace() *trace {
	tr := &trace{links: links("client:eth0", "router:eth1", "router:eth0", "router:eth2", "director:eth0", "rs1:eth0", "rs2:eth0")}
	syn := tcp{src: "192.168.10.6:40000", dst: "192.168.188.100:80", ttl: 64, id: 0x7007, seq: 3000, syn: true}
	tr.add(100*us, "client:eth0", "router:eth1", syn)
	syn.ttl = 63
	tr.add(1700*us, "router:eth0", "director:eth0", syn)
	syn.ttl = 62
	e := captures.Encap{Src: netip.MustParseAddr("192.168.188.8"), Dst: netip.MustParseAddr("192.168.66.81"), Protocol: 4, TTL: 62}
	syn.outer = &e
	tr.add(2500*us, "director:eth0", "router:eth0", syn)
	e2 := e
	e2.TTL = 61
	syn.outer = &e2
	tr.add(2700*us, "router:eth2", "rs1:eth0", syn)
	synack := tcp{src: "192.168.188.100:80", dst: "192.168.10.6:40000", ttl: 64, seq: 4000, ack: 3001, syn: true, ackFlag: true}
	tr.add(3600*us, "rs1:eth0", "router:eth2", synack)
	synack.ttl = 63
	tr.add(3700*us, "router:eth1", "client:eth0", synack)
	return tr
}

// vrrpTrace is what lvs2:eth0 sees of a VRRP pair: lvs1 advertises VRID
// 51 at priority 100 every second, stops gracefully (priority 0), and
// lvs2 takes over with gratuitous ARPs for the VIP, then advertises.
func vrrpTrace() *trace {
	tr := &trace{links: links("lvs2:eth0")}
	lvs1, lvs2 := link("lvs1:eth0"), link("lvs2:eth0")
	vip := netip.MustParseAddr("192.168.188.100")
	for i := range 3 {
		tr.pkts = append(tr.pkts, pkt{at: time.Duration(i) * time.Second, from: lvs1, to: lvs2,
			data: vrrpFrame(lvs1.MAC(), netip.MustParseAddr("192.168.188.8"), 51, 100, vip)})
	}
	tr.pkts = append(tr.pkts, pkt{at: 2500 * time.Millisecond, from: lvs1, to: lvs2,
		data: vrrpFrame(lvs1.MAC(), netip.MustParseAddr("192.168.188.8"), 51, 0, vip)})
	for i := range 2 {
		at := 3150*time.Millisecond + time.Duration(i)*time.Millisecond
		tr.pkts = append(tr.pkts, pkt{at: at, from: lvs2,
			data: arpFrame(lvs2.MAC(), layers.EthernetBroadcast, 1, vip, vip)})
	}
	tr.pkts = append(tr.pkts, pkt{at: 3160 * time.Millisecond, from: lvs2,
		data: vrrpFrame(lvs2.MAC(), netip.MustParseAddr("192.168.188.9"), 51, 90, vip)})
	return tr
}

// vrrpFrame is a VRRPv2 advertisement (RFC 3768) with simple auth off.
func vrrpFrame(mac net.HardwareAddr, src netip.Addr, vrid, prio uint8, vip netip.Addr) []byte {
	msg := []byte{0x21, vrid, prio, 1, 0, 1, 0, 0}
	msg = append(msg, vip.AsSlice()...)
	msg = append(msg, make([]byte, 8)...)
	binary.BigEndian.PutUint16(msg[6:], checksum(msg))
	return serialize(
		&layers.Ethernet{SrcMAC: mac, DstMAC: net.HardwareAddr{0x01, 0, 0x5e, 0, 0, 0x12}, EthernetType: layers.EthernetTypeIPv4},
		&layers.IPv4{Version: 4, IHL: 5, TTL: 255, Protocol: layers.IPProtocolVRRP,
			SrcIP: src.AsSlice(), DstIP: net.IPv4(224, 0, 0, 18).To4()},
		gopacket.Payload(msg))
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// testdataTraces names every synthetic trace by its testdata directory.
var testdataTraces = map[string]func() *trace{
	"dr":         func() *trace { return drTrace(false) },
	"dr-broken":  func() *trace { return drTrace(true) },
	"nat":        func() *trace { return natTrace(false) },
	"nat-broken": func() *trace { return natTrace(true) },
	"tun":        tunTrace,
	"vrrp":       vrrpTrace,
}

// TestTestdata rewrites testdata/ with -update; otherwise it checks that
// the checked-in pcaps are what the generators make.
func TestTestdata(t *testing.T) {
	for name, gen := range testdataTraces {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", name)
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				gen().write(t, dir)
				return
			}
			tmp := t.TempDir()
			gen().write(t, tmp)
			fresh, _ := filepath.Glob(filepath.Join(tmp, "*.pcap"))
			for _, f := range fresh {
				want, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(filepath.Join(dir, filepath.Base(f)))
				if err != nil {
					t.Fatalf("%v (go test ./captures -run TestTestdata -update)", err)
				}
				if string(got) != string(want) {
					t.Errorf("testdata/%s/%s differs from its generator (go test ./captures -run TestTestdata -update)", name, filepath.Base(f))
				}
			}
		})
	}
}

// labSpec loads a lab file for the checks.
func labSpec(t *testing.T, name string) *topo.Spec {
	t.Helper()
	spec, err := topo.Load("../labs/" + name + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	return spec
}
