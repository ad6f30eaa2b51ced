package topo

import (
	"fmt"
	"hash/fnv"
)

// Names of the kernel objects a lab owns. A lab has one switch namespace
// holding one bridge per segment; each node interface is a veth pair whose
// node end carries the document's name (eth0) and whose switch end is named
// after the node and interface. Interface names are limited to
// MaxIfName bytes by the kernel, which Validate enforces.

// MaxIfName is the longest interface name the kernel accepts (IFNAMSIZ-1).
const MaxIfName = 15

// SwitchNode is the reserved node name of the lab's switch namespace.
const SwitchNode = "switch"

// NamespaceName is the network namespace (under /run/netns) of a node.
func NamespaceName(lab, node string) string { return lab + "-" + node }

// SwitchNamespace is the network namespace holding the lab's bridges.
func SwitchNamespace(lab string) string { return NamespaceName(lab, SwitchNode) }

// BridgeName is the bridge of a segment, inside the switch namespace.
func BridgeName(segment string) string { return "br-" + segment }

// PortName is the switch end of a node's interface, inside the switch
// namespace: node-iface when that fits in MaxIfName bytes, else the
// node's first letters and a hash of both names (an imported lab keeps
// names such as eno16777736, which leave no room for the node's).
// Validate checks that the ports of a lab do not collide.
func PortName(node, iface string) string {
	if name := node + "-" + iface; len(name) <= MaxIfName {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(node + "/" + iface))
	return fmt.Sprintf("%.6s-%08x", node, h.Sum32())
}
