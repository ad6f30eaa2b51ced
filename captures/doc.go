// Package captures records what crosses a lab's cables and proves from it
// how each LVS forwarding method rewrites a packet.
//
// # Capturing
//
// Start opens one packet socket per link (a node's interface, as the lab
// file names it) from a thread inside the node's namespace — the pure-Go
// pcapgo.EthernetHandle, so no libpcap is needed — and writes one pcap file
// per link, <node>-<iface>.pcap, with nanosecond timestamps. A socket sees
// both directions, so a frame that crosses a cable is recorded twice: as it
// leaves the sender's interface and as it enters the receiver's. Every
// capture is bounded in packets, bytes and time. Equivalent to running,
// for each link: `ip netns exec LAB-NODE tcpdump -i IFACE -w NODE-IFACE.pcap
// --time-stamp-precision=nano`.
//
// # Packet paths
//
// Trace reads the pcaps back and follows one connection's first packet
// (the SYN) and its reply (the SYN-ACK) across the lab: the same packet is
// recognised on every link by its IP ID and TCP sequence numbers — of the
// inner packet when the director wrapped it in IPIP — which no forwarding
// method changes. Each transmission becomes a Hop (the two ends of the
// cable, MACs with the node that owns them, addresses, ports, TTL, the
// IPIP outer header) with the fields that changed since the previous hop.
// MACs are named without a lab running: the builder derives every MAC from
// the node and interface names (topo.MAC).
//
// # Proofs
//
// CheckDR, CheckNAT and CheckTUN turn a Path into a verdict: nil, or an
// error that says which hop breaks which rule of the method (FACTS.md,
// "Kernel IPVS"). VRRPAdverts and GARPs decode keepalived's traffic for the
// failover scenarios.
package captures
