package topo

import (
	"crypto/sha256"
	"net"
)

// MAC is the hardware address the builder gives a node's interface. It is
// derived from the node and interface names only, so the same lab file
// always yields the same MACs and packet captures can be compared with
// golden files. The first byte is 02: locally administered, unicast.
func MAC(node, iface string) net.HardwareAddr {
	sum := sha256.Sum256([]byte(node + "/" + iface))
	return net.HardwareAddr{0x02, sum[0], sum[1], sum[2], sum[3], sum[4]}
}
