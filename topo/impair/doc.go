// Package impair puts faults on a lab's cables: netem impairments (loss,
// delay and jitter, duplication, reordering, rate), links pulled down,
// brought back or flapped, and partitions between groups of nodes, one-way
// ones included. It owns the record of what is in force, kept in the lab's
// state directory so that `lvslab status` shows it and a report can draw
// the timeline.
//
// # Where the faults live
//
// Everything is applied inside the lab's namespaces, never in the root
// namespace, and nothing a node runs (its firewall, its routes) is
// touched:
//
//   - An impairment of NODE:IF is a netem qdisc on both ends of that
//     cable: the node's end shapes what the node sends (direction out),
//     the switch end in the lab's switch namespace shapes what it receives
//     (direction in). Equivalent to: `ip netns exec LAB-NODE tc qdisc
//     replace dev IF root netem …` and `ip netns exec LAB-switch tc qdisc
//     replace dev NODE-IF root netem …`. A delay D therefore adds 2·D to a
//     round trip over that cable.
//
//   - A link down is the switch end set down: the node loses carrier as
//     with a pulled cable, keeping its addresses and routes. Equivalent
//     to: `ip -n LAB-switch link set NODE-IF down`.
//
//   - A partition is an nftables table of family bridge in the switch
//     namespace whose forward chain drops frames from one group's ports to
//     the other's (flooded and multicast frames too: the bridge runs the
//     forward hook once per output port). Equivalent to the table below.
//
// A partition's table, as `nft list ruleset` prints it in the switch
// namespace:
//
//	table bridge lvslab_partition {
//		chain forward {
//			type filter hook forward priority filter; policy accept;
//			iifname "lvs01-eth0" oifname "lvs02-eth0" drop
//		}
//	}
//
// `lvslab down` deletes the namespaces, and the qdiscs and rules with them.
//
// # Kernel support
//
// netem needs sch_netem (CONFIG_NET_SCH_NETEM): Debian's kernels ship it
// as a module, loaded on first use. Partitions need nf_tables' bridge
// family (CONFIG_NF_TABLES_BRIDGE).
package impair
